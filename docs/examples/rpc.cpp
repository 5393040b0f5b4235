// aiomas README, example 2 (RPC layer), in uvmas: a MathServer exposes add();
// the client calls it remotely and prints the answer.

#include <uvmas/framework/rpc.hpp>

#include <iostream>

// [snippet:example]
class MathServer {
 public:
  // What the class exposes, declared once for all its objects (aiomas's
  // @expose). Errors name it as aiomas would: "__main__.MathServer".
  static void expose_methods(uvmas::rpc::Methods<MathServer>& m) { m.expose("add", &MathServer::add, {"a", "b"}); }

  uvmas::rpc::Router router{this};

  int add(int a, int b) { return a + b; }
};

uvmas::Task<> client(uvmas::Loop& loop, std::string address) {
  auto rpc_con = co_await uvmas::rpc::open_connection(loop, address);
  int rep = co_await rpc_con.remote().call<int>("add", 3, 4);
  std::cout << "What\u2019s 3 + 4? " << rep << "\n";
  co_await rpc_con.close();
}

int main(int argc, char** argv) {
  // aiomas uses localhost:5555; port 0 picks a free port so tests can run in parallel.
  std::string address = argc > 1 ? argv[1] : "tcp://127.0.0.1:0";
  uvmas::Loop loop;
  MathServer math;
  auto server = uvmas::rpc::start_server(loop, address, math.router);
  loop.run(client(loop, server->address().url()));
  return 0;
}
// [end:example]
