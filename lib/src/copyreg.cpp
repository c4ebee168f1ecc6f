// The extension registry, with copyreg.py's validation and messages.
#include "pickle/copyreg.h"

#include "pickle/error.h"
#include "pytext.h"

namespace pickle {

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
  if (by_key != by_key_.end() && by_key->second == code && by_code != by_code_.end() &&
      by_code->second == key) {
    return;  // already registered exactly so
  }
  if (by_key != by_key_.end()) {
    throw Error(ErrorType::ValueError, "key " + key_repr(module, name) +
                                           " is already registered with code " +
                                           std::to_string(by_key->second));
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
  if (by_key == by_key_.end() || by_key->second != code || by_code == by_code_.end() ||
      by_code->second != key) {
    throw Error(ErrorType::ValueError, "key " + key_repr(module, name) + " is not registered with code " +
                                           std::to_string(code));
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

std::optional<std::int64_t> ExtensionRegistry::lookup_key(std::string_view module,
                                                           std::string_view name) const {
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
