#include "uvmas/framework/agent.hpp"

#include "uvmas/framework/container.hpp"

#include "uvmas/codecs/error.hpp"

#include <algorithm>
#include <sstream>

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

namespace {

[[noreturn]] void not_an_agent(const Value& value, const std::string& why) {
  throw TypeError("expected an agent reference or an agent address, got " + why +
                  (value.is_string() ? "" : " (" + std::string(value.kind_name()) + ")"));
}

}  // namespace

AgentProxy AgentProxy::from_received(const rpc::Proxy& connection, const Value& value) {
  Container* container = connection.container();
  if (value.is_string()) {
    const std::string& url = value.as_string();
    if (!AgentUrl::is_agent_url(url)) not_an_agent(value, "'" + url + "'");
    if (!container) throw TypeError("the agent address '" + url + "' needs an agent container to connect through");
    return container->proxy_for(url);
  }
  if (!value.is_extension() || value.as_extension().type != rpc::proxy_type || !value.as_extension().data.is_string())
    not_an_agent(value, "a value that is neither");
  const std::string& path = value.as_extension().data.as_string();
  constexpr std::string_view prefix = "agents/";
  std::string_view aid = std::string_view(path).substr(std::min(path.size(), prefix.size()));
  if (path.compare(0, prefix.size(), prefix) != 0 || aid.empty() || aid.find('/') != std::string_view::npos)
    not_an_agent(value, "a reference to the service \"" + path + "\"");
  rpc::Proxy proxy = connection.root()[path];
  if (!container) return AgentProxy(std::move(proxy), "", "");
  return container->received_agent(std::move(proxy), aid);
}

Task<> AgentProxy::validate() {
  if (!class_name().empty()) co_return;
  if (source_) {
    (void)co_await source_->proxy();
    class_name_ = source_->class_name();
    co_return;
  }
  if (!proxy_) throw ConnectionError("agent proxy is not bound to a connection");
  const std::string& path = proxy_.path();
  std::string aid = path.substr(path.rfind('/') + 1);
  Value name = co_await proxy_.root().call("validate_aid", aid);
  if (name.is_null()) {
    std::string where = url_.empty() ? std::string("the peer's container")
                                     : "Container(" + url_.substr(0, url_.size() - aid.size() - 1) + ")";
    throw ConnectionError("Agent \"" + aid + "\" does not exist in " + where);
  }
  class_name_ = name.is_string() ? name.as_string() : "Agent";
  // Later references to the agent over this connection then know it at once.
  if (Container* c = proxy_.container()) c->note_validated(proxy_.peer_url(), aid, class_name_);
}

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

uvmas::Value uvmas::ValueTraits<uvmas::AgentProxy>::to_value(const AgentProxy& proxy) {
  if (proxy.url().empty()) {
    std::ostringstream text;
    text << proxy;
    throw SerializationError("cannot pass on " + text.str() +
                             ": its address is unknown (it came over a connection its peer opened); "
                             "send the agent's address instead");
  }
  return Value(proxy.url());
}
