// Typed views of datetime, decimal and collections objects (pickle/stdlib.h).
//
// Each view reads an inert Object the way the class's constructor would have built it in
// CPython 3.11: datetime's C constructors (the pickled state, or the documented
// arguments), decimal.Decimal(value), and the collections classes' __init__ followed by
// the items the pickle appended. Nothing here trusts the graph's shape: every kind and
// size is checked before it is read.
#include "pickle/stdlib.h"

#include <climits>
#include <cstring>
#include <deque>
#include <initializer_list>
#include <unordered_map>

#include "bigint.h"
#include "pickle/error.h"

namespace pickle {
namespace {

bool is_global_named(Value v, std::string_view module, std::string_view qualname) noexcept {
  if (!v.is_global()) return false;
  const Global& g = v.as_global();
  return g.module() == module && g.qualname() == qualname;
}

std::string dotted(Value global) {
  const Global& g = global.as_global();
  return std::string(g.module()) + "." + std::string(g.qualname());
}

// What a value is, for messages: the class (or callable) an object was built by, else
// its Python type name.
std::string describe(Value v) {
  if (v.is_object()) {
    Value c = v.as_object().callable();
    if (c.is_global()) return dotted(c);
  }
  return type_name(v);
}

bool is_instance(Value v, std::string_view module, std::string_view qualname) noexcept {
  return v.is_object() && is_global_named(v.as_object().callable(), module, qualname);
}

// One recorded construction: cls(*args, **kwargs), or cls.__new__(cls, *args, **kwargs).
struct Call {
  const Object* object = nullptr;
  std::span<const Value> args;
  const Dict* kwargs = nullptr;  // null when there are none
  bool newobj = false;
};

Call call_of(Value v, std::string_view module, std::string_view qualname) {
  const std::string what = std::string(module) + "." + std::string(qualname);
  if (!is_instance(v, module, qualname)) fail(ErrorType::TypeError, "expected " + what + ", got " + describe(v));
  const Object& o = v.as_object();
  if (o.how() == Object::How::Reconstructor) {
    fail(ErrorType::ValueError, "malformed " + what + ": built by copyreg._reconstructor");
  }
  Value args = o.args();
  if (!args.is_tuple()) fail(ErrorType::ValueError, "malformed " + what + ": its arguments are not a tuple");
  Call c;
  c.object = &o;
  const Tuple& t = args.as_tuple();
  c.args = std::span<const Value>(t.begin(), t.end());
  Value kw = o.kwargs();
  if (kw.is_dict()) {
    if (kw.as_dict().size() > 0) c.kwargs = &kw.as_dict();
  } else if (!kw.is_none()) {
    fail(ErrorType::ValueError, "malformed " + what + ": its keyword arguments are not a dict");
  }
  c.newobj = o.how() == Object::How::NewObj;
  return c;
}

// Datetime and decimal objects take no BUILD state and no appended items (CPython fails
// on those: no __dict__, no append/__setitem__).
void check_plain(const Object& o, std::string_view what) {
  if (o.has_state() && !o.state().is_none()) {
    fail(ErrorType::ValueError, "malformed " + std::string(what) + ": it has a BUILD state");
  }
  if (!o.list_items().empty() || !o.dict_items().empty() || !o.set_items().empty()) {
    fail(ErrorType::ValueError, "malformed " + std::string(what) + ": it has appended items");
  }
}

// PyArg_ParseTupleAndKeywords: binds positional and keyword arguments to `names`. The
// first `required` names are required; at most `max_positional` may be positional (the
// rest are keyword-only); positional-only names (the first `positional_only`) cannot be
// given by keyword.
std::vector<std::optional<Value>> bind(const Call& c, std::initializer_list<std::string_view> names,
                                       std::size_t required, std::size_t max_positional, std::string_view fname,
                                       std::size_t positional_only = 0) {
  std::vector<std::optional<Value>> out(names.size());
  const std::string f(fname);
  if (c.args.size() > max_positional) {
    fail(ErrorType::TypeError, f + "() takes at most " + std::to_string(max_positional) + " positional argument" +
                                   (max_positional == 1 ? "" : "s") + " (" + std::to_string(c.args.size()) + " given)");
  }
  for (std::size_t i = 0; i < c.args.size(); ++i) out[i] = c.args[i];
  if (c.kwargs) {
    for (const Dict::Entry& e : *c.kwargs) {
      if (!e.key.is_str()) fail(ErrorType::TypeError, "keywords must be strings");
      std::string_view key = e.key.as_str().utf8();
      std::size_t i = 0;
      for (std::string_view n : names) {
        if (n == key && i >= positional_only) break;
        ++i;
      }
      if (i == names.size()) {
        fail(ErrorType::TypeError, "'" + std::string(key) + "' is an invalid keyword argument for " + f + "()");
      }
      if (out[i]) {
        fail(ErrorType::TypeError, "argument for " + f + "() given by name ('" + std::string(key) +
                                       "') and position (" + std::to_string(i + 1) + ")");
      }
      out[i] = e.value;
    }
  }
  std::size_t i = 0;
  for (std::string_view n : names) {
    if (i < required && !out[i]) {
      fail(ErrorType::TypeError,
           f + "() missing required argument '" + std::string(n) + "' (pos " + std::to_string(i + 1) + ")");
    }
    ++i;
  }
  return out;
}

// An int argument converted as PyArg's "i" (bools are ints).
int int_arg(Value v) {
  if (v.is_bool()) return v.as_bool() ? 1 : 0;
  if (v.is_small_int()) {
    const std::int64_t i = v.as_int();
    if (i > INT_MAX) fail(ErrorType::OverflowError, "signed integer is greater than maximum");
    if (i < INT_MIN) fail(ErrorType::OverflowError, "signed integer is less than minimum");
    return static_cast<int>(i);
  }
  if (v.is_int()) fail(ErrorType::OverflowError, "Python int too large to convert to C long");
  fail(ErrorType::TypeError, "'" + type_name(v) + "' object cannot be interpreted as an integer");
}

// Code points of a str's UTF-8 (surrogates encoded like other code points); false when
// the bytes are not such an encoding.
bool decode_utf8(std::string_view s, std::u32string& out) {
  out.clear();
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    char32_t cp;
    std::size_t n;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F;
      n = 2;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F;
      n = 3;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07;
      n = 4;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      const unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    out.push_back(cp);
    i += n;
  }
  return true;
}

// The state argument of a datetime class: bytes, or a str whose code points are the
// bytes (a Python 2 str loaded with encoding='latin1'). nullopt when `arg` is neither
// (the constructor form). ValueError when the length is not `size`.
std::optional<std::string> datetime_state(Value arg, std::size_t size, std::string_view cls) {
  std::string bytes;
  if (arg.is_bytes()) {
    bytes = std::string(arg.as_bytes().chars());
  } else if (arg.is_str()) {
    std::u32string cps;
    if (!decode_utf8(arg.as_str().utf8(), cps)) {
      fail(ErrorType::ValueError, "malformed datetime." + std::string(cls) + " state: invalid str");
    }
    if (cps.size() != size) {
      fail(ErrorType::ValueError, "malformed datetime." + std::string(cls) + " state: expected " +
                                      std::to_string(size) + " characters, got " + std::to_string(cps.size()));
    }
    for (char32_t cp : cps) {
      if (cp > 0xFF) {
        fail(ErrorType::ValueError, "Failed to encode latin1 string when unpickling a " + std::string(cls) +
                                        " object. pickle.load(data, encoding='latin1') is assumed.");
      }
      bytes.push_back(static_cast<char>(cp));
    }
    return bytes;
  } else {
    return std::nullopt;
  }
  if (bytes.size() != size) {
    fail(ErrorType::ValueError, "malformed datetime." + std::string(cls) + " state: expected " + std::to_string(size) +
                                    " bytes, got " + std::to_string(bytes.size()));
  }
  return bytes;
}

int byte(const std::string& s, std::size_t i) { return static_cast<unsigned char>(s[i]); }

bool is_leap(int y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// datetime's range checks, with CPython's messages.
void check_date(int y, int m, int d) {
  if (y < 1 || y > 9999) fail(ErrorType::ValueError, "year " + std::to_string(y) + " is out of range");
  if (m < 1 || m > 12) fail(ErrorType::ValueError, "month must be in 1..12");
  if (d < 1 || d > days_in_month(y, m)) fail(ErrorType::ValueError, "day is out of range for month");
}

void check_time(int h, int m, int s, int us, int fold) {
  if (h < 0 || h > 23) fail(ErrorType::ValueError, "hour must be in 0..23");
  if (m < 0 || m > 59) fail(ErrorType::ValueError, "minute must be in 0..59");
  if (s < 0 || s > 59) fail(ErrorType::ValueError, "second must be in 0..59");
  if (us < 0 || us > 999999) fail(ErrorType::ValueError, "microsecond must be in 0..999999");
  if (fold != 0 && fold != 1) fail(ErrorType::ValueError, "fold must be either 0 or 1");
}

// A tzinfo argument: None, a datetime.timezone (read into `timezone`), or another object
// standing for a tzinfo instance (kept as the Value).
void read_tzinfo(Value tz, bool from_state, std::optional<TimeZone>& timezone, Value& tzinfo) {
  switch (tz.kind()) {
    case Kind::None: break;
    case Kind::Object:
      if (is_timezone(tz)) timezone = converter<TimeZone>::from_python(tz);
      break;
    case Kind::Global:
    case Kind::Native:
    case Kind::PersistentId: break;
    default:
      if (from_state) fail(ErrorType::TypeError, "bad tzinfo state arg");
      fail(ErrorType::TypeError,
           "tzinfo argument must be None or of a tzinfo subclass, not type '" + type_name(tz) + "'");
  }
  tzinfo = tz;
}

Value tzinfo_value(Graph& g, const std::optional<TimeZone>& timezone, Value tzinfo) {
  if (timezone) return converter<TimeZone>::to_python(g, *timezone);
  return tzinfo;
}

Value reduce_call(Graph& g, std::string_view module, std::string_view qualname, std::span<const Value> args) {
  return g.new_object(Object::How::Reduce, g.global(module, qualname), g.new_tuple(args));
}

// datetime.<qualname>(first), or datetime.<qualname>(first, second) when `second` is not None:
// a time's or datetime's state with its tzinfo, a timezone's offset with its name.
Value datetime_call(Graph& g, std::string_view qualname, Value first, Value second) {
  if (second.is_none()) {
    Value args[] = {first};
    return reduce_call(g, "datetime", qualname, args);
  }
  Value args[] = {first, second};
  return reduce_call(g, "datetime", qualname, args);
}

using i128 = __int128;

std::string i128_to_string(i128 v) {
  if (v == 0) return "0";
  const bool neg = v < 0;
  unsigned __int128 u = neg ? -static_cast<unsigned __int128>(v) : static_cast<unsigned __int128>(v);
  std::string s;
  while (u) {
    s.push_back(static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  if (neg) s.push_back('-');
  return {s.rbegin(), s.rend()};
}

constexpr std::int64_t kMaxDeltaDays = 999999999;
constexpr i128 kUsPerDay = i128{86400} * 1000000;

TimeDelta delta_from_microseconds(i128 total) {
  i128 days = total / kUsPerDay, rem = total % kUsPerDay;
  if (rem < 0) {
    rem += kUsPerDay;
    --days;
  }
  if (days > kMaxDeltaDays || days < -kMaxDeltaDays) {
    fail(ErrorType::OverflowError, "days=" + i128_to_string(days) + "; must have magnitude <= 999999999");
  }
  TimeDelta td;
  td.days = static_cast<std::int64_t>(days);
  td.seconds = static_cast<std::int32_t>(rem / 1000000);
  td.microseconds = static_cast<std::int32_t>(rem % 1000000);
  return td;
}

void check_delta(const TimeDelta& td) {
  if (td.days > kMaxDeltaDays || td.days < -kMaxDeltaDays || td.seconds < 0 || td.seconds >= 86400 ||
      td.microseconds < 0 || td.microseconds >= 1000000) {
    fail(ErrorType::ValueError, "timedelta fields out of range: days=" + std::to_string(td.days) + ", seconds=" +
                                    std::to_string(td.seconds) + ", microseconds=" + std::to_string(td.microseconds));
  }
}

void check_timezone(const TimeZone& tz) {
  check_delta(tz.offset);
  const TimeDelta& o = tz.offset;
  if ((o.days == -1 && o.seconds == 0 && o.microseconds < 1) || o.days < -1 || o.days >= 1) {
    fail(ErrorType::ValueError,
         "offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24), not " + o.repr() +
             ".");
  }
}

// ---------------------------------------------------------------------------------------
// Items of the collections.

// A dict under construction: insertion order, Python equality of keys.
class ItemTable {
 public:
  void set(Value key, Value value) {
    const std::uint64_t h = py_hash(key);
    if (std::pair<Value, Value>* e = find(key, h)) {
      e->second = value;
      return;
    }
    index_.emplace(h, items_.size());
    items_.emplace_back(key, value);
  }
  std::pair<Value, Value>* find(Value key, std::uint64_t h) {
    auto [lo, hi] = index_.equal_range(h);
    for (auto it = lo; it != hi; ++it) {
      std::pair<Value, Value>& e = items_[it->second];
      if (e.first.is(key) || py_equal(e.first, key)) return &e;
    }
    return nullptr;
  }
  bool empty() const noexcept { return items_.empty(); }
  std::vector<std::pair<Value, Value>> take() { return std::move(items_); }

 private:
  std::vector<std::pair<Value, Value>> items_;
  std::unordered_multimap<std::uint64_t, std::size_t> index_;
};

[[noreturn]] void not_iterable(Value v) { fail(ErrorType::TypeError, "'" + type_name(v) + "' object is not iterable"); }

// The items `for x in v` yields, for iterables whose items are values of the graph.
std::vector<Value> iterate(Value v) {
  std::vector<Value> out;
  switch (v.kind()) {
    case Kind::List:
      for (Value x : v.as_list()) out.push_back(x);
      return out;
    case Kind::Tuple:
      for (Value x : v.as_tuple()) out.push_back(x);
      return out;
    case Kind::Set:
    case Kind::FrozenSet:
      for (Value x : v.as_set()) out.push_back(x);
      return out;
    case Kind::Dict:
      for (const Dict::Entry& e : v.as_dict()) out.push_back(e.key);
      return out;
    case Kind::Bytes:
    case Kind::ByteArray:
      for (std::uint8_t b : v.as_bytes().view()) out.push_back(Value::integer(b));
      return out;
    case Kind::Iterator: {
      const Iterator& it = v.as_iterator();
      Value src = it.source();
      if (it.over() == Iterator::Over::DictItems) {
        fail(ErrorType::NotImplementedError, "iterating dict items is not supported here");
      }
      if (src.is_list() || src.is_tuple() || src.is_dict() || src.kind() == Kind::Set ||
          src.kind() == Kind::FrozenSet) {
        return iterate(src);  // one level: the source is a container
      }
      fail(ErrorType::NotImplementedError, "iterating a " + type_name(v) + " is not supported");
    }
    case Kind::Str: fail(ErrorType::NotImplementedError, "iterating a str is not supported");
    case Kind::Object:
    case Kind::Native:
    case Kind::PersistentId:
    case Kind::Buffer: fail(ErrorType::NotImplementedError, "iterating a " + describe(v) + " object is not supported");
    default: not_iterable(v);
  }
}

// dict.update(src) / MutableMapping.update(src): a dict, the items of a dict, or an
// iterable of key/value pairs.
void update_from(ItemTable& t, Value src) {
  if (src.is_dict()) {
    for (const Dict::Entry& e : src.as_dict()) t.set(e.key, e.value);
    return;
  }
  if (src.kind() == Kind::Iterator && src.as_iterator().over() == Iterator::Over::DictItems) {
    Value d = src.as_iterator().source();
    if (!d.is_dict()) fail(ErrorType::NotImplementedError, "iterating a " + type_name(src) + " is not supported");
    for (const Dict::Entry& e : d.as_dict()) t.set(e.key, e.value);
    return;
  }
  if (src.is_object()) {
    fail(ErrorType::NotImplementedError, "updating from a " + describe(src) + " object is not supported");
  }
  std::size_t n = 0;
  for (Value item : iterate(src)) {
    switch (item.kind()) {
      case Kind::None:
      case Kind::Bool:
      case Kind::Int:
      case Kind::Float:
      case Kind::Complex:
      case Kind::Global:
        fail(ErrorType::TypeError,
             "cannot convert dictionary update sequence element #" + std::to_string(n) + " to a sequence");
      default: break;
    }
    std::vector<Value> pair = iterate(item);
    if (pair.size() != 2) {
      fail(ErrorType::ValueError, "dictionary update sequence element #" + std::to_string(n) + " has length " +
                                      std::to_string(pair.size()) + "; 2 is required");
    }
    t.set(pair[0], pair[1]);
    ++n;
  }
}

void set_keywords(ItemTable& t, const Call& c) {
  if (!c.kwargs) return;
  for (const Dict::Entry& e : *c.kwargs) {
    if (!e.key.is_str()) fail(ErrorType::TypeError, "keywords must be strings");
    t.set(e.key, e.value);
  }
}

void check_no_list_items(const Object& o, std::string_view what) {
  if (!o.list_items().empty() || !o.set_items().empty()) {
    fail(ErrorType::ValueError, "malformed " + std::string(what) + ": it has appended items");
  }
}

// Counter's `self[elem] = count + self.get(elem, 0)` for int counts.
Value add_counts(Value a, Value b) {
  auto as_i64 = [](Value v, std::int64_t& out) {
    if (v.is_bool()) {
      out = v.as_bool() ? 1 : 0;
      return true;
    }
    if (v.is_small_int()) {
      out = v.as_int();
      return true;
    }
    return false;
  };
  std::int64_t x, y, sum;
  if (!as_i64(a, x) || !as_i64(b, y)) {
    fail(ErrorType::NotImplementedError,
         "adding Counter counts of type " + type_name(a) + " and " + type_name(b) + " is not supported");
  }
  if (__builtin_add_overflow(x, y, &sum)) {
    fail(ErrorType::NotImplementedError, "Counter counts beyond 64 bits are not supported");
  }
  return Value::integer(sum);
}

void count_into(ItemTable& t, Value key, Value increment) {
  const std::uint64_t h = py_hash(key);
  if (std::pair<Value, Value>* e = t.find(key, h)) {
    e->second = add_counts(e->second, increment);
  } else {
    t.set(key, add_counts(Value::integer(0), increment));
  }
}

bool callable_or_none(Value v) {
  switch (v.kind()) {
    case Kind::None:
    case Kind::Global:
    case Kind::Object:
    case Kind::Native:
    case Kind::PersistentId: return true;
    default: return false;
  }
}

// ---------------------------------------------------------------------------------------
// Decimal

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string strip_leading_zeros(std::string_view s, bool keep_one) {
  std::size_t i = 0;
  while (i < s.size() && s[i] == '0') ++i;
  if (i == s.size()) return keep_one && !s.empty() ? "0" : "";
  return std::string(s.substr(i));
}

// libmpdec's limits for a decimal built exactly (MPD_MAX_EMAX, MPD_MIN_ETINY).
constexpr std::int64_t kMaxAdjusted = 999999999999999999;
constexpr std::int64_t kMinExponent = -1999999999999999997;

Decimal finite_decimal(bool negative, std::string_view coefficient, i128 exponent, std::string_view text) {
  Decimal d;
  d.negative = negative;
  d.form = Decimal::Form::Finite;
  d.digits = strip_leading_zeros(coefficient, true);
  if (d.digits.empty()) d.digits = "0";
  const i128 adjusted = exponent + static_cast<i128>(d.digits.size()) - 1;
  if (adjusted > kMaxAdjusted || exponent < kMinExponent) {
    fail(ErrorType::ValueError, "Decimal exponent out of range: '" + std::string(text) + "'");
  }
  d.exponent = static_cast<std::int64_t>(exponent);
  return d;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

Decimal decimal_from_int(Value v) {
  Decimal d;
  if (v.is_bool()) {
    d.digits = v.as_bool() ? "1" : "0";
    return d;
  }
  std::string s;
  detail::append_decimal(s, detail::IntRef(v), 0);
  if (!s.empty() && s[0] == '-') {
    d.negative = true;
    s.erase(0, 1);
  }
  d.digits = s;
  return d;
}

// Decimal((sign, digits, exponent)).
Decimal decimal_from_tuple(Value v) {
  std::vector<Value> t = iterate(v);  // a tuple or a list
  if (t.size() != 3) fail(ErrorType::ValueError, "argument must be a sequence of length 3");
  Decimal d;
  Value sign = t[0];
  if (!(sign.is_bool() || sign.is_small_int()) || (sign.is_small_int() && sign.as_int() != 0 && sign.as_int() != 1)) {
    fail(ErrorType::ValueError, "sign must be an integer with the value 0 or 1");
  }
  d.negative = sign.is_bool() ? sign.as_bool() : sign.as_int() == 1;
  Value exp = t[2];
  bool finite = true;
  if (exp.is_str()) {
    std::string_view e = exp.as_str().utf8();
    if (e == "F") {
      d.form = Decimal::Form::Infinity;
    } else if (e == "n") {
      d.form = Decimal::Form::NaN;
    } else if (e == "N") {
      d.form = Decimal::Form::SignalingNaN;
    } else {
      fail(ErrorType::ValueError, "string argument in the third position must be 'F', 'n' or 'N'");
    }
    finite = false;
  } else if (!exp.is_int()) {
    fail(ErrorType::ValueError, "exponent must be an integer");
  } else if (!exp.is_small_int()) {
    fail(ErrorType::ValueError, "Decimal exponent out of range");
  }
  if (!t[1].is_tuple() && !t[1].is_list()) fail(ErrorType::ValueError, "coefficient must be a tuple of digits");
  std::string digits;
  for (Value x : iterate(t[1])) {
    if (!x.is_small_int() || x.as_int() < 0 || x.as_int() > 9) {
      fail(ErrorType::ValueError, "coefficient must be a tuple of digits");
    }
    digits.push_back(static_cast<char>('0' + x.as_int()));
  }
  if (d.form == Decimal::Form::Infinity) {
    d.digits.clear();
    return d;
  }
  if (!finite) {
    d.digits = strip_leading_zeros(digits, false);
    return d;
  }
  Decimal f = finite_decimal(d.negative, digits, exp.as_int(), "tuple");
  return f;
}

Decimal decimal_from(Value v, int depth) {
  const Call c = call_of(v, "decimal", "Decimal");
  check_plain(*c.object, "decimal.Decimal");
  const auto a = bind(c, {"value", "context"}, 0, 2, "Decimal");
  if (!a[0]) return Decimal{};
  Value x = *a[0];
  switch (x.kind()) {
    case Kind::Str: return Decimal::parse(x.as_str().utf8());
    case Kind::Bytes:  // a Python 2 str loaded with encoding='bytes' (CPython refuses bytes)
      return Decimal::parse(x.as_bytes().chars());
    case Kind::Bool:
    case Kind::Int: return decimal_from_int(x);
    case Kind::Tuple:
    case Kind::List: return decimal_from_tuple(x);
    case Kind::Float: fail(ErrorType::NotImplementedError, "Decimal of a float is not supported");
    case Kind::Object:
      if (is_decimal(x)) {
        if (depth >= 100) fail(ErrorType::NotImplementedError, "Decimal nested too deeply");
        return decimal_from(x, depth + 1);
      }
      [[fallthrough]];
    default: fail(ErrorType::TypeError, "conversion from " + describe(x) + " to Decimal is not supported");
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------
// TimeDelta, TimeZone, Time, DateTime helpers

TimeDelta TimeDelta::normalized(std::int64_t days, std::int64_t seconds, std::int64_t microseconds) {
  return delta_from_microseconds(i128{days} * kUsPerDay + i128{seconds} * 1000000 + microseconds);
}

std::string TimeDelta::repr() const {
  std::string out = "datetime.timedelta(";
  bool any = false;
  auto field = [&](const char* name, std::int64_t v) {
    if (v == 0) return;
    if (any) out += ", ";
    out += name;
    out += "=" + std::to_string(v);
    any = true;
  };
  field("days", days);
  field("seconds", seconds);
  field("microseconds", microseconds);
  if (!any) out += "0";
  return out + ")";
}

bool operator==(const Time& a, const Time& b) {
  return a.hour == b.hour && a.minute == b.minute && a.second == b.second && a.microsecond == b.microsecond &&
         a.fold == b.fold && a.timezone == b.timezone && (a.timezone || a.tzinfo.is(b.tzinfo));
}

bool operator==(const DateTime& a, const DateTime& b) { return a.date() == b.date() && a.time() == b.time(); }

Time DateTime::time() const {
  Time t;
  t.hour = hour;
  t.minute = minute;
  t.second = second;
  t.microsecond = microsecond;
  t.fold = fold;
  t.timezone = timezone;
  t.tzinfo = tzinfo;
  return t;
}

// ---------------------------------------------------------------------------------------
// Predicates

bool is_date(Value v) noexcept { return is_instance(v, "datetime", "date"); }
bool is_time(Value v) noexcept { return is_instance(v, "datetime", "time"); }
bool is_datetime(Value v) noexcept { return is_instance(v, "datetime", "datetime"); }
bool is_timedelta(Value v) noexcept { return is_instance(v, "datetime", "timedelta"); }
bool is_timezone(Value v) noexcept { return is_instance(v, "datetime", "timezone"); }
bool is_decimal(Value v) noexcept { return is_instance(v, "decimal", "Decimal"); }
bool is_ordered_dict(Value v) noexcept { return is_instance(v, "collections", "OrderedDict"); }
bool is_counter(Value v) noexcept { return is_instance(v, "collections", "Counter"); }
bool is_default_dict(Value v) noexcept { return is_instance(v, "collections", "defaultdict"); }
bool is_deque(Value v) noexcept { return is_instance(v, "collections", "deque"); }

std::optional<Date> as_date(Value v) { return is_date(v) ? try_to<Date>(v) : std::nullopt; }
std::optional<Time> as_time(Value v) { return is_time(v) ? try_to<Time>(v) : std::nullopt; }
std::optional<DateTime> as_datetime(Value v) { return is_datetime(v) ? try_to<DateTime>(v) : std::nullopt; }
std::optional<TimeDelta> as_timedelta(Value v) { return is_timedelta(v) ? try_to<TimeDelta>(v) : std::nullopt; }
std::optional<TimeZone> as_timezone(Value v) { return is_timezone(v) ? try_to<TimeZone>(v) : std::nullopt; }
std::optional<Decimal> as_decimal(Value v) { return is_decimal(v) ? try_to<Decimal>(v) : std::nullopt; }
std::optional<OrderedDict> as_ordered_dict(Value v) {
  return is_ordered_dict(v) ? try_to<OrderedDict>(v) : std::nullopt;
}
std::optional<Counter> as_counter(Value v) { return is_counter(v) ? try_to<Counter>(v) : std::nullopt; }
std::optional<DefaultDict> as_default_dict(Value v) {
  return is_default_dict(v) ? try_to<DefaultDict>(v) : std::nullopt;
}
std::optional<Deque> as_deque(Value v) { return is_deque(v) ? try_to<Deque>(v) : std::nullopt; }

// ---------------------------------------------------------------------------------------
// datetime.date: date(b'YYMD') (year big-endian), or date(year, month, day).

Date converter<Date>::from_python(Value v) {
  const Call c = call_of(v, "datetime", "date");
  check_plain(*c.object, "datetime.date");
  if (c.args.size() == 1) {
    if (std::optional<std::string> s = datetime_state(c.args[0], 4, "date")) {
      if (byte(*s, 2) < 1 || byte(*s, 2) > 12) {
        fail(ErrorType::ValueError, "malformed datetime.date state: month " + std::to_string(byte(*s, 2)));
      }
      Date d{byte(*s, 0) * 256 + byte(*s, 1), byte(*s, 2), byte(*s, 3)};
      check_date(d.year, d.month, d.day);
      return d;
    }
  }
  const auto a = bind(c, {"year", "month", "day"}, 3, 3, "date");
  Date d{int_arg(*a[0]), int_arg(*a[1]), int_arg(*a[2])};
  check_date(d.year, d.month, d.day);
  return d;
}

Value converter<Date>::to_python(Graph& g, const Date& d) {
  check_date(d.year, d.month, d.day);
  const char state[4] = {static_cast<char>(d.year >> 8), static_cast<char>(d.year & 0xFF), static_cast<char>(d.month),
                         static_cast<char>(d.day)};
  Value args[] = {g.new_bytes(std::string_view(state, 4))};
  return reduce_call(g, "datetime", "date", args);
}

// ---------------------------------------------------------------------------------------
// datetime.time: time(b'HMSuuu'[, tzinfo]) (fold in the hour's high bit, microseconds
// big-endian), or time(hour=0, minute=0, second=0, microsecond=0, tzinfo=None, *, fold=0).

Time converter<Time>::from_python(Value v) {
  const Call c = call_of(v, "datetime", "time");
  check_plain(*c.object, "datetime.time");
  Time t;
  if (c.args.size() >= 1 && c.args.size() <= 2) {
    if (std::optional<std::string> s = datetime_state(c.args[0], 6, "time")) {
      if ((byte(*s, 0) & 0x7F) > 23) {
        fail(ErrorType::ValueError, "malformed datetime.time state: hour " + std::to_string(byte(*s, 0) & 0x7F));
      }
      t.fold = byte(*s, 0) >> 7;
      t.hour = byte(*s, 0) & 0x7F;
      t.minute = byte(*s, 1);
      t.second = byte(*s, 2);
      t.microsecond = (byte(*s, 3) << 16) | (byte(*s, 4) << 8) | byte(*s, 5);
      check_time(t.hour, t.minute, t.second, t.microsecond, t.fold);
      read_tzinfo(c.args.size() == 2 ? c.args[1] : Value(), true, t.timezone, t.tzinfo);
      return t;
    }
  }
  const auto a = bind(c, {"hour", "minute", "second", "microsecond", "tzinfo", "fold"}, 0, 5, "time");
  t.hour = a[0] ? int_arg(*a[0]) : 0;
  t.minute = a[1] ? int_arg(*a[1]) : 0;
  t.second = a[2] ? int_arg(*a[2]) : 0;
  t.microsecond = a[3] ? int_arg(*a[3]) : 0;
  t.fold = a[5] ? int_arg(*a[5]) : 0;
  check_time(t.hour, t.minute, t.second, t.microsecond, t.fold);
  read_tzinfo(a[4] ? *a[4] : Value(), false, t.timezone, t.tzinfo);
  return t;
}

namespace {

// The six bytes of a time state, the last six of a datetime state: the hour (with fold
// in its high bit in a time), minute, second, and microsecond in 24 bits, big-endian.
void put_time_of_day(char* out, int hour_byte, int minute, int second, int microsecond) {
  out[0] = static_cast<char>(hour_byte);
  out[1] = static_cast<char>(minute);
  out[2] = static_cast<char>(second);
  out[3] = static_cast<char>(microsecond >> 16);
  out[4] = static_cast<char>((microsecond >> 8) & 0xFF);
  out[5] = static_cast<char>(microsecond & 0xFF);
}

}  // namespace

Value converter<Time>::to_python(Graph& g, const Time& t) {
  check_time(t.hour, t.minute, t.second, t.microsecond, t.fold);
  char state[6];
  put_time_of_day(state, t.hour | (t.fold << 7), t.minute, t.second, t.microsecond);
  Value state_bytes = g.new_bytes(std::string_view(state, 6));
  return datetime_call(g, "time", state_bytes, tzinfo_value(g, t.timezone, t.tzinfo));
}

// ---------------------------------------------------------------------------------------
// datetime.datetime: datetime(b'YYMDHMSuuu'[, tzinfo]) (fold in the month's high bit), or
// datetime(year, month, day, hour=0, minute=0, second=0, microsecond=0, tzinfo=None, *,
// fold=0).

DateTime converter<DateTime>::from_python(Value v) {
  const Call c = call_of(v, "datetime", "datetime");
  check_plain(*c.object, "datetime.datetime");
  DateTime dt;
  if (c.args.size() >= 1 && c.args.size() <= 2) {
    if (std::optional<std::string> s = datetime_state(c.args[0], 10, "datetime")) {
      const int month = byte(*s, 2) & 0x7F;
      if (month < 1 || month > 12) {
        fail(ErrorType::ValueError, "malformed datetime.datetime state: month " + std::to_string(month));
      }
      dt.year = byte(*s, 0) * 256 + byte(*s, 1);
      dt.month = month;
      dt.fold = byte(*s, 2) >> 7;
      dt.day = byte(*s, 3);
      dt.hour = byte(*s, 4);
      dt.minute = byte(*s, 5);
      dt.second = byte(*s, 6);
      dt.microsecond = (byte(*s, 7) << 16) | (byte(*s, 8) << 8) | byte(*s, 9);
      check_date(dt.year, dt.month, dt.day);
      check_time(dt.hour, dt.minute, dt.second, dt.microsecond, dt.fold);
      read_tzinfo(c.args.size() == 2 ? c.args[1] : Value(), true, dt.timezone, dt.tzinfo);
      return dt;
    }
  }
  const auto a =
      bind(c, {"year", "month", "day", "hour", "minute", "second", "microsecond", "tzinfo", "fold"}, 3, 8, "datetime");
  dt.year = int_arg(*a[0]);
  dt.month = int_arg(*a[1]);
  dt.day = int_arg(*a[2]);
  dt.hour = a[3] ? int_arg(*a[3]) : 0;
  dt.minute = a[4] ? int_arg(*a[4]) : 0;
  dt.second = a[5] ? int_arg(*a[5]) : 0;
  dt.microsecond = a[6] ? int_arg(*a[6]) : 0;
  dt.fold = a[8] ? int_arg(*a[8]) : 0;
  check_date(dt.year, dt.month, dt.day);
  check_time(dt.hour, dt.minute, dt.second, dt.microsecond, dt.fold);
  read_tzinfo(a[7] ? *a[7] : Value(), false, dt.timezone, dt.tzinfo);
  return dt;
}

Value converter<DateTime>::to_python(Graph& g, const DateTime& dt) {
  check_date(dt.year, dt.month, dt.day);
  check_time(dt.hour, dt.minute, dt.second, dt.microsecond, dt.fold);
  char state[10] = {static_cast<char>(dt.year >> 8), static_cast<char>(dt.year & 0xFF),
                    static_cast<char>(dt.month | (dt.fold << 7)), static_cast<char>(dt.day)};
  put_time_of_day(state + 4, dt.hour, dt.minute, dt.second, dt.microsecond);
  Value state_bytes = g.new_bytes(std::string_view(state, 10));
  return datetime_call(g, "datetime", state_bytes, tzinfo_value(g, dt.timezone, dt.tzinfo));
}

// ---------------------------------------------------------------------------------------
// datetime.timedelta(days=0, seconds=0, microseconds=0, milliseconds=0, minutes=0,
// hours=0, weeks=0): CPython pickles the normalized (days, seconds, microseconds).

TimeDelta converter<TimeDelta>::from_python(Value v) {
  const Call c = call_of(v, "datetime", "timedelta");
  check_plain(*c.object, "datetime.timedelta");
  static constexpr const char* kNames[] = {"days",    "seconds", "microseconds", "milliseconds",
                                           "minutes", "hours",   "weeks"};
  static constexpr std::int64_t kScale[] = {86400000000, 1000000, 1, 1000, 60000000, 3600000000, 604800000000};
  const auto a =
      bind(c, {"days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks"}, 0, 7, "timedelta");
  i128 total = 0;
  for (std::size_t i = 0; i < 7; ++i) {
    if (!a[i]) continue;
    Value x = *a[i];
    std::int64_t n;
    if (x.is_bool()) {
      n = x.as_bool() ? 1 : 0;
    } else if (x.is_small_int()) {
      n = x.as_int();
    } else if (x.is_int()) {
      fail(ErrorType::OverflowError, std::string("timedelta ") + kNames[i] + " component out of range");
    } else if (x.is_float()) {
      fail(ErrorType::NotImplementedError, "timedelta components given as float are not supported");
    } else {
      fail(ErrorType::TypeError,
           std::string("unsupported type for timedelta ") + kNames[i] + " component: " + type_name(x));
    }
    total += i128{n} * kScale[i];
  }
  return delta_from_microseconds(total);
}

Value converter<TimeDelta>::to_python(Graph& g, const TimeDelta& td) {
  check_delta(td);
  Value args[] = {Value::integer(td.days), Value::integer(td.seconds), Value::integer(td.microseconds)};
  return reduce_call(g, "datetime", "timedelta", args);
}

// ---------------------------------------------------------------------------------------
// datetime.timezone(offset[, name]).

TimeZone converter<TimeZone>::from_python(Value v) {
  const Call c = call_of(v, "datetime", "timezone");
  check_plain(*c.object, "datetime.timezone");
  const auto a = bind(c, {"offset", "name"}, 1, 2, "timezone");
  if (!is_timedelta(*a[0])) {
    fail(ErrorType::TypeError, "timezone() argument 1 must be datetime.timedelta, not " + describe(*a[0]));
  }
  TimeZone tz;
  tz.offset = converter<TimeDelta>::from_python(*a[0]);
  if (a[1]) {
    if (!a[1]->is_str()) fail(ErrorType::TypeError, "timezone() argument 2 must be str, not " + describe(*a[1]));
    tz.name = std::string(a[1]->as_str().utf8());
  }
  check_timezone(tz);
  return tz;
}

Value converter<TimeZone>::to_python(Graph& g, const TimeZone& tz) {
  check_timezone(tz);
  Value offset = converter<TimeDelta>::to_python(g, tz.offset);
  return datetime_call(g, "timezone", offset, tz.name ? g.shared_or_new_str(*tz.name) : Value());
}

// ---------------------------------------------------------------------------------------
// decimal.Decimal(value="0", context=None): CPython pickles Decimal(str(d)).

Decimal Decimal::parse(std::string_view text) {
  auto invalid = [&]() -> Decimal {
    fail(ErrorType::ValueError, "Invalid literal for Decimal: '" + std::string(text) + "'");
  };
  for (char ch : text) {
    if (static_cast<unsigned char>(ch) >= 0x80) {
      fail(ErrorType::NotImplementedError, "non-ASCII characters in a Decimal literal are not supported");
    }
  }
  // Surrounding whitespace goes; underscores are dropped anywhere (as CPython's _decimal).
  auto space = [](char ch) { return ch == ' ' || (ch >= '\t' && ch <= '\r') || (ch >= 0x1C && ch <= 0x1F); };
  std::size_t b = 0, e = text.size();
  while (b < e && space(text[b])) ++b;
  while (e > b && space(text[e - 1])) --e;
  std::string s;
  for (std::size_t i = b; i < e; ++i) {
    if (text[i] != '_') s.push_back(text[i]);
  }
  std::size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  std::string_view rest = std::string_view(s).substr(i);
  if (iequals(rest, "inf") || iequals(rest, "infinity")) {
    Decimal d;
    d.negative = negative;
    d.form = Form::Infinity;
    d.digits.clear();
    return d;
  }
  for (std::string_view prefix : {"snan", "nan"}) {
    if (rest.size() >= prefix.size() && iequals(rest.substr(0, prefix.size()), prefix)) {
      std::string_view payload = rest.substr(prefix.size());
      if (!all_digits(payload)) return invalid();
      Decimal d;
      d.negative = negative;
      d.form = prefix == "nan" ? Form::NaN : Form::SignalingNaN;
      d.digits = strip_leading_zeros(payload, false);
      return d;
    }
  }
  std::string coefficient;
  std::size_t fraction_digits = 0;
  bool point = false;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') {
      coefficient.push_back(s[i]);
      if (point) ++fraction_digits;
    } else if (s[i] == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (coefficient.empty()) return invalid();
  i128 exponent = 0;
  if (i < s.size()) {
    if (s[i] != 'e' && s[i] != 'E') return invalid();
    ++i;
    bool exp_negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) exp_negative = s[i++] == '-';
    if (i == s.size()) return invalid();
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return invalid();
      if (exponent < i128{1} << 100) exponent = exponent * 10 + (s[i] - '0');
    }
    if (exp_negative) exponent = -exponent;
  }
  return finite_decimal(negative, coefficient, exponent - static_cast<i128>(fraction_digits), text);
}

std::string Decimal::str() const {
  std::string out = negative ? "-" : "";
  switch (form) {
    case Form::Infinity: return out + "Infinity";
    case Form::NaN: return out + "NaN" + digits;
    case Form::SignalingNaN: return out + "sNaN" + digits;
    case Form::Finite: break;
  }
  const std::string& c = digits;
  const i128 n = static_cast<i128>(c.size());
  const i128 adjusted = i128{exponent} + n - 1;
  if (exponent <= 0 && adjusted >= -6) {
    if (exponent == 0) return out + c;
    const i128 point = n + exponent;  // digits before the decimal point
    if (point > 0) {
      const std::size_t p = static_cast<std::size_t>(point);
      return out + c.substr(0, p) + "." + c.substr(p);
    }
    return out + "0." + std::string(static_cast<std::size_t>(-point), '0') + c;
  }
  out += c.substr(0, 1);
  if (c.size() > 1) out += "." + c.substr(1);
  out += adjusted >= 0 ? "E+" : "E-";
  return out + i128_to_string(adjusted >= 0 ? adjusted : -adjusted);
}

Decimal converter<Decimal>::from_python(Value v) { return decimal_from(v, 0); }

Value converter<Decimal>::to_python(Graph& g, const Decimal& d) {
  const bool ok = d.form == Decimal::Form::Finite
                      ? !d.digits.empty() && all_digits(d.digits) && (d.digits.size() == 1 || d.digits[0] != '0')
                  : d.form == Decimal::Form::Infinity
                      ? d.digits.empty()
                      : all_digits(d.digits) && (d.digits.empty() || d.digits[0] != '0');
  if (!ok) fail(ErrorType::ValueError, "invalid Decimal digits '" + d.digits + "'");
  if (d.form == Decimal::Form::Finite) finite_decimal(d.negative, d.digits, d.exponent, d.digits);  // range check
  Value args[] = {g.new_str(d.str())};
  return reduce_call(g, "decimal", "Decimal", args);
}

// ---------------------------------------------------------------------------------------
// collections.OrderedDict(other=(), /, **kwds); NEWOBJ (__new__) takes no items.

OrderedDict converter<OrderedDict>::from_python(Value v) {
  const Call c = call_of(v, "collections", "OrderedDict");
  check_no_list_items(*c.object, "collections.OrderedDict");
  ItemTable t;
  if (!c.newobj) {
    if (c.args.size() > 1) {
      fail(ErrorType::TypeError, "expected at most 1 arguments, got " + std::to_string(c.args.size()));
    }
    if (c.args.size() == 1) update_from(t, c.args[0]);
    set_keywords(t, c);
  }
  for (const Dict::Entry& e : c.object->dict_items()) t.set(e.key, e.value);
  return {t.take()};
}

Value converter<OrderedDict>::to_python(Graph& g, const OrderedDict& d) {
  Value o = g.new_object(Object::How::Reduce, g.global("collections", "OrderedDict"), g.empty_tuple());
  for (const auto& [k, val] : d.items) o.as_object().set_item(g, k, val);
  return o;
}

// ---------------------------------------------------------------------------------------
// collections.Counter(iterable=None, /, **kwds): a mapping's items, or counts of an
// iterable's elements; then keyword counts added.

Counter converter<Counter>::from_python(Value v) {
  const Call c = call_of(v, "collections", "Counter");
  check_no_list_items(*c.object, "collections.Counter");
  ItemTable t;
  if (!c.newobj) {
    if (c.args.size() > 1) {
      fail(ErrorType::TypeError, "expected at most 1 arguments, got " + std::to_string(c.args.size()));
    }
    if (c.args.size() == 1 && !c.args[0].is_none()) {
      Value src = c.args[0];
      if (src.is_dict()) {
        for (const Dict::Entry& e : src.as_dict()) t.set(e.key, e.value);
      } else if (src.is_object()) {
        fail(ErrorType::NotImplementedError, "Counter of a " + describe(src) + " object is not supported");
      } else {
        for (Value x : iterate(src)) count_into(t, x, Value::integer(1));
      }
    }
    if (c.kwargs) {
      const bool was_empty = t.empty();
      for (const Dict::Entry& e : *c.kwargs) {
        if (!e.key.is_str()) fail(ErrorType::TypeError, "keywords must be strings");
        if (was_empty) {
          t.set(e.key, e.value);
        } else {
          count_into(t, e.key, e.value);
        }
      }
    }
  }
  for (const Dict::Entry& e : c.object->dict_items()) t.set(e.key, e.value);
  return {t.take()};
}

Value converter<Counter>::to_python(Graph& g, const Counter& c) {
  Value d = g.new_dict();
  for (const auto& [k, val] : c.items) d.as_dict().set(g, k, val);
  Value args[] = {d};
  return reduce_call(g, "collections", "Counter", args);
}

// ---------------------------------------------------------------------------------------
// collections.defaultdict(default_factory=None, /, *args, **kwargs): the rest as dict().

DefaultDict converter<DefaultDict>::from_python(Value v) {
  const Call c = call_of(v, "collections", "defaultdict");
  check_no_list_items(*c.object, "collections.defaultdict");
  DefaultDict d;
  ItemTable t;
  if (!c.newobj) {
    if (!c.args.empty()) {
      d.default_factory = c.args[0];
      if (!callable_or_none(d.default_factory)) fail(ErrorType::TypeError, "first argument must be callable or None");
    }
    if (c.args.size() > 2) {
      fail(ErrorType::TypeError, "dict expected at most 1 argument, got " + std::to_string(c.args.size() - 1));
    }
    if (c.args.size() == 2) update_from(t, c.args[1]);
    set_keywords(t, c);
  }
  for (const Dict::Entry& e : c.object->dict_items()) t.set(e.key, e.value);
  d.items = t.take();
  return d;
}

Value converter<DefaultDict>::to_python(Graph& g, const DefaultDict& d) {
  Value args = g.empty_tuple();
  if (!d.default_factory.is_none()) {
    Value items[] = {d.default_factory};
    args = g.new_tuple(items);
  }
  Value o = g.new_object(Object::How::Reduce, g.global("collections", "defaultdict"), args);
  for (const auto& [k, val] : d.items) o.as_object().set_item(g, k, val);
  return o;
}

// ---------------------------------------------------------------------------------------
// collections.deque(iterable=(), maxlen=None), then the appended items.

Deque converter<Deque>::from_python(Value v) {
  const Call c = call_of(v, "collections", "deque");
  const Object& o = *c.object;
  if (!o.dict_items().empty() || !o.set_items().empty()) {
    fail(ErrorType::ValueError, "malformed collections.deque: it has set items");
  }
  Deque d;
  std::deque<Value> items;
  auto push = [&](Value x) {
    if (d.maxlen && *d.maxlen == 0) return;
    items.push_back(x);
    if (d.maxlen && items.size() > static_cast<std::uint64_t>(*d.maxlen)) items.pop_front();
  };
  if (!c.newobj) {
    const auto a = bind(c, {"iterable", "maxlen"}, 0, 2, "deque");
    if (a[1] && !a[1]->is_none()) {
      Value m = *a[1];
      std::int64_t n;
      if (m.is_bool()) {
        n = m.as_bool() ? 1 : 0;
      } else if (m.is_small_int()) {
        n = m.as_int();
      } else if (m.is_int()) {
        fail(ErrorType::OverflowError, "Python int too large to convert to C ssize_t");
      } else {
        fail(ErrorType::TypeError, "'" + type_name(m) + "' object cannot be interpreted as an integer");
      }
      if (n < 0) fail(ErrorType::ValueError, "maxlen must be non-negative");
      d.maxlen = n;
    }
    if (a[0]) {
      for (Value x : iterate(*a[0])) push(x);
    }
  }
  for (Value x : o.list_items()) push(x);
  d.items.assign(items.begin(), items.end());
  return d;
}

Value converter<Deque>::to_python(Graph& g, const Deque& d) {
  Value args = g.empty_tuple();
  if (d.maxlen) {
    if (*d.maxlen < 0) fail(ErrorType::ValueError, "maxlen must be non-negative");
    if (d.items.size() > static_cast<std::uint64_t>(*d.maxlen)) {
      fail(ErrorType::ValueError, "a deque of maxlen " + std::to_string(*d.maxlen) + " cannot hold " +
                                      std::to_string(d.items.size()) + " items");
    }
    Value items[] = {g.empty_tuple(), Value::integer(*d.maxlen)};
    args = g.new_tuple(items);
  }
  Value o = g.new_object(Object::How::Reduce, g.global("collections", "deque"), args);
  for (Value x : d.items) o.as_object().append(g, x);
  return o;
}

}  // namespace pickle
