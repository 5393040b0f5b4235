// uvmas: the command-line tool (demo, serve, call, ...).

#include "commands.hpp"

#include <uvmas/version.hpp>

#include <exception>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  CLI::App app{"uvmas: request-reply channels, RPC and agents that speak aiomas"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "uvmas " + std::string(uvmas::version_string));
  uvmas::cli::Action action;
  uvmas::cli::add_demo_command(app, action);
  uvmas::cli::add_serve_command(app, action);
  uvmas::cli::add_call_command(app, action);
  uvmas::cli::add_container_command(app, action);
  uvmas::cli::add_subproc_command(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return action ? action() : 0;
  } catch (const std::exception& e) {
    std::cerr << "uvmas: " << e.what() << std::endl;
    return 1;
  }
}
