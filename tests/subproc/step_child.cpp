// The child container program of the stepping tests: `step_child ADDRESS`
// runs a container on an ExternalClock whose Manager can spawn the agents of
// step_agents.hpp.

#include "step_agents.hpp"

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: step_child ADDRESS\n";
    return 2;
  }
  uvmas::ContainerOptions options;
  options.clock = uvmas::OwnClock::external;
  return uvmas::subproc::run_child(argv[1], std::move(options), uvmas::test::step_agent_types());
}
