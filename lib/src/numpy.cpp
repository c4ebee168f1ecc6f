// Typed views of pickled numpy dtypes, arrays and scalars (pickle/numpy.h).
//
// The forms are numpy's pickling code (numpy/core/src/multiarray: descriptor.c
// arraydescr_reduce/setstate, methods.c array_reduce_ex/setstate, scalartypes.c
// gentype_reduce, numeric.py _frombuffer), read with numpy's checks: nothing in the graph
// is trusted, every length and size is checked before data is viewed.
#include "pickle/numpy.h"

#include <algorithm>
#include <bit>
#include <string_view>

#include "pickle/error.h"
#include "reduce.h"

namespace pickle::numpy {
namespace {

// numpy 1.x names its pickling functions numpy.core.<sub>.<name>, numpy 2.x
// numpy._core.<sub>.<name>.
bool is_numpy_function(Value v, std::string_view submodule, std::string_view name) noexcept {
  if (!v.is_global()) return false;
  const Global& g = v.as_global();
  if (g.qualname() != name) return false;
  std::string_view m = g.module();
  for (std::string_view prefix : {std::string_view("numpy.core."), std::string_view("numpy._core.")}) {
    if (m.size() == prefix.size() + submodule.size() && m.substr(0, prefix.size()) == prefix &&
        m.substr(prefix.size()) == submodule) {
      return true;
    }
  }
  return false;
}

bool is_global_named(Value v, std::string_view module, std::string_view qualname) noexcept {
  return v.is_global() && v.as_global().module() == module && v.as_global().qualname() == qualname;
}

std::string describe(Value v) {
  if (v.is_object()) {
    Value c = v.as_object().callable();
    if (c.is_global()) return std::string(c.as_global().module()) + "." + std::string(c.as_global().qualname());
  }
  return type_name(v);
}

bool is_reconstruct(Value callable) noexcept { return is_numpy_function(callable, "multiarray", "_reconstruct"); }
bool is_frombuffer(Value callable) noexcept { return is_numpy_function(callable, "numeric", "_frombuffer"); }

// The arguments of an object, as a span (ValueError when they are not a tuple).
std::span<const Value> args_of(const Object& o, std::string_view what) {
  Value args = o.args();
  if (!args.is_tuple())
    fail(ErrorType::ValueError, "malformed " + std::string(what) + ": its arguments are not a tuple");
  const Tuple& t = args.as_tuple();
  return {t.begin(), t.end()};
}

// A small int (or bool), else an error naming `what`.
std::int64_t int_of(Value v, std::string_view what) {
  if (v.is_bool()) return v.as_bool() ? 1 : 0;
  if (v.is_small_int()) return v.as_int();
  if (v.is_int()) fail(ErrorType::OverflowError, std::string(what) + " out of range");
  fail(ErrorType::TypeError, std::string(what) + " must be an int, not " + describe(v));
}

// A one-line text argument: a str, or bytes (a Python 2 str loaded with encoding='bytes').
std::optional<std::string_view> text_of(Value v) {
  if (v.is_str()) return v.as_str().utf8();
  if (v.is_bytes()) return v.as_bytes().chars();
  return std::nullopt;
}

// The bytes of a str whose code points are all below 256 (Python 2 str data loaded with
// encoding='latin1'); nullopt when a code point is larger or the encoding is invalid.
std::optional<std::string> latin1_of(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size();) {
    const unsigned char c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else if ((c == 0xC2 || c == 0xC3) && i + 1 < utf8.size() &&
               (static_cast<unsigned char>(utf8[i + 1]) & 0xC0) == 0x80) {
      out.push_back(static_cast<char>(((c & 0x03) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3F)));
      i += 2;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

// Data given as bytes, or as a latin-1 str (converted into `storage`).
bool bytes_or_latin1(Value v, std::span<const std::uint8_t>& data, std::shared_ptr<const std::string>& storage,
                     std::string_view what) {
  if (v.is_bytes()) {
    data = v.as_bytes().view();
    return true;
  }
  if (v.is_str()) {
    std::optional<std::string> bytes = latin1_of(v.as_str().utf8());
    if (!bytes) {
      fail(ErrorType::ValueError, "Failed to encode latin1 string when unpickling a " + std::string(what) +
                                      ". pickle.load(a, encoding='latin1') is assumed.");
    }
    auto owned = std::make_shared<const std::string>(std::move(*bytes));
    data = std::span(reinterpret_cast<const std::uint8_t*>(owned->data()), owned->size());
    storage = std::move(owned);
    return true;
  }
  return false;
}

constexpr char kNative = std::endian::native == std::endian::little ? '<' : '>';

bool valid_unit(std::string_view u) {
  for (std::string_view known : {"Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as", "generic"}) {
    if (u == known) return true;
  }
  return false;
}

// "[10s]" / "[ns]" of a datetime typestr.
void parse_unit(std::string_view spec, Dtype& d, std::string_view typestr) {
  std::size_t i = 0;
  std::int64_t mult = 0;
  while (i < spec.size() && spec[i] >= '0' && spec[i] <= '9') {
    if (mult > 1000000000)
      fail(ErrorType::ValueError, "invalid datetime unit in numpy dtype '" + std::string(typestr) + "'");
    mult = mult * 10 + (spec[i++] - '0');
  }
  std::string_view unit = spec.substr(i);
  if (!valid_unit(unit) || (i > 0 && mult == 0)) {
    fail(ErrorType::ValueError, "invalid datetime unit in numpy dtype '" + std::string(typestr) + "'");
  }
  d.datetime_unit = std::string(unit);
  d.datetime_multiplier = i > 0 ? mult : 1;
}

// numpy.dtype's first argument as numpy pickles it: kind and size ("f8", "U5", "M8"),
// optionally after a byte order and, for datetimes, with a unit ("M8[ns]").
Dtype parse_typestr(std::string_view s) {
  const std::string quoted = "'" + std::string(s) + "'";
  Dtype d;
  std::size_t i = 0;
  char order = 0;
  if (i < s.size() && (s[i] == '<' || s[i] == '>' || s[i] == '|' || s[i] == '=')) order = s[i++];
  if (i == s.size()) fail(ErrorType::ValueError, "malformed numpy dtype " + quoted);
  d.kind = s[i++];
  std::size_t digits_end = i;
  std::uint64_t n = 0;
  while (digits_end < s.size() && s[digits_end] >= '0' && s[digits_end] <= '9') {
    if (n > (std::uint64_t{1} << 40)) fail(ErrorType::ValueError, "numpy dtype size too large in " + quoted);
    n = n * 10 + static_cast<std::uint64_t>(s[digits_end++] - '0');
  }
  const bool sized = digits_end > i;
  std::string_view rest = s.substr(digits_end);
  if (d.kind == 'M' || d.kind == 'm') {
    d.datetime_unit = "generic";
    if (!rest.empty()) {
      if (rest.size() < 3 || rest.front() != '[' || rest.back() != ']') {
        fail(ErrorType::ValueError, "malformed numpy dtype " + quoted);
      }
      parse_unit(rest.substr(1, rest.size() - 2), d, s);
    }
  } else if (!rest.empty()) {
    fail(ErrorType::NotImplementedError, "unsupported numpy dtype " + quoted);
  }
  auto size_in = [&](std::initializer_list<std::uint64_t> sizes) {
    if (!sized) return false;
    for (std::uint64_t k : sizes) {
      if (k == n) return true;
    }
    return false;
  };
  bool ok;
  switch (d.kind) {
    case 'b': ok = size_in({1}); break;
    case 'i':
    case 'u': ok = size_in({1, 2, 4, 8}); break;
    case 'f': ok = size_in({2, 4, 8, 10, 12, 16}); break;
    case 'c': ok = size_in({8, 16, 20, 24, 32}); break;
    case 'M':
    case 'm': ok = size_in({8}); break;
    case 'O': ok = size_in({4, 8}); break;
    case 'S':
    case 'V':
    case 'U': ok = true; break;
    default: fail(ErrorType::NotImplementedError, "unsupported numpy dtype " + quoted);
  }
  if (!ok) fail(ErrorType::ValueError, "invalid numpy dtype " + quoted);
  d.itemsize = static_cast<std::size_t>(d.kind == 'U' ? n * 4 : n);
  const bool no_order =
      d.kind == 'S' || d.kind == 'V' || d.kind == 'O' || d.kind == 'b' || (d.itemsize == 1 && d.kind != 'U');
  d.byte_order = no_order ? '|' : kNative;
  if (order && order != '|' && !no_order) d.byte_order = order == '=' ? kNative : order;
  return d;
}

// dtype.__setstate__(state): byte order, and for flexible types the item size; for
// datetimes the unit.
void apply_dtype_state(Dtype& d, Value state) {
  if (!state.is_tuple()) fail(ErrorType::ValueError, "malformed numpy.dtype state: not a tuple");
  const Tuple& t = state.as_tuple();
  const std::size_t n = t.size();
  if (n < 5 || n > 9) {
    fail(ErrorType::ValueError,
         "Invalid state while unpickling. Is the pickle corrupted or created with a newer NumPy version?");
  }
  std::span<const Value> s(t.begin(), t.end());
  std::int64_t version = 0;
  std::size_t k = 0;  // index of the byte order
  if (n >= 6) {
    version = int_of(s[0], "numpy.dtype state version");
    k = 1;
  }
  if (version < 0 || version > 4) {
    fail(ErrorType::ValueError, "can't handle version " + std::to_string(version) + " of numpy.dtype pickle");
  }
  Value endian = s[k], subarray = s[k + 1];
  Value names = n >= 7 ? s[3] : Value(), fields = n >= 7 ? s[4] : s[k + 2];
  Value elsize = n >= 7 ? s[5] : s[k + 3];
  std::optional<std::string_view> e = text_of(endian);
  if (!e) fail(ErrorType::ValueError, "endian is not a string in Numpy dtype unpickling");
  if (e->size() != 1) fail(ErrorType::ValueError, "endian is not 1-char string in Numpy dtype unpickling");
  const char order = (*e)[0];
  if (order != '<' && order != '>' && order != '|' && order != '=') {
    fail(ErrorType::ValueError, "invalid byte order '" + std::string(*e) + "' in numpy.dtype state");
  }
  if (!subarray.is_none()) fail(ErrorType::NotImplementedError, "numpy subarray dtypes are not supported");
  if (!names.is_none() || !fields.is_none()) {
    fail(ErrorType::NotImplementedError, "structured numpy dtypes (with fields) are not supported");
  }
  d.byte_order = order == '=' ? kNative : order;
  if (d.kind == 'S' || d.kind == 'U' || d.kind == 'V') {
    const std::int64_t size = int_of(elsize, "numpy.dtype item size");
    if (size < 0 || size > (std::int64_t{1} << 40) || (d.kind == 'U' && size % 4 != 0)) {
      fail(ErrorType::ValueError, "invalid item size " + std::to_string(size) + " in numpy.dtype state");
    }
    d.itemsize = static_cast<std::size_t>(size);
  }
  if (d.kind == 'M' || d.kind == 'm') {
    // (metadata dict or None, (unit, multiplier[, 1, 1]))
    Value meta = n == 9 ? s[8] : Value();
    if (!meta.is_tuple() || meta.as_tuple().size() != 2) {
      fail(ErrorType::ValueError, "Invalid datetime dtype (metadata, c_metadata): " + describe(meta));
    }
    Value info = meta.as_tuple()[1];
    if (!info.is_tuple() || (info.as_tuple().size() != 2 && info.as_tuple().size() != 4)) {
      fail(ErrorType::ValueError, "invalid datetime metadata in numpy.dtype state");
    }
    std::optional<std::string_view> unit = text_of(info.as_tuple()[0]);
    const std::int64_t mult = int_of(info.as_tuple()[1], "numpy datetime unit multiplier");
    if (!unit || !valid_unit(*unit) || mult < 1 || mult > (std::int64_t{1} << 31)) {
      fail(ErrorType::ValueError, "invalid datetime metadata in numpy.dtype state");
    }
    d.datetime_unit = std::string(*unit);
    d.datetime_multiplier = mult;
  }
}

Dtype dtype_from(Value v) {
  if (!is_dtype(v)) fail(ErrorType::TypeError, "expected numpy.dtype, got " + describe(v));
  const Object& o = v.as_object();
  if (!o.list_items().empty() || !o.dict_items().empty() || !o.set_items().empty()) {
    fail(ErrorType::ValueError, "malformed numpy.dtype: it has appended items");
  }
  std::span<const Value> args = args_of(o, "numpy.dtype");
  if (args.empty() || args.size() > 4) {
    fail(ErrorType::ValueError, "malformed numpy.dtype: expected 1 to 4 arguments, got " + std::to_string(args.size()));
  }
  std::optional<std::string_view> typestr = text_of(args[0]);
  if (!typestr) {
    if (args[0].is_global()) {
      fail(ErrorType::NotImplementedError, "numpy.dtype of " + describe(args[0]) + " is not supported");
    }
    fail(ErrorType::TypeError, "numpy.dtype() argument must be a type string, not " + describe(args[0]));
  }
  Dtype d = parse_typestr(*typestr);
  if (o.has_state() && !o.state().is_none()) apply_dtype_state(d, o.state());
  return d;
}

std::string shape_text(std::span<const std::int64_t> shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + (shape.size() == 1 ? ",)" : ")");
}

// The number of elements of a shape; ValueError when it overflows.
std::uint64_t element_count(std::span<const std::int64_t> shape) {
  std::uint64_t n = 1;
  bool overflow = false;
  for (std::int64_t dim : shape) {
    if (dim == 0) return 0;
    if (__builtin_mul_overflow(n, static_cast<std::uint64_t>(dim), &n) || n > (std::uint64_t{1} << 62)) overflow = true;
  }
  if (overflow)
    fail(ErrorType::ValueError,
         "array is too big; `arr.size * arr.dtype.itemsize` is larger than the maximum possible size.");
  return n;
}

std::uint64_t byte_count(std::uint64_t elements, std::size_t itemsize) {
  std::uint64_t n;
  if (__builtin_mul_overflow(elements, static_cast<std::uint64_t>(itemsize), &n) || n > (std::uint64_t{1} << 62)) {
    fail(ErrorType::ValueError,
         "array is too big; `arr.size * arr.dtype.itemsize` is larger than the maximum possible size.");
  }
  return n;
}

constexpr std::size_t kMaxDims = 64;

std::vector<std::int64_t> shape_of(Value v, bool allow_unknown) {
  std::vector<std::int64_t> shape;
  if (v.is_int() || v.is_bool()) {
    shape.push_back(int_of(v, "numpy array dimension"));
  } else if (v.is_tuple()) {
    if (v.as_tuple().size() > kMaxDims) {
      fail(ErrorType::ValueError, "maximum supported dimension for an ndarray is " + std::to_string(kMaxDims) +
                                      ", found " + std::to_string(v.as_tuple().size()));
    }
    for (Value x : v.as_tuple()) shape.push_back(int_of(x, "numpy array dimension"));
  } else {
    fail(ErrorType::TypeError, "numpy array shape must be a tuple of ints, not " + describe(v));
  }
  int unknown = 0;
  for (std::int64_t dim : shape) {
    if (dim == -1 && allow_unknown) {
      ++unknown;
    } else if (dim < 0) {
      fail(ErrorType::ValueError, "negative dimensions are not allowed");
    }
  }
  if (unknown > 1) fail(ErrorType::ValueError, "can only specify one unknown dimension");
  return shape;
}

// ndarray.__setstate__((version, shape, dtype, is_fortran, data)) or the 4-item form.
Array array_from_state(Value state) {
  if (!state.is_tuple()) fail(ErrorType::ValueError, "malformed numpy.ndarray state: not a tuple");
  const Tuple& t = state.as_tuple();
  std::span<const Value> s(t.begin(), t.end());
  if (s.size() == 5) {
    const std::int64_t version = int_of(s[0], "numpy.ndarray state version");
    if (version != 0 && version != 1) {
      fail(ErrorType::ValueError, "can't handle version " + std::to_string(version) + " of numpy.ndarray pickle");
    }
    s = s.subspan(1);
  } else if (s.size() != 4) {
    fail(ErrorType::ValueError,
         "malformed numpy.ndarray state: expected 4 or 5 items, got " + std::to_string(s.size()));
  }
  Array a;
  a.shape = shape_of(s[0], false);
  if (!s[0].is_tuple()) fail(ErrorType::TypeError, "numpy array shape must be a tuple of ints, not " + describe(s[0]));
  if (!is_dtype(s[1])) fail(ErrorType::TypeError, "expected numpy.dtype in numpy.ndarray state, got " + describe(s[1]));
  a.dtype = dtype_from(s[1]);
  a.fortran_order = int_of(s[2], "numpy.ndarray state is_fortran") != 0;
  const std::uint64_t count = element_count(a.shape);
  if (a.dtype.is_object()) {
    if (!s[3].is_list()) fail(ErrorType::TypeError, "object pickle not returning list");
    const List& items = s[3].as_list();
    if (items.size() != count) {
      fail(ErrorType::ValueError, "object array pickle has " + std::to_string(items.size()) + " items for " +
                                      std::to_string(count) + " elements");
    }
    a.objects = std::span<const Value>(items.begin(), items.end());
    return a;
  }
  if (!bytes_or_latin1(s[3], a.data, a.storage, "Numpy array")) {
    fail(ErrorType::TypeError, "pickle not returning string");
  }
  if (a.data.size() != byte_count(count, a.dtype.itemsize)) {
    fail(ErrorType::ValueError, "buffer size does not match array size");
  }
  return a;
}

// _frombuffer(buf, dtype, shape, order): frombuffer(buf, dtype).reshape(shape, order).
Array array_from_buffer(const Object& o) {
  std::span<const Value> args = args_of(o, "numpy.ndarray");
  if (args.size() != 4) {
    fail(ErrorType::TypeError,
         "_frombuffer() takes 4 positional arguments but " + std::to_string(args.size()) + " were given");
  }
  Array a;
  Value buf = args[0];
  if (buf.is_bytes() || buf.kind() == Kind::ByteArray) {
    a.data = buf.as_bytes().view();
  } else if (buf.kind() == Kind::Buffer) {
    a.data = buf.as_buffer().view();
  } else {
    fail(ErrorType::TypeError, "a bytes-like object is required, not '" + type_name(buf) + "'");
  }
  if (!is_dtype(args[1])) fail(ErrorType::TypeError, "expected numpy.dtype, got " + describe(args[1]));
  a.dtype = dtype_from(args[1]);
  if (a.dtype.is_object()) fail(ErrorType::ValueError, "cannot create an OBJECT array from memory buffer");
  if (a.dtype.itemsize == 0) fail(ErrorType::ValueError, "itemsize cannot be zero in type");
  if (a.data.size() % a.dtype.itemsize != 0) {
    fail(ErrorType::ValueError, "buffer size must be a multiple of element size");
  }
  const std::uint64_t total = a.data.size() / a.dtype.itemsize;
  a.shape = shape_of(args[2], true);
  std::optional<std::size_t> unknown;
  std::vector<std::int64_t> known;
  for (std::size_t i = 0; i < a.shape.size(); ++i) {
    if (a.shape[i] == -1) {
      unknown = i;
    } else {
      known.push_back(a.shape[i]);
    }
  }
  const std::uint64_t count = element_count(known);
  if (unknown) {
    if (count == 0 || total % count != 0) {
      fail(ErrorType::ValueError,
           "cannot reshape array of size " + std::to_string(total) + " into shape " + shape_text(a.shape));
    }
    a.shape[*unknown] = static_cast<std::int64_t>(total / count);
  } else if (count != total) {
    fail(ErrorType::ValueError,
         "cannot reshape array of size " + std::to_string(total) + " into shape " + shape_text(a.shape));
  }
  std::optional<std::string_view> order = text_of(args[3]);
  if (!args[3].is_str() || (*order != "C" && *order != "F" && *order != "A")) {
    fail(ErrorType::ValueError, "order must be one of 'C', 'F', 'A' (got " + describe(args[3]) + ")");
  }
  // A reshaped 1-d array: 'A' keeps C order. Fortran order only matters above one dimension.
  a.fortran_order = *order == "F" && a.shape.size() > 1;
  return a;
}

}  // namespace

std::string Dtype::str() const {
  if (kind == 'O') return "|O";
  std::string s(1, byte_order);
  s += kind;
  s += std::to_string(kind == 'U' ? itemsize / 4 : itemsize);
  if ((kind == 'M' || kind == 'm') && !datetime_unit.empty() && datetime_unit != "generic") {
    s += "[";
    if (datetime_multiplier != 1) s += std::to_string(datetime_multiplier);
    s += datetime_unit + "]";
  }
  return s;
}

std::size_t Array::size() const noexcept {
  std::size_t n = 1;
  for (std::int64_t dim : shape) n *= static_cast<std::size_t>(dim);
  return n;
}

bool is_dtype(Value v) noexcept {
  return v.is_object() && v.as_object().how() != Object::How::Reconstructor &&
         is_global_named(v.as_object().callable(), "numpy", "dtype");
}

bool is_array(Value v) noexcept {
  if (!v.is_object() || v.as_object().how() != Object::How::Reduce) return false;
  Value c = v.as_object().callable();
  return is_reconstruct(c) || is_frombuffer(c);
}

bool is_scalar(Value v) noexcept {
  return v.is_object() && v.as_object().how() == Object::How::Reduce &&
         is_numpy_function(v.as_object().callable(), "multiarray", "scalar");
}

std::optional<Dtype> as_dtype(Value v) { return is_dtype(v) ? try_to<Dtype>(v) : std::nullopt; }
std::optional<Array> as_array(Value v) { return is_array(v) ? try_to<Array>(v) : std::nullopt; }
std::optional<Scalar> as_scalar(Value v) { return is_scalar(v) ? try_to<Scalar>(v) : std::nullopt; }

}  // namespace pickle::numpy

namespace pickle {

numpy::Dtype converter<numpy::Dtype>::from_python(Value v) { return numpy::dtype_from(v); }

numpy::Array converter<numpy::Array>::from_python(Value v) {
  if (!numpy::is_array(v)) throw Error(ErrorType::TypeError, "expected numpy.ndarray, got " + numpy::describe(v));
  const Object& o = v.as_object();
  if (!o.list_items().empty() || !o.dict_items().empty() || !o.set_items().empty()) {
    throw Error(ErrorType::ValueError, "malformed numpy.ndarray: it has appended items");
  }
  if (numpy::is_frombuffer(o.callable())) {
    // A BUILD after _frombuffer would replace the array's contents (ndarray.__setstate__).
    if (o.has_state() && !o.state().is_none()) return numpy::array_from_state(o.state());
    return numpy::array_from_buffer(o);
  }
  std::span<const Value> args = numpy::args_of(o, "numpy.ndarray");
  if (args.size() != 3) {
    throw Error(ErrorType::ValueError,
                "malformed numpy.ndarray: _reconstruct takes 3 arguments, got " + std::to_string(args.size()));
  }
  if (!numpy::is_global_named(args[0], "numpy", "ndarray")) {
    if (args[0].is_global()) {
      throw Error(ErrorType::NotImplementedError,
                  "numpy.ndarray subclass " + numpy::describe(args[0]) + " is not supported");
    }
    throw Error(ErrorType::TypeError, "_reconstruct: first argument must be a type, not " + numpy::describe(args[0]));
  }
  if (!o.has_state() || o.state().is_none()) {
    throw Error(ErrorType::ValueError, "malformed numpy.ndarray: no state after _reconstruct");
  }
  return numpy::array_from_state(o.state());
}

numpy::Scalar converter<numpy::Scalar>::from_python(Value v) {
  if (!numpy::is_scalar(v)) throw Error(ErrorType::TypeError, "expected numpy scalar, got " + numpy::describe(v));
  const Object& o = v.as_object();
  if ((o.has_state() && !o.state().is_none()) || !o.list_items().empty() || !o.dict_items().empty() ||
      !o.set_items().empty()) {
    throw Error(ErrorType::ValueError, "malformed numpy scalar: it has a BUILD state or appended items");
  }
  std::span<const Value> args = numpy::args_of(o, "numpy scalar");
  if (args.empty() || args.size() > 2) {
    throw Error(ErrorType::TypeError, "scalar() takes 1 or 2 arguments, got " + std::to_string(args.size()));
  }
  if (!numpy::is_dtype(args[0])) {
    throw Error(ErrorType::TypeError, "scalar() argument 1 must be numpy.dtype, not " + numpy::describe(args[0]));
  }
  numpy::Scalar s;
  s.dtype = numpy::dtype_from(args[0]);
  if (s.dtype.is_object()) {
    if (args.size() == 2) s.object = args[1];
    return s;
  }
  if (args.size() < 2 || !numpy::bytes_or_latin1(args[1], s.data, s.storage, "numpy scalar")) {
    throw Error(ErrorType::TypeError, "initializing object must be a bytes object");
  }
  if (s.data.size() < s.dtype.itemsize) throw Error(ErrorType::ValueError, "initialization string is too small");
  s.data = s.data.first(s.dtype.itemsize);
  return s;
}

}  // namespace pickle

namespace pickle::detail {

bool is_numpy_dtype_class(const Global& g) noexcept { return g.module() == "numpy" && g.qualname() == "dtype"; }

namespace {

// A value as numpy's reduce functions build it anew: strs and tuples fresh (a str of one
// Latin-1 character is CPython's shared one), numbers and None as they are.
Value rebuilt(Value v, Graph& scratch) {
  if (v.is_str()) return scratch.shared_or_new_str(v.as_str().utf8());
  if (!v.is_tuple()) return v;
  std::vector<Value> items;
  for (Value item : v.as_tuple()) items.push_back(rebuilt(item, scratch));
  return items.empty() ? scratch.empty_tuple() : scratch.new_tuple(items);
}

// The new dtype array_setstate makes for data of the other byte order: `dtype` (a
// numpy.dtype(...) + BUILD object that numpy.h read) with the native order in its state.
Value native_order_dtype(Value dtype, Graph& scratch) {
  if (!dtype.is_object() || !dtype.as_object().has_state() || !dtype.as_object().state().is_tuple() ||
      dtype.as_object().state().as_tuple().size() < 2) {
    return Value();
  }
  const Object& d = dtype.as_object();
  Value native = scratch.new_object(Object::How::Reduce, d.callable(), rebuilt(d.args(), scratch));
  std::vector<Value> state;
  for (Value item : d.state().as_tuple()) state.push_back(rebuilt(item, scratch));
  state[1] = scratch.shared_or_new_str(std::endian::native == std::endian::little ? "<" : ">");
  native.as_object().set_state(scratch.new_tuple(state));
  return native;
}

// An int of a tuple, or -1.
std::int64_t int_item(const Tuple& t, std::size_t i) {
  return i < t.size() && t[i].is_small_int() ? t[i].as_int() : -1;
}

// The parts of a structured array that its reduction needs, read from either form
// (pickle/numpy.h, which reads only single-type dtypes, refuses these): dtype.kind 'V'
// ('M' when a field is a datetime64 or timedelta64, which export no buffer), itemsize,
// shape, order and the records' bytes. nullopt for anything else, fields holding objects
// included (their arrays keep the _reconstruct form at every protocol).
std::optional<numpy::Array> structured_array(const Object& o, bool frombuffer) {
  if (!o.args().is_tuple()) return std::nullopt;
  const Tuple& args = o.args().as_tuple();
  Value dtype, shape, data;
  bool fortran = false;
  if (frombuffer) {
    if (args.size() != 4 || !args[3].is_str()) return std::nullopt;
    data = args[0];
    dtype = args[1];
    shape = args[2];
    fortran = args[3].as_str().utf8() == "F";
  } else {
    if (args.size() != 3 || !numpy::is_global_named(args[0], "numpy", "ndarray") || !o.has_state() ||
        !o.state().is_tuple() || o.state().as_tuple().size() != 5 || int_item(o.state().as_tuple(), 0) != 1) {
      return std::nullopt;
    }
    const Tuple& state = o.state().as_tuple();
    shape = state[1];
    dtype = state[2];
    if (!state[3].is_bool()) return std::nullopt;
    fortran = state[3].as_bool();
    data = state[4];
  }
  // numpy.dtype('V<n>', False, True) + BUILD (3, '|', None, names, fields, elsize, alignment, flags).
  if (!dtype.is_object() || !numpy::is_global_named(dtype.as_object().callable(), "numpy", "dtype") ||
      !dtype.as_object().has_state() || !dtype.as_object().state().is_tuple()) {
    return std::nullopt;
  }
  const Tuple& ds = dtype.as_object().state().as_tuple();
  // flags & NPY_ITEM_REFCOUNT: a field holds objects.
  if (ds.size() != 8 || !ds[3].is_tuple() || !ds[4].is_dict() || int_item(ds, 5) <= 0 || int_item(ds, 7) < 0 ||
      (int_item(ds, 7) & 0x01)) {
    return std::nullopt;
  }
  numpy::Array a;
  a.dtype.byte_order = '|';
  a.dtype.kind = 'V';
  a.dtype.itemsize = static_cast<std::size_t>(int_item(ds, 5));
  for (const Dict::Entry& field : ds[4].as_dict()) {
    // (dtype, offset[, title]); a field's dtype is numpy.dtype(typestr, ...).
    if (!field.value.is_tuple() || field.value.as_tuple().size() < 2) return std::nullopt;
    Value fd = field.value.as_tuple()[0];
    if (!fd.is_object() || !fd.as_object().args().is_tuple() || fd.as_object().args().as_tuple().size() < 1 ||
        !fd.as_object().args().as_tuple()[0].is_str()) {
      return std::nullopt;
    }
    std::string_view typestr = fd.as_object().args().as_tuple()[0].as_str().utf8();
    if (typestr.starts_with("V")) return std::nullopt;  // nested structured or subarray
    if ((typestr.starts_with("M") || typestr.starts_with("m")) && a.dtype.kind == 'V') a.dtype.kind = 'M';
  }
  if (!shape.is_tuple()) return std::nullopt;
  for (Value d : shape.as_tuple()) {
    if (!d.is_small_int() || d.as_int() < 0) return std::nullopt;
    a.shape.push_back(d.as_int());
  }
  a.fortran_order = fortran;
  if (data.is_bytes()) {
    a.data = data.as_bytes().view();
  } else if (data.is_bytearray()) {
    a.data = data.as_bytearray().view();
  } else {
    return std::nullopt;
  }
  if (a.data.size() != numpy::element_count(a.shape) * a.dtype.itemsize) return std::nullopt;
  return a;
}

}  // namespace

std::optional<ReduceValue> reduce_numpy_array(Value obj, int proto, Graph& scratch) {
  const Object& o = obj.as_object();
  const bool frombuffer = numpy::is_frombuffer(o.callable());
  if (!frombuffer && !numpy::is_reconstruct(o.callable())) return std::nullopt;
  numpy::Array a;
  try {
    a = to<numpy::Array>(obj);
  } catch (const Error&) {
    std::optional<numpy::Array> structured;
    try {
      structured = structured_array(o, frombuffer);
    } catch (const Error&) {  // a shape too large
    }
    if (!structured) return std::nullopt;  // not an array read here: written as loaded
    a = std::move(*structured);
  }
  // array_reduce_ex: the PickleBuffer form for contiguous arrays without objects, of a
  // nonzero itemsize, from protocol 5 (every loaded array is contiguous); datetime64 and
  // timedelta64 arrays export no buffer, and fall back to the other form.
  const bool exports_buffer = a.dtype.kind != 'M' && a.dtype.kind != 'm';
  const bool buffer_form = proto >= 5 && !a.dtype.is_object() && a.dtype.itemsize > 0 && exports_buffer;
  // ndarray.__setstate__ (methods.c array_setstate) byte-swaps data of the other byte
  // order into a new dtype of the native one; _frombuffer keeps the order.
  const char foreign = std::endian::native == std::endian::little ? '>' : '<';
  const bool swap = !frombuffer && a.dtype.byte_order == foreign;
  if ((buffer_form == frombuffer && !swap) || (frombuffer && o.has_state() && !o.state().is_none())) {
    return std::nullopt;
  }
  // PyArray_ISFORTRAN: Fortran-contiguous and not C-contiguous, which needs two
  // dimensions longer than 1 (numpy ignores dimensions of length 1) and some element.
  const auto longer = std::count_if(a.shape.begin(), a.shape.end(), [](std::int64_t d) { return d > 1; });
  const bool fortran_only = a.fortran_order && longer >= 2 && a.size() > 0;
  // The dtype and shape objects in the graph: arguments of _frombuffer, or the state.
  const Tuple& parts = (frombuffer ? o.args() : o.state()).as_tuple();
  Value dtype = frombuffer ? parts[1] : parts[2];
  std::span<const std::uint8_t> data = a.data;
  std::vector<std::uint8_t> swapped;
  if (swap) {
    dtype = native_order_dtype(dtype, scratch);
    if (dtype.is_none()) return std::nullopt;
    // Each number swapped: a complex's two halves apart, a str's UCS-4 characters.
    const std::size_t unit = a.dtype.kind == 'c' ? a.dtype.itemsize / 2 : a.dtype.kind == 'U' ? 4 : a.dtype.itemsize;
    swapped.assign(data.begin(), data.end());
    for (std::size_t i = 0; unit > 1 && i + unit <= swapped.size(); i += unit) {
      std::reverse(swapped.begin() + static_cast<std::ptrdiff_t>(i),
                   swapped.begin() + static_cast<std::ptrdiff_t>(i + unit));
    }
    data = swapped;
  }
  std::vector<Value> dims;
  for (std::int64_t d : a.shape) dims.push_back(Value::integer(d));
  const Value shape = dims.empty() ? scratch.empty_tuple() : scratch.new_tuple(dims);  // self.shape: new
  // numpy 1.x and 2.x name the functions after their package (numpy.core, numpy._core).
  const std::string_view module = o.callable().as_global().module();
  const std::string package(module.substr(0, module.rfind('.') + 1));
  ReduceValue rv;
  if (buffer_form) {
    rv.callable = scratch.global(package + "numeric", "_frombuffer");
    // A writable array's PickleBuffer, written in band: a bytearray.
    Value args[] = {scratch.new_bytearray(data), dtype, shape, scratch.shared_or_new_str(fortran_only ? "F" : "C")};
    rv.args = scratch.new_tuple(args);
    return rv;
  }
  rv.callable = scratch.global(package + "multiarray", "_reconstruct");
  const Value zero[] = {Value::integer(0)};
  const std::uint8_t b = 'b';
  Value args[] = {scratch.global("numpy", "ndarray"), scratch.new_tuple(zero), scratch.shared_or_new_bytes({&b, 1})};
  rv.args = scratch.new_tuple(args);
  Value state[] = {Value::integer(1), shape, dtype, Value::boolean(fortran_only), scratch.shared_or_new_bytes(data)};
  rv.state = scratch.new_tuple(state);
  return rv;
}

}  // namespace pickle::detail
