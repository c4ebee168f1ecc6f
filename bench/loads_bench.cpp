// Loading: the C++ library against CPython's _pickle.loads on the same bytes, in the same
// process. One iteration loads every object of the workload once and frees it again
// (a Graph cleared, or the Python objects released).
#include "bench_common.h"

namespace bench {
namespace {

// `options` is what the benchmark varies: the default, or borrow_input for the opt-in
// zero-copy row (large bytes refer into the input, which outlives the graph).
void load_each(benchmark::State& state, const Workload& w, pickle::UnpicklerOptions options) {
  pickle::Unpickler unpickler(std::move(options));  // reused, as a long-running reader would
  pickle::Graph g;                                  // likewise: cleared after each load (Graph::clear)
  for (auto _ : state) {
    for (const std::string& data : w.pickle_data) {
      unpickler.set_input(data);
      benchmark::DoNotOptimize(unpickler.load(g));
      g.clear();
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * w.total_bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * w.total_objects));
}

void loads_cpp(benchmark::State& state, std::string name, int protocol) {
  load_each(state, workload(name, protocol), {});
}

void loads_cpython(benchmark::State& state, std::string name, int protocol) {
  const Workload& w = workload(name, protocol);
  PyObject* loads = Python::get().loads;
  for (auto _ : state) {
    for (PyObject* data : w.pickles) {
      PyObject* obj = PyObject_CallOneArg(loads, data);
      if (!obj) {
        PyErr_Print();
        state.SkipWithError("_pickle.loads failed");
        return;
      }
      Py_DECREF(obj);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * w.total_bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * w.total_objects));
}

// CPython has no zero-copy option; its row is the plain in-band load of the same bytes.
void loads_borrowed_cpp(benchmark::State& state, std::string name, int protocol) {
  load_each(state, workload(name, protocol), {.borrow_input = true});
}

void loads_nested_cpp(benchmark::State& state) {
  const std::string& data = nested_pickle();
  for (auto _ : state) {
    pickle::Graph g = pickle::loads(data);
    benchmark::DoNotOptimize(g.root());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
  state.SetItemsProcessed(state.iterations() * 1'000'000);
}

void loads_nested_cpython(benchmark::State& state) {
  const std::string& data = nested_pickle();
  PyObject* bytes = check(PyBytes_FromStringAndSize(data.data(), static_cast<Py_ssize_t>(data.size())), "bytes");
  for (auto _ : state) {
    PyObject* obj = PyObject_CallOneArg(Python::get().loads, bytes);
    if (!obj) {
      PyErr_Print();
      state.SkipWithError("_pickle.loads failed");
      break;
    }
    Py_DECREF(obj);
  }
  Py_DECREF(bytes);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
  state.SetItemsProcessed(state.iterations() * 1'000'000);
}

// 100 MB of bytes out of band (protocol 5): the pickle holds only NEXT_BUFFER, and the
// loaded value is the caller's buffer itself on both sides.
struct OutOfBand {
  PyObject* buffer = nullptr;  // the 100 MB bytes object
  PyObject* pickle = nullptr;  // pickle.dumps(PickleBuffer(buffer), 5, buffer_callback=...)
  std::string data;
};

const OutOfBand& out_of_band() {
  static const OutOfBand oob = [] {
    OutOfBand o;
    const Workload& w = workload("bytes_100mb", 5);
    o.buffer = w.objects[0];
    PyObject* code =
        check(Py_CompileString("import pickle\n"
                               "def oob_dumps(b):\n"
                               "    return pickle.dumps(pickle.PickleBuffer(b), 5, buffer_callback=lambda _: False)\n",
                               "<bench>", Py_file_input),
              "compile");
    PyObject* ns = check(PyDict_New(), "dict");
    PyDict_SetItemString(ns, "__builtins__", PyEval_GetBuiltins());
    Py_XDECREF(check(PyEval_EvalCode(code, ns, ns), "exec"));
    o.pickle = check(PyObject_CallOneArg(PyDict_GetItemString(ns, "oob_dumps"), o.buffer), "oob_dumps");
    o.data.assign(PyBytes_AsString(o.pickle), static_cast<std::size_t>(PyBytes_Size(o.pickle)));
    Py_DECREF(code);
    Py_DECREF(ns);
    return o;
  }();
  return oob;
}

void loads_oob_cpp(benchmark::State& state) {
  const OutOfBand& o = out_of_band();
  pickle::UnpicklerOptions opts;
  auto* bytes = reinterpret_cast<const std::uint8_t*>(PyBytes_AsString(o.buffer));
  opts.buffers =
      std::vector<pickle::OutOfBandBuffer>{{std::span(bytes, static_cast<std::size_t>(PyBytes_Size(o.buffer))), true}};
  for (auto _ : state) {
    // A fresh unpickler each time: like CPython's, one consumes its buffers as it loads.
    pickle::Graph g = pickle::loads(o.data, opts);
    benchmark::DoNotOptimize(g.root());
  }
  state.SetBytesProcessed(state.iterations() * PyBytes_Size(o.buffer));
  state.SetItemsProcessed(state.iterations());
}

void loads_oob_cpython(benchmark::State& state) {
  const OutOfBand& o = out_of_band();
  PyObject* kwargs = Py_BuildValue("{s:[O]}", "buffers", o.buffer);
  PyObject* args = PyTuple_Pack(1, o.pickle);
  for (auto _ : state) {
    PyObject* obj = PyObject_Call(Python::get().loads, args, kwargs);
    if (!obj) {
      PyErr_Print();
      state.SkipWithError("_pickle.loads failed");
      break;
    }
    Py_DECREF(obj);
  }
  Py_DECREF(args);
  Py_DECREF(kwargs);
  state.SetBytesProcessed(state.iterations() * PyBytes_Size(o.buffer));
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

void register_loads_benchmarks() {
  for (const auto& [name, protocols] : workload_list()) {
    for (int proto : protocols) {
      std::string suffix = "/" + std::to_string(proto);
      add("BM_Loads_" + name + "/cpp" + suffix, loads_cpp, name, proto);
      add("BM_Loads_" + name + "/cpython" + suffix, loads_cpython, name, proto);
    }
  }
  add("BM_Loads_nested_1m/cpp/5", loads_nested_cpp);
  add("BM_Loads_nested_1m/cpython/5", loads_nested_cpython);
  // Protocol 5 only: below protocol 3, bytes are a latin1 str decoded at load, never borrowed.
  add("BM_Loads_bytes_100mb_borrowed/cpp/5", loads_borrowed_cpp, "bytes_100mb", 5);
  add("BM_Loads_bytes_100mb_borrowed/cpython/5", loads_cpython, "bytes_100mb", 5);
  add("BM_Loads_bytes_100mb_oob/cpp/5", loads_oob_cpp);
  add("BM_Loads_bytes_100mb_oob/cpython/5", loads_oob_cpython);
}

}  // namespace bench
