// _pickle_cpp: pickle's API (dumps, loads, dump, load, Pickler, Unpickler) with the
// pickle-cpp library doing the loading and the dumping, for running CPython's own pickle
// tests against the library (conformance/testsuite_check.py).
//
// The C++ half (this file, dumper, loader, builder) holds the library objects and
// converts between Python objects and the library's value graph; the Python half
// (pickle_cpp_helpers.py, embedded at build time) defines the public classes and the
// steps that must run Python code. Python-level entry points defined here:
//   _PicklerState(protocol, fix_imports, has_buffer_callback)   .clear_memo()
//   _dump(state, obj, write, persistent_id, reducer_override, dispatch_table,
//         buffer_callback, fast)                                 -> None or bytes
//   _UnpicklerState(fix_imports, encoding, errors, buffers)
//   _load(state, data, unpickler, proto=0)                       -> (obj, bytes read)
//   _set_memo(state, [(index, obj), ...])
#include <string>

#include "common.h"
#include "dumper.h"
#include "loader.h"

namespace pyext {
namespace {

#include "pickle_cpp_helpers.inc"  // kHelpersSource

struct PicklerStateObject {
  PyObject_HEAD Dumper* dumper;
};

struct UnpicklerStateObject {
  PyObject_HEAD Loader* loader;
};

PyTypeObject* pickler_state_type = nullptr;
PyTypeObject* unpickler_state_type = nullptr;

PyObject* opt(PyObject* o) { return o == Py_None ? nullptr : o; }

// ---- _PicklerState ------------------------------------------------------------------------

PyObject* pickler_state_new(PyTypeObject* type, PyObject* args, PyObject* kwargs) {
  int protocol = 0, fix_imports = 1, has_buffer_callback = 0;
  static const char* names[] = {"protocol", "fix_imports", "has_buffer_callback", nullptr};
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "ipp:_PicklerState", const_cast<char**>(names), &protocol,
                                   &fix_imports, &has_buffer_callback)) {
    return nullptr;
  }
  auto* self = reinterpret_cast<PicklerStateObject*>(type->tp_alloc(type, 0));
  if (!self) return nullptr;
  self->dumper = nullptr;
  PyObject* r = guarded([&] {
    self->dumper = new Dumper(protocol, fix_imports != 0, has_buffer_callback != 0);
    return reinterpret_cast<PyObject*>(self);
  });
  if (!r) Py_DECREF(self);
  return r;
}

void pickler_state_dealloc(PyObject* o) {
  auto* self = reinterpret_cast<PicklerStateObject*>(o);
  delete self->dumper;
  PyTypeObject* type = Py_TYPE(o);
  type->tp_free(o);
  Py_DECREF(type);
}

PyObject* pickler_state_clear_memo(PyObject* o, PyObject*) {
  auto* self = reinterpret_cast<PicklerStateObject*>(o);
  return guarded([&] {
    self->dumper->clear_memo();
    Py_RETURN_NONE;
  });
}

PyMethodDef pickler_state_methods[] = {
    {"clear_memo", pickler_state_clear_memo, METH_NOARGS, "Pickler.clear_memo()"},
    {nullptr, nullptr, 0, nullptr},
};

PyType_Slot pickler_state_slots[] = {
    {Py_tp_new, reinterpret_cast<void*>(pickler_state_new)},
    {Py_tp_dealloc, reinterpret_cast<void*>(pickler_state_dealloc)},
    {Py_tp_methods, pickler_state_methods},
    {Py_tp_doc, const_cast<char*>("The library Pickler behind a pickle_cpp Pickler.")},
    {0, nullptr},
};

PyType_Spec pickler_state_spec = {"_pickle_cpp._PicklerState", sizeof(PicklerStateObject), 0, Py_TPFLAGS_DEFAULT,
                                  pickler_state_slots};

// ---- _UnpicklerState -------------------------------------------------------------------------

PyObject* unpickler_state_new(PyTypeObject* type, PyObject* args, PyObject* kwargs) {
  int fix_imports = 1;
  const char* encoding = nullptr;
  const char* errors = nullptr;
  PyObject* buffers = Py_None;
  static const char* names[] = {"fix_imports", "encoding", "errors", "buffers", nullptr};
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "pssO:_UnpicklerState", const_cast<char**>(names), &fix_imports,
                                   &encoding, &errors, &buffers)) {
    return nullptr;
  }
  if (buffers != Py_None && !PyList_Check(buffers)) {
    PyErr_SetString(PyExc_TypeError, "_UnpicklerState: buffers must be a list or None");
    return nullptr;
  }
  auto* self = reinterpret_cast<UnpicklerStateObject*>(type->tp_alloc(type, 0));
  if (!self) return nullptr;
  self->loader = nullptr;
  PyObject* r = guarded([&] {
    self->loader = new Loader(fix_imports != 0, encoding, errors, buffers);
    return reinterpret_cast<PyObject*>(self);
  });
  if (!r) Py_DECREF(self);
  return r;
}

void unpickler_state_dealloc(PyObject* o) {
  auto* self = reinterpret_cast<UnpicklerStateObject*>(o);
  delete self->loader;
  PyTypeObject* type = Py_TYPE(o);
  type->tp_free(o);
  Py_DECREF(type);
}

PyType_Slot unpickler_state_slots[] = {
    {Py_tp_new, reinterpret_cast<void*>(unpickler_state_new)},
    {Py_tp_dealloc, reinterpret_cast<void*>(unpickler_state_dealloc)},
    {Py_tp_doc, const_cast<char*>("The library Unpickler behind a pickle_cpp Unpickler.")},
    {0, nullptr},
};

PyType_Spec unpickler_state_spec = {"_pickle_cpp._UnpicklerState", sizeof(UnpicklerStateObject), 0, Py_TPFLAGS_DEFAULT,
                                    unpickler_state_slots};

// ---- functions --------------------------------------------------------------------------------

PyObject* dump(PyObject*, PyObject* args) {
  PyObject *state, *obj;
  DumpHooks h;
  int fast = 0;
  if (!PyArg_ParseTuple(args, "O!OOOOOOp:_dump", pickler_state_type, &state, &obj, &h.write, &h.persistent_id,
                        &h.reducer_override, &h.dispatch_table, &h.buffer_callback, &fast)) {
    return nullptr;
  }
  h.write = opt(h.write);
  h.persistent_id = opt(h.persistent_id);
  h.reducer_override = opt(h.reducer_override);
  h.dispatch_table = opt(h.dispatch_table);
  h.buffer_callback = opt(h.buffer_callback);
  h.fast = fast != 0;
  Dumper* dumper = reinterpret_cast<PicklerStateObject*>(state)->dumper;
  return guarded([&] { return dumper->dump(obj, h).release(); });
}

PyObject* load(PyObject*, PyObject* args) {
  PyObject *state, *data, *unpickler;
  int proto = 0;
  if (!PyArg_ParseTuple(args, "O!O!O|i:_load", unpickler_state_type, &state, &PyBytes_Type, &data, &unpickler,
                        &proto)) {
    return nullptr;
  }
  Loader* loader = reinterpret_cast<UnpicklerStateObject*>(state)->loader;
  return guarded([&] { return loader->load(data, opt(unpickler), proto).release(); });
}

PyObject* set_memo(PyObject*, PyObject* args) {
  PyObject *state, *items;
  if (!PyArg_ParseTuple(args, "O!O!:_set_memo", unpickler_state_type, &state, &PyList_Type, &items)) return nullptr;
  Loader* loader = reinterpret_cast<UnpicklerStateObject*>(state)->loader;
  return guarded([&] {
    loader->set_memo(items);
    Py_RETURN_NONE;
  });
}

PyMethodDef module_methods[] = {
    {"_dump", dump, METH_VARARGS, "Pickler.dump through the library."},
    {"_load", load, METH_VARARGS, "Unpickler.load through the library."},
    {"_set_memo", set_memo, METH_VARARGS, "Unpickler.memo = {index: object}."},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "_pickle_cpp",
    "pickle's API with the pickle-cpp C++ library doing the loading and dumping.",
    -1,
    module_methods,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

PyObject* helper(PyObject* dict, const char* name) {
  PyObject* o = PyDict_GetItemString(dict, name);
  if (!o) PyErr_Format(PyExc_ImportError, "_pickle_cpp: the helpers define no %s", name);
  return o;
}

PyObject* init() {
  Ref module = Ref::check(PyModule_Create(&module_def));
  pickler_state_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&pickler_state_spec));
  if (!pickler_state_type) throw_pending();
  unpickler_state_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&unpickler_state_spec));
  if (!unpickler_state_type) throw_pending();
  check_status(PyModule_AddObjectRef(module.get(), "_PicklerState", reinterpret_cast<PyObject*>(pickler_state_type)));
  check_status(
      PyModule_AddObjectRef(module.get(), "_UnpicklerState", reinterpret_cast<PyObject*>(unpickler_state_type)));

  // The Python half runs in the module's own namespace.
  PyObject* dict = PyModule_GetDict(module.get());
  check_status(PyDict_SetItemString(dict, "__builtins__", PyEval_GetBuiltins()));
  Ref code = Ref::check(Py_CompileString(kHelpersSource, "pickle_cpp_helpers.py", Py_file_input));
  Ref done = Ref::check(PyEval_EvalCode(code.get(), dict, dict));

  struct Entry {
    PyObject** slot;
    const char* name;
  } entries[] = {
      {&H.library_error, "_library_error"},
      {&H.global_name, "_global_name"},
      {&H.reduce, "_reduce"},
      {&H.save_global, "_SAVE_GLOBAL"},
      {&H.load_global, "_load_global"},
      {&H.find_class, "_find_class"},
      {&H.complete, "_complete"},
      {&H.unpickling_error, "UnpicklingError"},
      {&H.pickling_error, "PicklingError"},
      {&H.copyreg, "copyreg"},
  };
  for (const Entry& e : entries) {
    *e.slot = helper(dict, e.name);
    if (!*e.slot) throw_pending();
  }
  H.reconstructor = PyObject_GetAttrString(H.copyreg, "_reconstructor");  // kept for the process
  if (!H.reconstructor) throw_pending();
  return module.release();
}

}  // namespace
}  // namespace pyext

PyMODINIT_FUNC PyInit__pickle_cpp(void) {
  return pyext::guarded([] { return pyext::init(); });
}
