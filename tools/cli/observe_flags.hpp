#pragma once
// --trace DIR, --metrics HOST:PORT and --record FILE, shared by the
// sub-commands that serve (see docs/observe.md).

#include <uvmas/framework/observe.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>

namespace uvmas::cli {

struct ObserveFlags {
  std::string trace_dir, metrics, record;

  /// Adds --trace, and --metrics and --record where `serving` (serve, container).
  void add_to(CLI::App* cmd, bool serving) {
    cmd->add_option("--trace", trace_dir, "Write a trace (JSON lines) into DIR; merge with `uvmas trace DIR`")
        ->option_text("DIR");
    if (!serving) return;
    cmd->add_option("--metrics", metrics, "Serve Prometheus metrics at http://HOST:PORT/metrics (port 0: any)")
        ->option_text("HOST:PORT");
    cmd->add_option("--record", record, "Record every frame received and sent to FILE; replay with `uvmas replay FILE`")
        ->option_text("FILE");
  }
  bool any() const { return !trace_dir.empty() || !metrics.empty() || !record.empty(); }
  /// The options for an Observer; `program` is the command line `uvmas replay` runs again.
  ObserveOptions options(std::string program) const {
    ObserveOptions o;
    o.metrics = !metrics.empty();
    o.trace_dir = trace_dir;
    o.record_file = record;
    o.program = std::move(program);
    return o;
  }
  /// Starts the metrics endpoint if asked for (throws when it cannot listen).
  std::unique_ptr<MetricsEndpoint> serve(Loop& loop, const Observer* observer) const {
    if (metrics.empty() || !observer) return nullptr;
    return serve_metrics(loop, metrics, *observer);
  }
  /// Prints `METRICS http://HOST:PORT/metrics` (after the READY line) when there is an endpoint.
  static void announce(const MetricsEndpoint* endpoint) {
    if (!endpoint) return;
    const Address& a = endpoint->address();
    const bool v6 = a.host.find(':') != std::string::npos;
    std::cout << "METRICS http://" << (v6 ? "[" + a.host + "]" : a.host) << ":" << a.port << "/metrics" << std::endl;
  }
};

}  // namespace uvmas::cli
