#include "uvmas/framework/subproc.hpp"

#include "uvmas/core/error.hpp"
#include "uvmas/core/stop_signals.hpp"

#include <csignal>
#include <iostream>
#include <sstream>

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

// -- stepping a child with its parent (the child's side) ---------------------------

ExternalClock& stepped_clock(Container& c) {
  ExternalClock* clock = c.external_clock();
  if (!clock) throw ValueError("stepping needs a child container on an ExternalClock (--clock external)");
  return *clock;
}

Task<Value> status_value(ExternalClock* clock) {
  StepPeer::Status s = co_await clock->status();
  Array out;
  out.emplace_back(s.frame_balance);
  out.emplace_back(s.frame_events);
  out.emplace_back(s.next_deadline ? Value(*s.next_deadline) : Value());
  co_return Value(std::move(out));
}

/// The parent's stepping calls (ExternalClock::step_to), served on a control
/// connection: they are not the agents' traffic whose end a step waits for.
class StepControl {
 public:
  StepControl(Loop& loop, Container& container) {
    Container* c = &container;
    router_.expose("advance", [c](double t) { stepped_clock(*c).advance(t); });
    router_.expose("release", [c]() { stepped_clock(*c).release_due(); });
    router_.expose("status", [c]() { return status_value(&stepped_clock(*c)); });
    ChannelOptions options;
    options.control = true;
    server_ = rpc::start_server(loop, "tcp://127.0.0.1:0", router_, options);
  }
  std::string url() const { return server_->address().url(); }
  Task<> shutdown() { co_await server_->shutdown(); }

 private:
  rpc::Router router_{"uvmas.subproc.StepControl"};
  std::unique_ptr<Server> server_;
};

Task<> serve_until_stopped(Container* container, Manager* manager) {
  co_await manager->stopped();
  // The reply to stop() is queued by now; the shutdown's graceful closes send it.
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
  std::unique_ptr<StepControl> control;
  if (container->external_clock()) control = std::make_unique<StepControl>(loop, *container);
  // SIGTERM/SIGINT (the parent's death arrives as SIGTERM) stop the child like Manager.stop().
  StopOnSignals signals(loop, [&manager] { manager.stop(); });
  std::cout << "READY " << container->base_url();
  if (control) std::cout << " " << control->url();
  std::cout << std::endl;
  loop.run(serve_until_stopped(container.get(), &manager));
  if (control) loop.run(control->shutdown());
  return 0;
}

// -- stepping a child with its parent (the parent's side) --------------------------

namespace detail {

/// A child container as a StepPeer of its parent's ExternalClock: the calls
/// of the stepping protocol on the child's control connection.
class ChildStepPeer final : public StepPeer {
 public:
  ChildStepPeer(ExternalClock& clock, rpc::Connection control) : clock_(clock), control_(std::move(control)) {
    clock_.add_step_peer(*this);
  }
  ~ChildStepPeer() {
    clock_.remove_step_peer(*this);
    control_.channel().abort("the child container is gone");
  }
  ChildStepPeer(const ChildStepPeer&) = delete;
  ChildStepPeer& operator=(const ChildStepPeer&) = delete;

  Task<> advance(double t) override { return call_advance(this, t); }
  Task<> release() override { return call_release(this); }
  Task<Status> status() override { return call_status(this); }

 private:
  static Task<> call_advance(ChildStepPeer* self, double t) {
    (void)co_await self->control_.remote().call("advance", t);
  }
  static Task<> call_release(ChildStepPeer* self) { (void)co_await self->control_.remote().call("release"); }
  static Task<Status> call_status(ChildStepPeer* self) {
    Value v = co_await self->control_.remote().call("status");
    const Array& a = v.as_array();
    Status s;
    s.frame_balance = a.at(0).as<std::int64_t>();
    s.frame_events = a.at(1).as<std::uint64_t>();
    if (!a.at(2).is_null()) s.next_deadline = a.at(2).as<double>();
    co_return s;
  }

  ExternalClock& clock_;
  rpc::Connection control_;
};

}  // namespace detail

ChildContainer::ChildContainer(Key, Container& parent, std::unique_ptr<ChildProcess> process, std::string base_url)
    : parent_(parent), process_(std::move(process)), base_url_(std::move(base_url)) {}

ChildContainer::~ChildContainer() = default;  // ~ChildProcess terminates a child that still runs

Task<std::unique_ptr<ChildContainer>> ChildContainer::start_impl(Container* parent, std::vector<std::string> argv) {
  Activity starting(parent->loop());  // a step is not over while a child is being started
  auto process = ChildProcess::start(parent->loop(), argv);
  std::string line = co_await process->read_line();
  if (line.rfind("READY ", 0) != 0) {
    process->kill();
    throw ConnectionError("the child container did not report READY (it printed \"" + line + "\")");
  }
  std::istringstream fields(line.substr(6));
  std::string base, control;
  fields >> base >> control;
  if (!base.empty() && base.back() != '/') base += '/';
  auto child = std::make_unique<ChildContainer>(ChildContainer::Key{}, *parent, std::move(process), base);
  child->manager() = co_await parent->connect(base + "0");
  ExternalClock* clock = parent->external_clock();
  if (clock && !control.empty()) {
    ChannelOptions options;
    options.control = true;
    rpc::Connection connection = co_await rpc::open_connection(parent->loop(), control, options);
    auto peer = std::make_unique<detail::ChildStepPeer>(*clock, std::move(connection));
    if (clock->time() > 0) co_await peer->advance(clock->time());  // the child's clock starts at 0
    child->step_peer_ = std::move(peer);
  }
  co_return child;
}

namespace {

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

Task<int> stop_child(ChildContainer* child, std::unique_ptr<detail::ChildStepPeer>* step_peer) {
  step_peer->reset();  // the parent's steps no longer wait for this child
  (void)co_await child->manager().call<Value>("stop");
  co_return co_await child->process().wait();
}
}  // namespace

Task<std::unique_ptr<ChildContainer>> ChildContainer::start(Container& parent, std::vector<std::string> argv) {
  return start_impl(&parent, std::move(argv));
}

Task<AgentProxy> ChildContainer::spawn(std::string type, Array args, Map kwargs) {
  return spawn_in(this, &parent_, std::move(type), std::move(args), std::move(kwargs));
}

Task<> ChildContainer::set_time(double t) { return set_time_in(this, t); }

Task<int> ChildContainer::stop() { return stop_child(this, &step_peer_); }

}  // namespace uvmas::subproc
