// Scanning: pickle::scan (every import and call, judged by a policy) against the library's
// own pickle::loads of the same bytes and against what Python scanners run,
// pickletools.genops walking the opcodes, in the same process (bench/scan_report.py).
#include "bench_common.h"

namespace bench {
namespace {

void scan_cpp(benchmark::State& state, std::string name, int protocol) {
  const Workload& w = workload(name, protocol);
  const pickle::ScanOptions options;  // policy builtins
  for (auto _ : state) {
    for (const std::string& data : w.pickle_data) {
      pickle::ScanReport r = pickle::scan(data, options);
      benchmark::DoNotOptimize(r.events.data());
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * w.total_bytes));
}

// What scan() does besides observing: pickle::loads with a fresh unpickler and graph.
void scan_loads(benchmark::State& state, std::string name, int protocol) {
  const Workload& w = workload(name, protocol);
  for (auto _ : state) {
    for (const std::string& data : w.pickle_data) {
      pickle::Graph g = pickle::loads(data);
      benchmark::DoNotOptimize(g.root());
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * w.total_bytes));
}

PyObject* genops_walk() {
  static PyObject* walk = [] {
    PyObject* code = check(Py_CompileString("import pickletools\n"
                                            "def walk(data):\n"
                                            "    for _ in pickletools.genops(data):\n"
                                            "        pass\n",
                                            "<bench>", Py_file_input),
                           "compile");
    PyObject* ns = check(PyDict_New(), "dict");
    PyDict_SetItemString(ns, "__builtins__", PyEval_GetBuiltins());
    Py_XDECREF(check(PyEval_EvalCode(code, ns, ns), "exec"));
    PyObject* f = PyDict_GetItemString(ns, "walk");
    Py_INCREF(f);
    Py_DECREF(code);
    Py_DECREF(ns);
    return f;
  }();
  return walk;
}

void scan_genops(benchmark::State& state, std::string name, int protocol) {
  const Workload& w = workload(name, protocol);
  PyObject* walk = genops_walk();
  for (auto _ : state) {
    for (PyObject* data : w.pickles) {
      PyObject* r = PyObject_CallOneArg(walk, data);
      if (!r) {
        PyErr_Print();
        state.SkipWithError("pickletools.genops failed");
        return;
      }
      Py_DECREF(r);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * w.total_bytes));
}

}  // namespace

void register_scan_benchmarks() {
  for (const auto& [name, protocols] : workload_list()) {
    for (int proto : protocols) {
      std::string suffix = "/" + std::to_string(proto);
      add("BM_Scan_" + name + "/cpp" + suffix, scan_cpp, name, proto);
      add("BM_Scan_" + name + "/loads" + suffix, scan_loads, name, proto);
      add("BM_Scan_" + name + "/genops" + suffix, scan_genops, name, proto);
    }
  }
}

}  // namespace bench
