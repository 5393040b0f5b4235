#include "uvmas/framework/agent.hpp"

#include "uvmas/framework/container.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

namespace uvmas {

namespace detail {

namespace {
// The interned method tables. They live as long as the process: a table is
// shared by every agent of a class, and there are as many tables as
// (class, exposed name) pairs, not as agents.
struct MethodRegistry {
  std::mutex mutex;
  std::map<std::tuple<const AgentMethods*, std::string, std::string>, std::unique_ptr<AgentMethods>> tables;
};
MethodRegistry& registry() {
  static MethodRegistry r;
  return r;
}
}  // namespace

const AgentMethods* intern_method(const AgentMethods* base, std::string name, std::string key,
                                  const std::function<AgentInvoke()>& make) {
  if (base) {
    // Re-exposing the same function under the same name changes nothing.
    if (const auto* m = base->find(name); m && m->key == key) return base;
  }
  MethodRegistry& r = registry();
  std::lock_guard lock(r.mutex);
  auto& slot = r.tables[std::make_tuple(base, name, key)];
  if (!slot) {
    auto table = std::make_unique<AgentMethods>();
    if (base) {
      for (const auto& m : base->methods)
        if (m.name != name) table->methods.push_back(m);
    }
    table->methods.push_back(AgentMethods::Method{std::move(name), std::move(key), make()});
    slot = std::move(table);
  }
  return slot.get();
}

std::string short_type_name(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(abi::__cxa_demangle(type.name(), nullptr, nullptr, &status),
                                                   std::free);
  std::string name = (status == 0 && demangled) ? demangled.get() : type.name();
  // Drop namespaces (outside template arguments): "ns::(anonymous namespace)::TestAgent" -> "TestAgent".
  int depth = 0;
  std::size_t cut = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '<' || c == '(') ++depth;
    if (c == '>' || c == ')') --depth;
    if (depth == 0 && c == ':' && i + 1 < name.size() && name[i + 1] == ':') cut = i + 2;
  }
  return name.substr(cut);
}

}  // namespace detail

Agent::Agent(Container& container) : container_(&container), index_(container.register_agent(this)) {}

Agent::~Agent() { container_->unregister_agent(index_); }

std::string Agent::addr() const { return container_->base_url() + aid(); }

Task<Value> Agent::dispatch(const rpc::CallContext& ctx, const std::string& path, std::size_t start,
                            const Array& args, const Map& kwargs) {
  // `path` is "agents/<id>/<name>"; `start` is where <name> begins (npos: the agent itself).
  if (start == std::string::npos) throw TypeError("'" + type_name() + "' object is not callable");
  std::size_t slash = path.find('/', start);
  std::string name = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
  const detail::AgentMethods::Method* m = methods_ ? methods_->find(name) : nullptr;
  if (!m) throw LookupError("Name \"" + name + "\" not found in \"" + path.substr(0, start - 1) + "\"");
  if (slash != std::string::npos) {
    // aiomas looks the next name up as an attribute of the function: never there.
    std::size_t end = path.find('/', slash + 1);
    throw LookupError("Name \"" + path.substr(slash + 1, end == std::string::npos ? std::string::npos : end - slash - 1) +
                      "\" not found in \"" + path.substr(0, slash) + "\"");
  }
  return m->invoke(*this, ctx, args, kwargs);
}

}  // namespace uvmas
