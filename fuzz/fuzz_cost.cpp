// cost: what an input makes loads() spend, against what it makes CPython's C unpickler
// spend on the same bytes in this process. A finding is an input that makes the library
// hold more than twice CPython's peak memory plus 16 MiB, or spend more than
// kTimeFactor times CPython's CPU time plus kTimeSlack: the bar of bench/adversarial.py
// (2x CPU, 2x memory + 16 MB), looser on time because this build is instrumented
// (sanitizers slow the library down several times, not CPython) and time is noisy.
//
// Memory: the library's is the peak of its arena (every node, string, table and large
// payload of the graph; the unpickler's stack and memo are bounded by the input's
// length); CPython's is tracemalloc's peak over the load. Time: CPU time of the load on
// each side, the least of three runs before a time finding is reported.
//
// Both sides admit the same globals (fuzz::strict_options, fuzz/oracle.py) and may use up
// to kMemoryLimit. Inputs CPython cannot load within its cap, or refuses for a global, are
// counted, not compared: their cost is not CPython's.
#include <time.h>

#include <algorithm>

#include "access.h"
#include "fuzz.h"

namespace {

constexpr std::size_t kMemoryLimit = std::size_t{512} << 20;
constexpr double kTimeFactor = 8;
constexpr double kTimeSlack = 0.25;  // seconds

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

struct Cost {
  std::string status;  // "ok", "err" or an oracle status ("blocked", ...)
  std::string error;   // the exception class
  std::size_t peak = 0;
  double cpu = 0;
};

Cost library_cost(std::span<const std::uint8_t> input) {
  pickle::Limits limits;
  limits.max_memory = kMemoryLimit;
  pickle::Unpickler unpickler(fuzz::strict_options(limits));
  unpickler.set_input(input);
  pickle::Graph g;
  Cost c{"ok", ""};
  const double start = cpu_seconds();
  try {
    unpickler.load(g);
  } catch (const pickle::Error& e) {
    c.status = "err";
    c.error = e.python_type_name();
  }
  c.cpu = cpu_seconds() - start;
  c.peak = pickle::detail::Access::arena(g).bytes_reserved_peak();
  // Past the limit, the library would have needed more than it holds.
  if (c.error == "MemoryError") c.peak = std::max(c.peak, kMemoryLimit);
  return c;
}

// Each measure is a load of its own under a cap of its own (the cap sums requests), and
// only an outcome both loads agree on is compared.
Cost cpython_cost(std::span<const std::uint8_t> input) {
  const std::string_view bytes(reinterpret_cast<const char*>(input.data()), input.size());
  fuzz::py::Ref timed, traced;
  {
    fuzz::py::Capped cap(2 * kMemoryLimit);
    timed = fuzz::py::call("cost_cpu", fuzz::py::bytes(bytes));
  }
  {
    fuzz::py::Capped cap(2 * kMemoryLimit);
    traced = fuzz::py::call("cost_peak", fuzz::py::bytes(bytes));
  }
  fuzz::Outcome o = fuzz::py::outcome(PyTuple_GET_ITEM(timed.get(), 0));
  Cost c{o.status, o.error};
  c.cpu = PyFloat_AsDouble(PyTuple_GET_ITEM(timed.get(), 1));
  c.peak = PyLong_AsSize_t(PyTuple_GET_ITEM(traced.get(), 1));
  if (!fuzz::py::outcome(PyTuple_GET_ITEM(traced.get(), 0)).same_class(o)) c.status = "unmeasured";
  return c;
}

std::string describe(const Cost& c) {
  return c.status + (c.error.empty() ? "" : " " + c.error) + ", peak " + std::to_string(c.peak >> 10) + " KiB, CPU " +
         std::to_string(c.cpu) + " s";
}

bool too_slow(const Cost& lib, const Cost& py) { return lib.cpu > kTimeFactor * py.cpu + kTimeSlack; }

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char*** argv) {
  fuzz::py::start((*argv)[0]);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> input(data, size);
  Cost lib = library_cost(input);
  Cost py = cpython_cost(input);
  if (py.status != "ok" && py.status != "err") return fuzz::count(py.status), 0;
  if (py.error == "MemoryError") return fuzz::count("memory-cpython"), 0;
  if (lib.peak > 2 * py.peak + (std::size_t{16} << 20)) {
    fuzz::fail("loads holds more than 2x CPython's peak memory + 16 MiB", input,
               "library: " + describe(lib) + "\nCPython: " + describe(py));
  }
  if (too_slow(lib, py)) {
    for (int i = 0; i < 2 && too_slow(lib, py); ++i) {
      Cost lib_again = library_cost(input), py_again = cpython_cost(input);
      lib.cpu = std::min(lib.cpu, lib_again.cpu);
      py.cpu = std::min(py.cpu, py_again.cpu);
    }
    if (too_slow(lib, py)) {
      fuzz::fail("loads spends more than 8x CPython's CPU time + 0.25 s", input,
                 "library: " + describe(lib) + "\nCPython: " + describe(py));
    }
  }
  return fuzz::count(lib.status == py.status ? "within" : "within-decisions-differ"), 0;
}
