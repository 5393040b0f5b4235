// The clocks guide (docs/clocks.md): containers in child processes whose
// clock follows the parent's ExternalClock; step_to waits for them too.
//   example-clocks_children               (the parent; starts two children)
//   example-clocks_children --child ADDR  (a child container)

#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/framework/container.hpp>
#include <uvmas/framework/subproc.hpp>

#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace {

class Calculator : public uvmas::Agent {
 public:
  static void expose_methods(uvmas::rpc::Methods<Calculator>& m) { m.expose("compute", &Calculator::compute); }
  explicit Calculator(uvmas::Container& c) : Agent(c) {}
  std::string type_name() const override { return "Calculator"; }

  uvmas::Task<double> compute(double x) {
    co_await container().clock().sleep(x);
    co_return x + container().clock().time();
  }
};

// [snippet:child]
int child_main(const std::string& address) {
  uvmas::subproc::AgentTypes types;
  types.add<Calculator>("Calculator");
  uvmas::ContainerOptions options;
  options.clock = uvmas::OwnClock::external;  // a clock the parent's steps move
  return uvmas::subproc::run_child(address, std::move(options), types);
}
// [end:child]

// [snippet:parent]
uvmas::Task<> parent_main(uvmas::Container* parent, uvmas::ExternalClock* clock, std::string program) {
  std::vector<std::unique_ptr<uvmas::subproc::ChildContainer>> children;
  std::vector<uvmas::AgentProxy> calculators;
  const std::vector<std::string> argv = {program, "--child", "tcp://127.0.0.1:0"};
  for (int i = 0; i < 2; ++i) {
    children.push_back(co_await uvmas::subproc::ChildContainer::start(*parent, argv));
    calculators.push_back(co_await children.back()->spawn("Calculator", uvmas::Array(), uvmas::Map()));
  }
  // Each child's agent sleeps on its own clock, which follows ours.
  for (int i = 0; i < 2; ++i) {
    parent->tasks().spawn([](uvmas::AgentProxy calc, double x) -> uvmas::Task<> {
      double got = co_await calc.call<double>("compute", x);
      std::cout << "compute(" << x << ") = " << got << std::endl;
    }(calculators[i], 1.0 + i));
  }
  std::optional<double> next = co_await clock->step_to(0);
  while (next) {
    std::cout << "step to " << *next << std::endl;
    next = co_await clock->step_to(*next);
  }
  for (auto& child : children) co_await child->stop();
}
// [end:parent]

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--child") return child_main(argv[2]);
  uvmas::Loop loop;
  uvmas::ExternalClock clock(loop);
  uvmas::ContainerOptions options;
  options.clock = &clock;
  auto parent = uvmas::Container::create(loop, "tcp://127.0.0.1:0", options);
  loop.run(parent_main(parent.get(), &clock, argv[0]));
  loop.run(parent->shutdown());
  return 0;
}
