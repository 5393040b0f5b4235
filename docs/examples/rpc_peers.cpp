// Both sides of an RPC connection (docs/rpc.md): a client that passes its
// own service so the server can call it back, a remote exception with its
// traceback, and calls that fail when the connection is lost.
//
// Usage: rpc_peers [ADDRESS]   (default tcp://127.0.0.1:0)

#include <uvmas/core/error.hpp>
#include <uvmas/core/wait_list.hpp>
#include <uvmas/framework/rpc.hpp>

#include <iostream>
#include <string>

namespace {

// [snippet:server]
class Server {
 public:
  static void expose_methods(uvmas::rpc::Methods<Server>& m) {
    m.expose("register", &Server::register_client);
    m.expose("divide", &Server::divide);
    m.expose("slow", &Server::slow);
  }
  uvmas::rpc::Router router{this};
  uvmas::Event slow_call_arrived;

  explicit Server(uvmas::Loop& loop) : slow_call_arrived(loop), never_(loop) {}

  // The client's service arrives as a proxy bound to this connection.
  uvmas::Task<std::string> register_client(uvmas::rpc::Proxy client) {
    std::string name = co_await client.call<std::string>("name");
    co_return "welcome, " + name;
  }

  double divide(double a, double b) {
    if (b == 0) throw uvmas::ValueError("cannot divide by zero");
    return a / b;
  }

  // Never answers; the connection is shut down while the client waits.
  uvmas::Task<> slow() {
    slow_call_arrived.set();
    co_await never_.wait();
  }

 private:
  uvmas::Event never_;
};
// [end:server]

uvmas::Task<> client(uvmas::Loop& loop, std::string address) {
  // [snippet:callback]
  uvmas::rpc::Router mine{"__main__.Client"};
  mine.expose("name", [] { return std::string("client 1"); });
  // Serving `mine` on the connection lets the server call us back on it.
  auto con = co_await uvmas::rpc::open_connection(loop, address, mine);
  std::cout << co_await con.remote().call<std::string>("register", mine) << "\n";
  // [end:callback]

  // [snippet:exception]
  try {
    co_await con.remote().call<double>("divide", 1, 0);
  } catch (const uvmas::RemoteException& e) {
    std::cout << "RemoteException: " << e.remote_type() << ": " << e.remote_message() << "\n";
    // e.origin() is the peer's address, e.remote_traceback() the whole text it sent.
  }
  // [end:exception]

  // [snippet:lost]
  con.channel().on_close([](std::string_view reason) { std::cout << "closed: " << reason << "\n"; });
  try {
    co_await con.remote().call("slow");
  } catch (const uvmas::ConnectionError& e) {
    std::cout << "pending call failed: ConnectionError\n";
  }
  // [end:lost]
}

}  // namespace

int main(int argc, char** argv) {
  std::string address = argc > 1 ? argv[1] : "tcp://127.0.0.1:0";
  uvmas::Loop loop;
  Server server(loop);
  auto listener = uvmas::rpc::start_server(loop, address, server.router);
  // [snippet:shutdown]
  loop.spawn([](Server& s, uvmas::Server& l) -> uvmas::Task<> {
    co_await s.slow_call_arrived.wait();
    co_await l.shutdown();  // closes every connection: the client's pending call fails
  }(server, *listener));
  // [end:shutdown]
  loop.run(client(loop, listener->address().url()));
  return 0;
}
