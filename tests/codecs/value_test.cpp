// Value: construction, kinds, normalisation, equality, accessors, ValueTraits and DateTime.

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <tuple>
#include <unordered_map>

#include <uvmas/codecs/datetime.hpp>
#include <uvmas/codecs/value.hpp>

namespace uvmas {
namespace {

using namespace std::chrono_literals;

enum class Color : std::uint8_t { red = 1, green = 2 };

struct Point {
  double x, y;
  bool operator==(const Point&) const = default;
};

}  // namespace

template <>
struct ValueTraits<Point> {
  static Value to_value(const Point& p) { return Value::map({{"x", p.x}, {"y", p.y}}); }
  static Point from_value(const Value& v) { return {v.at("x").as<double>(), v.at("y").as<double>()}; }
};

namespace {

static_assert(ValueConvertible<Point>);
static_assert(ValueConvertible<std::vector<std::map<std::string, std::optional<int>>>>);
static_assert(!ValueConvertible<std::vector<void*>>);
static_assert(ValueEncodable<std::string_view> && !ValueDecodable<std::string_view>);

TEST(ValueConstruction, EveryScalarTypeGivesTheExpectedKind) {
  EXPECT_EQ(Value().kind(), Value::Kind::null);
  EXPECT_EQ(Value(nullptr).kind(), Value::Kind::null);
  EXPECT_EQ(Value(true).kind(), Value::Kind::boolean);
  EXPECT_EQ(Value(1).kind(), Value::Kind::integer);
  EXPECT_EQ(Value(1u).kind(), Value::Kind::integer);
  EXPECT_EQ(Value(std::size_t{1}).kind(), Value::Kind::integer);
  EXPECT_EQ(Value(std::int64_t{1}).kind(), Value::Kind::integer);
  EXPECT_EQ(Value(static_cast<short>(1)).kind(), Value::Kind::integer);
  EXPECT_EQ(Value(1.5).kind(), Value::Kind::real);
  EXPECT_EQ(Value(1.5f).kind(), Value::Kind::real);
  EXPECT_EQ(Value("x").kind(), Value::Kind::string);
  EXPECT_EQ(Value(std::string("x")).kind(), Value::Kind::string);
  EXPECT_EQ(Value(std::string_view("x")).kind(), Value::Kind::string);
  EXPECT_EQ(Value::bytes({1, 2}).kind(), Value::Kind::bytes);
  EXPECT_EQ(Value::array({1, "x"}).kind(), Value::Kind::array);
  EXPECT_EQ(Value::map({{"a", 1}}).kind(), Value::Kind::map);
  EXPECT_EQ(Value::extension("Point", 1).kind(), Value::Kind::extension);
}

TEST(ValueConstruction, KindNamesArePythonLike) {
  EXPECT_EQ(Value().kind_name(), "None");
  EXPECT_EQ(Value(false).kind_name(), "bool");
  EXPECT_EQ(Value(2).kind_name(), "int");
  EXPECT_EQ(Value(2.0).kind_name(), "float");
  EXPECT_EQ(Value("").kind_name(), "str");
  EXPECT_EQ(Value::bytes("").kind_name(), "bytes");
  EXPECT_EQ(Value::array().kind_name(), "list");
  EXPECT_EQ(Value::map().kind_name(), "dict");
  EXPECT_EQ(Value::extension("datetime", "x").kind_name(), "datetime");
}

TEST(ValueConstruction, UnsignedValuesUpToInt64MaxAreNormalisedToSigned) {
  EXPECT_EQ(Value(5u), Value(5));
  EXPECT_TRUE(identical(Value(std::uint64_t{5}), Value(5)));
  EXPECT_FALSE(Value(std::uint64_t{INT64_MAX}).is_big_uint());
  EXPECT_TRUE(Value(std::uint64_t{INT64_MAX} + 1).is_big_uint());
  EXPECT_EQ(Value(UINT64_MAX).as_uint(), UINT64_MAX);
  EXPECT_THROW((void)Value(UINT64_MAX).as_int(), ConversionError);
  EXPECT_EQ(Value(-1).kind(), Value::Kind::integer);
  EXPECT_THROW((void)Value(-1).as_uint(), ConversionError);
}

TEST(ValueAccessors, WrongKindThrowsConversionErrorNamingBothKinds) {
  try {
    (void)Value("x").as_int();
    FAIL();
  } catch (const ConversionError& e) {
    EXPECT_STREQ(e.what(), "expected int, got str");
  }
  EXPECT_THROW((void)Value(1).as_bool(), ConversionError);
  EXPECT_THROW((void)Value(2.0).as_int(), ConversionError);  // a bool is an int (Python), a float is not
  EXPECT_THROW((void)Value(1).as_string(), ConversionError);
  EXPECT_THROW((void)Value("x").as_bytes(), ConversionError);
  EXPECT_THROW((void)Value().as_array(), ConversionError);
  EXPECT_THROW((void)Value::array().as_map(), ConversionError);
  EXPECT_THROW((void)Value(1).as_extension(), ConversionError);
  EXPECT_DOUBLE_EQ(Value(3).as_double(), 3.0);
  EXPECT_THROW((void)Value("3").as_double(), ConversionError);
}

TEST(ValueMaps, FindAtIndexAndPushBackWorkAndKeepInsertionOrder) {
  Value v;
  v["b"] = 1;
  v["a"] = 2;
  v["b"] = 3;
  ASSERT_TRUE(v.is_map());
  EXPECT_EQ(v.size(), 2u);
  EXPECT_EQ(v.as_map()[0].first, Value("b"));
  EXPECT_EQ(v.at("b"), Value(3));
  EXPECT_EQ(v.find("nope"), nullptr);
  ASSERT_NE(v.find("a"), nullptr);
  try {
    (void)v.at("x");
    FAIL();
  } catch (const ConversionError& e) {
    EXPECT_STREQ(e.what(), "missing key 'x'");
  }
  Value a;
  a.push_back(1);
  a.push_back("two");
  EXPECT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1], Value("two"));
  EXPECT_THROW((void)a[2], ConversionError);
  EXPECT_THROW(Value(1).push_back(2), ConversionError);
}

TEST(ValueEquality, MapsIgnoreOrderButIdenticalDoesNot) {
  Value a = Value::map({{"x", 1}, {"y", 2}});
  Value b = Value::map({{"y", 2}, {"x", 1}});
  EXPECT_EQ(a, b);
  EXPECT_FALSE(identical(a, b));
  EXPECT_NE(a, Value::map({{"x", 1}, {"y", 3}}));
  EXPECT_NE(Value(1), Value(1.0));
  EXPECT_NE(Value(1), Value(true));
  Map big1, big2;
  for (int i = 0; i < 100; ++i) big1.emplace_back(i, i * 2);
  for (int i = 99; i >= 0; --i) big2.emplace_back(i, i * 2);
  EXPECT_EQ(Value(big1), Value(big2));
}

TEST(ValueEquality, FloatsCompareByValueButIdenticalIsBitExact) {
  double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(Value(0.0), Value(-0.0));
  EXPECT_FALSE(identical(Value(0.0), Value(-0.0)));
  EXPECT_NE(Value(nan), Value(nan));
  EXPECT_TRUE(identical(Value(nan), Value(nan)));
  EXPECT_TRUE(identical(Value::extension("t", Value::array({1.5})), Value::extension("t", Value::array({1.5}))));
  EXPECT_FALSE(identical(Value::extension("t", 1), Value::extension("u", 1)));
}

TEST(ValueRepr, PrintsAPythonLikeForm) {
  Value v = Value::array({nullptr, true, 1, 1.0, 1e16, "it's", Value::bytes({0, 'a'}),
                          Value::map({{"k", Value::array()}}), Value::extension("Point", 1)});
  std::ostringstream os;
  os << v;
  EXPECT_EQ(os.str(), "[None, True, 1, 1.0, 1e+16, 'it\\'s', b'\\x00a', {'k': []}, <Point 1>]");
}

TEST(ValueTraitsBuiltins, ScalarsConvertBothWaysWithRangeChecks) {
  EXPECT_EQ(Value(300).as<int>(), 300);
  EXPECT_EQ(Value(255).as<std::uint8_t>(), 255);
  EXPECT_THROW((void)Value(256).as<std::uint8_t>(), ConversionError);
  EXPECT_THROW((void)Value(-1).as<unsigned>(), ConversionError);
  EXPECT_THROW((void)Value(UINT64_MAX).as<std::int64_t>(), ConversionError);
  EXPECT_EQ(Value(UINT64_MAX).as<std::uint64_t>(), UINT64_MAX);
  // Python's operator.index(): a float is never an int, a bool is 0 or 1.
  EXPECT_THROW((void)Value(2.0).as<int>(), ConversionError);
  EXPECT_THROW((void)Value(2.5).as<int>(), ConversionError);
  EXPECT_EQ(Value(true).as<int>(), 1);
  try {
    (void)Value(300).as<std::int8_t>();
    FAIL();
  } catch (const ConversionError& e) {
    EXPECT_STREQ(e.what(), "expected int8 (int in range [-128, 127]), got 300");
  }
  EXPECT_EQ(Value(true).as<bool>(), true);
  EXPECT_DOUBLE_EQ(Value(2).as<double>(), 2.0);
  EXPECT_FLOAT_EQ(Value(0.5).as<float>(), 0.5f);
  EXPECT_EQ(Value("s").as<std::string>(), "s");
  EXPECT_EQ(Value::from(std::string_view("v")), Value("v"));
  EXPECT_EQ(Value::from("lit"), Value("lit"));
  const char* p = "ptr";
  EXPECT_EQ(Value::from(p), Value("ptr"));
  EXPECT_EQ(Value::bytes({1, 2}).as<Bytes>(), (Bytes{1, 2}));
  EXPECT_TRUE(Value::from(Bytes{1}).is_bytes());
  EXPECT_EQ(Value(42).as<Value>(), Value(42));
}

TEST(ValueTraitsBuiltins, ContainersOptionalTuplesEnumsAndDurationsRoundTrip) {
  std::vector<int> vec{1, 2, 3};
  EXPECT_EQ(Value::from(vec), Value::array({1, 2, 3}));
  EXPECT_EQ(Value::from(vec).as<std::vector<int>>(), vec);
  std::array<double, 2> arr{1.5, 2.5};
  EXPECT_EQ(Value::from(arr).as<decltype(arr)>(), arr);
  EXPECT_THROW((void)Value::array({1}).as<decltype(arr)>(), ConversionError);
  std::map<std::string, int> m{{"a", 1}, {"b", 2}};
  EXPECT_EQ(Value::from(m), Value::map({{"a", 1}, {"b", 2}}));
  EXPECT_EQ(Value::from(m).as<decltype(m)>(), m);
  std::unordered_map<int, std::string> um{{1, "one"}};
  EXPECT_EQ(Value::from(um), Value::map({{1, "one"}}));
  EXPECT_EQ(Value::from(um).as<decltype(um)>(), um);
  std::optional<int> none, some = 4;
  EXPECT_TRUE(Value::from(none).is_null());
  EXPECT_EQ(Value::from(some), Value(4));
  EXPECT_EQ(Value().as<std::optional<int>>(), std::nullopt);
  EXPECT_EQ(Value(4).as<std::optional<int>>(), 4);
  auto t = std::make_tuple(1, std::string("x"), 2.5);
  EXPECT_EQ(Value::from(t), Value::array({1, "x", 2.5}));
  EXPECT_EQ(Value::from(t).as<decltype(t)>(), t);
  EXPECT_THROW((void)Value::array({1, "x"}).as<decltype(t)>(), ConversionError);
  std::pair<int, bool> pr{7, true};
  EXPECT_EQ(Value::from(pr).as<decltype(pr)>(), pr);
  EXPECT_EQ(Value::from(Color::green), Value(2));
  EXPECT_EQ(Value(1).as<Color>(), Color::red);
  EXPECT_THROW((void)Value(1000).as<Color>(), ConversionError);
  EXPECT_EQ(Value::from(1500ms), Value(1.5));
  EXPECT_EQ(Value(1.5).as<std::chrono::milliseconds>(), 1500ms);
  EXPECT_EQ(Value(2).as<std::chrono::seconds>(), 2s);
  EXPECT_EQ(Value(0.25).as<std::chrono::duration<double>>().count(), 0.25);
  Point pt{1, 2.5};
  EXPECT_EQ(Value::from(pt).as<Point>(), pt);
}

TEST(ValueTraitsBuiltins, NestedConversionErrorsCarryThePath) {
  Value v = Value::array({Value::map({{"x", 1}}), Value::map({{"x", "nope"}})});
  try {
    (void)v.as<std::vector<std::map<std::string, int>>>();
    FAIL();
  } catch (const ConversionError& e) {
    EXPECT_STREQ(e.what(), "expected int, got str at [1]['x']");
    EXPECT_EQ(e.path(), "[1]['x']");
    EXPECT_EQ(e.message(), "expected int, got str");
  }
  try {
    (void)Value::array({Value::map({{"x", 1}})}).as<std::vector<Point>>();
    FAIL();
  } catch (const ConversionError& e) {
    EXPECT_STREQ(e.what(), "missing key 'y' at [0]");
  }
  try {
    (void)Value::array({1, Value::array({1, 2.5})}).as<std::tuple<int, std::vector<int>>>();
    FAIL();
  } catch (const ConversionError& e) {
    EXPECT_STREQ(e.what(), "expected int, got float at [1][1]");
  }
}

TEST(DateTimeIso, FormatsLikeArrowStr) {
  EXPECT_EQ(to_iso(DateTime{1451651400250000, 0}), "2016-01-01T12:30:00.250000+00:00");
  EXPECT_EQ(to_iso(DateTime{1451602799000000, 0}), "2015-12-31T22:59:59+00:00");
  EXPECT_EQ(to_iso(DateTime{1451602799000000, 60}), "2015-12-31T23:59:59+01:00");
  EXPECT_EQ(to_iso(DateTime{1451602799000000, 120}), "2016-01-01T00:59:59+02:00");
  EXPECT_EQ(to_iso(DateTime{0, -330}), "1969-12-31T18:30:00-05:30");
  EXPECT_EQ(to_iso(DateTime{-1, 0}), "1969-12-31T23:59:59.999999+00:00");
}

TEST(DateTimeIso, ParsesWhatItWritesPlusZuluAndShortFractions) {
  for (const char* s : {"2016-01-01T12:30:00.250000+00:00", "2015-12-31T22:59:59+00:00", "2015-12-31T23:59:59+01:00",
                        "1969-12-31T18:30:00-05:30", "2000-02-29T00:00:00.000001+14:00"}) {
    EXPECT_EQ(to_iso(parse_iso(s)), s);
  }
  EXPECT_EQ(parse_iso("2016-01-01T12:30:00.25Z"), (DateTime{1451651400250000, 0}));
  EXPECT_EQ(parse_iso("2015-12-31T23:59:59+01:00").micros_utc, 1451602799000000);
  EXPECT_THROW(parse_iso("2016-01-01T12:30:00"), ConversionError);
  EXPECT_THROW(parse_iso("2016-02-30T12:30:00+00:00"), ConversionError);
  EXPECT_THROW(parse_iso("2016-01-01T12:30:00+00:00x"), ConversionError);
  EXPECT_THROW(parse_iso("garbage"), ConversionError);
}

TEST(DateTimeIso, ConvertsToTheDatetimeExtensionAndBack) {
  DateTime d{1451651400250000, 60};
  Value v = Value::from(d);
  ASSERT_TRUE(v.is_extension());
  EXPECT_EQ(v.as_extension().type, "datetime");
  EXPECT_EQ(v.as_extension().data, Value("2016-01-01T13:30:00.250000+01:00"));
  EXPECT_EQ(v.as<DateTime>(), d);
  EXPECT_EQ(Value("2016-01-01T13:30:00.250000+01:00").as<DateTime>(), d);
  EXPECT_THROW((void)Value(5).as<DateTime>(), ConversionError);
}

}  // namespace
}  // namespace uvmas
