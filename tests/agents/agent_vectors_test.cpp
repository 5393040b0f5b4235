// Replays the agent_* cases of tests/data/vectors/aiomas with each codec (all but
// agent_subproc_manager): a uvmas container answers the recorded requests
// with the recorded replies, and uvmas agents calling a recorded container
// produce the recorded requests (json/msgpack byte for byte, blosc by its
// msgpack content).

#include "support/replay.hpp"
#include "support/vectors.hpp"

#include <uvmas/codecs/datetime.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/framework/container.hpp>

#include <gtest/gtest.h>

namespace {

using namespace uvmas;

/// The agent class the vectors were recorded with.
class TestAgent : public Agent {
 public:
  explicit TestAgent(Container& c) : Agent(c) {
    expose("service", &TestAgent::echo);
    expose("echo", &TestAgent::echo);
    expose("double", &TestAgent::twice);
    expose("call_me_back", &TestAgent::call_me_back);
    expose("get_peer", &TestAgent::get_peer);
  }
  Value echo(Value v) { return v; }
  std::int64_t twice(std::int64_t x) { return 2 * x; }
  Task<Value> call_me_back(rpc::Proxy peer, Value v) { co_return co_await peer.call("double", v); }
  Value get_peer() { return container().agent("1")->ref(); }
};

bool replayed_case(const std::string& name) {
  return name.rfind("agent_", 0) == 0 && name != "agent_subproc_manager";
}

ContainerOptions options_for(const std::string& codec, const std::string& name) {
  ContainerOptions o;
  o.codec = format_from_string(codec);
  if (name == "agent_custom_serializer") o.extra_serializers.push_back("point");
  return o;
}

/// Our payload compared with the recorded one (blosc: the msgpack inside).
void expect_same(Format format, const std::string& mine, const test::VectorFrame& f) {
  if (format == Format::msgpack_blosc) {
    Value v = Codec(Format::msgpack_blosc).decode(mine);
    EXPECT_EQ(test::to_hex(Codec(Format::msgpack).encode(v)), test::to_hex(f.inner)) << f.case_name;
  } else {
    EXPECT_EQ(test::to_hex(mine), test::to_hex(f.frame.substr(4))) << f.case_name << ": " << Codec(format).decode(mine);
  }
}

class AgentVectors : public ::testing::TestWithParam<std::string> {};

Task<> play_client(Loop& loop, Address address, std::vector<test::VectorFrame> frames, Format format, int* checked) {
  auto peer = co_await test::RawPeer::connect(loop, address);
  *checked += co_await test::play_recorded(peer.get(), std::move(frames), true,
                                           [format](const std::string& got, const test::VectorFrame& f) {
                                             expect_same(format, got, f);
                                           });
}

TEST_P(AgentVectors, AContainerAnswersTheRecordedRequestsWithTheRecordedReplies) {
  int replayed = 0;
  for (auto& [name, frames] : test::load_vectors(GetParam())) {
    if (!replayed_case(name)) continue;
    Loop loop;
    auto c = Container::create(loop, "tcp://127.0.0.1:0", options_for(GetParam(), name));
    c->spawn<TestAgent>();
    c->spawn<TestAgent>();
    int checked = 0;
    loop.run(play_client(loop, Address::parse(c->base_url().substr(0, c->base_url().size() - 1)), frames,
                         format_from_string(GetParam()), &checked));
    EXPECT_GT(checked, 0) << name;
    loop.run(c->shutdown());
    ++replayed;
  }
  EXPECT_EQ(replayed, 7);
}

/// The calls the recorded connecting container made for `name`.
Task<> agent_calls(Container* c, TestAgent* me, std::string base, std::string name) {
  if (name == "agent_connect_missing") {
    bool missing = false;
    try {
      (void)co_await c->connect(base + "7");
    } catch (const ConnectionError&) {
      missing = true;
    }
    EXPECT_TRUE(missing);
    co_return;
  }
  AgentProxy remote = co_await c->connect(base + (name == "agent_same_container" ? "1" : "0"));
  if (name == "agent_connect_call") {
    co_await remote.call("service", 42);
  } else if (name == "agent_same_container") {
    co_await remote.call("service", 7);
  } else if (name == "agent_pass_self_callback") {
    EXPECT_EQ(co_await remote.call<int>("call_me_back", *me, 5), 10);
  } else if (name == "agent_arrow_date") {
    DateTime date = parse_iso("2016-01-01T12:30:00.250000+00:00");
    co_await remote.call("echo", date);
  } else if (name == "agent_custom_serializer") {
    Map point;
    point.emplace_back("x", 3);
    point.emplace_back("y", 4);
    Array both;
    both.push_back(Value::extension("point", Value(std::move(point))));
    both.push_back(Value::from(parse_iso("2020-02-29T00:00:00+00:00")));
    Value arg(std::move(both));
    co_await remote.call("echo", arg);
    EXPECT_EQ(co_await remote.call<int>("call_me_back", *me, 1), 2);
  } else if (name == "agent_return_agent") {
    rpc::Proxy peer = co_await remote.call<rpc::Proxy>("get_peer");
    co_await peer.call("service", "x");
  } else {
    ADD_FAILURE() << "no calls for " << name;
  }
}

Task<> play_server(test::RawPeer* peer, std::vector<test::VectorFrame> frames, Format format, int* checked) {
  *checked += co_await test::play_recorded(peer, std::move(frames), false,
                                           [format](const std::string& got, const test::VectorFrame& f) {
                                             expect_same(format, got, f);
                                           });
}

Task<> client_replay(Loop& loop, Container* c, TestAgent* me, std::string base, test::RawServer* server,
                     std::vector<test::VectorFrame> frames, Format format, std::string name, int* checked) {
  TaskGroup group(loop);
  group.spawn(agent_calls(c, me, base, name));
  test::RawPeer* peer = co_await server->peer();
  group.spawn(play_server(peer, std::move(frames), format, checked));
  co_await group.join();
}

TEST_P(AgentVectors, AgentCallsProduceTheRecordedRequests) {
  int replayed = 0;
  for (auto& [name, frames] : test::load_vectors(GetParam())) {
    if (!replayed_case(name)) continue;
    Loop loop;
    auto server = std::make_unique<test::RawServer>(loop, Address::parse("tcp://127.0.0.1:0"));
    auto c = Container::create(loop, "tcp://127.0.0.1:0", options_for(GetParam(), name));
    auto& me = c->spawn<TestAgent>();
    int checked = 0;
    loop.run(client_replay(loop, c.get(), &me, server->address().url() + "/", server.get(), frames,
                           format_from_string(GetParam()), name, &checked));
    EXPECT_GT(checked, 0) << name;
    loop.run(c->shutdown());
    server.reset();
    ++replayed;
  }
  EXPECT_EQ(replayed, 7);
}

INSTANTIATE_TEST_SUITE_P(Codecs, AgentVectors, ::testing::Values("json", "msgpack", "msgpack_blosc"));

}  // namespace
