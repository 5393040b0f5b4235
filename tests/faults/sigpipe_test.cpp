// A peer that floods requests, stops reading, half-closes and then closes
// while the server still has replies queued: the server's next write fails
// with EPIPE. No use of the library may die of SIGPIPE for it (the default
// disposition of SIGPIPE is left alone in this test process).

#include "support/blocking_socket.hpp"
#include "support/raw_peer.hpp"
#include "support/serve_child.hpp"
#include "support/watchdog.hpp"

#include <uvmas/core/wait_list.hpp>
#include <uvmas/framework/container.hpp>
#include <uvmas/framework/rpc.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <thread>

namespace {

using namespace uvmas;

std::string echo_frame(int id, std::size_t size) {
  return test::RawPeer::frame("[0, " + std::to_string(id) + ", [\"echo\", [\"" + std::string(size, 'x') + "\"], {}]]");
}

// ~9 MiB of echo replies through a 4 KiB receive window, so the server's
// queue backs up and it stops reading; FIN behind the requests it has not
// read (it cannot see it); a little of the replies read; close with unread
// data, so the server's next write into the connection fails.
void flood_then_hang_up(const Address& address) {
  test::BlockingSocket s(address, 4096);
  s.set_timeout(2.0);  // bounds a send to a server that stopped reading
  for (int i = 0; i < 90; ++i) {
    if (!s.send_all(echo_frame(i, 100000))) break;
  }
  s.shutdown_write();
  for (int i = 0; i < 20; ++i) {
    if (s.receive(1024) == 0) break;
  }
  s.close();
}

// Tells the server in this process that the peer is done, over a connection of its own.
void say_hung_up(const Address& address) {
  test::BlockingSocket s(address);
  s.send_all(test::RawPeer::frame("[0, 0, [\"hung_up\", [], {}]]"));
  (void)s.receive_frame();
}

Task<int> add_on_a_fresh_connection(Loop& loop, std::string url) {
  rpc::Connection con = co_await rpc::open_connection(loop, url);
  int sum = co_await con.remote().call<int>("add", 1, 2);
  co_await con.close();
  co_return sum;
}

TEST(NoSigpipe, ServeSurvivesAPeerThatHangsUpWhileItsRepliesAreQueued) {
  test::with_serve([](Loop& l, Address addr, ChildProcess&) -> Task<> {
    for (int round = 0; round < 2; ++round) {
      flood_then_hang_up(addr);
      // The broken connection's reset reached the server before this
      // connection did, so it has written into it by the time it answers.
      EXPECT_EQ(co_await add_on_a_fresh_connection(l, addr.url()), 3);
    }
  });  // with_serve expects exit status 0, not 141 (SIGPIPE)
}

TEST(NoSigpipe, RpcServerInThisProcessSurvivesTheSamePeer) {
  test::Watchdog watchdog;
  Loop loop;
  Event hung_up(loop);
  rpc::Router router("faults.Echo");
  router.expose("echo", [](Value v) { return v; }, {"value"});
  router.expose("add", [](int a, int b) { return a + b; }, {"a", "b"});
  router.expose("hung_up", [&hung_up] {
    hung_up.set();
    return 0;
  });
  auto server = rpc::start_server(loop, "tcp://127.0.0.1:0", router);
  const Address address = server->address();
  std::thread peer([&] {
    flood_then_hang_up(address);
    say_hung_up(address);
  });
  auto probe = [](Loop* l, Event* peer_done, std::string url) -> Task<int> {
    co_await peer_done->wait();
    co_return co_await add_on_a_fresh_connection(*l, url);
  };
  int sum = loop.run(probe(&loop, &hung_up, address.url()));
  peer.join();
  EXPECT_EQ(sum, 3);
  loop.run(server->shutdown());
}

// What the process decides about signals stays the process's: a container
// (its construction, a call, its shutdown) leaves every disposition and the
// thread's signal mask as it found them.
struct SignalState {
  void* handlers[3];
  sigset_t mask;
  static SignalState now() {
    SignalState s{};
    const int signals[3] = {SIGPIPE, SIGINT, SIGTERM};
    for (int i = 0; i < 3; ++i) {
      struct sigaction a {};
      ::sigaction(signals[i], nullptr, &a);
      s.handlers[i] = reinterpret_cast<void*>(a.sa_handler);
    }
    ::pthread_sigmask(SIG_SETMASK, nullptr, &s.mask);
    return s;
  }
  bool same_as(const SignalState& o) const {
    for (int i = 0; i < 3; ++i)
      if (handlers[i] != o.handlers[i]) return false;
    for (int sig : {SIGPIPE, SIGINT, SIGTERM})
      if (sigismember(&mask, sig) != sigismember(&o.mask, sig)) return false;
    return true;
  }
};

TEST(NoSigpipe, AContainerLeavesTheProcessSignalHandlingAlone) {
  const SignalState before = SignalState::now();
  Loop loop;
  auto container = Container::create(loop, "tcp://127.0.0.1:0");
  EXPECT_TRUE(SignalState::now().same_as(before));
  loop.run(container->shutdown());
  container.reset();
  EXPECT_TRUE(SignalState::now().same_as(before));
}

}  // namespace
