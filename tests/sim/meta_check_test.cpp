// The meta is checked before it is sent: a meta mosaik 3 would refuse or
// misread fails `init` with one clear message from the simulator.

#include "fake_mosaik.hpp"

#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/sim/mosaik.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace {

using namespace uvmas;
using sim::Meta;
using sim::SimulatorType;

class MetaSim : public sim::Simulator {
 public:
  MetaSim(Loop& loop, ExternalClock& clock, Meta meta) : Simulator(loop, clock), meta_(std::move(meta)) {}
  Meta init(const std::string&, double, const sim::Params&) override { return meta_; }
  std::vector<sim::EntityDescription> create(std::int64_t, const std::string&, const sim::Params&) override {
    return {};
  }
  Task<std::optional<sim::Time>> step(sim::Time time, const sim::Inputs&, sim::Time) override {
    co_return time + 1;
  }
  sim::OutputData get_data(const sim::OutputRequest&) override { return {}; }

 private:
  Meta meta_;
};

// The init reply for `meta`: "ok" or "<ErrorType>: <message>".
std::string init_outcome(Meta meta, const std::function<void(MetaSim&)>& extra = {}) {
  Loop loop;
  ExternalClock clock(loop, 0);
  MetaSim sim(loop, clock, std::move(meta));
  if (extra) extra(sim);
  std::string out;
  loop.run([&]() -> Task<> {
    test::LoopbackMosaik link = co_await test::connect_loopback(loop, &sim);
    Map kwargs;
    kwargs.emplace_back("time_resolution", 1.0);
    Array args;
    args.emplace_back("S");
    test::MosaikReply r = co_await link.master->call("init", std::move(args), std::move(kwargs));
    out = r.type == 1 ? "ok" : r.content[0].as_string() + ": " + r.content[1].as_string();
    co_await link.master->stop();
  }());
  return out;
}

Meta with_model(SimulatorType type, sim::ModelMeta model) {
  Meta meta;
  meta.type = type;
  meta.models.emplace("Model", std::move(model));
  return meta;
}

TEST(MetaCheck, AValidMetaPasses) {
  sim::ModelMeta m;
  m.attrs = {"a", "b", "out"};
  m.trigger = {"a"};
  m.non_persistent = {"out"};
  EXPECT_EQ(init_outcome(with_model(SimulatorType::hybrid, m)), "ok");
}

TEST(MetaCheck, AnAttributeBothTriggerAndNonTriggerIsRefused) {
  sim::ModelMeta m;
  m.attrs = {"a", "b"};
  m.trigger = {"a"};
  m.non_trigger = {"a", "b"};
  EXPECT_EQ(init_outcome(with_model(SimulatorType::hybrid, m)),
            "ValueError: invalid meta: model 'Model': attribute 'a' is both trigger and non-trigger");
}

TEST(MetaCheck, ATimeBasedModelCannotDeclareEventsOrTriggers) {
  sim::ModelMeta m;
  m.attrs = {"a", "out"};
  m.non_persistent = {"out"};
  EXPECT_EQ(init_outcome(with_model(SimulatorType::time_based, m)),
            "ValueError: invalid meta: model 'Model': a time-based simulator cannot declare non-persistent "
            "attributes (out)");
  sim::ModelMeta t;
  t.attrs = {"a"};
  t.trigger = {"a"};
  EXPECT_EQ(init_outcome(with_model(SimulatorType::time_based, t)),
            "ValueError: invalid meta: model 'Model': a time-based simulator cannot declare trigger attributes (a)");
  sim::ModelMeta p;  // persistent lists are what time-based means: allowed, but only of known attrs
  p.attrs = {"a"};
  p.persistent = {"a"};
  EXPECT_EQ(init_outcome(with_model(SimulatorType::time_based, p)), "ok");
  p.persistent = {"x"};
  EXPECT_EQ(init_outcome(with_model(SimulatorType::time_based, p)),
            "ValueError: invalid meta: model 'Model': 'x' is in persistent but not in attrs");
}

TEST(MetaCheck, ReservedNamesAreRefused) {
  Meta meta;
  meta.models.emplace("step", sim::ModelMeta{});
  EXPECT_EQ(init_outcome(meta),
            "ValueError: invalid meta: model name 'step' is reserved for mosaik's own calls");
  Meta plain = with_model(SimulatorType::time_based, sim::ModelMeta{});
  plain.extra_methods = {"get_data"};
  EXPECT_EQ(init_outcome(plain),
            "ValueError: invalid meta: extra method name 'get_data' is reserved for mosaik's own calls");
  plain.extra_methods.clear();
  EXPECT_EQ(init_outcome(plain,
                         [](MetaSim& s) {
                           s.add_extra_method("Model", [](const Array&, const sim::Params&) { return Value(); });
                         }),
            "ValueError: invalid meta: extra method 'Model' has the name of a model");
}

TEST(MetaCheck, OnlyApiVersionThreeIsSpoken) {
  Meta meta = with_model(SimulatorType::time_based, sim::ModelMeta{});
  meta.api_version = "2.2";
  EXPECT_EQ(init_outcome(meta),
            "ValueError: invalid meta: api_version '2.2': uvmas simulators speak mosaik API 3 only (\"3.0\")");
  meta.api_version = "3.0.13";
  EXPECT_EQ(init_outcome(meta), "ok");
  meta.api_version = "3.x";
  EXPECT_EQ(init_outcome(meta), "ValueError: invalid meta: api_version '3.x' is not major.minor[.patch] in digits");
}

}  // namespace
