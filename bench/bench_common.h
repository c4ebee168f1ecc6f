// Shared by the benchmark files: the embedded CPython (the reference implementation,
// timed in the same process) and the workloads of bench/workloads.py, built once by
// CPython and loaded into the C++ library from CPython's own pickle so that both sides
// work on the same object graph.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pickle/pickle.h"

namespace bench {

/// A new reference, or exits with Python's error printed (setup errors are fatal).
PyObject* check(PyObject* obj, const char* what);

/// The interpreter and the modules the benchmarks use. Initialized once, by main().
struct Python {
  PyObject* pickle_module = nullptr;  // _pickle
  PyObject* workloads = nullptr;      // bench/workloads.py
  PyObject* dumps = nullptr;          // _pickle.dumps
  PyObject* loads = nullptr;          // _pickle.loads
  static Python& get();
};

void init_python();

/// One workload at one protocol: the Python objects, CPython's pickle of each, and the
/// C++ graph loaded from that pickle.
struct Workload {
  std::string name;
  int protocol = 5;
  std::vector<PyObject*> objects;        // owned references
  std::vector<PyObject*> pickles;        // bytes objects, owned
  std::vector<std::string> pickle_data;  // the same bytes, for the C++ side
  std::vector<std::unique_ptr<pickle::Graph>> graphs;
  std::size_t total_bytes = 0;
  std::size_t total_objects = 0;  // Python objects in the graphs (items/s)
};

/// The workload `name` pickled at `protocol` (built on first use, then cached).
const Workload& workload(const std::string& name, int protocol);

/// The workload names and protocols of bench/workloads.py, in its order.
std::vector<std::pair<std::string, std::vector<int>>> workload_list();

/// The 1,000,000-deep nested list, as written by workloads.nested_pickle().
const std::string& nested_pickle();

/// Counts the values reachable from v (each node once, immediates each time).
std::size_t count_objects(pickle::Value v);

/// Set by --iterations=N (before the benchmarks are registered): every benchmark runs
/// exactly N iterations, once, so that instruction counts (report.py --instructions)
/// can be taken per iteration. 0: Google Benchmark's own choice.
extern std::int64_t fixed_iterations;

/// RegisterBenchmark, with fixed_iterations applied.
template <class... Args>
void add(const std::string& name, Args&&... args) {
  benchmark::internal::Benchmark* b = benchmark::RegisterBenchmark(name.c_str(), std::forward<Args>(args)...);
  if (fixed_iterations > 0) b->Iterations(fixed_iterations);
}

void register_loads_benchmarks();
void register_dumps_benchmarks();
void register_scan_benchmarks();

}  // namespace bench
