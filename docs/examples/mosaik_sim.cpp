// A mosaik simulator in C++ (docs/mosaik.md): thermostats that ask a planner
// for their setpoint over a uvmas channel, on mosaik's clock.
//
//   example-mosaik_sim 127.0.0.1:5678            (mosaik "cmd": connect to mosaik)
//   example-mosaik_sim --listen 127.0.0.1:5678   (mosaik "connect": wait for mosaik)
//
// docs/mosaik/scenario.py runs it under a mosaik master.

#include <uvmas/framework/channel.hpp>
#include <uvmas/sim/mosaik.hpp>

#include <map>
#include <memory>
#include <string>

namespace {

using namespace uvmas;

/// The planner: answers a temperature with a setpoint. It lives on the same
/// loop, behind a LocalQueue address, as an agent of a container would.
Task<> planner(Channel channel) {
  for (;;) {
    Request request = co_await channel.recv();  // ConnectionError ends the task when the client leaves
    const double temp = request.content().as_double();
    co_await request.reply(temp < 20.0 ? 21.0 : 19.0);
  }
}

struct Thermostat {
  std::string eid;
  double setpoint = 20.0;
  Value last_temp;
};

class ThermostatSim final : public sim::Simulator {
 public:
  using Simulator::Simulator;

  sim::Meta init(const std::string&, double, const sim::Params& params) override {
    if (auto it = params.find("check_every"); it != params.end()) check_every_ = it->second.as<sim::Time>();
    planner_ = start_server(loop(), "local://planner", [](Channel c) { return planner(std::move(c)); });
    sim::Meta meta;
    meta.type = sim::SimulatorType::hybrid;
    auto& model = meta.models["Thermostat"];
    model.attrs = {"temp", "setpoint"};
    model.trigger = {"temp"};  // a new temperature wakes us; setpoint stays valid until replaced
    return meta;
  }

  std::vector<sim::EntityDescription> create(std::int64_t num, const std::string& model,
                                             const sim::Params&) override {
    std::vector<sim::EntityDescription> out;
    for (std::int64_t i = 0; i < num; ++i) {
      auto t = std::make_unique<Thermostat>();
      t->eid = model + "_" + std::to_string(thermostats_.size());
      out.push_back({t->eid, model, {}, {}, {}});
      thermostats_.push_back(std::move(t));
    }
    return out;
  }

  void setup_done() override { check(); }

  Task<std::optional<sim::Time>> step(sim::Time, const sim::Inputs& inputs, sim::Time) override {
    for (auto& t : thermostats_) {
      if (const sim::SourceValues* temp = sim::find_input(inputs, t->eid, "temp")) {
        t->last_temp = temp->begin()->second;
        // Ask the planner; the step's reply waits until every such task is done.
        tasks().spawn(ask_planner(t.get(), t->last_temp.as_double()));
      }
    }
    co_return std::nullopt;  // next step: the periodic check timer (or the next input)
  }

  sim::OutputData get_data(const sim::OutputRequest& outputs) override {
    sim::OutputData data;
    for (const auto& [eid, attrs] : outputs) {
      for (auto& t : thermostats_) {
        if (t->eid == eid) data.entities[eid]["setpoint"] = t->setpoint;
      }
    }
    return data;
  }

  void stop() override {
    check_timer_.cancel();
    planner_.reset();
  }

 private:
  Task<> ask_planner(Thermostat* t, double temp) {
    Channel channel = co_await open_connection(loop(), "local://planner");
    Value setpoint = co_await channel.send(temp);
    t->setpoint = setpoint.as_double();
    co_await channel.close();
  }

  /// A periodic timer: it makes mosaik step us every `check_every` steps.
  void check() {
    check_timer_ = clock().call_in(to_seconds(check_every_), [this] { check(); });
  }

  std::vector<std::unique_ptr<Thermostat>> thermostats_;
  std::unique_ptr<Server> planner_;
  sim::Time check_every_ = 15;
  TimerHandle check_timer_;
};

}  // namespace

int main(int argc, char** argv) {
  return uvmas::sim::run_simulator(argc, argv, [](uvmas::Loop& loop, uvmas::ExternalClock& clock) {
    return std::make_unique<ThermostatSim>(loop, clock);
  });
}
