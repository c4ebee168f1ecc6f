// copy.copy and copy.deepcopy, following Lib/copy.py (3.11's, and the release that
// CopyOptions::python names where they differ) step by step: the
// per-type copiers, then the reduction (dispatch table, else __reduce_ex__(4)) and
// _reconstruct, with the errors Python raises for malformed reductions.
#include "pickle/copy.h"

#include <optional>
#include <string>
#include <vector>

#include "cpython_set.h"
#include "evaluate.h"
#include "pickle/copyreg.h"
#include "pickle/error.h"
#include "access.h"
#include "reduce.h"
#include "value_internal.h"

namespace pickle {

namespace {

using detail::iterate;

std::string quoted_type(Value v) { return "'" + type_name(v) + "'"; }

// iter(v) run to the end; TypeError where the library cannot iterate v.
std::vector<Value> iterate_or_throw(Graph& g, Value v) {
  std::optional<std::vector<Value>> items = iterate(g, v);
  if (!items) fail(ErrorType::TypeError, quoted_type(v) + " object is not iterable");
  return *std::move(items);
}

// How "f() argument after * ..." names the callable: from 3.9 _PyObject_FunctionStr,
// before it PyEval_GetFuncName + PyEval_GetFuncDesc ("f()" for a function, "type object"
// for a class).
std::string function_str(Value f, PythonVersion python) {
  if (python < PythonVersion{3, 9}) {
    const std::string type = type_name(f);
    if (f.is_global() && (type == "function" || type == "builtin_function_or_method")) {
      std::string_view qualname = f.as_global().qualname();
      return std::string(qualname.substr(qualname.rfind('.') + 1)) + "()";
    }
    return type + " object";
  }
  if (f.is_global()) {
    const Global& gl = f.as_global();
    if (gl.module() == "builtins") return std::string(gl.qualname()) + "()";
    return std::string(gl.module()) + "." + std::string(gl.qualname()) + "()";
  }
  return type_name(f) + " object";
}

// `key, value = item`: the pair from an item of a dict items iterable.
std::pair<Value, Value> unpack_pair(Graph& g, Value item) {
  std::optional<std::vector<Value>> parts = iterate(g, item);
  if (!parts) fail(ErrorType::TypeError, "cannot unpack non-iterable " + type_name(item) + " object");
  if (parts->size() > 2) throw Error(ErrorType::ValueError, "too many values to unpack (expected 2)");
  if (parts->size() < 2) {
    throw Error(ErrorType::ValueError,
                "not enough values to unpack (expected 2, got " + std::to_string(parts->size()) + ")");
  }
  return {(*parts)[0], (*parts)[1]};
}

// What _reconstruct receives: the items of a reduction.
struct Recipe {
  Value func, args, state;
  // Iterables returned by a reducer (None: absent) ...
  Value listiter, dictiter;
  // ... or the items of a reduction computed by the library.
  std::optional<std::span<const Value>> list_items;
  std::optional<std::span<const Dict::Entry>> dict_items;
  // The object's own recorded state: one BUILD accepted, so a state other than a dict
  // means the class has a __setstate__ (the default one takes dicts only).
  bool recorded_state = false;
  // Before 3.10 _reconstruct's last positional parameter is `deepcopy`, so a reduction's
  // sixth item (a state setter) lands there and deepcopy calls it (None: copy.deepcopy).
  Value deepcopy_fn;
};

// _reconstruct(x, memo, *rv): the positional arguments it accepts, with x and memo.
std::size_t max_reconstruct_arguments(PythonVersion python) { return python < PythonVersion{3, 10} ? 8 : 7; }

[[noreturn]] void fail_reconstruct_arity(std::size_t given, PythonVersion python) {
  fail(ErrorType::TypeError, "_reconstruct() takes from 4 to " + std::to_string(max_reconstruct_arguments(python)) +
                                 " positional arguments but " + std::to_string(given) + " were given");
}

// _reconstruct(x, memo, *rv): the arity check of the call.
Recipe recipe_from_value(Graph& g, Value rv, PythonVersion python) {
  std::vector<Value> items;
  if (rv.is_tuple()) {
    items.assign(rv.as_tuple().begin(), rv.as_tuple().end());
  } else if (std::optional<std::vector<Value>> it = iterate(g, rv)) {
    items = *std::move(it);
  } else {
    fail(ErrorType::TypeError, (python < PythonVersion{3, 9} ? "_reconstruct() argument" : "Value") +
                                   std::string(" after * must be an iterable, not ") + type_name(rv));
  }
  std::size_t given = items.size() + 2;  // with x and memo
  if (given < 4) {
    fail_arity("_reconstruct", {"x", "memo", "func", "args"}, given);
  }
  if (given > max_reconstruct_arguments(python)) fail_reconstruct_arity(given, python);
  Recipe r;
  r.func = items[0];
  r.args = items[1];
  if (items.size() > 2) r.state = items[2];
  if (items.size() > 3) r.listiter = items[3];
  if (items.size() > 4) r.dictiter = items[4];
  if (items.size() > 5) r.deepcopy_fn = items[5];
  return r;
}

Recipe recipe_from_reduction(const detail::ReduceValue& rv, PythonVersion python) {
  if (!rv.state_setter.is_none() && max_reconstruct_arguments(python) < 8) fail_reconstruct_arity(8, python);
  Recipe r;
  r.deepcopy_fn = rv.state_setter;
  r.func = rv.callable;
  r.args = rv.args;
  r.state = rv.state;
  if (rv.has_listitems) r.list_items = rv.listitems;
  if (rv.has_dictitems) r.dict_items = rv.dictitems;
  r.recorded_state = true;
  return r;
}

// A dict state (or the dict half of a (dict, slots) pair) is what object.__getstate__
// returns; an inert object whose state is anything else had a __setstate__ to accept it.
bool is_instance_state(Value state) {
  if (state.is_dict()) return true;
  if (!state.is_tuple() || state.as_tuple().size() != 2) return false;
  Value dict = state.as_tuple()[0];
  return dict.is_none() || dict.is_dict();
}

// Instances of the builtin classes copy treats as immutable (range and property; slice
// for copy() only), which the library keeps as inert calls.
bool is_immutable_builtin(const Object& o, bool deep) {
  if (o.how() != Object::How::Reduce || !o.callable().is_global()) return false;
  const Global& cls = o.callable().as_global();
  if (cls.module() != "builtins") return false;
  return cls.qualname() == "range" || cls.qualname() == "property" || (!deep && cls.qualname() == "slice");
}

class Copier {
 public:
  Copier(Graph& g, CopyMemo* memo, const CopyOptions& options)
      : g_(g),
        caller_memo_(memo),
        memo_(memo ? &detail::Access::copies(*memo) : nullptr),
        options_(options),
        eval_(&g, nullptr, 5) {}

  Value shallow(Value x) {
    switch (x.kind()) {
      case Kind::List: {
        Value y = g_.new_list();
        List& l = y.as_list();
        l.reserve(g_, x.as_list().size());
        for (Value v : x.as_list()) l.append(g_, v);
        return y;
      }
      case Kind::Dict: {
        Value y = g_.new_dict();
        for (const Dict::Entry& e : x.as_dict()) y.as_dict().set(g_, e.key, e.value);
        return y;
      }
      case Kind::Set: {
        Value y = g_.new_set();
        for (Value v : x.as_set()) y.as_set().add(g_, v);
        return y;
      }
      case Kind::ByteArray: return g_.new_bytearray(x.as_bytes().view());
      case Kind::Iterator: return copy_iterator(x);
      case Kind::Native:
        if (auto hooks = x.as_native().cls().hooks(); hooks->copy) return hooks->copy(g_, x);
        return reconstruct_from_reduction(x);
      case Kind::Object:
        if (is_immutable_builtin(x.as_object(), /*deep=*/false)) return x;
        [[fallthrough]];
      case Kind::Buffer: return reconstruct_from_reduction(x);
      default: return x;  // immutable, or opaque (persistent ids)
    }
  }

  Value deep(Value x) {
    const detail::Node* id = x.node();
    if (!id) return x;  // None, bool, small int, float: atomic
    if (auto it = memo_->find(id); it != memo_->end()) return it->second;
    if (++depth_ > options_.max_depth) throw Error(ErrorType::RecursionError, "maximum recursion depth exceeded");
    Value y = deep_uncached(x);
    --depth_;
    if (!y.is(x)) (*memo_)[id] = y;
    return y;
  }

 private:
  Value deep_uncached(Value x) {
    switch (x.kind()) {
      case Kind::List: {
        Value y = g_.new_list();
        (*memo_)[x.node()] = y;
        List& src = x.as_list();
        for (std::size_t i = 0; i < src.size(); ++i) {
          Value item = deep(src[i]);
          y.as_list().append(g_, item);
        }
        return y;
      }
      case Kind::Dict: {
        Value y = g_.new_dict();
        (*memo_)[x.node()] = y;
        for (const Dict::Entry& e : x.as_dict()) {
          Value key = deep(e.key);
          Value value = deep(e.value);
          y.as_dict().set(g_, key, value);
        }
        return y;
      }
      case Kind::Tuple: {
        // _deepcopy_tuple: the copy only when an item changed, and never memoized itself
        // (but a recursive tuple finds the copy its items made).
        const Tuple& t = x.as_tuple();
        std::vector<Value> items;
        items.reserve(t.size());
        for (Value item : t) items.push_back(deep(item));
        if (auto it = memo_->find(x.node()); it != memo_->end()) return it->second;
        for (std::size_t i = 0; i < items.size(); ++i) {
          if (!items[i].is(t[i])) return g_.new_tuple(items);
        }
        return x;
      }
      case Kind::Set:
      case Kind::FrozenSet: {
        // (set, (list(x),), None): the items are copied before the set exists.
        std::vector<Value> items;
        for (Value item : detail::set_iteration_order(x.as_set(), 0)) items.push_back(deep(item));
        Value y = x.kind() == Kind::Set ? g_.new_set() : g_.new_frozenset();
        for (Value item : items) y.as_set().add(g_, item);
        return y;
      }
      case Kind::ByteArray: return g_.new_bytearray(x.as_bytes().view());
      case Kind::Iterator: return copy_iterator(x);
      case Kind::Native:
        if (auto hooks = x.as_native().cls().hooks(); hooks->deepcopy) return hooks->deepcopy(g_, x, *caller_memo_);
        return reconstruct_from_reduction(x);
      case Kind::Object:
        if (is_immutable_builtin(x.as_object(), /*deep=*/true)) return x;
        [[fallthrough]];
      case Kind::Buffer: return reconstruct_from_reduction(x);
      default: return x;
    }
  }

  bool deep_mode() const { return memo_ != nullptr; }
  Value maybe_deep(Value v) { return deep_mode() ? deep(v) : v; }

  // list_iterator.__reduce__ is (iter, (list,), index); other iterators reduce to
  // (iter, (list of the remaining items,)).
  Value copy_iterator(Value x) {
    const Iterator& it = x.as_iterator();
    Value src = it.source();
    if (src.is_list() || src.is_tuple()) {
      return g_.new_iterator(maybe_deep(src), it.over());
    }
    Value list = g_.new_list();
    for (Value v : iterate_or_throw(g_, x)) list.as_list().append(g_, maybe_deep(v));
    return g_.new_iterator(list);
  }

  Value reconstruct_from_reduction(Value x) {
    if (std::shared_ptr<const Reducer> reducer = dispatch_table().find(x)) {
      Value rv = (*reducer)(g_, x);
      if (rv.is_str()) return x;
      return reconstruct(x, recipe_from_value(g_, rv, options_.python));
    }
    if (x.kind() == Kind::Buffer) detail::refuse_to_reduce_buffer(x, 4);
    detail::ReduceValue rv =
        x.kind() == Kind::Native ? detail::reduce_native(x, 4, g_) : detail::reduce_object(x, 4, g_);
    return reconstruct(x, recipe_from_reduction(rv, options_.python));
  }

  // copy._reconstruct.
  Value reconstruct(Value x, const Recipe& r) {
    // deepcopy(v, memo) as _reconstruct spells it: copy.deepcopy, or what a sixth item
    // put in its place before 3.10.
    auto copy_item = [&](Value v) {
      if (!deep_mode()) return v;
      if (!r.deepcopy_fn.is_none()) call_in_place_of_deepcopy(r.deepcopy_fn);
      return deep(v);
    };
    Value args = r.args;
    if (deep_mode() && detail::truthy(args)) {
      std::vector<Value> copies;
      for (Value a : iterate_or_throw(g_, args)) copies.push_back(copy_item(a));
      args = g_.new_tuple(copies);
    } else if (!args.is_tuple()) {
      std::optional<std::vector<Value>> items = iterate(g_, args);
      if (!items)
        fail(ErrorType::TypeError,
             function_str(r.func, options_.python) + " argument after * must be an iterable, not " + type_name(args));
      args = items->empty() ? g_.empty_tuple() : g_.new_tuple(*items);
    }
    Value y = calls_own_class(x, r.func, args) ? eval_.make_new(r.func, args, Value()) : eval_.call(r.func, args);
    if (deep_mode()) (*memo_)[x.node()] = y;

    if (!r.state.is_none()) set_state(y, copy_item(r.state), r.recorded_state);

    if (r.list_items) {
      for (Value item : *r.list_items) append(y, copy_item(item));
    } else if (!r.listiter.is_none()) {
      for (Value item : iterate_or_throw(g_, r.listiter)) append(y, copy_item(item));
    }
    if (r.dict_items) {
      for (const Dict::Entry& e : *r.dict_items) {
        Value key = copy_item(e.key);
        eval_.set_item(y, key, copy_item(e.value));
      }
    } else if (!r.dictiter.is_none()) {
      for (Value item : iterate_or_throw(g_, r.dictiter)) {
        auto [key, value] = unpack_pair(g_, item);
        key = copy_item(key);
        eval_.set_item(y, key, copy_item(value));
      }
    }
    return y;
  }

  // A state setter standing where copy.deepcopy should be (3.8, 3.9): CPython calls it
  // with (value, memo), which the library cannot do.
  [[noreturn]] static void call_in_place_of_deepcopy(Value fn) {
    if (!detail::is_callable_value(fn)) fail(ErrorType::TypeError, "'" + type_name(fn) + "' object is not callable");
    fail(ErrorType::NotImplementedError,
         "before Python 3.10 deepcopy calls a reduction's state setter in place of copy.deepcopy; "
         "the library does not run it");
  }

  // C() for an inert x of class C: an instance of C, as its default reduction (NEWOBJ)
  // will pickle it, rather than a record of the call (what C's __init__ does with
  // arguments is unknown, so calls with arguments stay records).
  static bool calls_own_class(Value x, Value func, Value args) {
    if (!x.is_object() || x.as_object().how() == Object::How::Reduce) return false;
    return func.is(x.as_object().callable()) && args.as_tuple().size() == 0;
  }

  void append(Value y, Value item) { eval_.append_items(y, std::span(&item, 1)); }

  // `y.__setstate__(state)` when y has one, else `y.__dict__.update(state)` and setattr for
  // each slot.
  void set_state(Value y, Value state, bool recorded_state) {
    if (y.kind() == Kind::Native) {
      if (auto hooks = y.as_native().cls().hooks(); hooks->setstate) {
        hooks->setstate(g_, y, state);
        return;
      }
    }
    if (y.is_object() && recorded_state && !is_instance_state(state)) {
      y.as_object().set_state(state);  // the class has a __setstate__ taking this
      return;
    }
    Value slotstate;
    if (state.is_tuple() && state.as_tuple().size() == 2) {
      slotstate = state.as_tuple()[1];
      state = state.as_tuple()[0];
    }
    Value dict;
    if (!state.is_none()) {
      if (!y.is_object()) {
        throw Error(ErrorType::AttributeError, quoted_type(y) + " object has no attribute '__dict__'");
      }
      dict = dict_update(g_.new_dict(), state);
    }
    Value slots;
    if (!slotstate.is_none()) {
      if (!slotstate.is_dict()) {
        throw Error(ErrorType::AttributeError, quoted_type(slotstate) + " object has no attribute 'items'");
      }
      for (const Dict::Entry& e : slotstate.as_dict()) {
        if (!e.key.is_str()) fail(ErrorType::TypeError, "attribute name must be string, not " + quoted_type(e.key));
        if (!y.is_object()) {
          throw Error(ErrorType::AttributeError,
                      quoted_type(y) + " object has no attribute '" + std::string(e.key.as_str().utf8()) + "'");
        }
        if (slots.is_none()) slots = g_.new_dict();
        slots.as_dict().set(g_, e.key, e.value);
      }
    }
    if (!y.is_object()) return;
    if (slots.is_none()) {
      if (!dict.is_none()) y.as_object().set_state(dict);
    } else {
      Value pair[] = {dict, slots};
      y.as_object().set_state(g_.new_tuple(pair));
    }
  }

  // dict.update(other): a dict, or an iterable of pairs.
  Value dict_update(Value dict, Value other) {
    if (other.is_dict()) {
      for (const Dict::Entry& e : other.as_dict()) dict.as_dict().set(g_, e.key, e.value);
      return dict;
    }
    std::vector<Value> items = iterate_or_throw(g_, other);
    for (std::size_t i = 0; i < items.size(); ++i) {
      std::optional<std::vector<Value>> pair = iterate(g_, items[i]);
      if (!pair) {
        fail(ErrorType::TypeError,
             "cannot convert dictionary update sequence element #" + std::to_string(i) + " to a sequence");
      }
      if (pair->size() != 2) {
        throw Error(ErrorType::ValueError, "dictionary update sequence element #" + std::to_string(i) + " has length " +
                                               std::to_string(pair->size()) + "; 2 is required");
      }
      dict.as_dict().set(g_, (*pair)[0], (*pair)[1]);
    }
    return dict;
  }

  Graph& g_;
  CopyMemo* caller_memo_;                                 // null: a shallow copy
  std::unordered_map<const detail::Node*, Value>* memo_;  // its table
  const CopyOptions& options_;
  detail::Evaluator eval_;
  std::size_t depth_ = 0;
};

}  // namespace

Value copy(Graph& g, Value x, const CopyOptions& options) try {
  return Copier(g, nullptr, options).shallow(x);
} catch (...) {
  detail::rethrow_allocation_failure();
}

Value deepcopy(Graph& g, Value x, CopyMemo& memo, const CopyOptions& options) try {
  return Copier(g, &memo, options).deep(x);
} catch (...) {
  detail::rethrow_allocation_failure();
}

Value deepcopy(Graph& g, Value x, const CopyOptions& options) {
  CopyMemo memo;
  return deepcopy(g, x, memo, options);
}

}  // namespace pickle
