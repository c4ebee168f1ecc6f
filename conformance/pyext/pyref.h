// Small helpers for the _pickle_cpp extension: owned references and the C++ exception
// that carries a pending Python error through the library.
//
// Python callbacks (reducers, persistent_id, find_class, file.write, ...) run inside the
// library's loops. When one raises, the Python error indicator stays set and
// PyErrorPending is thrown; it unwinds through the library (which cleans up and rethrows
// foreign exceptions) and the module boundary returns NULL, so the caller sees the
// original exception unchanged.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <exception>
#include <utility>

namespace pyext {

/// Thrown while the Python error indicator is set.
struct PyErrorPending : std::exception {
  const char* what() const noexcept override { return "Python exception pending"; }
};

[[noreturn]] inline void throw_pending() { throw PyErrorPending{}; }

/// An owned (strong) reference.
class Ref {
 public:
  Ref() = default;
  /// Adopts a new reference (may be null).
  static Ref steal(PyObject* o) noexcept { return Ref(o); }
  /// Takes a new reference to a borrowed one.
  static Ref borrow(PyObject* o) noexcept {
    Py_XINCREF(o);
    return Ref(o);
  }
  /// Adopts a new reference that must not be null (null: a Python error is pending).
  static Ref check(PyObject* o) {
    if (!o) throw_pending();
    return Ref(o);
  }
  Ref(const Ref& r) noexcept : p_(r.p_) { Py_XINCREF(p_); }
  Ref(Ref&& r) noexcept : p_(std::exchange(r.p_, nullptr)) {}
  Ref& operator=(Ref r) noexcept {
    std::swap(p_, r.p_);
    return *this;
  }
  ~Ref() { Py_XDECREF(p_); }

  PyObject* get() const noexcept { return p_; }
  PyObject* release() noexcept { return std::exchange(p_, nullptr); }
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  explicit Ref(PyObject* o) noexcept : p_(o) {}
  PyObject* p_ = nullptr;
};

/// Raises PyErrorPending when a C API call reported an error with -1.
inline int check_status(int status) {
  if (status < 0) throw_pending();
  return status;
}

}  // namespace pyext
