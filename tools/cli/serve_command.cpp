// `uvmas serve ADDR`: the interop test service (docs/cli.md), served
// on every accepted connection until `shutdown` is called or SIGTERM arrives.

#include "commands.hpp"
#include "tls_flags.hpp"

#include <uvmas/codecs/arithmetic.hpp>
#include <uvmas/clocks/wall_clock.hpp>
#include <uvmas/core/stop_signals.hpp>
#include <uvmas/core/wait_list.hpp>
#include <uvmas/framework/rpc.hpp>

#include <iostream>
#include <optional>

namespace uvmas::cli {

namespace {

Task<Value> sleep_then(Clock* clock, double seconds, Value result) {
  if (seconds > 0) co_await clock->sleep(seconds);
  co_return result;
}

Task<Value> call_back_mul(rpc::Proxy peer, Value x) { co_return co_await peer.call("cb_mul", x, 10); }

/// The interop test service (the functions docs/cli.md lists).
class TestService {
 public:
  rpc::Router router{"uvmas.serve.TestService"};
  rpc::Router sub{"uvmas.serve.SubService"};

  TestService(Clock& clock, Event& stop) : clock_(clock), stop_(stop) {
    router.expose("add", &python_add, {"a", "b"});
    router.expose("echo", [](Value v) { return v; }, {"value"});
    router.expose("raise_value_error", [](std::string message) -> Value { throw ValueError(message); }, {"message"});
    Clock* c = &clock_;
    router.expose(
        "sleep",
        [c](double seconds, std::optional<Value> result) {
          return sleep_then(c, seconds, result ? std::move(*result) : Value());
        },
        {"seconds", "result"});
    router.expose("big_list", [](std::int64_t n) {
      Array out;
      out.reserve(static_cast<std::size_t>(std::max<std::int64_t>(n, 0)));
      for (std::int64_t i = 0; i < n; ++i) out.emplace_back(i);
      return Value(std::move(out));
    }, {"n"});
    router.expose("get_sub", [this] { return sub.ref(); });
    router.expose("call_back", &call_back_mul, {"proxy", "x"});
    Event* s = &stop_;
    router.expose("shutdown", [s] {
      // Stop after the reply is written, from the loop.
      s->set();
      return std::string("bye");
    });
    // Known to the router but not callable: a call answers "is not exposed".
    router.add_hidden("not_exposed");
    router.add_sub("sub", sub);
    sub.expose("mul", &python_multiply, {"a", "b"});
  }

 private:
  Clock& clock_;
  Event& stop_;
};

Task<> serve_until_stopped(Server* server, Event* stop) {
  co_await stop->wait();
  // The graceful closes send the last replies (the shutdown's "bye") first.
  co_await server->shutdown();
}

int run_serve(const std::string& address, const std::string& codec, const TlsFlags& tls) {
  Loop loop;
  WallClock clock(loop);
  Event stop(loop);
  TestService service(clock, stop);
  ChannelOptions options;
  options.codec = format_from_string(codec);
  std::unique_ptr<Server> server;
  try {
    tls.apply(options);
    server = rpc::start_server(loop, address, service.router, options);
  } catch (const std::exception& e) {
    std::cerr << "uvmas serve: " << e.what() << std::endl;
    return 2;
  }
  StopOnSignals signals(loop, [&stop] { stop.set(); });
  std::cout << "READY " << server->address().url() << std::endl;
  loop.run(serve_until_stopped(server.get(), &stop));
  server.reset();
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("serve", "Serve the interop test service (its functions: see docs/cli.md)");
  auto address = std::make_shared<std::string>();
  auto codec = std::make_shared<std::string>("json");
  cmd->add_option("ADDR", *address, "Address to listen on, e.g. tcp://127.0.0.1:5555 (port 0: any)")->required();
  cmd->add_option("--codec", *codec, "json, msgpack or msgpack_blosc")
      ->check(CLI::IsMember({"json", "msgpack", "msgpack_blosc"}));
  auto tls = std::make_shared<TlsFlags>();
  tls->add_to(cmd);
  cmd->callback([&action, address, codec, tls] {
    action = [address, codec, tls] { return run_serve(*address, *codec, *tls); };
  });
}

}  // namespace uvmas::cli
