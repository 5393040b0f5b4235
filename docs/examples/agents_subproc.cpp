// Containers in sub-processes (docs/agents.md): this program starts itself
// as a child process that runs a container, spawns a worker agent there
// by type name, calls it, and stops the child.
//
// Usage: agents_subproc            (the parent)
//        agents_subproc --child ADDRESS   (what the parent starts)

#include <uvmas/framework/subproc.hpp>

#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

namespace {

// [snippet:worker]
class Worker : public uvmas::Agent {
 public:
  static void expose_methods(uvmas::rpc::Methods<Worker>& m) { m.expose("work", &Worker::work); }
  Worker(uvmas::Container& c, int factor) : Agent(c), factor_(factor) {}
  int work(int x) { return x * factor_; }

 private:
  int factor_;
};

// The agent types a child container can create by name.
uvmas::subproc::AgentTypes worker_types() {
  uvmas::subproc::AgentTypes types;
  types.add("Worker", [](uvmas::Container& c, const uvmas::Array& args, const uvmas::Map& kwargs) -> uvmas::Agent& {
    return c.spawn<Worker>(uvmas::subproc::argument<int>(args, kwargs, 0, "factor", 1));
  });
  return types;
}
// [end:worker]

std::string self_path() {
  std::vector<char> buf(4096);
  ssize_t n = readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  return n > 0 ? std::string(buf.data(), static_cast<std::size_t>(n)) : "agents_subproc";
}

// [snippet:parent]
uvmas::Task<> use_child(uvmas::Container& parent, std::string program) {
  std::vector<std::string> command = {program, "--child", "tcp://127.0.0.1:0"};
  auto child = co_await uvmas::subproc::ChildContainer::start(parent, std::move(command));
  uvmas::Map kwargs = {{"factor", 3}};  // spawn("Worker", factor=3)
  uvmas::AgentProxy worker = co_await child->spawn("Worker", uvmas::Array(), std::move(kwargs));
  std::cout << "worker in the child: 14 * 3 = " << co_await worker.call<int>("work", 14) << "\n";
  std::cout << "child exit status " << co_await child->stop() << "\n";
}
// [end:parent]

}  // namespace

int main(int argc, char** argv) {
  // [snippet:main]
  if (argc == 3 && std::string(argv[1]) == "--child") {
    // The child: a container with a Manager agent ("0") that spawns Workers on request.
    return uvmas::subproc::run_child(argv[2], uvmas::ContainerOptions{}, worker_types());
  }
  auto parent = uvmas::Container::create("tcp://127.0.0.1:0");
  parent->run(use_child(*parent, self_path()));
  parent->run(parent->shutdown());
  // [end:main]
  return 0;
}
