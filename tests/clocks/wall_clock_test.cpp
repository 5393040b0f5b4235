#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/clocks/wall_clock.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/core/loop.hpp>
#include <uvmas/core/task.hpp>
#include <uvmas/core/task_group.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <vector>

// Nothing here asserts a duration: only orderings and completion.
namespace {

using uvmas::Clock;
using uvmas::Loop;
using uvmas::Task;
using uvmas::TaskGroup;
using uvmas::TimerHandle;
using uvmas::WallClock;

Task<> sleep_then_log(Clock& clock, double dt, std::vector<int>& log, int id) {
  co_await clock.sleep(dt);
  log.push_back(id);
}

std::int64_t system_micros() {
  using namespace std::chrono;
  return time_point_cast<microseconds>(system_clock::now()).time_since_epoch().count();
}

TEST(WallClock, LongerSleepsCompleteAfterShorterOnes) {
  Loop loop;
  WallClock clock(loop);
  TaskGroup group(loop);
  std::vector<int> log;
  group.spawn(sleep_then_log(clock, 0.020, log, 20));
  group.spawn(sleep_then_log(clock, 0.010, log, 10));
  group.spawn(sleep_then_log(clock, 0.015, log, 15));
  EXPECT_EQ(clock.pending(), 3u);
  loop.run_until_idle();
  EXPECT_EQ(log, (std::vector<int>{10, 15, 20}));
  EXPECT_EQ(clock.pending(), 0u);
}

TEST(WallClock, SleepWaitsUntilItsDeadline) {
  Loop loop;
  WallClock clock(loop);
  auto body = [](Clock& c) -> Task<bool> {
    double deadline = c.time() + 0.005;
    co_await c.sleep_until(deadline);
    co_return c.time() >= deadline;
  };
  EXPECT_TRUE(loop.run(body(clock)));
}

TEST(WallClock, NonPositiveDelaysMeanSoon) {
  Loop loop;
  WallClock clock(loop);
  TaskGroup group(loop);
  std::vector<int> log;
  group.spawn(sleep_then_log(clock, 0, log, 1));
  group.spawn(sleep_then_log(clock, -1, log, 2));  // earlier deadline than the first
  clock.call_in(0, [&log] { log.push_back(3); });
  loop.run_until_idle();
  EXPECT_EQ(log, (std::vector<int>{2, 1, 3}));
}

TEST(WallClock, SleepUntilAndCallAtInThePastAreRejected) {
  Loop loop;
  WallClock clock(loop);
  EXPECT_THROW((void)clock.sleep_until(clock.time() - 1), uvmas::ValueError);
  EXPECT_THROW(clock.call_at(clock.time() - 0.001, [] {}), uvmas::ValueError);
  auto past = clock.utcnow();
  past.micros_utc -= 1'000'000;
  try {
    clock.call_at(past, [] {});
    ADD_FAILURE() << "no ValueError";
  } catch (const uvmas::ValueError& e) {
    EXPECT_EQ(std::string(e.what()), "Date \"" + uvmas::to_iso(past) + "\" is in the past");
  }
  EXPECT_EQ(clock.pending(), 0u);
}

TEST(WallClock, DateArgumentsAreAccepted) {
  Loop loop;
  WallClock clock(loop);
  auto body = [](Clock& c) -> Task<int> {
    auto soon = c.utcnow();
    soon.micros_utc += 5'000;
    int fired = 0;
    c.call_at(soon, [&fired] { ++fired; });
    auto later = soon;
    later.micros_utc += 5'000;
    co_await c.sleep_until(later);
    co_return fired;
  };
  EXPECT_EQ(loop.run(body(clock)), 1);
}

TEST(WallClock, CallbacksRunInOrderAndCancelledOnesNever) {
  Loop loop;
  WallClock clock(loop);
  std::vector<int> log;
  clock.call_in(0.004, [&log] { log.push_back(4); });
  TimerHandle cancelled = clock.call_in(0.002, [&log] { log.push_back(2); });
  clock.call_in(0.001, [&log] { log.push_back(1); });
  TimerHandle last = clock.call_in(0.003, [&log] { log.push_back(3); });
  cancelled.cancel();
  loop.run_until_idle();
  EXPECT_EQ(log, (std::vector<int>{1, 3, 4}));
  EXPECT_TRUE(cancelled.cancelled());
  EXPECT_FALSE(last.active());
  EXPECT_FALSE(last.cancelled());
}

TEST(WallClock, CancellingTheOnlyTimerLetsTheLoopGoIdle) {
  Loop loop;
  WallClock clock(loop);
  bool fired = false;
  TimerHandle h = clock.call_in(3600, [&fired] { fired = true; });
  EXPECT_EQ(clock.next_deadline().has_value(), true);
  h.cancel();
  EXPECT_EQ(clock.next_deadline(), std::nullopt);
  loop.run_until_idle();  // would block for an hour if the uv timer stayed armed
  EXPECT_FALSE(fired);
}

TEST(WallClock, CancelledSleepersLetTheLoopGoIdle) {
  Loop loop;
  WallClock clock(loop);
  std::vector<int> log;
  {
    TaskGroup group(loop);
    group.spawn(sleep_then_log(clock, 3600, log, 1));
    EXPECT_EQ(clock.pending(), 1u);
  }
  EXPECT_EQ(clock.pending(), 0u);
  loop.run_until_idle();
  EXPECT_TRUE(log.empty());
}

TEST(WallClock, UtcnowIsTheSystemTimeInUtc) {
  Loop loop;
  WallClock clock(loop);
  auto before = system_micros();
  auto now = clock.utcnow();
  auto after = system_micros();
  EXPECT_EQ(now.offset_minutes, 0);
  EXPECT_LE(before, now.micros_utc);
  EXPECT_LE(now.micros_utc, after);
}

TEST(WallClock, TimeIsMonotonic) {
  Loop loop;
  WallClock clock(loop);
  double a = clock.time();
  double b = clock.time();
  EXPECT_LE(a, b);
}

TEST(WallClock, DestroyingTheClockWithPendingTimersIsSafe) {
  Loop loop;
  TaskGroup group(loop);
  std::vector<int> log;
  TimerHandle h;
  {
    WallClock clock(loop);
    group.spawn(sleep_then_log(clock, 3600, log, 1));
    h = clock.call_in(3600, [&log] { log.push_back(2); });
  }
  loop.run_until_idle();
  EXPECT_TRUE(log.empty());
  EXPECT_TRUE(h.cancelled());
  group.cancel();
}

// Agent code sees only Clock&: the same coroutine runs on either clock.
Task<int> count_ticks(Clock& clock, int n) {
  int ticks = 0;
  for (int i = 0; i < n; ++i) {
    co_await clock.sleep(0.001);
    ++ticks;
  }
  co_return ticks;
}

TEST(Clock, TheSameAgentCodeRunsOnBothClocks) {
  Loop loop;
  WallClock wall(loop);
  EXPECT_EQ(loop.run(count_ticks(wall, 3)), 3);

  uvmas::ExternalClock external(loop);
  TaskGroup group(loop);
  int result = 0;
  auto store = [](Clock& c, int& out) -> Task<> { out = co_await count_ticks(c, 3); };
  group.spawn(store(external, result));
  for (int i = 1; i <= 3; ++i) {
    external.set_time(i * 0.001);
    loop.run_until_idle();
  }
  EXPECT_EQ(result, 3);
}

}  // namespace
