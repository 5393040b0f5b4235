// A value the container's codec cannot carry fails the same way whether the
// agents share a container (in-process call) or not (a socket between them).

#include <uvmas/codecs/error.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/framework/container.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace uvmas;

// A user type whose serializer the containers were not given.
struct Point {
  int x = 0;
  int y = 0;
};

class Holder : public Agent {
 public:
  explicit Holder(Container& c) : Agent(c) {
    expose("take", &Holder::take);
    expose("give_bytes", &Holder::give_bytes);
    expose("give_point", &Holder::give_point);
  }
  Value take(Value v) { return v; }
  Value give_bytes() { return Value(Bytes{'a', 'b'}); }
  Value give_point() { return Value::extension("Point", Value::array({1, 2})); }
};

// What a call through `proxy` ends with: "<where>: <error type>: <message>".
Task<std::string> outcome(AgentProxy proxy, std::string method, Value arg) {
  try {
    if (arg.is_null()) {
      (void)co_await proxy.call(method);
    } else {
      (void)co_await proxy.call(method, arg);
    }
    co_return "ok";
  } catch (const SerializationError& e) {
    co_return std::string("local SerializationError: ") + e.what();
  } catch (const RemoteException& e) {
    co_return "remote " + e.remote_type() + ": " + e.remote_message();
  }
}

struct Outcomes {
  std::string in_process;
  std::string across;
};

Outcomes both_ways(std::string method, Value arg) {
  Loop loop;
  auto a = Container::create(loop, "tcp://127.0.0.1:0");
  auto b = Container::create(loop, "tcp://127.0.0.1:0");
  auto& here = a->spawn<Holder>();
  auto& there = b->spawn<Holder>();
  Outcomes out;
  loop.run([&]() -> Task<> {
    out.in_process = co_await outcome(co_await a->connect(here.addr()), method, arg);
    out.across = co_await outcome(co_await a->connect(there.addr()), method, arg);
  }());
  loop.run(a->shutdown());
  loop.run(b->shutdown());
  return out;
}

TEST(CodecLimits, BytesUnderJsonFailAsArgumentTheSameWayInProcessAndAcrossContainers) {
  Outcomes o = both_ways("take", Value(Bytes{'x'}));
  EXPECT_EQ(o.across, "local SerializationError: Object of type bytes is not JSON serializable");
  EXPECT_EQ(o.in_process, o.across);
}

TEST(CodecLimits, AnUnregisteredTypeFailsAsArgumentTheSameWay) {
  Outcomes o = both_ways("take", Value::extension("Point", Value::array({1, 2})));
  EXPECT_EQ(o.across, "local SerializationError: extension type 'Point' is not registered with this codec (it registers 0 datetime, 1 proxy)");
  EXPECT_EQ(o.in_process, o.across);
}

TEST(CodecLimits, AResultTheCodecCannotCarryIsARemoteFailureBothWays) {
  Outcomes bytes = both_ways("give_bytes", Value());
  EXPECT_EQ(bytes.across,
            "remote aiomas.exceptions.SerializationError: Object of type bytes is not JSON serializable");
  EXPECT_EQ(bytes.in_process, bytes.across);
  Outcomes point = both_ways("give_point", Value());
  EXPECT_EQ(point.in_process, point.across);
  EXPECT_NE(point.across.find("'Point' is not registered"), std::string::npos) << point.across;
}

}  // namespace
