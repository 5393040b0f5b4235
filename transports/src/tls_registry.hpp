#pragma once
// Private: what the TLS transport keeps per loop: the server handshakes not
// yet handed to the application.

#include "uvmas/core/loop.hpp"
#include "uvmas/transports/stream.hpp"

#include <memory>
#include <unordered_map>

namespace uvmas::detail {

class TlsStream;

/// Told (from a clean stack) when a TlsStream's handshake has finished, either way.
class HandshakeListener {
 public:
  virtual ~HandshakeListener() = default;
  virtual void handshake_finished() = 0;
};

class TlsRegistry final : public LoopService {
 public:
  explicit TlsRegistry(Loop& loop);
  ~TlsRegistry() override;

  Loop& loop() noexcept { return loop_; }
  /// Keeps a server handshake alive until take_handshake() (or loop teardown).
  void add_handshake(std::unique_ptr<HandshakeListener> hs);
  /// Hands back the ownership of a handshake given to add_handshake().
  std::unique_ptr<HandshakeListener> take_handshake(HandshakeListener* hs);

 private:
  Loop& loop_;
  std::unordered_map<HandshakeListener*, std::unique_ptr<HandshakeListener>> handshakes_;
};

}  // namespace uvmas::detail
