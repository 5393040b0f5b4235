#pragma once
// The state behind one RPC connection (a channel's or an in-process one),
// shared by request serving, proxies and connection set-up.

#include "uvmas/framework/rpc.hpp"

#include "../channel_core.hpp"
#include "uvmas/core/task_group.hpp"

#include <memory>
#include <optional>
#include <string>

namespace uvmas::rpc::detail {

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

}  // namespace uvmas::rpc::detail
