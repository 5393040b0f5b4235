// Replays the aiomas 2.0.1 golden vectors (tests/data/vectors/aiomas/*.jsonl):
// framing, decoding (bit-exact) and byte-exact re-encoding for every line.

#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include <uvmas/codecs/codec.hpp>
#include <uvmas/codecs/frame.hpp>

#include "support/vectors.hpp"

namespace uvmas {
namespace {

using test::from_hex;
using test::to_hex;
using test::unescape;

struct ReplayCounts {
  std::size_t lines = 0, decoded = 0, encoded = 0, container_exact = 0;
};

ReplayCounts replay(const std::string& name, Format format) {
  std::ifstream in(std::string(UVMAS_TEST_DATA_DIR) + "/vectors/aiomas/" + name);
  EXPECT_TRUE(in.good()) << "cannot open " << name;
  const Codec reader(Format::json);  // raw mode JSON reads the .jsonl lines
  const Codec codec(format);         // raw mode: __type__ maps stay maps, as in `decoded`
  const Codec inner(Format::msgpack);
  ReplayCounts counts;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ++counts.lines;
    Value rec = reader.decode(line);
    std::string where = name + " " + rec.at("case").as_string() + " seq " + std::to_string(rec.at("seq").as_int());
    std::string frame = from_hex(rec.at("frame_hex").as_string());
    // 1. framing
    EXPECT_GE(frame.size(), 4u) << where;
    std::uint32_t len = read_frame_header(frame.data());
    EXPECT_EQ(len, rec.at("payload_len").as_uint()) << where;
    EXPECT_EQ(len, frame.size() - 4) << where;
    std::string_view payload = std::string_view(frame).substr(4);
    Value expected = unescape(rec.at("decoded"));
    // 2. decode
    Value got = codec.decode(payload);
    if (identical(got, expected)) {
      ++counts.decoded;
    } else {
      ADD_FAILURE() << where << ": decoded " << got << "\n expected " << expected;
    }
    EXPECT_EQ(got.as_array().at(0).as_int(), rec.at("msg_type").as_int()) << where;
    // 3. re-encode
    std::string encoded = (format == Format::msgpack_blosc ? inner : codec).encode(expected);
    std::string want = format == Format::msgpack_blosc ? from_hex(rec.at("inner_hex").as_string()) : std::string(payload);
    if (encoded == want) {
      ++counts.encoded;
    } else {
      ADD_FAILURE() << where << ": re-encoded\n " << to_hex(encoded) << "\n expected\n " << to_hex(want);
    }
    if (format == Format::msgpack_blosc) {
      if (codec.encode(expected) == payload) ++counts.container_exact;
      EXPECT_TRUE(identical(codec.decode(codec.encode(expected)), expected)) << where;
    }
  }
  std::cout << "[ vectors  ] " << name << ": " << counts.lines << " lines, " << counts.decoded << " decoded, "
            << counts.encoded << " re-encoded exactly";
  if (format == Format::msgpack_blosc) std::cout << ", " << counts.container_exact << " blosc containers byte-identical";
  std::cout << std::endl;
  return counts;
}

TEST(AiomasVectors, JsonLinesAllDecodeAndReencodeByteExact) {
  auto c = replay("json.jsonl", Format::json);
  EXPECT_EQ(c.lines, 140u);
  EXPECT_EQ(c.decoded, 140u);
  EXPECT_EQ(c.encoded, 140u);
}

TEST(AiomasVectors, MsgpackLinesAllDecodeAndReencodeByteExact) {
  auto c = replay("msgpack.jsonl", Format::msgpack);
  EXPECT_EQ(c.lines, 148u);
  EXPECT_EQ(c.decoded, 148u);
  EXPECT_EQ(c.encoded, 148u);
}

TEST(AiomasVectors, MsgpackBloscLinesAllDecodeAndReencodeIncludingContainerBytes) {
  auto c = replay("msgpack_blosc.jsonl", Format::msgpack_blosc);
  EXPECT_EQ(c.lines, 148u);
  EXPECT_EQ(c.decoded, 148u);
  EXPECT_EQ(c.encoded, 148u);
  // Same c-blosc (1.21.3) and parameters as the generator: the containers match too.
  EXPECT_EQ(c.container_exact, 148u);
}

}  // namespace
}  // namespace uvmas
