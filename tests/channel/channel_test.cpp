// The channel layer end to end: requests, replies, failures, ordering,
// every value kind over TCP, Unix sockets and LocalQueue with each codec.

#include "support/raw_peer.hpp"
#include "support/test_support.hpp"

#include <uvmas/codecs/error.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/core/wait_list.hpp>
#include <uvmas/framework/channel.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace {

using namespace uvmas;

// An echo server: replies with the request's content.
Task<> echo_client(Channel ch) {
  for (;;) {
    Request req = co_await ch.recv();
    Value v = std::move(req.content());
    co_await req.reply(std::move(v));
  }
}

std::string listen_address(Address::Kind kind) {
  switch (kind) {
    case Address::Kind::tcp: return "tcp://127.0.0.1:0";
    case Address::Kind::unix_socket: return "ipc://[" + test::temp_socket_path("ch") + "]";
    case Address::Kind::local: return "local://channel-test";
  }
  return {};
}

TEST(Channel, OhaiCyaOverTcp) {
  Loop loop;
  auto server = start_server(loop, "tcp://127.0.0.1:0", [](Channel ch) -> Task<> {
    Request req = co_await ch.recv();
    EXPECT_EQ(req.content().as_string(), "ohai");
    co_await req.reply("cya");
  });
  auto client = [](Loop& l, std::string addr) -> Task<std::string> {
    Channel ch = co_await open_connection(l, addr);
    Value rep = co_await ch.send("ohai");
    co_await ch.close();
    co_return rep.as_string();
  };
  EXPECT_EQ(loop.run(client(loop, server->address().url())), "cya");
}

Value all_kinds(bool with_bytes) {
  Value nested = Value::map({{"a", Value::array({1, 2.5, "x", nullptr})}, {"b", Value::map({{"c", true}})}});
  Array items = {Value(nullptr), Value(true), Value(false), Value(0), Value(-1), Value(127), Value(128),
                 Value(std::numeric_limits<std::int64_t>::min()), Value(std::numeric_limits<std::int64_t>::max()),
                 Value(std::numeric_limits<std::uint64_t>::max()), Value(0.1), Value(-0.0), Value(1e300),
                 Value(""), Value("ohai \xf0\x9f\x8c\x8d \xc3\xa4"), Value(std::string(70000, 'x')), Value::array({}),
                 Value::map({}), nested};
  if (with_bytes) {
    items.push_back(Value::bytes(std::string_view("")));
    items.push_back(Value::bytes(std::string_view("\x00\xff", 2)));
    items.push_back(Value::map({{1, "one"}, {2, "two"}}));
  }
  return Value(std::move(items));
}

struct KindCase {
  Address::Kind transport;
  Format codec;
};

void PrintTo(const KindCase& c, std::ostream* os) { *os << Address{c.transport, {}, 0, {}}.url() << " " << to_string(c.codec); }

class ChannelAllKinds : public ::testing::TestWithParam<KindCase> {};

TEST_P(ChannelAllKinds, EveryValueKindRoundTrips) {
  Loop loop;
  ChannelOptions options;
  options.codec = GetParam().codec;
  auto server = start_server(loop, listen_address(GetParam().transport), echo_client, options);
  auto client = [](Loop& l, std::string addr, ChannelOptions o) -> Task<> {
    Channel ch = co_await open_connection(l, addr, o);
    Value v = all_kinds(o.codec != Format::json);
    Value back = co_await ch.send(v);
    EXPECT_TRUE(identical(back, v)) << back;
    // NaN and infinities travel too (as NaN/Infinity tokens in JSON).
    Value special_floats = Value::array({std::nan(""), HUGE_VAL, -HUGE_VAL});
    Value special = co_await ch.send(special_floats);
    EXPECT_TRUE(std::isnan(special[0].as_double()));
    EXPECT_EQ(special[1].as_double(), HUGE_VAL);
    co_await ch.close();
  };
  loop.run(client(loop, server->address().url(), options));
}

INSTANTIATE_TEST_SUITE_P(
    TransportsAndCodecs, ChannelAllKinds,
    ::testing::Values(KindCase{Address::Kind::tcp, Format::json}, KindCase{Address::Kind::tcp, Format::msgpack},
                      KindCase{Address::Kind::tcp, Format::msgpack_blosc},
                      KindCase{Address::Kind::unix_socket, Format::json},
                      KindCase{Address::Kind::unix_socket, Format::msgpack},
                      KindCase{Address::Kind::unix_socket, Format::msgpack_blosc},
                      KindCase{Address::Kind::local, Format::json}, KindCase{Address::Kind::local, Format::msgpack}),
    [](const auto& info) {
      std::string t = info.param.transport == Address::Kind::tcp ? "Tcp"
                      : info.param.transport == Address::Kind::unix_socket ? "Unix" : "Local";
      std::string c = info.param.codec == Format::json ? "Json" : info.param.codec == Format::msgpack ? "MsgPack" : "Blosc";
      return t + c;
    });

TEST(Channel, OhaiCyaOverIpv6) {
  Loop loop;
  std::unique_ptr<Server> server;
  try {
    server = start_server(loop, "tcp://[::1]:0", echo_client);
  } catch (const ConnectionError& e) {
    GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
  }
  auto client = [](Loop& l, std::string addr) -> Task<std::string> {
    Channel ch = co_await open_connection(l, addr);
    EXPECT_EQ(ch.peer_name().rfind("('::1', ", 0), 0u) << ch.peer_name();
    co_return (co_await ch.send("ohai")).as_string();
  };
  EXPECT_EQ(server->address().url().rfind("tcp://::1:", 0), 0u);
  EXPECT_EQ(loop.run(client(loop, "tcp://[::1]:" + std::to_string(server->address().port))), "ohai");
}

class ChannelLarge : public ::testing::TestWithParam<Format> {};

void hundred_megabytes(Format codec, const std::string& address) {
  Loop loop;
  ChannelOptions options;
  options.codec = codec;
  options.max_frame_size = std::size_t{256} << 20;
  auto server = start_server(loop, address, echo_client, options);
  auto client = [](Loop& l, std::string addr, ChannelOptions o) -> Task<> {
    Channel ch = co_await open_connection(l, addr, o);
    std::string big(100'000'000, 'a');
    for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
    Value back = co_await ch.send(big);
    EXPECT_EQ(back.as_string().size(), big.size());
    EXPECT_TRUE(back.as_string() == big);
  };
  loop.run(client(loop, server->address().url(), options));
}

TEST_P(ChannelLarge, HundredMegabytePayloadsPassWithARaisedLimitOverTcp) {
  hundred_megabytes(GetParam(), "tcp://127.0.0.1:0");
}

TEST_P(ChannelLarge, HundredMegabytePayloadsPassWithARaisedLimitOverUnixSockets) {
  hundred_megabytes(GetParam(), "ipc://[" + test::temp_socket_path("large") + "]");
}

TEST_P(ChannelLarge, TheDefaultLimitRefusesAHundredMegabyteFrame) {
  Loop loop;
  ChannelOptions options;
  options.codec = GetParam();
  auto server = start_server(loop, "tcp://127.0.0.1:0", echo_client, options);
  auto client = [](Loop& l, std::string addr, ChannelOptions o) -> Task<std::string> {
    Channel ch = co_await open_connection(l, addr, o);
    // Incompressible, so that blosc cannot shrink it below the limit either.
    std::string big(100'000'000, 'z');
    std::uint64_t x = 88172645463325252ull;
    for (char& c : big) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      c = static_cast<char>(o.codec == Format::json ? 'a' + x % 26 : x & 0xff);
    }
    Value payload = o.codec == Format::json ? Value(std::move(big)) : Value::bytes(big);
    try {
      co_await ch.send(std::move(payload));
    } catch (const ConnectionError& e) {
      co_return e.what();
    }
    co_return "no error";
  };
  std::string error = loop.run(client(loop, server->address().url(), options));
  EXPECT_NE(error.find("lost"), std::string::npos) << error;
}

INSTANTIATE_TEST_SUITE_P(Codecs, ChannelLarge, ::testing::Values(Format::json, Format::msgpack, Format::msgpack_blosc),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(Channel, RepliesMatchRequestsInAnyOrder) {
  Loop loop;
  // The server answers the three requests in the order 1, 2, 0.
  auto server = start_server(loop, "tcp://127.0.0.1:0", [](Channel ch) -> Task<> {
    Request r0 = co_await ch.recv();
    Request r1 = co_await ch.recv();
    Request r2 = co_await ch.recv();
    co_await r1.reply(r1.content());
    co_await r2.reply(r2.content());
    co_await r0.reply(r0.content());
  });
  auto client = [](Loop& l, std::string addr) -> Task<> {
    Channel ch = co_await open_connection(l, addr);
    TaskGroup group(l);
    std::vector<int> order;
    auto one = [](Channel c, int n, std::vector<int>& out) -> Task<> {
      Value v = co_await c.send(n);
      EXPECT_EQ(v.as_int(), n);
      out.push_back(n);
    };
    group.spawn(one(ch, 0, order));
    group.spawn(one(ch, 1, order));
    group.spawn(one(ch, 2, order));
    co_await group.join();
    EXPECT_EQ(order, (std::vector<int>{1, 2, 0}));
  };
  loop.run(client(loop, server->address().url()));
}

TEST(Channel, BothSidesMaySendRequestsOnOneConnection) {
  Loop loop;
  auto server = start_server(loop, "tcp://127.0.0.1:0", [](Channel ch) -> Task<> {
    Request req = co_await ch.recv();
    Value answer = co_await ch.send("from-server");
    Value result = Value::array({"server-done", answer});
    co_await req.reply(result);
  });
  auto client = [](Loop& l, std::string addr) -> Task<> {
    Channel ch = co_await open_connection(l, addr);
    TaskGroup group(l);
    group.spawn([](Channel c) -> Task<> {
      Request r = co_await c.recv();
      EXPECT_EQ(r.content().as_string(), "from-server");
      co_await r.reply("client-reply");
    }(ch));
    Value v = co_await ch.send("from-client");
    EXPECT_EQ(v, Value::array({"server-done", "client-reply"}));
    co_await group.join();
  };
  loop.run(client(loop, server->address().url()));
}

TEST(Channel, FailuresArriveAsRemoteExceptionsWithOriginAndText) {
  Loop loop;
  auto server = start_server(loop, "tcp://127.0.0.1:0", [](Channel ch) -> Task<> {
    Request a = co_await ch.recv();
    co_await a.fail(ValueError("boom"));
    Request b = co_await ch.recv();
    co_await b.fail_text("ValueError: 42\n");
  });
  auto client = [](Loop& l, std::string addr) -> Task<> {
    Channel ch = co_await open_connection(l, addr);
    try {
      co_await ch.send("x");
      ADD_FAILURE() << "no exception";
    } catch (const RemoteException& e) {
      EXPECT_EQ(e.remote_type(), "ValueError");
      EXPECT_EQ(e.remote_message(), "boom");
      EXPECT_EQ(e.remote_traceback().rfind("Traceback (most recent call last):\n", 0), 0u);
      EXPECT_EQ(e.origin().rfind("('127.0.0.1', ", 0), 0u) << e.origin();
    }
    try {
      co_await ch.send("y");
      ADD_FAILURE() << "no exception";
    } catch (const RemoteException& e) {
      EXPECT_EQ(e.remote_traceback(), "ValueError: 42\n");
    }
  };
  loop.run(client(loop, server->address().url()));
}

TEST(Channel, AnUnencodableReplyBecomesAnExceptionReply) {
  Loop loop;
  auto server = start_server(loop, "tcp://127.0.0.1:0", [](Channel ch) -> Task<> {
    Request req = co_await ch.recv();
    co_await req.reply(Value::bytes(std::string_view("no bytes in JSON")));
    Request next = co_await ch.recv();
    co_await next.reply("still here");
  });
  auto client = [](Loop& l, std::string addr) -> Task<> {
    Channel ch = co_await open_connection(l, addr);
    EXPECT_THROW(co_await ch.send(1), RemoteException);
    EXPECT_EQ((co_await ch.send(2)).as_string(), "still here");
  };
  loop.run(client(loop, server->address().url()));
}

TEST(Channel, AnUnencodableRequestFailsLocallyAndConsumesItsId) {
  Loop loop;
  test::RawServer server(loop, Address::parse("tcp://127.0.0.1:0"));
  auto client = [](Loop& l, std::string addr, test::RawServer& raw) -> Task<> {
    Channel ch = co_await open_connection(l, addr);
    EXPECT_THROW(co_await ch.send(Value::bytes(std::string_view("x"))), SerializationError);
    TaskGroup g(l);
    g.spawn([](Channel c) -> Task<> { (void)co_await c.send("next"); }(ch));
    test::RawPeer* peer = co_await raw.peer();
    auto frame = co_await peer->read_frame();
    EXPECT_EQ(*frame, "[0, 1, \"next\"]");  // id 0 was consumed by the failed request
    peer->write_frame("[1, 1, null]");
    co_await g.join();
  };
  loop.run(client(loop, server.address().url(), server));
}

TEST(Channel, PendingRequestsFailPromptlyWhenThePeerVanishes) {
  Loop loop;
  auto server = start_server(loop, "tcp://127.0.0.1:0", [](Channel ch) -> Task<> {
    (void)co_await ch.recv();
    ch.abort("gone");
  });
  auto client = [](Loop& l, std::string addr) -> Task<std::string> {
    Channel ch = co_await open_connection(l, addr);
    std::string error;
    try {
      co_await ch.send("hello?");
    } catch (const ConnectionError& e) {
      error = e.what();
    }
    EXPECT_THROW(co_await ch.send("again"), ConnectionError);
    co_return error;
  };
  std::string error = loop.run(client(loop, server->address().url()));
  EXPECT_NE(error.find("closed by peer"), std::string::npos) << error;
}

TEST(Channel, ConnectingToNothingFailsWithTheAddressInTheMessage) {
  Loop loop;
  auto client = [](Loop& l) -> Task<std::string> {
    try {
      co_await open_connection(l, "tcp://127.0.0.1:1");
    } catch (const ConnectionError& e) {
      co_return e.what();
    }
    co_return "";
  };
  std::string error = loop.run(client(loop));
  EXPECT_NE(error.find("tcp://127.0.0.1:1"), std::string::npos) << error;
  EXPECT_NE(error.find("ECONNREFUSED"), std::string::npos) << error;
}

TEST(Channel, FramesSplitByteByByteAndCoalescedAreBothUnderstood) {
  Loop loop;
  auto server = start_server(loop, "tcp://127.0.0.1:0", echo_client);
  auto client = [](Loop& l, Address addr) -> Task<> {
    auto peer = co_await test::RawPeer::connect(l, addr);
    co_await peer->write_slowly(test::RawPeer::frame("[0, 0, \"split\"]"));
    EXPECT_EQ(*co_await peer->read_frame(), "[1, 0, \"split\"]");
    std::string many;
    for (int i = 1; i <= 50; ++i) many += test::RawPeer::frame("[0, " + std::to_string(i) + ", " + std::to_string(i) + "]");
    peer->write(many);
    for (int i = 1; i <= 50; ++i) {
      EXPECT_EQ(*co_await peer->read_frame(), "[1, " + std::to_string(i) + ", " + std::to_string(i) + "]");
    }
  };
  loop.run(client(loop, server->address()));
}

TEST(Channel, RequestIdsAreEchoedVerbatim) {
  Loop loop;
  auto server = start_server(loop, "tcp://127.0.0.1:0", echo_client);
  auto client = [](Loop& l, Address addr) -> Task<> {
    auto peer = co_await test::RawPeer::connect(l, addr);
    peer->write_frame("[0, \"abc\", 1]");
    peer->write_frame("[0, -5, 2]");
    peer->write_frame("[0, 1.5, 3]");
    peer->write_frame("[0, 1099511627776, 4]");
    EXPECT_EQ(*co_await peer->read_frame(), "[1, \"abc\", 1]");
    EXPECT_EQ(*co_await peer->read_frame(), "[1, -5, 2]");
    EXPECT_EQ(*co_await peer->read_frame(), "[1, 1.5, 3]");
    EXPECT_EQ(*co_await peer->read_frame(), "[1, 1099511627776, 4]");
  };
  loop.run(client(loop, server->address()));
}

TEST(Channel, ManyRequestsInFlightOnOneConnection) {
  Loop loop;
  auto server = start_server(loop, "tcp://127.0.0.1:0", echo_client);
  auto client = [](Loop& l, std::string addr) -> Task<> {
    Channel ch = co_await open_connection(l, addr);
    TaskGroup group(l);
    int ok = 0;
    for (int i = 0; i < 1000; ++i) {
      group.spawn([](Channel c, int n, int& count) -> Task<> {
        if ((co_await c.send(n)).as_int() == n) ++count;
      }(ch, i, ok));
    }
    co_await group.join();
    EXPECT_EQ(ok, 1000);
  };
  loop.run(client(loop, server->address().url()));
}

TEST(Channel, AReplySentJustBeforeCloseArrives) {
  Loop loop;
  const std::string big(std::size_t{16} << 20, 'r');  // leaves over several loop passes
  auto server = start_server(loop, "tcp://127.0.0.1:0", [&big](Channel ch) -> Task<> {
    Request req = co_await ch.recv();
    co_await req.reply(big);
    co_await ch.close();
    EXPECT_TRUE(ch.closed());
  });
  auto client = [](Loop& l, std::string addr) -> Task<std::size_t> {
    Channel ch = co_await open_connection(l, addr);
    Value reply = co_await ch.send("last words?");
    EXPECT_THROW(co_await ch.send("again"), ConnectionError);
    co_return reply.as_string().size();
  };
  EXPECT_EQ(loop.run(client(loop, server->address().url())), big.size());
}

TEST(Channel, ServerShutdownSendsTheRepliesAlreadyGiven) {
  Loop loop;
  Event stop(loop);
  auto server = start_server(loop, "tcp://127.0.0.1:0", [&stop](Channel ch) -> Task<> {
    Request req = co_await ch.recv();
    stop.set();  // the shutdown begins before the reply is even queued
    co_await req.reply("bye");
  });
  auto stopper = [](Event& stop, Server& server) -> Task<> {
    co_await stop.wait();
    co_await server.shutdown();
  };
  loop.spawn(stopper(stop, *server));
  auto client = [](Loop& l, std::string addr) -> Task<std::string> {
    Channel ch = co_await open_connection(l, addr);
    Value reply = co_await ch.send("shutdown");
    EXPECT_THROW(co_await ch.send("again"), ConnectionError);
    co_return reply.as_string();
  };
  EXPECT_EQ(loop.run(client(loop, server->address().url())), "bye");
  EXPECT_EQ(server->connections(), 0u);
}

TEST(Channel, CloseFailsPendingRequestsWithTheReason) {
  Loop loop;
  auto server = start_server(loop, "tcp://127.0.0.1:0", [](Channel ch) -> Task<> {
    for (;;) (void)co_await ch.recv();  // never answered
  });
  auto client = [](Loop& l, std::string addr) -> Task<std::string> {
    Channel ch = co_await open_connection(l, addr);
    auto closer = [](Channel c) -> Task<> { co_await c.close("done here"); };
    TaskGroup group(l);
    std::string error;
    auto sender = [](Channel c, std::string& out) -> Task<> {
      try {
        co_await c.send("anyone?");
      } catch (const ConnectionError& e) {
        out = e.what();
      }
    };
    group.spawn(sender(ch, error));
    group.spawn(closer(ch));
    co_await group.join();
    EXPECT_EQ(ch.close_reason(), "done here");
    co_return error;
  };
  std::string error = loop.run(client(loop, server->address().url()));
  EXPECT_NE(error.find("done here"), std::string::npos) << error;
}

}  // namespace
