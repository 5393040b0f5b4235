// uvmas-bench-agents: the agent-layer figures, each beside a
// baseline measured in the same run:
//   - an agent -> agent call inside one container (target <= 120 ns), against
//     a bare coroutine hand-off (awaiting a Task that returns at once);
//   - agent -> agent calls across two containers in two processes, against
//     the raw libuv ping-pong doing the same codec work;
//   - framework memory per idle agent with 1 M agents (target <= 256 B),
//     against the size of the user's own agent object;
//   - ExternalClock::set_time per due timer with 100 k timers (target <=
//     50 ns), against popping the same deadlines from a std::priority_queue.

#include "bench.hpp"

#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/framework/container.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <queue>
#include <random>

namespace uvmas::bench {

namespace {

using Stopwatch = std::chrono::steady_clock;

double seconds_since(Stopwatch::time_point t0) { return std::chrono::duration<double>(Stopwatch::now() - t0).count(); }

class EchoAgent : public Agent {
 public:
  explicit EchoAgent(Container& c) : Agent(c) { expose("service", &EchoAgent::service); }
  int service(int value) { return value; }
};

// An agent with no state of its own, for the memory figure.
class IdleAgent : public Agent {
 public:
  explicit IdleAgent(Container& c) : Agent(c) { expose("service", &IdleAgent::service); }
  int service(int value) { return value; }
};

Task<int> bare(int i) { co_return i; }

Task<double> bare_handoffs(std::size_t n) {
  long sum = 0;
  auto t0 = Stopwatch::now();
  for (std::size_t i = 0; i < n; ++i) sum += co_await bare(static_cast<int>(i));
  double s = seconds_since(t0);
  if (sum == 42) std::puts("");
  co_return s / static_cast<double>(n) * 1e9;
}

Task<double> local_calls(Container* c, std::string url, std::size_t n) {
  AgentProxy remote = co_await c->connect(url);
  long sum = 0;
  auto t0 = Stopwatch::now();
  for (std::size_t i = 0; i < n; ++i) sum += co_await remote.call<int>("service", static_cast<int>(i));
  double s = seconds_since(t0);
  if (sum == 42) std::puts("");
  co_return s / static_cast<double>(n) * 1e9;
}

Task<> remote_worker(AgentProxy remote, std::size_t& remaining) {
  while (remaining > 0) {
    --remaining;
    (void)co_await remote.call<int>("service", 1);
  }
}

Task<double> remote_calls(Container* c, std::string url, Pattern p) {
  AgentProxy remote = co_await c->connect(url);
  TaskGroup group(c->loop());
  std::size_t remaining = p.count;
  auto t0 = Stopwatch::now();
  for (std::size_t i = 0; i < p.in_flight; ++i) group.spawn(remote_worker(remote, remaining));
  co_await group.join();
  co_return static_cast<double>(p.count) / seconds_since(t0);
}

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

void serve_agents(Format codec, const std::function<void(int)>& ready) {
  Loop loop;
  ContainerOptions o;
  o.codec = codec;
  auto c = Container::create(loop, "tcp://127.0.0.1:0", o);
  c->spawn<EchoAgent>();
  std::string base = c->base_url();  // tcp://127.0.0.1:PORT/
  auto colon = base.rfind(':');
  ready(std::stoi(base.substr(colon + 1)));
  serve_until_killed(loop);
}

}  // namespace

}  // namespace uvmas::bench

int main(int argc, char** argv) {
  using namespace uvmas;
  using namespace uvmas::bench;
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;

  const int rounds = quick ? 3 : 5;
  // 1. In-container calls.
  {
    Loop loop;
    auto c = Container::create(loop, "local://bench", ContainerOptions{});
    c->spawn<EchoAgent>();
    auto& target = c->spawn<EchoAgent>();
    const std::size_t n = quick ? 200'000 : 1'000'000;
    Medians m = alternate(
        rounds, [&] { return loop.run(bare_handoffs(n)); },
        [&] { return loop.run(local_calls(c.get(), target.addr(), n)); });
    std::printf("agent -> agent call in one container: %.0f ns per call; bare coroutine hand-off %.1f ns; "
                "ratio %.2fx  target <= 12.00x (about 120 ns)\n",
                m.ours, m.base, m.ours / m.base);
    std::fflush(stdout);
    loop.run(c->shutdown());
  }
  // 2. Across two containers in two processes.
  {
    const Pattern seq{quick ? 5'000u : 20'000u, 1};
    const Pattern pipe{quick ? 50'000u : 200'000u, 100};
    for (Format f : {Format::json, Format::msgpack}) {
      for (const auto& named : {std::pair{"sequential", seq}, std::pair{"100 in flight", pipe}}) {
        const char* name = named.first;
        const Pattern p = named.second;  // a variable, not a binding: lambdas capture it
        Medians m = alternate(
            rounds,
            [&] { return raw_rate(f, Payload::rpc_add, p); },
            [&] {
              return with_server([f](const auto& ready) { serve_agents(f, ready); }, [f, p](int port) {
                Loop loop;
                ContainerOptions o;
                o.codec = f;
                auto c = Container::create(loop, "tcp://127.0.0.1:0", o);
                double rate =
                    loop.run(remote_calls(c.get(), "tcp://127.0.0.1:" + std::to_string(port) + "/0", p));
                loop.run(c->shutdown());
                return rate;
              });
            });
        std::printf("agent -> agent across two processes, %-7s %-13s: %9.0f calls/s, raw libuv %9.0f/s, "
                    "ratio %.2fx  target none (uvmas on both ends)\n",
                    std::string(to_string(f)).c_str(), name, m.ours, m.base, m.ours / m.base);
        std::fflush(stdout);
      }
    }
  }
  // 3. Memory per idle agent.
  {
    Loop loop;
    auto c = Container::create(loop, "local://memory", ContainerOptions{});
    const std::size_t n = quick ? 100'000 : 1'000'000;
    c->spawn<IdleAgent>();  // builds the shared method table first
    std::size_t before = rss_bytes();
    for (std::size_t i = 1; i < n; ++i) c->spawn<IdleAgent>();
    std::size_t after = rss_bytes();
    double per_agent = static_cast<double>(after - before) / static_cast<double>(n - 1);
    std::printf("memory per idle agent with %zu agents: %.0f B resident (target <= 256 B), of which the agent "
                "object itself is %zu B (sizeof(Agent) %zu B)\n",
                n, per_agent, sizeof(IdleAgent), sizeof(Agent));
    loop.run(c->shutdown());
  }
  // 4. set_time per due timer: all at once on a fresh clock, and stepped
  //    (100 set_time calls on one clock, each releasing about 1 % of them).
  {
    const std::size_t n = 100'000;
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> when(1.0, 1000.0);
    std::vector<double> deadlines(n);
    for (auto& d : deadlines) d = when(rng);
    // Baseline: the same deadlines through a binary heap.
    auto heap_pop_ns = [&] {
      std::priority_queue<double, std::vector<double>, std::greater<>> heap(deadlines.begin(), deadlines.end());
      double sink = 0;
      auto t0 = Stopwatch::now();
      while (!heap.empty()) {
        sink += heap.top();
        heap.pop();
      }
      double ns = seconds_since(t0) / n * 1e9;
      if (sink == 0) std::puts("");
      return ns;
    };
    auto set_time_ns = [&](int steps) {
      Loop loop;
      ExternalClock clock(loop);
      std::size_t fired = 0;
      for (double d : deadlines) (void)clock.call_at(d, [&fired] { ++fired; });
      double total = 0;
      for (int s = 1; s <= steps; ++s) {
        auto t0 = Stopwatch::now();
        clock.set_time(1.0 + 1000.0 * s / steps);
        total += seconds_since(t0);
        loop.run_until_idle();  // runs the released callbacks (not timed)
      }
      if (fired != n) std::printf("only %zu of %zu timers fired\n", fired, n);
      return total / n * 1e9;
    };
    for (int steps : {1, 100}) {
      // Each run takes milliseconds: more of them steady the medians on a busy machine.
      Medians m = alternate(4 * rounds + 1, heap_pop_ns, [&] { return set_time_ns(steps); });
      std::printf("ExternalClock::set_time, %zu timers due %-16s: %.1f ns per timer; popping a "
                  "std::priority_queue %.1f ns; ratio %.2fx  target <= 0.50x\n",
                  n, steps == 1 ? "at once" : "over 100 steps", m.ours, m.base, m.ours / m.base);
      std::fflush(stdout);
    }
  }
  return 0;
}
