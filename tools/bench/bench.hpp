#pragma once
// Shared pieces of the benchmarks: forked server processes, the raw libuv
// baseline, and the alternating-runs comparison every figure is printed with.

#include <uvmas/codecs/codec.hpp>
#include <uvmas/core/loop.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace uvmas::bench {

/// One round-trip measurement: `count` requests, `in_flight` outstanding at a time.
struct Pattern {
  std::size_t count;
  std::size_t in_flight;
};

/// Serves on `loop` until the process is killed (run_until_idle would
/// return at once: a listener waiting for clients is idle).
void serve_until_killed(Loop& loop);

/// Runs `serve(port_out)` in a child process (it must listen on 127.0.0.1:0,
/// report its port through `ready(port)` and then serve until killed), runs
/// `client(port)` here, and returns the client's requests per second.
double with_server(const std::function<void(const std::function<void(int)>& ready)>& serve,
                   const std::function<double(int port)>& client);

/// Runs the program `argv` (which must print `READY <url with :port>` on its
/// stdout once listening), runs `client(port)` here, then stops the program.
double with_program(const std::vector<std::string>& argv, const std::function<double(int port)>& client);

/// The path of the `uvmas` CLI built beside this benchmark.
std::string uvmas_program();

/// What a request carries and how the raw server computes its reply: the
/// channel bench echoes "ping"; the rpc bench sends ["add", [1, 2], {}] and
/// expects 3, so the baseline does the same codec work as uvmas.
enum class Payload { echo, rpc_add };

/// The ideal libuv server: one loop, per frame decode with `codec`, compute
/// the reply, encode it into the connection's output buffer; one write per
/// read batch (uv_try_write first, uv_write for what the kernel did not take).
void raw_serve(Format codec, Payload payload, const std::function<void(int)>& ready);
/// The raw libuv client (the same for every server it is pointed at). It
/// checks every reply (a RESULT with the expected value) and throws otherwise.
double raw_client(Format codec, Payload payload, int port, Pattern p);

/// Requests per second of the raw client against the ideal server (one run, server forked).
double raw_rate(Format codec, Payload payload, Pattern p);

/// RPC add(1, 2) through uvmas rpc connections, optionally over TLS (test certificates).
void rpc_serve(Format codec, bool tls, const std::function<void(int)>& ready);
double rpc_client(Format codec, bool tls, int port, Pattern p);

/// The same exchange through uvmas channels.
void channel_serve(Format codec, const std::function<void(int)>& ready);
double channel_client(Format codec, int port, Pattern p);

/// The median of `v` (not empty).
double median(std::vector<double> v);

/// Medians of alternating runs of a baseline and of uvmas (the machine is
/// shared and noisy: alternating spreads the noise over both sides).
struct Medians {
  double base;
  double ours;
  /// The median of each round's ours / base: a round's two runs share the
  /// machine's load of the moment, so their ratio is steadier than either.
  double ratio;
};
Medians alternate(int rounds, const std::function<double()>& base, const std::function<double()>& ours);

}  // namespace uvmas::bench
