#pragma once
// Helpers for the TLS tests: contexts from the test certificates, an
// echo server on any Stream, a collecting client handler, a log capture.

#include <uvmas/core/log.hpp>
#include <uvmas/core/loop.hpp>
#include <uvmas/transports/connect.hpp>
#include <uvmas/transports/tls.hpp>

#include <unistd.h>

#include <coroutine>
#include <memory>
#include <string>
#include <vector>

namespace uvmas::tls_test {

/// A file of the TLS test certificates (tests/data/tls).
inline std::string cert_path(const std::string& name) { return std::string(UVMAS_TEST_DATA_DIR) + "/tls/" + name; }

/// A fresh Unix socket path in /tmp.
inline std::string temp_socket_path(const std::string& stem) {
  static int counter = 0;
  return "/tmp/uvmas-tls-test-" + std::to_string(::getpid()) + "-" + stem + "-" + std::to_string(counter++) + ".sock";
}

/// A context from the test certificates: `ca`, and `identity` ("server",
/// "client", "other-client" or "" for none).
inline std::shared_ptr<TlsContext> tls_context(const std::string& ca, const std::string& identity,
                                               double handshake_timeout = 10.0) {
  TlsConfig config;
  config.ca_file = cert_path(ca + ".pem");
  if (!identity.empty()) {
    config.cert_file = cert_path(identity + ".pem");
    config.key_file = cert_path(identity + ".key");
  }
  config.handshake_timeout = handshake_timeout;
  return TlsContext::create(config);
}

/// Records what a stream delivers and wakes one waiting coroutine on every event.
class Collector final : public StreamHandler {
 public:
  explicit Collector(Loop& loop) : loop_(loop) {}
  std::string data;
  bool closed = false;
  std::string reason;

  void on_read(std::string_view chunk) override {
    data.append(chunk);
    wake();
  }
  void on_closed(std::string_view why) override {
    closed = true;
    reason = why;
    wake();
  }

  /// Waits for the next event (returns at once if one is queued).
  auto changed() {
    struct Awaiter {
      Collector& c;
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<> h) noexcept { c.wake_.handle = h; }
      void await_resume() noexcept { c.wake_.handle = nullptr; }
      ~Awaiter() {
        c.wake_.handle = nullptr;
        c.wake_.unlink();
      }
    };
    return Awaiter{*this};
  }

 private:
  void wake() {
    if (wake_.handle) loop_.call_soon(wake_);
  }
  Loop& loop_;
  ResumeSoon wake_;
};

/// Waits until `c` holds `n` bytes or is closed.
inline Task<> read_at_least(Collector& c, std::size_t n) {
  while (c.data.size() < n && !c.closed) co_await c.changed();
}
/// Waits until `c` is closed.
inline Task<> wait_closed(Collector& c) {
  while (!c.closed) co_await c.changed();
}

/// Echoes every byte back on each accepted stream; counts connections.
class EchoServer {
 public:
  EchoServer(Loop& loop, const Address& address, const TransportOptions& options) {
    listener_ = listen_stream(
        loop, address, [this](StreamPtr s) { conns_.push_back(std::make_unique<Conn>(std::move(s))); }, options);
  }
  std::string url() const { return listener_->address().url(); }
  const Address& address() const { return listener_->address(); }
  std::size_t accepted() const { return conns_.size(); }
  Stream& stream(std::size_t i) { return *conns_.at(i)->stream; }

 private:
  struct Conn final : StreamHandler {
    StreamPtr stream;
    explicit Conn(StreamPtr s) : stream(std::move(s)) { stream->start(*this); }
    void on_read(std::string_view d) override {
      stream->out().append(d);
      stream->flush();
    }
    void on_closed(std::string_view) override {}
  };
  std::vector<std::unique_ptr<Conn>> conns_;
  std::unique_ptr<Listener> listener_;
};

/// Captures uvmas log lines while alive.
class LogCapture {
 public:
  LogCapture() {
    set_log_sink([this](LogLevel, std::string_view text) { lines_.emplace_back(text); });
  }
  ~LogCapture() { set_log_sink(nullptr); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  const std::vector<std::string>& lines() const { return lines_; }
  std::string all() const {
    std::string s;
    for (auto& l : lines_) s += l + "\n";
    return s;
  }

 private:
  std::vector<std::string> lines_;
};

}  // namespace uvmas::tls_test
