#include "tls_registry.hpp"

namespace uvmas::detail {

TlsRegistry::TlsRegistry(Loop& loop) : loop_(loop) {}

TlsRegistry::~TlsRegistry() {
  auto handshakes = std::move(handshakes_);
  handshakes.clear();
}

void TlsRegistry::add_handshake(std::unique_ptr<HandshakeListener> hs) {
  HandshakeListener* key = hs.get();
  handshakes_.emplace(key, std::move(hs));
}

std::unique_ptr<HandshakeListener> TlsRegistry::take_handshake(HandshakeListener* hs) {
  auto it = handshakes_.find(hs);
  if (it == handshakes_.end()) return nullptr;
  auto owned = std::move(it->second);
  handshakes_.erase(it);
  return owned;
}

}  // namespace uvmas::detail
