// Serving RPC requests: check a request's shape, dispatch it through the
// root's method tables and send its reply (inline for a plain function, from
// a task of the connection for a coroutine).

#include "connection_state.hpp"

namespace uvmas::rpc::detail {

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

}  // namespace uvmas::rpc::detail
