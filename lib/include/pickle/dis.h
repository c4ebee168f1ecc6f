// pickle/dis.h: a disassembler whose output is identical to CPython's pickletools.
//
//   std::string listing;
//   pickle::dis(data, listing);   // == pickletools.dis(data) output
//
// Nothing is loaded: dis reads opcodes and arguments, emulating pickletools' stack and
// memo bookkeeping to annotate marks and memo indexes and to report malformed pickles
// with pickletools' own ValueError messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "pickle/opcodes.h"
#include "pickle/value.h"

namespace pickle {

class Sink;
class DisMemo;

struct DisOptions {
  /// Blanks per pending MARK (pickletools' indentlevel).
  int indentlevel = 4;
  /// pickletools' annotate: 0 for none, else the column hint for one-line opcode docs.
  int annotate = 0;
  /// The CPython release whose pickletools the listing and its errors reproduce.
  PythonVersion python{};
  /// pickletools' memo argument: when set, the memo entries one listing stores are known
  /// to the next one given the same DisMemo (`python -m pickletools -m A B`); when null,
  /// each listing starts with an empty memo.
  DisMemo* memo = nullptr;
};

/// A memo kept from one dis() to the next (DisOptions::memo).
class DisMemo {
 public:
  DisMemo();
  ~DisMemo();
  DisMemo(DisMemo&&) noexcept;
  DisMemo& operator=(DisMemo&&) noexcept;

  /// The number of entries stored (MEMOIZE stores at this index next).
  std::size_t size() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  friend void dis(std::span<const std::uint8_t>, std::string&, const DisOptions&);
  friend void dis(std::span<const std::uint8_t>, Sink&, const DisOptions&);
};

/// pickletools.dis(data, out, None, indentlevel, annotate): appends the listing to `out`.
/// On malformed input, `out` holds exactly what pickletools printed before raising, and
/// a pickle::Error is thrown with the class and message pickletools raises (ValueError:
/// "tries to pop 1 items from stack with only 0 items", "memo key 0 has never been stored
/// into", "pickle exhausted before seeing STOP", ...).
void dis(std::span<const std::uint8_t> data, std::string& out, const DisOptions& options = {});

/// The same listing written to `out` as it is made, in pieces of about 64 KiB (what
/// pickletools prints before raising is written too), so a long listing is never held
/// in memory whole. Errors the sink throws propagate.
void dis(std::span<const std::uint8_t> data, Sink& out, const DisOptions& options = {});

/// One opcode as pickletools.genops yields it: the opcode, its decoded argument (a Value
/// in the caller's graph: int, bool, float, str, bytes or None; for GLOBAL and INST the
/// "module name" str; None when the opcode has no argument) and its byte offset.
struct GenOp {
  const OpInfo* info;
  Value arg;
  std::size_t pos;
  std::size_t end;  ///< offset just past the opcode and its argument
};

/// pickletools.genops: calls `visit` for each opcode up to and including STOP. Throws
/// pickle::Error with pickletools' messages on malformed input (after visiting the
/// opcodes before the error).
void genops(std::span<const std::uint8_t> data, Graph& g, const std::function<void(const GenOp&)>& visit);

}  // namespace pickle
