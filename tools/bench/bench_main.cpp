// uvmas-bench: every figure is printed beside a baseline measured in the same
// run, as a ratio (DESIGN.md §3). Usage: uvmas-bench [--quick]

#include "bench.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <vector>



int main(int argc, char** argv) {
  using namespace uvmas;
  using namespace uvmas::bench;
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int rounds = quick ? 1 : 3;
  const Pattern sequential{quick ? 5'000u : 20'000u, 1};
  const Pattern pipelined{quick ? 50'000u : 300'000u, 100};
  std::printf("round trips over TCP loopback, server in a second process (best of %d runs)\n", rounds);
  std::printf("%-8s %-8s %-14s %14s %14s %8s %8s\n", "layer", "codec", "pattern", "baseline/s", "uvmas/s", "ratio",
              "target");
  const std::vector<std::tuple<const char*, Pattern, double>> patterns = {{"sequential", sequential, 0.9},
                                                                         {"100 in flight", pipelined, 0.75}};
  auto best = [rounds](auto serve, auto client) {
    double rate = 0;
    for (int r = 0; r < rounds; ++r) rate = std::max(rate, with_server(serve, client));
    return rate;
  };
  auto row = [](const char* layer, const char* codec, const char* pattern, double base, double ours, double target) {
    std::printf("%-8s %-8s %-14s %14.0f %14.0f %7.2fx %7.2fx\n", layer, codec, pattern, base, ours, ours / base,
                target);
    std::fflush(stdout);
  };
  for (Format f : {Format::json, Format::msgpack}) {
    const std::string codec(to_string(f));
    for (auto [name, p, target] : patterns) {
      double raw = best([f](const auto& ready) { raw_serve(f, Payload::echo, ready); },
                        [f, p](int port) { return raw_client(f, Payload::echo, port, p); });
      double ours = best([f](const auto& ready) { channel_serve(f, ready); },
                         [f, p](int port) { return channel_client(f, port, p); });
      row("channel", codec.c_str(), name, raw, ours, target);
    }
    for (auto [name, p, target] : patterns) {
      double raw = best([f](const auto& ready) { raw_serve(f, Payload::rpc_add, ready); },
                        [f, p](int port) { return raw_client(f, Payload::rpc_add, port, p); });
      double ours = best([f](const auto& ready) { rpc_serve(f, false, ready); },
                         [f, p](int port) { return rpc_client(f, false, port, p); });
      row("rpc", codec.c_str(), name, raw, ours, target);
    }
  }
  std::printf("\nrpc add(1, 2) over TLS (mutual, test certificates) vs plain TCP, msgpack\n");
  std::printf("%-8s %-8s %-14s %14s %14s %8s\n", "layer", "codec", "pattern", "tcp/s", "tls/s", "ratio");
  for (auto [name, p, target] : patterns) {
    (void)target;
    double tcp = best([](const auto& ready) { rpc_serve(Format::msgpack, false, ready); },
                      [p](int port) { return rpc_client(Format::msgpack, false, port, p); });
    double tls = best([](const auto& ready) { rpc_serve(Format::msgpack, true, ready); },
                      [p](int port) { return rpc_client(Format::msgpack, true, port, p); });
    std::printf("%-8s %-8s %-14s %14.0f %14.0f %7.2fx\n", "rpc+tls", "msgpack", name, tcp, tls, tls / tcp);
    std::fflush(stdout);
  }
  return 0;
}
