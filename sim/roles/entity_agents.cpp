// EntityAgents: the container a role's entity agents live in.

#include "roles.hpp"

namespace uvmas::sim::roles {

void EntityAgents::open(Simulator& sim, const std::string& sid) {
  if (container_) return;
  ContainerOptions options;
  options.clock = &sim.clock();  // the agents' timers are mosaik time
  container_ = Container::create(sim.loop(), "local://" + (sid.empty() ? std::string("sim") : sid), options);
}

bool EntityAgents::contains(const std::string& eid) const noexcept {
  for (const Entity& e : entities_) {
    if (e.eid == eid) return true;
  }
  return false;
}

Task<AgentProxy> EntityAgents::proxy(std::size_t i) {
  if (!entities_[i].proxy) {
    AgentProxy p = co_await container_->connect(entities_[i].agent->addr());
    entities_[i].proxy = p;
  }
  co_return entities_[i].proxy;
}

Task<> EntityAgents::step_all(Time time, const Inputs& inputs, Time max_advance,
                              std::map<std::string, EntityData>& outputs) {
  for (std::size_t i = 0; i < entities_.size(); ++i) {
    const std::string eid = entities_[i].eid;
    auto it = inputs.find(eid);
    const EntityInputs own = it == inputs.end() ? EntityInputs{} : it->second;
    AgentProxy agent = co_await proxy(i);
    outputs[eid] = co_await agent.call<EntityData>("step", time, own, max_advance);
  }
}

OutputData pick_outputs(const std::map<std::string, EntityData>& last, const OutputRequest& request,
                        MissingOutput missing) {
  OutputData data;
  for (const auto& [eid, attrs] : request) {
    auto found = last.find(eid);
    if (found == last.end()) throw KeyError("no entity \"" + eid + "\"");
    EntityData& d = data.entities[eid];
    for (const auto& attr : attrs) {
      auto value = found->second.find(attr);
      if (value != found->second.end()) {
        d[attr] = value->second;
      } else if (missing == MissingOutput::fail) {
        throw ValueError(eid + " has no output \"" + attr + "\"");
      } else if (missing == MissingOutput::null) {
        d[attr] = Value();
      }
    }
  }
  return data;
}

}  // namespace uvmas::sim::roles
