// The operations a pickle asks of the objects it builds -- call a callable, create an
// instance, append, set an item, set the state -- carried out on a Graph without running
// any code: the builtins the library understands are emulated (set, bytes, complex,
// copyreg._reconstructor, ...), registered C++ classes are called through their
// NativeClass hooks, and anything else becomes an inert node recording the operation.
//
// The unpickler applies them for REDUCE, NEWOBJ, INST/OBJ, APPEND(S), SETITEM(S),
// ADDITEMS and BUILD; copy.copy/deepcopy for the reconstruction of reduced objects. Errors
// are CPython's for the same call; the caller adds the input offset.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "pickle/unpickler.h"
#include "pickle/value.h"

namespace pickle::detail {

class Evaluator {
 public:
  /// Values are created in `g`. `policy` (nullable) decides which nested globals getattr()
  /// may name; `proto` is the protocol of the pickle being read (getattr's nested-class
  /// heuristic depends on it).
  Evaluator(Graph* g, const UnpicklerOptions* policy, int proto) : g_(g), policy_(policy), proto_(proto) {}

  void set_graph(Graph& g) noexcept { g_ = &g; }
  void set_proto(int proto) noexcept { proto_ = proto; }

  /// callable(*args): REDUCE, and INST/OBJ with arguments (PyObject_CallObject).
  Value call(Value callable, Value args);
  /// What the last call() returned when it built that value itself (a bytes, bytearray,
  /// set or frozenset from the builtins the library emulates): no one else refers to it
  /// yet. None otherwise.
  Value last_built() const noexcept { return built_; }
  /// cls.__new__(cls, *args, **kwargs); kwargs is None or a dict.
  Value make_new(Value cls, Value args, Value kwargs);
  /// INST and OBJ: cls.__new__(cls) when there are no arguments, else cls(*args).
  Value instantiate(Value cls, Value args);

  /// target.extend(items) as APPENDS does it (list.extend, or append one by one).
  void append_items(Value target, std::span<const Value> items);
  /// target[key] = value.
  void set_item(Value target, Value key, Value value);
  /// target.add(item) for each item (ADDITEMS).
  void add_items(Value target, std::span<const Value> items);
  /// BUILD: inst.__setstate__(state), or the default state setting.
  void build(Value inst, Value state);
  /// Whether call(callable, args) is getattr(global, str), which attribute_of answers.
  bool is_getattr_of_global(Value callable, Value args);
  /// getattr(owner, attr) for a global owner: always a global.
  Value attribute_of(const Global& owner, std::string_view attr);

 private:
  template <class F>
  bool for_each_item(Value v, F&& f);
  Value inert_call(Value callable, Value args);
  Value empty_builtin_value(const Global& cls);
  /// Under a strict policy, refuses the name owner.attr unless it is allowed.
  void check_attribute_name(const Global& owner, std::string_view attr);
  Value type_of(Value v);
  Value call_complex(Value callable, Value args);
  Value call_bytes(Value callable, Value args, bool bytearray);
  Value call_partial(Value partial, Value call_args);

  Value built(Value v) noexcept { return built_ = v; }

  Graph* g_;
  const UnpicklerOptions* policy_;
  int proto_;
  Value built_;
};

}  // namespace pickle::detail
