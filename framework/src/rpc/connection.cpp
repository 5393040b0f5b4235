// Connections: opening one, serving a listener's, in-process ones, and
// closing them.

#include "connection_state.hpp"

namespace uvmas::rpc {

namespace {
Task<> done() { co_return; }
}  // namespace

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
