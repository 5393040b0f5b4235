#include <uvmas/clocks/wall_clock.hpp>

#include "timer_queue.hpp"

#include <uvmas/core/error.hpp>
#include <uvmas/core/detail/uv_handle.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>

namespace uvmas {

struct WallClock::Timer {
  detail::UvHandle<uv_timer_t> handle;
  bool armed = false;
  double deadline = 0;  // what the uv timer is armed for
  Activity pending;     // an armed timer fires by itself: the loop is not idle
};

WallClock::WallClock(Loop& loop) : Clock(loop), timer_(std::make_unique<Timer>()) {
  int rc = timer_->handle.init(uv_timer_init, loop.uv(), this);
  if (rc != 0) throw_uv(rc, "uv_timer_init");
}

WallClock::~WallClock() {
  // Close the uv timer first; ~Clock then drops the queue, which no longer
  // calls back into this (already destroyed) part of the object.
  timer_->pending.release();
  timer_->handle.close();
}

double WallClock::time() const { return static_cast<double>(uv_hrtime()) * 1e-9; }

DateTime WallClock::utcnow() const {
  using namespace std::chrono;
  auto now = time_point_cast<microseconds>(system_clock::now());
  return DateTime{now.time_since_epoch().count(), 0};
}

void WallClock::timers_changed() noexcept {
  if (!timer_ || !timer_->handle) return;
  Timer& t = *timer_;
  std::optional<double> next = queue().next_deadline();
  if (!next) {
    if (t.armed) uv_timer_stop(t.handle.get());
    t.armed = false;
    t.pending.release();
    return;
  }
  if (t.armed && t.deadline == *next) return;
  // libuv timers count whole milliseconds from the loop's cached time, so the
  // timer may fire a little early; on_timer then releases nothing and re-arms.
  double delay_ms = std::ceil((*next - time()) * 1e3);
  std::uint64_t ms = 0;
  if (delay_ms > 0) ms = delay_ms < 4e15 ? static_cast<std::uint64_t>(delay_ms) : std::uint64_t{4'000'000'000'000'000};
  uv_timer_start(
      t.handle.get(),
      [](uv_timer_t* h) {
        if (auto* self = detail::owner_of<WallClock>(h)) self->on_timer();
      },
      ms, 0);
  t.armed = true;
  t.deadline = *next;
  if (!t.pending) t.pending = Activity(loop());
}

void WallClock::on_timer() noexcept {
  timer_->armed = false;
  queue().release_due(time());
  timers_changed();
}

}  // namespace uvmas
