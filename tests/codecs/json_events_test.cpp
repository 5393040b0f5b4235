// read_json: a JSON payload as events under the JSON codec's own rules; what
// the events rebuild equals what the codec decodes, and what the codec
// refuses, read_json refuses.

#include <uvmas/codecs/codec.hpp>
#include <uvmas/codecs/detail/json_events.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace uvmas;
using namespace std::string_literals;

/// Rebuilds the payload's value from the events, taking containers from
/// level `whole_from` on as whole Values.
class Rebuild final : public detail::JsonEvents {
 public:
  explicit Rebuild(std::size_t whole_from) : whole_from_(whole_from) {}

  bool scalar(Value&& v) override { return put(std::move(v)); }
  bool string(std::string_view s) override { return put(Value(s)); }
  bool key(std::string_view s) override { return put(Value(s)); }
  Open start_array() override { return open(false); }
  Open start_map() override { return open(true); }
  bool end_array() override { return close(); }
  bool end_map() override { return close(); }
  bool value(Value&& v) override { return put(std::move(v)); }

  Value result;

 private:
  Open open(bool is_map) {
    if (stack_.size() >= whole_from_) return Open::value;
    stack_.push_back(Level{is_map, {}});
    return Open::events;
  }
  bool close() {
    Level level = std::move(stack_.back());
    stack_.pop_back();
    if (!level.is_map) return put(Value(std::move(level.items)));
    Map m;
    for (std::size_t i = 0; i + 1 < level.items.size(); i += 2) {
      m.emplace_back(std::move(level.items[i]), std::move(level.items[i + 1]));
    }
    return put(Value(std::move(m)));
  }
  bool put(Value v) {
    if (stack_.empty()) {
      result = std::move(v);
    } else {
      stack_.back().items.push_back(std::move(v));
    }
    return true;
  }
  struct Level {
    bool is_map;
    Array items;
  };
  std::size_t whole_from_;
  std::vector<Level> stack_;
};

const std::vector<std::string> good = {
    "null", "true", " 12 ", "-0", "18446744073709551615", "123456789012345678901234", "-1e-400", "NaN",
    "-Infinity", "2.5", "\"caf\\u00e9 \\ud83d\\ude00\"", "[]", "{}", "[1, [2, [3, {\"a\": [4]}]], {}]",
    "{\"a\": {\"b\": {\"c\": [1, \"x\", null]}}, \"d\": 1.0}", "[0, 1, [\"step\", [0, {\"E\": {\"x\": {\"S\": 1}}}, 9], {}]]"};

TEST(JsonEvents, EventsRebuildWhatTheCodecDecodesAtEveryLevelOfWholeValues) {
  const Codec json(Format::json);
  for (const std::string& payload : good) {
    for (std::size_t whole_from : {0u, 1u, 2u, 100u}) {
      Rebuild events(whole_from);
      ASSERT_TRUE(detail::read_json(payload, events, nullptr, 256)) << payload;
      EXPECT_TRUE(identical(events.result, json.decode(payload))) << payload << " from level " << whole_from;
    }
  }
}

TEST(JsonEvents, WhatTheCodecRefusesIsRefused) {
  const Codec json(Format::json);
  for (const std::string& bad : {"[1,]"s, "{'a': 1}"s, "[1"s, "-NaN"s, "01"s, "[1] x"s, "\"\x01\""s, "\"\xC3\x28\""s,
                                 "\xEF\xBB\xBF[]"s, "1\0junk"s, ""s, "[[[1]]]"s, "1e400"s}) {
    Rebuild events(100);
    EXPECT_FALSE(detail::read_json(bad, events, nullptr, 2)) << bad;
    if (!bad.empty()) {
      EXPECT_THROW(Codec(Format::json, nullptr, CodecOptions{2}).decode(bad), DecodeError) << bad;
    }
  }
}

TEST(JsonEvents, ATypeKeyStopsEventsButBuildsAnExtensionAsAWholeValue) {
  auto serializers = std::make_shared<Serializers>(Serializers{"Point"});
  const std::string payload = "[{\"__type__\": [0, [1, 2]]}]";
  Rebuild as_events(100);
  EXPECT_FALSE(detail::read_json(payload, as_events, serializers.get(), 256));
  EXPECT_TRUE(detail::read_json(payload, as_events, nullptr, 256));  // raw mode: a plain key
  Rebuild whole(1);
  ASSERT_TRUE(detail::read_json(payload, whole, serializers.get(), 256));
  EXPECT_EQ(whole.result, Codec(Format::json, serializers).decode(payload));
  EXPECT_TRUE(whole.result[0].is_extension());
}

}  // namespace
