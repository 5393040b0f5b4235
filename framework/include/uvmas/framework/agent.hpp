#pragma once
/// The agent layer (aiomas.agent.Agent): an agent is a subclass of `Agent`
/// living in a `Container`, with member functions exposed to remote callers.
///
/// \code
/// class TestAgent : public uvmas::Agent {
///  public:
///   explicit TestAgent(uvmas::Container& c) : Agent(c) { expose("service", &TestAgent::service); }
///   int service(int value) { return value; }
/// };
/// \endcode
///
/// Memory: the exposed functions of a class live in one table shared by all
/// its instances (interned the first time a constructor exposes them), so an
/// idle agent costs the framework a few words, not a router each.

#include <uvmas/framework/rpc.hpp>

#include <concepts>
#include <cstddef>
#include <cstring>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

namespace uvmas {

class Container;
class Agent;

namespace detail {

/// A type-erased exposed member function: calls it on `agent` with raw arguments.
using AgentInvoke = std::function<Task<Value>(Agent& agent, const rpc::CallContext&, const Array&, const Map&)>;

/// The exposed functions of one agent class: immutable once built and shared
/// by every instance (see intern_method).
struct AgentMethods {
  struct Method {
    std::string name;
    std::string key;  // identity of the function (its type and member pointer bytes) for interning
    AgentInvoke invoke;
  };
  std::vector<Method> methods;
  /// The method called `name`, or nullptr.
  const Method* find(std::string_view name) const noexcept {
    for (const auto& m : methods)
      if (m.name == name) return &m;
    return nullptr;
  }
};

/// The table `base` plus (or with replaced) method `name`. Tables are interned
/// process-wide by (base, name, key): the second instance of a class walks the
/// same chain of tables as the first and allocates nothing. Thread-safe.
const AgentMethods* intern_method(const AgentMethods* base, std::string name, std::string key,
                                  const std::function<AgentInvoke()>& make);

/// The class name without namespaces of a demangled `typeid` name.
std::string short_type_name(const std::type_info& type);

}  // namespace detail

/// The base class of agents (aiomas.agent.Agent). Constructing one registers
/// it in its container, which gives it the next id ("0", "1", ...) and the
/// address `<container base URL><id>`. Not copyable or movable (peers know it
/// by id). Create agents with `Container::spawn<T>(args...)`, or own them
/// yourself; an agent must not outlive its container.
class Agent {
 public:
  explicit Agent(Container& container);
  virtual ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  /// The container this agent lives in.
  Container& container() const noexcept { return *container_; }
  /// The agent's id in its container: "0", "1", ... in registration order.
  std::string aid() const { return std::to_string(index_); }
  /// The id as a number.
  std::size_t index() const noexcept { return index_; }
  /// The agent's address: `tcp://host:port/N`, `ipc://[path]/N` or `local://queue/N`.
  std::string addr() const;
  /// The class name peers see (validate_aid's answer, `ClassName('<addr>')`):
  /// the demangled C++ class name without namespaces unless overridden.
  virtual std::string type_name() const { return detail::short_type_name(typeid(*this)); }

  /// This agent as a value: a reference (`{"__type__": [m+1, "agents/<id>"]}`)
  /// that the receiver turns into a proxy calling back over the same connection.
  Value ref() const { return Value::extension(std::string(rpc::proxy_type), "agents/" + aid()); }

  /// Calls exposed function `path` ("service") with raw arguments (used by the
  /// container; LookupError/TypeError follow aiomas's texts).
  Task<Value> dispatch(const rpc::CallContext& ctx, const std::string& path, std::size_t start, const Array& args,
                       const Map& kwargs);

  /// Prints `ClassName('<addr>')`.
  friend std::ostream& operator<<(std::ostream& os, const Agent& agent) {
    return os << agent.type_name() << "('" << agent.addr() << "')";
  }

 protected:
  /// Exposes a member function under `name` (call it in the constructor).
  /// Arguments convert as for rpc::Router (a peer's agent reference is an
  /// rpc::Proxy parameter); functions may return Task<R>; returning an Agent
  /// (or `*this`) sends a reference. Keyword arguments need `param_names`.
  template <class C, class R, class... A>
    requires std::derived_from<C, Agent>
  void expose(std::string name, R (C::*method)(A...)) {
    expose(std::move(name), method, std::vector<std::string>{});
  }
  template <class C, class R, class... A>
    requires std::derived_from<C, Agent>
  void expose(std::string name, R (C::*method)(A...), std::vector<std::string> param_names) {
    using Method = R (C::*)(A...);
    std::string key(typeid(Method).name());
    key.push_back('\0');
    char bytes[sizeof(Method)];
    std::memcpy(bytes, &method, sizeof(Method));
    key.append(bytes, sizeof(Method));
    for (const auto& p : param_names) {
      key.push_back('\0');
      key += p;
    }
    std::string fn = name;
    methods_ = detail::intern_method(methods_, std::move(name), std::move(key), [&]() -> detail::AgentInvoke {
      // Argument errors name the method as Python does: "TestAgent.service()".
      return [fn = detail::short_type_name(typeid(C)) + "." + fn, method, names = param_names](
                 Agent& agent, const rpc::CallContext& ctx, const Array& args, const Map& kwargs) -> Task<Value> {
        C* self = static_cast<C*>(&agent);
        auto f = [self, method](A... a) -> R { return (self->*method)(std::forward<A>(a)...); };
        return rpc::detail::call_with<decltype(f), R, A...>(f, ctx, fn, names, args, kwargs);
      };
    });
  }

  /// Exposes a member function that takes the call's raw positional and
  /// keyword arguments (for variadic functions such as a sub-process
  /// manager's `spawn(qualname, *args, **kwargs)`).
  template <class C>
    requires std::derived_from<C, Agent>
  void expose_raw(std::string name, Task<Value> (C::*method)(Array args, Map kwargs)) {
    std::string key("raw\0", 4);
    key += typeid(C).name();
    char bytes[sizeof(method)];
    std::memcpy(bytes, &method, sizeof(method));
    key.append(bytes, sizeof(method));
    methods_ = detail::intern_method(methods_, std::move(name), std::move(key), [&]() -> detail::AgentInvoke {
      return [method](Agent& agent, const rpc::CallContext&, const Array& args, const Map& kwargs) -> Task<Value> {
        return (static_cast<C&>(agent).*method)(args, kwargs);
      };
    });
  }

 private:
  friend class Container;
  Container* container_;
  const detail::AgentMethods* methods_ = nullptr;
  std::size_t index_;
};

/// A proxy to a (possibly remote) agent, as returned by `Container::connect`:
/// `co_await proxy.call<int>("service", 42)`. Prints `ClassNameProxy('<url>')`.
namespace detail {
/// Where a re-connecting agent proxy gets the rpc proxy to call through
/// (the container implements it with its ReconnectPolicy).
class ProxySource {
 public:
  virtual ~ProxySource() = default;
  /// The current proxy while its connection is alive, else one over a new
  /// connection; throws ConnectionError when the policy's tries are used up.
  virtual Task<rpc::Proxy> proxy() = 0;
};
}  // namespace detail

class AgentProxy {
 public:
  AgentProxy() = default;
  AgentProxy(rpc::Proxy proxy, std::string class_name, std::string url)
      : proxy_(std::move(proxy)), class_name_(std::move(class_name)), url_(std::move(url)) {}
  /// A proxy whose calls first re-connect through `source` when the connection was lost.
  AgentProxy(rpc::Proxy proxy, std::string class_name, std::string url, std::shared_ptr<detail::ProxySource> source)
      : proxy_(std::move(proxy)), class_name_(std::move(class_name)), url_(std::move(url)), source_(std::move(source)) {}

  /// Calls the agent's exposed function `name(args...)`, converting the result
  /// to R. Throws RemoteException, ConnectionError, SerializationError,
  /// TimeoutError. With a reconnect policy, a connection found lost before
  /// the call is sent is made again first; a call already sent is never repeated.
  template <class R = Value, class... A>
  Task<R> call(std::string_view name, const A&... args) const {
    if (!source_) return proxy_.call<R>(name, args...);
    return call_kw<R>(name, rpc::Proxy::arguments(args...), Map{});
  }
  /// Calls `name(args..., **kwargs)`.
  template <class R = Value>
  Task<R> call_kw(std::string_view name, Array args, Map kwargs) const {
    if (!source_) return proxy_.call_kw<R>(name, std::move(args), std::move(kwargs));
    return reconnecting_call<R>(source_, std::string(name), std::move(args), std::move(kwargs), proxy_.timeout());
  }

  /// A copy whose calls fail with TimeoutError after `seconds` of the
  /// container's clock without a reply (0: the container's call_timeout).
  AgentProxy with_timeout(double seconds) const {
    return AgentProxy(proxy_.with_timeout(seconds), class_name_, url_, source_);
  }

  /// The underlying RPC proxy (path `agents/<id>`).
  const rpc::Proxy& proxy() const noexcept { return proxy_; }
  /// The agent's class name as its container reported it.
  const std::string& class_name() const noexcept { return class_name_; }
  /// The URL used to connect.
  const std::string& url() const noexcept { return url_; }
  explicit operator bool() const noexcept { return static_cast<bool>(proxy_); }

  friend std::ostream& operator<<(std::ostream& os, const AgentProxy& p) {
    return os << p.class_name_ << "Proxy('" << p.url_ << "')";
  }

 private:
  template <class R>
  static Task<R> reconnecting_call(std::shared_ptr<detail::ProxySource> source, std::string name, Array args,
                                   Map kwargs, double timeout) {
    rpc::Proxy p = co_await source->proxy();
    if (timeout > 0) p = p.with_timeout(timeout);
    co_return co_await p.call_kw<R>(name, std::move(args), std::move(kwargs));
  }

  rpc::Proxy proxy_;
  std::string class_name_;
  std::string url_;
  std::shared_ptr<detail::ProxySource> source_;
};

}  // namespace uvmas

/// Agents as values: a reference to the agent (see Agent::ref()).
template <class T>
  requires std::derived_from<T, uvmas::Agent>
struct uvmas::ValueTraits<T> {
  static uvmas::Value to_value(const T& agent) { return agent.ref(); }
};
