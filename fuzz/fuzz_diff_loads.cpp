// diff_loads: loads() against CPython's C unpickler on the same bytes, in this process.
// Both must accept or both reject; rejections must raise the same exception class (and,
// counted apart, message); an accepted value must pickle again, at every protocol, to the
// bytes CPython's dumps() writes for its value.
//
// Both sides admit the same globals: those the library rebuilds natively (its
// strict_globals policy), which CPython's unpickler in fuzz/oracle.py restricts itself to.
// Outcomes the library does not reproduce by design are counted, not compared
// (doc/design.md section 4): refused globals, MemoryError (CPython allocates declared
// sizes), RecursionError, multibyte Python 2 codecs, calls the library records inertly,
// resizing a bytearray whose memoryview CPython has freed, and sets whose CPython order
// depends on addresses.
#include "pyobject.h"
#include "fuzz.h"

namespace {

/// The category of a library error that is not compared with CPython, or "".
std::string category(const pickle::Error& e) {
  using pickle::ErrorType;
  if (e.type() == ErrorType::MemoryError) return "memory-library";
  if (e.type() == ErrorType::RecursionError) return "depth";
  if (e.type() == ErrorType::NotImplementedError) return "codec";
  if (e.type() == ErrorType::UnpicklingError && e.message().ends_with("' is forbidden")) return "blocked";
  return "";
}

/// True if every set in the graph iterates in an order the library can reproduce.
bool set_order_known(pickle::Value root) {
  return !fuzz::any_node(root, [](pickle::Value v) {
    if (v.kind() != pickle::Kind::Set && v.kind() != pickle::Kind::FrozenSet) return false;
    for (pickle::Value m : v.as_set()) {
      if (!pickle::detail::cpython_hash(m, 0)) return true;
    }
    return false;
  });
}

void compare_dumps(pickle::Value root, std::span<const std::uint8_t> input) {
  if (fuzz::any_node(root, fuzz::is_object)) return fuzz::count("call");
  if (!set_order_known(root)) return fuzz::count("set-order");
  // CPython's loaded getattr is the oracle's guard, which its pickler cannot write.
  auto is_getattr = [](pickle::Value v) {
    return v.is_global() && v.as_global().builtin() == pickle::Global::Builtin::GetAttr;
  };
  if (fuzz::any_node(root, is_getattr)) return fuzz::count("getattr");
  fuzz::py::Ref r;
  std::size_t refusals = 0;
  {
    fuzz::py::Capped cap;
    r = fuzz::py::call("dump_last");
    refusals = cap.refusals();
  }
  // CPython refused memory: an outcome other than its MemoryError may come from code that
  // swallowed it, and the cap is reached or not depending on earlier inputs.
  if (refusals) return fuzz::count("memory-cpython");
  std::vector<fuzz::Outcome> py = fuzz::py::outcomes(r.get());
  for (int protocol = 0; protocol <= 5; ++protocol) {
    const fuzz::Outcome& want = py[protocol];
    if (want.status != "ok" && want.status != "err") {
      fuzz::count(want.status);
      continue;
    }
    fuzz::Outcome got = fuzz::outcome_of([&] { return pickle::dumps(root, {.protocol = protocol, .hash_seed = 0}); });
    if (!got.same_class(want) || got.bytes != want.bytes) {
      fuzz::fail("dumps(loads(input)) differs from CPython", input,
                 "protocol " + std::to_string(protocol) + "\nlibrary: " + fuzz::describe(got) +
                     "\nCPython: " + fuzz::describe(want));
    }
    if (got.message != want.message && fuzz::strict_messages()) {
      fuzz::fail("dumps raises CPython's class with another message", input,
                 "library: " + fuzz::describe(got) + "\nCPython: " + fuzz::describe(want));
    }
    fuzz::count(got.message == want.message ? "dumps-agree" : "dumps-message-differs");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char*** argv) {
  fuzz::py::start((*argv)[0]);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> input(data, size);
  pickle::Graph g;
  fuzz::Outcome cpp = fuzz::Outcome::ok("");
  std::string cpp_category;
  try {
    g = pickle::loads(input, fuzz::strict_options());
  } catch (const pickle::Error& e) {
    cpp = fuzz::Outcome::err(e);
    cpp_category = category(e);
  }
  fuzz::Outcome py;
  {
    fuzz::py::Capped cap;
    py = fuzz::py::outcome(fuzz::py::call("load", fuzz::py::bytes({reinterpret_cast<const char*>(data), size})).get());
    // A refused allocation that did not end the load as its MemoryError was swallowed on
    // the way (see compare_dumps): the outcome says nothing of the bytes.
    if (cap.refusals() && py.status != "memory") py.status = "memory";
  }
  if (py.status == "blocked" && cpp.status == "ok") {
    fuzz::fail("the oracle refuses a global the library accepts (oracle.SAFE and allowed_globals differ)", input);
  }
  if (!cpp_category.empty() || (py.status != "ok" && py.status != "err")) {
    return fuzz::count(cpp_category.empty() ? py.status : cpp_category), 0;
  }
  if (cpp.status == "ok" && py.status == "ok") return compare_dumps(g.root(), input), 0;
  if (cpp.same_class(py)) {
    if (cpp.message != py.message && fuzz::strict_messages()) {
      fuzz::fail("loads raises CPython's class with another message", input,
                 "library: " + fuzz::describe(cpp) + "\nCPython: " + fuzz::describe(py));
    }
    return fuzz::count(cpp.message == py.message ? "agree" : "message-differs"), 0;
  }
  if (fuzz::leaves_a_call_inert(input, fuzz::strict_options())) return fuzz::count("call"), 0;
  // A bytearray stays unresizable once viewed, even when CPython has freed the view.
  if (cpp.error == "BufferError" && py.error != "BufferError") return fuzz::count("view-lifetime"), 0;
  fuzz::fail("loads differs from CPython", input,
             "library: " + fuzz::describe(cpp) + "\nCPython: " + fuzz::describe(py));
}
