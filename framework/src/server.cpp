#include "channel_core.hpp"
#include "uvmas/core/error.hpp"
#include "uvmas/core/log.hpp"
#include "uvmas/framework/channel.hpp"

#include <unordered_map>

namespace uvmas {

// The server owns its open connections (as asyncio's transports keep
// themselves open): a connection lives until it closes or the server shuts
// down, even after its client task has returned.
struct Server::Impl {
  Loop& loop;
  ClientConnected on_client;
  ChannelOptions options;
  TaskGroup clients;
  std::unordered_map<detail::ChannelCore*, Channel> open;
  std::unique_ptr<Listener> listener;

  Impl(Loop& l, ClientConnected cb, ChannelOptions o)
      : loop(l), on_client(std::move(cb)), options(std::move(o)), clients(l, "channel client task") {
    // A client task that ends because its peer went away ends normally; any
    // protocol error on that connection was already logged by the channel.
    clients.set_error_handler([](std::exception_ptr e) {
      try {
        std::rethrow_exception(e);
      } catch (const ConnectionError&) {
      } catch (...) {
        log(LogLevel::error, "channel client task failed: " + describe(e).line());
      }
    });
  }

  void accept(StreamPtr stream) {
    Channel ch = make_channel(std::move(stream), options);
    auto* key = detail::ChannelAccess::core(ch);
    open.emplace(key, ch);
    ch.on_close([this, key](std::string_view) { forget(key); });
    if (on_client) clients.spawn(on_client(ch));
  }

  // Dropping the owning handle is deferred to the loop: the close callback
  // runs inside the connection's own code.
  struct Forget final : SoonCallback {
    explicit Forget(Impl* i) : impl(i) {}
    Impl* impl;
    std::vector<detail::ChannelCore*> keys;
    void fire() override {
      auto k = std::move(keys);
      keys.clear();
      for (auto* key : k) impl->open.erase(key);
    }
  } forget_soon{this};
  void forget(detail::ChannelCore* key) {
    forget_soon.keys.push_back(key);
    loop.call_soon(forget_soon);
  }
};

Server::Server(Loop& loop, const Address& address, ClientConnected on_client, ChannelOptions options)
    : impl_(std::make_unique<Impl>(loop, std::move(on_client), std::move(options))) {
  impl_->listener = listen_stream(
      loop, address, [impl = impl_.get()](StreamPtr s) { impl->accept(std::move(s)); }, impl_->options.transport);
}

Server::~Server() {
  close();
  impl_->clients.cancel();
  for (auto& [key, ch] : impl_->open) ch.abort("server shut down");
  impl_->forget_soon.unlink();
  impl_->open.clear();
}

const Address& Server::address() const noexcept { return impl_->listener->address(); }
void Server::close() noexcept { impl_->listener->close(); }
std::size_t Server::connections() const noexcept { return impl_->open.size(); }
void Server::accept(StreamPtr stream) { impl_->accept(std::move(stream)); }

Task<> Server::shutdown() {
  close();
  std::vector<Channel> all;
  for (auto& [key, ch] : impl_->open) all.push_back(ch);
  // Every connection stops now and closes once what it queued (the replies
  // already given) has left, so a reply sent just before shutdown arrives.
  TaskGroup closing(impl_->loop, "closing a connection");
  for (auto& ch : all) closing.spawn(ch.close("server shut down"));
  co_await closing.join();
  co_await impl_->clients.cancel_and_wait();
}

std::unique_ptr<Server> start_server(Loop& loop, std::string_view address, Server::ClientConnected on_client,
                                     ChannelOptions options) {
  return std::make_unique<Server>(loop, Address::parse(address), std::move(on_client), std::move(options));
}

std::unique_ptr<Server> start_server(Loop& loop, std::string_view address, Server::ClientConnected on_client) {
  return start_server(loop, address, std::move(on_client), ChannelOptions{});
}

}  // namespace uvmas
