#pragma once
/// \file
/// `ExternalClock`: time set from outside, e.g. by a mosaik master
/// (aiomas's `ExternalClock`).

#include <uvmas/clocks/clock.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace uvmas {

/// Containers in another process whose clock follows an ExternalClock (a
/// child container, see subproc::ChildContainer): what `step_to` needs of
/// them. Registered with `ExternalClock::add_step_peer`.
class StepPeer {
 public:
  /// A process's counts for one look of the termination check.
  struct Status {
    /// Counted frames sent minus counted frames handled (Loop::frame_balance).
    std::int64_t frame_balance = 0;
    /// Loop::frame_events, summed: grows with every counted frame.
    std::uint64_t frame_events = 0;
    /// The earliest pending timer, or nothing.
    std::optional<double> next_deadline;
  };
  /// Moves the peer's clock to `t` without releasing its timers (every clock
  /// of the group shows `t` before any agent runs at `t`).
  virtual Task<> advance(double t) = 0;
  /// Releases the peer's timers due at its current time.
  virtual Task<> release() = 0;
  /// The peer's counts, read once its loop is settled (Loop::settled), and
  /// those of its own peers added in.
  virtual Task<Status> status() = 0;

 protected:
  ~StepPeer() = default;
};

/// Told when an ExternalClock's time moves and when a step ends (metrics,
/// traces and recordings of a container on that clock).
class TimeObserver {
 public:
  /// The clock now shows `time` (set_time, step_to or advance).
  virtual void time_moved(double time) = 0;
  /// step_to(`time`) completed after `wall_seconds`.
  virtual void step_finished(double time, double wall_seconds) = 0;

 protected:
  ~TimeObserver() = default;
};

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

  /// Sets the time to `t` (>= `time()`, else ValueError), releases what is
  /// due, and completes once every container on this clock in this process,
  /// and every container in a child process following it (its StepPeers), is
  /// idle: nothing runnable, nothing being opened, every frame sent between
  /// them received and handled (Loop::quiet). Returns the earliest pending
  /// timer deadline across all of them, or nothing. `t == time()` only waits
  /// for idle. Do not call it from an agent of the group (it would wait for
  /// itself).
  Task<std::optional<double>> step_to(double t);

  /// Adds an observer of this clock's time (not owned; remove it before it dies).
  void add_time_observer(TimeObserver& observer);
  void remove_time_observer(TimeObserver& observer) noexcept;

  /// Containers in other processes whose clock follows this one; they must
  /// stay alive while registered (remove_step_peer before destroying them).
  void add_step_peer(StepPeer& peer);
  void remove_step_peer(StepPeer& peer) noexcept;
  /// Moves the time to `t` without releasing timers (a StepPeer's first half).
  void advance(double t);
  /// Releases the timers due at `time()` (a StepPeer's second half).
  std::size_t release_due();
  /// This process's counts for a termination check: waits until the loop is
  /// settled, then adds in the status of every StepPeer.
  Task<StepPeer::Status> status();

 private:
  bool requires_positive_delay() const noexcept override { return true; }
  void check_after(double t) const;

  void moved();
  Task<std::optional<double>> step(double t);

  std::vector<StepPeer*> peers_;
  std::vector<TimeObserver*> observers_;
  double time_;
  DateTime utc_start_;
};

}  // namespace uvmas
