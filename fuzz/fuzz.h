// Helpers shared by the fuzz targets (fuzz_*.cpp): input decoding, small limits, graph
// checks, reporting a finding, and -- when a target embeds CPython (PICKLE_FUZZ_PYTHON)
// -- the interpreter and the Python oracle of fuzz/oracle.py.
//
// A target calls fuzz::fail() for anything it considers a bug (a disagreement with
// CPython, a broken round trip): it prints the report and aborts, which libFuzzer
// records as a crash and the replay executable as a failing test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "pickle/pickle.h"

namespace fuzz {

// ---- input -------------------------------------------------------------------------------

inline std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// Consumes fuzz input front to back; past the end every read yields zeros, so a decoder
/// always terminates.
class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size) : p_(data), end_(data + size) {}
  bool empty() const { return p_ == end_; }
  std::size_t left() const { return static_cast<std::size_t>(end_ - p_); }
  std::uint8_t byte() { return p_ < end_ ? *p_++ : 0; }
  /// A number below n (n >= 1).
  unsigned below(unsigned n) { return byte() % n; }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | byte();
    return v;
  }
  std::int64_t i64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | byte();
    return static_cast<std::int64_t>(v);
  }
  /// A byte string of a length read from the input, capped at `max`.
  std::string chars(std::size_t max) {
    std::size_t n = std::min<std::size_t>({byte() % (max + 1), left()});
    std::string s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

// ---- limits ------------------------------------------------------------------------------

/// Limits for untrusted input in the fuzzers: a few MB per load, so that any amplification
/// ends in MemoryError long before libFuzzer's RSS limit.
inline pickle::Limits small_limits() {
  pickle::Limits l;
  l.max_memory = std::size_t{16} << 20;
  l.max_memo = std::size_t{1} << 16;
  l.max_stack = std::size_t{1} << 16;
  return l;
}

/// What the CPython oracle admits (fuzz/oracle.py): the globals the library rebuilds
/// natively and the builtin constants, refused otherwise as the strict policy does.
inline pickle::UnpicklerOptions strict_options(const pickle::Limits& limits = small_limits()) {
  pickle::UnpicklerOptions o;
  o.limits = limits;
  o.strict_globals = true;
  o.allowed_globals = {"builtins.None", "builtins.True", "builtins.False", "builtins.Ellipsis",
                       "builtins.NotImplemented"};
  return o;
}

// ---- graph checks --------------------------------------------------------------------------

/// Calls f(child) for each value a node refers to.
template <class F>
void for_each_child(pickle::Value v, F&& f) {
  using pickle::Kind;
  switch (v.kind()) {
    case Kind::List:
      for (pickle::Value x : v.as_list()) f(x);
      break;
    case Kind::Tuple:
      for (pickle::Value x : v.as_tuple()) f(x);
      break;
    case Kind::Set:
    case Kind::FrozenSet:
      for (pickle::Value x : v.as_set()) f(x);
      break;
    case Kind::Dict:
      for (const pickle::Dict::Entry& e : v.as_dict()) {
        f(e.key);
        f(e.value);
      }
      break;
    case Kind::Object: {
      const pickle::Object& o = v.as_object();
      f(o.callable());
      f(o.args());
      f(o.kwargs());
      f(o.state());
      f(o.state_setter());
      for (pickle::Value x : o.list_items()) f(x);
      for (const pickle::Dict::Entry& e : o.dict_items()) {
        f(e.key);
        f(e.value);
      }
      for (pickle::Value x : o.set_items()) f(x);
      break;
    }
    case Kind::PersistentId: f(v.as_persistent_id().pid()); break;
    case Kind::Iterator: f(v.as_iterator().source()); break;
    default: break;
  }
}

/// Visits every node reachable from root once (iteratively: graphs may be deep).
template <class F>
void walk(pickle::Value root, F&& visit) {
  std::vector<pickle::Value> todo{root};
  std::unordered_set<const void*> seen;
  while (!todo.empty()) {
    pickle::Value v = todo.back();
    todo.pop_back();
    if (v.is_node() && !seen.insert(v.node()).second) continue;
    visit(v);
    for_each_child(v, [&](pickle::Value c) { todo.push_back(c); });
  }
}

/// True if any node reachable from root satisfies pred.
template <class P>
bool any_node(pickle::Value root, P&& pred) {
  bool found = false;
  walk(root, [&](pickle::Value v) { found = found || pred(v); });
  return found;
}

inline bool is_object(pickle::Value v) { return v.is_object(); }

/// True if the library records, at some REDUCE/NEWOBJ/NEWOBJ_EX/INST/OBJ of the input, an
/// inert object (pickle::Object) where CPython runs the call: what CPython then does or
/// raises is not modelled, so the outcomes are not comparable. Found by loading the
/// input up to each such opcode (frames left out), then STOP. The opcodes are found by
/// genops, and, past the point where genops (strict as pickletools) stops but the
/// unpickler reads on (`p1\0\0\n` is PUT 1 to CPython), at every byte that is one of them.
inline bool leaves_a_call_inert(std::span<const std::uint8_t> input, const pickle::UnpicklerOptions& options) {
  using pickle::Op;
  std::string prefix;
  std::vector<std::string> cuts;
  pickle::Graph scratch;
  try {
    pickle::genops(input, scratch, [&](const pickle::GenOp& op) {
      if (op.info->op != Op::FRAME)
        prefix.append(reinterpret_cast<const char*>(input.data()) + op.pos, op.end - op.pos);
      Op o = op.info->op;
      if (o == Op::REDUCE || o == Op::NEWOBJ || o == Op::NEWOBJ_EX || o == Op::INST || o == Op::OBJ) {
        cuts.push_back(prefix + ".");
      }
    });
  } catch (const pickle::Error&) {
    constexpr std::size_t kMaxRawCuts = 4096;
    const auto is_call = [](std::uint8_t b) { return b == 'R' || b == 'i' || b == 'o' || b == 0x81 || b == 0x92; };
    // Without what looks like a FRAME header (0x95 and a length that fits): a cut frame
    // is an error of its own.
    std::string body;
    for (std::size_t i = 0; i < input.size(); ++i) {
      if (input[i] == 0x95 && i + 9 <= input.size()) {
        std::uint64_t len = 0;
        for (int k = 8; k >= 1; --k) len = len << 8 | input[i + k];
        if (len <= input.size() - i - 9) {
          i += 8;
          continue;
        }
      }
      body.push_back(static_cast<char>(input[i]));
    }
    // What looks like a frame may be the payload of a string: cut the input as it is too.
    std::string raw(reinterpret_cast<const char*>(input.data()), input.size());
    for (const std::string* text : {&body, &raw}) {
      if (text == &raw && raw == body) break;
      for (std::size_t i = 0; i < text->size() && cuts.size() < kMaxRawCuts; ++i) {
        if (is_call(static_cast<std::uint8_t>((*text)[i]))) cuts.push_back(text->substr(0, i + 1) + ".");
      }
    }
  }
  for (const std::string& cut : cuts) {
    try {
      if (any_node(pickle::loads(cut, options).root(), is_object)) return true;
    } catch (const pickle::Error&) {
    }
  }
  return false;
}

/// The number of values repr() would print for root, counting shared nodes each time they
/// are reached (a DAG of doublings prints exponentially), saturated at `cap`. Cycles count
/// once, as repr prints `[...]` for them.
inline std::size_t printed_size(pickle::Value root, std::size_t cap) {
  std::unordered_map<const void*, std::size_t> size;  // node -> printed size (0: in progress)
  struct Frame {
    pickle::Value v;
    bool expanded;
  };
  std::vector<Frame> stack{{root, false}};
  std::size_t result = 0;
  while (!stack.empty()) {
    Frame f = stack.back();
    stack.pop_back();
    if (!f.v.is_node()) {
      if (stack.empty()) result = 1;
      continue;
    }
    const void* n = f.v.node();
    if (!f.expanded) {
      if (size.count(n)) continue;
      size[n] = 0;
      stack.push_back({f.v, true});
      for_each_child(f.v, [&](pickle::Value c) { stack.push_back({c, false}); });
      continue;
    }
    std::size_t s = 1;
    for_each_child(f.v, [&](pickle::Value c) {
      if (!c.is_node()) {
        s += 1;
        return;
      }
      auto it = size.find(c.node());
      s += (it == size.end() || it->second == 0) ? 1 : it->second;
    });
    size[n] = std::min(s, cap);
    result = size[n];
  }
  return result;
}

// ---- outcomes and findings ---------------------------------------------------------------

/// What an operation did: "ok" with its result bytes, "err" with a Python exception class
/// and message, or a category name when the outcome is not comparable.
struct Outcome {
  std::string status;
  std::string error;  // exception class
  std::string message;
  std::string bytes;

  static Outcome ok(std::string bytes) { return {"ok", "", "", std::move(bytes)}; }
  static Outcome err(const pickle::Error& e) { return {"err", std::string(e.python_type_name()), e.message(), ""}; }
  bool same_class(const Outcome& o) const { return status == o.status && error == o.error; }
  bool operator==(const Outcome& o) const = default;
};

/// Runs f() (returning the result bytes) and records what happened.
template <class F>
Outcome outcome_of(F&& f) {
  try {
    return Outcome::ok(f());
  } catch (const pickle::Error& e) {
    return Outcome::err(e);
  }
}

inline std::string hex(std::string_view s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

inline std::string describe(const Outcome& o) {
  if (o.status == "ok") return "ok " + hex(o.bytes.substr(0, 512)) + (o.bytes.size() > 512 ? "..." : "");
  if (o.status == "err") return o.error + ": " + o.message;
  return o.status;
}

/// Reports a finding and aborts (a crash for libFuzzer, a failure for the replay runner).
[[noreturn]] inline void fail(std::string_view what, std::span<const std::uint8_t> input,
                              std::string_view details = {}) {
  std::fprintf(stderr, "\n==== pickle fuzz finding: %.*s\ninput (%zu bytes): %s\n%.*s\n", static_cast<int>(what.size()),
               what.data(), input.size(),
               hex(std::string_view(reinterpret_cast<const char*>(input.data()), input.size())).c_str(),
               static_cast<int>(details.size()), details.data());
  std::fflush(stderr);
  std::abort();
}

/// Tallies of outcome categories, printed at exit when PICKLE_FUZZ_STATS is set (how much
/// of the input a differential target could compare).
inline std::unordered_map<std::string, std::size_t>& stats() {
  static auto* s = [] {
    auto* m = new std::unordered_map<std::string, std::size_t>;
    if (std::getenv("PICKLE_FUZZ_STATS")) {
      std::atexit([] {
        for (const auto& [k, n] : stats()) std::fprintf(stderr, "stat %-24s %zu\n", k.c_str(), n);
      });
    }
    return m;
  }();
  return *s;
}
inline void count(const std::string& category) { ++stats()[category]; }

/// Differential targets compare exception classes; with PICKLE_FUZZ_MESSAGES=1 in the
/// environment a different message (same class) is a finding too.
inline bool strict_messages() {
  static const bool strict = [] {
    const char* v = std::getenv("PICKLE_FUZZ_MESSAGES");
    return v && *v == '1';
  }();
  return strict;
}

}  // namespace fuzz

#ifdef PICKLE_FUZZ_PYTHON
// ---- embedded CPython ----------------------------------------------------------------------
//
// CPython 3.11 runs in the target's process: started once with PYTHONHASHSEED=0 (the
// library's hash_seed 0, for set order) and isolated from the environment; fuzz/oracle.py
// (compiled into the binary, see CMakeLists.txt) is its module `oracle`. While the oracle
// runs on fuzz input, CPython's allocators are capped (cumulative bytes requested), so an
// input on which CPython itself would allocate gigabytes (a huge declared length, a memo
// index of 2**31) ends in its MemoryError, not in libFuzzer's out-of-memory report.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <filesystem>

#include "oracle_py.h"  // kOracleSource, kScanOracleSource, kLsanSuppressions (fuzz/embed.cmake)

// The interpreter is never finalized and keeps caches across inputs: LeakSanitizer
// must not report libpython's own allocations (the library's are still checked).
extern "C" __attribute__((used)) const char* __lsan_default_suppressions() { return kLsanSuppressions; }

namespace fuzz::py {

/// An owned reference.
class Ref {
 public:
  Ref() = default;
  explicit Ref(PyObject* p) : p_(p) {}
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
  Ref(Ref&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  Ref& operator=(Ref&& o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~Ref() { Py_XDECREF(p_); }
  PyObject* get() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  PyObject* p_ = nullptr;
};

/// A Python error in the harness itself (not in the code under test): print and abort.
[[noreturn]] inline void harness_error(const char* where) {
  std::fprintf(stderr, "fuzz harness: Python error in %s\n", where);
  PyErr_Print();
  std::abort();
}

inline Ref check(PyObject* p, const char* where) {
  if (!p) harness_error(where);
  return Ref(p);
}

// ---- the allocation cap ----

struct Budget {
  static inline bool armed = false;
  static inline std::size_t refused = 0;  // requests failed since the cap was armed
  static inline std::size_t left = 0;
  static inline PyMemAllocatorEx raw, mem, obj;  // CPython's own allocators

  static bool take(std::size_t n) {
    if (!armed) return true;
    if (n > left) return ++refused, false;
    left -= n;
    return true;
  }
  template <PyMemAllocatorEx* Base>
  static void* malloc_(void*, std::size_t n) {
    return take(n) ? Base->malloc(Base->ctx, n) : nullptr;
  }
  template <PyMemAllocatorEx* Base>
  static void* calloc_(void*, std::size_t k, std::size_t n) {
    return (n == 0 || k <= SIZE_MAX / n) && take(k * n) ? Base->calloc(Base->ctx, k, n) : nullptr;
  }
  template <PyMemAllocatorEx* Base>
  static void* realloc_(void*, void* p, std::size_t n) {
    return take(n) ? Base->realloc(Base->ctx, p, n) : nullptr;
  }
  template <PyMemAllocatorEx* Base>
  static void free_(void*, void* p) {
    Base->free(Base->ctx, p);
  }

  template <PyMemAllocatorEx* Base>
  static void wrap(PyMemAllocatorDomain domain) {
    PyMem_GetAllocator(domain, Base);
    PyMemAllocatorEx a{nullptr, malloc_<Base>, calloc_<Base>, realloc_<Base>, free_<Base>};
    PyMem_SetAllocator(domain, &a);
  }
  static void install() {
    wrap<&raw>(PYMEM_DOMAIN_RAW);
    wrap<&mem>(PYMEM_DOMAIN_MEM);
    wrap<&obj>(PYMEM_DOMAIN_OBJ);
  }
};

/// While alive, CPython may request at most `bytes` in total (a request beyond fails
/// with MemoryError). Sums requests, not live bytes: simple, and generous enough.
class Capped {
 public:
  explicit Capped(std::size_t bytes = std::size_t{512} << 20) {
    Budget::left = bytes;
    Budget::refused = 0;
    Budget::armed = true;
  }
  ~Capped() { Budget::armed = false; }
  /// How many requests failed (each raised a MemoryError, which code may have swallowed).
  std::size_t refusals() const { return Budget::refused; }
};

// ---- startup ----

inline PyObject*& oracle_module() {
  static PyObject* m = nullptr;
  return m;
}

/// Starts CPython and loads the oracle; call from LLVMFuzzerInitialize. A directory
/// `python/` beside the executable (an OSS-Fuzz build ships one) is used as PYTHONHOME.
inline void start(const char* argv0) {
  Budget::install();
  PyConfig config;
  PyConfig_InitIsolatedConfig(&config);
  config.use_hash_seed = 1;
  config.hash_seed = 0;                // PYTHONHASHSEED=0: the library's hash_seed 0
  config.install_signal_handlers = 0;  // signals belong to libFuzzer
  config.write_bytecode = 0;
  std::error_code ec;
  std::filesystem::path home = std::filesystem::path(argv0 ? argv0 : "").parent_path() / "python";
  if (argv0 && std::filesystem::is_directory(home / "lib", ec)) {
    PyConfig_SetBytesString(&config, &config.home, home.c_str());
  }
  PyStatus status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status)) Py_ExitStatusException(status);
  // scan_oracle first: oracle.py imports it.
  Ref scan_code = check(Py_CompileString(kScanOracleSource, "conformance/scan_oracle.py", Py_file_input),
                        "compiling scan_oracle.py");
  check(PyImport_ExecCodeModule("scan_oracle", scan_code.get()), "loading scan_oracle.py");
  Ref code = check(Py_CompileString(kOracleSource, "fuzz/oracle.py", Py_file_input), "compiling oracle.py");
  // oracle.NATIVE_GLOBALS: the library's own table, set before the module's code runs.
  static constexpr const char* kNativeGlobals[][2] = {
#define PICKLE_NATIVE_GLOBAL(module, qualname, kind) {module, qualname},
#include "native_globals.def"
#undef PICKLE_NATIVE_GLOBAL
  };
  Ref natives = check(PyList_New(0), "NATIVE_GLOBALS");
  for (const auto& [module, qualname] : kNativeGlobals) {
    Ref pair = check(Py_BuildValue("(ss)", module, qualname), "NATIVE_GLOBALS");
    if (PyList_Append(natives.get(), pair.get()) != 0) harness_error("NATIVE_GLOBALS");
  }
  PyObject* oracle = PyImport_AddModule("oracle");  // borrowed
  if (!oracle || PyModule_AddObjectRef(oracle, "NATIVE_GLOBALS", natives.get()) != 0) {
    harness_error("NATIVE_GLOBALS");
  }
  oracle_module() = check(PyImport_ExecCodeModule("oracle", code.get()), "loading oracle.py").get();
  Py_INCREF(oracle_module());
}

/// oracle.<name>(*args); args are new references (stolen). A Python exception escaping
/// the oracle is a harness bug.
template <class... A>
Ref call(const char* name, A... args) {
  Ref f = check(PyObject_GetAttrString(oracle_module(), name), name);
  Ref tuple = check(PyTuple_Pack(sizeof...(A), args...), name);
  (Py_DECREF(args), ...);
  return check(PyObject_CallObject(f.get(), tuple.get()), name);
}

inline PyObject* bytes(std::string_view s) {
  return PyBytes_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()));
}
inline PyObject* integer(long long v) { return PyLong_FromLongLong(v); }

inline std::string to_string(PyObject* o) {
  if (PyBytes_Check(o)) return std::string(PyBytes_AS_STRING(o), static_cast<std::size_t>(PyBytes_GET_SIZE(o)));
  Py_ssize_t n = 0;
  const char* s = PyUnicode_AsUTF8AndSize(o, &n);
  if (!s) harness_error("str of an outcome");
  return std::string(s, static_cast<std::size_t>(n));
}

/// An oracle outcome (status, error class, message, bytes) as an Outcome.
inline Outcome outcome(PyObject* t) {
  if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 4) harness_error("outcome tuple");
  return {to_string(PyTuple_GET_ITEM(t, 0)), to_string(PyTuple_GET_ITEM(t, 1)), to_string(PyTuple_GET_ITEM(t, 2)),
          to_string(PyTuple_GET_ITEM(t, 3))};
}

/// A list of oracle outcomes.
inline std::vector<Outcome> outcomes(PyObject* list) {
  std::vector<Outcome> out;
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); ++i) out.push_back(outcome(PyList_GET_ITEM(list, i)));
  return out;
}

}  // namespace fuzz::py
#endif  // PICKLE_FUZZ_PYTHON
