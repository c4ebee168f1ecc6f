// Builder: real Python objects from a graph the library loaded.
//
// The library never executes anything: it records globals as Global nodes and instances
// as Object nodes (callable and arguments, items appended, BUILD state). The builder does
// what CPython's unpickler would have done with them: it calls the callables, creates
// instances with cls.__new__, and applies items and state (pickle_cpp_helpers._complete),
// keeping identity (one Python object per node) and cycles.
//
// Order. A pickle is executed in stream order; the graph keeps only the final shape. The
// builder creates an object after what it is made from (a tuple after its items, an
// instance after its callable and arguments, each of them complete: lists filled, state
// set), and fills a mutable container or sets an instance's state after creating it.
// Where a cycle makes that impossible -- a list that holds an instance whose arguments
// hold the list -- the filling is postponed to after the instance is made, as it was in
// the pickle (see conflict()). Walks use explicit stacks: no depth limit.
#pragma once

#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

#include "pickle/value.h"
#include "pyref.h"

namespace pyext {

class Builder {
 public:
  /// Makes the Python object for a Buffer node (out-of-band buffers belong to the loader).
  using BufferResolver = std::function<Ref(const pickle::Buffer&)>;

  /// Objects that exist already for nodes the builder has not seen (the pickler's own
  /// nodes, inside values the library made while writing); null when none.
  using Lookup = std::function<PyObject*(pickle::Value)>;

  Builder() = default;
  explicit Builder(BufferResolver buffers) : buffers_(std::move(buffers)) {}
  explicit Builder(Lookup lookup) : lookup_(std::move(lookup)) {}
  ~Builder();
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;

  /// The Python object for v, complete. Nodes already built keep their object.
  Ref build(pickle::Value v);
  /// Declares `obj` to be the object for a node (find_class and persistent_load results).
  void adopt(pickle::Value v, PyObject* obj);
  /// The object already built for a node, or null.
  PyObject* find(pickle::Value v) const;
  /// Forgets every node (their graph is gone).
  void clear();

 private:
  enum class St : std::uint8_t { Creating, Created, Completing, Done };
  struct Info {
    PyObject* obj = nullptr;  // owned
    St st = St::Creating;
    bool deferred = false;  // Created, but filling it had to wait (see above)
  };
  struct Frame {
    enum Kind : std::uint8_t { Root, Create, Complete } kind;
    pickle::Value v;
    std::vector<pickle::Value> children;
    std::size_t next = 0;
    std::vector<Ref> got;
  };

  void run(std::vector<Frame>& frames);
  void step(std::vector<Frame>& frames);
  void conflict(std::vector<Frame>& frames, pickle::Value c);
  Frame create_frame(pickle::Value v);
  Frame complete_frame(pickle::Value v);
  /// Creates a node that needs nothing built first; returns whether it needs filling.
  bool create_leaf(pickle::Value v, Info& info);
  Ref create_from(const Frame& f);
  void fill(const Frame& f, PyObject* obj);
  static bool needs_create_frame(pickle::Value v);
  static bool needs_completion(pickle::Value v);

  BufferResolver buffers_;
  Lookup lookup_;
  std::unordered_map<const void*, Info> info_;
  std::vector<pickle::Value> deferred_;
};

/// The Python object for an immediate value (None, bool, small int, float).
Ref immediate(pickle::Value v);

}  // namespace pyext
