// The globals the library understands without importing anything.
#include <algorithm>
#include <iterator>

#include "globals.h"
#include "value_internal.h"

namespace pickle::detail {

namespace {
constexpr BuiltinName kBuiltins[] = {
#include "builtins_table.inc"
};

#include "compat_tables.inc"

struct NativeGlobal {
  std::string_view module, qualname;
  Global::Builtin kind;
};
constexpr NativeGlobal kNativeGlobals[] = {
#define PICKLE_NATIVE_GLOBAL(module, qualname, kind) {module, qualname, Global::Builtin::kind},
#include "native_globals.def"
#undef PICKLE_NATIVE_GLOBAL
};

template <std::size_t N>
const NameMapping* find_name(const NameMapping (&table)[N], std::string_view module, std::string_view name) {
  auto key = std::pair{module, name};
  auto it = std::lower_bound(std::begin(table), std::end(table), key, [](const NameMapping& m, const auto& k) {
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
  for (const NativeGlobal& g : kNativeGlobals) {
    if (g.qualname == qualname && g.module == module) return g.kind;
  }
  if (module == "builtins" && find_builtin(qualname.substr(0, qualname.find('.')))) {
    return Global::Builtin::OtherBuiltin;
  }
  return Global::Builtin::Unknown;
}

std::string_view global_type_name(const Global& g) noexcept {
  using B = Global::Builtin;
  switch (g.builtin()) {
    case B::CodecsEncode:
    case B::GetAttr: return "builtin_function_or_method";
    case B::Reconstructor:
    case B::NewObj:
    case B::NewObjEx: return "function";
    case B::OtherBuiltin: {
      std::string_view q = g.qualname();
      if (q.find('.') != std::string_view::npos) return "type";  // unknown attribute: assume a class
      const BuiltinName* b = find_builtin(q);
      return b && !b->is_type ? b->type_name : "type";
    }
    default: return "type";
  }
}

}  // namespace pickle::detail
