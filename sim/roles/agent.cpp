// Role `agent` (MOSAIK.md §12, scenario async_requests): a time-based
// simulator whose Agents ask mosaik things during a step. The step only
// starts a task on the model's task group; the adapter replies once that task
// (and its requests to mosaik) has settled, so the requests all come before
// the step's reply.

#include "roles.hpp"

#include <uvmas/core/error.hpp>

#include <algorithm>

namespace uvmas::sim::roles {

namespace {

struct AgentEntity {
  std::string eid;
  EntityData data;  // progress, related, n_nodes, pulled
};

class AgentSimulator final : public Simulator {
 public:
  using Simulator::Simulator;

  Meta init(const std::string&, double, const Params&) override {
    Meta meta;
    meta.type = SimulatorType::time_based;
    ModelMeta& agent = meta.models["Agent"];
    agent.attrs = {"obs", "progress", "related", "n_nodes", "pulled"};
    return meta;
  }

  std::vector<EntityDescription> create(std::int64_t num, const std::string& model, const Params&) override {
    if (model != "Agent") throw ValueError("unknown model \"" + model + "\"");
    std::vector<EntityDescription> out;
    for (std::int64_t i = 0; i < num; ++i) {
      std::string eid = "Agent_" + std::to_string(agents_.size());
      agents_.push_back({eid, {}});
      out.push_back({eid, "Agent", {}, {}, {}});
    }
    return out;
  }

  Task<std::optional<Time>> step(Time time, const Inputs& inputs, Time) override {
    // The first observed source of each agent (sorted), taken now: the task runs on after this returns.
    std::vector<std::string> sources;
    for (const auto& agent : agents_) {
      const SourceValues* obs = find_input(inputs, agent.eid, "obs");
      sources.push_back(obs ? obs->begin()->first : std::string());
    }
    tasks().spawn(work(this, time, std::move(sources)));
    co_return time + 1;
  }

  OutputData get_data(const OutputRequest& outputs) override {
    OutputData data;
    for (const auto& [eid, attrs] : outputs) {
      auto agent = std::find_if(agents_.begin(), agents_.end(), [&](const AgentEntity& a) { return a.eid == eid; });
      if (agent == agents_.end()) throw KeyError("no entity \"" + eid + "\"");
      EntityData& d = data.entities[eid];
      for (const auto& attr : attrs) {
        auto it = agent->data.find(attr);
        d[attr] = it == agent->data.end() ? Value() : it->second;
      }
    }
    return data;
  }

 private:
  /// The agents, one after the other, each request awaited before the next.
  static Task<> work(AgentSimulator* self, Time time, std::vector<std::string> sources) {
    for (std::size_t i = 0; i < self->agents_.size(); ++i) {
      const std::string eid = self->agents_[i].eid;
      const std::string own = self->full_id(eid);
      double progress = co_await self->mosaik().get_progress();
      self->agents_[i].data["progress"] = Value(progress);

      std::map<std::string, Value> related = co_await self->mosaik().get_related_entities(own);
      Array names;
      for (const auto& [full_id, node] : related) names.emplace_back(full_id);
      self->agents_[i].data["related"] = Value(std::move(names));

      EntityGraph graph = co_await self->mosaik().get_related_entities();
      self->agents_[i].data["n_nodes"] = Value(static_cast<std::int64_t>(graph.nodes.size()));

      const std::string& source = sources[i];
      if (source.empty()) continue;
      OutputRequest request;
      request[source] = {"val"};
      std::map<std::string, EntityData> pulled = co_await self->mosaik().get_data(std::move(request));
      self->agents_[i].data["pulled"] = pulled.at(source).at("val");

      std::map<std::string, std::map<std::string, EntityData>> command;
      command[own][source]["cmd"] = Value(time);
      co_await self->mosaik().set_data(std::move(command));
    }
  }

  std::vector<AgentEntity> agents_;
};

}  // namespace

std::unique_ptr<Simulator> make_agent(Loop& loop, ExternalClock& clock) {
  return std::make_unique<AgentSimulator>(loop, clock);
}

}  // namespace uvmas::sim::roles
