// Deadlines: a call to a peer that stopped answering fails with TimeoutError
// naming the path and the time, measured on the caller's clock (also an
// ExternalClock); its reply slot is released and a late reply is dropped.

#include "support/serve_child.hpp"

#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/clocks/wall_clock.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/core/wait_list.hpp>
#include <uvmas/framework/container.hpp>
#include <uvmas/framework/rpc.hpp>

#include <gtest/gtest.h>

#include <csignal>

namespace {

using namespace uvmas;

TEST(Deadlines, ACallToAStoppedPeerTimesOutAndTheConnectionStaysUsable) {
  test::with_serve([](Loop& l, Address addr, ChildProcess& server) -> Task<> {
    rpc::Connection con = co_await rpc::open_connection(l, addr.url());
    EXPECT_EQ(co_await con.remote().call<int>("add", 1, 2), 3);
    server.kill(SIGSTOP);
    std::string message;
    try {
      (void)co_await con.remote().with_timeout(0.3).call<int>("add", 2, 3);
    } catch (const TimeoutError& e) {
      message = e.what();
    }
    EXPECT_NE(message.find("\"add\""), std::string::npos) << message;
    EXPECT_NE(message.find("0.3 s"), std::string::npos) << message;
    EXPECT_EQ(con.channel().pending(), 0u);  // the slot was released
    server.kill(SIGCONT);
    // The late reply to the abandoned call arrives first and is dropped quietly.
    EXPECT_EQ(co_await con.remote().call<int>("add", 20, 22), 42);
    EXPECT_FALSE(con.channel().closed());
  });
}

TEST(Deadlines, AConnectionDefaultAppliesToEveryCallAndAProxyCanOverrideIt) {
  test::with_serve([](Loop& l, Address addr, ChildProcess&) -> Task<> {
    ChannelOptions options;
    options.call_timeout = 0.2;
    rpc::Connection con = co_await rpc::open_connection(l, addr.url(), options);
    bool timed_out = false;
    try {
      (void)co_await con.remote().call("sleep", 5.0);
    } catch (const TimeoutError& e) {
      timed_out = std::string(e.what()).find("\"sleep\"") != std::string::npos;
    }
    EXPECT_TRUE(timed_out);
    // A proxy's own, longer deadline wins over the connection's.
    EXPECT_EQ((co_await con.remote().with_timeout(30).call("sleep", 0.3, "late")).as_string(), "late");
  });
}

class Sleeper : public Agent {
 public:
  explicit Sleeper(Container& c) : Agent(c) { expose("nap", &Sleeper::nap, {"seconds"}); }
  Task<int> nap(double seconds) {
    co_await container().clock().sleep(seconds);
    co_return 7;
  }
};

struct Outcome {
  bool done = false;
  std::string error;
  int value = 0;
};

Task<> call_and_record(AgentProxy peer, double seconds, Outcome* out, Event* finished) {
  try {
    out->value = co_await peer.call<int>("nap", seconds);
  } catch (const std::exception& e) {
    out->error = e.what();
  }
  out->done = true;
  finished->set();
}

TEST(Deadlines, AContainerDefaultIsMeasuredOnItsExternalClock) {
  Loop loop;
  ExternalClock clock(loop, 0);
  ContainerOptions options;
  options.clock = &clock;
  options.call_timeout = 5;
  auto a = Container::create(loop, "tcp://127.0.0.1:0", options);
  ContainerOptions b_options;
  b_options.clock = &clock;
  auto b = Container::create(loop, "tcp://127.0.0.1:0", b_options);
  b->spawn<Sleeper>();
  a->spawn<Sleeper>();
  auto scenario = [](Loop* l, ExternalClock* c, Container* a, Container* b) -> Task<> {
    AgentProxy remote = co_await a->connect(b->base_url() + "0");
    AgentProxy local = co_await a->connect(a->base_url() + "0");
    Outcome r, in, own;
    Event r_done(*l), in_done(*l), own_done(*l);
    l->spawn(call_and_record(remote, 100, &r, &r_done));
    l->spawn(call_and_record(local, 100, &in, &in_done));
    l->spawn(call_and_record(remote.with_timeout(2), 100, &own, &own_done));
    co_await l->quiescent();  // the calls arrived and wait on the clock
    c->set_time(1.5);
    co_await l->quiescent();
    EXPECT_FALSE(r.done);
    EXPECT_FALSE(in.done);
    EXPECT_FALSE(own.done);
    c->set_time(2.5);  // past the proxy's own deadline only
    co_await own_done.wait();
    EXPECT_NE(own.error.find("timed out after 2 s"), std::string::npos) << own.error;
    EXPECT_FALSE(r.done);
    c->set_time(6);  // past the container's default
    co_await r_done.wait();
    co_await in_done.wait();
    EXPECT_NE(r.error.find("\"agents/0/nap\""), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("timed out after 5 s"), std::string::npos) << r.error;
    EXPECT_NE(in.error.find("timed out after 5 s"), std::string::npos) << in.error;
    co_await a->shutdown();
    co_await b->shutdown();
  };
  loop.run(scenario(&loop, &clock, a.get(), b.get()));
}

}  // namespace
