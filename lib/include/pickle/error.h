// pickle/error.h: the one exception type the library throws.
//
// Every failure is a pickle::Error carrying the name of the Python exception class
// CPython raises for the same input or call (ErrorType), CPython's message text, and,
// when the error comes from reading input, the byte offset of the opcode that failed.
//
//   try {
//     pickle::Graph g = pickle::loads(bytes);
//   } catch (const pickle::Error& e) {
//     std::cerr << e.python_type_name() << ": " << e.message()
//               << " at byte " << e.offset().value_or(0) << "\n";
//   }
#pragma once

#include <cstddef>
#include <exception>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace pickle {

/// The Python exception class an Error stands for.
enum class ErrorType {
  UnpicklingError,  ///< pickle.UnpicklingError
  PicklingError,    ///< pickle.PicklingError
  EOFError,         ///< input ended before the first opcode ("Ran out of input")
  ValueError,
  TypeError,
  OverflowError,
  KeyError,
  AttributeError,
  IndexError,
  LookupError,  ///< unknown codec name
  UnicodeDecodeError,
  UnicodeEncodeError,
  MemoryError,     ///< a caller-set limit (bytes, memo, container size) was exceeded
  RecursionError,  ///< a nesting-depth limit was exceeded
  RuntimeError,
  BufferError,
  NotImplementedError,  ///< something CPython could do that this library refuses to
  OSError,              ///< a read or write of a file, stream or descriptor failed: "[Errno N] text"
};

/// The Python class name, e.g. "UnpicklingError".
std::string_view python_name(ErrorType type) noexcept;

class Error : public std::exception {
 public:
  Error(ErrorType type, std::string message, std::optional<std::size_t> offset = std::nullopt);

  ErrorType type() const noexcept { return type_; }
  std::string_view python_type_name() const noexcept { return python_name(type_); }
  /// CPython's message, without the class name.
  const std::string& message() const noexcept { return message_; }
  /// Offset in the input of the opcode being executed, when reading.
  std::optional<std::size_t> offset() const noexcept { return offset_; }
  void set_offset(std::size_t offset);

  /// "ClassName: message" plus " (at byte N)" when the offset is known.
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  void update_what();
  ErrorType type_;
  std::string message_;
  std::optional<std::size_t> offset_;
  std::string what_;
};

/// Throws Error(type, message): how hooks and converters report a failure, as the library
/// does.
[[noreturn]] void fail(ErrorType type, std::string message);

/// Throws CPython's TypeError for a call with the wrong number of positional arguments to a
/// function with fixed parameters, e.g. fail_arity("Point", {"x", "y"}, 1) throws
/// "Point() missing 1 required positional argument: 'y'".
[[noreturn]] void fail_arity(std::string_view function, std::initializer_list<std::string_view> params,
                             std::size_t given);

}  // namespace pickle
