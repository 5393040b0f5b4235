// RPC over TLS with every codec, and `uvmas serve` with --tls-* flags.

#include "support/callback_client.hpp"
#include "support/process.hpp"
#include "support/test_support.hpp"
#include "tls_support.hpp"

#include <uvmas/core/error.hpp>
#include <uvmas/core/log.hpp>
#include <uvmas/framework/child_process.hpp>
#include <uvmas/framework/rpc.hpp>

#include <gtest/gtest.h>

namespace {

using namespace uvmas;
using tls_test::cert_path;
using tls_test::tls_context;

ChannelOptions tls_options(Format codec, const std::string& ca, const std::string& identity) {
  ChannelOptions o;
  o.codec = codec;
  o.transport.tls = tls_context(ca, identity);
  return o;
}

class TlsRpc : public ::testing::TestWithParam<Format> {};

TEST_P(TlsRpc, CallsAndCallbacksWorkOverMutualTls) {
  Loop loop;
  rpc::Router math("tests.Math");
  math.expose("add", [](int a, int b) { return a + b; }, {"a", "b"});
  math.expose("call_back", [](rpc::Proxy peer, int x) -> Task<int> { co_return co_await peer.call<int>("cb_mul", x, 10); },
              {"peer", "x"});
  auto server = rpc::start_server(loop, "tcp://127.0.0.1:0", math, tls_options(GetParam(), "ca", "server"));
  auto client = [](Loop& l, std::string addr, ChannelOptions o) -> Task<> {
    test::CallbackClient mine;
    rpc::Connection con = co_await mine.connect(l, addr, std::move(o));
    EXPECT_EQ(co_await con.remote().call<int>("add", 3, 4), 7);
    EXPECT_EQ(co_await con.remote().call<int>("call_back", mine.router(), 4), 40);
    co_await con.close();
  };
  loop.run(client(loop, "tcp://127.0.0.1:" + std::to_string(server->address().port),
                  tls_options(GetParam(), "ca", "client")));
}

TEST_P(TlsRpc, AnUntrustedClientIsRejectedAndAGoodOneServedAfterwards) {
  Loop loop;
  set_log_sink([](LogLevel, std::string_view) {});
  rpc::Router math("tests.Math");
  math.expose("add", [](int a, int b) { return a + b; }, {"a", "b"});
  auto server = rpc::start_server(loop, "tcp://127.0.0.1:0", math, tls_options(GetParam(), "ca", "server"));
  auto run = [](Loop& l, std::string addr, Format codec) -> Task<> {
    bool rejected = false;
    try {
      rpc::Connection bad = co_await rpc::open_connection(l, addr, tls_options(codec, "ca", "other-client"));
      (void)co_await bad.remote().call<int>("add", 1, 2);
    } catch (const ConnectionError&) {
      rejected = true;
    }
    EXPECT_TRUE(rejected);
    rpc::Connection good = co_await rpc::open_connection(l, addr, tls_options(codec, "ca", "client"));
    EXPECT_EQ(co_await good.remote().call<int>("add", 1, 2), 3);
  };
  loop.run(run(loop, "tcp://127.0.0.1:" + std::to_string(server->address().port), GetParam()));
  set_log_sink(nullptr);
}

INSTANTIATE_TEST_SUITE_P(Codecs, TlsRpc, ::testing::Values(Format::json, Format::msgpack, Format::msgpack_blosc),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(TlsCli, ServeWithTlsFlagsAnswersATlsClientAndRefusesMissingFiles) {
  Loop loop;
  std::string uvmas_bin = test::bin_dir() + "/uvmas";
  auto child = ChildProcess::start(loop, {uvmas_bin, "serve", "tcp://127.0.0.1:0", "--tls-ca", cert_path("ca.pem"),
                                          "--tls-cert", cert_path("server.pem"), "--tls-key", cert_path("server.key")});
  auto run = [](Loop& l, ChildProcess& c) -> Task<int> {
    std::string ready = co_await c.read_line();
    EXPECT_EQ(ready.rfind("READY tcp://127.0.0.1:", 0), 0u) << ready;
    std::string addr = ready.substr(6);
    rpc::Connection con = co_await rpc::open_connection(l, addr, tls_options(Format::json, "ca", "client"));
    EXPECT_EQ(co_await con.remote().call<int>("add", 3, 4), 7);
    // uvmas call with the client's certificate works; without TLS it fails with exit 2.
    std::string flags = " --tls-ca " + cert_path("ca.pem") + " --tls-cert " + cert_path("client.pem") +
                        " --tls-key " + cert_path("client.key");
    auto good = test::run_process(test::bin_dir() + "/uvmas call " + addr + " add 3 4" + flags);
    EXPECT_EQ(good.exit_code, 0);
    EXPECT_EQ(good.out, "7\n");
    auto untrusted = test::run_process(test::bin_dir() + "/uvmas call " + addr + " add 3 4 --tls-ca " +
                                       cert_path("other-ca.pem") + " --tls-cert " + cert_path("client.pem") +
                                       " --tls-key " + cert_path("client.key") + " 2>&1");
    EXPECT_EQ(untrusted.exit_code, 2);
    EXPECT_NE(untrusted.out.find("not trusted"), std::string::npos) << untrusted.out;
    EXPECT_EQ(co_await con.remote().call<std::string>("shutdown"), "bye");
    co_return co_await c.wait();
  };
  EXPECT_EQ(loop.run(run(loop, *child)), 0);

  auto r = test::run_process(uvmas_bin + " serve tcp://127.0.0.1:0 --tls-ca " + cert_path("ca.pem") +
                             " --tls-cert /nonexistent/cert.pem --tls-key " + cert_path("server.key") + " 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("/nonexistent/cert.pem"), std::string::npos) << r.out;
}

}  // namespace
