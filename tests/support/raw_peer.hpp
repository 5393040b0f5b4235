#pragma once
// A peer that speaks raw bytes over any transport: tests use it to send
// malformed or hand-split frames and to read exactly what uvmas wrote.

#include <uvmas/core/wait_list.hpp>
#include <uvmas/core/loop.hpp>
#include <uvmas/core/task.hpp>
#include <uvmas/transports/connect.hpp>

#include <optional>
#include <string>

namespace uvmas::test {

class RawPeer final : public StreamHandler {
 public:
  explicit RawPeer(StreamPtr stream) : stream_(std::move(stream)) { stream_->start(*this); }
  ~RawPeer() { stream_->close(); }

  static Task<std::unique_ptr<RawPeer>> connect(Loop& loop, const Address& address) {
    auto s = co_await connect_stream(loop, address);
    co_return std::make_unique<RawPeer>(std::move(s));
  }

  /// Queues bytes (sent at the end of this loop pass).
  void write(std::string_view bytes) {
    stream_->out().append(bytes);
    stream_->flush();
  }
  /// Writes one byte per loop pass, so the peer sees the frame split byte by byte.
  Task<> write_slowly(std::string bytes) {
    for (char c : bytes) {
      write(std::string_view(&c, 1));
      co_await stream_->loop().yield();
      co_await stream_->loop().yield();
    }
  }
  /// Writes a frame: 4-byte big-endian length + payload.
  void write_frame(std::string_view payload) { write(frame(payload)); }
  static std::string frame(std::string_view payload) {
    std::string f(4, '\0');
    auto n = static_cast<std::uint32_t>(payload.size());
    f[0] = static_cast<char>(n >> 24);
    f[1] = static_cast<char>(n >> 16);
    f[2] = static_cast<char>(n >> 8);
    f[3] = static_cast<char>(n);
    f.append(payload);
    return f;
  }

  /// Reads one complete frame's payload; nullopt when the peer closed first.
  Task<std::optional<std::string>> read_frame() {
    for (;;) {
      if (in_.size() >= 4) {
        auto b = reinterpret_cast<const unsigned char*>(in_.data());
        std::size_t n = (std::size_t{b[0]} << 24) | (std::size_t{b[1]} << 16) | (std::size_t{b[2]} << 8) | b[3];
        if (in_.size() >= 4 + n) {
          std::string payload = in_.substr(4, n);
          in_.erase(0, 4 + n);
          co_return payload;
        }
      }
      if (closed_) co_return std::nullopt;
      co_await waiters_.wait();
    }
  }
  /// Waits until the other side closes the connection.
  Task<> wait_closed() {
    while (!closed_) co_await waiters_.wait();
  }
  bool closed() const noexcept { return closed_; }
  const std::string& close_reason() const noexcept { return reason_; }

  void on_read(std::string_view data) override {
    in_.append(data);
    wake();
  }
  void on_closed(std::string_view reason) override {
    closed_ = true;
    reason_ = reason;
    wake();
  }

 private:
  void wake() { waiters_.wake_all(stream_->loop()); }

  StreamPtr stream_;
  std::string in_;
  bool closed_ = false;
  std::string reason_;
  WaitList waiters_;
};

}  // namespace uvmas::test
