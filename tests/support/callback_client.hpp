#pragma once
// The client end of a connection to the interop test service (`uvmas serve`,
// a Python aiomas peer): it serves `cb_mul(a, b)`, which the service's
// `call_back` calls over the same connection.

#include <uvmas/framework/rpc.hpp>

#include <string>
#include <utility>

namespace uvmas::test {

class CallbackClient {
 public:
  CallbackClient() {
    router_.expose("cb_mul", [](int a, int b) { return a * b; }, {"a", "b"});
  }
  CallbackClient(const CallbackClient&) = delete;
  CallbackClient& operator=(const CallbackClient&) = delete;

  /// The router, to pass as a service reference (`call_back(client.router(), x)`).
  rpc::Router& router() noexcept { return router_; }

  /// Opens a connection with `options` that serves this client's router;
  /// the client must outlive it.
  Task<rpc::Connection> connect(Loop& loop, std::string address, ChannelOptions options) {
    rpc::ConnectionOptions serving(std::move(options));
    serving.root = &router_;
    co_return co_await rpc::open_connection(loop, address, serving);
  }
  /// Same, with default options but for `codec`.
  Task<rpc::Connection> connect(Loop& loop, std::string address, Format codec) {
    ChannelOptions options;
    options.codec = codec;
    return connect(loop, std::move(address), std::move(options));
  }

 private:
  rpc::Router router_{"tests.Client"};
};

}  // namespace uvmas::test
