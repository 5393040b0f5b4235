// Routers in depth (docs/rpc.md): a service with a nested sub-router, a
// dict router that serves several services under names, optional and
// keyword arguments, and the errors of a path that names nothing.
//
// Usage: rpc_routers [ADDRESS]   (default tcp://127.0.0.1:0)

#include <uvmas/core/error.hpp>
#include <uvmas/framework/rpc.hpp>

#include <iostream>
#include <optional>
#include <string>

namespace {

// [snippet:service]
class Stats {
 public:
  static void expose_methods(uvmas::rpc::Methods<Stats>& m) { m.expose("calls", &Stats::calls); }
  uvmas::rpc::Router router{this};

  int calls() const { return calls_; }
  void count() { ++calls_; }

 private:
  int calls_ = 0;
};

class Calculator {
 public:
  static void expose_methods(uvmas::rpc::Methods<Calculator>& m) {
    // Parameter names make keyword arguments work; without them a call
    // with keyword arguments is refused.
    m.expose("add", &Calculator::add, {"a", "b"});
    m.expose("scale", &Calculator::scale, {"x", "factor"});
    m.expose("stats", &Calculator::stats);  // a member serving a router: "stats/calls"
  }
  uvmas::rpc::Router router{this};

  int add(int a, int b) { return stats.count(), a + b; }
  // A trailing std::optional parameter may be left out, like a Python default.
  double scale(double x, std::optional<double> factor) { return stats.count(), x * factor.value_or(2.0); }

  Stats stats;
};
// [end:service]

uvmas::Task<> client(uvmas::Loop& loop, std::string address) {
  auto con = co_await uvmas::rpc::open_connection(loop, address);
  // [snippet:paths]
  uvmas::rpc::Proxy calc = con.remote()["calc"];
  std::cout << "calc/add(3, 4) = " << co_await calc.call<int>("add", 3, 4) << "\n";
  std::cout << "calc/scale(1.5) = " << co_await calc.call<double>("scale", 1.5) << "\n";
  std::cout << "calc/stats/calls() = " << co_await calc["stats"].call<int>("calls") << "\n";
  std::cout << "greeter/hello('Ada') = " << co_await con.remote()["greeter"].call<std::string>("hello", "Ada")
            << "\n";
  // [end:paths]

  // [snippet:kwargs]
  // scale(1.5, factor=10): positional arguments as an Array, keywords as a Map.
  // Build both before the co_await: GCC 12 rejects a braced list inside a
  // co_await expression ("co_await calc.call_kw(..., {1.5}, ...)" does not compile).
  uvmas::Array args{1.5};
  uvmas::Map kwargs{{"factor", 10.0}};
  double scaled = co_await calc.call_kw<double>("scale", std::move(args), std::move(kwargs));
  std::cout << "calc/scale(1.5, factor=10) = " << scaled << "\n";
  // [end:kwargs]

  // [snippet:errors]
  for (const char* path : {"nope", "stats/nope"}) {
    try {
      co_await calc.call(path);
    } catch (const uvmas::RemoteException& e) {
      std::cout << e.remote_type() << ": " << e.remote_message() << "\n";
    }
  }
  try {
    co_await calc.call("add", "3", 4);
  } catch (const uvmas::RemoteException& e) {
    std::cout << e.remote_type() << ": " << e.remote_message() << "\n";
  }
  // [end:errors]
  co_await con.close();
}

}  // namespace

int main(int argc, char** argv) {
  std::string address = argc > 1 ? argv[1] : "tcp://127.0.0.1:0";
  uvmas::Loop loop;
  // [snippet:dict]
  Calculator calculator;
  uvmas::rpc::Router greeter{"__main__.Greeter"};
  greeter.expose("hello", [](std::string name) { return "Hello, " + name + "!"; });

  uvmas::rpc::Router services;  // a dict router: each entry a service
  services.add_sub("calc", calculator.router);
  services.add_sub("greeter", greeter);
  auto server = uvmas::rpc::start_server(loop, address, services);
  // [end:dict]
  loop.run(client(loop, server->address().url()));
  loop.run(server->shutdown());
  return 0;
}
