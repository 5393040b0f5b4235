// The channel layer in depth (docs/channel.md): a server that answers many
// requests per connection and fails the ones it cannot handle, a client
// with several requests in flight, and what each side sees when the other
// closes.
//
// Usage: channel_server [ADDRESS]   (default tcp://127.0.0.1:0; ipc://[PATH] works too)

#include <uvmas/core/error.hpp>
#include <uvmas/framework/channel.hpp>

#include <iostream>
#include <string>
#include <vector>

namespace {

// [snippet:server]
// Runs once per accepted connection, as its own task.
uvmas::Task<> double_numbers(uvmas::Channel channel) {
  try {
    for (;;) {
      uvmas::Request req = co_await channel.recv();
      if (req.content().is_int()) {
        co_await req.reply(2 * req.content().as_int());
      } else {
        co_await req.fail(uvmas::ValueError("not a number: " + uvmas::to_repr(req.content())));
      }
    }
  } catch (const uvmas::ConnectionError&) {
    // recv() throws once the client has closed and no request is left:
    // this connection's task ends, the server goes on.
  }
}
// [end:server]

uvmas::Task<> ask(uvmas::Channel channel, int n, std::vector<int>& replies) {
  uvmas::Value reply = co_await channel.send(n);
  replies.push_back(static_cast<int>(reply.as_int()));
}

uvmas::Task<> client(uvmas::Loop& loop, std::string address) {
  // [snippet:send]
  uvmas::Channel channel = co_await uvmas::open_connection(loop, address);
  uvmas::Value reply = co_await channel.send(21);
  std::cout << "21 doubled is " << reply.as_int() << "\n";
  // [end:send]

  // [snippet:in-flight]
  // Three requests in flight on one channel; replies are matched by id.
  std::vector<int> replies;
  uvmas::TaskGroup group(loop);
  for (int n : {1, 2, 3}) group.spawn(ask(channel, n, replies));
  co_await group.join();
  std::cout << "in flight: " << replies.size() << " replies, " << channel.pending() << " pending\n";
  // [end:in-flight]

  // [snippet:fail]
  try {
    co_await channel.send("forty-two");
  } catch (const uvmas::RemoteException& e) {
    std::cout << "remote " << e.remote_type() << ": " << e.remote_message() << "\n";
  }
  // [end:fail]

  // [snippet:close]
  co_await channel.close();
  try {
    co_await channel.send(1);
  } catch (const uvmas::ConnectionError& e) {
    std::cout << "after close: " << e.what() << "\n";
  }
  // [end:close]
}

}  // namespace

int main(int argc, char** argv) {
  std::string address = argc > 1 ? argv[1] : "tcp://127.0.0.1:0";
  // [snippet:main]
  uvmas::Loop loop;
  auto server = uvmas::start_server(loop, address, double_numbers);
  loop.run(client(loop, server->address().url()));
  loop.run(server->shutdown());
  // [end:main]
  return 0;
}
