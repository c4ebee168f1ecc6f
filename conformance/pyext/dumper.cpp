#include "dumper.h"

#include <cstdlib>
#include <string_view>

#include "builder.h"
#include "common.h"
#include "pickle/error.h"

namespace pyext {

using pickle::Kind;
using pickle::Value;

namespace {

/// The Python object a Native node stands for (kept alive by Dumper::by_obj_).
struct PyHandle {
  PyObject* obj;
};

/// One NativeClass per Python class name: the library reads an opaque node's class name
/// from it (type names in messages, NEWOBJ's class check, the module of a reduce string).
const pickle::NativeClass& native_class(std::string_view module, std::string_view qualname) {
  static std::map<std::pair<std::string, std::string>, std::unique_ptr<pickle::NativeClass>> classes;
  auto key = std::pair(std::string(module), std::string(qualname));
  auto it = classes.find(key);
  if (it == classes.end()) {
    auto cls = std::make_unique<pickle::NativeClass>(key.first, key.second, typeid(PyHandle));
    it = classes.emplace(std::move(key), std::move(cls)).first;
  }
  return *it->second;
}

/// The pending exception, normalised, to raise again later. Its tracebacks (and those of
/// the exceptions it chains to) are dropped: their frames would keep the Pickler alive
/// through this state, a cycle the garbage collector cannot see.
Ref fetch_error() {
  PyObject *type, *value, *tb;
  PyErr_Fetch(&type, &value, &tb);
  PyErr_NormalizeException(&type, &value, &tb);
  Py_XDECREF(type);
  Py_XDECREF(tb);
  Ref exc = Ref::steal(value);
  for (Ref e = exc; e && e.get() != Py_None; e = Ref::steal(PyException_GetContext(e.get()))) {
    PyException_SetTraceback(e.get(), Py_None);
    Ref cause = Ref::steal(PyException_GetCause(e.get()));
    if (cause && cause.get() != Py_None) PyException_SetTraceback(cause.get(), Py_None);
  }
  return exc;
}

[[noreturn]] void reraise(PyObject* exc) {
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc)), exc);
  throw_pending();
}

/// CPython's set iteration order depends on the process's hash seed.
std::uint32_t hash_seed() {
  const char* s = std::getenv("PYTHONHASHSEED");
  if (!s || !*s) return 0;
  char* end = nullptr;
  unsigned long v = std::strtoul(s, &end, 10);
  return *end ? 0 : static_cast<std::uint32_t>(v);
}

}  // namespace

// ---- copyreg's extension registry ----------------------------------------------------------

void ExtensionMirror::sync() {
  Ref table = Ref::check(PyObject_GetAttrString(H.copyreg, "_extension_registry"));
  std::map<std::pair<std::string, std::string>, std::int64_t> now;
  if (PyDict_Check(table.get())) {
    PyObject *key, *code;
    Py_ssize_t pos = 0;
    while (PyDict_Next(table.get(), &pos, &key, &code)) {
      if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 2 || !PyUnicode_Check(PyTuple_GET_ITEM(key, 0)) ||
          !PyUnicode_Check(PyTuple_GET_ITEM(key, 1)) || !PyLong_Check(code)) {
        continue;
      }
      long long c = PyLong_AsLongLong(code);
      if (c == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        continue;
      }
      now[{utf8_of(PyTuple_GET_ITEM(key, 0)), utf8_of(PyTuple_GET_ITEM(key, 1))}] = c;
    }
  }
  for (auto it = added_.begin(); it != added_.end();) {
    auto found = now.find(it->first);
    if (found == now.end() || found->second != it->second) {
      registry_.remove(it->first.first, it->first.second, it->second);
      it = added_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [key, code] : now) {
    if (added_.count(key)) continue;
    try {
      registry_.add(key.first, key.second, code);
      added_[key] = code;
    } catch (const pickle::Error&) {
      // An entry copyreg.add_extension would have refused: leave it out.
    }
  }
}

// ---- setup --------------------------------------------------------------------------------------

void Dumper::PySink::write(std::span<const std::uint8_t> data) {
  if (!target) {
    out.append(reinterpret_cast<const char*>(data.data()), data.size());
    return;
  }
  Ref chunk = Ref::check(
      PyBytes_FromStringAndSize(reinterpret_cast<const char*>(data.data()), static_cast<Py_ssize_t>(data.size())));
  Ref r = Ref::check(PyObject_CallOneArg(target, chunk.get()));
}

Dumper::Dumper(int protocol, bool fix_imports, bool buffer_callback)
    : proto_(protocol < 0 ? 5 : protocol), fix_imports_(fix_imports), has_buffer_callback_(buffer_callback) {
  make_pickler();
}

Dumper::~Dumper() {
  pickler_.reset();
  reset();
}

void Dumper::make_pickler() {
  pickle::PicklerOptions o;
  o.protocol = proto_;
  o.fix_imports = fix_imports_;
  o.fast = fast_;
  o.persistent_id = [this](Value v) { return persistent_id(v); };
  if (has_buffer_callback_) o.buffer_callback = [this](Value v) { return buffer_callback(v); };
  o.extensions = extensions_.registry();
  o.reducer_override = [this](pickle::Graph&, Value v) { return reduce(v); };
  o.hash_seed = hash_seed();
  pickler_ = std::make_unique<pickle::Pickler>(sink_, std::move(o));
}

void Dumper::reset() {
  graph_ = pickle::Graph();
  by_node_.clear();
  pending_errors_.clear();
  buffer_errors_.clear();
  fill_.clear();
  for (Py_buffer& view : views_) PyBuffer_Release(&view);
  views_.clear();
  auto objects = std::move(by_obj_);
  by_obj_.clear();
  for (auto& [o, v] : objects) Py_DECREF(o);
}

void Dumper::clear_memo() {
  pickler_->clear_memo();
  reset();
}

Ref Dumper::dump(PyObject* obj, const DumpHooks& hooks) {
  if (busy_) raise(PyExc_RuntimeError, "pickle_cpp: Pickler.dump() called again while it runs");
  busy_ = true;
  hooks_ = hooks;
  struct Done {
    Dumper* d;
    ~Done() {
      d->busy_ = false;
      d->hooks_ = DumpHooks{};
      d->sink_.target = nullptr;
    }
  } done{this};
  if (hooks.fast != fast_) {
    fast_ = hooks.fast;
    pickler_.reset();
    reset();
    make_pickler();
  } else if (fast_) {
    reset();  // no memo: nothing converted for a previous dump may be reused
  }
  extensions_.sync();
  sink_.target = hooks.write;
  sink_.out.clear();
  Value root = convert(obj);
  pickler_->dump(root);
  if (hooks.write) return Ref::borrow(Py_None);
  return Ref::check(PyBytes_FromStringAndSize(sink_.out.data(), static_cast<Py_ssize_t>(sink_.out.size())));
}

// ---- Python objects -> values ----------------------------------------------------------------

void Dumper::remember(PyObject* o, Value v) {
  Py_INCREF(o);
  by_obj_.emplace(o, v);
  if (v.node()) by_node_.emplace(v.node(), o);
}

PyObject* Dumper::lookup(Value v) const {
  if (!v.node()) return nullptr;
  auto it = by_node_.find(v.node());
  return it == by_node_.end() ? nullptr : it->second;
}

Value Dumper::convert(PyObject* o) {
  Value v = shallow(o);
  drain();
  return v;
}

Value Dumper::shallow(PyObject* root) {
  if (std::optional<Value> v = leaf(root)) return *v;
  // Tuples and frozensets are made after their items: an explicit stack of them.
  struct Frame {
    PyObject* o;
    Ref items;  // a list snapshot of a frozenset
    Py_ssize_t next = 0;
    std::vector<Value> values;
  };
  auto frame = [](PyObject* o) {
    Frame f{o, Ref(), 0, {}};
    if (PyFrozenSet_Check(o)) f.items = Ref::check(PySequence_List(o));
    return f;
  };
  std::vector<Frame> stack;
  stack.push_back(frame(root));
  Value result;
  while (!stack.empty()) {
    Frame& f = stack.back();
    PyObject* seq = f.items ? f.items.get() : f.o;
    Py_ssize_t n = f.items ? PyList_GET_SIZE(seq) : PyTuple_GET_SIZE(seq);
    if (f.next < n) {
      PyObject* child = f.items ? PyList_GET_ITEM(seq, f.next) : PyTuple_GET_ITEM(seq, f.next);
      if (std::optional<Value> v = leaf(child)) {
        f.values.push_back(*v);
        ++f.next;
      } else {
        stack.push_back(frame(child));
      }
      continue;
    }
    Value v;
    if (f.items) {
      v = graph_.new_frozenset();
      for (Value item : f.values) v.as_set().add(graph_, item);
    } else {
      v = graph_.new_tuple(f.values);
    }
    remember(f.o, v);
    stack.pop_back();
    if (stack.empty()) {
      result = v;
    } else {
      stack.back().values.push_back(v);
      ++stack.back().next;
    }
  }
  return result;
}

void Dumper::drain() {
  // Lists, dicts and sets were created empty (so that cycles through them close); their
  // items are converted here, from snapshots, since conversion may run Python code.
  while (!fill_.empty()) {
    PyObject* o = fill_.back();
    fill_.pop_back();
    Value v = by_obj_.at(o);
    if (PyList_CheckExact(o)) {
      Ref items = Ref::check(PySequence_List(o));
      v.as_list().reserve(graph_, static_cast<std::size_t>(PyList_GET_SIZE(items.get())));
      for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items.get()); ++i) {
        v.as_list().append(graph_, shallow(PyList_GET_ITEM(items.get(), i)));
      }
    } else if (PyDict_CheckExact(o)) {
      Ref items = Ref::check(PyDict_Items(o));
      for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items.get()); ++i) {
        PyObject* pair = PyList_GET_ITEM(items.get(), i);
        Value key = shallow(PyTuple_GET_ITEM(pair, 0));
        Value value = shallow(PyTuple_GET_ITEM(pair, 1));
        v.as_dict().set(graph_, key, value);
      }
    } else {
      Ref items = Ref::check(PySequence_List(o));
      for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items.get()); ++i) {
        v.as_set().add(graph_, shallow(PyList_GET_ITEM(items.get(), i)));
      }
    }
  }
}

std::optional<Value> Dumper::leaf(PyObject* o) {
  if (o == Py_None) return Value();
  if (o == Py_True) return Value::boolean(true);
  if (o == Py_False) return Value::boolean(false);
  PyTypeObject* t = Py_TYPE(o);
  if (t == &PyFloat_Type) return Value::floating(PyFloat_AS_DOUBLE(o));
  if (t == &PyLong_Type) {
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (!overflow) {
      if (x == -1 && PyErr_Occurred()) throw_pending();
      return Value::integer(x);
    }
  }
  if (auto it = by_obj_.find(o); it != by_obj_.end()) return it->second;
  Value v;
  if (t == &PyLong_Type) {
    v = big_int(o);
  } else if (t == &PyUnicode_Type) {
    v = str(o);
  } else if (t == &PyBytes_Type) {
    auto data = std::span(reinterpret_cast<const std::uint8_t*>(PyBytes_AS_STRING(o)),
                          static_cast<std::size_t>(PyBytes_GET_SIZE(o)));
    if (data.size() == 1 && Ref::check(PyBytes_FromStringAndSize(PyBytes_AS_STRING(o), 1)).get() == o) {
      v = graph_.shared_or_new_bytes(data);  // CPython's cached one-byte bytes (see str())
    } else {
      // Immutable and kept alive by by_obj_: the graph can view its memory.
      v = graph_.new_bytes_view(data);
    }
  } else if (t == &PyByteArray_Type) {
    v = graph_.new_bytearray(std::span(reinterpret_cast<const std::uint8_t*>(PyByteArray_AS_STRING(o)),
                                       static_cast<std::size_t>(PyByteArray_GET_SIZE(o))));
  } else if (t == &PyList_Type) {
    v = graph_.new_list();
    fill_.push_back(o);
  } else if (t == &PyDict_Type) {
    v = graph_.new_dict();
    fill_.push_back(o);
  } else if (t == &PySet_Type) {
    v = graph_.new_set();
    fill_.push_back(o);
  } else if (t == &PyTuple_Type) {
    if (PyTuple_GET_SIZE(o) != 0) return std::nullopt;
    v = graph_.new_tuple({});
  } else if (t == &PyFrozenSet_Type) {
    if (PySet_GET_SIZE(o) != 0) return std::nullopt;
    v = graph_.new_frozenset();
  } else if (PyPickleBuffer_Check(o)) {
    v = buffer(o);
  } else if (PyType_Check(o) || t == &PyFunction_Type) {
    v = named(o);
  } else if (std::optional<Value> g = module_function(o)) {
    v = *g;
  } else {
    v = instance(o);
  }
  remember(o, v);
  return v;
}

Value Dumper::big_int(PyObject* o) {
  std::size_t bits = _PyLong_NumBits(o);
  if (bits == static_cast<std::size_t>(-1) && PyErr_Occurred()) throw_pending();
  std::vector<std::uint8_t> bytes(bits / 8 + 1);
  check_status(_PyLong_AsByteArray(reinterpret_cast<PyLongObject*>(o), bytes.data(), bytes.size(),
                                   /*little_endian=*/1, /*is_signed=*/1));
  return graph_.new_int_from_bytes(bytes);
}

Value Dumper::str(PyObject* o) {
  // CPython caches the one-character Latin-1 strs: the one the library makes when it
  // decodes (for _codecs.encode below protocol 3) is the same object as the user's,
  // and shares its memo entry. The library keys its own such strs by value; the user's
  // get that key when they are CPython's cached objects.
  if (PyUnicode_GET_LENGTH(o) == 1 && PyUnicode_READ_CHAR(o, 0) < 256 &&
      Ref::check(PyUnicode_FromOrdinal(static_cast<int>(PyUnicode_READ_CHAR(o, 0)))).get() == o) {
    return graph_.shared_or_new_str(utf8_of(o));
  }
  Py_ssize_t n = 0;
  if (const char* s = PyUnicode_AsUTF8AndSize(o, &n)) {
    // The UTF-8 is cached in the str object, which by_obj_ keeps alive.
    return graph_.new_str_view(std::string_view(s, static_cast<std::size_t>(n)));
  }
  PyErr_Clear();  // lone surrogates
  return graph_.new_str(utf8_of(o));
}

Value Dumper::buffer(PyObject* o) {
  Py_buffer view;
  check_status(PyObject_GetBuffer(o, &view, PyBUF_FULL_RO));
  if (view.suboffsets || !PyBuffer_IsContiguous(&view, 'A')) {
    // save_picklebuffer refuses it when it gets there.
    PyBuffer_Release(&view);
    Value v = graph_.new_native<PyHandle>(native_class("pickle", "PickleBuffer"), PyHandle{o});
    buffer_errors_.emplace(v.node(), 0);
    return v;
  }
  views_.push_back(view);
  return graph_.new_buffer(std::span(static_cast<const std::uint8_t*>(view.buf), static_cast<std::size_t>(view.len)),
                           view.readonly != 0);
}

Value Dumper::named(PyObject* o) {
  // save_type writes the three singleton types as type(None), type(...), type(NotImplemented).
  if (o == reinterpret_cast<PyObject*>(Py_TYPE(Py_None))) return graph_.global("builtins", "NoneType");
  if (o == reinterpret_cast<PyObject*>(Py_TYPE(Py_Ellipsis))) return graph_.global("builtins", "ellipsis");
  if (o == reinterpret_cast<PyObject*>(Py_TYPE(Py_NotImplemented))) {
    return graph_.global("builtins", "NotImplementedType");
  }
  Ref names = Ref::steal(PyObject_CallOneArg(H.global_name, o));
  if (!names) return placeholder(o, fetch_error());
  PyObject* module = PyTuple_GET_ITEM(names.get(), 0);
  PyObject* qualname = PyTuple_GET_ITEM(names.get(), 1);
  if (!PyUnicode_Check(module) || !PyUnicode_Check(qualname)) {
    PyErr_Format(PyExc_TypeError, "pickle_cpp: module and name of %R are not str", o);
    return placeholder(o, fetch_error());
  }
  return graph_.global(utf8_of(module), utf8_of(qualname));
}

std::optional<Value> Dumper::module_function(PyObject* o) {
  // A function written in C and bound to its module (len, getattr, math.log) is pickled
  // by name, as a class is; as a global its memo entry is the one the library uses for
  // the same name (its own getattr, set, _codecs.encode, ...), one object in CPython.
  // Methods bound to other objects reduce to getattr(obj, name): not names.
  if (!PyCFunction_Check(o)) return std::nullopt;
  PyObject* self = PyCFunction_GET_SELF(o);
  if (self && !PyModule_Check(self)) return std::nullopt;
  Ref names = Ref::steal(PyObject_CallOneArg(H.global_name, o));
  if (!names || !PyUnicode_Check(PyTuple_GET_ITEM(names.get(), 0))) {
    PyErr_Clear();  // not reachable by its name: an opaque callable, see instance()
    return std::nullopt;
  }
  return graph_.global(utf8_of(PyTuple_GET_ITEM(names.get(), 0)), utf8_of(PyTuple_GET_ITEM(names.get(), 1)));
}

Value Dumper::placeholder(PyObject* o, Ref error) {
  // A class or function CPython cannot pickle by name: a unique name keeps it apart from
  // every other global, and the error is raised if it comes to be written by name. The
  // last component is its own name, which the library reads (__name__).
  std::string name = "?";
  Ref qualname = Ref::steal(PyObject_GetAttrString(o, "__qualname__"));
  if (!qualname) {
    PyErr_Clear();
    qualname = Ref::steal(PyObject_GetAttrString(o, "__name__"));
  }
  if (qualname && PyUnicode_Check(qualname.get())) name = utf8_of(qualname.get());
  PyErr_Clear();
  Value v = graph_.global("<pickle_cpp>", "#" + std::to_string(++placeholders_) + "." + name);
  pending_errors_.emplace(v.node(), std::move(error));
  return v;
}

Value Dumper::class_of(PyObject* o) {
  // obj.__class__, as CPython's NEWOBJ check reads it (a weakref proxy passes as its
  // referent's class).
  Ref cls = Ref::steal(PyObject_GetAttrString(o, "__class__"));
  if (!cls || !PyType_Check(cls.get())) {
    PyErr_Clear();
    cls = Ref::borrow(reinterpret_cast<PyObject*>(Py_TYPE(o)));
  }
  return shallow(cls.get());
}

Value Dumper::instance(PyObject* o) {
  Value cls = class_of(o);
  const pickle::Global& g = cls.as_global();
  // The library names the module of a reduce string after the object's class; CPython's
  // whichmodule reads obj.__module__ (math.log is a builtin_function_or_method of
  // module math). A Native's class name is also what NEWOBJ's class check compares
  // with the class global, so it stays the class's own when that cannot be pickled.
  std::string module(g.module());
  bool callable = PyCallable_Check(o);
  if (callable || !pending_errors_.count(cls.node())) {
    Ref m = Ref::steal(PyObject_GetAttrString(o, "__module__"));
    if (m && PyUnicode_Check(m.get())) {
      module = utf8_of(m.get());
    } else {
      PyErr_Clear();
    }
  }
  if (callable) {
    // The library takes a Native for something that cannot be called; an inert Object
    // stands for a callable one (a builtin function, a bound method, a partial, ...).
    return graph_.new_object(pickle::Object::How::Reduce, graph_.global(module, g.qualname()), graph_.empty_tuple());
  }
  return graph_.new_native<PyHandle>(native_class(module, g.qualname()), PyHandle{o});
}

Value Dumper::iterator(PyObject* it) {
  // The fourth and fifth items of a reduce value: exhausted now, handed over as an
  // iterator over their items.
  Ref items = Ref::check(PySequence_List(it));
  Value list = graph_.new_list();
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items.get()); ++i) {
    list.as_list().append(graph_, convert(PyList_GET_ITEM(items.get(), i)));
  }
  return graph_.new_iterator(list);
}

Ref Dumper::to_python(Value v) {
  if (!v.is_node()) return immediate(v);
  if (PyObject* o = lookup(v)) return Ref::borrow(o);
  // A value the library made while writing (an argument tuple, a global it names).
  Builder builder([this](Value n) { return lookup(n); });
  return builder.build(v);
}

// ---- library callbacks -------------------------------------------------------------------------

std::optional<Value> Dumper::reduce(Value v) {
  PyObject* o = lookup(v);
  if (!o) {
    // A global the library made itself; CPython offers those to reducer_override too.
    if (!hooks_.reducer_override || !v.is_global()) return std::nullopt;
    Ref obj = to_python(v);
    Ref rv = Ref::check(PyObject_CallOneArg(hooks_.reducer_override, obj.get()));
    if (rv.get() == Py_NotImplemented) return std::nullopt;
    return reduce_value(rv.get(), obj.get(), v);
  }
  if (buffer_errors_.count(v.node())) {
    // save_picklebuffer's checks (before any reducer is asked).
    raise(H.pickling_error, proto_ < 5 ? "PickleBuffer can only pickled with protocol >= 5"
                                       : "PickleBuffer can not be pickled when pointing to a non-contiguous buffer");
  }
  Ref proto = Ref::check(PyLong_FromLong(proto_));
  PyObject* override_ = hooks_.reducer_override ? hooks_.reducer_override : Py_None;
  PyObject* table = hooks_.dispatch_table ? hooks_.dispatch_table : Py_None;
  Ref rv = Ref::check(PyObject_CallFunctionObjArgs(H.reduce, o, proto.get(), override_, table,
                                                   v.is_global() ? Py_True : Py_False, nullptr));
  if (rv.get() == H.save_global) {
    if (auto it = pending_errors_.find(v.node()); it != pending_errors_.end()) reraise(it->second.get());
    return std::nullopt;
  }
  return reduce_value(rv.get(), o, v);
}

std::optional<Value> Dumper::reduce_value(PyObject* rv, PyObject* o, Value v) {
  if (PyUnicode_Check(rv)) {
    // save_global(obj, name), with its checks.
    Ref names = Ref::check(PyObject_CallFunctionObjArgs(H.global_name, o, rv, nullptr));
    std::string module = utf8_of(PyTuple_GET_ITEM(names.get(), 0));
    std::string name = utf8_of(PyTuple_GET_ITEM(names.get(), 1));
    if (v.is_global()) {
      const pickle::Global& g = v.as_global();
      if (module == g.module() && name == g.qualname()) return std::nullopt;
    } else if (auto cls = pickle::class_name_of(v); cls && cls->first == module) {
      return graph_.new_str(name);  // the library writes module.name, module from the class
    }
    raise(PyExc_NotImplementedError,
          "pickle_cpp: cannot write " + module + "." + name + " as the global an object reduced to");
  }
  if (PyTuple_Check(rv)) {
    std::vector<Value> items;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(rv); ++i) {
      PyObject* item = PyTuple_GET_ITEM(rv, i);
      if ((i == 3 || i == 4) && item != Py_None && PyIter_Check(item)) {
        items.push_back(iterator(item));
      } else {
        items.push_back(convert(item));
      }
    }
    return graph_.new_tuple(items);
  }
  return convert(rv);  // not a str or tuple: the library raises CPython's PicklingError
}

std::optional<Value> Dumper::persistent_id(Value v) {
  if (!hooks_.persistent_id) return std::nullopt;
  Ref o = to_python(v);
  Ref pid = Ref::check(PyObject_CallOneArg(hooks_.persistent_id, o.get()));
  if (pid.get() == Py_None) return std::nullopt;
  return convert(pid.get());
}

bool Dumper::buffer_callback(Value v) {
  if (!hooks_.buffer_callback) return true;
  Ref o = to_python(v);
  Ref r = Ref::check(PyObject_CallOneArg(hooks_.buffer_callback, o.get()));
  return check_status(PyObject_IsTrue(r.get())) != 0;
}

}  // namespace pyext
