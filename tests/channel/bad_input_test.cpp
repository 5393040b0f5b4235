// Every kind of malformed input (bad frame, bad message, an over-long length header): the
// offending connection is closed with a clear reason, the server's own
// pending request on it fails with ConnectionError, and a second client is
// served correctly afterwards.

#include "support/raw_peer.hpp"

#include <uvmas/core/error.hpp>
#include <uvmas/core/log.hpp>
#include <uvmas/framework/channel.hpp>

#include <gtest/gtest.h>

namespace {

using namespace uvmas;

struct BadCase {
  const char* name;
  Format codec;
  std::string payload;  // sent as one frame (unless raw is set)
  std::string raw;      // sent verbatim instead of a frame
  const char* reason;   // expected in the server's error
};

// Keeps test names readable in ctest's output.
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

std::string bytes(std::initializer_list<unsigned char> b) { return std::string(b.begin(), b.end()); }

class ChannelBadInput : public ::testing::TestWithParam<BadCase> {};

TEST_P(ChannelBadInput, ClosesOnlyTheOffendingConnection) {
  const BadCase& c = GetParam();
  Loop loop;
  std::vector<std::string> logged;
  set_log_sink([&](LogLevel, std::string_view text) { logged.emplace_back(text); });
  ChannelOptions options;
  options.codec = c.codec;
  options.extra_serializers = {"Point"};
  std::string server_error;
  int connection = 0;
  auto server = start_server(
      loop, "tcp://127.0.0.1:0",
      [&](Channel ch) -> Task<> {
        int me = connection++;
        if (me == 0) {
          // The server asks the bad client something; the bad frame must fail it.
          try {
            co_await ch.send("are you there?");
          } catch (const ConnectionError& e) {
            server_error = e.what();
          }
          co_return;
        }
        Request r = co_await ch.recv();
        co_await r.reply(r.content());
      },
      options);
  auto run = [](Loop& l, Address addr, const BadCase& bc, ChannelOptions o) -> Task<> {
    auto bad = co_await test::RawPeer::connect(l, addr);
    auto question = co_await bad->read_frame();  // the server's request
    EXPECT_TRUE(question.has_value());
    if (bc.raw.empty()) {
      bad->write_frame(bc.payload);
    } else {
      bad->write(bc.raw);
    }
    co_await bad->wait_closed();
    Channel good = co_await open_connection(l, addr.url(), o);
    Value v = co_await good.send("fine");
    EXPECT_EQ(v.as_string(), "fine");
  };
  loop.run(run(loop, server->address(), c, options));
  set_log_sink(nullptr);
  EXPECT_NE(server_error.find(c.reason), std::string::npos) << server_error;
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_NE(logged[0].find(c.reason), std::string::npos) << logged[0];
}

INSTANTIATE_TEST_SUITE_P(
    EveryRow, ChannelBadInput,
    ::testing::Values(
        BadCase{"UndecodableJson", Format::json, "[0, 0, ", "", "undecodable frame"},
        BadCase{"UndecodableMsgPack", Format::msgpack, bytes({0x93, 0x00}), "", "undecodable frame"},
        BadCase{"UndecodableBlosc", Format::msgpack_blosc, "not blosc at all, really", "", "undecodable frame"},
        BadCase{"EmptyPayload", Format::json, "", "", "undecodable frame"},
        BadCase{"LeadingBom", Format::json, "\xef\xbb\xbf[0, 0, 1]", "", "undecodable frame"},
        BadCase{"InvalidUtf8Json", Format::json, "[0, 0, \"\xff\xfe\"]", "", "undecodable frame"},
        BadCase{"InvalidUtf8MsgPack", Format::msgpack, bytes({0x93, 0x00, 0x00, 0xa2, 0xff, 0xfe}), "",
                "undecodable frame"},
        BadCase{"NotATriple", Format::json, "[0, 0]", "", "not a [type, id, content] triple"},
        BadCase{"NotAnArray", Format::json, "{\"a\": 1}", "", "not a [type, id, content] triple"},
        BadCase{"UnknownMessageType", Format::json, "[7, 0, null]", "", "invalid message type 7"},
        BadCase{"ReplyToAnUnknownId", Format::json, "[1, 99, null]", "", "unknown message id 99"},
        BadCase{"ReplyWithANonIntegerId", Format::json, "[1, \"x\", null]", "", "reply with an id"},
        BadCase{"UnknownTypeId", Format::json, "[0, 1, {\"__type__\": [9, 1]}]", "", "undecodable frame"},
        BadCase{"TypeWrapperNotAPair", Format::json, "[0, 1, {\"__type__\": 3}]", "", "undecodable frame"},
        BadCase{"DeeplyNested", Format::json, std::string(100000, '[') + std::string(100000, ']'), "",
                "undecodable frame"},
        BadCase{"OverLongLengthHeader", Format::json, "", bytes({0x7f, 0xff, 0xff, 0xff, '[', '0'}),
                "exceeds the limit"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ChannelBadInput, AStalledHugeFrameDoesNotAllocateItsAnnouncedSizeNorDelayOthers) {
  Loop loop;
  ChannelOptions options;
  auto server = start_server(
      loop, "tcp://127.0.0.1:0",
      [](Channel ch) -> Task<> {
        for (;;) {
          Request r = co_await ch.recv();
          co_await r.reply(r.content());
        }
      },
      options);
  auto run = [](Loop& l, Address addr) -> Task<> {
    std::vector<std::unique_ptr<test::RawPeer>> stalled;
    for (int i = 0; i < 50; ++i) {
      auto p = co_await test::RawPeer::connect(l, addr);
      // Announces 60 MB (under the limit) and sends 10 bytes of it.
      p->write(std::string("\x03\x93\x87\x00", 4) + "[0, 0, \"ab");
      stalled.push_back(std::move(p));
    }
    Channel good = co_await open_connection(l, addr.url());
    EXPECT_EQ((co_await good.send("quick")).as_string(), "quick");
  };
  loop.run(run(loop, server->address()));
}

}  // namespace
