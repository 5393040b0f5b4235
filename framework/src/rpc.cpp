#include "uvmas/framework/rpc.hpp"

#include "channel_core.hpp"
#include "uvmas/clocks/timeout.hpp"
#include "uvmas/core/task_group.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <optional>
#include <sstream>
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

/// One RPC connection: the channel, the root it serves and the tasks of the
/// requests whose function is a coroutine (one per request, so a slow call
/// blocks nothing).
struct ConnectionState final : uvmas::detail::InlineRequestHandler, std::enable_shared_from_this<ConnectionState> {
  ConnectionState(Channel ch, Router* r) : channel(std::move(ch)), root(r), tasks(channel.loop(), "rpc request") {}
  // In-process (loopback_connection): no channel; calls dispatch to `root` directly.
  ConnectionState(Loop& loop, Router* r, std::string name, std::optional<Codec> c)
      : root(r), tasks(loop, "rpc request"), loopback_origin(std::move(name)), loopback_codec(std::move(c)) {}
  ~ConnectionState() {
    if (channel) uvmas::detail::ChannelAccess::core(channel)->set_inline_handler(nullptr);
    tasks.cancel();
    if (channel && !channel.closed()) channel.abort("rpc connection dropped");
  }

  // A synchronous function is called and answered right here, on the
  // reading stack: no Request, no task. A coroutine function's task is
  // awaited by one task of `tasks`, which also owns the request.
  void on_inline_request(uvmas::detail::ChannelCore& core, Value& id, Value& content) override;
  void answer(uvmas::detail::ChannelCore& core, Value& id, Value& content);

  static Task<> finish(ConnectionState* self, Request request, Task<Value> task);

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
  // The agent container this connection belongs to, and the base URL of the
  // peer's agents when known (see Connection::set_container).
  Container* container = nullptr;
  std::string peer_url;

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

/// The library's own way to the private constructors of the rpc handles.
struct ConnectionAccess {
  static CallContext context(ConnectionState* state) noexcept { return CallContext(state); }
  static Connection connection(std::shared_ptr<ConnectionState> state) { return Connection(std::move(state)); }
};

namespace {

bool well_formed(const Value& content) noexcept {
  if (!content.is_array() || content.size() != 3) return false;
  const Array& a = content.as_array();
  if (!a[0].is_string() || !a[1].is_array() || !a[2].is_map()) return false;
  for (const auto& [k, v] : a[2].as_map())
    if (!k.is_string()) return false;
  return true;
}

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

void ConnectionState::on_inline_request(uvmas::detail::ChannelCore& core, Value& id, Value& content) {
  // A function may drop the last other owner of this state (a client's
  // Connection): its reply still leaves with this loop pass's writes, and
  // the state goes after them.
  std::shared_ptr<ConnectionState> keep = shared_from_this();
  answer(core, id, content);
  if (keep.use_count() == 1) {
    Loop& loop = core.loop();
    loop.spawn(release_later(&loop, std::move(keep)));
  }
}

void ConnectionState::answer(uvmas::detail::ChannelCore& core, Value& id, Value& content) {
  std::exception_ptr error;
  try {
    if (!well_formed(content)) throw TypeError(check_content(content));
    if (!root) throw LookupError("this side serves no RPC service on this connection");
    const Array& a = content.as_array();
    PathWalk walk(a[0].as_string());
    Outcome outcome = root->invoke(ConnectionAccess::context(this), walk, a[1].as_array(), a[2].as_map());
    if (!outcome.pending()) {
      core.send_reply(id, std::move(outcome.value()));
      return;
    }
    // The request (hence its arguments, which the task may refer to) moves
    // into the task: moving the content keeps its elements where they are.
    Task<Value> task = outcome.take_task();
    tasks.spawn(finish(this, core.make_request(std::move(id), std::move(content)), std::move(task)));
    return;
  } catch (...) {
    error = std::current_exception();
  }
  core.send_failure(id, describe(error).traceback);
}

Task<> ConnectionState::finish(ConnectionState* self, Request request, Task<Value> task) {
  std::shared_ptr<ConnectionState> keep = self->shared_from_this();
  std::exception_ptr error;
  Value result;
  try {
    result = co_await std::move(task);
  } catch (...) {
    error = std::current_exception();
  }
  uvmas::detail::ChannelCore& core = *uvmas::detail::ChannelAccess::core(self->channel);
  if (core.congested()) {
    if (error) {
      co_await request.fail(error);
    } else {
      co_await request.reply(std::move(result));
    }
  } else if (error) {
    core.answer(request, false, Value(describe(error).traceback));
  } else {
    core.answer(request, true, std::move(result));
  }
  if (keep.use_count() == 1) {
    Loop& loop = self->channel.loop();
    loop.spawn(release_later(&loop, std::move(keep)));
  }
}

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

[[noreturn]] void closed_in_process(const detail::ConnectionState& s) {
  throw ConnectionError("in-process connection to " + s.loopback_origin + " is closed");
}

// Values the connection's codec cannot carry fail as over a socket: the
// request's before it leaves (SerializationError here), the result's as the
// EXCEPTION reply the callee would send instead.
void check_request(const detail::ConnectionState& s, std::span<const Value> args, const Map& kwargs) {
  if (!s.loopback_codec) return;
  for (const auto& a : args) s.loopback_codec->check_encodable(a, request_arg_depth);
  for (const auto& [k, v] : kwargs) s.loopback_codec->check_encodable(v, request_arg_depth);
}

void check_reply(const detail::ConnectionState& s, const Value& result) {
  if (!s.loopback_codec) return;
  try {
    s.loopback_codec->check_encodable(result, reply_result_depth);
  } catch (const CodecError&) {
    throw RemoteException(s.loopback_origin, describe(std::current_exception()).traceback);
  }
}

[[noreturn]] void remote_failure(const detail::ConnectionState& s, const std::exception_ptr& error) {
  throw RemoteException(s.loopback_origin, describe(error).traceback);
}

// Where the callee of an in-process call (a coroutine) leaves its outcome
// for the caller: lives in the caller's frame; the callee's task holds a
// pointer to it that either side clears when it goes first.
struct CalleeEnd;
struct CalleeSlot {
  Value value;
  std::exception_ptr error;
  bool done = false;
  bool closed = false;  // cancelled with its connection: no outcome
  bool waiting = false;
  ResumeSoon resume;
  CalleeEnd* end = nullptr;
  ~CalleeSlot();
};

// In the callee's task frame: completes the slot however the task ends
// (returned, threw, or cancelled with its connection).
struct CalleeEnd {
  CalleeSlot* slot;
  Loop* loop;
  ~CalleeEnd() {
    if (!slot) return;
    if (!slot->done) slot->closed = slot->done = true;
    slot->end = nullptr;
    if (slot->waiting) loop->call_soon(slot->resume);
  }
};

CalleeSlot::~CalleeSlot() {
  if (end) end->slot = nullptr;  // the caller went away: the callee runs on, its result goes nowhere
}

Task<> run_callee(Task<Value> task, CalleeSlot* slot, Loop* loop) {
  CalleeEnd end{slot, loop};
  slot->end = &end;
  std::exception_ptr error;
  Value value;
  try {
    value = co_await std::move(task);
  } catch (...) {
    error = std::current_exception();
  }
  if (!end.slot) co_return;
  end.slot->value = std::move(value);
  end.slot->error = std::move(error);
  end.slot->done = true;
}

struct SlotDone {
  CalleeSlot& slot;
  bool await_ready() const noexcept { return slot.done; }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    slot.resume.handle = h;
    slot.waiting = true;
  }
  void await_resume() const noexcept {}
};

// The rest of an in-process call whose function is a coroutine. The callee
// runs as a task of the connection, as a request over a socket does: it
// starts at once, and a caller that is cancelled or dropped (a deadline,
// a cancelled agent task) leaves it running to completion. A callee that
// never suspends completes inside spawn(): no hop through the loop. No frame
// on a channel, so nothing to count for the idle check: the callee runs in
// this process, and whatever it waits for is visible to the loop itself.
Task<Value> finish_loopback(std::shared_ptr<detail::ConnectionState> state, Task<Value> task) {
  CalleeSlot slot;
  state->tasks.spawn(run_callee(std::move(task), &slot, &state->tasks.loop()));
  SlotDone outcome{slot};
  co_await outcome;
  if (slot.closed) closed_in_process(*state);
  if (slot.error) remote_failure(*state, slot.error);
  check_reply(*state, slot.value);
  co_return std::move(slot.value);
}

// The arguments are already the callee's own copies (Values are deep-copied
// values), so nothing is shared with the caller, as after a decode.
Task<Value> call_loopback(std::shared_ptr<detail::ConnectionState> state, std::string path, Array args, Map kwargs) {
  if (!state->root) closed_in_process(*state);
  check_request(*state, args, kwargs);
  std::optional<Outcome> outcome;
  try {
    PathWalk walk(path);
    outcome.emplace(state->root->invoke(detail::ConnectionAccess::context(state.get()), walk, args, kwargs));
  } catch (...) {
    remote_failure(*state, std::current_exception());
  }
  if (outcome->pending()) co_return co_await finish_loopback(state, outcome->take_task());
  check_reply(*state, outcome->value());
  co_return std::move(outcome->value());
}

Task<> done() { co_return; }

Task<Value> call_loopback_timed(std::shared_ptr<detail::ConnectionState> state, std::string path, Task<Value> call,
                                double timeout) {
  Clock& clock = *state->loopback_clock;
  bool expired = false;
  Value result;
  try {
    result = co_await with_timeout(clock, timeout, std::move(call));
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
      std::string path = join(name);
      return call_loopback_timed(state_, path, call_loopback(state_, path, std::move(args), std::move(kwargs)),
                                 timeout);
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

bool Proxy::in_process() const noexcept { return state_ && !state_->channel; }

Outcome Proxy::invoke_in_process(std::span<const Value> args, Outcome (*invoke)(void* data, const CallContext& ctx),
                                 void* data) const {
  detail::ConnectionState* s = state_.get();
  if (!s) throw ConnectionError("proxy is not bound to a connection");
  if (!s->root) closed_in_process(*s);
  check_request(*s, args, Map{});
  std::optional<Outcome> outcome;
  try {
    outcome.emplace(invoke(data, detail::ConnectionAccess::context(s)));
  } catch (...) {
    remote_failure(*s, std::current_exception());
  }
  if (!outcome->pending()) check_reply(*s, outcome->value());
  return std::move(*outcome);
}

Task<Value> Proxy::finish_in_process(std::string_view name, Task<Value> task) const {
  const double timeout = timeout_ > 0 ? timeout_ : state_->loopback_timeout;
  if (timeout > 0 && state_->loopback_clock)
    return call_loopback_timed(state_, join(name), finish_loopback(state_, std::move(task)), timeout);
  return finish_loopback(state_, std::move(task));
}

Proxy Proxy::root_of(const CallContext& ctx) {
  return Proxy(ctx.connection_ ? ctx.connection_->shared_from_this() : std::shared_ptr<detail::ConnectionState>(), "");
}

Container* Proxy::container() const noexcept { return state_ ? state_->container : nullptr; }

std::string_view Proxy::peer_url() const noexcept { return state_ ? std::string_view(state_->peer_url) : std::string_view(); }

Proxy CallContext::proxy(const Value& reference) const {
  return Proxy::from_value(connection_ ? connection_->shared_from_this() : std::shared_ptr<detail::ConnectionState>(),
                           reference);
}

Proxy Proxy::from_value(const std::shared_ptr<detail::ConnectionState>& state, const Value& v) {
  if (!v.is_extension() || v.as_extension().type != proxy_type || !v.as_extension().data.is_string())
    throw TypeError("expected a service reference, got " + std::string(v.kind_name()));
  return Proxy(state, v.as_extension().data.as_string());
}

// -- method tables and routers --------------------------------------------------

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

void Connection::set_container(Container* container, std::string peer_url) {
  state_->container = container;
  state_->peer_url = std::move(peer_url);
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
  // From a clean stack: abort() may come from one of the callees it cancels
  // (an agent shutting its container down).
  state_->tasks.loop().call_soon(state_->cancel_requests);
}

Connection loopback_connection(Loop& loop, Router& root, std::string origin) {
  root.adopt_members();
  return detail::ConnectionAccess::connection(
      std::make_shared<detail::ConnectionState>(loop, &root, std::move(origin), std::nullopt));
}

Connection loopback_connection(Loop& loop, Router& root, std::string origin, const ChannelOptions& options) {
  root.adopt_members();
  return detail::ConnectionAccess::connection(
      std::make_shared<detail::ConnectionState>(loop, &root, std::move(origin), make_codec(rpc_options(options))));
}

ChannelOptions rpc_options(ChannelOptions options) {
  options.extra_serializers.emplace_back(proxy_type);
  return options;
}

namespace {
std::shared_ptr<detail::ConnectionState> make_state(Channel channel, Router* root) {
  if (root) root->adopt_members();
  auto state = std::make_shared<detail::ConnectionState>(std::move(channel), root);
  uvmas::detail::ChannelAccess::core(state->channel)->set_inline_handler(state.get());
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

Connection make_connection(Channel channel, Router* root) {
  return detail::ConnectionAccess::connection(make_state(std::move(channel), root));
}

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
      (*client_connected)(detail::ConnectionAccess::connection(state));
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
Task<Connection> open_connection(Loop& loop, std::string_view address, ConnectionOptions options) {
  return connect_rpc(loop, std::string(address), std::move(options.channel), options.root);
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
