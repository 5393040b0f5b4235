// Agent containers over mutual TLS: one certificate serves both roles (as
// aiomas's SSLCerts), calls and callbacks cross, a plaintext container is
// refused; and `uvmas container` with --tls-* flags answers `uvmas call`.

#include "support/process.hpp"
#include "support/test_support.hpp"
#include "tls_support.hpp"

#include <uvmas/core/error.hpp>
#include <uvmas/core/log.hpp>
#include <uvmas/framework/child_process.hpp>
#include <uvmas/framework/container.hpp>

#include <gtest/gtest.h>

namespace {

using namespace uvmas;
using tls_test::cert_path;
using tls_test::tls_context;

class Echo : public Agent {
 public:
  explicit Echo(Container& c) : Agent(c) {
    expose("service", &Echo::service);
    expose("call_me_back", &Echo::call_me_back);
  }
  int service(int v) { return v; }
  Task<int> call_me_back(rpc::Proxy peer, int v) { co_return co_await peer.call<int>("service", v); }
};

ContainerOptions tls_container(Format codec) {
  ContainerOptions o;
  o.codec = codec;
  o.transport.tls = tls_context("ca", "server");
  return o;
}

class TlsAgents : public ::testing::TestWithParam<Format> {};

TEST_P(TlsAgents, CallsAndCallbacksCrossContainersOverTls) {
  Loop loop;
  auto a = Container::create(loop, "tcp://127.0.0.1:0", tls_container(GetParam()));
  auto b = Container::create(loop, "tcp://127.0.0.1:0", tls_container(GetParam()));
  auto& me = a->spawn<Echo>();
  b->spawn<Echo>();
  auto run = [](Container* from, Container* to, Echo* self) -> Task<> {
    AgentProxy remote = co_await from->connect(to->base_url() + "0");
    EXPECT_EQ(co_await remote.call<int>("service", 42), 42);
    EXPECT_EQ(co_await remote.call<int>("call_me_back", *self, 43), 43);
    co_await from->shutdown();
    co_await to->shutdown();
  };
  loop.run(run(a.get(), b.get(), &me));
}

TEST_P(TlsAgents, APlaintextContainerCannotCallATlsContainer) {
  Loop loop;
  set_log_sink([](LogLevel, std::string_view) {});
  auto secure = Container::create(loop, "tcp://127.0.0.1:0", tls_container(GetParam()));
  secure->spawn<Echo>();
  ContainerOptions plain_options;
  plain_options.codec = GetParam();
  auto plain = Container::create(loop, "tcp://127.0.0.1:0", plain_options);
  auto run = [](Container* from, Container* to) -> Task<bool> {
    bool refused = false;
    try {
      AgentProxy remote = co_await from->connect(to->base_url() + "0");
      (void)co_await remote.call<int>("service", 1);
    } catch (const ConnectionError&) {
      refused = true;
    }
    co_await from->shutdown();
    co_await to->shutdown();
    co_return refused;
  };
  EXPECT_TRUE(loop.run(run(plain.get(), secure.get())));
  set_log_sink(nullptr);
}

// aiomas's pair of contexts: the container serves with `tls` and connects
// with `client_tls`. A client context that trusts another CA proves which one
// the outgoing connection used.
TEST(TlsContextPair, AContainerConnectsWithItsClientContextAndServesWithItsServerContext) {
  set_log_sink([](LogLevel, std::string_view) {});
  Loop loop;
  auto b = Container::create(loop, "tcp://127.0.0.1:0", tls_container(Format::json));
  b->spawn<Echo>();
  ContainerOptions pair;
  pair.transport.tls = tls_context("ca", "server");
  pair.transport.client_tls = tls_context("ca", "client");
  auto a = Container::create(loop, "tcp://127.0.0.1:0", pair);
  auto& me = a->spawn<Echo>();
  ContainerOptions distrustful = pair;
  distrustful.transport.client_tls = tls_context("other-ca", "other-client");
  auto c = Container::create(loop, "tcp://127.0.0.1:0", distrustful);
  auto run = [](Container* a, Container* b, Container* c, Echo* self) -> Task<std::string> {
    AgentProxy remote = co_await a->connect(b->base_url() + "0");
    EXPECT_EQ(co_await remote.call<int>("service", 42), 42);
    // b calls a back over the same connection.
    EXPECT_EQ(co_await remote.call<int>("call_me_back", *self, 43), 43);
    std::string refused;
    try {
      (void)co_await c->connect(b->base_url() + "0");
    } catch (const ConnectionError& e) {
      refused = e.what();
    }
    co_await a->shutdown();
    co_await b->shutdown();
    co_await c->shutdown();
    co_return refused;
  };
  std::string refused = loop.run(run(a.get(), b.get(), c.get(), &me));
  set_log_sink(nullptr);
  EXPECT_NE(refused.find("certificate"), std::string::npos) << refused;
}

INSTANTIATE_TEST_SUITE_P(Codecs, TlsAgents, ::testing::Values(Format::json, Format::msgpack, Format::msgpack_blosc),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(TlsCli, ContainerWithTlsFlagsAnswersUvmasCallOverTls) {
  Loop loop;
  std::string flags_server = " --tls-ca " + cert_path("ca.pem") + " --tls-cert " + cert_path("server.pem") +
                             " --tls-key " + cert_path("server.key");
  auto child = ChildProcess::start(loop, {test::bin_dir() + "/uvmas", "container", "tcp://127.0.0.1:0", "--agents",
                                          "2", "--tls-ca", cert_path("ca.pem"), "--tls-cert", cert_path("server.pem"),
                                          "--tls-key", cert_path("server.key")});
  auto run = [](ChildProcess& c) -> Task<std::string> {
    std::string ready = co_await c.read_line();
    co_return ready.substr(6);
  };
  std::string base = loop.run(run(*child));
  if (!base.empty() && base.back() != '/') base += '/';
  std::string client_flags = " --tls-ca " + cert_path("ca.pem") + " --tls-cert " + cert_path("client.pem") +
                             " --tls-key " + cert_path("client.key");
  auto r = test::run_process(test::bin_dir() + "/uvmas call " + base + "1 service 42" + client_flags);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "42\n");
  auto plain = test::run_process(test::bin_dir() + "/uvmas call " + base + "1 service 42 2>&1");
  EXPECT_EQ(plain.exit_code, 2) << plain.out;
  child->kill();
  auto wait = [](ChildProcess& c) -> Task<int> { co_return co_await c.wait(); };
  EXPECT_EQ(loop.run(wait(*child)), 0);
}

}  // namespace
