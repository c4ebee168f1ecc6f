// Shared pieces of the _pickle_cpp extension: the Python helper functions the C++ code
// calls (defined by pickle_cpp_helpers.py in the module namespace), conversions between
// Python str and the library's UTF-8, and the translation of library errors.
#pragma once

#include <string>
#include <string_view>

#include "pickle/error.h"
#include "pyref.h"

namespace pyext {

/// Borrowed references into the module namespace, filled at import (the module is never
/// unloaded, so they stay valid).
struct Helpers {
  PyObject* library_error = nullptr;  // _library_error(type_name, message) -> exception
  PyObject* global_name = nullptr;    // _global_name(obj, name=None) -> (module, qualname)
  PyObject* reduce = nullptr;         // _reduce(obj, proto, override, table, named)
  PyObject* save_global = nullptr;    // _SAVE_GLOBAL marker
  PyObject* load_global = nullptr;    // _load_global(module, qualname)
  PyObject* find_class = nullptr;     // _find_class(module, name, proto)
  PyObject* complete = nullptr;       // _complete(obj, list, dict, set, has_state, state, setter)
  PyObject* unpickling_error = nullptr;
  PyObject* pickling_error = nullptr;
  PyObject* copyreg = nullptr;        // the copyreg module
  PyObject* reconstructor = nullptr;  // copyreg._reconstructor
};
extern Helpers H;

/// A str from the library's UTF-8 (lone surrogates encoded as by "surrogatepass").
Ref to_py_str(std::string_view utf8);
/// The library's UTF-8 of a Python str (appended to `out`).
void append_utf8(PyObject* str, std::string& out);
std::string utf8_of(PyObject* str);

/// Sets the Python exception CPython raises for a library error.
void set_library_error(const pickle::Error& e);

/// Raises `cls(message)` and throws PyErrorPending.
[[noreturn]] void raise(PyObject* cls, const std::string& message);

/// Runs f() at a module entry point: Python errors pending, library errors and C++
/// failures all come back as a Python exception and NULL.
template <class F>
PyObject* guarded(F&& f) noexcept {
  try {
    return f();
  } catch (const PyErrorPending&) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_SystemError, "pickle_cpp: error without exception");
    return nullptr;
  } catch (const pickle::Error& e) {
    set_library_error(e);
    return nullptr;
  } catch (const std::bad_alloc&) {
    return PyErr_NoMemory();
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_SystemError, e.what());
    return nullptr;
  }
}

}  // namespace pyext
