#pragma once
/// The RPC layer (aiomas.rpc): routers that expose C++ functions under
/// `/`-separated paths, proxies that call them remotely, and services passed
/// by reference as proxies bound to the connection they came over.
///
/// C++ has no reflection, so a class declares its exposed methods once, and
/// its objects serve them through a router:
/// \code
/// struct MathServer {
///   static void expose_methods(uvmas::rpc::Methods<MathServer>& m) { m.expose("add", &MathServer::add, {"a", "b"}); }
///   uvmas::rpc::Router router{this};
///   int add(int a, int b) { return a + b; }
/// };
/// \endcode

#include <uvmas/codecs/value.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/core/task.hpp>
#include <uvmas/framework/channel.hpp>

#include <concepts>
#include <cstddef>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

namespace uvmas {
class Container;
}  // namespace uvmas

namespace uvmas::detail {
/// The class name without namespaces of a demangled `typeid` name.
std::string short_type_name(const std::type_info& type);
}  // namespace uvmas::detail

namespace uvmas::rpc {

/// The extension type name under which services travel; an RPC connection
/// registers it after the user's extra serializers (aiomas's object catch-all).
inline constexpr std::string_view proxy_type = "proxy";

class Router;
class Proxy;

namespace detail {
struct ConnectionState;
struct ConnectionAccess;
}

/// A reference to a service (its router) as a value: returning or passing one
/// sends `{"__type__": [n, "<router path>"]}`, which the peer turns into a Proxy.
struct ServiceRef {
  const Router* router = nullptr;
};

/// What calling an exposed function gives: its value at once (a synchronous
/// function) or the task that produces it (a coroutine).
class Outcome {
 public:
  Outcome(Value value) noexcept : value_(std::move(value)) {}
  explicit Outcome(Task<Value> task) noexcept : task_(std::move(task)) {}
  /// True if the value comes from the task.
  bool pending() const noexcept { return task_.valid(); }
  Value& value() noexcept { return value_; }
  Task<Value> take_task() noexcept { return std::move(task_); }

 private:
  Value value_;
  Task<Value> task_;
};

/// What an exposed function sees of the call besides its arguments: the
/// connection the request came over, which the caller keeps alive for the call.
class CallContext {
 public:
  /// A received service reference as a proxy on the call's connection (how
  /// Proxy arguments arrive); TypeError if `reference` is not one.
  Proxy proxy(const Value& reference) const;

 private:
  friend struct detail::ConnectionAccess;
  friend class Proxy;
  explicit CallContext(detail::ConnectionState* connection) noexcept : connection_(connection) {}
  detail::ConnectionState* connection_;
};

/// A proxy to a remote service: a connection plus a path prefix. `p["sub"]`
/// builds child paths; `co_await p.call<int>("add", 3, 4)` calls remotely.
class Proxy {
 public:
  Proxy() = default;

  /// The proxy of the peer's root service on the same connection (path "").
  Proxy root() const { return Proxy(state_, ""); }
  /// The proxy of the child `name` (path joined with `/`).
  Proxy operator[](std::string_view name) const { return Proxy(state_, join(name)); }
  /// The path prefix ("" for the peer's root service).
  const std::string& path() const noexcept { return path_; }
  /// A copy of this proxy whose calls fail with TimeoutError (naming the path
  /// and the time) when no reply came within `seconds` of the connection's
  /// clock; 0: the connection's default deadline (ChannelOptions::call_timeout).
  Proxy with_timeout(double seconds) const {
    Proxy p(*this);
    p.timeout_ = seconds;
    return p;
  }
  /// This proxy's own deadline (0: the connection's default).
  double timeout() const noexcept { return timeout_; }
  explicit operator bool() const noexcept { return static_cast<bool>(state_); }

  /// Calls `name` below this proxy's path with raw arguments; the raw result.
  /// Throws RemoteException, ConnectionError, SerializationError.
  Task<Value> call_value(std::string_view name, Array args, Map kwargs) const;

  /// Calls `name(args...)` and converts the result to R (Proxy, Value, or any
  /// ValueTraits type). Arguments: anything `Value::from` takes, a ServiceRef
  /// or a Router (sent as a service reference).
  template <class R = Value, class... A>
  Task<R> call(std::string_view name, const A&... args) const {
    return convert_result<R>(state_, call_value(name, arguments(args...), Map{}));
  }
  /// The positional arguments call() sends for `args...`.
  template <class... A>
  static Array arguments(const A&... args) {
    Array a;
    a.reserve(sizeof...(A));
    (a.push_back(argument(args)), ...);
    return a;
  }
  /// One argument as call() sends it.
  template <class T>
  static Value argument(const T& v);
  /// True while the connection is open and its peer is not known to be gone
  /// (see Channel::alive(); an in-process connection until closed).
  bool connected() const;
  /// Calls `name(args..., **kwargs)`; `args` is given as an Array.
  template <class R = Value>
  Task<R> call_kw(std::string_view name, Array args, Map kwargs) const {
    return convert_result<R>(state_, call_value(name, std::move(args), std::move(kwargs)));
  }

  /// The proxy of the root service of the connection `ctx`'s request came over.
  static Proxy root_of(const CallContext& ctx);
  /// The agent container this proxy's connection belongs to (see
  /// Connection::set_container), or nullptr.
  Container* container() const noexcept;
  /// The base URL of the peer's agents when this side knows it (the
  /// container URL it connected to, ending in "/"), else "".
  std::string_view peer_url() const noexcept;

  /// A raw result converted to R as call<R>() does (proxies on this proxy's connection).
  template <class R>
  R result_as(Value v) const {
    return convert<R>(state_, std::move(v));
  }

  /// (Internal) The in-process fast path of an agent call on an in-process
  /// connection: checks the arguments as a socket would (SerializationError),
  /// calls `invoke(data, ctx)` and turns what it throws into RemoteException;
  /// a ready result that the codec could not carry fails as the reply would.
  /// ConnectionError once the connection is closed.
  Outcome invoke_in_process(std::span<const Value> args, Outcome (*invoke)(void* data, const CallContext& ctx),
                            void* data) const;
  /// (Internal) Awaits the pending outcome of invoke_in_process (of function
  /// `name`) with the same checks and the proxy's deadline.
  Task<Value> finish_in_process(std::string_view name, Task<Value> task) const;
  /// True for a proxy of an in-process connection (loopback_connection).
  bool in_process() const noexcept;

 private:
  friend class CallContext;
  friend class Connection;
  friend struct detail::ConnectionAccess;
  Proxy(std::shared_ptr<detail::ConnectionState> state, std::string path)
      : state_(std::move(state)), path_(std::move(path)) {}
  /// Turns a received value into a proxy on `state`'s connection (used for
  /// arguments and results of type Proxy); TypeError if it is not a service reference.
  static Proxy from_value(const std::shared_ptr<detail::ConnectionState>& state, const Value& v);
  /// A raw result converted to R as call<R>() does, on `state`'s connection.
  template <class R>
  static R convert(const std::shared_ptr<detail::ConnectionState>& state, Value v) {
    if constexpr (std::is_same_v<R, void>) {
      return;
    } else if constexpr (std::is_same_v<R, Proxy>) {
      return from_value(state, v);
    } else if constexpr (std::is_same_v<R, Value>) {
      return v;
    } else if constexpr (requires { R::from_received(std::declval<const Proxy&>(), v); }) {
      return R::from_received(Proxy(state, ""), v);
    } else {
      return v.as<R>();
    }
  }
  std::string join(std::string_view name) const { return path_.empty() ? std::string(name) : path_ + "/" + std::string(name); }
  template <class R>
  static Task<R> convert_result(std::shared_ptr<detail::ConnectionState> state, Task<Value> call) {
    Value v = co_await std::move(call);
    co_return convert<R>(state, std::move(v));
  }

  std::shared_ptr<detail::ConnectionState> state_;
  std::string path_;
  double timeout_ = 0;
};

/// A `/`-separated path resolved one segment at a time, as views into the
/// request's own string (nothing is copied or split).
class PathWalk {
 public:
  explicit PathWalk(std::string_view path) noexcept : path_(path) {}
  /// A walk of `path` below a start that errors name by `base(data)` (made
  /// only for an error), e.g. "agents/1" for a call straight to an agent.
  PathWalk(std::string_view path, std::string (*base)(const void*), const void* data) noexcept
      : path_(path), base_(base), base_data_(data) {}
  /// True once every segment was taken.
  bool done() const noexcept { return next_ > path_.size(); }
  /// Takes the next segment ("" for an empty path or an empty segment).
  std::string_view next() noexcept {
    start_ = next_;
    std::size_t slash = path_.find('/', start_);
    std::size_t end = slash == std::string_view::npos ? path_.size() : slash;
    next_ = end + 1;
    return path_.substr(start_, end - start_);
  }
  /// The path before the segment taken last (where aiomas says it looked).
  std::string before() const {
    std::string_view here = start_ == 0 ? std::string_view() : path_.substr(0, start_ - 1);
    if (!base_) return std::string(here);
    std::string b = base_(base_data_);
    return here.empty() ? b : b + "/" + std::string(here);
  }
  /// The whole path (below the base).
  std::string_view path() const noexcept { return path_; }

 private:
  std::string_view path_;
  std::string (*base_)(const void*) = nullptr;
  const void* base_data_ = nullptr;
  std::size_t start_ = 0;
  std::size_t next_ = 0;
};

class MethodTable;

/// One name in a method table: an exposed function, a sub-service, or a name
/// that exists but is not exposed.
struct Method {
  /// Calls the function on `self` with the raw arguments.
  using Invoke = Outcome (*)(const Method& m, const MethodTable& table, void* self, const CallContext& ctx,
                             std::span<const Value> args, const Map& kwargs);
  /// The sub-service a data member of `self` holds.
  using Reach = Router* (*)(const Method& m, void* self);
  enum class Kind : unsigned char { function, service, hidden };

  std::string name;
  Kind kind = Kind::hidden;
  Invoke invoke = nullptr;
  Reach reach = nullptr;
  /// A sub-service that is not a member (Router::add_sub).
  Router* service = nullptr;
  /// Parameter names (keyword arguments); empty: positional only.
  std::vector<std::string> params;
  /// The state of a function that is not a member (a lambda's captures).
  std::shared_ptr<void> callable;
  /// The member pointer, read back by `invoke` / `reach`, which know its type.
  alignas(void*) unsigned char member[2 * sizeof(void*)] = {};
};

/// The exposed names of one class (or of one dict-style router): built once,
/// then only read. Lookup is by segment view, without allocating.
class MethodTable {
 public:
  explicit MethodTable(std::string qualname) : qualname_(std::move(qualname)) {}

  /// The Python qualname errors use ("__main__.MathServer").
  const std::string& qualname() const noexcept { return qualname_; }
  void set_qualname(std::string qualname) { qualname_ = std::move(qualname); }
  /// The last part of the qualname ("MathServer").
  std::string_view class_name() const noexcept {
    std::string_view q = qualname_;
    return q.substr(q.rfind('.') + 1);  // npos + 1 == 0: the whole name
  }
  /// How argument errors name `m`, as Python names methods: "MathServer.add";
  /// a dict-style router (qualname ending in "ServiceDict") holds plain functions: "neg".
  std::string label(const Method& m) const;
  /// The entry `name`, or nullptr.
  const Method* find(std::string_view name) const noexcept {
    for (const auto& m : methods_)
      if (m.name == name) return &m;
    return nullptr;
  }
  /// Adds `m`, replacing an entry of the same name.
  void add(Method m);
  const std::vector<Method>& methods() const noexcept { return methods_; }

 private:
  std::string qualname_;
  std::vector<Method> methods_;
};

namespace detail {

/// Python-ish name of a C++ parameter type for error messages.
template <class T>
std::string type_label() {
  if constexpr (std::is_same_v<T, bool>) return "bool";
  else if constexpr (std::is_integral_v<T>) return "int";
  else if constexpr (std::is_floating_point_v<T>) return "float";
  else if constexpr (std::is_same_v<T, std::string>) return "str";
  else if constexpr (std::is_same_v<T, Proxy>) return "proxy";
  else return "value";
}

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

/// "__main__.<class name without namespaces>", the qualname a class gets unless it names one.
std::string default_qualname(const std::type_info& type);

/// The TypeError for argument `index` of `m` that failed to convert.
[[noreturn]] void bad_argument(const MethodTable& t, const Method& m, std::size_t index, const char* why);

/// Converts one argument; TypeError naming the function and the parameter.
template <class T>
T convert_arg(const CallContext& ctx, const Value& v, const MethodTable& t, const Method& m, std::size_t index) {
  try {
    if constexpr (std::is_same_v<T, Proxy>) {
      return ctx.proxy(v);
    } else if constexpr (requires { T::from_received(std::declval<const Proxy&>(), v); }) {
      // A type that needs the connection the value came over (AgentProxy).
      return T::from_received(Proxy::root_of(ctx), v);
    } else if constexpr (std::is_same_v<T, Value>) {
      return v;
    } else {
      return v.as<T>();  // integers as Value::as_int: Python's operator.index()
    }
  } catch (const ConversionError& e) {
    bad_argument(t, m, index, e.what());
  } catch (const TypeError& e) {
    bad_argument(t, m, index, e.what());
  }
}

/// Converts a function's result to a Value (void → null, services → references).
template <class R>
Value result_value(R&& r);

template <class R>
Task<Value> await_result(Task<R> task) {
  if constexpr (std::is_void_v<R>) {
    co_await std::move(task);
    co_return Value();
  } else {
    R r = co_await std::move(task);
    co_return result_value(std::move(r));
  }
}

// Keeps the converted arguments alive in the frame while a coroutine function runs.
template <class F, class Tuple>
Task<Value> invoke_async(F f, Tuple args) {
  co_return co_await await_result(std::apply(f, std::move(args)));
}

/// Binds the arguments to the `arity` parameters of `m` (positional first,
/// then by name) into `bound`; Python's TypeError texts for what does not fit.
void bind_arguments(const MethodTable& t, const Method& m, std::size_t arity, std::size_t required,
                    std::span<const Value> args, const Map& kwargs, const Value** bound);

template <class... A>
struct Signature {
  static constexpr std::size_t arity = sizeof...(A);
  // Trailing std::optional parameters may be omitted (Python defaults of None).
  static constexpr std::size_t required() {
    constexpr bool opt[] = {IsOptional<std::decay_t<A>>::value..., false};
    std::size_t n = arity;
    while (n > 0 && opt[n - 1]) --n;
    return n;
  }
};

/// Converts the bound arguments into the parameters of `f` and calls it.
template <class R, class... A, class F>
Outcome call_with(F&& f, const MethodTable& t, const Method& m, const CallContext& ctx, std::span<const Value> args,
                  const Map& kwargs) {
  const Value* bound[sizeof...(A) + 1];
  if (args.size() == sizeof...(A) && kwargs.empty()) {
    for (std::size_t i = 0; i < args.size(); ++i) bound[i] = &args[i];
  } else {
    bind_arguments(t, m, sizeof...(A), Signature<A...>::required(), args, kwargs, bound);
  }
  // A braced list converts left to right: the first bad argument is the one named.
  auto converted = [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::tuple<std::decay_t<A>...>{
        (bound[I] ? convert_arg<std::decay_t<A>>(ctx, *bound[I], t, m, I) : std::decay_t<A>{})...};
  }(std::index_sequence_for<A...>{});
  if constexpr (is_task_v<R>) {
    return Outcome(invoke_async(std::forward<F>(f), std::move(converted)));
  } else if constexpr (std::is_void_v<R>) {
    std::apply(f, std::move(converted));
    return Outcome(Value());
  } else {
    return Outcome(result_value(std::apply(f, std::move(converted))));
  }
}

/// The object a class's member thunks receive as `self`: the class itself,
/// or its Agent base for agents (specialised in agent.hpp).
template <class C>
struct SelfBase {
  using type = C;
};

template <class M>
void store_member(Method& m, M member) {
  static_assert(sizeof(M) <= sizeof(m.member), "member pointer too large");
  std::memcpy(m.member, &member, sizeof(M));
}
template <class M>
M load_member(const Method& m) {
  M member;
  std::memcpy(&member, m.member, sizeof(M));
  return member;
}

/// A method table entry for member function `method` of C.
template <class C, class M, class R, class... A>
Method member_function(std::string name, M method, std::vector<std::string> params) {
  Method m;
  m.name = std::move(name);
  m.kind = Method::Kind::function;
  m.params = std::move(params);
  store_member(m, method);
  m.invoke = [](const Method& m, const MethodTable& t, void* self, const CallContext& ctx, std::span<const Value> args,
                const Map& kwargs) -> Outcome {
    C* object = static_cast<C*>(static_cast<typename SelfBase<C>::type*>(self));
    M fn = load_member<M>(m);
    return call_with<R, A...>([object, fn](A... a) -> R { return (object->*fn)(std::forward<A>(a)...); }, t, m, ctx,
                              args, kwargs);
  };
  return m;
}

/// A method table entry for the sub-service in data member `member` of C.
template <class C, class M>
Method member_service(std::string name, M member) {
  Method m;
  m.name = std::move(name);
  m.kind = Method::Kind::service;
  store_member(m, member);
  m.reach = [](const Method& m, void* self) -> Router* {
    C* object = static_cast<C*>(static_cast<typename SelfBase<C>::type*>(self));
    auto& held = object->*load_member<M>(m);
    if constexpr (std::is_same_v<std::decay_t<decltype(held)>, Router>) {
      return &held;
    } else {
      return &held.router;
    }
  };
  return m;
}

/// A method table entry for a function object (a lambda, a free function).
template <class F, class R, class... A>
Method object_function(std::string name, F f, std::vector<std::string> params, std::tuple<A...>*) {
  Method m;
  m.name = std::move(name);
  m.kind = Method::Kind::function;
  m.params = std::move(params);
  m.callable = std::make_shared<F>(std::move(f));
  m.invoke = [](const Method& m, const MethodTable& t, void*, const CallContext& ctx, std::span<const Value> args,
                const Map& kwargs) -> Outcome {
    F& fn = *static_cast<F*>(m.callable.get());
    if constexpr (is_task_v<R>) {
      return call_with<R, A...>(F(fn), t, m, ctx, args, kwargs);  // the task keeps its own copy
    } else {
      return call_with<R, A...>(std::ref(fn), t, m, ctx, args, kwargs);
    }
  };
  return m;
}

/// Refuses parameter names that do not match the parameters (at registration).
void check_param_names(const MethodTable& t, std::string_view name, std::size_t arity,
                       const std::vector<std::string>& params);

template <class T>
struct CallableTraits : CallableTraits<decltype(&T::operator())> {};
template <class C, class R, class... A>
struct CallableTraits<R (C::*)(A...) const> {
  using Result = R;
  using Args = std::tuple<A...>;
};
template <class C, class R, class... A>
struct CallableTraits<R (C::*)(A...)> {
  using Result = R;
  using Args = std::tuple<A...>;
};
template <class R, class... A>
struct CallableTraits<R (*)(A...)> {
  using Result = R;
  using Args = std::tuple<A...>;
};
template <class R, class... A>
struct CallableTraits<std::function<R(A...)>> {
  using Result = R;
  using Args = std::tuple<A...>;
};

}  // namespace detail

/// Builds the method table of class C: what `C::expose_methods` receives.
/// Both RPC services (`rpc::Router router{this}`) and agents use it:
/// \code
/// static void expose_methods(uvmas::rpc::Methods<MathServer>& m) {
///   m.expose("add", &MathServer::add, {"a", "b"});
/// }
/// \endcode
template <class C>
class Methods {
 public:
  Methods() : table_(detail::default_qualname(typeid(C))) {}

  /// Exposes member function `method` under `name`; keyword arguments are
  /// refused (TypeError naming the function).
  template <class B, class R, class... A>
    requires std::derived_from<C, B>
  Methods& expose(std::string name, R (B::*method)(A...)) {
    return add_function<R, A...>(std::move(name), method, {});
  }
  /// Same, with the names of all its parameters (for keyword arguments);
  /// std::invalid_argument at once if their number is not the parameters'.
  template <class B, class R, class... A>
    requires std::derived_from<C, B>
  Methods& expose(std::string name, R (B::*method)(A...), std::vector<std::string> params) {
    return add_function<R, A...>(std::move(name), method, std::move(params));
  }
  template <class B, class R, class... A>
    requires std::derived_from<C, B>
  Methods& expose(std::string name, R (B::*method)(A...) const) {
    return add_function<R, A...>(std::move(name), method, {});
  }
  template <class B, class R, class... A>
    requires std::derived_from<C, B>
  Methods& expose(std::string name, R (B::*method)(A...) const, std::vector<std::string> params) {
    return add_function<R, A...>(std::move(name), method, std::move(params));
  }
  /// Exposes data member `member` as the sub-service `name`: a Router (a
  /// dict router of services, say) or an object serving one as its `router`
  /// member (a nested service).
  template <class B, class S>
    requires std::derived_from<C, B> && (std::same_as<S, Router> || requires(S& s) {
               { s.router } -> std::convertible_to<const Router&>;
             })
  Methods& expose(std::string name, S B::*member) {
    table_.add(detail::member_service<C>(std::move(name), member));
    return *this;
  }
  /// Records a name that exists but is not exposed (a plain Python method):
  /// calling it fails with `"<qualname>.<name>" is not exposed`.
  Methods& hide(std::string name) {
    Method m;
    m.name = std::move(name);
    table_.add(std::move(m));
    return *this;
  }
  /// Sets the Python qualname errors use (default "__main__.<ClassName>").
  Methods& qualname(std::string qualname) {
    table_.set_qualname(std::move(qualname));
    return *this;
  }
  /// The table built so far.
  MethodTable& table() noexcept { return table_; }

 private:
  template <class R, class... A, class M>
  Methods& add_function(std::string name, M method, std::vector<std::string> params) {
    detail::check_param_names(table_, name, sizeof...(A), params);
    table_.add(detail::member_function<C, M, R, A...>(std::move(name), method, std::move(params)));
    return *this;
  }

  MethodTable table_;
};

/// A class that declares its exposed methods once:
/// `static void expose_methods(uvmas::rpc::Methods<C>&)`.
template <class C>
concept ExposesMethods = requires(Methods<C>& m) { C::expose_methods(m); };

/// The method table of C, built on first use from `C::expose_methods` and
/// shared by every instance (as a Python class's attributes are).
template <ExposesMethods C>
const MethodTable& methods_of() {
  static const MethodTable table = [] {
    Methods<C> m;
    C::expose_methods(m);
    return std::move(m.table());
  }();
  return table;
}

/// Resolves what a router has no entry for (a container's agents: `agents/<id>/...`).
class Resolver {
 public:
  /// `segment` is the name just taken from `walk` that matched nothing.
  virtual Outcome resolve(const CallContext& ctx, PathWalk& walk, std::string_view segment,
                          std::span<const Value> args, const Map& kwargs) = 0;

 protected:
  ~Resolver() = default;
};

namespace detail {
Outcome invoke_entry(const MethodTable& table, const Method& m, void* self, const Router* owner,
                     const CallContext& ctx, PathWalk& walk, std::span<const Value> args, const Map& kwargs);
}  // namespace detail

/// Resolves the rest of `walk` (at least one segment) in `table` (nullptr:
/// empty) on `self` and calls what it names, with aiomas's path rules and
/// error texts. Sub-services continue through their router.
Outcome invoke_path(const MethodTable* table, void* self, const CallContext& ctx, PathWalk& walk,
                    std::span<const Value> args, const Map& kwargs);

/// An RPC service's router (aiomas's Router / Service / ServiceDict in one).
/// A service object serves its class's method table with `Router router{this}`;
/// a router made with a qualname holds functions, sub-routers and hidden
/// names of its own (a dict router of services, or a service of lambdas).
/// Not copyable or movable: sub-routers point at their parent (for paths).
class Router {
 public:
  /// A router of its own entries; `qualname` names it in errors (`"<qualname>.<name>"
  /// is not exposed`, `'<Class>' object is not callable`, `Class.add()`; a
  /// qualname ending in "ServiceDict" holds plain functions: `neg()`).
  explicit Router(std::string qualname) : own_(std::move(qualname)) {}
  /// A dict router ("uvmas.rpc.ServiceDict").
  Router() : Router("uvmas.rpc.ServiceDict") {}
  /// The router of `self`: its class's table (C::expose_methods, built once per class).
  template <ExposesMethods C>
  explicit Router(C* self) : class_(&methods_of<C>()), self_(self), own_(methods_of<C>().qualname()) {}
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  /// Exposes a free function, lambda or std::function. Without parameter
  /// names, keyword arguments are refused (TypeError naming the function).
  template <class F>
  Router& expose(std::string name, F f) {
    return expose(std::move(name), std::move(f), std::vector<std::string>{});
  }
  /// Same, with the names of all its parameters; std::invalid_argument at
  /// once if their number is not the parameters'.
  template <class F>
  Router& expose(std::string name, F f, std::vector<std::string> params) {
    using Traits = detail::CallableTraits<std::decay_t<F>>;
    detail::check_param_names(own_, name, std::tuple_size_v<typename Traits::Args>, params);
    own_.add(detail::object_function<std::decay_t<F>, typename Traits::Result>(
        std::move(name), std::move(f), std::move(params), static_cast<typename Traits::Args*>(nullptr)));
    return *this;
  }
  /// Exposes a member function of `self` (which must outlive the router's use).
  template <class C, class R, class... A>
  Router& expose(std::string name, C* self, R (C::*method)(A...)) {
    return expose(std::move(name), self, method, std::vector<std::string>{});
  }
  template <class C, class R, class... A>
  Router& expose(std::string name, C* self, R (C::*method)(A...), std::vector<std::string> params) {
    return expose(std::move(name), [self, method](A... a) -> R { return (self->*method)(std::forward<A>(a)...); },
                  std::move(params));
  }
  /// Makes `sub` reachable as `name` (its router path becomes "<our path>/<name>").
  Router& add_sub(std::string name, Router& sub);
  /// Records a name that exists but is not exposed (like a plain Python method).
  Router& add_hidden(std::string name);
  /// Lets `resolver` resolve names this router has no entry for; it must
  /// outlive the router's use. Lets a container serve a million agents
  /// under `agents/<id>` without an entry each.
  Router& set_resolver(Resolver& resolver) {
    resolver_ = &resolver;
    return *this;
  }

  /// The router path: "" for a root, "calc", "fns/deep" for sub-routers.
  std::string path() const;
  const std::string& qualname() const noexcept { return own_.qualname(); }
  /// This service as a value (sent as a proxy reference).
  ServiceRef ref() const noexcept { return ServiceRef{this}; }

  /// Resolves the rest of `walk` and calls the function there (aiomas's path
  /// rules and error texts). Throws LookupError / TypeError / what a
  /// synchronous function throws; a coroutine's outcome is pending.
  Outcome invoke(const CallContext& ctx, PathWalk& walk, std::span<const Value> args, const Map& kwargs) const;
  /// Same for a whole path, as a task.
  Task<Value> dispatch(const CallContext& ctx, std::string_view path, const Array& args, const Map& kwargs) const;

 private:
  friend Outcome detail::invoke_entry(const MethodTable&, const Method&, void*, const Router*, const CallContext&,
                                      PathWalk&, std::span<const Value>, const Map&);
  /// Adopts `sub` reached through a data member as the child `name` (for its path).
  void adopt(const std::string& name, Router& sub) const;

 public:
  /// Gives every sub-service reached through a data member its router path
  /// (done when the router starts serving, once its object is complete).
  void adopt_members(int depth = 0) const;

 private:

  const MethodTable* class_ = nullptr;
  void* self_ = nullptr;
  MethodTable own_;
  mutable std::string name_;
  mutable const Router* parent_ = nullptr;
  Resolver* resolver_ = nullptr;
};

/// A connection with RPC on top: calls go out through `remote()`, requests
/// coming in are served by the root router given when opening (if any).
class Connection {
 public:
  Connection() = default;

  /// The proxy of the peer's root service (path "").
  Proxy remote() const { return Proxy(state_, ""); }
  /// The underlying channel.
  Channel channel() const;
  /// Closes the connection.
  Task<> close();
  /// Closes the connection at once, without waiting for anything: a channel
  /// is aborted with `reason`, an in-process connection stops serving.
  void abort(std::string_view reason);
  /// Sets the default deadline of calls on this connection, in seconds of
  /// `clock` (0: none); for an in-process connection the only way to set one.
  void set_call_timeout(Clock& clock, double seconds);
  /// Marks the connection as one of `container`'s (which must outlive its
  /// use), so that agent references received on it become agent proxies;
  /// `peer_url` is the base URL of the peer's agents when known ("" for a
  /// connection the peer opened: its listening address is not on the wire).
  void set_container(Container* container, std::string peer_url);

 private:
  friend struct detail::ConnectionAccess;
  explicit Connection(std::shared_ptr<detail::ConnectionState> state) : state_(std::move(state)) {}
  std::shared_ptr<detail::ConnectionState> state_;
};

/// How open_connection connects: the channel's settings, and the router that
/// serves the peer's requests on the same connection, if any.
struct ConnectionOptions {
  ConnectionOptions() = default;
  /// Channel settings and no router, so `open_connection(loop, address,
  /// channel_options)` reads as it does for a plain channel.
  ConnectionOptions(ChannelOptions channel_options) : channel(std::move(channel_options)) {}
  /// Default channel settings and `root` serving the peer's requests
  /// (aiomas's `rpc_service`): `open_connection(loop, address, router)`.
  ConnectionOptions(Router& root) noexcept : root(&root) {}
  ChannelOptions channel;
  /// Serves the peer's requests on this connection (nullptr: none). The
  /// router must outlive the connection.
  Router* root = nullptr;
};

/// Opens an RPC connection. (Two overloads instead of a defaulted argument:
/// GCC 12 miscompiles defaulted class-type arguments inside coroutines.)
Task<Connection> open_connection(Loop& loop, std::string_view address);
Task<Connection> open_connection(Loop& loop, std::string_view address, ConnectionOptions options);

/// Called with every connection a server accepts (aiomas's `client_connected_cb`).
using ClientConnected = std::function<void(Connection)>;

/// Serves `root` on every accepted connection, each request in its own task.
/// The router must outlive the server. Throws ConnectionError at once.
std::unique_ptr<Server> start_server(Loop& loop, std::string_view address, Router& root);
std::unique_ptr<Server> start_server(Loop& loop, std::string_view address, Router& root, ChannelOptions options);
/// Same, and hands every accepted connection to `client_connected` before its
/// first request is served, so the server can call the client back through
/// `connection.remote()` at once (the client must serve a router on it). If
/// the callback throws, that connection is closed and the server goes on.
std::unique_ptr<Server> start_server(Loop& loop, std::string_view address, Router& root, ChannelOptions options,
                                     ClientConnected client_connected);

/// Wraps an open channel into an RPC connection (the channel's codec must have
/// the proxy serializer registered last; see rpc_options).
Connection make_connection(Channel channel, Router* root);
/// `options` with the proxy serializer appended (what every RPC connection uses).
ChannelOptions rpc_options(ChannelOptions options);

/// A connection to `root` inside this process (a container calling its own
/// agents): calls on remote() dispatch to the router directly, with no socket
/// and no encoding. As over a socket, a failure arrives as RemoteException
/// (origin `origin`), proxies among arguments and results call back the same
/// way. A call waiting for its callee is not activity for the idle check
/// (Loop::quiet): the callee's own work is what counts. After
/// close(), calls fail with ConnectionError. The router must outlive the use.
Connection loopback_connection(Loop& loop, Router& root, std::string origin);
/// Same, refusing what a socket connection with `options` could not carry
/// (bytes under JSON, an unregistered extension type, ...) with the same
/// errors: SerializationError for an argument, RemoteException for a result.
Connection loopback_connection(Loop& loop, Router& root, std::string origin, const ChannelOptions& options);

// -- inline definitions -------------------------------------------------------

template <class T>
Value Proxy::argument(const T& v) {
  if constexpr (std::is_same_v<T, Router>) {
    return Value::extension(std::string(proxy_type), v.path());
  } else if constexpr (std::is_same_v<T, Proxy>) {
    static_assert(!std::is_same_v<T, Proxy>, "proxies cannot be forwarded (as in aiomas)");
    return Value();
  } else {
    return Value::from(v);
  }
}

namespace detail {
template <class R>
Value result_value(R&& r) {
  using D = std::decay_t<R>;
  if constexpr (std::is_same_v<D, Value>) {
    return std::forward<R>(r);
  } else if constexpr (std::is_same_v<D, ServiceRef>) {
    return Value::extension(std::string(proxy_type), r.router->path());
  } else {
    return Value::from(r);
  }
}
}  // namespace detail

}  // namespace uvmas::rpc

/// ServiceRef as a value: a proxy reference to the service's router path.
template <>
struct uvmas::ValueTraits<uvmas::rpc::ServiceRef> {
  static Value to_value(const rpc::ServiceRef& s) {
    return Value::extension(std::string(rpc::proxy_type), s.router->path());
  }
};
