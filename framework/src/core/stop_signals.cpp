#include "uvmas/core/stop_signals.hpp"

#include "uvmas/core/detail/uv_handle.hpp"

#include <csignal>

namespace uvmas {

struct StopOnSignals::Watches {
  detail::UvHandle<uv_signal_t> handles[2];
};

StopOnSignals::StopOnSignals(Loop& loop, std::function<void()> on_stop)
    : on_stop_(std::move(on_stop)), watches_(std::make_unique<Watches>()) {
  const int numbers[2] = {SIGINT, SIGTERM};
  for (int i = 0; i < 2; ++i) {
    auto& watch = watches_->handles[i];
    watch.init(uv_signal_init, loop.uv(), this);
    uv_signal_start(watch.get(), [](uv_signal_t* h, int) {
      if (auto* self = detail::owner_of<StopOnSignals>(h)) self->on_stop_();
    }, numbers[i]);
    uv_unref(watch.handle());
  }
}

StopOnSignals::~StopOnSignals() = default;

}  // namespace uvmas
