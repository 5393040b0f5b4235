#pragma once
/// Containers in sub-processes (aiomas.subproc). A child process runs a
/// container whose agent "0" is a Manager: the parent spawns agents in it by
/// type name, sets its clock and stops it over ordinary RPC
/// (`["agents/0/spawn", ["Worker"], {"factor": 3}]`). The parent keeps track
/// of the child and never leaves an orphan: it kills a child it still owns,
/// and the child exits when its parent dies.

#include <uvmas/core/wait_list.hpp>
#include <uvmas/framework/child_process.hpp>
#include <uvmas/framework/container.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace uvmas::subproc {

namespace detail {
class ChildStepPeer;
}

/// Agent types a Manager can create by name (aiomas names them
/// "module:Class"; a name registered as "Worker" also answers to
/// "__main__:Worker" and any other "module:Worker").
class AgentTypes {
 public:
  /// Creates the agent in `container` from the call's arguments.
  using Factory = std::function<Agent&(Container& container, const Array& args, const Map& kwargs)>;

  void add(std::string name, Factory factory);
  /// A type constructed as T(container) (no arguments).
  template <class T>
  void add(std::string name) {
    add(std::move(name), [](Container& c, const Array&, const Map&) -> Agent& { return c.spawn<T>(); });
  }
  /// Creates an agent of type `name`; LookupError for an unknown name.
  Agent& create(Container& container, const std::string& name, const Array& args, const Map& kwargs) const;

 private:
  std::map<std::string, Factory, std::less<>> factories_;
};

/// Argument `position` or keyword `name` of a spawn call, converted to T;
/// `fallback` when absent (TypeError naming the parameter when required).
template <class T>
T argument(const Array& args, const Map& kwargs, std::size_t position, std::string_view name,
           std::optional<T> fallback = std::nullopt) {
  if (position < args.size()) return args[position].template as<T>();
  for (const auto& [k, v] : kwargs) {
    if (k.is_string() && k.as_string() == name) return v.template as<T>();
  }
  if (fallback) return *fallback;
  throw TypeError("missing required argument '" + std::string(name) + "'");
}

/// The manager agent of a sub-process container (always agent "0").
/// Exposes spawn(type, *args, **kwargs) -> [agent reference, agent address],
/// set_time(t) (ExternalClock only) and stop().
class Manager : public Agent {
 public:
  Manager(Container& container, const AgentTypes& types);
  std::string type_name() const override { return "Manager"; }

  Task<Value> spawn(Array args, Map kwargs);
  void set_time(double t);
  void stop();
  /// Completes once stop() was called.
  Task<> stopped();

 private:
  const AgentTypes& types_;
  Event stopped_;
};

/// The body of a child process (aiomas's subproc.start): creates a container
/// at `address`, registers the Manager as agent "0", prints `READY <base
/// url>` on stdout, and runs until the Manager is told to stop, SIGTERM or
/// SIGINT arrives, or the parent dies; then shuts the container down. On an
/// ExternalClock it also serves the parent's stepping calls on a control
/// connection of their own (loopback TCP) and prints `READY <base url>
/// <control url>`.
/// Returns the exit code (0 after a clean stop; 2 if the container cannot start).
int run_child(const std::string& address, ContainerOptions options, const AgentTypes& types);

/// The parent's handle on a container in a child process.
class ChildContainer {
 public:
  /// Starts `argv` (a program whose main calls run_child, e.g.
  /// `uvmas subproc tcp://127.0.0.1:0 --clock external`), waits for its READY
  /// line and connects `parent` to its Manager. When the parent's clock is an
  /// ExternalClock and the child's is one too, the child's clock follows the
  /// parent's from then on: `ExternalClock::step_to` of the parent moves it
  /// and waits for the child's agents as for its own (the parent's clock
  /// must outlive this handle).
  static Task<std::unique_ptr<ChildContainer>> start(Container& parent, std::vector<std::string> argv);
  ~ChildContainer();

  /// The child container's base URL ("tcp://127.0.0.1:PORT/").
  const std::string& base_url() const noexcept { return base_url_; }
  AgentProxy& manager() noexcept { return manager_; }
  /// Spawns an agent of `type` in the child and returns a proxy to it.
  Task<AgentProxy> spawn(std::string type, Array args, Map kwargs);
  /// Sets the child's ExternalClock (aiomas's plain Manager call; steps of a
  /// following child go through the parent's `ExternalClock::step_to`).
  Task<> set_time(double t);
  /// Stops the child's container and waits for the process to exit; returns its exit status.
  Task<int> stop();
  ChildProcess& process() noexcept { return *process_; }

  /// Use start(); the key keeps construction inside this class.
  class Key {
    friend class ChildContainer;
    Key() = default;
  };
  ChildContainer(Key, Container& parent, std::unique_ptr<ChildProcess> process, std::string base_url);

 private:
  static Task<std::unique_ptr<ChildContainer>> start_impl(Container* parent, std::vector<std::string> argv);
  Container& parent_;
  std::unique_ptr<ChildProcess> process_;
  std::string base_url_;
  AgentProxy manager_;
  std::unique_ptr<detail::ChildStepPeer> step_peer_;
};

}  // namespace uvmas::subproc
