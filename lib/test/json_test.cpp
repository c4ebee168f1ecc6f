// pickle::to_json: the mapping of doc/json.md on graphs the library loads. What CPython
// loads from the same pickles is compared with the tool's output by tools/json_check.py;
// these cover what that cannot reach (depth, objects of unknown classes, buffers).
#include <gtest/gtest.h>

#include <string>

#include "pickle/pickle.h"

namespace {

std::string json_of(std::string_view pickle_bytes, pickle::UnpicklerOptions options = {}) {
  pickle::Graph g = pickle::loads(
      std::span(reinterpret_cast<const std::uint8_t*>(pickle_bytes.data()), pickle_bytes.size()), options);
  return pickle::to_json(g.root());
}

TEST(Json, DeepNestingIsNoRecursion) {
  // A million nested lists: ( ] ( ] ... then APPEND each into its parent.
  constexpr int kDepth = 1000000;
  std::string data = "\x80\x02";
  for (int i = 0; i < kDepth; ++i) data += ']';
  for (int i = 1; i < kDepth; ++i) data += 'a';
  data += '.';
  const std::string json = json_of(data);
  ASSERT_EQ(json.size(), 2u * kDepth);
  EXPECT_EQ(json.substr(0, 4), "[[[[");
  EXPECT_EQ(json.substr(json.size() - 4), "]]]]");
}

TEST(Json, InertObjectShowsTheCallAndState) {
  // GLOBAL mod C, EMPTY_TUPLE, NEWOBJ, then BUILD with {"x": 1}: an unknown class.
  const std::string data(
      "\x80\x02"
      "cmod\nC\n)\x81}X\x01\x00\x00\x00xK\x01sb.",
      27);
  EXPECT_EQ(json_of(data),
            R"({"$object": {"how": "newobj", "callable": {"$global": "mod.C"}, "args": [], "state": {"x": 1}}})");
}

TEST(Json, SelfReferenceIsARef) {
  // l = []; l.append(l); l.append(l)
  const std::string data(
      "\x80\x02]q\x00(h\x00h\x00"
      "e.",
      12);
  EXPECT_EQ(json_of(data), R"({"$id": 1, "$value": [{"$ref": 1}, {"$ref": 1}]})");
}

TEST(Json, PersistentIdsKept) {
  pickle::UnpicklerOptions options;
  options.persistent_load = pickle::keep_persistent_ids;
  const std::string data("\x80\x02]X\x01\x00\x00\x00sQa.", 13);
  EXPECT_EQ(json_of(data, options), R"([{"$persistent_id": "s"}])");
}

TEST(Json, OutOfBandBuffer) {
  pickle::UnpicklerOptions options;
  const std::string payload = "abc";
  options.buffers.emplace();
  options.buffers->push_back({std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()), true});
  EXPECT_EQ(json_of(std::string("\x80\x05\x97.", 4), options), R"({"$buffer": "YWJj", "readonly": true})");
}

TEST(Json, Base64Padding) {
  // b'', b'a', b'ab', b'abc' in a list (protocol 3 BINBYTES)
  const std::string data(
      "\x80\x03](C\x00"
      "C\x01"
      "aC\x02"
      "abC\x03"
      "abce.",
      23);
  EXPECT_EQ(json_of(data), R"([{"$bytes": ""}, {"$bytes": "YQ=="}, {"$bytes": "YWI="}, {"$bytes": "YWJj"}])");
}

}  // namespace
