// pickle/copyreg.h: copyreg for C++ types -- classes, reducers, dispatch tables,
// constructors and the extension registry.
//
// A C++ type takes part in pickling as a Python class: register it under a module and a
// qualified name, and say how CPython's pickling hooks look for it.
//
//   struct Point { int x, y; };
//
//   // Point(x, y) rebuilds it when loading, as geometry.Point(x, y) would in Python, and
//   // copyreg.pickle(Point, lambda p: (Point, (p.x, p.y))) says how to pickle it:
//   pickle::register_class<Point>("geometry", "Point",
//       [](const Point& p) { return std::tuple(p.x, p.y); },
//       [](int x, int y) { return Point{x, y}; });
//   pickle::Graph g;
//   std::string bytes = pickle::dumps(pickle::make_native(g, Point{1, 2}));
//   pickle::Graph back = pickle::loads(bytes);             // back.root().native<Point>()->y == 2
//
// For full control, give register_class the hooks of a Python class (ClassHooks: call,
// __new__, __setstate__, __getstate__, __getnewargs__, __copy__, ...) and register a
// reducer in a dispatch table:
//
//   pickle::ClassHooks hooks;
//   hooks.call = [](pickle::Graph& g, pickle::Value args, pickle::Value) {   // Point(*args)
//     auto [x, y] = pickle::to<std::tuple<int, int>>(args);   // checked: arity and types
//     return pickle::make_native(g, Point{x, y});
//   };
//   pickle::register_class<Point>("geometry", "Point", std::move(hooks));
//   pickle::dispatch_table().pickle<Point>([](pickle::Graph& g, pickle::Value self) {
//     const Point& p = *self.native<Point>();
//     pickle::Value rv[] = {g.global("geometry", "Point"), pickle::from(g, std::tuple(p.x, p.y))};
//     return g.new_tuple(rv);                                  // (Point, (x, y))
//   });
//
// Reducers return what a Python __reduce__ returns: a str (pickle the object as that
// global) or a tuple (callable, args[, state[, listitems[, dictitems[, state_setter]]]]),
// checked by the pickler exactly as CPython's save_reduce checks them.
//
// Thread safety: the process-wide registries lock, and a class's hooks are replaced as a
// whole (a load in progress keeps the set it started with).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeindex>
#include <unordered_map>
#include <utility>

#include "pickle/convert.h"
#include "pickle/copy.h"
#include "pickle/value.h"

namespace pickle {

/// A reduction function: obj -> str or reduce tuple (see above). `g` is a graph for the
/// values it creates (the pickler's scratch graph, or the caller's for copy()).
using Reducer = std::function<Value(Graph& g, Value obj)>;

/// The C++ equivalents of the hooks a Python class may define. Every hook is optional.
struct ClassHooks {
  // ---- dumping: object.__reduce_ex__ ----
  /// __getstate__(): the state BUILD restores; None (or unset) for no state.
  std::function<Value(Graph&, Value self)> getstate;
  /// __getnewargs__(): a tuple of arguments for cls.__new__ (NEWOBJ).
  std::function<Value(Graph&, Value self)> getnewargs;
  /// __getnewargs_ex__(): a 2-tuple (args tuple, kwargs dict) for cls.__new__ (NEWOBJ_EX).
  std::function<Value(Graph&, Value self)> getnewargs_ex;

  // ---- loading ----
  /// cls(*args) -- REDUCE, INST and OBJ with arguments; kwargs is None. `args` comes from
  /// the pickle: check it (args.as_tuple()[0] throws, rather than misreads, when the tuple
  /// is empty; pickle::to<std::tuple<...>>(args) checks arity and types at once).
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
};

/// A C++ type seen as a Python class: its name and its hooks. Registered classes live for
/// the process; their hooks may be replaced by registering again (see register_class).
class NativeClass {
 public:
  /// A class outside the registry, for Graph::new_native (e.g. one C++ type standing for
  /// many Python classes); it must outlive every Graph holding its instances. Registered
  /// classes come from register_class.
  NativeClass(std::string module, std::string qualname, const std::type_info& type, ClassHooks hooks = {})
      : module_(std::move(module)),
        qualname_(std::move(qualname)),
        type_(&type),
        hooks_(std::make_shared<const ClassHooks>(std::move(hooks))) {}
  NativeClass(const NativeClass&) = delete;
  NativeClass& operator=(const NativeClass&) = delete;

  const std::string& module() const noexcept { return module_; }
  const std::string& qualname() const noexcept { return qualname_; }
  /// The last component of the qualified name (__name__).
  std::string_view name() const noexcept;
  const std::type_info& type() const noexcept { return *type_; }
  /// The hooks as registered last. A snapshot: registering again while it is held does not
  /// change it, so a load or dump in progress on another thread sees one set of hooks.
  std::shared_ptr<const ClassHooks> hooks() const;

 private:
  friend const NativeClass& register_class(const std::type_info&, std::string_view, std::string_view, ClassHooks);
  std::string module_, qualname_;
  const std::type_info* type_;
  mutable std::mutex mutex_;
  std::shared_ptr<const ClassHooks> hooks_;
};

/// Registers the C++ type `type` as the Python class module.qualname with `hooks`
/// (process-wide, thread-safe). The class lives for the process. Registering the same type
/// under the same name again replaces its hooks; registering it under another name, or
/// another type under a registered name, is refused with ValueError.
const NativeClass& register_class(const std::type_info& type, std::string_view module, std::string_view qualname,
                                  ClassHooks hooks = {});
template <class T>
const NativeClass& register_class(std::string_view module, std::string_view qualname, ClassHooks hooks = {}) {
  return register_class(typeid(T), module, qualname, std::move(hooks));
}
/// The class registered for a C++ type, or for a module.qualname; null if none.
const NativeClass* find_registered_class(const std::type_info& type);
const NativeClass* find_registered_class(std::string_view module, std::string_view qualname);

/// The class registered for a C++ type; TypeError when there is none.
const NativeClass& registered_class(const std::type_info& type);
template <class T>
const NativeClass& registered_class() {
  return registered_class(typeid(T));
}

/// A Native value holding `object`, of the class registered for T. Throws TypeError when
/// T was not registered.
template <class T>
Value make_native(Graph& g, T object) {
  return g.new_native<T>(registered_class<T>(), std::move(object));
}

/// Base for converter<T> of a registered C++ class T (pickle/convert.h):
///   template <> struct pickle::converter<Point> : pickle::native_converter<Point> {};
/// Then from(g, p) makes the Python instance (holding a copy of p) and to<Point>(v) copies
/// it back (TypeError when v is not a Point), also inside containers.
template <class T>
struct native_converter {
  static T from_python(Value v) {
    if (T* p = v.native<T>()) return *p;
    detail::throw_wrong_kind(v, "a registered C++ object of the requested type");
  }
  static Value to_python(Graph& g, const T& x) { return make_native(g, x); }
};

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
    const NativeClass& cls = registered_class<T>();
    pickle(cls.module(), cls.qualname(), std::move(reducer));
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

/// Registers T as the Python class module.qualname whose instances pickle as the call
/// module.qualname(*args) -- what most Python classes' __reduce__ returns:
///
///   pickle::register_class<Point>("geometry", "Point",
///       [](const Point& p) { return std::tuple(p.x, p.y); },   // Point -> args
///       [](int x, int y) { return Point{x, y}; });              // args -> Point
///
/// `get_args` returns a std::tuple (or std::pair) of types pickle/convert.h converts. The
/// class's `call` hook converts the args tuple of a loaded pickle with pickle::to, so a
/// wrong arity or argument type is a ValueError or TypeError, never a misread; the reducer
/// (cls, args) goes into the process-wide dispatch table (copyreg.pickle). Returns the
/// class, which may be registered again with other hooks.
template <class T, class GetArgs, class Construct>
const NativeClass& register_class(std::string_view module, std::string_view qualname, GetArgs get_args,
                                  Construct construct) {
  using Args = std::decay_t<std::invoke_result_t<GetArgs&, const T&>>;
  ClassHooks hooks;
  hooks.call = [construct](Graph& g, Value args, Value kwargs) {
    if (kwargs.is_dict() && kwargs.as_dict().size()) {
      detail::throw_wrong_kind(kwargs, "no keyword arguments");
    }
    return make_native<T>(g, std::apply(construct, to<Args>(args)));
  };
  const NativeClass& cls = register_class(typeid(T), module, qualname, std::move(hooks));
  dispatch_table().pickle(module, qualname,
                          [get_args, m = std::string(module), q = std::string(qualname)](Graph& g, Value obj) {
                            const T* p = obj.native<T>();
                            if (!p) detail::throw_wrong_kind(obj, q.c_str());
                            Value rv[] = {g.global(m, q), from(g, get_args(*p))};
                            return g.new_tuple(rv);
                          });
  return cls;
}

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
