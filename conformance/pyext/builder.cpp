#include "builder.h"

#include <string>

#include "common.h"

namespace pyext {

using pickle::Kind;
using pickle::Value;

Ref immediate(Value v) {
  switch (v.kind()) {
    case Kind::None: return Ref::borrow(Py_None);
    case Kind::Bool: return Ref::borrow(v.as_bool() ? Py_True : Py_False);
    case Kind::Int: return Ref::check(PyLong_FromLongLong(v.as_int()));
    case Kind::Float: return Ref::check(PyFloat_FromDouble(v.as_float()));
    default: raise(PyExc_SystemError, "pickle_cpp: not an immediate value");
  }
}

namespace {

Ref big_int(const pickle::BigInt& b) {
  std::string bytes;
  for (std::uint32_t limb : b.magnitude()) {
    for (int i = 0; i < 4; ++i) bytes += static_cast<char>((limb >> (8 * i)) & 0xff);
  }
  Ref mag = Ref::check(_PyLong_FromByteArray(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                                             /*little_endian=*/1, /*is_signed=*/0));
  return b.negative() ? Ref::check(PyNumber_Negative(mag.get())) : mag;
}

Ref list_of(const std::vector<Ref>& items, std::size_t begin, std::size_t n) {
  Ref list = Ref::check(PyList_New(static_cast<Py_ssize_t>(n)));
  for (std::size_t i = 0; i < n; ++i) {
    PyObject* item = items[begin + i].get();
    Py_INCREF(item);
    PyList_SET_ITEM(list.get(), static_cast<Py_ssize_t>(i), item);
  }
  return list;
}

}  // namespace

Builder::~Builder() { clear(); }

void Builder::clear() {
  for (auto& [node, info] : info_) Py_XDECREF(info.obj);
  info_.clear();
  deferred_.clear();
}

void Builder::adopt(Value v, PyObject* obj) {
  Info& info = info_[v.node()];
  if (info.obj) return;  // interned nodes (globals) keep their first object
  Py_INCREF(obj);
  info.obj = obj;
  info.st = St::Done;
}

PyObject* Builder::find(Value v) const {
  auto it = info_.find(v.node());
  return it == info_.end() ? nullptr : it->second.obj;
}

bool Builder::needs_create_frame(Value v) {
  return v.kind() == Kind::Tuple || v.kind() == Kind::FrozenSet || v.kind() == Kind::Object;
}

bool Builder::needs_completion(Value v) {
  switch (v.kind()) {
    case Kind::List:
    case Kind::Dict:
    case Kind::Set: return true;
    case Kind::Object: {
      const pickle::Object& o = v.as_object();
      return o.has_state() || !o.list_items().empty() || !o.dict_items().empty() || !o.set_items().empty();
    }
    default: return false;
  }
}

Builder::Frame Builder::create_frame(Value v) {
  Frame f{Frame::Create, v, {}, 0, {}};
  switch (v.kind()) {
    case Kind::Tuple: f.children.assign(v.as_tuple().begin(), v.as_tuple().end()); break;
    case Kind::FrozenSet:
      for (Value item : v.as_set()) f.children.push_back(item);
      break;
    case Kind::Object: {
      const pickle::Object& o = v.as_object();
      f.children = {o.callable(), o.args()};
      if (o.how() == pickle::Object::How::NewObj) f.children.push_back(o.kwargs());
      break;
    }
    default: break;
  }
  return f;
}

Builder::Frame Builder::complete_frame(Value v) {
  Frame f{Frame::Complete, v, {}, 0, {}};
  switch (v.kind()) {
    case Kind::List: f.children.assign(v.as_list().begin(), v.as_list().end()); break;
    case Kind::Dict:
      for (const pickle::Dict::Entry& e : v.as_dict()) {
        f.children.push_back(e.key);
        f.children.push_back(e.value);
      }
      break;
    case Kind::Set:
      for (Value item : v.as_set()) f.children.push_back(item);
      break;
    case Kind::Object: {
      // CPython's pickler writes list items, then dict items, then the state.
      const pickle::Object& o = v.as_object();
      f.children.assign(o.list_items().begin(), o.list_items().end());
      for (const pickle::Dict::Entry& e : o.dict_items()) {
        f.children.push_back(e.key);
        f.children.push_back(e.value);
      }
      f.children.insert(f.children.end(), o.set_items().begin(), o.set_items().end());
      if (o.has_state()) {
        f.children.push_back(o.state());
        f.children.push_back(o.state_setter());
      }
      break;
    }
    default: break;
  }
  return f;
}

bool Builder::create_leaf(Value v, Info& info) {
  Ref obj;
  switch (v.kind()) {
    case Kind::Int: obj = big_int(v.as_bigint()); break;
    case Kind::Complex: obj = Ref::check(PyComplex_FromDoubles(v.as_complex().real(), v.as_complex().imag())); break;
    case Kind::Str: obj = to_py_str(v.as_str().utf8()); break;
    case Kind::Bytes: {
      std::string_view b = v.as_bytes().chars();
      obj = Ref::check(PyBytes_FromStringAndSize(b.data(), static_cast<Py_ssize_t>(b.size())));
      break;
    }
    case Kind::ByteArray: {
      std::string_view b = v.as_bytes().chars();
      obj = Ref::check(PyByteArray_FromStringAndSize(b.data(), static_cast<Py_ssize_t>(b.size())));
      break;
    }
    case Kind::List: obj = Ref::check(PyList_New(0)); break;
    case Kind::Dict: obj = Ref::check(PyDict_New()); break;
    case Kind::Set: obj = Ref::check(PySet_New(nullptr)); break;
    case Kind::Global: {
      // A global the library named itself (getattr on a class, type(None), ...); those
      // that went through find_class were adopted when they were found.
      const pickle::Global& g = v.as_global();
      Ref module = to_py_str(g.module());
      Ref qualname = to_py_str(g.qualname());
      obj = Ref::check(PyObject_CallFunctionObjArgs(H.load_global, module.get(), qualname.get(), nullptr));
      break;
    }
    case Kind::Buffer:
      if (!buffers_) raise(PyExc_SystemError, "pickle_cpp: a buffer outside a load");
      obj = buffers_(v.as_buffer());
      break;
    default:
      raise(PyExc_SystemError,
            "pickle_cpp: unexpected " + std::string(pickle::kind_type_name(v.kind())) + " node in a loaded graph");
  }
  info.obj = obj.release();
  bool fill = needs_completion(v);
  info.st = fill ? St::Created : St::Done;
  return fill;
}

Ref Builder::create_from(const Frame& f) {
  const std::vector<Ref>& got = f.got;
  switch (f.v.kind()) {
    case Kind::Tuple: {
      Ref t = Ref::check(PyTuple_New(static_cast<Py_ssize_t>(got.size())));
      for (std::size_t i = 0; i < got.size(); ++i) {
        Py_INCREF(got[i].get());
        PyTuple_SET_ITEM(t.get(), static_cast<Py_ssize_t>(i), got[i].get());
      }
      return t;
    }
    case Kind::FrozenSet: {
      Ref items = list_of(got, 0, got.size());
      return Ref::check(PyFrozenSet_New(items.get()));
    }
    case Kind::Object: {
      const pickle::Object& o = f.v.as_object();
      switch (o.how()) {
        case pickle::Object::How::Reduce: return Ref::check(PyObject_CallObject(got[0].get(), got[1].get()));
        case pickle::Object::How::NewObj: {
          // load_newobj: cls.__new__ through the type slot, with the C unpickler's checks.
          PyObject* cls = got[0].get();
          if (!PyType_Check(cls)) {
            raise(H.unpickling_error,
                  std::string("NEWOBJ class argument must be a type, not ") + Py_TYPE(cls)->tp_name);
          }
          auto* type = reinterpret_cast<PyTypeObject*>(cls);
          if (!type->tp_new) {
            raise(H.unpickling_error,
                  std::string("NEWOBJ class argument '") + type->tp_name + "' doesn't have __new__");
          }
          PyObject* kwargs = got[2].get() == Py_None ? nullptr : got[2].get();
          return Ref::check(type->tp_new(type, got[1].get(), kwargs));
        }
        case pickle::Object::How::Reconstructor: {
          // copyreg._reconstructor(cls, base, state); args holds (base, state).
          PyObject* rest = got[1].get();
          return Ref::check(PyObject_CallFunctionObjArgs(H.reconstructor, got[0].get(), PyTuple_GET_ITEM(rest, 0),
                                                         PyTuple_GET_ITEM(rest, 1), nullptr));
        }
      }
      break;
    }
    default: break;
  }
  raise(PyExc_SystemError, "pickle_cpp: cannot create this node");
}

void Builder::fill(const Frame& f, PyObject* obj) {
  const std::vector<Ref>& got = f.got;
  switch (f.v.kind()) {
    case Kind::List:
      for (const Ref& item : got) check_status(PyList_Append(obj, item.get()));
      return;
    case Kind::Dict:
      for (std::size_t i = 0; i + 1 < got.size(); i += 2)
        check_status(PyDict_SetItem(obj, got[i].get(), got[i + 1].get()));
      return;
    case Kind::Set:
      for (const Ref& item : got) check_status(PySet_Add(obj, item.get()));
      return;
    case Kind::Object: {
      const pickle::Object& o = f.v.as_object();
      std::size_t pos = 0;
      Ref none = Ref::borrow(Py_None);
      Ref list_items = none, dict_items = none, set_items = none, state = none, setter = none;
      if (!o.list_items().empty()) list_items = list_of(got, pos, o.list_items().size());
      pos += o.list_items().size();
      if (!o.dict_items().empty()) {
        dict_items = Ref::check(PyList_New(0));
        for (std::size_t i = 0; i < o.dict_items().size(); ++i, pos += 2) {
          Ref pair = Ref::check(PyTuple_Pack(2, got[pos].get(), got[pos + 1].get()));
          check_status(PyList_Append(dict_items.get(), pair.get()));
        }
      }
      if (!o.set_items().empty()) set_items = list_of(got, pos, o.set_items().size());
      pos += o.set_items().size();
      if (o.has_state()) {
        state = got[pos];
        setter = got[pos + 1];
      }
      Ref r = Ref::check(PyObject_CallFunctionObjArgs(H.complete, obj, list_items.get(), dict_items.get(),
                                                      set_items.get(), o.has_state() ? Py_True : Py_False, state.get(),
                                                      setter.get(), nullptr));
      return;
    }
    default: return;
  }
}

void Builder::conflict(std::vector<Frame>& frames, Value c) {
  // `c` is needed while it is being created: the cycle passes through the completion of
  // something `c` is made from, and in the pickle that completion came after `c` was
  // made. Which one: CPython's pickler sets an instance's state (BUILD) after everything
  // else about it, and a constructor may read the containers it is given, so the first
  // instance completion stacked above c's creation is postponed; failing that, the first
  // container filling. The frames above it are undone (creations that have not run,
  // fillings not applied yet).
  std::size_t k = frames.size();
  while (k-- > 1 && !(frames[k].kind == Frame::Create && frames[k].v.is(c))) {
  }
  std::size_t j = frames.size();
  for (std::size_t i = k + 1; i < frames.size(); ++i) {
    if (frames[i].kind != Frame::Complete) continue;
    if (frames[i].v.kind() == pickle::Kind::Object) {
      j = i;
      break;
    }
    if (j == frames.size()) j = i;
  }
  if (k == 0 || j >= frames.size()) {
    raise(H.unpickling_error, "pickle_cpp: an object of the pickle is made from itself");
  }
  while (frames.size() > j + 1) {
    Frame& f = frames.back();
    if (f.kind == Frame::Create) {
      info_.erase(f.v.node());
    } else {
      info_.at(f.v.node()).st = St::Created;
    }
    frames.pop_back();
  }
  Info& info = info_.at(frames.back().v.node());
  info.st = St::Created;
  info.deferred = true;
  deferred_.push_back(frames.back().v);
  frames.pop_back();
}

void Builder::step(std::vector<Frame>& frames) {
  Frame& f = frames.back();
  if (f.next == f.children.size()) {
    if (f.kind == Frame::Create) {
      Ref obj = create_from(f);
      Info& info = info_.at(f.v.node());
      info.obj = obj.release();
      info.st = needs_completion(f.v) ? St::Created : St::Done;
    } else {
      Info& info = info_.at(f.v.node());
      fill(f, info.obj);
      info.st = St::Done;
    }
    frames.pop_back();
    return;
  }
  Value c = f.children[f.next];
  if (!c.is_node()) {
    f.got.push_back(immediate(c));
    ++f.next;
    return;
  }
  auto it = info_.find(c.node());
  if (it == info_.end()) {
    if (PyObject* known = lookup_ ? lookup_(c) : nullptr) {
      adopt(c, known);
    } else if (needs_create_frame(c)) {
      info_.emplace(c.node(), Info{});
      frames.push_back(create_frame(c));
    } else {
      Info info;
      create_leaf(c, info);
      info_.emplace(c.node(), info);
    }
    return;  // examined again on the next step
  }
  Info& info = it->second;
  switch (info.st) {
    case St::Creating: conflict(frames, c); return;
    case St::Created:
      if (!info.deferred) {
        info.st = St::Completing;
        frames.push_back(complete_frame(c));
        return;
      }
      break;
    case St::Completing:
    case St::Done: break;
  }
  f.got.push_back(Ref::borrow(info.obj));
  ++f.next;
}

void Builder::run(std::vector<Frame>& frames) {
  try {
    while (frames.size() > 1 || frames[0].next < frames[0].children.size()) step(frames);
  } catch (...) {
    // Forget creations that did not happen; leave half-filled objects as they are.
    for (std::size_t i = frames.size(); i-- > 1;) {
      if (frames[i].kind == Frame::Create) {
        info_.erase(frames[i].v.node());
      } else {
        info_.at(frames[i].v.node()).st = St::Done;
      }
    }
    throw;
  }
}

Ref Builder::build(Value v) {
  if (!v.is_node()) return immediate(v);
  std::vector<Frame> frames;
  frames.push_back(Frame{Frame::Root, Value(), {v}, 0, {}});
  run(frames);
  Ref result = std::move(frames[0].got[0]);
  // Containers whose filling had to wait: fill them now.
  for (std::size_t rounds = 0; !deferred_.empty(); ++rounds) {
    if (rounds > 100000) raise(H.unpickling_error, "pickle_cpp: cannot order the construction of this pickle");
    std::vector<Value> batch;
    batch.swap(deferred_);
    for (Value d : batch) {
      info_.at(d.node()).deferred = false;
      std::vector<Frame> again;
      again.push_back(Frame{Frame::Root, Value(), {d}, 0, {}});
      run(again);
    }
  }
  return result;
}

}  // namespace pyext
