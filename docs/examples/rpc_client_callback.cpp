// An RPC server that calls its clients (docs/rpc.md): the server is told of
// every connection it accepts (aiomas's client_connected_cb) and calls the client
// back on it at once, before the client has asked for anything.

#include <uvmas/core/task_group.hpp>
#include <uvmas/core/wait_list.hpp>
#include <uvmas/framework/rpc.hpp>

#include <iostream>
#include <string>

namespace {

uvmas::Task<> greet(uvmas::rpc::Connection client) {
  std::string name = co_await client.remote().call<std::string>("name");
  std::cout << "server: " << name << " connected\n";
}

uvmas::Task<> client(uvmas::Loop& loop, std::string address) {
  uvmas::Event asked(loop);
  uvmas::rpc::Router mine{"__main__.Client"};
  mine.expose("name", [&] {
    asked.set();
    return std::string("client 1");
  });
  auto con = co_await uvmas::rpc::open_connection(loop, address, mine);
  co_await asked.wait();
  std::cout << "client: the server asked my name\n";
  co_await con.close();
}

}  // namespace

int main() {
  uvmas::Loop loop;
  uvmas::rpc::Router root{"__main__.Server"};
  // [snippet:server]
  uvmas::TaskGroup calls(loop);
  auto server = uvmas::rpc::start_server(loop, "tcp://127.0.0.1:0", root, uvmas::ChannelOptions{},
                                         [&](uvmas::rpc::Connection client) { calls.spawn(greet(client)); });
  // [end:server]
  loop.run(client(loop, server->address().url()));
  loop.run(calls.join());
  loop.run(server->shutdown());
  return 0;
}
