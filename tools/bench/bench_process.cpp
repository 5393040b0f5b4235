// Runs a benchmark server in a child process (fork) and the client here.

#include "bench.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

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
