// The value model: identity, Python dict/set key semantics, deep graphs.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "pickle/copyreg.h"
#include "pickle/error.h"
#include "pickle/pickler.h"
#include "pickle/unpickler.h"
#include "pickle/value.h"
#include "access.h"

namespace pickle {
namespace {

TEST(Value, ImmediatesAndNodes) {
  EXPECT_TRUE(Value().is_none());
  EXPECT_EQ(Value::integer(-5).as_int(), -5);
  EXPECT_FALSE(Value::integer(7).is_node());
  Graph g;
  Value s = g.new_str("abc");
  EXPECT_TRUE(s.is_node());
  EXPECT_EQ(s.as_str().utf8(), "abc");
  EXPECT_TRUE(s.is(s));
  EXPECT_FALSE(s.is(g.new_str("abc")));  // equal but distinct objects
}

TEST(Value, IntFromBytesCrossesTheSmallIntBoundary) {
  Graph g;
  const std::uint8_t max64[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
  Value v = g.new_int_from_bytes(max64);
  ASSERT_TRUE(v.is_small_int());
  EXPECT_EQ(v.as_int(), INT64_MAX);
  const std::uint8_t beyond[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00};
  Value big = g.new_int_from_bytes(beyond);
  ASSERT_TRUE(big.is_int());
  EXPECT_FALSE(big.is_small_int());
  EXPECT_FALSE(big.as_bigint().negative());
  const std::uint8_t min64[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80};
  EXPECT_EQ(g.new_int_from_bytes(min64).as_int(), INT64_MIN);
  const std::uint8_t below[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff};
  Value neg = g.new_int_from_bytes(below);
  ASSERT_FALSE(neg.is_small_int());
  EXPECT_TRUE(neg.as_bigint().negative());
}

TEST(Dict, NumericKeysOneTwoThreeAreOneKey) {
  Graph g;
  Value d = g.new_dict();
  d.as_dict().set(g, Value::integer(1), g.new_str("int"));
  d.as_dict().set(g, Value::floating(1.0), g.new_str("float"));
  d.as_dict().set(g, Value::boolean(true), g.new_str("bool"));
  ASSERT_EQ(d.as_dict().size(), 1u);
  // The first key object stays; the last value wins.
  EXPECT_TRUE(d.as_dict().begin()->key.is_small_int());
  EXPECT_EQ(d.as_dict().begin()->value.as_str().utf8(), "bool");
  const Value* found = d.as_dict().find(Value::floating(1.0));
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->as_str().utf8(), "bool");
}

TEST(Dict, KeepsInsertionOrderAcrossIndexGrowth) {
  Graph g;
  Value d = g.new_dict();
  for (int i = 999; i >= 0; --i) d.as_dict().set(g, Value::integer(i * 7919 % 1000), Value::integer(i));
  ASSERT_EQ(d.as_dict().size(), 1000u);
  int expected = 999;
  for (const Dict::Entry& e : d.as_dict()) {
    EXPECT_EQ(e.key.as_int(), expected * 7919 % 1000);
    --expected;
  }
  for (int k = 0; k < 1000; ++k) EXPECT_NE(d.as_dict().find(Value::integer(k)), nullptr);
  EXPECT_EQ(d.as_dict().find(Value::integer(1000)), nullptr);
}

// Up to 8 entries a dict is scanned; past that, an index is built. Lookups agree before
// and after, by Value and by UTF-8, and an equal str of another node is the same key.
TEST(Dict, StrKeysFoundWhileScannedAndOnceIndexed) {
  Graph g;
  Value d = g.new_dict();
  auto key = [](int k) { return "key" + std::to_string(k); };
  d.as_dict().set(g, Value::integer(0), Value::integer(-1));  // int 0 hashes to 0 too
  for (int k = 0; k < 40; ++k) {
    d.as_dict().set(g, g.new_str(key(k)), Value::integer(k));
    d.as_dict().set(g, g.new_str(key(k)), Value::integer(k + 100));  // an equal str, another node
    ASSERT_EQ(d.as_dict().size(), static_cast<std::size_t>(k + 2));
    for (int j = 0; j <= k; ++j) {
      const Value* by_value = d.as_dict().find(g.new_str(key(j)));
      const Value* by_utf8 = d.as_dict().find(key(j));
      ASSERT_NE(by_value, nullptr) << k << " " << j;
      ASSERT_EQ(by_value, by_utf8);
      EXPECT_EQ(by_value->as_int(), j + 100);
    }
    EXPECT_EQ(d.as_dict().find(key(k + 1)), nullptr);
    EXPECT_EQ(d.as_dict().find(Value::boolean(false))->as_int(), -1);
  }
  Value s = g.new_set();
  for (int k = 0; k < 20; ++k) {
    EXPECT_TRUE(s.as_set().add(g, g.new_str(key(k))));
    EXPECT_FALSE(s.as_set().add(g, g.new_str(key(k))));
    EXPECT_TRUE(s.as_set().contains(g.new_str(key(k))));
    EXPECT_FALSE(s.as_set().contains(g.new_str(key(k + 1))));
  }
}

// A small dict leaves its str keys unhashed; an index sized by reserve() (a SETITEMS
// batch) hashes them, and then places and finds each by py_hash.
TEST(Dict, StrKeysScannedUnhashedAreHashedForAReservedIndex) {
  Graph g;
  Value d = g.new_dict();
  for (int k = 0; k < 5; ++k) d.as_dict().set(g, g.new_str("k" + std::to_string(k)), Value::integer(k));
  d.as_dict().reserve(g, 20);
  for (int k = 5; k < 25; ++k) d.as_dict().set(g, g.new_str("k" + std::to_string(k)), Value::integer(k));
  ASSERT_EQ(d.as_dict().size(), 25u);
  for (const Dict::Entry& e : d.as_dict()) EXPECT_EQ(e.hash, py_hash(e.key));
  for (int k = 0; k < 25; ++k) {
    const Value* v = d.as_dict().find(g.new_str("k" + std::to_string(k)));
    ASSERT_NE(v, nullptr) << k;
    EXPECT_EQ(v->as_int(), k);
  }
}

TEST(Dict, StrAndBytesKeysDiffer) {
  Graph g;
  Value d = g.new_dict();
  d.as_dict().set(g, g.new_str("a"), Value::integer(1));
  d.as_dict().set(g, g.new_bytes(std::string_view("a")), Value::integer(2));
  d.as_dict().set(g, g.new_str("a"), Value::integer(3));
  EXPECT_EQ(d.as_dict().size(), 2u);
}

TEST(Dict, UnhashableKeysRaiseTypeError) {
  Graph g;
  Value d = g.new_dict();
  Value list = g.new_list();
  try {
    d.as_dict().set(g, list, Value());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::TypeError);
    EXPECT_EQ(e.message(), "unhashable type: 'list'");
  }
  Value items[] = {Value::integer(1), g.new_dict()};
  Value tuple = g.new_tuple(items);
  EXPECT_THROW(d.as_dict().set(g, tuple, Value()), Error);
}

TEST(Set, TuplesAndFrozensetsAreHashedByValue) {
  Graph g;
  Value s = g.new_set();
  Value a[] = {Value::integer(1), g.new_str("x")};
  Value b[] = {Value::floating(1.0), g.new_str("x")};
  EXPECT_TRUE(s.as_set().add(g, g.new_tuple(a)));
  EXPECT_FALSE(s.as_set().add(g, g.new_tuple(b)));
  Value f1 = g.new_frozenset(), f2 = g.new_frozenset();
  f1.as_set().add(g, Value::integer(1));
  f1.as_set().add(g, Value::integer(2));
  f2.as_set().add(g, Value::integer(2));
  f2.as_set().add(g, Value::integer(1));
  EXPECT_TRUE(s.as_set().add(g, f1));
  EXPECT_FALSE(s.as_set().add(g, f2));
  EXPECT_EQ(s.as_set().size(), 2u);
}

// t = (t, t) eighty times over, twice from different nodes: 2**80 paths through each.
// Hashing and comparing them must take time in their nodes, not their paths (a hang
// here is the failure).
TEST(Set, GraphsOfSharedTuplesHashAndCompareWithoutWalkingEveryPath) {
  Graph g;
  auto chain = [&g](Value leaf) {
    Value t = leaf;
    for (int i = 0; i < 80; ++i) {
      Value pair[] = {t, t};
      t = g.new_tuple(pair);
    }
    return t;
  };
  Value a = chain(Value::integer(1)), b = chain(Value::floating(1.0));
  EXPECT_EQ(py_hash(a), py_hash(b));
  EXPECT_TRUE(py_equal(a, b));
  Value s = g.new_set();
  EXPECT_TRUE(s.as_set().add(g, a));
  EXPECT_FALSE(s.as_set().add(g, b));
  Value c = chain(Value::integer(2));
  EXPECT_FALSE(py_equal(a, c));
  EXPECT_TRUE(s.as_set().add(g, c));

  // The same through frozensets, whose members are compared by lookups.
  auto frozen_chain = [&g](Value leaf) {
    Value f = leaf;
    for (int i = 0; i < 80; ++i) {
      Value pair[] = {f, f};
      Value next = g.new_frozenset();
      next.as_set().add(g, g.new_tuple(pair));
      f = next;
    }
    return f;
  };
  EXPECT_TRUE(py_equal(frozen_chain(Value::integer(1)), frozen_chain(Value::boolean(true))));
  EXPECT_FALSE(py_equal(frozen_chain(Value::integer(1)), frozen_chain(Value::integer(3))));
}

TEST(List, ExtendingALargeListWithItselfCopiesTheItemsFirst) {
  // 10,000 items take 160 KB: a large block, which moves when it grows.
  Graph g;
  Value l = g.new_list();
  for (int i = 0; i < 10000; ++i) l.as_list().append(g, Value::integer(i));
  l.as_list().extend(g, std::span(l.as_list().begin(), l.as_list().end()));
  ASSERT_EQ(l.as_list().size(), 20000u);
  for (int i = 0; i < 20000; ++i) EXPECT_EQ(l.as_list()[i].as_int(), i % 10000);
}

TEST(Set, NanIsNeverEqualToItself) {
  Graph g;
  Value s = g.new_set();
  double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(s.as_set().add(g, Value::floating(nan)));
  EXPECT_TRUE(s.as_set().add(g, Value::floating(nan)));
  EXPECT_EQ(s.as_set().size(), 2u);
}

TEST(Dict, ManyNanKeysAreDistinctEntriesAndOtherKeysStillFound) {
  Graph g;
  Value d = g.new_dict();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int i = 0; i < 100000; ++i) {
    d.as_dict().set(g, Value::floating(nan), Value::integer(i));
    if (i % 1000 == 0) d.as_dict().set(g, Value::integer(i), Value::integer(-i));
  }
  EXPECT_EQ(d.as_dict().size(), 100100u);
  EXPECT_EQ(d.as_dict().find(Value::floating(nan)), nullptr);
  for (int i = 0; i < 100000; i += 1000) EXPECT_EQ(d.as_dict().at(Value::integer(i)).as_int(), -i);
}

TEST(Bytes, BytearrayExtendGrowsInPlace) {
  Graph g;
  Value b = g.new_bytearray(std::vector<std::uint8_t>{1, 2, 3});
  for (int i = 0; i < 1000; ++i) b.as_bytearray().extend(g, std::vector<std::uint8_t>{static_cast<std::uint8_t>(i)});
  Bytes& ba = b.as_bytearray();
  ASSERT_EQ(ba.size(), 1003u);
  EXPECT_EQ(ba.view()[2], 3);
  EXPECT_EQ(ba.view()[1002], static_cast<std::uint8_t>(999));
  ba.extend(g, ba.view());  // extending with itself
  ASSERT_EQ(ba.size(), 2006u);
  EXPECT_TRUE(std::equal(ba.view().begin(), ba.view().begin() + 1003, ba.view().begin() + 1003));
  const std::size_t allocated = g.bytes_allocated();
  for (int i = 0; i < 100000; ++i) ba.extend(g, std::vector<std::uint8_t>{7});
  EXPECT_LT(g.bytes_allocated() - allocated, 4u * ba.size());  // amortized, not a copy per byte
}

TEST(Graph, GlobalsAreInterned) {
  Graph g;
  EXPECT_TRUE(g.global("datetime", "date").is(g.global("datetime", "date")));
  EXPECT_FALSE(g.global("datetime", "date").is(g.global("datetime", "time")));
}

TEST(Graph, SmallStrsAreSharedLikeCPython) {
  Graph g;
  EXPECT_TRUE(g.shared_or_new_str("").is(g.shared_or_new_str("")));
  EXPECT_TRUE(g.shared_or_new_str("a").is(g.shared_or_new_str("a")));
  EXPECT_TRUE(g.shared_or_new_str("\xc3\xa9").is(g.shared_or_new_str("\xc3\xa9")));  // U+00E9
  EXPECT_FALSE(g.shared_or_new_str("ab").is(g.shared_or_new_str("ab")));
  EXPECT_FALSE(g.shared_or_new_str("\xc4\x80").is(g.shared_or_new_str("\xc4\x80")));  // U+0100
}

TEST(Graph, MillionDeepNestingBuildsComparesPrintsAndFreesWithoutRecursion) {
  constexpr int kDepth = 1000000;
  auto build = [](Graph& g) {
    Value inner = g.new_list();
    Value root = inner;
    for (int i = 0; i < kDepth; ++i) {
      Value next = g.new_list();
      inner.as_list().append(g, next);
      inner = next;
    }
    g.set_root(root);
  };
  auto a = std::make_unique<Graph>();
  auto b = std::make_unique<Graph>();
  build(*a);
  build(*b);
  EXPECT_TRUE(deep_equal(a->root(), b->root()));
  std::string text = repr(a->root());
  EXPECT_EQ(text.size(), 2u * (kDepth + 1));
  a.reset();  // destruction frees arena chunks; nothing recurses
  b.reset();
}

struct CountsDestruction {
  explicit CountsDestruction(std::shared_ptr<int> counter) : destroyed(std::move(counter)) {}
  CountsDestruction(CountsDestruction&&) = default;  // a moved-from one counts nothing
  std::shared_ptr<int> destroyed;
  ~CountsDestruction() {
    if (destroyed) ++*destroyed;
  }
};

TEST(Graph, ClearFreesEveryValueAndLeavesTheGraphReadyForTheNext) {
  Graph src;
  const Value sent = src.new_dict();
  sent.as_dict().set(src, src.new_str("op"), src.new_str("put"));
  sent.as_dict().set(src, src.new_str("k"), Value::integer(1));
  const std::string message = pickle::dumps(sent, {.protocol = 4});
  Graph g;
  pickle::Unpickler u;  // one reader, one graph, many messages
  const NativeClass& cls = register_class<CountsDestruction>("test_value", "CountsDestruction");
  auto destroyed = std::make_shared<int>(0);
  for (int round = 0; round < 3; ++round) {
    u.set_input(message);
    const Value v = u.load(g);
    EXPECT_TRUE(deep_equal(v, sent)) << round;
    EXPECT_TRUE(g.shared_or_new_str("k").is(g.shared_or_new_str("k")));
    EXPECT_TRUE(g.global("datetime", "date").is(g.global("datetime", "date")));
    g.new_bytes(std::string(1 << 20, 'x'));  // a large block of its own
    g.new_native(cls, CountsDestruction(destroyed));
    const std::uint64_t id = g.id();
    g.clear();
    EXPECT_EQ(*destroyed, round + 1);
    EXPECT_EQ(g.bytes_allocated(), 0u);
    EXPECT_NE(g.id(), id);
    EXPECT_TRUE(g.root().is_none());
  }
}

TEST(Graph, CyclesAreHandledByDeepEqual) {
  Graph g;
  Value a = g.new_list(), b = g.new_list();
  a.as_list().append(g, a);
  b.as_list().append(g, b);
  EXPECT_TRUE(deep_equal(a, b));
  b.as_list().append(g, Value::integer(1));
  EXPECT_FALSE(deep_equal(a, b));
}

TEST(Graph, ArenaLimitIsEnforced) {
  Graph g;
  detail::Access::arena(g).set_limit(g.bytes_allocated() + 1000);
  std::string big(2000, 'x');
  try {
    g.new_str(big);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::MemoryError);
  }
}

// Large arrays move between malloc'd and mapped storage as they cross kMappedBlock, and
// grow by remapping above it: contents survive every move, and new bytes asked to be zero
// are, whichever way the block came.
TEST(Arena, BlocksKeepContentsAcrossEveryResize) {
  const std::size_t sizes[] = {100,
                               detail::kMappedBlock - 1,
                               detail::kMappedBlock,
                               3 * detail::kMappedBlock + 5,
                               std::size_t{9} << 20,
                               std::size_t{33} << 20,
                               detail::kMappedBlock + 1,
                               64};
  std::size_t size = 16;
  auto* block = static_cast<unsigned char*>(detail::allocate_block(size, true));
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(std::count(block, block + size, 0), static_cast<std::ptrdiff_t>(size));
  for (std::size_t i = 0; i < size; ++i) block[i] = static_cast<unsigned char>(i * 7 + 1);
  for (std::size_t next : sizes) {
    block = static_cast<unsigned char*>(detail::resize_block(block, size, next, true));
    ASSERT_NE(block, nullptr) << next;
    for (std::size_t i = 0; i < std::min(size, next); ++i) {
      ASSERT_EQ(block[i], static_cast<unsigned char>(i * 7 + 1)) << size << " -> " << next << " at " << i;
    }
    for (std::size_t i = size; i < next; ++i) ASSERT_EQ(block[i], 0) << size << " -> " << next << " at " << i;
    for (std::size_t i = size; i < next; ++i) block[i] = static_cast<unsigned char>(i * 7 + 1);
    size = next;
  }
  detail::free_block(block, size);
}

TEST(Graph, ListGrownPastManyRemapsKeepsItsItems) {
  Graph g;
  Value list = g.new_list();
  constexpr std::int64_t kItems = 3'000'000;  // 48 MB of values, through every doubling
  for (std::int64_t i = 0; i < kItems; ++i) list.as_list().append(g, Value::integer(i));
  ASSERT_EQ(list.as_list().size(), static_cast<std::size_t>(kItems));
  for (std::int64_t i = 0; i < kItems; i += 9973) ASSERT_EQ(list.as_list()[i].as_int(), i);
  EXPECT_EQ(list.as_list()[kItems - 1].as_int(), kItems - 1);
}

}  // namespace
}  // namespace pickle
