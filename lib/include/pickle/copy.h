// pickle/copy.h: Python's copy.copy and copy.deepcopy over the value model.
//
//   pickle::Graph g = pickle::loads(bytes);
//   pickle::Value twin = pickle::deepcopy(g, g.root());   // cycles and sharing kept
//
// As in Python: immutable values (None, bool, int, float, complex, str, bytes, classes
// and functions) are returned as they are; list, dict, set and bytearray are copied
// directly; tuples are deep-copied only when an item changes. Everything else is reduced
// -- by the reducer registered for its class in pickle::dispatch_table() (copyreg.pickle),
// else by the equivalent of obj.__reduce_ex__(4) -- and rebuilt from the reduction
// (callable, args[, state[, listitems[, dictitems]]]), exactly as copy._reconstruct does,
// with the same errors. A reducer returning a str keeps the object itself.
//
// What Python would run, the library emulates (see doc/design.md): calling a registered
// C++ class uses its NativeClass hooks, calling an unknown class makes an inert instance
// recording the call, and state is set as BUILD sets it.
#pragma once

#include <cstddef>
#include <unordered_map>

#include "pickle/python_version.h"
#include "pickle/value.h"

namespace pickle {

/// deepcopy's memo: each original container's copy. Pass the same memo to several
/// deepcopy calls to keep sharing between their results (Python's `memo` argument).
class CopyMemo {
 public:
  /// Originals remembered (Python's len(memo), less its keep-alive entry).
  std::size_t size() const noexcept { return copies_.size(); }
  bool empty() const noexcept { return copies_.empty(); }
  void clear() noexcept { copies_.clear(); }

 private:
  friend struct detail::Access;
  std::unordered_map<const detail::Node*, Value> copies_;
};

struct CopyOptions {
  /// Nesting depth at which deepcopy stops with RecursionError (it recurses, as Python's
  /// does, and this keeps the C++ stack bounded).
  std::size_t max_depth = 2000;
  /// The release whose Lib/copy.py to follow (3.8 and 3.9 differ: see doc/design.md §7).
  PythonVersion python{};
};

/// copy.copy(x). `x` must belong to `g`, where the copy is allocated.
Value copy(Graph& g, Value x, const CopyOptions& options = {});

/// copy.deepcopy(x). `x` must belong to `g`, where the copy is allocated.
Value deepcopy(Graph& g, Value x, const CopyOptions& options = {});
Value deepcopy(Graph& g, Value x, CopyMemo& memo, const CopyOptions& options = {});

}  // namespace pickle
