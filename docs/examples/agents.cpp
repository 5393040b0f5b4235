// aiomas README, example 3 (agent layer), in uvmas: two agents in one
// container; agent 0 connects to agent 1 and calls its exposed service().

#include <uvmas/framework/container.hpp>

#include <iostream>

// [snippet:example]
class TestAgent : public uvmas::Agent {
 public:
  static void expose_methods(uvmas::rpc::Methods<TestAgent>& m) { m.expose("service", &TestAgent::service); }

  explicit TestAgent(uvmas::Container& c) : Agent(c) { std::cout << "Ohai, I am " << *this << "\n"; }

  uvmas::Task<> run(std::string addr) {
    auto remote = co_await container().connect(addr);
    int ret = co_await remote.call<int>("service", 42);
    std::cout << *this << " got " << ret << " from " << remote << "\n";
  }

  int service(int value) { return value; }
};

int main(int argc, char** argv) {
  // aiomas uses localhost:5555; tests pass port 0 so that they can run in parallel.
  auto c = uvmas::Container::create(argc > 1 ? argv[1] : "tcp://localhost:5555");
  auto& a = c->spawn<TestAgent>();
  auto& b = c->spawn<TestAgent>();
  c->run(a.run(b.addr()));
  c->run(c->shutdown());
  return 0;
}
// [end:example]
