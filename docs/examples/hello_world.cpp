// aiomas's agent guide "Hello World": one agent says hello three times on the
// container's clock, and the program ends by itself once the agent is done.
//   example-hello_world [ADDRESS]   (default tcp://localhost:5555)

#include <uvmas/framework/container.hpp>

#include <iostream>
#include <string>

// [snippet:agent]
class HelloWorld : public uvmas::Agent {
 public:
  HelloWorld(uvmas::Container& c, std::string name) : Agent(c), name_(std::move(name)) {}

  uvmas::Task<> run() {
    std::cout << name_ << " says:" << std::endl;
    for (int i = 0; i < 3; ++i) {
      co_await container().clock().sleep(0.1);  // seconds of the container's clock
      std::cout << "Hello, World!" << std::endl;
    }
  }

 private:
  std::string name_;
};
// [end:agent]

int main(int argc, char** argv) {
  const std::string address = argc > 1 ? argv[1] : "tcp://localhost:5555";
  // [snippet:main]
  auto c = uvmas::Container::create(address);
  auto& agent = c->spawn<HelloWorld>("Monty");
  c->run(agent.run());      // returns when run() is done, although the server still listens
  c->run(c->shutdown());
  // [end:main]
  return 0;
}
