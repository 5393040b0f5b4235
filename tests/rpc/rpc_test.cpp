// The RPC layer end to end: routers, paths and their error texts, argument
// binding, coroutine functions, pipelining, proxies passed both ways.

#include "support/raw_peer.hpp"
#include "support/test_support.hpp"

#include <uvmas/codecs/error.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/framework/rpc.hpp>

#include <gtest/gtest.h>

#include <stdexcept>

namespace {

using namespace uvmas;

struct Calc {
  static void expose_methods(rpc::Methods<Calc>& m) { m.expose("mul", &Calc::mul, {"a", "b"}); }
  rpc::Router router{this};
  int mul(int a, int b) { return a * b; }
};

// Its class table (member functions, member services, a hidden name) and
// entries of the router's own (lambdas, a static function) side by side.
struct RootSvc {
  static void expose_methods(rpc::Methods<RootSvc>& m) {
    m.expose("add", &RootSvc::add, {"a", "b"});
    m.expose("slow_add", &RootSvc::slow_add, {"a", "b", "spins"});
    m.expose("calc", &RootSvc::calc);
    m.expose("fns", &RootSvc::fns);
    m.hide("hidden");
  }
  rpc::Router router{this};
  Calc calc;
  rpc::Router fns;  // dict-style
  rpc::Router deep;
  Loop* loop = nullptr;
  RootSvc() {
    router.expose("fail", [](std::string msg) -> int { throw ValueError(msg); });
    router.expose("nothing", [] {});
    router.expose("get_calc", [this] { return calc.router.ref(); });
    router.expose("get_root", [this] { return router.ref(); });
    router.expose("call_back", &RootSvc::call_back);
    fns.expose("neg", [](int x) { return -x; });
    fns.add_sub("deep", deep);
    deep.expose("sq", [](int x) { return x * x; });
  }
  int add(int a, int b) { return a + b; }
  Task<int> slow_add(int a, int b, int spins) {
    for (int i = 0; i < spins; ++i) co_await loop->yield();
    co_return a + b;
  }
  static Task<int> call_back(rpc::Proxy peer, int x) { co_return co_await peer.call<int>("cb_mul", x, 10); }
};

template <class F>
void with_server(F body) {
  Loop loop;
  RootSvc svc;
  svc.loop = &loop;
  auto server = rpc::start_server(loop, "tcp://127.0.0.1:0", svc.router);
  loop.run(body(loop, server->address().url()));
}

std::string last_line(const RemoteException& e) {
  return e.remote_type() + ": " + e.remote_message();
}

TEST(Rpc, AddReturnsTheSum) {
  with_server([](Loop& loop, std::string addr) -> Task<> {
    rpc::Connection con = co_await rpc::open_connection(loop, addr);
    EXPECT_EQ(co_await con.remote().call<int>("add", 3, 4), 7);
    co_await con.close();
  });
}

TEST(Rpc, KeywordAndMixedArgumentsBindByName) {
  with_server([](Loop& loop, std::string addr) -> Task<> {
    rpc::Connection con = co_await rpc::open_connection(loop, addr);
    Map kw;
    kw.emplace_back("a", 3);
    kw.emplace_back("b", 4);
    EXPECT_EQ(co_await con.remote().call_kw<int>("add", Array{}, kw), 7);
    Map kw2;
    kw2.emplace_back("b", 4);
    Array args{Value(3)};
    EXPECT_EQ(co_await con.remote().call_kw<int>("add", args, kw2), 7);
    co_await con.close();
  });
}

TEST(Rpc, NestedClassAndDictServicesResolve) {
  with_server([](Loop& loop, std::string addr) -> Task<> {
    rpc::Connection con = co_await rpc::open_connection(loop, addr);
    EXPECT_EQ(co_await con.remote()["calc"].call<int>("mul", 6, 7), 42);
    EXPECT_EQ(co_await con.remote()["fns"].call<int>("neg", 5), -5);
    EXPECT_EQ(co_await con.remote()["fns"]["deep"].call<int>("sq", 5), 25);
    Value nothing = co_await con.remote().call("nothing");
    EXPECT_TRUE(nothing.is_null());
    co_await con.close();
  });
}

Task<std::string> error_of(rpc::Proxy p, std::string name, Array args) {
  std::string text;
  try {
    co_await p.call_kw(name, std::move(args), Map{});
    text = "no error";
  } catch (const RemoteException& e) {
    text = last_line(e);
  }
  co_return text;
}

struct Counter {
  static void expose_methods(rpc::Methods<Counter>& m) {
    m.qualname("pkg.Counter");
    m.expose("bump", &Counter::bump, {"by"});
    m.hide("reset");
  }
  rpc::Router router{this};
  int bump(int by) { return count += by; }
  int count = 0;
};

TEST(Rpc, AClassTableIsBuiltOnceAndServesEachObject) {
  Counter a, b;
  EXPECT_EQ(&rpc::methods_of<Counter>(), &rpc::methods_of<Counter>());
  EXPECT_EQ(rpc::methods_of<Counter>().qualname(), "pkg.Counter");
  EXPECT_EQ(rpc::methods_of<Calc>().qualname(), "__main__.Calc");  // derived from the class name
  Loop loop;
  auto ca = rpc::loopback_connection(loop, a.router, "a");
  auto cb = rpc::loopback_connection(loop, b.router, "b");
  loop.run([](rpc::Proxy pa, rpc::Proxy pb) -> Task<> {
    EXPECT_EQ(co_await pa.call<int>("bump", 2), 2);
    EXPECT_EQ(co_await pb.call<int>("bump", 5), 5);
    Array none;
    Map by{{"by", 3}};
    EXPECT_EQ(co_await pa.call_kw<int>("bump", std::move(none), std::move(by)), 5);
    EXPECT_EQ(co_await error_of(pa, "reset", {}), "LookupError: \"pkg.Counter.reset\" is not exposed");
  }(ca.remote(), cb.remote()));
  EXPECT_EQ(a.count, 5);
  EXPECT_EQ(b.count, 5);
}

struct Misnamed {
  int two(int a, int b) { return a + b; }
};

TEST(Rpc, AWrongNumberOfParameterNamesIsRefusedWhenExposing) {
  rpc::Methods<Misnamed> m;
  try {
    m.expose("two", &Misnamed::two, {"a"});
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "exposing Misnamed.two: 1 parameter name given for 2 parameters");
  }
  rpc::Router r("__main__.Svc");
  EXPECT_THROW(r.expose("neg", [](int x) { return -x; }, {"x", "y"}), std::invalid_argument);
  EXPECT_NO_THROW(r.expose("neg", [](int x) { return -x; }, {"x"}));
}

TEST(Rpc, ErrorsCarryAiomasTexts) {
  with_server([](Loop& loop, std::string addr) -> Task<> {
    rpc::Connection con = co_await rpc::open_connection(loop, addr);
    auto r = con.remote();
    EXPECT_EQ(co_await error_of(r, "nosuch", {}), "LookupError: Name \"nosuch\" not found in \"\"");
    EXPECT_EQ(co_await error_of(r, "calc/nosuch", {}), "LookupError: Name \"nosuch\" not found in \"calc\"");
    EXPECT_EQ(co_await error_of(r, "hidden", {}), "LookupError: \"__main__.RootSvc.hidden\" is not exposed");
    EXPECT_EQ(co_await error_of(r, "calc", {}), "TypeError: 'Calc' object is not callable");
    EXPECT_EQ(co_await error_of(r, "x.add", {}), "LookupError: Name \"x.add\" not found in \"\"");
    Array boom{Value("boom")};
    EXPECT_EQ(co_await error_of(r, "fail", boom), "ValueError: boom");
    Array one{Value(1)};
    EXPECT_EQ(co_await error_of(r, "add", one), "TypeError: RootSvc.add() missing 1 required positional argument: 'b'");
    Array three{Value(1), Value(2), Value(3)};
    EXPECT_EQ(co_await error_of(r, "add", three), "TypeError: RootSvc.add() takes 2 positional arguments but 3 were given");
    Array bad{Value(1), Value("x")};
    EXPECT_EQ(co_await error_of(r, "add", bad), "TypeError: RootSvc.add() argument 'b': expected int, got str");
    co_await con.close();
  });
}

TEST(Rpc, CoroutineFunctionsAreAwaitedAndSlowCallsDoNotBlockOthers) {
  with_server([](Loop& loop, std::string addr) -> Task<> {
    rpc::Connection con = co_await rpc::open_connection(loop, addr);
    auto r = con.remote();
    std::vector<int> order;
    TaskGroup group(loop);
    auto one = [](rpc::Proxy p, std::vector<int>* out, int tag, int spins) -> Task<> {
      int v = co_await p.call<int>("slow_add", tag, 0, spins);
      out->push_back(v);
    };
    group.spawn(one(r, &order, 1, 200));
    group.spawn(one(r, &order, 2, 0));
    group.spawn(one(r, &order, 3, 50));
    co_await group.join();
    EXPECT_EQ(order, (std::vector<int>{2, 3, 1}));
    co_await con.close();
  });
}

TEST(Rpc, ReturnedServiceBecomesAProxyOnTheSameConnection) {
  with_server([](Loop& loop, std::string addr) -> Task<> {
    rpc::Connection con = co_await rpc::open_connection(loop, addr);
    rpc::Proxy calc = co_await con.remote().call<rpc::Proxy>("get_calc");
    EXPECT_EQ(calc.path(), "calc");
    EXPECT_EQ(co_await calc.call<int>("mul", 2, 3), 6);
    rpc::Proxy root = co_await con.remote().call<rpc::Proxy>("get_root");
    EXPECT_EQ(root.path(), "");
    EXPECT_EQ(co_await root.call<int>("add", 2, 3), 5);
    co_await con.close();
  });
}

TEST(Rpc, AClientPassesItsOwnServiceAndIsCalledBack) {
  with_server([](Loop& loop, std::string addr) -> Task<> {
    rpc::Router client_root("__main__.ClientSvc");
    client_root.expose("cb_mul", [](int a, int b) { return a * b; });
    rpc::Connection con = co_await rpc::open_connection(loop, addr, client_root);
    EXPECT_EQ(co_await con.remote().call<int>("call_back", client_root, 4), 40);
    co_await con.close();
  });
}

TEST(Rpc, MalformedContentGetsAnExceptionAndTheConnectionStaysUsable) {
  Loop loop;
  RootSvc svc;
  svc.loop = &loop;
  auto server = rpc::start_server(loop, "tcp://127.0.0.1:0", svc.router);
  auto body = [](Loop& l, Address addr) -> Task<> {
    Channel ch = co_await open_connection(l, addr.url());
    std::vector<Value> bad = {Value("add"), Value(1), Value(), Value::array({"add", Value::array({1})}),
                              Value::array({1, Value::array({}), Value::map({})}),
                              Value::array({"add", 1, Value::map({})}), Value::array({"add", Value::array({}), 1}),
                              Value::array({"add", Value::array({}), Value::map({{1, 2}})})};
    for (auto& b : bad) {
      std::string text;
      try {
        co_await ch.send(b);
      } catch (const RemoteException& e) {
        text = e.remote_traceback();
      }
      EXPECT_NE(text.find("TypeError"), std::string::npos) << b;
    }
    Value ok = Value::array({"add", Value::array({1, 2}), Value::map({})});
    Value three = co_await ch.send(ok);
    EXPECT_EQ(three, Value(3));
    co_await ch.close();
  };
  loop.run(body(loop, server->address()));
}

}  // namespace

namespace {

TEST(Rpc, AClientLeavingDuringASlowCallLeavesTheServerServingOthers) {
  with_server([](Loop& loop, std::string addr) -> Task<> {
    {
      ChannelOptions options = rpc::rpc_options(ChannelOptions{});  // not inside co_await (GCC 12)
      Channel raw = co_await open_connection(loop, addr, options);
      TaskGroup group(loop);
      auto slow = [](Channel ch) -> Task<> {
        Value content = Value::array({"slow_add", Value::array({1, 2, 100}), Value::map({})});
        co_await ch.send(std::move(content));
      };
      group.spawn(slow(raw));
      for (int i = 0; i < 10; ++i) co_await loop.yield();
      raw.abort("client leaves");
      co_await group.cancel_and_wait();
    }
    for (int i = 0; i < 300; ++i) co_await loop.yield();
    rpc::Connection con = co_await rpc::open_connection(loop, addr);
    EXPECT_EQ(co_await con.remote().call<int>("add", 1, 2), 3);
    co_await con.close();
  });
}

}  // namespace
