#pragma once
// The `uvmas` command line: each sub-command lives in its own file and
// registers itself on the CLI11 app through one of these functions.

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace uvmas::cli {

/// The action a parsed sub-command runs; returns the process exit code.
using Action = std::function<int()>;

/// The exit status of a bad command line (BSD's EX_USAGE), as `uvmas --help` lists.
inline constexpr int usage_exit_code = 64;

/// Adds the required ADDR a serving sub-command listens on.
inline void add_listen_address(CLI::App* cmd, std::string& address) {
  cmd->add_option("ADDR", address, "Address to listen on, e.g. tcp://127.0.0.1:5555 (port 0: any)")->required();
}
/// Adds `--codec`: one of the codecs a peer and uvmas agree on (no negotiation).
inline void add_codec_option(CLI::App* cmd, std::string& codec) {
  cmd->add_option("--codec", codec, "json, msgpack or msgpack_blosc")
      ->check(CLI::IsMember({"json", "msgpack", "msgpack_blosc"}));
}

/// Adds `uvmas demo` (the main demonstration). Sets `action` when chosen.
void add_demo_command(CLI::App& app, Action& action);
/// Adds `uvmas serve ADDR` (the interop test service).
void add_serve_command(CLI::App& app, Action& action);
/// Adds `uvmas call ADDR PATH ARGS...`.
void add_call_command(CLI::App& app, Action& action);
/// Adds `uvmas container ADDR` (interop test agents, docs/cli.md).
void add_container_command(CLI::App& app, Action& action);
/// Adds `uvmas subproc ADDR`: a container whose agent 0 is a sub-process Manager.
void add_subproc_command(CLI::App& app, Action& action);
/// Adds `uvmas trace DIR [--chrome FILE]` (merge traces written with --trace).
void add_trace_command(CLI::App& app, Action& action);
/// Adds `uvmas replay FILE` (replay a recording written with --record).
void add_replay_command(CLI::App& app, Action& action);

}  // namespace uvmas::cli
