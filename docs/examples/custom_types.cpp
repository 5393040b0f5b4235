// Custom types end to end (docs/codecs.md): a Point type registered once,
// passed to and returned from an agent in another container, and what
// happens when a container forgot to register it.

#include <uvmas/codecs/serializable.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/core/log.hpp>
#include <uvmas/framework/container.hpp>

#include <iostream>
#include <string>

// [snippet:type]
struct Point {
  double x = 0;
  double y = 0;
};

// The one place that knows how a Point travels: its name and its data.
template <>
struct uvmas::ValueTraits<Point> : uvmas::Serializable<Point> {
  static constexpr std::string_view type_name = "Point";
  static Value to_data(const Point& p) { return Value::map({{"x", p.x}, {"y", p.y}}); }
  static Point from_data(const Value& v) { return {v.at("x").as<double>(), v.at("y").as<double>()}; }
};
// [end:type]

namespace {

// [snippet:agent]
class Geometry : public uvmas::Agent {
 public:
  static void expose_methods(uvmas::rpc::Methods<Geometry>& m) {
    m.expose("mirror", &Geometry::mirror);
    m.expose("show", &Geometry::show);
  }
  explicit Geometry(uvmas::Container& c) : Agent(c) {}
  Point mirror(Point p) { return {p.y, p.x}; }            // a Point in, a Point out
  std::string show(uvmas::Value v) { return uvmas::to_repr(v); }  // whatever arrives
};
// [end:agent]

uvmas::Task<> use(uvmas::Container& client, std::string geometry_addr) {
  // [snippet:call]
  uvmas::AgentProxy geometry = co_await client.connect(geometry_addr);
  Point p = co_await geometry.call<Point>("mirror", Point{1, 2});
  std::cout << "mirrored: (" << p.x << ", " << p.y << ")\n";
  // [end:call]
}

uvmas::Task<> forgot(uvmas::Container& client, std::string geometry_addr) {
  // [snippet:forgot]
  uvmas::AgentProxy geometry = co_await client.connect(geometry_addr);
  try {
    co_await geometry.call("show", Point{1, 2});
  } catch (const uvmas::ConnectionError& e) {
    std::cout << "call failed: " << e.what() << "\n";
  }
  // [end:forgot]
}

}  // namespace

int main() {
  uvmas::Loop loop;
  // [snippet:register]
  uvmas::ContainerOptions options;
  options.add_serializer<Point>();  // typeid 1 (0 is the date, agent references come last)
  auto server = uvmas::Container::create(loop, "tcp://127.0.0.1:0", options);
  auto client = uvmas::Container::create(loop, "tcp://127.0.0.1:0", options);
  // [end:register]
  auto& geometry = server->spawn<Geometry>();
  loop.run(use(*client, geometry.addr()));

  // A container that did not register Point reads typeid 1 as its agent
  // references: it refuses the frame and says why.
  uvmas::set_log_sink([](uvmas::LogLevel, std::string_view text) {
    std::string line(text);
    std::cout << "log: " << line.substr(line.find("undecodable")) << "\n";
  });
  auto plain = uvmas::Container::create(loop, "tcp://127.0.0.1:0");
  auto& plain_geometry = plain->spawn<Geometry>();
  loop.run(forgot(*client, plain_geometry.addr()));
  uvmas::set_log_sink(nullptr);

  loop.run(client->shutdown());
  loop.run(server->shutdown());
  loop.run(plain->shutdown());
  return 0;
}
