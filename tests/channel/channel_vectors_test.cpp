// Replays the channel cases of tests/data/vectors/aiomas at the channel layer:
// a uvmas server answers the recorded client frames with the recorded reply
// bytes, and a uvmas client produces the recorded request bytes.

#include "support/raw_peer.hpp"
#include "support/vectors.hpp"

#include <uvmas/framework/channel.hpp>

#include <gtest/gtest.h>

#include <iostream>

namespace {

using namespace uvmas;
using test::VectorFrame;

// The server behaviour each replayed case needs.
bool echo_case(const std::string& name) {
  return name.rfind("ch_echo_", 0) == 0 || name == "ch_large_str" || name == "ch_large_bytes" ||
         name == "ch_large_random" || name == "ch_custom_types";
}

Task<> recorded_server(Channel ch, std::string case_name) {
  for (;;) {
    Request req = co_await ch.recv();
    if (case_name == "ch_ohai") {
      co_await req.reply("cya");
    } else if (case_name == "ch_fail_direct") {
      co_await req.fail_text("ValueError: 42\n");
    } else {
      co_await req.reply(req.content());
    }
  }
}

std::string payload_of(const std::string& frame) { return frame.substr(4); }

class ChannelVectors : public ::testing::TestWithParam<std::string> {};

TEST_P(ChannelVectors, ServerRepliesAndClientRequestsAreByteExact) {
  const std::string codec_name = GetParam();
  const Format format = format_from_string(codec_name);
  auto cases = test::load_vectors(codec_name);
  const Codec inner(Format::msgpack);
  std::size_t replayed = 0;
  for (auto& [case_name, frames] : cases) {
    const std::string name = case_name;
    if (!(echo_case(name) || name == "ch_ohai" || name == "ch_fail_direct")) continue;
    SCOPED_TRACE(name);
    Loop loop;
    ChannelOptions options;
    options.codec = format;
    if (name == "ch_custom_types") options.extra_serializers = {"Point", "Color"};
    auto server = start_server(
        loop, "tcp://127.0.0.1:0", [name](Channel ch) { return recorded_server(ch, name); }, options);
    auto replay = [](Loop& l, Address addr, std::vector<VectorFrame>& fs, Format f, ChannelOptions o,
                     std::size_t& count) -> Task<> {
      // As server: send the recorded client frames, compare the replies.
      auto peer = co_await test::RawPeer::connect(l, addr);
      for (auto& fr : fs) {
        if (fr.from_client) {
          peer->write(fr.frame);
          ++count;
        } else {
          auto got = co_await peer->read_frame();
          if (!got) {
            ADD_FAILURE() << "connection closed";
            co_return;
          }
          if (f == Format::msgpack_blosc) {
            EXPECT_EQ(test::to_hex(Codec(Format::msgpack).encode(Codec(f).decode(*got))), test::to_hex(fr.inner));
          } else {
            EXPECT_EQ(test::to_hex(*got), test::to_hex(payload_of(fr.frame)));
          }
          ++count;
        }
      }
      // As client: uvmas sends the recorded request contents; a raw server checks the bytes.
      test::RawServer server(l, Address::parse("tcp://127.0.0.1:0"));
      Channel ch = co_await open_connection(l, server.address().url(), o);
      TaskGroup g(l);
      for (auto& fr : fs) {
        if (!fr.from_client) continue;
        g.spawn([](Channel c, Value content) -> Task<> {
          try {
            (void)co_await c.send(std::move(content));
          } catch (...) {
          }
        }(ch, fr.decoded.as_array()[2]));
      }
      test::RawPeer* raw = co_await server.peer();
      for (auto& fr : fs) {
        if (!fr.from_client) continue;
        auto got = co_await raw->read_frame();
        if (!got) break;
        if (f == Format::msgpack_blosc) {
          EXPECT_EQ(test::to_hex(Codec(Format::msgpack).encode(Codec(f).decode(*got))), test::to_hex(fr.inner));
        } else {
          EXPECT_EQ(test::to_hex(*got), test::to_hex(payload_of(fr.frame)));
        }
      }
      ch.abort();
      co_await g.join();
    };
    loop.run(replay(loop, server->address(), frames, format, options, replayed));
  }
  std::cout << "[ vectors  ] channel replay " << codec_name << ": " << replayed << " frames" << std::endl;
  EXPECT_GT(replayed, 20u);
}

INSTANTIATE_TEST_SUITE_P(Codecs, ChannelVectors, ::testing::Values("json", "msgpack", "msgpack_blosc"));

}  // namespace
