// Proxies: calls over a channel (with their deadline) and in-process calls,
// which skip the codec but fail as a socket would.

#include "connection_state.hpp"

#include "uvmas/clocks/timeout.hpp"

#include <optional>

namespace uvmas::rpc {

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

}  // namespace uvmas::rpc
