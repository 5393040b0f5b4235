#pragma once
// A plain blocking TCP client outside any loop, for tests that play a hostile
// or unlucky peer byte by byte (small receive window, half-close, never
// reading) against a server in this or another process. Writes use
// MSG_NOSIGNAL, so the test itself never dies of SIGPIPE.

#include <uvmas/codecs/frame.hpp>
#include <uvmas/transports/address.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace uvmas::test {

class BlockingSocket {
 public:
  /// Connects to a loopback IPv4 `address`; `receive_buffer` > 0 shrinks
  /// SO_RCVBUF first (so the peer's replies back up quickly).
  explicit BlockingSocket(const Address& address, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket() failed");
    if (receive_buffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(address.port);
    ::inet_pton(AF_INET, address.host == "localhost" ? "127.0.0.1" : address.host.c_str(), &sa.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect() failed: errno " + std::to_string(errno));
    }
    set_timeout(5.0);
  }
  ~BlockingSocket() { close(); }
  BlockingSocket(const BlockingSocket&) = delete;
  BlockingSocket& operator=(const BlockingSocket&) = delete;

  /// Send and receive calls give up after `seconds`.
  void set_timeout(double seconds) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(seconds);
    tv.tv_usec = static_cast<suseconds_t>((seconds - static_cast<double>(tv.tv_sec)) * 1e6);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  /// Sends all of `data`; false when the peer stopped taking bytes (timeout) or the connection broke.
  bool send_all(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  /// Receives up to `max` bytes; 0 on timeout, EOF or error.
  std::size_t receive(std::size_t max) {
    std::string buf(max, '\0');
    ssize_t n = ::recv(fd_, buf.data(), max, 0);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  /// Receives exactly one frame's payload (empty on timeout or EOF).
  std::string receive_frame() {
    std::string header = receive_exactly(frame_header_size);
    if (header.size() < frame_header_size) return {};
    return receive_exactly(read_frame_header(header.data()));
  }
  /// Sends FIN while still reading (the peer may not notice while it does not read).
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  std::string receive_exactly(std::size_t n) {
    std::string out(n, '\0');
    std::size_t got = 0;
    while (got < n) {
      ssize_t r = ::recv(fd_, out.data() + got, n - got, 0);
      if (r <= 0) return {};
      got += static_cast<std::size_t>(r);
    }
    return out;
  }
  int fd_ = -1;
};

/// The resident set size of process `pid` in bytes, from /proc/PID/status (0 if unreadable).
inline std::size_t resident_bytes(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

}  // namespace uvmas::test
