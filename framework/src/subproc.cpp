#include "uvmas/framework/subproc.hpp"

#include "uvmas/core/error.hpp"
#include "uvmas/core/stop_signals.hpp"

#include <csignal>
#include <iostream>

namespace uvmas::subproc {

void AgentTypes::add(std::string name, Factory factory) { factories_[std::move(name)] = std::move(factory); }

Agent& AgentTypes::create(Container& container, const std::string& name, const Array& args, const Map& kwargs) const {
  auto it = factories_.find(name);
  if (it == factories_.end()) {
    // "module:Class" names the class after the colon (aiomas's obj_from_str).
    auto colon = name.rfind(':');
    if (colon != std::string::npos) it = factories_.find(std::string_view(name).substr(colon + 1));
  }
  if (it == factories_.end()) {
    std::string known;
    for (const auto& [n, f] : factories_) known += (known.empty() ? "" : ", ") + n;
    throw LookupError("unknown agent type \"" + name + "\" (known: " + known + ")");
  }
  return it->second(container, args, kwargs);
}

std::vector<std::string> AgentTypes::names() const {
  std::vector<std::string> out;
  for (const auto& [n, f] : factories_) out.push_back(n);
  return out;
}

Manager::Manager(Container& container, const AgentTypes& types)
    : Agent(container), types_(types), stopped_(container.loop()) {
  expose_raw("spawn", &Manager::spawn);
  expose("set_time", &Manager::set_time);
  expose("stop", &Manager::stop);
}

Task<Value> Manager::spawn(Array args, Map kwargs) {
  if (args.empty() || !args[0].is_string()) throw TypeError("spawn() needs the agent type name as its first argument");
  std::string type = args[0].as_string();
  Array rest(std::make_move_iterator(args.begin() + 1), std::make_move_iterator(args.end()));
  Agent& agent = types_.create(container(), type, rest, kwargs);
  Array result;
  result.push_back(agent.ref());
  result.push_back(Value(agent.addr()));
  co_return Value(std::move(result));
}

void Manager::set_time(double t) {
  ExternalClock* clock = container().external_clock();
  if (!clock) throw ValueError("set_time needs a container on an ExternalClock (start it with --clock external)");
  clock->set_time(t);
}

void Manager::stop() { stopped_.set(); }

Task<> Manager::stopped() { return stopped_.wait(); }

namespace {

Task<> serve_until_stopped(Container* container, Manager* manager) {
  co_await manager->stopped();
  // Let the reply to stop() leave before the connections close.
  for (int i = 0; i < 3; ++i) co_await container->loop().yield();
  co_await container->shutdown();
}

}  // namespace

int run_child(const std::string& address, ContainerOptions options, const AgentTypes& types) {
  die_with_parent();
  Loop loop;
  std::unique_ptr<Container> container;
  try {
    container = Container::create(loop, address, std::move(options));
  } catch (const std::exception& e) {
    std::cerr << "uvmas subproc: cannot start a container at " << address << ": " << e.what() << std::endl;
    return 2;
  }
  auto& manager = container->spawn<Manager>(types);
  // SIGTERM/SIGINT (the parent's death arrives as SIGTERM) stop the child like Manager.stop().
  StopOnSignals signals(loop, [&manager] { manager.stop(); });
  std::cout << "READY " << container->base_url() << std::endl;
  loop.run(serve_until_stopped(container.get(), &manager));
  return 0;
}

ChildContainer::ChildContainer(Key, Container& parent, std::unique_ptr<ChildProcess> process, std::string base_url)
    : parent_(parent), process_(std::move(process)), base_url_(std::move(base_url)) {}

ChildContainer::~ChildContainer() = default;  // ~ChildProcess terminates a child that still runs

namespace {
Task<std::unique_ptr<ChildContainer>> start_child(Container* parent, std::vector<std::string> argv) {
  auto process = ChildProcess::start(parent->loop(), argv);
  std::string line = co_await process->read_line();
  if (line.rfind("READY ", 0) != 0) {
    process->kill();
    throw ConnectionError("the child container did not report READY (it printed \"" + line + "\")");
  }
  std::string base = line.substr(6);
  if (!base.empty() && base.back() != '/') base += '/';
  auto child = std::make_unique<ChildContainer>(ChildContainer::Key{}, *parent, std::move(process), base);
  child->manager() = co_await parent->connect(base + "0");
  co_return child;
}

Task<AgentProxy> spawn_in(ChildContainer* child, Container* parent, std::string type, Array args, Map kwargs) {
  Array call;
  call.push_back(Value(std::move(type)));
  for (auto& a : args) call.push_back(std::move(a));
  Value reply = co_await child->manager().call_kw<Value>("spawn", std::move(call), std::move(kwargs));
  // A durable proxy: connect to the address (the reference is bound to the manager's connection).
  std::string address = reply.as_array().at(1).as_string();
  co_return co_await parent->connect(address);
}

Task<> set_time_in(ChildContainer* child, double t) { (void)co_await child->manager().call<Value>("set_time", t); }

Task<int> stop_child(ChildContainer* child) {
  (void)co_await child->manager().call<Value>("stop");
  co_return co_await child->process().wait();
}
}  // namespace

Task<std::unique_ptr<ChildContainer>> ChildContainer::start(Container& parent, std::vector<std::string> argv) {
  return start_child(&parent, std::move(argv));
}

Task<AgentProxy> ChildContainer::spawn(std::string type, Array args, Map kwargs) {
  return spawn_in(this, &parent_, std::move(type), std::move(args), std::move(kwargs));
}

Task<> ChildContainer::set_time(double t) { return set_time_in(this, t); }

Task<int> ChildContainer::stop() { return stop_child(this); }

}  // namespace uvmas::subproc
