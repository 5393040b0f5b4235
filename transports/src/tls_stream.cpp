// TlsStream: TLS (mbedTLS 2.28) layered over another Stream (TCP). mbedTLS
// never touches the socket: its BIO callbacks read from a memory buffer fed
// by the inner stream's on_read, and write ciphertext into inner->out().
#include "stream_factories.hpp"
#include "tls_context.hpp"
#include "uvmas/core/error.hpp"
#include "uvmas/core/intrusive_list.hpp"
#include "uvmas/core/log.hpp"
#include "uvmas/core/uv_handle.hpp"

#include <cmath>
#include <cstring>
#include <sstream>
#include <unordered_map>

namespace uvmas::detail {

namespace {

class TlsStream;
class TlsRegistry;

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

const char* alert_name(int alert) {
  switch (alert) {
    case MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE: return "handshake failure";
    case MBEDTLS_SSL_ALERT_MSG_BAD_CERT: return "bad certificate";
    case MBEDTLS_SSL_ALERT_MSG_UNSUPPORTED_CERT: return "unsupported certificate";
    case MBEDTLS_SSL_ALERT_MSG_CERT_REVOKED: return "certificate revoked";
    case MBEDTLS_SSL_ALERT_MSG_CERT_EXPIRED: return "certificate expired";
    case MBEDTLS_SSL_ALERT_MSG_CERT_UNKNOWN: return "certificate unknown";
    case MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA: return "unknown CA";
    case MBEDTLS_SSL_ALERT_MSG_ACCESS_DENIED: return "access denied";
    case MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION: return "protocol version";
    case MBEDTLS_SSL_ALERT_MSG_INSUFFICIENT_SECURITY: return "insufficient security";
    case MBEDTLS_SSL_ALERT_MSG_DECRYPT_ERROR: return "decrypt error";
    default: return "alert";
  }
}

/// Told (from a clean stack) when a TlsStream's handshake has finished, either way.
class HandshakeListener {
 public:
  virtual void handshake_finished() = 0;

 protected:
  ~HandshakeListener() = default;
};

/// Swallows the events of an inner stream that only waits to be closed.
class IgnoreEvents final : public StreamHandler {
 public:
  void on_read(std::string_view) override {}
  void on_closed(std::string_view) override {}
};
IgnoreEvents ignore_events;

/// An inner stream that closes once its last bytes (the user's, then
/// close_notify) are with the kernel: the inner stream's close() would drop
/// them. Checked on the next loop pass, then by a short polling timer, and
/// closed anyway after linger_limit_ms (a peer that stopped reading).
struct Lingering final : SoonCallback {
  static constexpr std::uint64_t poll_ms = 2;
  static constexpr std::uint64_t linger_limit_ms = 10000;
  TlsRegistry* registry = nullptr;
  StreamPtr inner;
  UvHandle<uv_timer_t> timer;
  std::uint64_t waited_ms = 0;
  void fire() override;
  static void tick(uv_timer_t* t);
};

/// A server handshake in progress (owned by the registry until it ends).
class ServerHandshake;

/// What the TLS transport keeps per loop: the server handshakes not yet
/// handed to the application, inner streams closing after close_notify, and
/// the live TlsStreams (so that none uses the registry after loop teardown).
class TlsRegistry final : public LoopService {
 public:
  explicit TlsRegistry(Loop& loop) : loop_(loop) {}
  ~TlsRegistry() override;

  Loop& loop() noexcept { return loop_; }
  void add_handshake(std::unique_ptr<ServerHandshake> hs);
  std::unique_ptr<ServerHandshake> take_handshake(ServerHandshake* hs);
  void linger(StreamPtr inner);
  void forget_lingering(Lingering* l) { lingering_.erase(l); }

  struct LiveNode : ListNode {
    TlsStream* stream = nullptr;
  };
  IntrusiveList<LiveNode> live;

 private:
  Loop& loop_;
  std::unordered_map<ServerHandshake*, std::unique_ptr<ServerHandshake>> handshakes_;
  std::unordered_map<Lingering*, std::unique_ptr<Lingering>> lingering_;
};

void Lingering::fire() {
  if (inner->buffered() > 0 && !inner->closed() && waited_ms < linger_limit_ms) {
    if (!timer && timer.init(uv_timer_init, registry->loop().uv(), this) == 0) {
      uv_timer_start(timer.get(), &Lingering::tick, poll_ms, poll_ms);
    }
    if (timer) return;
  }
  inner->close();
  registry->forget_lingering(this);  // destroys this
}

void Lingering::tick(uv_timer_t* t) {
  if (auto* self = owner_of<Lingering>(t)) {
    self->waited_ms += poll_ms;
    if (self->inner->buffered() == 0 || self->inner->closed() || self->waited_ms >= linger_limit_ms) self->fire();
  }
}

/// The TLS stream. Life: handshaking -> open -> closed (or handshaking ->
/// failed). The handshake result is reported to a HandshakeListener; the
/// stream is handed to its user only once open.
class TlsStream final : public Stream, private StreamHandler {
 public:
  enum class Role { client, server };

  TlsStream(Loop& loop, StreamPtr inner, std::shared_ptr<TlsContext> ctx, Role role, const std::string& host)
      : loop_(loop), ctx_(std::move(ctx)), inner_(std::move(inner)), role_(role), peer_(inner_->peer_name()) {
    auto& im = TlsContextAccess::impl(*ctx_);
    int rc = mbedtls_ssl_setup(ssl_.get(), role == Role::client ? im.client_conf.get() : im.server_conf.get());
    if (rc != 0) throw ConnectionError("TLS setup failed: " + mbed_error_text(rc));
    if (role == Role::client) {
      // mbedTLS 2.28 matches only DNS names: an IP host is checked against the
      // certificate's IP SAN entries in verify() instead.
      expected_ip_ = ip_literal_bytes(host);
      if (!expected_ip_) {
        rc = mbedtls_ssl_set_hostname(ssl_.get(), host.c_str());
        if (rc != 0) throw ConnectionError("TLS setup failed for host '" + host + "': " + mbed_error_text(rc));
      }
      mbedtls_ssl_set_verify(ssl_.get(), &TlsStream::verify, this);
    }
    mbedtls_ssl_set_bio(ssl_.get(), this, &TlsStream::bio_send, &TlsStream::bio_recv, nullptr);
    registry_ = &loop_.service<TlsRegistry>();
    live_node_.stream = this;
    registry_->live.push_back(live_node_);
  }

  ~TlsStream() override {
    if (destroyed_flag_) *destroyed_flag_ = true;  // tells a running pump() to stop
    close();
  }

  /// Sends the first flight (client) or waits for the client's hello (server).
  void begin_handshake(HandshakeListener& listener) {
    listener_ = &listener;
    inner_->start(*this);
    step_handshake();
  }
  /// Aborts the handshake with `reason` (timeout); no-op once it has ended.
  void fail_handshake(std::string reason) {
    if (state_ == State::handshaking) finish_handshake(std::move(reason));
  }
  void clear_listener() noexcept { listener_ = nullptr; }
  bool handshake_done() const noexcept { return state_ != State::handshaking; }
  /// Why the handshake failed ("" if it succeeded).
  const std::string& handshake_error() const noexcept { return error_; }
  void detach_registry() noexcept {
    registry_ = nullptr;
    live_node_.unlink();
  }

  // -- Stream --------------------------------------------------------------
  void start(StreamHandler& handler) override {
    handler_ = &handler;
    paused_ = false;
    if (state_ != State::open) return;
    if (inner_) inner_->resume_reading();
    // Records that arrived with the end of the handshake wait in in_; a
    // clean stack delivers them (and a close seen meanwhile).
    loop_.call_soon(pump_node_);
  }
  void pause_reading() override {
    paused_ = true;
    if (inner_ && state_ == State::open) inner_->pause_reading();
  }
  void resume_reading() override {
    if (!paused_ || state_ != State::open) return;
    paused_ = false;
    if (inner_) inner_->resume_reading();
    loop_.call_soon(pump_node_);
  }
  void flush() override {
    if (state_ != State::open || out_.empty()) return;
    if (!encrypt_node_.linked()) loop_.call_soon(encrypt_node_);
  }
  std::size_t buffered() const noexcept override { return out_.size() + (inner_ ? inner_->buffered() : 0); }
  void set_high_water(std::size_t bytes) noexcept override {
    if (inner_) inner_->set_high_water(bytes);
  }

  void close() noexcept override {
    if (state_ == State::closed) return;
    bool was_open = state_ == State::open;
    state_ = State::closed;
    pump_node_.unlink();
    encrypt_node_.unlink();
    done_node_.unlink();
    handler_ = nullptr;
    if (!inner_) return;
    if (was_open && !inner_->closed()) {
      // A clean close: what the user queued, then close_notify, then FIN.
      encrypt_out();
      mbedtls_ssl_close_notify(ssl_.get());
      inner_->flush();
      if (registry_) {
        registry_->linger(std::move(inner_));
        return;
      }
    }
    inner_->close();
  }
  bool closed() const noexcept override { return state_ == State::closed; }
  bool peer_gone() noexcept override { return state_ == State::closed || !inner_ || inner_->peer_gone(); }
  std::string peer_name() const override { return peer_; }
  Loop& loop() const noexcept override { return loop_; }

 private:
  enum class State { handshaking, open, failed, closed };

  struct Node final : SoonCallback {
    TlsStream* self;
    void (TlsStream::*fn)();
    Node(TlsStream* s, void (TlsStream::*f)()) : self(s), fn(f) {}
    void fire() override { (self->*fn)(); }
  };

  // -- mbedTLS callbacks -----------------------------------------------------
  static int bio_send(void* p, const unsigned char* buf, std::size_t len) {
    auto* self = static_cast<TlsStream*>(p);
    // Without an inner stream the bytes have nowhere to go; the close that
    // removed it is already reported.
    if (self->inner_) self->inner_->out().append(reinterpret_cast<const char*>(buf), len);
    return static_cast<int>(len);
  }
  static int bio_recv(void* p, unsigned char* buf, std::size_t len) {
    auto* self = static_cast<TlsStream*>(p);
    std::size_t avail = self->in_.size() - self->in_pos_;
    if (avail == 0) return MBEDTLS_ERR_SSL_WANT_READ;
    std::size_t n = std::min(len, avail);
    std::memcpy(buf, self->in_.data() + self->in_pos_, n);
    self->in_pos_ += n;
    if (self->in_pos_ == self->in_.size()) {
      self->in_.clear();
      self->in_pos_ = 0;
    }
    return static_cast<int>(n);
  }
  // Client side, for each certificate of the server's chain (depth 0 = the
  // server's own): remember its names for messages, and check an IP host.
  static int verify(void* p, mbedtls_x509_crt* crt, int depth, std::uint32_t* flags) {
    auto* self = static_cast<TlsStream*>(p);
    if (depth != 0) return 0;
    self->peer_names_ = certificate_names(*crt);
    if (self->expected_ip_ && !certificate_has_ip(*crt, *self->expected_ip_)) {
      *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
      self->ip_mismatch_ = true;
    }
    return 0;
  }

  // -- inner stream events ---------------------------------------------------
  void on_read(std::string_view data) override {
    if (in_pos_ > 0 && in_pos_ >= in_.size() / 2) {
      in_.erase(0, in_pos_);
      in_pos_ = 0;
    }
    in_.append(data);
    if (state_ == State::handshaking) {
      step_handshake();
    } else if (state_ == State::open && handler_ && !paused_) {
      pump();
    }
  }
  void on_closed(std::string_view reason) override {
    if (state_ == State::handshaking) {
      finish_handshake(role_ == Role::client ? "connection closed during handshake (the server rejected our certificate?)"
                                             : "connection closed during handshake");
      return;
    }
    if (state_ != State::open) return;
    // Decrypt what is still buffered before reporting the end.
    inner_closed_ = reason.empty() ? "connection closed by peer" : std::string(reason);
    if (handler_ && !paused_) pump();
  }
  void on_drained() override {
    if (state_ == State::open && handler_) handler_->on_drained();
  }

  // -- handshake ---------------------------------------------------------------
  void step_handshake() {
    int rc = mbedtls_ssl_handshake(ssl_.get());
    if (inner_ && !inner_->out().empty()) inner_->flush();
    if (rc == 0) {
      // Hold further input until the user calls start().
      inner_->pause_reading();
      finish_handshake("");
    } else if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE) {
      finish_handshake(describe_failure(rc));
    }
  }

  void finish_handshake(std::string error) {
    error_ = std::move(error);
    state_ = error_.empty() ? State::open : State::failed;
    if (state_ == State::failed && inner_) {
      // Like aiomas, drop a rejected peer without an alert.
      inner_->out().clear();
      inner_->pause_reading();
    }
    loop_.call_soon(done_node_);
  }
  void report_done() {
    if (listener_) listener_->handshake_finished();  // may destroy this
  }

  std::string describe_failure(int rc) const {
    const std::string cert = role_ == Role::server ? "client certificate" : "certificate";
    switch (rc) {
      case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED: {
        std::uint32_t flags = mbedtls_ssl_get_verify_result(ssl_.get());
        if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) return cert + " not trusted (issuer unknown)";
        if (flags & MBEDTLS_X509_BADCERT_EXPIRED) return cert + " expired";
        if (flags & MBEDTLS_X509_BADCERT_FUTURE) return cert + " not valid yet";
        if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) {
          std::string names;
          for (const auto& n : peer_names_) names += (names.empty() ? "" : ", ") + n;
          return std::string(ip_mismatch_ ? "IP address mismatch" : "host name mismatch") + " (certificate is for " +
                 (names.empty() ? "no name" : names) + ")";
        }
        if (flags & MBEDTLS_X509_BADCERT_MISSING) return "no " + cert + " presented";
        char info[512];
        mbedtls_x509_crt_verify_info(info, sizeof info, "", flags);
        std::string text = cert + " rejected: " + info;
        while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
        return text;
      }
      case MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE:
        return "client presented no certificate";
      case MBEDTLS_ERR_SSL_INVALID_RECORD:
      case MBEDTLS_ERR_SSL_BAD_HS_CLIENT_HELLO:
      case MBEDTLS_ERR_SSL_BAD_HS_SERVER_HELLO:
      case MBEDTLS_ERR_SSL_UNEXPECTED_MESSAGE:
        // Garbage before the peer's first hello: not TLS at all.
        if (ssl_->state <= MBEDTLS_SSL_SERVER_HELLO) return "peer is not speaking TLS (plaintext?)";
        return "protocol error: " + mbed_error_text(rc);
      case MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION:
        return "peer does not offer TLS 1.2";
      case MBEDTLS_ERR_SSL_NO_CIPHER_CHOSEN:
      case MBEDTLS_ERR_SSL_NO_USABLE_CIPHERSUITE:
        return "no common cipher suite (ECDHE with AES-GCM required)";
      case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE: {
        int alert = ssl_->in_msg ? ssl_->in_msg[1] : -1;
        std::string text = std::string("peer sent fatal TLS alert: ") + alert_name(alert) + " (" + std::to_string(alert) + ")";
        if (alert == MBEDTLS_SSL_ALERT_MSG_BAD_CERT || alert == MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA ||
            alert == MBEDTLS_SSL_ALERT_MSG_CERT_UNKNOWN || alert == MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE) {
          text += role_ == Role::client ? " (the server rejected our certificate?)" : " (the client rejected ours?)";
        }
        return text;
      }
      case MBEDTLS_ERR_SSL_CONN_EOF:
        return "connection closed during handshake";
      default:
        return mbed_error_text(rc);
    }
  }

  // -- data ------------------------------------------------------------------
  // Decrypts what in_ holds and hands it to the user, until mbedTLS wants
  // more, the user pauses or closes, or the stream ends.
  void pump() {
    if (state_ != State::open || !handler_ || paused_) return;
    bool destroyed = false;
    destroyed_flag_ = &destroyed;
    std::string plain;
    auto deliver = [&]() {
      if (plain.empty()) return true;
      handler_->on_read(plain);
      plain.clear();
      return !destroyed && state_ == State::open && handler_ && !paused_;
    };
    unsigned char buf[16384];
    while (true) {
      int rc = mbedtls_ssl_read(ssl_.get(), buf, sizeof buf);
      if (rc > 0) {
        plain.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(rc));
        if (plain.size() >= (256u << 10) && !deliver()) break;
        continue;
      }
      if (!deliver()) break;
      if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
        if (!inner_closed_.empty()) fail(inner_closed_);
      } else if (rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || rc == 0) {
        fail("connection closed by peer");
      } else {
        fail("TLS error: " + mbed_error_text(rc));
      }
      break;
    }
    if (!destroyed) destroyed_flag_ = nullptr;
  }

  void encrypt_out() {
    std::size_t pos = 0;
    while (pos < out_.size()) {
      int rc = mbedtls_ssl_write(ssl_.get(), reinterpret_cast<const unsigned char*>(out_.data() + pos), out_.size() - pos);
      if (rc < 0) {
        out_.clear();
        fail("TLS error: " + mbed_error_text(rc));
        return;
      }
      pos += static_cast<std::size_t>(rc);
    }
    out_.clear();
  }
  void encrypt_and_flush() {
    if (state_ != State::open || !inner_) return;
    encrypt_out();
    if (state_ == State::open && inner_) inner_->flush();
  }

  void fail(const std::string& reason) {
    if (state_ != State::open) return;
    StreamHandler* h = handler_;
    close();
    if (h) h->on_closed(reason);
  }

  Loop& loop_;
  // The SSL context points into the TlsContext's configuration: keep it alive.
  std::shared_ptr<TlsContext> ctx_;
  StreamPtr inner_;
  Role role_;
  std::string peer_;
  MbedSsl ssl_;  // after ctx_: freed before the configuration it uses
  State state_ = State::handshaking;
  std::string error_;
  HandshakeListener* listener_ = nullptr;
  StreamHandler* handler_ = nullptr;
  bool paused_ = true;
  std::string in_;
  std::size_t in_pos_ = 0;
  std::string inner_closed_;
  std::optional<std::string> expected_ip_;
  std::vector<std::string> peer_names_;
  bool ip_mismatch_ = false;
  bool* destroyed_flag_ = nullptr;
  TlsRegistry* registry_ = nullptr;
  TlsRegistry::LiveNode live_node_;
  Node pump_node_{this, &TlsStream::pump};
  Node encrypt_node_{this, &TlsStream::encrypt_and_flush};
  Node done_node_{this, &TlsStream::report_done};
};

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

class ServerHandshake final : private HandshakeListener {
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

TlsRegistry::~TlsRegistry() {
  // Streams the application still holds must no longer reach us.
  while (LiveNode* n = live.pop_front()) n->stream->detach_registry();
  auto handshakes = std::move(handshakes_);
  handshakes.clear();
  auto lingering = std::move(lingering_);
  for (auto& [ptr, l] : lingering) l->inner->close();
}

void TlsRegistry::add_handshake(std::unique_ptr<ServerHandshake> hs) {
  ServerHandshake* key = hs.get();
  handshakes_.emplace(key, std::move(hs));
  key->begin();
}

std::unique_ptr<ServerHandshake> TlsRegistry::take_handshake(ServerHandshake* hs) {
  auto it = handshakes_.find(hs);
  if (it == handshakes_.end()) return nullptr;
  auto owned = std::move(it->second);
  handshakes_.erase(it);
  return owned;
}

void TlsRegistry::linger(StreamPtr inner) {
  auto l = std::make_unique<Lingering>();
  l->registry = this;
  l->inner = std::move(inner);
  l->inner->start(ignore_events);
  l->inner->pause_reading();
  loop_.call_soon(*l);
  Lingering* key = l.get();
  lingering_.emplace(key, std::move(l));
}

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
    registry.add_handshake(std::make_unique<ServerHandshake>(registry, state, std::move(tcp), state->ctx));
  };
}

}  // namespace uvmas::detail
