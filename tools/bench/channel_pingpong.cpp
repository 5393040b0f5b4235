// The same ping-pong through uvmas channels (server: recv + reply; client:
// send and await the reply), for the ratio against the raw baseline.

#include "bench.hpp"

#include <uvmas/framework/channel.hpp>

#include <chrono>

namespace uvmas::bench {

namespace {
Task<> echo(Channel ch) {
  for (;;) {
    Request req = co_await ch.recv();
    Value v = std::move(req.content());
    co_await req.reply(std::move(v));
  }
}

Task<> worker(Channel ch, std::size_t& remaining) {
  while (remaining > 0) {
    --remaining;
    (void)co_await ch.send("ping");
  }
}

Task<double> drive(Loop& loop, std::string address, ChannelOptions options, Pattern p) {
  Channel ch = co_await open_connection(loop, address, options);
  TaskGroup group(loop);
  std::size_t remaining = p.count;
  auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < p.in_flight; ++i) group.spawn(worker(ch, remaining));
  co_await group.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  co_return static_cast<double>(p.count) / seconds;
}
}  // namespace

void channel_serve(Format format, const std::function<void(int)>& ready) {
  Loop loop;
  ChannelOptions options;
  options.codec = format;
  auto server = start_server(loop, "tcp://127.0.0.1:0", echo, options);
  ready(server->address().port);
  serve_until_killed(loop);
}

double channel_client(Format format, int port, Pattern p) {
  Loop loop;
  ChannelOptions options;
  options.codec = format;
  return loop.run(drive(loop, "tcp://127.0.0.1:" + std::to_string(port), options, p));
}

}  // namespace uvmas::bench
