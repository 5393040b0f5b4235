// TLS under the channel layer: aiomas frames over TLS with every codec.
#include "tls/tls_support.hpp"

#include <uvmas/core/error.hpp>
#include <uvmas/framework/channel.hpp>

#include <gtest/gtest.h>

namespace uvmas {
namespace {

using tls_test::LogCapture;
using tls_test::tls_context;

ChannelOptions tls_channel(Format codec, std::shared_ptr<TlsContext> ctx) {
  ChannelOptions o;
  o.codec = codec;
  o.transport.tls = std::move(ctx);
  return o;
}

Task<> echo_client(Channel ch) {
  for (;;) {
    Request req = co_await ch.recv();
    Value v = std::move(req.content());
    co_await req.reply(std::move(v));
  }
}

Task<> fail_client(Channel ch) {
  for (;;) {
    Request req = co_await ch.recv();
    co_await req.fail(ValueError("no " + req.content().as_string()));
  }
}

class TlsChannel : public ::testing::TestWithParam<Format> {};

TEST_P(TlsChannel, RequestsAndRepliesTravelOverTls) {
  Loop loop;
  auto server = start_server(loop, "tcp://127.0.0.1:0", echo_client, tls_channel(GetParam(), tls_context("ca", "server")));
  auto client = [](Loop& loop, std::string url, Format codec) -> Task<> {
    Channel ch = co_await open_connection(loop, url, tls_channel(codec, tls_context("ca", "client")));
    EXPECT_EQ((co_await ch.send("ohai")).as_string(), "ohai");
    Value nested = Value::map({{"a", Value::array({1, 2.5, "x", nullptr})}, {"b", Value::map({{"c", true}})}});
    EXPECT_EQ(co_await ch.send(nested), nested);
    std::string big(3u << 20, 'x');  // larger than any TLS record and read chunk
    for (std::size_t i = 0; i < big.size(); i += 4099) big[i] = static_cast<char>('a' + i % 26);
    EXPECT_EQ((co_await ch.send(big)).as_string(), big);
    co_await ch.close();
  };
  loop.run(client(loop, server->address().url(), GetParam()));
}

TEST_P(TlsChannel, RemoteFailuresArriveAsRemoteExceptions) {
  Loop loop;
  auto server = start_server(loop, "tcp://127.0.0.1:0", fail_client, tls_channel(GetParam(), tls_context("ca", "server")));
  auto client = [](Loop& loop, std::string url, Format codec) -> Task<> {
    Channel ch = co_await open_connection(loop, url, tls_channel(codec, tls_context("ca", "client")));
    try {
      co_await ch.send("cake");
      ADD_FAILURE() << "no exception";
    } catch (const RemoteException& e) {
      EXPECT_EQ(e.remote_type(), "ValueError");
      EXPECT_EQ(e.remote_message(), "no cake");
    }
    co_await ch.close();
  };
  loop.run(client(loop, server->address().url(), GetParam()));
}

TEST_P(TlsChannel, RejectsAnUncertifiedClientAndServesTheNext) {
  Loop loop;
  LogCapture log;
  auto server = start_server(loop, "tcp://127.0.0.1:0", echo_client, tls_channel(GetParam(), tls_context("ca", "server")));
  auto client = [](Loop& loop, std::string url, Format codec) -> Task<> {
    try {
      co_await open_connection(loop, url, tls_channel(codec, tls_context("ca", "")));
      ADD_FAILURE() << "a client without certificate got in";
    } catch (const ConnectionError& e) {
      EXPECT_NE(std::string(e.what()).find("connection closed during handshake"), std::string::npos) << e.what();
    }
    Channel ch = co_await open_connection(loop, url, tls_channel(codec, tls_context("ca", "client")));
    EXPECT_EQ((co_await ch.send(42)).as<int>(), 42);
    co_await ch.close();
  };
  loop.run(client(loop, server->address().url(), GetParam()));
  EXPECT_NE(log.all().find("client presented no certificate"), std::string::npos) << log.all();
}

TEST_P(TlsChannel, PlaintextChannelCannotTalkToATlsServer) {
  Loop loop;
  LogCapture log;
  auto server = start_server(loop, "tcp://127.0.0.1:0", echo_client, tls_channel(GetParam(), tls_context("ca", "server")));
  auto client = [](Loop& loop, std::string url, Format codec) -> Task<> {
    ChannelOptions plain;
    plain.codec = codec;
    Channel ch = co_await open_connection(loop, url, plain);
    try {
      co_await ch.send("hi");
      ADD_FAILURE() << "a plaintext request was answered";
    } catch (const ConnectionError&) {
    }
  };
  loop.run(client(loop, server->address().url(), GetParam()));
  EXPECT_NE(log.all().find("peer is not speaking TLS (plaintext?)"), std::string::npos) << log.all();
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, TlsChannel, ::testing::Values(Format::json, Format::msgpack, Format::msgpack_blosc),
                         [](const auto& info) { return std::string(to_string(info.param)); });

}  // namespace
}  // namespace uvmas
