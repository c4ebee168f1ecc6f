// copyreg for C++ types: the class registry, dispatch tables and the extension registry,
// with copyreg.py's validation and messages.
#include "pickle/copyreg.h"

#include <shared_mutex>

#include "pickle/error.h"
#include "pytext.h"
#include "value_internal.h"

namespace pickle {

// ---- classes ------------------------------------------------------------------------------

std::string_view NativeClass::name() const noexcept {
  std::string_view q = qualname_;
  std::size_t dot = q.rfind('.');
  return dot == std::string_view::npos ? q : q.substr(dot + 1);
}

std::shared_ptr<const ClassHooks> NativeClass::hooks() const {
  std::lock_guard lock(mutex_);
  return hooks_;
}

namespace {

// Classes are never destroyed: Native nodes of any Graph point to them.
struct ClassRegistry {
  std::shared_mutex mutex;
  std::unordered_map<std::type_index, NativeClass*> by_type;
  std::map<std::pair<std::string, std::string>, NativeClass*, std::less<>> by_name;
};

ClassRegistry& classes() {
  static ClassRegistry* registry = new ClassRegistry;  // outlives every static Graph
  return *registry;
}

std::string dotted(std::string_view module, std::string_view qualname) {
  return std::string(module) + "." + std::string(qualname);
}

}  // namespace

const NativeClass& register_class(const std::type_info& type, std::string_view module, std::string_view qualname,
                                  ClassHooks hooks) {
  auto shared = std::make_shared<const ClassHooks>(std::move(hooks));
  ClassRegistry& r = classes();
  std::unique_lock lock(r.mutex);
  auto by_type = r.by_type.find(std::type_index(type));
  auto by_name = r.by_name.find(std::pair<std::string, std::string>(module, qualname));
  if (by_type != r.by_type.end()) {
    NativeClass& cls = *by_type->second;
    if (cls.module() != module || cls.qualname() != qualname) {
      throw Error(ErrorType::ValueError, std::string("the C++ type ") + type.name() + " is already registered as " +
                                             dotted(cls.module(), cls.qualname()));
    }
    std::lock_guard hooks_lock(cls.mutex_);
    cls.hooks_ = std::move(shared);
    return cls;
  }
  if (by_name != r.by_name.end()) {
    throw Error(ErrorType::ValueError,
                dotted(module, qualname) + " is already registered for the C++ type " + by_name->second->type().name());
  }
  auto* cls = new NativeClass(std::string(module), std::string(qualname), type);
  cls->hooks_ = std::move(shared);  // the one made outside the lock
  r.by_type.emplace(std::type_index(type), cls);
  r.by_name.emplace(std::pair(cls->module(), cls->qualname()), cls);
  return *cls;
}

const NativeClass* find_registered_class(const std::type_info& type) {
  ClassRegistry& r = classes();
  std::shared_lock lock(r.mutex);
  auto it = r.by_type.find(std::type_index(type));
  return it == r.by_type.end() ? nullptr : it->second;
}

const NativeClass* find_registered_class(std::string_view module, std::string_view qualname) {
  ClassRegistry& r = classes();
  std::shared_lock lock(r.mutex);
  auto it = r.by_name.find(std::pair<std::string, std::string>(module, qualname));
  return it == r.by_name.end() ? nullptr : it->second;
}

const NativeClass& registered_class(const std::type_info& type) {
  if (const NativeClass* cls = find_registered_class(type)) return *cls;
  throw Error(ErrorType::TypeError, std::string("no Python class is registered for the C++ type ") + type.name());
}

std::optional<std::pair<std::string, std::string>> class_name_of(Value obj) {
  switch (obj.kind()) {
    case Kind::Complex: return std::pair<std::string, std::string>("builtins", "complex");
    case Kind::Buffer:
      if (!obj.as_buffer().is_memoryview()) return std::nullopt;
      return std::pair<std::string, std::string>("builtins", "memoryview");
    case Kind::Native: return std::pair(obj.as_native().cls().module(), obj.as_native().cls().qualname());
    case Kind::Object: {
      const Object& o = obj.as_object();
      Value cls = o.callable();
      if (!cls.is_global()) return std::nullopt;
      // No reducer of complex, set, ... could take such an unknown value apart.
      if (detail::is_value_type(cls.as_global().builtin())) return std::nullopt;
      return std::pair(std::string(cls.as_global().module()), std::string(cls.as_global().qualname()));
    }
    default: return std::nullopt;
  }
}

// ---- dispatch tables --------------------------------------------------------------------------

DispatchTable::DispatchTable(const DispatchTable& other) {
  std::lock_guard lock(other.mutex_);
  reducers_ = other.reducers_;
}

DispatchTable& DispatchTable::operator=(const DispatchTable& other) {
  if (this != &other) {
    std::scoped_lock lock(mutex_, other.mutex_);
    reducers_ = other.reducers_;
  }
  return *this;
}

void DispatchTable::pickle(std::string_view module, std::string_view qualname, Reducer reducer) {
  if (!reducer) throw Error(ErrorType::TypeError, "reduction functions must be callable");
  std::lock_guard lock(mutex_);
  reducers_[{std::string(module), std::string(qualname)}] = std::make_shared<const Reducer>(std::move(reducer));
}

void DispatchTable::remove(std::string_view module, std::string_view qualname) {
  std::lock_guard lock(mutex_);
  auto it = reducers_.find(std::pair<std::string, std::string>(module, qualname));
  if (it != reducers_.end()) reducers_.erase(it);
}

std::shared_ptr<const Reducer> DispatchTable::find(std::string_view module, std::string_view qualname) const {
  std::lock_guard lock(mutex_);
  auto it = reducers_.find(std::pair<std::string, std::string>(module, qualname));
  return it == reducers_.end() ? nullptr : it->second;
}

std::shared_ptr<const Reducer> DispatchTable::find(Value obj) const {
  auto name = class_name_of(obj);
  return name ? find(name->first, name->second) : nullptr;
}

bool DispatchTable::empty() const {
  std::lock_guard lock(mutex_);
  return reducers_.empty();
}

DispatchTable& dispatch_table() {
  static DispatchTable* table = [] {
    auto* t = new DispatchTable;
    // copyreg.pickle_complex: (complex, (c.real, c.imag))
    t->pickle("builtins", "complex", [](Graph& g, Value c) {
      if (c.kind() != Kind::Complex)
        throw Error(ErrorType::TypeError, "pickle_complex() of a '" + type_name(c) + "' object");
      Value parts[] = {Value::floating(c.as_complex().real()), Value::floating(c.as_complex().imag())};
      Value rv[] = {g.global("builtins", "complex"), g.new_tuple(parts)};
      return g.new_tuple(rv);
    });
    return t;
  }();
  return *table;
}

void constructor(const std::function<Value(Graph&, Value, Value)>& c) {
  if (!c) throw Error(ErrorType::TypeError, "constructors must be callable");
}

void pickle_class(std::string_view module, std::string_view qualname, Reducer reducer,
                  std::function<Value(Graph&, Value, Value)> ctor) {
  dispatch_table().pickle(module, qualname, std::move(reducer));
  if (ctor) constructor(ctor);
}

// ---- extension registry ------------------------------------------------------------------------

namespace {
// "('module', 'name')", as Python formats the key tuple in copyreg's messages.
std::string key_repr(std::string_view module, std::string_view name) {
  std::string s = "(";
  detail::append_repr_str(s, module);
  s += ", ";
  detail::append_repr_str(s, name);
  s += ")";
  return s;
}
}  // namespace

void ExtensionRegistry::add(std::string_view module, std::string_view name, std::int64_t code) {
  if (code < 1 || code > 0x7fffffff) throw Error(ErrorType::ValueError, "code out of range");
  std::lock_guard lock(mutex_);
  Key key{std::string(module), std::string(name)};
  auto by_key = by_key_.find(key);
  auto by_code = by_code_.find(code);
  if (by_key != by_key_.end() && by_key->second == code && by_code != by_code_.end() && by_code->second == key) {
    return;  // already registered exactly so
  }
  if (by_key != by_key_.end()) {
    throw Error(ErrorType::ValueError,
                "key " + key_repr(module, name) + " is already registered with code " + std::to_string(by_key->second));
  }
  if (by_code != by_code_.end()) {
    throw Error(ErrorType::ValueError, "code " + std::to_string(code) + " is already in use for key " +
                                           key_repr(by_code->second.first, by_code->second.second));
  }
  by_key_.emplace(key, code);
  by_code_.emplace(code, std::move(key));
}

void ExtensionRegistry::remove(std::string_view module, std::string_view name, std::int64_t code) {
  std::lock_guard lock(mutex_);
  Key key{std::string(module), std::string(name)};
  auto by_key = by_key_.find(key);
  auto by_code = by_code_.find(code);
  if (by_key == by_key_.end() || by_key->second != code || by_code == by_code_.end() || by_code->second != key) {
    throw Error(ErrorType::ValueError,
                "key " + key_repr(module, name) + " is not registered with code " + std::to_string(code));
  }
  by_key_.erase(by_key);
  by_code_.erase(by_code);
}

std::optional<ExtensionRegistry::Key> ExtensionRegistry::lookup_code(std::int64_t code) const {
  std::lock_guard lock(mutex_);
  auto it = by_code_.find(code);
  if (it == by_code_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::int64_t> ExtensionRegistry::lookup_key(std::string_view module, std::string_view name) const {
  std::lock_guard lock(mutex_);
  auto it = by_key_.find(Key{std::string(module), std::string(name)});
  if (it == by_key_.end()) return std::nullopt;
  return it->second;
}

ExtensionRegistry& default_extensions() {
  static ExtensionRegistry registry;
  return registry;
}

}  // namespace pickle
