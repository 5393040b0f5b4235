// Mutual TLS on each layer (docs/tls.md): a channel, an RPC connection and
// two agent containers, each with a server and a client certificate signed
// by one CA.
//
// Usage: tls CERT_DIR
// CERT_DIR holds ca.pem, server.pem/.key and client.pem/.key (the tests pass
// the project's throwaway test certificates; never use those in production).

#include <uvmas/core/error.hpp>
#include <uvmas/framework/container.hpp>
#include <uvmas/transports/tls.hpp>

#include <iostream>
#include <string>

namespace {

// [snippet:config]
std::shared_ptr<uvmas::TlsContext> load_identity(const std::string& dir, const std::string& name) {
  uvmas::TlsConfig config;
  config.ca_file = dir + "/ca.pem";            // the CA every peer's certificate must chain to
  config.cert_file = dir + "/" + name + ".pem";  // our certificate ...
  config.key_file = dir + "/" + name + ".key";   // ... and its private key (unencrypted PEM)
  config.handshake_timeout = 10.0;             // seconds; <= 0 disables the limit
  return uvmas::TlsContext::create(config);    // reads and checks every file now
}
// [end:config]

// The server side of one channel connection: answers every request with a greeting.
uvmas::Task<> greet(uvmas::Channel ch) {
  for (;;) {
    uvmas::Request req = co_await ch.recv();
    co_await req.reply("hello, " + req.content().as_string());
  }
}

uvmas::Task<> channel_client(uvmas::Loop& loop, std::string url, uvmas::ChannelOptions options) {
  uvmas::Channel ch = co_await uvmas::open_connection(loop, url, options);
  uvmas::Value reply = co_await ch.send("channel client");
  std::cout << "channel: " << reply.as_string() << "\n";
  co_await ch.close();
}

void channel_over_tls(const std::string& dir) {
  // [snippet:channel]
  uvmas::ChannelOptions server_options;
  server_options.transport.tls = load_identity(dir, "server");
  uvmas::ChannelOptions client_options;
  client_options.transport.tls = load_identity(dir, "client");

  uvmas::Loop loop;
  auto server = uvmas::start_server(loop, "tcp://127.0.0.1:0", greet, server_options);
  loop.run(channel_client(loop, server->address().url(), client_options));
  // [end:channel]
}

uvmas::Task<> rpc_client(uvmas::Loop& loop, std::string url, uvmas::ChannelOptions options) {
  auto con = co_await uvmas::rpc::open_connection(loop, url, options);
  std::cout << "rpc: 3 + 4 = " << co_await con.remote().call<int>("add", 3, 4) << "\n";
  co_await con.close();
}

void rpc_over_tls(const std::string& dir) {
  uvmas::Loop loop;
  uvmas::rpc::Router router{"__main__.Calculator"};
  router.expose("add", [](int a, int b) { return a + b; });
  // [snippet:rpc]
  uvmas::ChannelOptions rpc_options;
  rpc_options.transport.tls = load_identity(dir, "server");
  auto server = uvmas::rpc::start_server(loop, "tcp://127.0.0.1:0", router, rpc_options);
  // [end:rpc]
  uvmas::ChannelOptions client_options;
  client_options.transport.tls = load_identity(dir, "client");
  loop.run(rpc_client(loop, server->address().url(), client_options));
}

class Echo : public uvmas::Agent {
 public:
  static void expose_methods(uvmas::rpc::Methods<Echo>& m) { m.expose("echo", &Echo::echo); }
  explicit Echo(uvmas::Container& c) : Agent(c) {}
  std::string echo(std::string s) { return s; }
};

uvmas::Task<> call_echo(uvmas::Container& c, std::string url) {
  uvmas::AgentProxy echo = co_await c.connect(url);
  std::cout << "agents: " << co_await echo.call<std::string>("echo", "over TLS") << "\n";
}

void agents_over_tls(const std::string& dir) {
  uvmas::Loop loop;
  // [snippet:container]
  uvmas::ContainerOptions options;
  options.transport.tls = load_identity(dir, "server");  // serves and connects with one certificate
  auto server = uvmas::Container::create(loop, "tcp://127.0.0.1:0", options);
  // [end:container]
  // [snippet:pair]
  uvmas::ContainerOptions client_options;
  client_options.transport.tls = load_identity(dir, "server");         // presented to those who connect here
  client_options.transport.client_tls = load_identity(dir, "client");  // used when this container connects out
  auto client = uvmas::Container::create(loop, "tcp://127.0.0.1:0", client_options);
  // [end:pair]
  auto& echo = server->spawn<Echo>();
  loop.run(call_echo(*client, echo.addr()));
  loop.run(client->shutdown());
  loop.run(server->shutdown());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: example-tls CERT_DIR\n";
    return 64;
  }
  try {
    channel_over_tls(argv[1]);
    rpc_over_tls(argv[1]);
    agents_over_tls(argv[1]);
  } catch (const std::invalid_argument& e) {
    std::cerr << "bad TLS configuration: " << e.what() << "\n";
    return 2;
  } catch (const uvmas::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
