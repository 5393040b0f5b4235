// RPC add(1, 2) round trips through uvmas rpc connections, plain or TLS.

#include "bench.hpp"

#include <uvmas/framework/rpc.hpp>
#include <uvmas/transports/tls.hpp>

#include <chrono>

namespace uvmas::bench {

namespace {
std::string certs(const char* file) { return std::string(UVMAS_REPO_DIR) + "/tests/data/tls/" + file; }

ChannelOptions options_for(Format codec, bool tls, bool server) {
  ChannelOptions o;
  o.codec = codec;
  if (tls) {
    TlsConfig config;
    config.ca_file = certs("ca.pem");
    config.cert_file = certs(server ? "server.pem" : "client.pem");
    config.key_file = certs(server ? "server.key" : "client.key");
    o.transport.tls = TlsContext::create(config);
  }
  return o;
}

Task<> worker(rpc::Proxy remote, std::size_t& remaining) {
  while (remaining > 0) {
    --remaining;
    (void)co_await remote.call<int>("add", 1, 2);
  }
}

Task<double> drive(Loop& loop, std::string address, ChannelOptions options, Pattern p) {
  rpc::Connection con = co_await rpc::open_connection(loop, address, options);
  TaskGroup group(loop);
  std::size_t remaining = p.count;
  auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < p.in_flight; ++i) group.spawn(worker(con.remote(), remaining));
  co_await group.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  co_return static_cast<double>(p.count) / seconds;
}
}  // namespace

void rpc_serve(Format codec, bool tls, const std::function<void(int)>& ready) {
  Loop loop;
  rpc::Router router("bench.MathServer");
  router.expose("add", [](int a, int b) { return a + b; }, {"a", "b"});
  auto server = rpc::start_server(loop, "tcp://127.0.0.1:0", router, options_for(codec, tls, true));
  ready(server->address().port);
  serve_until_killed(loop);
}

double rpc_client(Format codec, bool tls, int port, Pattern p) {
  Loop loop;
  return loop.run(drive(loop, "tcp://127.0.0.1:" + std::to_string(port), options_for(codec, tls, false), p));
}

}  // namespace uvmas::bench
