// Role `relay` (MOSAIK.md §12, scenarios event_selfstep and event_outtime):
// an event-based simulator; each Relay is an agent that passes
// factor · sum(in) on after `delay` steps. In mode self_step the delay is a
// clock timer of the agent (the adapter asks mosaik for a self-step at its
// deadline); in mode output_time the value leaves at once, stamped with the
// output time t + delay.
// Spawned as "Relay" with [time_resolution, factor, delay, output_time_mode].

#include "roles.hpp"

#include <uvmas/core/error.hpp>

#include <vector>

namespace uvmas::sim::roles {

namespace {

/// One Relay entity.
class RelayAgent final : public Agent {
 public:
  RelayAgent(Container& container, TimeScale scale, Value factor, std::int64_t delay, bool output_time_mode)
      : Agent(container),
        scale_(scale),
        factor_(std::move(factor)),
        delay_(delay),
        output_time_mode_(output_time_mode) {
    expose("step", &RelayAgent::step);
  }
  // The timers point at this agent: none may fire once it is gone.
  ~RelayAgent() override {
    for (auto& timer : timers_) timer.cancel();
  }

  /// Takes this step's `in` values; returns the emission ready now
  /// ({"out", "max_adv"}), or an empty map for none.
  EntityData step(Time time, EntityInputs inputs, Time max_advance) {
    if (const SourceValues* in = find_attr(inputs, "in")) {
      EntityData e;
      e["out"] = multiply(factor_, sum(in));
      e["max_adv"] = Value(max_advance);
      if (output_time_mode_ || delay_ == 0) {
        ready_ = std::move(e);
      } else {
        // The emission waits on the clock; the pending timer is the self-step.
        std::erase_if(timers_, [](const TimerHandle& t) { return !t.active(); });
        timers_.push_back(container().clock().call_at(scale_.to_seconds(time + delay_),
                                                      [this, e = std::move(e)]() mutable { ready_ = std::move(e); }));
      }
    }
    EntityData out = std::move(ready_);
    ready_.clear();
    return out;
  }

 private:
  TimeScale scale_;
  Value factor_;
  std::int64_t delay_;
  bool output_time_mode_;
  EntityData ready_;
  std::vector<TimerHandle> timers_;
};

class RelaySimulator final : public Simulator {
 public:
  RelaySimulator(Loop& loop, ExternalClock& clock, const Workers& workers)
      : Simulator(loop, clock), entities_(workers, types_) {
    add_relay_types(types_);
  }

  Meta init(const std::string& sid, double, const Params& params) override {
    delay_ = int_param(params, "delay", 0);
    if (delay_ < 0) throw ValueError("delay must not be negative, got " + std::to_string(delay_));
    if (auto it = params.find("mode"); it != params.end()) {
      if (!it->second.is_string()) throw TypeError("mode must be a string, got " + to_repr(it->second));
      const std::string& mode = it->second.as_string();
      if (mode != "self_step" && mode != "output_time") {
        throw ValueError("mode must be \"self_step\" or \"output_time\", got \"" + mode + "\"");
      }
      output_time_mode_ = mode == "output_time";
    }
    entities_.open(*this, sid);
    Meta meta;
    meta.type = SimulatorType::event_based;
    ModelMeta& relay = meta.models["Relay"];
    relay.params = {"factor"};
    relay.attrs = {"in", "out", "max_adv"};
    return meta;
  }

  std::vector<EntityDescription> create(std::int64_t num, const std::string& model, const Params& params) override {
    if (model != "Relay") throw ValueError("unknown model \"" + model + "\"");
    Value factor(1);
    if (auto it = params.find("factor"); it != params.end()) {
      if (!it->second.is_number()) throw TypeError("factor must be a number, got " + to_repr(it->second));
      factor = it->second;
    }
    std::vector<EntityDescription> out;
    for (std::int64_t i = 0; i < num; ++i) {
      std::string eid = "Relay_" + std::to_string(entities_.size());
      Array args;
      args.emplace_back(time_resolution());
      args.push_back(factor);
      args.emplace_back(delay_);
      args.emplace_back(output_time_mode_);
      entities_.spawn(eid, "Relay", std::move(args));
      out.push_back({eid, "Relay", {}, {}, {}});
    }
    return out;
  }

  Task<std::optional<Time>> step(Time time, const Inputs& inputs, Time max_advance) override {
    output_time_.reset();
    // Every Relay is asked, inputs or not: its own timer may have made an emission ready.
    std::map<std::string, EntityData> emissions;
    co_await entities_.step_all(time, inputs, max_advance, emissions, EntityAgents::StepOrder::together);
    for (auto& [eid, emission] : emissions) {
      // Kept until get_data sends it (presence is the event), as an unsent one is.
      if (!emission.empty()) ready_[eid] = std::move(emission);
      const bool has_input = !inputs.find(eid, "in").empty();
      if (has_input && output_time_mode_ && delay_ > 0) output_time_ = time + delay_;
    }
    co_return std::nullopt;
  }

  OutputData get_data(const OutputRequest& outputs) override {
    OutputData data;
    for (const auto& [eid, attrs] : outputs) {
      auto ready = ready_.find(std::string(eid));
      if (ready == ready_.end()) continue;
      OutputData::EntityOutput d = data.entity(eid);
      for (std::string_view attr : attrs) {
        if (auto v = ready->second.find(std::string(attr)); v != ready->second.end()) d.set(attr, v->second);
      }
      ready_.erase(ready);  // presence is the event: send it once
    }
    if (!data.empty()) data.time = output_time_;
    return data;
  }

  Task<> shutdown() override { return entities_.stop(); }

 private:
  subproc::AgentTypes types_;
  EntityAgents entities_;
  std::map<std::string, EntityData> ready_;  // emissions handed over and not yet sent, by eid
  std::int64_t delay_ = 0;
  bool output_time_mode_ = false;
  std::optional<Time> output_time_;
};

}  // namespace

void add_relay_types(subproc::AgentTypes& types) {
  types.add("Relay", [](Container& c, const Array& args, const Map& kwargs) -> Agent& {
    const TimeScale scale{subproc::argument<double>(args, kwargs, 0, "time_resolution")};
    return c.spawn<RelayAgent>(scale, subproc::argument<Value>(args, kwargs, 1, "factor"),
                               subproc::argument<std::int64_t>(args, kwargs, 2, "delay"),
                               subproc::argument<bool>(args, kwargs, 3, "output_time_mode"));
  });
}

std::unique_ptr<Simulator> make_relay(Loop& loop, ExternalClock& clock, const Workers& workers) {
  return std::make_unique<RelaySimulator>(loop, clock, workers);
}

std::unique_ptr<Simulator> make_relay(Loop& loop, ExternalClock& clock) { return make_relay(loop, clock, Workers()); }

}  // namespace uvmas::sim::roles
