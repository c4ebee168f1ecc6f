// Loader: pickle.Unpickler's state, with the library reading the bytes.
//
// The library parses the pickle into a graph without executing anything; globals go
// through find_class (the Unpickler's method, which imports, as CPython's does when it
// reads GLOBAL/STACK_GLOBAL), persistent ids through persistent_load. The Builder then
// makes the Python objects. The graph, the library's memo and the node -> object map
// persist across load() calls, as an Unpickler's memo does.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "builder.h"
#include "dumper.h"
#include "pickle/unpickler.h"
#include "pyref.h"

namespace pyext {

class Loader {
 public:
  /// `buffers`: a list of out-of-band buffers, or None.
  Loader(bool fix_imports, std::string encoding, std::string errors, PyObject* buffers);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  /// Loads the pickle at the start of `data` (bytes). `unpickler`: the Python Unpickler
  /// (its find_class and persistent_load), or null for pickle.loads. `proto`: the
  /// pickle's protocol when it starts with PROTO (find_class walks dotted names from 4).
  /// Returns (object, bytes read).
  Ref load(PyObject* data, PyObject* unpickler, int proto);
  /// Unpickler.memo = {index: object}: the memo holds exactly these objects.
  void set_memo(PyObject* items);

 private:
  pickle::Value find_class(pickle::Graph& g, std::string_view module, std::string_view name);
  pickle::Value persistent_load(pickle::Graph& g, pickle::Value pid);
  pickle::Value foreign(pickle::Graph& g, PyObject* obj, pickle::Value natural, int depth = 0);
  Ref resolve_buffer(const pickle::Buffer& b);

  struct OutOfBand {
    Ref obj;
    const void* data;
    std::size_t size;
    bool readonly;
  };
  std::vector<OutOfBand> buffers_;
  std::deque<Py_buffer> views_;
  std::unique_ptr<char[]> stand_ins_;  // distinct addresses for objects that export no buffer

  pickle::Graph graph_;
  ExtensionMirror extensions_;
  std::unique_ptr<pickle::Unpickler> unpickler_;
  Builder builder_;
  std::size_t placeholders_ = 0;
  PyObject* self_ = nullptr;     // the Python Unpickler during load()
  PyObject* seeding_ = nullptr;  // set_memo(): the objects persistent_load hands out
  int proto_ = 0;
  bool busy_ = false;
};

}  // namespace pyext
