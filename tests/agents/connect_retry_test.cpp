// connect(url, timeout) as aiomas's `connect(url, timeout=…)`: while the
// remote container refuses, it tries again on the container's own clock, and
// when the timeout has passed the error says how long it tried.

#include "support/test_support.hpp"

#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/framework/container.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

namespace {

using namespace uvmas;

class Echo : public Agent {
 public:
  explicit Echo(Container& c) : Agent(c) { expose("echo", &Echo::echo); }
  int echo(int v) { return v; }
};

struct Attempt {
  bool done = false;
  std::string error;
  int answer = 0;
};

Task<> connect_and_call(Container* c, std::string url, double timeout, Attempt* out) {
  try {
    auto peer = co_await c->connect(url, timeout);
    out->answer = co_await peer.call<int>("echo", 42);
  } catch (const ConnectionError& e) {
    out->error = e.what();
  }
  out->done = true;
}

Task<> quiet(Loop* loop) { co_await loop->quiescent(); }

// Runs the loop until all that can happen without more clock time has
// happened (an attempt refused, a call answered).
void settle(Loop& loop) { loop.run(quiet(&loop)); }

ContainerOptions on_external_clock() {
  ContainerOptions o;
  o.clock = OwnClock::external;
  return o;
}

TEST(ConnectRetry, RetriesOnTheContainersClockUntilTheRemoteContainerExists) {
  Loop loop;
  auto a = Container::create(loop, "tcp://127.0.0.1:0", on_external_clock());
  ExternalClock& clock = *a->external_clock();
  std::string path = test::temp_socket_path("retry");
  Attempt attempt;
  a->tasks().spawn(connect_and_call(a.get(), "ipc://[" + path + "]/0", 5, &attempt));
  settle(loop);
  ASSERT_FALSE(attempt.done) << attempt.error;  // refused once, waits 0.1 s of clock time
  EXPECT_EQ(clock.next_deadline(), 0.1);

  // The remote container comes up later; the next attempt (at clock time 0.1) gets through.
  auto b = Container::create(loop, "ipc://[" + path + "]");
  b->spawn<Echo>();
  clock.set_time(0.1);
  settle(loop);
  EXPECT_TRUE(attempt.done);
  EXPECT_EQ(attempt.error, "");
  EXPECT_EQ(attempt.answer, 42);
  loop.run(a->shutdown());
  loop.run(b->shutdown());
}

TEST(ConnectRetry, GivesUpWhenTheTimeoutHasPassedAndSaysHowLongItTried) {
  Loop loop;
  auto a = Container::create(loop, "tcp://127.0.0.1:0", on_external_clock());
  ExternalClock& clock = *a->external_clock();
  std::string path = test::temp_socket_path("never");
  Attempt attempt;
  a->tasks().spawn(connect_and_call(a.get(), "ipc://[" + path + "]/0", 0.25, &attempt));
  // Attempts at clock times 0, 0.1, 0.2 and 0.25 (the last wait is cut to the timeout).
  for (double t : {0.1, 0.2, 0.25}) {
    settle(loop);
    ASSERT_FALSE(attempt.done) << attempt.error;
    EXPECT_EQ(clock.next_deadline(), t);
    clock.set_time(t);
  }
  settle(loop);
  ASSERT_TRUE(attempt.done);
  EXPECT_EQ(attempt.error, "cannot connect to ipc://[" + path + "]: no such file or directory (ENOENT) (retried for 0.25 s)");
  loop.run(a->shutdown());
}

TEST(ConnectRetry, WithoutATimeoutThereIsOneAttemptAsInAiomas) {
  Loop loop;
  auto a = Container::create(loop, "tcp://127.0.0.1:0");
  std::string path = test::temp_socket_path("once");
  Attempt attempt;
  loop.run(connect_and_call(a.get(), "ipc://[" + path + "]/0", 0, &attempt));
  EXPECT_EQ(attempt.error, "cannot connect to ipc://[" + path + "]: no such file or directory (ENOENT)");
  Attempt plain;
  loop.run([&]() -> Task<> {
    try {
      (void)co_await a->connect("ipc://[" + path + "]/0");
    } catch (const ConnectionError& e) {
      plain.error = e.what();
    }
  }());
  EXPECT_EQ(plain.error, attempt.error);
  loop.run(a->shutdown());
}

}  // namespace
