// pickle/opcodes.h: the pickle opcodes, with the metadata pickletools describes them by.
// The enumerations are generated from CPython's pickletools (pickle/opcode_enums.h).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "pickle/opcode_enums.h"

namespace pickle {

struct OpInfo {
  Op op;
  std::string_view name;  ///< pickletools name, e.g. "SHORT_BINUNICODE"
  std::uint8_t proto;     ///< protocol that introduced it
  ArgKind arg;
  std::span<const StackKind> stack_before;
  std::span<const StackKind> stack_after;
};

/// Metadata for the opcode byte `code`, or nullptr when no opcode has that byte.
const OpInfo* op_info(std::uint8_t code) noexcept;
/// All opcodes, in pickletools' documentation order.
std::span<const OpInfo> all_opcodes() noexcept;
/// pickletools' name of a stack item kind ("int_or_bool", "mark", "stackslice", ...).
std::string_view stack_kind_name(StackKind kind) noexcept;
/// pickletools' name of an argument kind ("decimalnl_short", "uint1", ...).
std::string_view arg_kind_name(ArgKind kind) noexcept;

}  // namespace pickle
