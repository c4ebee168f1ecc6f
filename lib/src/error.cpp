#include "pickle/error.h"

namespace pickle {

std::string_view python_name(ErrorType type) noexcept {
  switch (type) {
    case ErrorType::UnpicklingError: return "UnpicklingError";
    case ErrorType::PicklingError: return "PicklingError";
    case ErrorType::EOFError: return "EOFError";
    case ErrorType::ValueError: return "ValueError";
    case ErrorType::TypeError: return "TypeError";
    case ErrorType::OverflowError: return "OverflowError";
    case ErrorType::KeyError: return "KeyError";
    case ErrorType::AttributeError: return "AttributeError";
    case ErrorType::IndexError: return "IndexError";
    case ErrorType::LookupError: return "LookupError";
    case ErrorType::UnicodeDecodeError: return "UnicodeDecodeError";
    case ErrorType::UnicodeEncodeError: return "UnicodeEncodeError";
    case ErrorType::MemoryError: return "MemoryError";
    case ErrorType::RecursionError: return "RecursionError";
    case ErrorType::RuntimeError: return "RuntimeError";
    case ErrorType::BufferError: return "BufferError";
    case ErrorType::NotImplementedError: return "NotImplementedError";
    case ErrorType::OSError: return "OSError";
  }
  return "Exception";
}

Error::Error(ErrorType type, std::string message, std::optional<std::size_t> offset)
    : type_(type), message_(std::move(message)), offset_(offset) {
  update_what();
}

void Error::set_offset(std::size_t offset) {
  offset_ = offset;
  update_what();
}

void Error::update_what() {
  what_.assign(python_name(type_));
  what_ += ": ";
  what_ += message_;
  if (offset_) {
    what_ += " (at byte ";
    what_ += std::to_string(*offset_);
    what_ += ")";
  }
}

void fail(ErrorType type, std::string message) { throw Error(type, std::move(message)); }

void fail_arity(std::string_view function, std::initializer_list<std::string_view> params, std::size_t given) {
  const std::size_t n = params.size();
  std::string msg(function);
  if (given > n) {
    msg += "() takes " + std::to_string(n) + " positional argument" + (n == 1 ? "" : "s") + " but " +
           std::to_string(given) + (given == 1 ? " was" : " were") + " given";
  } else {
    const std::size_t missing = n - given;
    msg += "() missing " + std::to_string(missing) + " required positional argument" + (missing == 1 ? "" : "s") + ": ";
    auto it = params.begin() + given;
    for (std::size_t i = 0; i < missing; ++i, ++it) {
      if (i > 0) msg += (i == missing - 1) ? (missing > 2 ? ", and " : " and ") : ", ";
      msg += "'" + std::string(*it) + "'";
    }
  }
  fail(ErrorType::TypeError, std::move(msg));
}

}  // namespace pickle
