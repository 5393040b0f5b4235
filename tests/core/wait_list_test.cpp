// WaitList and Event: waiters resume from the loop (never inside the call
// that wakes them), in the order they started waiting, and a destroyed
// waiter leaves the list.

#include <uvmas/core/loop.hpp>
#include <uvmas/core/task.hpp>
#include <uvmas/core/wait_list.hpp>

#include "support/watchdog.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace {

using uvmas::Event;
using uvmas::Loop;
using uvmas::Task;
using uvmas::WaitList;

Task<> waiter(WaitList& list, std::vector<int>& woken, int id) {
  co_await list.wait();
  woken.push_back(id);
}

TEST(WaitList, WakeAllResumesEveryWaiterInArrivalOrderFromTheLoop) {
  uvmas::test::Watchdog watchdog;
  Loop loop;
  WaitList list;
  std::vector<int> woken;
  auto body = [&]() -> Task<> {
    for (int id = 1; id <= 3; ++id) loop.spawn(waiter(list, woken, id));
    co_await loop.yield();  // let them reach wait()
    EXPECT_FALSE(list.empty());
    list.wake_all(loop);
    EXPECT_TRUE(list.empty());
    EXPECT_TRUE(woken.empty()) << "a waiter ran inside wake_all()";
    co_await loop.yield();
    EXPECT_EQ(woken, (std::vector<int>{1, 2, 3}));
  };
  loop.run(body());
}

TEST(WaitList, WakeOneResumesOnlyTheLongestWaiting) {
  uvmas::test::Watchdog watchdog;
  Loop loop;
  WaitList list;
  std::vector<int> woken;
  auto body = [&]() -> Task<> {
    loop.spawn(waiter(list, woken, 1));
    loop.spawn(waiter(list, woken, 2));
    co_await loop.yield();
    list.wake_one(loop);
    co_await loop.yield();
    EXPECT_EQ(woken, (std::vector<int>{1}));
    EXPECT_FALSE(list.empty());
    list.wake_one(loop);
    co_await loop.yield();
    EXPECT_EQ(woken, (std::vector<int>{1, 2}));
    EXPECT_TRUE(list.empty());
    list.wake_one(loop);  // nobody waits: nothing happens
  };
  loop.run(body());
}

TEST(WaitList, ADestroyedWaiterLeavesTheList) {
  Loop loop;
  WaitList list;
  std::vector<int> woken;
  {
    Task<> t = waiter(list, woken, 1);
    t.handle().resume();  // runs up to wait()
    EXPECT_FALSE(list.empty());
  }
  EXPECT_TRUE(list.empty());
  list.wake_all(loop);
  loop.run_until_idle();
  EXPECT_TRUE(woken.empty());
}

TEST(WaitList, ClearForgetsWaitersWithoutResumingThem) {
  Loop loop;
  WaitList list;
  std::vector<int> woken;
  Task<> t = waiter(list, woken, 1);
  t.handle().resume();
  list.clear();
  EXPECT_TRUE(list.empty());
  list.wake_all(loop);
  loop.run_until_idle();
  EXPECT_TRUE(woken.empty());
  EXPECT_FALSE(t.done());
}

TEST(Event, WaitReturnsAtOnceOnceSet) {
  uvmas::test::Watchdog watchdog;
  Loop loop;
  Event event(loop);
  EXPECT_FALSE(event.is_set());
  event.set();
  event.set();  // setting again changes nothing
  EXPECT_TRUE(event.is_set());
  auto body = [&]() -> Task<> { co_await event.wait(); };
  loop.run(body());
}

TEST(Event, SetWakesEveryWaiter) {
  uvmas::test::Watchdog watchdog;
  Loop loop;
  Event event(loop);
  std::vector<int> woken;
  auto wait_for = [&](int id) -> Task<> {
    co_await event.wait();
    woken.push_back(id);
  };
  auto body = [&]() -> Task<> {
    loop.spawn(wait_for(1));
    loop.spawn(wait_for(2));
    co_await loop.yield();
    EXPECT_TRUE(woken.empty());
    event.set();
    co_await loop.yield();
    EXPECT_EQ(woken, (std::vector<int>{1, 2}));
  };
  loop.run(body());
}

}  // namespace
