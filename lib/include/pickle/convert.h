// pickle/convert.h: typed conversions between Python values and C++ types.
//
//   pickle::Graph g = pickle::loads(bytes);   // {'name': 'x', 'sizes': [1, 2]}
//   using Field = std::variant<std::string, std::vector<int>>;
//   auto m = pickle::to<std::map<std::string, Field>>(g.root());
//   pickle::Value v = pickle::from(g, std::vector<double>{1.5, 2.5});   // [1.5, 2.5]
//
// Built in, both ways (Python -> C++ accepts what is listed first):
//
//   C++                                  Python
//   bool                                 bool
//   every integer type, __int128         int (or bool), range-checked: OverflowError
//   (not the character types)
//   float, double, long double           float, int, bool (as float() converts them)
//   std::string, std::string_view        str, as UTF-8; a lone surrogate is
//                                        UnicodeEncodeError; from(): invalid UTF-8 is
//                                        UnicodeDecodeError. A string_view views the Graph.
//   const char*, char[N]                 str (from() only)
//   std::vector<std::byte>               bytes or bytearray (from(): bytes)
//   std::vector<T>                       list or tuple (from(): list)
//   std::array<T, N>, std::pair,         tuple or list of exactly that length (from(): tuple);
//   std::tuple                           ValueError for another length
//   std::map, std::unordered_map         dict
//   std::set, std::unordered_set         set or frozenset (from(): set)
//   std::optional<T>                     None or T
//   std::variant<T...>                   the first alternative that converts
//   pickle::Value                        any value, as is
//
// Wrong types are TypeError ("expected str, got int"); nothing is ever read as the wrong
// type, so conversions are safe on untrusted data. Big ints also convert to and from
// decimal text (int_to_string, int_from_string).
//
// Customization point: specialize pickle::converter<T> with either or both of
//   static T from_python(pickle::Value v);                      // used by to<T>
//   static pickle::Value to_python(pickle::Graph& g, const T&); // used by from()
// as with {fmt}'s formatter<T> or nlohmann::json's adl_serializer<T>. Containers of T
// then convert too. For a C++ class registered with pickle::register_class, derive the
// specialization from pickle::native_converter<T> (pickle/copyreg.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "pickle/error.h"
#include "pickle/value.h"

namespace pickle {

/// Specialize for your own types (see above).
template <class T, class Enable = void>
struct converter;

namespace detail {
[[noreturn]] void rethrow_conversion_failure();
}

/// The C++ value of type T that `v` holds. Throws pickle::Error.
template <class T>
T to(Value v) try {
  return converter<T>::from_python(v);
} catch (...) {
  detail::rethrow_conversion_failure();  // std::bad_alloc as MemoryError
}

/// to<T>(v), or nullopt when v does not convert (the reason is dropped).
template <class T>
std::optional<T> try_to(Value v) {
  try {
    return converter<T>::from_python(v);
  } catch (const Error&) {
    return std::nullopt;
  }
}

/// A Python value in `g` for the C++ value `x`.
template <class T>
Value from(Graph& g, const T& x) try {
  return converter<T>::to_python(g, x);
} catch (...) {
  detail::rethrow_conversion_failure();
}

/// str(i) for any Python int (bool included). ValueError for more than `max_digits`
/// digits, as CPython's int-to-str limit (0: no limit; the conversion is quadratic).
std::string int_to_string(Value v, std::size_t max_digits = 4300);
/// int(text) for decimal text as Python's int() reads it (blanks around, a sign, single
/// underscores between digits), with CPython's errors: ValueError "invalid literal for
/// int() with base 10: ..." and the 4300-digit limit.
Value int_from_string(Graph& g, std::string_view text);

namespace detail {
// The compiled cores of the conversions below.
[[noreturn]] void throw_conversion_error(ErrorType type, std::string message);
/// OverflowError "Python int too large (or too small) to convert to <target>".
[[noreturn]] void throw_int_range(bool negative, const char* target);
/// For a value that is not an int of at most 64 bits: TypeError when it is no int at all,
/// else OverflowError naming `target`.
[[noreturn]] void throw_not_int64(Value v, const char* target);
/// An int in [0, 2**64) (OverflowError naming `target` otherwise; TypeError for a non-int).
std::uint64_t to_uint64(Value v, const char* target);
Value int_from_uint64(Graph& g, std::uint64_t x);
/// An int as sign and a magnitude of at most 128 bits (two words, low first); OverflowError
/// naming `target` for more bits.
struct IntParts {
  bool negative;
  std::uint64_t low, high;
};
IntParts int_parts(Value v, const char* target);
Value int_from_parts(Graph& g, const IntParts& parts);
double to_double(Value v);
std::string_view to_utf8(Value v);
Value str_from_utf8(Graph& g, std::string_view utf8);
std::span<const std::uint8_t> to_byte_span(Value v);
/// The items of a list or tuple; TypeError naming `expected` otherwise.
std::span<const Value> sequence_items(Value v, const char* expected);
/// ValueError "expected a sequence of N items, got M".
void check_length(std::span<const Value> items, std::size_t n);
Value tuple_from(Graph& g, std::span<const Value> items);

template <class T>
inline constexpr bool is_char_v = std::is_same_v<T, char> || std::is_same_v<T, wchar_t> || std::is_same_v<T, char8_t> ||
                                  std::is_same_v<T, char16_t> || std::is_same_v<T, char32_t>;
/// The standard integer types (not bool, not the character types, which are text).
template <class T>
inline constexpr bool is_integer_v = std::is_integral_v<T> && !std::is_same_v<T, bool> && !is_char_v<T>;

template <class T>
constexpr const char* integer_name() {
  if constexpr (std::is_signed_v<T>) {
    return sizeof(T) == 1 ? "int8" : sizeof(T) == 2 ? "int16" : sizeof(T) == 4 ? "int32" : "int64";
  } else {
    return sizeof(T) == 1 ? "uint8" : sizeof(T) == 2 ? "uint16" : sizeof(T) == 4 ? "uint32" : "uint64";
  }
}
}  // namespace detail

// ---- scalars ------------------------------------------------------------------------------

template <>
struct converter<Value> {
  static Value from_python(Value v) { return v; }
  static Value to_python(Graph&, Value v) { return v; }
};

template <>
struct converter<bool> {
  static bool from_python(Value v) { return v.as_bool(); }
  static Value to_python(Graph&, bool b) { return Value::boolean(b); }
};

template <class T>
struct converter<T, std::enable_if_t<detail::is_integer_v<T>>> {
  static T from_python(Value v) {
    if (std::optional<std::int64_t> i = v.try_as_int()) {
      if (std::in_range<T>(*i)) return static_cast<T>(*i);
      detail::throw_int_range(*i < 0, detail::integer_name<T>());
    }
    if constexpr (!std::is_signed_v<T> && sizeof(T) == 8) {
      return static_cast<T>(detail::to_uint64(v, detail::integer_name<T>()));
    } else {
      detail::throw_not_int64(v, detail::integer_name<T>());
    }
  }
  static Value to_python(Graph& g, T x) {
    if (std::in_range<std::int64_t>(x)) return Value::integer(static_cast<std::int64_t>(x));
    return detail::int_from_uint64(g, static_cast<std::uint64_t>(x));
  }
};

#if defined(__SIZEOF_INT128__)
// 128-bit ints, where the compiler has them (GCC, Clang).
template <>
struct converter<__int128> {
  static __int128 from_python(Value v) {
    detail::IntParts p = detail::int_parts(v, "int128");
    const unsigned __int128 m = (static_cast<unsigned __int128>(p.high) << 64) | p.low;
    const unsigned __int128 limit = (static_cast<unsigned __int128>(1) << 127) - (p.negative ? 0 : 1);
    if (m > limit) detail::throw_int_range(p.negative, "int128");
    return p.negative ? static_cast<__int128>(0 - m) : static_cast<__int128>(m);
  }
  static Value to_python(Graph& g, __int128 x) {
    const unsigned __int128 m = x < 0 ? 0 - static_cast<unsigned __int128>(x) : static_cast<unsigned __int128>(x);
    return detail::int_from_parts(g, {x < 0, static_cast<std::uint64_t>(m), static_cast<std::uint64_t>(m >> 64)});
  }
};
template <>
struct converter<unsigned __int128> {
  static unsigned __int128 from_python(Value v) {
    detail::IntParts p = detail::int_parts(v, "uint128");
    if (p.negative) detail::throw_int_range(true, "uint128");
    return (static_cast<unsigned __int128>(p.high) << 64) | p.low;
  }
  static Value to_python(Graph& g, unsigned __int128 x) {
    return detail::int_from_parts(g, {false, static_cast<std::uint64_t>(x), static_cast<std::uint64_t>(x >> 64)});
  }
};
#endif

template <class T>
struct converter<T, std::enable_if_t<std::is_floating_point_v<T>>> {
  static T from_python(Value v) { return static_cast<T>(detail::to_double(v)); }
  static Value to_python(Graph&, T x) { return Value::floating(static_cast<double>(x)); }
};

// ---- strings and bytes --------------------------------------------------------------------

template <>
struct converter<std::string> {
  static std::string from_python(Value v) { return std::string(detail::to_utf8(v)); }
  static Value to_python(Graph& g, const std::string& s) { return detail::str_from_utf8(g, s); }
};

/// The view points into the Graph and is valid while the Graph lives.
template <>
struct converter<std::string_view> {
  static std::string_view from_python(Value v) { return detail::to_utf8(v); }
  static Value to_python(Graph& g, std::string_view s) { return detail::str_from_utf8(g, s); }
};

template <>
struct converter<const char*> {
  static Value to_python(Graph& g, const char* s) { return detail::str_from_utf8(g, s); }
};

template <std::size_t N>
struct converter<char[N]> {
  static Value to_python(Graph& g, const char (&s)[N]) {
    return detail::str_from_utf8(g, std::string_view(s, N && s[N - 1] == '\0' ? N - 1 : N));
  }
};

template <>
struct converter<std::vector<std::byte>> {
  static std::vector<std::byte> from_python(Value v) {
    std::span<const std::uint8_t> b = detail::to_byte_span(v);
    const auto* p = reinterpret_cast<const std::byte*>(b.data());
    return std::vector<std::byte>(p, p + b.size());
  }
  static Value to_python(Graph& g, const std::vector<std::byte>& b) {
    return g.new_bytes(std::span(reinterpret_cast<const std::uint8_t*>(b.data()), b.size()));
  }
};

// ---- containers ---------------------------------------------------------------------------

template <class T, class A>
struct converter<std::vector<T, A>, std::enable_if_t<!std::is_same_v<T, std::byte>>> {
  static std::vector<T, A> from_python(Value v) {
    std::span<const Value> items = detail::sequence_items(v, "list or tuple");
    std::vector<T, A> out;
    out.reserve(items.size());
    for (Value item : items) out.push_back(converter<T>::from_python(item));
    return out;
  }
  static Value to_python(Graph& g, const std::vector<T, A>& xs) {
    Value list = g.new_list();
    List& l = list.as_list();
    l.reserve(g, xs.size());
    for (const auto& x : xs) l.append(g, converter<T>::to_python(g, x));
    return list;
  }
};

template <class T, std::size_t N>
struct converter<std::array<T, N>> {
  static std::array<T, N> from_python(Value v) {
    std::span<const Value> items = detail::sequence_items(v, "tuple or list");
    detail::check_length(items, N);
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::array<T, N>{converter<T>::from_python(items[I])...};
    }
    (std::make_index_sequence<N>());
  }
  static Value to_python(Graph& g, const std::array<T, N>& xs) {
    std::array<Value, N> items;
    for (std::size_t i = 0; i < N; ++i) items[i] = converter<T>::to_python(g, xs[i]);
    return detail::tuple_from(g, items);
  }
};

template <class... Ts>
struct converter<std::tuple<Ts...>> {
  static std::tuple<Ts...> from_python(Value v) {
    std::span<const Value> items = detail::sequence_items(v, "tuple or list");
    detail::check_length(items, sizeof...(Ts));
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::tuple<Ts...>{converter<Ts>::from_python(items[I])...};
    }
    (std::index_sequence_for<Ts...>());
  }
  static Value to_python(Graph& g, const std::tuple<Ts...>& t) {
    std::array<Value, sizeof...(Ts)> items;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((items[I] = converter<Ts>::to_python(g, std::get<I>(t))), ...);
    }
    (std::index_sequence_for<Ts...>());
    return detail::tuple_from(g, items);
  }
};

template <class A, class B>
struct converter<std::pair<A, B>> {
  static std::pair<A, B> from_python(Value v) {
    auto [a, b] = converter<std::tuple<A, B>>::from_python(v);
    return {std::move(a), std::move(b)};
  }
  static Value to_python(Graph& g, const std::pair<A, B>& p) {
    Value items[] = {converter<A>::to_python(g, p.first), converter<B>::to_python(g, p.second)};
    return detail::tuple_from(g, items);
  }
};

namespace detail {
template <class Map>
struct map_converter {
  using K = typename Map::key_type;
  using V = typename Map::mapped_type;
  static Map from_python(Value v) {
    Map out;
    for (const Dict::Entry& e : v.as_dict()) {
      if (!out.emplace(converter<K>::from_python(e.key), converter<V>::from_python(e.value)).second) {
        throw_conversion_error(ErrorType::ValueError, "two keys of the dict convert to the same C++ key");
      }
    }
    return out;
  }
  static Value to_python(Graph& g, const Map& m) {
    Value dict = g.new_dict();
    Dict& d = dict.as_dict();
    d.reserve(g, m.size());
    for (const auto& [k, x] : m) d.set(g, converter<K>::to_python(g, k), converter<V>::to_python(g, x));
    return dict;
  }
};

template <class SetT>
struct set_converter {
  using K = typename SetT::key_type;
  static SetT from_python(Value v) {
    SetT out;
    for (Value item : v.as_set()) {
      if (!out.insert(converter<K>::from_python(item)).second) {
        throw_conversion_error(ErrorType::ValueError, "two members of the set convert to the same C++ value");
      }
    }
    return out;
  }
  static Value to_python(Graph& g, const SetT& s) {
    Value set = g.new_set();
    for (const auto& k : s) set.as_set().add(g, converter<K>::to_python(g, k));
    return set;
  }
};
}  // namespace detail

template <class K, class V, class C, class A>
struct converter<std::map<K, V, C, A>> : detail::map_converter<std::map<K, V, C, A>> {};
template <class K, class V, class H, class E, class A>
struct converter<std::unordered_map<K, V, H, E, A>> : detail::map_converter<std::unordered_map<K, V, H, E, A>> {};
template <class K, class C, class A>
struct converter<std::set<K, C, A>> : detail::set_converter<std::set<K, C, A>> {};
template <class K, class H, class E, class A>
struct converter<std::unordered_set<K, H, E, A>> : detail::set_converter<std::unordered_set<K, H, E, A>> {};

template <class T>
struct converter<std::optional<T>> {
  static std::optional<T> from_python(Value v) {
    if (v.is_none()) return std::nullopt;
    return converter<T>::from_python(v);
  }
  static Value to_python(Graph& g, const std::optional<T>& x) {
    return x ? converter<T>::to_python(g, *x) : Value::none();
  }
};

template <class... Ts>
struct converter<std::variant<Ts...>> {
  static std::variant<Ts...> from_python(Value v) {
    std::optional<std::variant<Ts...>> out;
    // The first alternative that converts wins.
    (void)((try_one<Ts>(v, out)) || ...);
    if (!out) {
      throw_none_matched(v);
    }
    return std::move(*out);
  }
  static Value to_python(Graph& g, const std::variant<Ts...>& x) {
    return std::visit([&g](const auto& alt) { return from(g, alt); }, x);
  }

 private:
  template <class T>
  static bool try_one(Value v, std::optional<std::variant<Ts...>>& out) {
    try {
      out.emplace(std::in_place_type<T>, converter<T>::from_python(v));
      return true;
    } catch (const Error&) {
      return false;
    }
  }
  [[noreturn]] static void throw_none_matched(Value v) {
    detail::throw_conversion_error(ErrorType::TypeError, "no alternative of the variant converts a " + type_name(v));
  }
};

}  // namespace pickle
