// Agent references as aiomas users meet them: a reference received over a
// connection is an AgentProxy bound to that connection that prints as
// `ClassNameProxy('<url>')`, and passing a proxy on sends the agent's
// address, which an AgentProxy parameter on the receiving side connects to.
// The recorded aiomas conversations replay unchanged with AgentProxy
// parameters and results.

#include "support/replay.hpp"
#include "support/test_support.hpp"
#include "support/vectors.hpp"
#include "support/watchdog.hpp"

#include <uvmas/codecs/error.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/framework/container.hpp>

#include <gtest/gtest.h>

#include <sstream>

namespace {

using namespace uvmas;

std::string print(const auto& x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

class TestAgent : public Agent {
 public:
  static void expose_methods(rpc::Methods<TestAgent>& m) {
    m.expose("service", &TestAgent::service);
    m.expose("double", &TestAgent::twice);
    m.expose("get_peer", &TestAgent::get_peer);
    m.expose("get_self", &TestAgent::get_self);
    m.expose("call_me_back", &TestAgent::call_me_back);
    m.expose("describe", &TestAgent::describe);
    m.expose("echo", &TestAgent::echo);
    m.expose("forward", &TestAgent::forward);
  }
  explicit TestAgent(Container& c) : Agent(c) {}
  Value service(Value v) { return v; }
  std::int64_t twice(std::int64_t x) { return 2 * x; }
  Value get_peer() { return container().agent("1")->ref(); }
  TestAgent& get_self() { return *this; }
  Task<Value> call_me_back(AgentProxy peer, Value v) {
    printed.push_back(print(peer));
    co_return co_await peer.call("double", v);
  }
  // How a received reference prints before and after asking for its class.
  Task<Array> describe(AgentProxy peer) {
    Array out;
    out.emplace_back(print(peer));
    co_await peer.validate();
    out.emplace_back(print(peer));
    out.emplace_back(peer.url());
    co_return out;
  }
  Value echo(Value v) { return v; }
  // Passes `peer` on to `next`, which calls it.
  Task<Value> forward(AgentProxy next, AgentProxy peer, Value v) { co_return co_await next.call("call_me_back", peer, v); }

  std::vector<std::string> printed;
};

// Two containers on TCP loopback, shut down after each test.
class AgentRefsTcp : public ::testing::Test {
 protected:
  void TearDown() override {
    loop.run(a->shutdown());
    loop.run(b->shutdown());
  }
  test::Watchdog watchdog;
  Loop loop;
  std::unique_ptr<Container> a = Container::create(loop, "tcp://127.0.0.1:0");
  std::unique_ptr<Container> b = Container::create(loop, "tcp://127.0.0.1:0");
};

// -- received over a connection this side opened ------------------------------------

Task<> returned_references(Container* a, std::string base) {
  AgentProxy remote = co_await a->connect(base + "0");
  // Agent 1 was never validated on this connection: its class name is one round trip away.
  AgentProxy peer = co_await remote.call<AgentProxy>("get_peer");
  EXPECT_EQ(print(peer), "AgentProxy('" + base + "1')");
  EXPECT_EQ(peer.url(), base + "1");
  EXPECT_EQ(co_await peer.call<std::string>("service", "x"), "x");
  co_await peer.validate();
  EXPECT_EQ(print(peer), "TestAgentProxy('" + base + "1')");
  // What validate() learnt serves later references to the same agent.
  EXPECT_EQ(print(co_await remote.call<AgentProxy>("get_peer")), "TestAgentProxy('" + base + "1')");
  // Agent 0 was validated by connect(): known at once.
  AgentProxy self = co_await remote.call<AgentProxy>("get_self");
  EXPECT_EQ(print(self), "TestAgentProxy('" + base + "0')");
  EXPECT_EQ(co_await self.call<int>("double", 4), 8);
}

TEST_F(AgentRefsTcp, AReturnedReferenceIsAnAgentProxyWithTheAgentsUrl) {
  b->spawn<TestAgent>();
  b->spawn<TestAgent>();
  loop.run(returned_references(a.get(), b->base_url()));
  EXPECT_EQ(a->outgoing_connections(), 1u);  // every call went over the one connection
  EXPECT_EQ(b->outgoing_connections(), 0u);
}

// -- received over a connection the peer opened -----------------------------------------

Task<> references_as_arguments(Container* a, TestAgent* me, std::string url) {
  AgentProxy remote = co_await a->connect(url);
  Array seen = co_await remote.call<Array>("describe", *me);
  EXPECT_EQ(seen.size(), 3u);
  if (seen.size() != 3) co_return;
  // The peer's listening address is not on the wire: the proxy shows its path.
  EXPECT_EQ(seen[0].as_string(), "AgentProxy('agents/0')");
  EXPECT_EQ(seen[1].as_string(), "TestAgentProxy('agents/0')");
  EXPECT_EQ(seen[2].as_string(), "");
  EXPECT_EQ(co_await remote.call<int>("call_me_back", *me, 21), 42);
}

TEST_F(AgentRefsTcp, AReferenceArgumentCallsBackOverItsConnectionAndPrintsItsPath) {
  auto& me = a->spawn<TestAgent>();
  auto& there = b->spawn<TestAgent>();
  loop.run(references_as_arguments(a.get(), &me, there.addr()));
  EXPECT_EQ(b->outgoing_connections(), 0u);  // validate_aid and the call back used a's connection
  ASSERT_EQ(there.printed.size(), 1u);
  EXPECT_EQ(there.printed[0], "AgentProxy('agents/0')");
}

// -- passing a proxy on ----------------------------------------------------------------------

Task<> pass_on(Container* a, std::string to_b, std::string to_c) {
  AgentProxy b0 = co_await a->connect(to_b);
  AgentProxy c0 = co_await a->connect(to_c);
  // On the wire a proxy is its address: a plain string any aiomas peer can connect() to.
  EXPECT_EQ(co_await c0.call<std::string>("echo", b0), to_b);
  // c's agent gets an AgentProxy from that address and calls b's agent through its own connection.
  EXPECT_EQ(co_await c0.call<int>("call_me_back", b0, 5), 10);
  // And passes it on again, from inside an exposed method.
  EXPECT_EQ(co_await c0.call<int>("forward", c0, b0, 6), 12);
}

TEST(AgentRefs, AProxyPassedOnTravelsAsItsAddressAndTheReceiverConnects) {
  test::Watchdog watchdog;
  Loop loop;
  auto a = Container::create(loop, "tcp://127.0.0.1:0");
  auto b = Container::create(loop, "tcp://127.0.0.1:0");
  auto c = Container::create(loop, "tcp://127.0.0.1:0");
  auto& b0 = b->spawn<TestAgent>();
  auto& c0 = c->spawn<TestAgent>();
  loop.run(pass_on(a.get(), b0.addr(), c0.addr()));
  EXPECT_EQ(c->outgoing_connections(), 1u);  // c connected to b itself
  ASSERT_EQ(c0.printed.size(), 2u);
  // The receiver connected on first use: it prints what connect() knows.
  EXPECT_EQ(c0.printed[0], "AgentProxy('" + b0.addr() + "')");
  EXPECT_EQ(c0.printed[1], "TestAgentProxy('" + b0.addr() + "')");  // validated on c's connection by then
  for (auto* x : {a.get(), b.get(), c.get()}) loop.run(x->shutdown());
}

// How `call` failed on the remote side: "Type: message" ("no error" if it did not).
Task<std::string> remote_failure(Task<Value> call) {
  try {
    (void)co_await std::move(call);
  } catch (const RemoteException& e) {
    co_return e.remote_type() + ": " + e.remote_message();
  }
  co_return "no error";
}

Task<std::string> pass_on_unknown(Container* a, TestAgent* me, std::string url) {
  AgentProxy remote = co_await a->connect(url);
  co_return co_await remote_failure(remote.call("forward", remote, *me, 1));
}

TEST_F(AgentRefsTcp, AProxyWhoseAddressIsUnknownCannotBePassedOn) {
  auto& me = a->spawn<TestAgent>();
  auto& there = b->spawn<TestAgent>();
  // b's agent got `me` as a reference over a connection a opened: b cannot
  // know a's address, so it cannot send it on (aiomas: proxies cannot be forwarded).
  EXPECT_EQ(loop.run(pass_on_unknown(a.get(), &me, there.addr())),
            "aiomas.exceptions.SerializationError: cannot pass on AgentProxy('agents/0'): its address is unknown "
            "(it came over a connection its peer opened); send the agent's address instead");
}

Task<std::string> bad_argument(Container* a, std::string url, Value arg) {
  AgentProxy remote = co_await a->connect(url);
  co_return co_await remote_failure(remote.call("call_me_back", arg, 1));
}

TEST_F(AgentRefsTcp, AnAgentProxyParameterRefusesWhatIsNoAgent) {
  auto& there = b->spawn<TestAgent>();
  EXPECT_EQ(loop.run(bad_argument(a.get(), there.addr(), Value(7))),
            "TypeError: TestAgent.call_me_back() argument 1: expected an agent reference or an agent address, got "
            "a value that is neither (int)");
  EXPECT_EQ(loop.run(bad_argument(a.get(), there.addr(), Value("tcp://nowhere"))),
            "TypeError: TestAgent.call_me_back() argument 1: expected an agent reference or an agent address, got "
            "'tcp://nowhere'");
}

// -- in one container ----------------------------------------------------------------------------

Task<> local_references(Container* c, TestAgent* me, std::string url) {
  AgentProxy other = co_await c->connect(url);
  AgentProxy self = co_await other.call<AgentProxy>("get_peer");  // agent 1 of the same container
  EXPECT_EQ(print(self), "TestAgentProxy('" + c->base_url() + "1')");
  EXPECT_EQ(co_await self.call<int>("double", 2), 4);
  Array seen = co_await other.call<Array>("describe", *me);
  EXPECT_EQ(seen[0].as_string(), "TestAgentProxy('" + me->addr() + "')");
  AgentProxy direct = c->proxy_for(me->addr());
  EXPECT_EQ(print(direct), "TestAgentProxy('" + me->addr() + "')");
  EXPECT_EQ(co_await direct.call<int>("double", 3), 6);
}

TEST(AgentRefs, ReferencesInOneContainerKnowTheirClassAndAddressAtOnce) {
  test::Watchdog watchdog;
  Loop loop;
  auto c = Container::create(loop, "local://refs");
  auto& me = c->spawn<TestAgent>();
  auto& other = c->spawn<TestAgent>();
  loop.run(local_references(c.get(), &me, other.addr()));
  EXPECT_EQ(c->outgoing_connections(), 0u);
  loop.run(c->shutdown());
}

// -- the recorded aiomas conversations ------------------------------------------------------------

/// The recorded conversation `name` for `codec`.
std::vector<test::VectorFrame> recorded(const std::string& codec, const std::string& name) {
  auto all = test::load_vectors(codec);
  auto it = all.find(name);
  EXPECT_NE(it, all.end()) << name;
  return it == all.end() ? std::vector<test::VectorFrame>{} : it->second;
}

void expect_same(Format format, const std::string& mine, const test::VectorFrame& f) {
  if (format == Format::msgpack_blosc) {
    Value v = Codec(Format::msgpack_blosc).decode(mine);
    EXPECT_EQ(test::to_hex(Codec(Format::msgpack).encode(v)), test::to_hex(f.inner)) << f.case_name;
  } else {
    EXPECT_EQ(test::to_hex(mine), test::to_hex(f.frame.substr(4))) << f.case_name;
  }
}

class RecordedRefs : public ::testing::TestWithParam<std::string> {};

Task<> get_peer_as_agent_proxy(Container* c, std::string base, std::string* printed) {
  AgentProxy remote = co_await c->connect(base + "0");
  AgentProxy peer = co_await remote.call<AgentProxy>("get_peer");
  *printed = print(peer);
  co_await peer.call("service", "x");
}

Task<> play_server(test::RawServer* server, std::vector<test::VectorFrame> frames, Format format, int* checked) {
  test::RawPeer* peer = co_await server->peer();
  *checked += co_await test::play_recorded(peer, std::move(frames), false,
                                           [format](const std::string& got, const test::VectorFrame& f) {
                                             expect_same(format, got, f);
                                           });
}

Task<> both(Loop& loop, Task<> one, Task<> two) {
  TaskGroup group(loop);
  group.spawn(std::move(one));
  group.spawn(std::move(two));
  co_await group.join();
}

// aiomas's agent_return_agent, with the result taken as an AgentProxy: the
// same frames (no validate_aid is sent for it), and the proxy names the
// recorded container's address.
TEST_P(RecordedRefs, AReturnedReferenceReplaysAsAnAgentProxy) {
  test::Watchdog watchdog;
  Loop loop;
  test::RawServer server(loop, Address::parse("tcp://127.0.0.1:0"));
  ContainerOptions o;
  o.codec = format_from_string(GetParam());
  auto c = Container::create(loop, "tcp://127.0.0.1:0", o);
  std::string base = server.address().url() + "/";
  std::string printed;
  int checked = 0;
  loop.run(both(loop, get_peer_as_agent_proxy(c.get(), base, &printed),
                play_server(&server, recorded(GetParam(), "agent_return_agent"), format_from_string(GetParam()), &checked)));
  EXPECT_EQ(checked, 3);
  EXPECT_EQ(printed, "AgentProxy('" + base + "1')");
  loop.run(c->shutdown());
}

Task<> play_client(Loop& loop, Address address, std::vector<test::VectorFrame> frames, Format format, int* checked) {
  auto peer = co_await test::RawPeer::connect(loop, address);
  *checked += co_await test::play_recorded(peer.get(), std::move(frames), true,
                                           [format](const std::string& got, const test::VectorFrame& f) {
                                             expect_same(format, got, f);
                                           });
}

// aiomas's agent_pass_self_callback answered by an agent whose parameter is
// an AgentProxy: it calls `double` back with the recorded request.
TEST_P(RecordedRefs, AReferenceArgumentReplaysAsAnAgentProxy) {
  test::Watchdog watchdog;
  Loop loop;
  ContainerOptions o;
  o.codec = format_from_string(GetParam());
  auto c = Container::create(loop, "tcp://127.0.0.1:0", o);
  auto& agent = c->spawn<TestAgent>();
  int checked = 0;
  std::string url = c->base_url();
  loop.run(play_client(loop, Address::parse(url.substr(0, url.size() - 1)),
                       recorded(GetParam(), "agent_pass_self_callback"), format_from_string(GetParam()), &checked));
  EXPECT_EQ(checked, 3);
  ASSERT_EQ(agent.printed.size(), 1u);
  EXPECT_EQ(agent.printed[0], "AgentProxy('agents/0')");
  loop.run(c->shutdown());
}

INSTANTIATE_TEST_SUITE_P(Codecs, RecordedRefs, ::testing::Values("json", "msgpack", "msgpack_blosc"));

}  // namespace
