#include "common.h"

namespace pyext {

Helpers H;

Ref to_py_str(std::string_view utf8) {
  return Ref::check(PyUnicode_DecodeUTF8(utf8.data(), static_cast<Py_ssize_t>(utf8.size()), "surrogatepass"));
}

void append_utf8(PyObject* str, std::string& out) {
  Py_ssize_t n = 0;
  if (const char* s = PyUnicode_AsUTF8AndSize(str, &n)) {
    out.append(s, static_cast<std::size_t>(n));
    return;
  }
  // Lone surrogates have no UTF-8; the library stores them as "surrogatepass" does.
  PyErr_Clear();
  Ref b = Ref::check(PyUnicode_AsEncodedString(str, "utf-8", "surrogatepass"));
  out.append(PyBytes_AS_STRING(b.get()), static_cast<std::size_t>(PyBytes_GET_SIZE(b.get())));
}

std::string utf8_of(PyObject* str) {
  std::string out;
  append_utf8(str, out);
  return out;
}

void raise(PyObject* cls, const std::string& message) {
  PyErr_SetString(cls, message.c_str());
  throw_pending();
}

void set_library_error(const pickle::Error& e) {
  std::string_view name = e.python_type_name();
  PyObject* exc = nullptr;
  PyObject* py_name = PyUnicode_FromStringAndSize(name.data(), static_cast<Py_ssize_t>(name.size()));
  PyObject* py_message =
      py_name ? PyUnicode_DecodeUTF8(e.message().data(), static_cast<Py_ssize_t>(e.message().size()), "surrogatepass")
              : nullptr;
  if (py_message) exc = PyObject_CallFunctionObjArgs(H.library_error, py_name, py_message, nullptr);
  Py_XDECREF(py_name);
  Py_XDECREF(py_message);
  if (!exc) return;  // the failure to build it is the error
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc)), exc);
  Py_DECREF(exc);
}

}  // namespace pyext
