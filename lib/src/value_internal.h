// Private helpers of the value model shared by the library's sources.
#pragma once

#include <cstring>
#include <string_view>

#include "pickle/error.h"
#include "pickle/value.h"

namespace pickle::detail {

/// pickle.UnpicklingError with `message`: a malformed pickle, or a refused global.
[[noreturn]] inline void unpickling_error(std::string message) {
  fail(ErrorType::UnpicklingError, std::move(message));
}

/// Called in a catch (...) of a public function: rethrows the exception being handled,
/// except that the standard library's std::bad_alloc and std::length_error become
/// pickle::Error MemoryError, so that every failure of the library is a pickle::Error.
/// Other exceptions (a user's hook may throw anything) pass unchanged.
[[noreturn]] void rethrow_allocation_failure();


/// What the library knows natively about the global module.qualname.
Global::Builtin classify_global(std::string_view module, std::string_view qualname) noexcept;

/// One attribute of CPython's builtins module (table generated from CPython 3.11).
struct BuiltinName {
  std::string_view name;
  bool is_type;
  std::string_view type_name;  ///< type(builtins.<name>).__name__
  bool is_exception;           ///< a subclass of BaseException
  bool has_setstate;           ///< a class with a __setstate__ method
};
/// The builtins attribute called `name`, or nullptr when CPython's builtins has none.
const BuiltinName* find_builtin(std::string_view name) noexcept;

/// type(g).__name__ as CPython would print it: "type" for classes (and, by assumption, for
/// unknown globals), "builtin_function_or_method" for builtin functions, ...
std::string_view global_type_name(const Global& g) noexcept;

/// True for the builtin types whose instances the library holds as Values (complex, set,
/// frozenset, bytes, bytearray). An Object recording a call of one (complex(x) for an x the
/// library could not convert) is an instance whose value is unknown.
inline bool is_value_type(Global::Builtin b) noexcept {
  using B = Global::Builtin;
  return b == B::Complex || b == B::Set || b == B::FrozenSet || b == B::Bytes || b == B::ByteArray;
}

/// memcpy for the short strings that dominate pickles, without a library call: two
/// overlapping fixed-size copies cover any length from 4 to 16.
inline void copy_chars(char* dst, const char* src, std::size_t n) noexcept {
  if (n >= 8 && n <= 16) {
    std::memcpy(dst, src, 8);
    std::memcpy(dst + n - 8, src + n - 8, 8);
  } else if (n >= 4 && n < 8) {
    std::memcpy(dst, src, 4);
    std::memcpy(dst + n - 4, src + n - 4, 4);
  } else if (n) {
    std::memcpy(dst, src, n);
  }
}

}  // namespace pickle::detail

namespace pickle::detail {

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
