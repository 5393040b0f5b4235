// `uvmas container` as a process: READY line, `uvmas call` on agent URLs,
// call backs from a uvmas container, and a clean exit on SIGTERM.

#include "support/process.hpp"
#include "support/test_support.hpp"

#include <uvmas/framework/child_process.hpp>
#include <uvmas/framework/container.hpp>

#include <gtest/gtest.h>

#include <csignal>

namespace {

using namespace uvmas;
using test::bin_dir;
using test::run_process;

class Caller : public Agent {
 public:
  explicit Caller(Container& c) : Agent(c) { expose("service", &Caller::service); }
  Value service(Value v) {
    ++called;
    return v;
  }
  int called = 0;
};

Task<> use_container(Loop& loop, std::string codec, int* exit_status) {
  auto child = ChildProcess::start(loop, {bin_dir() + "/uvmas", "container", "tcp://127.0.0.1:0", "--agents", "2",
                                          "--codec", codec, "--clock", "external"});
  std::string line = co_await child->read_line();
  EXPECT_EQ(line.rfind("READY tcp://127.0.0.1:", 0), 0u) << line;
  std::string base = line.substr(6);
  EXPECT_EQ(base.back(), '/');

  std::string call = bin_dir() + "/uvmas call --codec " + codec + " " + base;
  EXPECT_EQ(run_process(call + "0 service 42").out, "42\n");
  EXPECT_EQ(run_process(call + "1 service '\"a\"'").out, "\"a\"\n");
  auto missing = run_process(call + "2 service 1 2>&1");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.out.find("Agent \"2\" does not exist"), std::string::npos) << missing.out;
  auto unknown = run_process(call + "0 nosuch 2>&1");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.out.find("LookupError: Name \"nosuch\" not found in \"agents/0\""), std::string::npos)
      << unknown.out;

  // The interop client's sequence: service(42), then call_me_back(<our agent 0>, 43) calls us back.
  ContainerOptions options;
  options.codec = format_from_string(codec);
  auto c = Container::create(loop, "tcp://127.0.0.1:0", options);
  auto& me = c->spawn<Caller>();
  auto remote = co_await c->connect(base + "1");
  EXPECT_EQ(co_await remote.call<int>("service", 42), 42);
  EXPECT_EQ(co_await remote.call<int>("call_me_back", me, 43), 43);
  EXPECT_EQ(me.called, 1);
  co_await c->shutdown();

  child->kill(SIGTERM);
  *exit_status = co_await child->wait();
}

class ContainerCli : public ::testing::TestWithParam<std::string> {};

TEST_P(ContainerCli, ServesAgentsToUvmasCallAndExitsCleanlyOnSigterm) {
  Loop loop;
  int status = -1;
  loop.run(use_container(loop, GetParam(), &status));
  EXPECT_EQ(status, 0);
}

INSTANTIATE_TEST_SUITE_P(Codecs, ContainerCli, ::testing::Values("json", "msgpack", "msgpack_blosc"));

}  // namespace
