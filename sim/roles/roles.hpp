#pragma once
// The four roles of MOSAIK.md §12 (counter, relay, agent, mailbox) as
// uvmas::sim::Simulator subclasses. Every entity is a uvmas Agent on the
// simulator's ExternalClock: in one in-process Container, or spread over
// containers in worker processes (`--workers N`) whose clocks follow it. The
// simulator object hands each entity its inputs and takes back its outputs
// with agent calls, so the adapter's step, which waits until every container
// of the clock is idle, waits for that traffic too.

#include <uvmas/framework/container.hpp>
#include <uvmas/framework/subproc.hpp>
#include <uvmas/sim/mosaik.hpp>

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace uvmas::sim::roles {

/// Where a role's entity agents live.
struct Workers {
  /// Worker processes the entities are spread over, round-robin; 0: all in
  /// one `local://` container of the simulator's process.
  int count = 0;
  /// The command line that starts one worker (a program whose main calls
  /// run_worker with this role and the last argument as address).
  std::vector<std::string> argv;
};

std::unique_ptr<Simulator> make_counter(Loop& loop, ExternalClock& clock, const Workers& workers);
std::unique_ptr<Simulator> make_relay(Loop& loop, ExternalClock& clock, const Workers& workers);
std::unique_ptr<Simulator> make_agent(Loop& loop, ExternalClock& clock, const Workers& workers);
std::unique_ptr<Simulator> make_mailbox(Loop& loop, ExternalClock& clock, const Workers& workers);
/// The same with every entity in process.
std::unique_ptr<Simulator> make_counter(Loop& loop, ExternalClock& clock);
std::unique_ptr<Simulator> make_relay(Loop& loop, ExternalClock& clock);
std::unique_ptr<Simulator> make_agent(Loop& loop, ExternalClock& clock);
std::unique_ptr<Simulator> make_mailbox(Loop& loop, ExternalClock& clock);

/// The entity agent types of each role, by the names the simulators spawn
/// them with; the arguments are plain values (see each role's file), so
/// a worker process can create them.
void add_counter_types(subproc::AgentTypes& types);
void add_relay_types(subproc::AgentTypes& types);
/// In a worker: Agent entities that reach mosaik through the simulator's
/// forwarding agent (its address is their second argument).
void add_agent_types(subproc::AgentTypes& types);
void add_mailbox_types(subproc::AgentTypes& types);

/// The body of a worker process of `role` (counter|relay|agent|mailbox): a
/// container at `address` on an ExternalClock that follows the simulator's,
/// whose Manager creates that role's entity agents (subproc::run_child).
/// Returns the exit code (2 for an unknown role).
int run_worker(const std::string& role, const std::string& address);

/// mosaik steps and clock seconds for code that has no Simulator (an entity
/// agent in a worker): the same conversions as Simulator::to_seconds and
/// Simulator::to_time.
struct TimeScale {
  /// Seconds per mosaik step.
  double resolution = 1.0;
  double to_seconds(Time t) const noexcept { return static_cast<double>(t) * resolution; }
  Time to_time(double seconds) const noexcept { return sim::to_time(seconds, resolution); }
};

/// The values one attribute of an entity received, by source full id.
using SourceValues = std::map<std::string, Value>;
/// One entity's inputs as its agent receives them in a `step` call: attribute
/// → source full id → value (sorted, so "the first source" is well defined).
using EntityInputs = std::map<std::string, SourceValues>;
/// The inputs of `eid` in that shape (empty: none).
EntityInputs inputs_of(const Inputs& inputs, std::string_view eid);

/// a + b as Python adds numbers: int + int stays int, anything with a float is a float.
Value add(const Value& a, const Value& b);
/// a · b, with the same rule.
Value multiply(const Value& a, const Value& b);
/// The sum of all values (int 0 for none).
Value sum(const SourceValues* values);
/// The values one attribute of an entity received, or nullptr.
const SourceValues* find_attr(const EntityInputs& inputs, const std::string& attr) noexcept;
/// A keyword parameter that must be an int (bool refused), or `fallback` when absent.
std::int64_t int_param(const Params& params, const std::string& name, std::int64_t fallback);

/// What get_data does with a requested attribute an entity did not produce.
enum class MissingOutput {
  fail,  ///< a ValueError naming it (time-based outputs must all exist)
  null,  ///< null
  omit,  ///< left out: its absence is "no event" (event-based / non-persistent)
};

/// Answers a get_data request from what each entity returned from its last
/// step; an unknown eid is a KeyError.
OutputData pick_outputs(const std::map<std::string, EntityData>& last, const OutputRequest& request,
                        MissingOutput missing);

/// A role's entities, by eid, with the proxies the simulator calls them
/// through. Without workers they are agents of one Container at
/// `local://<sid>` (no socket) on the simulator's loop and ExternalClock,
/// created at once. With workers the simulator's container listens on
/// loopback TCP, and the agents are created in the worker processes, which
/// are started, and receive the agents created since, before the next
/// proxy() or step_all(); stop() ends the workers.
class EntityAgents {
 public:
  /// `types` creates the agents in process (it must outlive this object).
  EntityAgents(Workers workers, const subproc::AgentTypes& types);
  ~EntityAgents();
  EntityAgents(const EntityAgents&) = delete;
  EntityAgents& operator=(const EntityAgents&) = delete;

  /// Opens the simulator's container (in init, once the sid is known).
  void open(Simulator& sim, const std::string& sid);
  /// The simulator's container (after open).
  Container& container() noexcept { return *container_; }
  /// True when the agents live in worker processes.
  bool in_workers() const noexcept { return workers_.count > 0; }
  /// Creates the agent of entity `eid`: `type` with `args` (see the roles' add_*_types).
  void spawn(std::string eid, std::string type, Array args);
  std::size_t size() const noexcept { return entities_.size(); }
  const std::string& eid(std::size_t i) const { return entities_[i].eid; }
  /// The simulator's proxy to entity `i`.
  Task<AgentProxy> proxy(std::size_t i);
  /// How step_all calls the entity agents.
  enum class StepOrder {
    in_turn,   ///< one after the other: each one's work, requests to mosaik included, ends before the next starts
    together,  ///< in workers, all at once (in process: in turn all the same)
  };
  /// Calls `step(time, inputs, max_advance)` on every entity agent and
  /// stores what each returned in `outputs[eid]`.
  Task<> step_all(Time time, const Inputs& inputs, Time max_advance, std::map<std::string, EntityData>& outputs,
                  StepOrder order);
  /// Stops the worker processes and waits for them to exit (one that does
  /// not answer is killed), then closes the simulator's container. Nothing
  /// to do without workers.
  Task<> stop();

 private:
  struct Entity {
    std::string eid;
    std::string type;
    Array args;                // kept until the agent exists
    Agent* agent = nullptr;  // in process
    AgentProxy proxy;
  };
  /// Starts the workers and creates the agents not created yet.
  Task<> place();

  Workers workers_;
  const subproc::AgentTypes& types_;
  std::vector<Entity> entities_;
  std::size_t placed_ = 0;  // entities_[0, placed_) have their agent
  std::unique_ptr<Container> container_;
  std::vector<std::unique_ptr<subproc::ChildContainer>> children_;
};

}  // namespace uvmas::sim::roles
