// `uvmas serve` and `uvmas call` arrive with the rpc layer (issue 3); until
// then they say so instead of failing silently.
#include "commands.hpp"

#include <iostream>

namespace uvmas::cli {

void add_serve_command(CLI::App& app, Action& action) {
  app.add_subcommand("serve", "Serve the interop test service (needs the rpc layer)")->callback([&action] {
    action = [] {
      std::cerr << "uvmas serve: the rpc layer is not part of this build yet" << std::endl;
      return 2;
    };
  });
}

void add_call_command(CLI::App& app, Action& action) {
  app.add_subcommand("call", "Call an aiomas RPC service (needs the rpc layer)")->callback([&action] {
    action = [] {
      std::cerr << "uvmas call: the rpc layer is not part of this build yet" << std::endl;
      return 2;
    };
  });
}

}  // namespace uvmas::cli
