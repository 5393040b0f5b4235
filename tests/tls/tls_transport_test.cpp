// TLS at the transport level: connect_stream / listen_stream with a TlsContext.
#include "tls/tls_support.hpp"

#include <uvmas/core/error.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace uvmas {
namespace {

using tls_test::Collector;
using tls_test::EchoServer;
using tls_test::LogCapture;
using tls_test::cert_path;
using tls_test::tls_context;

TransportOptions tls_options(std::shared_ptr<TlsContext> ctx, std::string server_name = {}) {
  TransportOptions o;
  o.tls = std::move(ctx);
  o.tls_server_name = std::move(server_name);
  return o;
}

// Named, not a default argument: GCC 12 mishandles default-argument
// temporaries of a co_await-ed call inside a coroutine.
const TransportOptions plain_tcp{};

std::string pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31 + seed + i / 977) & 0xff);
  return s;
}

// Sends `payload` over a fresh TLS connection and checks it comes back.
Task<> echo_once(Loop& loop, Address server, std::shared_ptr<TlsContext> ctx, std::string payload,
                 std::string server_name) {
  auto stream = co_await connect_stream(loop, server, tls_options(ctx, server_name));
  Collector c(loop);
  stream->start(c);
  stream->out() = payload;
  stream->flush();
  co_await tls_test::read_at_least(c, payload.size());
  EXPECT_FALSE(c.closed) << c.reason;
  EXPECT_TRUE(c.data == payload) << "echo differs (" << c.data.size() << " of " << payload.size() << " bytes)";
  stream->close();
}

// Expects connecting to fail with a ConnectionError; returns its message.
Task<std::string> connect_error(Loop& loop, Address server, TransportOptions options) {
  try {
    auto stream = co_await connect_stream(loop, server, options);
    ADD_FAILURE() << "the TLS connection was accepted";
  } catch (const ConnectionError& e) {
    co_return std::string(e.what());
  }
  co_return std::string();
}

// A raw TCP connection (no TLS) that sends `bytes` and waits until the server drops it.
Task<std::string> raw_client_dropped(Loop& loop, Address server, std::string bytes) {
  auto stream = co_await connect_stream(loop, server, plain_tcp);
  Collector c(loop);
  stream->start(c);
  if (!bytes.empty()) {
    stream->out() = bytes;
    stream->flush();
  }
  co_await tls_test::wait_closed(c);
  co_return c.reason;
}

Address loopback() { return Address::tcp("127.0.0.1", 0); }

TEST(TlsTransport, EchoesBytesAndReportsTheTcpPeerName) {
  Loop loop;
  EchoServer server(loop, loopback(), tls_options(tls_context("ca", "server")));
  auto body = [](Loop& loop, EchoServer& server) -> Task<> {
    auto stream = co_await connect_stream(loop, server.address(), tls_options(tls_context("ca", "client")));
    EXPECT_EQ(stream->peer_name(), "('127.0.0.1', " + std::to_string(server.address().port) + ")");
    Collector c(loop);
    stream->start(c);
    stream->out() = "hello over TLS";
    stream->flush();
    co_await tls_test::read_at_least(c, 14);
    EXPECT_EQ(c.data, "hello over TLS") << c.reason;
    EXPECT_EQ(server.accepted(), 1u);
    EXPECT_EQ(server.stream(0).peer_name().substr(0, 14), "('127.0.0.1', ");
    stream->close();
  };
  loop.run(body(loop, server));
}

TEST(TlsTransport, EchoesMegabytesInBothDirections) {
  Loop loop;
  EchoServer server(loop, loopback(), tls_options(tls_context("ca", "server")));
  loop.run(echo_once(loop, server.address(), tls_context("ca", "client"), pattern(5u << 20, 7), ""));
}

TEST(TlsTransport, DeliversManySmallWritesInOrder) {
  Loop loop;
  EchoServer server(loop, loopback(), tls_options(tls_context("ca", "server")));
  auto body = [](Loop& loop, Address server) -> Task<> {
    auto stream = co_await connect_stream(loop, server, tls_options(tls_context("ca", "client")));
    Collector c(loop);
    stream->start(c);
    std::string expected;
    for (int i = 0; i < 500; ++i) {
      std::string piece = std::to_string(i) + ",";
      expected += piece;
      stream->out() += piece;
      stream->flush();
      if (i % 7 == 0) co_await loop.yield();  // some writes leave alone, some coalesced
    }
    co_await tls_test::read_at_least(c, expected.size());
    EXPECT_EQ(c.data, expected);
    stream->close();
  };
  loop.run(body(loop, server.address()));
}

// A plain TCP relay that passes bytes on in pieces of at most 3 bytes, each
// in its own loop pass: TLS records arrive split at every possible place.
class TricklingRelay {
 public:
  TricklingRelay(Loop& loop, Address target) : loop_(loop), target_(std::move(target)) {
    listener_ = listen_stream(loop, Address::tcp("127.0.0.1", 0), [this](StreamPtr s) {
      loop_.spawn(relay(loop_, std::move(s), target_));
    });
  }
  const Address& address() const { return listener_->address(); }

 private:
  struct Wake {
    ResumeSoon node;
    Loop* loop = nullptr;
    void poke() {
      if (node.handle && !node.linked()) loop->call_soon(node);
    }
  };
  struct Side final : StreamHandler {
    std::string pending;
    bool closed = false;
    Wake* wake = nullptr;
    void on_read(std::string_view d) override {
      pending.append(d);
      wake->poke();
    }
    void on_closed(std::string_view) override {
      closed = true;
      wake->poke();
    }
  };
  struct WaitFor {
    Wake& w;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept { w.node.handle = h; }
    void await_resume() noexcept { w.node.handle = nullptr; }
    ~WaitFor() {
      w.node.handle = nullptr;
      w.node.unlink();
    }
  };
  // Moves at most 3 bytes from `from` to `to`; true if it moved any.
  static bool trickle(Side& from, Stream& to) {
    if (from.pending.empty()) return false;
    std::size_t n = std::min<std::size_t>(3, from.pending.size());
    to.out().append(from.pending, 0, n);
    from.pending.erase(0, n);
    to.flush();
    return true;
  }
  static Task<> relay(Loop& loop, StreamPtr client, Address target) {
    auto upstream = co_await connect_stream(loop, target, plain_tcp);
    Wake wake;
    wake.loop = &loop;
    Side a, b;
    a.wake = b.wake = &wake;
    client->start(a);
    upstream->start(b);
    while (true) {
      bool up = trickle(a, *upstream);
      bool down = trickle(b, *client);
      if (up || down) {
        co_await loop.yield();  // each piece leaves in its own write
        co_await loop.yield();
        continue;
      }
      if (a.closed || b.closed) break;
      co_await WaitFor{wake};
    }
  }
  Loop& loop_;
  Address target_;
  std::unique_ptr<Listener> listener_;
};

TEST(TlsTransport, HandlesRecordsSplitIntoTinyPieces) {
  Loop loop;
  EchoServer server(loop, loopback(), tls_options(tls_context("ca", "server")));
  TricklingRelay relay(loop, server.address());
  auto body = [](Loop& loop, Address relay) -> Task<> {
    auto stream = co_await connect_stream(loop, relay, tls_options(tls_context("ca", "client"), "localhost"));
    Collector c(loop);
    stream->start(c);
    std::string payload = pattern(3000, 3);
    stream->out() = payload;
    stream->flush();
    co_await tls_test::read_at_least(c, payload.size());
    EXPECT_TRUE(c.data == payload);
    stream->close();
  };
  loop.run(body(loop, relay.address()));
}

TEST(TlsTransport, ServerCloseDeliversQueuedBytesThenEnds) {
  Loop loop;
  std::vector<StreamPtr> accepted;
  std::string payload = pattern(300000, 11);
  auto listener = listen_stream(
      loop, loopback(),
      [&](StreamPtr s) {
        // Write and close at once: the bytes and close_notify must still arrive.
        s->out() = payload;
        s->flush();
        s->close();
        accepted.push_back(std::move(s));
      },
      tls_options(tls_context("ca", "server")));
  auto body = [](Loop& loop, Address server, std::string payload) -> Task<> {
    auto stream = co_await connect_stream(loop, server, tls_options(tls_context("ca", "client")));
    Collector c(loop);
    stream->start(c);
    co_await tls_test::wait_closed(c);
    EXPECT_TRUE(c.data == payload) << c.data.size() << " of " << payload.size() << " bytes; " << c.reason;
    EXPECT_EQ(c.reason, "connection closed by peer");
  };
  loop.run(body(loop, listener->address(), payload));
}

TEST(TlsTransport, DrainedWaitsUntilEveryQueuedByteIsEncryptedAndWithTheKernel) {
  Loop loop;
  EchoServer server(loop, loopback(), tls_options(tls_context("ca", "server")));
  auto body = [](Loop& loop, EchoServer& server) -> Task<> {
    auto stream = co_await connect_stream(loop, server.address(), tls_options(tls_context("ca", "client")));
    Collector c(loop);
    stream->start(c);
    const std::string payload = pattern(6u << 20, 5);
    stream->out() = payload;
    EXPECT_GT(stream->buffered(), 0u);
    co_await stream->drained();
    EXPECT_EQ(stream->buffered(), 0u);
    EXPECT_FALSE(stream->closed());
    co_await stream->drained();  // nothing queued: completes at once
    co_await tls_test::read_at_least(c, payload.size());
    EXPECT_TRUE(c.data == payload) << c.data.size() << " of " << payload.size() << " bytes; " << c.reason;
    stream->close();
    co_await stream->drained();  // a closed stream has nothing to wait for
  };
  loop.run(body(loop, server));
}

TEST(TlsTransport, DropsAPlaintextClientAndServesTlsClientsBeforeAndAfter) {
  Loop loop;
  LogCapture log;
  EchoServer server(loop, loopback(), tls_options(tls_context("ca", "server")));
  auto client = tls_context("ca", "client");
  loop.run(echo_once(loop, server.address(), client, "before", ""));
  // An aiomas frame: 4-byte length + JSON, as a plaintext peer would send.
  std::string frame("\0\0\0\x0b[0,1,\"hi\"]", 15);
  std::string reason = loop.run(raw_client_dropped(loop, server.address(), frame));
  EXPECT_FALSE(reason.empty());
  EXPECT_NE(log.all().find("TLS handshake with 127.0.0.1:"), std::string::npos) << log.all();
  EXPECT_NE(log.all().find("failed: peer is not speaking TLS (plaintext?)"), std::string::npos) << log.all();
  loop.run(echo_once(loop, server.address(), client, "after", ""));
}

TEST(TlsTransport, RejectsAClientWithoutCertificate) {
  Loop loop;
  LogCapture log;
  EchoServer server(loop, loopback(), tls_options(tls_context("ca", "server")));
  std::string error = loop.run(connect_error(loop, server.address(), tls_options(tls_context("ca", ""))));
  EXPECT_EQ(error, "TLS handshake with 127.0.0.1:" + std::to_string(server.address().port) +
                       " failed: connection closed during handshake (the server rejected our certificate?)");
  EXPECT_NE(log.all().find("client presented no certificate"), std::string::npos) << log.all();
  loop.run(echo_once(loop, server.address(), tls_context("ca", "client"), "still serving", ""));
}

TEST(TlsTransport, RejectsAClientCertificateFromAnotherCa) {
  Loop loop;
  LogCapture log;
  EchoServer server(loop, loopback(), tls_options(tls_context("ca", "server")));
  std::string error = loop.run(connect_error(loop, server.address(), tls_options(tls_context("ca", "other-client"))));
  EXPECT_NE(error.find("failed: connection closed during handshake"), std::string::npos) << error;
  EXPECT_NE(log.all().find("client certificate not trusted (issuer unknown)"), std::string::npos) << log.all();
  loop.run(echo_once(loop, server.address(), tls_context("ca", "client"), "still serving", ""));
}

TEST(TlsTransport, RejectsAServerWhoseNameDoesNotMatch) {
  Loop loop;
  LogCapture log;
  EchoServer server(loop, loopback(), tls_options(tls_context("ca", "server")));
  std::string error =
      loop.run(connect_error(loop, server.address(), tls_options(tls_context("ca", "client"), "example.com")));
  EXPECT_EQ(error, "TLS handshake with 127.0.0.1:" + std::to_string(server.address().port) +
                       " failed: host name mismatch (certificate is for localhost, 127.0.0.1)");
  loop.run(echo_once(loop, server.address(), tls_context("ca", "client"), "still serving", ""));
}

TEST(TlsTransport, AcceptsTheServerByDnsNameOrIpAddress) {
  Loop loop;
  EchoServer server(loop, loopback(), tls_options(tls_context("ca", "server")));
  auto body = [](Loop& loop, Address server) -> Task<> {
    auto client = tls_context("ca", "client");
    auto by_name = co_await connect_stream(loop, server, tls_options(client, "localhost"));
    auto by_ip = co_await connect_stream(loop, server, tls_options(client, "127.0.0.1"));
    EXPECT_FALSE(by_name->closed());
    EXPECT_FALSE(by_ip->closed());
  };
  loop.run(body(loop, server.address()));
}

TEST(TlsTransport, RejectsAServerWhoseIpAddressIsNotInTheCertificate) {
  Loop loop;
  std::unique_ptr<EchoServer> server;
  try {
    server = std::make_unique<EchoServer>(loop, Address::tcp("127.0.0.2", 0), tls_options(tls_context("ca", "server")));
  } catch (const Error& e) {
    GTEST_SKIP() << "127.0.0.2 is not usable here (" << e.what() << "); IpSanMatching covers the check";
  }
  std::string error = loop.run(connect_error(loop, server->address(), tls_options(tls_context("ca", "client"))));
  EXPECT_EQ(error, "TLS handshake with 127.0.0.2:" + std::to_string(server->address().port) +
                       " failed: IP address mismatch (certificate is for localhost, 127.0.0.1)");
  loop.run(echo_once(loop, server->address(), tls_context("ca", "client"), "by name", "localhost"));
}

TEST(TlsTransport, IpSanMatchingComparesAddressesNotText) {
  std::ifstream in(cert_path("server.pem"));
  std::stringstream pem;
  pem << in.rdbuf();
  EXPECT_TRUE(tls_certificate_matches_ip(pem.str(), "127.0.0.1"));
  EXPECT_FALSE(tls_certificate_matches_ip(pem.str(), "127.0.0.2"));
  EXPECT_FALSE(tls_certificate_matches_ip(pem.str(), "::1"));
  EXPECT_FALSE(tls_certificate_matches_ip(pem.str(), "localhost"));  // a DNS name is not an IP SAN
  EXPECT_THROW(tls_certificate_matches_ip("not a certificate", "127.0.0.1"), std::invalid_argument);
}

TEST(TlsTransport, RejectsAServerTheClientDoesNotTrust) {
  Loop loop;
  LogCapture log;
  EchoServer server(loop, loopback(), tls_options(tls_context("ca", "server")));
  std::string error = loop.run(connect_error(loop, server.address(), tls_options(tls_context("other-ca", "client"))));
  EXPECT_EQ(error, "TLS handshake with 127.0.0.1:" + std::to_string(server.address().port) +
                       " failed: certificate not trusted (issuer unknown)");
  loop.run(echo_once(loop, server.address(), tls_context("ca", "client"), "still serving", ""));
  EXPECT_NE(log.all().find("connection closed during handshake"), std::string::npos) << log.all();
}

TEST(TlsTransport, RejectsAnExpiredServerCertificate) {
  Loop loop;
  LogCapture log;
  EchoServer server(loop, loopback(), tls_options(tls_context("ca", "server-expired")));
  std::string error = loop.run(connect_error(loop, server.address(), tls_options(tls_context("ca", "client"))));
  EXPECT_EQ(error, "TLS handshake with 127.0.0.1:" + std::to_string(server.address().port) +
                       " failed: certificate expired");
}

TEST(TlsTransport, RejectsAServerCertificateThatIsNotValidYet) {
  Loop loop;
  LogCapture log;
  EchoServer server(loop, loopback(), tls_options(tls_context("ca", "server-not-yet-valid")));
  std::string error = loop.run(connect_error(loop, server.address(), tls_options(tls_context("ca", "client"))));
  EXPECT_EQ(error, "TLS handshake with 127.0.0.1:" + std::to_string(server.address().port) +
                       " failed: certificate not valid yet");
}

TEST(TlsTransport, RejectsAnExpiredClientCertificateAndKeepsServing) {
  Loop loop;
  LogCapture log;
  EchoServer server(loop, loopback(), tls_options(tls_context("ca", "server")));
  std::string error = loop.run(connect_error(loop, server.address(), tls_options(tls_context("ca", "client-expired"))));
  EXPECT_NE(error.find("failed: connection closed during handshake"), std::string::npos) << error;
  EXPECT_NE(log.all().find("failed: client certificate expired"), std::string::npos) << log.all();
  loop.run(echo_once(loop, server.address(), tls_context("ca", "client"), "still serving", ""));
}

TEST(TlsTransport, AcceptsAServerWithAnRsaKey) {
  Loop loop;
  EchoServer server(loop, loopback(), tls_options(tls_context("ca", "server-rsa")));
  loop.run(echo_once(loop, server.address(), tls_context("ca", "client"), "over ECDHE-RSA", "localhost"));
  loop.run(echo_once(loop, server.address(), tls_context("ca", "client"), "by IP address", ""));
}

TEST(TlsTransport, DropsAClientThatNeverCompletesTheHandshake) {
  Loop loop;
  LogCapture log;
  EchoServer server(loop, loopback(), tls_options(tls_context("ca", "server", 0.2)));
  std::string reason = loop.run(raw_client_dropped(loop, server.address(), ""));
  EXPECT_FALSE(reason.empty());
  EXPECT_NE(log.all().find("failed: handshake timed out after 0.2 s; connection closed"), std::string::npos)
      << log.all();
  loop.run(echo_once(loop, server.address(), tls_context("ca", "client"), "still serving", ""));
}

// A plaintext server: answers whatever it gets with `reply`, then (if asked) hangs up.
class PlainServer {
 public:
  PlainServer(Loop& loop, std::string reply, bool hang_up) : reply_(std::move(reply)), hang_up_(hang_up) {
    listener_ = listen_stream(loop, Address::tcp("127.0.0.1", 0), [this](StreamPtr s) {
      conns_.push_back(std::make_unique<Conn>(std::move(s), this));
    });
  }
  const Address& address() const { return listener_->address(); }

 private:
  struct Conn final : StreamHandler {
    StreamPtr stream;
    PlainServer* server;
    Conn(StreamPtr s, PlainServer* p) : stream(std::move(s)), server(p) { stream->start(*this); }
    void on_read(std::string_view) override {
      if (server->reply_.empty() && server->hang_up_) {
        stream->close();
        return;
      }
      if (server->reply_.empty()) return;
      stream->out() = server->reply_;
      stream->flush();
    }
    void on_closed(std::string_view) override {}
  };
  std::string reply_;
  bool hang_up_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::unique_ptr<Listener> listener_;
};

TEST(TlsTransport, ClientReportsAPlaintextServer) {
  Loop loop;
  PlainServer server(loop, std::string("\0\0\0\x0b[1,0,\"no\"]", 15), false);
  std::string error = loop.run(connect_error(loop, server.address(), tls_options(tls_context("ca", "client"))));
  EXPECT_EQ(error, "TLS handshake with 127.0.0.1:" + std::to_string(server.address().port) +
                       " failed: peer is not speaking TLS (plaintext?)");
}

TEST(TlsTransport, ClientReportsAServerThatHangsUp) {
  Loop loop;
  PlainServer server(loop, "", true);
  std::string error = loop.run(connect_error(loop, server.address(), tls_options(tls_context("ca", "client"))));
  EXPECT_NE(error.find("failed: connection closed during handshake"), std::string::npos) << error;
}

TEST(TlsTransport, ClientGivesUpOnASilentServer) {
  Loop loop;
  PlainServer server(loop, "", false);
  std::string error =
      loop.run(connect_error(loop, server.address(), tls_options(tls_context("ca", "client", 0.2))));
  EXPECT_EQ(error, "TLS handshake with 127.0.0.1:" + std::to_string(server.address().port) +
                       " failed: handshake timed out after 0.2 s");
}

TEST(TlsTransport, PendingHandshakesCloseWithTheLoop) {
  // A handshake still waiting when the loop goes away must not leak (ASan).
  LogCapture log;
  auto loop = std::make_unique<Loop>();
  auto server = std::make_unique<EchoServer>(*loop, loopback(), tls_options(tls_context("ca", "server")));
  auto body = [](Loop& loop, Address server) -> Task<StreamPtr> {
    co_return co_await connect_stream(loop, server, plain_tcp);
  };
  auto raw = loop->run(body(*loop, server->address()));
  for (int i = 0; i < 20; ++i) loop->poll();  // let the server accept and start its handshake
  // The listener and the raw client go first (handles must not outlive the
  // loop); the half-done handshake belongs to the loop's TLS registry.
  raw.reset();
  server.reset();
  loop.reset();
  EXPECT_EQ(log.all(), "");  // torn down quietly, not reported as a failed handshake
}

TEST(TlsContextCreate, NamesAMissingFile) {
  TlsConfig c{cert_path("ca.pem"), cert_path("nope.pem"), cert_path("server.key")};
  try {
    TlsContext::create(c);
    FAIL() << "accepted a missing file";
  } catch (const std::invalid_argument& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("nope.pem"), std::string::npos) << m;
    EXPECT_NE(m.find("No such file"), std::string::npos) << m;
  }
}

TEST(TlsContextCreate, NamesAFileWithoutPem) {
  TlsConfig c{cert_path("README.md"), "", ""};
  try {
    TlsContext::create(c);
    FAIL() << "accepted a non-PEM CA file";
  } catch (const std::invalid_argument& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("README.md"), std::string::npos) << m;
    EXPECT_NE(m.find("no valid PEM certificate"), std::string::npos) << m;
  }
  TlsConfig k{cert_path("ca.pem"), cert_path("server.pem"), cert_path("server.pem")};
  try {
    TlsContext::create(k);
    FAIL() << "accepted a certificate as key";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("key file"), std::string::npos) << e.what();
  }
}

TEST(TlsContextCreate, RefusesAKeyThatDoesNotMatchTheCertificate) {
  TlsConfig c{cert_path("ca.pem"), cert_path("server.pem"), cert_path("client.key")};
  try {
    TlsContext::create(c);
    FAIL() << "accepted a mismatched key";
  } catch (const std::invalid_argument& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("client.key' does not match the certificate in '"), std::string::npos) << m;
    EXPECT_NE(m.find("server.pem"), std::string::npos) << m;
  }
}

TEST(TlsContextCreate, RefusesHalfAnIdentityAndNoCa) {
  EXPECT_THROW(TlsContext::create({cert_path("ca.pem"), cert_path("server.pem"), ""}), std::invalid_argument);
  EXPECT_THROW(TlsContext::create({cert_path("ca.pem"), "", cert_path("server.key")}), std::invalid_argument);
  EXPECT_THROW(TlsContext::create({"", cert_path("server.pem"), cert_path("server.key")}), std::invalid_argument);
}

TEST(TlsContextCreate, AcceptsAClientWithoutCertificateButNotAsServer) {
  auto ctx = tls_context("ca", "");
  EXPECT_FALSE(ctx->has_certificate());
  Loop loop;
  EXPECT_THROW(listen_stream(loop, loopback(), [](StreamPtr) {}, tls_options(ctx)), std::invalid_argument);
}

}  // namespace
}  // namespace uvmas
