// uvmas: the command-line tool (demo, serve, call, ...).

#include "commands.hpp"

#include <uvmas/version.hpp>
#include <uvmas/core/log.hpp>

#include <exception>
#include <iostream>
#include <string>

namespace {

constexpr const char* exit_statuses =
    "Exit status:\n"
    "  0   success\n"
    "  1   the remote side raised an exception (its traceback is printed)\n"
    "  2   connection trouble: cannot connect, connection lost, TLS failure, timeout\n"
    "  64  usage: a bad command line or argument\n"
    "Logging: --log-level debug|info|warning|error, or UVMAS_LOG=... in the environment.";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"uvmas: request-reply channels, RPC and agents that speak aiomas"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "uvmas " + std::string(uvmas::version_string));
  app.footer(exit_statuses);
  // Options of the app are accepted after the sub-command too (uvmas call ... --log-level debug).
  app.fallthrough();
  std::string log_level;
  app.add_option("--log-level", log_level, "Log lines at this level and above (default: $UVMAS_LOG, else info)")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}))
      ->option_text("LEVEL");
  uvmas::cli::Action action;
  uvmas::cli::add_demo_command(app, action);
  uvmas::cli::add_serve_command(app, action);
  uvmas::cli::add_call_command(app, action);
  uvmas::cli::add_container_command(app, action);
  uvmas::cli::add_subproc_command(app, action);
  uvmas::cli::add_trace_command(app, action);
  uvmas::cli::add_replay_command(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return uvmas::cli::usage_exit_code;
  }
  if (auto level = uvmas::parse_log_level(log_level)) uvmas::set_log_level(*level);
  try {
    return action ? action() : 0;
  } catch (const std::exception& e) {
    std::cerr << "uvmas: " << e.what() << std::endl;
    return 1;
  }
}
