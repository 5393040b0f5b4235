#pragma once
/// \file
/// `ExternalClock`: time set from outside, e.g. by a mosaik master
/// (aiomas's `ExternalClock`).

#include <uvmas/clocks/clock.hpp>

#include <cstddef>
#include <string_view>

namespace uvmas {

/// A clock whose time only moves when `set_time` is called. Nothing here
/// touches the wall clock or libuv timers, and pending timers do not keep the
/// loop alive: the master drives time.
class ExternalClock final : public Clock {
 public:
  /// 2016-01-01T00:00:00+00:00, aiomas's customary start date.
  static constexpr DateTime default_utc_start{1'451'606'400'000'000, 0};

  /// A clock at `init_time` (may be negative) whose time 0 is `utc_start`
  /// (converted to UTC: only the instant matters, the offset is dropped).
  explicit ExternalClock(Loop& loop, double init_time = 0, DateTime utc_start = default_utc_start);
  /// Same, with `utc_start` as ISO-8601 text (`2016-01-01T00:00:00+01:00`).
  /// Throws ConversionError for text that is not a date.
  ExternalClock(Loop& loop, double init_time, std::string_view utc_start);

  /// The last value given to `set_time` (initially `init_time`).
  double time() const noexcept override { return time_; }
  /// `utc_start` shifted by `time()` seconds (to the microsecond), offset 0.
  DateTime utcnow() const override;
  /// The instant of clock time 0, in UTC.
  DateTime utc_start() const noexcept { return utc_start_; }

  /// Advances the clock to `t`, which must be strictly greater than `time()`
  /// (else `ValueError("Time must be > {now} but is {t}")`). Every timer and
  /// sleeper with deadline <= t is released in (deadline, insertion) order:
  /// sleepers resume and callbacks run from the loop's soon queue, in that
  /// order, never inside this call. Returns how many were released.
  /// Cost: O(k log n) for k due timers out of n pending; no allocation.
  std::size_t set_time(double t);

 private:
  bool requires_positive_delay() const noexcept override { return true; }

  double time_;
  DateTime utc_start_;
};

}  // namespace uvmas
