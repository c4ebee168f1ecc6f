// The globals the library knows without importing anything (defined in globals.cpp): the
// natively rebuilt ones (native_globals.def), CPython's builtins module, fix_imports'
// Python 2 <-> 3 names and the names objects pickle under.
#pragma once

#include <string_view>

#include "pickle/python_version.h"
#include "pickle/value.h"

namespace pickle::detail {

/// What the library knows natively about the global module.qualname.
Global::Builtin classify_global(std::string_view module, std::string_view qualname) noexcept;

/// One attribute of CPython's builtins module (table generated from CPython 3.8-3.13).
struct BuiltinName {
  std::string_view name;
  bool is_type;
  std::string_view type_name;  ///< type(builtins.<name>).__name__
  bool is_exception;           ///< a subclass of BaseException
  bool has_setstate;           ///< a class with a __setstate__ method
  int since_minor;             ///< the first CPython 3.x (of those supported) that has it
  int until_minor;             ///< the last one
  bool exists_in(PythonVersion v) const noexcept {
    return v.major == 3 && v.minor >= since_minor && v.minor <= until_minor;
  }
};
/// The builtins attribute called `name`, or nullptr when CPython's builtins has none.
const BuiltinName* find_builtin(std::string_view name) noexcept;

/// getattr(builtins.<qualname>, looked_up) for looked_up "__objclass__" or "__self__",
/// where qualname is class.attr of a builtin class: the name of the builtins class CPython
/// gives (str.join.__objclass__ is str, dict.fromkeys.__self__ is dict), else empty.
std::string_view builtin_attribute_class(std::string_view qualname, std::string_view looked_up) noexcept;

/// type(g).__name__ as CPython would print it: "type" for classes (and, by assumption, for
/// unknown globals), "builtin_function_or_method" for builtin functions, ...
std::string_view global_type_name(const Global& g) noexcept;

/// _compat_pickle's maps, applied by fix_imports.
struct NameMapping {
  std::string_view module, name, new_module, new_name;
};
struct ModuleMapping {
  std::string_view module, new_module;
};
struct QualifiedName {
  std::string_view module, name;
};
/// Python 2 name -> Python 3 name (NAME_MAPPING, else IMPORT_MAPPING on the module).
QualifiedName map_2to3(std::string_view module, std::string_view name) noexcept;
/// Python 3 name -> Python 2 name (REVERSE_NAME_MAPPING, else REVERSE_IMPORT_MAPPING).
QualifiedName map_3to2(std::string_view module, std::string_view name) noexcept;
/// The name an object is pickled under when it was loaded by another name (its own
/// __module__ and __qualname__: functools.reduce is _functools.reduce), from a table
/// generated from CPython; the name itself when the table does not list it.
QualifiedName canonical_name(std::string_view module, std::string_view name) noexcept;

}  // namespace pickle::detail
