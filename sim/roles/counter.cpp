// Role `counter` (MOSAIK.md §12, scenarios time_based and failure): a
// time-based simulator; each Counter adds up its `delta` inputs. Its next
// step is a clock timer step_size steps ahead, which the adapter turns into
// the step's reply.

#include "roles.hpp"

#include <uvmas/core/error.hpp>

#include <algorithm>

namespace uvmas::sim::roles {

namespace {

struct Counter {
  std::string eid;
  Value value;
  Value t_last;
  Value max_adv;
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
    (void)sid;
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
      std::string eid = "Counter_" + std::to_string(counters_.size());
      counters_.push_back({eid, Value(init), Value(), Value()});
      out.push_back({eid, "Counter", {}, {}, {}});
    }
    return out;
  }

  Task<std::optional<Time>> step(Time time, const Inputs& inputs, Time max_advance) override {
    for (Counter& c : counters_) {
      c.value = add(c.value, sum(find_input(inputs, c.eid, "delta")));
      c.t_last = Value(time);
      c.max_adv = Value(max_advance);
    }
    // The next step is a timer; nothing needs to run then, its deadline is the point.
    next_.cancel();
    next_ = clock().call_at(to_seconds(time + step_size_), [] {});
    co_return std::nullopt;
  }

  OutputData get_data(const OutputRequest& outputs) override {
    OutputData data;
    for (const auto& [eid, attrs] : outputs) {
      const Counter& c = find(eid);
      EntityData& d = data.entities[eid];
      for (const auto& attr : attrs) {
        if (attr == "value") {
          d[attr] = c.value;
        } else if (attr == "t_last") {
          d[attr] = c.t_last;
        } else if (attr == "max_adv") {
          d[attr] = c.max_adv;
        } else {
          throw ValueError("Counter has no output \"" + attr + "\"");
        }
      }
    }
    return data;
  }

 private:
  const Counter& find(const std::string& eid) const {
    for (const Counter& c : counters_) {
      if (c.eid == eid) return c;
    }
    throw KeyError("no entity \"" + eid + "\"");
  }

  Value info() const {
    std::vector<std::string> eids;
    for (const Counter& c : counters_) eids.push_back(c.eid);
    std::sort(eids.begin(), eids.end());
    Array entities(eids.begin(), eids.end());
    Map m;
    m.emplace_back("sid", sid());
    m.emplace_back("time_resolution", resolution_);
    m.emplace_back("step_size", step_size_);
    m.emplace_back("entities", Value(std::move(entities)));
    return Value(std::move(m));
  }

  std::vector<Counter> counters_;
  double resolution_ = 1.0;
  std::int64_t step_size_ = 1;
  TimerHandle next_;
};

}  // namespace

std::unique_ptr<Simulator> make_counter(Loop& loop, ExternalClock& clock) {
  return std::make_unique<CounterSimulator>(loop, clock);
}

}  // namespace uvmas::sim::roles
