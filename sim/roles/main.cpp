// uvmas-mosaik-roles --role counter|relay|agent|mailbox (HOST:PORT | --listen HOST:PORT)
// Plays one of MOSAIK.md §12's roles against a mosaik master.

#include "roles.hpp"

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  std::string role;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--role" && i + 1 < argc) {
      role = argv[++i];
    } else if (arg.rfind("--role=", 0) == 0) {
      role = arg.substr(7);
    } else {
      rest.push_back(argv[i]);
    }
  }
  uvmas::sim::SimulatorFactory factory;
  if (role == "counter") factory = uvmas::sim::roles::make_counter;
  if (role == "relay") factory = uvmas::sim::roles::make_relay;
  if (role == "agent") factory = uvmas::sim::roles::make_agent;
  if (role == "mailbox") factory = uvmas::sim::roles::make_mailbox;
  if (!factory) {
    std::cerr << "usage: uvmas-mosaik-roles --role counter|relay|agent|mailbox (HOST:PORT | --listen HOST:PORT)\n";
    if (!role.empty()) std::cerr << "unknown role \"" << role << "\"\n";
    return 2;
  }
  return uvmas::sim::run_simulator(static_cast<int>(rest.size()), rest.data(), factory);
}
