// Dumping: the C++ library against CPython's _pickle.dumps on the same graph, in the same
// process. The C++ graph was loaded from CPython's pickle of the Python objects; a
// benchmark whose C++ output is not byte-identical to CPython's says so in its label.
#include "bench_common.h"

namespace bench {
namespace {

// A Sink appending to a string that keeps its capacity between dumps.
class StringSink : public pickle::Sink {
 public:
  void write(std::span<const std::uint8_t> data) override {
    out.append(reinterpret_cast<const char*>(data.data()), data.size());
  }
  std::string out;
};

void dumps_cpp(benchmark::State& state, std::string name, int protocol) {
  const Workload& w = workload(name, protocol);
  pickle::PicklerOptions opts;
  opts.protocol = protocol;
  for (std::size_t i = 0; i < w.graphs.size(); ++i) {
    if (pickle::dumps(w.graphs[i]->root(), opts) != w.pickle_data[i]) {
      state.SetLabel("output differs from CPython");
    }
  }
  StringSink sink;
  pickle::Pickler pickler(sink, opts);  // reused, as a long-running writer would
  for (auto _ : state) {
    for (const auto& g : w.graphs) {
      sink.out.clear();
      pickler.clear_memo();
      pickler.dump(g->root());
      benchmark::DoNotOptimize(sink.out.data());
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * w.total_bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * w.total_objects));
}

void dumps_cpython(benchmark::State& state, std::string name, int protocol) {
  const Workload& w = workload(name, protocol);
  PyObject* proto = PyLong_FromLong(protocol);
  PyObject* dumps = Python::get().dumps;
  for (auto _ : state) {
    for (PyObject* obj : w.objects) {
      PyObject* data = PyObject_CallFunctionObjArgs(dumps, obj, proto, nullptr);
      if (!data) {
        PyErr_Print();
        state.SkipWithError("_pickle.dumps failed");
        break;
      }
      Py_DECREF(data);
    }
  }
  Py_DECREF(proto);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * w.total_bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * w.total_objects));
}

void dumps_nested_cpp(benchmark::State& state) {
  pickle::Graph g = pickle::loads(nested_pickle());
  std::size_t size = 0;
  for (auto _ : state) {
    std::string out = pickle::dumps(g.root(), {.protocol = 5});
    size = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
  state.SetItemsProcessed(state.iterations() * 1'000'000);
}

void dumps_nested_cpython(benchmark::State& state) {
  const std::string& data = nested_pickle();
  PyObject* bytes = check(PyBytes_FromStringAndSize(data.data(), static_cast<Py_ssize_t>(data.size())), "bytes");
  PyObject* obj = check(PyObject_CallOneArg(Python::get().loads, bytes), "loads nested");
  PyObject* out = PyObject_CallFunction(Python::get().dumps, "Oi", obj, 5);
  if (out) {
    Py_DECREF(out);
    for (auto _ : state) Py_XDECREF(PyObject_CallFunction(Python::get().dumps, "Oi", obj, 5));
  } else {
    PyErr_Clear();
    state.SkipWithError("CPython raises RecursionError");
  }
  Py_DECREF(obj);
  Py_DECREF(bytes);
}

}  // namespace

void register_dumps_benchmarks() {
  for (const auto& [name, protocols] : workload_list()) {
    for (int proto : protocols) {
      std::string suffix = "/" + std::to_string(proto);
      add("BM_Dumps_" + name + "/cpp" + suffix, dumps_cpp, name, proto);
      add("BM_Dumps_" + name + "/cpython" + suffix, dumps_cpython, name, proto);
    }
  }
  add("BM_Dumps_nested_1m/cpp/5", dumps_nested_cpp);
  add("BM_Dumps_nested_1m/cpython/5", dumps_nested_cpython);
}

}  // namespace bench
