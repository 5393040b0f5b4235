// Custom types between containers: registered once with add_serializer<T>(),
// they travel both ways; a container that did not register them refuses the
// frame with an error naming the typeid and its own types (instead of taking
// the value for an agent reference), and goes on serving everyone else.

#include "support/point_type.hpp"

#include <uvmas/codecs/serializable.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/core/log.hpp>
#include <uvmas/framework/container.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace uvmas {
namespace {

using test::Point;

class Geometry : public Agent {
 public:
  explicit Geometry(Container& c) : Agent(c) {
    expose("mirror", &Geometry::mirror);
    expose("echo", &Geometry::echo);
  }
  Point mirror(Point p) { return {p.y, p.x}; }
  Value echo(Value v) { return v; }
};

Task<> mirror(Container* c, std::string url, Point* out) {
  AgentProxy g = co_await c->connect(url);
  *out = co_await g.call<Point>("mirror", Point{1, 2});
}

TEST(CustomTypes, ARegisteredTypeTravelsBetweenContainersBothWays) {
  for (Format codec : {Format::json, Format::msgpack, Format::msgpack_blosc}) {
    Loop loop;
    ContainerOptions options;
    options.codec = codec;
    options.add_serializer<Point>();
    EXPECT_EQ(options.extra_serializers, std::vector<std::string>{"Point"});
    auto a = Container::create(loop, "tcp://127.0.0.1:0", options);
    auto b = Container::create(loop, "tcp://127.0.0.1:0", options);
    auto& g = b->spawn<Geometry>();
    Point p;
    loop.run(mirror(a.get(), g.addr(), &p));
    EXPECT_EQ(p.x, 2);
    EXPECT_EQ(p.y, 1);
    loop.run(a->shutdown());
    loop.run(b->shutdown());
  }
}

Task<> send_point(Container* c, std::string url, std::string* error) {
  AgentProxy g = co_await c->connect(url);
  try {
    co_await g.call("echo", Point{1, 2});
  } catch (const ConnectionError& e) {
    *error = e.what();
  }
}

Task<> echo_text(Container* c, std::string url, std::string* reply) {
  AgentProxy g = co_await c->connect(url);
  *reply = co_await g.call<std::string>("echo", "still here");
}

TEST(CustomTypes, AContainerThatForgotTheTypeRefusesItClearlyAndServesTheOthers) {
  Loop loop;
  ContainerOptions with_point;
  with_point.add_serializer<Point>();
  auto sender = Container::create(loop, "tcp://127.0.0.1:0", with_point);
  auto plain = Container::create(loop, "tcp://127.0.0.1:0");
  auto other = Container::create(loop, "tcp://127.0.0.1:0");
  auto& g = plain->spawn<Geometry>();
  std::vector<std::string> logged;
  set_log_sink([&](LogLevel, std::string_view text) { logged.emplace_back(text); });
  std::string error;
  loop.run(send_point(sender.get(), g.addr(), &error));
  set_log_sink(nullptr);
  EXPECT_FALSE(error.empty());
  bool named = false;
  for (const auto& line : logged) {
    named = named || line.find("__type__ typeid 1 is 'proxy' here, whose data is a text, but got {'x': 1.0, "
                               "'y': 2.0}; this side registers 0 datetime, 1 proxy") != std::string::npos;
  }
  EXPECT_TRUE(named) << (logged.empty() ? "nothing logged" : logged.front());
  std::string reply;
  loop.run(echo_text(other.get(), g.addr(), &reply));
  EXPECT_EQ(reply, "still here");
  loop.run(sender->shutdown());
  loop.run(other->shutdown());
  loop.run(plain->shutdown());
}

}  // namespace
}  // namespace uvmas
