// `uvmas demo`: a multi-agent simulation of one day on a low-voltage feeder.
// Households live in a container in a child process (`uvmas subproc`), the
// aggregator in this process; both containers run on ExternalClocks that the
// demo steps in 15-minute intervals, and every call crosses a real socket.

#include "commands.hpp"
#include "demo_agents.hpp"

#include <uvmas/framework/subproc.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

namespace uvmas::cli {

namespace {

constexpr int households = 24;
constexpr double capacity_kw = 50.0;
constexpr int steps = 96;  // one day in 15-minute intervals

std::string self_executable() {
  char path[4096];
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  return n > 0 ? std::string(path, static_cast<std::size_t>(n)) : std::string("uvmas");
}

std::string bar(double value, double scale, int width) {
  int filled = std::clamp(static_cast<int>(value / scale * width + 0.5), 0, width);
  std::string s;
  for (int i = 0; i < width; ++i) s += i < filled ? "#" : ".";
  return s;
}

Task<int> simulate(Container* home, std::string trace_dir) {
  auto t0 = std::chrono::steady_clock::now();
  auto& aggregator = home->spawn<Aggregator>(households, capacity_kw);
  std::cout << "uvmas demo: " << households << " households (child process) and an aggregator (this process),\n"
            << "feeder capacity " << capacity_kw << " kW, one simulated day in 15-minute steps\n\n";
  std::vector<std::string> argv = {self_executable(), "subproc", "tcp://127.0.0.1:0", "--clock", "external"};
  if (!trace_dir.empty()) {  // the households' container traces into the same directory
    argv.push_back("--trace");
    argv.push_back(trace_dir);
  }
  auto child = co_await subproc::ChildContainer::start(*home, argv);
  std::vector<AgentProxy> homes;
  for (int i = 0; i < households; ++i) {
    Array args;
    args.push_back(Value(i));
    args.push_back(Value(aggregator.addr()));
    homes.push_back(co_await child->spawn("Household", std::move(args), Map{}));
  }
  for (auto& h : homes) (void)co_await h.call<Value>("start");

  double peak_demand = 0, peak_delivered = 0, curtailed_kwh = 0, energy_kwh = 0;
  ExternalClock& clock = *home->external_clock();
  for (int step = 1; step <= steps; ++step) {
    double t = step * 900.0;
    clock.set_time(t);
    co_await child->set_time(t);
    StepSummary s = co_await aggregator.step_done(step);
    peak_demand = std::max(peak_demand, s.demand_kw);
    peak_delivered = std::max(peak_delivered, s.delivered_kw);
    curtailed_kwh += s.curtailed_kw * 0.25;
    energy_kwh += s.delivered_kw * 0.25;
    if (step % 4 == 0) {
      int hour = step / 4;
      std::printf("%02d:00 |%s| %5.1f kW wanted, %5.1f kW delivered%s\n", hour % 24,
                  bar(s.delivered_kw, 80.0, 40).c_str(), s.demand_kw, s.delivered_kw,
                  s.curtailed_kw > 0 ? "  (load shifted)" : "");
      std::fflush(stdout);
    }
  }
  int status = co_await child->stop();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("\nsummary: peak %.1f kW wanted -> %.1f kW delivered (capacity %.1f kW); %.1f kWh delivered, "
              "%.1f kWh shifted or shed;\n         %zu messages between two processes, %.2f s wall time; child exit "
              "status %d\n",
              peak_demand, peak_delivered, capacity_kw, energy_kwh, curtailed_kwh, aggregator.messages(), wall,
              status);
  co_await home->shutdown();
  co_return status == 0 ? 0 : 1;
}

int run_demo(const std::string& trace_dir) {
  Loop loop;
  ContainerOptions options;
  options.clock = OwnClock::external;
  options.observe.trace_dir = trace_dir;
  auto home = Container::create(loop, "tcp://127.0.0.1:0", options);
  return loop.run(simulate(home.get(), trace_dir));
}

}  // namespace

void add_demo_command(CLI::App& app, Action& action) {
  auto* cmd =
      app.add_subcommand("demo", "Run the main demonstration: a day of households and an aggregator in two processes");
  auto trace_dir = std::make_shared<std::string>();
  cmd->add_option("--trace", *trace_dir, "Write traces of both processes into DIR; merge with `uvmas trace DIR`")
      ->option_text("DIR");
  cmd->callback([&action, trace_dir] { action = [trace_dir] { return run_demo(*trace_dir); }; });
}

}  // namespace uvmas::cli
