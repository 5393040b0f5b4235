#pragma once
// Private: TlsStream, TLS (mbedTLS 2.28) layered over another Stream (TCP).
// mbedTLS never touches the socket: its BIO callbacks read from a memory
// buffer fed by the inner stream's on_read, and write ciphertext into
// inner->out(). The handshakes that create TlsStreams are in tls_handshake.cpp,
// the per-loop bookkeeping in tls_registry.cpp.

#include "tls_context.hpp"
#include "tls_registry.hpp"
#include "uvmas/transports/stream.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace uvmas::detail {

/// The TLS stream. Life: handshaking -> open -> closed (or handshaking ->
/// failed). The handshake result is reported to a HandshakeListener; the
/// stream is handed to its user only once open.
class TlsStream final : public Stream, private StreamHandler {
 public:
  enum class Role { client, server };

  TlsStream(Loop& loop, StreamPtr inner, std::shared_ptr<TlsContext> ctx, Role role, const std::string& host);
  ~TlsStream() override;

  /// Sends the first flight (client) or waits for the client's hello (server).
  void begin_handshake(HandshakeListener& listener);
  /// Aborts the handshake with `reason` (timeout); no-op once it has ended.
  void fail_handshake(std::string reason) {
    if (state_ == State::handshaking) finish_handshake(std::move(reason));
  }
  void clear_listener() noexcept { listener_ = nullptr; }
  bool handshake_done() const noexcept { return state_ != State::handshaking; }
  /// Why the handshake failed ("" if it succeeded).
  const std::string& handshake_error() const noexcept { return error_; }

  // -- Stream --------------------------------------------------------------
  void start(StreamHandler& handler) override;
  void pause_reading() override;
  void resume_reading() override;
  void flush() override;
  std::size_t buffered() const noexcept override { return out_.size() + (inner_ ? inner_->buffered() : 0); }
  void set_high_water(std::size_t bytes) noexcept override {
    if (inner_) inner_->set_high_water(bytes);
  }

  Task<> drained() override;
  void close() noexcept override;
  bool closed() const noexcept override { return state_ == State::closed; }
  bool peer_gone() noexcept override { return state_ == State::closed || !inner_ || inner_->peer_gone(); }
  std::string peer_name() const override { return peer_; }
  std::string local_name() const override { return inner_ ? inner_->local_name() : std::string(); }
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
  static int bio_send(void* p, const unsigned char* buf, std::size_t len);
  static int bio_recv(void* p, unsigned char* buf, std::size_t len);
  // Client side, for each certificate of the server's chain (depth 0 = the
  // server's own): remember its names for messages, and check an IP host.
  static int verify(void* p, mbedtls_x509_crt* crt, int depth, std::uint32_t* flags);

  // -- inner stream events ---------------------------------------------------
  void on_read(std::string_view data) override;
  void on_closed(std::string_view reason) override;
  void on_drained() override {
    if (state_ == State::open && handler_) handler_->on_drained();
  }

  // -- handshake ---------------------------------------------------------------
  void step_handshake();
  void finish_handshake(std::string error);
  void report_done() {
    if (listener_) listener_->handshake_finished();  // may destroy this
  }

  std::string describe_failure(int rc) const;

  // -- data ------------------------------------------------------------------
  // Decrypts what in_ holds and hands it to the user, until mbedTLS wants
  // more, the user pauses or closes, or the stream ends.
  void pump();
  void encrypt_out();
  void encrypt_and_flush();
  void fail(const std::string& reason);

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
  Node pump_node_{this, &TlsStream::pump};
  Node encrypt_node_{this, &TlsStream::encrypt_and_flush};
  Node done_node_{this, &TlsStream::report_done};
};

}  // namespace uvmas::detail
