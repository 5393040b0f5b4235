#include <uvmas/clocks/clock.hpp>

#include "timer_queue.hpp"

#include <uvmas/core/error.hpp>

#include <charconv>
#include <cmath>
#include <utility>

namespace uvmas {

namespace detail {

std::string format_number(double x) {
  if (std::isfinite(x) && x == std::trunc(x) && std::fabs(x) < 1e16) {
    return std::to_string(static_cast<long long>(x));
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, r.ptr);
}

void throw_timeout(double seconds) { throw TimeoutError("timed out after " + format_number(seconds) + " s"); }

}  // namespace detail

namespace {

// The leaf awaiter of every sleep. It sits in the sleeping coroutine's frame;
// if that frame is destroyed while waiting, the destructor takes the entry
// out of the queue (which is how a sleeping task is cancelled).
struct SleepAwaiter {
  detail::TimerQueue& queue;
  double deadline;
  detail::TimerSlot* slot = nullptr;

  SleepAwaiter(detail::TimerQueue& q, double t) noexcept : queue(q), deadline(t) {}
  SleepAwaiter(const SleepAwaiter&) = delete;
  SleepAwaiter& operator=(const SleepAwaiter&) = delete;
  ~SleepAwaiter() {
    if (slot) queue.abandon(*slot);
  }
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    // A sleep started after its clock was destroyed never completes; its
    // owner cancels it like any other detached sleeper.
    if (!queue.closed()) slot = &queue.schedule_sleeper(deadline, h, &slot);
  }
  void await_resume() const noexcept {}
};

// The queue is shared so that a sleep created (lazily) before its clock died
// still finds valid memory when it starts.
Task<> sleep_on(std::shared_ptr<detail::TimerQueue> queue, double deadline) {
  co_await SleepAwaiter(*queue, deadline);
}

}  // namespace

// -- TimerHandle ---------------------------------------------------------------

TimerHandle::TimerHandle(std::shared_ptr<detail::TimerQueue> queue, detail::TimerSlot* slot) noexcept
    : queue_(std::move(queue)), slot_(slot) {}

TimerHandle::TimerHandle(const TimerHandle& other) noexcept : queue_(other.queue_), slot_(other.slot_) {
  if (slot_) queue_->add_handle(*slot_);
}

TimerHandle& TimerHandle::operator=(const TimerHandle& other) noexcept {
  if (this != &other) {
    TimerHandle copy(other);
    *this = std::move(copy);
  }
  return *this;
}

TimerHandle::TimerHandle(TimerHandle&& other) noexcept
    : queue_(std::move(other.queue_)), slot_(std::exchange(other.slot_, nullptr)) {}

TimerHandle& TimerHandle::operator=(TimerHandle&& other) noexcept {
  if (this != &other) {
    reset();
    queue_ = std::move(other.queue_);
    slot_ = std::exchange(other.slot_, nullptr);
  }
  return *this;
}

TimerHandle::~TimerHandle() { reset(); }

void TimerHandle::reset() noexcept {
  // Drop the slot reference while the queue is certainly alive.
  if (slot_) queue_->drop_handle(*std::exchange(slot_, nullptr));
  queue_.reset();
}

void TimerHandle::cancel() noexcept {
  if (slot_) queue_->cancel(*slot_);
}

bool TimerHandle::cancelled() const noexcept {
  return slot_ && queue_->state(*slot_) == detail::TimerState::cancelled;
}

bool TimerHandle::active() const noexcept {
  if (!slot_) return false;
  auto s = queue_->state(*slot_);
  return s == detail::TimerState::scheduled || s == detail::TimerState::due;
}

// -- Clock ---------------------------------------------------------------------

Clock::Clock(Loop& loop) : loop_(loop), queue_(std::make_shared<detail::TimerQueue>(loop, this)) {}

Clock::~Clock() { queue_->close(); }

double Clock::checked_future(double t) const {
  if (!(t > time())) throw ValueError("Date \"" + detail::format_number(t) + "\" is in the past");
  return t;
}

double Clock::checked_future(const DateTime& date) const {
  double t = to_clock_time(date);
  if (!(t > time())) throw ValueError("Date \"" + to_iso(date) + "\" is in the past");
  return t;
}

double Clock::delay_deadline(double dt) const {
  if (requires_positive_delay()) {
    if (!(dt > 0)) throw ValueError("Delay must be > 0 but is " + detail::format_number(dt));
    return checked_future(time() + dt);
  }
  // WallClock: no validation, a delay <= 0 (or NaN) means "soon".
  return time() + (std::isnan(dt) ? 0.0 : dt);
}

double Clock::to_clock_time(const DateTime& date) const {
  auto micros = date.micros_utc - utcnow().micros_utc;
  return static_cast<double>(micros) / 1e6 + time();
}

Task<> Clock::sleep(double dt) { return sleep_until_unchecked(delay_deadline(dt)); }

Task<> Clock::sleep_until(double t) { return sleep_until_unchecked(checked_future(t)); }

Task<> Clock::sleep_until(const DateTime& date) { return sleep_until_unchecked(checked_future(date)); }

Task<> Clock::sleep_until_unchecked(double t) { return sleep_on(queue_, t); }

TimerHandle Clock::call_in(double dt, Callback fn) { return call_at_unchecked(delay_deadline(dt), std::move(fn)); }

TimerHandle Clock::call_at(double t, Callback fn) { return call_at_unchecked(checked_future(t), std::move(fn)); }

TimerHandle Clock::call_at(const DateTime& date, Callback fn) {
  return call_at_unchecked(checked_future(date), std::move(fn));
}

TimerHandle Clock::call_at_unchecked(double t, Callback fn) {
  detail::TimerSlot& slot = queue_->schedule_callback(t, std::move(fn));
  return TimerHandle(queue_, &slot);  // adopts the slot's first handle reference
}

std::optional<double> Clock::next_deadline() const noexcept { return queue_->next_deadline(); }

std::size_t Clock::pending() const noexcept { return queue_->pending(); }

void Clock::cancel_all() noexcept { queue_->cancel_all(); }

}  // namespace uvmas
