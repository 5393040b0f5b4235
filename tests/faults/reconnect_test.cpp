// Opt-in re-connection of agent proxies: back-off on the container's clock
// (here an ExternalClock, so every wait is visible), a bounded number of
// tries, and never a repeated call.

#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/core/wait_list.hpp>
#include <uvmas/framework/container.hpp>

#include <gtest/gtest.h>

namespace {

using namespace uvmas;

class Counter : public Agent {
 public:
  explicit Counter(Container& c) : Agent(c) {
    expose("ping", &Counter::ping);
    expose("hang_up", &Counter::hang_up);
  }
  std::string ping() { return "pong"; }
  // Counts the call, then has its container shut down (closing every
  // connection) while the caller waits for the reply.
  Task<int> hang_up() {
    ++calls;
    container().loop().spawn(container().shutdown());
    co_await container().clock().sleep(1000);
    co_return 1;
  }
  int calls = 0;
};

struct Outcome {
  std::string value;
  std::string error;
};

Task<> ping_into(AgentProxy peer, Outcome* out, Event* done) {
  try {
    out->value = co_await peer.call<std::string>("ping");
  } catch (const std::exception& e) {
    out->error = e.what();
  }
  done->set();
}

ContainerOptions reconnecting(ExternalClock& clock, int tries) {
  ContainerOptions options;
  options.clock = &clock;
  options.reconnect.tries = tries;
  options.reconnect.backoff = 1;
  options.reconnect.max_backoff = 4;
  return options;
}

// Yields until the clock has a pending timer (the back-off sleep), bounded.
Task<bool> until_sleeping(Loop* loop, ExternalClock* clock) {
  for (int i = 0; i < 100000 && !clock->next_deadline(); ++i) co_await loop->yield();
  co_return clock->next_deadline().has_value();
}

TEST(Reconnect, ALostConnectionIsMadeAgainAfterTheBackOffOnTheExternalClock) {
  Loop loop;
  ExternalClock clock(loop, 0);
  auto a = Container::create(loop, "tcp://127.0.0.1:0", reconnecting(clock, 3));
  auto b = std::make_unique<std::unique_ptr<Container>>(Container::create(loop, "tcp://127.0.0.1:0"));
  (*b)->spawn<Counter>();
  const std::string base = (*b)->base_url();
  auto scenario = [](Loop* l, ExternalClock* c, Container* a, std::unique_ptr<Container>* b, std::string base) -> Task<> {
    AgentProxy peer = co_await a->connect(base + "0");
    EXPECT_EQ(co_await peer.call<std::string>("ping"), "pong");
    b->reset();  // the peer goes away
    Outcome out;
    Event done(*l);
    l->spawn(ping_into(peer, &out, &done));
    // The first attempt is refused; the second waits 1 s of the container's clock.
    EXPECT_TRUE(co_await until_sleeping(l, c));
    EXPECT_EQ(*c->next_deadline(), 1.0);
    auto back = Container::create(*l, base.substr(0, base.size() - 1));  // the peer is back
    back->spawn<Counter>();
    for (int i = 0; i < 100; ++i) co_await l->yield();
    EXPECT_FALSE(done.is_set());  // still waiting for the clock
    c->set_time(1);
    co_await done.wait();
    EXPECT_EQ(out.value, "pong") << out.error;
    co_await back->shutdown();
  };
  loop.run(scenario(&loop, &clock, a.get(), b.get(), base));
  loop.run(a->shutdown());
}

TEST(Reconnect, TriesAreBoundedAndTheErrorSaysSo) {
  Loop loop;
  ExternalClock clock(loop, 0);
  auto a = Container::create(loop, "tcp://127.0.0.1:0", reconnecting(clock, 3));
  auto b = std::make_unique<std::unique_ptr<Container>>(Container::create(loop, "tcp://127.0.0.1:0"));
  (*b)->spawn<Counter>();
  const std::string base = (*b)->base_url();
  auto scenario = [](Loop* l, ExternalClock* c, Container* a, std::unique_ptr<Container>* b, std::string base) -> Task<> {
    AgentProxy peer = co_await a->connect(base + "0");
    EXPECT_EQ(co_await peer.call<std::string>("ping"), "pong");
    b->reset();
    Outcome out;
    Event done(*l);
    l->spawn(ping_into(peer, &out, &done));
    EXPECT_TRUE(co_await until_sleeping(l, c));
    c->set_time(1);  // second attempt, refused; then 2 s more
    EXPECT_TRUE(co_await until_sleeping(l, c));
    EXPECT_EQ(*c->next_deadline(), 3.0);
    c->set_time(3);  // third and last attempt
    co_await done.wait();
    EXPECT_NE(out.error.find("after 3 tries"), std::string::npos) << out.error;
  };
  loop.run(scenario(&loop, &clock, a.get(), b.get(), base));
  loop.run(a->shutdown());
}

TEST(Reconnect, ACallInFlightWhenTheConnectionDropsFailsAndIsNeverRepeated) {
  Loop loop;
  ExternalClock clock(loop, 0);
  auto a = Container::create(loop, "tcp://127.0.0.1:0", reconnecting(clock, 3));
  auto b = Container::create(loop, "tcp://127.0.0.1:0");
  auto& counter = b->spawn<Counter>();
  auto scenario = [](Container* a, Container* b, Counter* counter) -> Task<> {
    AgentProxy peer = co_await a->connect(b->base_url() + "0");
    bool lost = false;
    try {
      (void)co_await peer.call<int>("hang_up");
    } catch (const ConnectionError&) {
      lost = true;
    }
    EXPECT_TRUE(lost);
    EXPECT_EQ(counter->calls, 1);
  };
  loop.run(scenario(a.get(), b.get(), &counter));
  loop.run(a->shutdown());
}

}  // namespace
