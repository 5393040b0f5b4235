// uvmas-bench-step: the cost of ExternalClock::step_to, each figure beside a
// baseline measured in the same run.
//   1. a step with nothing to do, one process    vs  one loop.yield() hand-off
//   2. a step with nothing to do, 2 children     vs  one trivial call to each child
//   3. a step in which 10 000 agents of one child each call an agent of the
//      other child                               vs  the same 10 000 calls without stepping
//
//   uvmas-bench-step [--quick]
//   uvmas-bench-step --child ADDRESS   (the child containers it starts)

#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/framework/container.hpp>
#include <uvmas/framework/subproc.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace uvmas;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class Receiver : public Agent {
 public:
  explicit Receiver(Container& c) : Agent(c) { expose("hear", &Receiver::hear); }
  int hear(int x) { return x; }
};

class Sender : public Agent {
 public:
  explicit Sender(Container& c) : Agent(c) {}
  static Task<> send(Sender* self, std::string url, double at) {
    if (at > self->container().clock().time()) co_await self->container().clock().sleep_until(at);
    AgentProxy to = co_await self->container().connect(url);
    (void)co_await to.call<int>("hear", 1);
  }
};

/// Makes n Senders or n Receivers (ids 2 .. n+1) and drives the senders.
class Swarm : public Agent {
 public:
  Swarm(Container& c, bool senders, int n) : Agent(c) {
    expose("arm", &Swarm::arm);
    expose("send_now", &Swarm::send_now);
    expose("ping", &Swarm::ping);
    for (int i = 0; i < n; ++i) {
      if (senders) {
        senders_.push_back(&c.spawn<Sender>());
      } else {
        c.spawn<Receiver>();
      }
    }
  }
  std::string type_name() const override { return "Swarm"; }
  int ping() { return 0; }
  /// Every sender calls receiver `i + 2` of `base` at clock time `at`.
  void arm(std::string base, double at) {
    for (std::size_t i = 0; i < senders_.size(); ++i) {
      container().tasks().spawn(Sender::send(senders_[i], base + std::to_string(i + 2), at));
    }
  }
  /// The same calls at once; completes when all are answered.
  Task<> send_now(std::string base) {
    TaskGroup group(container().loop());
    for (std::size_t i = 0; i < senders_.size(); ++i) {
      group.spawn(Sender::send(senders_[i], base + std::to_string(i + 2), 0));
    }
    co_await group.join();
  }

 private:
  std::vector<Sender*> senders_;
};

int child_main(const std::string& address) {
  subproc::AgentTypes types;
  types.add("Swarm", [](Container& c, const Array& args, const Map& kwargs) -> Agent& {
    return c.spawn<Swarm>(subproc::argument<bool>(args, kwargs, 0, "senders"),
                          subproc::argument<int>(args, kwargs, 1, "n"));
  });
  ContainerOptions options;
  options.clock = OwnClock::external;
  return subproc::run_child(address, std::move(options), types);
}

void print(const char* what, const char* base_name, double base, double ours) {
  std::printf("%-46s %s %10.2f us  step_to %10.2f us  ratio %.2fx\n", what, base_name, base * 1e6, ours * 1e6,
              ours / base);
  std::fflush(stdout);
}

Task<> figures(Loop* loop, ExternalClock* clock, Container* parent, std::string program, int rounds) {
  double t = 0;
  // 1. one process, nothing to do.
  {
    const int n = 20000 / rounds * 5;
    auto start = Clock::now();
    for (int i = 0; i < n; ++i) co_await loop->yield();
    const double base = seconds_since(start) / n;
    start = Clock::now();
    for (int i = 0; i < n; ++i) (void)co_await clock->step_to(t += 1);
    print("step_to, nothing to do, one process", "yield", base, seconds_since(start) / n);
  }
  // 2. two child processes, nothing to do.
  const std::vector<std::string> argv = {program, "--child", "tcp://127.0.0.1:0"};
  std::vector<std::unique_ptr<subproc::ChildContainer>> children;
  std::vector<AgentProxy> swarms;
  const int agents = 10000;
  for (int i = 0; i < 2; ++i) {
    children.push_back(co_await subproc::ChildContainer::start(*parent, argv));
    Array args;
    args.emplace_back(i == 0);
    args.emplace_back(agents);
    swarms.push_back(co_await children.back()->spawn("Swarm", std::move(args), Map()));
  }
  {
    const int n = 2000 / rounds * 5;
    auto start = Clock::now();
    for (int i = 0; i < n; ++i) {
      for (auto& swarm : swarms) (void)co_await swarm.call<int>("ping");
    }
    const double base = seconds_since(start) / n;
    start = Clock::now();
    for (int i = 0; i < n; ++i) (void)co_await clock->step_to(t += 1);
    print("step_to, nothing to do, 2 child processes", "2 calls", base, seconds_since(start) / n);
  }
  // 3. 10 000 agents of child 0 each call an agent of child 1.
  {
    const std::string receivers = children[1]->base_url();
    double base = 1e9, ours = 1e9;
    for (int r = 0; r < rounds; ++r) {
      auto start = Clock::now();
      (void)co_await swarms[0].call<Value>("send_now", receivers);
      base = std::min(base, seconds_since(start));
      (void)co_await swarms[0].call<Value>("arm", receivers, t + 1);
      start = Clock::now();
      (void)co_await clock->step_to(t += 1);
      ours = std::min(ours, seconds_since(start));
    }
    print("step of 10000 agents calling another child", "no step", base, ours);
  }
  for (auto& child : children) (void)co_await child->stop();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--child") == 0) return child_main(argv[2]);
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int rounds = quick ? 2 : 5;
  Loop loop;
  ExternalClock clock(loop);
  ContainerOptions options;
  options.clock = &clock;
  auto parent = Container::create(loop, "tcp://127.0.0.1:0", options);
  std::printf("ExternalClock::step_to (best of %d for the 10000-agent step)\n", rounds);
  loop.run(figures(&loop, &clock, parent.get(), argv[0], rounds));
  loop.run(parent->shutdown());
  return 0;
}
