// api: what user code does with a loaded pickle, on arbitrary bytes. The value is loaded
// under small limits, then its nodes are walked through the checked API: every accessor
// and its try_ form, out-of-range indexes, dict lookups by C++ key, pickle::to<T> for many
// T, the typed views of stdlib and numpy types. Any pickle::Error is fine; a crash, a
// sanitizer report, another exception type, or an accessor and its try_ form disagreeing is
// a finding. What converts must convert back to an equal value. Last, the root is copied
// and deep-copied as one of the supported releases would, and the deep copy pickled.
#include <array>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_set>
#include <variant>

#include "fuzz.h"

namespace {

using pickle::Value;

template <class F>
bool succeeds(F&& f) {
  try {
    f();
    return true;
  } catch (const pickle::Error&) {
    return false;
  }
}

// as_X() throws exactly when try_as_X() is empty.
#define CHECK_ACCESSOR(name)                                                                                         \
  do {                                                                                                               \
    bool ok = succeeds([&] { (void)v.as_##name(); });                                                                \
    if (ok != static_cast<bool>(v.try_as_##name())) fuzz::fail("as_" #name " and try_as_" #name " disagree", input); \
  } while (0)

void check_accessors(Value v, std::span<const std::uint8_t> input) {
  CHECK_ACCESSOR(bool);
  CHECK_ACCESSOR(int);
  CHECK_ACCESSOR(float);
  CHECK_ACCESSOR(bigint);
  CHECK_ACCESSOR(complex);
  CHECK_ACCESSOR(str);
  CHECK_ACCESSOR(bytes);
  CHECK_ACCESSOR(bytearray);
  CHECK_ACCESSOR(list);
  CHECK_ACCESSOR(tuple);
  CHECK_ACCESSOR(dict);
  CHECK_ACCESSOR(set);
  CHECK_ACCESSOR(global);
  CHECK_ACCESSOR(object);
  CHECK_ACCESSOR(persistent_id);
  CHECK_ACCESSOR(buffer);
  CHECK_ACCESSOR(native);
  CHECK_ACCESSOR(iterator);
}
#undef CHECK_ACCESSOR

/// to<T>(v); when it converts, from() of the result converts back to an equal T
/// (compared as Python values, so that a NaN equals itself).
template <class T>
void convert(pickle::Graph& g, Value v, std::span<const std::uint8_t> input) {
  std::optional<T> x;
  try {
    x = pickle::to<T>(v);
  } catch (const pickle::Error&) {
    return;
  }
  if constexpr (requires { pickle::converter<T>::to_python(g, *x); }) {
    Value back;
    try {
      back = pickle::from(g, *x);
    } catch (const pickle::Error& e) {
      // Only an unhashable key (a list made from a tuple) may fail on the way back.
      if (e.type() != pickle::ErrorType::TypeError) fuzz::fail("from() of a converted value failed", input);
      return;
    }
    if (!pickle::deep_equal(back, pickle::from(g, pickle::to<T>(back)))) fuzz::fail("to(from(x)) != x", input);
  }
}

/// The typed views of stdlib and numpy types: a view or a pickle::Error, whatever v is.
void probe_typed_views(Value v) {
  (void)succeeds([&] { (void)pickle::to<pickle::Date>(v); });
  (void)succeeds([&] { (void)pickle::to<pickle::Time>(v); });
  (void)succeeds([&] { (void)pickle::to<pickle::DateTime>(v); });
  (void)succeeds([&] { (void)pickle::to<pickle::TimeDelta>(v); });
  (void)succeeds([&] { (void)pickle::to<pickle::TimeZone>(v); });
  (void)succeeds([&] { (void)pickle::to<pickle::Decimal>(v); });
  (void)succeeds([&] { (void)pickle::to<pickle::OrderedDict>(v); });
  (void)succeeds([&] { (void)pickle::to<pickle::Counter>(v); });
  (void)succeeds([&] { (void)pickle::to<pickle::DefaultDict>(v); });
  (void)succeeds([&] { (void)pickle::to<pickle::Deque>(v); });
  (void)succeeds([&] { (void)pickle::to<pickle::numpy::Dtype>(v); });
  (void)succeeds([&] { (void)pickle::to<pickle::numpy::Array>(v); });
  (void)succeeds([&] { (void)pickle::to<pickle::numpy::Scalar>(v); });
}

void probe(pickle::Graph& g, Value v, std::span<const std::uint8_t> input) {
  check_accessors(v, input);
  // Out-of-range and in-range indexes.
  if (const pickle::Tuple* t = v.try_as_tuple()) {
    for (std::size_t i : {std::size_t{0}, t->size(), t->size() + 1, ~std::size_t{0}})
      (void)succeeds([&] { (void)(*t)[i]; });
  }
  if (pickle::List* l = v.try_as_list()) {
    for (std::size_t i : {std::size_t{0}, l->size(), ~std::size_t{0}}) (void)succeeds([&] { (void)(*l)[i]; });
  }
  if (const pickle::Dict* d = v.try_as_dict()) {
    (void)succeeds([&] { (void)d->at("a"); });
    (void)succeeds([&] { (void)d->at(std::string_view("\xed\xa0\x80", 3)); });
    (void)succeeds([&] { (void)d->at(0); });
    (void)succeeds([&] { (void)d->find(-1); });
    for (const pickle::Dict::Entry& e : *d) {
      if (const pickle::Str* s = e.key.try_as_str()) {
        if (!d->find(s->utf8())) fuzz::fail("a str key is not found by its UTF-8", input);
      }
      if (std::optional<std::int64_t> i = e.key.try_as_int()) {
        if (!d->find(*i)) fuzz::fail("an int key is not found by its value", input);
      }
    }
  }
  if (v.is_int() || v.is_bool()) (void)succeeds([&] { (void)pickle::int_to_string(v); });
  if (pickle::Bytes* b = v.try_as_bytearray()) (void)succeeds([&] { (void)b->data(); });

  convert<bool>(g, v, input);
  convert<std::int8_t>(g, v, input);
  convert<std::uint8_t>(g, v, input);
  convert<int>(g, v, input);
  convert<unsigned>(g, v, input);
  convert<std::int64_t>(g, v, input);
  convert<std::uint64_t>(g, v, input);
#if defined(__SIZEOF_INT128__)
  convert<__int128>(g, v, input);
  convert<unsigned __int128>(g, v, input);
#endif
  convert<double>(g, v, input);
  convert<float>(g, v, input);
  convert<std::string>(g, v, input);
  convert<std::string_view>(g, v, input);
  convert<std::vector<std::byte>>(g, v, input);
  convert<std::vector<int>>(g, v, input);
  convert<std::vector<std::string>>(g, v, input);
  convert<std::vector<std::vector<double>>>(g, v, input);
  convert<std::vector<Value>>(g, v, input);
  convert<std::array<int, 2>>(g, v, input);
  convert<std::tuple<std::string, std::optional<int>>>(g, v, input);
  convert<std::pair<std::int64_t, std::string>>(g, v, input);
  convert<std::map<std::string, int>>(g, v, input);
  convert<std::map<std::int64_t, std::vector<std::string>>>(g, v, input);
  convert<std::set<std::int64_t>>(g, v, input);
  convert<std::unordered_set<std::string>>(g, v, input);
  convert<std::optional<std::vector<double>>>(g, v, input);
  convert<std::variant<std::int64_t, double, std::string, std::vector<Value>>>(g, v, input);
  probe_typed_views(v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Reader in(data, size);
  std::uint8_t flags = in.byte();
  pickle::UnpicklerOptions options;
  options.limits = fuzz::small_limits();
  options.encoding = (flags & 1) ? "latin1" : (flags & 2) ? "bytes" : "ASCII";
  options.fix_imports = !(flags & 4);
  auto input = std::span(data, size).subspan(size ? 1 : 0);
  pickle::Graph g;
  try {
    g = pickle::loads(input, options);
  } catch (const pickle::Error&) {
    return 0;
  }
  // Every node once (cycles and sharing), at most a few thousand of them.
  std::vector<Value> work{g.root()};
  std::unordered_set<const void*> seen;
  for (std::size_t visited = 0; !work.empty() && visited < 4096; ++visited) {
    Value v = work.back();
    work.pop_back();
    if (v.node() && !seen.insert(v.node()).second) continue;
    probe(g, v, input);
    fuzz::for_each_child(v, [&](Value child) { work.push_back(child); });
  }
  pickle::CopyOptions copy_options;
  copy_options.python = {3, 8 + (flags >> 3) % 6};
  copy_options.max_depth = 200;
  try {
    (void)pickle::copy(g, g.root(), copy_options);
    Value twin = pickle::deepcopy(g, g.root(), copy_options);
    (void)pickle::dumps(twin, {.protocol = flags % 6, .python = copy_options.python});
  } catch (const pickle::Error&) {
  }
  return 0;
}
