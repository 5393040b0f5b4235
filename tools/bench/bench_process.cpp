// Runs a benchmark server in a child process (fork, or fork + exec of a
// program) and the client here; the alternating-runs helper.

#include "bench.hpp"

#include <uvmas/core/wait_list.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <stdexcept>

namespace uvmas::bench {

void serve_until_killed(Loop& loop) {
  Event never(loop);
  loop.run(never.wait());
}

double with_server(const std::function<void(const std::function<void(int)>&)>& serve,
                   const std::function<double(int)>& client) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    try {
      serve([&](int port) {
        (void)!::write(fds[1], &port, sizeof port);
        ::close(fds[1]);
      });
    } catch (const std::exception& e) {
      std::fprintf(stderr, "benchmark server: %s\n", e.what());
      ::_exit(1);
    }
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

double with_program(const std::vector<std::string>& argv, const std::function<double(int)>& client) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  // Read up to the READY line; the port is what follows its last ':'.
  std::string out;
  char c;
  while (::read(fds[0], &c, 1) == 1) {
    if (c != '\n') {
      out += c;
      continue;
    }
    if (out.rfind("READY ", 0) == 0) break;
    out.clear();
  }
  ::close(fds[0]);
  auto colon = out.rfind(':');
  if (out.rfind("READY ", 0) != 0 || colon == std::string::npos) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw std::runtime_error(argv[0] + " did not print READY <address>");
  }
  int port = std::stoi(out.substr(colon + 1));
  double rate = 0;
  try {
    rate = client(port);
  } catch (...) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw;
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return rate;
}

std::string uvmas_program() {
  char path[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) throw std::runtime_error("cannot find the benchmark's own path");
  std::string self(path, static_cast<std::size_t>(n));
  return self.substr(0, self.rfind('/') + 1) + "uvmas";
}

double raw_rate(Format codec, Payload payload, Pattern p) {
  return with_server([codec, payload](const auto& ready) { raw_serve(codec, payload, ready); },
                     [codec, payload, p](int port) { return raw_client(codec, payload, port, p); });
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

Medians alternate(int rounds, const std::function<double()>& base, const std::function<double()>& ours) {
  std::vector<double> b, o;
  for (int r = 0; r < rounds; ++r) {
    // Swap who goes first every round, so neither side always runs on a warmer machine.
    if (r % 2 == 0) {
      b.push_back(base());
      o.push_back(ours());
    } else {
      o.push_back(ours());
      b.push_back(base());
    }
  }
  std::vector<double> ratios;
  for (std::size_t i = 0; i < b.size(); ++i) ratios.push_back(o[i] / b[i]);
  return {median(b), median(o), median(ratios)};
}

}  // namespace uvmas::bench
