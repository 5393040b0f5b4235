#include "uvmas/framework/rpc.hpp"

#include "channel_core.hpp"
#include "uvmas/clocks/timeout.hpp"
#include "uvmas/core/task_group.hpp"

#include <optional>
#include <sstream>

namespace uvmas::rpc {

namespace detail {

/// One RPC connection: the channel, the root it serves and the tasks of the
/// requests in progress (one per request, so a slow call blocks nothing).
struct ConnectionState final : RequestHandler, std::enable_shared_from_this<ConnectionState> {
  ConnectionState(Channel ch, Router* r) : channel(std::move(ch)), root(r), tasks(channel.loop(), "rpc request") {}
  // In-process (loopback_connection): no channel; calls dispatch to `root` directly.
  ConnectionState(Loop& loop, Router* r, std::string name, std::optional<Codec> c)
      : root(r), tasks(loop, "rpc request"), loopback_origin(std::move(name)), loopback_codec(std::move(c)) {}
  ~ConnectionState() {
    if (channel) channel.set_request_handler(nullptr);
    tasks.cancel();
    if (channel && !channel.closed()) channel.abort("rpc connection dropped");
  }

  void on_request(Request request) override { tasks.spawn(serve(this, std::move(request))); }

  static Task<> serve(ConnectionState* self, Request request);

  Channel channel;
  Router* root;
  TaskGroup tasks;
  ResumeSoon closed_waiter;
  bool waiting = false;
  std::string loopback_origin;
  // The default deadline of in-process calls (channel connections keep theirs in the channel).
  Clock* loopback_clock = nullptr;
  double loopback_timeout = 0;
  // In-process: the codec a socket would use, to refuse what it could not carry.
  std::optional<Codec> loopback_codec;

  // Cancels the request tasks once the channel closed, from a clean stack: a
  // request waiting for something else (a timer that a shut-down container
  // dropped, another connection) would otherwise keep its frame and, through
  // its CallContext, this state alive forever.
  struct CancelRequests final : SoonCallback {
    ConnectionState* self;
    explicit CancelRequests(ConnectionState* s) : self(s) {}
    void fire() override {
      auto keep = self->shared_from_this();  // the last reference may be in a cancelled frame
      self->tasks.cancel();
    }
  } cancel_requests{this};
};

namespace {

std::string check_content(const Value& content) {
  if (!content.is_array()) return "RPC request must be [path, args, kwargs], got " + std::string(content.kind_name());
  if (content.size() != 3)
    return "RPC request must be [path, args, kwargs], got a list of " + std::to_string(content.size()) + " items";
  const Array& a = content.as_array();
  if (!a[0].is_string()) return "RPC path must be a str, got " + std::string(a[0].kind_name());
  if (!a[1].is_array()) return "RPC args must be a list, got " + std::string(a[1].kind_name());
  if (!a[2].is_map()) return "RPC kwargs must be a dict, got " + std::string(a[2].kind_name());
  for (const auto& [k, v] : a[2].as_map())
    if (!k.is_string()) return "RPC kwargs keys must be str, got " + std::string(k.kind_name());
  return {};
}

}  // namespace

namespace {
Task<> release_later(Loop* loop, std::shared_ptr<ConnectionState> state) {
  co_await loop->yield();
  state.reset();
}
}  // namespace

Task<> ConnectionState::serve(ConnectionState* self, Request request) {
  // Functions may keep proxies (hence the state) beyond the connection's own owner.
  CallContext ctx{self->shared_from_this()};
  std::exception_ptr error;
  Value result;
  try {
    const Value& content = request.content();
    std::string problem = check_content(content);
    if (!problem.empty()) throw TypeError(problem);
    if (!self->root) throw LookupError("this side serves no RPC service on this connection");
    const Array& a = content.as_array();
    result = co_await self->root->dispatch(ctx, a[0].as_string(), a[1].as_array(), a[2].as_map());
  } catch (...) {
    error = std::current_exception();
  }
  if (error) {
    co_await request.fail(error);
  } else {
    co_await request.reply(std::move(result));
  }
  // Dropping the last reference here would destroy the state's task group from
  // inside one of its own tasks: let the loop drop it after this task is gone.
  if (ctx.connection.use_count() == 1) {
    Loop& loop = self->channel.loop();
    loop.spawn(release_later(&loop, std::move(ctx.connection)));
  }
}

std::vector<const Value*> bind_arguments(const std::string& fn, std::size_t arity, std::size_t required,
                                         const std::vector<std::string>& names, const Array& args, const Map& kwargs) {
  if (args.size() > arity) {
    throw TypeError(fn + "() takes " + std::to_string(arity) + " positional argument" + (arity == 1 ? "" : "s") +
                    " but " + std::to_string(args.size()) + (args.size() == 1 ? " was" : " were") + " given");
  }
  std::vector<const Value*> bound(arity, nullptr);
  for (std::size_t i = 0; i < args.size(); ++i) bound[i] = &args[i];
  for (const auto& [k, v] : kwargs) {
    const std::string& key = k.as_string();
    std::size_t i = 0;
    while (i < names.size() && names[i] != key) ++i;
    if (i >= names.size() || i >= arity) throw TypeError(fn + "() got an unexpected keyword argument '" + key + "'");
    if (bound[i]) throw TypeError(fn + "() got multiple values for argument '" + key + "'");
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
    throw TypeError(fn + "() missing " + std::to_string(missing.size()) + " required positional argument" +
                    (missing.size() == 1 ? "" : "s") + ": " + list);
  }
  return bound;
}

}  // namespace detail

// -- Proxy --------------------------------------------------------------------

namespace {
// Holds the connection state for the duration of the call (the proxy may be a temporary).
Task<Value> send_call(std::shared_ptr<detail::ConnectionState> state, Value content, double timeout, std::string path) {
  if (!(timeout > 0)) co_return co_await state->channel.send(std::move(content), 0);
  bool expired = false;
  Value result;
  try {
    result = co_await state->channel.send(std::move(content), timeout);
  } catch (const TimeoutError&) {
    expired = true;
  }
  if (expired) {
    throw TimeoutError("call to \"" + path + "\" on " + state->channel.peer_name() + " timed out after " +
                       uvmas::detail::seconds_text(timeout) + " s");
  }
  co_return result;
}

// Nesting levels on the wire: [type, id, [path, [arg, ...], {k: arg}]] and [type, id, result].
constexpr std::size_t request_arg_depth = 3;
constexpr std::size_t reply_result_depth = 1;

// The arguments are already the callee's own copies (Values are deep-copied
// values), so nothing is shared with the caller, as after a decode.
Task<Value> call_loopback(std::shared_ptr<detail::ConnectionState> state, std::string path, Array args, Map kwargs) {
  if (!state->root) throw ConnectionError("in-process connection to " + state->loopback_origin + " is closed");
  // No frame, so nothing to count for the idle check: the callee runs in this
  // process, and whatever it waits for is visible to the loop itself.
  // Values the connection's codec cannot carry fail as over a socket: the
  // request's before it leaves (SerializationError here), the result's as the
  // EXCEPTION reply the callee would send instead.
  const Codec* codec = state->loopback_codec ? &*state->loopback_codec : nullptr;
  if (codec) {
    for (const auto& a : args) codec->check_encodable(a, request_arg_depth);
    for (const auto& [k, v] : kwargs) codec->check_encodable(v, request_arg_depth);
  }
  std::exception_ptr error;
  Value result;
  try {
    CallContext ctx{state};
    result = co_await state->root->dispatch(ctx, path, args, kwargs);
  } catch (...) {
    error = std::current_exception();
  }
  if (error) throw RemoteException(state->loopback_origin, describe(error).traceback);
  try {
    if (codec) codec->check_encodable(result, reply_result_depth);
  } catch (const CodecError&) {
    throw RemoteException(state->loopback_origin, describe(std::current_exception()).traceback);
  }
  co_return result;
}

Task<> done() { co_return; }

Task<Value> call_loopback_timed(std::shared_ptr<detail::ConnectionState> state, std::string path, Array args,
                                Map kwargs, double timeout) {
  Clock& clock = *state->loopback_clock;
  bool expired = false;
  Value result;
  try {
    result = co_await with_timeout(clock, timeout, call_loopback(state, path, std::move(args), std::move(kwargs)));
  } catch (const TimeoutError&) {
    expired = true;
  }
  if (expired) {
    throw TimeoutError("call to \"" + path + "\" on " + state->loopback_origin + " timed out after " +
                       uvmas::detail::seconds_text(timeout) + " s");
  }
  co_return result;
}
}  // namespace

Task<Value> Proxy::call_value(std::string_view name, Array args, Map kwargs) const {
  if (!state_) throw ConnectionError("proxy is not bound to a connection");
  if (!state_->channel) {
    const double timeout = timeout_ > 0 ? timeout_ : state_->loopback_timeout;
    if (timeout > 0 && state_->loopback_clock) {
      return call_loopback_timed(state_, join(name), std::move(args), std::move(kwargs), timeout);
    }
    return call_loopback(state_, join(name), std::move(args), std::move(kwargs));
  }
  const double timeout = timeout_ > 0 ? timeout_ : state_->channel.call_timeout();
  std::string path = join(name);
  Array content;
  content.reserve(3);
  // The path is kept only for a deadline's error message.
  content.emplace_back(timeout > 0 ? path : std::move(path));
  content.emplace_back(std::move(args));
  content.emplace_back(std::move(kwargs));
  return send_call(state_, Value(std::move(content)), timeout, std::move(path));
}

bool Proxy::connected() const {
  if (!state_) return false;
  if (!state_->channel) return state_->root != nullptr;
  Channel ch = state_->channel;
  return ch.alive();
}

Proxy Proxy::from_value(const std::shared_ptr<detail::ConnectionState>& state, const Value& v) {
  if (!v.is_extension() || v.as_extension().type != proxy_type || !v.as_extension().data.is_string())
    throw TypeError("expected a service reference, got " + std::string(v.kind_name()));
  return Proxy(state, v.as_extension().data.as_string());
}

// -- Router -------------------------------------------------------------------

void Router::add_function(std::string name, Function f) {
  Entry e;
  e.function = std::move(f);
  entries_[std::move(name)] = std::move(e);
}

std::string Router::function_label(const std::string& name) const {
  std::string_view q = qualname_;
  std::string_view cls = q.substr(q.rfind('.') + 1);  // npos + 1 == 0: the whole name
  if (cls == "ServiceDict") return name;
  return std::string(cls) + "." + name;
}

Router& Router::add_sub(std::string name, Router& sub) {
  sub.parent_ = this;
  sub.name_ = name;
  Entry e;
  e.sub = &sub;
  entries_[std::move(name)] = std::move(e);
  return *this;
}

Router& Router::add_hidden(std::string name) {
  Entry e;
  e.hidden = true;
  entries_[std::move(name)] = std::move(e);
  return *this;
}

std::string Router::path() const {
  if (!parent_) return {};
  std::string p = parent_->path();
  return p.empty() ? name_ : p + "/" + name_;
}

Task<Value> Router::dispatch(const CallContext& ctx, const std::string& path, const Array& args,
                             const Map& kwargs) const {
  const Router* node = this;
  const Entry* found = nullptr;
  std::string so_far;
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = path.find('/', start);
    std::string component = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!node) throw LookupError("Name \"" + component + "\" not found in \"" + so_far + "\"");
    auto it = node->entries_.find(component);
    if (it == node->entries_.end() && node->resolver_) return node->resolver_(ctx, path, start, args, kwargs);
    if (it == node->entries_.end()) throw LookupError("Name \"" + component + "\" not found in \"" + so_far + "\"");
    if (it->second.hidden) throw LookupError("\"" + node->qualname_ + "." + component + "\" is not exposed");
    found = &it->second;
    node = found->sub;
    if (!so_far.empty() || start > 0) so_far += "/";
    so_far += component;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (!found->function) {
    const std::string& q = found->sub->qualname_;
    auto dot = q.rfind('.');
    throw TypeError("'" + (dot == std::string::npos ? q : q.substr(dot + 1)) + "' object is not callable");
  }
  return found->function(ctx, args, kwargs);
}

// -- connections --------------------------------------------------------------

Channel Connection::channel() const { return state_->channel; }

void Connection::set_call_timeout(Clock& clock, double seconds) {
  if (state_->channel) {
    state_->channel.set_call_timeout(seconds);
    return;
  }
  state_->loopback_clock = &clock;
  state_->loopback_timeout = seconds;
}

Task<> Connection::close() {
  if (!state_->channel) {
    abort("closed");
    return done();
  }
  return state_->channel.close();
}

void Connection::abort(std::string_view reason) {
  if (state_->channel) {
    state_->channel.abort(reason);
    return;
  }
  state_->root = nullptr;
  state_->tasks.cancel();
}

Connection loopback_connection(Loop& loop, Router& root, std::string origin) {
  return Connection(std::make_shared<detail::ConnectionState>(loop, &root, std::move(origin), std::nullopt));
}

Connection loopback_connection(Loop& loop, Router& root, std::string origin, const ChannelOptions& options) {
  return Connection(
      std::make_shared<detail::ConnectionState>(loop, &root, std::move(origin), make_codec(rpc_options(options))));
}

ChannelOptions rpc_options(ChannelOptions options) {
  options.extra_serializers.emplace_back(proxy_type);
  return options;
}

namespace {
std::shared_ptr<detail::ConnectionState> make_state(Channel channel, Router* root) {
  auto state = std::make_shared<detail::ConnectionState>(std::move(channel), root);
  state->channel.set_request_handler(state.get());
  std::weak_ptr<detail::ConnectionState> weak = state;
  state->channel.on_close([weak](std::string_view) {
    auto s = weak.lock();
    if (!s) return;
    if (s->waiting) {
      s->waiting = false;
      s->channel.loop().call_soon(s->closed_waiter);
    }
    s->channel.loop().call_soon(s->cancel_requests);
  });
  return state;
}
}  // namespace

Connection make_connection(Channel channel, Router* root) { return Connection(make_state(std::move(channel), root)); }

namespace {

Task<Connection> connect_rpc(Loop& loop, std::string address, ChannelOptions options, Router* root) {
  Channel ch = co_await uvmas::open_connection(loop, address, rpc_options(std::move(options)));
  co_return make_connection(std::move(ch), root);
}

struct UntilClosed {
  detail::ConnectionState& state;
  bool await_ready() const noexcept { return state.channel.closed(); }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    state.closed_waiter.handle = h;
    state.waiting = true;
  }
  void await_resume() const noexcept {}
};

Task<> serve_connection(Channel channel, Router* root, std::shared_ptr<const ClientConnected> client_connected) {
  auto state = make_state(std::move(channel), root);
  if (client_connected && *client_connected) {
    try {
      (*client_connected)(Connection(state));
    } catch (const std::exception& e) {
      state->channel.abort(std::string("client_connected callback failed: ") + e.what());
    }
  }
  co_await UntilClosed{*state};
}

}  // namespace

Task<Connection> open_connection(Loop& loop, std::string_view address) {
  return connect_rpc(loop, std::string(address), ChannelOptions{}, nullptr);
}
Task<Connection> open_connection(Loop& loop, std::string_view address, ChannelOptions options) {
  return connect_rpc(loop, std::string(address), std::move(options), nullptr);
}
Task<Connection> open_connection(Loop& loop, std::string_view address, Router& root) {
  return connect_rpc(loop, std::string(address), ChannelOptions{}, &root);
}
Task<Connection> open_connection(Loop& loop, std::string_view address, ChannelOptions options, Router& root) {
  return connect_rpc(loop, std::string(address), std::move(options), &root);
}

std::unique_ptr<Server> start_server(Loop& loop, std::string_view address, Router& root) {
  return start_server(loop, address, root, ChannelOptions{});
}

std::unique_ptr<Server> start_server(Loop& loop, std::string_view address, Router& root, ChannelOptions options) {
  return start_server(loop, address, root, std::move(options), ClientConnected{});
}

std::unique_ptr<Server> start_server(Loop& loop, std::string_view address, Router& root, ChannelOptions options,
                                     ClientConnected client_connected) {
  Router* r = &root;
  auto cb = std::make_shared<const ClientConnected>(std::move(client_connected));
  return uvmas::start_server(
      loop, address, [r, cb](Channel ch) { return serve_connection(std::move(ch), r, cb); },
      rpc_options(std::move(options)));
}

}  // namespace uvmas::rpc
