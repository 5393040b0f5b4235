// Role `mailbox` (MOSAIK.md §12, scenario hybrid): a hybrid simulator whose
// Boxes are agents counting the messages arriving on the trigger input
// `msg_in`. Each Box keeps a periodic clock timer ticking every `period`
// steps; its pending deadline is the self-step the adapter asks mosaik for.
// Spawned as "Box" with [time_resolution, period].

#include "roles.hpp"

#include <uvmas/core/error.hpp>

namespace uvmas::sim::roles {

namespace {

/// One Box entity.
class BoxAgent final : public Agent {
 public:
  BoxAgent(Container& container, TimeScale scale, std::int64_t period)
      : Agent(container), scale_(scale), period_(period) {
    expose("step", &BoxAgent::step);
    schedule_tick();
  }
  ~BoxAgent() override { tick_.cancel(); }

  /// Counts this step's messages; returns seen, max_adv and, if a message
  /// arrived, msg_out.
  EntityData step(Time, EntityInputs inputs, Time max_advance) {
    EntityData out;
    max_adv_ = Value(max_advance);
    if (const SourceValues* in = find_attr(inputs, "msg_in")) {
      seen_ += static_cast<std::int64_t>(in->size());
      out["msg_out"] = add(sum(in), sum(find_attr(inputs, "level")));
    }
    out["seen"] = Value(seen_);
    out["max_adv"] = max_adv_;
    return out;
  }

  /// The outputs of a Box before its first step.
  static EntityData initial_outputs() {
    EntityData out;
    out["seen"] = Value(std::int64_t{0});
    out["max_adv"] = Value();
    return out;
  }

 private:
  /// The periodic timer: at the next multiple of period after the clock's time.
  void schedule_tick() {
    const Time now = scale_.to_time(container().clock().time());
    const Time next = (now < 0 ? 0 : now / period_ + 1) * period_;
    tick_ = container().clock().call_at(scale_.to_seconds(next), [this] { schedule_tick(); });
  }

  TimeScale scale_;
  std::int64_t period_;
  std::int64_t seen_ = 0;
  Value max_adv_;
  TimerHandle tick_;
};

class MailboxSimulator final : public Simulator {
 public:
  MailboxSimulator(Loop& loop, ExternalClock& clock, const Workers& workers)
      : Simulator(loop, clock), entities_(workers, types_) {
    add_mailbox_types(types_);
  }

  Meta init(const std::string& sid, double, const Params& params) override {
    period_ = int_param(params, "period", 5);
    if (period_ < 1) throw ValueError("period must be at least 1, got " + std::to_string(period_));
    entities_.open(*this, sid);
    Meta meta;
    meta.type = SimulatorType::hybrid;
    ModelMeta& box = meta.models["Box"];
    box.attrs = {"msg_in", "level", "msg_out", "seen", "max_adv"};
    box.trigger = {"msg_in"};
    box.non_persistent = {"msg_out"};
    return meta;
  }

  std::vector<EntityDescription> create(std::int64_t num, const std::string& model, const Params&) override {
    if (model != "Box") throw ValueError("unknown model \"" + model + "\"");
    std::vector<EntityDescription> out;
    for (std::int64_t i = 0; i < num; ++i) {
      std::string eid = "Box_" + std::to_string(entities_.size());
      Array args;
      args.emplace_back(time_resolution());
      args.emplace_back(period_);
      entities_.spawn(eid, "Box", std::move(args));
      outputs_[eid] = BoxAgent::initial_outputs();
      out.push_back({eid, "Box", {}, {}, {}});
    }
    return out;
  }

  Task<std::optional<Time>> step(Time time, const Inputs& inputs, Time max_advance) override {
    // msg_out only if produced in this step
    co_await entities_.step_all(time, inputs, max_advance, outputs_, EntityAgents::StepOrder::together);
    co_return std::nullopt;
  }

  OutputData get_data(const OutputRequest& outputs) override {
    return pick_outputs(outputs_, outputs, MissingOutput::omit);
  }

  Task<> shutdown() override { return entities_.stop(); }

 private:
  subproc::AgentTypes types_;
  EntityAgents entities_;
  std::map<std::string, EntityData> outputs_;  // what each Box returned from its last step
  std::int64_t period_ = 5;
};

}  // namespace

void add_mailbox_types(subproc::AgentTypes& types) {
  types.add("Box", [](Container& c, const Array& args, const Map& kwargs) -> Agent& {
    const TimeScale scale{subproc::argument<double>(args, kwargs, 0, "time_resolution")};
    return c.spawn<BoxAgent>(scale, subproc::argument<std::int64_t>(args, kwargs, 1, "period"));
  });
}

std::unique_ptr<Simulator> make_mailbox(Loop& loop, ExternalClock& clock, const Workers& workers) {
  return std::make_unique<MailboxSimulator>(loop, clock, workers);
}

std::unique_ptr<Simulator> make_mailbox(Loop& loop, ExternalClock& clock) {
  return make_mailbox(loop, clock, Workers());
}

}  // namespace uvmas::sim::roles
