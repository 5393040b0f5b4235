#pragma once
/// \file
/// `Clock`: the one interface every sleep, timer and timeout of uvmas reads
/// (aiomas's `BaseClock`). Agent code only ever sees a `Clock&`, so the same
/// code runs on the wall clock (`WallClock`) and on a clock whose time is set
/// from outside, e.g. by a mosaik master (`ExternalClock`).
///
/// Both clocks share one timer queue (clocks/src/timer_queue.hpp): 16-byte
/// keys ordered by (deadline, insertion) in a radix heap, plus a pool of slots
/// that hold the callback or the sleeping coroutine. Due entries are handed
/// to the loop's soon queue, so sleepers resume and callbacks run from a clean
/// stack, in (deadline, insertion) order.

#include <uvmas/codecs/datetime.hpp>
#include <uvmas/core/loop.hpp>
#include <uvmas/core/task.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace uvmas {

namespace detail {
class TimerQueue;
struct TimerSlot;
}  // namespace detail

/// Handle of a callback scheduled with `Clock::call_in` / `call_at`
/// (asyncio's `TimerHandle`). Copies refer to the same timer. Dropping a
/// handle does not cancel the timer. A handle stays valid after its timer
/// fired and after its clock was destroyed (it then reports `active() ==
/// false`); a default-constructed handle refers to no timer.
class TimerHandle {
 public:
  TimerHandle() noexcept = default;
  TimerHandle(const TimerHandle& other) noexcept;
  TimerHandle& operator=(const TimerHandle& other) noexcept;
  TimerHandle(TimerHandle&& other) noexcept;
  TimerHandle& operator=(TimerHandle&& other) noexcept;
  ~TimerHandle();

  /// Cancels the timer: its callback will never run (even if its deadline
  /// passed and it already waits in the loop's queue). Idempotent; a no-op
  /// once the callback ran.
  void cancel() noexcept;
  /// True if the timer was cancelled before it fired (by `cancel()`,
  /// `Clock::cancel_all()` or the destruction of its clock).
  bool cancelled() const noexcept;
  /// True while the callback is still to run (scheduled, or due and queued).
  bool active() const noexcept;

 private:
  friend class Clock;
  TimerHandle(std::shared_ptr<detail::TimerQueue> queue, detail::TimerSlot* slot) noexcept;
  void reset() noexcept;

  std::shared_ptr<detail::TimerQueue> queue_;
  detail::TimerSlot* slot_ = nullptr;
};

/// Abstract clock. Not copyable or movable; must be destroyed before its Loop.
///
/// Time is in seconds (`double`). Validation follows aiomas exactly:
/// `sleep_until` / `call_at` need a time strictly in the future (else
/// `ValueError('Date "<t>" is in the past')`); on an ExternalClock `sleep` /
/// `call_in` need a delay > 0 (on the WallClock a delay <= 0 means "soon").
/// Errors are thrown by the call itself (like aiomas, which raises before
/// returning the future), not when the returned task is awaited.
///
/// Destroying a clock drops every pending callback and detaches every
/// sleeping coroutine: the sleepers' frames belong to their owners (task
/// groups), which cancel them; they are never resumed by a dead clock.
class Clock {
 public:
  /// Timer callbacks: run once, from the loop. An exception escaping a
  /// callback is reported on stderr (asyncio logs it) and does not stop the loop.
  using Callback = std::function<void()>;

  virtual ~Clock();
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;

  /// The current time in seconds (WallClock: the loop's monotonic time with
  /// an arbitrary origin; ExternalClock: the last `set_time`, may be negative).
  virtual double time() const = 0;
  /// The current UTC date and time (offset 0).
  virtual DateTime utcnow() const = 0;

  /// Sleeps `dt` seconds of clock time (`sleep_until(time() + dt)`).
  Task<> sleep(double dt);
  /// Sleeps until clock time `t`, which must be strictly in the future.
  Task<> sleep_until(double t);
  /// Sleeps until `date`, which must be strictly in the future.
  Task<> sleep_until(const DateTime& date);

  /// Runs `fn` after `dt` seconds of clock time.
  TimerHandle call_in(double dt, Callback fn);
  /// Runs `fn` at clock time `t`, which must be strictly in the future.
  TimerHandle call_at(double t, Callback fn);
  /// Runs `fn` at `date`, which must be strictly in the future.
  TimerHandle call_at(const DateTime& date, Callback fn);

  /// `date` as clock time: `(date - utcnow()) + time()`, to the microsecond.
  double to_clock_time(const DateTime& date) const;

  /// The earliest deadline of a pending timer or sleeper (cancelled ones
  /// excluded), or nothing. The mosaik adapter's "next step".
  std::optional<double> next_deadline() const noexcept;
  /// Number of timers and sleepers whose deadline has not been reached yet
  /// (cancelled ones and ones already released to the loop excluded).
  std::size_t pending() const noexcept;
  /// Drops every pending timer and sleeper, including ones already due and
  /// queued on the loop; wakes no one. Their handles report `cancelled()`.
  /// Sleeping tasks stay suspended until their owners cancel them.
  void cancel_all() noexcept;

  /// The loop callbacks and sleepers are resumed on.
  Loop& loop() const noexcept { return loop_; }

 protected:
  explicit Clock(Loop& loop);

  /// True if `sleep` / `call_in` require a delay > 0 (ExternalClock).
  virtual bool requires_positive_delay() const noexcept { return false; }
  /// Called whenever the earliest deadline may have changed (WallClock re-arms its timer).
  virtual void timers_changed() noexcept {}

  detail::TimerQueue& queue() const noexcept { return *queue_; }

 private:
  friend class detail::TimerQueue;
  double checked_future(double t) const;
  double checked_future(const DateTime& date) const;
  double delay_deadline(double dt) const;
  Task<> sleep_until_unchecked(double t);
  TimerHandle call_at_unchecked(double t, Callback fn);

  Loop& loop_;
  std::shared_ptr<detail::TimerQueue> queue_;
};

namespace detail {
/// A number as Python's `str()` would print it in aiomas's messages: integral
/// values without a fraction (`10`), others in shortest round-trip form (`0.25`).
std::string format_number(double x);
/// Throws `TimeoutError("timed out after <seconds> s")`.
[[noreturn]] void throw_timeout(double seconds);
}  // namespace detail

}  // namespace uvmas
