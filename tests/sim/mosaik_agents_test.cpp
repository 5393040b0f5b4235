// Quiescence-aware stepping with agents: entity agents in a Container on the
// simulator's ExternalClock forward a message along a chain of in-process
// agent calls and set clock timers inside a step; the step's reply waits for
// all of it and names the earliest timer.

#include "fake_mosaik.hpp"

#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/framework/container.hpp>
#include <uvmas/sim/mosaik.hpp>

#include <gtest/gtest.h>

namespace {

using namespace uvmas;
using sim::Time;
using test::FakeMosaik;

/// A link of the chain: counts what it receives, sets a timer `timer_in`
/// steps ahead and passes the message on to the next link (if any) after a
/// few loop turns, so the chain is still busy long after the step began.
class Forwarder final : public Agent {
 public:
  Forwarder(Container& container, sim::Simulator& sim, Time timer_in)
      : Agent(container), sim_(sim), timer_in_(timer_in) {
    expose("forward", &Forwarder::forward);
  }
  ~Forwarder() override {
    for (auto& t : timers_) t.cancel();
  }

  /// Takes `hops` (the number of links behind this one), returns how many links it passed.
  Task<std::int64_t> forward(std::int64_t hops, std::vector<std::string> rest) {
    ++received;
    const Time now = sim_.to_time(container().clock().time());
    timers_.push_back(container().clock().call_at(sim_.to_seconds(now + timer_in_), [this] { ++fired; }));
    for (int i = 0; i < 5; ++i) co_await container().loop().yield();
    if (rest.empty()) co_return hops + 1;
    const std::string next = rest.front();
    rest.erase(rest.begin());
    AgentProxy proxy = co_await container().connect(next);
    const std::int64_t behind = hops + 1;
    const std::int64_t passed = co_await proxy.call<std::int64_t>("forward", behind, rest);
    co_return passed;
  }

  int received = 0;
  int fired = 0;

 private:
  sim::Simulator& sim_;
  Time timer_in_;
  std::vector<TimerHandle> timers_;
};

/// A simulator with three Forwarder entities (timers 7, 3 and 5 steps ahead).
/// Its step only starts the chain as a background task of the container and
/// returns at once: the reply comes when the adapter sees the loop quiet.
class ChainSim final : public sim::Simulator {
 public:
  using Simulator::Simulator;

  sim::Meta init(const std::string& sid, double, const sim::Params&) override {
    ContainerOptions options;
    options.clock = &clock();
    container_ = Container::create(loop(), "local://" + sid, options);
    sim::Meta meta;
    meta.type = sim::SimulatorType::event_based;
    meta.models["Link"].attrs = {"received"};
    return meta;
  }
  std::vector<sim::EntityDescription> create(std::int64_t num, const std::string& model,
                                             const sim::Params&) override {
    const Time timers[] = {7, 3, 5};
    std::vector<sim::EntityDescription> out;
    for (std::int64_t i = 0; i < num; ++i) {
      links.push_back(&container_->spawn<Forwarder>(*this, timers[links.size() % 3]));
      out.push_back({"Link_" + links.back()->aid(), model, {}, {}, {}});
    }
    return out;
  }
  Task<std::optional<Time>> step(Time, const sim::Inputs&, Time) override {
    std::vector<std::string> rest;
    for (std::size_t i = 1; i < links.size(); ++i) rest.push_back(links[i]->addr());
    container_->tasks().spawn(start_chain(this, links.front()->addr(), std::move(rest)));
    co_return std::nullopt;
  }
  sim::OutputData get_data(const sim::OutputRequest& outputs) override {
    sim::OutputData data;
    for (const auto& [eid, attrs] : outputs) {
      for (Forwarder* link : links) {
        if ("Link_" + link->aid() == eid) data.set(eid, "received", link->received);
      }
    }
    return data;
  }

  std::vector<Forwarder*> links;
  std::int64_t passed = 0;

 private:
  static Task<> start_chain(ChainSim* self, std::string first, std::vector<std::string> rest) {
    AgentProxy head = co_await self->container_->connect(first);
    const std::int64_t zero = 0;
    self->passed = co_await head.call<std::int64_t>("forward", zero, rest);
  }

  std::unique_ptr<Container> container_;
};

Array args_of(Value a, Value b) {
  Array out;
  out.emplace_back(std::move(a));
  out.emplace_back(std::move(b));
  return out;
}

Task<Value> step_at(FakeMosaik* m, Time t) {
  Array args;
  args.emplace_back(t);
  args.emplace_back(Map{});
  args.emplace_back(100);
  co_return co_await m->ok("step", std::move(args), Map{});
}

Task<> chain_scenario(FakeMosaik* m, ChainSim* s) {
  Map kwargs;
  kwargs.emplace_back("time_resolution", 1.0);
  Array init_args;
  init_args.emplace_back("Chain");
  (void)co_await m->ok("init", std::move(init_args), std::move(kwargs));
  (void)co_await m->ok("create", args_of(Value(3), Value("Link")), Map{});
  (void)co_await m->ok("setup_done", Array{}, Map{});

  EXPECT_EQ(co_await step_at(m, 0), Value(3));  // timers at 7, 3, 5: the earliest
  EXPECT_EQ(s->passed, 3);                      // the whole chain ran before the reply
  for (Forwarder* link : s->links) EXPECT_EQ(link->received, 1);

  // At 3 the 3-step timer fires; the new timers (10, 6, 8) join the pending 5 and 7.
  EXPECT_EQ(co_await step_at(m, 3), Value(5));
  EXPECT_EQ(s->passed, 3);
  EXPECT_EQ(s->links[1]->fired, 1);
  for (Forwarder* link : s->links) EXPECT_EQ(link->received, 2);

  Map wanted;
  Array attrs;
  attrs.emplace_back("received");
  wanted.emplace_back("Link_2", Value(std::move(attrs)));
  Array get_args;
  get_args.emplace_back(std::move(wanted));
  Value data = co_await m->ok("get_data", std::move(get_args), Map{});
  EXPECT_EQ(data.at("Link_2").at("received"), Value(2));
}

TEST(MosaikAgents, StepWaitsForAChainOfAgentCallsAndRepliesTheEarliestAgentTimer) {
  Loop loop;
  ExternalClock clock(loop, 0);
  ChainSim sim(loop, clock);
  struct Run {
    static Task<> go(Loop* loop, ChainSim* sim) {
      test::LoopbackMosaik link = co_await test::connect_loopback(*loop, sim);
      co_await chain_scenario(link.master.get(), sim);
      co_await link.master->stop();
    }
  };
  loop.run(Run::go(&loop, &sim));
  loop.run_until_idle();
}

}  // namespace
