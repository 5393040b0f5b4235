// Role `mailbox` (MOSAIK.md §12, scenario hybrid): a hybrid simulator whose
// Boxes count the messages arriving on the trigger input `msg_in`. A periodic
// clock timer ticks every `period` steps; its pending deadline is the
// self-step the adapter asks mosaik for.

#include "roles.hpp"

#include <uvmas/core/error.hpp>

#include <cmath>

namespace uvmas::sim::roles {

namespace {

struct Box {
  std::string eid;
  std::int64_t seen = 0;
  Value max_adv;
  std::optional<Value> msg_out;  // produced in this step only
};

class MailboxSimulator final : public Simulator {
 public:
  using Simulator::Simulator;
  ~MailboxSimulator() override { tick_.cancel(); }

  Meta init(const std::string&, double, const Params& params) override {
    period_ = int_param(params, "period", 5);
    if (period_ < 1) throw ValueError("period must be at least 1, got " + std::to_string(period_));
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
      std::string eid = "Box_" + std::to_string(boxes_.size());
      boxes_.push_back({eid, 0, Value(), std::nullopt});
      out.push_back({eid, "Box", {}, {}, {}});
    }
    return out;
  }

  void setup_done() override { schedule_tick(); }

  Task<std::optional<Time>> step(Time, const Inputs& inputs, Time max_advance) override {
    for (Box& box : boxes_) {
      box.msg_out.reset();
      box.max_adv = Value(max_advance);
      const SourceValues* in = find_input(inputs, box.eid, "msg_in");
      if (!in) continue;
      box.seen += static_cast<std::int64_t>(in->size());
      box.msg_out = add(sum(in), sum(find_input(inputs, box.eid, "level")));
    }
    co_return std::nullopt;
  }

  OutputData get_data(const OutputRequest& outputs) override {
    OutputData data;
    for (const auto& [eid, attrs] : outputs) {
      const Box& box = find(eid);
      EntityData& d = data.entities[eid];
      for (const auto& attr : attrs) {
        if (attr == "seen") d[attr] = Value(box.seen);
        if (attr == "max_adv") d[attr] = box.max_adv;
        if (attr == "msg_out" && box.msg_out) d[attr] = *box.msg_out;
      }
    }
    return data;
  }

 private:
  /// The periodic timer: at the next multiple of period after the clock's time.
  void schedule_tick() {
    const Time now = to_time(clock().time());
    const Time next = (now < 0 ? 0 : now / period_ + 1) * period_;
    tick_ = clock().call_at(to_seconds(next), [this] { schedule_tick(); });
  }

  const Box& find(const std::string& eid) const {
    for (const Box& b : boxes_) {
      if (b.eid == eid) return b;
    }
    throw KeyError("no entity \"" + eid + "\"");
  }

  std::vector<Box> boxes_;
  std::int64_t period_ = 5;
  TimerHandle tick_;
};

}  // namespace

std::unique_ptr<Simulator> make_mailbox(Loop& loop, ExternalClock& clock) {
  return std::make_unique<MailboxSimulator>(loop, clock);
}

}  // namespace uvmas::sim::roles
