// EntityAgents: where a role's entity agents live (one in-process container,
// or containers in worker processes), and how the simulator reaches them.

#include "roles.hpp"

#include <uvmas/core/log.hpp>

#include <csignal>

namespace uvmas::sim::roles {

EntityAgents::EntityAgents(Workers workers, const subproc::AgentTypes& types)
    : workers_(std::move(workers)), types_(types) {}

// The workers go before the container their handles point at (member order).
EntityAgents::~EntityAgents() = default;

void EntityAgents::open(Simulator& sim, const std::string& sid) {
  if (container_) return;
  ContainerOptions options;
  options.clock = &sim.clock();  // the agents' timers are mosaik time
  if (in_workers()) {
    // The workers' agents answer and call back (the agent role's requests to mosaik) over it.
    container_ = Container::create(sim.loop(), "tcp://127.0.0.1:0", options);
  } else {
    container_ = Container::create(sim.loop(), "local://" + (sid.empty() ? std::string("sim") : sid), options);
  }
}

void EntityAgents::spawn(std::string eid, std::string type, Array args) {
  Entity entity{std::move(eid), std::move(type), std::move(args)};
  if (!in_workers()) {
    entity.agent = &types_.create(*container_, entity.type, entity.args, Map());
    entity.args.clear();
  }
  entities_.push_back(std::move(entity));
  if (!in_workers()) placed_ = entities_.size();
}

Task<> EntityAgents::place() {
  // Started on first use, within a step: a step is not over while a worker starts.
  while (children_.size() < static_cast<std::size_t>(workers_.count)) {
    children_.push_back(co_await subproc::ChildContainer::start(*container_, workers_.argv));
  }
  while (placed_ < entities_.size()) {
    const std::size_t i = placed_;
    subproc::ChildContainer& worker = *children_[i % children_.size()];
    AgentProxy proxy = co_await worker.spawn(entities_[i].type, entities_[i].args, Map());
    entities_[i].proxy = proxy;
    entities_[i].args.clear();
    ++placed_;
  }
}

Task<AgentProxy> EntityAgents::proxy(std::size_t i) {
  if (placed_ < entities_.size()) co_await place();
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

Task<> EntityAgents::stop() {
  for (auto& worker : children_) {
    std::string failure;
    int status = 0;
    try {
      status = co_await worker->stop();
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (!failure.empty()) {
      // It cannot be told to stop (its connection is gone): it must not outlive us either.
      log(LogLevel::warning, "mosaik roles: worker " + std::to_string(worker->process().pid()) +
                                 " did not stop when asked (" + failure + "); killing it");
      worker->process().kill(SIGKILL);
      status = co_await worker->process().wait();
    }
    if (status != 0) {
      log(LogLevel::warning,
          "mosaik roles: worker " + std::to_string(worker->process().pid()) + " exited with " + std::to_string(status));
    }
  }
  children_.clear();
  if (in_workers() && container_) co_await container_->shutdown();
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
