// Malformed, hostile and unencodable input: every case must throw the right
// error type (never crash, never allocate what a header merely claims).

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include <uvmas/codecs/codec.hpp>

namespace uvmas {
namespace {

using namespace std::string_literals;

const Codec json{Format::json};
const Codec msgpack{Format::msgpack};
const Codec blosc{Format::msgpack_blosc};

std::shared_ptr<const Serializers> point_and_color() {
  return std::make_shared<const Serializers>(Serializers{"Point", "Color"});
}

TEST(BadInput, EmptyPayloadIsADecodeErrorForEveryCodec) {
  for (const Codec* c : {&json, &msgpack, &blosc}) EXPECT_THROW(c->decode(""), DecodeError);
  EXPECT_THROW(json.decode("  \n"), DecodeError);
}

TEST(BadInput, JsonWithLeadingBomIsRejected) {
  EXPECT_THROW(json.decode("\xEF\xBB\xBF[1]"), DecodeError);
  EXPECT_EQ(json.decode(" [1] \n"), Value::array({1}));
}

TEST(BadInput, JsonWithInvalidUtf8OrLoneSurrogatesIsRejected) {
  for (std::string bad : {"\"\xC3\x28\""s, "\"\xC0\x80\""s, "\"\xED\xA0\x80\""s, "\"\xF4\x90\x80\x80\""s,
                          "\"\xFF\""s, "\"abc\xE2\x82\""s, "\"\\udc00\""s, "\"\\ud800\""s, "\"\\ud800x\""s,
                          "{\"\xC3\x28\": 1}"s}) {
    EXPECT_THROW(json.decode(bad), DecodeError) << bad;
  }
  EXPECT_EQ(json.decode("\"\\ud83c\\udf0d\""), Value("\xF0\x9F\x8C\x8D"));
}

TEST(BadInput, MalformedJsonAndNonPythonTokensAreRejected) {
  for (const char* bad : {"[1,]", "{'a': 1}", "[1", "nul", "-NaN", "Inf", "-Inf", "infinity", "01", "1.", "[1] x",
                          "{\"a\" 1}", "\"\x01\""}) {
    EXPECT_THROW(json.decode(bad), DecodeError) << bad;
  }
  EXPECT_THROW(json.decode("1\0junk"s), DecodeError);
  EXPECT_THROW(json.decode("[1]\0"s), DecodeError);
}

TEST(BadInput, MsgpackWithInvalidUtf8InStrIsRejected) {
  EXPECT_THROW(msgpack.decode("\xA2\xC3\x28"s), DecodeError);
  EXPECT_THROW(msgpack.decode("\xA3\xED\xA0\x80"s), DecodeError);
  EXPECT_THROW(msgpack.decode("\x81\xA2\xC3\x28\x01"s), DecodeError);  // as a map key
  EXPECT_EQ(msgpack.decode("\xC4\x02\xC3\x28"s), Value::bytes({0xC3, 0x28}));  // bin is not text
}

TEST(BadInput, TruncatedMsgpackIsRejected) {
  for (std::string bad : {"\x93\x01"s, "\xA5\x61"s, "\xCD\x01"s, "\xCB\x00\x00"s, "\xDA\x00"s, "\x81\x01"s,
                          "\xC4\x10\x00"s, "\xDD\xFF\xFF\xFF\xFF"s, "\xDF\xFF\xFF\xFF\xFF"s}) {
    EXPECT_THROW(msgpack.decode(bad), DecodeError) << bad.size();
  }
}

TEST(BadInput, TrailingBytesAfterAMsgpackValueAreRejected) {
  EXPECT_THROW(msgpack.decode("\x01\x02"s), DecodeError);
  EXPECT_THROW(msgpack.decode("\x90\x00"s), DecodeError);
  EXPECT_THROW(msgpack.decode("\xC1"s), DecodeError);  // never-used byte
}

TEST(BadInput, MsgpackExtTypesAreRejected) {
  EXPECT_THROW(msgpack.decode("\xD4\x01\x00"s), DecodeError);
  EXPECT_THROW(msgpack.decode("\xC7\x01\x05\x00"s), DecodeError);
}

TEST(BadInput, HundredThousandDeepJsonNestingIsADecodeErrorNotACrash) {
  const std::size_t n = 100'000;
  EXPECT_THROW(json.decode(std::string(n, '[') + std::string(n, ']')), DecodeError);
  std::string objs;
  for (std::size_t i = 0; i < n; ++i) objs += "{\"a\":";
  objs += "1" + std::string(n, '}');
  EXPECT_THROW(json.decode(objs), DecodeError);
  EXPECT_THROW(json.decode(std::string(n, '[')), DecodeError);
}

TEST(BadInput, HundredThousandDeepMsgpackNestingIsADecodeErrorNotACrash) {
  const std::size_t n = 100'000;
  EXPECT_THROW(msgpack.decode(std::string(n, '\x91') + "\xC0"), DecodeError);
  std::string maps;
  for (std::size_t i = 0; i < n; ++i) maps += "\x81\x01";
  maps += "\xC0";
  EXPECT_THROW(msgpack.decode(maps), DecodeError);
}

TEST(BadInput, DepthLimitAllowsExactlyMaxDepthLevels) {
  CodecOptions o;
  o.max_depth = 256;
  for (Format f : {Format::json, Format::msgpack, Format::msgpack_blosc}) {
    Codec c(f, nullptr, o);
    Value ok = Value::array();
    for (int i = 1; i < 256; ++i) ok = Value::array({ok});
    EXPECT_NO_THROW(c.decode(c.encode(ok))) << to_string(f);
    Value too_deep = Value::array({ok});
    EXPECT_THROW(c.encode(too_deep), SerializationError) << to_string(f);
    Codec lenient(f, nullptr, CodecOptions{300});
    EXPECT_THROW(c.decode(lenient.encode(too_deep)), DecodeError) << to_string(f);
  }
}

// JSON nests on the C++ stack only up to a moderate limit; a codec allowed to
// go deeper parses without recursion, and still enforces its own limit.
TEST(BadInput, JsonDeeperThanTheRecursiveParserGoesStillDecodesAndStillStopsAtTheLimit) {
  Codec deep(Format::json, nullptr, CodecOptions{4'000});
  Value v = deep.decode(std::string(3'000, '[') + std::string(3'000, ']'));
  std::size_t levels = 1;
  for (const Value* p = &v; p->size() == 1; p = &(*p)[0]) ++levels;
  EXPECT_EQ(levels, 3'000u);
  EXPECT_THROW(deep.decode(std::string(5'000, '[') + std::string(5'000, ']')), DecodeError);
}

TEST(BadInput, TypeWrapperWithUnknownTypeidOrWrongShapeIsRejectedWithSerializers) {
  for (Format f : {Format::json, Format::msgpack}) {
    Codec raw(f);
    Codec typed(f, point_and_color());
    for (Value bad : {Value::map({{"__type__", Value::array({2, "x"})}}), Value::map({{"__type__", 0}}),
                      Value::map({{"__type__", Value::array({0})}}), Value::map({{"__type__", Value::array({0, 1, 2})}}),
                      Value::map({{"__type__", Value::array({"0", 1})}}),
                      Value::map({{"__type__", Value::array({-1, 1})}}),
                      Value::map({{"__type__", Value::array({0.0, 1})}}),
                      Value::array({1, Value::map({{"a", Value::map({{"__type__", "ab"}})}})})}) {
      std::string bytes = raw.encode(bad);
      EXPECT_THROW(typed.decode(bytes), DecodeError) << bad;
      EXPECT_TRUE(identical(raw.decode(bytes), bad)) << bad;  // raw mode leaves it alone
    }
  }
}

TEST(BadInput, CorruptBloscHeadersAreRejected) {
  std::string good = blosc.encode(Value(std::string(1000, 'a')));
  ASSERT_EQ(blosc.decode(good), Value(std::string(1000, 'a')));
  EXPECT_THROW(blosc.decode(good.substr(0, 10)), DecodeError);                  // shorter than the header
  EXPECT_THROW(blosc.decode(good.substr(0, good.size() - 1)), DecodeError);     // cbytes != payload size
  EXPECT_THROW(blosc.decode(good + "x"), DecodeError);                          // trailing byte
  std::string bad_version = good;
  bad_version[0] = '\x09';
  EXPECT_THROW(blosc.decode(bad_version), DecodeError);
  std::string plain = "\x93\x00\x00\xA4ohai"s;  // msgpack, not a container
  EXPECT_THROW(blosc.decode(plain), DecodeError);
}

TEST(BadInput, HugeClaimedBloscSizeIsRejectedBeforeAllocating) {
  std::string good = blosc.encode(Value::array({1, 2, 3}));
  std::string huge = good;
  std::uint32_t claim = 0x7FFFFF00u;  // ~2 GiB, with cbytes still matching the payload
  std::memcpy(huge.data() + 4, &claim, 4);
  EXPECT_THROW(blosc.decode(huge), DecodeError);
  CodecOptions small;
  small.max_blosc_nbytes = 3;  // the msgpack of [1, 2, 3] is 4 bytes
  EXPECT_THROW(Codec(Format::msgpack_blosc, nullptr, small).decode(good), DecodeError);
}

// Found by fuzzing: 33 bytes claiming 285 MB. Zero-filling the claimed size
// first cost seconds and hundreds of megabytes per frame.
std::string blosc_refusal(std::string payload) {
  try {
    (void)blosc.decode(payload);
    return "decoded";
  } catch (const DecodeError& e) {
    return e.what();
  }
}

TEST(BadInput, ABloscClaimTheContainerCannotHoldIsRejectedBeforeAllocating) {
  std::string few = "\x02\x01\x13\x00\x00\x08\x00\x11\xe6\x00\x00\x00\x21\x00\x00\x00"
                    "\x93\x00\x00\x82\xa1s\xa3" "abc\xa1" "b\xc4\x03" "abc"s;
  ASSERT_EQ(few.size(), 33u);
  EXPECT_EQ(blosc_refusal(few), "invalid blosc container: 285214720 bytes stored verbatim cannot fit in 33 bytes");
  few[2] = '\x11';  // compressed, in 230-byte blocks: one 4-byte offset each
  EXPECT_EQ(blosc_refusal(few), "invalid blosc container: 1240064 blocks cannot fit in 33 bytes");
}

TEST(BadInput, RandomlyCorruptedBloscContainersNeverCrash) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += std::to_string(i * 7919 % 1000) + ",";
  std::string good = blosc.encode(Value::array({text, Value::bytes(text)}));
  std::uint32_t seed = 12345;
  int rejected = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string bad = good;
    for (int k = 0; k < 3; ++k) {
      seed = seed * 1664525u + 1013904223u;
      bad[16 + seed % (bad.size() - 16)] ^= static_cast<char>(1 + (seed >> 24) % 255);
    }
    try {
      (void)blosc.decode(bad);
    } catch (const DecodeError&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0);
}

TEST(BadInput, UnencodableValuesThrowSerializationErrorAndLeaveOutputUntouched) {
  std::string out = "prefix";
  EXPECT_THROW(json.encode(Value::array({1, Value::bytes({1})}), out), SerializationError);
  EXPECT_EQ(out, "prefix");
  try {
    (void)json.encode(Value::bytes({}));
  } catch (const SerializationError& e) {
    EXPECT_STREQ(e.what(), "Object of type bytes is not JSON serializable");
  }
  EXPECT_THROW(json.encode(Value(Map{{Value::array(), 1}})), SerializationError);
  EXPECT_THROW(json.encode(Value(Map{{Value::bytes({}), 1}})), SerializationError);
  for (const Codec* c : {&json, &msgpack, &blosc}) {
    EXPECT_THROW(c->encode(Value("\xC3\x28")), SerializationError);
    EXPECT_THROW(c->encode(Value::extension("Point", 1)), SerializationError);  // raw codec
    Codec typed(c->format(), point_and_color());
    try {
      (void)typed.encode(Value::array({Value::extension("Nope", 1)}));
      FAIL();
    } catch (const SerializationError& e) {
      EXPECT_NE(std::string(e.what()).find("'Nope'"), std::string::npos) << e.what();
    }
    out = "keep";
    EXPECT_THROW(typed.encode(Value::array({1, Value::extension("Nope", 1)}), out), SerializationError);
    EXPECT_EQ(out, "keep");
  }
}

TEST(BadInput, RegistryAndFormatNamesRejectMistakes) {
  Serializers s;
  s.add("a");
  EXPECT_THROW(s.add("a"), std::invalid_argument);
  EXPECT_EQ(s.id_of("a"), 0u);
  EXPECT_EQ(s.id_of("b"), std::nullopt);
  EXPECT_EQ(s.type_of(1), nullptr);
  EXPECT_EQ(format_from_string("msgpack_blosc"), Format::msgpack_blosc);
  try {
    (void)format_from_string("bson");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("json, msgpack, msgpack_blosc"), std::string::npos);
  }
}

}  // namespace
}  // namespace uvmas
