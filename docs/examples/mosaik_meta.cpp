// The meta is checked before mosaik sees it (docs/mosaik.md): a mistake in
// it is one clear error from the simulator at start-up.

#include <uvmas/core/error.hpp>
#include <uvmas/sim/mosaik.hpp>

#include <iostream>

int main() {
  // [snippet:check]
  uvmas::sim::Meta meta;
  meta.type = uvmas::sim::SimulatorType::time_based;
  uvmas::sim::ModelMeta& battery = meta.models["Battery"];
  battery.attrs = {"p_set", "soc"};
  battery.persistent = {"soc"};  // fine: time-based outputs are persistent anyway
  battery.trigger = {"p_set"};   // but a time-based simulator has no trigger inputs
  try {
    uvmas::sim::check_meta(meta);  // what init does before sending the meta
  } catch (const uvmas::ValueError& e) {
    std::cout << e.what() << "\n";
  }
  // [end:check]
  battery.trigger.clear();
  uvmas::sim::check_meta(meta);
  std::cout << "fixed meta passes\n";
  meta.api_version = "2.2";
  try {
    uvmas::sim::check_meta(meta);
  } catch (const uvmas::ValueError& e) {
    std::cout << e.what() << "\n";
  }
  return 0;
}
