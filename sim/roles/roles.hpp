#pragma once
// The four roles of MOSAIK.md §12 (counter, relay, agent, mailbox) as
// uvmas::sim::Simulator subclasses. Every entity is a uvmas Agent in one
// in-process Container on the simulator's ExternalClock; the simulator object
// hands each entity its inputs and takes back its outputs with agent calls,
// so the adapter's quiescence-aware step waits for that traffic too.

#include <uvmas/framework/container.hpp>
#include <uvmas/sim/mosaik.hpp>

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace uvmas::sim::roles {

std::unique_ptr<Simulator> make_counter(Loop& loop, ExternalClock& clock);
std::unique_ptr<Simulator> make_relay(Loop& loop, ExternalClock& clock);
std::unique_ptr<Simulator> make_agent(Loop& loop, ExternalClock& clock);
std::unique_ptr<Simulator> make_mailbox(Loop& loop, ExternalClock& clock);

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

/// A role's entities: agents of one Container at `local://<sid>` (no socket)
/// on the simulator's loop and ExternalClock, by eid, with the proxies the
/// simulator calls them through.
class EntityAgents {
 public:
  /// Opens the container (in init, once the sid is known).
  void open(Simulator& sim, const std::string& sid);
  /// Creates the agent `T(container, args...)` for entity `eid`.
  template <class T, class... Args>
  T& spawn(std::string eid, Args&&... args) {
    T& agent = container_->spawn<T>(std::forward<Args>(args)...);
    entities_.push_back({std::move(eid), &agent, AgentProxy()});
    return agent;
  }
  std::size_t size() const noexcept { return entities_.size(); }
  const std::string& eid(std::size_t i) const { return entities_[i].eid; }
  bool contains(const std::string& eid) const noexcept;
  /// The simulator's proxy to entity `i` (connected on first use; in-process).
  Task<AgentProxy> proxy(std::size_t i);
  /// Calls `step(time, inputs, max_advance)` on every entity agent in turn
  /// (each one's work, requests to mosaik included, ends before the next
  /// starts) and stores what each returned in `outputs[eid]`.
  Task<> step_all(Time time, const Inputs& inputs, Time max_advance, std::map<std::string, EntityData>& outputs);

 private:
  struct Entity {
    std::string eid;
    Agent* agent;
    AgentProxy proxy;
  };
  std::vector<Entity> entities_;
  std::unique_ptr<Container> container_;
};

}  // namespace uvmas::sim::roles
