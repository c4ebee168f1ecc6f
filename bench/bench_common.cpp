#include "bench_common.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_set>

namespace bench {

PyObject* check(PyObject* obj, const char* what) {
  if (!obj) {
    std::fprintf(stderr, "benchmark setup failed: %s\n", what);
    PyErr_Print();
    std::exit(2);
  }
  return obj;
}

Python& Python::get() {
  static Python py;
  return py;
}

void init_python() {
  // The C++ pickler reproduces the set order of a process with PYTHONHASHSEED=0.
  setenv("PYTHONHASHSEED", "0", 1);
  Py_Initialize();
  Python& py = Python::get();
  PyObject* sys_path = check(PySys_GetObject("path"), "sys.path");  // borrowed
  PyObject* dir = check(PyUnicode_FromString(PICKLE_BENCH_DIR), "bench dir");
  PyList_Insert(sys_path, 0, dir);
  Py_DECREF(dir);
  py.pickle_module = check(PyImport_ImportModule("_pickle"), "import _pickle");
  py.workloads = check(PyImport_ImportModule("workloads"), "import workloads");
  py.dumps = check(PyObject_GetAttrString(py.pickle_module, "dumps"), "_pickle.dumps");
  py.loads = check(PyObject_GetAttrString(py.pickle_module, "loads"), "_pickle.loads");
}

std::vector<std::pair<std::string, std::vector<int>>> workload_list() {
  Python& py = Python::get();
  PyObject* table = check(PyObject_GetAttrString(py.workloads, "WORKLOADS"), "WORKLOADS");
  std::vector<std::pair<std::string, std::vector<int>>> out;
  PyObject *key, *value;
  Py_ssize_t pos = 0;
  while (PyDict_Next(table, &pos, &key, &value)) {
    std::vector<int> protocols;
    PyObject* protos = PyTuple_GetItem(value, 1);
    for (Py_ssize_t i = 0; i < PyTuple_Size(protos); ++i) {
      protocols.push_back(static_cast<int>(PyLong_AsLong(PyTuple_GetItem(protos, i))));
    }
    out.emplace_back(PyUnicode_AsUTF8(key), protocols);
  }
  Py_DECREF(table);
  return out;
}

std::size_t count_objects(pickle::Value root) {
  std::size_t count = 0;
  std::unordered_set<const void*> seen;
  std::vector<pickle::Value> todo{root};
  while (!todo.empty()) {
    pickle::Value v = todo.back();
    todo.pop_back();
    ++count;
    if (v.is_node() && !seen.insert(v.node()).second) continue;
    switch (v.kind()) {
      case pickle::Kind::List:
        for (pickle::Value x : v.as_list()) todo.push_back(x);
        break;
      case pickle::Kind::Tuple:
        for (pickle::Value x : v.as_tuple()) todo.push_back(x);
        break;
      case pickle::Kind::Dict:
        for (const pickle::Dict::Entry& e : v.as_dict()) {
          todo.push_back(e.key);
          todo.push_back(e.value);
        }
        break;
      case pickle::Kind::Set:
      case pickle::Kind::FrozenSet:
        for (pickle::Value x : v.as_set()) todo.push_back(x);
        break;
      case pickle::Kind::Object:
        todo.push_back(v.as_object().args());
        if (v.as_object().has_state()) todo.push_back(v.as_object().state());
        break;
      default: break;
    }
  }
  return count;
}

const Workload& workload(const std::string& name, int protocol) {
  static std::map<std::pair<std::string, int>, std::unique_ptr<Workload>> cache;
  auto& slot = cache[{name, protocol}];
  if (slot) return *slot;
  Python& py = Python::get();
  auto w = std::make_unique<Workload>();
  w->name = name;
  w->protocol = protocol;
  PyObject* objects = check(PyObject_CallMethod(py.workloads, "build", "s", name.c_str()), name.c_str());
  for (Py_ssize_t i = 0; i < PyList_Size(objects); ++i) {
    PyObject* obj = PyList_GetItem(objects, i);
    Py_INCREF(obj);
    w->objects.push_back(obj);
    PyObject* data = check(PyObject_CallFunction(py.dumps, "Oi", obj, protocol), "_pickle.dumps");
    w->pickles.push_back(data);
    w->pickle_data.emplace_back(PyBytes_AsString(data), static_cast<std::size_t>(PyBytes_Size(data)));
    w->total_bytes += w->pickle_data.back().size();
    auto graph = std::make_unique<pickle::Graph>(pickle::loads(w->pickle_data.back()));
    w->total_objects += count_objects(graph->root());
    w->graphs.push_back(std::move(graph));
  }
  Py_DECREF(objects);
  slot = std::move(w);
  return *slot;
}

const std::string& nested_pickle() {
  static const std::string data = [] {
    PyObject* b = check(PyObject_CallMethod(Python::get().workloads, "nested_pickle", nullptr), "nested_pickle");
    std::string s(PyBytes_AsString(b), static_cast<std::size_t>(PyBytes_Size(b)));
    Py_DECREF(b);
    return s;
  }();
  return data;
}

}  // namespace bench

namespace bench {
std::int64_t fixed_iterations = 0;
}

int main(int argc, char** argv) {
  // --iterations=N, ours: taken out before Google Benchmark reads the arguments.
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--iterations=")) {
      bench::fixed_iterations = std::stoll(std::string(arg.substr(13)));
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  bench::init_python();
  bench::register_loads_benchmarks();
  bench::register_dumps_benchmarks();
  bench::register_scan_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
