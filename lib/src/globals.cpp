// The globals the library understands without importing anything.
#include <algorithm>
#include <cstdint>
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

// Attribute lookup on builtin classes (builtin_attributes.inc).
struct ClassBases {
  std::string_view name, rest_of_mro;  ///< __mro__[1:], names separated by spaces
};
constexpr ClassBases kClassBases[] = {
#define BUILTIN_CLASS_BASES
#include "builtin_attributes.inc"
#undef BUILTIN_CLASS_BASES
};

struct OwnAttribute {
  enum Kind : std::uint8_t {
    Method,        ///< a method: via the class, __objclass__ is the owner
    SlotWrapper,   ///< a slot wrapper: the same, and bound to a class, still the owner
    Data,          ///< a member or getset: via the class, __objclass__ is the owner
    ClassMethod,   ///< bound to the class it is looked up on (its __self__)
    BoundToOwner,  ///< a builtin function bound to the owner (__new__)
    Other,         ///< anything else (a docstring, None, a staticmethod)
  };
  std::string_view owner, name;
  Kind kind;
};
constexpr OwnAttribute kOwnAttributes[] = {
#include "builtin_attributes.inc"
};

const OwnAttribute* find_own_attribute(std::string_view owner, std::string_view name) noexcept {
  auto key = std::pair{owner, name};
  auto it = std::lower_bound(std::begin(kOwnAttributes), std::end(kOwnAttributes), key,
                             [](const OwnAttribute& a, const auto& k) {
                               return std::pair{a.owner, a.name} < k;
                             });
  return it != std::end(kOwnAttributes) && it->owner == owner && it->name == name ? &*it : nullptr;
}

const ClassBases* find_class_bases(std::string_view name) noexcept {
  auto it = std::lower_bound(std::begin(kClassBases), std::end(kClassBases), name,
                             [](const ClassBases& c, std::string_view n) { return c.name < n; });
  return it != std::end(kClassBases) && it->name == name ? &*it : nullptr;
}

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

std::string_view builtin_attribute_class(std::string_view qualname, std::string_view looked_up) noexcept {
  const std::size_t dot = qualname.rfind('.');
  if (dot == std::string_view::npos || (looked_up != "__objclass__" && looked_up != "__self__")) return {};
  const std::string_view cls = qualname.substr(0, dot), attr = qualname.substr(dot + 1);
  const ClassBases* bases = find_class_bases(cls);
  if (!bases) return {};
  const bool objclass = looked_up == "__objclass__";
  // As CPython looks an attribute up on a class: a data descriptor of the metaclass
  // first, then the class's own __mro__, then the metaclass's __mro__ (type, object).
  constexpr std::string_view kMetaclassMro[] = {"type", "object"};
  for (std::string_view owner : kMetaclassMro) {
    const OwnAttribute* a = find_own_attribute(owner, attr);
    if (a && a->kind == OwnAttribute::Data) return {};
  }
  std::string_view rest = bases->rest_of_mro;
  for (std::string_view owner = cls;;) {
    if (const OwnAttribute* a = find_own_attribute(owner, attr)) {
      switch (a->kind) {
        case OwnAttribute::Method:
        case OwnAttribute::SlotWrapper:
        case OwnAttribute::Data: return objclass ? a->owner : std::string_view{};
        case OwnAttribute::ClassMethod: return objclass ? std::string_view{} : cls;
        case OwnAttribute::BoundToOwner: return objclass ? std::string_view{} : a->owner;
        case OwnAttribute::Other: return {};
      }
    }
    if (rest.empty()) break;
    const std::size_t space = rest.find(' ');
    owner = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
  }
  for (std::string_view owner : kMetaclassMro) {
    const OwnAttribute* a = find_own_attribute(owner, attr);
    if (!a) continue;
    // A method of the metaclass, bound to the class; a slot wrapper keeps the metaclass
    // as its __objclass__ too.
    if (a->kind == OwnAttribute::Method || a->kind == OwnAttribute::SlotWrapper) {
      if (!objclass) return cls;
      return a->kind == OwnAttribute::SlotWrapper ? a->owner : std::string_view{};
    }
    if (a->kind == OwnAttribute::ClassMethod) return objclass ? std::string_view{} : "type";
    return {};
  }
  return {};
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
