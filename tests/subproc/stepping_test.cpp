// ExternalClock::step_to across containers: two containers on one clock over
// TCP, a Unix socket and LocalQueue, the same with the callee in a child
// process, and a message storm across three containers in two processes.
// Every run gives the same trace; each test has a watchdog.

#include "step_agents.hpp"
#include "support/test_support.hpp"
#include "support/watchdog.hpp"

#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/framework/container.hpp>
#include <uvmas/framework/subproc.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace uvmas;
using test::clock_text;
using Trace = std::vector<std::string>;

/// A of the scenario: sleeps 1.5 s three times, then asks B.
class Asker : public Agent {
 public:
  Asker(Container& c, Trace* trace) : Agent(c), trace_(trace) {}
  Task<> run(std::string b_url) {
    Clock& clock = container().clock();
    for (int i = 0; i < 3; ++i) {
      co_await clock.sleep(1.5);
      trace_->push_back(clock_text(clock.time()) + " A woke");
    }
    AgentProxy b = co_await container().connect(b_url);
    double got = co_await b.call<double>("compute");
    trace_->push_back(clock_text(clock.time()) + " A got " + clock_text(got));
  }

 private:
  Trace* trace_;
};

/// The third agent: re-arms call_in(2.0) three times.
class Ticker : public Agent {
 public:
  Ticker(Container& c, Trace* trace) : Agent(c), trace_(trace) {}
  void start() { arm(); }

 private:
  void arm() {
    container().clock().call_in(2.0, [this] {
      trace_->push_back(clock_text(container().clock().time()) + " C tick " + std::to_string(++ticks_));
      if (ticks_ < 3) arm();
    });
  }
  Trace* trace_;
  int ticks_ = 0;
};

const Trace expected_trace = {
    "step 0.5 -> 1.5", "step 1 -> 1.5",      "1.5 A woke",     "step 1.5 -> 2",  "2 C tick 1",
    "step 2 -> 3",     "step 2.5 -> 3",      "3 A woke",       "step 3 -> 4",    "step 3.5 -> 4",
    "4 C tick 2",      "step 4 -> 4.5",      "4.5 A woke",     "step 4.5 -> 4.75", "5 A got 6",
    "step 5 -> 6",     "step 5.5 -> 6",      "6 C tick 3",     "step 6 -> none",
};

std::string next_text(const std::optional<double>& next) { return next ? clock_text(*next) : "none"; }

/// Steps 0.5 ... 6.0 and records what each step_to returned.
Task<> step_through(ExternalClock* clock, Trace* trace) {
  for (int i = 1; i <= 12; ++i) {
    const double t = 0.5 * i;
    std::optional<double> next = co_await clock->step_to(t);
    trace->push_back("step " + clock_text(t) + " -> " + next_text(next));
  }
}

/// A loop with an ExternalClock, and containers on that clock.
struct SteppedLoop {
  Loop loop;
  ExternalClock clock{loop};
  std::unique_ptr<Container> container(const std::string& address) {
    ContainerOptions options;
    options.clock = &clock;
    return Container::create(loop, address, options);
  }
};

Trace two_containers(const std::string& a_address, const std::string& b_address) {
  Trace trace;
  SteppedLoop s;
  Loop& loop = s.loop;
  ExternalClock& clock = s.clock;
  auto a = s.container(a_address);
  auto b = s.container(b_address);
  auto& asker = a->spawn<Asker>(&trace);
  auto& ticker = a->spawn<Ticker>(&trace);
  auto& sleeper = b->spawn<test::Sleeper>();
  a->tasks().spawn(asker.run(sleeper.addr()));
  ticker.start();
  loop.run(step_through(&clock, &trace));
  EXPECT_TRUE(a->tasks().empty());
  loop.run(a->shutdown());
  loop.run(b->shutdown());
  return trace;
}

class TwoContainers : public ::testing::TestWithParam<std::string> {};

std::string address_of(const std::string& kind, const std::string& name) {
  if (kind == "tcp") return "tcp://127.0.0.1:0";
  if (kind == "ipc") return "ipc://[" + test::temp_socket_path(name) + "]";
  return "local://" + name;
}

TEST_P(TwoContainers, StepToGivesTheSameTraceEveryRun) {
  test::Watchdog watchdog;
  for (int run = 0; run < 3; ++run) {
    EXPECT_EQ(two_containers(address_of(GetParam(), "step-a"), address_of(GetParam(), "step-b")), expected_trace)
        << "run " << run;
  }
}

INSTANTIATE_TEST_SUITE_P(Transports, TwoContainers, ::testing::Values("tcp", "ipc", "local"));

TEST(StepTo, WaitsForAConnectionBeingOpened) {
  test::Watchdog watchdog;
  SteppedLoop s;
  Loop& loop = s.loop;
  ExternalClock& clock = s.clock;
  auto a = s.container("tcp://127.0.0.1:0");
  auto b = s.container("tcp://127.0.0.1:0");
  auto& sleeper = b->spawn<test::Sleeper>();
  bool connected = false;
  a->tasks().spawn([](Container* a, std::string url, bool* done) -> Task<> {
    (void)co_await a->connect(url);
    *done = true;
  }(a.get(), sleeper.addr(), &connected));
  // Nothing waits on the clock: the step ends once the connect is through.
  EXPECT_EQ(loop.run(clock.step_to(0)), std::nullopt);
  EXPECT_TRUE(connected);
  loop.run(a->shutdown());
  loop.run(b->shutdown());
}

TEST(StepTo, RefusesATimeInThePastAndWaitsOnlyAtTheSameTime) {
  test::Watchdog watchdog;
  Loop loop;
  ExternalClock clock(loop, 2.0);
  EXPECT_THROW(loop.run(clock.step_to(1.0)), ValueError);
  EXPECT_EQ(loop.run(clock.step_to(2.0)), std::nullopt);
  clock.call_in(1.0, [] {});
  EXPECT_EQ(loop.run(clock.step_to(2.5)), 3.0);
  EXPECT_EQ(clock.time(), 2.5);
}

// -- child processes -------------------------------------------------------------------

std::vector<std::string> child_argv() { return {test::bin_dir() + "/step_child", "tcp://127.0.0.1:0"}; }

Task<> with_child_callee(Container* a, Asker* asker, ExternalClock* clock, Trace* trace) {
  auto child = co_await subproc::ChildContainer::start(*a, child_argv());
  AgentProxy b = co_await child->spawn("Sleeper", Array{}, Map{});
  a->tasks().spawn(asker->run(b.url()));
  co_await step_through(clock, trace);
  EXPECT_EQ(co_await child->stop(), 0);
}

Trace callee_in_child() {
  Trace trace;
  SteppedLoop s;
  Loop& loop = s.loop;
  ExternalClock& clock = s.clock;
  auto a = s.container("tcp://127.0.0.1:0");
  auto& asker = a->spawn<Asker>(&trace);
  auto& ticker = a->spawn<Ticker>(&trace);
  ticker.start();
  loop.run(with_child_callee(a.get(), &asker, &clock, &trace));
  loop.run(a->shutdown());
  return trace;
}

TEST(StepTo, FollowsACalleeInAChildProcess) {
  test::Watchdog watchdog(std::chrono::seconds(60));
  for (int run = 0; run < 3; ++run) EXPECT_EQ(callee_in_child(), expected_trace) << "run " << run;
}

// The storm: relays in a ring over three containers (two in this process, one
// in a child); each message hops around the ring with clock sleeps between hops.
Task<> storm(Container* p1, Container* p2, ExternalClock* clock, Trace* trace) {
  auto child = co_await subproc::ChildContainer::start(*p1, child_argv());
  std::vector<std::string> urls;
  std::vector<AgentProxy> relays;
  for (int i = 0; i < 6; ++i) {
    if (i % 3 == 2) {
      relays.push_back(co_await child->spawn("Relay", Array{}, Map{}));
    } else {
      Container* c = i % 3 == 0 ? p1 : p2;
      auto& r = c->spawn<test::Relay>();
      relays.push_back(co_await p1->connect(r.addr()));
    }
    urls.push_back(relays.back().url());
  }
  for (int i = 0; i < 6; ++i) {
    (void)co_await relays[i].call<Value>("setup", "r" + std::to_string(i), urls[(i + 1) % 6]);
  }
  for (int id = 0; id < 12; ++id) (void)co_await relays[id % 6].call<Value>("hear", id, 7);
  std::optional<double> next = co_await clock->step_to(0);
  for (int step = 0; next && step < 100; ++step) {
    trace->push_back("step " + clock_text(*next));
    next = co_await clock->step_to(*next);
  }
  for (auto& r : relays) {
    for (auto& line : co_await r.call<std::vector<std::string>>("log")) trace->push_back(line);
  }
  EXPECT_EQ(co_await child->stop(), 0);
}

Trace storm_run() {
  Trace trace;
  SteppedLoop s;
  Loop& loop = s.loop;
  ExternalClock& clock = s.clock;
  auto p1 = s.container("tcp://127.0.0.1:0");
  auto p2 = s.container("ipc://[" + test::temp_socket_path("storm") + "]");
  loop.run(storm(p1.get(), p2.get(), &clock, &trace));
  loop.run(p1->shutdown());
  loop.run(p2->shutdown());
  return trace;
}

TEST(StepTo, AMessageStormAcrossTwoProcessesGivesIdenticalTracesTwentyTimes) {
  test::Watchdog watchdog(std::chrono::seconds(100));
  const Trace first = storm_run();
  std::size_t heard = 0;
  for (const auto& line : first) heard += line.find(" heard ") != std::string::npos;
  EXPECT_EQ(heard, 12u * 8u);  // every message heard at each of its 8 stops
  for (int run = 1; run < 20; ++run) ASSERT_EQ(storm_run(), first) << "run " << run;
}

}  // namespace
