// copyreg for C++ types: a port of CPython's Lib/test/test_copyreg.py, and the library's
// own tests of native classes, dispatch tables and constructors.
//
// Expected messages are CPython's (lib/test/golden/probe_copy_messages.py prints them).
// test_slotnames is not ported: C++ classes have no __slots__, and the library never
// computes slot names (an inert object's state carries them as the pickle stored them).
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "pickle/copy.h"
#include "pickle/copyreg.h"
#include "pickle/error.h"
#include "pickle/pickler.h"
#include "pickle/unpickler.h"
#include "text_golden.h"

namespace pickle {
namespace {

using text_golden::error_of;

Value tuple_of(Graph& g, std::initializer_list<Value> items) {
  return items.size() ? g.new_tuple(std::span(items.begin(), items.size())) : g.empty_tuple();
}

// ---- test_copyreg.py ---------------------------------------------------------------------------

TEST(CopyReg, test_class) {
  Error e = error_of([] { pickle_class("test_copyreg", "C", nullptr, nullptr); });
  EXPECT_EQ(e.type(), ErrorType::TypeError);
  EXPECT_EQ(e.message(), "reduction functions must be callable");
}

TEST(CopyReg, test_noncallable_reduce) {
  Error e = error_of([] { dispatch_table().pickle("builtins", "int", Reducer()); });
  EXPECT_EQ(e.type(), ErrorType::TypeError);
  EXPECT_EQ(e.message(), "reduction functions must be callable");
}

TEST(CopyReg, test_noncallable_constructor) {
  Error e = error_of([] { constructor(nullptr); });
  EXPECT_EQ(e.type(), ErrorType::TypeError);
  EXPECT_EQ(e.message(), "constructors must be callable");
  // (copyreg.pickle(cls, reducer, None) is valid: an empty std::function is that None.)
}

TEST(CopyReg, test_bool) {
  Graph g;
  EXPECT_TRUE(copy(g, Value::boolean(true)).is(Value::boolean(true)));
}

// ExtensionSaver: the test works on a registry of its own, so the process-wide one is
// untouched; the limits are checked on both.
TEST(CopyReg, test_extension_registry) {
  const std::string mod = "junk1 ", func = " junk2";
  const std::int64_t code = 0xabcd;
  auto message = [](auto&& f) { return error_of(f).message(); };
  for (ExtensionRegistry* reg : {new ExtensionRegistry(), &default_extensions()}) {
    ExtensionRegistry& r = *reg;
    // Shouldn't be in registry now.
    EXPECT_EQ(message([&] { r.remove(mod, func, code); }),
              "key ('junk1 ', ' junk2') is not registered with code 43981");
    r.add(mod, func, code);
    // Should be in the registry.
    EXPECT_EQ(r.lookup_key(mod, func), code);
    EXPECT_EQ(r.lookup_code(code), std::make_pair(mod, func));
    // Redundant registration should be OK.
    r.add(mod, func, code);
    // Conflicting code.
    EXPECT_EQ(message([&] { r.add(mod, func, code + 1); }),
              "key ('junk1 ', ' junk2') is already registered with code 43981");
    EXPECT_EQ(message([&] { r.remove(mod, func, code + 1); }),
              "key ('junk1 ', ' junk2') is not registered with code 43982");
    // Conflicting module name.
    EXPECT_EQ(message([&] { r.add(mod.substr(1), func, code); }),
              "code 43981 is already in use for key ('junk1 ', ' junk2')");
    EXPECT_EQ(message([&] { r.remove(mod.substr(1), func, code); }),
              "key ('unk1 ', ' junk2') is not registered with code 43981");
    // Conflicting function name.
    EXPECT_EQ(message([&] { r.add(mod, func.substr(1), code); }),
              "code 43981 is already in use for key ('junk1 ', ' junk2')");
    EXPECT_EQ(message([&] { r.remove(mod, func.substr(1), code); }),
              "key ('junk1 ', 'junk2') is not registered with code 43981");
    // Can't remove one that isn't registered at all.
    EXPECT_EQ(message([&] { r.remove(mod.substr(1), func.substr(1), code + 1); }),
              "key ('unk1 ', 'junk2') is not registered with code 43982");
    r.remove(mod, func, code);
    // Shouldn't be there anymore.
    EXPECT_FALSE(r.lookup_key(mod, func));
    EXPECT_FALSE(r.lookup_code(code));

    // Check valid codes at the limits.
    for (std::int64_t c : {std::int64_t{1}, std::int64_t{0x7fffffff}}) {
      r.add(mod, func, c);
      r.remove(mod, func, c);
    }
    // Ensure invalid codes blow up.
    for (std::int64_t c : {std::int64_t{-1}, std::int64_t{0}, std::int64_t{0x80000000}}) {
      Error e = error_of([&] { r.add(mod, func, c); });
      EXPECT_EQ(e.type(), ErrorType::ValueError);
      EXPECT_EQ(e.message(), "code out of range");
    }
    if (reg != &default_extensions()) delete reg;
  }
}

// ---- extension codes in pickles -----------------------------------------------------------------

TEST(Extensions, PicklerWritesTheShortestExtOpcodeAndUnpicklerResolvesIt) {
  ExtensionRegistry reg;
  reg.add("test_copyreg", "one_byte", 0xf0);
  reg.add("test_copyreg", "two_bytes", 0xfff0);
  reg.add("test_copyreg", "four_bytes", 0x12345678);
  PicklerOptions popts;
  popts.protocol = 2;
  popts.extensions = &reg;
  UnpicklerOptions uopts;
  uopts.extensions = &reg;
  const std::pair<const char*, std::string> cases[] = {
      {"one_byte", "\x82\xf0"}, {"two_bytes", std::string("\x83\xf0\xff", 3)}, {"four_bytes", "\x84\x78\x56\x34\x12"}};
  for (const auto& [name, op] : cases) {
    Graph g;
    std::string bytes = dumps(g.global("test_copyreg", name), popts);
    EXPECT_EQ(bytes, std::string("\x80\x02", 2) + op + ".") << name;
    Graph back = loads(bytes, uopts);
    ASSERT_TRUE(back.root().is_global());
    EXPECT_EQ(back.root().as_global().qualname(), name);
  }
  // Below protocol 2 there are no EXT opcodes: the global is written by name.
  Graph g;
  popts.protocol = 1;
  EXPECT_EQ(dumps(g.global("test_copyreg", "one_byte"), popts).substr(0, 23), "ctest_copyreg\none_byte\n");
}

TEST(Extensions, UnregisteredCodeIsAValueErrorAtItsOffset) {
  ExtensionRegistry reg;
  UnpicklerOptions uopts;
  uopts.extensions = &reg;
  Error e = error_of([&] { loads(std::string_view("\x80\x02\x82\x07.", 5), uopts); });
  EXPECT_EQ(e.type(), ErrorType::ValueError);
  EXPECT_EQ(e.message(), "unregistered extension code 7");
  EXPECT_EQ(e.offset(), 2u);
}

// ---- native classes: constructors for loading ---------------------------------------------------

struct Point {
  int x = 0, y = 0;
  Value extra;  // set by BUILD
};

const NativeClass& point_class() {
  static const NativeClass& cls = []() -> const NativeClass& {
    ClassHooks c;
    c.call = [](Graph& g, Value args, Value) {
      const Tuple& a = args.as_tuple();
      if (a.size() != 2 || !a[0].is_small_int() || !a[1].is_small_int()) {
        throw Error(ErrorType::TypeError, "Point() takes two int arguments");
      }
      return make_native(g, Point{static_cast<int>(a[0].as_int()), static_cast<int>(a[1].as_int()), Value()});
    };
    c.new_ = [](Graph& g, Value, Value) { return make_native(g, Point{}); };
    c.setstate = [](Graph&, Value self, Value state) { self.native<Point>()->extra = state; };
    return register_class<Point>("test_copyreg", "Point", std::move(c));
  }();
  return cls;
}

Reducer point_reducer() {
  return [](Graph& g, Value obj) {
    const Point& p = *obj.native<Point>();
    return tuple_of(g, {g.global("test_copyreg", "Point"), tuple_of(g, {Value::integer(p.x), Value::integer(p.y)})});
  };
}

TEST(NativeClasses, ReduceCallsTheConstructorOnLoad) {
  point_class();
  DispatchTable table;
  table.pickle<Point>(point_reducer());
  Graph g;
  PicklerOptions opts;
  opts.dispatch_table = &table;
  for (int proto = 0; proto <= 5; ++proto) {
    opts.protocol = proto;
    std::string bytes = dumps(make_native(g, Point{3, 4, Value()}), opts);
    Graph back = loads(bytes);
    Point* p = back.root().native<Point>();
    ASSERT_NE(p, nullptr) << "protocol " << proto;
    EXPECT_EQ(p->x, 3);
    EXPECT_EQ(p->y, 4);
  }
}

// A reducer may name the object's own class through copyreg.__newobj__, as Python's
// object.__reduce_ex__ does; the class of a Native is its registered class.
TEST(NativeClasses, ReducerReturningNewobjOfTheOwnClass) {
  point_class();
  DispatchTable table;
  table.pickle<Point>([](Graph& g, Value) {
    return tuple_of(g, {g.global("copyreg", "__newobj__"), tuple_of(g, {g.global("test_copyreg", "Point")})});
  });
  Graph g;
  PicklerOptions opts;
  opts.dispatch_table = &table;
  Graph back = loads(dumps(make_native(g, Point{1, 2, Value()}), opts));
  ASSERT_NE(back.root().native<Point>(), nullptr);  // rebuilt by Point.__new__
}

TEST(NativeClasses, InstObjNewObjAndBuildReachTheHooks) {
  point_class();
  // INST and OBJ with arguments call the class; NEWOBJ calls __new__; BUILD __setstate__.
  Graph inst = loads(std::string_view("(I1\nI2\nitest_copyreg\nPoint\n."));
  EXPECT_EQ(inst.root().native<Point>()->y, 2);
  Graph obj = loads(std::string_view("(ctest_copyreg\nPoint\nI5\nI6\no."));
  EXPECT_EQ(obj.root().native<Point>()->x, 5);
  Graph newobj =
      loads(std::string_view("\x80\x02"
                             "ctest_copyreg\nPoint\n)\x81K\x07"
                             "b."));
  ASSERT_NE(newobj.root().native<Point>(), nullptr);
  EXPECT_EQ(newobj.root().native<Point>()->x, 0);
  EXPECT_EQ(newobj.root().native<Point>()->extra.as_int(), 7);
}

TEST(NativeClasses, ConstructorErrorsPropagateWithTheirClassAndAnOffset) {
  point_class();
  Error e = error_of([] { loads(std::string_view("ctest_copyreg\nPoint\n(S'a'\ntR.")); });
  EXPECT_EQ(e.type(), ErrorType::TypeError);
  EXPECT_EQ(e.message(), "Point() takes two int arguments");
  EXPECT_EQ(e.offset(), 27u);  // the REDUCE opcode
}

TEST(NativeClasses, BuildWithoutSetstateFailsLikeAnObjectWithoutDict) {
  struct Bare {};
  ClassHooks cls;
  cls.new_ = [](Graph& g, Value, Value) { return make_native(g, Bare{}); };
  register_class<Bare>("test_copyreg", "Bare", std::move(cls));
  Error e = error_of([] {
    loads(
        std::string_view("\x80\x02"
                         "ctest_copyreg\nBare\n)\x81}b."));
  });
  EXPECT_EQ(e.type(), ErrorType::AttributeError);
  EXPECT_EQ(e.message(), "'Bare' object has no attribute '__dict__'");
}

TEST(NativeClasses, UnregisteredTypeCannotBeWrapped) {
  struct Stranger {};
  Graph g;
  Error e = error_of([&] { make_native(g, Stranger{}); });
  EXPECT_EQ(e.type(), ErrorType::TypeError);
}

// ---- dispatch tables ----------------------------------------------------------------------------

TEST(DispatchTables, PicklerTableReplacesTheProcessWideOne) {
  point_class();
  dispatch_table().pickle<Point>([](Graph& g, Value) { return g.new_str("ORIGIN"); });
  DispatchTable own;
  own.pickle<Point>(point_reducer());
  Graph g;
  Value p = make_native(g, Point{1, 2, Value()});
  PicklerOptions opts;
  opts.protocol = 0;
  // The process-wide reducer names a global; the pickler's own table rebuilds the point.
  Graph named = loads(dumps(p, opts));
  ASSERT_TRUE(named.root().is_global());
  EXPECT_EQ(named.root().as_global().qualname(), "ORIGIN");
  opts.dispatch_table = &own;
  Graph rebuilt = loads(dumps(p, opts));
  ASSERT_NE(rebuilt.root().native<Point>(), nullptr);
  EXPECT_EQ(rebuilt.root().native<Point>()->y, 2);
  dispatch_table().remove("test_copyreg", "Point");
  EXPECT_EQ(dispatch_table().find("test_copyreg", "Point"), nullptr);
}

TEST(DispatchTables, CopiesAreIndependent) {
  DispatchTable a;
  a.pickle("m", "A", [](Graph& g, Value) { return g.new_str("x"); });
  DispatchTable b = a;
  b.remove("m", "A");
  EXPECT_NE(a.find("m", "A"), nullptr);
  EXPECT_EQ(b.find("m", "A"), nullptr);
}

TEST(DispatchTables, ReducersApplyToInertInstancesByClassName) {
  DispatchTable table;
  table.pickle("m", "K", [](Graph& g, Value) { return g.new_str("SINGLETON"); });
  Graph g;
  Value inst = g.new_object(Object::How::NewObj, g.global("m", "K"), g.empty_tuple());
  PicklerOptions opts;
  opts.protocol = 0;
  opts.dispatch_table = &table;
  Graph back = loads(dumps(inst, opts));
  ASSERT_TRUE(back.root().is_global());
  EXPECT_EQ(back.root().as_global().qualname(), "SINGLETON");
  // Builtin containers never consult a table.
  EXPECT_EQ(table.find(g.new_list()), nullptr);
}

TEST(DispatchTables, ReducerExceptionsPropagateUnchanged) {
  DispatchTable table;
  table.pickle("m", "K", [](Graph&, Value) -> Value { throw Error(ErrorType::KeyError, "'boom'"); });
  Graph g;
  PicklerOptions opts;
  opts.dispatch_table = &table;
  Error e = error_of([&] { dumps(g.new_object(Object::How::NewObj, g.global("m", "K"), g.empty_tuple()), opts); });
  EXPECT_EQ(e.type(), ErrorType::KeyError);
  EXPECT_EQ(e.message(), "'boom'");
}

// ---- the class registry ---------------------------------------------------------------------

TEST(Registry, RegisteringAgainReplacesTheHooksOfTheSameClass) {
  struct Versioned {
    int version;
  };
  auto hooks_for = [](int version) {
    ClassHooks h;
    h.call = [version](Graph& g, Value, Value) { return make_native(g, Versioned{version}); };
    return h;
  };
  const NativeClass& first = register_class<Versioned>("test_registry", "Versioned", hooks_for(1));
  Graph before = loads(std::string_view("ctest_registry\nVersioned\n)R."));
  const NativeClass& again = register_class<Versioned>("test_registry", "Versioned", hooks_for(2));
  EXPECT_EQ(&first, &again);  // the class stays; loaded natives still point to it
  EXPECT_EQ(before.root().native<Versioned>()->version, 1);
  EXPECT_EQ(&before.root().as_native().cls(), &first);
  Graph after = loads(std::string_view("ctest_registry\nVersioned\n)R."));
  EXPECT_EQ(after.root().native<Versioned>()->version, 2);
  EXPECT_EQ(find_registered_class(typeid(Versioned)), &first);
  EXPECT_EQ(find_registered_class("test_registry", "Versioned"), &first);
}

TEST(Registry, ConflictingRegistrationsAreRefused) {
  struct A {};
  struct B {};
  register_class<A>("test_registry", "A");
  Error e = error_of([] { register_class<A>("test_registry", "A2"); });
  EXPECT_EQ(e.type(), ErrorType::ValueError);
  EXPECT_EQ(e.message(), std::string("the C++ type ") + typeid(A).name() + " is already registered as test_registry.A");
  e = error_of([] { register_class<B>("test_registry", "A"); });
  EXPECT_EQ(e.type(), ErrorType::ValueError);
  EXPECT_EQ(e.message(), std::string("test_registry.A is already registered for the C++ type ") + typeid(A).name());
  EXPECT_EQ(find_registered_class(typeid(B)), nullptr);
  EXPECT_EQ(find_registered_class("test_registry", "A2"), nullptr);
}

TEST(Registry, RegisteredClassRefusesAnUnregisteredType) {
  struct Registered {};
  struct Unregistered {};
  const NativeClass& cls = register_class<Registered>("test_registry", "Registered");
  EXPECT_EQ(&registered_class<Registered>(), &cls);
  Error e = error_of([] { registered_class<Unregistered>(); });
  EXPECT_EQ(e.type(), ErrorType::TypeError);
  EXPECT_EQ(e.message(), std::string("no Python class is registered for the C++ type ") + typeid(Unregistered).name());
  Graph g;
  EXPECT_EQ(error_of([&] { make_native(g, Unregistered{}); }).type(), ErrorType::TypeError);
}

TEST(Registry, HooksCanBeReplacedWhileOtherThreadsLoad) {
  struct Counter {
    int version;
  };
  auto hooks_for = [](int version) {
    ClassHooks h;
    h.call = [version](Graph& g, Value, Value) { return make_native(g, Counter{version}); };
    return h;
  };
  register_class<Counter>("test_registry", "Counter", hooks_for(0));
  std::atomic<bool> stop{false};
  std::atomic<int> loads_done{0}, bad{0};
  std::vector<std::thread> loaders;
  for (int t = 0; t < 3; ++t) {
    loaders.emplace_back([&] {
      while (!stop) {
        Graph g =
            loads(std::string_view("\x80\x02"
                                   "ctest_registry\nCounter\n)R.",
                                   28));
        const Counter* c = g.root().native<Counter>();
        if (!c || c->version < 0 || c->version > 200) ++bad;
        ++loads_done;
      }
    });
  }
  for (int v = 1; v <= 200; ++v) register_class<Counter>("test_registry", "Counter", hooks_for(v));
  while (loads_done < 300) std::this_thread::yield();
  stop = true;
  for (std::thread& t : loaders) t.join();
  EXPECT_EQ(bad, 0);
  Graph g = loads(std::string_view("ctest_registry\nCounter\n)R."));
  EXPECT_EQ(g.root().native<Counter>()->version, 200);
}

// A Python class whose __reduce__ returns (Point, (x, y)), written with the two-function
// register_class; the bytes CPython writes come from golden/gen_convert_cases.py.
struct Point2 {
  int x, y;
};

TEST(Registry, ClassesReducedToACallPickleAsCPythonAndCheckTheirArguments) {
  register_class<Point2>(
      "geometry", "Point", [](const Point2& p) { return std::tuple(p.x, p.y); },
      [](int x, int y) {
        return Point2{x, y};
      });
  std::ifstream in(PICKLE_GOLDEN_DIR "/convert_cases.tsv");
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    if (!line.starts_with("point_pickle\t")) continue;
    std::vector<std::string> f;
    for (std::size_t start = 0, tab;; start = tab + 1) {
      tab = line.find('\t', start);
      f.push_back(line.substr(start, tab - start));
      if (tab == std::string::npos) break;
    }
    ASSERT_EQ(f.size(), 4u);
    const int proto = std::stoi(f[1]);
    Graph g;
    EXPECT_EQ(text_golden::hex(dumps(make_native(g, Point2{1, -2}), {.protocol = proto})), f[3]) << proto;
    Graph back = loads(text_golden::unhex(f[3]));
    ASSERT_NE(back.root().native<Point2>(), nullptr);
    EXPECT_EQ(back.root().native<Point2>()->y, -2);
    ++checked;
  }
  EXPECT_EQ(checked, 6);
  // Arguments from the pickle are converted, never misread.
  Error e = error_of([] { loads(std::string_view("cgeometry\nPoint\n(I1\ntR.")); });
  EXPECT_EQ(e.type(), ErrorType::ValueError);
  EXPECT_EQ(e.message(), "expected a sequence of 2 items, got 1");
  e = error_of([] { loads(std::string_view("cgeometry\nPoint\n(I1\nS'a'\ntR.")); });
  EXPECT_EQ(e.type(), ErrorType::TypeError);
  EXPECT_EQ(e.message(), "expected int, got str");
  e = error_of([] { loads(std::string_view("cgeometry\nPoint\n(I1\nL99999999999\ntR.")); });
  EXPECT_EQ(e.type(), ErrorType::OverflowError);
}

}  // namespace
}  // namespace pickle
