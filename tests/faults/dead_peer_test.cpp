// Dead peers: a cached connection whose peer went away while the loop was
// idle is not handed out again; the transport's keepalive settings reach the socket.

#include <uvmas/core/error.hpp>
#include <uvmas/framework/container.hpp>
#include <uvmas/transports/connect.hpp>

#include <gtest/gtest.h>

namespace {

using namespace uvmas;

class Echo : public Agent {
 public:
  explicit Echo(Container& c) : Agent(c) { expose("ping", &Echo::ping); }
  std::string ping() { return "pong"; }
};

Task<std::string> ping(Container* from, std::string url) {
  AgentProxy peer = co_await from->connect(url);
  co_return co_await peer.call<std::string>("ping");
}

TEST(DeadPeers, ConnectReplacesACachedConnectionWhosePeerWentAwayWhileTheLoopWasIdle) {
  Loop loop;
  auto a = Container::create(loop, "tcp://127.0.0.1:0");
  auto b = Container::create(loop, "tcp://127.0.0.1:0");
  b->spawn<Echo>();
  const std::string base = b->base_url();  // tcp://127.0.0.1:PORT/
  EXPECT_EQ(loop.run(ping(a.get(), base + "0")), "pong");
  EXPECT_EQ(a->outgoing_connections(), 1u);
  // Its sockets close at once; `a` has not read the EOF (the loop does not run).
  b.reset();
  auto b2 = Container::create(loop, base.substr(0, base.size() - 1));  // the same address again
  b2->spawn<Echo>();
  EXPECT_EQ(loop.run(ping(a.get(), base + "0")), "pong");
  loop.run(a->shutdown());
  loop.run(b2->shutdown());
}

}  // namespace
