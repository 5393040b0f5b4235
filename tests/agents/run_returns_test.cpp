// run() returns as soon as its task is done, whatever keeps the loop alive
// (a listening server, open connections): aiomas's Hello World agent ends by
// itself, and a task that only yields returns on every transport.

#include "support/test_support.hpp"
#include "support/watchdog.hpp"

#include <uvmas/framework/container.hpp>

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace uvmas;

class HelloWorld : public Agent {
 public:
  HelloWorld(Container& c, std::string name, std::ostream* out) : Agent(c), name_(std::move(name)), out_(out) {}
  Task<> run() {
    *out_ << name_ << " says:\n";
    for (int i = 0; i < 3; ++i) {
      co_await container().clock().sleep(0.01);
      *out_ << "Hello, World!\n";
    }
  }

 private:
  std::string name_;
  std::ostream* out_;
};

std::string hello_world(const std::string& address) {
  std::ostringstream out;
  auto c = Container::create(address);
  auto& agent = c->spawn<HelloWorld>("Monty", &out);
  c->run(agent.run());
  c->run(c->shutdown());
  return out.str();
}

TEST(Run, HelloWorldOnTcpEndsByItself) {
  test::Watchdog watchdog;
  EXPECT_EQ(hello_world("tcp://127.0.0.1:0"), "Monty says:\nHello, World!\nHello, World!\nHello, World!\n");
}

TEST(Run, HelloWorldOnAUnixSocketEndsByItself) {
  test::Watchdog watchdog;
  EXPECT_EQ(hello_world("ipc://[" + test::temp_socket_path("hello") + "]"),
            "Monty says:\nHello, World!\nHello, World!\nHello, World!\n");
}

Task<int> only_yields(Loop* loop) {
  for (int i = 0; i < 3; ++i) co_await loop->yield();
  co_return 7;
}

std::vector<std::string> every_transport() {
  return {"tcp://127.0.0.1:0", "ipc://[" + test::temp_socket_path("yield") + "]", "local://yield"};
}

TEST(Run, ATaskThatOnlyYieldsReturnsOnEveryTransport) {
  test::Watchdog watchdog;
  for (const auto& address : every_transport()) {
    auto c = Container::create(address);
    EXPECT_EQ(c->run(only_yields(&c->loop())), 7) << address;
    // A second run on the same container, with its connection cache warm.
    EXPECT_EQ(c->run(only_yields(&c->loop())), 7) << address;
    c->run(c->shutdown());
  }
}

TEST(Run, ATaskThatIsDoneAtOnceReturnsWhileAServerListens) {
  test::Watchdog watchdog;
  for (const auto& address : every_transport()) {
    Loop loop;
    auto c = Container::create(loop, address);
    EXPECT_EQ(loop.run([]() -> Task<int> { co_return 1; }()), 1) << address;
    loop.run(c->shutdown());
  }
}

class Echo : public Agent {
 public:
  explicit Echo(Container& c) : Agent(c) { expose("echo", &Echo::echo); }
  int echo(int v) { return v; }
};

Task<int> call_once(Container* c, std::string url) {
  auto remote = co_await c->connect(url);
  co_return co_await remote.call<int>("echo", 5);
}

TEST(Run, ACallAcrossContainersReturnsWhileTheConnectionStaysOpen) {
  test::Watchdog watchdog;
  for (const auto& address : every_transport()) {
    Loop loop;
    auto a = Container::create(loop, address);
    auto b = Container::create(loop, address.rfind("local", 0) == 0 ? std::string("local://yield-b")
                                                                    : std::string("tcp://127.0.0.1:0"));
    auto& echo = b->spawn<Echo>();
    EXPECT_EQ(loop.run(call_once(a.get(), echo.addr())), 5) << address;
    EXPECT_EQ(a->outgoing_connections(), 1u);
    loop.run(a->shutdown());
    loop.run(b->shutdown());
  }
}

}  // namespace
