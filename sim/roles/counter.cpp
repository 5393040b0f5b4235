// Role `counter` (MOSAIK.md §12, scenarios time_based and failure): a
// time-based simulator; each Counter is an agent that adds up its `delta`
// inputs and sets a clock timer step_size steps ahead, which the adapter
// turns into the step's reply.

#include "roles.hpp"

#include <uvmas/core/error.hpp>

#include <algorithm>

namespace uvmas::sim::roles {

namespace {

/// One Counter entity.
class CounterAgent final : public Agent {
 public:
  CounterAgent(Container& container, Simulator& sim, std::int64_t init, std::int64_t step_size)
      : Agent(container), sim_(sim), value_(init), step_size_(step_size) {
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
    next_ = container().clock().call_at(sim_.to_seconds(time + step_size_), [] {});
    return outputs();
  }

  EntityData outputs() const {
    EntityData d;
    d["value"] = value_;
    d["t_last"] = t_last_;
    d["max_adv"] = max_adv_;
    return d;
  }

 private:
  Simulator& sim_;
  Value value_;
  Value t_last_;
  Value max_adv_;
  std::int64_t step_size_;
  TimerHandle next_;
};

class CounterSimulator final : public Simulator {
 public:
  CounterSimulator(Loop& loop, ExternalClock& clock) : Simulator(loop, clock) {
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
      CounterAgent& agent = entities_.spawn<CounterAgent>(eid, *this, init, step_size_);
      outputs_[eid] = agent.outputs();
      out.push_back({eid, "Counter", {}, {}, {}});
    }
    return out;
  }

  Task<std::optional<Time>> step(Time time, const Inputs& inputs, Time max_advance) override {
    co_await entities_.step_all(time, inputs, max_advance, outputs_);
    // Without entities no agent sets a timer, yet a time-based simulator must name its next step.
    if (entities_.size() == 0) co_return time + step_size_;
    co_return std::nullopt;
  }

  OutputData get_data(const OutputRequest& outputs) override {
    return pick_outputs(outputs_, outputs, MissingOutput::fail);
  }

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

  EntityAgents entities_;
  std::map<std::string, EntityData> outputs_;  // what each Counter returned from its last step
  double resolution_ = 1.0;
  std::int64_t step_size_ = 1;
};

}  // namespace

std::unique_ptr<Simulator> make_counter(Loop& loop, ExternalClock& clock) {
  return std::make_unique<CounterSimulator>(loop, clock);
}

}  // namespace uvmas::sim::roles
