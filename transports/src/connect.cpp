#include "uvmas/transports/connect.hpp"

#include "sockaddr.hpp"
#include "stream_factories.hpp"
#include "uv_stream.hpp"
#include "uvmas/core/error.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace uvmas {

namespace {

// One uv_connect in flight. If the awaiting coroutine is destroyed first, the
// operation owns itself: closing the handle makes libuv call back with
// ECANCELED, and the callback frees it.
template <class H>
struct ConnectOp {
  detail::UvHandle<H> handle;
  uv_connect_t req{};
  std::coroutine_handle<> waiter;
  int status = 1;  // 1 = pending
  bool abandoned = false;

  static void done(uv_connect_t* req, int status) {
    auto* op = static_cast<ConnectOp*>(req->data);
    if (op->abandoned) {
      std::unique_ptr<ConnectOp> orphan(op);
      return;
    }
    op->status = status;
    if (op->waiter) op->waiter.resume();
  }
};

template <class H>
struct ConnectAwaiter {
  std::unique_ptr<ConnectOp<H>> op;
  bool await_ready() const noexcept { return op->status != 1; }
  void await_suspend(std::coroutine_handle<> h) noexcept { op->waiter = h; }
  int await_resume() const noexcept { return op->status; }
  ~ConnectAwaiter() {
    if (op && op->status == 1) {
      op->abandoned = true;
      op->handle.close();
      (void)op.release();  // freed by ConnectOp::done
    }
  }
};

// Keepalive and TCP_USER_TIMEOUT as the options say, on a connected socket.
void tune_tcp(uv_tcp_t* tcp, const TransportOptions& options) {
  uv_tcp_nodelay(tcp, 1);
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(tcp), &fd) != 0) return;
  if (options.keepalive > 0) {
    const int on = 1;
    const int idle = std::max(1, static_cast<int>(options.keepalive));
    const int interval = std::max(1, idle / 3);
    const int count = 3;
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
  }
  if (options.user_timeout > 0) {
    const auto ms = static_cast<unsigned>(std::min(options.user_timeout * 1000.0, 4.0e9));
    ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms);
  }
}

Task<StreamPtr> connect_tcp(Loop& loop, Address address, TransportOptions options) {
  auto addrs = co_await detail::resolve(loop, address.host, address.port);
  std::string last_error;
  for (auto& sa : addrs) {
    auto op = std::make_unique<ConnectOp<uv_tcp_t>>();
    int rc = op->handle.init(uv_tcp_init, loop.uv(), nullptr);
    if (rc != 0) throw_uv(rc, "connect " + address.url());
    op->req.data = op.get();
    rc = uv_tcp_connect(&op->req, op->handle.get(), reinterpret_cast<const sockaddr*>(&sa), &ConnectOp<uv_tcp_t>::done);
    if (rc != 0) {
      last_error = uv_message(rc);
      continue;
    }
    ConnectAwaiter<uv_tcp_t> awaiter{std::move(op)};
    int status = co_await awaiter;
    if (status != 0) {
      last_error = uv_message(status);
      continue;
    }
    auto& handle = awaiter.op->handle;
    tune_tcp(handle.get(), options);
    sockaddr_storage peer{};
    int len = sizeof peer;
    std::string name = address.origin();
    if (uv_tcp_getpeername(handle.get(), reinterpret_cast<sockaddr*>(&peer), &len) == 0) {
      name = detail::python_peer_name(reinterpret_cast<sockaddr*>(&peer));
    }
    co_return std::make_unique<detail::UvStream<uv_tcp_t>>(loop, std::move(handle), std::move(name));
  }
  throw ConnectionError("cannot connect to " + address.url() + ": " + last_error);
}

Task<StreamPtr> connect_unix(Loop& loop, Address address) {
  auto op = std::make_unique<ConnectOp<uv_pipe_t>>();
  int rc = op->handle.init(uv_pipe_init, loop.uv(), nullptr, 0);
  if (rc != 0) throw_uv(rc, "connect " + address.url());
  op->req.data = op.get();
  uv_pipe_connect(&op->req, op->handle.get(), address.path.c_str(), &ConnectOp<uv_pipe_t>::done);
  ConnectAwaiter<uv_pipe_t> awaiter{std::move(op)};
  int status = co_await awaiter;
  if (status != 0) throw ConnectionError("cannot connect to " + address.url() + ": " + uv_message(status));
  // aiomas reports the peer of a Unix socket client as the socket path.
  co_return std::make_unique<detail::UvStream<uv_pipe_t>>(loop, std::move(awaiter.op->handle), address.path);
}

// A listener on a libuv stream handle (TCP or pipe).
template <class H>
class UvListener final : public Listener {
 public:
  UvListener(Loop& loop, Address address, AcceptCallback on_accept, bool unlink_on_close, TransportOptions options)
      : loop_(loop),
        address_(std::move(address)),
        on_accept_(std::move(on_accept)),
        unlink_(unlink_on_close),
        options_(std::move(options)) {}
  ~UvListener() override { close(); }

  detail::UvHandle<H>& handle() noexcept { return handle_; }
  void listen() {
    handle_->data = this;
    int rc = uv_listen(handle_.stream(), 511, &UvListener::on_connection);
    if (rc != 0) throw_uv(rc, "listen on " + address_.url());
  }
  void set_port(std::uint16_t port) { address_.port = port; }

  const Address& address() const noexcept override { return address_; }
  void close() noexcept override {
    if (!handle_) return;
    handle_.close();
    if (unlink_) ::unlink(address_.path.c_str());
  }

 private:
  static void on_connection(uv_stream_t* server, int status) {
    auto* self = static_cast<UvListener*>(server->data);
    if (!self || status != 0) return;  // a failed accept costs only that client
    detail::UvHandle<H> client;
    int rc;
    if constexpr (std::is_same_v<H, uv_tcp_t>) {
      rc = client.init(uv_tcp_init, self->loop_.uv(), nullptr);
    } else {
      rc = client.init(uv_pipe_init, self->loop_.uv(), nullptr, 0);
    }
    if (rc != 0 || uv_accept(server, client.stream()) != 0) return;
    std::string name;
    if constexpr (std::is_same_v<H, uv_tcp_t>) {
      tune_tcp(client.get(), self->options_);
      sockaddr_storage peer{};
      int len = sizeof peer;
      if (uv_tcp_getpeername(client.get(), reinterpret_cast<sockaddr*>(&peer), &len) == 0) {
        name = detail::python_peer_name(reinterpret_cast<sockaddr*>(&peer));
      }
    }
    // An accepted Unix socket's peer name is '' in aiomas.
    self->on_accept_(std::make_unique<detail::UvStream<H>>(self->loop_, std::move(client), std::move(name)));
  }

  Loop& loop_;
  Address address_;
  AcceptCallback on_accept_;
  bool unlink_;
  TransportOptions options_;
  detail::UvHandle<H> handle_;
};

std::unique_ptr<Listener> listen_tcp(Loop& loop, const Address& address, AcceptCallback on_accept,
                                     const TransportOptions& options) {
  auto addrs = detail::resolve_now(loop, address.host, address.port);
  auto listener = std::make_unique<UvListener<uv_tcp_t>>(loop, address, std::move(on_accept), false, options);
  int rc = listener->handle().init(uv_tcp_init, loop.uv(), nullptr);
  if (rc != 0) throw_uv(rc, "listen on " + address.url());
  rc = uv_tcp_bind(listener->handle().get(), reinterpret_cast<const sockaddr*>(&addrs.front()), 0);
  if (rc != 0) throw_uv(rc, "bind " + address.url());
  listener->listen();
  sockaddr_storage bound{};
  int len = sizeof bound;
  if (uv_tcp_getsockname(listener->handle().get(), reinterpret_cast<sockaddr*>(&bound), &len) == 0) {
    auto* in = reinterpret_cast<sockaddr_in*>(&bound);  // port sits at the same offset for v6
    listener->set_port(ntohs(in->sin_port));
  }
  return listener;
}

std::unique_ptr<Listener> listen_unix(Loop& loop, const Address& address, AcceptCallback on_accept) {
  // Like asyncio, replace a stale socket file (but never a regular file).
  struct stat st {};
  if (::stat(address.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(address.path.c_str());
  auto listener = std::make_unique<UvListener<uv_pipe_t>>(loop, address, std::move(on_accept), true, TransportOptions{});
  int rc = listener->handle().init(uv_pipe_init, loop.uv(), nullptr, 0);
  if (rc != 0) throw_uv(rc, "listen on " + address.url());
  rc = uv_pipe_bind(listener->handle().get(), address.path.c_str());
  if (rc != 0) throw_uv(rc, "bind " + address.url());
  listener->listen();
  return listener;
}

}  // namespace

namespace {
Task<StreamPtr> connect_any(Loop& loop, Address address, TransportOptions options) {
  Activity opening(loop);  // the loop is not idle while a connection is being opened
  const std::shared_ptr<TlsContext> tls = options.client_tls ? options.client_tls : options.tls;
  switch (address.kind) {
    case Address::Kind::tcp: {
      auto stream = co_await connect_tcp(loop, address, options);
      if (tls) {
        co_return co_await detail::tls_client(std::move(stream), tls,
                                              options.tls_server_name.empty() ? address.host : options.tls_server_name);
      }
      co_return stream;
    }
    case Address::Kind::unix_socket:
      if (tls) throw std::invalid_argument("TLS runs over TCP only: " + address.url());
      co_return co_await connect_unix(loop, address);
    case Address::Kind::local:
      if (tls) throw std::invalid_argument("TLS runs over TCP only: " + address.url());
      co_return co_await detail::local_connect(loop, address.path);
  }
  throw std::invalid_argument("unknown address kind");
}
}  // namespace

// A plain function over a coroutine taking copies: the task is lazy, so it
// must not refer to the caller's (possibly temporary) arguments.
Task<StreamPtr> connect_stream(Loop& loop, const Address& address, const TransportOptions& options) {
  return connect_any(loop, address, options);
}

Task<StreamPtr> connect_stream(Loop& loop, const Address& address) {
  return connect_any(loop, address, TransportOptions{});
}

std::unique_ptr<Listener> listen_stream(Loop& loop, const Address& address, AcceptCallback on_accept) {
  return listen_stream(loop, address, std::move(on_accept), TransportOptions{});
}

std::unique_ptr<Listener> listen_stream(Loop& loop, const Address& address, AcceptCallback on_accept,
                                        const TransportOptions& options) {
  switch (address.kind) {
    case Address::Kind::tcp:
      if (options.tls) {
        return listen_tcp(loop, address, detail::tls_server_acceptor(loop, options.tls, std::move(on_accept)), options);
      }
      return listen_tcp(loop, address, std::move(on_accept), options);
    case Address::Kind::unix_socket:
      if (options.tls) throw std::invalid_argument("TLS runs over TCP only: " + address.url());
      return listen_unix(loop, address, std::move(on_accept));
    case Address::Kind::local:
      if (options.tls) throw std::invalid_argument("TLS runs over TCP only: " + address.url());
      return detail::local_listen(loop, address.path, std::move(on_accept));
  }
  throw std::invalid_argument("unknown address kind");
}

}  // namespace uvmas
