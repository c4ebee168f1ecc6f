// The unpickler's own contract: identity, limits, hooks, error offsets, streaming.
// (Agreement with CPython over many inputs is checked by unpickle_golden_test.cpp.)
#include <gtest/gtest.h>

#include <string>

#include "pickle/copyreg.h"
#include "pickle/error.h"
#include "pickle/unpickler.h"
#include "text_golden.h"

namespace pickle {
namespace {

using namespace std::string_literals;

// Test inputs are written as hex: pickles printed by CPython (`pickle.dumps(...).hex()`).
std::string unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

Error load_error(std::string_view data, const UnpicklerOptions& options = {}) {
  try {
    loads(data, options);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error";
  return Error(ErrorType::RuntimeError, "");
}

TEST(Unpickler, SharedReferencesLoadAsOneNode) {
  // pickle.dumps([s, s], 2) for a str s: the second element is a BINGET of the first.
  Graph g = loads(unhex("80025d710028580300000061626371016801652e"));
  const List& l = g.root().as_list();
  ASSERT_EQ(l.size(), 2u);
  EXPECT_TRUE(l[0].is(l[1]));
}

TEST(Unpickler, ListContainingItselfIsACycle) {
  // l = []; l.append(l); pickle.dumps(l, 2)
  Graph g = loads(unhex("80025d71006800612e"));
  EXPECT_TRUE(g.root().as_list()[0].is(g.root()));
}

TEST(Unpickler, RecursiveTupleThroughAList) {
  // t = ([],); t[0].append(t); pickle.dumps(t, 2)
  Graph g = loads(unhex("80025d71006800857101613068012e"));
  const Tuple& t = g.root().as_tuple();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_TRUE(t[0].as_list()[0].is(g.root()));
}

TEST(Unpickler, ErrorsCarryTheOffsetOfTheFailingOpcode) {
  Error e = load_error("\x80\x02K\x01K\x02\xff."s);
  EXPECT_EQ(e.type(), ErrorType::UnpicklingError);
  EXPECT_EQ(e.offset(), 6u);
  Error eof = load_error("\x80\x02N"s);
  EXPECT_EQ(eof.type(), ErrorType::EOFError);
  EXPECT_EQ(eof.offset(), 3u);
}

TEST(Unpickler, HugeLengthPrefixFailsWithoutAllocating) {
  UnpicklerOptions small;
  small.limits.max_memory = 1 << 20;
  // BINBYTES8 declaring 2**40 bytes, BINUNICODE8 and BYTEARRAY8 likewise.
  for (char op : {'\x8e', '\x8d', '\x96'}) {
    std::string data = "\x80\x05"s + op + "\x00\x00\x00\x00\x00\x01\x00\x00."s;
    Error e = load_error(data, small);
    EXPECT_EQ(e.type(), ErrorType::UnpicklingError) << e.what();
    EXPECT_EQ(e.message(), "pickle data was truncated");
  }
}

TEST(Unpickler, MemoryLimitStopsAmplification) {
  UnpicklerOptions options;
  options.limits.max_memory = 1 << 16;
  // A 1000-byte string duplicated into a list many times is cheap (shared), but a list of
  // fresh 1000-byte strings is not: it must hit the limit, not the machine.
  std::string data = "\x80\x04](";
  std::string payload(1000, 'x');
  for (int i = 0; i < 200; ++i) data += "X\xe8\x03\x00\x00"s + payload;
  data += "e.";
  Error e = load_error(data, options);
  EXPECT_EQ(e.type(), ErrorType::MemoryError);
}

// bytes(n) or bytearray(n), with n as BININT.
std::string zeros_call(const char* type, std::uint32_t n) {
  std::string call = "cbuiltins\n"s + type + "\nJ";
  for (int k = 0; k < 4; ++k) call += static_cast<char>((n >> (8 * k)) & 0xff);
  return call + "\x85R";  // TUPLE1 REDUCE
}

TEST(Unpickler, BuiltValuesPoppedBeforeEscapingGiveTheirMemoryBack) {
  // bytes(1 MiB) and bytearray(1 MiB) 64 times, set(a list of 20000 ints) 16 times, each
  // created and popped, under an 8 MiB limit: CPython frees each at the POP, and the
  // library gives back their large blocks (a set's small ones stay until the graph goes).
  UnpicklerOptions options;
  options.limits.max_memory = 8 << 20;
  std::string data = "\x80\x04";
  for (int i = 0; i < 64; ++i) data += zeros_call(i % 2 ? "bytes" : "bytearray", 1 << 20) + "0";  // POP
  data += "(" + zeros_call("bytes", 1 << 20) + "1";  // in a MARK, then POP_MARK
  data += "](";
  for (int i = 0; i < 20000; ++i) data += "J" + std::string(reinterpret_cast<const char*>(&i), 4);
  data += "e\x94";                                                      // APPENDS MEMOIZE
  for (int i = 0; i < 16; ++i) data += "cbuiltins\nset\nh\x00\x85R0"s;  // set(memo[0]) POP
  data += "N.";
  Graph g = loads(data, options);
  EXPECT_TRUE(g.root().is_none());
  EXPECT_LT(g.bytes_allocated(), std::size_t{8} << 20);
}

TEST(Unpickler, SmallValuesPoppedAtOnceGiveTheirMemoryBack) {
  // Containers and strs built and popped 100000 times, nested and filled in place: CPython
  // frees each at the POP, and the library takes the arena back to where it was.
  const std::string once =
      "]0}0\x8c\x05"
      "abcde0(NNt0"
      "]]\x8c\x02xya\x8c\x02zwaa0"
      "}\x8c\x02"
      "ab]\x8c\x02"
      "cdas0"
      "(]N\x8c\x02"
      "ef1(N\x8c\x02"
      "efl0"s;
  std::string data = "\x80\x04";
  for (int i = 0; i < 100000; ++i) data += once;
  Graph one = loads("\x80\x04" + once + "N.");
  Graph many = loads(data + "N.");
  EXPECT_TRUE(many.root().is_none());
  EXPECT_LT(many.bytes_allocated(), one.bytes_allocated() + 4096);
}

TEST(Unpickler, BuiltValuesStillReferencedAreKept) {
  const std::uint32_t n = 1 << 20;
  // Memoized, then popped and fetched again.
  Graph memoized = loads("\x80\x04" + zeros_call("bytes", n) + "\x94" + "0" + "h\x00."s);
  ASSERT_TRUE(memoized.root().is_bytes());
  EXPECT_EQ(memoized.root().as_bytes().size(), n);
  // DUP'ed: one copy popped, the other is the result.
  Graph duplicated = loads("\x80\x04" + zeros_call("bytearray", n) + "20.");
  ASSERT_EQ(duplicated.root().kind(), Kind::ByteArray);
  EXPECT_EQ(duplicated.root().as_bytes().size(), n);
  EXPECT_EQ(duplicated.root().as_bytes().view()[n - 1], 0);
  // Consumed into a tuple, which is the result.
  Graph kept = loads("\x80\x04" + zeros_call("bytes", n) + "\x85.");
  EXPECT_EQ(kept.root().as_tuple()[0].as_bytes().size(), n);
}

TEST(Unpickler, ClassOfABuiltinClassIsType) {
  // getattr(getattr(int, '__class__'), '__class__') ... 10000 levels: type each time, as
  // in CPython (pickle.dumps of the result names builtins.type), in constant memory.
  std::string data =
      "\x80\x04"
      "cbuiltins\ngetattr\n\x94"
      "0"
      "cbuiltins\nint\n";
  const std::string level =
      "\x94"
      "0"
      "h\x00(h\x01\x8c\x09__class__tR"s;
  Graph one = loads(data + level + ".");
  const std::size_t one_level = one.bytes_allocated();
  for (int i = 0; i < 10000; ++i) data += level;
  Graph g = loads(data + ".");
  ASSERT_TRUE(g.root().is_global());
  EXPECT_EQ(g.root().as_global().module(), "builtins");
  EXPECT_EQ(g.root().as_global().qualname(), "type");
  EXPECT_LT(g.bytes_allocated() - one_level, 10000u * 64);  // the '__class__' strs, no names
  UnpicklerOptions strict;
  strict.strict_globals = true;
  strict.allowed_globals = {"builtins.getattr", "builtins.int"};
  EXPECT_EQ(load_error(data + ".", strict).message(), "global 'builtins.int.__class__' is forbidden");
}

TEST(Unpickler, AttributesLeadingBackToABuiltinClassAreThatClass) {
  // For every attribute of every builtin class: (getattr(getattr(C, attr), looked_up), K)
  // where K is the class CPython gives, which must be the same node; else not a class of
  // builtins. Cases from lib/src/gen/gen_builtin_attributes.py.
  const std::vector<text_golden::Row> rows = text_golden::read_rows("builtin_attribute_cases.tsv");
  ASSERT_GT(rows.size(), 5000u);
  const char* looked_up[] = {"__objclass__", "__self__"};
  int classes = 0;
  for (const text_golden::Row& row : rows) {
    ASSERT_EQ(row.fields.size(), 4u) << "line " << row.line;
    for (int i = 0; i < 2; ++i) {
      const std::string& want = row.fields[2 + i];
      SCOPED_TRACE(row.fields[0] + "." + row.fields[1] + "." + looked_up[i] + " -> " + want);
      const std::string data = "(cbuiltins\n" + (want == "-" ? "int"s : want) +
                               "\ncbuiltins\ngetattr\n(cbuiltins\ngetattr\n(cbuiltins\n" + row.fields[0] + "\nV" +
                               row.fields[1] + "\ntRV" + looked_up[i] + "\ntRt.";
      Graph g = loads(data);
      const Tuple& t = g.root().as_tuple();
      if (want == "-") {
        EXPECT_TRUE(!t[1].is_global() || t[1].as_global().qualname().find('.') != std::string_view::npos);
      } else {
        EXPECT_TRUE(t[0].is(t[1]));
        ++classes;
      }
    }
  }
  EXPECT_GT(classes, 3000);
}

TEST(Unpickler, AChainOfMethodsAndTheirClassesStaysTwoGlobals) {
  // getattr(getattr(str, 'join'), '__objclass__') ... 10000 times: in CPython str and
  // str.join each time, in constant memory.
  std::string data =
      "\x80\x04"
      "cbuiltins\ngetattr\n\x94"
      "0"
      "cbuiltins\nstr\n";
  const std::string level =
      "q\x01"
      "0"
      "h\x00h\x01\x8c\x04join\x86R"
      "q\x01"
      "0"
      "h\x00h\x01\x8c\x0c__objclass__\x86R"s;
  Graph one = loads(data + level + ".");
  const std::size_t one_level = one.bytes_allocated();
  for (int i = 0; i < 10000; ++i) data += level;
  Graph g = loads(data + ".");
  ASSERT_TRUE(g.root().is_global());
  EXPECT_EQ(g.root().as_global().qualname(), "str");
  EXPECT_LT(g.bytes_allocated() - one_level, 10000u * 64);
}

// getattr(C, 'ab'), getattr(that, 'ab'), ... `depth` levels, each result kept in memo 1.
std::string attribute_chain(int depth) {
  std::string data =
      "\x80\x04"
      "cbuiltins\ngetattr\nq\x00"
      "0"
      "cm\nC\n"s;
  const std::string level =
      "q\x01"
      "0"
      "h\x00h\x01\x8c\x02"
      "ab\x86R"s;
  for (int i = 0; i < depth; ++i) data += level;
  return data;
}

TEST(Unpickler, AttributeChainsShareTheirNamesStorage) {
  // Each level's qualname is one ".ab" longer than the last: spelled out whole at every
  // level, 20000 levels would take 600 MB.
  constexpr int kDepth = 20000;
  Graph g = loads(attribute_chain(kDepth) + ".");
  const Global& last = g.root().as_global();
  EXPECT_EQ(last.module(), "m");
  ASSERT_EQ(last.qualname().size(), 1u + 3 * kDepth);
  EXPECT_TRUE(last.qualname().starts_with("C.ab.ab."));
  EXPECT_TRUE(last.qualname().ends_with(".ab.ab"));
  EXPECT_LT(g.bytes_allocated(), kDepth * 256u);
}

TEST(Unpickler, AGlobalNamedInFullAndByGetattrIsOneNode) {
  // (getattr(getattr(C, 'ab'), 'ab'), m.C.ab.ab) and the other way round.
  Graph chain_first = loads(attribute_chain(2) + "cm\nC.ab.ab\n\x86."s);
  const Tuple& a = chain_first.root().as_tuple();
  EXPECT_TRUE(a[0].is(a[1]));
  EXPECT_EQ(a[0].as_global().qualname(), "C.ab.ab");
  Graph named_first = loads(
      "\x80\x04"
      "cm\nC.ab.ab\n0" +
      attribute_chain(2).substr(2) + "cm\nC.ab.ab\n\x86."s);
  const Tuple& b = named_first.root().as_tuple();
  EXPECT_TRUE(b[0].is(b[1]));
  // A name that only shares a prefix is another global.
  Graph other = loads(attribute_chain(2) + "cm\nC.ab.ac\n\x86."s);
  EXPECT_FALSE(other.root().as_tuple()[0].is(other.root().as_tuple()[1]));
}

TEST(Unpickler, InertObjectsPrintAsTheCallsThatRebuildThem) {
  // C.__new__(C, 1, 7), then APPENDS, SETITEMS, ADDITEMS and BUILD on the instance.
  Graph g = loads(
      "\x80\x04"
      "cm\nC\n"
      "K\x01K\x07\x86\x81"
      "(K\x02K\x03"
      "e"
      "(X\x01\x00\x00\x00"
      "aK\x04u"
      "(K\x05K\x08\x90"
      "K\x06"
      "b."s);
  EXPECT_EQ(repr(g.root()), "m.C.__new__(m.C, 1, 7).extend([2, 3]).update({'a': 4}).add(5).add(8).__setstate__(6)");
  // NEWOBJ_EX with keywords and no positional arguments.
  g = loads(
      "\x80\x04"
      "cm\nC\n"
      ")}X\x01\x00\x00\x00kK\x01s\x92."s);
  EXPECT_EQ(repr(g.root()), "m.C.__new__(m.C, k=1)");
}

TEST(Unpickler, ContainersInsideContainersPrintInReadingOrder) {
  // Members are queued lazily, one container at a time; the order must still read right.
  Graph g;
  Value list = g.new_list(), dict = g.new_dict();
  for (int i = 0; i < 3; ++i) {
    list.as_list().append(g, Value());
    dict.as_dict().set(g, Value::integer(i), list);
  }
  Value items[] = {list, dict, g.new_tuple({})};
  EXPECT_EQ(repr(g.new_tuple(items)),
            "([None, None, None], {0: [None, None, None], 1: [None, None, None], 2: [None, None, None]}, ())");
}

// A SETITEMS batch sets its pairs in order, with Python's key equality: a repeated key
// keeps its first key object and takes the last value, in a dict scanned (up to 8
// entries) or indexed. The expected items are what CPython 3.11's pickle.loads gives.
TEST(Unpickler, SetItemsRepeatsKeysAsPython) {
  auto items = [](const Graph& g) {
    std::string out;
    for (const Dict::Entry& e : g.root().as_dict()) out += repr(e.key) + ":" + repr(e.value) + " ";
    return out;
  };
  // {1: 3}
  EXPECT_EQ(items(loads(unhex("7d284b014b024b014b03752e"))), "1:3 ");
  // 1.0 then 1 and True: one key, 1.0
  EXPECT_EQ(items(loads(unhex("7d28473ff00000000000004b024b014b03884b04752e"))), "1.0:4 ");
  // 10 int keys (indexed), 3 again, then 'a' twice
  std::string indexed = "7d28";
  for (int i = 0; i < 10; ++i) {
    char pair[9];
    std::snprintf(pair, sizeof pair, "4b%02x4b%02x", i, i);
    indexed += pair;
  }
  indexed += "4b034b638c01614b018c01614b02752e";
  EXPECT_EQ(items(loads(unhex(indexed))), "0:0 1:1 2:2 3:99 4:4 5:5 6:6 7:7 8:8 9:9 'a':2 ");
  // 'ab' twice among scanned str keys
  EXPECT_EQ(items(loads(unhex("7d288c0261624b018c0263644b028c0261624b03752e"))), "'ab':3 'cd':2 ");
}

TEST(Unpickler, StackAndMemoLimits) {
  UnpicklerOptions options;
  options.limits.max_stack = 100;
  std::string marks(200, '(');
  EXPECT_EQ(load_error(marks + "N.", options).type(), ErrorType::MemoryError);
  options.limits.max_memo = 10;
  std::string memo = "\x80\x04N";
  for (int i = 0; i < 20; ++i) memo += "\x94";
  EXPECT_EQ(load_error(memo + ".", options).type(), ErrorType::MemoryError);
}

TEST(Unpickler, FarMemoIndexDoesNotSizeAnArray) {
  // LONG_BINPUT 0x7fffffff then LONG_BINGET of it: CPython 3.11 would size its memo array
  // to 2**32 entries; this library keeps far indexes in a sparse map.
  Graph g = loads(unhex("80024e72ffffff7f306affffff7f2e"));
  EXPECT_TRUE(g.root().is_none());
}

TEST(Unpickler, FarMemoIndexStaysFoundOnceTheDenseMemoReachesIt) {
  // [] put at 5000, then 4100 Nones put at 0, 1, 2, ...: the dense memo grows past 5000,
  // and GET 5000 must still find the list (pickle.loads returns it).
  std::string data =
      "\x80\x04]r\x88\x13\x00\x00"
      "0"s;
  for (std::uint32_t i = 0; i < 4100; ++i) {
    data += "Nr"s;
    for (int b = 0; b < 4; ++b) data += static_cast<char>((i >> (8 * b)) & 0xff);
    data += "0"s;
  }
  data += "j\x88\x13\x00\x00."s;
  Graph g = loads(data);
  ASSERT_TRUE(g.root().is_list());
  EXPECT_EQ(g.root().as_list().size(), 0u);
  // The memo counts the list once: a limit of exactly 4101 entries is enough.
  UnpicklerOptions options;
  options.limits.max_memo = 4101;
  EXPECT_TRUE(loads(data, options).root().is_list());
}

TEST(Unpickler, PersistentIds) {
  Error e = load_error("Pabc\n."s);
  EXPECT_EQ(e.type(), ErrorType::UnpicklingError);
  UnpicklerOptions options;
  options.persistent_load = keep_persistent_ids;
  Graph g = loads("Pabc\n."s, options);
  ASSERT_EQ(g.root().kind(), Kind::PersistentId);
  EXPECT_EQ(g.root().as_persistent_id().pid().as_str().utf8(), "abc");
  options.persistent_load = [](Graph&, Value pid) { return Value::integer(pid.as_int() * 2); };
  EXPECT_EQ(loads("K\x15Q."s, options).root().as_int(), 42);
}

TEST(Unpickler, OutOfBandBuffers) {
  std::string payload = "hello";
  UnpicklerOptions options;
  options.buffers = std::vector<OutOfBandBuffer>{
      {std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()), false}};
  Graph g = loads("\x80\x05\x97\x98."s, options);
  ASSERT_EQ(g.root().kind(), Kind::Buffer);
  EXPECT_TRUE(g.root().as_buffer().readonly());
  EXPECT_EQ(g.root().as_buffer().view().data(), reinterpret_cast<const std::uint8_t*>(payload.data()));
  EXPECT_EQ(load_error("\x80\x05\x97\x97."s, options).message(), "not enough out-of-band buffers");
}

TEST(Unpickler, ExtensionCodesResolveThroughARegistry) {
  ExtensionRegistry registry;
  registry.add("collections", "OrderedDict", 240);
  UnpicklerOptions options;
  options.extensions = &registry;
  Graph g = loads("\x80\x02\x82\xf0."s, options);
  ASSERT_TRUE(g.root().is_global());
  EXPECT_EQ(g.root().as_global().qualname(), "OrderedDict");
  Error e = load_error("\x80\x02\x82\xf1."s, options);
  EXPECT_EQ(e.type(), ErrorType::ValueError);
  EXPECT_EQ(e.message(), "unregistered extension code 241");
}

TEST(Unpickler, StrictPolicyRefusesUnlistedGlobals) {
  UnpicklerOptions options;
  options.strict_globals = true;
  std::string data = unhex("8002636461746574696d650a646174650a71002e");
  EXPECT_EQ(load_error(data, options).message(), "global 'datetime.date' is forbidden");
  options.allowed_globals.insert("datetime.date");
  EXPECT_TRUE(loads(data, options).root().is_global());
  // Builtins rebuilt natively stay available: set([1]) at protocol 2.
  std::string set_pickle = unhex("8002635f5f6275696c74696e5f5f0a7365740a71005d71014b01618571025271032e");
  EXPECT_EQ(loads(set_pickle, options).root().kind(), Kind::Set);
}

TEST(Unpickler, FindClassCallbackDecides) {
  UnpicklerOptions options;
  options.find_class = [](Graph& g, std::string_view module, std::string_view name) -> Value {
    if (module == "m") return g.new_str(std::string(name));
    throw Error(ErrorType::UnpicklingError, "nope");
  };
  EXPECT_EQ(loads("cm\nx\n."s, options).root().as_str().utf8(), "x");
  EXPECT_EQ(load_error("cn\nx\n."s, options).message(), "nope");
}

TEST(Unpickler, BorrowedStringsPointIntoTheInput) {
  std::string data = "\x80\x04\x8c\x05hello."s;
  UnpicklerOptions options;
  options.borrow_input = true;
  options.borrow_threshold = 4;
  Graph g = loads(data, options);
  EXPECT_EQ(g.root().as_str().utf8().data(), data.data() + 4);
}

TEST(Unpickler, SeveralPicklesInOneBuffer) {
  std::string data = "K\x01.K\x02.\x80\x02K\x03."s;
  Unpickler u;
  u.set_input(data);
  Graph g;
  EXPECT_EQ(u.load(g).as_int(), 1);
  EXPECT_EQ(u.position(), 3u);
  EXPECT_EQ(u.load(g).as_int(), 2);
  EXPECT_EQ(u.load(g).as_int(), 3);
  EXPECT_TRUE(u.at_end());
}

TEST(Unpickler, MemoPersistsAcrossLoadsIntoTheSameGraph) {
  std::string data = "Vabc\np0\n.g0\n."s;
  Unpickler u;
  u.set_input(data);
  Graph g;
  Value first = u.load(g);
  EXPECT_TRUE(u.load(g).is(first));
}

TEST(Unpickler, NewObjExAtProtocolTwoThroughPartialBecomesNewObj) {
  // What CPython writes at protocol 2 for an object whose __reduce_ex__ returns
  // (copyreg.__newobj_ex__, (C, (1,), {'k': 2})): functools.partial(object.__new__, C, 1, k=2)().
  std::string data = unhex(
      "80026366756e63746f6f6c730a7061727469616c0a7100635f5f6275696c74696e5f5f0a676574617474720a7101635f5f"
      "6275696c74696e5f5f0a6f626a6563740a710258070000005f5f6e65775f5f7103867104527105857106527107286805"
      "635f5f6d61696e5f5f0a430a71084b018671097d710a58010000006b710b4b02734e74710c622952710d2e");
  Graph g = loads(data);
  ASSERT_TRUE(g.root().is_object());
  const Object& o = g.root().as_object();
  EXPECT_EQ(o.how(), Object::How::NewObj);
  EXPECT_EQ(o.callable().as_global().qualname(), "C");
  ASSERT_EQ(o.args().as_tuple().size(), 1u);
  EXPECT_EQ(o.args().as_tuple()[0].as_int(), 1);
  ASSERT_TRUE(o.kwargs().is_dict());
  EXPECT_EQ(o.kwargs().as_dict().size(), 1u);
}

}  // namespace
}  // namespace pickle

namespace pickle {
namespace {

// The memo persists across load() calls into the same Graph (CPython's Unpickler keeps
// it across loads), and never leaks into another Graph, even one that reuses the
// address of a destroyed one.
TEST(Unpickler, MemoFollowsTheGraphNotItsAddress) {
  Unpickler u;
  const std::string put("\x80\x02]q\x00.", 6);  // [] memoized as 0
  const std::string get("\x80\x02h\x00.", 5);   // memo[0]
  {
    Graph g;
    u.set_input(put);
    Value first = u.load(g);
    u.set_input(get);
    EXPECT_TRUE(u.load(g).is(first));  // same graph: the memo is kept
  }
  for (int i = 0; i < 2; ++i) {
    Graph g;  // likely at the address of the graph above
    u.set_input(get);
    try {
      u.load(g);
      ADD_FAILURE() << "a memo entry leaked into another graph";
    } catch (const Error& e) {
      EXPECT_EQ(e.type(), ErrorType::UnpicklingError);
      EXPECT_EQ(e.message(), "Memo value not found at index 0");
    }
  }
}

}  // namespace
}  // namespace pickle
