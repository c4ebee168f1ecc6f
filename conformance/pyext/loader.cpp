#include "loader.h"

#include "common.h"

namespace pyext {

using pickle::Value;

Loader::Loader(bool fix_imports, std::string encoding, std::string errors, PyObject* buffers)
    : builder_([this](const pickle::Buffer& b) { return resolve_buffer(b); }) {
  pickle::UnpicklerOptions o;
  o.fix_imports = fix_imports;
  o.encoding = std::move(encoding);
  o.errors = std::move(errors);
  o.find_class = [this](pickle::Graph& g, std::string_view module, std::string_view name) {
    return find_class(g, module, name);
  };
  o.persistent_load = [this](pickle::Graph& g, Value pid) { return persistent_load(g, pid); };
  o.extensions = extensions_.registry();
  if (buffers && buffers != Py_None) {
    // CPython pushes each buffer object itself for NEXT_BUFFER; the library records a
    // Buffer node over its memory, which resolve_buffer() maps back to the object.
    Py_ssize_t n = PyList_GET_SIZE(buffers);
    stand_ins_ = std::make_unique<char[]>(static_cast<std::size_t>(n) + 1);
    o.buffers.emplace();
    for (Py_ssize_t i = 0; i < n; ++i) {
      PyObject* item = PyList_GET_ITEM(buffers, i);
      Py_buffer view;
      OutOfBand b{Ref::borrow(item), &stand_ins_[static_cast<std::size_t>(i)], 0, false};
      if (PyObject_GetBuffer(item, &view, PyBUF_FULL_RO) == 0) {
        views_.push_back(view);
        b.data = view.buf;
        b.size = static_cast<std::size_t>(view.len);
        b.readonly = view.readonly != 0;
      } else {
        PyErr_Clear();  // not a buffer: READONLY_BUFFER on it raises as in CPython
      }
      o.buffers->push_back(
          pickle::OutOfBandBuffer{std::span(static_cast<const std::uint8_t*>(b.data), b.size), b.readonly});
      buffers_.push_back(std::move(b));
    }
  }
  unpickler_ = std::make_unique<pickle::Unpickler>(std::move(o));
}

Loader::~Loader() {
  builder_.clear();
  unpickler_.reset();
  for (Py_buffer& view : views_) PyBuffer_Release(&view);
}

Ref Loader::load(PyObject* data, PyObject* unpickler, int proto) {
  if (busy_) raise(PyExc_RuntimeError, "pickle_cpp: Unpickler.load() called again while it runs");
  busy_ = true;
  self_ = unpickler;
  proto_ = proto;
  struct Done {
    Loader* l;
    ~Done() {
      l->busy_ = false;
      l->self_ = nullptr;
    }
  } done{this};
  extensions_.sync();
  char* bytes = nullptr;
  Py_ssize_t size = 0;
  check_status(PyBytes_AsStringAndSize(data, &bytes, &size));
  unpickler_->set_input(std::string_view(bytes, static_cast<std::size_t>(size)));
  Value v = unpickler_->load(graph_);
  auto used = static_cast<Py_ssize_t>(unpickler_->position());
  Ref obj = builder_.build(v);
  return Ref::check(Py_BuildValue("(On)", obj.get(), used));
}

Value Loader::find_class(pickle::Graph& g, std::string_view module, std::string_view name) {
  Ref m = to_py_str(module);
  Ref n = to_py_str(name);
  Ref obj;
  if (self_) {
    obj = Ref::check(PyObject_CallMethod(self_, "find_class", "OO", m.get(), n.get()));
  } else {
    Ref proto = Ref::check(PyLong_FromLong(proto_));
    obj = Ref::check(PyObject_CallFunctionObjArgs(H.find_class, m.get(), n.get(), proto.get(), nullptr));
  }
  return foreign(g, obj.get(), g.global(module, name));
}

void Loader::set_memo(PyObject* items) {
  // The library has no call to put a value in its memo, but its memo outlives a load
  // into the same graph, as an Unpickler's does: loading a pickle that puts object i at
  // index k (PERSID i, PUT k, POP for each) leaves the memo as asked.
  if (busy_) raise(PyExc_RuntimeError, "pickle_cpp: Unpickler.memo set while load() runs");
  std::string pickle;
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); ++i) {
    PyObject* index = PyTuple_GET_ITEM(PyList_GET_ITEM(items, i), 0);
    Ref text = Ref::check(PyObject_Str(index));
    pickle += "I" + std::to_string(i) + "\nQp" + utf8_of(text.get()) + "\n0";
  }
  pickle += "N.";
  busy_ = true;
  seeding_ = items;
  struct Done {
    Loader* l;
    ~Done() {
      l->busy_ = false;
      l->seeding_ = nullptr;
    }
  } done{this};
  unpickler_->clear_memo();
  unpickler_->set_input(pickle);
  unpickler_->load(graph_);
}

Value Loader::persistent_load(pickle::Graph& g, Value pid) {
  if (seeding_) {
    PyObject* obj = PyTuple_GET_ITEM(PyList_GET_ITEM(seeding_, static_cast<Py_ssize_t>(pid.as_int())), 1);
    return foreign(g, obj, Value());
  }
  Ref func;
  if (self_) {
    func = Ref::steal(PyObject_GetAttrString(self_, "persistent_load"));
    if (!func) {
      if (!PyErr_ExceptionMatches(PyExc_AttributeError)) throw_pending();
      PyErr_Clear();
    }
  }
  if (!func) {
    raise(H.unpickling_error,
          "A load persistent id instruction was encountered,\n"
          "but no persistent_load function was specified.");
  }
  Ref p = builder_.build(pid);
  Ref obj = Ref::check(PyObject_CallOneArg(func.get(), p.get()));
  return foreign(g, obj.get(), Value());
}

Value Loader::foreign(pickle::Graph& g, PyObject* obj, Value natural, int depth) {
  // A Python object handed to the library: plain data as values (so that the library's
  // checks see an int where CPython sees one), classes and functions as globals, and
  // anything else as an opaque node. The builder gives back `obj` for the node.
  PyTypeObject* t = Py_TYPE(obj);
  if (obj == Py_None) return Value();
  if (obj == Py_True || obj == Py_False) return Value::boolean(obj == Py_True);
  if (t == &PyFloat_Type) return Value::floating(PyFloat_AS_DOUBLE(obj));
  Value v;
  if (t == &PyLong_Type) {
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(obj, &overflow);
    if (!overflow) {
      if (x == -1 && PyErr_Occurred()) throw_pending();
      return Value::integer(x);
    }
    v = g.new_persistent_id(Value());  // a big int: opaque is enough
  } else if (t == &PyUnicode_Type) {
    v = g.new_str(utf8_of(obj));
  } else if (t == &PyBytes_Type) {
    v = g.new_bytes(std::string_view(PyBytes_AS_STRING(obj), static_cast<std::size_t>(PyBytes_GET_SIZE(obj))));
  } else if (t == &PyTuple_Type && depth < 100) {
    // A tuple stays one (REDUCE takes its arguments from it); its items in turn.
    std::vector<Value> items;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(obj); ++i) {
      items.push_back(foreign(g, PyTuple_GET_ITEM(obj, i), Value(), depth + 1));
    }
    v = g.new_tuple(items);
  } else if (PyType_Check(obj) || PyCallable_Check(obj)) {
    if (natural.is_global()) {
      PyObject* known = builder_.find(natural);
      if (known == obj) return natural;
      using B = pickle::Global::Builtin;
      // copyreg._reconstructor(cls, object, None) is recorded as a NewObj, like NEWOBJ,
      // but makes the instance with object.__new__(cls), never cls.__new__: the builder
      // needs the call itself, so the library gets an unknown global and records it.
      bool usable = !known && natural.as_global().builtin() != B::Reconstructor;
      if (usable && natural.as_global().builtin() != B::Unknown) {
        // The library evaluates this name itself (set, bytes, copyreg._reconstructor, ...):
        // only right when the object is the one the name stands for.
        Ref module = to_py_str(natural.as_global().module());
        Ref qualname = to_py_str(natural.as_global().qualname());
        Ref real = Ref::steal(PyObject_CallFunctionObjArgs(H.load_global, module.get(), qualname.get(), nullptr));
        if (!real) PyErr_Clear();
        usable = real.get() == obj;
      }
      if (usable) {
        builder_.adopt(natural, obj);
        return natural;
      }
    }
    // A callable under no usable name: a global of its own, which the library treats as
    // an unknown class (it records calls and instances without evaluating them).
    v = g.global("<pickle_cpp>", "#" + std::to_string(++placeholders_));
  } else {
    v = g.new_persistent_id(Value());
  }
  builder_.adopt(v, obj);
  return v;
}

Ref Loader::resolve_buffer(const pickle::Buffer& b) {
  const void* data = b.view().data();
  for (const OutOfBand& oob : buffers_) {
    if (oob.data != data || oob.size != b.view().size()) continue;
    if (b.readonly() && !oob.readonly) {
      // READONLY_BUFFER on a writable buffer: a read-only memoryview of it.
      Ref view = Ref::check(PyMemoryView_FromObject(oob.obj.get()));
      return Ref::check(PyObject_CallMethod(view.get(), "toreadonly", nullptr));
    }
    return oob.obj;
  }
  // READONLY_BUFFER on an in-band bytearray: a read-only view of a bytearray.
  Ref bytes = Ref::check(
      PyByteArray_FromStringAndSize(static_cast<const char*>(data), static_cast<Py_ssize_t>(b.view().size())));
  if (!b.readonly()) return bytes;
  Ref view = Ref::check(PyMemoryView_FromObject(bytes.get()));
  return Ref::check(PyObject_CallMethod(view.get(), "toreadonly", nullptr));
}

}  // namespace pyext
