#pragma once
/// \file
/// `ValueTraits<T>`: how a C++ type converts to and from `Value`, plus the built-in
/// specialisations (scalars, strings, containers, optional, tuples, enums, durations).
///
/// To make your own type usable in `Value::as<T>()`, `Value::from(t)` and RPC
/// signatures, specialise it (in any namespace you own, as `uvmas::ValueTraits`):
/// \code
/// template <> struct uvmas::ValueTraits<Point> {
///   static Value to_value(const Point& p) { return Value::map({{"x", p.x}, {"y", p.y}}); }
///   static Point from_value(const Value& v) { return {v.at("x").as<double>(), v.at("y").as<double>()}; }
/// };
/// \endcode

#include <array>
#include <chrono>
#include <cmath>
#include <concepts>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include <uvmas/codecs/value.hpp>

namespace uvmas {

/// Primary template, intentionally undefined: specialise it for your type.
template <class T>
struct ValueTraits;

/// T can be turned into a Value.
template <class T>
concept ValueEncodable = requires(const T& t) {
  { ValueTraits<T>::to_value(t) } -> std::same_as<Value>;
};
/// T can be read back from a Value.
template <class T>
concept ValueDecodable = requires(const Value& v) {
  { ValueTraits<T>::from_value(v) } -> std::same_as<T>;
};
/// T converts both ways.
template <class T>
concept ValueConvertible = ValueEncodable<T> && ValueDecodable<T>;

namespace detail {
/// Element types a container specialisation accepts (so that, e.g.,
/// `ValueConvertible<std::vector<void*>>` is false rather than a hard error later).
template <class T>
concept HasValueTraits = ValueEncodable<T> || ValueDecodable<T>;
}  // namespace detail

namespace detail {
/// Runs `f()`, prefixing the path of a ConversionError escaping it with `segment`.
template <class F>
decltype(auto) with_path(std::string_view segment, F&& f) {
  try {
    return f();
  } catch (const ConversionError& e) {
    throw e.with_prefix(segment);
  }
}
/// "[i]".
std::string index_segment(std::size_t i);
/// "['key']" for text keys, "[repr]" for others.
std::string key_segment(const Value& key);
/// "expected <what>, got <kind>".
[[noreturn]] void throw_expected(std::string_view what, const Value& got);
/// The range-checked integer reads shared by every integral specialisation.
std::int64_t integer_from(const Value& v, std::int64_t lo, std::int64_t hi, std::string_view type);
std::uint64_t unsigned_from(const Value& v, std::uint64_t hi, std::string_view type);
}  // namespace detail

/// Identity.
template <>
struct ValueTraits<Value> {
  static Value to_value(const Value& v) { return v; }
  static Value from_value(const Value& v) { return v; }
};

/// bool: only a Value of kind bool converts back (Python's 1 is not a bool here).
template <>
struct ValueTraits<bool> {
  static Value to_value(bool b) { return Value(b); }
  static bool from_value(const Value& v) { return v.as_bool(); }
};

/// Every integral type but bool: range-checked, by Value::as_int's rule (a
/// bool is 0 or 1, a float never converts).
template <std::integral T>
  requires(!std::same_as<T, bool>)
struct ValueTraits<T> {
  static Value to_value(T v) { return Value(v); }
  static T from_value(const Value& v) {
    if constexpr (std::is_signed_v<T>) {
      return static_cast<T>(detail::integer_from(v, std::numeric_limits<T>::min(), std::numeric_limits<T>::max(),
                                                 type_name()));
    } else {
      return static_cast<T>(detail::unsigned_from(v, std::numeric_limits<T>::max(), type_name()));
    }
  }
  static constexpr std::string_view type_name() {
    if constexpr (sizeof(T) == 1) return std::is_signed_v<T> ? "int8" : "uint8";
    else if constexpr (sizeof(T) == 2) return std::is_signed_v<T> ? "int16" : "uint16";
    else if constexpr (sizeof(T) == 4) return std::is_signed_v<T> ? "int32" : "uint32";
    else return std::is_signed_v<T> ? "int64" : "uint64";
  }
};

/// float/double/long double: ints (and bools) convert to the nearest value.
template <std::floating_point T>
struct ValueTraits<T> {
  static Value to_value(T v) { return Value(v); }
  static T from_value(const Value& v) { return static_cast<T>(v.as_double()); }
};

/// Text.
template <>
struct ValueTraits<std::string> {
  static Value to_value(const std::string& s) { return Value(s); }
  static std::string from_value(const Value& v) { return v.as_string(); }
};
/// Text (to Value only: a view cannot own the text).
template <>
struct ValueTraits<std::string_view> {
  static Value to_value(std::string_view s) { return Value(s); }
};
/// Text (to Value only).
template <>
struct ValueTraits<const char*> {
  static Value to_value(const char* s) { return Value(s); }
};
/// String literals passed to `Value::from` deduce as char arrays.
template <std::size_t N>
struct ValueTraits<char[N]> {
  static Value to_value(const char (&s)[N]) { return Value(std::string_view(s)); }
};
/// Binary data.
template <>
struct ValueTraits<Bytes> {
  static Value to_value(const Bytes& b) { return Value(b); }
  static Bytes from_value(const Value& v) { return v.as_bytes(); }
};

/// std::vector<T> as an array (std::vector<uint8_t> is Bytes instead).
template <detail::HasValueTraits T, class A>
  requires(!std::same_as<T, std::uint8_t>)
struct ValueTraits<std::vector<T, A>> {
  static Value to_value(const std::vector<T, A>& v) {
    Array out;
    out.reserve(v.size());
    for (const auto& e : v) out.push_back(ValueTraits<T>::to_value(e));
    return Value(std::move(out));
  }
  static std::vector<T, A> from_value(const Value& v) {
    if (!v.is_array()) detail::throw_expected("list", v);
    const Array& a = v.as_array();
    std::vector<T, A> out;
    out.reserve(a.size());
    for (std::size_t i = 0; i < a.size(); ++i)
      out.push_back(detail::with_path(detail::index_segment(i), [&] { return ValueTraits<T>::from_value(a[i]); }));
    return out;
  }
};

/// std::array<T, N> as an array of exactly N elements.
template <detail::HasValueTraits T, std::size_t N>
struct ValueTraits<std::array<T, N>> {
  static Value to_value(const std::array<T, N>& v) {
    Array out;
    out.reserve(N);
    for (const auto& e : v) out.push_back(ValueTraits<T>::to_value(e));
    return Value(std::move(out));
  }
  static std::array<T, N> from_value(const Value& v) {
    if (!v.is_array() || v.as_array().size() != N)
      detail::throw_expected("list of length " + std::to_string(N), v);
    const Array& a = v.as_array();
    std::array<T, N> out{};
    for (std::size_t i = 0; i < N; ++i)
      out[i] = detail::with_path(detail::index_segment(i), [&] { return ValueTraits<T>::from_value(a[i]); });
    return out;
  }
};

namespace detail {
template <class M>
Value map_to_value(const M& m) {
  Map out;
  out.reserve(m.size());
  for (const auto& [k, v] : m)
    out.emplace_back(ValueTraits<typename M::key_type>::to_value(k), ValueTraits<typename M::mapped_type>::to_value(v));
  return Value(std::move(out));
}
template <class M>
M map_from_value(const Value& v) {
  if (!v.is_map()) throw_expected("dict", v);
  M out;
  for (const auto& entry : v.as_map()) {
    // Named references, not a structured binding: clang 14 cannot capture those in a lambda.
    const Value& k = entry.first;
    const Value& e = entry.second;
    std::string seg = key_segment(k);
    auto key = with_path(seg, [&] { return ValueTraits<typename M::key_type>::from_value(k); });
    auto val = with_path(seg, [&] { return ValueTraits<typename M::mapped_type>::from_value(e); });
    out.insert_or_assign(std::move(key), std::move(val));
  }
  return out;
}
template <class K>
concept MapKey = std::same_as<K, std::string> || (std::integral<K> && !std::same_as<K, bool>);
}  // namespace detail

/// std::map with text or integral keys as a map (keys in the map's order).
template <detail::MapKey K, detail::HasValueTraits V, class C, class A>
struct ValueTraits<std::map<K, V, C, A>> {
  static Value to_value(const std::map<K, V, C, A>& m) { return detail::map_to_value(m); }
  static std::map<K, V, C, A> from_value(const Value& v) { return detail::map_from_value<std::map<K, V, C, A>>(v); }
};
/// std::unordered_map with text or integral keys as a map.
template <detail::MapKey K, detail::HasValueTraits V, class H, class E, class A>
struct ValueTraits<std::unordered_map<K, V, H, E, A>> {
  using M = std::unordered_map<K, V, H, E, A>;
  static Value to_value(const M& m) { return detail::map_to_value(m); }
  static M from_value(const Value& v) { return detail::map_from_value<M>(v); }
};

/// std::optional<T>: nullopt is None.
template <detail::HasValueTraits T>
struct ValueTraits<std::optional<T>> {
  static Value to_value(const std::optional<T>& o) { return o ? ValueTraits<T>::to_value(*o) : Value(); }
  static std::optional<T> from_value(const Value& v) {
    if (v.is_null()) return std::nullopt;
    return ValueTraits<T>::from_value(v);
  }
};

/// std::tuple as an array of exactly the tuple's length.
template <detail::HasValueTraits... Ts>
struct ValueTraits<std::tuple<Ts...>> {
  static Value to_value(const std::tuple<Ts...>& t) {
    return std::apply(
        [](const auto&... e) {
          Array out;
          out.reserve(sizeof...(Ts));
          (out.push_back(ValueTraits<std::decay_t<decltype(e)>>::to_value(e)), ...);
          return Value(std::move(out));
        },
        t);
  }
  static std::tuple<Ts...> from_value(const Value& v) {
    if (!v.is_array() || v.as_array().size() != sizeof...(Ts))
      detail::throw_expected("list of length " + std::to_string(sizeof...(Ts)), v);
    return unpack(v.as_array(), std::index_sequence_for<Ts...>{});
  }

 private:
  template <std::size_t... I>
  static std::tuple<Ts...> unpack(const Array& a, std::index_sequence<I...>) {
    return std::tuple<Ts...>(
        detail::with_path(detail::index_segment(I), [&] { return ValueTraits<Ts>::from_value(a[I]); })...);
  }
};

/// std::pair as a 2-element array.
template <detail::HasValueTraits A, detail::HasValueTraits B>
struct ValueTraits<std::pair<A, B>> {
  static Value to_value(const std::pair<A, B>& p) {
    return Value(Array{ValueTraits<A>::to_value(p.first), ValueTraits<B>::to_value(p.second)});
  }
  static std::pair<A, B> from_value(const Value& v) {
    auto t = ValueTraits<std::tuple<A, B>>::from_value(v);
    return {std::move(std::get<0>(t)), std::move(std::get<1>(t))};
  }
};

/// Enums as their underlying integer (range-checked).
template <class E>
  requires std::is_enum_v<E>
struct ValueTraits<E> {
  using U = std::underlying_type_t<E>;
  static Value to_value(E e) { return Value(static_cast<U>(e)); }
  static E from_value(const Value& v) { return static_cast<E>(ValueTraits<U>::from_value(v)); }
};

/// Durations as seconds in a float (Python's `time.sleep`/`asyncio` convention);
/// ints are accepted too. Integral durations round to the nearest tick.
template <class Rep, class Period>
struct ValueTraits<std::chrono::duration<Rep, Period>> {
  using D = std::chrono::duration<Rep, Period>;
  static Value to_value(const D& d) { return Value(std::chrono::duration<double>(d).count()); }
  static D from_value(const Value& v) {
    std::chrono::duration<double> s(v.as_double());
    if constexpr (std::is_floating_point_v<Rep>) {
      return std::chrono::duration_cast<D>(s);
    } else {
      return std::chrono::round<D>(s);
    }
  }
};

template <class T>
T Value::as() const {
  static_assert(ValueDecodable<T>,
                "uvmas: no ValueTraits<T>::from_value for this type. Specialise uvmas::ValueTraits<T> with "
                "`static T from_value(const Value&)` (see uvmas/codecs/value_traits.hpp).");
  return ValueTraits<T>::from_value(*this);
}

template <class T>
Value Value::from(const T& v) {
  static_assert(ValueEncodable<T>,
                "uvmas: no ValueTraits<T>::to_value for this type. Specialise uvmas::ValueTraits<T> with "
                "`static Value to_value(const T&)` (see uvmas/codecs/value_traits.hpp).");
  return ValueTraits<T>::to_value(v);
}

}  // namespace uvmas
