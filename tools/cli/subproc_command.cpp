// `uvmas subproc ADDR [--codec C] [--clock wall|external]`: the child side of
// a container in a sub-process (aiomas.subproc.start). Agent "0" is the
// Manager; it can spawn the built-in agent types below by name.

#include "commands.hpp"
#include "demo_agents.hpp"
#include "observe_flags.hpp"
#include "tls_flags.hpp"

#include <uvmas/framework/subproc.hpp>

#include <iostream>

namespace uvmas::cli {

namespace {

/// aiomas's test worker: work(x) returns x * factor.
class Worker : public Agent {
 public:
  Worker(Container& c, int factor) : Agent(c), factor_(factor) { expose("work", &Worker::work); }
  int work(int x) { return x * factor_; }

 private:
  int factor_;
};

struct SubprocSpec {
  std::string address;
  std::string codec = "json";
  std::string clock = "wall";
  TlsFlags tls;
  ObserveFlags observe;
};

int run_subproc(const SubprocSpec& spec) {
  subproc::AgentTypes types;
  types.add("Worker", [](Container& c, const Array& args, const Map& kwargs) -> Agent& {
    return c.spawn<Worker>(subproc::argument<int>(args, kwargs, 0, "factor", 1));
  });
  add_demo_agent_types(types);
  ContainerOptions options;
  options.codec = format_from_string(spec.codec);
  if (spec.clock == "external") options.clock = OwnClock::external;
  ChannelOptions tls_options;
  spec.tls.apply(tls_options);
  options.transport = tls_options.transport;
  options.observe = spec.observe.options("subproc --codec " + spec.codec);
  return subproc::run_child(spec.address, std::move(options), types);
}

}  // namespace

void add_subproc_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("subproc", "Run a container with a Manager agent (the child of a sub-process container)");
  auto spec = std::make_shared<SubprocSpec>();
  add_listen_address(cmd, spec->address);
  add_codec_option(cmd, spec->codec);
  cmd->add_option("--clock", spec->clock, "wall, or external (time set by the parent through Manager.set_time)")
      ->check(CLI::IsMember({"wall", "external"}));
  spec->tls.add_to(cmd);
  spec->observe.add_to(cmd, false);
  cmd->callback([&action, spec] { action = [spec] { return run_subproc(*spec); }; });
}

}  // namespace uvmas::cli
