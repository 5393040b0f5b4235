// Replays the rpc_* cases of shared/vectors/aiomas against a uvmas RPC server
// with each codec: the recorded requests (and the client's replies to the
// server's callbacks) go in byte for byte; what uvmas writes must match the
// recorded frames (bytes for json/msgpack, decoded value for blosc; EXCEPTION
// replies by their traceback's last line).

#include "support/raw_peer.hpp"
#include "support/test_support.hpp"
#include "support/vectors.hpp"

#include <uvmas/core/error.hpp>
#include <uvmas/framework/rpc.hpp>

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
  const Codec raw(format);  // raw mode: __type__ maps stay maps, as in the vectors
  for (const auto& f : frames) {
    if (f.from_client) {
      peer->write(f.frame);
      continue;
    }
    auto got = co_await peer->read_frame();
    if (!got) {
      ADD_FAILURE() << f.case_name << ": connection closed";
      co_return;
    }
    Value mine = raw.decode(*got);
    if (f.msg_type == 2) {
      std::string want = last_line(f.decoded[2].as_string());
      std::string have = last_line(mine[2].as_string());
      if (f.case_name == "rpc_unserializable_return") {
        EXPECT_NE(have.find("SerializationError"), std::string::npos) << have;
      } else if (f.case_name == "rpc_type_error") {
        // aiomas names the method by its Python qualname ("RootSvc.add()").
        EXPECT_EQ(have, "TypeError: add() missing 1 required positional argument: 'b'");
        EXPECT_EQ(want, "TypeError: RootSvc.add() missing 1 required positional argument: 'b'");
      } else {
        EXPECT_EQ(have, want) << f.case_name;
      }
      EXPECT_EQ(mine[1], f.decoded[1]) << f.case_name;
    } else if (format == Format::msgpack_blosc) {
      EXPECT_TRUE(mine == f.decoded) << f.case_name << ": " << mine << " vs " << f.decoded;
    } else {
      EXPECT_EQ(test::to_hex(*got), test::to_hex(f.frame.substr(4))) << f.case_name << ": " << mine;
    }
    ++*checked;
  }
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

INSTANTIATE_TEST_SUITE_P(Codecs, RpcVectors, ::testing::Values("json", "msgpack", "msgpack_blosc"));

}  // namespace
