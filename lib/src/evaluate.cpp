#include "evaluate.h"

#include <cstdint>
#include <string>
#include <vector>

#include "bigint.h"
#include "codecs.h"
#include "pickle/copyreg.h"
#include "pickle/error.h"
#include "pytext.h"
#include "reduce.h"
#include "access.h"
#include "globals.h"
#include "value_internal.h"

namespace pickle::detail {

namespace {

/// The C++ class registered for a global, if any (pickle/copyreg.h).
const NativeClass* native_class(Value global) {
  const Global& g = global.as_global();
  return find_registered_class(g.module(), g.qualname());
}

// Argument clinic's `str` parameter `name` of function `fn`, in its order: the type (str
// or a subclass), then the conversion to a C string. False when v may be a str subclass
// the library cannot see (the call stays inert).
bool check_str_parameter(std::string_view fn, std::string_view name, Value v) {
  if (v.is_str()) {
    check_str_argument(v.as_str().utf8());
    return true;
  }
  std::string type = argument_type_name(v);
  if (type.empty()) return false;
  fail(ErrorType::TypeError, std::string(fn) + "() argument '" + std::string(name) + "' must be str, not " + type);
}

bool is_partial(const Object& o) {
  return o.how() == Object::How::Reduce && o.callable().is_global() &&
         o.callable().as_global().builtin() == Global::Builtin::Partial;
}

[[noreturn]] void no_attribute(Value target, std::string_view attr) {
  // A class names itself; a function or other object of a known type names its type.
  if (target.is_global() && detail::global_type_name(target.as_global()) == "type") {
    std::string_view q = target.as_global().qualname();
    fail(ErrorType::AttributeError,
         "type object '" + std::string(q.substr(q.rfind('.') + 1)) + "' has no attribute '" + std::string(attr) + "'");
  }
  fail(ErrorType::AttributeError, "'" + type_name(target) + "' object has no attribute '" + std::string(attr) + "'");
}

/// APPEND(S) on the class list or bytearray calls the unbound list.extend /
/// bytearray.extend with the items list as `self`; ADDITEMS on the class set calls the
/// unbound set.add with each item as `self`. CPython's errors for those calls; returns
/// when the class has no such method.
void unbound_method_call(Value cls, std::string_view method, std::span<const Value> items) {
  std::string_view name = cls.as_global().qualname();
  if (method == "extend" && name == "list") {
    fail(ErrorType::TypeError, "list.extend() takes exactly one argument (0 given)");
  }
  if (method == "extend" && name == "bytearray") {
    fail(ErrorType::TypeError, "descriptor 'extend' for 'bytearray' objects doesn't apply to a 'list' object");
  }
  if (method == "add" && name == "set") {
    fail(ErrorType::TypeError,
         "descriptor 'add' for 'set' objects doesn't apply to a '" + type_name(items[0]) + "' object");
  }
}

int byte_value(Value item) {
  if (!item.is_small_int() && !item.is_bool()) {
    if (item.is_int()) fail(ErrorType::ValueError, "byte must be in range(0, 256)");
    fail(ErrorType::TypeError, "'" + type_name(item) + "' object cannot be interpreted as an integer");
  }
  std::int64_t b = item.as_int();
  if (b < 0 || b > 255) fail(ErrorType::ValueError, "byte must be in range(0, 256)");
  return static_cast<int>(b);
}

/// The builtins class an object is an instance of, when the library knows it.
const BuiltinName* builtin_class_of(const Object& o) {
  Value cls = o.callable();
  if (!cls.is_global() || cls.as_global().module() != "builtins") return nullptr;
  const BuiltinName* b = find_builtin(cls.as_global().qualname());
  return b && b->is_type ? b : nullptr;
}

void check_exception_state(Value state) {
  if (state.is_none()) return;
  if (!state.is_dict()) fail(ErrorType::TypeError, "state is not a dictionary");
  for (const Dict::Entry& e : state.as_dict()) {
    if (!e.key.is_str()) {
      fail(ErrorType::TypeError, "attribute name must be string, not '" + type_name(e.key) + "'");
    }
  }
}

// setattr(function, name, value) for a Python function: CPython's errors. What succeeds
// changes the process-wide function in CPython and nothing here (not modelled).
void check_function_attribute(std::string_view name, Value value) {
  std::string type = known_type_name(value);
  if (type.empty()) return;  // maybe of a subclass of what the attribute takes
  auto must_be = [&](bool ok, std::string_view what) {
    if (!ok) fail(ErrorType::TypeError, std::string(name) + " must be set to a " + std::string(what));
  };
  if (name == "__builtins__" || name == "__closure__" || name == "__globals__") {
    fail(ErrorType::AttributeError, "readonly attribute");
  } else if (name == "__code__") {
    fail(ErrorType::TypeError, "__code__ must be set to a code object");  // no pickle makes one
  } else if (name == "__defaults__") {
    must_be(value.is_none() || value.is_tuple(), "tuple object");
  } else if (name == "__kwdefaults__" || name == "__annotations__") {
    must_be(value.is_none() || value.is_dict(), "dict object");
  } else if (name == "__name__" || name == "__qualname__") {
    must_be(value.is_str(), "string object");
  } else if (name == "__dict__") {
    must_be(value.is_dict(), "dictionary, not a '" + type + "'");
  } else if (name == "__class__") {
    if (type != "type") fail(ErrorType::TypeError, "__class__ must be set to a class, not '" + type + "' object");
    fail(ErrorType::TypeError, "__class__ assignment only supported for mutable types or ModuleType subclasses");
  }
}

// type.__new__(type, name, bases, dict): the argument checks. A new class is not modelled:
// the call stays inert.
void check_type_new_args(Value args) {
  if (!args.is_tuple()) return;
  const Tuple& a = args.as_tuple();
  if (a.size() != 3) {
    fail(ErrorType::TypeError, "type.__new__() takes exactly 3 arguments (" + std::to_string(a.size()) + " given)");
  }
  const char* expected[] = {"str", "tuple", "dict"};
  const bool ok[] = {a[0].is_str(), a[1].is_tuple(), a[2].is_dict()};
  for (int i = 0; i < 3; ++i) {
    if (ok[i]) continue;
    std::string type = argument_type_name(a[static_cast<std::size_t>(i)]);
    if (type.empty()) return;  // maybe a subclass
    fail(ErrorType::TypeError,
         "type.__new__() argument " + std::to_string(i + 1) + " must be " + expected[i] + ", not " + type);
  }
}

// The class defining the __setstate__ method a class global has (BUILD on the class
// finds it), or "".
std::string_view setstate_owner(const Global& g) {
  if (g.builtin() == Global::Builtin::Partial) return "functools.partial";
  if (g.builtin() != Global::Builtin::OtherBuiltin) return {};
  const BuiltinName* b = find_builtin(g.qualname());
  if (!b || !b->is_type || !b->has_setstate) return {};
  return b->is_exception ? "BaseException" : b->name;
}

// BUILD on a class with a __setstate__ method: cls.__setstate__(state) calls the unbound
// method, whose first argument must be an instance of its class.
void build_class_with_setstate(std::string_view owner, Value state) {
  if (state.is_object()) return;  // maybe an instance: what the call then does is not modelled
  std::string type = known_type_name(state);
  if (type.empty()) return;
  fail(ErrorType::TypeError,
       "descriptor '__setstate__' for '" + std::string(owner) + "' objects doesn't apply to a '" + type + "' object");
}

[[noreturn]] void no_dict(Value inst) {
  fail(ErrorType::AttributeError, "'" + type_name(inst) + "' object has no attribute '__dict__'");
}

void check_partial_state(Value state) {
  bool ok = state.is_tuple() && state.as_tuple().size() == 4;
  if (ok) {
    const Tuple& t = state.as_tuple();
    ok = is_callable_value(t[0]) && t[1].is_tuple() && (t[2].is_none() || t[2].is_dict());
  }
  if (!ok) fail(ErrorType::TypeError, "invalid partial state");
}

}  // namespace

/// Calls f on each item of iter(v), where the library can see into v; false (the call
/// stays inert) where it cannot. TypeError for the values that are never iterable.
template <class F>
bool Evaluator::for_each_item(Value v, F&& f) {
  switch (v.kind()) {
    case Kind::None:
    case Kind::Bool:
    case Kind::Int:
    case Kind::Float:
    case Kind::Complex: fail(ErrorType::TypeError, "'" + type_name(v) + "' object is not iterable");
    default: return detail::for_each_item(*g_, v, f);
  }
}

// cls.__new__(cls) without arguments for a builtin value type: its empty value (int 0,
// str '', list [], ...), made without running any code. Null for other classes.
Value Evaluator::empty_builtin_value(const Global& cls) {
  if (cls.module() != "builtins") return Value();
  const std::string_view name = cls.qualname();
  if (name == "int") return Value::integer(0);
  if (name == "bool") return Value::boolean(false);
  if (name == "float") return Value::floating(0.0);
  if (name == "complex") return g_->new_complex(0.0, 0.0);
  if (name == "str") return g_->shared_or_new_str("");
  if (name == "bytes") return g_->shared_or_new_bytes({});
  if (name == "bytearray") return g_->new_bytearray({});
  if (name == "tuple") return g_->empty_tuple();
  if (name == "list") return g_->new_list();
  if (name == "dict") return g_->new_dict();
  if (name == "set") return g_->new_set();
  if (name == "frozenset") return g_->new_frozenset();
  return Value();
}

/// cls.__new__(cls, *args, **kwargs): a builtin value type its value where no code runs,
/// a registered C++ class a native object, any other class an inert instance.
Value Evaluator::make_new(Value cls, Value args, Value kwargs) {
  if (cls.is_global() && args.is_tuple() && (kwargs.is_none() || (kwargs.is_dict() && kwargs.as_dict().size() == 0))) {
    // set, list, dict and bytearray make an empty object whatever the arguments (their
    // __init__ fills it); the other builtin value types read them.
    const std::string_view name = cls.as_global().qualname();
    const bool ignores_args = name == "set" || name == "list" || name == "dict" || name == "bytearray";
    if (args.as_tuple().size() == 0 || ignores_args) {
      if (Value empty = empty_builtin_value(cls.as_global()); !empty.is_none()) return empty;
    }
  }
  if (cls.is_global()) {
    if (cls.as_global().builtin() == Global::Builtin::Type) check_type_new_args(args);
    if (const NativeClass* native = native_class(cls)) {
      // cls.__new__(cls, *args, **kwargs): Python's call refuses other keys first.
      if (kwargs.is_dict()) {
        for (const Dict::Entry& e : kwargs.as_dict()) {
          if (!e.key.is_str()) fail(ErrorType::TypeError, "keywords must be strings");
        }
      }
      std::shared_ptr<const ClassHooks> hooks = native->hooks();
      if (hooks->new_) return hooks->new_(*g_, args, kwargs);
      if (hooks->call) return hooks->call(*g_, args, kwargs);
    }
  }
  return g_->new_object(Object::How::NewObj, cls, args, kwargs);
}

Value Evaluator::inert_call(Value callable, Value args) { return g_->new_object(Object::How::Reduce, callable, args); }

/// callable(*args) for REDUCE, and INST/OBJ with arguments (PyObject_CallObject).
Value Evaluator::call(Value callable, Value args) {
  built_ = Value();
  if (!args.is_tuple()) fail(ErrorType::TypeError, "argument list must be a tuple");
  if (!is_callable_value(callable)) {
    fail(ErrorType::TypeError, "'" + type_name(callable) + "' object is not callable");
  }
  if (callable.is_object() && is_partial(callable.as_object())) {
    return call_partial(callable, args);
  }
  if (!callable.is_global()) return inert_call(callable, args);
  if (const NativeClass* cls = native_class(callable)) {
    std::shared_ptr<const ClassHooks> hooks = cls->hooks();
    if (hooks->call) return hooks->call(*g_, args, Value());
    if (hooks->new_) return hooks->new_(*g_, args, Value());
  }
  const Tuple& a = args.as_tuple();
  using B = Global::Builtin;
  switch (callable.as_global().builtin()) {
    case B::NoneType:
    case B::EllipsisType:
    case B::NotImplementedType: {
      // The singletons' types refuse any argument.
      if (a.size() == 0) return inert_call(callable, args);
      B b = callable.as_global().builtin();
      fail(ErrorType::TypeError, std::string(b == B::NoneType       ? "NoneType"
                                             : b == B::EllipsisType ? "EllipsisType"
                                                                    : "NotImplementedType") +
                                     " takes no arguments");
    }
    case B::Set:
    case B::FrozenSet: {
      bool frozen = callable.as_global().builtin() == B::FrozenSet;
      if (a.size() > 1) {
        fail(ErrorType::TypeError, std::string(frozen ? "frozenset" : "set") + " expected at most 1 argument, got " +
                                       std::to_string(a.size()));
      }
      Value s = frozen ? g_->new_frozenset() : g_->new_set();
      if (a.size() == 1 && !for_each_item(a[0], [&](Value item) { s.as_set().add(*g_, item); })) {
        return inert_call(callable, args);
      }
      return built(s);
    }
    case B::ByteArray:
    case B::Bytes: return call_bytes(callable, args, callable.as_global().builtin() == B::ByteArray);
    case B::Complex: return call_complex(callable, args);
    case B::CodecsEncode: {
      if (a.size() < 1) fail(ErrorType::TypeError, "encode() missing required argument 'obj' (pos 1)");
      if (a.size() > 3) {
        fail(ErrorType::TypeError, "encode() takes at most 3 arguments (" + std::to_string(a.size()) + " given)");
      }
      if ((a.size() >= 2 && !check_str_parameter("encode", "encoding", a[1])) ||
          (a.size() == 3 && !check_str_parameter("encode", "errors", a[2]))) {
        return inert_call(callable, args);
      }
      std::string_view encoding = a.size() >= 2 ? a[1].as_str().utf8() : std::string_view("utf-8");
      std::string_view errors = a.size() == 3 ? a[2].as_str().utf8() : std::string_view("strict");
      // Codecs CPython has and the library does not (utf-16, base64, ...): not emulated.
      const Codec codec = find_codec(encoding);
      if (codec == Codec::Unsupported && codec_exists(encoding)) {
        return inert_call(callable, args);
      }
      if (!a[0].is_str()) {
        std::string type = argument_type_name(a[0]);
        if (type.empty()) return inert_call(callable, args);  // maybe a str subclass
        codecs_encode_non_str(encoding, type);
      }
      std::string_view text = a[0].as_str().utf8();
      if (text.size() > 2 && codec == Codec::Latin1) {
        // How bytes are pickled below protocol 3 (gigabytes, for arrays): straight into
        // the graph. A code point above U+00FF is left to the general path's error.
        // Room for one byte per UTF-8 byte, cut to what the code points take (no second
        // pass to count them first).
        std::uint8_t* out;
        Value encoded = detail::Access::new_bytes_storage(*g_, Kind::Bytes, text.size(), false, out);
        if (std::size_t size = encode_latin1_to(text, out); size != kNotLatin1) {
          detail::Access::truncate_new_bytes(*g_, encoded, size);
          return built(encoded);
        }
        detail::Access::release_unreferenced(*g_, encoded);
      }
      std::string encoded;
      codecs_encode(encoding, errors, text, encoded);
      return built(
          g_->shared_or_new_bytes(std::span(reinterpret_cast<const std::uint8_t*>(encoded.data()), encoded.size())));
    }
    case B::Reconstructor: {
      if (a.size() != 3) fail_arity("_reconstructor", {"cls", "base", "state"}, a.size());
      Value cls = a[0], base = a[1];
      if (base.is_global() && base.as_global().builtin() == B::Object) {
        if (!is_class_value(cls)) {
          fail(ErrorType::TypeError, "object.__new__(X): X is not a type object (" + type_name(cls) + ")");
        }
        return make_new(cls, g_->empty_tuple(), Value());
      }
      Value rest[] = {base, a[2]};
      return g_->new_object(Object::How::Reconstructor, cls, g_->new_tuple(rest));
    }
    case B::NewObj: {
      if (a.size() < 1) fail_arity("__newobj__", {"cls"}, 0);
      if (!a[0].is_global() && !a[0].is_object()) return inert_call(callable, args);
      return make_new(a[0], g_->new_tuple(std::span(a.begin() + 1, a.end())), Value());
    }
    case B::NewObjEx: {
      if (a.size() != 3) fail_arity("__newobj_ex__", {"cls", "args", "kwargs"}, a.size());
      if ((!a[0].is_global() && !a[0].is_object()) || !a[1].is_tuple() || !a[2].is_dict()) {
        return inert_call(callable, args);
      }
      return make_new(a[0], a[1], a[2]);
    }
    case B::GetAttr: {
      if (a.size() < 2) {
        fail(ErrorType::TypeError, "getattr expected at least 2 arguments, got " + std::to_string(a.size()));
      }
      if (a.size() > 3) {
        fail(ErrorType::TypeError, "getattr expected at most 3 arguments, got " + std::to_string(a.size()));
      }
      if (!a[1].is_str()) {
        fail(ErrorType::TypeError, "attribute name must be string, not '" + type_name(a[1]) + "'");
      }
      if (a[1].as_str().utf8().empty() && !a[0].is_object() && !a[0].is_native()) {
        // No class, function or builtin value has an attribute named '' (an instance
        // could, through its __dict__).
        if (a.size() == 3) return a[2];
        no_attribute(a[0], "");
      }
      if (a.size() != 2 || !a[0].is_global()) return inert_call(callable, args);
      return attribute_of(a[0].as_global(), a[1].as_str().utf8());
    }
    case B::Partial: {
      if (a.size() < 1) fail(ErrorType::TypeError, "type 'partial' takes at least one argument");
      if (!is_callable_value(a[0])) fail(ErrorType::TypeError, "the first argument must be callable");
      return inert_call(callable, args);
    }
    case B::Type: {
      if (a.size() != 1 && a.size() != 3) fail(ErrorType::TypeError, "type() takes 1 or 3 arguments");
      if (a.size() == 1) {
        if (Value t = type_of(a[0]); !t.is_none()) return t;
      }
      return inert_call(callable, args);
    }
    default: return inert_call(callable, args);
  }
}

bool Evaluator::is_getattr_of_global(Value callable, Value args) {
  if (!callable.is_global() || callable.as_global().builtin() != Global::Builtin::GetAttr || !args.is_tuple() ||
      native_class(callable)) {
    return false;
  }
  const Tuple& a = args.as_tuple();
  return a.size() == 2 && a[0].is_global() && a[1].is_str();
}

Value Evaluator::attribute_of(const Global& owner, std::string_view attr) {
  built_ = Value();
  check_attribute_name(owner, attr);
  if (owner.module() == "builtins") {
    // Attributes that lead back to a builtin class are that class, so a chain of them
    // (str.__class__.__class__..., str.join.__objclass__.join...) stays one global.
    if (attr == "__class__") {
      const BuiltinName* b = find_builtin(owner.qualname());
      if (b && b->is_type) return g_->global("builtins", "type");
    } else if (std::string_view cls = builtin_attribute_class(owner.qualname(), attr); !cls.empty()) {
      return g_->global("builtins", cls);
    }
  }
  Value result = Access::global_attribute(*g_, owner, attr);
  // Protocol 4+ picklers name nested classes and functions directly, so getattr there
  // means a method. Below protocol 4 getattr is used for both; a capitalised name is
  // taken to be a nested class, anything else a method.
  if (proto_ >= 4 || attr.empty() || !(attr[0] >= 'A' && attr[0] <= 'Z')) g_->mark_attribute(result);
  return result;
}

void Evaluator::check_attribute_name(const Global& owner, std::string_view attr) {
  if (policy_ && policy_->strict_globals && !policy_->find_class && attr != "__new__") {
    std::string full = std::string(owner.module()) + "." + std::string(owner.qualname()) + "." + std::string(attr);
    if (!policy_->allowed_globals.count(full)) unpickling_error("global '" + full + "' is forbidden");
  }
}

/// type(x) when the library knows x's class; None otherwise.
Value Evaluator::type_of(Value v) {
  switch (v.kind()) {
    case Kind::Buffer:
      // An out-of-band buffer is whatever object the caller passed.
      return v.as_buffer().is_memoryview() ? g_->global("builtins", "memoryview") : Value();
    case Kind::Object:
    case Kind::PersistentId: return Value();
    case Kind::Global: {
      std::string_view t = global_type_name(v.as_global());
      if (t == "ellipsis" || t == "NotImplementedType") return g_->global("builtins", t);
      return Value();
    }
    default: return g_->global("builtins", kind_type_name(v.kind()));
  }
}

Value Evaluator::call_complex(Value callable, Value args) {
  const Tuple& a = args.as_tuple();
  if (a.size() > 2) {
    fail(ErrorType::TypeError, "complex() takes at most 2 arguments (" + std::to_string(a.size()) + " given)");
  }
  double parts[2] = {0, 0};
  for (std::size_t i = 0; i < a.size(); ++i) {
    Value x = a[i];
    if (x.is_float()) {
      parts[i] = x.as_float();
    } else if (x.is_bool() || x.is_small_int()) {
      parts[i] = static_cast<double>(x.as_int());
    } else if (x.is_int()) {
      bool overflow;
      parts[i] = int_to_double(IntRef(x), overflow);
      if (overflow) fail(ErrorType::OverflowError, "int too large to convert to float");
    } else if (x.kind() == Kind::Complex || x.is_str()) {
      return inert_call(callable, args);  // string parsing and complex arithmetic: not emulated
    } else if (known_type_name(x).empty()) {
      return inert_call(callable, args);
    } else {
      fail(ErrorType::TypeError, std::string("complex() ") + (i == 0 ? "first" : "second") + " argument must be a " +
                                     (i == 0 ? "string or a number" : "number") + ", not '" + type_name(x) + "'");
    }
  }
  return g_->new_complex(parts[0], parts[1]);
}

Value Evaluator::call_bytes(Value callable, Value args, bool bytearray) {
  const Tuple& a = args.as_tuple();
  auto result = [&](std::string_view data) {
    auto span = std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
    return built(bytearray ? g_->new_bytearray(span) : g_->shared_or_new_bytes(span));
  };
  if (a.size() > 3) {
    fail(ErrorType::TypeError, std::string(bytearray ? "bytearray" : "bytes") + "() takes at most 3 arguments (" +
                                   std::to_string(a.size()) + " given)");
  }
  if (a.size() == 0) return result({});
  Value x = a[0];
  if (a.size() == 1) {
    switch (x.kind()) {
      case Kind::Bytes:
      case Kind::ByteArray: return result(x.as_bytes().chars());
      case Kind::Str: fail(ErrorType::TypeError, "string argument without an encoding");
      case Kind::Int:
      case Kind::Bool: {
        // An int beyond int64 is beyond Py_ssize_t as well.
        if (!x.is_small_int() && !x.is_bool())
          fail(ErrorType::OverflowError, "cannot fit 'int' into an index-sized integer");
        std::int64_t n = x.as_int();
        if (n < 0) fail(ErrorType::ValueError, "negative count");
        auto count = static_cast<std::size_t>(n);
        if (count >
            detail::Access::arena(*g_).limit() - std::min(detail::Access::arena(*g_).limit(), g_->bytes_allocated())) {
          fail(ErrorType::MemoryError, "bytes object of " + std::to_string(count) + " bytes exceeds the memory limit");
        }
        if (count == 0) return result({});  // b'' is shared; bytes(1) is not
        std::uint8_t* payload;
        return built(
            detail::Access::new_bytes_storage(*g_, bytearray ? Kind::ByteArray : Kind::Bytes, count, true, payload));
      }
      case Kind::List:
      case Kind::Tuple: {
        std::string data;
        for (Value item : x.is_list() ? x.as_list().items() : x.as_tuple().items()) {
          if (!item.is_small_int() && !item.is_bool()) {
            if (item.is_int()) fail(ErrorType::ValueError, "byte must be in range(0, 256)");
            fail(ErrorType::TypeError, "'" + type_name(item) + "' object cannot be interpreted as an integer");
          }
          std::int64_t b = item.as_int();
          if (b < 0 || b > 255) fail(ErrorType::ValueError, "byte must be in range(0, 256)");
          data += static_cast<char>(b);
        }
        return result(data);
      }
      case Kind::None:
      case Kind::Float:
      case Kind::Complex:
        fail(ErrorType::TypeError,
             "cannot convert '" + type_name(x) + "' object to " + (bytearray ? "bytearray" : "bytes"));
      default: return inert_call(callable, args);
    }
  }
  // (str, encoding[, errors]): argument clinic converts encoding and errors first.
  const char* fn = bytearray ? "bytearray" : "bytes";
  if (!check_str_parameter(fn, "encoding", a[1]) || (a.size() == 3 && !check_str_parameter(fn, "errors", a[2]))) {
    return inert_call(callable, args);
  }
  if (!x.is_str()) {
    if (known_type_name(x).empty()) return inert_call(callable, args);
    fail(ErrorType::TypeError, "encoding without a string argument");
  }
  std::string_view encoding = a[1].as_str().utf8();
  if (find_codec(encoding) == Codec::Unsupported && codec_exists(encoding)) {
    return inert_call(callable, args);
  }
  std::string data;
  encode_text(encoding, a.size() == 3 ? a[2].as_str().utf8() : std::string_view("strict"), x.as_str().utf8(), data);
  return result(data);
}

/// Calling functools.partial(cls.__new__, cls, *args, **kwargs), the form CPython's
/// pickler uses for __newobj_ex__ at protocols 2 and 3, yields cls.__new__(...).
Value Evaluator::call_partial(Value partial, Value call_args) {
  const Object& o = partial.as_object();
  Value func, pargs, kwargs;
  if (o.has_state()) {  // validated by BUILD
    const Tuple& st = o.state().as_tuple();
    func = st[0];
    pargs = st[1];
    kwargs = st[2];
  } else {
    const Tuple& a = o.args().as_tuple();
    func = a[0];
    pargs = g_->new_tuple(std::span(a.begin() + 1, a.end()));
  }
  const Tuple& pa = pargs.as_tuple();
  if (func.is_global() && func.as_global().qualname().ends_with(".__new__") && pa.size() >= 1 &&
      (pa[0].is_global() || pa[0].is_object())) {
    std::vector<Value> all(pa.begin() + 1, pa.end());
    for (Value v : call_args.as_tuple()) all.push_back(v);
    bool has_kwargs = kwargs.is_dict() && kwargs.as_dict().size() > 0;
    return make_new(pa[0], g_->new_tuple(all), has_kwargs ? kwargs : Value());
  }
  return inert_call(partial, call_args);
}

/// INST and OBJ: cls.__new__(cls) when there are no arguments (and, by assumption, no
/// __getinitargs__), else cls(*args).
Value Evaluator::instantiate(Value cls, Value args) {
  if (args.as_tuple().size() == 0 && is_class_value(cls) && !cls.is_object() && cls.kind() != Kind::PersistentId) {
    return make_new(cls, args, Value());
  }
  return call(cls, args);
}

void Evaluator::set_item(Value target, Value key, Value value) {
  switch (target.kind()) {
    case Kind::Dict: target.as_dict().set(*g_, key, value); return;
    case Kind::Object: target.as_object().set_item(*g_, key, value); return;
    case Kind::List: {
      List& l = target.as_list();
      if (!key.is_small_int() && !key.is_bool()) {
        if (key.is_int()) fail(ErrorType::IndexError, "cannot fit 'int' into an index-sized integer");
        fail(ErrorType::TypeError, "list indices must be integers or slices, not " + type_name(key));
      }
      std::int64_t i = key.as_int();
      auto n = static_cast<std::int64_t>(l.size());
      if (i < 0) i += n;
      if (i < 0 || i >= n) fail(ErrorType::IndexError, "list assignment index out of range");
      l[static_cast<std::size_t>(i)] = value;
      return;
    }
    case Kind::ByteArray: {  // bytearray_ass_subscript
      if (!key.is_int() && !key.is_bool()) {
        fail(ErrorType::TypeError, "bytearray indices must be integers or slices, not " + type_name(key));
      }
      if (!key.is_small_int() && !key.is_bool())
        fail(ErrorType::IndexError, "cannot fit 'int' into an index-sized integer");
      int byte = byte_value(value);  // before the index check, as CPython 3.11 (GH-91153)
      std::span<std::uint8_t> data = target.as_bytearray().data();
      std::int64_t i = key.as_int();
      auto n = static_cast<std::int64_t>(data.size());
      if (i < 0) i += n;
      if (i < 0 || i >= n) fail(ErrorType::IndexError, "bytearray index out of range");
      data[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(byte);
      return;
    }
    case Kind::Global:  // a class ('type'), or a function or other object of a known type
      fail(ErrorType::TypeError, "'" + type_name(target) + "' object does not support item assignment");
    case Kind::PersistentId: return;  // whatever persistent_load returned is opaque
    case Kind::Str:
    case Kind::Bytes:
    case Kind::Tuple:
    case Kind::Set:
    case Kind::FrozenSet:
    case Kind::Native:
      // Types with sequence methods (C++ classes stand for Python classes, which have
      // them): PyObject_SetItem converts an int key to an index first.
      if (key.is_int() && !key.is_small_int())
        fail(ErrorType::IndexError, "cannot fit 'int' into an index-sized integer");
      [[fallthrough]];
    default: fail(ErrorType::TypeError, "'" + type_name(target) + "' object does not support item assignment");
  }
}

void Evaluator::append_items(Value target, std::span<const Value> items) {
  switch (target.kind()) {
    case Kind::List: {
      target.as_list().extend(*g_, items);
      return;
    }
    case Kind::Object:
      for (Value v : items) target.as_object().append(*g_, v);
      return;
    case Kind::ByteArray: {
      std::vector<std::uint8_t> added;
      added.reserve(items.size());
      for (Value v : items) added.push_back(static_cast<std::uint8_t>(byte_value(v)));
      // CPython refuses to resize while a memoryview exists; the library cannot tell when
      // the last one goes, so it refuses for good (doc/design.md).
      target.as_bytearray().extend(*g_, added);
      return;
    }
    case Kind::Global:
      if (target.as_global().module() == "builtins") unbound_method_call(target, "extend", items);
      no_attribute(target, "append");
    default: no_attribute(target, "append");
  }
}

void Evaluator::add_items(Value target, std::span<const Value> items) {
  switch (target.kind()) {
    case Kind::Set:
      for (Value v : items) target.as_set().add(*g_, v);
      return;
    case Kind::Object:
      for (Value v : items) target.as_object().add(*g_, v);
      return;
    case Kind::Global:
      if (target.as_global().module() == "builtins") unbound_method_call(target, "add", items);
      no_attribute(target, "add");
    default: no_attribute(target, "add");
  }
}

void Evaluator::build(Value inst, Value state) {
  switch (inst.kind()) {
    case Kind::Object: {
      Object& o = inst.as_object();
      if (is_partial(o)) check_partial_state(state);
      // Instances of builtin classes: exceptions have BaseException.__setstate__;
      // the others (but zip and reversed) have neither __setstate__ nor __dict__.
      if (const BuiltinName* cls = builtin_class_of(o)) {
        if (cls->is_exception) {
          check_exception_state(state);
        } else if (!cls->has_setstate) {
          break;  // the default __setstate__, below
        }
      }
      o.set_state(state);
      return;
    }
    case Kind::PersistentId: return;  // opaque
    case Kind::Native: {
      std::shared_ptr<const ClassHooks> hooks = inst.as_native().cls().hooks();
      if (hooks->setstate) {
        hooks->setstate(*g_, inst, state);
        return;
      }
      break;  // an object without __dict__: the default __setstate__, below
    }
    case Kind::Global: {
      const Global& g = inst.as_global();
      if (g.builtin() == Global::Builtin::Unknown) return;  // unknowable
      if (std::string_view owner = setstate_owner(g); !owner.empty()) return build_class_with_setstate(owner, state);
      break;
    }
    default: break;
  }
  // The default __setstate__ on an object without __setstate__: a class's __dict__ is
  // read-only, a function's takes anything (copyreg's functions: what CPython would set on
  // them is not modelled, only its refusals), other objects here have no __dict__.
  Value slotstate;
  bool has_slotstate = false;
  if (state.is_tuple() && state.as_tuple().size() == 2) {
    slotstate = state.as_tuple()[1];
    state = state.as_tuple()[0];
    has_slotstate = true;
  }
  const std::string_view type = inst.is_global() ? global_type_name(inst.as_global()) : std::string_view();
  const bool is_class = type == "type", is_function = type == "function";
  if (!state.is_none()) {
    if (!state.is_dict()) unpickling_error("state is not a dictionary");
    if (!is_class && !is_function) no_dict(inst);
    if (is_class && state.as_dict().size() > 0) {
      fail(ErrorType::TypeError, "'mappingproxy' object does not support item assignment");
    }
  }
  if (has_slotstate) {
    if (!slotstate.is_dict()) unpickling_error("slot state is not a dictionary");
    for (const Dict::Entry& e : slotstate.as_dict()) {
      if (!e.key.is_str()) {
        fail(ErrorType::TypeError, "attribute name must be string, not '" + type_name(e.key) + "'");
      }
      if (is_function) {
        check_function_attribute(e.key.as_str().utf8(), e.value);
        continue;
      }
      std::string attr(e.key.as_str().utf8());
      if (is_class) {
        fail(ErrorType::TypeError, "cannot set '" + attr + "' attribute of immutable type '" +
                                       std::string(inst.as_global().qualname()) + "'");
      }
      fail(ErrorType::AttributeError, "'" + type_name(inst) + "' object has no attribute '" + attr + "'");
    }
  }
}

}  // namespace pickle::detail
