// The globals the library understands without importing anything.
#include <algorithm>
#include <iterator>

#include "value_internal.h"

namespace pickle::detail {

namespace {
constexpr BuiltinName kBuiltins[] = {
#include "builtins_table.inc"
};

#include "compat_tables.inc"

template <std::size_t N>
const NameMapping* find_name(const NameMapping (&table)[N], std::string_view module,
                             std::string_view name) {
  auto key = std::pair{module, name};
  auto it = std::lower_bound(std::begin(table), std::end(table), key,
                             [](const NameMapping& m, const auto& k) {
                               return std::pair{m.module, m.name} < k;
                             });
  return it != std::end(table) && it->module == module && it->name == name ? &*it : nullptr;
}

template <std::size_t N>
const ModuleMapping* find_module(const ModuleMapping (&table)[N], std::string_view module) {
  auto it = std::lower_bound(std::begin(table), std::end(table), module,
                             [](const ModuleMapping& m, std::string_view k) { return m.module < k; });
  return it != std::end(table) && it->module == module ? &*it : nullptr;
}
}  // namespace

QualifiedName map_2to3(std::string_view module, std::string_view name) noexcept {
  if (const NameMapping* m = find_name(kNameMapping, module, name)) return {m->new_module, m->new_name};
  if (const ModuleMapping* m = find_module(kImportMapping, module)) return {m->new_module, name};
  return {module, name};
}

QualifiedName canonical_name(std::string_view module, std::string_view name) noexcept {
  if (const NameMapping* m = find_name(kCanonicalNames, module, name)) return {m->new_module, m->new_name};
  return {module, name};
}

QualifiedName map_3to2(std::string_view module, std::string_view name) noexcept {
  if (const NameMapping* m = find_name(kReverseNameMapping, module, name)) {
    return {m->new_module, m->new_name};
  }
  if (const ModuleMapping* m = find_module(kReverseImportMapping, module)) return {m->new_module, name};
  return {module, name};
}

const BuiltinName* find_builtin(std::string_view name) noexcept {
  auto it = std::lower_bound(std::begin(kBuiltins), std::end(kBuiltins), name,
                             [](const BuiltinName& b, std::string_view n) { return b.name < n; });
  return it != std::end(kBuiltins) && it->name == name ? &*it : nullptr;
}

Global::Builtin classify_global(std::string_view module, std::string_view qualname) noexcept {
  using B = Global::Builtin;
  if (module == "builtins") {
    if (qualname == "set") return B::Set;
    if (qualname == "frozenset") return B::FrozenSet;
    if (qualname == "bytearray") return B::ByteArray;
    if (qualname == "bytes") return B::Bytes;
    if (qualname == "complex") return B::Complex;
    if (qualname == "getattr") return B::GetAttr;
    if (qualname == "type") return B::Type;
    if (qualname == "object") return B::Object;
    // The singleton types have no name in builtins; Graph users name them this way.
    if (qualname == "NoneType") return B::NoneType;
    if (qualname == "ellipsis") return B::EllipsisType;
    if (qualname == "NotImplementedType") return B::NotImplementedType;
    std::string_view head = qualname.substr(0, qualname.find('.'));
    return find_builtin(head) ? B::OtherBuiltin : B::Unknown;
  }
  if (module == "_codecs" && qualname == "encode") return B::CodecsEncode;
  if (module == "copyreg") {
    if (qualname == "_reconstructor") return B::Reconstructor;
    if (qualname == "__newobj__") return B::NewObj;
    if (qualname == "__newobj_ex__") return B::NewObjEx;
  }
  if (module == "functools" && qualname == "partial") return B::Partial;
  return B::Unknown;
}

std::string_view global_type_name(const Global& g) noexcept {
  using B = Global::Builtin;
  switch (g.builtin()) {
    case B::CodecsEncode:
    case B::GetAttr:
      return "builtin_function_or_method";
    case B::Reconstructor:
    case B::NewObj:
    case B::NewObjEx:
      return "function";
    case B::OtherBuiltin: {
      std::string_view q = g.qualname();
      if (q.find('.') != std::string_view::npos) return "type";  // unknown attribute: assume a class
      const BuiltinName* b = find_builtin(q);
      return b && !b->is_type ? b->type_name : "type";
    }
    default:
      return "type";
  }
}

}  // namespace pickle::detail
