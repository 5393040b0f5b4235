// Method tables and routers: binding a request's arguments to parameters,
// walking a path to the exposed function, and the errors aiomas gives for
// what is not there.

#include "uvmas/framework/rpc.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <stdexcept>

namespace uvmas::detail {

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

}  // namespace uvmas::detail

namespace uvmas::rpc {

namespace detail {

void bind_arguments(const MethodTable& t, const Method& m, std::size_t arity, std::size_t required,
                    std::span<const Value> args, const Map& kwargs, const Value** bound) {
  auto fn = [&] { return t.label(m); };
  const auto& names = m.params;
  if (args.size() > arity) {
    throw TypeError(fn() + "() takes " + std::to_string(arity) + " positional argument" + (arity == 1 ? "" : "s") +
                    " but " + std::to_string(args.size()) + (args.size() == 1 ? " was" : " were") + " given");
  }
  for (std::size_t i = 0; i < arity; ++i) bound[i] = i < args.size() ? &args[i] : nullptr;
  for (const auto& [k, v] : kwargs) {
    const std::string& key = k.as_string();
    std::size_t i = 0;
    while (i < names.size() && names[i] != key) ++i;
    if (i >= names.size() || i >= arity) throw TypeError(fn() + "() got an unexpected keyword argument '" + key + "'");
    if (bound[i]) throw TypeError(fn() + "() got multiple values for argument '" + key + "'");
    bound[i] = &v;
  }
  std::vector<std::string> missing;
  for (std::size_t i = 0; i < required; ++i)
    if (!bound[i]) missing.push_back(i < names.size() ? "'" + names[i] + "'" : "#" + std::to_string(i + 1));
  if (!missing.empty()) {
    std::string list;
    for (std::size_t i = 0; i < missing.size(); ++i) {
      if (i > 0) list += (i + 1 == missing.size()) ? (missing.size() > 2 ? ", and " : " and ") : ", ";
      list += missing[i];
    }
    throw TypeError(fn() + "() missing " + std::to_string(missing.size()) + " required positional argument" +
                    (missing.size() == 1 ? "" : "s") + ": " + list);
  }
}

void bad_argument(const MethodTable& t, const Method& m, std::size_t index, const char* why) {
  std::string param = index < m.params.size() ? "'" + m.params[index] + "'" : std::to_string(index + 1);
  throw TypeError(t.label(m) + "() argument " + param + ": " + why);
}

void check_param_names(const MethodTable& t, std::string_view name, std::size_t arity,
                       const std::vector<std::string>& params) {
  if (params.empty() || params.size() == arity) return;
  throw std::invalid_argument("exposing " + std::string(t.class_name()) + "." + std::string(name) + ": " +
                              std::to_string(params.size()) + " parameter name" + (params.size() == 1 ? "" : "s") +
                              " given for " + std::to_string(arity) + " parameter" + (arity == 1 ? "" : "s"));
}

std::string default_qualname(const std::type_info& type) { return "__main__." + uvmas::detail::short_type_name(type); }

}  // namespace detail

std::string MethodTable::label(const Method& m) const {
  std::string_view cls = class_name();
  if (cls == "ServiceDict") return m.name;
  return std::string(cls) + "." + m.name;
}

void MethodTable::add(Method m) {
  for (auto& existing : methods_) {
    if (existing.name == m.name) {
      existing = std::move(m);
      return;
    }
  }
  methods_.push_back(std::move(m));
}

namespace {

[[noreturn]] void not_found(std::string_view name, const std::string& where) {
  throw LookupError("Name \"" + std::string(name) + "\" not found in \"" + where + "\"");
}

std::string_view last_part(std::string_view qualname) { return qualname.substr(qualname.rfind('.') + 1); }

}  // namespace

namespace detail {
// Calls entry `m` of `table` on `self` with what is left of `walk`; `owner`
// (if any) is the router the entry belongs to, which adopts sub-routers
// reached through data members so that their references name their path.
Outcome invoke_entry(const MethodTable& table, const Method& m, void* self, const Router* owner,
                     const CallContext& ctx, PathWalk& walk, std::span<const Value> args, const Map& kwargs) {
  switch (m.kind) {
    case Method::Kind::hidden:
      throw LookupError("\"" + table.qualname() + "." + m.name + "\" is not exposed");
    case Method::Kind::service: {
      Router* sub = m.service ? m.service : m.reach(m, self);
      if (owner) owner->adopt(m.name, *sub);
      if (walk.done()) throw TypeError("'" + std::string(last_part(sub->qualname())) + "' object is not callable");
      return sub->invoke(ctx, walk, args, kwargs);
    }
    case Method::Kind::function:
      break;
  }
  if (!walk.done()) {
    // aiomas looks the next name up as an attribute of the function: never there.
    std::string_view next = walk.next();
    not_found(next, walk.before());
  }
  return m.invoke(m, table, self, ctx, args, kwargs);
}
}  // namespace detail

Outcome invoke_path(const MethodTable* table, void* self, const CallContext& ctx, PathWalk& walk,
                    std::span<const Value> args, const Map& kwargs) {
  std::string_view name = walk.next();
  const Method* m = table ? table->find(name) : nullptr;
  if (!m) not_found(name, walk.before());
  return detail::invoke_entry(*table, *m, self, nullptr, ctx, walk, args, kwargs);
}

void Router::adopt(const std::string& name, Router& sub) const {
  if (sub.parent_ || &sub == this) return;
  sub.parent_ = this;
  sub.name_ = name;
}

void Router::adopt_members(int depth) const {
  if (depth > 64) return;  // a cycle of sub-routers: their paths are what they are
  auto walk = [&](const MethodTable& table) {
    for (const auto& m : table.methods()) {
      if (m.kind != Method::Kind::service) continue;
      Router* sub = m.service ? m.service : m.reach(m, self_);
      adopt(m.name, *sub);
      if (sub != this) sub->adopt_members(depth + 1);
    }
  };
  if (class_) walk(*class_);
  walk(own_);
}

Router& Router::add_sub(std::string name, Router& sub) {
  sub.parent_ = this;
  sub.name_ = name;
  Method m;
  m.name = std::move(name);
  m.kind = Method::Kind::service;
  m.service = &sub;
  own_.add(std::move(m));
  return *this;
}

Router& Router::add_hidden(std::string name) {
  Method m;
  m.name = std::move(name);
  own_.add(std::move(m));
  return *this;
}

std::string Router::path() const {
  if (!parent_) return {};
  std::string p = parent_->path();
  return p.empty() ? name_ : p + "/" + name_;
}

Outcome Router::invoke(const CallContext& ctx, PathWalk& walk, std::span<const Value> args, const Map& kwargs) const {
  std::string_view name = walk.next();
  const MethodTable* table = class_;
  const Method* m = class_ ? class_->find(name) : nullptr;
  if (!m) {
    table = &own_;
    m = own_.find(name);
  }
  if (!m) {
    if (resolver_) return resolver_->resolve(ctx, walk, name, args, kwargs);
    not_found(name, walk.before());
  }
  return detail::invoke_entry(*table, *m, self_, this, ctx, walk, args, kwargs);
}

namespace {
Task<Value> ready(Value v) { co_return v; }
}  // namespace

Task<Value> Router::dispatch(const CallContext& ctx, std::string_view path, const Array& args, const Map& kwargs) const {
  PathWalk walk(path);
  Outcome outcome = invoke(ctx, walk, args, kwargs);
  if (outcome.pending()) return outcome.take_task();
  return ready(std::move(outcome.value()));
}

}  // namespace uvmas::rpc
