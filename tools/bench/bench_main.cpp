// uvmas-bench: every figure is printed beside a baseline measured in the same
// run, as a ratio next to its target; each figure is the
// median of alternating runs of the two sides.
//
//   uvmas-bench [--quick] [--repeat N] [--only serve|blosc|channel|tls]
//                                         every figure (or one group), each the
//                                         median of N alternating rounds (default 5, quick 3)
//   uvmas-bench --serve-ideal CODEC       only the ideal server (prints READY <url>),
//                                         for profiling it beside `uvmas serve`
//   uvmas-bench --client CODEC PORT COUNT IN_FLIGHT
//                                         only the client, against any add(1, 2) server

#include "bench.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace uvmas::bench {
namespace {

struct Row {
  const char* name;
  Pattern pattern;
  double target;
};

void print_ratio(const char* what, const char* base_name, const Medians& m, const char* target) {
  std::printf("%-42s %s %10.0f/s  uvmas %10.0f/s  ratio %.2fx  target %s\n", what, base_name, m.base, m.ours, m.ratio,
              target);
  std::fflush(stdout);
}

// One ratio line per codec and pattern: `base` and `ours` give a rate for a codec and pattern.
void compare_rows(const char* layer, const char* base_name, int rounds, const std::vector<Row>& rows,
                  const std::function<double(Format, Pattern)>& base,
                  const std::function<double(Format, Pattern)>& ours) {
  for (Format f : {Format::json, Format::msgpack}) {
    for (const Row& row : rows) {
      Medians m = alternate(
          rounds, [&] { return base(f, row.pattern); }, [&] { return ours(f, row.pattern); });
      char what[64], target[16];
      std::snprintf(what, sizeof what, "%s %-8s %s", layer, std::string(to_string(f)).c_str(), row.name);
      std::snprintf(target, sizeof target, ">= %.2fx", row.target);
      print_ratio(what, base_name, m, target);
    }
  }
}

// `uvmas serve` (the CLI, as users run it) against the ideal libuv server,
// both driven by the same raw client: add(1, 2) round trips.
void serve_figures(int rounds, const std::vector<Row>& rows) {
  const std::string uvmas = uvmas_program();
  std::printf("uvmas serve vs the ideal libuv server, add(1, 2), TCP loopback, same client (medians of %d alternating runs; ratio: the median of the rounds' ratios)\n",
              rounds);
  compare_rows(
      "serve", "ideal", rounds, rows, [](Format f, Pattern p) { return raw_rate(f, Payload::rpc_add, p); },
      [&uvmas](Format f, Pattern p) {
        return with_program({uvmas, "serve", "tcp://127.0.0.1:0", "--codec", std::string(to_string(f))},
                            [f, p](int port) { return raw_client(f, Payload::rpc_add, port, p); });
      });
}

// Encode + decode of a small request and its reply, as a channel does per call.
double codec_round_ns(const Codec& codec, std::size_t n) {
  const Value request = Value::array({0, 12345, Value::array({"add", Value::array({1, 2}), Value::map()})});
  const Value reply = Value::array({1, 12345, 3});
  std::string buf;
  std::size_t sink = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    buf.clear();
    codec.encode(request, buf);
    sink += codec.decode(buf).size();
    buf.clear();
    codec.encode(reply, buf);
    sink += codec.decode(buf).size();
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (sink == 42) std::puts("");
  return s / static_cast<double>(n) * 1e9;
}

void blosc_figures(int rounds, std::size_t n) {
  const Codec msgpack(Format::msgpack, std::make_shared<Serializers>());
  const Codec blosc(Format::msgpack_blosc, std::make_shared<Serializers>());
  Medians m = alternate(
      rounds, [&] { return codec_round_ns(msgpack, n); }, [&] { return codec_round_ns(blosc, n); });
  std::printf("%-42s msgpack %8.0f ns  msgpack_blosc %8.0f ns  ratio %.2fx  target <= 1.20x\n",
              "small frames: encode+decode request+reply", m.base, m.ours, m.ratio);
  std::fflush(stdout);
}

void channel_figures(int rounds, const std::vector<Row>& rows) {
  std::printf("\nchannel echo vs the raw libuv ping-pong (uvmas client and server vs raw client and server)\n");
  compare_rows(
      "channel", "raw  ", rounds, rows, [](Format f, Pattern p) { return raw_rate(f, Payload::echo, p); },
      [](Format f, Pattern p) {
        return with_server([f](const auto& ready) { channel_serve(f, ready); },
                           [f, p](int port) { return channel_client(f, port, p); });
      });
}

void tls_figures(int rounds, const std::vector<Row>& rows) {
  std::printf("\nrpc add(1, 2) over TLS (mutual, test certificates) vs plain TCP, msgpack, uvmas on both ends\n");
  for (const Row& row : rows) {
    Pattern p = row.pattern;
    Medians m = alternate(
        rounds,
        [&] {
          return with_server([](const auto& ready) { rpc_serve(Format::msgpack, false, ready); },
                             [p](int port) { return rpc_client(Format::msgpack, false, port, p); });
        },
        [&] {
          return with_server([](const auto& ready) { rpc_serve(Format::msgpack, true, ready); },
                             [p](int port) { return rpc_client(Format::msgpack, true, port, p); });
        });
    char what[64];
    std::snprintf(what, sizeof what, "rpc+tls  msgpack  %s", row.name);
    print_ratio(what, "tcp  ", m, "none");
  }
}

}  // namespace
}  // namespace uvmas::bench

int main(int argc, char** argv) {
  using namespace uvmas;
  using namespace uvmas::bench;
  try {
    if (argc == 3 && std::strcmp(argv[1], "--serve-ideal") == 0) {
      raw_serve(format_from_string(argv[2]), Payload::rpc_add, [](int port) {
        std::printf("READY tcp://127.0.0.1:%d\n", port);
        std::fflush(stdout);
      });
      return 0;
    }
    if (argc == 6 && std::strcmp(argv[1], "--client") == 0) {
      Pattern p{std::stoul(argv[4]), std::stoul(argv[5])};
      double rate = raw_client(format_from_string(argv[2]), Payload::rpc_add, std::stoi(argv[3]), p);
      std::printf("%.0f requests/s\n", rate);
      return 0;
    }
    bool quick = false;
    int rounds = 0;
    std::string only;
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--quick") {
        quick = true;
      } else if (arg == "--repeat" && i + 1 < argc) {
        rounds = std::stoi(argv[++i]);
        if (rounds < 1) throw std::invalid_argument("--repeat wants a count of at least 1");
      } else if (arg == "--only" && i + 1 < argc) {
        only = argv[++i];
      } else {
        throw std::invalid_argument("unknown argument '" + arg +
                                    "' (usage: uvmas-bench [--quick] [--repeat N] [--only serve|blosc|channel|tls])");
      }
    }
    if (rounds == 0) rounds = quick ? 3 : 5;
    auto wanted = [&only](const char* group) { return only.empty() || only == group; };
    const std::vector<Row> rows = {{"sequential", {quick ? 5'000u : 20'000u, 1}, 0.9},
                                   {"100 in flight", {quick ? 50'000u : 200'000u, 100}, 0.75}};
    if (wanted("serve")) serve_figures(rounds, rows);
    if (wanted("blosc")) blosc_figures(rounds, quick ? 20'000 : 100'000);
    if (wanted("channel")) channel_figures(rounds, rows);
    if (wanted("tls")) {
      try {
        tls_figures(rounds, rows);
      } catch (const std::exception& e) {
        std::printf("TLS figures skipped: %s\n", e.what());
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "uvmas-bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
