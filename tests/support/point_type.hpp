#pragma once
// A custom type for the tests of custom-type registration: a Point that
// travels as the extension "Point" with data {"x": ..., "y": ...}.

#include <uvmas/codecs/serializable.hpp>

namespace uvmas::test {

struct Point {
  double x = 0;
  double y = 0;
};

}  // namespace uvmas::test

template <>
struct uvmas::ValueTraits<uvmas::test::Point> : uvmas::Serializable<uvmas::test::Point> {
  static constexpr std::string_view type_name = "Point";
  static Value to_data(const test::Point& p) { return Value::map({{"x", p.x}, {"y", p.y}}); }
  static test::Point from_data(const Value& v) { return {v.at("x").as<double>(), v.at("y").as<double>()}; }
};
