// The examples of docs/ and the demo print what their guides promise.

#include "support/process.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

namespace {

using uvmas::test::bin_dir;
using uvmas::test::run_process;

TEST(Examples, ChannelExamplePrintsOhaiThenCya) {
  auto r = run_process(bin_dir() + "/example-channel");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "ohai\ncya\n");
}

TEST(Examples, ChannelExampleWorksOverAUnixSocket) {
  auto path = uvmas::test::temp_socket_path("example");
  auto r = run_process(bin_dir() + "/example-channel 'ipc://[" + path + "]'");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "ohai\ncya\n");
}

TEST(Examples, DemoSimulatesADayAcrossTwoProcessesAndKeepsTheFeederWithinCapacity) {
  auto r = run_process(bin_dir() + "/uvmas demo");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("19:00 |"), std::string::npos) << r.out;  // progress, hour by hour
  EXPECT_NE(r.out.find("-> 50.0 kW delivered (capacity 50.0 kW)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("child exit status 0"), std::string::npos) << r.out;
}

TEST(Examples, TlsExampleExchangesMessages) {
  auto r = run_process(bin_dir() + "/example-tls " + uvmas::test::shared_dir() + "/tls-test-certs");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "channel: hello, channel client\nrpc: 3 + 4 = 7\nagents: over TLS\n");
}

}  // namespace

namespace {

TEST(Examples, RpcExampleAsksWhatThreePlusFourIs) {
  auto r = uvmas::test::run_process(uvmas::test::bin_dir() + "/example-rpc");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "What\u2019s 3 + 4? 7\n");
}

}  // namespace

namespace {

TEST(Examples, AgentsExampleGreetsAndCallsTheOtherAgent) {
  auto r = uvmas::test::run_process(uvmas::test::bin_dir() + "/example-agents");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "Ohai, I am TestAgent('tcp://localhost:5555/0')\n"
            "Ohai, I am TestAgent('tcp://localhost:5555/1')\n"
            "TestAgent('tcp://localhost:5555/0') got 42 from TestAgentProxy('tcp://localhost:5555/1')\n");
}

}  // namespace
