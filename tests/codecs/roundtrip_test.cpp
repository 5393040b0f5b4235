// Round trips of every value kind through every codec, plus exact wire forms
// (Python json.dumps / msgpack-python) for the tricky scalars.

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include <blosc.h>

#include <uvmas/codecs/codec.hpp>
#include <uvmas/codecs/datetime.hpp>

namespace uvmas {
namespace {

using namespace std::string_literals;

const Format all_formats[] = {Format::json, Format::msgpack, Format::msgpack_blosc};

Value int_edges() {
  return Value::array({0, 127, 128, 255, 256, 65535, 65536, 4294967295u, 4294967296ll, INT64_MAX, UINT64_MAX, -1, -32,
                       -33, -128, -129, INT64_MIN});
}

Value float_edges() {
  return Value::array({-0.0, 0.0, 0.1, 1e300, 1e16, 1e-5, 123456789.125, 1e-4, 9999999999999998.0, 5e-324,
                       std::numeric_limits<double>::max(), std::numeric_limits<double>::quiet_NaN(), HUGE_VAL,
                       -HUGE_VAL});
}

void expect_round_trip(const Codec& c, const Value& v) {
  Value back = c.decode(c.encode(v));
  EXPECT_TRUE(identical(back, v)) << to_string(c.format()) << ": " << v << " came back as " << back;
}

TEST(RoundTrip, EveryScalarKindSurvivesEveryCodec) {
  for (Format f : all_formats) {
    Codec c(f);
    for (const Value& v : {Value(), Value(true), Value(false), Value(""), Value("ohai"), Value("/\"\\\n\t\x01\x7f"),
                           Value("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8C\x8D \xE2\x80\xA8"), Value(std::string(1, '\0')),
                           int_edges(), float_edges(), Value::array(), Value::map()}) {
      expect_round_trip(c, v);
    }
  }
}

TEST(RoundTrip, NestedContainersAndStringKeyedMapsKeepTheirOrder) {
  Value v = Value::array({Value::map({{"z", 1}, {"a", Value::array({1, Value::array({2, Value::map()})})}, {"m", nullptr}}),
                          Value::array({Value::array(), Value::map({{"", ""}})})});
  for (Format f : all_formats) expect_round_trip(Codec(f), v);
}

TEST(RoundTrip, BytesAndNonStringKeysSurviveMsgpackCodecs) {
  Value v = Value::array({Value::bytes({}), Value::bytes({0x00, 0xFF}), Value::bytes(std::string(1024, 'x')),
                          Value(Map{{1, "one"}, {-2, "minus two"}, {Value::array({1}), 1}, {nullptr, 2.5}})});
  for (Format f : {Format::msgpack, Format::msgpack_blosc}) expect_round_trip(Codec(f), v);
}

TEST(RoundTrip, ExtensionsBecomeTypeWrappersAndComeBack) {
  auto s = std::make_shared<Serializers>();
  s->add("datetime");
  s->add("Point");
  DateTime d = parse_iso("2016-01-01T12:30:00.250000+00:00");
  Value v = Value::array({Value::from(d), Value::extension("Point", Value::map({{"x", 1}, {"y", Value::extension("Point", 2)}}))});
  for (Format f : all_formats) {
    Codec c(f, s);
    expect_round_trip(c, v);
    EXPECT_EQ(c.decode(c.encode(v)).as_array()[0].as<DateTime>(), d);
  }
  EXPECT_EQ(Codec(Format::json, s).encode(v),
            R"([{"__type__": [0, "2016-01-01T12:30:00.250000+00:00"]}, )"
            R"({"__type__": [1, {"x": 1, "y": {"__type__": [1, 2]}}]}])");
  EXPECT_EQ(Codec(Format::msgpack, s).encode(Value::extension("Point", 7)), "\x81\xA8__type__\x92\x01\x07"s);
}

TEST(RoundTrip, HundredMegabyteStringsRoundTripInEveryFormat) {
  std::string big(100u << 20, 'a');
  for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
  Value v(std::move(big));
  for (Format f : all_formats) {
    Codec c(f);
    auto t0 = std::chrono::steady_clock::now();
    std::string bytes = c.encode(v);
    Value back = c.decode(bytes);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(back, v) << to_string(f);
    std::cout << "[ 100 MB   ] " << to_string(f) << ": " << bytes.size() << " bytes, " << ms << " ms" << std::endl;
  }
}

TEST(JsonWire, ScalarsAreWrittenExactlyLikePythonJsonDumps) {
  Codec c(Format::json);
  EXPECT_EQ(c.encode(float_edges()),
            "[-0.0, 0.0, 0.1, 1e+300, 1e+16, 1e-05, 123456789.125, 0.0001, 9999999999999998.0, 5e-324, "
            "1.7976931348623157e+308, NaN, Infinity, -Infinity]");
  EXPECT_EQ(c.encode(Value::array({1.0, 3.14, -2.5e-10, 1e22, 12345.678, 0.3})),
            "[1.0, 3.14, -2.5e-10, 1e+22, 12345.678, 0.3]");
  EXPECT_EQ(c.encode(int_edges()),
            "[0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, 9223372036854775807, "
            "18446744073709551615, -1, -32, -33, -128, -129, -9223372036854775808]");
  EXPECT_EQ(c.encode(Value("\"\\/\n\r\t\b\f\x01\x1f\x7f caf\xC3\xA9 \xF0\x9F\x8C\x8D \xE2\x80\xA8")),
            R"("\"\\/\n\r\t\b\f\u0001\u001f\u007f caf\u00e9 \ud83c\udf0d \u2028")");
  EXPECT_EQ(c.encode(Value::array({nullptr, true, false, Value::array(), Value::map()})), "[null, true, false, [], {}]");
  EXPECT_EQ(c.encode(Value::map({{"a", 1}, {"b", Value::array({1, 2})}})), R"({"a": 1, "b": [1, 2]})");
}

TEST(JsonWire, NonStringKeysAreStringifiedLikePython) {
  Codec c(Format::json);
  EXPECT_EQ(c.encode(Value(Map{{1, "one"}, {true, 1}, {nullptr, 2}, {1.5, 3}, {-0.0, 4}, {UINT64_MAX, 5}})),
            R"({"1": "one", "true": 1, "null": 2, "1.5": 3, "-0.0": 4, "18446744073709551615": 5})");
}

TEST(JsonWire, DecodingFollowsPythonJsonLoads) {
  Codec c(Format::json);
  EXPECT_TRUE(identical(c.decode(R"({"a": 1, "b": 2, "a": 3})"), Value::map({{"a", 3}, {"b", 2}})));
  EXPECT_TRUE(identical(c.decode("[1,2.0,-0,-0.0,1e2,1E-2,NaN,Infinity,-Infinity]"),
                        Value::array({1, 2.0, 0, -0.0, 100.0, 0.01, std::numeric_limits<double>::quiet_NaN(), HUGE_VAL,
                                      -HUGE_VAL})));
  EXPECT_TRUE(identical(c.decode("\t[ 18446744073709551615 ,-9223372036854775808 ]\r\n"),
                        Value::array({UINT64_MAX, INT64_MIN})));
  // Beyond 64 bits Python keeps an exact int; we fall back to the nearest double.
  EXPECT_TRUE(identical(c.decode("18446744073709551616"), Value(18446744073709551616.0)));
  // Python reads 1e400 as inf; RapidJSON refuses numbers beyond double range (Python
  // itself never writes them: it emits Infinity).
  EXPECT_THROW(c.decode("1e400"), DecodeError);
  EXPECT_TRUE(identical(c.decode("[1e-400, -1e-400]"), Value::array({0.0, -0.0})));
  EXPECT_TRUE(identical(c.decode("2.2250738585072011e-308"), Value(2.2250738585072011e-308)));
  EXPECT_TRUE(identical(c.decode("0.1"), Value(0.1)));
  Map big;
  for (int i = 0; i < 40; ++i) big.emplace_back(std::to_string(i % 20), i);
  Value deduped = c.decode(c.encode(Value(big)));
  ASSERT_EQ(deduped.size(), 20u);
  EXPECT_EQ(deduped.as_map()[0], (std::pair<Value, Value>("0", 20)));
}

TEST(MsgpackWire, IntegersUseTheSmallestFormatAndFloatsAreAlwaysFloat64) {
  Codec c(Format::msgpack);
  auto enc = [&](const Value& v) { return c.encode(v); };
  EXPECT_EQ(enc(0), "\x00"s);
  EXPECT_EQ(enc(127), "\x7f"s);
  EXPECT_EQ(enc(128), "\xcc\x80"s);
  EXPECT_EQ(enc(255), "\xcc\xff"s);
  EXPECT_EQ(enc(256), "\xcd\x01\x00"s);
  EXPECT_EQ(enc(65536), "\xce\x00\x01\x00\x00"s);
  EXPECT_EQ(enc(4294967296ll), "\xcf\x00\x00\x00\x01\x00\x00\x00\x00"s);
  EXPECT_EQ(enc(UINT64_MAX), "\xcf\xff\xff\xff\xff\xff\xff\xff\xff"s);
  EXPECT_EQ(enc(-1), "\xff"s);
  EXPECT_EQ(enc(-32), "\xe0"s);
  EXPECT_EQ(enc(-33), "\xd0\xdf"s);
  EXPECT_EQ(enc(-129), "\xd1\xff\x7f"s);
  EXPECT_EQ(enc(INT64_MIN), "\xd3\x80\x00\x00\x00\x00\x00\x00\x00"s);
  EXPECT_EQ(enc(1.0), "\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00"s);
  EXPECT_EQ(enc(-0.0), "\xcb\x80\x00\x00\x00\x00\x00\x00\x00"s);
  EXPECT_EQ(enc(std::string(31, 'x')).substr(0, 1), "\xbf"s);
  EXPECT_EQ(enc(std::string(32, 'x')).substr(0, 2), "\xd9\x20"s);
  EXPECT_EQ(enc(std::string(256, 'x')).substr(0, 3), "\xda\x01\x00"s);
  EXPECT_EQ(enc(Value::bytes({1})), "\xc4\x01\x01"s);
  EXPECT_EQ(enc(Value::array({nullptr, false, true})), "\x93\xc0\xc2\xc3"s);
}

TEST(MsgpackWire, DecoderAcceptsFloat32WideIntsAndOldRawStrings) {
  Codec c(Format::msgpack);
  EXPECT_TRUE(identical(c.decode("\xca\x3f\xc0\x00\x00"s), Value(1.5)));
  EXPECT_TRUE(identical(c.decode("\xcf\x00\x00\x00\x00\x00\x00\x00\x05"s), Value(5)));
  EXPECT_TRUE(identical(c.decode("\xd3\x00\x00\x00\x00\x00\x00\x00\x05"s), Value(5)));
  EXPECT_TRUE(identical(c.decode("\xd0\x05"s), Value(5)));
  EXPECT_TRUE(identical(c.decode("\xda\x00\x02hi"s), Value("hi")));
  EXPECT_TRUE(identical(c.decode("\xdb\x00\x00\x00\x02hi"s), Value("hi")));
  EXPECT_TRUE(identical(c.decode("\xdc\x00\x01\x01"s), Value::array({1})));
  EXPECT_TRUE(identical(c.decode("\xde\x00\x01\x01\x02"s), Value(Map{{1, 2}})));
  EXPECT_TRUE(identical(c.decode("\x82\x01\x02\x01\x03"s), Value(Map{{1, 3}})));  // duplicate key: last value
}

// Python dict semantics at every map size (small maps and large ones take
// different paths): a repeated key keeps its first place and its last value.
TEST(JsonWire, RepeatedKeysKeepTheirFirstPlaceAndLastValueAtEverySize) {
  const Codec c(Format::json);
  for (int n : {2, 3, 16, 17, 40, 1000}) {
    std::string text = "{";
    Map expected;
    for (int i = 0; i < n; ++i) {
      // Keys k0..k(n/2-1), each written twice; the second value wins.
      const int key = i % (n / 2 + n % 2);
      text += (i ? ", \"k" : "\"k") + std::to_string(key) + "\": " + std::to_string(i);
      if (i == key) expected.emplace_back("k" + std::to_string(key), i);
      if (i != key) expected[static_cast<std::size_t>(key)].second = Value(i);
    }
    text += "}";
    EXPECT_TRUE(identical(c.decode(text), Value(expected))) << n << " entries: " << to_repr(c.decode(text));
  }
}

// Containers of frames too small to compress are written and read by uvmas
// itself: they must be the very bytes c-blosc writes, at every size and on
// both sides of its compression threshold.
TEST(MsgpackBloscWire, FramesAreTheContainersCBloscWritesAtEverySize) {
  const Codec msgpack(Format::msgpack), blosc(Format::msgpack_blosc);
  for (std::size_t len = 0; len < 200; ++len) {
    for (int variant = 0; variant < 2; ++variant) {
      std::string text(len, 'a');
      for (std::size_t i = 0; variant == 1 && i < len; ++i) text[i] = static_cast<char>('a' + (i * 7) % 26);
      const Value v(text);
      const std::string inner = msgpack.encode(v);
      std::string expected(inner.size() + BLOSC_MAX_OVERHEAD, '\0');
      int n = blosc_compress_ctx(9, BLOSC_SHUFFLE, 8, inner.size(), inner.data(), expected.data(), expected.size(),
                                 "blosclz", 0, 1);
      ASSERT_GT(n, 0);
      expected.resize(static_cast<std::size_t>(n));
      EXPECT_EQ(blosc.encode(v), expected) << "string of " << len;
      EXPECT_TRUE(identical(blosc.decode(expected), v)) << "string of " << len;
    }
  }
}

TEST(MsgpackBloscWire, AStoredContainerWhoseSizesDisagreeIsRefused) {
  const Codec blosc(Format::msgpack_blosc);
  std::string frame = blosc.encode(Value("hello"));
  ASSERT_EQ(frame.size(), 16u + 6u);
  std::string longer = frame + "x";  // cbytes no longer matches the payload
  EXPECT_THROW(blosc.decode(longer), DecodeError);
  std::string shorter = frame.substr(0, frame.size() - 1);
  EXPECT_THROW(blosc.decode(shorter), DecodeError);
  std::string wrong_nbytes = frame;
  wrong_nbytes[4] = 7;  // claims 7 bytes of data, carries 6
  EXPECT_THROW(blosc.decode(wrong_nbytes), DecodeError);
}

}  // namespace
}  // namespace uvmas
