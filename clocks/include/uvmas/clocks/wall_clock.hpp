#pragma once
/// \file
/// `WallClock`: real time on the loop (aiomas's `AsyncioClock`).

#include <uvmas/clocks/clock.hpp>

#include <memory>

namespace uvmas {

/// A clock that follows real time. All its timers and sleepers share ONE
/// libuv timer, armed to the earliest deadline of the clock's queue (so a
/// million sleeping agents cost one uv handle). While anything is pending the
/// timer keeps the loop alive.
class WallClock final : public Clock {
 public:
  explicit WallClock(Loop& loop);
  ~WallClock() override;

  /// Monotonic seconds (libuv's high-resolution clock; arbitrary origin).
  double time() const override;
  /// The system's UTC time, offset 0.
  DateTime utcnow() const override;

 private:
  void timers_changed() noexcept override;
  void on_timer() noexcept;

  struct Timer;
  std::unique_ptr<Timer> timer_;
};

}  // namespace uvmas
