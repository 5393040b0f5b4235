// A mosaik simulator in C++ (docs/mosaik.md): thermostats, each a uvmas
// agent, that ask a planner agent for their setpoint, on mosaik's clock.
//
//   example-mosaik_sim 127.0.0.1:5678            (mosaik "cmd": connect to mosaik)
//   example-mosaik_sim --listen 127.0.0.1:5678   (mosaik "connect": wait for mosaik)
//
// docs/mosaik/scenario.py runs it under a mosaik master.

#include <uvmas/framework/container.hpp>
#include <uvmas/sim/mosaik.hpp>

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace {

using namespace uvmas;

/// The planner: answers a temperature with a setpoint.
class Planner final : public Agent {
 public:
  static void expose_methods(rpc::Methods<Planner>& m) { m.expose("setpoint", &Planner::setpoint); }
  explicit Planner(Container& container) : Agent(container) {}
  double setpoint(double temp) { return temp < 20.0 ? 21.0 : 19.0; }
};

// [snippet:thermostat]
/// One Thermostat entity. A fresh temperature makes it ask the planner; a
/// periodic timer on mosaik's clock makes mosaik step it every `check_every`
/// steps even without input.
class Thermostat final : public Agent {
 public:
  static void expose_methods(rpc::Methods<Thermostat>& m) { m.expose("temperature", &Thermostat::temperature); }
  Thermostat(Container& container, std::string planner, double check_every)
      : Agent(container), planner_(std::move(planner)), check_every_(check_every) {
    check();
  }
  ~Thermostat() override { check_timer_.cancel(); }

  /// Takes a temperature, returns the setpoint the planner chose.
  Task<double> temperature(double temp) {
    AgentProxy planner = co_await container().connect(planner_);
    setpoint_ = co_await planner.call<double>("setpoint", temp);
    co_return setpoint_;
  }

 private:
  void check() {
    check_timer_ = container().clock().call_in(check_every_, [this] { check(); });
  }

  std::string planner_;
  double check_every_;
  double setpoint_ = 20.0;
  TimerHandle check_timer_;
};
// [end:thermostat]

/// The simulator: creates the agents in a container on mosaik's clock and
/// passes each step's temperatures to them as agent calls.
class ThermostatSim final : public sim::Simulator {
 public:
  using Simulator::Simulator;

  // [snippet:init]
  sim::Meta init(const std::string& sid, double, const sim::Params& params) override {
    if (auto it = params.find("check_every"); it != params.end()) check_every_ = it->second.as<sim::Time>();
    ContainerOptions options;
    options.clock = &clock();  // agents' timers and sleeps run on mosaik time
    container_ = Container::create(loop(), "local://" + sid, options);
    planner_ = container_->spawn<Planner>().addr();
    sim::Meta meta;
    meta.type = sim::SimulatorType::hybrid;
    auto& model = meta.models["Thermostat"];
    model.attrs = {"temp", "setpoint"};
    model.trigger = {"temp"};  // a temperature update wakes us; setpoint stays valid until replaced
    return meta;
  }
  // [end:init]

  std::vector<sim::EntityDescription> create(std::int64_t num, const std::string& model,
                                             const sim::Params&) override {
    std::vector<sim::EntityDescription> out;
    for (std::int64_t i = 0; i < num; ++i) {
      std::string eid = model + "_" + std::to_string(thermostats_.size());
      Thermostat& t = container_->spawn<Thermostat>(planner_, to_seconds(check_every_));
      thermostats_[eid] = t.addr();
      setpoints_[eid] = 20.0;
      out.push_back({eid, model, {}, {}, {}});
    }
    return out;
  }

  // [snippet:step]
  Task<std::optional<sim::Time>> step(sim::Time, const sim::Inputs& inputs, sim::Time) override {
    for (const auto& [eid, addr] : thermostats_) {
      // One row per source that sent a temperature; a thermostat has one sensor.
      const std::span<const sim::Input> temp = inputs.find(eid, "temp");
      if (temp.empty()) continue;
      AgentProxy thermostat = co_await container_->connect(addr);
      setpoints_[eid] = co_await thermostat.call<double>("temperature", temp.front().value.as_double());
    }
    co_return std::nullopt;  // next step: the agents' check timers (or the next input)
  }
  // [end:step]

  // [snippet:get_data]
  sim::OutputData get_data(const sim::OutputRequest& outputs) override {
    sim::OutputData data;
    for (const auto& [eid, attrs] : outputs) {
      if (auto it = setpoints_.find(eid); it != setpoints_.end()) data.set(eid, "setpoint", it->second);
    }
    return data;
  }
  // [end:get_data]

 private:
  std::unique_ptr<Container> container_;
  std::string planner_;
  std::map<std::string, std::string> thermostats_;  // agent address by eid
  std::map<std::string, double, std::less<>> setpoints_;  // std::less<>: found by the request's string_views
  sim::Time check_every_ = 15;
};

}  // namespace

// [snippet:main]
int main(int argc, char** argv) {
  return uvmas::sim::run_simulator(argc, argv, [](uvmas::Loop& loop, uvmas::ExternalClock& clock) {
    return std::make_unique<ThermostatSim>(loop, clock);
  });
}
// [end:main]
