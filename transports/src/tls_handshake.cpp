// The TLS handshakes: the client's (awaited by connect) and the server's
// (one per accepted TCP connection, owned by the loop's TlsRegistry until it
// ends), each bounded by a handshake timer.
#include "stream_factories.hpp"
#include "tls_stream.hpp"
#include "uvmas/core/detail/uv_handle.hpp"
#include "uvmas/core/error.hpp"
#include "uvmas/core/log.hpp"

#include <cmath>
#include <sstream>

namespace uvmas::detail {

namespace {

// "('127.0.0.1', 5555)" -> "127.0.0.1:5555", "('::1', 5555, 0, 0)" -> "[::1]:5555":
// error messages name the endpoint the way a user typed it.
std::string endpoint_text(const std::string& peer) {
  if (peer.size() < 6 || peer.front() != '(' || peer[1] != '\'') return peer;
  auto quote = peer.find('\'', 2);
  if (quote == std::string::npos) return peer;
  std::string host = peer.substr(2, quote - 2);
  auto port_begin = peer.find_first_of("0123456789", quote);
  auto port_end = peer.find_first_not_of("0123456789", port_begin);
  if (port_begin == std::string::npos) return peer;
  std::string port = peer.substr(port_begin, port_end - port_begin);
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return host + ":" + port;
}

std::string seconds_text(double s) {
  std::ostringstream out;
  out << s;
  return out.str();
}

/// Arms a libuv timer that fails the handshake of `stream` after `seconds`.
class HandshakeTimer {
 public:
  HandshakeTimer(Loop& loop, TlsStream& stream, double seconds) : stream_(stream), seconds_(seconds) {
    if (!(seconds > 0)) return;
    if (timer_.init(uv_timer_init, loop.uv(), this) != 0) return;
    auto ms = static_cast<std::uint64_t>(std::ceil(seconds * 1000.0));
    uv_timer_start(timer_.get(), &HandshakeTimer::expired, ms, 0);
  }
  HandshakeTimer(const HandshakeTimer&) = delete;
  HandshakeTimer& operator=(const HandshakeTimer&) = delete;

 private:
  static void expired(uv_timer_t* t) {
    if (auto* self = owner_of<HandshakeTimer>(t)) {
      self->stream_.fail_handshake("handshake timed out after " + seconds_text(self->seconds_) + " s");
    }
  }
  TlsStream& stream_;
  double seconds_;
  UvHandle<uv_timer_t> timer_;
};

/// What a TLS listener shares with its handshakes. Handshakes hold it weakly:
/// once the listener (and with it the accept callback) is gone, a finished
/// handshake just closes its connection.
struct AcceptorState {
  std::shared_ptr<TlsContext> ctx;
  AcceptCallback on_accept;
};

class ServerHandshake final : public HandshakeListener {
 public:
  ServerHandshake(TlsRegistry& registry, std::weak_ptr<AcceptorState> acceptor, StreamPtr tcp,
                  const std::shared_ptr<TlsContext>& ctx)
      : registry_(registry),
        acceptor_(std::move(acceptor)),
        where_(endpoint_text(tcp->peer_name())),
        stream_(std::make_unique<TlsStream>(registry.loop(), std::move(tcp), ctx, TlsStream::Role::server, "")),
        timer_(registry.loop(), *stream_, ctx->config().handshake_timeout) {}

  void begin() { stream_->begin_handshake(*this); }

 private:
  void handshake_finished() override {
    auto self = registry_.take_handshake(this);  // this dies at the end of this call
    if (!stream_->handshake_error().empty()) {
      log(LogLevel::warning, "TLS handshake with " + where_ + " failed: " + stream_->handshake_error() +
                                 "; connection closed");
      return;
    }
    auto acceptor = acceptor_.lock();
    if (!acceptor) return;
    stream_->clear_listener();
    acceptor->on_accept(std::move(stream_));
  }

  TlsRegistry& registry_;
  std::weak_ptr<AcceptorState> acceptor_;
  std::string where_;
  std::unique_ptr<TlsStream> stream_;
  HandshakeTimer timer_;
};

/// Awaits the end of a client handshake.
struct HandshakeAwaiter final : HandshakeListener {
  TlsStream& stream;
  std::coroutine_handle<> waiter;
  explicit HandshakeAwaiter(TlsStream& s) : stream(s) {}
  HandshakeAwaiter(const HandshakeAwaiter&) = delete;
  ~HandshakeAwaiter() { stream.clear_listener(); }
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    waiter = h;
    stream.begin_handshake(*this);
  }
  void await_resume() const noexcept {}
  void handshake_finished() override { waiter.resume(); }
};

}  // namespace

Task<StreamPtr> tls_client(StreamPtr tcp, std::shared_ptr<TlsContext> ctx, std::string server_name) {
  Loop& loop = tcp->loop();
  std::string where = endpoint_text(tcp->peer_name());
  auto tls = std::make_unique<TlsStream>(loop, std::move(tcp), ctx, TlsStream::Role::client, server_name);
  HandshakeTimer timer(loop, *tls, ctx->config().handshake_timeout);
  co_await HandshakeAwaiter(*tls);
  if (!tls->handshake_error().empty()) {
    throw ConnectionError("TLS handshake with " + where + " failed: " + tls->handshake_error());
  }
  co_return tls;
}

AcceptCallback tls_server_acceptor(Loop& loop, std::shared_ptr<TlsContext> ctx, AcceptCallback on_accept) {
  if (!ctx) throw std::invalid_argument("TLS server: no TlsContext given");
  if (!ctx->has_certificate()) {
    throw std::invalid_argument("TLS server needs a certificate and key (TlsConfig::cert_file/key_file are empty)");
  }
  auto state = std::make_shared<AcceptorState>(AcceptorState{std::move(ctx), std::move(on_accept)});
  return [&loop, state](StreamPtr tcp) {
    auto& registry = loop.service<TlsRegistry>();
    auto handshake = std::make_unique<ServerHandshake>(registry, state, std::move(tcp), state->ctx);
    ServerHandshake& started = *handshake;
    registry.add_handshake(std::move(handshake));
    started.begin();
  };
}

}  // namespace uvmas::detail
