#pragma once
// Private: what the TLS transport keeps per loop: the server handshakes not
// yet handed to the application, inner streams closing after close_notify,
// and the live TlsStreams (so that none uses the registry after loop
// teardown).

#include "uvmas/core/detail/intrusive_list.hpp"
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
  /// Closes `inner` once its last bytes (the user's, then close_notify) are
  /// with the kernel: the inner stream's close() would drop them.
  void linger(StreamPtr inner);

  struct LiveNode : ListNode {
    TlsStream* stream = nullptr;
  };
  IntrusiveList<LiveNode> live;

 private:
  struct Lingering;
  void forget_lingering(Lingering* l);

  Loop& loop_;
  std::unordered_map<HandshakeListener*, std::unique_ptr<HandshakeListener>> handshakes_;
  std::unordered_map<Lingering*, std::unique_ptr<Lingering>> lingering_;
};

}  // namespace uvmas::detail
