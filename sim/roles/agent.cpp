// Role `agent` (MOSAIK.md §12, scenario async_requests): a time-based
// simulator whose Agents are uvmas agents that ask mosaik things during a
// step. The simulator calls each agent in turn and awaits it, so the agents'
// requests to mosaik come one after the other and all before the step's reply.

#include "roles.hpp"

#include <uvmas/core/error.hpp>

namespace uvmas::sim::roles {

namespace {

/// One Agent entity: progress, related, n_nodes and pulled are its outputs.
class MosaikAgent final : public Agent {
 public:
  MosaikAgent(Container& container, Simulator& sim, std::string eid)
      : Agent(container), sim_(sim), full_id_(sim.full_id(eid)) {
    expose("step", &MosaikAgent::step);
  }

  /// Asks mosaik about progress and the entity graph, pulls the first
  /// observed source's value and sends it a command; returns the outputs.
  Task<EntityData> step(Time time, EntityInputs inputs, Time) {
    Mosaik& mosaik = sim_.mosaik();
    const double progress = co_await mosaik.get_progress();
    data_["progress"] = Value(progress);

    std::map<std::string, Value> related = co_await mosaik.get_related_entities(full_id_);
    Array names;
    for (const auto& [full_id, node] : related) names.emplace_back(full_id);
    data_["related"] = Value(std::move(names));

    EntityGraph graph = co_await mosaik.get_related_entities();
    data_["n_nodes"] = Value(static_cast<std::int64_t>(graph.nodes.size()));

    // The first observed source (sorted: inputs are ordered maps).
    const SourceValues* obs = find_attr(inputs, "obs");
    if (obs && !obs->empty()) {
      const std::string source = obs->begin()->first;
      OutputRequest request;
      request[source] = {"val"};
      std::map<std::string, EntityData> pulled = co_await mosaik.get_data(std::move(request));
      data_["pulled"] = pulled.at(source).at("val");

      std::map<std::string, std::map<std::string, EntityData>> command;
      command[full_id_][source]["cmd"] = Value(time);
      co_await mosaik.set_data(std::move(command));
    }
    co_return data_;
  }

 private:
  Simulator& sim_;
  std::string full_id_;
  EntityData data_;
};

class AgentSimulator final : public Simulator {
 public:
  using Simulator::Simulator;

  Meta init(const std::string& sid, double, const Params&) override {
    entities_.open(*this, sid);
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
      std::string eid = "Agent_" + std::to_string(entities_.size());
      entities_.spawn<MosaikAgent>(eid, *this, eid);
      outputs_[eid];
      out.push_back({eid, "Agent", {}, {}, {}});
    }
    return out;
  }

  Task<std::optional<Time>> step(Time time, const Inputs& inputs, Time max_advance) override {
    // One agent after the other: each one's requests are answered before the next starts.
    co_await entities_.step_all(time, inputs, max_advance, outputs_);
    co_return time + 1;
  }

  OutputData get_data(const OutputRequest& outputs) override {
    return pick_outputs(outputs_, outputs, MissingOutput::null);
  }

 private:
  EntityAgents entities_;
  std::map<std::string, EntityData> outputs_;  // what each agent returned from its last step
};

}  // namespace

std::unique_ptr<Simulator> make_agent(Loop& loop, ExternalClock& clock) {
  return std::make_unique<AgentSimulator>(loop, clock);
}

}  // namespace uvmas::sim::roles
