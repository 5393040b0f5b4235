#pragma once
// A loopback TCP port held for a program the test starts: a socket bound to
// port 0 (the kernel picks a free one) that never listens. While it is held
// no other bind(0) gets the port, a connect to it is refused, and a program
// may still listen on it: both sockets set SO_REUSEADDR (libuv does so for
// every TCP bind) and Linux lets such sockets share a port while only one of
// them listens. Closing a probe and hoping the port stays free races with
// every other test binding port 0 at the same time; holding it does not.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

namespace uvmas::test {

class ReservedPort {
 public:
  ReservedPort() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    if (fd_ < 0) fail("socket");
    int on = 1;
    if (::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) fail("setsockopt");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("bind");
    socklen_t len = sizeof addr;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) fail("getsockname");
    port_ = ntohs(addr.sin_port);
  }
  ~ReservedPort() { ::close(fd_); }
  ReservedPort(const ReservedPort&) = delete;
  ReservedPort& operator=(const ReservedPort&) = delete;

  std::uint16_t port() const noexcept { return port_; }

 private:
  [[noreturn]] void fail(const char* what) {
    const std::string text = std::string("ReservedPort: ") + what + ": " + std::strerror(errno);
    if (fd_ >= 0) ::close(fd_);
    throw std::runtime_error(text);
  }
  int fd_;
  std::uint16_t port_ = 0;
};

}  // namespace uvmas::test
