// A worker process of uvmas-mosaik-roles (`--workers N`): a child container
// on an ExternalClock that follows the simulator's, holding some of the
// role's entity agents.

#include "roles.hpp"

#include <iostream>

namespace uvmas::sim::roles {

int run_worker(const std::string& role, const std::string& address) {
  subproc::AgentTypes types;
  if (role == "counter") {
    add_counter_types(types);
  } else if (role == "relay") {
    add_relay_types(types);
  } else if (role == "agent") {
    add_agent_types(types);
  } else if (role == "mailbox") {
    add_mailbox_types(types);
  } else {
    std::cerr << "uvmas-mosaik-roles: no worker for role \"" << role << "\"\n";
    return 2;
  }
  ContainerOptions options;
  options.external_clock = true;  // moved by the simulator's steps
  return subproc::run_child(address, std::move(options), types);
}

}  // namespace uvmas::sim::roles
