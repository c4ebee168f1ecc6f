// pickle/unpickler.h: loading pickles (protocols 0-5) into a Graph.
//
//   pickle::Graph g = pickle::loads(data);          // like pickle.loads(data)
//   std::cout << pickle::repr(g.root()) << "\n";
//
// Semantics are those of CPython 3.11's C unpickler (`_pickle.loads`, in memory), with
// one deliberate difference: nothing is ever imported or executed. Globals become inert
// pickle::Global nodes (or are refused under a strict policy); calls to them become inert
// pickle::Object nodes that record how the object was built. The handful of globals that
// CPython's own pickler emits for built-in types (set, frozenset, bytearray, complex,
// _codecs.encode, copyreg._reconstructor, getattr, functools.partial, ...) are rebuilt
// natively. See doc/design.md.
//
// Errors: pickle::Error with CPython's exception class and message, and the offset of the
// opcode that failed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "pickle/value.h"

namespace pickle {

class ExtensionRegistry;
class Unpickler;
namespace detail {
class LoadObserver;
void set_observer(Unpickler& u, LoadObserver* observer);
}  // namespace detail

/// Resource limits for one load. Exceeding one is an Error of type MemoryError (sizes)
/// or RecursionError (depth); nothing is allocated before its size is checked.
struct Limits {
  /// Bytes the loaded graph and the unpickler's working stacks may take in total.
  std::size_t max_memory = std::size_t{8} << 30;
  /// Entries in the memo.
  std::size_t max_memo = std::size_t{1} << 28;
  /// Values on the unpickling stack plus pending marks.
  std::size_t max_stack = std::size_t{1} << 28;
};

/// An out-of-band buffer handed to NEXT_BUFFER (protocol 5). The bytes stay owned by
/// the caller and must outlive the Graph.
struct OutOfBandBuffer {
  std::span<const std::uint8_t> data;
  bool readonly = false;
};

struct UnpicklerOptions {
  /// Map Python 2 names to Python 3 ones (for pickles of protocol < 3), as CPython.
  bool fix_imports = true;
  /// Decoding of Python 2 str (STRING, BINSTRING, SHORT_BINSTRING): a codec name, or
  /// "bytes" to keep them as bytes. Supported: ASCII, Latin-1, UTF-8 and the single-byte codecs
  /// (cp1252, koi8-r, ...); multibyte ones raise NotImplementedError.
  std::string encoding = "ASCII";
  std::string errors = "strict";

  /// Resolves a global (module, qualified name after fix_imports). When set, it decides
  /// alone: return a Value, or throw pickle::Error to refuse.
  std::function<Value(Graph&, std::string_view module, std::string_view name)> find_class{};
  /// When true and find_class is not set, only globals named in `allowed_globals`
  /// ("module.qualname") load; others fail with UnpicklingError.
  bool strict_globals = false;
  std::unordered_set<std::string> allowed_globals{};

  /// persistent_load(pid) for PERSID/BINPERSID. Unset: CPython's UnpicklingError.
  /// `keep_persistent_ids` wraps the pid in a PersistentId node.
  std::function<Value(Graph&, Value pid)> persistent_load{};

  /// Out-of-band buffers for NEXT_BUFFER, in order. Unset: NEXT_BUFFER fails as in CPython.
  std::optional<std::vector<OutOfBandBuffer>> buffers{};

  /// Registry for EXT1/EXT2/EXT4; null means the process-wide default registry.
  const ExtensionRegistry* extensions = nullptr;

  /// Let bytes and str of at least `borrow_threshold` bytes point into the input instead
  /// of copying; the input must then outlive the Graph.
  bool borrow_input = false;
  std::size_t borrow_threshold = 4096;

  Limits limits{};
  /// The CPython release whose behaviour loading reproduces where releases differ
  /// (error messages and the order of checks on malformed input): python_version.h.
  PythonVersion python{};
};

/// A persistent_load that keeps persistent ids as PersistentId nodes.
Value keep_persistent_ids(Graph& g, Value pid);

/// Loads pickles from a buffer, one per load() call, like pickle.Unpickler over a stream
/// of concatenated pickles. Reusable: its stacks and memo keep their capacity between loads.
/// The memo persists across loads into the same Graph, as CPython's Unpickler's does.
class Unpickler {
 public:
  explicit Unpickler(UnpicklerOptions options = {});
  ~Unpickler();
  Unpickler(Unpickler&&) noexcept;
  Unpickler& operator=(Unpickler&&) noexcept;

  /// Sets the bytes to read; the position starts at 0. The bytes must outlive the loads
  /// (and the Graph, with borrow_input).
  void set_input(std::span<const std::uint8_t> data);
  void set_input(std::string_view data) {
    set_input(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
  }
  /// Loads the next pickle into g and returns its value (also set as g's root).
  Value load(Graph& g);
  /// Bytes consumed so far (just past the last STOP).
  std::size_t position() const noexcept;
  bool at_end() const noexcept;
  void clear_memo();
  const UnpicklerOptions& options() const noexcept;

 private:
  friend void detail::set_observer(Unpickler& u, detail::LoadObserver* observer);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// pickle.loads(data): a new Graph whose root is the loaded value.
Graph loads(std::span<const std::uint8_t> data, const UnpicklerOptions& options = {});
inline Graph loads(std::string_view data, const UnpicklerOptions& options = {}) {
  return loads(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()), options);
}

}  // namespace pickle
