// The agent layer end to end: addresses, connect() and its errors, callbacks
// over the connection a reference came in on, the in-process shortcut,
// eviction of dead connections, shutdown with calls in flight, and
// bit-identical runs on LocalQueue with an ExternalClock.

#include "support/test_support.hpp"
#include "support/watchdog.hpp"

#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/core/wait_list.hpp>
#include <uvmas/framework/container.hpp>

#include <gtest/gtest.h>

#include <random>
#include <sstream>

namespace {

using namespace uvmas;

class TestAgent : public Agent {
 public:
  explicit TestAgent(Container& c) : Agent(c) {
    expose("service", &TestAgent::service, {"value"});
    expose("call_me_back", &TestAgent::call_me_back, {"peer", "value"});
    expose("fail", &TestAgent::fail);
    expose("slow", &TestAgent::slow);
    expose("get_self", &TestAgent::get_self);
  }
  Value service(Value v) { return v; }
  Task<Value> call_me_back(rpc::Proxy peer, Value v) { co_return co_await peer.call("service", v); }
  int fail(std::string message) { throw ValueError(message); }
  Task<int> slow(double seconds) {
    co_await container().clock().sleep(seconds);
    co_return 1;
  }
  TestAgent& get_self() { return *this; }
};

std::string print(const auto& x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

// -- addresses ------------------------------------------------------------------

TEST(Agents, AddressesAreTheContainerBaseUrlPlusTheId) {
  Loop loop;
  auto tcp = Container::create(loop, "tcp://127.0.0.1:0");
  auto& a0 = tcp->spawn<TestAgent>();
  auto& a1 = tcp->spawn<TestAgent>();
  std::string port = tcp->base_url().substr(tcp->base_url().rfind(':') + 1);
  EXPECT_EQ(a0.addr(), "tcp://127.0.0.1:" + port + "0");
  EXPECT_EQ(a1.addr(), "tcp://127.0.0.1:" + port + "1");
  EXPECT_EQ(a1.aid(), "1");
  EXPECT_EQ(print(a0), "TestAgent('tcp://127.0.0.1:" + port + "0')");
  EXPECT_EQ(a0.type_name(), "TestAgent");

  auto v6 = Container::create(loop, "tcp://[::1]:0");
  EXPECT_EQ(v6->spawn<TestAgent>().addr().rfind("tcp://::1:", 0), 0u) << v6->base_url();

  std::string path = test::temp_socket_path("agents");
  auto ipc = Container::create(loop, "ipc://[" + path + "]");
  EXPECT_EQ(ipc->spawn<TestAgent>().addr(), "ipc://[" + path + "]/0");

  auto local = Container::create(loop, "local://q1");
  EXPECT_EQ(local->spawn<TestAgent>().addr(), "local://q1/0");
  for (auto* c : {tcp.get(), v6.get(), ipc.get(), local.get()}) loop.run(c->shutdown());
}

TEST(Agents, AgentUrlsParseAsAiomasDoesAndBadOnesSayWhy) {
  auto u = AgentUrl::parse("tcp://[::1]:5704/0");
  EXPECT_EQ(u.container.url(), "tcp://::1:5704");
  EXPECT_EQ(u.aid, "0");
  u = AgentUrl::parse("ipc://[/tmp/x.sock]/12");
  EXPECT_EQ(u.container.url(), "ipc://[/tmp/x.sock]");
  EXPECT_EQ(u.aid, "12");
  u = AgentUrl::parse("local://q/3/x");
  EXPECT_EQ(u.container.url(), "local://q");
  EXPECT_EQ(u.aid, "3/x");
  for (const char* bad : {"tcp://h:1/", "tcp://h:1", "udp://h:1/0", "ipc:///tmp/x/0", "tcp://h:x/0", "nonsense"}) {
    EXPECT_THROW(AgentUrl::parse(bad), ValueError) << bad;
    EXPECT_FALSE(AgentUrl::is_agent_url(bad));
  }
  try {
    AgentUrl::parse("tcp://h:1/");
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("agent id is empty"), std::string::npos) << e.what();
  }
}

// -- connect and call ---------------------------------------------------------------

Task<> connect_and_call(Container* a, std::string url, std::string* printed) {
  auto remote = co_await a->connect(url);
  EXPECT_EQ(co_await remote.call<int>("service", 42), 42);
  *printed = print(remote);
  // A second connect reuses the connection and the validation.
  auto again = co_await a->connect(url);
  EXPECT_EQ(co_await again.call<std::string>("service", "x"), "x");
}

class Transports : public ::testing::TestWithParam<std::string> {};

TEST_P(Transports, AnAgentCallsAnAgentOfAnotherContainer) {
  Loop loop;
  std::string addr = GetParam() == "ipc" ? "ipc://[" + test::temp_socket_path("b") + "]"
                     : GetParam() == "local" ? std::string("local://b")
                     : GetParam() == "tcp6" ? std::string("tcp://[::1]:0")
                                            : std::string("tcp://127.0.0.1:0");
  auto a = Container::create(loop, GetParam() == "local" ? "local://a" : "tcp://127.0.0.1:0");
  auto b = Container::create(loop, addr);
  a->spawn<TestAgent>();
  auto& target = b->spawn<TestAgent>();
  std::string printed;
  loop.run(connect_and_call(a.get(), target.addr(), &printed));
  EXPECT_EQ(printed, "TestAgentProxy('" + target.addr() + "')");
  EXPECT_EQ(a->outgoing_connections(), 1u);
  EXPECT_EQ(b->incoming_connections(), 1u);
  loop.run(a->shutdown());
  loop.run(b->shutdown());
}

INSTANTIATE_TEST_SUITE_P(Agents, Transports, ::testing::Values("tcp", "tcp6", "ipc", "local"));

Task<> expect_missing(Container* a, std::string url, std::string* error) {
  try {
    (void)co_await a->connect(url);
  } catch (const ConnectionError& e) {
    *error = e.what();
  }
}

TEST(Agents, ConnectingToAMissingAgentFailsWithAClearError) {
  Loop loop;
  auto a = Container::create(loop, "tcp://127.0.0.1:0");
  auto b = Container::create(loop, "tcp://127.0.0.1:0");
  b->spawn<TestAgent>();
  std::string base = b->base_url().substr(0, b->base_url().size() - 1);
  std::string error;
  loop.run(expect_missing(a.get(), b->base_url() + "7", &error));
  EXPECT_EQ(error, "Agent \"7\" does not exist in Container(" + base + ")");
  error.clear();
  loop.run(expect_missing(a.get(), b->base_url() + "01", &error));
  EXPECT_EQ(error, "Agent \"01\" does not exist in Container(" + base + ")");
  error.clear();
  loop.run(expect_missing(a.get(), a->base_url() + "0", &error));  // in-process, no agent yet
  EXPECT_NE(error.find("Agent \"0\" does not exist"), std::string::npos) << error;
  error.clear();
  loop.run(expect_missing(a.get(), "tcp://127.0.0.1:1/0", &error));  // nobody listens
  EXPECT_FALSE(error.empty());
  loop.run(a->shutdown());
  loop.run(b->shutdown());
}

Task<> call_back(Container* a, TestAgent* me, std::string url) {
  auto remote = co_await a->connect(url);
  // The peer calls `service` on us over the connection our reference travelled on.
  EXPECT_EQ(co_await remote.call<int>("call_me_back", *me, 43), 43);
  // A returned agent comes back as a proxy to it.
  rpc::Proxy self = co_await remote.call<rpc::Proxy>("get_self");
  EXPECT_EQ(self.path(), "agents/0");
  EXPECT_EQ(co_await self.call<int>("service", 5), 5);
}

TEST(Agents, APeerCallsBackOverTheConnectionTheReferenceCameIn) {
  Loop loop;
  auto a = Container::create(loop, "tcp://127.0.0.1:0");
  auto b = Container::create(loop, "tcp://127.0.0.1:0");
  auto& me = a->spawn<TestAgent>();
  auto& peer = b->spawn<TestAgent>();
  loop.run(call_back(a.get(), &me, peer.addr()));
  EXPECT_EQ(b->outgoing_connections(), 0u);  // the call back used our connection
  loop.run(a->shutdown());
  loop.run(b->shutdown());
}

// -- in-process ----------------------------------------------------------------------

Task<> local_calls(Container* c, TestAgent* me, std::string url) {
  auto remote = co_await c->connect(url);
  EXPECT_EQ(print(remote), "TestAgentProxy('" + url + "')");
  EXPECT_EQ(co_await remote.call<int>("service", 5), 5);
  EXPECT_EQ(co_await remote.call<int>("call_me_back", *me, 6), 6);
  std::string error;
  try {
    co_await remote.call("fail", "boom");
  } catch (const RemoteException& e) {
    error = e.remote_traceback();
  }
  EXPECT_NE(error.find("ValueError: boom"), std::string::npos) << error;
  error.clear();
  try {
    co_await remote.call("nosuch");
  } catch (const RemoteException& e) {
    error = e.remote_message();
  }
  EXPECT_EQ(error, "Name \"nosuch\" not found in \"agents/1\"");
}

TEST(Agents, ConstructorExposuresBuildOneTableSharedByTheClass) {
  Loop loop;
  auto c = Container::create(loop, "local://shared");
  auto& a = c->spawn<TestAgent>();
  auto& b = c->spawn<TestAgent>();
  auto& d = c->spawn<TestAgent>();
  ASSERT_NE(a.methods(), nullptr);
  EXPECT_EQ(a.methods(), b.methods());
  EXPECT_EQ(a.methods(), d.methods());
  EXPECT_EQ(a.methods()->methods().size(), 5u);
  loop.run(c->shutdown());
}

class Ledger {
 public:
  static void expose_methods(rpc::Methods<Ledger>& m) { m.expose("total", &Ledger::total); }
  rpc::Router router{this};
  int total() const { return total_; }
  void add(int n) { total_ += n; }

 private:
  int total_ = 0;
};

class Store : public Agent {
 public:
  static void expose_methods(rpc::Methods<Store>& m) {
    m.expose("sell", &Store::sell, {"item", "count"});
    m.expose("fail_later", &Store::fail_later);
    m.hide("restock");
    m.expose("ledger", &Store::ledger);
    m.expose("info", &Store::info);
  }
  explicit Store(Container& c) : Agent(c) { info.expose("hours", [] { return std::string("9-17"); }); }
  int sell(std::string item, int count) {
    int price = static_cast<int>(item.size()) * count;
    ledger.add(price);
    return price;
  }
  Task<int> fail_later() {
    co_await container().loop().yield();
    throw ValueError("sold out");
  }
  void restock() {}
  Ledger ledger;
  rpc::Router info;
};

Task<std::string> remote_error(AgentProxy p, std::string name, Array args) {
  try {
    co_await p.call_kw(name, std::move(args), Map{});
  } catch (const RemoteException& e) {
    co_return e.remote_type() + ": " + e.remote_message();
  }
  co_return "no error";
}

Task<> store_calls(Container* c, std::string url, int total) {
  AgentProxy store = co_await c->connect(url);
  EXPECT_EQ(co_await store.call<int>("sell", "pear", 2), 8);
  Array args{"fig"};
  Map kwargs{{"count", 3}};
  EXPECT_EQ(co_await store.call_kw<int>("sell", std::move(args), std::move(kwargs)), 9);
  EXPECT_EQ(co_await store.call<int>("ledger/total"), total);
  EXPECT_EQ(co_await store.call<std::string>("info/hours"), "9-17");
  std::string aid = url.substr(url.rfind('/') + 1);
  EXPECT_EQ(co_await remote_error(store, "restock", {}), "LookupError: \"__main__.Store.restock\" is not exposed");
  EXPECT_EQ(co_await remote_error(store, "ledger", {}), "TypeError: 'Ledger' object is not callable");
  EXPECT_EQ(co_await remote_error(store, "ledger/nope", {}),
            "LookupError: Name \"nope\" not found in \"agents/" + aid + "/ledger\"");
  EXPECT_EQ(co_await remote_error(store, "sell/x", {}),
            "LookupError: Name \"x\" not found in \"agents/" + aid + "/sell\"");
  Array bad{"fig", "many"};
  EXPECT_EQ(co_await remote_error(store, "sell", bad), "TypeError: Store.sell() argument 'count': expected int, got str");
  EXPECT_EQ(co_await remote_error(store, "fail_later", {}), "ValueError: sold out");
  try {
    co_await store.call("fail_later");
    ADD_FAILURE() << "no exception";
  } catch (const RemoteException& e) {
    EXPECT_EQ(e.remote_message(), "sold out");
  }
}

TEST(Agents, ExposedServicesHiddenNamesAndErrorsAreTheSameInProcessAndAcross) {
  Loop loop;
  auto market = Container::create(loop, "local://store-market");
  auto town = Container::create(loop, "local://store-town");
  market->spawn<Store>();
  auto& store = market->spawn<Store>();
  loop.run(store_calls(market.get(), store.addr(), 17));  // in-process
  loop.run(store_calls(town.get(), store.addr(), 34));  // across two containers
  EXPECT_EQ(store.ledger.total(), 34);
  loop.run(town->shutdown());
  loop.run(market->shutdown());
}

TEST(Agents, CallsToAnAgentOfTheSameContainerOpenNoSocket) {
  Loop loop;
  auto c = Container::create(loop, "tcp://127.0.0.1:0");
  auto& me = c->spawn<TestAgent>();
  auto& other = c->spawn<TestAgent>();
  loop.run(local_calls(c.get(), &me, other.addr()));
  EXPECT_EQ(c->incoming_connections(), 0u);
  EXPECT_EQ(c->outgoing_connections(), 0u);
  loop.run(c->shutdown());
}

Task<int> slow_local(Container* c, std::string url) {
  auto remote = co_await c->connect(url);
  co_return co_await remote.call<int>("slow", 1.0);
}

Task<> busy_while_in_flight(Loop* loop, Container* c, ExternalClock* clock, std::string url) {
  TaskGroup group(*loop);
  int result = 0;
  group.spawn([](Container* c, std::string url, int* out) -> Task<> { *out = co_await slow_local(c, url); }(
      c, url, &result));
  co_await loop->yield();
  // The callee waits for clock time, which only the clock's owner can give:
  // nothing is runnable, so the loop is quiet (a co-simulation step may end).
  EXPECT_EQ(loop->frame_balance(), 0);
  EXPECT_TRUE(loop->quiet());
  clock->set_time(2.0);
  co_await group.join();
  EXPECT_EQ(result, 1);
  EXPECT_TRUE(loop->quiet());
}

TEST(Agents, AnInProcessCallWaitingForClockTimeLeavesTheLoopQuiet) {
  Loop loop;
  ExternalClock clock(loop);
  ContainerOptions options;
  options.clock = &clock;
  auto c = Container::create(loop, "local://busy", options);
  auto& agent = c->spawn<TestAgent>();
  loop.run(busy_while_in_flight(&loop, c.get(), &clock, agent.addr()));
  loop.run(c->shutdown());
}

// -- connection loss ----------------------------------------------------------------------

Task<> call_after_restart(Loop* loop, Container* a, std::string path, std::string url) {
  {
    auto b = Container::create(*loop, "ipc://[" + path + "]");
    b->spawn<TestAgent>();
    auto remote = co_await a->connect(url);
    EXPECT_EQ(co_await remote.call<int>("service", 1), 1);
    co_await b->shutdown();
    bool lost = false;
    try {
      co_await remote.call<int>("service", 2);
    } catch (const ConnectionError&) {
      lost = true;
    }
    EXPECT_TRUE(lost);
  }
  auto b2 = Container::create(*loop, "ipc://[" + path + "]");
  b2->spawn<TestAgent>();
  auto remote = co_await a->connect(url);
  EXPECT_EQ(co_await remote.call<int>("service", 3), 3);
  co_await b2->shutdown();
}

TEST(Agents, ConnectAfterThePeerRestartedOpensAFreshConnection) {
  Loop loop;
  auto a = Container::create(loop, "tcp://127.0.0.1:0");
  std::string path = test::temp_socket_path("restart");
  loop.run(call_after_restart(&loop, a.get(), path, "ipc://[" + path + "]/0"));
  loop.run(a->shutdown());
}

Task<> slow_call(AgentProxy remote, std::string* error) {
  try {
    co_await remote.call<int>("slow", 30.0);
  } catch (const ConnectionError& e) {
    *error = e.what();
  }
}

Task<> shutdown_with_calls_in_flight(Loop* loop, Container* a, Container* b, std::string url) {
  auto remote = co_await a->connect(url);
  std::string error_b, error_a;
  TaskGroup group(*loop);
  group.spawn(slow_call(remote, &error_b));
  for (int i = 0; i < 5; ++i) co_await loop->yield();
  // The slow calls would be answered after 30 s: an error instead shows the
  // shutdown failed them (and the test's timeout bounds the wait).
  co_await b->shutdown();  // the peer goes away
  co_await group.join();
  EXPECT_FALSE(error_b.empty());

  auto c = Container::create(*loop, "tcp://127.0.0.1:0");
  auto& slow_agent = c->spawn<TestAgent>();
  auto remote_c = co_await a->connect(slow_agent.addr());
  group.spawn(slow_call(remote_c, &error_a));
  for (int i = 0; i < 5; ++i) co_await loop->yield();
  co_await a->shutdown();  // our own container goes away
  co_await group.join();
  EXPECT_FALSE(error_a.empty());
  co_await c->shutdown();
}

TEST(Agents, ShutdownFailsCallsInFlightPromptly) {
  Loop loop;
  auto a = Container::create(loop, "tcp://127.0.0.1:0");
  auto b = Container::create(loop, "tcp://127.0.0.1:0");
  a->spawn<TestAgent>();
  auto& target = b->spawn<TestAgent>();
  loop.run(shutdown_with_calls_in_flight(&loop, a.get(), b.get(), target.addr()));
  EXPECT_THROW(loop.run(a->connect(target.addr())), ConnectionError);
}

/// Keeps what it is told; `heard` wakes whoever waits for the next entry.
class Recorder : public Agent {
 public:
  explicit Recorder(Container& c) : Agent(c) { expose("record", &Recorder::record); }
  int record(std::string text) {
    told.push_back(std::move(text));
    heard.wake_all(container().loop());
    return 0;
  }
  std::vector<std::string> told;
  WaitList heard;
};

// The caller shuts down before any reply can come: only the request matters.
Task<> tell(AgentProxy remote, std::string text) {
  try {
    co_await remote.call<int>("record", text);
  } catch (const ConnectionError&) {
  }
}

// Container `a` tells the Recorder of container `b`, over TCP, and shuts down.
struct TellingPeer {
  test::Watchdog watchdog;
  Loop loop;
  std::unique_ptr<Container> a = Container::create(loop, "tcp://127.0.0.1:0");
  std::unique_ptr<Container> b = Container::create(loop, "tcp://127.0.0.1:0");
  Recorder* peer = &b->spawn<Recorder>();
  std::string url = peer->addr();
};

// The request is still in the outgoing connection's write buffer when
// shutdown() begins (writes leave at the end of the loop pass).
Task<> tell_then_shut_down(TellingPeer* t) {
  auto remote = co_await t->a->connect(t->url);
  TaskGroup calls(t->loop);
  calls.spawn(tell(remote, "last words"));
  co_await t->a->shutdown();
  while (t->peer->told.empty()) co_await t->peer->heard.wait();
  EXPECT_EQ(t->peer->told, std::vector<std::string>{"last words"});
  co_await calls.join();
}

TEST(Agents, ShutdownSendsWhatAnOutgoingConnectionQueuedBeforeClosingIt) {
  TellingPeer t;
  t.loop.run(tell_then_shut_down(&t));
  t.loop.run(t.b->shutdown());
}

Task<> tell_the_dead_then_shut_down(TellingPeer* t) {
  auto remote = co_await t->a->connect(t->url);
  t->b.reset();  // the peer's sockets close at once, as when its process dies
  TaskGroup calls(t->loop);
  // More than the socket buffers take at once, so the close has to wait for the write's fate.
  calls.spawn(tell(remote, std::string(std::size_t{8} << 20, 'x')));
  co_await t->a->shutdown();
  co_await calls.join();
}

TEST(Agents, ShutdownDoesNotWaitForAPeerThatDied) {
  TellingPeer t;
  t.loop.run(tell_the_dead_then_shut_down(&t));
  EXPECT_EQ(t.a->incoming_connections(), 0u);
}

// -- reproducibility ---------------------------------------------------------------------

/// Calls random agents at random times; every call is recorded where it lands.
class Gossip : public Agent {
 public:
  Gossip(Container& c, std::vector<std::string>* trace, unsigned seed) : Agent(c), trace_(trace), rng_(seed) {
    expose("hear", &Gossip::hear);
  }
  Task<int> hear(std::string from, int value) {
    trace_->push_back(print(container().clock().time()) + " " + aid() + "@" + container().base_url() + " <- " + from +
                      " " + std::to_string(value));
    // Some answers take a few loop passes.
    for (int i = 0; i < value % 3; ++i) co_await container().loop().yield();
    co_return value + 1;
  }
  Task<> run(std::vector<std::string> peers, int rounds) {
    for (int i = 0; i < rounds; ++i) {
      co_await container().clock().sleep(1 + static_cast<double>(rng_() % 4));
      std::string target = peers[rng_() % peers.size()];
      auto remote = co_await container().connect(target);
      int value = static_cast<int>(rng_() % 100);
      int got = co_await remote.call<int>("hear", addr(), value);
      trace_->push_back(print(container().clock().time()) + " " + addr() + " got " + std::to_string(got));
    }
  }

 private:
  std::vector<std::string>* trace_;
  std::mt19937 rng_;
};

std::vector<std::string> gossip_run() {
  std::vector<std::string> trace;
  Loop loop;
  ExternalClock clock(loop);
  ContainerOptions options;
  options.clock = &clock;
  auto a = Container::create(loop, "local://gossip-a", options);
  auto b = Container::create(loop, "local://gossip-b", options);
  std::vector<Gossip*> agents;
  std::vector<std::string> addrs;
  for (unsigned i = 0; i < 20; ++i) {
    Container& c = i % 2 ? *b : *a;
    agents.push_back(&c.spawn<Gossip>(&trace, 1000 + i));
    addrs.push_back(agents.back()->addr());
  }
  for (auto* g : agents) g->container().tasks().spawn(g->run(addrs, 5));
  auto drive = [](Loop* loop, ExternalClock* clock, Container* a, Container* b) -> Task<> {
    for (int t = 1; t <= 40 && !(a->tasks().empty() && b->tasks().empty()); ++t) {
      co_await loop->quiescent();
      clock->set_time(t * 0.5);
    }
    co_await loop->quiescent();
  };
  loop.run(drive(&loop, &clock, a.get(), b.get()));
  EXPECT_TRUE(a->tasks().empty() && b->tasks().empty());
  loop.run(a->shutdown());
  loop.run(b->shutdown());
  return trace;
}

TEST(Agents, ManyAgentsOnLocalQueuesWithAnExternalClockRunIdenticallyTwice) {
  auto first = gossip_run();
  auto second = gossip_run();
  EXPECT_EQ(first.size(), 200u);  // 20 agents x 5 calls, each seen by callee and caller
  EXPECT_EQ(first, second);
}

}  // namespace
