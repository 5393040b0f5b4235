// `uvmas serve ADDR`: the interop test service (docs/cli.md), served
// on every accepted connection until `shutdown` is called or SIGTERM arrives.

#include "commands.hpp"
#include "observe_flags.hpp"
#include "test_service.hpp"
#include "tls_flags.hpp"

#include <uvmas/clocks/wall_clock.hpp>
#include <uvmas/core/stop_signals.hpp>
#include <uvmas/core/wait_list.hpp>
#include <uvmas/framework/rpc.hpp>

#include <iostream>

namespace uvmas::cli {

namespace {

struct ServeSpec {
  std::string address;
  std::string codec = "json";
  TlsFlags tls;
  ObserveFlags observe;
};

Task<> serve_until_stopped(Server* server, Event* stop) {
  co_await stop->wait();
  // The graceful closes send the last replies (the shutdown's "bye") first.
  co_await server->shutdown();
}

int run_serve(const ServeSpec& spec) {
  Loop loop;
  WallClock clock(loop);
  TestService service(loop, clock);
  ChannelOptions options;
  options.codec = format_from_string(spec.codec);
  std::unique_ptr<Observer> observer;  // outlives the server's connections
  std::unique_ptr<MetricsEndpoint> metrics;
  std::unique_ptr<Server> server;
  try {
    spec.tls.apply(options);
    if (spec.observe.any()) {
      observer = std::make_unique<Observer>(loop, clock, spec.observe.options("serve --codec " + spec.codec));
      options.observer = observer.get();
    }
    server = rpc::start_server(loop, spec.address, service.router, options);
    if (observer) observer->set_name(server->address().url());
    metrics = spec.observe.serve(loop, observer.get());
  } catch (const std::exception& e) {
    std::cerr << "uvmas serve: " << e.what() << std::endl;
    return 2;
  }
  StopOnSignals signals(loop, [&service] { service.stop.set(); });
  std::cout << "READY " << server->address().url() << std::endl;
  ObserveFlags::announce(metrics.get());
  loop.run(serve_until_stopped(server.get(), &service.stop));
  server.reset();
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("serve", "Serve the interop test service (its functions: see docs/cli.md)");
  auto spec = std::make_shared<ServeSpec>();
  add_listen_address(cmd, spec->address);
  add_codec_option(cmd, spec->codec);
  spec->tls.add_to(cmd);
  spec->observe.add_to(cmd, true);
  cmd->callback([&action, spec] { action = [spec] { return run_serve(*spec); }; });
}

}  // namespace uvmas::cli
