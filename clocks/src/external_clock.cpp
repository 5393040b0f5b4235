#include <uvmas/clocks/external_clock.hpp>

#include "timer_queue.hpp"

#include <uvmas/core/error.hpp>

#include <cmath>

namespace uvmas {

ExternalClock::ExternalClock(Loop& loop, double init_time, DateTime utc_start)
    : Clock(loop), time_(init_time), utc_start_{utc_start.micros_utc, 0} {}

ExternalClock::ExternalClock(Loop& loop, double init_time, std::string_view utc_start)
    : ExternalClock(loop, init_time, parse_iso(utc_start)) {}

DateTime ExternalClock::utcnow() const {
  return DateTime{utc_start_.micros_utc + std::llround(time_ * 1e6), 0};
}

std::size_t ExternalClock::set_time(double t) {
  if (!(t > time_)) {
    throw ValueError("Time must be > " + detail::format_number(time_) + " but is " + detail::format_number(t));
  }
  time_ = t;
  return queue().release_due(t);
}

}  // namespace uvmas
