#pragma once
// Shared pieces of the benchmarks: a forked server process and the figures.

#include <uvmas/codecs/codec.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace uvmas::bench {

/// One round-trip measurement: `count` requests, `in_flight` outstanding at a time.
struct Pattern {
  std::size_t count;
  std::size_t in_flight;
};

/// Runs `serve(port_out)` in a child process (it must listen on 127.0.0.1:0,
/// report its port through `ready(port)` and then serve until killed), runs
/// `client(port)` here, and returns the client's requests per second.
double with_server(const std::function<void(const std::function<void(int)>& ready)>& serve,
                   const std::function<double(int port)>& client);

/// The raw libuv baseline: a server that decodes each frame with `codec`,
/// encodes the reply triple and writes it back, and a client doing the same.
void raw_serve(Format codec, const std::function<void(int)>& ready);
double raw_client(Format codec, int port, Pattern p);

/// The same exchange through uvmas channels.
void channel_serve(Format codec, const std::function<void(int)>& ready);
double channel_client(Format codec, int port, Pattern p);

}  // namespace uvmas::bench
