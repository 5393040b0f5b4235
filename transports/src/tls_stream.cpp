#include "tls_stream.hpp"

#include "uvmas/core/error.hpp"

#include <algorithm>

#include <cstring>

namespace uvmas::detail {

namespace {

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

}  // namespace

TlsStream::TlsStream(Loop& loop, StreamPtr inner, std::shared_ptr<TlsContext> ctx, Role role, const std::string& host)
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
}

TlsStream::~TlsStream() {
  if (destroyed_flag_) *destroyed_flag_ = true;  // tells a running pump() to stop
  close();
}

void TlsStream::begin_handshake(HandshakeListener& listener) {
  listener_ = &listener;
  inner_->start(*this);
  step_handshake();
}

void TlsStream::start(StreamHandler& handler) {
  handler_ = &handler;
  paused_ = false;
  if (state_ != State::open) return;
  if (inner_) inner_->resume_reading();
  // Records that arrived with the end of the handshake wait in in_; a
  // clean stack delivers them (and a close seen meanwhile).
  loop_.call_soon(pump_node_);
}

void TlsStream::pause_reading() {
  paused_ = true;
  if (inner_ && state_ == State::open) inner_->pause_reading();
}

void TlsStream::resume_reading() {
  if (!paused_ || state_ != State::open) return;
  paused_ = false;
  if (inner_) inner_->resume_reading();
  loop_.call_soon(pump_node_);
}

void TlsStream::flush() {
  if (state_ != State::open || out_.empty()) return;
  if (!encrypt_node_.linked()) loop_.call_soon(encrypt_node_);
}

void TlsStream::close() noexcept {
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
    // The inner stream sends those bytes, then FIN, then closes by itself.
    inner_->close_gracefully();
    return;
  }
  inner_->close();
}

Task<> TlsStream::drained() {
  // Plaintext queued here is encrypted into the inner stream first; what the
  // user appends while the inner stream drains is waited for as well.
  while (state_ == State::open && inner_ && (!out_.empty() || inner_->buffered() > 0)) {
    encrypt_node_.unlink();
    encrypt_and_flush();
    if (state_ == State::open && inner_) co_await inner_->drained();
  }
}

int TlsStream::bio_send(void* p, const unsigned char* buf, std::size_t len) {
  auto* self = static_cast<TlsStream*>(p);
  // Without an inner stream the bytes have nowhere to go; the close that
  // removed it is already reported.
  if (self->inner_) self->inner_->out().append(reinterpret_cast<const char*>(buf), len);
  return static_cast<int>(len);
}

int TlsStream::bio_recv(void* p, unsigned char* buf, std::size_t len) {
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

int TlsStream::verify(void* p, mbedtls_x509_crt* crt, int depth, std::uint32_t* flags) {
  auto* self = static_cast<TlsStream*>(p);
  if (depth != 0) return 0;
  self->peer_names_ = certificate_names(*crt);
  if (self->expected_ip_ && !certificate_has_ip(*crt, *self->expected_ip_)) {
    *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    self->ip_mismatch_ = true;
  }
  return 0;
}

void TlsStream::on_read(std::string_view data) {
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

void TlsStream::on_closed(std::string_view reason) {
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

void TlsStream::step_handshake() {
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

void TlsStream::finish_handshake(std::string error) {
  error_ = std::move(error);
  state_ = error_.empty() ? State::open : State::failed;
  if (state_ == State::failed && inner_) {
    // Like aiomas, drop a rejected peer without an alert.
    inner_->out().clear();
    inner_->pause_reading();
  }
  loop_.call_soon(done_node_);
}

std::string TlsStream::describe_failure(int rc) const {
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

void TlsStream::pump() {
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

void TlsStream::encrypt_out() {
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

void TlsStream::encrypt_and_flush() {
  if (state_ != State::open || !inner_) return;
  encrypt_out();
  if (state_ == State::open && inner_) inner_->flush();
}

void TlsStream::fail(const std::string& reason) {
  if (state_ != State::open) return;
  StreamHandler* h = handler_;
  close();
  if (h) h->on_closed(reason);
}

}  // namespace uvmas::detail
