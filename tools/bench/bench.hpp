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

/// What a request carries and how the raw server computes its reply: the
/// channel bench echoes "ping"; the rpc bench sends ["add", [1, 2], {}] and
/// expects 3, so the baseline does the same codec work as uvmas.
enum class Payload { echo, rpc_add };

/// The raw libuv baseline: a server that decodes each frame with `codec`,
/// encodes the reply triple and writes it back, and a client doing the same.
void raw_serve(Format codec, Payload payload, const std::function<void(int)>& ready);
double raw_client(Format codec, Payload payload, int port, Pattern p);

/// RPC add(1, 2) through uvmas rpc connections, optionally over TLS (test certificates).
void rpc_serve(Format codec, bool tls, const std::function<void(int)>& ready);
double rpc_client(Format codec, bool tls, int port, Pattern p);

/// The same exchange through uvmas channels.
void channel_serve(Format codec, const std::function<void(int)>& ready);
double channel_client(Format codec, int port, Pattern p);

}  // namespace uvmas::bench
