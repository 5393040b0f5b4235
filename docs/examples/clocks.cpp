// The clocks guide (docs/clocks.md): timers on a container's clock, and two
// containers on one ExternalClock stepped with step_to.
//   example-clocks

#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/framework/container.hpp>

#include <iomanip>
#include <iostream>
#include <optional>

namespace {

// [snippet:timers]
class Alarm : public uvmas::Agent {
 public:
  explicit Alarm(uvmas::Container& c) : Agent(c) {}

  uvmas::Task<> run() {
    uvmas::Clock& clock = container().clock();
    clock.call_in(2.0, [&clock] { std::cout << clock.time() << ": call_in(2.0) fired" << std::endl; });
    clock.call_at(3.0, [&clock] { std::cout << clock.time() << ": call_at(3.0) fired" << std::endl; });
    co_await clock.sleep(1.0);
    std::cout << clock.time() << ": slept 1 s, it is " << uvmas::to_iso(clock.utcnow()) << std::endl;
    co_await clock.sleep_until(4.0);
    std::cout << clock.time() << ": woke at 4" << std::endl;
  }
};
// [end:timers]

// [snippet:callee]
class Calculator : public uvmas::Agent {
 public:
  static void expose_methods(uvmas::rpc::Methods<Calculator>& m) { m.expose("compute", &Calculator::compute); }
  explicit Calculator(uvmas::Container& c) : Agent(c) {}

  uvmas::Task<double> compute() {
    co_await container().clock().sleep(0.25);  // waits on the clock: not activity
    co_return 1 + container().clock().time();
  }
};

class Asker : public uvmas::Agent {
 public:
  explicit Asker(uvmas::Container& c) : Agent(c) {}

  uvmas::Task<> run(std::string calculator) {
    co_await container().clock().sleep(1.5);
    auto remote = co_await container().connect(calculator);
    double got = co_await remote.call<double>("compute");
    std::cout << container().clock().time() << ": got " << got << std::endl;
  }
};
// [end:callee]

}  // namespace

int main() {
  std::cout << std::setprecision(6);
  {
    // [snippet:set_time]
    uvmas::Loop loop;
    uvmas::ExternalClock clock(loop);
    uvmas::ContainerOptions options;
    options.clock = &clock;
    auto c = uvmas::Container::create(loop, "local://alarm", options);
    c->tasks().spawn(c->spawn<Alarm>().run());
    for (double t = 1; t <= 4; t += 1) {
      clock.set_time(t);     // releases what is due; the loop runs it
      loop.run_until_idle();
    }
    loop.run(c->shutdown());
    // [end:set_time]
  }
  {
    // [snippet:step_to]
    uvmas::Loop loop;
    uvmas::ExternalClock clock(loop);
    uvmas::ContainerOptions options;
    options.clock = &clock;
    auto a = uvmas::Container::create(loop, "tcp://127.0.0.1:0", options);
    auto b = uvmas::Container::create(loop, "tcp://127.0.0.1:0", options);
    auto& calculator = b->spawn<Calculator>();
    a->tasks().spawn(a->spawn<Asker>().run(calculator.addr()));

    auto master = [](uvmas::ExternalClock* clock) -> uvmas::Task<> {
      std::optional<double> next = co_await clock->step_to(0);
      while (next) {
        std::cout << "step to " << *next << std::endl;
        next = co_await clock->step_to(*next);
      }
    };
    loop.run(master(&clock));
    loop.run(a->shutdown());
    loop.run(b->shutdown());
    // [end:step_to]
  }
  return 0;
}
