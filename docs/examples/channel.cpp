// aiomas README, example 1 (channel layer), in uvmas: the server prints the
// client's "ohai" and answers "cya", which the client prints.

#include <uvmas/framework/channel.hpp>

#include <iostream>

// [snippet:example]
uvmas::Task<> handle_client(uvmas::Channel channel) {
  auto req = co_await channel.recv();
  std::cout << req.content().as_string() << "\n";  // ohai
  co_await req.reply("cya");
  co_await channel.close();
}

uvmas::Task<> client(uvmas::Loop& loop, std::string address) {
  auto channel = co_await uvmas::open_connection(loop, address);
  auto rep = co_await channel.send("ohai");
  std::cout << rep.as_string() << "\n";  // cya
  co_await channel.close();
}

int main(int argc, char** argv) {
  // aiomas uses localhost:5555; port 0 picks a free port so tests can run in parallel.
  std::string address = argc > 1 ? argv[1] : "tcp://127.0.0.1:0";
  uvmas::Loop loop;
  auto server = uvmas::start_server(loop, address, handle_client);
  loop.run(client(loop, server->address().url()));
  return 0;
}
// [end:example]
