#pragma once
/// \file
/// `Value`: the dynamic value every codec decodes to and encodes from.
/// Including this header also gives `ValueTraits` and its built-in specialisations.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <uvmas/codecs/error.hpp>

namespace uvmas {

class Value;
struct Extension;

/// Binary data (msgpack bin; Python `bytes`). JSON cannot carry it.
using Bytes = std::vector<std::uint8_t>;
/// An array (Python list/tuple; there is no tuple on the wire).
using Array = std::vector<Value>;
/// An insertion-ordered map; keys may be any Value (msgpack allows int keys).
/// Lookups are linear, which is fine for message-sized maps.
using Map = std::vector<std::pair<Value, Value>>;

namespace detail {
/// A heap box with deep-copy semantics; it lets the recursive `Extension` live in the variant.
template <class T>
class Box {
 public:
  Box(T value) : ptr_(std::make_unique<T>(std::move(value))) {}
  Box(const Box& other) : ptr_(std::make_unique<T>(*other.ptr_)) {}
  Box(Box&&) noexcept = default;
  Box& operator=(const Box& other) {
    if (this != &other) ptr_ = std::make_unique<T>(*other.ptr_);
    return *this;
  }
  Box& operator=(Box&&) noexcept = default;
  ~Box() = default;
  T& operator*() noexcept { return *ptr_; }
  const T& operator*() const noexcept { return *ptr_; }
  T* operator->() noexcept { return ptr_.get(); }
  const T* operator->() const noexcept { return ptr_.get(); }

 private:
  std::unique_ptr<T> ptr_;
};
}  // namespace detail

/// A dynamically typed value as carried by the aiomas codecs: None, bool, int
/// (64-bit signed, plus unsigned above INT64_MAX), float, str (UTF-8), bytes,
/// list, dict (insertion-ordered, any keys) or an extension object (a registered
/// custom type, `{"__type__": [typeid, data]}` on the wire).
///
/// Integers are normalised: `uint64_t` storage is used only for values above
/// INT64_MAX, so `Value(5u) == Value(5)`.
class Value {
 public:
  /// The kind of a value; `integer` covers both signed and big unsigned storage.
  enum class Kind { null, boolean, integer, real, string, bytes, array, map, extension };

  /// None.
  Value() noexcept = default;
  /// None.
  Value(std::nullptr_t) noexcept {}
  /// A bool (only exact `bool`; pointers do not convert).
  template <class B>
    requires std::same_as<B, bool>
  Value(B b) noexcept : data_(b) {}
  /// Any integral type except bool; unsigned values <= INT64_MAX are stored signed.
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  Value(T v) noexcept {
    if constexpr (std::is_signed_v<T>) {
      data_ = static_cast<std::int64_t>(v);
    } else if (static_cast<std::uint64_t>(v) > static_cast<std::uint64_t>(INT64_MAX)) {
      data_ = static_cast<std::uint64_t>(v);
    } else {
      data_ = static_cast<std::int64_t>(v);
    }
  }
  /// A float (stored as double).
  template <std::floating_point T>
  Value(T v) noexcept : data_(static_cast<double>(v)) {}
  /// Text (UTF-8; validated when encoded).
  Value(std::string s) noexcept : data_(std::move(s)) {}
  /// Text.
  Value(std::string_view s) : data_(std::string(s)) {}
  /// Text (must not be null).
  Value(const char* s) : data_(std::string(s)) {}
  /// Text (must not be null).
  Value(char* s) : data_(std::string(s)) {}
  /// Other pointers would silently become bool: refused.
  template <class T>
  Value(T*) = delete;
  /// Bytes.
  Value(Bytes b) noexcept : data_(std::move(b)) {}
  /// An array.
  Value(Array a) noexcept : data_(std::move(a)) {}
  /// A map (keys kept in the given order, duplicates are not removed).
  Value(Map m) noexcept : data_(std::move(m)) {}
  /// An extension object.
  Value(Extension e);

  /// An array from a braced list: `Value::array({1, "x", nullptr})`.
  static Value array(std::initializer_list<Value> items = {}) { return Value(Array(items)); }
  /// A map from a braced list of pairs: `Value::map({{"x", 1}, {"y", 2}})`.
  static Value map(std::initializer_list<std::pair<Value, Value>> items = {}) { return Value(Map(items)); }
  /// Bytes from any byte range given as pointer + size.
  static Value bytes(const void* data, std::size_t size) {
    auto p = static_cast<const std::uint8_t*>(data);
    return Value(Bytes(p, p + size));
  }
  /// Bytes from the characters of a string view.
  static Value bytes(std::string_view s) { return bytes(s.data(), s.size()); }
  /// Bytes from a braced list: `Value::bytes({0x00, 0xff})`.
  static Value bytes(std::initializer_list<std::uint8_t> b) { return Value(Bytes(b)); }
  /// An extension object `type` carrying `data`.
  static Value extension(std::string type, Value data);

  /// Converts any type with `ValueTraits<T>::to_value` to a Value.
  template <class T>
  static Value from(const T& v);

  /// The kind of the value.
  Kind kind() const noexcept;
  /// Python-ish kind name for messages: None, bool, int, float, str, bytes, list,
  /// dict, or the extension's type name.
  std::string_view kind_name() const noexcept;

  bool is_null() const noexcept { return data_.index() == 0; }
  bool is_bool() const noexcept { return data_.index() == 1; }
  /// Signed or big unsigned integer.
  bool is_int() const noexcept { return data_.index() == 2 || data_.index() == 3; }
  bool is_real() const noexcept { return data_.index() == 4; }
  /// int or float (not bool).
  bool is_number() const noexcept { return is_int() || is_real(); }
  bool is_string() const noexcept { return data_.index() == 5; }
  bool is_bytes() const noexcept { return data_.index() == 6; }
  bool is_array() const noexcept { return data_.index() == 7; }
  bool is_map() const noexcept { return data_.index() == 8; }
  bool is_extension() const noexcept { return data_.index() == 9; }
  /// True for a big unsigned integer (> INT64_MAX).
  bool is_big_uint() const noexcept { return data_.index() == 3; }

  /// The bool; ConversionError otherwise.
  bool as_bool() const;
  /// The integer as int64; ConversionError if not an int or above INT64_MAX (see is_big_uint).
  /// As Python's operator.index() (and so `as<T>()` for every integer T and an
  /// exposed function's integer parameter): a bool is the int 0 or 1, a float
  /// is never an int, not even 2.0.
  std::int64_t as_int() const;
  /// The integer as uint64 (same rule); ConversionError if not an int or negative.
  std::uint64_t as_uint() const;
  /// The number as double (ints and bools convert, possibly rounding); ConversionError otherwise.
  double as_double() const;
  /// The text; ConversionError otherwise.
  const std::string& as_string() const;
  std::string& as_string();
  const Bytes& as_bytes() const;
  Bytes& as_bytes();
  const Array& as_array() const;
  Array& as_array();
  const Map& as_map() const;
  Map& as_map();
  const Extension& as_extension() const;
  Extension& as_extension();

  /// Converts to T via `ValueTraits<T>::from_value`; throws ConversionError with a path.
  template <class T>
  T as() const;

  /// Map lookup by text key; nullptr if not a map or absent. O(n) linear scan.
  const Value* find(std::string_view key) const noexcept;
  /// Mutable map lookup by text key; nullptr if not a map or absent. O(n).
  Value* find(std::string_view key) noexcept;
  /// Map lookup; ConversionError("missing key 'x'") if absent, or if not a map. O(n).
  const Value& at(std::string_view key) const;
  /// Map element by text key, appended as None if absent (a None value becomes an
  /// empty map first). O(n).
  Value& operator[](std::string_view key);
  /// Array element; ConversionError if out of range or not an array.
  const Value& operator[](std::size_t index) const;
  Value& operator[](std::size_t index);
  /// Number of elements of an array or map, or bytes of a str/bytes; ConversionError otherwise.
  std::size_t size() const;
  /// Appends to an array (a None value becomes an empty array first).
  void push_back(Value v);

  /// Deep equality: maps compare ignoring order (Python dict), floats by value
  /// (so NaN != NaN), different kinds are never equal (1 != 1.0 != true).
  friend bool operator==(const Value& a, const Value& b) noexcept;
  /// Strict structural identity for tests: floats bit-exact (-0.0 and NaN too),
  /// map order significant.
  friend bool identical(const Value& a, const Value& b) noexcept;

 private:
  using Data = std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string, Bytes, Array,
                            Map, detail::Box<Extension>>;
  [[noreturn]] void throw_kind(std::string_view expected) const;
  Data data_;
};

/// A registered custom type on the wire: `{"__type__": [typeid, data]}`; `type`
/// is the name registered in the codec's `Serializers` list.
struct Extension {
  std::string type;
  Value data;
  friend bool operator==(const Extension& a, const Extension& b) noexcept {
    return a.type == b.type && a.data == b.data;
  }
};

inline Value::Value(Extension e) : data_(detail::Box<Extension>(std::move(e))) {}
inline Value Value::extension(std::string type, Value data) {
  return Value(Extension{std::move(type), std::move(data)});
}

inline Value::Kind Value::kind() const noexcept {
  static constexpr Kind kinds[] = {Kind::null,   Kind::boolean, Kind::integer, Kind::integer, Kind::real,
                                   Kind::string, Kind::bytes,   Kind::array,   Kind::map,     Kind::extension};
  return kinds[data_.index()];
}
inline bool Value::as_bool() const {
  if (auto p = std::get_if<bool>(&data_)) return *p;
  throw_kind("bool");
}
inline std::int64_t Value::as_int() const {
  if (auto p = std::get_if<std::int64_t>(&data_)) return *p;
  if (auto p = std::get_if<bool>(&data_)) return *p ? 1 : 0;
  throw_kind("int");
}
inline std::uint64_t Value::as_uint() const {
  if (auto p = std::get_if<std::uint64_t>(&data_)) return *p;
  if (auto p = std::get_if<std::int64_t>(&data_); p && *p >= 0) return static_cast<std::uint64_t>(*p);
  if (auto p = std::get_if<bool>(&data_)) return *p ? 1 : 0;
  throw_kind("non-negative int");
}
inline double Value::as_double() const {
  if (auto p = std::get_if<double>(&data_)) return *p;
  if (auto p = std::get_if<std::int64_t>(&data_)) return static_cast<double>(*p);
  if (auto p = std::get_if<std::uint64_t>(&data_)) return static_cast<double>(*p);
  if (auto p = std::get_if<bool>(&data_)) return *p ? 1.0 : 0.0;
  throw_kind("float");
}
inline const std::string& Value::as_string() const {
  if (auto p = std::get_if<std::string>(&data_)) return *p;
  throw_kind("str");
}
inline std::string& Value::as_string() {
  if (auto p = std::get_if<std::string>(&data_)) return *p;
  throw_kind("str");
}
inline const Bytes& Value::as_bytes() const {
  if (auto p = std::get_if<Bytes>(&data_)) return *p;
  throw_kind("bytes");
}
inline Bytes& Value::as_bytes() {
  if (auto p = std::get_if<Bytes>(&data_)) return *p;
  throw_kind("bytes");
}
inline const Array& Value::as_array() const {
  if (auto p = std::get_if<Array>(&data_)) return *p;
  throw_kind("list");
}
inline Array& Value::as_array() {
  if (auto p = std::get_if<Array>(&data_)) return *p;
  throw_kind("list");
}
inline const Map& Value::as_map() const {
  if (auto p = std::get_if<Map>(&data_)) return *p;
  throw_kind("dict");
}
inline Map& Value::as_map() {
  if (auto p = std::get_if<Map>(&data_)) return *p;
  throw_kind("dict");
}
inline const Extension& Value::as_extension() const {
  if (auto p = std::get_if<detail::Box<Extension>>(&data_)) return **p;
  throw_kind("extension");
}
inline Extension& Value::as_extension() {
  if (auto p = std::get_if<detail::Box<Extension>>(&data_)) return **p;
  throw_kind("extension");
}

/// Prints a Python-repr-like form (diagnostics only, not a wire format).
std::ostream& operator<<(std::ostream& os, const Value& v);
/// The Python-repr-like form as a string.
std::string to_repr(const Value& v);

}  // namespace uvmas

#include <uvmas/codecs/value_traits.hpp>
