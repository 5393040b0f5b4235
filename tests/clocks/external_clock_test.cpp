#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/core/loop.hpp>
#include <uvmas/core/task.hpp>
#include <uvmas/core/task_group.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using uvmas::Clock;
using uvmas::ExternalClock;
using uvmas::Loop;
using uvmas::Task;
using uvmas::TaskGroup;
using uvmas::TimerHandle;

// Counts its destructions: proof that a cancelled coroutine's frame was destroyed.
struct Guard {
  int& destroyed;
  ~Guard() { ++destroyed; }
};

Task<> sleep_then_log(Clock& clock, double t, std::vector<std::string>& log, std::string name) {
  co_await clock.sleep_until(t);
  log.push_back(std::move(name));
}

Task<> sleep_with_guard(Clock& clock, double dt, int& destroyed, bool& woke) {
  Guard guard{destroyed};
  co_await clock.sleep(dt);
  woke = true;
}

template <class Fn>
std::string error_message(Fn fn) {
  try {
    fn();
  } catch (const uvmas::ValueError& e) {
    return e.what();
  }
  return "<no ValueError>";
}

TEST(ExternalClock, TimeStartsAtInitTimeAndFollowsSetTime) {
  Loop loop;
  ExternalClock clock(loop);
  EXPECT_EQ(clock.time(), 0.0);
  ExternalClock negative(loop, -3.5);
  EXPECT_EQ(negative.time(), -3.5);
  negative.set_time(-1);
  EXPECT_EQ(negative.time(), -1.0);
  clock.set_time(0.25);
  EXPECT_EQ(clock.time(), 0.25);
}

TEST(ExternalClock, SetTimeRejectsTimesThatDoNotAdvanceWithAiomasMessage) {
  Loop loop;
  ExternalClock clock(loop, 10);
  EXPECT_EQ(error_message([&] { clock.set_time(10); }), "Time must be > 10 but is 10");
  EXPECT_EQ(error_message([&] { clock.set_time(5); }), "Time must be > 10 but is 5");
  clock.set_time(10.5);
  EXPECT_EQ(error_message([&] { clock.set_time(10.25); }), "Time must be > 10.5 but is 10.25");
  EXPECT_EQ(clock.time(), 10.5);
}

TEST(ExternalClock, SetTimeReleasesInDeadlineThenInsertionOrderFromTheLoop) {
  Loop loop;
  ExternalClock clock(loop);
  TaskGroup group(loop);
  std::vector<std::string> log;
  auto note = [&log](std::string s) { return [&log, s] { log.push_back(s); }; };
  clock.call_at(3, note("cb3a"));
  group.spawn(sleep_then_log(clock, 2, log, "sleep2a"));
  clock.call_at(2, note("cb2"));
  group.spawn(sleep_then_log(clock, 3, log, "sleep3"));
  clock.call_at(1, note("cb1"));
  clock.call_at(3, note("cb3b"));
  group.spawn(sleep_then_log(clock, 2, log, "sleep2b"));
  clock.call_at(4, note("cb4"));

  EXPECT_EQ(clock.set_time(3), 7u);
  EXPECT_TRUE(log.empty()) << "nothing may run inside set_time";
  loop.run_until_idle();
  EXPECT_EQ(log, (std::vector<std::string>{"cb1", "sleep2a", "cb2", "sleep2b", "cb3a", "sleep3", "cb3b"}));

  log.clear();
  EXPECT_EQ(clock.set_time(3.5), 0u);
  EXPECT_EQ(clock.set_time(4), 1u);
  loop.run_until_idle();
  EXPECT_EQ(log, (std::vector<std::string>{"cb4"}));
}

TEST(ExternalClock, SleepAndCallInRequireAPositiveDelay) {
  Loop loop;
  ExternalClock clock(loop, 5);
  EXPECT_THROW((void)clock.sleep(0), uvmas::ValueError);
  EXPECT_THROW((void)clock.sleep(-1), uvmas::ValueError);
  EXPECT_THROW(clock.call_in(0, [] {}), uvmas::ValueError);
  EXPECT_THROW(clock.call_in(-0.5, [] {}), uvmas::ValueError);
  EXPECT_EQ(error_message([&] { (void)clock.sleep(0); }), "Delay must be > 0 but is 0");
  EXPECT_EQ(clock.pending(), 0u);
  bool ran = false;
  clock.call_in(0.5, [&] { ran = true; });
  clock.set_time(5.5);
  loop.run_until_idle();
  EXPECT_TRUE(ran);
}

TEST(ExternalClock, SleepUntilAndCallAtRejectTimesNotInTheFuture) {
  Loop loop;
  ExternalClock clock(loop, 10);
  EXPECT_EQ(error_message([&] { (void)clock.sleep_until(10); }), "Date \"10\" is in the past");
  EXPECT_EQ(error_message([&] { (void)clock.sleep_until(5); }), "Date \"5\" is in the past");
  EXPECT_EQ(error_message([&] { clock.call_at(10, [] {}); }), "Date \"10\" is in the past");
  EXPECT_EQ(error_message([&] { clock.call_at(9.5, [] {}); }), "Date \"9.5\" is in the past");
  EXPECT_EQ(clock.pending(), 0u);
}

TEST(ExternalClock, DateArgumentsAreConvertedThroughUtcnow) {
  Loop loop;
  ExternalClock clock(loop);  // time 0 is 2016-01-01T00:00:00+00:00
  EXPECT_EQ(error_message([&] { clock.call_at(uvmas::parse_iso("2016-01-01T00:00:00+00:00"), [] {}); }),
            "Date \"2016-01-01T00:00:00+00:00\" is in the past");
  EXPECT_EQ(error_message([&] { (void)clock.sleep_until(uvmas::parse_iso("2016-01-01T00:30:00+01:00")); }),
            "Date \"2016-01-01T00:30:00+01:00\" is in the past");

  std::vector<std::string> log;
  auto five = uvmas::parse_iso("2016-01-01T01:00:05+01:00");  // 5 s after the start
  EXPECT_DOUBLE_EQ(clock.to_clock_time(five), 5.0);
  clock.call_at(five, [&] { log.push_back("call_at"); });
  TaskGroup group(loop);
  auto sleeper = [](Clock& c, uvmas::DateTime d, std::vector<std::string>& out) -> Task<> {
    co_await c.sleep_until(d);
    out.push_back("sleep_until");
  };
  group.spawn(sleeper(clock, uvmas::parse_iso("2016-01-01T00:00:02.500000+00:00"), log));
  EXPECT_EQ(clock.next_deadline(), std::optional<double>(2.5));
  clock.set_time(4.999);
  loop.run_until_idle();
  EXPECT_EQ(log, (std::vector<std::string>{"sleep_until"}));
  clock.set_time(5);
  loop.run_until_idle();
  EXPECT_EQ(log, (std::vector<std::string>{"sleep_until", "call_at"}));
}

TEST(ExternalClock, UtcnowIsUtcStartInUtcShiftedByTime) {
  Loop loop;
  ExternalClock clock(loop, -1, "2016-01-01T00:00:00+01:00");
  EXPECT_EQ(uvmas::to_iso(clock.utcnow()), "2015-12-31T22:59:59+00:00");
  EXPECT_EQ(uvmas::to_iso(clock.utc_start()), "2015-12-31T23:00:00+00:00");
  clock.set_time(0.25);
  EXPECT_EQ(uvmas::to_iso(clock.utcnow()), "2015-12-31T23:00:00.250000+00:00");

  ExternalClock fallback(loop);
  EXPECT_EQ(uvmas::to_iso(fallback.utcnow()), "2016-01-01T00:00:00+00:00");
  ExternalClock from_date(loop, 60, uvmas::parse_iso("2020-06-01T12:00:00-02:00"));
  EXPECT_EQ(uvmas::to_iso(from_date.utcnow()), "2020-06-01T14:01:00+00:00");
}

TEST(ExternalClock, CancelledHandlesNeverFire) {
  Loop loop;
  ExternalClock clock(loop);
  int fired = 0;
  TimerHandle before = clock.call_at(1, [&] { fired += 1; });
  TimerHandle queued = clock.call_at(1, [&] { fired += 10; });
  TimerHandle copy = queued;
  clock.call_at(1, [&] { fired += 100; });  // handle dropped at once: still fires
  EXPECT_TRUE(before.active());
  before.cancel();
  before.cancel();  // idempotent
  EXPECT_TRUE(before.cancelled());
  EXPECT_FALSE(before.active());

  EXPECT_EQ(clock.set_time(1), 2u);  // the cancelled entry is not counted
  EXPECT_TRUE(copy.active()) << "due and waiting in the loop's queue";
  copy.cancel();  // cancelling through a copy, after set_time released it
  EXPECT_TRUE(queued.cancelled());
  loop.run_until_idle();
  EXPECT_EQ(fired, 100);
  EXPECT_FALSE(TimerHandle().active());
  EXPECT_FALSE(TimerHandle().cancelled());
}

TEST(ExternalClock, FiredHandlesAreInactiveAndCancelIsANoOp) {
  Loop loop;
  ExternalClock clock(loop);
  int fired = 0;
  TimerHandle h = clock.call_in(1, [&] { ++fired; });
  clock.set_time(2);
  loop.run_until_idle();
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(h.active());
  h.cancel();
  EXPECT_FALSE(h.cancelled());
}

TEST(ExternalClock, HandlesOutliveTheirClock) {
  Loop loop;
  TimerHandle fired_handle;
  TimerHandle pending_handle;
  {
    ExternalClock clock(loop);
    fired_handle = clock.call_in(1, [] {});
    pending_handle = clock.call_in(2, [] {});
    clock.set_time(1);
    loop.run_until_idle();
  }
  EXPECT_FALSE(fired_handle.active());
  EXPECT_FALSE(fired_handle.cancelled());
  EXPECT_FALSE(pending_handle.active());
  EXPECT_TRUE(pending_handle.cancelled()) << "the clock's destruction dropped it";
  TimerHandle copy = pending_handle;
  copy.cancel();
  pending_handle = TimerHandle();
  EXPECT_TRUE(copy.cancelled());
}

TEST(ExternalClock, NextDeadlineAndPendingIgnoreCancelledTimers) {
  Loop loop;
  ExternalClock clock(loop);
  EXPECT_EQ(clock.next_deadline(), std::nullopt);
  EXPECT_EQ(clock.pending(), 0u);
  clock.call_at(5, [] {});
  TimerHandle two = clock.call_at(2, [] {});
  clock.call_at(7, [] {});
  TaskGroup group(loop);
  int destroyed = 0;
  bool woke = false;
  group.spawn(sleep_with_guard(clock, 1, destroyed, woke));
  EXPECT_EQ(clock.next_deadline(), std::optional<double>(1));
  EXPECT_EQ(clock.pending(), 4u);

  group.cancel();  // the sleeper leaves the queue with its frame
  EXPECT_EQ(destroyed, 1);
  EXPECT_EQ(clock.next_deadline(), std::optional<double>(2));
  two.cancel();
  EXPECT_EQ(clock.next_deadline(), std::optional<double>(5));
  EXPECT_EQ(clock.pending(), 2u);

  EXPECT_EQ(clock.set_time(5), 1u);
  EXPECT_EQ(clock.pending(), 1u);
  EXPECT_EQ(clock.next_deadline(), std::optional<double>(7));
  loop.run_until_idle();
  EXPECT_FALSE(woke);
}

TEST(ExternalClock, CancelAllDropsEveryTimerAndWakesNoOne) {
  Loop loop;
  ExternalClock clock(loop);
  TaskGroup group(loop);
  int fired = 0;
  int destroyed = 0;
  bool woke = false;
  TimerHandle due = clock.call_at(1, [&] { ++fired; });
  TimerHandle later = clock.call_at(3, [&] { ++fired; });
  group.spawn(sleep_with_guard(clock, 1, destroyed, woke));
  group.spawn(sleep_with_guard(clock, 5, destroyed, woke));
  EXPECT_EQ(clock.set_time(1), 2u);  // released to the loop, not run yet

  clock.cancel_all();
  EXPECT_EQ(clock.pending(), 0u);
  EXPECT_EQ(clock.next_deadline(), std::nullopt);
  EXPECT_TRUE(due.cancelled());
  EXPECT_TRUE(later.cancelled());
  clock.set_time(10);
  loop.run_until_idle();
  EXPECT_EQ(fired, 0);
  EXPECT_FALSE(woke);
  EXPECT_EQ(group.size(), 2u) << "sleepers stay suspended until their owner cancels them";
  group.cancel();
  EXPECT_EQ(destroyed, 2);

  // The clock keeps working afterwards.
  clock.call_at(11, [&] { ++fired; });
  clock.set_time(11);
  loop.run_until_idle();
  EXPECT_EQ(fired, 1);
}

TEST(ExternalClock, SleepingTaskCancelledByItsGroupLeavesTheClockClean) {
  Loop loop;
  ExternalClock clock(loop);
  int destroyed = 0;
  bool woke = false;
  {
    TaskGroup group(loop);
    for (int i = 0; i < 5; ++i) group.spawn(sleep_with_guard(clock, 1 + i, destroyed, woke));
    EXPECT_EQ(clock.pending(), 5u);
  }
  EXPECT_EQ(destroyed, 5);
  EXPECT_EQ(clock.pending(), 0u);
  EXPECT_EQ(clock.next_deadline(), std::nullopt);
  EXPECT_EQ(clock.set_time(100), 0u);
  loop.run_until_idle();
  EXPECT_FALSE(woke);
}

TEST(ExternalClock, SleeperCancelledAfterItWasReleasedIsNotResumed) {
  Loop loop;
  ExternalClock clock(loop);
  int destroyed = 0;
  bool woke = false;
  auto group = std::make_unique<TaskGroup>(loop);
  group->spawn(sleep_with_guard(clock, 1, destroyed, woke));
  EXPECT_EQ(clock.set_time(1), 1u);
  group.reset();  // destroyed while its resumption waits in the loop's queue
  loop.run_until_idle();
  EXPECT_EQ(destroyed, 1);
  EXPECT_FALSE(woke);
}

TEST(ExternalClock, DestroyingTheClockDetachesItsSleepers) {
  Loop loop;
  TaskGroup group(loop);
  int destroyed = 0;
  bool woke = false;
  {
    ExternalClock clock(loop);
    group.spawn(sleep_with_guard(clock, 1, destroyed, woke));
    group.spawn(sleep_with_guard(clock, 2, destroyed, woke));
    clock.set_time(1);  // the first is due and queued when the clock dies
  }
  loop.run_until_idle();
  EXPECT_FALSE(woke);
  EXPECT_EQ(group.size(), 2u);
  group.cancel();
  EXPECT_EQ(destroyed, 2);
}

TEST(ExternalClock, ASleepCreatedBeforeItsClockDiedNeverCompletes) {
  Loop loop;
  TaskGroup group(loop);
  std::optional<Task<>> sleep;
  {
    ExternalClock clock(loop);
    sleep.emplace(clock.sleep(1));
  }
  auto waiter = [](Task<> t, bool& done) -> Task<> {
    co_await std::move(t);
    done = true;
  };
  bool done = false;
  group.spawn(waiter(std::move(*sleep), done));
  loop.run_until_idle();
  EXPECT_FALSE(done);
  group.cancel();
}

TEST(ExternalClock, ASleeperCanSleepAgainWhenResumed) {
  Loop loop;
  ExternalClock clock(loop);
  TaskGroup group(loop);
  auto ticker = [](Clock& c, int n, std::vector<double>& seen) -> Task<> {
    for (int i = 0; i < n; ++i) {
      co_await c.sleep(1);
      seen.push_back(c.time());
    }
  };
  std::vector<double> seen;
  group.spawn(ticker(clock, 100, seen));
  for (int step = 1; step <= 100; ++step) {
    EXPECT_EQ(clock.set_time(step), 1u);
    loop.run_until_idle();
  }
  ASSERT_EQ(seen.size(), 100u);
  EXPECT_EQ(seen.front(), 1.0);
  EXPECT_EQ(seen.back(), 100.0);
  EXPECT_TRUE(group.empty());
}

TEST(ExternalClock, ManyTimersFireInOrderDespiteCancellations) {
  Loop loop;
  ExternalClock clock(loop);
  constexpr int n = 20'000;
  std::vector<std::pair<double, int>> fired;
  std::vector<TimerHandle> handles;
  std::vector<std::pair<double, int>> expected;
  std::uint32_t x = 12345;
  for (int i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    double deadline = 1 + static_cast<double>((x >> 8) % 500);  // many equal deadlines
    handles.push_back(clock.call_at(deadline, [&fired, deadline, i] { fired.emplace_back(deadline, i); }));
    if (i % 3 == 0) expected.emplace_back(deadline, i);
  }
  for (int i = 0; i < n; ++i) {
    if (i % 3 != 0) handles[static_cast<std::size_t>(i)].cancel();  // enough to force a heap rebuild
  }
  EXPECT_EQ(clock.pending(), expected.size());
  std::sort(expected.begin(), expected.end());
  std::size_t released = 0;
  for (double t = 50; t <= 500; t += 50) {
    released += clock.set_time(t);
    loop.run_until_idle();
  }
  EXPECT_EQ(released, expected.size());
  EXPECT_EQ(fired, expected);
  EXPECT_EQ(clock.pending(), 0u);
}

// Stepping through many timers in small increments, while timers are added
// (earlier and later than those waiting) and cancelled between the steps:
// every step releases exactly the live timers due, in (deadline, insertion)
// order, and next_deadline always names the earliest live one.
TEST(ExternalClock, SteppedReleasesInterleaveNewTimersAndCancellationsInOrder) {
  Loop loop;
  ExternalClock clock(loop);
  std::vector<std::pair<double, int>> fired;
  std::vector<std::pair<double, int>> live;  // scheduled, not yet fired or cancelled
  std::vector<TimerHandle> handles;
  std::uint32_t x = 777;
  auto next = [&x] { return x = x * 1664525u + 1013904223u; };
  int id = 0;
  auto schedule = [&](double deadline) {
    const int i = id++;
    handles.push_back(clock.call_at(deadline, [&fired, deadline, i] { fired.emplace_back(deadline, i); }));
    live.emplace_back(deadline, i);
  };
  for (int i = 0; i < 5'000; ++i) schedule(1 + static_cast<double>(next() % 1'000'000) / 1000.0);
  double now = 0;
  for (int step = 1; step <= 200; ++step) {
    now += 5;
    // New timers, some due before timers that were sorted long ago.
    for (int k = 0; k < 20; ++k) schedule(now + 0.001 + static_cast<double>(next() % 100'000) / 100.0);
    // Cancel a few live ones.
    for (int k = 0; k < 5 && !live.empty(); ++k) {
      std::size_t j = next() % live.size();
      handles[static_cast<std::size_t>(live[j].second)].cancel();
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(j));
    }
    std::vector<std::pair<double, int>> due;
    for (const auto& e : live) {
      if (e.first <= now) due.push_back(e);
    }
    std::sort(due.begin(), due.end());
    std::erase_if(live, [now](const auto& e) { return e.first <= now; });
    fired.clear();
    EXPECT_EQ(clock.set_time(now), due.size()) << "step " << step;
    loop.run_until_idle();
    ASSERT_EQ(fired, due) << "step " << step;
    if (live.empty()) {
      EXPECT_FALSE(clock.next_deadline());
    } else {
      ASSERT_TRUE(clock.next_deadline());
      EXPECT_EQ(*clock.next_deadline(), std::min_element(live.begin(), live.end())->first) << "step " << step;
    }
    EXPECT_EQ(clock.pending(), live.size());
  }
}

// Several set_time calls may come before the loop runs their batches, and
// a step may release thousands of sorted timers or a handful: whatever the
// mix, the batches run in (deadline, insertion) order, each call returns the
// number of live timers it released, and cancelled ones never run.
TEST(ExternalClock, RepeatedSetTimeBeforeTheLoopRunsKeepsTheOrderOfEveryBatch) {
  std::uint32_t x = 4242;
  auto next = [&x] { return x = x * 1664525u + 1013904223u; };
  for (int round = 0; round < 6; ++round) {
    Loop loop;
    ExternalClock clock(loop);
    std::vector<std::pair<double, int>> fired;
    std::vector<std::pair<double, int>> expected;
    std::vector<std::pair<double, int>> live;
    std::vector<TimerHandle> handles;
    int id = 0;
    auto schedule = [&](double deadline) {
      const int i = id++;
      handles.push_back(clock.call_at(deadline, [&fired, deadline, i] { fired.emplace_back(deadline, i); }));
      live.emplace_back(deadline, i);
    };
    const int initial = round % 2 == 0 ? 8'000 : 200;
    for (int i = 0; i < initial; ++i) schedule(1 + static_cast<double>(next() % 1'000'000) / 1000.0);
    double now = 0;
    for (int step = 0; step < 60; ++step) {
      const int added = static_cast<int>(next() % 600);
      for (int k = 0; k < added; ++k) schedule(now + 0.001 + static_cast<double>(next() % 400'000) / 1000.0);
      for (int k = 0; k < 20 && !live.empty(); ++k) {
        std::size_t j = next() % live.size();
        handles[static_cast<std::size_t>(live[j].second)].cancel();
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(j));
      }
      const int calls = 1 + static_cast<int>(next() % 3);
      for (int c = 0; c < calls; ++c) {
        now += next() % 4 == 0 ? 100 : 3;
        std::vector<std::pair<double, int>> due;
        for (const auto& e : live) {
          if (e.first <= now) due.push_back(e);
        }
        std::sort(due.begin(), due.end());
        std::erase_if(live, [now](const auto& e) { return e.first <= now; });
        expected.insert(expected.end(), due.begin(), due.end());
        ASSERT_EQ(clock.set_time(now), due.size()) << "round " << round << " step " << step;
        EXPECT_EQ(clock.pending(), live.size());
      }
      loop.run_until_idle();
      ASSERT_EQ(fired, expected) << "round " << round << " step " << step;
    }
  }
}

TEST(ExternalClock, ACallbackMayCancelALaterTimerOfTheSameBatch) {
  Loop loop;
  ExternalClock clock(loop);
  std::vector<std::string> log;
  TimerHandle second;
  clock.call_at(1, [&] {
    log.push_back("first");
    second.cancel();
  });
  second = clock.call_at(1, [&] { log.push_back("second"); });
  clock.call_at(1, [&] { log.push_back("third"); });
  EXPECT_EQ(clock.set_time(1), 3u);
  loop.run_until_idle();
  EXPECT_EQ(log, (std::vector<std::string>{"first", "third"}));
  EXPECT_TRUE(second.cancelled());
}

TEST(ExternalClock, ACallbackMayCancelAllOrAdvanceTheClockAgain) {
  Loop loop;
  ExternalClock clock(loop);
  std::vector<std::string> log;
  clock.call_at(1, [&] {
    log.push_back("advance");
    clock.call_at(1.5, [&] { log.push_back("from the second batch"); });
    clock.set_time(2);  // re-entrant: its batch runs after this one
  });
  clock.call_at(1, [&] { log.push_back("rest of the first batch"); });
  clock.set_time(1);
  loop.run_until_idle();
  EXPECT_EQ(log, (std::vector<std::string>{"advance", "rest of the first batch", "from the second batch"}));

  log.clear();
  clock.call_at(3, [&] {
    log.push_back("cancel_all");
    clock.cancel_all();
  });
  TimerHandle dropped = clock.call_at(3, [&] { log.push_back("dropped"); });
  clock.set_time(3);
  loop.run_until_idle();
  EXPECT_EQ(log, (std::vector<std::string>{"cancel_all"}));
  EXPECT_TRUE(dropped.cancelled());
}

TEST(ExternalClock, ACallbackMayDestroyItsClock) {
  Loop loop;
  auto clock = std::make_unique<ExternalClock>(loop);
  std::vector<std::string> log;
  ExternalClock* raw = clock.get();
  raw->call_at(1, [&] {
    log.push_back("destroy");
    clock.reset();
  });
  TimerHandle after = raw->call_at(1, [&] { log.push_back("after"); });
  raw->set_time(1);
  loop.run_until_idle();
  EXPECT_EQ(log, (std::vector<std::string>{"destroy"}));
  EXPECT_TRUE(after.cancelled());
}

TEST(ExternalClock, PendingTimersDoNotKeepTheLoopAlive) {
  Loop loop;
  ExternalClock clock(loop);
  TaskGroup group(loop);
  int destroyed = 0;
  bool woke = false;
  group.spawn(sleep_with_guard(clock, 1, destroyed, woke));
  clock.call_in(1, [] {});
  loop.run_until_idle();  // returns: the master drives time
  EXPECT_FALSE(woke);
  EXPECT_EQ(clock.pending(), 2u);
}

}  // namespace
