// Metrics of a container (docs/observe.md): a meter agent reads a sensor agent
// in another container over TCP; the sensor's container counts what it served.

#include <uvmas/framework/container.hpp>

#include <iostream>

namespace {

class Sensor : public uvmas::Agent {
 public:
  static void expose_methods(uvmas::rpc::Methods<Sensor>& m) { m.expose("read", &Sensor::read); }
  explicit Sensor(uvmas::Container& c) : Agent(c) {}
  double read(int channel) {
    if (channel > 1) throw uvmas::ValueError("no channel " + std::to_string(channel));
    return 230.0 + channel;
  }
};

uvmas::Task<> meter(uvmas::Container& home, std::string sensor_url) {
  uvmas::AgentProxy sensor = co_await home.connect(sensor_url);
  for (int channel = 0; channel < 3; ++channel) {
    try {
      double volts = co_await sensor.call<double>("read", channel);
      std::cout << "channel " << channel << ": " << volts << " V\n";
    } catch (const uvmas::RemoteException& e) {
      std::cout << "channel " << channel << ": " << e.remote_type() << "\n";
    }
  }
}

}  // namespace

int main() {
  uvmas::Loop loop;
  // [snippet:options]
  uvmas::ContainerOptions options;
  options.observe.metrics = true;  // counters and histograms, read through observer()
  auto field = uvmas::Container::create(loop, "tcp://127.0.0.1:0", options);
  // [end:options]
  auto& sensor = field->spawn<Sensor>();
  auto home = uvmas::Container::create(loop, "tcp://127.0.0.1:0");
  loop.run(meter(*home, sensor.addr()));
  loop.run_until_idle();
  // [snippet:metrics]
  const uvmas::Metrics& m = field->observer()->metrics();
  std::cout << "served " << m.served.result << " results and " << m.served.exception << " exception, "
            << m.messages_in << " frames in, " << m.connections << " connection open\n";
  // [end:metrics]
  loop.run(home->shutdown());
  loop.run(field->shutdown());
  return m.served.result == 3 && m.served.exception == 1 ? 0 : 1;
}
