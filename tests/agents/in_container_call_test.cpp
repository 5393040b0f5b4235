// A call from one agent to another of the same container keeps aiomas's
// semantics although nothing is encoded: a coroutine callee runs as a task of
// its own (a caller that is cancelled or times out leaves it running to
// completion, as a request over a socket would be), failures arrive as
// RemoteException, and the container's shutdown ends what is still running
// with ConnectionError for the caller.

#include "support/watchdog.hpp"

#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/framework/container.hpp>

#include <gtest/gtest.h>

#include <optional>

namespace {

using namespace uvmas;

class Worker : public Agent {
 public:
  static void expose_methods(rpc::Methods<Worker>& m) {
    m.expose("work", &Worker::work);
    m.expose("fail_now", &Worker::fail_now);
    m.expose("fail_later", &Worker::fail_later);
  }
  explicit Worker(Container& c) : Agent(c) {}
  Task<int> work(double seconds) {
    ++started;
    co_await container().clock().sleep(seconds);
    ++finished;
    co_return finished;
  }
  Task<int> fail_now() {
    throw ValueError("at once");
    co_return 0;
  }
  Task<int> fail_later() {
    co_await container().clock().sleep(1);
    throw ValueError("later");
  }
  int started = 0;
  int finished = 0;
};

struct Fixture {
  Loop loop;
  std::unique_ptr<Container> c;
  Worker* worker;
  Fixture() {
    ContainerOptions o;
    o.clock = OwnClock::external;
    c = Container::create(loop, "local://calls", o);
    worker = &c->spawn<Worker>();
  }
  ExternalClock& clock() { return *c->external_clock(); }
  ~Fixture() { loop.run(c->shutdown()); }
};

Task<> call_work(AgentProxy p, double seconds, std::optional<int>* result, std::string* error) {
  try {
    *result = co_await p.call<int>("work", seconds);
  } catch (const std::exception& e) {
    *error = e.what();
  }
}

Task<> cancelled_caller(Fixture* f) {
  AgentProxy p = co_await f->c->connect(f->worker->addr());
  std::optional<int> result;
  std::string error;
  {
    TaskGroup callers(f->loop);
    callers.spawn(call_work(p, 1.0, &result, &error));
    EXPECT_EQ(f->worker->started, 1);  // the callee started at once
    callers.cancel();                  // the caller goes away
  }
  f->clock().set_time(2.0);
  co_await f->loop.quiescent();
  EXPECT_EQ(f->worker->finished, 1);  // ... and the callee still ran to completion
  EXPECT_FALSE(result.has_value());
  EXPECT_EQ(error, "");
}

TEST(InContainerCalls, ACancelledCallerLeavesTheCalleeRunningToCompletion) {
  test::Watchdog watchdog;
  Fixture f;
  f.loop.run(cancelled_caller(&f));
}

Task<> timed_out_caller(Fixture* f) {
  AgentProxy p = (co_await f->c->connect(f->worker->addr())).with_timeout(0.5);
  std::optional<int> result;
  std::string error;
  TaskGroup callers(f->loop);
  callers.spawn(call_work(p, 1.0, &result, &error));
  f->clock().set_time(0.6);
  co_await f->loop.quiescent();  // all that can happen before more clock time
  EXPECT_NE(error.find("timed out after 0.5 s"), std::string::npos) << error;
  EXPECT_EQ(f->worker->finished, 0);
  f->clock().set_time(1.5);
  co_await f->loop.quiescent();
  EXPECT_EQ(f->worker->finished, 1);
  EXPECT_FALSE(result.has_value());
  co_await callers.join();
}

TEST(InContainerCalls, ACallerThatTimesOutLeavesTheCalleeRunning) {
  test::Watchdog watchdog;
  Fixture f;
  f.loop.run(timed_out_caller(&f));
}

Task<std::string> remote_failure(AgentProxy p, std::string name) {
  try {
    co_await p.call(name);
  } catch (const RemoteException& e) {
    co_return e.remote_type() + ": " + e.remote_message();
  }
  co_return "no RemoteException";
}

Task<> failures(Fixture* f, std::vector<std::string>* seen) {
  AgentProxy p = co_await f->c->connect(f->worker->addr());
  seen->push_back(co_await remote_failure(p, "fail_now"));
  // The callee fails after suspending, in its own task.
  TaskGroup later(f->loop);
  std::string text;
  later.spawn([](AgentProxy p, std::string* text) -> Task<> {
    try {
      co_await p.call("fail_later");
    } catch (const RemoteException& e) {
      *text = e.remote_type() + ": " + e.remote_message();
    }
  }(p, &text));
  f->clock().set_time(f->clock().time() + 1);
  co_await later.join();
  seen->push_back(text);
}

TEST(InContainerCalls, FailuresArriveAsRemoteExceptionBeforeAndAfterTheCalleeSuspends) {
  test::Watchdog watchdog;
  Fixture f;
  std::vector<std::string> seen;
  f.loop.run(failures(&f, &seen));
  EXPECT_EQ(seen, (std::vector<std::string>{"ValueError: at once", "ValueError: later"}));
}

Task<> shut_down_while_running(Fixture* f, std::string* error) {
  AgentProxy p = co_await f->c->connect(f->worker->addr());
  std::optional<int> result;
  TaskGroup callers(f->loop);
  callers.spawn(call_work(p, 1.0, &result, error));
  co_await f->c->shutdown();
  co_await callers.join();
  EXPECT_FALSE(result.has_value());
  EXPECT_EQ(f->worker->finished, 0);
}

TEST(InContainerCalls, ShuttingTheContainerDownEndsARunningCalleeWithConnectionError) {
  test::Watchdog watchdog;
  Fixture f;
  std::string error;
  f.loop.run(shut_down_while_running(&f, &error));
  EXPECT_NE(error.find("is closed"), std::string::npos) << error;
}

}  // namespace
