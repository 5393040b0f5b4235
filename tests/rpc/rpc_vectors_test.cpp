// Replays the rpc_* cases of tests/data/vectors/aiomas against a uvmas RPC server
// with each codec: the recorded requests (and the client's replies to the
// server's callbacks) go in byte for byte; what uvmas writes must match the
// recorded frames (bytes for json/msgpack, decoded value for blosc; EXCEPTION
// replies by their traceback's last line).

#include "support/replay.hpp"
#include "support/test_support.hpp"
#include "support/vectors.hpp"

#include <uvmas/core/error.hpp>
#include <uvmas/framework/rpc.hpp>

#include <uvmas/transports/connect.hpp>

#include <gtest/gtest.h>

namespace {

using namespace uvmas;

struct Calc {
  rpc::Router router{"__main__.Calc"};
  Calc() { router.expose("mul", [](int a, int b) { return a * b; }, {"a", "b"}); }
};

Task<int> spin_add(Loop* loop, int a, int b) {
  co_await loop->yield();
  co_return a + b;
}

// Delays by loop passes proportional to the recorded seconds: ordering without wall-clock timing.
Task<Value> delayed_echo(Loop* loop, Value v, double delay) {
  for (int i = 0; i < static_cast<int>(delay * 1000); ++i) co_await loop->yield();
  co_return v;
}

Task<Value> call_back(rpc::Proxy peer, Value x) { co_return co_await peer.call("cb_mul", x, 10); }

/// The service the vectors were recorded against (aiomas's RootSvc).
struct VectorService {
  rpc::Router router{"__main__.RootSvc"};
  Calc calc;
  rpc::Router fns;
  rpc::Router deep;
  explicit VectorService(Loop& loop) {
    Loop* l = &loop;
    router.expose("add", [](int a, int b) { return a + b; }, {"a", "b"});
    router.expose("fail_value", [](std::string m) -> int { throw ValueError(m); });
    router.expose("slow_add", [l](int a, int b) { return spin_add(l, a, b); }, {"a", "b"});
    router.expose("delayed_echo", [l](Value v, double d) { return delayed_echo(l, v, d); });
    router.expose("get_calc", [this] { return calc.router.ref(); });
    router.expose("get_self", [this] { return router.ref(); });
    router.expose("call_back", &call_back);
    // An object no serializer takes: the reply becomes an EXCEPTION.
    router.expose("bad_return", [] { return Value::extension("object", Value()); });
    router.add_hidden("hidden");
    router.add_sub("calc", calc.router);
    router.add_sub("fns", fns);
    fns.expose("neg", [](int x) { return -x; });
    fns.add_sub("deep", deep);
    deep.expose("sq", [](int x) { return x * x; });
  }
};

std::string last_line(const std::string& text) {
  std::size_t end = text.find_last_not_of('\n');
  if (end == std::string::npos) return {};
  std::size_t start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start == std::string::npos ? 0 : start + 1));
}

struct ReplayCase {
  std::string codec;
};

class RpcVectors : public ::testing::TestWithParam<std::string> {};

Task<> replay(Loop& loop, Address address, std::vector<test::VectorFrame> frames, Format format, int* checked) {
  auto peer = co_await test::RawPeer::connect(loop, address);
  *checked += co_await test::play_recorded(
      peer.get(), std::move(frames), true, [format](const std::string& got, const test::VectorFrame& f) {
        const Codec raw(format);  // raw mode: __type__ maps stay maps, as in the vectors
        Value mine = raw.decode(got);
        if (f.msg_type == 2) {
          std::string want = last_line(f.decoded[2].as_string());
          std::string have = last_line(mine[2].as_string());
          if (f.case_name == "rpc_unserializable_return") {
            EXPECT_NE(have.find("SerializationError"), std::string::npos) << have;
          } else {
            EXPECT_EQ(have, want) << f.case_name;
          }
          EXPECT_EQ(mine[1], f.decoded[1]) << f.case_name;
        } else if (format == Format::msgpack_blosc) {
          EXPECT_TRUE(mine == f.decoded) << f.case_name << ": " << mine << " vs " << f.decoded;
        } else {
          EXPECT_EQ(test::to_hex(got), test::to_hex(f.frame.substr(4))) << f.case_name << ": " << mine;
        }
      });
}

TEST_P(RpcVectors, UvmasAnswersTheRecordedRequestsWithTheRecordedReplies) {
  auto cases = test::load_vectors(GetParam());
  int replayed = 0;
  for (auto& [name, frames] : cases) {
    if (name.rfind("rpc_", 0) != 0) continue;
    Loop loop;
    VectorService svc(loop);
    ChannelOptions options;
    options.codec = format_from_string(GetParam());
    auto server = rpc::start_server(loop, "tcp://127.0.0.1:0", svc.router, options);
    int checked = 0;
    loop.run(replay(loop, server->address(), frames, options.codec, &checked));
    EXPECT_GT(checked, 0) << name;
    ++replayed;
  }
  EXPECT_EQ(replayed, 17);
}

// -- uvmas as the client: the recorded requests come out of the matching calls --

Task<Value> ignore_remote(Task<Value> call) {
  Value v;
  try {
    v = co_await std::move(call);
  } catch (const RemoteException&) {
  }
  co_return v;
}

Task<> pipelined_call(rpc::Proxy p, int v, double delay) { co_await p.call("delayed_echo", v, delay); }

/// Makes the calls the recorded aiomas client made for `name`.
Task<> client_calls(Loop& loop, std::string address, Format format, std::string name) {
  ChannelOptions options;
  options.codec = format;
  rpc::Router root("__main__.ClientSvc");
  rpc::Router child("__main__.ChildSvc");
  root.expose("cb_mul", [](int a, int b) { return a * b; });
  child.expose("cb_mul", [](int a, int b) { return a * b + 1; });
  root.add_sub("child", child);
  rpc::ConnectionOptions serving(options);
  serving.root = &root;
  rpc::Connection con = co_await rpc::open_connection(loop, address, serving);
  rpc::Proxy r = con.remote();
  Array none;
  Map no_kw;
  if (name == "rpc_add") {
    co_await r.call("add", 3, 4);
  } else if (name == "rpc_kwargs") {
    Map kw;
    kw.emplace_back("a", 3);
    kw.emplace_back("b", 4);
    co_await r.call_kw("add", none, kw);
  } else if (name == "rpc_mixed_args") {
    Map kw;
    kw.emplace_back("b", 4);
    Array args{Value(3)};
    co_await r.call_kw("add", args, kw);
  } else if (name == "rpc_nested_class") {
    co_await r["calc"].call("mul", 6, 7);
  } else if (name == "rpc_nested_dict") {
    co_await r["fns"].call("neg", 5);
    co_await r["fns"]["deep"].call("sq", 9);
  } else if (name == "rpc_unknown_method") {
    co_await ignore_remote(r.call("nosuch"));
  } else if (name == "rpc_unknown_nested") {
    co_await ignore_remote(r["calc"].call("nosuch", 1));
  } else if (name == "rpc_not_exposed") {
    co_await ignore_remote(r.call("hidden"));
  } else if (name == "rpc_value_error") {
    co_await ignore_remote(r.call("fail_value", "boom"));
  } else if (name == "rpc_type_error") {
    co_await ignore_remote(r.call("add", 1));
  } else if (name == "rpc_unserializable_return") {
    co_await ignore_remote(r.call("bad_return"));
  } else if (name == "rpc_coroutine") {
    co_await r.call("slow_add", 1, 2);
  } else if (name == "rpc_return_proxy") {
    rpc::Proxy calc = co_await r.call<rpc::Proxy>("get_calc");
    co_await calc.call("mul", 2, 3);
  } else if (name == "rpc_return_root_proxy") {
    rpc::Proxy self = co_await r.call<rpc::Proxy>("get_self");
    co_await self.call("add", 1, 1);
  } else if (name == "rpc_pass_proxy") {
    co_await r.call("call_back", root, 4);
  } else if (name == "rpc_pass_subservice_proxy") {
    co_await r.call("call_back", child, 4);
  } else if (name == "rpc_pipelined") {
    TaskGroup group(loop);
    group.spawn(pipelined_call(r, 0, 0.3));
    group.spawn(pipelined_call(r, 1, 0.0));
    group.spawn(pipelined_call(r, 2, 0.15));
    co_await group.join();
  } else {
    ADD_FAILURE() << "no client calls for " << name;
  }
  co_await con.close();
}

/// The recorded server: checks what uvmas writes, answers with the recorded frames.
Task<> fake_server(test::RawPeer* peer, std::vector<test::VectorFrame> frames, Format format, int* checked) {
  *checked += co_await test::play_recorded(
      peer, std::move(frames), false, [format](const std::string& got, const test::VectorFrame& f) {
        const Codec raw(format);
        if (format == Format::msgpack_blosc) {
          Value mine = raw.decode(got);
          EXPECT_TRUE(mine == f.decoded) << f.case_name << ": " << mine << " vs " << f.decoded;
        } else {
          EXPECT_EQ(got, f.frame.substr(4)) << f.case_name << ": " << raw.decode(got);
        }
      });
}

Task<> client_replay(Loop& loop, std::string address, test::RawServer* server,
                     std::vector<test::VectorFrame> frames, Format format, std::string name, int* checked) {
  TaskGroup group(loop);
  group.spawn(client_calls(loop, address, format, name));
  test::RawPeer* peer = co_await server->peer();
  group.spawn(fake_server(peer, std::move(frames), format, checked));
  co_await group.join();
}

TEST_P(RpcVectors, UvmasCallsProduceTheRecordedRequests) {
  auto cases = test::load_vectors(GetParam());
  int replayed = 0;
  for (auto& [name, frames] : cases) {
    if (name.rfind("rpc_", 0) != 0) continue;
    Loop loop;
    auto server = std::make_unique<test::RawServer>(loop, Address::parse("tcp://127.0.0.1:0"));
    int checked = 0;
    loop.run(client_replay(loop, server->address().url(), server.get(), frames, format_from_string(GetParam()), name,
                           &checked));
    EXPECT_GT(checked, 0) << name;
    server.reset();
    ++replayed;
  }
  EXPECT_EQ(replayed, 17);
}

INSTANTIATE_TEST_SUITE_P(Codecs, RpcVectors, ::testing::Values("json", "msgpack", "msgpack_blosc"));

}  // namespace
