// The two ways mosaik starts an external simulator: `cmd`
// (we connect to the address mosaik passes) and `connect` (we listen and
// accept exactly one connection), behind one command line.

#include "uvmas/core/wait_list.hpp"
#include "uvmas/core/error.hpp"
#include "uvmas/sim/mosaik.hpp"
#include "uvmas/clocks/wall_clock.hpp"
#include "uvmas/transports/connect.hpp"

#include <cstdlib>
#include <cstring>
#include <iostream>

namespace uvmas::sim {

namespace {

constexpr const char* usage_text =
    "usage: PROG HOST:PORT             connect to mosaik (sim_config \"cmd\": \"PROG %(addr)s\")\n"
    "       PROG --listen HOST:PORT    accept one connection from mosaik (sim_config \"connect\")\n"
    "  --timeout S                     with --listen: give up after S seconds without mosaik (default 60)\n";

/// "HOST:PORT" as a tcp:// address (an IPv6 host gets its brackets).
std::string tcp_url(const std::string& host_port) {
  const auto colon = host_port.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == host_port.size()) {
    throw std::invalid_argument("\"" + host_port + "\" is not HOST:PORT");
  }
  std::string host = host_port.substr(0, colon);
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
  return "tcp://" + host + host_port.substr(colon);
}

Task<int> connect_and_serve(Loop* loop, std::string url, std::string host_port, Simulator* sim) {
  Channel channel;
  std::string error;
  try {
    channel = co_await open_connection(*loop, url);
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (!channel) {
    std::cerr << "uvmas mosaik simulator: cannot connect to mosaik at " << host_port << ": " << error << "\n";
    co_return 1;
  }
  co_await serve(channel, *sim);
  co_return 0;
}

/// Holds the one accepted stream; later connections are refused by closing them.
struct AcceptOne {
  explicit AcceptOne(Loop& loop) : accepted(loop) {}
  Event accepted;
  StreamPtr stream;
};

Task<int> listen_and_serve(Loop* loop, std::string url, std::string host_port, double timeout, Simulator* sim) {
  AcceptOne one(*loop);
  std::unique_ptr<Listener> listener;
  std::string error;
  try {
    AcceptOne* state = &one;
    listener = listen_stream(*loop, Address::parse(url), [state](StreamPtr stream) {
      if (state->stream || state->accepted.is_set()) {
        stream->close();
        return;
      }
      state->stream = std::move(stream);
      state->accepted.set();
    });
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (!listener) {
    std::cerr << "uvmas mosaik simulator: cannot listen on " << host_port << ": " << error << "\n";
    co_return 1;
  }
  {
    // Real seconds, not mosaik time: the ExternalClock stands still until mosaik steps us.
    WallClock wall(*loop);
    AcceptOne* state = &one;
    TimerHandle give_up = wall.call_in(timeout, [state] { state->accepted.set(); });
    co_await one.accepted.wait();
    give_up.cancel();
  }
  // mosaik's connect starter makes exactly one connection: stop listening.
  listener->close();
  listener.reset();
  if (!one.stream) {
    std::cerr << "uvmas mosaik simulator: no connection from mosaik on " << host_port << " within " << timeout
              << " s\n";
    co_return 1;
  }
  Channel channel = make_channel(std::move(one.stream), ChannelOptions{});
  co_await serve(channel, *sim);
  co_return 0;
}

}  // namespace

std::optional<Endpoint> parse_endpoint(int argc, char** argv, std::string& error) {
  Endpoint endpoint;
  bool have_address = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      error = usage_text;
      return std::nullopt;
    }
    if (arg == "--timeout" || arg == "-t" || arg.rfind("--timeout=", 0) == 0) {
      std::string value;
      if (arg.rfind("--timeout=", 0) == 0) {
        value = arg.substr(10);
      } else if (i + 1 < argc) {
        value = argv[++i];
      }
      char* end = nullptr;
      const double seconds = value.empty() ? 0.0 : std::strtod(value.c_str(), &end);
      if (value.empty() || end != value.c_str() + value.size() || !(seconds > 0)) {
        error = "--timeout needs a positive number of seconds\n" + std::string(usage_text);
        return std::nullopt;
      }
      endpoint.accept_timeout = seconds;
      continue;
    }
    if (arg == "--listen" || arg == "-r" || arg == "--remote") {
      if (i + 1 >= argc) {
        error = arg + " needs HOST:PORT\n" + usage_text;
        return std::nullopt;
      }
      endpoint.listen = true;
      arg = argv[++i];
    } else if (arg.rfind("--listen=", 0) == 0 || arg.rfind("--remote=", 0) == 0) {
      endpoint.listen = true;
      arg = arg.substr(arg.find('=') + 1);
    } else if (!arg.empty() && arg[0] == '-') {
      error = "unknown option " + arg + "\n" + usage_text;
      return std::nullopt;
    }
    if (have_address) {
      error = "more than one address given (" + endpoint.host_port + ", " + arg + ")\n" + usage_text;
      return std::nullopt;
    }
    endpoint.host_port = arg;
    have_address = true;
  }
  if (!have_address) {
    error = std::string("no address given\n") + usage_text;
    return std::nullopt;
  }
  return endpoint;
}

int run_simulator(const Endpoint& endpoint, const SimulatorFactory& factory) {
  std::string url;
  try {
    url = tcp_url(endpoint.host_port);
  } catch (const std::exception& e) {
    std::cerr << "uvmas mosaik simulator: " << e.what() << "\n";
    return 2;
  }
  Loop loop;
  int status = 0;
  {
    ExternalClock clock(loop, 0);
    std::unique_ptr<Simulator> sim = factory(loop, clock);
    if (endpoint.listen) {
      status = loop.run(listen_and_serve(&loop, url, endpoint.host_port, endpoint.accept_timeout, sim.get()));
    } else {
      status = loop.run(connect_and_serve(&loop, url, endpoint.host_port, sim.get()));
    }
  }
  // Let the closed connection's handles finish closing before the loop goes.
  loop.run_until_idle();
  return status;
}

int run_simulator(int argc, char** argv, const SimulatorFactory& factory) {
  std::string error;
  auto endpoint = parse_endpoint(argc, argv, error);
  if (!endpoint) {
    const bool help = argc > 1 && (std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0);
    (help ? std::cout : std::cerr) << error;
    return help ? 0 : 2;
  }
  return run_simulator(*endpoint, factory);
}

}  // namespace uvmas::sim
