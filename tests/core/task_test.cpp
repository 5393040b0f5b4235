#include <uvmas/core/error.hpp>
#include <uvmas/core/loop.hpp>
#include <uvmas/core/task.hpp>
#include <uvmas/core/task_group.hpp>
#include <uvmas/core/detail/uv_handle.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

uvmas::Task<int> answer() { co_return 42; }
uvmas::Task<int> add_answers() {
  int a = co_await answer();
  int b = co_await answer();
  co_return a + b;
}
uvmas::Task<> fails() {
  throw uvmas::ValueError("boom");
  co_return;
}

TEST(Task, DoesNotStartUntilAwaited) {
  bool started = false;
  auto body = [](bool& flag) -> uvmas::Task<> {
    flag = true;
    co_return;
  };
  uvmas::Loop loop;
  auto t = body(started);
  EXPECT_FALSE(started);
  loop.run(std::move(t));
  EXPECT_TRUE(started);
}

TEST(Task, ReturnsValuesThroughAwaitChains) {
  uvmas::Loop loop;
  EXPECT_EQ(loop.run(add_answers()), 84);
}

TEST(Task, PropagatesExceptionsToTheAwaiter) {
  uvmas::Loop loop;
  auto outer = []() -> uvmas::Task<std::string> {
    try {
      co_await fails();
    } catch (const uvmas::ValueError& e) {
      co_return e.what();
    }
    co_return "no";
  };
  EXPECT_EQ(loop.run(outer()), "boom");
  EXPECT_THROW(loop.run(fails()), uvmas::ValueError);
}

TEST(Task, LongSynchronousChainsDoNotOverflowTheStack) {
  uvmas::Loop loop;
  auto chain = []() -> uvmas::Task<long> {
    long sum = 0;
    for (int i = 0; i < 1'000'000; ++i) sum += co_await answer();
    co_return sum;
  };
  EXPECT_EQ(loop.run(chain()), 42'000'000L);
}

TEST(Loop, YieldRunsOthersFirstInFifoOrder) {
  uvmas::Loop loop;
  std::vector<int> order;
  auto worker = [](uvmas::Loop& l, std::vector<int>& out, int id) -> uvmas::Task<> {
    out.push_back(id);
    co_await l.yield();
    out.push_back(id + 10);
  };
  loop.spawn(worker(loop, order, 1));
  loop.spawn(worker(loop, order, 2));
  loop.run_until_idle();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 11, 12}));
}

TEST(Loop, RunReportsADeadlockInsteadOfHanging) {
  uvmas::Loop loop;
  uvmas::TaskGroup group(loop);
  group.spawn([](uvmas::Loop& l) -> uvmas::Task<> { co_await l.yield(); }(loop));
  auto never = [](uvmas::TaskGroup& g) -> uvmas::Task<> {
    // Joining a group that contains ourselves would never finish.
    co_await g.join();
  };
  group.spawn([](uvmas::Loop&) -> uvmas::Task<> { co_return; }(loop));
  uvmas::TaskGroup self(loop);
  auto stuck = [](uvmas::Loop&) -> uvmas::Task<> {
    struct Never {
      bool await_ready() { return false; }
      void await_suspend(std::coroutine_handle<>) {}
      void await_resume() {}
    };
    co_await Never{};
  };
  EXPECT_THROW(loop.run(stuck(loop)), std::logic_error);
  (void)never;
}

TEST(TaskGroup, CancelDestroysSuspendedTasksAndJoinWakes) {
  uvmas::Loop loop;
  uvmas::TaskGroup group(loop);
  int destroyed = 0;
  struct Guard {
    int& n;
    ~Guard() { ++n; }
  };
  auto waiter = [](int& n) -> uvmas::Task<> {
    Guard g{n};
    struct Never {
      bool await_ready() { return false; }
      void await_suspend(std::coroutine_handle<>) {}
      void await_resume() {}
    };
    co_await Never{};
  };
  group.spawn(waiter(destroyed));
  group.spawn(waiter(destroyed));
  EXPECT_EQ(group.size(), 2u);
  auto main = [](uvmas::TaskGroup& g) -> uvmas::Task<> { co_await g.cancel_and_wait(); };
  loop.run(main(group));
  EXPECT_EQ(destroyed, 2);
  EXPECT_TRUE(group.empty());
}

TEST(TaskGroup, ATaskMayCancelItsOwnGroup) {
  uvmas::Loop loop;
  auto group = std::make_unique<uvmas::TaskGroup>(loop);
  bool after = false;
  auto self_cancel = [](uvmas::TaskGroup& g, bool& flag) -> uvmas::Task<> {
    co_await g.cancel_and_wait();
    flag = true;  // never reached: this task belongs to the group
  };
  group->spawn(self_cancel(*group, after));
  loop.run_until_idle();
  EXPECT_FALSE(after);
  EXPECT_TRUE(group->empty());
}

TEST(TaskGroup, FailuresGoToTheErrorHandler) {
  uvmas::Loop loop;
  uvmas::TaskGroup group(loop);
  std::string seen;
  group.set_error_handler([&](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      seen = ex.what();
    }
  });
  group.spawn(fails());
  EXPECT_EQ(seen, "boom");
  EXPECT_TRUE(group.empty());
}

TEST(RemoteException, ExposesTypeAndMessageOfTheLastLine) {
  uvmas::RemoteException e("('127.0.0.1', 5555)",
                           "Traceback (most recent call last):\n  File \"x\", line 1, in f\nValueError: boom\n");
  EXPECT_EQ(e.remote_type(), "ValueError");
  EXPECT_EQ(e.remote_message(), "boom");
  EXPECT_EQ(std::string(e.what()).rfind("Origin: ('127.0.0.1', 5555)\n", 0), 0u);
}

TEST(Errors, DescribeUsesPythonClassNames) {
  auto d = [](auto ex) { return uvmas::describe(std::make_exception_ptr(ex)).line(); };
  EXPECT_EQ(d(uvmas::ValueError("x")), "ValueError: x");
  EXPECT_EQ(d(uvmas::TypeError("t")), "TypeError: t");
  EXPECT_EQ(d(std::runtime_error("r")), "RuntimeError: r");
  EXPECT_EQ(d(uvmas::LookupError("l")), "LookupError: l");
}

}  // namespace

namespace {

TEST(Loop, QuiescentWaitsUntilNothingIsRunnableAndNothingIsBusy) {
  uvmas::Loop loop;
  std::vector<std::string> trace;
  auto worker = [](uvmas::Loop& l, std::vector<std::string>& out) -> uvmas::Task<> {
    for (int i = 0; i < 3; ++i) {
      co_await l.yield();
      out.push_back("work");
    }
  };
  auto main = [](uvmas::Loop& l, std::vector<std::string>& out) -> uvmas::Task<> {
    uvmas::Activity opening(l);  // e.g. a connection being opened
    l.spawn([](uvmas::Loop& lp, uvmas::Activity activity) -> uvmas::Task<> {
      for (int i = 0; i < 5; ++i) co_await lp.yield();
      activity.release();  // the connection is open
    }(l, std::move(opening)));
    co_await l.quiescent();
    out.push_back("quiet");
  };
  loop.spawn(worker(loop, trace));
  loop.run(main(loop, trace));
  EXPECT_EQ(trace, (std::vector<std::string>{"work", "work", "work", "quiet"}));
  EXPECT_TRUE(loop.quiet());
}

}  // namespace

namespace {

// The clean-loop check every test runs under (UVMAS_LEAK_CHECK=abort): a
// handle left open when its loop goes fails the test, naming the handle.
TEST(LoopDeathTest, AHandleLeftOpenFailsTheLeakCheck) {
  ::setenv("UVMAS_LEAK_CHECK", "abort", 1);
  EXPECT_DEATH(
      {
        uvmas::Loop loop;
        static uv_timer_t leaked;
        uv_timer_init(loop.uv(), &leaked);
        leaked.data = &loop;  // an owner that never closes it
      },
      "loop destroyed with libuv handles still open \\(timer\\)");
}

TEST(Loop, AClosedUvHandleLeavesTheLoopClean) {
  ::setenv("UVMAS_LEAK_CHECK", "abort", 1);
  uvmas::Loop loop;
  uvmas::detail::UvHandle<uv_timer_t> timer;
  ASSERT_EQ(timer.init(uv_timer_init, loop.uv(), &loop), 0);
  uv_timer_start(timer.get(), [](uv_timer_t*) {}, 1000, 0);
  timer.close();
  EXPECT_FALSE(timer);
}  // the loop goes with no handle left (or this test aborts)

}  // namespace
