// Typed views of numpy arrays, scalars and dtypes (pickle/numpy.h):
// * every numpy case of golden/typed_view_cases.tsv (gen_typed_view_cases.py: numpy 1.24
//   pickles at protocols 0-5, in-band and out-of-band buffers, numpy 2.x names, Python 2
//   forms) reads back the dtype, shape, order and data numpy pickled;
// * malformed objects built by hand are a pickle::Error of the right class, never a crash.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "pickle/error.h"
#include "pickle/numpy.h"
#include "pickle/stdlib.h"
#include "pickle/unpickler.h"
#include "conversion_checks.h"
#include "text_golden.h"

namespace {

using pickle::ErrorType;
using pickle::Graph;
using pickle::Value;
namespace np = pickle::numpy;

std::string hex_of(std::span<const std::uint8_t> data) {
  return text_golden::hex(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

std::string render(const np::Dtype& d) {
  std::string s = d.str() + " kind=" + std::string(1, d.kind) + " itemsize=" + std::to_string(d.itemsize);
  if (d.kind == 'M' || d.kind == 'm') {
    s += " unit=" + d.datetime_unit + " mult=" + std::to_string(d.datetime_multiplier);
  }
  return s;
}

// Items of object arrays: stdlib objects as gen_typed_view_cases.render_item tags them.
std::string render_item(Value v) {
  if (pickle::is_deque(v)) {
    pickle::Deque d = pickle::to<pickle::Deque>(v);
    std::string s = "<deque:maxlen=" + (d.maxlen ? std::to_string(*d.maxlen) : std::string("None")) + " items=[";
    for (std::size_t i = 0; i < d.items.size(); ++i) s += (i ? ", " : "") + render_item(d.items[i]);
    return s + "]>";
  }
  if (pickle::is_decimal(v)) {
    pickle::Decimal d = pickle::to<pickle::Decimal>(v);
    std::string exp = d.form == pickle::Decimal::Form::Finite     ? std::to_string(d.exponent)
                      : d.form == pickle::Decimal::Form::Infinity ? "F"
                      : d.form == pickle::Decimal::Form::NaN      ? "n"
                                                                  : "N";
    return "<decimal:" + d.str() + "|" + (d.negative ? "1" : "0") + "|" + exp + "|" + d.digits + ">";
  }
  return pickle::repr(v);
}

std::string render(const np::Array& a) {
  std::string s = "dtype=" + render(a.dtype) + " shape=";
  for (std::size_t i = 0; i < a.shape.size(); ++i) s += (i ? "," : "") + std::to_string(a.shape[i]);
  s += " fortran=" + std::string(a.fortran_order ? "1" : "0");
  if (a.dtype.is_object()) {
    s += " items=[";
    for (std::size_t i = 0; i < a.objects.size(); ++i) s += (i ? ", " : "") + render_item(a.objects[i]);
    return s + "]";
  }
  return s + " data=" + hex_of(a.data);
}

std::string render(const np::Scalar& s) { return "dtype=" + render(s.dtype) + " data=" + hex_of(s.data); }

using Case = text_golden::TypedViewCase;

const std::vector<Case>& cases() { return text_golden::typed_view_cases(); }

std::optional<np::Array> as_optional(const np::Array&, Value v) { return np::as_array(v); }
std::optional<np::Scalar> as_optional(const np::Scalar&, Value v) { return np::as_scalar(v); }
std::optional<np::Dtype> as_optional(const np::Dtype&, Value v) { return np::as_dtype(v); }

template <class T>
void check_case(const Case& c) {
  SCOPED_TRACE(c.name + " (line " + std::to_string(c.line) + ")");
  pickle::UnpicklerOptions o;
  if (c.encoding != "-") o.encoding = c.encoding;
  std::vector<std::string> buffers;  // outlive the graph
  if (c.buffers != "-") {
    std::vector<pickle::OutOfBandBuffer> oob;
    std::stringstream ss(c.buffers);
    std::string field;
    while (std::getline(ss, field, ',')) buffers.push_back(field);
    if (c.buffers.back() == ',') buffers.emplace_back();
    for (std::string& b : buffers) {
      const bool readonly = !b.empty() && b[0] == 'r';
      b = text_golden::unhex(b.substr(1));
      oob.push_back({std::span(reinterpret_cast<const std::uint8_t*>(b.data()), b.size()), readonly});
    }
    o.buffers = std::move(oob);
  }
  Graph g = pickle::loads(c.input, o);
  EXPECT_EQ(render(pickle::to<T>(g.root())), c.expected);
  EXPECT_TRUE(as_optional(T{}, g.root()));
}

TEST(NumpyGolden, EveryCase) {
  std::map<std::string, int> seen;
  int numpy2 = 0, python2 = 0, out_of_band = 0;
  for (const Case& c : cases()) {
    try {
      if (c.type == "ndarray") {
        check_case<np::Array>(c);
      } else if (c.type == "npscalar") {
        check_case<np::Scalar>(c);
      } else if (c.type == "dtype") {
        check_case<np::Dtype>(c);
      } else {
        continue;
      }
    } catch (const pickle::Error& e) {
      ADD_FAILURE() << c.name << " (line " << c.line << "): " << e.what();
    }
    ++seen[c.type];
    numpy2 += c.name.find(".numpy2.") != std::string::npos;
    python2 += c.name.find(".py2.") != std::string::npos;
    out_of_band += c.buffers != "-";
  }
  EXPECT_GT(seen["ndarray"], 300);
  EXPECT_GT(seen["npscalar"], 80);
  EXPECT_GT(seen["dtype"], 80);
  EXPECT_GT(numpy2, 80);
  EXPECT_GT(python2, 80);
  EXPECT_GT(out_of_band, 30);
}

// ---------------------------------------------------------------------------------------
// Objects built by hand

Value tuple(Graph& g, std::vector<Value> items) { return g.new_tuple(items); }
Value i(std::int64_t n) { return Value::integer(n); }

Value dtype(Graph& g, std::string_view typestr, Value state = Value()) {
  Value d = g.new_object(pickle::Object::How::Reduce, g.global("numpy", "dtype"),
                         tuple(g, {g.new_str(typestr), Value::boolean(false), Value::boolean(true)}));
  if (!state.is_none()) d.as_object().set_state(state);
  return d;
}

Value dtype_state(Graph& g, std::string_view order, Value elsize = i(-1), Value fields = Value()) {
  return tuple(g, {i(3), g.new_str(order), Value(), fields, fields, elsize, i(-1), i(0)});
}

Value reconstructed(Graph& g, Value state, std::string_view module = "numpy.core.multiarray") {
  Value a =
      g.new_object(pickle::Object::How::Reduce, g.global(module, "_reconstruct"),
                   tuple(g, {g.global("numpy", "ndarray"), tuple(g, {i(0)}), g.new_bytes(std::string_view("b"))}));
  if (!state.is_none()) a.as_object().set_state(state);
  return a;
}

Value frombuffer(Graph& g, Value buf, Value dt, Value shape, Value order) {
  return g.new_object(pickle::Object::How::Reduce, g.global("numpy._core.numeric", "_frombuffer"),
                      tuple(g, {buf, dt, shape, order}));
}

TEST(Numpy, Dtypes) {
  Graph g;
  EXPECT_EQ(pickle::to<np::Dtype>(dtype(g, "f8")).str(), "<f8");
  EXPECT_EQ(pickle::to<np::Dtype>(dtype(g, "f8", dtype_state(g, ">"))).str(), ">f8");
  EXPECT_EQ(pickle::to<np::Dtype>(dtype(g, "i4", dtype_state(g, "="))).str(), "<i4");  // native (x86)
  EXPECT_EQ(pickle::to<np::Dtype>(dtype(g, "b1")).str(), "|b1");
  EXPECT_EQ(pickle::to<np::Dtype>(dtype(g, "O8")).str(), "|O");
  EXPECT_EQ(pickle::to<np::Dtype>(dtype(g, "U5")).str(), "<U5");
  EXPECT_EQ(pickle::to<np::Dtype>(dtype(g, "U5")).itemsize, 20u);
  EXPECT_EQ(pickle::to<np::Dtype>(dtype(g, "M8[10s]")).str(), "<M8[10s]");
  EXPECT_EQ(pickle::to<np::Dtype>(dtype(g, "S3", dtype_state(g, "|", i(7)))).str(), "|S7");
  EXPECT_EQ(conversion_error<np::Dtype>(dtype(g, "U5", dtype_state(g, "<", i(6)))), ErrorType::ValueError);
  EXPECT_EQ(conversion_error<np::Dtype>(dtype(g, "i3")), ErrorType::ValueError);
  EXPECT_EQ(conversion_error<np::Dtype>(dtype(g, "x9")), ErrorType::NotImplementedError);
  EXPECT_EQ(conversion_error<np::Dtype>(dtype(g, "float64")), ErrorType::NotImplementedError);
  EXPECT_EQ(conversion_error<np::Dtype>(dtype(g, "")), ErrorType::ValueError);
  EXPECT_EQ(conversion_error<np::Dtype>(dtype(g, "M8[xs]")), ErrorType::ValueError);
  EXPECT_EQ(conversion_error<np::Dtype>(dtype(g, "f8", dtype_state(g, "<<"))), ErrorType::ValueError);
  EXPECT_EQ(conversion_error<np::Dtype>(dtype(g, "f8", dtype_state(g, "x"))), ErrorType::ValueError);
  EXPECT_EQ(conversion_error<np::Dtype>(dtype(g, "f8", tuple(g, {i(1), i(2)}))), ErrorType::ValueError);
  EXPECT_EQ(conversion_error<np::Dtype>(
                dtype(g, "f8", tuple(g, {i(9), g.new_str("<"), Value(), Value(), Value(), i(-1), i(-1), i(0)}))),
            ErrorType::ValueError);
  // Structured and subarray dtypes are refused.
  EXPECT_EQ(conversion_error<np::Dtype>(dtype(g, "V8", dtype_state(g, "|", i(8), g.new_dict()))),
            ErrorType::NotImplementedError);
  EXPECT_EQ(conversion_error<np::Dtype>(
                dtype(g, "V8", tuple(g, {i(3), g.new_str("|"), tuple(g, {}), Value(), Value(), i(8), i(1), i(0)}))),
            ErrorType::NotImplementedError);
  // A datetime dtype needs its unit metadata in a version-4 state.
  EXPECT_EQ(conversion_error<np::Dtype>(dtype(g, "M8", dtype_state(g, "<"))), ErrorType::ValueError);
  Value dt_meta = tuple(g, {Value(), tuple(g, {g.new_bytes(std::string_view("us")), i(5), i(1), i(1)})});
  Value m8 = dtype(g, "M8", tuple(g, {i(4), g.new_str("<"), Value(), Value(), Value(), i(-1), i(-1), i(0), dt_meta}));
  EXPECT_EQ(pickle::to<np::Dtype>(m8).str(), "<M8[5us]");
  EXPECT_EQ(conversion_error<np::Dtype>(Value::integer(1)), ErrorType::TypeError);
  EXPECT_FALSE(np::as_dtype(g.new_str("f8")));
}

TEST(Numpy, ArraysBuiltByHand) {
  Graph g;
  Value f8 = dtype(g, "f8", dtype_state(g, "<"));
  Value data = g.new_bytes(std::string(48, '\0'));
  Value ok = reconstructed(g, tuple(g, {i(1), tuple(g, {i(2), i(3)}), f8, Value::boolean(true), data}));
  np::Array a = pickle::to<np::Array>(ok);
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_TRUE(a.fortran_order);
  EXPECT_EQ(a.size(), 6u);
  EXPECT_EQ(a.data.size(), 48u);
  EXPECT_EQ(a.data.data(), data.as_bytes().view().data());  // a view, no copy
  // The 4-item state of old numpy versions.
  EXPECT_NO_THROW(pickle::to<np::Array>(reconstructed(g, tuple(g, {tuple(g, {i(6)}), f8, i(0), data}))));
  // numpy 2.x names.
  EXPECT_NO_THROW(pickle::to<np::Array>(
      reconstructed(g, tuple(g, {i(1), tuple(g, {i(6)}), f8, i(0), data}), "numpy._core.multiarray")));

  auto state = [&](Value shape, Value dt, Value d) { return reconstructed(g, tuple(g, {i(1), shape, dt, i(0), d})); };
  EXPECT_EQ(conversion_error<np::Array>(reconstructed(g, Value())), ErrorType::ValueError);
  EXPECT_EQ(conversion_error<np::Array>(state(tuple(g, {i(5)}), f8, data)), ErrorType::ValueError);   // size mismatch
  EXPECT_EQ(conversion_error<np::Array>(state(tuple(g, {i(-6)}), f8, data)), ErrorType::ValueError);  // negative
  EXPECT_EQ(
      conversion_error<np::Array>(state(tuple(g, {i(std::int64_t{1} << 40), i(std::int64_t{1} << 40)}), f8, data)),
      ErrorType::ValueError);
  EXPECT_EQ(conversion_error<np::Array>(state(i(6), f8, data)), ErrorType::TypeError);  // shape not a tuple
  EXPECT_EQ(conversion_error<np::Array>(state(tuple(g, {i(6)}), g.new_str("f8"), data)), ErrorType::TypeError);
  EXPECT_EQ(conversion_error<np::Array>(state(tuple(g, {i(6)}), f8, g.new_bytearray(data.as_bytes().view()))),
            ErrorType::TypeError);
  EXPECT_EQ(conversion_error<np::Array>(reconstructed(g, tuple(g, {i(2), tuple(g, {i(6)}), f8, i(0), data}))),
            ErrorType::ValueError);
  EXPECT_EQ(conversion_error<np::Array>(reconstructed(g, tuple(g, {i(1), tuple(g, {i(6)}), f8}))),
            ErrorType::ValueError);
  std::vector<Value> dims(65, i(1));
  EXPECT_EQ(conversion_error<np::Array>(state(g.new_tuple(dims), f8, g.new_bytes(std::string(8, '\0')))),
            ErrorType::ValueError);
  // Python 2 str data: code points below 256 are the bytes; others are an error.
  np::Array latin =
      pickle::to<np::Array>(state(tuple(g, {i(1)}), f8, g.new_str("\xc3\xbf\x01\x02\x03\x04\x05\x06\x07")));
  EXPECT_EQ(hex_of(latin.data), "ff01020304050607");
  EXPECT_TRUE(latin.storage);
  EXPECT_EQ(conversion_error<np::Array>(state(tuple(g, {i(1)}), f8, g.new_str("\xe2\x82\xac\x01\x02\x03\x04\x05\x06"))),
            ErrorType::ValueError);
  // Object arrays: a list of exactly size() items.
  Value o8 = dtype(g, "O8", dtype_state(g, "|"));
  Value items = g.new_list();
  items.as_list().append(g, i(1));
  EXPECT_EQ(pickle::to<np::Array>(state(tuple(g, {i(1)}), o8, items)).objects.size(), 1u);
  EXPECT_EQ(conversion_error<np::Array>(state(tuple(g, {i(2)}), o8, items)), ErrorType::ValueError);
  EXPECT_EQ(conversion_error<np::Array>(state(tuple(g, {i(1)}), o8, data)), ErrorType::TypeError);
  // ndarray subclasses are refused.
  Value matrix =
      g.new_object(pickle::Object::How::Reduce, g.global("numpy.core.multiarray", "_reconstruct"),
                   tuple(g, {g.global("numpy", "matrix"), tuple(g, {i(0)}), g.new_bytes(std::string_view("b"))}));
  matrix.as_object().set_state(tuple(g, {i(1), tuple(g, {i(6)}), f8, i(0), data}));
  EXPECT_EQ(conversion_error<np::Array>(matrix), ErrorType::NotImplementedError);
  EXPECT_EQ(conversion_error<np::Array>(Value::integer(1)), ErrorType::TypeError);
  Value appended = reconstructed(g, tuple(g, {i(1), tuple(g, {i(6)}), f8, i(0), data}));
  appended.as_object().append(g, i(1));
  EXPECT_EQ(conversion_error<np::Array>(appended), ErrorType::ValueError);
}

TEST(Numpy, FromBuffer) {
  Graph g;
  Value f4 = dtype(g, "f4", dtype_state(g, "<"));
  Value buf = g.new_bytearray(std::vector<std::uint8_t>(24, 1));
  np::Array a = pickle::to<np::Array>(frombuffer(g, buf, f4, tuple(g, {i(2), i(3)}), g.new_str("F")));
  EXPECT_TRUE(a.fortran_order);
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3}));
  // One unknown dimension is inferred, as reshape does.
  EXPECT_EQ(pickle::to<np::Array>(frombuffer(g, buf, f4, tuple(g, {i(-1), i(2)}), g.new_str("C"))).shape,
            (std::vector<std::int64_t>{3, 2}));
  // An out-of-band buffer.
  static const std::uint8_t outside[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  Value oob = g.new_buffer(outside, true);
  EXPECT_EQ(pickle::to<np::Array>(frombuffer(g, oob, f4, tuple(g, {i(2)}), g.new_str("C"))).data.data(), outside);
  EXPECT_EQ(conversion_error<np::Array>(frombuffer(g, buf, f4, tuple(g, {i(5)}), g.new_str("C"))),
            ErrorType::ValueError);
  EXPECT_EQ(conversion_error<np::Array>(frombuffer(g, buf, f4, tuple(g, {i(-1), i(-1)}), g.new_str("C"))),
            ErrorType::ValueError);
  EXPECT_EQ(conversion_error<np::Array>(frombuffer(g, buf, f4, tuple(g, {i(-1), i(5)}), g.new_str("C"))),
            ErrorType::ValueError);
  EXPECT_EQ(conversion_error<np::Array>(frombuffer(g, buf, f4, tuple(g, {i(6)}), g.new_str("K"))),
            ErrorType::ValueError);
  EXPECT_EQ(conversion_error<np::Array>(frombuffer(g, buf, f4, tuple(g, {i(6)}), i(0))), ErrorType::ValueError);
  EXPECT_EQ(conversion_error<np::Array>(frombuffer(g, g.new_str("x"), f4, tuple(g, {i(6)}), g.new_str("C"))),
            ErrorType::TypeError);
  EXPECT_EQ(conversion_error<np::Array>(frombuffer(g, buf, dtype(g, "O8"), tuple(g, {i(3)}), g.new_str("C"))),
            ErrorType::ValueError);
  EXPECT_EQ(conversion_error<np::Array>(
                frombuffer(g, g.new_bytes(std::string(5, 'x')), f4, tuple(g, {i(1)}), g.new_str("C"))),
            ErrorType::ValueError);
  EXPECT_EQ(conversion_error<np::Array>(frombuffer(g, buf, dtype(g, "S0"), tuple(g, {i(1)}), g.new_str("C"))),
            ErrorType::ValueError);
  Value three = g.new_object(pickle::Object::How::Reduce, g.global("numpy.core.numeric", "_frombuffer"),
                             tuple(g, {buf, f4, i(6)}));
  EXPECT_EQ(conversion_error<np::Array>(three), ErrorType::TypeError);
}

TEST(Numpy, Scalars) {
  Graph g;
  auto scalar = [&](std::vector<Value> args) {
    return g.new_object(pickle::Object::How::Reduce, g.global("numpy.core.multiarray", "scalar"), g.new_tuple(args));
  };
  Value f8 = dtype(g, "f8", dtype_state(g, "<"));
  // numpy takes the first itemsize bytes of a longer string.
  np::Scalar s = pickle::to<np::Scalar>(scalar({f8, g.new_bytes(std::string("\0\0\0\0\0\0\xf8\x3f\x01", 9))}));
  EXPECT_EQ(hex_of(s.data), "000000000000f83f");
  Value o8 = dtype(g, "O8");
  EXPECT_TRUE(pickle::to<np::Scalar>(scalar({o8, g.new_str("x")})).object.is_str());
  EXPECT_EQ(conversion_error<np::Scalar>(scalar({f8, g.new_bytes(std::string(7, '\0'))})), ErrorType::ValueError);
  EXPECT_EQ(conversion_error<np::Scalar>(scalar({f8})), ErrorType::TypeError);
  EXPECT_EQ(conversion_error<np::Scalar>(scalar({f8, i(1)})), ErrorType::TypeError);
  EXPECT_EQ(conversion_error<np::Scalar>(scalar({i(1), g.new_bytes(std::string(8, '\0'))})), ErrorType::TypeError);
  EXPECT_EQ(conversion_error<np::Scalar>(scalar({})), ErrorType::TypeError);
  EXPECT_TRUE(np::is_scalar(scalar({})));
  EXPECT_FALSE(np::as_scalar(scalar({})));
}

// Every converter on objects of every recognized callable with arguments and states of
// every shape: a pickle::Error or a value, nothing else (run under the sanitizers too).
TEST(Numpy, ArbitraryArgumentsNeverCrash) {
  Graph g;
  std::uint32_t big[] = {1, 2, 3};
  Value list = g.new_list();
  list.as_list().append(g, i(1));
  std::vector<Value> atoms = {Value(),
                              Value::boolean(true),
                              i(-1),
                              i(0),
                              i(3),
                              i(std::int64_t{1} << 50),
                              g.new_bigint(false, big),
                              Value::floating(2.5),
                              g.new_str(""),
                              g.new_str("f8"),
                              g.new_str("<"),
                              g.new_str("C"),
                              g.new_bytes(std::string_view("b")),
                              g.new_bytes(std::string(24, '\x01')),
                              g.new_bytearray(std::vector<std::uint8_t>(8, 2)),
                              list,
                              g.new_tuple(std::vector<Value>{}),
                              tuple(g, {i(3)}),
                              tuple(g, {i(2), i(-1)}),
                              g.new_dict(),
                              g.global("numpy", "ndarray"),
                              dtype(g, "f8", dtype_state(g, "<")),
                              dtype(g, "O8"),
                              dtype(g, "U2"),
                              dtype(g, "M8"),
                              g.new_buffer(std::span<const std::uint8_t>(), false)};
  const std::pair<const char*, const char*> callables[] = {{"numpy.core.multiarray", "_reconstruct"},
                                                           {"numpy._core.numeric", "_frombuffer"},
                                                           {"numpy.core.multiarray", "scalar"},
                                                           {"numpy", "dtype"}};
  ConversionOutcomes<np::Array, np::Scalar, np::Dtype> run;

  for (const auto& [module, name] : callables) {
    Value callable = g.global(module, name);
    for (Value a : atoms) {
      for (Value b : atoms) {
        run(g.new_object(pickle::Object::How::Reduce, callable, tuple(g, {a, b})));
        Value with_state =
            g.new_object(pickle::Object::How::Reduce, callable, tuple(g, {g.global("numpy", "ndarray"), a, b}));
        with_state.as_object().set_state(tuple(g, {i(1), a, b, i(0), a}));
        run(with_state);
        Value dt = g.new_object(pickle::Object::How::Reduce, callable, tuple(g, {a}));
        dt.as_object().set_state(tuple(g, {i(4), a, Value(), Value(), Value(), b, i(-1), i(0), tuple(g, {a, b})}));
        run(dt);
        for (Value c : {atoms[10], atoms[13], atoms[17]}) {
          run(g.new_object(pickle::Object::How::Reduce, callable, tuple(g, {a, b, c, atoms[11]})));
        }
      }
    }
  }
  EXPECT_GT(run.values, 0);
  EXPECT_GT(run.errors, 0);
}

}  // namespace
