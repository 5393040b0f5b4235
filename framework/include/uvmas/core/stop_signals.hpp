#pragma once
/// Clean shutdown on SIGINT/SIGTERM for programs built on uvmas (the CLI's
/// serve, container and subproc, and user programs): the handler only
/// requests the stop; the program's main task does the shutting down.

#include <uvmas/core/loop.hpp>

#include <functional>
#include <memory>

namespace uvmas {

/// Calls `on_stop` (from the loop) when the process gets SIGINT or SIGTERM,
/// for as long as this object lives. The watches do not keep the loop alive.
class StopOnSignals {
 public:
  StopOnSignals(Loop& loop, std::function<void()> on_stop);
  ~StopOnSignals();
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

 private:
  struct Watches;
  std::function<void()> on_stop_;
  std::unique_ptr<Watches> watches_;
};

}  // namespace uvmas
