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

namespace uvmas::bench {

double with_server(const std::function<void(const std::function<void(int)>&)>& serve,
                   const std::function<double(int)>& client) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    serve([&](int port) {
      (void)!::write(fds[1], &port, sizeof port);
      ::close(fds[1]);
    });
    ::_exit(0);
  }
  ::close(fds[1]);
  int port = 0;
  if (::read(fds[0], &port, sizeof port) != sizeof port) throw std::runtime_error("server did not start");
  ::close(fds[0]);
  double rate = client(port);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return rate;
}

}  // namespace uvmas::bench

int main(int argc, char** argv) {
  using namespace uvmas;
  using namespace uvmas::bench;
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int rounds = quick ? 1 : 3;
  const Pattern sequential{quick ? 5'000u : 20'000u, 1};
  const Pattern pipelined{quick ? 50'000u : 300'000u, 100};
  std::printf("channel round trips over TCP loopback, server in a second process (best of %d)\n", rounds);
  std::printf("%-8s %-14s %14s %14s %8s %8s\n", "codec", "pattern", "raw libuv/s", "uvmas/s", "ratio", "target");
  for (Format f : {Format::json, Format::msgpack}) {
    for (auto [name, p, target] : {std::tuple{"sequential", sequential, 0.9}, std::tuple{"100 in flight", pipelined, 0.75}}) {
      double raw = 0, ours = 0;
      for (int r = 0; r < rounds; ++r) {
        raw = std::max(raw, with_server([f](const auto& ready) { raw_serve(f, ready); },
                                        [f, p](int port) { return raw_client(f, port, p); }));
        ours = std::max(ours, with_server([f](const auto& ready) { channel_serve(f, ready); },
                                          [f, p](int port) { return channel_client(f, port, p); }));
      }
      std::printf("%-8s %-14s %14.0f %14.0f %7.2fx %7.2fx\n", std::string(to_string(f)).c_str(), name, raw, ours,
                  ours / raw, target);
      std::fflush(stdout);
    }
  }
  return 0;
}
