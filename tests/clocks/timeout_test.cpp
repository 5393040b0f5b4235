#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/clocks/timeout.hpp>
#include <uvmas/clocks/wall_clock.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/core/loop.hpp>
#include <uvmas/core/task.hpp>
#include <uvmas/core/task_group.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

using uvmas::Clock;
using uvmas::ExternalClock;
using uvmas::Loop;
using uvmas::Task;
using uvmas::TaskGroup;
using uvmas::WallClock;

struct Guard {
  int& destroyed;
  ~Guard() { ++destroyed; }
};

Task<int> sleep_then_return(Clock& clock, double dt, int value, int& destroyed) {
  Guard guard{destroyed};
  co_await clock.sleep(dt);
  co_return value;
}

Task<int> throw_after(Clock& clock, double dt) {
  co_await clock.sleep(dt);
  throw uvmas::ValueError("inner failure");
}

// Awaits `task` under a timeout and records the outcome.
Task<> record(Clock& clock, double seconds, Task<int> task, std::string& outcome) {
  try {
    int v = co_await uvmas::with_timeout(clock, seconds, std::move(task));
    outcome = "value " + std::to_string(v);
  } catch (const uvmas::TimeoutError& e) {
    outcome = std::string("TimeoutError: ") + e.what();
  } catch (const uvmas::ValueError& e) {
    outcome = std::string("ValueError: ") + e.what();
  }
}

TEST(WithTimeout, ExternalClockTimeoutCancelsTheTaskAndThrows) {
  Loop loop;
  ExternalClock clock(loop);
  TaskGroup group(loop);
  int destroyed = 0;
  std::string outcome;
  group.spawn(record(clock, 2, sleep_then_return(clock, 10, 1, destroyed), outcome));
  EXPECT_EQ(clock.pending(), 2u);
  clock.set_time(1.5);
  loop.run_until_idle();
  EXPECT_TRUE(outcome.empty());
  clock.set_time(2);
  loop.run_until_idle();
  EXPECT_EQ(outcome, "TimeoutError: timed out after 2 s");
  EXPECT_EQ(destroyed, 1) << "the inner task's frame was destroyed";
  EXPECT_EQ(clock.pending(), 0u) << "the inner sleep left the queue";
  EXPECT_TRUE(group.empty());
}

TEST(WithTimeout, ExternalClockSuccessReturnsTheValueAndCancelsTheTimer) {
  Loop loop;
  ExternalClock clock(loop);
  TaskGroup group(loop);
  int destroyed = 0;
  std::string outcome;
  group.spawn(record(clock, 5, sleep_then_return(clock, 1, 42, destroyed), outcome));
  clock.set_time(1);
  loop.run_until_idle();
  EXPECT_EQ(outcome, "value 42");
  EXPECT_EQ(clock.pending(), 0u);
  EXPECT_EQ(clock.next_deadline(), std::nullopt);
}

TEST(WithTimeout, ExceptionsOfTheTaskPassThrough) {
  Loop loop;
  ExternalClock clock(loop);
  TaskGroup group(loop);
  std::string outcome;
  group.spawn(record(clock, 5, throw_after(clock, 1), outcome));
  clock.set_time(1);
  loop.run_until_idle();
  EXPECT_EQ(outcome, "ValueError: inner failure");
  EXPECT_EQ(clock.pending(), 0u);
}

TEST(WithTimeout, ATaskThatCompletesAtOnceNeedsNoTime) {
  Loop loop;
  ExternalClock clock(loop);
  auto immediate = []() -> Task<int> { co_return 7; };
  EXPECT_EQ(loop.run(uvmas::with_timeout(clock, 1, immediate())), 7);
  EXPECT_EQ(clock.pending(), 0u);
}

TEST(WithTimeout, ExternalClockRejectsANonPositiveTimeout) {
  Loop loop;
  ExternalClock clock(loop);
  auto immediate = []() -> Task<int> { co_return 7; };
  EXPECT_THROW(loop.run(uvmas::with_timeout(clock, 0, immediate())), uvmas::ValueError);
}

TEST(WithTimeout, CancellingTheWaiterCancelsTimerAndTask) {
  Loop loop;
  ExternalClock clock(loop);
  int destroyed = 0;
  std::string outcome;
  {
    TaskGroup group(loop);
    group.spawn(record(clock, 2, sleep_then_return(clock, 10, 1, destroyed), outcome));
    EXPECT_EQ(clock.pending(), 2u);
  }
  EXPECT_EQ(destroyed, 1);
  EXPECT_EQ(clock.pending(), 0u);
  clock.set_time(20);
  loop.run_until_idle();
  EXPECT_TRUE(outcome.empty());
}

TEST(WithTimeout, WallClockTimeoutCancelsTheTaskAndThrows) {
  Loop loop;
  WallClock clock(loop);
  int destroyed = 0;
  auto body = [](Clock& c, int& d) -> Task<std::string> {
    try {
      co_await uvmas::with_timeout(c, 0.005, sleep_then_return(c, 3600, 1, d));
    } catch (const uvmas::TimeoutError& e) {
      co_return e.what();
    }
    co_return "no timeout";
  };
  EXPECT_EQ(loop.run(body(clock, destroyed)), "timed out after 0.005 s");
  EXPECT_EQ(destroyed, 1);
  EXPECT_EQ(clock.pending(), 0u);
  loop.run_until_idle();  // the hour-long sleep is gone: nothing keeps the loop busy
}

TEST(WithTimeout, WallClockSuccessReturnsTheValue) {
  Loop loop;
  WallClock clock(loop);
  int destroyed = 0;
  EXPECT_EQ(loop.run(uvmas::with_timeout(clock, 3600, sleep_then_return(clock, 0.001, 9, destroyed))), 9);
  EXPECT_EQ(destroyed, 1);
  EXPECT_EQ(clock.pending(), 0u);
  loop.run_until_idle();  // the hour-long timeout was cancelled
}

TEST(WithTimeout, WorksForVoidTasks) {
  Loop loop;
  WallClock clock(loop);
  auto nap = [](Clock& c) -> Task<> { co_await c.sleep(0.001); };
  loop.run(uvmas::with_timeout(clock, 3600, nap(clock)));
  EXPECT_THROW(loop.run(uvmas::with_timeout(clock, 0.001, [](Clock& c) -> Task<> { co_await c.sleep(3600); }(clock))),
               uvmas::TimeoutError);
}

}  // namespace
