#include "tls_registry.hpp"

#include "tls_stream.hpp"
#include "uvmas/core/detail/uv_handle.hpp"

#include <cstdint>

namespace uvmas::detail {

namespace {

/// Swallows the events of an inner stream that only waits to be closed.
class IgnoreEvents final : public StreamHandler {
 public:
  void on_read(std::string_view) override {}
  void on_closed(std::string_view) override {}
};
IgnoreEvents ignore_events;

}  // namespace

/// An inner stream waiting for its last bytes to leave. Checked on the next
/// loop pass, then by a short polling timer, and closed anyway after
/// linger_limit_ms (a peer that stopped reading).
struct TlsRegistry::Lingering final : SoonCallback {
  static constexpr std::uint64_t poll_ms = 2;
  static constexpr std::uint64_t linger_limit_ms = 10000;
  TlsRegistry* registry = nullptr;
  StreamPtr inner;
  UvHandle<uv_timer_t> timer;
  std::uint64_t waited_ms = 0;

  void fire() override {
    if (inner->buffered() > 0 && !inner->closed() && waited_ms < linger_limit_ms) {
      if (!timer && timer.init(uv_timer_init, registry->loop().uv(), this) == 0) {
        uv_timer_start(timer.get(), &Lingering::tick, poll_ms, poll_ms);
      }
      if (timer) return;
    }
    inner->close();
    registry->forget_lingering(this);  // destroys this
  }

  static void tick(uv_timer_t* t) {
    if (auto* self = owner_of<Lingering>(t)) {
      self->waited_ms += poll_ms;
      if (self->inner->buffered() == 0 || self->inner->closed() || self->waited_ms >= linger_limit_ms) self->fire();
    }
  }
};

TlsRegistry::TlsRegistry(Loop& loop) : loop_(loop) {}

TlsRegistry::~TlsRegistry() {
  // Streams the application still holds must no longer reach us.
  while (LiveNode* n = live.pop_front()) n->stream->detach_registry();
  auto handshakes = std::move(handshakes_);
  handshakes.clear();
  auto lingering = std::move(lingering_);
  for (auto& [ptr, l] : lingering) l->inner->close();
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

void TlsRegistry::forget_lingering(Lingering* l) { lingering_.erase(l); }

}  // namespace uvmas::detail
