// Role `counter` (MOSAIK.md §12, scenarios time_based and failure): a
// time-based simulator; each Counter is an agent that adds up its `delta`
// inputs and sets a clock timer step_size steps ahead, which the adapter
// turns into the step's reply.
// Spawned as "Counter" with [time_resolution, init, step_size].

#include "roles.hpp"

#include <uvmas/core/error.hpp>

#include <algorithm>

namespace uvmas::sim::roles {

namespace {

/// One Counter entity.
class CounterAgent final : public Agent {
 public:
  CounterAgent(Container& container, TimeScale scale, std::int64_t init, std::int64_t step_size)
      : Agent(container), scale_(scale), value_(init), step_size_(step_size) {
    expose("step", &CounterAgent::step);
  }
  ~CounterAgent() override { next_.cancel(); }

  /// Adds the inputs up; returns value, t_last and max_adv.
  EntityData step(Time time, EntityInputs inputs, Time max_advance) {
    value_ = add(value_, sum(find_attr(inputs, "delta")));
    t_last_ = Value(time);
    max_adv_ = Value(max_advance);
    // The next step is this timer; nothing needs to run then, its deadline is the point.
    next_.cancel();
    next_ = container().clock().call_at(scale_.to_seconds(time + step_size_), [] {});
    return outputs(value_, t_last_, max_adv_);
  }

  /// The outputs of a Counter (before its first step: value init, the others null).
  static EntityData outputs(Value value, Value t_last, Value max_adv) {
    EntityData d;
    d["value"] = std::move(value);
    d["t_last"] = std::move(t_last);
    d["max_adv"] = std::move(max_adv);
    return d;
  }

 private:
  TimeScale scale_;
  Value value_;
  Value t_last_;
  Value max_adv_;
  std::int64_t step_size_;
  TimerHandle next_;
};

class CounterSimulator final : public Simulator {
 public:
  CounterSimulator(Loop& loop, ExternalClock& clock, const Workers& workers)
      : Simulator(loop, clock), entities_(workers, types_) {
    add_counter_types(types_);
    add_extra_method("info", [this](const Array&, const Params&) { return info(); });
  }

  Meta init(const std::string& sid, double time_resolution, const Params& params) override {
    resolution_ = time_resolution;
    step_size_ = int_param(params, "step_size", 1);
    if (step_size_ < 1) throw ValueError("step_size must be at least 1, got " + std::to_string(step_size_));
    entities_.open(*this, sid);
    Meta meta;
    meta.type = SimulatorType::time_based;
    ModelMeta& counter = meta.models["Counter"];
    counter.params = {"init"};
    counter.attrs = {"delta", "value", "t_last", "max_adv"};
    return meta;
  }

  std::vector<EntityDescription> create(std::int64_t num, const std::string& model, const Params& params) override {
    if (model != "Counter") throw ValueError("unknown model \"" + model + "\"");
    // Checked before any eid is taken: a failed create consumes none.
    const std::int64_t init = int_param(params, "init", 0);
    std::vector<EntityDescription> out;
    for (std::int64_t i = 0; i < num; ++i) {
      std::string eid = "Counter_" + std::to_string(entities_.size());
      Array args;
      args.emplace_back(resolution_);
      args.emplace_back(init);
      args.emplace_back(step_size_);
      entities_.spawn(eid, "Counter", std::move(args));
      outputs_[eid] = CounterAgent::outputs(Value(init), Value(), Value());
      out.push_back({eid, "Counter", {}, {}, {}});
    }
    return out;
  }

  Task<std::optional<Time>> step(Time time, const Inputs& inputs, Time max_advance) override {
    co_await entities_.step_all(time, inputs, max_advance, outputs_, EntityAgents::StepOrder::together);
    // Without entities no agent sets a timer, yet a time-based simulator must name its next step.
    if (entities_.size() == 0) co_return time + step_size_;
    co_return std::nullopt;
  }

  OutputData get_data(const OutputRequest& outputs) override {
    return pick_outputs(outputs_, outputs, MissingOutput::fail);
  }

  Task<> shutdown() override { return entities_.stop(); }

 private:
  Value info() const {
    std::vector<std::string> eids;
    for (std::size_t i = 0; i < entities_.size(); ++i) eids.push_back(entities_.eid(i));
    std::sort(eids.begin(), eids.end());
    Array entities(eids.begin(), eids.end());
    Map m;
    m.emplace_back("sid", sid());
    m.emplace_back("time_resolution", resolution_);
    m.emplace_back("step_size", step_size_);
    m.emplace_back("entities", Value(std::move(entities)));
    return Value(std::move(m));
  }

  subproc::AgentTypes types_;
  EntityAgents entities_;
  std::map<std::string, EntityData> outputs_;  // what each Counter returned from its last step
  double resolution_ = 1.0;
  std::int64_t step_size_ = 1;
};

}  // namespace

void add_counter_types(subproc::AgentTypes& types) {
  types.add("Counter", [](Container& c, const Array& args, const Map& kwargs) -> Agent& {
    const TimeScale scale{subproc::argument<double>(args, kwargs, 0, "time_resolution")};
    return c.spawn<CounterAgent>(scale, subproc::argument<std::int64_t>(args, kwargs, 1, "init"),
                                 subproc::argument<std::int64_t>(args, kwargs, 2, "step_size"));
  });
}

std::unique_ptr<Simulator> make_counter(Loop& loop, ExternalClock& clock, const Workers& workers) {
  return std::make_unique<CounterSimulator>(loop, clock, workers);
}

std::unique_ptr<Simulator> make_counter(Loop& loop, ExternalClock& clock) {
  return make_counter(loop, clock, Workers());
}

}  // namespace uvmas::sim::roles
