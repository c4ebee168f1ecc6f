// pickle/stdlib.h: typed views of standard-library values that load as inert objects.
//
// datetime.date, time, datetime, timedelta and timezone, decimal.Decimal, and
// collections.OrderedDict, Counter, defaultdict and deque load as pickle::Object nodes
// (the library never runs their constructors). The structs below read such a node the way
// the class's constructor would, and build one that pickles byte-identically to CPython:
//
//   pickle::Graph g = pickle::loads(bytes);            // pickle.dumps(datetime.date(2024, 5, 7))
//   pickle::Date d = pickle::to<pickle::Date>(g.root());       // {2024, 5, 7}
//   if (auto dt = pickle::as_datetime(v)) ...                   // no exception when v is not one
//   pickle::Value v = pickle::from(g, pickle::Decimal::parse("3.14"));
//   std::string p = pickle::dumps(v);                  // == pickle.dumps(decimal.Decimal('3.14'))
//
// Reading (converter<T>::from_python, used by pickle::to<T>):
// * A TypeError "expected datetime.date, got ..." when the value is not an instance of the
//   class: not an Object, or an Object whose class (the callable of a REDUCE, the class of a
//   NEWOBJ) is another global.
// * Every form the class's constructor accepts is read: the state CPython pickles
//   (`date(b'\x07\xe8\x05\x07')`), the same state as a str with code points below 256 (a
//   Python 2 pickle loaded with encoding='latin1'; bytes with encoding='bytes'), and the
//   documented constructor call (`date(2024, 5, 7)`, `deque([1, 2], 5)`, Python 2's
//   `OrderedDict([[k, v], ...])`), keyword arguments included (NEWOBJ_EX).
// * A malformed object is a pickle::Error, never undefined behaviour: ValueError for a
//   state of the wrong length or out of range (month 13, minute 60, day 31 in April),
//   TypeError for arguments of the wrong type, OverflowError for out-of-range ints,
//   NotImplementedError for a form CPython accepts that these views do not evaluate (a
//   float timedelta component, iterating a str). Messages are CPython's where CPython has
//   one. Deliberate difference: a datetime state whose day or year is out of range (which
//   CPython's unpickling constructor does not check, making an invalid date) is refused.
// * The views hold Values (tzinfo objects, collection items, default factories) that
//   point into the Graph: they are valid while the Graph lives.
//
// Writing (converter<T>::to_python, used by pickle::from): a value in the given Graph
// that pickle::dumps writes exactly as CPython writes the same object, at every protocol.
// Each call makes new nodes: two conversions are two objects (CPython's sharing of, e.g.,
// the timezone.utc singleton between datetimes is not reproduced). Values taken from a
// view (tzinfo, items) must belong to the Graph being written into. Invalid fields (month
// 13) are a ValueError, so no pickle CPython would refuse to load is produced.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pickle/convert.h"
#include "pickle/value.h"

namespace pickle {

// ---------------------------------------------------------------------------------------
// datetime

/// datetime.timedelta, normalized as Python keeps it: 0 <= seconds < 86400,
/// 0 <= microseconds < 1000000, |days| <= 999999999.
struct TimeDelta {
  std::int64_t days = 0;
  std::int32_t seconds = 0;
  std::int32_t microseconds = 0;

  /// timedelta(days=, seconds=, microseconds=): carries into the normalized form.
  /// OverflowError when |days| would exceed 999999999 (CPython's message).
  static TimeDelta normalized(std::int64_t days, std::int64_t seconds, std::int64_t microseconds);
  /// repr(): "datetime.timedelta(days=-1, seconds=68400)", "datetime.timedelta(0)".
  std::string repr() const;
  friend bool operator==(const TimeDelta&, const TimeDelta&) = default;
};

/// datetime.timezone: a fixed UTC offset (strictly between -24h and 24h) and an optional
/// name. timezone.utc is TimeZone{} (offset 0, no name).
struct TimeZone {
  TimeDelta offset;
  std::optional<std::string> name;  ///< UTF-8
  friend bool operator==(const TimeZone&, const TimeZone&) = default;
};

/// datetime.date.
struct Date {
  int year = 1;   ///< 1..9999
  int month = 1;  ///< 1..12
  int day = 1;    ///< 1..days in the month
  friend bool operator==(const Date&, const Date&) = default;
};

/// datetime.time. The tzinfo: `tzinfo` is the loaded value (None when naive); when it is
/// a datetime.timezone, `timezone` holds its fields. Any other tzinfo class
/// (zoneinfo.ZoneInfo, pytz, dateutil) is only in `tzinfo`.
/// Writing: `timezone`, when set, is written as a new datetime.timezone and `tzinfo` is
/// ignored; otherwise `tzinfo` is written as it is (None, or a value of the target Graph).
struct Time {
  int hour = 0;         ///< 0..23
  int minute = 0;       ///< 0..59
  int second = 0;       ///< 0..59
  int microsecond = 0;  ///< 0..999999
  int fold = 0;         ///< 0 or 1 (pickled above protocol 3 only, as CPython)
  std::optional<TimeZone> timezone;
  Value tzinfo;
  /// Equal fields, equal timezones, and, without a timezone, the same tzinfo (`is`).
  friend bool operator==(const Time& a, const Time& b);
};

/// datetime.datetime; tzinfo as in Time.
struct DateTime {
  int year = 1, month = 1, day = 1;
  int hour = 0, minute = 0, second = 0, microsecond = 0;
  int fold = 0;
  std::optional<TimeZone> timezone;
  Value tzinfo;
  Date date() const { return {year, month, day}; }
  /// The time part with its tzinfo (datetime.timetz()).
  Time time() const;
  friend bool operator==(const DateTime& a, const DateTime& b);
};

// ---------------------------------------------------------------------------------------
// decimal

/// decimal.Decimal: sign, coefficient digits and exponent, as Decimal.as_tuple().
struct Decimal {
  enum class Form : std::uint8_t { Finite, Infinity, NaN, SignalingNaN };
  bool negative = false;
  Form form = Form::Finite;
  /// Finite: the coefficient's decimal digits without leading zeros ("0" for zero).
  /// NaN, SignalingNaN: the diagnostic payload without leading zeros ("" for none).
  /// Infinity: "".
  std::string digits = "0";
  /// Finite only: value = (-1)^negative * digits * 10^exponent.
  std::int64_t exponent = 0;

  /// Decimal(text): CPython's grammar (surrounding whitespace, underscores, case-insensitive
  /// "Inf"/"Infinity"/"NaN"/"sNaN", payloads). ValueError "Invalid literal for Decimal:
  /// '...'" where CPython raises decimal.InvalidOperation; NotImplementedError for
  /// non-ASCII digits.
  static Decimal parse(std::string_view text);
  /// str(d): "3.14", "-Infinity", "NaN", "sNaN12", "1E+2", "0E-10", "1.23E+7".
  std::string str() const;
  friend bool operator==(const Decimal&, const Decimal&) = default;
};

// ---------------------------------------------------------------------------------------
// collections. Items are Values of the loaded Graph, in insertion order; a key given twice
// keeps its first position and its last value, as in a dict (keys compare with Python
// equality: pickle::py_equal). Attributes of a subclass instance (its BUILD state) are
// not part of the views.

/// collections.OrderedDict.
struct OrderedDict {
  std::vector<std::pair<Value, Value>> items;
};

/// collections.Counter: element -> count (usually an int).
struct Counter {
  std::vector<std::pair<Value, Value>> items;
};

/// collections.defaultdict.
struct DefaultDict {
  Value default_factory;  ///< None, or the callable (usually a Global such as builtins.list)
  std::vector<std::pair<Value, Value>> items;
};

/// collections.deque. maxlen unset: unbounded. Items are what the deque holds: with a
/// maxlen, the last maxlen of those appended.
struct Deque {
  std::vector<Value> items;
  std::optional<std::int64_t> maxlen;
};

// ---------------------------------------------------------------------------------------
// Tests without exceptions.

/// True when `v` is an instance of the class (an Object whose class, or REDUCE callable, is
/// that global). Its state may still be malformed: to<T>() checks that.
bool is_date(Value v) noexcept;
bool is_time(Value v) noexcept;
bool is_datetime(Value v) noexcept;
bool is_timedelta(Value v) noexcept;
bool is_timezone(Value v) noexcept;
bool is_decimal(Value v) noexcept;
bool is_ordered_dict(Value v) noexcept;
bool is_counter(Value v) noexcept;
bool is_default_dict(Value v) noexcept;
bool is_deque(Value v) noexcept;

/// The view, or nullopt when `v` is not an instance of the class or is malformed (any
/// pickle::Error of to<T>()).
std::optional<Date> as_date(Value v);
std::optional<Time> as_time(Value v);
std::optional<DateTime> as_datetime(Value v);
std::optional<TimeDelta> as_timedelta(Value v);
std::optional<TimeZone> as_timezone(Value v);
std::optional<Decimal> as_decimal(Value v);
std::optional<OrderedDict> as_ordered_dict(Value v);
std::optional<Counter> as_counter(Value v);
std::optional<DefaultDict> as_default_dict(Value v);
std::optional<Deque> as_deque(Value v);

// ---------------------------------------------------------------------------------------
// Converters (see convert.h): pickle::to<pickle::Date>(v), pickle::from(g, date).

template <>
struct converter<Date> {
  static Date from_python(Value v);
  /// datetime.date(bytes4): REDUCE of datetime.date with the 4-byte state.
  static Value to_python(Graph& g, const Date& d);
};
template <>
struct converter<Time> {
  static Time from_python(Value v);
  static Value to_python(Graph& g, const Time& t);
};
template <>
struct converter<DateTime> {
  static DateTime from_python(Value v);
  static Value to_python(Graph& g, const DateTime& dt);
};
template <>
struct converter<TimeDelta> {
  static TimeDelta from_python(Value v);
  static Value to_python(Graph& g, const TimeDelta& td);
};
template <>
struct converter<TimeZone> {
  static TimeZone from_python(Value v);
  static Value to_python(Graph& g, const TimeZone& tz);
};
template <>
struct converter<Decimal> {
  static Decimal from_python(Value v);
  /// decimal.Decimal(str(d)).
  static Value to_python(Graph& g, const Decimal& d);
};
template <>
struct converter<OrderedDict> {
  static OrderedDict from_python(Value v);
  /// OrderedDict() with the items set after it (SETITEMS), as OrderedDict.__reduce__.
  static Value to_python(Graph& g, const OrderedDict& d);
};
template <>
struct converter<Counter> {
  static Counter from_python(Value v);
  /// Counter({...}), as Counter.__reduce__.
  static Value to_python(Graph& g, const Counter& c);
};
template <>
struct converter<DefaultDict> {
  static DefaultDict from_python(Value v);
  /// defaultdict(factory) (or defaultdict() for None) with the items set after it.
  static Value to_python(Graph& g, const DefaultDict& d);
};
template <>
struct converter<Deque> {
  static Deque from_python(Value v);
  /// deque() or deque((), maxlen) with the items appended after it (APPENDS). ValueError
  /// for a negative maxlen or more items than maxlen.
  static Value to_python(Graph& g, const Deque& d);
};

}  // namespace pickle
