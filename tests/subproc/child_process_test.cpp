// ChildProcess: start, read the ready line, stop, reap.

#include <uvmas/core/error.hpp>
#include <uvmas/framework/child_process.hpp>

#include <gtest/gtest.h>

namespace {

using namespace uvmas;

TEST(ChildProcess, ReadsTheReadyLineAndStopsTheChild) {
  Loop loop;
  auto child = ChildProcess::start(loop, {"/bin/sh", "-c", "echo READY tcp://x:1; echo second; exec sleep 30"});
  auto run = [](ChildProcess& c) -> Task<int> {
    EXPECT_EQ(co_await c.read_line(), "READY tcp://x:1");
    EXPECT_EQ(co_await c.read_line(), "second");
    c.kill();
    co_return co_await c.wait();
  };
  EXPECT_EQ(loop.run(run(*child)), 128 + 15);
  EXPECT_FALSE(child->running());
}

TEST(ChildProcess, ReportsTheExitStatus) {
  Loop loop;
  auto child = ChildProcess::start(loop, {"/bin/sh", "-c", "exit 3"});
  auto run = [](ChildProcess& c) -> Task<int> { co_return co_await c.wait(); };
  EXPECT_EQ(loop.run(run(*child)), 3);
}

TEST(ChildProcess, ALineThatNeverComesIsAClearError) {
  Loop loop;
  auto child = ChildProcess::start(loop, {"/bin/sh", "-c", "exit 0"});
  auto run = [](ChildProcess& c) -> Task<std::string> {
    try {
      co_await c.read_line();
    } catch (const ConnectionError& e) {
      co_return e.what();
    }
    co_return "";
  };
  EXPECT_NE(loop.run(run(*child)).find("closed its output"), std::string::npos);
}

TEST(ChildProcess, AMissingProgramIsRefusedWithItsName) {
  Loop loop;
  try {
    ChildProcess::start(loop, {"/nonexistent/uvmas-nothing"});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/uvmas-nothing"), std::string::npos);
  }
}

}  // namespace
