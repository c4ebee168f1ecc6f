// pickle/pickler.h: writing pickles byte-identical to CPython 3.11's C pickler.
//
//   pickle::Graph g;
//   pickle::Value v = g.new_list();
//   v.as_list().append(g, g.new_str("hi"));
//   std::string bytes = pickle::dumps(v);            // == pickle.dumps(['hi'])
//   std::string p2 = pickle::dumps(v, {.protocol = 2});
//
// Every value kind is written with the opcodes, memo indexes, batching and framing that
// CPython's `_pickle` uses for the same Python object graph. Objects the library does not
// know (pickle::Object) are written as `object.__reduce_ex__(protocol)` would reduce them
// for the way they were built; see doc/design.md ("Pickling objects") for what is assumed.
//
// Errors: pickle::Error with CPython's class and message (PicklingError, ValueError,
// OverflowError, TypeError).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "pickle/value.h"

namespace pickle {

class ExtensionRegistry;
class DispatchTable;

/// Where a streaming Pickler writes. Like CPython's Pickler with a file: committed frames
/// and payloads of 64 KiB or more arrive in separate calls.
class Sink {
 public:
  virtual ~Sink() = default;
  /// Bytes of the pickle, valid only during the call.
  virtual void write(std::span<const std::uint8_t> data) = 0;
  /// A payload of 64 KiB or more: the data of a bytes, bytearray, str or buffer of the
  /// value being dumped, which stays valid and unchanged until dump() returns, so a sink
  /// may keep the span rather than copy it (GatherSink does). By default, write(data).
  virtual void write_payload(std::span<const std::uint8_t> data) { write(data); }
};

struct PicklerOptions {
  /// 0..5; negative means the highest (5). CPython's default is 4.
  int protocol = 4;
  /// Write Python 3 names as their Python 2 names below protocol 3.
  bool fix_imports = true;
  /// CPython's "fast" mode: no memo (shared objects are written again; cycles fail).
  bool fast = false;
  /// persistent_id(obj): a value to write as a persistent reference instead of obj, or
  /// nullopt to pickle obj normally. PersistentId nodes are always written as references.
  std::function<std::optional<Value>(Value obj)> persistent_id{};
  /// Protocol 5: called with each Buffer node; return true to write it in-band, false to
  /// leave it out of band (NEXT_BUFFER). Unset: in-band. Needs protocol 5 (ValueError).
  std::function<bool(Value buffer)> buffer_callback{};
  /// Registry for EXT1/EXT2/EXT4; null means the process-wide default registry.
  const ExtensionRegistry* extensions = nullptr;
  /// Pickler.dispatch_table: consulted instead of the process-wide copyreg table
  /// (pickle::dispatch_table()) when set.
  const DispatchTable* dispatch_table = nullptr;
  /// Pickler.reducer_override(obj): a reduce value (str or tuple) for obj, or nullopt for
  /// NotImplemented. Called, as in CPython, for every value the pickler does not handle by
  /// type first (not for None, bool, int, float, str, bytes, bytearray, list, tuple, dict,
  /// set, frozenset, buffers); `g` is the pickler's scratch graph.
  std::function<std::optional<Value>(Graph& g, Value obj)> reducer_override{};
  /// The hash seed of the CPython process whose set iteration order the output should
  /// reproduce (PYTHONHASHSEED; 0 = randomization off). Sets of str/bytes iterate in an
  /// order that depends on it; sets of numbers do not.
  std::uint32_t hash_seed = 0;
  /// The CPython release whose output and errors dumping reproduces where releases
  /// differ (the str hash behind set order: SipHash-2-4 before 3.11): python_version.h.
  PythonVersion python{};
};

/// A reusable pickler, like pickle.Pickler: the memo persists across dump() calls until
/// clear_memo(), so a second dump of the same object writes a memo reference.
class Pickler {
 public:
  /// Writes each dump() to `sink`.
  Pickler(Sink& sink, PicklerOptions options = {});
  ~Pickler();
  Pickler(Pickler&&) noexcept;
  Pickler& operator=(Pickler&&) noexcept;

  void dump(Value v);
  void clear_memo();

 private:
  friend std::string dumps(Value v, const PicklerOptions& options);
  struct Impl;
  explicit Pickler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// pickle.dumps(v, protocol, ...).
std::string dumps(Value v, const PicklerOptions& options = {});

}  // namespace pickle
