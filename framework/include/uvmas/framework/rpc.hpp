#pragma once
/// The RPC layer (aiomas.rpc): routers that expose C++ functions under
/// `/`-separated paths, proxies that call them remotely, and services passed
/// by reference as proxies bound to the connection they came over.
///
/// C++ has no reflection, so a router is built explicitly:
/// \code
/// struct MathServer {
///   uvmas::rpc::Router router{"__main__.MathServer"};
///   MathServer() { router.expose("add", this, &MathServer::add, {"a", "b"}); }
///   int add(int a, int b) { return a + b; }
/// };
/// \endcode

#include <uvmas/codecs/value.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/core/task.hpp>
#include <uvmas/framework/channel.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace uvmas::rpc {

/// The extension type name under which services travel; an RPC connection
/// registers it after the user's extra serializers (aiomas's object catch-all).
inline constexpr std::string_view proxy_type = "proxy";

class Router;
class Proxy;

namespace detail {
struct ConnectionState;
}

/// A reference to a service (its router) as a value: returning or passing one
/// sends `{"__type__": [n, "<router path>"]}`, which the peer turns into a Proxy.
struct ServiceRef {
  const Router* router = nullptr;
};

/// A proxy to a remote service: a connection plus a path prefix. `p["sub"]`
/// builds child paths; `co_await p.call<int>("add", 3, 4)` calls remotely.
class Proxy {
 public:
  Proxy() = default;
  Proxy(std::shared_ptr<detail::ConnectionState> state, std::string path)
      : state_(std::move(state)), path_(std::move(path)) {}

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
    (a.push_back(to_arg(args)), ...);
    return a;
  }
  /// True while the connection is open and its peer is not known to be gone
  /// (see Channel::alive(); an in-process connection until closed).
  bool connected() const;
  /// Calls `name(args..., **kwargs)`; `args` is given as an Array.
  template <class R = Value>
  Task<R> call_kw(std::string_view name, Array args, Map kwargs) const {
    return convert_result<R>(state_, call_value(name, std::move(args), std::move(kwargs)));
  }

  /// Turns a received value into a proxy on `state`'s connection (used for
  /// arguments and results of type Proxy); TypeError if it is not a service reference.
  static Proxy from_value(const std::shared_ptr<detail::ConnectionState>& state, const Value& v);

 private:
  std::string join(std::string_view name) const { return path_.empty() ? std::string(name) : path_ + "/" + std::string(name); }
  template <class T>
  static Value to_arg(const T& v);
  template <class R>
  static Task<R> convert_result(std::shared_ptr<detail::ConnectionState> state, Task<Value> call) {
    Value v = co_await std::move(call);
    if constexpr (std::is_same_v<R, void>) {
      co_return;
    } else if constexpr (std::is_same_v<R, Proxy>) {
      co_return from_value(state, v);
    } else {
      co_return v.as<R>();
    }
  }

  std::shared_ptr<detail::ConnectionState> state_;
  std::string path_;
  double timeout_ = 0;
};

/// What an exposed function sees of the call besides its arguments.
struct CallContext {
  /// The connection the request came over (for proxies among the arguments).
  std::shared_ptr<detail::ConnectionState> connection;
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

/// Converts one argument; TypeError naming the function and the parameter.
template <class T>
T convert_arg(const CallContext& ctx, const Value& v, const std::string& fn, const std::string& param) {
  try {
    if constexpr (std::is_same_v<T, Proxy>) {
      return Proxy::from_value(ctx.connection, v);
    } else if constexpr (std::is_same_v<T, Value>) {
      return v;
    } else {
      return v.as<T>();  // integers as Value::as_int: Python's operator.index()
    }
  } catch (const ConversionError& e) {
    throw TypeError(fn + "() argument " + param + ": " + e.what());
  } catch (const TypeError& e) {
    throw TypeError(fn + "() argument " + param + ": " + e.what());
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

inline Task<Value> ready(Value v) { co_return v; }

/// The arguments bound to parameters: positional first, then by name.
std::vector<const Value*> bind_arguments(const std::string& fn, std::size_t arity, std::size_t required,
                                         const std::vector<std::string>& names, const Array& args, const Map& kwargs);

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

template <class... A>
std::tuple<std::decay_t<A>...> convert_all(const CallContext& ctx, const std::string& fn,
                                           const std::vector<std::string>& names, const Array& args,
                                           const Map& kwargs) {
  auto bound = bind_arguments(fn, sizeof...(A), Signature<A...>::required(), names, args, kwargs);
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    auto label = [&](std::size_t i) {
      return i < names.size() ? "'" + names[i] + "'" : std::to_string(i + 1);
    };
    (void)label;  // unused for functions without parameters
    return std::tuple<std::decay_t<A>...>{
        (bound[I] ? convert_arg<std::decay_t<A>>(ctx, *bound[I], fn, label(I)) : std::decay_t<A>{})...};
  }(std::index_sequence_for<A...>{});
}

template <class F, class R, class... A>
Task<Value> call_with(F& f, const CallContext& ctx, const std::string& fn, const std::vector<std::string>& names,
                      const Array& args, const Map& kwargs) {
  auto converted = convert_all<A...>(ctx, fn, names, args, kwargs);
  if constexpr (is_task_v<R>) {
    return invoke_async(f, std::move(converted));
  } else if constexpr (std::is_void_v<R>) {
    std::apply(f, std::move(converted));
    return ready(Value());
  } else {
    return ready(result_value(std::apply(f, std::move(converted))));
  }
}

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

/// A type-erased exposed function: takes the raw arguments, returns the result.
using Function = std::function<Task<Value>(const CallContext&, const Array& args, const Map& kwargs)>;

/// An RPC service's router (aiomas's Router / Service / ServiceDict in one):
/// named functions, named sub-routers and names that exist but are not exposed.
/// Not copyable or movable: sub-routers point at their parent (for paths).
class Router {
 public:
  /// `qualname` names the service in errors (`"<qualname>.<name>" is not
  /// exposed`, `'<Class>' object is not callable`), e.g. "__main__.MathServer".
  /// Argument errors name functions as Python names methods: `Class.add()`
  /// with the last part of `qualname` (a dict-style router, whose qualname
  /// ends in "ServiceDict", holds plain functions: `neg()`).
  explicit Router(std::string qualname) : qualname_(std::move(qualname)) {}
  Router() : Router("uvmas.rpc.ServiceDict") {}
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  /// Exposes a free function, lambda or std::function. Without parameter
  /// names, keyword arguments are refused (TypeError naming the function).
  template <class F>
  Router& expose(std::string name, F f) {
    return expose(std::move(name), std::move(f), std::vector<std::string>{});
  }
  template <class F>
  Router& expose(std::string name, F f, std::vector<std::string> param_names) {
    using Traits = detail::CallableTraits<std::decay_t<F>>;
    Function erased = make_function<typename Traits::Result>(function_label(name), std::move(f), std::move(param_names),
                                                             static_cast<typename Traits::Args*>(nullptr));
    add_function(std::move(name), std::move(erased));
    return *this;
  }
  /// Exposes a member function of `self` (which must outlive the router's use).
  template <class C, class R, class... A>
  Router& expose(std::string name, C* self, R (C::*method)(A...)) {
    return expose(std::move(name), self, method, std::vector<std::string>{});
  }
  template <class C, class R, class... A>
  Router& expose(std::string name, C* self, R (C::*method)(A...), std::vector<std::string> param_names) {
    std::function<R(A...)> f = [self, method](A... a) -> R { return (self->*method)(std::forward<A>(a)...); };
    return expose(std::move(name), std::move(f), std::move(param_names));
  }
  /// Exposes an already type-erased function.
  Router& expose_raw(std::string name, Function f) {
    add_function(std::move(name), std::move(f));
    return *this;
  }
  /// Makes `sub` reachable as `name` (its router path becomes "<our path>/<name>").
  Router& add_sub(std::string name, Router& sub);
  /// Records a name that exists but is not exposed (like a plain Python method).
  Router& add_hidden(std::string name);

  /// Resolves the rest of a path that names nothing registered here: gets the
  /// full path and the offset of the first unresolved component. Lets a
  /// container serve a million agents under `agents/<id>` without an entry each.
  using Resolver = std::function<Task<Value>(const CallContext&, const std::string& path, std::size_t start,
                                             const Array& args, const Map& kwargs)>;
  Router& set_resolver(Resolver resolver) {
    resolver_ = std::move(resolver);
    return *this;
  }

  /// The router path: "" for a root, "calc", "fns/deep" for sub-routers.
  std::string path() const;
  const std::string& qualname() const noexcept { return qualname_; }
  /// This service as a value (sent as a proxy reference).
  ServiceRef ref() const noexcept { return ServiceRef{this}; }

  /// Resolves `path` and calls the function there (aiomas's path rules and
  /// error texts). Throws LookupError / TypeError / what the function throws.
  Task<Value> dispatch(const CallContext& ctx, const std::string& path, const Array& args, const Map& kwargs) const;

 private:
  struct Entry {
    Function function;
    Router* sub = nullptr;
    bool hidden = false;
  };
  void add_function(std::string name, Function f);
  /// How argument errors name function `name` ("RootSvc.add" or "neg").
  std::string function_label(const std::string& name) const;
  template <class R, class... A, class F>
  static Function make_function(std::string fn, F f, std::vector<std::string> names, std::tuple<A...>*) {
    return [fn = std::move(fn), f = std::move(f), names = std::move(names)](
               const CallContext& ctx, const Array& args, const Map& kwargs) mutable -> Task<Value> {
      return detail::call_with<F, R, A...>(f, ctx, fn, names, args, kwargs);
    };
  }

  std::string qualname_;
  std::string name_;
  const Router* parent_ = nullptr;
  std::map<std::string, Entry, std::less<>> entries_;
  Resolver resolver_;
};

/// A connection with RPC on top: calls go out through `remote()`, requests
/// coming in are served by the root router given when opening (if any).
class Connection {
 public:
  Connection() = default;
  explicit Connection(std::shared_ptr<detail::ConnectionState> state) : state_(std::move(state)) {}

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

 private:
  std::shared_ptr<detail::ConnectionState> state_;
};

/// Opens an RPC connection; with `root`, it also serves the peer's requests.
/// The router must outlive the connection.
Task<Connection> open_connection(Loop& loop, std::string_view address);
Task<Connection> open_connection(Loop& loop, std::string_view address, ChannelOptions options);
Task<Connection> open_connection(Loop& loop, std::string_view address, Router& root);
Task<Connection> open_connection(Loop& loop, std::string_view address, ChannelOptions options, Router& root);

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
Value Proxy::to_arg(const T& v) {
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
