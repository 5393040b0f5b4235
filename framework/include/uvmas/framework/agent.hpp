#pragma once
/// The agent layer (aiomas.agent.Agent): an agent is a subclass of `Agent`
/// living in a `Container`, with member functions exposed to remote callers.
///
/// \code
/// class TestAgent : public uvmas::Agent {
///  public:
///   static void expose_methods(uvmas::rpc::Methods<TestAgent>& m) { m.expose("service", &TestAgent::service); }
///   explicit TestAgent(uvmas::Container& c) : Agent(c) {}
///   int service(int value) { return value; }
/// };
/// \endcode
///
/// Memory: the exposed functions of a class live in one method table shared
/// by all its instances (built once per class), so an idle agent costs the
/// framework a few words, not a router each.

#include <uvmas/framework/rpc.hpp>

#include <atomic>
#include <concepts>
#include <cstddef>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <typeinfo>
#include <array>
#include <vector>

namespace uvmas {

class Container;
class Agent;

namespace detail {

/// The method table an agent class builds with expose() calls in its
/// constructor: the first instance fills it, and once that instance is
/// complete (spawned) every later one shares it. An instance that cannot
/// share it (another thread is still building it, or it exposes something
/// else) gets a table of its own. Lock-free; one per class.
struct ConstructorTable {
  explicit ConstructorTable(std::string qualname) : table(std::move(qualname)) {}
  rpc::MethodTable table;
  /// 0: empty; 1: being built by `builder`; 2: complete.
  std::atomic<int> state{0};
  std::atomic<const Agent*> builder{nullptr};
};

template <class C>
ConstructorTable& constructor_table() {
  static ConstructorTable table(rpc::detail::default_qualname(typeid(C)));
  return table;
}

/// An in-process agent call on its way into the callee (see AgentProxy::call).
struct LocalCall {
  Container* container;
  std::size_t index;
  std::string_view name;
  std::span<const Value> args;
  static rpc::Outcome invoke(void* data, const rpc::CallContext& ctx);
};

}  // namespace detail

/// The base class of agents (aiomas.agent.Agent). Constructing one registers
/// it in its container, which gives it the next id ("0", "1", ...) and the
/// address `<container base URL><id>`. Not copyable or movable (peers know it
/// by id). Create agents with `Container::spawn<T>(args...)`; an agent must
/// not outlive its container.
///
/// A class declares what it exposes once, in a static member function that
/// Container::spawn finds: `static void expose_methods(rpc::Methods<T>& m)`
/// (member functions, sub-routers held in data members, hidden names and
/// the qualname, as for RPC services). expose() calls in the constructor
/// are accepted too.
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

  /// Calls what the rest of `walk` names ("service", "stats/calls") with raw
  /// arguments (used by the container; LookupError/TypeError follow aiomas's texts).
  rpc::Outcome invoke(const rpc::CallContext& ctx, rpc::PathWalk& walk, std::span<const Value> args,
                      const Map& kwargs);
  /// The agent's method table (nullptr: it exposes nothing).
  const rpc::MethodTable* methods() const noexcept { return methods_; }

  /// Prints `ClassName('<addr>')`.
  friend std::ostream& operator<<(std::ostream& os, const Agent& agent) {
    return os << agent.type_name() << "('" << agent.addr() << "')";
  }

 protected:
  /// Exposes a member function under `name` (call it in the constructor; a
  /// class with `expose_methods` declares them there instead). Arguments
  /// convert as for rpc::Router (a peer's agent reference is an AgentProxy
  /// parameter, or an rpc::Proxy one); functions may return Task<R>; returning an Agent (or
  /// `*this`) sends a reference. Keyword arguments need `params`, the names
  /// of all parameters (std::invalid_argument at once if their number is wrong).
  template <class C, class R, class... A>
    requires std::derived_from<C, Agent>
  void expose(std::string name, R (C::*method)(A...)) {
    expose(std::move(name), method, std::vector<std::string>{});
  }
  template <class C, class R, class... A>
    requires std::derived_from<C, Agent>
  void expose(std::string name, R (C::*method)(A...), std::vector<std::string> params) {
    auto& slot = detail::constructor_table<C>();
    rpc::detail::check_param_names(slot.table, name, sizeof...(A), params);
    expose_in_constructor(slot, rpc::detail::member_function<C, R (C::*)(A...), R, A...>(std::move(name), method,
                                                                                           std::move(params)));
  }

  /// Exposes a member function that takes the call's raw positional and
  /// keyword arguments (for variadic functions such as a sub-process
  /// manager's `spawn(qualname, *args, **kwargs)`).
  template <class C>
    requires std::derived_from<C, Agent>
  void expose_raw(std::string name, Task<Value> (C::*method)(Array args, Map kwargs)) {
    rpc::Method m;
    m.name = std::move(name);
    m.kind = rpc::Method::Kind::function;
    rpc::detail::store_member(m, method);
    m.invoke = [](const rpc::Method& m, const rpc::MethodTable&, void* self, const rpc::CallContext&,
                  std::span<const Value> args, const Map& kwargs) -> rpc::Outcome {
      auto fn = rpc::detail::load_member<Task<Value> (C::*)(Array, Map)>(m);
      return rpc::Outcome((static_cast<C*>(static_cast<Agent*>(self))->*fn)(Array(args.begin(), args.end()), kwargs));
    };
    expose_in_constructor(detail::constructor_table<C>(), std::move(m));
  }

 private:
  friend class Container;
  void expose_in_constructor(detail::ConstructorTable& slot, rpc::Method m);
  /// Called once the agent is complete: a table it built is now shared.
  void seal_methods() noexcept;

  Container* container_;
  const rpc::MethodTable* methods_ = nullptr;
  detail::ConstructorTable* building_ = nullptr;
  std::unique_ptr<rpc::MethodTable> own_methods_;
  std::size_t index_;
};

namespace detail {
/// Where an agent proxy that is not (or no longer) bound to a connection
/// gets the rpc proxy to call through: the container re-connecting with its
/// ReconnectPolicy, or connecting for the first time to an address it received.
class ProxySource {
 public:
  virtual ~ProxySource() = default;
  /// The current proxy while its connection is alive, else one over a fresh
  /// connection; throws ConnectionError when that fails.
  virtual Task<rpc::Proxy> proxy() = 0;
  /// The agent's class name once known ("" before).
  virtual std::string class_name() const = 0;
};
}  // namespace detail

/// A proxy to a (possibly remote) agent: `co_await proxy.call<int>("service", 42)`.
/// Prints `ClassNameProxy('<url>')` as aiomas does.
///
/// Where one comes from:
///  - `Container::connect(url)`: bound to the cached connection to that
///    container (or in-process for an agent of this container); class name
///    and URL (the one given) are known.
///  - an agent reference received over a connection (an AgentProxy
///    parameter, or `call<AgentProxy>`): bound to that connection, calls go
///    back over it (as aiomas's proxies do). Its URL is the peer container's
///    URL plus the id when this side opened the connection (or for an agent
///    of this container); on a connection the peer opened, the peer's address
///    is not on the wire: url() is "" and the proxy prints its path,
///    `AgentProxy('agents/0')`. The class name is known at once for an agent
///    of this container or one validated on that connection; else validate()
///    asks the peer's container (validate_aid, one round trip) and until
///    then the proxy prints as `AgentProxy(...)`.
///  - an agent address received as a value (how proxies are passed on):
///    connects through the container (as connect(url)) on its first call or
///    validate(); at once if the agent is in this container or already validated.
///
/// Passing an AgentProxy on (as an argument or a result) sends its address,
/// a plain string that a Python peer can `connect()` to and that an
/// AgentProxy parameter accepts; a proxy whose address is unknown cannot be
/// passed on (SerializationError; send the agent's addr instead).
class AgentProxy {
 public:
  AgentProxy() = default;
  AgentProxy(rpc::Proxy proxy, std::string class_name, std::string url)
      : proxy_(std::move(proxy)), class_name_(std::move(class_name)), url_(std::move(url)) {}
  /// A proxy whose calls first get their connection from `source` (connecting
  /// or re-connecting as it decides).
  AgentProxy(rpc::Proxy proxy, std::string class_name, std::string url, std::shared_ptr<detail::ProxySource> source)
      : proxy_(std::move(proxy)), class_name_(std::move(class_name)), url_(std::move(url)), source_(std::move(source)) {}
  /// A proxy of agent `index` of `local`, reached through `proxy`, an
  /// in-process connection of that container: calls go straight through the
  /// agent's method table, with no encoding and no path built.
  AgentProxy(rpc::Proxy proxy, std::string class_name, std::string url, Container* local, std::size_t index)
      : proxy_(std::move(proxy)), class_name_(std::move(class_name)), url_(std::move(url)), local_(local), index_(index) {}

  /// A value received over `connection` (the root proxy of the connection it
  /// came over) as an agent proxy: an agent reference (`{"__type__": [n,
  /// "agents/<id>"]}`) or an agent address. TypeError for anything else.
  /// Used for AgentProxy parameters and results.
  static AgentProxy from_received(const rpc::Proxy& connection, const Value& value);

  /// Calls the agent's exposed function `name(args...)`, converting the result
  /// to R. Throws RemoteException, ConnectionError, SerializationError,
  /// TimeoutError. With a reconnect policy, a connection found lost before
  /// the call is sent is made again first; a call already sent is never repeated.
  template <class R = Value, class... A>
  Task<R> call(std::string_view name, const A&... args) const {
    if (local_) {
      return local_call<R, sizeof...(A)>(proxy_, local_, index_, std::string(name),
                                         std::array<Value, sizeof...(A)>{rpc::Proxy::argument(args)...});
    }
    if (!source_) return proxy_.call<R>(name, args...);
    return call_kw<R>(name, rpc::Proxy::arguments(args...), Map{});
  }
  /// Calls `name(args..., **kwargs)`.
  template <class R = Value>
  Task<R> call_kw(std::string_view name, Array args, Map kwargs) const {
    if (!source_) return proxy_.call_kw<R>(name, std::move(args), std::move(kwargs));
    return reconnecting_call<R>(source_, std::string(name), std::move(args), std::move(kwargs), proxy_.timeout());
  }

  /// Makes sure the class name is known: asks the agent's container
  /// (validate_aid, one round trip over the proxy's connection; connecting
  /// first for a received address) unless it already is. Throws
  /// ConnectionError if the agent does not exist there.
  Task<> validate();

  /// A copy whose calls fail with TimeoutError after `seconds` of the
  /// container's clock without a reply (0: the container's call_timeout).
  AgentProxy with_timeout(double seconds) const {
    AgentProxy p(*this);
    p.proxy_ = proxy_.with_timeout(seconds);
    return p;
  }

  /// The underlying RPC proxy (path `agents/<id>`; unbound for a received
  /// address until it connected).
  const rpc::Proxy& proxy() const noexcept { return proxy_; }
  /// The agent's class name as its container reported it ("" until known; see validate()).
  std::string class_name() const { return class_name_.empty() && source_ ? source_->class_name() : class_name_; }
  /// The agent's address: the URL used to connect, or the peer container's
  /// URL plus the id; "" when unknown (a reference over a connection the peer opened).
  const std::string& url() const noexcept { return url_; }
  explicit operator bool() const noexcept { return static_cast<bool>(proxy_) || static_cast<bool>(source_); }

  /// Prints `ClassNameProxy('<url>')`; `AgentProxy(...)` while the class name
  /// is unknown, the reference's path while the address is.
  friend std::ostream& operator<<(std::ostream& os, const AgentProxy& p) {
    std::string name = p.class_name();
    return os << (name.empty() ? "Agent" : name) << "Proxy('" << (p.url_.empty() ? p.proxy_.path() : p.url_) << "')";
  }

 private:
  // The callee runs at once; a synchronous function's result is there when
  // it returns (nothing spawned, nothing allocated), a coroutine goes on as
  // a task of its own that this call awaits with the same checks and
  // deadline as any in-process call.
  template <class R, std::size_t N>
  static Task<R> local_call(rpc::Proxy via, Container* container, std::size_t index, std::string name,
                            std::array<Value, N> args) {
    detail::LocalCall call{container, index, name, std::span<const Value>(args)};
    rpc::Outcome outcome = via.invoke_in_process(call.args, &detail::LocalCall::invoke, &call);
    Value result;
    if (outcome.pending()) {
      result = co_await via.finish_in_process(name, outcome.take_task());
    } else {
      result = std::move(outcome.value());
    }
    if constexpr (std::is_void_v<R>) {
      co_return;
    } else {
      co_return via.result_as<R>(std::move(result));
    }
  }

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
  Container* local_ = nullptr;
  std::size_t index_ = 0;
};

}  // namespace uvmas

/// The member functions of agent classes are called on the Agent base the container knows.
template <class C>
  requires std::derived_from<C, uvmas::Agent>
struct uvmas::rpc::detail::SelfBase<C> {
  using type = uvmas::Agent;
};

/// Agents as values: a reference to the agent (see Agent::ref()).
template <class T>
  requires std::derived_from<T, uvmas::Agent>
struct uvmas::ValueTraits<T> {
  static uvmas::Value to_value(const T& agent) { return agent.ref(); }
};

/// Agent proxies as values: the agent's address (how a proxy is passed on;
/// SerializationError when it is unknown).
template <>
struct uvmas::ValueTraits<uvmas::AgentProxy> {
  static uvmas::Value to_value(const uvmas::AgentProxy& proxy);
};
