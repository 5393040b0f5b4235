// The role program (build/bin/uvmas-mosaik-roles) against the recorded mosaik
// transcripts (tests/data/vectors/mosaik), in both of mosaik's start modes and
// with the entities in the program's process (--workers 0) or in two worker
// processes (--workers 2): this test plays mosaik by the README's replay rules
// and checks every frame the program sends, then its exit status.

#include "fake_mosaik.hpp"
#include "support/raw_peer.hpp"
#include "support/reserved_port.hpp"
#include "support/process.hpp"
#include "support/test_support.hpp"
#include "support/vectors.hpp"
#include "support/watchdog.hpp"

#include <uvmas/clocks/timeout.hpp>
#include <uvmas/clocks/wall_clock.hpp>
#include <uvmas/codecs/codec.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/framework/child_process.hpp>
#include <uvmas/transports/connect.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace {

using namespace uvmas;

struct Frame {
  std::int64_t seq = 0;
  bool from_master = false;
  std::string bytes;  // header + payload as recorded
  Value decoded;
};

std::vector<Frame> load_transcript(const std::string& scenario) {
  std::ifstream in(test::data_dir() + "/vectors/mosaik/" + scenario + ".jsonl");
  if (!in) throw std::runtime_error("cannot read transcript " + scenario);
  const Codec json(Format::json);
  std::vector<Frame> frames;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    Value rec = json.decode(line);
    frames.push_back({rec.at("seq").as_int(), rec.at("direction").as_string() == "master->sim",
                      test::from_hex(rec.at("frame_hex").as_string()), rec.at("decoded")});
  }
  return frames;
}

[[noreturn]] void mismatch(const Frame& f, const std::string& what, const Value& got) {
  throw std::runtime_error("seq " + std::to_string(f.seq) + ": " + what + "\n  recorded: " + to_repr(f.decoded) +
                           "\n  received: " + to_repr(got));
}

std::string major(const Value& v) {
  const std::string& s = v.as_string();
  return s.substr(0, s.find('.'));
}

/// The README's rule for the init reply: type, models, extra_methods, api_version's major.
bool same_meta(const Value& got, const Value& want) {
  if (!got.is_map() || !got.find("type") || !got.find("models") || !got.find("api_version")) return false;
  const Value* extra = got.find("extra_methods");
  const Value* want_extra = want.find("extra_methods");
  const Value none(Array{});
  return got.at("type") == want.at("type") && got.at("models") == want.at("models") &&
         (extra ? *extra : none) == (want_extra ? *want_extra : none) &&
         major(got.at("api_version")) == major(want.at("api_version"));
}

bool failure_shaped(const Value& content) {
  if (!content.is_array() || content.size() < 2) return false;
  for (const auto& e : content.as_array()) {
    if (!e.is_string()) return false;
  }
  return !content[0].as_string().empty();
}

/// Plays mosaik's side of `frames` on `peer`; throws at the first difference.
Task<> replay(Clock* clock, test::RawPeer* peer, const std::vector<Frame>* frames) {
  const Codec json(Format::json);
  std::map<std::int64_t, Value> sim_ids;  // recorded id of a simulator request → the id it really used
  for (const Frame& f : *frames) {
    const int type = static_cast<int>(f.decoded[0].as_int());
    if (f.from_master) {
      if (type == 0) {
        peer->write(f.bytes);
        continue;
      }
      auto id = sim_ids.find(f.decoded[1].as_int());
      if (id == sim_ids.end()) mismatch(f, "a reply to a request the simulator never sent", Value());
      Array triple;
      triple.emplace_back(type);
      triple.emplace_back(id->second);
      triple.emplace_back(f.decoded[2]);
      peer->write_frame(json.encode(Value(std::move(triple))));
      continue;
    }
    std::optional<std::string> payload = co_await with_timeout(*clock, 10.0, peer->read_frame());
    if (!payload) mismatch(f, "the simulator closed the connection instead", Value());
    Value got = json.decode(*payload);
    if (!got.is_array() || got.size() != 3 || got[0] != Value(type)) mismatch(f, "wrong message type", got);
    if (type == 0) {
      if (got[2] != f.decoded[2]) mismatch(f, "different request to mosaik", got);
      sim_ids[f.decoded[1].as_int()] = got[1];
      continue;
    }
    if (got[1] != f.decoded[1]) mismatch(f, "reply with the wrong id", got);
    if (type == 2) {
      if (!failure_shaped(got[2])) mismatch(f, "failure content is not [type, message, ...] strings", got);
    } else if (f.seq == 1) {
      if (!same_meta(got[2], f.decoded[2])) mismatch(f, "different meta", got);
    } else if (got[2] != f.decoded[2]) {
      mismatch(f, "different reply", got);
    }
  }
  // After stop: nothing more, then the connection closes.
  std::optional<std::string> extra = co_await with_timeout(*clock, 10.0, peer->read_frame());
  if (extra) throw std::runtime_error("the simulator sent a frame after stop: " + *extra);
}

struct Scenario {
  const char* name;
  const char* role;
};

constexpr Scenario scenarios[] = {
    {"time_based", "counter"},   {"failure", "counter"},        {"event_selfstep", "relay"},
    {"event_outtime", "relay"},  {"async_requests", "agent"},   {"hybrid", "mailbox"},
};

enum class Mode { cmd, connect };

std::string roles_binary() { return test::bin_dir() + "/uvmas-mosaik-roles"; }

/// The role program's command line up to the address.
std::vector<std::string> role_command(const std::string& role, int workers) {
  return {roles_binary(), "--role", role, "--workers", std::to_string(workers)};
}

/// "_workers0", the test-name suffix of a worker count.
std::string workers_suffix(int workers) { return "_workers" + std::to_string(workers); }

/// One accepted stream, handed from the listener's callback to the test.
struct Accepted {
  StreamPtr stream;
};

/// Starts the role program in mosaik's `cmd` mode against a listener of
/// this test, lets `talk` play mosaik on the accepted stream (it also gets
/// the program's process), then returns the program's exit status.
template <class Talk>
Task<int> with_role_connected(Loop* loop, WallClock* clock, std::string role, int workers, Talk talk) {
  Accepted accepted;
  Accepted* slot = &accepted;
  auto listener = listen_stream(*loop, Address::parse("tcp://127.0.0.1:0"), [slot](StreamPtr s) {
    if (!slot->stream) slot->stream = std::move(s);
  });
  const std::string address = "127.0.0.1:" + std::to_string(listener->address().port);
  std::vector<std::string> argv = role_command(role, workers);
  argv.push_back(address);
  auto child = ChildProcess::start(*loop, argv);
  for (int i = 0; i < 500 && !accepted.stream; ++i) co_await clock->sleep(0.01);
  listener->close();
  if (!accepted.stream) throw std::runtime_error("the role program did not connect");
  co_await talk(std::move(accepted.stream), child.get());
  co_return co_await with_timeout(*clock, 10.0, child->wait());
}

Task<int> run_cmd_mode(Loop* loop, WallClock* clock, Scenario scenario, int workers,
                       const std::vector<Frame>* frames) {
  auto talk = [clock, frames](StreamPtr stream, ChildProcess*) -> Task<> {
    test::RawPeer peer(std::move(stream));
    co_await replay(clock, &peer, frames);
  };
  return with_role_connected(loop, clock, scenario.role, workers, talk);
}

Task<int> run_connect_mode(Loop* loop, WallClock* clock, Scenario scenario, int workers,
                           const std::vector<Frame>* frames) {
  const test::ReservedPort reserved;  // the program listens here
  const std::uint16_t port = reserved.port();
  std::vector<std::string> argv = role_command(scenario.role, workers);
  argv.push_back("--listen");
  argv.push_back("127.0.0.1:" + std::to_string(port));
  auto child = ChildProcess::start(*loop, argv);
  // A refused connect costs nothing: the program takes the first connection that succeeds.
  std::unique_ptr<test::RawPeer> peer;
  for (int i = 0; i < 200 && !peer; ++i) {
    bool refused = false;
    try {
      peer = co_await test::RawPeer::connect(*loop, Address::tcp("127.0.0.1", port));
    } catch (const ConnectionError&) {
      refused = true;
    }
    if (refused) co_await clock->sleep(0.02);
  }
  if (!peer) throw std::runtime_error("the role program did not listen");
  co_await replay(clock, peer.get(), frames);
  co_return co_await with_timeout(*clock, 10.0, child->wait());
}

constexpr int worker_counts[] = {0, 2};

class MosaikReplay : public ::testing::TestWithParam<std::tuple<Scenario, Mode, int>> {};

TEST_P(MosaikReplay, RoleProgramAnswersLikeTheRecordingAndExitsZero) {
  const auto [scenario, mode, workers] = GetParam();
  const std::vector<Frame> frames = load_transcript(scenario.name);
  ASSERT_FALSE(frames.empty());
  Loop loop;
  WallClock clock(loop);
  int status = -1;
  try {
    status = loop.run(mode == Mode::cmd ? run_cmd_mode(&loop, &clock, scenario, workers, &frames)
                                        : run_connect_mode(&loop, &clock, scenario, workers, &frames));
  } catch (const std::exception& e) {
    FAIL() << scenario.name << ": " << e.what();
  }
  EXPECT_EQ(status, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Transcripts, MosaikReplay,
    ::testing::Combine(::testing::ValuesIn(scenarios), ::testing::Values(Mode::cmd, Mode::connect),
                       ::testing::ValuesIn(worker_counts)),
    [](const ::testing::TestParamInfo<MosaikReplay::ParamType>& info) {
      return std::string(std::get<0>(info.param).name) + (std::get<1>(info.param) == Mode::cmd ? "_cmd" : "_connect") +
             workers_suffix(std::get<2>(info.param));
    });

// Positional arguments (a function, not a braced list: GCC 12 rejects those inside co_await).
template <class... V>
Array list(const V&... v) {
  Array a;
  (a.emplace_back(Value(v)), ...);
  return a;
}

// Before a successful init nothing but init and stop is served: every other
// call gets a failure reply and the program stays up (a create used to
// crash the roles, whose entities are set up by init).
class MosaikBeforeInit : public ::testing::TestWithParam<std::tuple<const char*, int>> {};

TEST_P(MosaikBeforeInit, EveryCallGetsAFailureReplyAndTheProgramStaysUp) {
  const auto [role, workers] = GetParam();
  Loop loop;
  WallClock clock(loop);
  auto talk = [](StreamPtr stream, ChildProcess*) -> Task<> {
    test::FakeMosaik master(std::make_unique<test::RawPeer>(std::move(stream)));
    auto expect_refused = [&master](std::string function, Array args, Map kwargs) -> Task<> {
      test::MosaikReply r = co_await master.call(function, std::move(args), std::move(kwargs));
      EXPECT_EQ(r.type, 2) << function << " was not refused: " << to_repr(r.content);
    };
    auto refuse_all = [&expect_refused]() -> Task<> {
      co_await expect_refused("create", list(1, "Counter"), Map());
      co_await expect_refused("setup_done", Array(), Map());
      Map inputs;
      co_await expect_refused("step", list(0, Value(std::move(inputs)), 10), Map());
      co_await expect_refused("get_data", list(Value(Map())), Map());
      co_await expect_refused("no_such_method", Array(), Map());
    };
    co_await refuse_all();
    Map zero;
    zero.emplace_back("time_resolution", 0);
    co_await expect_refused("init", list("S0"), std::move(zero));
    co_await refuse_all();
    co_await expect_refused("init", list(42), Map());     // the sid is not a string
    co_await expect_refused("init", Array(), Map());              // no sid
    (void)co_await master.ok("init", list("S0"), Map());  // still alive, and init works
    co_await expect_refused("init", list("S0"), Map());   // but only once
    co_await expect_refused("create", list("1", "Counter"), Map());
    co_await expect_refused("create", list(-1, "Counter"), Map());
    co_await expect_refused("step", list("0", Value(Map()), 10), Map());
    co_await expect_refused("step", list(0, Value(Array()), 10), Map());
    co_await expect_refused("get_data", list(Value(Array())), Map());
    co_await master.stop();
  };
  int status = -1;
  try {
    status = loop.run(with_role_connected(&loop, &clock, role, workers, talk));
  } catch (const std::exception& e) {
    FAIL() << role << ": " << e.what();
  }
  EXPECT_EQ(status, 0);
}

INSTANTIATE_TEST_SUITE_P(Roles, MosaikBeforeInit,
                         ::testing::Combine(::testing::Values("counter", "relay", "agent", "mailbox"),
                                            ::testing::ValuesIn(worker_counts)),
                         [](const ::testing::TestParamInfo<MosaikBeforeInit::ParamType>& info) {
                           return std::string(std::get<0>(info.param)) + workers_suffix(std::get<1>(info.param));
                         });

/// The processes whose parent is `pid` (from /proc).
std::vector<int> children_of(int pid) {
  std::vector<int> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;  // gone meanwhile
    // pid (comm) state ppid ...: comm may hold spaces, so read after its ')'.
    std::istringstream fields(line.substr(line.rfind(')') + 1));
    char state = 0;
    int ppid = 0;
    fields >> state >> ppid;
    if (ppid == pid) out.push_back(std::stoi(name));
  }
  return out;
}

/// True while process `pid` exists and is not a zombie.
bool running(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  std::istringstream fields(line.substr(line.rfind(')') + 1));
  char state = 0;
  fields >> state;
  return state != 'Z';
}

/// init, two Counters, setup_done and the first step: the workers then run.
Task<> start_two_counters(test::FakeMosaik* master) {
  Map resolution;
  resolution.emplace_back("time_resolution", 1.0);
  (void)co_await master->ok("init", list("S0"), std::move(resolution));
  (void)co_await master->ok("create", list(2, "Counter"), Map());
  (void)co_await master->ok("setup_done", Array(), Map());
  Value next = co_await master->ok("step", list(0, Value(Map()), 10), Map());
  EXPECT_EQ(next, Value(1));
}

// A worker that dies fails the step that needs it, as a failure reply; the
// program still ends cleanly on stop (exit 0) and reaps the other worker.
TEST(MosaikRolesWorkers, ALostWorkerFailsTheStepAndStopStillEndsEverything) {
  test::Watchdog watchdog;
  Loop loop;
  WallClock clock(loop);
  std::vector<int> workers;
  auto talk = [&workers](StreamPtr stream, ChildProcess* program) -> Task<> {
    test::FakeMosaik master(std::make_unique<test::RawPeer>(std::move(stream)));
    co_await start_two_counters(&master);
    workers = children_of(program->pid());
    if (workers.size() != 2) throw std::runtime_error("expected two workers, found " + std::to_string(workers.size()));
    ::kill(workers[0], SIGKILL);
    test::MosaikReply r = co_await master.call("step", list(1, Value(Map()), 10), Map());
    EXPECT_EQ(r.type, 2) << "the step succeeded without its worker: " << to_repr(r.content);
    co_await master.stop();
  };
  int status = -1;
  try {
    status = loop.run(with_role_connected(&loop, &clock, "counter", 2, talk));
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  EXPECT_EQ(status, 0);
  ASSERT_EQ(workers.size(), 2u);
  EXPECT_FALSE(running(workers[1])) << "the surviving worker outlived the program";
}

// Killed outright, the program cannot stop its workers: they end by themselves.
TEST(MosaikRolesWorkers, WorkersEndWhenTheProgramIsKilled) {
  test::Watchdog watchdog;
  Loop loop;
  WallClock clock(loop);
  std::vector<int> workers;
  auto talk = [&workers, &clock](StreamPtr stream, ChildProcess* program) -> Task<> {
    test::FakeMosaik master(std::make_unique<test::RawPeer>(std::move(stream)));
    co_await start_two_counters(&master);
    workers = children_of(program->pid());
    program->kill(SIGKILL);
    (void)co_await program->wait();
    for (int i = 0; i < 1000 && (running(workers.at(0)) || running(workers.at(1))); ++i) co_await clock.sleep(0.01);
  };
  int status = -1;
  try {
    status = loop.run(with_role_connected(&loop, &clock, "counter", 2, talk));
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  EXPECT_EQ(status, 128 + SIGKILL);
  ASSERT_EQ(workers.size(), 2u);
  EXPECT_FALSE(running(workers[0]));
  EXPECT_FALSE(running(workers[1]));
}

TEST(MosaikRolesProgram, UnreachableMosaikIsAClearErrorAndNonZeroExit) {
  const test::ReservedPort reserved;  // bound, never listening: connecting is refused
  const std::uint16_t port = reserved.port();
  auto r = test::run_process(roles_binary() + " --role counter 127.0.0.1:" + std::to_string(port) + " 2>&1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("cannot connect to mosaik at 127.0.0.1:"), std::string::npos) << r.out;
}

TEST(MosaikRolesProgram, BadCommandLinesGetUsageAndExitTwo) {
  auto r = test::run_process(roles_binary() + " --role nobody 127.0.0.1:1 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("usage"), std::string::npos) << r.out;
  r = test::run_process(roles_binary() + " --role relay 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  r = test::run_process(roles_binary() + " --role relay not-an-address 2>&1");
  EXPECT_EQ(r.exit_code, 2);
}

TEST(MosaikRolesProgram, ABadWorkerCountGetsUsageAndExitTwo) {
  for (const char* bad : {"-1", "two", "2x", "", "65", "99999999999"}) {
    auto r = test::run_process(roles_binary() + " --role counter --workers '" + bad + "' 127.0.0.1:1 2>&1");
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.out.find("usage"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--workers needs a whole number from 0 to 64, got \"" + std::string(bad) + "\""),
              std::string::npos)
        << r.out;
  }
  auto r = test::run_process(roles_binary() + " --role counter 127.0.0.1:1 --workers 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--workers needs a whole number"), std::string::npos) << r.out;
  r = test::run_process(roles_binary() + " --worker-of nobody tcp://127.0.0.1:0 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("no worker for role \"nobody\""), std::string::npos) << r.out;
}

TEST(MosaikRolesProgram, ListeningWithoutMosaikGivesUpAfterTheTimeoutWithExitOne) {
  const test::ReservedPort reserved;  // the program listens here
  const std::uint16_t port = reserved.port();
  auto r = test::run_process(roles_binary() + " --role counter --listen 127.0.0.1:" + std::to_string(port) +
                             " --timeout 0.3 2>&1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("no connection from mosaik on 127.0.0.1:"), std::string::npos) << r.out;
  r = test::run_process(roles_binary() + " --role counter --listen 127.0.0.1:1 --timeout 0 2>&1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--timeout needs a positive number of seconds"), std::string::npos) << r.out;
}

}  // namespace
