#pragma once
/// \file
/// Custom types on the wire in one place (aiomas's `@serializable`): the
/// type's name and its conversion live in its `ValueTraits`, and a channel
/// or container registers the type by type, never by repeating the name.
///
/// \code
/// struct Point { double x, y; };
/// template <>
/// struct uvmas::ValueTraits<Point> : uvmas::Serializable<Point> {
///   static constexpr std::string_view type_name = "Point";
///   static Value to_data(const Point& p) { return Value::map({{"x", p.x}, {"y", p.y}}); }
///   static Point from_data(const Value& v) { return {v.at("x").as<double>(), v.at("y").as<double>()}; }
/// };
/// options.add_serializer<Point>();   // ChannelOptions or ContainerOptions
/// \endcode
///
/// On the wire a Point is `{"__type__": [typeid, {"x": 1.0, "y": 2.0}]}`; the
/// typeid is the type's position in the receiver's list, so every peer must
/// register the same types in the same order (as in aiomas).

#include <uvmas/codecs/error.hpp>
#include <uvmas/codecs/value.hpp>

#include <concepts>
#include <string>
#include <string_view>

namespace uvmas {

/// A type whose ValueTraits derive from Serializable: it names itself.
template <class T>
concept SerializableType = requires(const T& t, const Value& v) {
  { ValueTraits<T>::type_name } -> std::convertible_to<std::string_view>;
  { ValueTraits<T>::to_data(t) } -> std::same_as<Value>;
  { ValueTraits<T>::from_data(v) } -> std::same_as<T>;
};

/// Base of the ValueTraits of a custom type sent as an extension object. The
/// derived traits give `type_name`, `to_data(const T&)` and `from_data(const
/// Value&)`; this base wraps the data under the name and checks the name
/// when reading one back.
template <class T>
struct Serializable {
  static Value to_value(const T& t) {
    return Value::extension(std::string(ValueTraits<T>::type_name), ValueTraits<T>::to_data(t));
  }
  static T from_value(const Value& v) {
    const std::string_view name = ValueTraits<T>::type_name;
    if (!v.is_extension() || v.as_extension().type != name) {
      throw ConversionError("expected " + std::string(name) + ", got " + std::string(v.kind_name()));
    }
    return ValueTraits<T>::from_data(v.as_extension().data);
  }
};

/// The wire name of a serializable type (its ValueTraits' `type_name`).
template <SerializableType T>
std::string serializer_name() {
  return std::string(ValueTraits<T>::type_name);
}

}  // namespace uvmas
