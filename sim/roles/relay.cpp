// Role `relay` (MOSAIK.md §12, scenarios event_selfstep and event_outtime):
// an event-based simulator; each Relay passes factor · sum(in) on after
// `delay` steps. In mode self_step the delay is a clock timer (the adapter
// asks mosaik for a self-step at its deadline); in mode output_time the value
// leaves at once, stamped with the output time t + delay.

#include "roles.hpp"

#include <uvmas/core/error.hpp>

#include <vector>

namespace uvmas::sim::roles {

namespace {

struct Emission {
  Value out;
  Value max_adv;
};

struct Relay {
  std::string eid;
  Value factor;
  std::optional<Emission> ready;
};

class RelaySimulator final : public Simulator {
 public:
  using Simulator::Simulator;
  // The timers point into relays_: none may fire once they are gone.
  ~RelaySimulator() override {
    for (auto& timer : timers_) timer.cancel();
  }

  Meta init(const std::string&, double, const Params& params) override {
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
      std::string eid = "Relay_" + std::to_string(relays_.size());
      relays_.push_back(std::make_unique<Relay>(Relay{eid, factor, std::nullopt}));
      out.push_back({eid, "Relay", {}, {}, {}});
    }
    return out;
  }

  Task<std::optional<Time>> step(Time time, const Inputs& inputs, Time max_advance) override {
    output_time_.reset();
    for (auto& relay : relays_) {
      const SourceValues* in = find_input(inputs, relay->eid, "in");
      if (!in) continue;
      Emission e{multiply(relay->factor, sum(in)), Value(max_advance)};
      if (output_time_mode_ || delay_ == 0) {
        relay->ready = std::move(e);
        if (output_time_mode_ && delay_ > 0) output_time_ = time + delay_;
      } else {
        // The emission waits on the clock; the pending timer is the self-step.
        Relay* r = relay.get();
        std::erase_if(timers_, [](const TimerHandle& t) { return !t.active(); });
        timers_.push_back(clock().call_at(to_seconds(time + delay_),
                                          [r, e = std::move(e)]() mutable { r->ready = std::move(e); }));
      }
    }
    co_return std::nullopt;
  }

  OutputData get_data(const OutputRequest& outputs) override {
    OutputData data;
    for (auto& relay : relays_) {
      auto wanted = outputs.find(relay->eid);
      if (wanted == outputs.end() || !relay->ready) continue;
      EntityData& d = data.entities[relay->eid];
      for (const auto& attr : wanted->second) {
        if (attr == "out") d[attr] = relay->ready->out;
        if (attr == "max_adv") d[attr] = relay->ready->max_adv;
      }
      relay->ready.reset();  // presence is the event: send it once
    }
    if (!data.entities.empty()) data.time = output_time_;
    return data;
  }

 private:
  std::vector<std::unique_ptr<Relay>> relays_;
  std::int64_t delay_ = 0;
  bool output_time_mode_ = false;
  std::optional<Time> output_time_;
  std::vector<TimerHandle> timers_;
};

}  // namespace

std::unique_ptr<Simulator> make_relay(Loop& loop, ExternalClock& clock) {
  return std::make_unique<RelaySimulator>(loop, clock);
}

}  // namespace uvmas::sim::roles
