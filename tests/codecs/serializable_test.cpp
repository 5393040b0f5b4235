// Custom types registered once (Serializable traits) and the errors a peer
// with other registrations gets: an id this side lacks, or data of the wrong
// shape for an id whose data is always a text.

#include "support/point_type.hpp"

#include <uvmas/codecs/codec.hpp>
#include <uvmas/codecs/serializable.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace uvmas {
namespace {

using test::Point;

std::string decode_error(const Codec& codec, std::string_view payload) {
  try {
    codec.decode(payload);
  } catch (const DecodeError& e) {
    return e.what();
  }
  return "";
}

TEST(Serializable, APointTravelsAsItsNamedExtensionAndComesBack) {
  EXPECT_EQ(serializer_name<Point>(), "Point");
  Value v = Value::from(Point{1, 2});
  ASSERT_TRUE(v.is_extension());
  EXPECT_EQ(v.as_extension().type, "Point");
  auto serializers = std::make_shared<Serializers>();
  serializers->add("datetime", true);
  serializers->add(serializer_name<Point>());
  Codec codec(Format::json, serializers);
  EXPECT_EQ(codec.encode(v), R"({"__type__": [1, {"x": 1.0, "y": 2.0}]})");
  Point p = codec.decode(codec.encode(v)).as<Point>();
  EXPECT_EQ(p.x, 1);
  EXPECT_EQ(p.y, 2);
}

TEST(Serializable, ReadingAnotherValueAsAPointNamesBoth) {
  try {
    Value(42).as<Point>();
    FAIL();
  } catch (const ConversionError& e) {
    EXPECT_STREQ(e.what(), "expected Point, got int");
  }
  EXPECT_THROW(Value::extension("Color", "red").as<Point>(), ConversionError);
}

TEST(Serializable, AnIdThisSideLacksNamesTheIdAndTheRegisteredTypes) {
  auto serializers = std::make_shared<Serializers>();
  serializers->add("datetime", true);
  serializers->add("proxy", true);
  Codec codec(Format::json, serializers);
  EXPECT_NE(decode_error(codec, R"({"__type__": [3, 1]})")
                .find("unknown __type__ typeid 3; this side registers 0 datetime, 1 proxy (both sides must "
                      "register the same serializers in the same order)"),
            std::string::npos);
}

TEST(Serializable, APeerWithAnExtraTypeIsRefusedInsteadOfDecodingItAsAProxy) {
  // The sender registers Point as 1 and its proxies as 2; we only know proxies, as 1.
  auto serializers = std::make_shared<Serializers>();
  serializers->add("datetime", true);
  serializers->add("proxy", true);
  for (Format f : {Format::json, Format::msgpack}) {
    Codec mine(f, serializers);
    Codec theirs(f, std::make_shared<Serializers>(Serializers{"datetime", "Point", "proxy"}));
    std::string err = decode_error(mine, theirs.encode(Value::from(Point{1, 2})));
    EXPECT_NE(err.find("__type__ typeid 1 is 'proxy' here, whose data is a text, but got {'x': 1.0, 'y': 2.0}; "
                       "this side registers 0 datetime, 1 proxy"),
              std::string::npos)
        << err;
    // Its proxies are an id we lack.
    EXPECT_NE(decode_error(mine, theirs.encode(Value::extension("proxy", "agents/0"))).find("unknown __type__ typeid 2"),
              std::string::npos);
  }
}

TEST(Serializable, EncodingAnUnregisteredTypeNamesWhatIsRegistered) {
  Codec codec(Format::json, std::make_shared<Serializers>(Serializers{"datetime", "proxy"}));
  try {
    codec.encode(Value::from(Point{1, 2}));
    FAIL();
  } catch (const SerializationError& e) {
    EXPECT_STREQ(e.what(), "extension type 'Point' is not registered with this codec (it registers 0 datetime, 1 proxy)");
  }
}

}  // namespace
}  // namespace uvmas
