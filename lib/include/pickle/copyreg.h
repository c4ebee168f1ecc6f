// pickle/copyreg.h: copyreg for C++ types -- classes, reducers, dispatch tables,
// constructors and the extension registry.
//
// A C++ type takes part in pickling as a Python class: register it under a module and a
// qualified name, and say how CPython's pickling hooks look for it.
//
//   struct Point { int x, y; };
//
//   pickle::NativeClass& cls = pickle::register_class<Point>("geometry", "Point");
//   // Loading: Point(x, y) rebuilds it (REDUCE), as geometry.Point(x, y) would in Python.
//   cls.call = [](pickle::Graph& g, pickle::Value args, pickle::Value) {
//     return pickle::make_native(g, Point{(int)args.as_tuple()[0].as_int(), (int)args.as_tuple()[1].as_int()});
//   };
//   // Dumping: copyreg.pickle(Point, reduce_point)
//   pickle::dispatch_table().pickle<Point>([](pickle::Graph& g, pickle::Value self) {
//     const Point& p = *self.native<Point>();
//     pickle::Value args[] = {pickle::Value::integer(p.x), pickle::Value::integer(p.y)};
//     pickle::Value rv[] = {g.global("geometry", "Point"), g.new_tuple(args)};
//     return g.new_tuple(rv);                      // (Point, (x, y))
//   });
//   pickle::Graph g;
//   std::string bytes = pickle::dumps(pickle::make_native(g, Point{1, 2}));
//
// Reducers return what a Python __reduce__ returns: a str (pickle the object as that
// global) or a tuple (callable, args[, state[, listitems[, dictitems[, state_setter]]]]),
// checked by the pickler exactly as CPython's save_reduce checks them.
//
// Thread safety: the process-wide registries lock; register before pickling for the
// clearest behaviour.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <typeindex>
#include <unordered_map>
#include <utility>

#include "pickle/copy.h"
#include "pickle/value.h"

namespace pickle {

/// A reduction function: obj -> str or reduce tuple (see above). `g` is a graph for the
/// values it creates (the pickler's scratch graph, or the caller's for copy()).
using Reducer = std::function<Value(Graph& g, Value obj)>;

/// A C++ type seen as a Python class: its name, and the C++ equivalents of the hooks a
/// Python class may define. Every hook is optional.
class NativeClass {
 public:
  NativeClass(std::string module, std::string qualname, const std::type_info& type)
      : module_(std::move(module)), qualname_(std::move(qualname)), type_(&type) {}
  const std::string& module() const noexcept { return module_; }
  const std::string& qualname() const noexcept { return qualname_; }
  /// The last component of the qualified name (__name__).
  std::string_view name() const noexcept;
  const std::type_info& type() const noexcept { return *type_; }

  // ---- dumping: object.__reduce_ex__ ----
  /// __getstate__(): the state BUILD restores; None (or unset) for no state.
  std::function<Value(Graph&, Value self)> getstate;
  /// __getnewargs__(): a tuple of arguments for cls.__new__ (NEWOBJ).
  std::function<Value(Graph&, Value self)> getnewargs;
  /// __getnewargs_ex__(): a 2-tuple (args tuple, kwargs dict) for cls.__new__ (NEWOBJ_EX).
  std::function<Value(Graph&, Value self)> getnewargs_ex;

  // ---- loading ----
  /// cls(*args) -- REDUCE, INST and OBJ with arguments; kwargs is None.
  std::function<Value(Graph&, Value args, Value kwargs)> call;
  /// cls.__new__(cls, *args, **kwargs) -- NEWOBJ, NEWOBJ_EX, INST/OBJ without arguments,
  /// copyreg._reconstructor. Unset: `call` is used.
  std::function<Value(Graph&, Value args, Value kwargs)> new_;
  /// obj.__setstate__(state) -- BUILD. Unset: BUILD fails like on an object without
  /// __dict__ (AttributeError), unless state is None.
  std::function<void(Graph&, Value self, Value state)> setstate;

  // ---- copying (pickle/copy.h) ----
  /// __copy__(): what copy() returns. Unset: the object is copied through its reduction.
  std::function<Value(Graph&, Value self)> copy;
  /// __deepcopy__(memo): what deepcopy() returns; copy members with pickle::deepcopy(g,
  /// member, memo) to keep sharing. Unset: the object is copied through its reduction.
  std::function<Value(Graph&, Value self, CopyMemo& memo)> deepcopy;

 private:
  std::string module_, qualname_;
  const std::type_info* type_;
};

/// Registers T as the Python class module.qualname (process-wide; re-registering
/// replaces the hooks). The returned reference stays valid for the process.
NativeClass& register_class(const std::type_info& type, std::string_view module, std::string_view qualname);
template <class T>
NativeClass& register_class(std::string_view module, std::string_view qualname) {
  return register_class(typeid(T), module, qualname);
}
/// The class registered for a C++ type, or for a module.qualname; null if none.
const NativeClass* find_class(const std::type_info& type);
const NativeClass* find_class(std::string_view module, std::string_view qualname);

[[noreturn]] void throw_unregistered(const std::type_info& type);

/// A Native value holding `object`, of the class registered for T. Throws TypeError when
/// T was not registered.
template <class T>
Value make_native(Graph& g, T object) {
  const NativeClass* cls = find_class(typeid(T));
  if (!cls) throw_unregistered(typeid(T));
  return g.new_native<T>(*cls, std::move(object));
}

/// Which reducer applies to an object, like CPython's dispatch_table keyed by type(obj):
/// complex values, Native values (by their class) and inert Objects (by the class they are
/// instances of) consult it; the builtin containers and scalars never do (CPython's
/// pickler handles those types before it looks at any table).
class DispatchTable {
 public:
  DispatchTable() = default;
  DispatchTable(const DispatchTable& other);
  DispatchTable& operator=(const DispatchTable& other);

  /// copyreg.pickle(cls, reducer): TypeError "reduction functions must be callable" for an
  /// empty reducer.
  void pickle(std::string_view module, std::string_view qualname, Reducer reducer);
  template <class T>
  void pickle(Reducer reducer) {
    const NativeClass* cls = find_class(typeid(T));
    if (!cls) throw_unregistered(typeid(T));
    pickle(cls->module(), cls->qualname(), std::move(reducer));
  }
  void remove(std::string_view module, std::string_view qualname);
  /// The reducer for the class of `obj`, or null.
  std::shared_ptr<const Reducer> find(Value obj) const;
  std::shared_ptr<const Reducer> find(std::string_view module, std::string_view qualname) const;
  bool empty() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const Reducer>, std::less<>> reducers_;
};

/// The process-wide table (copyreg.dispatch_table), with CPython's default entry for
/// complex (copyreg.pickle_complex).
DispatchTable& dispatch_table();

/// copyreg.pickle(cls, reducer, constructor) on the process-wide table.
void pickle_class(std::string_view module, std::string_view qualname, Reducer reducer,
                  std::function<Value(Graph&, Value args, Value kwargs)> constructor = nullptr);
/// copyreg.constructor(c): TypeError "constructors must be callable" when c is empty.
/// (Like copyreg, it only validates.)
void constructor(const std::function<Value(Graph&, Value args, Value kwargs)>& c);

/// The module.qualname of the class of a value, as a dispatch table sees it:
/// ("builtins", "complex"), a Native's class, an Object's class; nullopt otherwise
/// (and for an Object recording a call of a type whose values are Values, such as
/// complex(x) for an x the library could not convert).
std::optional<std::pair<std::string, std::string>> class_name_of(Value obj);

// ---------------------------------------------------------------------------------------
// The extension registry (copyreg.add_extension and friends).
//
// EXT1/EXT2/EXT4 opcodes name a global by a small integer code agreed on out of band.
// The process-wide default registry plays the role of copyreg's module-level tables;
// pickler and unpickler options may name another one.

/// Thread-safe: every operation locks.
class ExtensionRegistry {
 public:
  using Key = std::pair<std::string, std::string>;  ///< (module, name)

  /// copyreg.add_extension: ValueError "code out of range" unless 1 <= code <= 0x7fffffff;
  /// re-adding the same registration is a no-op; conflicts raise copyreg's ValueErrors.
  void add(std::string_view module, std::string_view name, std::int64_t code);
  /// copyreg.remove_extension: ValueError unless exactly that registration exists.
  void remove(std::string_view module, std::string_view name, std::int64_t code);
  /// copyreg.clear_extension_cache. This library keeps no cache of loaded objects (a
  /// loaded global lives in its Graph), so there is nothing to drop.
  void clear_cache() {}

  std::optional<Key> lookup_code(std::int64_t code) const;
  std::optional<std::int64_t> lookup_key(std::string_view module, std::string_view name) const;

 private:
  mutable std::mutex mutex_;
  std::map<Key, std::int64_t, std::less<>> by_key_;
  std::map<std::int64_t, Key> by_code_;
};

/// The process-wide registry (copyreg's module-level tables).
ExtensionRegistry& default_extensions();

}  // namespace pickle
