#pragma once
/// \file
/// `with_timeout`: aiomas's `asyncio.wait_for` on a uvmas Clock.

#include <uvmas/clocks/clock.hpp>
#include <uvmas/core/task.hpp>

#include <coroutine>
#include <stdexcept>
#include <utility>

namespace uvmas {

namespace detail {

// Starts the task and a timer on the clock; whichever comes first wins. The
// timer callback runs from the loop (a clean stack), so destroying the task's
// frame there never destroys a running coroutine.
template <class T>
class TimeoutAwaiter {
 public:
  TimeoutAwaiter(Clock& clock, double seconds, Task<T>& task) noexcept
      : clock_(clock), seconds_(seconds), task_(task) {}
  TimeoutAwaiter(const TimeoutAwaiter&) = delete;
  TimeoutAwaiter& operator=(const TimeoutAwaiter&) = delete;
  // If the awaiting coroutine is itself cancelled, the timer must not fire
  // into its destroyed frame.
  ~TimeoutAwaiter() { timer_.cancel(); }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> outer) {
    outer_ = outer;
    timer_ = clock_.call_in(seconds_, [this] { expire(); });
    return task_.start_then(outer);
  }
  T await_resume() {
    if (timed_out_) throw_timeout(seconds_);
    timer_.cancel();
    return task_.result();
  }

 private:
  void expire() {
    timed_out_ = true;
    task_ = Task<T>();  // cancels: destroys the suspended frame (its awaiters deregister)
    outer_.resume();
  }

  Clock& clock_;
  double seconds_;
  Task<T>& task_;
  TimerHandle timer_;
  std::coroutine_handle<> outer_;
  bool timed_out_ = false;
};

}  // namespace detail

/// Runs `task`; if it has not completed `seconds` of clock time later, it is
/// cancelled (its frame destroyed, from the loop) and `TimeoutError("timed
/// out after <seconds> s")` is thrown. If it completes first, its result (or
/// exception) is passed on and the timer is cancelled. On an ExternalClock
/// `seconds` must be > 0 (as for `call_in`).
template <class T>
Task<T> with_timeout(Clock& clock, double seconds, Task<T> task) {
  if (!task.valid()) throw std::invalid_argument("uvmas::with_timeout: empty task");
  co_return co_await detail::TimeoutAwaiter<T>(clock, seconds, task);
}

}  // namespace uvmas
