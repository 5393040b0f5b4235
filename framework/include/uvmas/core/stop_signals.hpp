#pragma once
/// Clean shutdown on SIGINT/SIGTERM for programs built on uvmas (the CLI's
/// serve, container and subproc, and user programs): the handler only
/// requests the stop; the program's main task does the shutting down.

#include <uvmas/core/loop.hpp>
#include <uvmas/core/uv_handle.hpp>

#include <csignal>
#include <functional>

namespace uvmas {

/// Calls `on_stop` (from the loop) when the process gets SIGINT or SIGTERM,
/// for as long as this object lives. The watches do not keep the loop alive.
class StopOnSignals {
 public:
  StopOnSignals(Loop& loop, std::function<void()> on_stop) : on_stop_(std::move(on_stop)) {
    int numbers[2] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; ++i) {
      watches_[i].init(uv_signal_init, loop.uv(), this);
      uv_signal_start(watches_[i].get(), [](uv_signal_t* h, int) {
        if (auto* self = detail::owner_of<StopOnSignals>(h)) self->on_stop_();
      }, numbers[i]);
      uv_unref(watches_[i].handle());
    }
  }
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

 private:
  std::function<void()> on_stop_;
  detail::UvHandle<uv_signal_t> watches_[2];
};

}  // namespace uvmas
