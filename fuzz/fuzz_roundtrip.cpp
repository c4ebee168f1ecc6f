// roundtrip: whenever loads() accepts the input, dumps() at every protocol must give a
// pickle that loads to an equal value, and dumping that value again must give the same
// bytes (the pickler depends only on the graph, which the unpickler reproduces).
// dumps() may refuse a value (a pickle::Error: e.g. what a protocol cannot express).
//
// Not for sets of two or more members: a set iterates in an order that depends on the
// order its members were added in, and a loaded set adds them in the order the pickle
// lists them, so CPython's own dumps(loads(dumps(s))) may list them differently:
// frozenset([231, 122, 75, 79]) alternates between two pickles.
//
// Equality is not required of graphs holding instances (pickle::Object): they are
// written as object.__reduce_ex__(protocol) would write them, which keeps what builds
// an equal object, not how this one was built (below protocol 2 copyreg._reconstructor
// replaces NEWOBJ; NEWOBJ_EX with empty keyword arguments becomes NEWOBJ).
//
// Nor stability of graphs where an instance is reachable from its own constructor
// arguments: CPython writes it twice (see constructed_from_itself).
//
// Nor below protocol 3 for graphs naming a global that fix_imports does not bring back
// to itself: a Python 2 name (copy_reg, __builtin__) loaded at protocol 3+ is taken
// literally but read back below protocol 3 as the Python 3 object, and some Python 3
// names are written as Python 2 names that read back as others (_bz2.X is written as
// bz2.X, which stays bz2.X; _dbm.X as dbm.X, read as dbm.ndbm.X), in CPython too.
#include "fuzz.h"
#include "globals.h"
#include "value_internal.h"  // map_2to3, map_3to2

namespace {
bool has_unstable_set(pickle::Value root) {
  return fuzz::any_node(root, [](pickle::Value v) {
    return (v.kind() == pickle::Kind::Set || v.kind() == pickle::Kind::FrozenSet) && v.as_set().size() > 1;
  });
}

/// True if an instance is reachable from its own constructor arguments. CPython saves
/// such an object a second time while saving its arguments (it is memoized only after
/// REDUCE/NEWOBJ), so the pickle loads as a graph with two copies, which pickles
/// differently again.
bool constructed_from_itself(pickle::Value root) {
  return fuzz::any_node(root, [](pickle::Value v) {
    if (!v.is_object()) return false;
    const pickle::Object& o = v.as_object();
    auto is_v = [&](pickle::Value x) { return x.node() == v.node(); };
    return fuzz::any_node(o.args(), is_v) || fuzz::any_node(o.kwargs(), is_v);
  });
}

bool renamed_by_fix_imports(pickle::Value root) {
  return fuzz::any_node(root, [](pickle::Value v) {
    if (!v.is_global()) return false;
    const pickle::Global& g = v.as_global();
    auto written = pickle::detail::map_3to2(g.module(), g.qualname());
    auto read = pickle::detail::map_2to3(written.module, written.name);
    return read.module != g.module() || read.name != g.qualname();
  });
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> input(data, size);
  pickle::UnpicklerOptions options;
  options.limits = fuzz::small_limits();
  pickle::Graph g;
  try {
    g = pickle::loads(input, options);
  } catch (const pickle::Error&) {
    return 0;
  }
  const bool compare_values = !fuzz::any_node(g.root(), fuzz::is_object);
  const int first_protocol = renamed_by_fix_imports(g.root()) ? 3 : 0;
  for (int protocol = first_protocol; protocol <= 5; ++protocol) {
    std::string first;
    try {
      first = pickle::dumps(g.root(), {.protocol = protocol});
    } catch (const pickle::Error&) {
      continue;
    }
    std::string detail = "protocol " + std::to_string(protocol) + ", dumps: " + fuzz::hex(first);
    try {
      pickle::Graph back = pickle::loads(first);
      if (compare_values && !pickle::deep_equal(g.root(), back.root()))
        fuzz::fail("dumps/loads changed the value", input, detail);
      std::string second = pickle::dumps(back.root(), {.protocol = protocol});
      if (second != first && !has_unstable_set(g.root()) && !constructed_from_itself(g.root()))
        fuzz::fail("dumps is not stable", input, detail + "\nagain: " + fuzz::hex(second));
    } catch (const pickle::Error& e) {
      fuzz::fail("the dumped pickle does not load or dump again", input, detail + "\n" + e.what());
    }
  }
  return 0;
}
