#pragma once
// Agents of the stepping tests, shared by the test binaries and the child
// container program they start (step_child): a callee that answers after a
// clock sleep, and relays that pass messages on with sleeps between hops.

#include <uvmas/framework/container.hpp>
#include <uvmas/framework/subproc.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace uvmas::test {

/// A number as the traces show it ("4.75", "6").
inline std::string clock_text(double t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", t);
  return buf;
}

/// B of the two-container scenario: compute() sleeps 0.25 s of clock time and
/// returns 1 + time().
class Sleeper : public Agent {
 public:
  explicit Sleeper(Container& c) : Agent(c) { expose("compute", &Sleeper::compute); }
  std::string type_name() const override { return "Sleeper"; }
  Task<double> compute() {
    co_await container().clock().sleep(0.25);
    co_return 1 + container().clock().time();
  }
};

/// A relay of the message storm: hear(id, hops) logs the message with the
/// clock time, and unless hops is 0 passes it on to the next relay after a
/// sleep that depends on the message.
class Relay : public Agent {
 public:
  explicit Relay(Container& c) : Agent(c) {
    expose("setup", &Relay::setup);
    expose("hear", &Relay::hear);
    expose("log", &Relay::log);
  }
  std::string type_name() const override { return "Relay"; }
  /// Names this relay in the log and says where messages go next.
  void setup(std::string name, std::string next_url) {
    name_ = std::move(name);
    next_ = std::move(next_url);
  }
  void hear(int id, int hops) {
    log_.push_back(clock_text(container().clock().time()) + " " + name_ + " heard " + std::to_string(id) +
                   "/" + std::to_string(hops));
    if (hops > 0) container().tasks().spawn(pass_on(this, id, hops - 1));
  }
  /// What this relay heard, sorted (messages from different processes that
  /// arrive at the same clock time have no defined order).
  std::vector<std::string> log() {
    auto out = log_;
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  static Task<> pass_on(Relay* self, int id, int hops) {
    co_await self->container().clock().sleep(0.5 * (1 + (id + hops) % 3));
    AgentProxy next = co_await self->container().connect(self->next_);
    co_await next.call<Value>("hear", id, hops);
  }
  std::string name_;
  std::string next_;
  std::vector<std::string> log_;
};

inline subproc::AgentTypes step_agent_types() {
  subproc::AgentTypes types;
  types.add<Sleeper>("Sleeper");
  types.add<Relay>("Relay");
  return types;
}

}  // namespace uvmas::test
