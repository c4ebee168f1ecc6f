// pickle/numpy.h: typed views of pickled numpy arrays, scalars and dtypes.
//
// numpy objects load as inert pickle::Object nodes (nothing is imported). These views read
// them as numpy's __setstate__ / _frombuffer / scalar() would, without numpy:
//
//   pickle::Graph g = pickle::loads(bytes);          // pickle.dumps(np.arange(6.).reshape(2, 3))
//   auto a = pickle::to<pickle::numpy::Array>(g.root());
//   a.dtype.str();                                    // "<f8"
//   a.shape;                                          // {2, 3}
//   a.data;                                           // 48 bytes, C order, little-endian doubles
//
// Recognized forms, numpy 1.x and 2.x names (numpy.core.* and numpy._core.*):
// * `multiarray._reconstruct(numpy.ndarray, (0,), b'b')` + BUILD (version, shape, dtype,
//   is_fortran, data): protocols 0-4, and protocol 5 for object arrays and arrays that are
//   not contiguous (which numpy pickles as contiguous copies). `data` is bytes (protocols
//   0-2 write them as _codecs.encode(str, 'latin1'), which loads as bytes), a str of code
//   points below 256 (Python 2 pickles loaded with encoding='latin1'), or for object
//   arrays a list of the items.
// * `numeric._frombuffer(buffer, dtype, shape, order)`: protocol 5, the buffer in band
//   (bytearray, or bytes for a read-only array) or out of band (a pickle::Buffer from
//   UnpicklerOptions::buffers).
// * `multiarray.scalar(dtype, data)`: numpy scalars (np.float64(1.5), np.str_('ab'), ...).
// * `numpy.dtype(typestr, align, copy)` + BUILD (version 0-4 state).
// Structured dtypes (fields), subarray dtypes, numpy.dtype of a type object (np.record)
// and ndarray subclasses (np.matrix, masked arrays) are refused with NotImplementedError
// or TypeError. Malformed objects are a pickle::Error (ValueError, TypeError), never
// undefined behaviour: every length, shape and size is checked.
//
// Lifetime: `data` and `objects` point into the Graph (or into the caller's out-of-band
// buffer, or, for a converted Python 2 str, into `storage`): valid while the Graph (and
// buffer) live and the bytearray holding the data is not changed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pickle/convert.h"
#include "pickle/value.h"

namespace pickle::numpy {

/// A numpy dtype of a single (non-structured) type.
struct Dtype {
  /// '<' little-endian, '>' big-endian, '|' not applicable (one-byte types, 'S', 'V',
  /// 'O'). A native '=' in a pickle is reported as this machine's order.
  char byte_order = '|';
  /// numpy's dtype.kind: 'b' bool, 'i' signed int, 'u' unsigned int, 'f' float,
  /// 'c' complex, 'M' datetime64, 'm' timedelta64, 'S' bytes, 'U' str (UCS-4),
  /// 'V' void, 'O' object.
  char kind = 'f';
  /// Bytes per element (dtype.itemsize); for 'U', 4 per character.
  std::size_t itemsize = 8;
  /// 'M' and 'm': the unit ("Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps",
  /// "fs", "as", or "generic") and its multiplier: M8[10s] is {"s", 10}.
  std::string datetime_unit;
  std::int64_t datetime_multiplier = 1;

  /// numpy's dtype.str: "<f8", "|u1", "|b1", "<U5", "|S3", "|O", "<M8[ns]", "<m8[10s]",
  /// "<M8" (generic unit), "|V16", ">c16".
  std::string str() const;
  bool is_object() const noexcept { return kind == 'O'; }
  friend bool operator==(const Dtype&, const Dtype&) = default;
};

/// numpy.ndarray.
struct Array {
  Dtype dtype;
  /// Dimensions (empty for a 0-d array).
  std::vector<std::int64_t> shape;
  /// True when `data` is in Fortran (column-major) order, else C (row-major) order.
  bool fortran_order = false;
  /// The elements' bytes in the dtype's byte order: size() * dtype.itemsize bytes.
  /// Empty for object arrays.
  std::span<const std::uint8_t> data;
  /// Object arrays (dtype 'O'): the items, size() of them, in C order (numpy pickles them
  /// so even when fortran_order is set). Empty otherwise.
  std::span<const Value> objects;
  /// Owns `data` when it had to be converted (a Python 2 str); null otherwise.
  std::shared_ptr<const std::string> storage;

  /// Number of elements: the product of the shape (1 for 0-d).
  std::size_t size() const noexcept;
};

/// A numpy scalar (numpy.float64(1.5), numpy.int8(-3), numpy.str_('ab'), numpy.datetime64).
struct Scalar {
  Dtype dtype;
  /// dtype.itemsize bytes in the dtype's byte order (non-object dtypes).
  std::span<const std::uint8_t> data;
  /// Object dtype: the object.
  Value object;
  std::shared_ptr<const std::string> storage;  ///< as Array::storage
};

/// True when `v` was built by the callable of the form (its state is not checked).
bool is_dtype(Value v) noexcept;
bool is_array(Value v) noexcept;
bool is_scalar(Value v) noexcept;

/// The view, or nullopt when `v` is not such an object or is malformed.
std::optional<Dtype> as_dtype(Value v);
std::optional<Array> as_array(Value v);
std::optional<Scalar> as_scalar(Value v);

}  // namespace pickle::numpy

namespace pickle {

template <>
struct converter<numpy::Dtype> {
  static numpy::Dtype from_python(Value v);
};
template <>
struct converter<numpy::Array> {
  static numpy::Array from_python(Value v);
};
template <>
struct converter<numpy::Scalar> {
  static numpy::Scalar from_python(Value v);
};

}  // namespace pickle
