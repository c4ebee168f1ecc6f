// Typed views of datetime, decimal and collections objects (pickle/stdlib.h):
// * every stdlib case of golden/typed_view_cases.tsv (gen_typed_view_cases.py: CPython 3.11
//   pickles at protocols 0-5 and Python 2.7 pickles, with the fields CPython loads) reads
//   back CPython's fields, and the view written back with from() dumps to CPython's bytes;
// * the constructor forms, and malformed objects built by hand: a pickle::Error of the
//   right class, never a crash.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "pickle/error.h"
#include "pickle/pickler.h"
#include "pickle/stdlib.h"
#include "pickle/unpickler.h"
#include "conversion_checks.h"
#include "text_golden.h"

namespace {

using pickle::ErrorType;
using pickle::Graph;
using pickle::Value;

// ---------------------------------------------------------------------------------------
// Renderings of gen_typed_view_cases.py

std::string render_item(Value v);

std::string hex_of(std::string_view s) { return text_golden::hex(s); }

std::string render_tz(const std::optional<pickle::TimeZone>& tz, Value tzinfo) {
  if (tz) {
    return "timezone(" + std::to_string(tz->offset.days) + "," + std::to_string(tz->offset.seconds) + "," +
           std::to_string(tz->offset.microseconds) + "," + (tz->name ? hex_of(*tz->name) : "-") + ")";
  }
  return tzinfo.is_none() ? "None" : "other";
}

std::string render(const pickle::Date& d) {
  return std::to_string(d.year) + " " + std::to_string(d.month) + " " + std::to_string(d.day);
}
std::string render(const pickle::Time& t) {
  return std::to_string(t.hour) + " " + std::to_string(t.minute) + " " + std::to_string(t.second) + " " +
         std::to_string(t.microsecond) + " fold=" + std::to_string(t.fold) + " tz=" + render_tz(t.timezone, t.tzinfo);
}
std::string render(const pickle::DateTime& dt) { return render(dt.date()) + " " + render(dt.time()); }
std::string render(const pickle::TimeDelta& td) {
  return std::to_string(td.days) + " " + std::to_string(td.seconds) + " " + std::to_string(td.microseconds);
}
std::string render(const pickle::TimeZone& tz) { return render_tz(tz, Value()); }
std::string render(const pickle::Decimal& d) {
  std::string exp;
  switch (d.form) {
    case pickle::Decimal::Form::Finite: exp = std::to_string(d.exponent); break;
    case pickle::Decimal::Form::Infinity: exp = "F"; break;
    case pickle::Decimal::Form::NaN: exp = "n"; break;
    case pickle::Decimal::Form::SignalingNaN: exp = "N"; break;
  }
  return d.str() + "|" + (d.negative ? "1" : "0") + "|" + exp + "|" + d.digits;
}
std::string render_pairs(const std::vector<std::pair<Value, Value>>& items) {
  std::string s = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) s += ", ";
    s += "(" + render_item(items[i].first) + ", " + render_item(items[i].second) + ")";
  }
  return s + "]";
}
std::string render(const pickle::OrderedDict& d) { return render_pairs(d.items); }
std::string render(const pickle::Counter& c) { return render_pairs(c.items); }
std::string render(const pickle::DefaultDict& d) {
  std::string f = "other";
  if (d.default_factory.is_none()) {
    f = "None";
  } else if (d.default_factory.is_global()) {
    f = std::string(d.default_factory.as_global().module()) + "." +
        std::string(d.default_factory.as_global().qualname());
  }
  return "factory=" + f + " items=" + render_pairs(d.items);
}
std::string render(const pickle::Deque& d) {
  std::string s = "maxlen=" + (d.maxlen ? std::to_string(*d.maxlen) : std::string("None")) + " items=[";
  for (std::size_t i = 0; i < d.items.size(); ++i) {
    if (i) s += ", ";
    s += render_item(d.items[i]);
  }
  return s + "]";
}

template <class T>
std::string tagged(const char* tag, Value v) {
  return std::string("<") + tag + ":" + render(pickle::to<T>(v)) + ">";
}

std::string render_item(Value v) {
  if (pickle::is_ordered_dict(v)) return tagged<pickle::OrderedDict>("ordereddict", v);
  if (pickle::is_counter(v)) return tagged<pickle::Counter>("counter", v);
  if (pickle::is_default_dict(v)) return tagged<pickle::DefaultDict>("defaultdict", v);
  if (pickle::is_deque(v)) return tagged<pickle::Deque>("deque", v);
  if (pickle::is_datetime(v)) return tagged<pickle::DateTime>("datetime", v);
  if (pickle::is_date(v)) return tagged<pickle::Date>("date", v);
  if (pickle::is_time(v)) return tagged<pickle::Time>("time", v);
  if (pickle::is_timedelta(v)) return tagged<pickle::TimeDelta>("timedelta", v);
  if (pickle::is_timezone(v)) return tagged<pickle::TimeZone>("timezone", v);
  if (pickle::is_decimal(v)) return tagged<pickle::Decimal>("decimal", v);
  return pickle::repr(v);
}

// ---------------------------------------------------------------------------------------
// Golden cases

using Case = text_golden::TypedViewCase;

const std::vector<Case>& cases() { return text_golden::typed_view_cases(); }

pickle::UnpicklerOptions options_for(const Case& c) {
  pickle::UnpicklerOptions o;
  if (c.encoding != "-") o.encoding = c.encoding;
  return o;
}

// Reads the root with the view T, compares with CPython's fields, and for CPython 3.11
// pickles writes the view back and compares the bytes at the pickle's protocol.
template <class T>
void check_case(const Case& c, bool writes) {
  SCOPED_TRACE(c.name + " (line " + std::to_string(c.line) + ")");
  Graph g = pickle::loads(c.input, options_for(c));
  T view = pickle::to<T>(g.root());
  EXPECT_EQ(render(view), c.expected);
  if (writes && c.protocol != "-") {
    Value back = pickle::from(g, view);
    const std::string bytes = pickle::dumps(back, {.protocol = std::stoi(c.protocol)});
    EXPECT_EQ(bytes, c.input) << "dumps(from(view)) differs from CPython's pickle:\n  expected "
                              << text_golden::show(c.input, 400) << "\n  got      " << text_golden::show(bytes, 400);
    // The written value reads back as the same view.
    EXPECT_EQ(render(pickle::to<T>(back)), c.expected);
  }
}

TEST(StdlibTypesGolden, EveryCase) {
  std::map<std::string, int> seen;
  for (const Case& c : cases()) {
    try {
      if (c.type == "date") check_case<pickle::Date>(c, true);
      else if (c.type == "time") check_case<pickle::Time>(c, true);
      else if (c.type == "datetime") check_case<pickle::DateTime>(c, true);
      else if (c.type == "timedelta") check_case<pickle::TimeDelta>(c, true);
      else if (c.type == "timezone") check_case<pickle::TimeZone>(c, true);
      else if (c.type == "decimal") check_case<pickle::Decimal>(c, true);
      else if (c.type == "ordereddict") check_case<pickle::OrderedDict>(c, true);
      else if (c.type == "counter") check_case<pickle::Counter>(c, true);
      else if (c.type == "defaultdict") check_case<pickle::DefaultDict>(c, true);
      else if (c.type == "deque") check_case<pickle::Deque>(c, true);
      else continue;
      ++seen[c.type];
    } catch (const pickle::Error& e) {
      ADD_FAILURE() << c.name << " (line " << c.line << "): " << e.what();
    }
  }
  // Every type and both kinds of source are covered.
  for (const char* t : {"date", "time", "datetime", "timedelta", "timezone", "decimal", "ordereddict", "counter",
                        "defaultdict", "deque"}) {
    EXPECT_GE(seen[t], 12) << t;
  }
  int py2 = 0;
  for (const Case& c : cases()) py2 += c.name.rfind("py2.", 0) == 0;
  EXPECT_GT(py2, 50);
}

// ---------------------------------------------------------------------------------------
// Objects built by hand

Value call(Graph& g, std::string_view module, std::string_view name, std::vector<Value> args,
           pickle::Object::How how = pickle::Object::How::Reduce, Value kwargs = Value()) {
  return g.new_object(how, g.global(module, name), g.new_tuple(args), kwargs);
}

// bytes and str from literals that may hold NULs.
template <std::size_t N>
Value bytes(Graph& g, const char (&s)[N]) {
  return g.new_bytes(std::string_view(s, N - 1));
}
Value bytes(Graph& g, const std::string& s) { return g.new_bytes(std::string_view(s)); }
template <std::size_t N>
Value str(Graph& g, const char (&s)[N]) {
  return g.new_str(std::string_view(s, N - 1));
}

template <class T>
std::string message_of(Value v) {
  try {
    (void)pickle::to<T>(v);
  } catch (const pickle::Error& e) {
    return e.message();
  }
  return "(no error)";
}

TEST(StdlibTypes, DateForms) {
  Graph g;
  EXPECT_EQ(pickle::to<pickle::Date>(call(g, "datetime", "date", {bytes(g, "\x07\xe8\x05\x07")})),
            (pickle::Date{2024, 5, 7}));
  // Python 2 str state loaded with encoding='latin1': code points are the bytes.
  EXPECT_EQ(pickle::to<pickle::Date>(call(g, "datetime", "date", {g.new_str("\x07\xc3\xa8\x05\x07")})),
            (pickle::Date{2024, 5, 7}));
  EXPECT_EQ(pickle::to<pickle::Date>(
                call(g, "datetime", "date", {Value::integer(2024), Value::integer(2), Value::integer(29)})),
            (pickle::Date{2024, 2, 29}));
  // NEWOBJ_EX with keywords: date.__new__(date, 1999, day=3, month=4).
  Value kw = g.new_dict();
  kw.as_dict().set(g, g.new_str("day"), Value::integer(3));
  kw.as_dict().set(g, g.new_str("month"), Value::integer(4));
  EXPECT_EQ(
      pickle::to<pickle::Date>(call(g, "datetime", "date", {Value::integer(1999)}, pickle::Object::How::NewObj, kw)),
      (pickle::Date{1999, 4, 3}));
}

TEST(StdlibTypes, DateErrors) {
  Graph g;
  EXPECT_EQ(conversion_error<pickle::Date>(Value::integer(1)), ErrorType::TypeError);
  EXPECT_EQ(message_of<pickle::Date>(Value::integer(1)), "expected datetime.date, got int");
  Value dt = call(g, "datetime", "datetime", {bytes(g, std::string(10, '\x01'))});
  EXPECT_EQ(message_of<pickle::Date>(dt), "expected datetime.date, got datetime.datetime");
  EXPECT_EQ(conversion_error<pickle::Date>(g.global("datetime", "date")), ErrorType::TypeError);
  EXPECT_EQ(conversion_error<pickle::Date>(call(g, "datetime", "date", {bytes(g, "\x07\xe8\x0d\x07")})),
            ErrorType::ValueError);
  EXPECT_EQ(conversion_error<pickle::Date>(call(g, "datetime", "date", {bytes(g, "\x07\xe8\x05\x07\x00")})),
            ErrorType::ValueError);
  EXPECT_EQ(conversion_error<pickle::Date>(call(g, "datetime", "date", {bytes(g, "\x07\xe8\x04\x1f")})),
            ErrorType::ValueError);
  EXPECT_EQ(message_of<pickle::Date>(call(g, "datetime", "date", {bytes(g, std::string("\x00\x00\x01\x01", 4))})),
            "year 0 is out of range");
  EXPECT_EQ(conversion_error<pickle::Date>(call(g, "datetime", "date", {g.new_str("\x07\xe2\x82\xac\x05\x07")})),
            ErrorType::ValueError);  // a code point above 255
  EXPECT_EQ(conversion_error<pickle::Date>(call(g, "datetime", "date", {})), ErrorType::TypeError);
  EXPECT_EQ(conversion_error<pickle::Date>(call(g, "datetime", "date", {Value::integer(2024), Value::integer(5)})),
            ErrorType::TypeError);
  EXPECT_EQ(conversion_error<pickle::Date>(
                call(g, "datetime", "date", {g.new_str("x"), Value::integer(1), Value::integer(2)})),
            ErrorType::TypeError);
  std::uint32_t big[] = {0, 0, 1};
  EXPECT_EQ(conversion_error<pickle::Date>(
                call(g, "datetime", "date", {g.new_bigint(false, big), Value::integer(1), Value::integer(2)})),
            ErrorType::OverflowError);
  EXPECT_EQ(conversion_error<pickle::Date>(
                call(g, "datetime", "date",
                     {bytes(g, "\x07\xe8\x05\x07"), Value::integer(1), Value::integer(1), Value::integer(1)})),
            ErrorType::TypeError);
  // A BUILD state or appended items: CPython fails on those too.
  Value with_state = call(g, "datetime", "date", {bytes(g, "\x07\xe8\x05\x07")});
  with_state.as_object().set_state(g.new_dict());
  EXPECT_EQ(conversion_error<pickle::Date>(with_state), ErrorType::ValueError);
  Value with_items = call(g, "datetime", "date", {bytes(g, "\x07\xe8\x05\x07")});
  with_items.as_object().append(g, Value::integer(1));
  EXPECT_EQ(conversion_error<pickle::Date>(with_items), ErrorType::ValueError);
  // Arguments that are not a tuple.
  Value odd = g.new_object(pickle::Object::How::Reduce, g.global("datetime", "date"), g.new_list());
  EXPECT_EQ(conversion_error<pickle::Date>(odd), ErrorType::ValueError);
  // Writing refuses invalid fields.
  EXPECT_THROW(pickle::from(g, pickle::Date{2024, 13, 1}), pickle::Error);
  EXPECT_THROW(pickle::from(g, pickle::Date{0, 1, 1}), pickle::Error);
}

TEST(StdlibTypes, TimeAndDateTimeForms) {
  Graph g;
  // time(b'\x81\x02\x03\x00\x00\x04'): fold in the hour's high bit.
  pickle::Time t = pickle::to<pickle::Time>(call(g, "datetime", "time", {bytes(g, "\x81\x02\x03\x00\x00\x04")}));
  EXPECT_EQ(t.hour, 1);
  EXPECT_EQ(t.fold, 1);
  EXPECT_EQ(t.microsecond, 4);
  EXPECT_TRUE(t.tzinfo.is_none());
  // Constructor form with keyword-only fold and a timezone.
  Value tz = call(g, "datetime", "timezone",
                  {call(g, "datetime", "timedelta", {Value::integer(0), Value::integer(3600), Value::integer(0)})});
  Value kw = g.new_dict();
  kw.as_dict().set(g, g.new_str("fold"), Value::integer(1));
  kw.as_dict().set(g, g.new_str("tzinfo"), tz);
  pickle::DateTime dt = pickle::to<pickle::DateTime>(
      call(g, "datetime", "datetime", {Value::integer(2024), Value::integer(5), Value::integer(7), Value::integer(13)},
           pickle::Object::How::NewObj, kw));
  EXPECT_EQ(dt.hour, 13);
  EXPECT_EQ(dt.fold, 1);
  ASSERT_TRUE(dt.timezone);
  EXPECT_EQ(dt.timezone->offset, (pickle::TimeDelta{0, 3600, 0}));
  EXPECT_FALSE(dt.timezone->name);
  EXPECT_TRUE(dt.tzinfo.is(tz));
  // Another tzinfo class: kept as the Value.
  Value zone = g.new_object(pickle::Object::How::Reduce, g.global("zoneinfo", "ZoneInfo._unpickle"),
                            g.new_tuple(std::vector<Value>{g.new_str("Europe/Paris"), Value::integer(1)}));
  pickle::DateTime z = pickle::to<pickle::DateTime>(
      call(g, "datetime", "datetime", {bytes(g, "\x07\xe8\x05\x07\x01\x02\x03\x00\x01\xc8"), zone}));
  EXPECT_FALSE(z.timezone);
  EXPECT_TRUE(z.tzinfo.is(zone));
  EXPECT_EQ(z.microsecond, 456);
  // Python 2 state as bytes (encoding='bytes') or str (encoding='latin1').
  EXPECT_EQ(pickle::to<pickle::DateTime>(
                call(g, "datetime", "datetime", {str(g, "\x07\xc3\xa8\x05\x07\x01\x02\x03\x00\x01\xc3\x88")})),
            pickle::to<pickle::DateTime>(
                call(g, "datetime", "datetime", {bytes(g, "\x07\xe8\x05\x07\x01\x02\x03\x00\x01\xc8")})));
}

TEST(StdlibTypes, TimeAndDateTimeErrors) {
  Graph g;
  auto time_of = [&](std::string state) { return call(g, "datetime", "time", {bytes(g, state)}); };
  EXPECT_EQ(conversion_error<pickle::Time>(time_of(std::string("\x18\x00\x00\x00\x00\x00", 6))), ErrorType::ValueError);
  EXPECT_EQ(conversion_error<pickle::Time>(time_of(std::string("\x01\x3c\x00\x00\x00\x00", 6))), ErrorType::ValueError);
  EXPECT_EQ(conversion_error<pickle::Time>(time_of(std::string("\x01\x00\x3c\x00\x00\x00", 6))), ErrorType::ValueError);
  EXPECT_EQ(conversion_error<pickle::Time>(time_of(std::string("\x01\x00\x00\xff\xff\xff", 6))), ErrorType::ValueError);
  EXPECT_EQ(conversion_error<pickle::Time>(time_of("\x01\x00")), ErrorType::ValueError);
  EXPECT_EQ(
      message_of<pickle::Time>(call(g, "datetime", "time", {bytes(g, std::string(6, '\x01')), Value::integer(3)})),
      "bad tzinfo state arg");
  EXPECT_EQ(conversion_error<pickle::Time>(call(g, "datetime", "time", {Value::integer(25)})), ErrorType::ValueError);
  EXPECT_EQ(conversion_error<pickle::Time>(
                call(g, "datetime", "time",
                     {Value::integer(1), Value::integer(2), Value::integer(3), Value::integer(4), g.new_str("tz")})),
            ErrorType::TypeError);
  // A malformed timezone inside a datetime: its error.
  Value bad_tz = call(g, "datetime", "timezone",
                      {call(g, "datetime", "timedelta", {Value::integer(1), Value::integer(0), Value::integer(0)})});
  EXPECT_EQ(conversion_error<pickle::DateTime>(
                call(g, "datetime", "datetime", {bytes(g, "\x07\xe8\x05\x07\x01\x02\x03\x00\x01\xc8"), bad_tz})),
            ErrorType::ValueError);
  EXPECT_EQ(conversion_error<pickle::DateTime>(
                call(g, "datetime", "datetime", {bytes(g, "\x07\xe8\x0d\x07\x01\x02\x03\x00\x01\xc8")})),
            ErrorType::ValueError);
  EXPECT_EQ(conversion_error<pickle::DateTime>(call(
                g, "datetime", "datetime", {bytes(g, std::string("\x07\xe8\x02\x1e\x01\x02\x03\x00\x01\xc8", 10))})),
            ErrorType::ValueError);  // February 30
  Value kw = g.new_dict();
  kw.as_dict().set(g, g.new_str("fold"), Value::integer(2));
  EXPECT_EQ(conversion_error<pickle::DateTime>(call(g, "datetime", "datetime",
                                                    {Value::integer(2024), Value::integer(5), Value::integer(7)},
                                                    pickle::Object::How::NewObj, kw)),
            ErrorType::ValueError);
  Value kw2 = g.new_dict();
  kw2.as_dict().set(g, g.new_str("nosuch"), Value::integer(2));
  EXPECT_EQ(conversion_error<pickle::DateTime>(call(g, "datetime", "datetime",
                                                    {Value::integer(2024), Value::integer(5), Value::integer(7)},
                                                    pickle::Object::How::NewObj, kw2)),
            ErrorType::TypeError);
  pickle::Time t;
  t.minute = 60;
  EXPECT_THROW(pickle::from(g, t), pickle::Error);
}

TEST(StdlibTypes, TimeDeltaAndTimeZone) {
  Graph g;
  auto td = [&](std::vector<Value> args) { return call(g, "datetime", "timedelta", std::move(args)); };
  EXPECT_EQ(pickle::to<pickle::TimeDelta>(td({Value::integer(0), Value::integer(-1)})),
            (pickle::TimeDelta{-1, 86399, 0}));
  EXPECT_EQ(pickle::to<pickle::TimeDelta>(td({Value::integer(0), Value::integer(0), Value::integer(-1)})),
            (pickle::TimeDelta{-1, 86399, 999999}));
  Value kw = g.new_dict();
  kw.as_dict().set(g, g.new_str("weeks"), Value::integer(1));
  kw.as_dict().set(g, g.new_str("hours"), Value::integer(-1));
  kw.as_dict().set(g, g.new_str("milliseconds"), Value::integer(1500));
  EXPECT_EQ(pickle::to<pickle::TimeDelta>(call(g, "datetime", "timedelta", {}, pickle::Object::How::NewObj, kw)),
            (pickle::TimeDelta{6, 82801, 500000}));
  EXPECT_EQ(pickle::TimeDelta::normalized(0, 90000, -1), (pickle::TimeDelta{1, 3599, 999999}));
  EXPECT_EQ(conversion_error<pickle::TimeDelta>(td({Value::integer(1000000000)})), ErrorType::OverflowError);
  EXPECT_EQ(message_of<pickle::TimeDelta>(td({Value::integer(1000000000)})),
            "days=1000000000; must have magnitude <= 999999999");
  EXPECT_EQ(
      conversion_error<pickle::TimeDelta>(td(
          {Value::integer(INT64_MAX), Value::integer(INT64_MAX), Value::integer(INT64_MAX), Value::integer(INT64_MAX),
           Value::integer(INT64_MAX), Value::integer(INT64_MAX), Value::integer(INT64_MAX)})),
      ErrorType::OverflowError);
  EXPECT_EQ(conversion_error<pickle::TimeDelta>(td({Value::floating(1.5)})), ErrorType::NotImplementedError);
  EXPECT_EQ(conversion_error<pickle::TimeDelta>(td({g.new_str("1")})), ErrorType::TypeError);
  std::vector<Value> eight(8, Value::integer(0));
  EXPECT_EQ(conversion_error<pickle::TimeDelta>(td(eight)), ErrorType::TypeError);
  EXPECT_EQ(pickle::TimeDelta({-1, 68400, 0}).repr(), "datetime.timedelta(days=-1, seconds=68400)");
  EXPECT_EQ(pickle::TimeDelta{}.repr(), "datetime.timedelta(0)");

  auto tz = [&](std::vector<Value> args) { return call(g, "datetime", "timezone", std::move(args)); };
  Value hour = td({Value::integer(0), Value::integer(3600)});
  EXPECT_EQ(pickle::to<pickle::TimeZone>(tz({hour, g.new_str("X")})), (pickle::TimeZone{{0, 3600, 0}, "X"}));
  EXPECT_EQ(message_of<pickle::TimeZone>(tz({Value::integer(1)})),
            "timezone() argument 1 must be datetime.timedelta, not int");
  EXPECT_EQ(message_of<pickle::TimeZone>(tz({hour, Value()})), "timezone() argument 2 must be str, not NoneType");
  EXPECT_EQ(message_of<pickle::TimeZone>(tz({td({Value::integer(1)})})),
            "offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24), not "
            "datetime.timedelta(days=1).");
  EXPECT_EQ(conversion_error<pickle::TimeZone>(tz({td({Value::integer(-1)})})), ErrorType::ValueError);
  EXPECT_EQ(conversion_error<pickle::TimeZone>(tz({})), ErrorType::TypeError);
  EXPECT_THROW(pickle::from(g, pickle::TimeZone{{1, 0, 0}, std::nullopt}), pickle::Error);
  EXPECT_THROW(pickle::from(g, pickle::TimeDelta{0, 86400, 0}), pickle::Error);
}

TEST(StdlibTypes, DecimalText) {
  // CPython 3.11: str(Decimal(text)).
  const std::pair<const char*, const char*> cases[] = {
      {"1__0", "10"},
      {"_1", "1"},
      {"In_f", "Infinity"},
      {"NaN0", "NaN"},
      {"NaN007", "NaN7"},
      {"-nan", "-NaN"},
      {"sNaN12", "sNaN12"},
      {"  1.50  ", "1.50"},
      {"1e-7", "1E-7"},
      {"0.000001", "0.000001"},
      {"123E+5", "1.23E+7"},
      {"-0", "-0"},
      {"0E-10", "0E-10"},
      {"1.", "1"},
      {".5", "0.5"},
      {"+Inf", "Infinity"},
      {"-Infinity", "-Infinity"},
      {"1E+999999999999999999", "1E+999999999999999999"},
      {"1e-1000000000000000010", "1E-1000000000000000010"},
      {"00012.3400", "12.3400"},
      {"\t-7e3\n", "-7E+3"},
      {"0.0", "0.0"},
      {"1000e-3", "1.000"},
      {"12345678901234567890e20", "1.2345678901234567890E+39"},
  };
  for (const auto& [text, str] : cases) {
    EXPECT_EQ(pickle::Decimal::parse(text).str(), str) << text;
  }
  for (const char* bad : {"", "1 2", "NaN1.2", "e5", "1e", "1e+", "--1", "Infinit", "0x10", ".", "1.2.3"}) {
    try {
      (void)pickle::Decimal::parse(bad);
      ADD_FAILURE() << "no error for '" << bad << "'";
    } catch (const pickle::Error& e) {
      EXPECT_EQ(e.type(), ErrorType::ValueError) << bad;
    }
  }
  EXPECT_THROW(pickle::Decimal::parse("1e1000000000000000000"), pickle::Error);
  EXPECT_THROW(pickle::Decimal::parse("\xd9\xa1"), pickle::Error);  // Arabic-Indic one: not supported
}

TEST(StdlibTypes, DecimalForms) {
  Graph g;
  auto dec = [&](std::vector<Value> args) { return call(g, "decimal", "Decimal", std::move(args)); };
  EXPECT_EQ(pickle::to<pickle::Decimal>(dec({})).str(), "0");
  EXPECT_EQ(pickle::to<pickle::Decimal>(dec({Value::integer(-5)})).str(), "-5");
  EXPECT_EQ(pickle::to<pickle::Decimal>(dec({Value::boolean(true)})).str(), "1");
  std::uint32_t big[] = {0, 0, 0, 1};  // 2**96
  EXPECT_EQ(pickle::to<pickle::Decimal>(dec({g.new_bigint(true, big)})).str(), "-79228162514264337593543950336");
  auto tuple = [&](std::vector<Value> items) { return g.new_tuple(items); };
  EXPECT_EQ(pickle::to<pickle::Decimal>(
                dec({tuple({Value::integer(1), tuple({Value::integer(0), Value::integer(1), Value::integer(4)}),
                            Value::integer(-2)})}))
                .str(),
            "-0.14");
  EXPECT_EQ(pickle::to<pickle::Decimal>(dec({tuple({Value::integer(0), tuple({}), g.new_str("F")})})).str(),
            "Infinity");
  EXPECT_EQ(pickle::to<pickle::Decimal>(
                dec({tuple({Value::integer(0), tuple({Value::integer(1), Value::integer(2)}), g.new_str("n")})}))
                .str(),
            "NaN12");
  EXPECT_EQ(pickle::to<pickle::Decimal>(dec({bytes(g, "1.5")})).str(), "1.5");  // Python 2, encoding='bytes'
  EXPECT_EQ(pickle::to<pickle::Decimal>(dec({dec({g.new_str("2.50")})})).str(), "2.50");
  EXPECT_EQ(conversion_error<pickle::Decimal>(dec({g.new_str("abc")})), ErrorType::ValueError);
  EXPECT_EQ(conversion_error<pickle::Decimal>(dec({Value::floating(0.1)})), ErrorType::NotImplementedError);
  EXPECT_EQ(conversion_error<pickle::Decimal>(dec({Value()})), ErrorType::TypeError);
  EXPECT_EQ(conversion_error<pickle::Decimal>(dec({tuple({Value::integer(2), tuple({}), Value::integer(0)})})),
            ErrorType::ValueError);
  EXPECT_EQ(conversion_error<pickle::Decimal>(
                dec({tuple({Value::integer(0), tuple({Value::integer(10)}), Value::integer(0)})})),
            ErrorType::ValueError);
  EXPECT_EQ(conversion_error<pickle::Decimal>(dec({tuple({Value::integer(0), tuple({}), g.new_str("x")})})),
            ErrorType::ValueError);
  EXPECT_EQ(conversion_error<pickle::Decimal>(dec({tuple({Value::integer(0)})})), ErrorType::ValueError);
  // Deeply nested Decimal(Decimal(...)): an error, not a deep recursion.
  Value nested = dec({g.new_str("1")});
  for (int i = 0; i < 500; ++i) nested = dec({nested});
  EXPECT_EQ(conversion_error<pickle::Decimal>(nested), ErrorType::NotImplementedError);
  pickle::Decimal bad;
  bad.digits = "12x";
  EXPECT_THROW(pickle::from(g, bad), pickle::Error);
  bad.digits = "012";
  EXPECT_THROW(pickle::from(g, bad), pickle::Error);
}

TEST(StdlibTypes, CollectionForms) {
  Graph g;
  auto list = [&](std::vector<Value> items) {
    Value l = g.new_list();
    for (Value x : items) l.as_list().append(g, x);
    return l;
  };
  auto i = [](std::int64_t n) { return Value::integer(n); };
  // Python 2's OrderedDict([[k, v], ...]), then a SETITEM replacing a value.
  Value od =
      call(g, "collections", "OrderedDict", {list({list({i(1), i(2)}), list({i(3), i(4)}), list({i(1), i(5)})})});
  od.as_object().set_item(g, i(3), i(6));
  od.as_object().set_item(g, Value::floating(1.0), i(7));  // 1.0 == 1: the first key stays
  EXPECT_EQ(render(pickle::to<pickle::OrderedDict>(od)), "[(1, 7), (3, 6)]");
  // NEWOBJ ignores arguments (dict.__new__).
  Value od2 = call(g, "collections", "OrderedDict", {list({list({i(1), i(2)})})}, pickle::Object::How::NewObj);
  EXPECT_EQ(render(pickle::to<pickle::OrderedDict>(od2)), "[]");
  // Counter of an iterable counts; keyword counts add.
  Value kw = g.new_dict();
  kw.as_dict().set(g, g.new_str("a"), i(5));
  Value ctr = call(g, "collections", "Counter", {list({i(1), i(1), i(2)})}, pickle::Object::How::Reduce, kw);
  EXPECT_EQ(render(pickle::to<pickle::Counter>(ctr)), "[(1, 2), (2, 1), ('a', 5)]");
  // Python 2's deque(list, maxlen), then APPENDS: the last maxlen items stay.
  Value dq = call(g, "collections", "deque", {list({i(1), i(2), i(3)}), i(2)});
  dq.as_object().append(g, i(4));
  EXPECT_EQ(render(pickle::to<pickle::Deque>(dq)), "maxlen=2 items=[3, 4]");
  Value dd = call(g, "collections", "defaultdict",
                  {g.global("builtins", "list"), list({g.new_tuple(std::vector<Value>{i(1), i(2)})})});
  EXPECT_EQ(render(pickle::to<pickle::DefaultDict>(dd)), "factory=builtins.list items=[(1, 2)]");

  EXPECT_EQ(
      conversion_error<pickle::OrderedDict>(call(g, "collections", "OrderedDict", {list({list({i(1), i(2), i(3)})})})),
      ErrorType::ValueError);
  EXPECT_EQ(conversion_error<pickle::OrderedDict>(call(g, "collections", "OrderedDict", {i(5)})), ErrorType::TypeError);
  EXPECT_EQ(conversion_error<pickle::OrderedDict>(call(g, "collections", "OrderedDict", {list({i(5)})})),
            ErrorType::TypeError);
  EXPECT_EQ(conversion_error<pickle::OrderedDict>(call(g, "collections", "OrderedDict", {i(1), i(2)})),
            ErrorType::TypeError);
  Value unhashable = call(g, "collections", "OrderedDict", {});
  unhashable.as_object().set_item(g, g.new_list(), i(1));
  EXPECT_EQ(conversion_error<pickle::OrderedDict>(unhashable), ErrorType::TypeError);
  Value appended = call(g, "collections", "OrderedDict", {});
  appended.as_object().append(g, i(1));
  EXPECT_EQ(conversion_error<pickle::OrderedDict>(appended), ErrorType::ValueError);
  EXPECT_EQ(conversion_error<pickle::Deque>(call(g, "collections", "deque", {list({}), i(-1)})), ErrorType::ValueError);
  EXPECT_EQ(conversion_error<pickle::Deque>(call(g, "collections", "deque", {i(5)})), ErrorType::TypeError);
  EXPECT_EQ(conversion_error<pickle::Deque>(call(g, "collections", "deque", {g.new_str("ab")})),
            ErrorType::NotImplementedError);
  EXPECT_EQ(conversion_error<pickle::Deque>(call(g, "collections", "deque", {list({}), g.new_str("3")})),
            ErrorType::TypeError);
  EXPECT_EQ(conversion_error<pickle::DefaultDict>(call(g, "collections", "defaultdict", {i(5)})), ErrorType::TypeError);
  EXPECT_EQ(conversion_error<pickle::DefaultDict>(
                call(g, "collections", "defaultdict", {Value(), g.new_dict(), g.new_dict()})),
            ErrorType::TypeError);
  EXPECT_EQ(conversion_error<pickle::Counter>(call(g, "collections", "Counter", {g.new_str("abc")})),
            ErrorType::NotImplementedError);
  EXPECT_EQ(conversion_error<pickle::Counter>(call(g, "collections", "Counter", {i(3)})), ErrorType::TypeError);
  pickle::Deque too_many;
  too_many.items = {i(1), i(2)};
  too_many.maxlen = 1;
  EXPECT_THROW(pickle::from(g, too_many), pickle::Error);
  too_many.maxlen = 2;
  EXPECT_EQ(render(pickle::to<pickle::Deque>(pickle::from(g, too_many))), "maxlen=2 items=[1, 2]");
}

TEST(StdlibTypes, OptionalForms) {
  Graph g;
  Value date = call(g, "datetime", "date", {bytes(g, "\x07\xe8\x05\x07")});
  EXPECT_TRUE(pickle::is_date(date));
  EXPECT_FALSE(pickle::is_datetime(date));
  EXPECT_EQ(pickle::as_date(date), (pickle::Date{2024, 5, 7}));
  EXPECT_FALSE(pickle::as_datetime(date));
  EXPECT_FALSE(pickle::as_date(Value::integer(3)));
  Value bad = call(g, "datetime", "date", {bytes(g, "\x07\xe8\x0d\x07")});
  EXPECT_TRUE(pickle::is_date(bad));
  EXPECT_FALSE(pickle::as_date(bad));
  EXPECT_FALSE(pickle::as_decimal(g.new_str("1")));
  EXPECT_TRUE(pickle::as_deque(call(g, "collections", "deque", {})));
}

// Every converter, on objects of its class with arguments of every shape: a pickle::Error
// or a value, nothing else (run under the sanitizers too).
TEST(StdlibTypes, ArbitraryArgumentsNeverCrash) {
  Graph g;
  std::uint32_t big[] = {1, 2, 3};
  Value list = g.new_list();
  list.as_list().append(g, g.new_tuple(std::vector<Value>{Value::integer(1)}));
  Value dict = g.new_dict();
  dict.as_dict().set(g, g.new_str("fold"), g.new_str("x"));
  std::vector<Value> atoms = {Value(),
                              Value::boolean(true),
                              Value::integer(-1),
                              Value::integer(1 << 20),
                              g.new_bigint(true, big),
                              Value::floating(1e300),
                              g.new_str(""),
                              g.new_str("\xc3\xbf\xc3\xbf\xc3\xbf\xc3\xbf"),
                              g.new_bytes(std::string_view("")),
                              g.new_bytes(std::string_view("\x07\xe8\x05\x07")),
                              g.new_bytes(std::string(6, '\x7f')),
                              g.new_bytes(std::string(10, '\xff')),
                              list,
                              g.new_tuple(std::vector<Value>{}),
                              dict,
                              g.global("builtins", "list"),
                              call(g, "datetime", "timedelta", {Value::integer(0), Value::integer(60)}),
                              call(g, "datetime", "timezone", {Value::integer(0)}),
                              g.new_buffer(std::span<const std::uint8_t>(), true),
                              g.new_iterator(dict, pickle::Iterator::Over::DictItems),
                              g.new_iterator(list)};
  const std::pair<const char*, const char*> classes[] = {{"datetime", "date"},           {"datetime", "time"},
                                                         {"datetime", "datetime"},       {"datetime", "timedelta"},
                                                         {"datetime", "timezone"},       {"decimal", "Decimal"},
                                                         {"collections", "OrderedDict"}, {"collections", "Counter"},
                                                         {"collections", "defaultdict"}, {"collections", "deque"}};
  ConversionOutcomes<pickle::Date, pickle::Time, pickle::DateTime, pickle::TimeDelta, pickle::TimeZone, pickle::Decimal,
                     pickle::OrderedDict, pickle::Counter, pickle::DefaultDict, pickle::Deque>
      run;

  for (const auto& [module, name] : classes) {
    for (auto how : {pickle::Object::How::Reduce, pickle::Object::How::NewObj}) {
      run(call(g, module, name, {}, how));
      for (Value a : atoms) {
        run(call(g, module, name, {a}, how));
        for (Value b : atoms) {
          run(call(g, module, name, {a, b}, how));
          run(call(g, module, name, {a, b, a}, how, dict));
        }
      }
    }
  }
  EXPECT_GT(run.values, 0);
  EXPECT_GT(run.errors, 0);
}

}  // namespace
