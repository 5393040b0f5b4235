// `uvmas demo`: runs the main demonstration. Until the agent layer lands this
// is aiomas's first README example (a channel client and server).

#include "commands.hpp"

#include <uvmas/framework/channel.hpp>

#include <iostream>

namespace uvmas::cli {

namespace {
Task<> handle_client(Channel channel) {
  Request req = co_await channel.recv();
  std::cout << req.content().as_string() << std::endl;  // ohai
  co_await req.reply("cya");
}

Task<> client(Loop& loop, std::string address) {
  Channel channel = co_await open_connection(loop, address);
  Value rep = co_await channel.send("ohai");
  std::cout << rep.as_string() << std::endl;  // cya
  co_await channel.close();
}

int run_demo() {
  Loop loop;
  auto server = start_server(loop, "tcp://127.0.0.1:0", handle_client);
  loop.run(client(loop, server->address().url()));
  return 0;
}
}  // namespace

void add_demo_command(CLI::App& app, Action& action) {
  app.add_subcommand("demo", "Run the main demonstration")->callback([&action] { action = run_demo; });
}

}  // namespace uvmas::cli
