// Role `agent` (MOSAIK.md §12, scenario async_requests): a time-based
// simulator whose Agents are uvmas agents that ask mosaik things during a
// step. The simulator calls each agent in turn and awaits it, so the agents'
// requests to mosaik come one after the other and all before the step's reply.
// Spawned as "Agent" with [full_id, mosaik_address]: in process an agent asks
// the simulator's Mosaik directly (the address is null); in a worker it asks
// the MosaikForwarder agent at that address in the simulator's container,
// which passes each request on and the reply back unchanged.

#include "roles.hpp"

#include <uvmas/core/error.hpp>

namespace uvmas::sim::roles {

namespace {

using RelatedEntities = std::map<std::string, Value>;
using DataByFullId = std::map<std::string, EntityData>;
using SetData = std::map<std::string, std::map<std::string, EntityData>>;

/// The requests an Agent entity makes of mosaik during its step.
class MosaikLink {
 public:
  virtual ~MosaikLink() = default;
  virtual Task<double> get_progress() = 0;
  virtual Task<RelatedEntities> get_related_entities(std::string full_id) = 0;
  virtual Task<EntityGraph> get_related_entities() = 0;
  virtual Task<DataByFullId> get_data(DataRequest request) = 0;
  virtual Task<> set_data(SetData data) = 0;
};

/// In process: the simulator's own mosaik connection.
class DirectMosaik final : public MosaikLink {
 public:
  explicit DirectMosaik(Mosaik& mosaik) : mosaik_(mosaik) {}
  Task<double> get_progress() override { return mosaik_.get_progress(); }
  Task<RelatedEntities> get_related_entities(std::string full_id) override {
    return mosaik_.get_related_entities(std::move(full_id));
  }
  Task<EntityGraph> get_related_entities() override { return mosaik_.get_related_entities(); }
  Task<DataByFullId> get_data(DataRequest request) override { return mosaik_.get_data(std::move(request)); }
  Task<> set_data(SetData data) override { return mosaik_.set_data(std::move(data)); }

 private:
  Mosaik& mosaik_;
};

/// The entity graph as a value: {"nodes": {...}, "edges": [[from, to, attrs], ...]}.
Value graph_value(const EntityGraph& graph) {
  Map nodes;
  for (const auto& [full_id, attrs] : graph.nodes) nodes.emplace_back(full_id, attrs);
  Array edges;
  for (const auto& edge : graph.edges) {
    Array e;
    e.emplace_back(edge.from);
    e.emplace_back(edge.to);
    e.push_back(edge.attrs);
    edges.emplace_back(std::move(e));
  }
  Map out;
  out.emplace_back("nodes", Value(std::move(nodes)));
  out.emplace_back("edges", Value(std::move(edges)));
  return Value(std::move(out));
}

EntityGraph graph_from(const Value& v) {
  EntityGraph graph;
  graph.nodes = v.at("nodes").as<RelatedEntities>();
  for (const auto& edge : v.at("edges").as_array()) {
    const Array& e = edge.as_array();
    graph.edges.push_back({e.at(0).as_string(), e.at(1).as_string(), e.at(2)});
  }
  return graph;
}

/// In the simulator's container when the agents live in workers: their
/// requests to mosaik, made on the simulator's mosaik connection.
class MosaikForwarder final : public Agent {
 public:
  MosaikForwarder(Container& container, Mosaik& mosaik) : Agent(container), mosaik_(mosaik) {
    expose("get_progress", &MosaikForwarder::get_progress);
    expose("get_related", &MosaikForwarder::get_related);
    expose("get_graph", &MosaikForwarder::get_graph);
    expose("get_data", &MosaikForwarder::get_data);
    expose("set_data", &MosaikForwarder::set_data);
  }

  Task<double> get_progress() { return mosaik_.get_progress(); }
  Task<RelatedEntities> get_related(std::string full_id) { return mosaik_.get_related_entities(std::move(full_id)); }
  Task<Value> get_graph() { return graph(this); }
  Task<DataByFullId> get_data(DataRequest request) { return mosaik_.get_data(std::move(request)); }
  Task<> set_data(SetData data) { return mosaik_.set_data(std::move(data)); }

 private:
  static Task<Value> graph(MosaikForwarder* self) {
    EntityGraph graph = co_await self->mosaik_.get_related_entities();
    co_return graph_value(graph);
  }

  Mosaik& mosaik_;
};

/// In a worker: the simulator's MosaikForwarder (connected on first use).
class RemoteMosaik final : public MosaikLink {
 public:
  RemoteMosaik(Container& container, std::string address) : container_(container), address_(std::move(address)) {}

  Task<double> get_progress() override {
    AgentProxy p = co_await forwarder();
    co_return co_await p.call<double>("get_progress");
  }
  Task<RelatedEntities> get_related_entities(std::string full_id) override {
    AgentProxy p = co_await forwarder();
    co_return co_await p.call<RelatedEntities>("get_related", full_id);
  }
  Task<EntityGraph> get_related_entities() override {
    AgentProxy p = co_await forwarder();
    Value graph = co_await p.call<Value>("get_graph");
    co_return graph_from(graph);
  }
  Task<DataByFullId> get_data(DataRequest request) override {
    AgentProxy p = co_await forwarder();
    co_return co_await p.call<DataByFullId>("get_data", request);
  }
  Task<> set_data(SetData data) override {
    AgentProxy p = co_await forwarder();
    (void)co_await p.call<Value>("set_data", data);
  }

 private:
  Task<AgentProxy> forwarder() {
    if (!proxy_) proxy_ = co_await container_.connect(address_);
    co_return proxy_;
  }

  Container& container_;
  std::string address_;
  AgentProxy proxy_;
};

/// One Agent entity: progress, related, n_nodes and pulled are its outputs.
class MosaikAgent final : public Agent {
 public:
  MosaikAgent(Container& container, std::string full_id, std::unique_ptr<MosaikLink> mosaik)
      : Agent(container), full_id_(std::move(full_id)), mosaik_(std::move(mosaik)) {
    expose("step", &MosaikAgent::step);
  }

  /// Asks mosaik about progress and the entity graph, pulls the first
  /// observed source's value and sends it a command; returns the outputs.
  Task<EntityData> step(Time time, EntityInputs inputs, Time) {
    MosaikLink& mosaik = *mosaik_;
    const double progress = co_await mosaik.get_progress();
    data_["progress"] = Value(progress);

    RelatedEntities related = co_await mosaik.get_related_entities(full_id_);
    Array names;
    for (const auto& [full_id, node] : related) names.emplace_back(full_id);
    data_["related"] = Value(std::move(names));

    EntityGraph graph = co_await mosaik.get_related_entities();
    data_["n_nodes"] = Value(static_cast<std::int64_t>(graph.nodes.size()));

    // The first observed source (sorted: inputs are ordered maps).
    const SourceValues* obs = find_attr(inputs, "obs");
    if (obs && !obs->empty()) {
      const std::string source = obs->begin()->first;
      DataRequest request;
      request[source] = {"val"};
      DataByFullId pulled = co_await mosaik.get_data(std::move(request));
      data_["pulled"] = pulled.at(source).at("val");

      SetData command;
      command[full_id_][source]["cmd"] = Value(time);
      co_await mosaik.set_data(std::move(command));
    }
    co_return data_;
  }

 private:
  std::string full_id_;
  std::unique_ptr<MosaikLink> mosaik_;
  EntityData data_;
};

class AgentSimulator final : public Simulator {
 public:
  AgentSimulator(Loop& loop, ExternalClock& clock, const Workers& workers)
      : Simulator(loop, clock), entities_(workers, types_) {
    types_.add("Agent", [this](Container& c, const Array& args, const Map& kwargs) -> Agent& {
      return c.spawn<MosaikAgent>(subproc::argument<std::string>(args, kwargs, 0, "full_id"),
                                  std::make_unique<DirectMosaik>(mosaik()));
    });
  }

  Meta init(const std::string& sid, double, const Params&) override {
    entities_.open(*this, sid);
    if (entities_.in_workers() && !forwarder_) {
      forwarder_ = &entities_.container().spawn<MosaikForwarder>(mosaik());
    }
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
      Array args;
      args.emplace_back(full_id(eid));
      args.push_back(forwarder_ ? Value(forwarder_->addr()) : Value());
      entities_.spawn(eid, "Agent", std::move(args));
      outputs_[eid];
      out.push_back({eid, "Agent", {}, {}, {}});
    }
    return out;
  }

  Task<std::optional<Time>> step(Time time, const Inputs& inputs, Time max_advance) override {
    // One agent after the other: each one's requests are answered before the next starts.
    co_await entities_.step_all(time, inputs, max_advance, outputs_, EntityAgents::StepOrder::in_turn);
    co_return time + 1;
  }

  OutputData get_data(const OutputRequest& outputs) override {
    return pick_outputs(outputs_, outputs, MissingOutput::null);
  }

  Task<> shutdown() override { return entities_.stop(); }

 private:
  subproc::AgentTypes types_;  // in process: the Agents ask mosaik() directly
  EntityAgents entities_;
  MosaikForwarder* forwarder_ = nullptr;  // with workers: their way to mosaik()
  std::map<std::string, EntityData> outputs_;  // what each agent returned from its last step
};

}  // namespace

void add_agent_types(subproc::AgentTypes& types) {
  types.add("Agent", [](Container& c, const Array& args, const Map& kwargs) -> Agent& {
    auto mosaik =
        std::make_unique<RemoteMosaik>(c, subproc::argument<std::string>(args, kwargs, 1, "mosaik_address"));
    return c.spawn<MosaikAgent>(subproc::argument<std::string>(args, kwargs, 0, "full_id"), std::move(mosaik));
  });
}

std::unique_ptr<Simulator> make_agent(Loop& loop, ExternalClock& clock, const Workers& workers) {
  return std::make_unique<AgentSimulator>(loop, clock, workers);
}

std::unique_ptr<Simulator> make_agent(Loop& loop, ExternalClock& clock) { return make_agent(loop, clock, Workers()); }

}  // namespace uvmas::sim::roles
