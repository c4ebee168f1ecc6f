// pickle/copyreg.h: the extension registry (copyreg.add_extension and friends).
//
// EXT1/EXT2/EXT4 opcodes name a global by a small integer code agreed on out of band.
// A registry maps codes to (module, name) and back. The process-wide default registry
// plays the role of copyreg's module-level tables; pickler and unpickler options may
// name another one.
//
//   pickle::default_extensions().add("mymodule", "MyClass", 240);
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace pickle {

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
