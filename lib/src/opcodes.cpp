// Lookups over the opcode metadata generated from pickletools (opcode_tables.inc).
#include "pickle/opcodes.h"

#include <array>
#include <cstddef>
#include <iterator>

namespace pickle {

namespace {

#include "opcode_tables.inc"

constexpr std::array<const OpInfo*, 256> make_index() {
  std::array<const OpInfo*, 256> index{};
  for (const OpInfo& info : kOpcodes) index[static_cast<std::uint8_t>(info.op)] = &info;
  return index;
}
constexpr auto kIndex = make_index();

template <std::size_t N>
std::string_view name_at(const std::string_view (&names)[N], std::uint8_t kind) noexcept {
  return kind < N ? names[kind] : std::string_view();
}

}  // namespace

const OpInfo* op_info(std::uint8_t code) noexcept { return kIndex[code]; }
std::span<const OpInfo> all_opcodes() noexcept { return kOpcodes; }

std::string_view stack_kind_name(StackKind kind) noexcept {
  return name_at(kStackKindNames, static_cast<std::uint8_t>(kind));
}

std::string_view arg_kind_name(ArgKind kind) noexcept {
  return name_at(kArgKindNames, static_cast<std::uint8_t>(kind));
}

}  // namespace pickle
