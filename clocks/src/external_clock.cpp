#include <uvmas/clocks/external_clock.hpp>

#include "timer_queue.hpp"

#include <uvmas/core/error.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace uvmas {

ExternalClock::ExternalClock(Loop& loop, double init_time, DateTime utc_start)
    : Clock(loop), time_(init_time), utc_start_{utc_start.micros_utc, 0} {}

ExternalClock::ExternalClock(Loop& loop, double init_time, std::string_view utc_start)
    : ExternalClock(loop, init_time, parse_iso(utc_start)) {}

DateTime ExternalClock::utcnow() const {
  return DateTime{utc_start_.micros_utc + std::llround(time_ * 1e6), 0};
}

void ExternalClock::check_after(double t) const {
  if (!(t >= time_)) {
    throw ValueError("Time must be >= " + detail::format_number(time_) + " but is " + detail::format_number(t));
  }
}

void ExternalClock::advance(double t) {
  check_after(t);
  time_ = t;
  if (!observers_.empty()) moved();
}

std::size_t ExternalClock::release_due() { return queue().release_due(time_); }

void ExternalClock::add_step_peer(StepPeer& peer) { peers_.push_back(&peer); }

void ExternalClock::remove_step_peer(StepPeer& peer) noexcept {
  peers_.erase(std::remove(peers_.begin(), peers_.end(), &peer), peers_.end());
}

namespace {
std::optional<double> earliest(std::optional<double> a, std::optional<double> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}
}  // namespace

Task<StepPeer::Status> ExternalClock::status() {
  co_await loop().settled_wait();
  StepPeer::Status total{loop().frame_balance(), loop().frame_events(), next_deadline()};
  const std::vector<StepPeer*> peers = peers_;
  for (StepPeer* peer : peers) {
    StepPeer::Status s = co_await peer->status();
    total.frame_balance += s.frame_balance;
    total.frame_events += s.frame_events;
    total.next_deadline = earliest(total.next_deadline, s.next_deadline);
  }
  co_return total;
}

// When is a step over across processes? Termination detection after
// Mattern's four-counter method. Every process counts the frames its
// containers send and handle (Loop::frame_balance: sent minus handled;
// Loop::frame_events: grows with each of them). A look reads the counts of
// every process, one after the other, each at a moment when that process is
// settled (nothing runnable, nothing being opened); a process that is settled
// stays so until a frame reaches it. If two consecutive looks show the same
// event counts (so no process sent or handled anything between its two
// readings, and all first readings precede all second ones) and the balances
// add up to 0 (no frame in flight), the group was idle between the looks and
// stays idle. Otherwise the second look becomes the first of the next pair.
// The stepping calls themselves travel on control connections, not counted.
Task<std::optional<double>> ExternalClock::step_to(double t) {
  check_after(t);
  if (observers_.empty()) co_return co_await step(t);
  const auto start = std::chrono::steady_clock::now();
  std::optional<double> next = co_await step(t);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::vector<TimeObserver*> observers = observers_;
  for (TimeObserver* o : observers) o->step_finished(t, seconds);
  co_return next;
}

Task<std::optional<double>> ExternalClock::step(double t) {
  if (peers_.empty()) {
    // One process: the loop's own idle check sees every frame.
    if (t > time_) set_time(t);
    co_await loop().quiescent();
    co_return next_deadline();
  }
  // Every clock shows t before any agent runs at t.
  const std::vector<StepPeer*> peers = peers_;
  for (StepPeer* peer : peers) co_await peer->advance(t);
  advance(t);
  release_due();
  for (StepPeer* peer : peers) co_await peer->release();
  StepPeer::Status before = co_await status();
  for (;;) {
    StepPeer::Status now = co_await status();
    if (now.frame_balance == 0 && now.frame_events == before.frame_events) co_return now.next_deadline;
    before = now;
  }
}

std::size_t ExternalClock::set_time(double t) {
  if (!(t > time_)) {
    throw ValueError("Time must be > " + detail::format_number(time_) + " but is " + detail::format_number(t));
  }
  time_ = t;
  if (!observers_.empty()) moved();
  return queue().release_due(t);
}

void ExternalClock::moved() {
  const std::vector<TimeObserver*> observers = observers_;
  for (TimeObserver* o : observers) o->time_moved(time_);
}

void ExternalClock::add_time_observer(TimeObserver& observer) { observers_.push_back(&observer); }

void ExternalClock::remove_time_observer(TimeObserver& observer) noexcept {
  observers_.erase(std::remove(observers_.begin(), observers_.end(), &observer), observers_.end());
}

}  // namespace uvmas
