// copy.copy / copy.deepcopy: a port of the copy- and reduce-related tests of CPython's
// Lib/test/test_copy.py (test names kept), plus the library's own cases.
//
// Python classes become either inert objects (instances of a class the library does not
// know, as a pickle loads them) or registered C++ classes (pickle/copyreg.h) whose hooks
// stand for __reduce__, __getnewargs__, __getstate__, __setstate__, __copy__ and
// __deepcopy__. Tests of Python-only machinery (weakrefs, bound methods, metaclasses,
// __getattribute__ hiding __reduce_ex__) have no C++ counterpart and are not ported.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pickle/copy.h"
#include "pickle/copyreg.h"
#include "pickle/error.h"
#include "pickle/value.h"
#include "text_golden.h"

namespace pickle {
namespace {

Value str(Graph& g, std::string_view s) { return g.new_str(s); }

Value list_of(Graph& g, std::initializer_list<Value> items) {
  Value l = g.new_list();
  for (Value v : items) l.as_list().append(g, v);
  return l;
}

Value tuple_of(Graph& g, std::initializer_list<Value> items) {
  return items.size() ? g.new_tuple(std::span(items.begin(), items.size())) : g.empty_tuple();
}

Value dict_of(Graph& g, std::initializer_list<std::pair<Value, Value>> items) {
  Value d = g.new_dict();
  for (auto [k, v] : items) d.as_dict().set(g, k, v);
  return d;
}

Value attr(Value obj, std::string_view name) {
  Value state = obj.as_object().state();
  if (state.is_tuple()) state = state.as_tuple()[0];
  for (const Dict::Entry& e : state.as_dict()) {
    if (e.key.as_str().utf8() == name) return e.value;
  }
  ADD_FAILURE() << "no attribute " << name;
  return Value();
}

// An instance of the Python class __main__.<name>, as NEWOBJ + BUILD loads it.
Value instance(Graph& g, std::string_view cls, Value state = Value()) {
  Value obj = g.new_object(Object::How::NewObj, g.global("__main__", cls), g.empty_tuple());
  if (!state.is_none()) obj.as_object().set_state(state);
  return obj;
}

using text_golden::error_of;

// Registers a reducer for the duration of a test.
class ScopedReducer {
 public:
  ScopedReducer(std::string module, std::string qualname, Reducer reducer)
      : module_(std::move(module)), qualname_(std::move(qualname)) {
    dispatch_table().pickle(module_, qualname_, std::move(reducer));
  }
  ~ScopedReducer() { dispatch_table().remove(module_, qualname_); }

 private:
  std::string module_, qualname_;
};

// A C++ type standing for a Python class with one attribute.
struct Foo {
  Value foo;
};

// ---- copy() ----------------------------------------------------------------------------------

TEST(Copy, test_copy_basic) {
  Graph g;
  EXPECT_EQ(copy(g, Value::integer(42)).as_int(), 42);
}

struct WithCopy {
  int foo;
};

TEST(Copy, test_copy_copy) {
  ClassHooks cls;
  cls.copy = [](Graph& g, Value self) { return make_native(g, WithCopy{self.native<WithCopy>()->foo}); };
  register_class<WithCopy>("test_copy", "WithCopy", std::move(cls));
  Graph g;
  Value x = make_native(g, WithCopy{42});
  Value y = copy(g, x);
  ASSERT_NE(y.native<WithCopy>(), nullptr);
  EXPECT_FALSE(y.is(x));
  EXPECT_EQ(y.native<WithCopy>()->foo, 42);
}

struct Registered {
  Value foo;
};

TEST(Copy, test_copy_registry) {
  ClassHooks cls;
  cls.call = [](Graph& g, Value args, Value) { return make_native(g, Registered{args.as_tuple()[0]}); };
  register_class<Registered>("test_copy", "Registered", std::move(cls));
  Graph g;
  Value x = make_native(g, Registered{Value::integer(42)});
  // No reducer and no __getnewargs__/__getstate__: nothing to rebuild it from.
  Error e = error_of([&] { copy(g, x); });
  EXPECT_EQ(e.type(), ErrorType::TypeError);
  EXPECT_EQ(e.message(), "cannot pickle 'Registered' object");

  pickle_class("test_copy", "Registered", [](Graph& g, Value obj) {
    return tuple_of(g, {g.global("test_copy", "Registered"), tuple_of(g, {obj.native<Registered>()->foo})});
  });
  Value y = copy(g, x);
  dispatch_table().remove("test_copy", "Registered");
  EXPECT_FALSE(y.is(x));
  ASSERT_NE(y.native<Registered>(), nullptr);
  EXPECT_EQ(y.native<Registered>()->foo.as_int(), 42);
}

TEST(Copy, test_copy_reduce) {
  // A reducer returning a str: the object is a global, copied as itself.
  int calls = 0;
  ScopedReducer r("__main__", "C", [&](Graph& g, Value) {
    ++calls;
    return g.new_str("");
  });
  Graph g;
  Value x = instance(g, "C");
  EXPECT_TRUE(copy(g, x).is(x));
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(deepcopy(g, x).is(x));
  EXPECT_EQ(calls, 2);
}

TEST(Copy, test_copy_atomic) {
  Graph g;
  Value ellipsis = g.global("builtins", "Ellipsis");
  Value range = g.new_object(Object::How::Reduce, g.global("builtins", "range"), tuple_of(g, {Value::integer(10)}));
  Value slice = g.new_object(Object::How::Reduce, g.global("builtins", "slice"),
                             tuple_of(g, {Value::integer(1), Value::integer(10), Value::integer(2)}));
  Value prop = g.new_object(Object::How::Reduce, g.global("builtins", "property"), g.empty_tuple());
  const std::uint32_t big[] = {0, 0, 0, 16};
  Value tests[] = {Value(),
                   ellipsis,
                   g.global("builtins", "NotImplemented"),
                   Value::integer(42),
                   g.new_bigint(false, big),
                   Value::floating(3.14),
                   Value::boolean(true),
                   Value::boolean(false),
                   g.new_complex(0, 1),
                   str(g, "hello"),
                   str(g, "hello\u1234"),
                   g.new_bytes(std::string_view("world")),
                   range,
                   slice,
                   g.global("__main__", "NewStyle"),
                   g.global("builtins", "max"),
                   prop};
  for (Value x : tests) EXPECT_TRUE(copy(g, x).is(x)) << repr(x);
}

TEST(Copy, test_copy_list) {
  Graph g;
  Value x = list_of(g, {Value::integer(1), Value::integer(2), Value::integer(3)});
  Value y = copy(g, x);
  EXPECT_TRUE(deep_equal(y, x));
  EXPECT_FALSE(y.is(x));
  x = g.new_list();
  y = copy(g, x);
  EXPECT_TRUE(deep_equal(y, x));
  EXPECT_FALSE(y.is(x));
}

TEST(Copy, test_copy_tuple) {
  Graph g;
  Value x = tuple_of(g, {Value::integer(1), Value::integer(2), Value::integer(3)});
  EXPECT_TRUE(copy(g, x).is(x));
  x = g.empty_tuple();
  EXPECT_TRUE(copy(g, x).is(x));
  x = tuple_of(g, {Value::integer(1), Value::integer(2), Value::integer(3), g.new_list()});
  EXPECT_TRUE(copy(g, x).is(x));
}

TEST(Copy, test_copy_dict) {
  Graph g;
  Value x = dict_of(g, {{str(g, "foo"), Value::integer(1)}, {str(g, "bar"), Value::integer(2)}});
  Value y = copy(g, x);
  EXPECT_TRUE(deep_equal(y, x));
  EXPECT_FALSE(y.is(x));
  x = g.new_dict();
  y = copy(g, x);
  EXPECT_TRUE(deep_equal(y, x));
  EXPECT_FALSE(y.is(x));
}

TEST(Copy, test_copy_set) {
  Graph g;
  Value x = g.new_set();
  for (int i : {1, 2, 3}) x.as_set().add(g, Value::integer(i));
  Value y = copy(g, x);
  EXPECT_TRUE(deep_equal(y, x));
  EXPECT_FALSE(y.is(x));
  x = g.new_set();
  y = copy(g, x);
  EXPECT_TRUE(deep_equal(y, x));
  EXPECT_FALSE(y.is(x));
}

TEST(Copy, test_copy_frozenset) {
  Graph g;
  Value x = g.new_frozenset();
  for (int i : {1, 2, 3}) x.as_set().add(g, Value::integer(i));
  EXPECT_TRUE(copy(g, x).is(x));
  x = g.new_frozenset();
  EXPECT_TRUE(copy(g, x).is(x));
}

TEST(Copy, test_copy_bytearray) {
  Graph g;
  const std::uint8_t data[] = {'a', 'b', 'c'};
  Value x = g.new_bytearray(data);
  Value y = copy(g, x);
  EXPECT_TRUE(deep_equal(y, x));
  EXPECT_FALSE(y.is(x));
  x = g.new_bytearray({});
  y = copy(g, x);
  EXPECT_TRUE(deep_equal(y, x));
  EXPECT_FALSE(y.is(x));
}

TEST(Copy, test_copy_inst_vanilla) {
  Graph g;
  Value x = instance(g, "C", dict_of(g, {{str(g, "foo"), Value::integer(42)}}));
  Value y = copy(g, x);
  ASSERT_TRUE(y.is_object());
  EXPECT_FALSE(y.is(x));
  EXPECT_TRUE(y.as_object().callable().is(x.as_object().callable()));
  EXPECT_TRUE(deep_equal(y.as_object().state(), x.as_object().state()));
  // y.__dict__ is a dict of its own.
  EXPECT_FALSE(y.as_object().state().is(x.as_object().state()));
}

struct GetNewArgs {
  Value foo;
};

TEST(Copy, test_copy_inst_getnewargs) {
  ClassHooks cls;
  cls.getnewargs = [](Graph& g, Value self) { return tuple_of(g, {self.native<GetNewArgs>()->foo}); };
  cls.new_ = [](Graph& g, Value args, Value) { return make_native(g, GetNewArgs{args.as_tuple()[0]}); };
  register_class<GetNewArgs>("test_copy", "GetNewArgs", std::move(cls));
  Graph g;
  Value x = make_native(g, GetNewArgs{list_of(g, {Value::integer(42)})});
  Value y = copy(g, x);
  ASSERT_NE(y.native<GetNewArgs>(), nullptr);
  EXPECT_FALSE(y.is(x));
  EXPECT_TRUE(y.native<GetNewArgs>()->foo.is(x.native<GetNewArgs>()->foo));

  Value z = deepcopy(g, x);
  ASSERT_NE(z.native<GetNewArgs>(), nullptr);
  EXPECT_FALSE(z.native<GetNewArgs>()->foo.is(x.native<GetNewArgs>()->foo));
  EXPECT_TRUE(deep_equal(z.native<GetNewArgs>()->foo, x.native<GetNewArgs>()->foo));
}

struct GetNewArgsEx {
  Value foo;
};

TEST(Copy, test_copy_inst_getnewargs_ex) {
  ClassHooks cls;
  cls.getnewargs_ex = [](Graph& g, Value self) {
    return tuple_of(g, {g.empty_tuple(), dict_of(g, {{str(g, "foo"), self.native<GetNewArgsEx>()->foo}})});
  };
  cls.new_ = [](Graph& g, Value args, Value kwargs) {
    EXPECT_EQ(args.as_tuple().size(), 0u);
    return make_native(g, GetNewArgsEx{*kwargs.as_dict().find(g.new_str("foo"))});
  };
  register_class<GetNewArgsEx>("test_copy", "GetNewArgsEx", std::move(cls));
  Graph g;
  Value x = make_native(g, GetNewArgsEx{list_of(g, {Value::integer(42)})});
  Value y = copy(g, x);
  ASSERT_NE(y.native<GetNewArgsEx>(), nullptr);
  EXPECT_FALSE(y.is(x));
  EXPECT_TRUE(y.native<GetNewArgsEx>()->foo.is(x.native<GetNewArgsEx>()->foo));
  Value z = deepcopy(g, x);
  EXPECT_FALSE(z.native<GetNewArgsEx>()->foo.is(x.native<GetNewArgsEx>()->foo));
  EXPECT_TRUE(deep_equal(z.native<GetNewArgsEx>()->foo, x.native<GetNewArgsEx>()->foo));
}

struct GetStateSetState {
  Value foo;
};

TEST(Copy, test_copy_inst_getstate_setstate) {
  ClassHooks cls;
  cls.getstate = [](Graph&, Value self) { return self.native<GetStateSetState>()->foo; };
  cls.new_ = [](Graph& g, Value, Value) { return make_native(g, GetStateSetState{}); };
  cls.setstate = [](Graph&, Value self, Value state) { self.native<GetStateSetState>()->foo = state; };
  register_class<GetStateSetState>("test_copy", "GetStateSetState", std::move(cls));
  Graph g;
  Value x = make_native(g, GetStateSetState{list_of(g, {Value::integer(42)})});
  Value y = copy(g, x);
  EXPECT_FALSE(y.is(x));
  EXPECT_TRUE(y.native<GetStateSetState>()->foo.is(x.native<GetStateSetState>()->foo));
  Value z = deepcopy(g, x);
  EXPECT_FALSE(z.native<GetStateSetState>()->foo.is(x.native<GetStateSetState>()->foo));
  EXPECT_TRUE(deep_equal(z.native<GetStateSetState>()->foo, x.native<GetStateSetState>()->foo));
}

TEST(Copy, test_copy_inst_getstate) {
  // __getstate__ without __setstate__: the state updates the new object's __dict__, which
  // a C++ object does not have.
  struct NoSetState {};
  ClassHooks cls;
  cls.getstate = [](Graph& g, Value) { return dict_of(g, {{g.new_str("foo"), Value::integer(1)}}); };
  cls.new_ = [](Graph& g, Value, Value) { return make_native(g, NoSetState{}); };
  register_class<NoSetState>("test_copy", "NoSetState", std::move(cls));
  Graph g;
  Error e = error_of([&] { copy(g, make_native(g, NoSetState{})); });
  EXPECT_EQ(e.type(), ErrorType::AttributeError);
  EXPECT_EQ(e.message(), "'NoSetState' object has no attribute '__dict__'");
}

TEST(Copy, test_getstate_exc) {
  struct EvilState {};
  ClassHooks cls;
  cls.getstate = [](Graph&, Value) -> Value { throw Error(ErrorType::ValueError, "ain't got no stickin' state"); };
  register_class<EvilState>("test_copy", "EvilState", std::move(cls));
  Graph g;
  Error e = error_of([&] { copy(g, make_native(g, EvilState{})); });
  EXPECT_EQ(e.type(), ErrorType::ValueError);
  EXPECT_EQ(e.message(), "ain't got no stickin' state");
}

TEST(Copy, test_copy_function) {
  Graph g;
  Value f = g.global("test.test_copy", "global_foo");
  EXPECT_TRUE(copy(g, f).is(f));
  EXPECT_TRUE(deepcopy(g, f).is(f));
}

// Neither type has __copy__, __deepcopy__ or a reduction: messages from probe_copy_messages.py.
TEST(Copy, BuffersAndMemoryviewsCannotBeCopied) {
  const std::uint8_t data[] = {'a', 'b'};
  Graph g;
  Value buffer = g.new_buffer(data, true);
  Value view = g.new_memoryview(data);
  for (bool deep : {false, true}) {
    SCOPED_TRACE(deep ? "deepcopy" : "copy");
    auto copy_of = [&](Value v) { return deep ? deepcopy(g, v) : copy(g, v); };
    Error e = error_of([&] { copy_of(buffer); });
    EXPECT_EQ(e.type(), ErrorType::TypeError);
    EXPECT_EQ(e.message(), "cannot pickle 'pickle.PickleBuffer' object");
    e = error_of([&] { copy_of(view); });
    EXPECT_EQ(e.type(), ErrorType::TypeError);
    EXPECT_EQ(e.message(), "cannot pickle memoryview objects");
  }
}

// ---- deepcopy() ------------------------------------------------------------------------------

TEST(DeepCopy, test_deepcopy_basic) {
  Graph g;
  EXPECT_EQ(deepcopy(g, Value::integer(42)).as_int(), 42);
}

TEST(DeepCopy, test_deepcopy_memo) {
  // Tests of reflexive objects are under type-specific sections below; this one only
  // checks that a shared object is copied once.
  Graph g;
  Value inner = g.new_list();
  Value x = list_of(g, {inner, inner});
  Value y = deepcopy(g, x);
  EXPECT_TRUE(deep_equal(y, x));
  EXPECT_FALSE(y.is(x));
  EXPECT_FALSE(y.as_list()[0].is(x.as_list()[0]));
  EXPECT_TRUE(y.as_list()[0].is(y.as_list()[1]));
}

struct WithDeepCopy {
  Value foo;
};

TEST(DeepCopy, test_deepcopy_deepcopy) {
  ClassHooks cls;
  cls.deepcopy = [](Graph& g, Value self, CopyMemo& memo) {
    return make_native(g, WithDeepCopy{deepcopy(g, self.native<WithDeepCopy>()->foo, memo)});
  };
  register_class<WithDeepCopy>("test_copy", "WithDeepCopy", std::move(cls));
  Graph g;
  Value x = make_native(g, WithDeepCopy{list_of(g, {Value::integer(42)})});
  Value y = deepcopy(g, x);
  ASSERT_NE(y.native<WithDeepCopy>(), nullptr);
  EXPECT_FALSE(y.native<WithDeepCopy>()->foo.is(x.native<WithDeepCopy>()->foo));
  EXPECT_TRUE(deep_equal(y.native<WithDeepCopy>()->foo, x.native<WithDeepCopy>()->foo));
}

TEST(DeepCopy, test_deepcopy_registry) {
  struct DRegistered {
    Value foo;
  };
  ClassHooks cls;
  cls.call = [](Graph& g, Value args, Value) { return make_native(g, DRegistered{args.as_tuple()[0]}); };
  register_class<DRegistered>("test_copy", "DRegistered", std::move(cls));
  Graph g;
  Value x = make_native(g, DRegistered{list_of(g, {Value::integer(42)})});
  EXPECT_EQ(error_of([&] { deepcopy(g, x); }).type(), ErrorType::TypeError);
  ScopedReducer r("test_copy", "DRegistered", [](Graph& g, Value obj) {
    return tuple_of(g, {g.global("test_copy", "DRegistered"), tuple_of(g, {obj.native<DRegistered>()->foo})});
  });
  Value y = deepcopy(g, x);
  ASSERT_NE(y.native<DRegistered>(), nullptr);
  EXPECT_FALSE(y.is(x));
  EXPECT_FALSE(y.native<DRegistered>()->foo.is(x.native<DRegistered>()->foo));
  EXPECT_TRUE(deep_equal(y.native<DRegistered>()->foo, x.native<DRegistered>()->foo));
}

TEST(DeepCopy, test_deepcopy_atomic) {
  Graph g;
  Value range = g.new_object(Object::How::Reduce, g.global("builtins", "range"), tuple_of(g, {Value::integer(10)}));
  Value prop = g.new_object(Object::How::Reduce, g.global("builtins", "property"), g.empty_tuple());
  Value tests[] = {Value(),
                   g.global("builtins", "Ellipsis"),
                   Value::integer(42),
                   Value::floating(3.14),
                   Value::boolean(true),
                   g.new_complex(0, 1),
                   str(g, "hello"),
                   str(g, "hello\u1234"),
                   g.new_bytes(std::string_view("world")),
                   g.global("__main__", "NewStyle"),
                   g.global("builtins", "max"),
                   range,
                   prop};
  for (Value x : tests) EXPECT_TRUE(deepcopy(g, x).is(x)) << repr(x);
  // slice is immutable for copy() only: deepcopy() rebuilds it.
  Value slice = g.new_object(Object::How::Reduce, g.global("builtins", "slice"), tuple_of(g, {Value::integer(1)}));
  EXPECT_FALSE(deepcopy(g, slice).is(slice));
}

TEST(DeepCopy, test_deepcopy_list) {
  Graph g;
  Value x = list_of(g, {list_of(g, {Value::integer(1), Value::integer(2)}), Value::integer(3)});
  Value y = deepcopy(g, x);
  EXPECT_TRUE(deep_equal(y, x));
  EXPECT_FALSE(y.is(x));
  EXPECT_FALSE(y.as_list()[0].is(x.as_list()[0]));
}

TEST(DeepCopy, test_deepcopy_reflexive_list) {
  Graph g;
  Value x = g.new_list();
  x.as_list().append(g, x);
  Value y = deepcopy(g, x);
  EXPECT_FALSE(y.is(x));
  EXPECT_TRUE(y.as_list()[0].is(y));
  EXPECT_EQ(y.as_list().size(), 1u);
}

TEST(DeepCopy, test_deepcopy_empty_tuple) {
  Graph g;
  Value x = g.empty_tuple();
  EXPECT_TRUE(deepcopy(g, x).is(x));
}

TEST(DeepCopy, test_deepcopy_tuple) {
  Graph g;
  Value x = tuple_of(g, {list_of(g, {Value::integer(1), Value::integer(2)}), Value::integer(3)});
  Value y = deepcopy(g, x);
  EXPECT_TRUE(deep_equal(y, x));
  EXPECT_FALSE(y.is(x));
  EXPECT_FALSE(y.as_tuple()[0].is(x.as_tuple()[0]));
}

TEST(DeepCopy, test_deepcopy_tuple_of_immutables) {
  Graph g;
  Value x = tuple_of(g, {tuple_of(g, {Value::integer(1), Value::integer(2)}), Value::integer(3)});
  EXPECT_TRUE(deepcopy(g, x).is(x));
}

TEST(DeepCopy, test_deepcopy_reflexive_tuple) {
  Graph g;
  Value l = g.new_list();
  Value x = tuple_of(g, {l});
  l.as_list().append(g, x);
  Value y = deepcopy(g, x);
  EXPECT_FALSE(y.is(x));
  EXPECT_FALSE(y.as_tuple()[0].is(x.as_tuple()[0]));
  EXPECT_TRUE(y.as_tuple()[0].as_list()[0].is(y));
}

TEST(DeepCopy, test_deepcopy_dict) {
  Graph g;
  Value x = dict_of(
      g, {{str(g, "foo"), list_of(g, {Value::integer(1), Value::integer(2)})}, {str(g, "bar"), Value::integer(3)}});
  Value y = deepcopy(g, x);
  EXPECT_TRUE(deep_equal(y, x));
  EXPECT_FALSE(y.is(x));
  EXPECT_FALSE(y.as_dict().find(str(g, "foo"))->is(*x.as_dict().find(str(g, "foo"))));
}

TEST(DeepCopy, test_deepcopy_reflexive_dict) {
  Graph g;
  Value x = g.new_dict();
  x.as_dict().set(g, str(g, "foo"), x);
  Value y = deepcopy(g, x);
  EXPECT_FALSE(y.is(x));
  EXPECT_TRUE(y.as_dict().find(str(g, "foo"))->is(y));
  EXPECT_EQ(y.as_dict().size(), 1u);
}

TEST(DeepCopy, test_deepcopy_dont_memo_immutable) {
  Graph g;
  CopyMemo memo;
  Value x = list_of(g, {Value::integer(1), Value::integer(2), Value::integer(3), Value::integer(4)});
  Value y = deepcopy(g, x, memo);
  EXPECT_TRUE(deep_equal(y, x));
  EXPECT_EQ(memo.size(), 1u);  // the new list (Python also counts its keep-alive entry)

  memo.clear();
  x = list_of(g, {tuple_of(g, {Value::integer(1), Value::integer(2)})});
  y = deepcopy(g, x, memo);
  EXPECT_TRUE(deep_equal(y, x));
  // Tuples with immutable contents are immutable for deepcopy.
  EXPECT_EQ(memo.size(), 1u);
}

TEST(DeepCopy, test_deepcopy_inst_vanilla) {
  Graph g;
  Value x = instance(g, "C", dict_of(g, {{str(g, "foo"), list_of(g, {Value::integer(42)})}}));
  Value y = deepcopy(g, x);
  EXPECT_FALSE(y.is(x));
  EXPECT_TRUE(deep_equal(y.as_object().state(), x.as_object().state()));
  EXPECT_FALSE(attr(y, "foo").is(attr(x, "foo")));
}

TEST(DeepCopy, test_deepcopy_reflexive_inst) {
  Graph g;
  Value x = instance(g, "C");
  x.as_object().set_state(dict_of(g, {{str(g, "foo"), x}}));
  Value y = deepcopy(g, x);
  EXPECT_FALSE(y.is(x));
  EXPECT_TRUE(attr(y, "foo").is(y));
}

TEST(DeepCopy, SharedAcrossCallsWithOneMemo) {
  Graph g;
  Value shared = g.new_list();
  Value a = list_of(g, {shared});
  Value b = list_of(g, {shared});
  CopyMemo memo;
  Value ca = deepcopy(g, a, memo);
  Value cb = deepcopy(g, b, memo);
  EXPECT_TRUE(ca.as_list()[0].is(cb.as_list()[0]));
  EXPECT_FALSE(ca.as_list()[0].is(shared));
}

TEST(DeepCopy, SetsAndFrozensetsAreRebuilt) {
  Graph g;
  Value t = tuple_of(g, {Value::integer(1), str(g, "a")});
  Value fs = g.new_frozenset();
  fs.as_set().add(g, t);
  Value s = g.new_set();
  s.as_set().add(g, fs);
  Value y = deepcopy(g, s);
  EXPECT_FALSE(y.is(s));
  EXPECT_TRUE(deep_equal(y, s));
  // frozenset.__reduce__ makes deepcopy build a new frozenset even of immutable items.
  Value fs_copy = *y.as_set().begin();
  EXPECT_FALSE(fs_copy.is(fs));
  EXPECT_TRUE(copy(g, fs).is(fs));
}

TEST(DeepCopy, DepthLimitRaisesRecursionError) {
  Graph g;
  Value x = g.new_list();
  for (int i = 0; i < 100; ++i) x = list_of(g, {x});
  CopyOptions shallow_limit;
  shallow_limit.max_depth = 50;
  Error e = error_of([&] { deepcopy(g, x, shallow_limit); });
  EXPECT_EQ(e.type(), ErrorType::RecursionError);
  EXPECT_TRUE(deep_equal(deepcopy(g, x), x));
}

// ---- _reconstruct() --------------------------------------------------------------------------

TEST(Reconstruct, test_reconstruct_string) {
  ScopedReducer r("__main__", "C", [](Graph& g, Value) { return g.new_str(""); });
  Graph g;
  Value x = instance(g, "C");
  EXPECT_TRUE(copy(g, x).is(x));
  EXPECT_TRUE(deepcopy(g, x).is(x));
}

TEST(Reconstruct, test_reconstruct_nostate) {
  ScopedReducer r("__main__", "C", [](Graph& g, Value) {
    return tuple_of(g, {g.global("__main__", "C"), g.empty_tuple()});
  });
  Graph g;
  Value x = instance(g, "C", dict_of(g, {{str(g, "foo"), Value::integer(42)}}));
  for (Value y : {copy(g, x), deepcopy(g, x)}) {
    ASSERT_TRUE(y.is_object());
    EXPECT_TRUE(y.as_object().callable().is(x.as_object().callable()));
    EXPECT_FALSE(y.as_object().has_state());
  }
}

TEST(Reconstruct, test_reconstruct_state) {
  ScopedReducer r("__main__", "C", [](Graph& g, Value obj) {
    return tuple_of(g, {g.global("__main__", "C"), g.empty_tuple(), obj.as_object().state()});
  });
  Graph g;
  Value x = instance(g, "C", dict_of(g, {{str(g, "foo"), list_of(g, {Value::integer(42)})}}));
  Value y = copy(g, x);
  EXPECT_TRUE(deep_equal(y.as_object().state(), x.as_object().state()));
  EXPECT_TRUE(attr(y, "foo").is(attr(x, "foo")));
  y = deepcopy(g, x);
  EXPECT_TRUE(deep_equal(y.as_object().state(), x.as_object().state()));
  EXPECT_FALSE(attr(y, "foo").is(attr(x, "foo")));
}

TEST(Reconstruct, test_reconstruct_state_setstate) {
  struct SetState {
    Value dict;
  };
  ClassHooks cls;
  cls.call = [](Graph& g, Value, Value) { return make_native(g, SetState{}); };
  cls.setstate = [](Graph&, Value self, Value state) { self.native<SetState>()->dict = state; };
  register_class<SetState>("test_copy", "SetState", std::move(cls));
  ScopedReducer r("test_copy", "SetState", [](Graph& g, Value obj) {
    return tuple_of(g, {g.global("test_copy", "SetState"), g.empty_tuple(), obj.native<SetState>()->dict});
  });
  Graph g;
  Value x = make_native(g, SetState{dict_of(g, {{str(g, "foo"), list_of(g, {Value::integer(42)})}})});
  Value y = copy(g, x);
  EXPECT_TRUE(y.native<SetState>()->dict.is(x.native<SetState>()->dict));  // __setstate__ got the state itself
  y = deepcopy(g, x);
  EXPECT_TRUE(deep_equal(y.native<SetState>()->dict, x.native<SetState>()->dict));
  EXPECT_FALSE(y.native<SetState>()->dict.is(x.native<SetState>()->dict));
}

TEST(Reconstruct, test_reconstruct_reflexive) {
  Graph g;
  Value x = instance(g, "C");
  x.as_object().set_state(dict_of(g, {{str(g, "foo"), x}}));
  Value y = deepcopy(g, x);
  EXPECT_FALSE(y.is(x));
  EXPECT_TRUE(attr(y, "foo").is(y));
}

// C(list) whose __reduce__ returns (C, (), self.__dict__, iter(self)).
TEST(Reconstruct, test_reduce_4tuple) {
  ScopedReducer r("__main__", "L", [](Graph& g, Value obj) {
    Value items = g.new_list();
    for (Value v : obj.as_object().list_items()) items.as_list().append(g, v);
    return tuple_of(g, {g.global("__main__", "L"), g.empty_tuple(), obj.as_object().state(), g.new_iterator(items)});
  });
  Graph g;
  Value x = instance(g, "L", g.new_dict());
  x.as_object().append(g, list_of(g, {Value::integer(1), Value::integer(2)}));
  x.as_object().append(g, Value::integer(3));
  Value y = copy(g, x);
  EXPECT_FALSE(y.is(x));
  ASSERT_EQ(y.as_object().list_items().size(), 2u);
  EXPECT_TRUE(y.as_object().list_items()[0].is(x.as_object().list_items()[0]));
  y = deepcopy(g, x);
  EXPECT_FALSE(y.is(x));
  ASSERT_EQ(y.as_object().list_items().size(), 2u);
  EXPECT_FALSE(y.as_object().list_items()[0].is(x.as_object().list_items()[0]));
  EXPECT_TRUE(deep_equal(y.as_object().list_items()[0], x.as_object().list_items()[0]));
}

// C(dict) whose __reduce__ returns (C, (), self.__dict__, None, self.items()).
TEST(Reconstruct, test_reduce_5tuple) {
  ScopedReducer r("__main__", "D", [](Graph& g, Value obj) {
    Value items = g.new_dict();
    for (const Dict::Entry& e : obj.as_object().dict_items()) items.as_dict().set(g, e.key, e.value);
    return tuple_of(g, {g.global("__main__", "D"), g.empty_tuple(), obj.as_object().state(), Value(),
                        g.new_iterator(items, Iterator::Over::DictItems)});
  });
  Graph g;
  Value x = instance(g, "D", g.new_dict());
  x.as_object().set_item(g, str(g, "foo"), list_of(g, {Value::integer(1), Value::integer(2)}));
  x.as_object().set_item(g, str(g, "bar"), Value::integer(3));
  Value y = copy(g, x);
  EXPECT_FALSE(y.is(x));
  ASSERT_EQ(y.as_object().dict_items().size(), 2u);
  EXPECT_TRUE(y.as_object().dict_items()[0].value.is(x.as_object().dict_items()[0].value));
  y = deepcopy(g, x);
  ASSERT_EQ(y.as_object().dict_items().size(), 2u);
  EXPECT_FALSE(y.as_object().dict_items()[0].value.is(x.as_object().dict_items()[0].value));
  EXPECT_TRUE(deep_equal(y.as_object().dict_items()[0].value, x.as_object().dict_items()[0].value));
}

TEST(Reconstruct, test_reduce_6tuple) {
  for (bool setter_is_none : {false, true}) {
    ScopedReducer r("__main__", "C", [setter_is_none](Graph& g, Value obj) {
      Value setter = setter_is_none ? Value() : g.global("__main__", "state_setter");
      return tuple_of(g,
                      {g.global("__main__", "C"), g.empty_tuple(), obj.as_object().state(), Value(), Value(), setter});
    });
    Graph g;
    Value x = instance(g, "C", g.new_dict());
    for (bool deep : {false, true}) {
      Error e = error_of([&] { deep ? deepcopy(g, x) : copy(g, x); });
      EXPECT_EQ(e.type(), ErrorType::TypeError);
      EXPECT_EQ(e.message(), "_reconstruct() takes from 4 to 7 positional arguments but 8 were given");
    }
  }
}

// Before 3.10 _reconstruct's eighth positional parameter is `deepcopy`: a sixth item is
// accepted, copy ignores it, and deepcopy calls it where it would call copy.deepcopy
// (CPython then runs the setter with (state, memo); the library refuses to).
TEST(Reconstruct, SixthItemStandsForDeepcopyBefore310) {
  ScopedReducer r("__main__", "C", [](Graph& g, Value obj) {
    return tuple_of(g, {g.global("__main__", "C"), g.empty_tuple(), obj.as_object().state(), Value(), Value(),
                        g.global("__main__", "state_setter")});
  });
  Graph g;
  Value x = instance(g, "C", dict_of(g, {{str(g, "a"), Value::integer(1)}}));
  CopyOptions python39;
  python39.python = PythonVersion{3, 9};
  Value y = copy(g, x, python39);
  EXPECT_FALSE(y.is(x));
  EXPECT_EQ(attr(y, "a").as_int(), 1);
  Error e = error_of([&] { deepcopy(g, x, python39); });
  EXPECT_EQ(e.type(), ErrorType::NotImplementedError);

  Value empty = instance(g, "C");  // no state: nothing for deepcopy to copy
  EXPECT_TRUE(deepcopy(g, empty, python39).is_object());
}

TEST(Reconstruct, test_copy_slots) {
  Graph g;
  Value foo = list_of(g, {Value::integer(42)});
  Value x = instance(g, "C", tuple_of(g, {Value(), dict_of(g, {{str(g, "foo"), foo}})}));
  Value y = copy(g, x);
  ASSERT_TRUE(y.as_object().state().is_tuple());
  Value slots = y.as_object().state().as_tuple()[1];
  EXPECT_TRUE(slots.as_dict().find(str(g, "foo"))->is(foo));
  y = deepcopy(g, x);
  slots = y.as_object().state().as_tuple()[1];
  EXPECT_FALSE(slots.as_dict().find(str(g, "foo"))->is(foo));
  EXPECT_TRUE(deep_equal(*slots.as_dict().find(str(g, "foo")), foo));
}

TEST(Reconstruct, test_copy_list_subclass) {
  Graph g;
  Value first = list_of(g, {Value::integer(1), Value::integer(2)});
  Value foo = list_of(g, {Value::integer(4), Value::integer(5)});
  Value x = instance(g, "C", dict_of(g, {{str(g, "foo"), foo}}));
  x.as_object().append(g, first);
  x.as_object().append(g, Value::integer(3));
  Value y = copy(g, x);
  ASSERT_EQ(y.as_object().list_items().size(), 2u);
  EXPECT_TRUE(y.as_object().list_items()[0].is(first));
  EXPECT_TRUE(attr(y, "foo").is(foo));
  y = deepcopy(g, x);  // test_deepcopy_list_subclass
  ASSERT_EQ(y.as_object().list_items().size(), 2u);
  EXPECT_FALSE(y.as_object().list_items()[0].is(first));
  EXPECT_TRUE(deep_equal(y.as_object().list_items()[0], first));
  EXPECT_FALSE(attr(y, "foo").is(foo));
  EXPECT_TRUE(deep_equal(attr(y, "foo"), foo));
}

TEST(Reconstruct, test_deepcopy_tuple_subclass) {
  // A tuple subclass instance as loaded: C.__new__(C, ([1, 2], 3)) via __newobj__ args.
  Graph g;
  Value first = list_of(g, {Value::integer(1), Value::integer(2)});
  Value x = g.new_object(Object::How::NewObj, g.global("__main__", "C"), tuple_of(g, {first, Value::integer(3)}));
  Value y = copy(g, x);
  EXPECT_FALSE(y.is(x));
  EXPECT_TRUE(y.as_object().args().as_tuple()[0].is(first));
  y = deepcopy(g, x);
  EXPECT_FALSE(y.is(x));
  EXPECT_FALSE(y.as_object().args().as_tuple()[0].is(first));
  EXPECT_TRUE(deep_equal(y.as_object().args().as_tuple()[0], first));
}

// ---- malformed reductions: the errors of copy._reconstruct (checked against CPython) ---------

struct MalformedCase {
  const char* name;
  Value (*reduce)(Graph& g);
  ErrorType type;
  const char* message;       // copy()
  const char* deep_message;  // deepcopy(), when it differs
};

Value cls_c(Graph& g) { return g.global("__main__", "C"); }

const MalformedCase kMalformed[] = {
    {"not_iterable", [](Graph&) { return Value::integer(5); }, ErrorType::TypeError,
     "Value after * must be an iterable, not int", nullptr},
    {"one_item", [](Graph& g) { return tuple_of(g, {cls_c(g)}); }, ErrorType::TypeError,
     "_reconstruct() missing 1 required positional argument: 'args'", nullptr},
    {"empty", [](Graph& g) { return g.empty_tuple(); }, ErrorType::TypeError,
     "_reconstruct() missing 2 required positional arguments: 'func' and 'args'", nullptr},
    {"args_int",
     [](Graph& g) {
       return tuple_of(g, {cls_c(g), Value::integer(5)});
     },
     ErrorType::TypeError, "__main__.C() argument after * must be an iterable, not int",
     "'int' object is not iterable"},
    {"args_none",
     [](Graph& g) {
       return tuple_of(g, {cls_c(g), Value()});
     },
     ErrorType::TypeError, "__main__.C() argument after * must be an iterable, not NoneType", nullptr},
    {"func_int",
     [](Graph& g) {
       return tuple_of(g, {Value::integer(5), g.empty_tuple()});
     },
     ErrorType::TypeError, "'int' object is not callable", nullptr},
    {"listiter_int",
     [](Graph& g) {
       return tuple_of(g, {cls_c(g), g.empty_tuple(), Value(), Value::integer(5)});
     },
     ErrorType::TypeError, "'int' object is not iterable", nullptr},
    {"dictiter_int",
     [](Graph& g) {
       return tuple_of(g, {cls_c(g), g.empty_tuple(), Value(), Value(), Value::integer(5)});
     },
     ErrorType::TypeError, "'int' object is not iterable", nullptr},
    {"dictiter_item_int",
     [](Graph& g) {
       return tuple_of(g, {cls_c(g), g.empty_tuple(), Value(), Value(), list_of(g, {Value::integer(1)})});
     },
     ErrorType::TypeError, "cannot unpack non-iterable int object", nullptr},
    {"dictiter_item_triple",
     [](Graph& g) {
       Value triple = tuple_of(g, {Value::integer(1), Value::integer(2), Value::integer(3)});
       return tuple_of(g, {cls_c(g), g.empty_tuple(), Value(), Value(), list_of(g, {triple})});
     },
     ErrorType::ValueError, "too many values to unpack (expected 2)", nullptr},
    {"state_int",
     [](Graph& g) {
       return tuple_of(g, {cls_c(g), g.empty_tuple(), Value::integer(5)});
     },
     ErrorType::TypeError, "'int' object is not iterable", nullptr},
    {"state_list_of_ints",
     [](Graph& g) {
       return tuple_of(g, {cls_c(g), g.empty_tuple(), list_of(g, {Value::integer(1), Value::integer(2)})});
     },
     ErrorType::TypeError, "cannot convert dictionary update sequence element #0 to a sequence", nullptr},
    {"state_str",
     [](Graph& g) {
       return tuple_of(g, {cls_c(g), g.empty_tuple(), g.new_str("ab")});
     },
     ErrorType::ValueError, "dictionary update sequence element #0 has length 1; 2 is required", nullptr},
    {"slotstate_int_key",
     [](Graph& g) {
       Value state = tuple_of(g, {Value(), dict_of(g, {{Value::integer(1), Value::integer(2)}})});
       return tuple_of(g, {cls_c(g), g.empty_tuple(), state});
     },
     ErrorType::TypeError, "attribute name must be string, not 'int'", nullptr},
    {"slotstate_list",
     [](Graph& g) {
       Value state = tuple_of(g, {Value(), list_of(g, {Value::integer(1)})});
       return tuple_of(g, {cls_c(g), g.empty_tuple(), state});
     },
     ErrorType::AttributeError, "'list' object has no attribute 'items'", nullptr},
    {"append_to_list_class",
     [](Graph& g) {
       return tuple_of(g, {g.global("builtins", "set"), g.empty_tuple(), Value(), list_of(g, {Value::integer(1)})});
     },
     ErrorType::AttributeError, "'set' object has no attribute 'append'", nullptr},
};

class MalformedReduction : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedReduction, RaisesWhatCopyRaises) {
  const MalformedCase& c = GetParam();
  ScopedReducer r("__main__", "C", [&c](Graph& g, Value) { return c.reduce(g); });
  Graph g;
  Value x = instance(g, "C");
  Error e = error_of([&] { copy(g, x); });
  EXPECT_EQ(e.type(), c.type);
  EXPECT_EQ(e.message(), c.message);
  Error d = error_of([&] { deepcopy(g, x); });
  EXPECT_EQ(d.type(), c.type);
  EXPECT_EQ(d.message(), c.deep_message ? c.deep_message : c.message);
}

INSTANTIATE_TEST_SUITE_P(CopyPy, MalformedReduction, ::testing::ValuesIn(kMalformed),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace pickle
