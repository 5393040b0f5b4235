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

// Waits until all that can happen without clock time has happened (the
// refused attempt included); true if the clock then has a pending timer (the
// back-off sleep).
Task<bool> until_sleeping(Loop* loop, ExternalClock* clock) {
  co_await loop->quiescent();
  co_return clock->next_deadline().has_value();
}

// Container `a` (reconnecting, on an ExternalClock) calls an agent of `b`,
// then `b` goes away and `a` calls again: the call waits in its re-connection.
struct LostPeer {
  Loop loop;
  ExternalClock clock{loop, 0};
  std::unique_ptr<Container> a = Container::create(loop, "tcp://127.0.0.1:0", reconnecting(clock, 3));
  std::unique_ptr<Container> b = Container::create(loop, "tcp://127.0.0.1:0");
  std::string base = b->base_url();
  Outcome out;
  Event done{loop};

  LostPeer() { b->spawn<Counter>(); }
  ~LostPeer() { loop.run(a->shutdown()); }

  static Task<> lose(LostPeer* self) {
    AgentProxy peer = co_await self->a->connect(self->base + "0");
    EXPECT_EQ(co_await peer.call<std::string>("ping"), "pong");
    self->b.reset();  // the peer goes away
    self->loop.spawn(ping_into(peer, &self->out, &self->done));
  }
};

TEST(Reconnect, ALostConnectionIsMadeAgainAfterTheBackOffOnTheExternalClock) {
  LostPeer t;
  auto scenario = [](LostPeer* t) -> Task<> {
    co_await LostPeer::lose(t);
    // The first attempt is refused; the second waits 1 s of the container's clock.
    EXPECT_TRUE(co_await until_sleeping(&t->loop, &t->clock));
    EXPECT_EQ(*t->clock.next_deadline(), 1.0);
    auto back = Container::create(t->loop, t->base.substr(0, t->base.size() - 1));  // the peer is back
    back->spawn<Counter>();
    co_await t->loop.quiescent();
    EXPECT_FALSE(t->done.is_set());  // still waiting for the clock
    t->clock.set_time(1);
    co_await t->done.wait();
    EXPECT_EQ(t->out.value, "pong") << t->out.error;
    co_await back->shutdown();
  };
  t.loop.run(scenario(&t));
}

TEST(Reconnect, TriesAreBoundedAndTheErrorSaysSo) {
  LostPeer t;
  auto scenario = [](LostPeer* t) -> Task<> {
    co_await LostPeer::lose(t);
    EXPECT_TRUE(co_await until_sleeping(&t->loop, &t->clock));
    t->clock.set_time(1);  // second attempt, refused; then 2 s more
    EXPECT_TRUE(co_await until_sleeping(&t->loop, &t->clock));
    EXPECT_EQ(*t->clock.next_deadline(), 3.0);
    t->clock.set_time(3);  // third and last attempt
    co_await t->done.wait();
    EXPECT_NE(t->out.error.find("after 3 tries"), std::string::npos) << t->out.error;
  };
  t.loop.run(scenario(&t));
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
