// Record and replay: a recorded `uvmas serve` session replays to the same
// frames byte for byte with every codec; a recording replayed into changed
// code names the first difference; the guide's GoogleTest (docs/observe.md).

#include "observe/temp_dir.hpp"
#include "support/callback_client.hpp"
#include "support/process.hpp"
#include "support/test_support.hpp"
#include "support/watchdog.hpp"

#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/clocks/wall_clock.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/core/task_group.hpp>
#include <uvmas/framework/child_process.hpp>
#include <uvmas/framework/observe.hpp>
#include <uvmas/framework/replay.hpp>
#include <uvmas/framework/rpc.hpp>

#include <gtest/gtest.h>

#include <fstream>

namespace {

using namespace uvmas;

// A session that uses every kind of call `uvmas serve` offers.
Task<int> session(Loop& loop, ChildProcess& child, Format codec) {
  std::string ready = co_await child.read_line();
  test::CallbackClient client;
  rpc::Connection con = co_await client.connect(loop, ready.substr(6), codec);
  rpc::Proxy remote = con.remote();
  EXPECT_EQ(co_await remote.call<int>("add", 1, 2), 3);
  EXPECT_EQ(co_await remote.call<std::string>("add", std::string("a"), std::string("b")), "ab");
  Value nested = Value::map({{"a", Value::array({1, 2.5, "x", nullptr})}});
  (void)co_await remote.call<Value>("echo", nested);
  EXPECT_THROW((void)co_await remote.call<Value>("raise_value_error", std::string("boom")), RemoteException);
  EXPECT_THROW((void)co_await remote.call<Value>("nope"), RemoteException);
  EXPECT_EQ(co_await remote.call<std::string>("sleep", 0.01, std::string("done")), "done");
  {
    TaskGroup group(loop);
    for (int i = 0; i < 20; ++i) {
      group.spawn([](rpc::Proxy p, int n) -> Task<> { EXPECT_EQ(co_await p.call<int>("add", n, n), 2 * n); }(remote, i));
    }
    co_await group.join();
  }
  rpc::Proxy sub = co_await remote.call<rpc::Proxy>("get_sub");
  EXPECT_EQ(co_await sub.call<int>("mul", 2, 3), 6);
  EXPECT_EQ(co_await remote.call<int>("call_back", client.router(), 4), 40);
  (void)co_await remote.call<std::string>("shutdown");
  co_return co_await child.wait();
}

class RecordReplay : public ::testing::TestWithParam<Format> {};

TEST_P(RecordReplay, ARecordedServeSessionReplaysToTheSameFramesByteForByte) {
  test::Watchdog watchdog;
  test::TempDir dir;
  const std::string file = dir / "serve.rec";
  const std::string codec(to_string(GetParam()));
  {
    Loop loop;
    auto child = ChildProcess::start(
        loop, {test::bin_dir() + "/uvmas", "serve", "tcp://127.0.0.1:0", "--codec", codec, "--record", file});
    ASSERT_EQ(loop.run(session(loop, *child, GetParam())), 0);
  }
  auto r = test::run_process(test::bin_dir() + "/uvmas replay " + file);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  // 30 requests and the reply to cb_mul came in; 30 replies and the cb_mul request went out.
  EXPECT_EQ(r.out, "replayed 31 frames, 31 replies identical\n");
}

INSTANTIATE_TEST_SUITE_P(Codecs, RecordReplay, ::testing::Values(Format::json, Format::msgpack, Format::msgpack_blosc),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(ReplayCommand, AChangedReplyIsNamedAsTheFirstDifferenceAndExitsOne) {
  test::Watchdog watchdog;
  test::TempDir dir;
  const std::string file = dir / "serve.rec";
  {
    Loop loop;
    auto child = ChildProcess::start(
        loop, {test::bin_dir() + "/uvmas", "serve", "tcp://127.0.0.1:0", "--record", file});
    ASSERT_EQ(loop.run(session(loop, *child, Format::json)), 0);
  }
  // The first reply recorded was [1, 0, 3]; pretend the server had said 4.
  std::ifstream in(file);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  const std::string three = "\"out\": \"WzEsIDAsIDNd\"";  // base64 of [1, 0, 3]
  const auto at = all.find(three);
  ASSERT_NE(at, std::string::npos) << all.substr(0, 400);
  all.replace(at, three.size(), "\"out\": \"WzEsIDAsIDRd\"");  // [1, 0, 4]
  std::ofstream(file) << all;
  auto r = test::run_process(test::bin_dir() + "/uvmas replay " + file);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("first difference: connection 1, frame 1 sent: expected [1, 0, 4] but got [1, 0, 3]\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("replayed 31 frames, 30 replies identical\n"), std::string::npos) << r.out;
}

TEST(ReplayCommand, AFileThatIsNoRecordingIsAClearError) {
  test::TempDir dir;
  std::ofstream(dir / "x.rec") << "hello\n";
  auto r = test::run_process(test::bin_dir() + "/uvmas replay " + (dir / "x.rec") + " 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("not a recording line"), std::string::npos) << r.out;
}

// The guide's service: a tariff that refuses negative energy.
class Tariff {
 public:
  explicit Tariff(double price) {
    router.expose("bill", [price](double kwh) -> double {
      if (kwh < 0) throw ValueError("negative energy: " + std::to_string(kwh));
      return kwh * price;
    }, {"kwh"});
  }
  rpc::Router router{"Tariff"};
};

Task<> customer(Loop& loop, std::string address) {
  rpc::Connection con = co_await rpc::open_connection(loop, address);
  (void)co_await con.remote().call<double>("bill", 10.0);
  try {
    (void)co_await con.remote().call<double>("bill", -1.0);
  } catch (const RemoteException&) {
  }
  co_await con.close();
}

// Records a session of the tariff service at `price` into `file`, as a program would with --record.
void record_session(const std::string& file, double price) {
  Loop loop;
  WallClock clock(loop);
  ObserveOptions o;
  o.record_file = file;
  o.program = "tariff";
  Observer observer(loop, clock, o);
  Tariff tariff(price);
  ChannelOptions options;
  options.observer = &observer;
  auto server = rpc::start_server(loop, "tcp://127.0.0.1:0", tariff.router, options);
  loop.run(customer(loop, server->address().url()));
  loop.run_until_idle();
}

ReplayReport replay_tariff(const std::string& file, double price) {
  // [snippet:replay]
  Loop loop;
  ExternalClock clock(loop);  // replay moves it to each recorded time
  Tariff tariff(price);       // the service as the recorded program served it
  auto server = rpc::start_server(loop, "local://tariff-replay", tariff.router);
  ReplayReport report = loop.run(replay(file, *server, clock));
  // [end:replay]
  return report;
}

TEST(Replay, ARecordedFailureReplaysInProcessAndAChangeShowsAsTheFirstDifference) {
  test::TempDir dir;
  const std::string file = dir / "tariff.rec";
  record_session(file, 0.25);
  EXPECT_EQ(recorded_program(file), "tariff");
  // [snippet:gtest]
  ReplayReport report = replay_tariff(file, 0.25);
  EXPECT_TRUE(report.ok()) << report.first_difference;
  EXPECT_EQ(report.summary(), "replayed 2 frames, 2 replies identical");
  // [end:gtest]
  ReplayReport changed = replay_tariff(file, 0.5);
  EXPECT_FALSE(changed.ok());
  EXPECT_EQ(changed.first_difference, "connection 1, frame 1 sent: expected [1, 0, 2.5] but got [1, 0, 5.0]");
}

}  // namespace
