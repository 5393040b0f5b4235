// A channel server and client talking over mutual TLS (see docs/tls.md).
//
// Usage: tls [CERT_DIR]
// CERT_DIR holds ca.pem, server.pem/.key and client.pem/.key. It defaults to
// $UVMAS_TLS_CERTS, else to ../shared/tls-test-certs relative to the repository
// (the throwaway test certificates; never use them in production).

#include <uvmas/core/error.hpp>
#include <uvmas/core/loop.hpp>
#include <uvmas/framework/channel.hpp>
#include <uvmas/transports/tls.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

namespace {

std::string cert_dir(int argc, char** argv) {
  if (argc > 1) return argv[1];
  if (const char* env = std::getenv("UVMAS_TLS_CERTS")) return env;
#ifdef UVMAS_REPO_DIR
  return std::string(UVMAS_REPO_DIR) + "/../shared/tls-test-certs";
#else
  return "../shared/tls-test-certs";  // when run from the repository root
#endif
}

// The server side of one connection: answers every request with a greeting.
uvmas::Task<> greet(uvmas::Channel ch) {
  for (;;) {
    uvmas::Request req = co_await ch.recv();
    std::cout << "server got:  " << req.content().as_string() << "\n";
    co_await req.reply("hello, " + req.content().as_string());
  }
}

uvmas::Task<> client(uvmas::Loop& loop, std::string url, uvmas::ChannelOptions options) {
  uvmas::Channel ch = co_await uvmas::open_connection(loop, url, options);
  std::cout << "client connected to " << ch.peer_name() << " over TLS\n";
  uvmas::Value reply = co_await ch.send("uvmas client");
  std::cout << "client got:  " << reply.as_string() << "\n";
  co_await ch.close();
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = cert_dir(argc, argv);
  try {
    // Each side has its own identity; both trust the same CA.
    uvmas::ChannelOptions server_options;
    server_options.transport.tls = uvmas::TlsContext::create({dir + "/ca.pem", dir + "/server.pem", dir + "/server.key"});
    uvmas::ChannelOptions client_options;
    client_options.transport.tls = uvmas::TlsContext::create({dir + "/ca.pem", dir + "/client.pem", dir + "/client.key"});

    uvmas::Loop loop;
    auto server = uvmas::start_server(loop, "tcp://127.0.0.1:0", greet, server_options);
    std::cout << "server listening on " << server->address().url() << "\n";
    loop.run(client(loop, server->address().url(), client_options));
  } catch (const std::invalid_argument& e) {
    std::cerr << "bad TLS configuration: " << e.what() << "\n";
    return 2;
  } catch (const uvmas::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
