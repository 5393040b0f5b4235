// docs/examples/mosaik_sim.cpp as a program (build/bin/example-mosaik_sim)
// under a scripted mosaik in its `cmd` start mode: init, create,
// setup_done, one step, get_data, stop, exit 0.

#include "fake_mosaik.hpp"
#include "support/raw_peer.hpp"
#include "support/test_support.hpp"

#include <uvmas/clocks/timeout.hpp>
#include <uvmas/clocks/wall_clock.hpp>
#include <uvmas/framework/child_process.hpp>
#include <uvmas/transports/connect.hpp>

#include <gtest/gtest.h>

#include <filesystem>

namespace {

using namespace uvmas;

/// One accepted stream, handed from the listener's callback to the test.
struct Accepted {
  StreamPtr stream;
};

Array args_of(Value a, Value b) {
  Array out;
  out.emplace_back(std::move(a));
  out.emplace_back(std::move(b));
  return out;
}

Task<int> drive_example(Loop* loop, WallClock* clock) {
  Accepted accepted;
  Accepted* slot = &accepted;
  auto listener = listen_stream(*loop, Address::parse("tcp://127.0.0.1:0"), [slot](StreamPtr s) {
    if (!slot->stream) slot->stream = std::move(s);
  });
  std::vector<std::string> argv{test::bin_dir() + "/example-mosaik_sim",
                                "127.0.0.1:" + std::to_string(listener->address().port)};
  auto child = ChildProcess::start(*loop, argv);
  for (int i = 0; i < 500 && !accepted.stream; ++i) co_await clock->sleep(0.01);
  listener->close();
  if (!accepted.stream) throw std::runtime_error("the example did not connect");
  test::FakeMosaik mosaik(std::make_unique<test::RawPeer>(std::move(accepted.stream)));

  Map init_kwargs;
  init_kwargs.emplace_back("time_resolution", 1.0);
  init_kwargs.emplace_back("check_every", 15);
  Array init_args;
  init_args.emplace_back("Thermo");
  Value meta = co_await mosaik.ok("init", std::move(init_args), std::move(init_kwargs));
  EXPECT_EQ(meta.at("type"), Value("hybrid"));
  Value created = co_await mosaik.ok("create", args_of(Value(1), Value("Thermostat")), Map{});
  EXPECT_EQ(created[0].at("eid"), Value("Thermostat_0"));
  (void)co_await mosaik.ok("setup_done", Array{}, Map{});

  Map sources;
  sources.emplace_back("Weather.W_0", 18.5);
  Map attrs;
  attrs.emplace_back("temp", Value(std::move(sources)));
  Map inputs;
  inputs.emplace_back("Thermostat_0", Value(std::move(attrs)));
  Array step_args;
  step_args.emplace_back(0);
  step_args.emplace_back(Value(std::move(inputs)));
  step_args.emplace_back(100);
  Value next = co_await mosaik.ok("step", std::move(step_args), Map{});
  EXPECT_EQ(next, Value(15));  // the thermostat agent's check timer

  Map wanted;
  Array names;
  names.emplace_back("setpoint");
  wanted.emplace_back("Thermostat_0", Value(std::move(names)));
  Array get_args;
  get_args.emplace_back(std::move(wanted));
  Value data = co_await mosaik.ok("get_data", std::move(get_args), Map{});
  EXPECT_EQ(data.at("Thermostat_0").at("setpoint"), Value(21.0));  // 18.5 °C is cold: the planner says 21

  co_await mosaik.stop();
  co_return co_await with_timeout(*clock, 10.0, child->wait());
}

TEST(MosaikExample, ThermostatExampleStepsUnderAScriptedMosaikAndExitsZero) {
  // Examples are optional (UVMAS_BUILD_EXAMPLES); without them there is nothing to run.
  if (!std::filesystem::exists(test::bin_dir() + "/example-mosaik_sim")) GTEST_SKIP() << "examples not built";
  Loop loop;
  WallClock clock(loop);
  int status = -1;
  try {
    status = loop.run(drive_example(&loop, &clock));
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  EXPECT_EQ(status, 0);
}

}  // namespace
