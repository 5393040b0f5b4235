#include "uvmas/framework/agent.hpp"

#include "uvmas/framework/container.hpp"

namespace uvmas {

namespace {

// Whether `table` has `m` as it is (same function type and parameter names).
bool holds(const rpc::MethodTable& table, const rpc::Method& m) {
  const rpc::Method* have = table.find(m.name);
  return have && have->kind == m.kind && have->invoke == m.invoke && have->params == m.params;
}

// Whether `table` has every entry of `current` (the table an agent used so far).
bool holds_all(const rpc::MethodTable& table, const rpc::MethodTable* current) {
  if (!current || current == &table) return true;
  for (const auto& m : current->methods())
    if (!holds(table, m)) return false;
  return true;
}

}  // namespace

namespace detail {

rpc::Outcome LocalCall::invoke(void* data, const rpc::CallContext& ctx) {
  auto& call = *static_cast<LocalCall*>(data);
  Agent* agent = call.container->agent_at(call.index);
  if (!agent) throw LookupError("Name \"" + std::to_string(call.index) + "\" not found in \"agents\"");
  rpc::PathWalk walk(
      call.name, [](const void* c) { return "agents/" + std::to_string(static_cast<const LocalCall*>(c)->index); },
      &call);
  const Map none;
  return agent->invoke(ctx, walk, call.args, none);
}

}  // namespace detail

Agent::Agent(Container& container) : container_(&container), index_(container.register_agent(this)) {}

Agent::~Agent() {
  seal_methods();
  container_->unregister_agent(index_);
}

std::string Agent::addr() const { return container_->base_url() + aid(); }

void Agent::expose_in_constructor(detail::ConstructorTable& slot, rpc::Method m) {
  if (own_methods_) {
    own_methods_->add(std::move(m));
    return;
  }
  if (building_ == &slot) {
    slot.table.add(std::move(m));
    return;
  }
  int state = slot.state.load(std::memory_order_acquire);
  if (state == 0 && slot.state.compare_exchange_strong(state, 1, std::memory_order_acq_rel)) {
    // The first instance of the class builds the shared table (starting from
    // what a base class constructor exposed, if anything).
    seal_methods();
    slot.builder.store(this, std::memory_order_release);
    if (methods_) {
      for (const auto& entry : methods_->methods()) slot.table.add(entry);
    }
    slot.table.add(std::move(m));
    building_ = &slot;
    methods_ = &slot.table;
    return;
  }
  if (state == 2 && holds(slot.table, m) && holds_all(slot.table, methods_)) {
    methods_ = &slot.table;
    return;
  }
  // Another instance is still building the shared table (in another thread),
  // or this one exposes something else: a table of its own.
  auto own = std::make_unique<rpc::MethodTable>(slot.table.qualname());
  if (methods_) {
    for (const auto& entry : methods_->methods()) own->add(entry);
  }
  own->add(std::move(m));
  seal_methods();
  methods_ = own.get();
  own_methods_ = std::move(own);
}

void Agent::seal_methods() noexcept {
  if (!building_) return;
  building_->builder.store(nullptr, std::memory_order_relaxed);
  building_->state.store(2, std::memory_order_release);
  building_ = nullptr;
}

rpc::Outcome Agent::invoke(const rpc::CallContext& ctx, rpc::PathWalk& walk, std::span<const Value> args,
                           const Map& kwargs) {
  if (walk.done()) throw TypeError("'" + type_name() + "' object is not callable");
  return rpc::invoke_path(methods_, static_cast<Agent*>(this), ctx, walk, args, kwargs);
}

}  // namespace uvmas
