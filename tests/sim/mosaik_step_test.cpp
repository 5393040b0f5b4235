// The mosaik adapter in one process: a fake mosaik over loopback TCP drives a
// test simulator whose steps spawn tasks, exchange messages over LocalQueue
// channels and set clock timers.

#include "fake_mosaik.hpp"

#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/sim/mosaik.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

namespace {

using namespace uvmas;
using sim::Inputs;
using sim::SimulatorType;
using sim::Time;
using test::FakeMosaik;

/// A simulator whose step is a function chosen by the test.
class TestSim final : public sim::Simulator {
 public:
  using StepFn = Task<std::optional<Time>> (*)(TestSim*, Time, const Inputs*, Time);

  TestSim(Loop& loop, ExternalClock& clock, SimulatorType type, StepFn fn)
      : Simulator(loop, clock), declared_(type), step_fn_(fn) {}

  sim::Meta init(const std::string&, double, const sim::Params& params) override {
    init_params = params;
    sim::Meta meta;
    meta.type = declared_;
    auto& m = meta.models["M"];
    m.params = {"init"};
    m.attrs = {"x", "count"};
    return meta;
  }
  std::vector<sim::EntityDescription> create(std::int64_t num, const std::string& model,
                                             const sim::Params& params) override {
    if (model != "M") throw ValueError("no model " + model);
    if (auto it = params.find("init"); it != params.end() && !it->second.is_int()) {
      throw TypeError("init must be an integer, got " + to_repr(it->second));
    }
    std::vector<sim::EntityDescription> out;
    for (std::int64_t i = 0; i < num; ++i) out.push_back({"M_" + std::to_string(created++), "M", {}, {}, {}});
    return out;
  }
  Task<std::optional<Time>> step(Time time, const Inputs& inputs, Time max_advance) override {
    last_inputs = inputs;
    return step_fn_(this, time, &inputs, max_advance);
  }
  sim::OutputData get_data(const sim::OutputRequest& outputs) override {
    sim::OutputData d;
    for (const auto& [eid, attrs] : outputs) d.set(eid, "count", count);
    return d;
  }
  void stop() override { stopped = true; }
  Task<> shutdown() override { return shut_down_slowly(this); }

  std::int64_t count = 0;
  int created = 0;
  bool stopped = false;
  bool stopped_before_shutdown = false;
  bool shut_down = false;
  sim::Params init_params;
  Inputs last_inputs;
  std::vector<TimerHandle> timers;
  std::unique_ptr<Server> server;

 private:
  // Takes a few turns of the loop, as stopping child processes would.
  static Task<> shut_down_slowly(TestSim* self) {
    self->stopped_before_shutdown = self->stopped;
    for (int i = 0; i < 3; ++i) co_await self->loop().yield();
    self->shut_down = true;
  }

  SimulatorType declared_;
  StepFn step_fn_;
};

/// An array of the given values (variadic: no initializer lists in co_await expressions).
template <class... T>
Array args_of(T... items) {
  Array out;
  (out.emplace_back(std::move(items)), ...);
  return out;
}

Task<> setup(FakeMosaik* m, double resolution) {
  Map kwargs;
  kwargs.emplace_back("time_resolution", resolution);
  (void)co_await m->ok("init", args_of("S"), std::move(kwargs));
  (void)co_await m->ok("create", args_of(1, "M"), Map{});
  (void)co_await m->ok("setup_done", Array{}, Map{});
}

Task<test::MosaikReply> step(FakeMosaik* m, Time t, Value inputs, Time max_advance) {
  Array args;
  args.emplace_back(t);
  args.emplace_back(std::move(inputs));
  args.emplace_back(max_advance);
  co_return co_await m->call("step", std::move(args), Map{});
}

Task<Value> step_ok(FakeMosaik* m, Time t) {
  test::MosaikReply r = co_await step(m, t, Value(Map{}), 100);
  if (r.type != 1) throw std::runtime_error("step failed: " + to_repr(r.content));
  co_return r.content;
}

Task<Value> count_of(FakeMosaik* m) {
  Map outputs;
  outputs.emplace_back("M_0", args_of("count"));
  Array args;
  args.emplace_back(std::move(outputs));
  Value data = co_await m->ok("get_data", std::move(args), Map{});
  co_return data.at("M_0").at("count");
}

/// Runs `scenario` against `sim` over loopback and stops the session.
template <class Scenario>
void play(Loop& loop, TestSim& sim, Scenario scenario) {
  struct Run {
    static Task<> go(Loop* loop, TestSim* sim, Scenario scenario) {
      test::LoopbackMosaik link = co_await test::connect_loopback(*loop, sim);
      co_await scenario(link.master.get(), sim);
      co_await link.master->stop();
    }
  };
  loop.run(Run::go(&loop, &sim, scenario));
  loop.run_until_idle();
}

// -- quiescence-aware stepping -----------------------------------------------------

Task<> echo(Channel channel) {
  for (;;) {
    bool closed = false;
    Request r;
    try {
      r = co_await channel.recv();
    } catch (const ConnectionError&) {
      closed = true;
    }
    if (closed) co_return;
    Value v = r.content();
    co_await r.reply(std::move(v));
  }
}

/// 50 request/reply round trips over LocalQueue, then a timer 3.5 s ahead.
Task<> ping_pong(TestSim* sim, std::string address) {
  Channel channel = co_await open_connection(sim->loop(), address);
  for (int i = 0; i < 50; ++i) {
    Value r = co_await channel.send(Value(i));
    if (r == Value(i)) ++sim->count;
    co_await sim->loop().yield();
  }
  co_await channel.close();
  sim->timers.push_back(sim->clock().call_in(3.5, [] {}));
}

Task<std::optional<Time>> spawn_ping_pong(TestSim* sim, Time time, const Inputs*, Time) {
  if (!sim->server) {
    sim->server = start_server(sim->loop(), "local://mosaik-step-test", [](Channel c) { return echo(std::move(c)); });
  }
  (void)time;
  sim->tasks().spawn(ping_pong(sim, "local://mosaik-step-test"));
  co_return std::nullopt;
}

TEST(MosaikStep, StepRepliesOnlyAfterTasksExchangingMessagesSettledWithTheEarliestTimer) {
  Loop loop;
  ExternalClock clock(loop, 0);
  TestSim sim(loop, clock, SimulatorType::hybrid, spawn_ping_pong);
  play(loop, sim, [](FakeMosaik* m, TestSim* s) -> Task<> {
    co_await setup(m, 1.0);
    Value next = co_await step_ok(m, 0);
    EXPECT_EQ(next, Value(4));  // timer at 3.5 s → step 4
    EXPECT_EQ(co_await count_of(m), Value(50));
    next = co_await step_ok(m, 4);
    EXPECT_EQ(next, Value(8));  // the 3.5 s timer fired at 4; the new one is at 7.5
    EXPECT_EQ(co_await count_of(m), Value(100));
    EXPECT_EQ(s->clock().time(), 4.0);
    s->server.reset();
  });
  EXPECT_TRUE(sim.stopped);
}

Task<> sleeper(TestSim* sim) {
  co_await sim->clock().sleep(2);
  ++sim->count;
}

Task<std::optional<Time>> spawn_sleeper(TestSim* sim, Time, const Inputs*, Time) {
  sim->tasks().spawn(sleeper(sim));
  sim->timers.push_back(sim->clock().call_in(5, [] {}));
  co_return std::nullopt;
}

TEST(MosaikStep, ASleepingTaskIsAPendingTimerAndWakesAtItsStep) {
  Loop loop;
  ExternalClock clock(loop, 0);
  TestSim sim(loop, clock, SimulatorType::event_based, spawn_sleeper);
  play(loop, sim, [](FakeMosaik* m, TestSim*) -> Task<> {
    co_await setup(m, 0.5);
    EXPECT_EQ(co_await step_ok(m, 0), Value(4));  // sleep(2 s) = 4 steps of 0.5 s
    EXPECT_EQ(co_await count_of(m), Value(0));
    EXPECT_EQ(co_await step_ok(m, 4), Value(8));  // the sleeper woke at 4 and slept again
    EXPECT_EQ(co_await count_of(m), Value(1));
  });
}

Task<std::optional<Time>> wants_three(TestSim* sim, Time time, const Inputs*, Time) {
  sim->timers.push_back(sim->clock().call_at(sim->to_seconds(time + 5), [] {}));
  co_return time + 3;
}

TEST(MosaikStep, TheEarlierOfTheReturnedTimeAndTheFirstTimerIsTheNextStep) {
  Loop loop;
  ExternalClock clock(loop, 0);
  TestSim sim(loop, clock, SimulatorType::time_based, wants_three);
  play(loop, sim, [](FakeMosaik* m, TestSim*) -> Task<> {
    co_await setup(m, 1.0);
    EXPECT_EQ(co_await step_ok(m, 0), Value(3));
    EXPECT_EQ(co_await step_ok(m, 3), Value(5));  // the timer set at 0 for 5
  });
}

Task<std::optional<Time>> nothing(TestSim*, Time, const Inputs*, Time) { co_return std::nullopt; }

TEST(MosaikStep, EventBasedStepWithNothingPendingRepliesNull) {
  Loop loop;
  ExternalClock clock(loop, 0);
  TestSim sim(loop, clock, SimulatorType::event_based, nothing);
  play(loop, sim, [](FakeMosaik* m, TestSim* s) -> Task<> {
    co_await setup(m, 1.0);
    EXPECT_TRUE((co_await step_ok(m, 0)).is_null());
    EXPECT_TRUE((co_await step_ok(m, 7)).is_null());
    EXPECT_EQ(s->clock().time(), 7.0);
  });
}

TEST(MosaikStep, TimeBasedStepWithoutANextTimeIsAFailureReply) {
  Loop loop;
  ExternalClock clock(loop, 0);
  TestSim sim(loop, clock, SimulatorType::time_based, nothing);
  play(loop, sim, [](FakeMosaik* m, TestSim*) -> Task<> {
    co_await setup(m, 1.0);
    test::MosaikReply r = co_await step(m, 0, Value(Map{}), 10);
    EXPECT_EQ(r.type, 2);
    EXPECT_EQ(r.content[0], Value("ValueError"));
  });
}

Task<std::optional<Time>> timer_at_three_tenths(TestSim* sim, Time time, const Inputs*, Time) {
  sim->timers.push_back(sim->clock().call_at(sim->to_seconds(time + 3), [] {}));
  co_return std::nullopt;
}

TEST(MosaikStep, TimerDeadlinesWithinRoundingNoiseOfAStepAreThatStep) {
  Loop loop;
  ExternalClock clock(loop, 0);
  TestSim sim(loop, clock, SimulatorType::hybrid, timer_at_three_tenths);
  play(loop, sim, [](FakeMosaik* m, TestSim*) -> Task<> {
    co_await setup(m, 0.1);
    EXPECT_EQ(co_await step_ok(m, 0), Value(3));  // 3 · 0.1 s = 0.30000000000000004 s
    EXPECT_EQ(co_await step_ok(m, 3), Value(6));
  });
}

Task<std::optional<Time>> inputs_counted(TestSim* sim, Time time, const Inputs* inputs, Time) {
  const std::span<const sim::Input> x = inputs->find("M_0", "x");
  sim->count = x.empty() ? -1 : static_cast<std::int64_t>(x.size());
  co_return time + 1;
}

TEST(MosaikStep, InputsArriveAsRowsOfEidAttributeSourceAndValue) {
  Loop loop;
  ExternalClock clock(loop, 0);
  TestSim sim(loop, clock, SimulatorType::time_based, inputs_counted);
  play(loop, sim, [](FakeMosaik* m, TestSim* s) -> Task<> {
    co_await setup(m, 1.0);
    Map sources;
    sources.emplace_back("A.a_0", 1.5);
    sources.emplace_back("B.b_0", 2);
    Map attrs;
    attrs.emplace_back("x", Value(std::move(sources)));
    Map inputs;
    inputs.emplace_back("M_0", Value(std::move(attrs)));
    test::MosaikReply r = co_await step(m, 0, Value(std::move(inputs)), 10);
    EXPECT_EQ(r.type, 1);
    EXPECT_EQ(r.content, Value(1));
    EXPECT_EQ(s->count, 2);
    EXPECT_EQ(s->last_inputs.size(), 2u);
    if (s->last_inputs.size() != 2) co_return;
    const sim::Input& a = *s->last_inputs.begin();
    const sim::Input& b = *(s->last_inputs.begin() + 1);
    EXPECT_EQ(a.eid, "M_0");
    EXPECT_EQ(a.attr, "x");
    EXPECT_EQ(a.source, "A.a_0");
    EXPECT_EQ(a.value, Value(1.5));
    EXPECT_EQ(b.source, "B.b_0");
    EXPECT_EQ(b.value, Value(2));
  });
}

/// The rows of `inputs` as text, values in their repr: what a simulator can tell apart.
std::vector<std::string> rows_of(const Inputs& inputs) {
  std::vector<std::string> out;
  for (const sim::Input& in : inputs) {
    out.push_back(std::string(in.eid) + "." + std::string(in.attr) + "<" + std::string(in.source) + "=" +
                  to_repr(in.value) + ":" + std::string(in.value.kind_name()));
  }
  return out;
}

/// {eid: {attr: {source: value}}} from rows given in order (repeats kept, as a peer may send them).
Value inputs_of(std::vector<std::tuple<std::string, std::string, std::string, Value>> rows) {
  Map entities;
  for (auto& [eid, attr, source, value] : rows) {
    Map sources;
    sources.emplace_back(source, std::move(value));
    Map attrs;
    attrs.emplace_back(attr, Value(std::move(sources)));
    entities.emplace_back(eid, Value(std::move(attrs)));
  }
  return Value(std::move(entities));
}

TEST(MosaikStep, EveryShapeOfInputsReachesTheSimulatorAsTheJsonCodecDecodesIt) {
  // Each set of inputs is sent over the wire and must give the rows of the
  // codec's own decode of the same bytes (Python's dict rules for repeated keys).
  std::vector<Value> cases;
  cases.push_back(Value(Map{}));
  cases.push_back(inputs_of({{"M_0", "x", "A.a_0", 1}, {"M_1", "x", "A.a_0", 2}, {"M_0", "y", "B.b_0", 3}}));
  cases.push_back(Value::map({{"M_0", Value::map({{"x", Value::map({{"A.a_0", 1}, {"A.a_1", 2}, {"A.a_0", 3}})},
                                                   {"y", Value::map()},
                                                   {"x", Value::map({{"B.b_0", 4}})}})},
                              {"M_1", Value::map()}}));
  cases.push_back(Value::map({{"M_0", Value::map({{"x", Value::map({{"A.a_0", Value::array({1, 2.5, "t"})},
                                                                     {"A.a_1", Value::map({{"k", nullptr}, {"k", true}})},
                                                                     {"A.a_2", "caf\xc3\xa9 \"q\""},
                                                                     {"A.a_3", std::uint64_t{18446744073709551615u}},
                                                                     {"A.a_4", -0.0},
                                                                     {"A.a_5", 1e300}})}})}}));
  {
    // Wide groups (past the first few keys), without and with a repeat at the end of each.
    Map sources, entities;
    for (int i = 0; i < 40; ++i) sources.emplace_back("S.s_" + std::to_string(i), i);
    for (int i = 0; i < 40; ++i) entities.emplace_back("M_" + std::to_string(i), Value::map({{"x", Value(sources)}}));
    cases.push_back(Value(entities));
    // The same eids as the step before, but the last one is the first again.
    Map again = entities;
    again.back().first = Value("M_0");
    cases.push_back(Value(std::move(again)));
    sources.emplace_back("S.s_3", -1);
    for (auto& [eid, attrs] : entities) attrs = Value::map({{"x", Value(sources)}});
    entities.emplace_back("M_7", Value::map({{"y", Value::map({{"S.s_0", 0}})}}));
    cases.push_back(Value(std::move(entities)));
  }
  Loop loop;
  ExternalClock clock(loop, 0);
  TestSim sim(loop, clock, SimulatorType::time_based, inputs_counted);
  play(loop, sim, [&cases](FakeMosaik* m, TestSim* s) -> Task<> {
    co_await setup(m, 1.0);
    const Codec json(Format::json);
    for (std::size_t i = 0; i < cases.size(); ++i) {
      SCOPED_TRACE("case " + std::to_string(i));
      const Inputs expected(json.decode(json.encode(cases[i])));
      test::MosaikReply r = co_await step(m, static_cast<Time>(i), cases[i], 100);
      EXPECT_EQ(r.type, 1) << to_repr(r.content);
      EXPECT_EQ(rows_of(s->last_inputs), rows_of(expected));
      EXPECT_EQ(s->last_inputs.find("M_0").size(), expected.find("M_0").size());
      EXPECT_EQ(s->last_inputs.find("M_7", "y").size(), expected.find("M_7", "y").size());
      // mosaik's argument rebuilt from the rows: the same but for entities and attributes without a value.
      EXPECT_EQ(Inputs(s->last_inputs.value()).size(), expected.size());
    }
    // An API 2 step (no max_advance) and a step with keyword arguments are served as well.
    Array args;
    args.emplace_back(Time{10});
    args.emplace_back(cases[3]);
    test::MosaikReply r = co_await m->call("step", std::move(args), Map{});
    EXPECT_EQ(r.type, 1) << to_repr(r.content);
    EXPECT_EQ(rows_of(s->last_inputs).size(), 6u);
    Map kwargs;
    kwargs.emplace_back("extra", 1);
    r = co_await m->call("step", args_of(Time{11}, cases[1], Time{100}), std::move(kwargs));
    EXPECT_EQ(r.type, 1) << to_repr(r.content);
    EXPECT_EQ(rows_of(s->last_inputs).size(), 2u);  // M_0 named twice: its second dict wins
  });
}

TEST(MosaikStep, GetDataAnswersEachEntityOnceWhateverTheRequestRepeats) {
  Loop loop;
  ExternalClock clock(loop, 0);
  TestSim sim(loop, clock, SimulatorType::time_based, inputs_counted);
  play(loop, sim, [](FakeMosaik* m, TestSim* s) -> Task<> {
    co_await setup(m, 1.0);
    s->count = 5;
    Map outputs;
    outputs.emplace_back("M_0", args_of("count"));
    outputs.emplace_back("M_1", Array{});
    outputs.emplace_back("M_0", args_of("x", "count"));
    Value data = co_await m->ok("get_data", args_of(Value(std::move(outputs))), Map{});
    EXPECT_TRUE(identical(data, Value::map({{"M_0", Value::map({{"count", 5}})}, {"M_1", Value::map({{"count", 5}})}})))
        << to_repr(data);
    Map one;
    one.emplace_back("M_2", args_of("count"));
    data = co_await m->ok("get_data", args_of(Value(std::move(one))), Map{});
    EXPECT_TRUE(identical(data, Value::map({{"M_2", Value::map({{"count", 5}})}}))) << to_repr(data);
  });
}

/// get_data answers with values of every kind, named in an order chosen by the test.
class OutputSim final : public sim::Simulator {
 public:
  using Simulator::Simulator;
  sim::Meta init(const std::string&, double, const sim::Params&) override {
    sim::Meta meta;
    meta.type = SimulatorType::event_based;
    meta.models["M"].attrs = {"a", "b", "c"};
    return meta;
  }
  std::vector<sim::EntityDescription> create(std::int64_t, const std::string&, const sim::Params&) override {
    return {{"M_0", "M", {}, {}, {}}};
  }
  Task<std::optional<Time>> step(Time, const Inputs&, Time) override { co_return std::nullopt; }
  sim::OutputData get_data(const sim::OutputRequest&) override { return make(); }

  sim::OutputData (*make)() = nullptr;
};

sim::OutputData every_kind() {
  sim::OutputData d;
  d.set("M_0", "a", 0.1);
  d.set("M_0", "b", Value::array({1e16, -0.0, 1e-7, std::numeric_limits<double>::quiet_NaN(), HUGE_VAL}));
  d.set("caf\xc3\xa9 \"\\", "\xf0\x9f\x98\x80\n", Value::map({{"k", Value::array({nullptr, true, "t"})}, {"n", -7}}));
  d.entity("M_2");
  d.set("M_0", "c", std::uint64_t{18446744073709551615u});  // M_0 again, after others: merged
  d.set("M_0", "a", "replaced");
  d.time = 3;
  return d;
}
sim::OutputData bytes_value() {
  sim::OutputData d;
  d.set("M_0", "a", Value::bytes("\x01"));  // JSON cannot carry bytes
  return d;
}
sim::OutputData nothing() { return {}; }

TEST(MosaikStep, GetDataRepliesAreTheBytesTheJsonCodecWritesForTheReplyValue) {
  Loop loop;
  ExternalClock clock(loop, 0);
  OutputSim sim(loop, clock);
  struct Run {
    static Task<> go(Loop* loop, OutputSim* sim) {
      test::LoopbackMosaik link = co_await test::connect_loopback(*loop, sim);
      FakeMosaik* m = link.master.get();
      (void)co_await m->ok("init", args_of("S"), Map{});
      (void)co_await m->ok("create", args_of(1, "M"), Map{});
      const Codec json(Format::json);
      std::int64_t id = 2;
      for (sim::OutputData (*make)() : {every_kind, nothing, bytes_value}) {
        sim->make = make;
        Map outputs;
        outputs.emplace_back("M_0", args_of("a"));
        m->send(0, Value(id), Value::array({"get_data", Value::array({Value(std::move(outputs))}), Value::map()}));
        std::optional<std::string> payload = co_await m->peer().read_frame();
        EXPECT_TRUE(payload);
        if (!payload) co_return;
        sim::OutputData expected = make();
        Value content;
        int type = 1;
        try {
          content = expected.take();
          (void)json.encode(content);
        } catch (const SerializationError& e) {
          // The reply is a failure naming the encode error, as any reply that cannot be encoded.
          type = 2;
          Value got = json.decode(*payload);
          EXPECT_EQ(got[0], Value(2)) << *payload;
          EXPECT_NE(to_repr(got[2]).find("bytes is not JSON serializable"), std::string::npos) << *payload;
        }
        if (type == 1) {
          EXPECT_EQ(*payload, json.encode(Value::array({1, id, content})));
        }
        ++id;
      }
      co_await m->stop();
    }
  };
  loop.run(Run::go(&loop, &sim));
  loop.run_until_idle();
}

// -- failures ---------------------------------------------------------------------

void expect_failure_shape(const test::MosaikReply& r) {
  EXPECT_EQ(r.type, 2);
  ASSERT_TRUE(r.content.is_array()) << to_repr(r.content);
  ASSERT_GE(r.content.size(), 2u);
  for (const auto& e : r.content.as_array()) EXPECT_TRUE(e.is_string()) << to_repr(r.content);
  EXPECT_FALSE(r.content[0].as_string().empty());
}

TEST(MosaikFailures, BadCreateGetsAMosaikShapedFailureAndTheConnectionStaysUsable) {
  Loop loop;
  ExternalClock clock(loop, 0);
  TestSim sim(loop, clock, SimulatorType::time_based, inputs_counted);
  play(loop, sim, [](FakeMosaik* m, TestSim*) -> Task<> {
    Map kwargs;
    kwargs.emplace_back("time_resolution", 1.0);
    (void)co_await m->ok("init", args_of("S"), std::move(kwargs));
    Map bad;
    bad.emplace_back("init", "bad");
    test::MosaikReply r = co_await m->call("create", args_of(1, "M"), std::move(bad));
    expect_failure_shape(r);
    EXPECT_EQ(r.content[0], Value("TypeError"));
    EXPECT_EQ(r.content[1], Value("init must be an integer, got 'bad'"));
    r = co_await m->call("create", args_of(1, "Nope"), Map{});
    expect_failure_shape(r);
    r = co_await m->call("create", args_of("one", "M"), Map{});
    expect_failure_shape(r);
    Map good;
    good.emplace_back("init", 5);
    Value created = co_await m->ok("create", args_of(1, "M"), std::move(good));
    EXPECT_EQ(created[0].at("eid"), Value("M_0"));
  });
}

TEST(MosaikFailures, BadStepInputGetsAFailureReply) {
  Loop loop;
  ExternalClock clock(loop, 0);
  TestSim sim(loop, clock, SimulatorType::time_based, inputs_counted);
  play(loop, sim, [](FakeMosaik* m, TestSim*) -> Task<> {
    co_await setup(m, 1.0);
    expect_failure_shape(co_await step(m, 0, Value("not a dict"), 10));
    Map attrs;
    attrs.emplace_back("x", 3);  // must be {src: value}
    Map inputs;
    inputs.emplace_back("M_0", Value(std::move(attrs)));
    expect_failure_shape(co_await step(m, 0, Value(std::move(inputs)), 10));
    Array args;
    args.emplace_back(1.5);  // times are ints
    args.emplace_back(Map{});
    args.emplace_back(10);
    expect_failure_shape(co_await m->call("step", std::move(args), Map{}));
    // None of that counted as a step: step 0 is still possible, then time must advance.
    EXPECT_EQ(co_await step_ok(m, 0), Value(1));
    expect_failure_shape(co_await step(m, 0, Value(Map{}), 10));
    EXPECT_EQ(co_await step_ok(m, 1), Value(2));
  });
}

TEST(MosaikFailures, UnknownMethodAndMalformedRequestGetFailureReplies) {
  Loop loop;
  ExternalClock clock(loop, 0);
  TestSim sim(loop, clock, SimulatorType::time_based, inputs_counted);
  play(loop, sim, [](FakeMosaik* m, TestSim*) -> Task<> {
    co_await setup(m, 1.0);
    test::MosaikReply r = co_await m->call("frobnicate", Array{}, Map{});
    expect_failure_shape(r);
    EXPECT_EQ(r.content[0], Value("AttributeError"));
    m->send(0, Value(1000), Value("not a triple"));
    auto payload = co_await m->peer().read_frame();
    EXPECT_TRUE(payload.has_value());
    if (payload) {
      Value frame = Codec(Format::json).decode(*payload);
      EXPECT_EQ(frame[0], Value(2));
      EXPECT_EQ(frame[1], Value(1000));
      EXPECT_GE(frame[2].size(), 2u);
    }
  });
}

Task<> failing_task() {
  co_await std::suspend_never{};
  throw ValueError("the model broke");
}

Task<std::optional<Time>> spawn_failing(TestSim* sim, Time time, const Inputs*, Time) {
  sim->tasks().spawn(failing_task());
  co_return time + 1;
}

TEST(MosaikFailures, AModelTaskFailingDuringAStepFailsTheStep) {
  Loop loop;
  ExternalClock clock(loop, 0);
  TestSim sim(loop, clock, SimulatorType::time_based, spawn_failing);
  play(loop, sim, [](FakeMosaik* m, TestSim*) -> Task<> {
    co_await setup(m, 1.0);
    test::MosaikReply r = co_await step(m, 0, Value(Map{}), 10);
    expect_failure_shape(r);
    EXPECT_EQ(r.content[0], Value("ValueError"));
    EXPECT_EQ(r.content[1], Value("the model broke"));
  });
}

// -- requests to mosaik -----------------------------------------------------------------

Task<std::optional<Time>> asks_mosaik(TestSim* sim, Time time, const Inputs*, Time) {
  double progress = co_await sim->mosaik().get_progress();
  sim->count = static_cast<std::int64_t>(progress);
  auto related = co_await sim->mosaik().get_related_entities(sim->full_id("M_0"));
  sim->count += static_cast<std::int64_t>(related.size()) * 1000;
  co_await sim->mosaik().set_event(time + 2);
  co_return time + 1;
}

TEST(MosaikRequests, RequestsToMosaikInsideAStepAreAnsweredBeforeTheStepReply) {
  Loop loop;
  ExternalClock clock(loop, 0);
  TestSim sim(loop, clock, SimulatorType::time_based, asks_mosaik);
  play(loop, sim, [](FakeMosaik* m, TestSim* s) -> Task<> {
    m->handler = [](const Value& content) -> Value {
      const std::string& f = content[0].as_string();
      if (f == "get_progress") return Value(42.5);
      if (f == "get_related_entities") {
        Map node;
        node.emplace_back("sid", "X");
        node.emplace_back("type", "T");
        Map nodes;
        nodes.emplace_back("X.a", Value(node));
        nodes.emplace_back("X.b", Value(node));
        return Value(std::move(nodes));
      }
      return Value();
    };
    co_await setup(m, 1.0);
    EXPECT_EQ(co_await step_ok(m, 0), Value(1));
    EXPECT_EQ(s->count, 2042);
    EXPECT_EQ(m->requests.size(), 3u);
    if (m->requests.size() == 3) {
      EXPECT_EQ(m->requests[0][0], Value("get_progress"));
      EXPECT_EQ(m->requests[1][1], args_of("S.M_0"));
      EXPECT_EQ(m->requests[2][0], Value("set_event"));
      EXPECT_EQ(m->requests[2][1], args_of(2));
    }
  });
}

// -- lifecycle ----------------------------------------------------------------------------

TEST(MosaikLifecycle, InitPassesScenarioParamsAndExtraMethodsAreCallable) {
  Loop loop;
  ExternalClock clock(loop, 0);
  TestSim sim(loop, clock, SimulatorType::hybrid, nothing);
  sim.add_extra_method("twice", [](const Array& args, const sim::Params&) { return Value(args.at(0).as_int() * 2); });
  play(loop, sim, [](FakeMosaik* m, TestSim* s) -> Task<> {
    Map kwargs;
    kwargs.emplace_back("time_resolution", 0.25);
    kwargs.emplace_back("speed", 3);
    Value meta = co_await m->ok("init", args_of("S"), std::move(kwargs));
    EXPECT_EQ(meta.at("type"), Value("hybrid"));
    EXPECT_EQ(meta.at("api_version"), Value("3.0"));
    EXPECT_EQ(meta.at("extra_methods"), args_of("twice"));
    EXPECT_EQ(meta.at("models").at("M").at("public"), Value(true));
    EXPECT_EQ(s->init_params.size(), 1u);
    EXPECT_EQ(s->init_params.at("speed"), Value(3));
    EXPECT_EQ(s->time_resolution(), 0.25);
    EXPECT_EQ(s->sid(), "S");
    EXPECT_EQ(co_await m->ok("twice", args_of(21), Map{}), Value(42));
  });
}

/// Connects a fake mosaik to `sim` over loopback, runs init, create and
/// setup_done, hands the link to `ending` (which ends the session its own
/// way), then runs the loop until idle.
using Ending = Task<> (*)(test::LoopbackMosaik* link, TestSim* sim);
void set_up_then(TestSim& sim, Ending ending) {
  struct Run {
    static Task<> go(TestSim* sim, Ending ending) {
      test::LoopbackMosaik link = co_await test::connect_loopback(sim->loop(), sim);
      co_await setup(link.master.get(), 1.0);
      co_await ending(&link, sim);
    }
  };
  sim.loop().run(Run::go(&sim, ending));
  sim.loop().run_until_idle();
}

TEST(MosaikLifecycle, EofEndsServingAndCallsStop) {
  Loop loop;
  ExternalClock clock(loop, 0);
  TestSim sim(loop, clock, SimulatorType::hybrid, nothing);
  set_up_then(sim, [](test::LoopbackMosaik* link, TestSim* s) -> Task<> {
    link->master.reset();  // closes the socket
    for (int i = 0; i < 100 && !s->stopped; ++i) co_await s->loop().yield();
  });
  EXPECT_TRUE(sim.stopped);
  EXPECT_FALSE(sim.mosaik().connected());
}

TEST(MosaikLifecycle, ShutdownIsAwaitedAfterStopBeforeTheConnectionCloses) {
  Loop loop;
  ExternalClock clock(loop, 0);
  TestSim sim(loop, clock, SimulatorType::hybrid, nothing);
  set_up_then(sim, [](test::LoopbackMosaik* link, TestSim* s) -> Task<> {
    co_await link->master->stop();  // returns once the simulator has closed the connection
    EXPECT_TRUE(s->shut_down);
  });
  EXPECT_TRUE(sim.stopped_before_shutdown);
  EXPECT_TRUE(sim.shut_down);
}

TEST(MosaikLifecycle, ParseEndpointTakesBothStartModes) {
  std::string error;
  const char* cmd[] = {"prog", "127.0.0.1:5678"};
  auto e = sim::parse_endpoint(2, const_cast<char**>(cmd), error);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host_port, "127.0.0.1:5678");
  EXPECT_FALSE(e->listen);
  const char* listen[] = {"prog", "--listen", "0.0.0.0:5678"};
  e = sim::parse_endpoint(3, const_cast<char**>(listen), error);
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->listen);
  const char* bad[] = {"prog", "--frob"};
  EXPECT_FALSE(sim::parse_endpoint(2, const_cast<char**>(bad), error));
  EXPECT_NE(error.find("unknown option"), std::string::npos);
  const char* none[] = {"prog"};
  EXPECT_FALSE(sim::parse_endpoint(1, const_cast<char**>(none), error));
}

TEST(MosaikLifecycle, ParseEndpointTakesAnAcceptTimeoutDefaultingToSixtySeconds) {
  std::string error;
  const char* plain[] = {"prog", "--listen", "127.0.0.1:5678"};
  auto e = sim::parse_endpoint(3, const_cast<char**>(plain), error);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->accept_timeout, 60.0);
  const char* spaced[] = {"prog", "--listen", "127.0.0.1:5678", "--timeout", "2.5"};
  e = sim::parse_endpoint(5, const_cast<char**>(spaced), error);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->accept_timeout, 2.5);
  EXPECT_EQ(e->host_port, "127.0.0.1:5678");
  const char* joined[] = {"prog", "--timeout=7", "-r", "127.0.0.1:5678"};
  e = sim::parse_endpoint(4, const_cast<char**>(joined), error);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->accept_timeout, 7.0);
  EXPECT_TRUE(e->listen);
  const char* bad[] = {"prog", "--listen", "127.0.0.1:5678", "--timeout", "soon"};
  EXPECT_FALSE(sim::parse_endpoint(5, const_cast<char**>(bad), error));
  EXPECT_NE(error.find("--timeout needs"), std::string::npos);
  const char* missing[] = {"prog", "--listen", "127.0.0.1:5678", "--timeout"};
  EXPECT_FALSE(sim::parse_endpoint(4, const_cast<char**>(missing), error));
}

// -- the channel extension mosaik needs ------------------------------------------------------

Task<> fail_with_array(Channel channel) {
  Request r = co_await channel.recv();
  Array content;
  content.emplace_back("ErrorType");
  content.emplace_back("message");
  co_await r.fail_value(Value(std::move(content)));
}

TEST(ChannelFailValue, SendsArbitraryFailureContentAsIs) {
  Loop loop;
  struct Run {
    static Task<> go(Loop* loop) {
      auto server = start_server(*loop, "tcp://127.0.0.1:0", [](Channel c) { return fail_with_array(std::move(c)); });
      auto peer = co_await test::RawPeer::connect(*loop, server->address());
      peer->write_frame("[0, 7, \"hi\"]");
      auto payload = co_await peer->read_frame();
      EXPECT_TRUE(payload.has_value());
      if (payload) {
        Value want(args_of(2, 7, Value(args_of("ErrorType", "message"))));
        EXPECT_EQ(Codec(Format::json).decode(*payload), want);
      }
      peer.reset();
      co_await server->shutdown();
    }
  };
  loop.run(Run::go(&loop));
}

}  // namespace
