// uvmas-load: a load generator for any aiomas-protocol server (uvmas serve, a
// uvmas container, Python aiomas): N connections × M calls each, one at a time
// or K in flight per connection. Prints throughput, latency percentiles and,
// given the server's pid, its resident memory (sampled every 100 ms).
//
//   uvmas-load ADDRESS [-c N] [-n M] [-p K] [--method PATH] [--args JSON]
//              [--codec json|msgpack|msgpack_blosc] [--pid PID] [--timeout S]

#include <uvmas/clocks/timeout.hpp>
#include <uvmas/clocks/wall_clock.hpp>
#include <uvmas/codecs/codec.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/core/task_group.hpp>
#include <uvmas/framework/channel.hpp>

#include <uv.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

using namespace uvmas;

struct Settings {
  std::string address;
  int connections = 10;
  int calls = 1000;     // per connection
  int in_flight = 1;    // per connection
  std::string method = "add";
  std::string args = "[1, 2]";
  Format codec = Format::json;
  int pid = 0;
  double timeout = 30.0;  // per call
};

struct Totals {
  std::vector<double> latencies;  // seconds, one per successful call
  std::size_t errors = 0;
  std::string first_error;
  std::size_t peak_rss = 0;
  bool running = true;
};

std::size_t resident_bytes(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

Task<> worker(Channel ch, Clock* clock, const Settings* s, Value content, int calls, Totals* totals) {
  for (int i = 0; i < calls; ++i) {
    const std::uint64_t start = uv_hrtime();
    try {
      (void)co_await with_timeout(*clock, s->timeout, ch.send(content));
      totals->latencies.push_back(static_cast<double>(uv_hrtime() - start) * 1e-9);
    } catch (const std::exception& e) {
      if (totals->errors++ == 0) totals->first_error = e.what();
      if (ch.closed()) co_return;
    }
  }
}

Task<> connection(Loop* loop, Clock* clock, const Settings* s, Value content, Totals* totals) {
  ChannelOptions options;
  options.codec = s->codec;
  Channel ch;
  try {
    ch = co_await open_connection(*loop, s->address, options);
  } catch (const std::exception& e) {
    if (totals->errors++ == 0) totals->first_error = e.what();
    co_return;
  }
  TaskGroup workers(*loop, "load worker");
  for (int k = 0; k < s->in_flight; ++k) {
    const int share = s->calls / s->in_flight + (k < s->calls % s->in_flight ? 1 : 0);
    workers.spawn(worker(ch, clock, s, content, share, totals));
  }
  co_await workers.join();
  co_await ch.close();
}

Task<> sample_rss(Clock* clock, const Settings* s, Totals* totals) {
  while (totals->running) {
    totals->peak_rss = std::max(totals->peak_rss, resident_bytes(s->pid));
    co_await clock->sleep(0.1);
  }
}

Task<double> run_load(Loop* loop, const Settings* s, Value content, Totals* totals) {
  WallClock clock(*loop);
  TaskGroup sampler(*loop, "rss sampler");
  if (s->pid > 0) sampler.spawn(sample_rss(&clock, s, totals));
  const std::uint64_t start = uv_hrtime();
  {
    TaskGroup all(*loop, "load connection");
    for (int c = 0; c < s->connections; ++c) all.spawn(connection(loop, &clock, s, content, totals));
    co_await all.join();
  }
  const double elapsed = static_cast<double>(uv_hrtime() - start) * 1e-9;
  totals->running = false;
  if (s->pid > 0) totals->peak_rss = std::max(totals->peak_rss, resident_bytes(s->pid));
  sampler.cancel();
  co_return elapsed;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const std::size_t i = std::min(sorted.size() - 1, static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[i];
}

int usage(const char* why) {
  if (why) std::cerr << "uvmas-load: " << why << "\n";
  std::cerr << "usage: uvmas-load ADDRESS [-c CONNECTIONS] [-n CALLS_PER_CONNECTION] [-p IN_FLIGHT]\n"
               "                  [--method PATH] [--args JSON_LIST] [--codec json|msgpack|msgpack_blosc]\n"
               "                  [--pid SERVER_PID] [--timeout SECONDS]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto next = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
        return argv[++i];
      };
      if (a == "-c" || a == "--connections") s.connections = std::stoi(next());
      else if (a == "-n" || a == "--calls") s.calls = std::stoi(next());
      else if (a == "-p" || a == "--in-flight") s.in_flight = std::stoi(next());
      else if (a == "--method") s.method = next();
      else if (a == "--args") s.args = next();
      else if (a == "--codec") s.codec = format_from_string(next());
      else if (a == "--pid") s.pid = std::stoi(next());
      else if (a == "--timeout") s.timeout = std::stod(next());
      else if (a == "-h" || a == "--help") {
        usage(nullptr);
        return 0;
      }
      else if (!a.empty() && a[0] == '-') throw std::invalid_argument("unknown option " + a);
      else s.address = a;
    }
  } catch (const std::exception& e) {
    return usage(e.what());
  }
  if (s.address.empty()) return usage("no address given");
  if (s.connections < 1 || s.calls < 1 || s.in_flight < 1 || !(s.timeout > 0)) return usage("counts and timeout must be positive");
  Value args;
  try {
    args = Codec(Format::json).decode(s.args);
  } catch (const std::exception& e) {
    return usage((std::string("--args: ") + e.what()).c_str());
  }
  if (!args.is_array()) return usage("--args must be a JSON list");
  Array triple;
  triple.emplace_back(s.method);
  triple.emplace_back(std::move(args));
  triple.emplace_back(Map{});
  const Value content(std::move(triple));

  Loop loop;
  Totals totals;
  totals.latencies.reserve(static_cast<std::size_t>(s.connections) * static_cast<std::size_t>(s.calls));
  const double elapsed = loop.run(run_load(&loop, &s, content, &totals));
  loop.run_until_idle();

  std::sort(totals.latencies.begin(), totals.latencies.end());
  const std::size_t ok = totals.latencies.size();
  std::printf("load: %d connections x %d calls of %s, %d in flight per connection, %s\n", s.connections, s.calls,
              s.method.c_str(), s.in_flight, std::string(to_string(s.codec)).c_str());
  std::printf("calls: %zu ok, %zu failed in %.3f s: %.0f calls/s\n", ok, totals.errors, elapsed,
              static_cast<double>(ok) / elapsed);
  std::printf("latency ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n", percentile(totals.latencies, 50) * 1e3,
              percentile(totals.latencies, 90) * 1e3, percentile(totals.latencies, 99) * 1e3,
              percentile(totals.latencies, 99.9) * 1e3, (ok ? totals.latencies.back() : 0) * 1e3);
  if (s.pid > 0) {
    std::printf("server rss: %.1f MB now, %.1f MB peak (sampled every 100 ms, pid %d)\n",
                static_cast<double>(resident_bytes(s.pid)) / (1 << 20), static_cast<double>(totals.peak_rss) / (1 << 20),
                s.pid);
  }
  if (totals.errors) std::printf("first error: %s\n", totals.first_error.c_str());
  return totals.errors == 0 ? 0 : 1;
}
