// Every check of the Python interop client, run by a uvmas client against
// `uvmas serve`, over TCP and a Unix socket, with each codec.

#include "support/callback_client.hpp"
#include "support/test_support.hpp"

#include <uvmas/core/error.hpp>
#include <uvmas/framework/child_process.hpp>
#include <uvmas/framework/rpc.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace {

using namespace uvmas;

struct InteropCase {
  bool unix_socket;
  Format codec;
};

void PrintTo(const InteropCase& c, std::ostream* os) { *os << (c.unix_socket ? "unix " : "tcp ") << to_string(c.codec); }

Task<> checks(Loop& loop, std::string address, Format codec) {
  test::CallbackClient client;
  rpc::Connection con = co_await client.connect(loop, address, codec);
  rpc::Proxy remote = con.remote();

  // add, add_kwargs, add_strings
  EXPECT_EQ(co_await remote.call<int>("add", 1, 2), 3);
  Map kw;
  kw.emplace_back(Value("a"), Value(1));
  kw.emplace_back(Value("b"), Value(2));
  EXPECT_EQ(co_await remote.call_kw<int>("add", Array{}, kw), 3);
  Array one;
  one.push_back(Value(1));
  Map only_b;
  only_b.emplace_back(Value("b"), Value(2));
  EXPECT_EQ(co_await remote.call_kw<int>("add", one, only_b), 3);
  EXPECT_EQ(co_await remote.call<std::string>("add", std::string("foo"), std::string("bar")), "foobar");

  // echo_nested, echo_scalars, echo_bytes
  Value nested = Value::map({{"a", Value::array({1, 2.5, "x", nullptr, Value::map({{"deep", true}})})}, {"b", ""}});
  EXPECT_TRUE(identical(co_await remote.call<Value>("echo", nested), nested));
  std::vector<Value> scalars = {Value(std::numeric_limits<std::uint64_t>::max()), Value(std::int64_t{1} << 40),
                                Value(-(std::int64_t{1} << 40)), Value(-0.0), Value(0.1), Value(1e300), Value(nullptr),
                                Value(true), Value(false), Value(""), Value("\xc3\xa4 \xf0\x9f\x8c\x8d"), Value(1),
                                Value(1.0)};
  for (const Value& s : scalars) {
    Value back = co_await remote.call<Value>("echo", s);
    EXPECT_TRUE(identical(back, s)) << s << " came back as " << back;
  }
  if (codec != Format::json) {
    for (const Value& b : {Value::bytes(std::string_view("")), Value::bytes(std::string_view("\x00\xff", 2)),
                           Value::bytes(std::string(1024, 'x'))}) {
      EXPECT_TRUE(identical(co_await remote.call<Value>("echo", b), b));
    }
  }

  // sub_mul
  EXPECT_EQ(co_await remote["sub"].call<int>("mul", 2, 3), 6);

  // value_error, unknown_method, not_exposed
  auto remote_last_line = [](rpc::Proxy p, std::string name, Array args) -> Task<std::string> {
    try {
      (void)co_await p.call_kw<Value>(name, std::move(args), Map{});
    } catch (const RemoteException& e) {
      co_return e.remote_type() + ": " + e.remote_message();
    }
    co_return "no exception";
  };
  Array msg;
  msg.push_back(Value("boom"));
  EXPECT_EQ(co_await remote_last_line(remote, "raise_value_error", msg), "ValueError: boom");
  std::string unknown = co_await remote_last_line(remote, "no_such_method", Array{});
  EXPECT_EQ(unknown.rfind("LookupError: ", 0), 0u) << unknown;
  std::string hidden = co_await remote_last_line(remote, "not_exposed", Array{});
  EXPECT_EQ(hidden.rfind("LookupError: \"", 0), 0u) << hidden;
  EXPECT_NE(hidden.find(".not_exposed\" is not exposed"), std::string::npos) << hidden;

  // sleep, sleep_concurrent, out_of_order
  EXPECT_EQ(co_await remote.call<int>("sleep", 0.01, 5), 5);
  {
    TaskGroup group(loop);
    int done = 0;
    for (int i = 0; i < 10; ++i) {
      group.spawn([](rpc::Proxy p, int n, int& count) -> Task<> {
        if (co_await p.call<int>("sleep", 0.3, n) == n) ++count;
      }(remote, i, done));
    }
    co_await group.join();
    EXPECT_EQ(done, 10);
  }
  {
    TaskGroup group(loop);
    std::vector<int> order;
    group.spawn([](rpc::Proxy p, std::vector<int>& out) -> Task<> {
      (void)co_await p.call<int>("sleep", 0.3, 1);
      out.push_back(1);
    }(remote, order));
    group.spawn([](rpc::Proxy p, std::vector<int>& out) -> Task<> {
      (void)co_await p.call<int>("sleep", 0.0, 2);
      out.push_back(2);
    }(remote, order));
    co_await group.join();
    EXPECT_EQ(order, (std::vector<int>{2, 1}));
  }

  // big_list
  Value big = co_await remote.call<Value>("big_list", 100000);
  EXPECT_EQ(big.size(), 100000u);
  EXPECT_EQ(big[99999].as_int(), 99999);

  // pipelined_adds
  {
    TaskGroup group(loop);
    int ok = 0;
    for (int i = 0; i < 100; ++i) {
      group.spawn([](rpc::Proxy p, int n, int& count) -> Task<> {
        if (co_await p.call<int>("add", n, n) == 2 * n) ++count;
      }(remote, i, ok));
    }
    co_await group.join();
    EXPECT_EQ(ok, 100);
  }

  // get_sub_proxy, call_back
  rpc::Proxy sub = co_await remote.call<rpc::Proxy>("get_sub");
  EXPECT_EQ(sub.path(), "sub");
  EXPECT_EQ(co_await sub.call<int>("mul", 2, 3), 6);
  EXPECT_EQ(co_await remote.call<int>("call_back", client.router(), 4), 40);

  (void)co_await remote.call<std::string>("shutdown");
}

class Interop : public ::testing::TestWithParam<InteropCase> {};

TEST_P(Interop, EveryInteropCheckPassesAgainstUvmasServe) {
  Loop loop;
  std::string listen = GetParam().unix_socket ? "ipc://[" + test::temp_socket_path("interop") + "]" : "tcp://127.0.0.1:0";
  auto child = ChildProcess::start(
      loop, {test::bin_dir() + "/uvmas", "serve", listen, "--codec", std::string(to_string(GetParam().codec))});
  auto run = [](Loop& l, ChildProcess& c, Format codec) -> Task<int> {
    std::string ready = co_await c.read_line();
    EXPECT_EQ(ready.rfind("READY ", 0), 0u) << ready;
    co_await checks(l, ready.substr(6), codec);
    co_return co_await c.wait();
  };
  EXPECT_EQ(loop.run(run(loop, *child, GetParam().codec)), 0);
}

INSTANTIATE_TEST_SUITE_P(
    TransportsAndCodecs, Interop,
    ::testing::Values(InteropCase{false, Format::json}, InteropCase{false, Format::msgpack},
                      InteropCase{false, Format::msgpack_blosc}, InteropCase{true, Format::json},
                      InteropCase{true, Format::msgpack}, InteropCase{true, Format::msgpack_blosc}),
    [](const auto& info) {
      return std::string(info.param.unix_socket ? "Unix" : "Tcp") + "_" + std::string(to_string(info.param.codec));
    });

}  // namespace
