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

}  // namespace uvmas::sim::roles
