// Dumper: pickle.Pickler's state, with the library writing the bytes.
//
// The Python object graph becomes a pickle::Graph as the pickler needs it, one node per
// Python object (identity is kept, so the library's memo is CPython's):
//  * exact None, bool, int, float, str, bytes, bytearray, list, tuple, dict, set,
//    frozenset and PickleBuffer are converted (containers with their items; explicit
//    stacks, so nesting depth is unbounded);
//  * classes, Python functions and C functions of modules are Global nodes named as
//    CPython's save_global names them (pickle_cpp_helpers._global_name); a class or
//    function that cannot be named keeps its error, raised if it is ever written by name;
//  * every other object is an opaque node (a Native wrapping the PyObject*, or an inert
//    callable Object for callable ones, so that the library's "is callable" checks see
//    what CPython sees), named after its class for the library's class checks.
// The library asks the reducer_override hook to reduce every opaque node when it reaches
// it; the hook runs CPython's chain (Pickler.reducer_override, dispatch table,
// __reduce_ex__) and converts the reduce value, whose validation, NEWOBJ forms, memo,
// framing and batching are the library's.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "pickle/copyreg.h"
#include "pickle/pickler.h"
#include "pickle/value.h"
#include "pyref.h"

namespace pyext {

/// What one Pickler.dump() call uses (borrowed; null when absent).
struct DumpHooks {
  PyObject* write = nullptr;  ///< file.write; null: dump() returns the bytes
  PyObject* persistent_id = nullptr;
  PyObject* reducer_override = nullptr;
  PyObject* dispatch_table = nullptr;
  PyObject* buffer_callback = nullptr;
  bool fast = false;
};

/// copyreg's extension registry mirrored into a library registry.
class ExtensionMirror {
 public:
  /// Brings `registry` up to date with copyreg._extension_registry.
  void sync();
  const pickle::ExtensionRegistry* registry() const noexcept { return &registry_; }

 private:
  pickle::ExtensionRegistry registry_;
  std::map<std::pair<std::string, std::string>, std::int64_t> added_;
};

class Dumper {
 public:
  /// Throws pickle::Error (ValueError) for a bad protocol, as Pickler.__init__.
  Dumper(int protocol, bool fix_imports, bool buffer_callback);
  ~Dumper();
  Dumper(const Dumper&) = delete;
  Dumper& operator=(const Dumper&) = delete;

  /// Pickler.dump(obj). Returns None, or the bytes when hooks.write is null.
  Ref dump(PyObject* obj, const DumpHooks& hooks);
  /// Pickler.clear_memo().
  void clear_memo();

 private:
  struct PySink : pickle::Sink {
    PyObject* target = nullptr;
    std::string out;
    void write(std::span<const std::uint8_t> data) override;
  };

  void make_pickler();
  void reset();
  pickle::Value convert(PyObject* o);
  pickle::Value shallow(PyObject* o);
  std::optional<pickle::Value> leaf(PyObject* o);
  void drain();
  void remember(PyObject* o, pickle::Value v);
  pickle::Value big_int(PyObject* o);
  pickle::Value str(PyObject* o);
  pickle::Value buffer(PyObject* o);
  pickle::Value named(PyObject* o);
  std::optional<pickle::Value> module_function(PyObject* o);
  pickle::Value placeholder(PyObject* o, Ref error);
  pickle::Value class_of(PyObject* o);
  pickle::Value instance(PyObject* o);
  pickle::Value iterator(PyObject* it);
  PyObject* lookup(pickle::Value v) const;
  Ref to_python(pickle::Value v);

  // Library callbacks.
  std::optional<pickle::Value> reduce(pickle::Value v);
  std::optional<pickle::Value> reduce_value(PyObject* rv, PyObject* o, pickle::Value v);
  std::optional<pickle::Value> persistent_id(pickle::Value v);
  bool buffer_callback(pickle::Value v);

  int proto_;
  bool fix_imports_;
  bool has_buffer_callback_;
  bool fast_ = false;
  bool busy_ = false;
  DumpHooks hooks_;

  pickle::Graph graph_;
  std::unordered_map<PyObject*, pickle::Value> by_obj_;  // owns a reference to each key
  std::unordered_map<const void*, PyObject*> by_node_;
  std::unordered_map<const void*, Ref> pending_errors_;  // save_global's error for a name
  std::unordered_map<const void*, char> buffer_errors_;  // non-contiguous PickleBuffers
  std::deque<Py_buffer> views_;                          // PickleBuffer memory in the graph
  std::vector<PyObject*> fill_;                          // containers converted but not filled
  std::size_t placeholders_ = 0;

  PySink sink_;
  ExtensionMirror extensions_;
  std::unique_ptr<pickle::Pickler> pickler_;
};

}  // namespace pyext
