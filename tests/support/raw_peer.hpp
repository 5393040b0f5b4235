#pragma once
// A peer that speaks raw bytes over any transport: tests use it to send
// malformed or hand-split frames and to read exactly what uvmas wrote.

#include <uvmas/codecs/frame.hpp>
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
    std::string f;
    append_frame(f, payload);
    return f;
  }

  /// Reads one complete frame's payload; nullopt when the peer closed first.
  Task<std::optional<std::string>> read_frame() {
    for (;;) {
      if (auto payload = take_frame(in_)) co_return std::move(*payload);
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

/// Listens on `address`; the first connection it accepts becomes a RawPeer
/// that a test awaits with peer() (later connections are closed).
class RawServer {
 public:
  RawServer(Loop& loop, const Address& address) : accepted_(loop) {
    listener_ = listen_stream(loop, address, [this](StreamPtr s) {
      if (peer_) {
        s->close();
        return;
      }
      peer_ = std::make_unique<RawPeer>(std::move(s));
      accepted_.set();
    });
  }
  const Address& address() const noexcept { return listener_->address(); }
  /// The accepted peer, once there is one.
  Task<RawPeer*> peer() {
    co_await accepted_.wait();
    co_return peer_.get();
  }

 private:
  Event accepted_;
  std::unique_ptr<RawPeer> peer_;
  std::unique_ptr<Listener> listener_;  // last: stops accepting before the peer goes
};

}  // namespace uvmas::test
