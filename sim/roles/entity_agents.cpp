// EntityAgents: where a role's entity agents live (one in-process container,
// or containers in worker processes), and how the simulator reaches them.

#include "roles.hpp"

#include <uvmas/core/log.hpp>
#include <uvmas/core/task_group.hpp>

#include <csignal>
#include <exception>

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

namespace {

/// Runs `tasks` at the same time; completes when all have, and then throws
/// the first failure, if any.
Task<> all_of(Loop& loop, std::vector<Task<>> tasks) {
  std::exception_ptr failure;
  TaskGroup group(loop, "entity agents");
  group.set_error_handler([&failure](std::exception_ptr e) {
    if (!failure) failure = e;
  });
  for (auto& task : tasks) group.spawn(std::move(task));
  co_await group.join();
  if (failure) std::rethrow_exception(failure);
}

Task<> start_worker(Container* parent, std::vector<std::string> argv,
                    std::unique_ptr<subproc::ChildContainer>* slot) {
  *slot = co_await subproc::ChildContainer::start(*parent, std::move(argv));
}

Task<> spawn_in(subproc::ChildContainer* worker, std::string type, Array args, AgentProxy* proxy) {
  *proxy = co_await worker->spawn(std::move(type), std::move(args), Map());
}

Task<> call_step(AgentProxy agent, Time time, EntityInputs inputs, Time max_advance, EntityData* out) {
  *out = co_await agent.call<EntityData>("step", time, inputs, max_advance);
}

}  // namespace

Task<> EntityAgents::place() {
  // Started on first use, within a step: a step is not over while a worker starts.
  if (children_.size() < static_cast<std::size_t>(workers_.count)) {
    std::vector<std::unique_ptr<subproc::ChildContainer>> started(static_cast<std::size_t>(workers_.count));
    std::vector<Task<>> starts;
    for (auto& slot : started) starts.push_back(start_worker(container_.get(), workers_.argv, &slot));
    std::exception_ptr failure;
    try {
      co_await all_of(container_->loop(), std::move(starts));
    } catch (...) {
      failure = std::current_exception();
    }
    // Also after a failure: the ones that did start are stopped by stop() like the others.
    for (auto& child : started) {
      if (child) children_.push_back(std::move(child));
    }
    if (failure) std::rethrow_exception(failure);
  }
  // The agents of entities [placed_, end) are created in their workers at once.
  const std::size_t first = placed_, end = entities_.size();
  std::vector<AgentProxy> proxies(end - first);
  std::vector<Task<>> spawns;
  for (std::size_t i = first; i < end; ++i) {
    spawns.push_back(spawn_in(children_[i % children_.size()].get(), entities_[i].type, entities_[i].args,
                              &proxies[i - first]));
  }
  co_await all_of(container_->loop(), std::move(spawns));
  for (std::size_t i = first; i < end; ++i) {
    entities_[i].proxy = proxies[i - first];
    entities_[i].args.clear();
  }
  placed_ = end;
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
                              std::map<std::string, EntityData>& outputs, StepOrder order) {
  if (order == StepOrder::together && in_workers()) {
    // Every worker busy at once; each result lands in its own place, so the order of the replies does not show.
    if (placed_ < entities_.size()) co_await place();
    std::vector<EntityData> results(entities_.size());
    std::vector<Task<>> calls;
    calls.reserve(entities_.size());
    for (std::size_t i = 0; i < entities_.size(); ++i) {
      calls.push_back(call_step(entities_[i].proxy, time, inputs_of(inputs, entities_[i].eid), max_advance,
                                &results[i]));
    }
    co_await all_of(container_->loop(), std::move(calls));
    for (std::size_t i = 0; i < entities_.size(); ++i) outputs[entities_[i].eid] = std::move(results[i]);
    co_return;
  }
  for (std::size_t i = 0; i < entities_.size(); ++i) {
    const std::string eid = entities_[i].eid;
    const EntityInputs own = inputs_of(inputs, eid);
    AgentProxy agent = co_await proxy(i);
    outputs[eid] = co_await agent.call<EntityData>("step", time, own, max_advance);
  }
}

namespace {

/// Stops one worker and waits for it to exit; kills one that cannot be told.
Task<> stop_worker(subproc::ChildContainer* worker) {
  std::string failure;
  int status = 0;
  try {
    status = co_await worker->stop();
  } catch (const std::exception& e) {
    failure = e.what();
  }
  const std::string pid = std::to_string(worker->process().pid());
  if (!failure.empty()) {
    // Its connection is gone, so it cannot be asked; it must not outlive us either.
    log(LogLevel::warning, "mosaik roles: worker " + pid + " did not stop when asked (" + failure + "); killing it");
    worker->process().kill(SIGKILL);
    status = co_await worker->process().wait();
  }
  if (status != 0) log(LogLevel::warning, "mosaik roles: worker " + pid + " exited with " + std::to_string(status));
}

}  // namespace

Task<> EntityAgents::stop() {
  if (!children_.empty()) {
    std::vector<Task<>> stops;
    for (auto& worker : children_) stops.push_back(stop_worker(worker.get()));
    co_await all_of(container_->loop(), std::move(stops));
    children_.clear();
  }
  if (in_workers() && container_) co_await container_->shutdown();
}

OutputData pick_outputs(const std::map<std::string, EntityData>& last, const OutputRequest& request,
                        MissingOutput missing) {
  OutputData data;
  data.reserve(request.size());
  for (const auto& [eid, attrs] : request) {
    auto found = last.find(std::string(eid));
    if (found == last.end()) throw KeyError("no entity \"" + std::string(eid) + "\"");
    OutputData::EntityOutput d = data.entity(eid);
    for (std::string_view attr : attrs) {
      auto value = found->second.find(std::string(attr));
      if (value != found->second.end()) {
        d.set(attr, value->second);
      } else if (missing == MissingOutput::fail) {
        throw ValueError(std::string(eid) + " has no output \"" + std::string(attr) + "\"");
      } else if (missing == MissingOutput::null) {
        d.set(attr, Value());
      }
    }
  }
  return data;
}

}  // namespace uvmas::sim::roles
