// What an Unpickler reports to pickle::scan as it evaluates: each find_class, each call
// it is about to make and what each opcode left on top of the stack. Loads without an
// observer never reach these hooks (the interpreter loop is compiled twice).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "pickle/opcode_enums.h"
#include "pickle/scan.h"
#include "pickle/unpickler.h"
#include "pickle/value.h"

namespace pickle::detail {

class LoadObserver {
 public:
  virtual ~LoadObserver() = default;
  /// find_class(module, name) at `offset`, names before and after fix_imports.
  virtual void on_import(std::size_t offset, Op op, std::string_view raw_module, std::string_view raw_name,
                         std::string_view module, std::string_view name) = 0;
  /// STACK_GLOBAL popped these operands (before checking that they are strs).
  virtual void on_stack_global(std::size_t offset, Value module, Value name) = 0;
  /// EXT1/2/4 looked up `code`: the registered global, or nullopt.
  virtual void on_extension(std::size_t offset, Op op, std::int64_t code, bool registered) = 0;
  /// A call, instantiation, BUILD or item operation on `target`, about to be made.
  virtual void on_action(std::size_t offset, Op op, ScanEvent::Kind kind, Value target, Value args) = 0;
  virtual void on_persistent_id(std::size_t offset, Op op, Value pid) = 0;
  virtual void on_buffer(std::size_t offset, std::size_t index) = 0;
  /// After an opcode that completed (its bytes from `offset` to `end`), when it is one of
  /// `after_ops` or its bytes run past `watch_end`: `top` is the stack's top value (None
  /// if empty). Most opcodes of a large pickle are neither: the loop then makes no call.
  virtual void after_op(std::size_t offset, std::size_t end, Op op, Value top) = 0;

  /// The opcodes after_op is called for, by code.
  std::array<bool, 256> after_ops{};
  /// after_op is called, too, for an opcode that starts before this offset and ends after it.
  std::size_t watch_end = std::numeric_limits<std::size_t>::max();
};

/// Makes `u` report to `observer` (null: stop reporting).
void set_observer(Unpickler& u, LoadObserver* observer);

}  // namespace pickle::detail
