#include "reduce.h"

#include <string>
#include <vector>

#include "cpython_set.h"
#include "pickle/copyreg.h"
#include "pickle/error.h"
#include "access.h"
#include "value_internal.h"

namespace pickle::detail {

std::string_view callable_name(Value callable) {
  if (!callable.is_global()) return {};
  std::string_view q = callable.as_global().qualname();
  std::size_t dot = q.rfind('.');
  return dot == std::string_view::npos ? q : q.substr(dot + 1);
}

namespace {

Value fresh_tuple(Graph& scratch, std::span<const Value> items) {
  return items.empty() ? scratch.empty_tuple() : scratch.new_tuple(items);
}

// A copy with a new identity, as str(self), bytes(self), tuple(self), list(self) and
// dict(self) give for instances of subclasses of those types.
Value fresh_copy(Value v, Graph& scratch) {
  switch (v.kind()) {
    case Kind::Str: return scratch.shared_or_new_str(v.as_str().utf8());
    case Kind::Bytes: return scratch.new_bytes(v.as_bytes().view());
    case Kind::Tuple: {
      const Tuple& t = v.as_tuple();
      return fresh_tuple(scratch, std::span(t.begin(), t.size()));
    }
    case Kind::List: {
      Value list = scratch.new_list();
      for (Value item : v.as_list()) list.as_list().append(scratch, item);
      return list;
    }
    case Kind::Dict: {
      Value dict = scratch.new_dict();
      for (const Dict::Entry& e : v.as_dict()) dict.as_dict().set(scratch, e.key, e.value);
      return dict;
    }
    default: return v;
  }
}

// The arguments a second __reduce_ex__ call returns: a new tuple holding new copies of
// the lists, dicts and tuples in it.
Value fresh_arguments(Value args, Graph& scratch) {
  if (!args.is_tuple()) return args;
  std::vector<Value> items;
  for (Value a : args.as_tuple())
    items.push_back(a.is_list() || a.is_dict() || a.is_tuple() ? fresh_copy(a, scratch) : a);
  return fresh_tuple(scratch, items);
}

// Builtin types whose __getnewargs__ returns (value,): an instance of a subclass of one
// of them pickles at protocol 2+ as NEWOBJ(cls, (value,)).
bool has_value_newargs(Value v) {
  switch (v.kind()) {
    case Kind::Bool:
    case Kind::Int:
    case Kind::Float:
    case Kind::Complex:
    case Kind::Str:
    case Kind::Bytes:
    case Kind::Tuple: return true;
    default: return false;
  }
}

void set_items(ReduceValue& rv, const Object& o) {
  if (!o.list_items().empty()) {
    rv.has_listitems = true;
    rv.listitems = o.list_items();
  }
  if (!o.dict_items().empty()) {
    rv.has_dictitems = true;
    rv.dictitems = o.dict_items();
  }
}

Value state_of(const Object& o) { return o.has_state() ? o.state() : Value(); }

// A dict state, or a (dict-or-None, slots dict) pair: what object.__getstate__ returns.
bool is_instance_state(Value state) {
  if (state.is_dict()) return true;
  if (!state.is_tuple() || state.as_tuple().size() != 2) return false;
  const Tuple& t = state.as_tuple();
  return (t[0].is_none() || t[0].is_dict()) && t[1].is_dict();
}
bool has_slots(Value state) { return state.is_tuple() && is_instance_state(state); }

void set_state(ReduceValue& rv, const Object& o) {
  rv.state = state_of(o);
  rv.state_setter = o.state_setter();
  rv.state_is_instance_dict = rv.state_setter.is_none() && is_instance_state(rv.state);
}

// object.__getstate__: None for an empty __dict__, and the slots half only when some slot
// is set.
Value getstate_of(const Object& o, Graph& scratch) {
  Value state = state_of(o);
  if (state.is_dict()) return state.as_dict().size() ? state : Value();
  if (!is_instance_state(state)) return state;
  Value dict = state.as_tuple()[0], slots = state.as_tuple()[1];
  if (dict.is_dict() && dict.as_dict().size() == 0) dict = Value();
  if (slots.as_dict().size() == 0) return dict;
  Value items[] = {dict, slots};
  return scratch.new_tuple(items);
}

void set_default_state(ReduceValue& rv, const Object& o, Graph& scratch) {
  rv.state = getstate_of(o, scratch);
  rv.state_is_instance_dict = is_instance_state(rv.state);
}

[[noreturn]] void slots_error() {
  throw Error(ErrorType::TypeError, "a class that defines __slots__ without defining __getstate__ cannot be pickled");
}

// datetime.datetime and datetime.time encode `fold` in their state bytes only above
// protocol 3 (their __reduce_ex__ adds 128 to the month or the hour byte).
Value adjust_datetime_args(const Object& o, int proto, Graph& scratch) {
  Value args = o.args();
  if (proto > 3 || !o.callable().is_global() || o.callable().as_global().module() != "datetime") return args;
  std::string_view cls = o.callable().as_global().qualname();
  std::size_t index, size;
  if (cls == "datetime") {
    index = 2;
    size = 10;
  } else if (cls == "time") {
    index = 0;
    size = 6;
  } else {
    return args;
  }
  const Tuple& t = args.as_tuple();
  if (t.size() < 1 || !t[0].is_bytes() || t[0].as_bytes().size() != size || !(t[0].as_bytes().view()[index] & 0x80)) {
    return args;
  }
  std::string data(t[0].as_bytes().chars());
  data[index] = static_cast<char>(data[index] & 0x7f);
  std::vector<Value> items(t.begin(), t.end());
  items[0] = scratch.new_bytes(data);
  return scratch.new_tuple(items);
}

// object.__reduce_ex__(proto) for proto >= 2 (typeobject.c, reduce_newobj).
ReduceValue newobj_reduce(Value cls, Value args, Value kwargs, Graph& scratch) {
  ReduceValue rv;
  if (kwargs.is_dict() && kwargs.as_dict().size() > 0) {
    rv.callable = scratch.global("copyreg", "__newobj_ex__");
    Value items[] = {cls, args, kwargs};
    rv.args = scratch.new_tuple(items);
  } else {
    rv.callable = scratch.global("copyreg", "__newobj__");
    std::vector<Value> items{cls};
    for (Value a : args.as_tuple()) items.push_back(a);
    rv.args = scratch.new_tuple(items);
  }
  return rv;
}

// copyreg._reduce_ex(self, proto) for proto < 2.
ReduceValue reconstructor_reduce(Value cls, Value base, Value base_state, Value state, Graph& scratch) {
  ReduceValue rv;
  rv.callable = scratch.global("copyreg", "_reconstructor");
  Value items[] = {cls, base, base_state};
  rv.args = scratch.new_tuple(items);
  if (truthy(state)) rv.state = state;
  return rv;
}

}  // namespace

ReduceValue reduce_object(Value obj, int proto, Graph& scratch, bool again) {
  const Object& o = obj.as_object();
  auto args_of = [&](Value args) { return again ? fresh_arguments(args, scratch) : args; };
  switch (o.how()) {
    case Object::How::Reduce: {
      if (std::optional<ReduceValue> array = reduce_numpy_array(obj, proto, scratch)) return *array;
      ReduceValue rv = ReduceValue::call(o.callable(), args_of(adjust_datetime_args(o, proto, scratch)));
      set_state(rv, o);
      set_items(rv, o);
      return rv;
    }
    case Object::How::NewObj: {
      // An unevaluated cls.__new__(cls, ...) of a builtin type (int, complex, set, ...):
      // no base class to infer, and object.__new__ cannot make one (copyreg._reconstructor
      // would fail to load); the call itself (copyreg.__newobj__ by REDUCE below protocol
      // 2) loads back the same.
      const bool builtin_type = o.callable().is_global() && o.callable().as_global().module() == "builtins" &&
                                o.callable().as_global().qualname() != "object";
      if (proto >= 2 || builtin_type) {
        ReduceValue rv = newobj_reduce(o.callable(), args_of(o.args()), o.kwargs(), scratch);
        if (o.state_setter().is_none()) {
          set_default_state(rv, o, scratch);
        } else {
          set_state(rv, o);
        }
        set_items(rv, o);
        return rv;
      }
      // copyreg._reduce_ex: the base class is not in the pickle, so it is inferred. Items
      // mean a list or dict subclass; __new__ arguments without instance state a subclass
      // of a builtin: of int/float/str/bytes for one such argument, else of tuple
      // (namedtuples); anything else a plain class.
      if (has_slots(state_of(o))) slots_error();
      const Tuple& args = o.args().as_tuple();
      Value base = scratch.global("builtins", "object"), base_state;
      if (!o.list_items().empty()) {
        base = scratch.global("builtins", "list");
        base_state = scratch.new_list();
        for (Value item : o.list_items()) base_state.as_list().append(scratch, item);
      } else if (!o.dict_items().empty()) {
        base = scratch.global("builtins", "dict");
        base_state = scratch.new_dict();
        for (const Dict::Entry& e : o.dict_items()) base_state.as_dict().set(scratch, e.key, e.value);
      } else if (args.size() == 1 && has_value_newargs(args[0]) && !args[0].is_tuple() && !o.has_state()) {
        base = scratch.global("builtins", kind_type_name(args[0].kind()));
        base_state = fresh_copy(args[0], scratch);
      } else if (args.size() > 0 && !o.has_state()) {
        base = scratch.global("builtins", "tuple");
        base_state = fresh_copy(o.args(), scratch);
      }
      ReduceValue rv = reconstructor_reduce(o.callable(), base, base_state, state_of(o), scratch);
      rv.state_is_instance_dict = is_instance_state(rv.state);
      return rv;
    }
    case Object::How::Reconstructor: {
      Value base = o.args().as_tuple()[0], base_state = o.args().as_tuple()[1];
      if (proto < 2) {
        if (has_slots(state_of(o))) slots_error();
        // copyreg._reduce_ex builds base(self) anew on every call.
        base_state = fresh_copy(base_state, scratch);
        ReduceValue rv = reconstructor_reduce(o.callable(), base, base_state, state_of(o), scratch);
        rv.state_is_instance_dict = is_instance_state(rv.state);
        return rv;
      }
      std::string_view base_name = base.is_global() ? base.as_global().qualname() : std::string_view();
      ReduceValue rv;
      if (base_state.is_list() && base_name == "list") {
        rv = newobj_reduce(o.callable(), scratch.empty_tuple(), Value(), scratch);
        rv.has_listitems = true;
        rv.listitems = std::span(base_state.as_list().begin(), base_state.as_list().size());
      } else if (base_state.is_dict() && base_name == "dict") {
        rv = newobj_reduce(o.callable(), scratch.empty_tuple(), Value(), scratch);
        rv.has_dictitems = true;
        rv.dictitems = std::span(base_state.as_dict().begin(), base_state.as_dict().size());
      } else if (base_state.is_tuple() && base_name == "tuple") {
        // A tuple subclass: namedtuple's __getnewargs__ returns the fields themselves.
        rv = newobj_reduce(o.callable(), fresh_copy(base_state, scratch), Value(), scratch);
      } else if (has_value_newargs(base_state)) {
        Value args[] = {fresh_copy(base_state, scratch)};
        rv = newobj_reduce(o.callable(), scratch.new_tuple(args), Value(), scratch);
      } else {
        rv = newobj_reduce(o.callable(), scratch.empty_tuple(), Value(), scratch);
      }
      set_default_state(rv, o, scratch);
      return rv;
    }
  }
  return ReduceValue::call(o.callable(), o.args());
}

namespace {

[[noreturn]] void pickling_error(std::string message) { throw Error(ErrorType::PicklingError, std::move(message)); }

std::string quoted_type(Value v) { return "'" + type_name(v) + "'"; }

}  // namespace

ReduceValue reduce_native(Value obj, int proto, Graph& scratch) {
  const NativeClass& cls = obj.as_native().cls();
  std::shared_ptr<const ClassHooks> hooks = cls.hooks();
  std::string cannot = "cannot pickle '" + std::string(cls.name()) + "' object";
  // Below protocol 2, copyreg._reduce_ex finds no Python base class to copy from.
  if (proto < 2) fail(ErrorType::TypeError, cannot);
  // typeobject.c, reduce_newobj: __getnewargs_ex__, else __getnewargs__, then the state.
  Value args, kwargs;
  bool hasargs = false;
  if (hooks->getnewargs_ex) {
    Value r = hooks->getnewargs_ex(scratch, obj);
    if (!r.is_tuple()) fail(ErrorType::TypeError, "__getnewargs_ex__ should return a tuple, not " + quoted_type(r));
    if (r.as_tuple().size() != 2) {
      throw Error(ErrorType::ValueError,
                  "__getnewargs_ex__ should return a tuple of length 2, not " + std::to_string(r.as_tuple().size()));
    }
    args = r.as_tuple()[0];
    kwargs = r.as_tuple()[1];
    if (!args.is_tuple()) {
      fail(ErrorType::TypeError,
           "first item of the tuple returned by __getnewargs_ex__ must be a tuple, not " + quoted_type(args));
    }
    if (!kwargs.is_dict()) {
      fail(ErrorType::TypeError,
           "second item of the tuple returned by __getnewargs_ex__ must be a dict, not " + quoted_type(kwargs));
    }
    hasargs = true;
  } else if (hooks->getnewargs) {
    args = hooks->getnewargs(scratch, obj);
    if (!args.is_tuple()) fail(ErrorType::TypeError, "__getnewargs__ should return a tuple, not " + quoted_type(args));
    hasargs = true;
  } else {
    args = scratch.empty_tuple();
  }
  Value state;
  if (hooks->getstate) {
    state = hooks->getstate(scratch, obj);
  } else if (!hasargs) {
    // A C++ object keeps its data outside any __dict__: without a hook there is nothing
    // CPython could rebuild it from (object_getstate's `required` check).
    fail(ErrorType::TypeError, cannot);
  }
  ReduceValue rv = newobj_reduce(scratch.global(cls.module(), cls.qualname()), args, kwargs, scratch);
  rv.state = state;
  return rv;
}

ReduceValue reduce_complex(Value obj, int proto, Graph& scratch) {
  if (proto < 2) fail(ErrorType::TypeError, "cannot pickle 'complex' object");
  Value args[] = {Value::floating(obj.as_complex().real()), Value::floating(obj.as_complex().imag())};
  return newobj_reduce(scratch.global("builtins", "complex"), scratch.new_tuple(args), Value(), scratch);
}

void refuse_to_reduce_buffer(Value obj, int proto) {
  if (!obj.as_buffer().is_memoryview()) fail(ErrorType::TypeError, "cannot pickle 'pickle.PickleBuffer' object");
  // Below protocol 2 the message is copyreg._reduce_ex's; above, memoryview's own.
  fail(ErrorType::TypeError, proto < 2 ? "cannot pickle 'memoryview' object" : "cannot pickle memoryview objects");
}

namespace {
// The items an Iterator yields (dict items as 2-tuples made in scratch).
std::vector<Value> iterator_items(Value it, Graph& scratch) { return *iterate(scratch, it); }
}  // namespace

ReduceValue reduce_iterator(Value obj, Graph& scratch) {
  Value src = obj.as_iterator().source();
  Value iter_fn = scratch.global("builtins", "iter");
  if (src.is_list() || src.is_tuple()) {
    Value args[] = {src};
    ReduceValue rv = ReduceValue::call(iter_fn, scratch.new_tuple(args));
    rv.state = Value::integer(0);
    return rv;
  }
  Value list = scratch.new_list();
  for (Value v : iterator_items(obj, scratch)) list.as_list().append(scratch, v);
  Value args[] = {list};
  return ReduceValue::call(iter_fn, scratch.new_tuple(args));
}

ReduceValue reduce_value_from_tuple(Value rv, Graph& scratch) {
  const Tuple& t = rv.as_tuple();
  if (t.size() < 2 || t.size() > 6) pickling_error("tuple returned by __reduce__ must contain 2 through 6 elements");
  ReduceValue out = ReduceValue::call(t[0], t[1]);
  if (!is_callable_value(out.callable))
    pickling_error("first item of the tuple returned by __reduce__ must be callable");
  if (!out.args.is_tuple()) pickling_error("second item of the tuple returned by __reduce__ must be a tuple");
  if (t.size() > 2) out.state = t[2];
  Value listitems = t.size() > 3 ? t[3] : Value();
  Value dictitems = t.size() > 4 ? t[4] : Value();
  if (!listitems.is_none() && listitems.kind() != Kind::Iterator) {
    pickling_error("fourth element of the tuple returned by __reduce__ must be an iterator, not " +
                   type_name(listitems));
  }
  if (!dictitems.is_none() && dictitems.kind() != Kind::Iterator) {
    pickling_error("fifth element of the tuple returned by __reduce__ must be an iterator, not " +
                   type_name(dictitems));
  }
  Value setter = t.size() > 5 ? t[5] : Value();
  if (!setter.is_none() && !is_callable_value(setter)) {
    pickling_error("sixth element of the tuple returned by __reduce__ must be a function, not " + type_name(setter));
  }
  out.state_setter = setter;
  if (!listitems.is_none()) {
    Value src = listitems.as_iterator().source();
    out.has_listitems = true;
    if (src.is_list()) {
      out.listitems = std::span(src.as_list().begin(), src.as_list().size());
    } else {
      Value list = scratch.new_list();
      for (Value v : iterator_items(listitems, scratch)) list.as_list().append(scratch, v);
      out.listitems = std::span(list.as_list().begin(), list.as_list().size());
    }
  }
  if (!dictitems.is_none()) {
    out.has_dictitems = true;
    const Iterator& it = dictitems.as_iterator();
    if (it.source().is_dict() && it.over() == Iterator::Over::DictItems) {
      out.dictitems = std::span(it.source().as_dict().begin(), it.source().as_dict().size());
    } else {
      std::vector<Value> items = iterator_items(dictitems, scratch);
      auto* entries = static_cast<Dict::Entry*>(
          detail::Access::arena(scratch).allocate(items.size() * sizeof(Dict::Entry), alignof(Dict::Entry)));
      std::size_t n = 0;
      for (; n < items.size(); ++n) {
        // CPython checks each item as batch_dict reaches it, after saving the arguments
        // and the items before it: their errors come first.
        if (!items[n].is_tuple() || items[n].as_tuple().size() != 2) {
          out.dictitems_not_pairs = true;
          break;
        }
        entries[n] = Dict::Entry{items[n].as_tuple()[0], items[n].as_tuple()[1], 0};
      }
      out.dictitems = std::span<const Dict::Entry>(entries, n);
    }
  }
  return out;
}

Value partial_for_newobj_ex(Value cls, Value args, Value kwargs, Graph& scratch) {
  // cls.__new__: a class pickled through __newobj_ex__ takes keyword arguments in __new__,
  // so it is taken to define its own, a Python function named cls.__new__ (pickled by
  // name, nested) unless cls is a builtin type, whose __new__ is a builtin method like
  // object.__new__ (used for a class the library cannot name): getattr(owner, '__new__').
  const bool python_function = cls.is_global() && cls.as_global().module() != "builtins";
  Value func = cls.is_global()
                   ? scratch.global(cls.as_global().module(), std::string(cls.as_global().qualname()) + ".__new__")
                   : scratch.global("builtins", "object.__new__");
  if (!python_function) scratch.mark_attribute(func);
  std::vector<Value> pargs{cls};
  for (Value a : args.as_tuple()) pargs.push_back(a);
  Value kw = scratch.new_dict();
  for (const Dict::Entry& e : kwargs.as_dict()) kw.as_dict().set(scratch, e.key, e.value);
  Value ctor_args[] = {func};
  Value partial =
      scratch.new_object(Object::How::Reduce, scratch.global("functools", "partial"), scratch.new_tuple(ctor_args));
  Value state[] = {func, scratch.new_tuple(pargs), kw, Value()};
  partial.as_object().set_state(scratch.new_tuple(state));
  return partial;
}

}  // namespace pickle::detail
