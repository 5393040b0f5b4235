// `uvmas container ADDR [--codec C] [--clock wall|external] [--agents N]`: a
// container hosting N agents of the interop test class TestAgent (docs/cli.md), until SIGINT
// or SIGTERM.

#include "commands.hpp"
#include "observe_flags.hpp"
#include "test_service.hpp"
#include "tls_flags.hpp"

#include <uvmas/core/stop_signals.hpp>
#include <uvmas/core/wait_list.hpp>
#include <uvmas/framework/container.hpp>

#include <csignal>
#include <iostream>

namespace uvmas::cli {

namespace {

Task<> run_until_stopped(Container* container, Event* stop) {
  co_await stop->wait();
  co_await container->shutdown();
}

struct ContainerSpec {
  std::string address;
  std::string codec = "json";
  std::string clock = "wall";
  int agents = 1;
  TlsFlags tls;
  ObserveFlags observe;
};

int run_container(const ContainerSpec& spec) {
  Loop loop;
  ContainerOptions options;
  options.codec = format_from_string(spec.codec);
  if (spec.clock == "external") options.clock = OwnClock::external;
  options.observe = spec.observe.options("container --codec " + spec.codec + " --agents " + std::to_string(spec.agents));
  std::unique_ptr<Container> container;
  std::unique_ptr<MetricsEndpoint> metrics;
  try {
    ChannelOptions tls_options;
    spec.tls.apply(tls_options);  // one certificate for both roles, like aiomas's SSLCerts
    options.transport = tls_options.transport;
    container = Container::create(loop, spec.address, options);
    metrics = spec.observe.serve(loop, container->observer());
  } catch (const std::exception& e) {
    std::cerr << "uvmas container: " << e.what() << std::endl;
    return 2;
  }
  for (int i = 0; i < spec.agents; ++i) container->spawn<TestAgent>();
  Event stop(loop);
  StopOnSignals signals(loop, [&stop] { stop.set(); });
  std::cout << "READY " << container->base_url() << std::endl;
  ObserveFlags::announce(metrics.get());
  loop.run(run_until_stopped(container.get(), &stop));
  metrics.reset();
  container.reset();
  return 0;
}

}  // namespace

void add_container_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("container", "Host interop test agents (see docs/cli.md) in a container until SIGTERM");
  auto spec = std::make_shared<ContainerSpec>();
  add_listen_address(cmd, spec->address);
  add_codec_option(cmd, spec->codec);
  cmd->add_option("--clock", spec->clock, "wall or external")->check(CLI::IsMember({"wall", "external"}));
  cmd->add_option("--agents", spec->agents, "Number of TestAgent agents (ids 0..N-1)")->check(CLI::NonNegativeNumber);
  spec->tls.add_to(cmd);
  spec->observe.add_to(cmd, true);
  cmd->callback([&action, spec] { action = [spec] { return run_container(*spec); }; });
}

}  // namespace uvmas::cli
