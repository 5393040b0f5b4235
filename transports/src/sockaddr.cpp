#include "sockaddr.hpp"

#include "uvmas/core/error.hpp"

#include <cstring>
#include <memory>

namespace uvmas::detail {

std::string python_peer_name(const sockaddr* sa) {
  char ip[INET6_ADDRSTRLEN] = {0};
  if (sa->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    uv_ip4_name(in, ip, sizeof ip);
    return "('" + std::string(ip) + "', " + std::to_string(ntohs(in->sin_port)) + ")";
  }
  if (sa->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    uv_ip6_name(in6, ip, sizeof ip);
    return "('" + std::string(ip) + "', " + std::to_string(ntohs(in6->sin6_port)) + ", " +
           std::to_string(ntohl(in6->sin6_flowinfo)) + ", " + std::to_string(in6->sin6_scope_id) + ")";
  }
  return "";
}

namespace {

bool literal(const std::string& host, std::uint16_t port, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof out);
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&out)) == 0) return true;
  if (uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&out)) == 0) return true;
  return false;
}

std::vector<sockaddr_storage> collect(const addrinfo* res) {
  std::vector<sockaddr_storage> v4, v6;
  for (auto* ai = res; ai; ai = ai->ai_next) {
    sockaddr_storage s{};
    std::memcpy(&s, ai->ai_addr, ai->ai_addrlen);
    (ai->ai_family == AF_INET ? v4 : v6).push_back(s);
  }
  v4.insert(v4.end(), v6.begin(), v6.end());
  return v4;
}

addrinfo hints() {
  addrinfo h{};
  h.ai_family = AF_UNSPEC;
  h.ai_socktype = SOCK_STREAM;
  return h;
}

// One getaddrinfo in flight. If the awaiting coroutine is destroyed first, the
// operation owns itself and is freed by the callback.
struct ResolveOp {
  uv_getaddrinfo_t req{};
  std::coroutine_handle<> waiter;
  std::vector<sockaddr_storage> result;
  int status = 1;  // 1 = pending
  bool abandoned = false;

  static void done(uv_getaddrinfo_t* req, int status, addrinfo* res) {
    auto* op = static_cast<ResolveOp*>(req->data);
    std::unique_ptr<ResolveOp> orphan;
    if (op->abandoned) orphan.reset(op);
    if (status == 0 && !op->abandoned) op->result = collect(res);
    uv_freeaddrinfo(res);
    if (op->abandoned) return;
    op->status = status;
    if (op->waiter) op->waiter.resume();
  }
};

struct ResolveAwaiter {
  std::unique_ptr<ResolveOp> op;
  bool await_ready() const noexcept { return op->status != 1; }
  void await_suspend(std::coroutine_handle<> h) noexcept { op->waiter = h; }
  int await_resume() const noexcept { return op->status; }
  ~ResolveAwaiter() {
    if (op && op->status == 1) {
      op->abandoned = true;
      uv_cancel(reinterpret_cast<uv_req_t*>(&op->req));
      (void)op.release();  // freed by ResolveOp::done
    }
  }
};

}  // namespace

Task<std::vector<sockaddr_storage>> resolve(Loop& loop, std::string host, std::uint16_t port) {
  sockaddr_storage s;
  if (literal(host, port, s)) co_return std::vector<sockaddr_storage>{s};
  auto op = std::make_unique<ResolveOp>();
  op->req.data = op.get();
  auto h = hints();
  std::string service = std::to_string(port);
  int rc = uv_getaddrinfo(loop.uv(), &op->req, &ResolveOp::done, host.c_str(), service.c_str(), &h);
  if (rc != 0) throw ConnectionError("cannot resolve host \"" + host + "\": " + uv_message(rc));
  ResolveAwaiter awaiter{std::move(op)};
  int status = co_await awaiter;
  if (status != 0) throw ConnectionError("cannot resolve host \"" + host + "\": " + uv_message(status));
  auto result = std::move(awaiter.op->result);
  if (result.empty()) throw ConnectionError("cannot resolve host \"" + host + "\": no address");
  co_return result;
}

std::vector<sockaddr_storage> resolve_now(Loop& loop, const std::string& host, std::uint16_t port) {
  sockaddr_storage s;
  if (literal(host, port, s)) return {s};
  uv_getaddrinfo_t req{};
  auto h = hints();
  std::string service = std::to_string(port);
  int rc = uv_getaddrinfo(loop.uv(), &req, nullptr, host.c_str(), service.c_str(), &h);
  if (rc != 0) throw ConnectionError("cannot resolve host \"" + host + "\": " + uv_message(rc));
  auto result = collect(req.addrinfo);
  uv_freeaddrinfo(req.addrinfo);
  if (result.empty()) throw ConnectionError("cannot resolve host \"" + host + "\": no address");
  return result;
}

}  // namespace uvmas::detail
