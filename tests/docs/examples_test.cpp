// The examples of docs/ and the demo print what their guides promise.

#include "support/process.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <regex>

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
  auto r = run_process(bin_dir() + "/example-tls " + uvmas::test::data_dir() + "/tls");
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
  // Port 0: no fixed port that a parallel test could hold.
  auto r = uvmas::test::run_process(uvmas::test::bin_dir() + "/example-agents tcp://127.0.0.1:0");
  EXPECT_EQ(r.exit_code, 0);
  const std::string out = std::regex_replace(r.out, std::regex("tcp://127\\.0\\.0\\.1:[0-9]+/"), "tcp://HOST/");
  EXPECT_EQ(out,
            "Ohai, I am TestAgent('tcp://HOST/0')\n"
            "Ohai, I am TestAgent('tcp://HOST/1')\n"
            "TestAgent('tcp://HOST/0') got 42 from TestAgentProxy('tcp://HOST/1')\n")
      << r.out;
}

}  // namespace

namespace {

using uvmas::test::bin_dir;
using uvmas::test::run_process;

TEST(Examples, ChannelServerAnswersFailsAndClosesAsTheGuideSays) {
  auto r = run_process(bin_dir() + "/example-channel_server");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("21 doubled is 42\n"
                        "in flight: 3 replies, 0 pending\n"
                        "remote ValueError: not a number: 'forty-two'\n"
                        "after close: connection to ('127.0.0.1', ",
                        0),
            0u)
      << r.out;
  EXPECT_NE(r.out.find(") is closed: connection closed\n"), std::string::npos) << r.out;
}

TEST(Examples, RpcRoutersReachNestedAndDictRoutersWithKeywords) {
  auto r = run_process(bin_dir() + "/example-rpc_routers");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "calc/add(3, 4) = 7\n"
            "calc/scale(1.5) = 3\n"
            "calc/stats/calls() = 2\n"
            "greeter/hello('Ada') = Hello, Ada!\n"
            "calc/scale(1.5, factor=10) = 15\n"
            "LookupError: Name \"nope\" not found in \"calc\"\n"
            "LookupError: Name \"nope\" not found in \"calc/stats\"\n"
            "TypeError: Calculator.add() argument 'a': expected int, got str\n");
}

TEST(Examples, AgentsExposeKeywordsHiddenNamesAndNestedServices) {
  auto r = run_process(bin_dir() + "/example-agents_expose");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "refused: exposing Shop.buy: 1 parameter name given for 2 parameters\n"
            "buy(apple, 4) = 2\n"
            "buy(pear, count=2) = 4\n"
            "till/total() = 6\n"
            "info/opening_hours() = 9-17\n"
            "LookupError: \"shop.Shop.restock\" is not exposed\n"
            "LookupError: Name \"steal\" not found in \"agents/0\"\n"
            "TypeError: 'Till' object is not callable\n"
            "TypeError: Shop.buy() argument 'count': expected int, got str\n");
}

TEST(Examples, RpcPeersCallBackFailRemotelyAndLoseTheConnection) {
  auto r = run_process(bin_dir() + "/example-rpc_peers");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "welcome, client 1\n"
            "RemoteException: ValueError: cannot divide by zero\n"
            "closed: connection closed by peer\n"
            "pending call failed: ConnectionError\n");
}

TEST(Examples, AgentsCallEachOtherOverLocalQueue) {
  auto r = run_process(bin_dir() + "/example-agents_calls local");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "Buyer('local://town/0') offered apple for 0.5\n"
            "Buyer('local://town/0') offered pear for 12\n"
            "Buyer('local://town/0') bought apple from SellerProxy('local://market/0')\n"
            "Buyer('local://town/0') did not buy pear from SellerProxy('local://market/0')\n"
            "connect: Agent \"42\" does not exist in Container(local://market)\n"
            "call: LookupError: Name \"steal\" not found in \"agents/0\"\n");
}

TEST(Examples, AgentsCallEachOtherOverTcp) {
  auto r = run_process(bin_dir() + "/example-agents_calls tcp");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("') bought apple from SellerProxy('tcp://127.0.0.1:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("') did not buy pear from SellerProxy('tcp://127.0.0.1:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("call: LookupError: Name \"steal\" not found in \"agents/0\"\n"), std::string::npos) << r.out;
}

TEST(Examples, AgentReferencesPrintAsAiomasProxiesAndArePassedOnAsAddresses) {
  auto r = run_process(bin_dir() + "/example-agents_refs");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "received AgentProxy('local://market/0')\n"
            "validated SellerProxy('local://market/0')\n"
            "apple costs 0.5\n"
            "courier got AgentProxy('local://market/0')\n"
            "delivered: 1.5\n"
            "hello from AgentProxy('agents/0')\n"
            "hello from BuyerProxy('agents/0')\n");
}

TEST(Examples, AgentsSubprocRunsAWorkerInAChildProcess) {
  auto r = run_process(bin_dir() + "/example-agents_subproc");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "worker in the child: 14 * 3 = 42\nchild exit status 0\n");
}

TEST(Examples, CodecsExampleShowsTheThreeCodecsAndTheConversionRule) {
  auto r = run_process(bin_dir() + "/example-codecs");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "json: 62 bytes, decodes back equal\n"
            "msgpack: 39 bytes, decodes back equal\n"
            "msgpack_blosc: 55 bytes, decodes back equal\n"
            "{\"name\": \"pump 7\", \"on\": true, \"flow\": 12.5, \"ids\": [1, 2, 3]}\n"
            "json: Object of type bytes is not JSON serializable\n"
            "msgpack channel echoed 3 bytes\n"
            "as<int>() of 3.0: expected int, got float\n"
            "as<double>() of 3.0: 3\n"
            "as<int>() of true: 1\n"
            "as_int() of 7: 7\n");
}

TEST(Examples, AgentsConnectRetriesOnTheContainersClockAndFailsAlikeInProcess) {
  auto r = run_process(bin_dir() + "/example-agents_connect");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "t=-1 utcnow=2015-12-31T22:59:59+00:00\n"
            "t=-0.7 connected to EchoProxy('local://late/0')\n"
            "echo: 42\n"
            "to EchoProxy('local://home/0'): Object of type bytes is not JSON serializable\n"
            "to EchoProxy('local://late/0'): Object of type bytes is not JSON serializable\n");
}

TEST(Examples, RpcServerCallsItsClientBackOnConnect) {
  auto r = run_process(bin_dir() + "/example-rpc_client_callback");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "client: the server asked my name\nserver: client 1 connected\n");
}

TEST(Examples, MosaikMetaIsCheckedBeforeItIsSent) {
  auto r = run_process(bin_dir() + "/example-mosaik_meta");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "invalid meta: model 'Battery': a time-based simulator cannot declare trigger attributes (p_set)\n"
            "fixed meta passes\n"
            "invalid meta: api_version '2.2': uvmas simulators speak mosaik API 3 only (\"3.0\")\n");
}

TEST(Examples, TestingExampleIsDeterministic) {
  const std::string expected = "t=0 20\nt=30 20\nt=60 21\nt=90 21\nt=120 22\nas expected\n";
  for (int run = 0; run < 3; ++run) {
    auto r = run_process(bin_dir() + "/example-testing");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, expected) << "run " << run;
  }
}

}  // namespace

namespace {

TEST(Examples, CliScriptPrintsWhatTheCliGuideShows) {
  auto r = uvmas::test::run_process("PATH='" + uvmas::test::bin_dir() + "':\"$PATH\" sh '" UVMAS_SOURCE_DIR
                                    "/docs/examples/cli.sh'");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.rfind("7\n\"foobar\"\n42\n{\"a\": [1, 2.5, null]}\n3\n{\"__type__\": [0, \"sub\"]}\n", 0), 0u)
      << r.out;
  EXPECT_NE(r.out.find("ValueError: boom\nexit status 1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("TypeError: unsupported operand type(s) for +: 'int' and 'str'\nexit status 1\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("nobody.sock]: no such file or directory (ENOENT)\nexit status 2\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("exit status 2\n3\n\"[1, 2\"\nuvmas call: argument '[1, 2' looks like JSON but does not "
                       "parse"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("use --raw to send it as text\nexit status 64\n"
                       "uvmas call: no answer: timed out after 0.5 s\nexit status 2\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("service.sock opened\n7\nuvmas: debug: connection to "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"bye\"\n"), std::string::npos) << r.out;
}

}  // namespace

namespace {

TEST(Examples, CustomTypesTravelAndAForgottenRegistrationIsNamed) {
  auto r = uvmas::test::run_process(uvmas::test::bin_dir() + "/example-custom_types");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("mirrored: (2, 1)\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("log: undecodable frame: invalid JSON: __type__ typeid 1 is 'proxy' here, whose data is a "
                       "text, but got {'x': 1.0, 'y': 2.0}; this side registers 0 datetime, 1 proxy"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("call failed: connection to ('127.0.0.1', "), std::string::npos) << r.out;
}

}  // namespace

namespace {

TEST(Examples, CustomCodecCarriesTheCallsAndMetersThem) {
  auto r = uvmas::test::run_process(uvmas::test::bin_dir() + "/example-custom_codec");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "echo: metered\nbytes written = bytes read: true\nmetered: true\n");
}

}  // namespace

TEST(Examples, ObserveExampleCountsTheCallsTheSensorServed) {
  auto r = uvmas::test::run_process(uvmas::test::bin_dir() + "/example-observe");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out,
            "channel 0: 230 V\n"
            "channel 1: 231 V\n"
            "channel 2: ValueError\n"
            "served 3 results and 1 exception, 4 frames in, 1 connection open\n");
}
