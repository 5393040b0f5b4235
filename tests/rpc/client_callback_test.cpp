// An RPC server that calls its clients (aiomas's `client_connected_cb`): the
// server gets every accepted connection and can call the client back at once.

#include <uvmas/core/error.hpp>
#include <uvmas/core/task_group.hpp>
#include <uvmas/core/wait_list.hpp>
#include <uvmas/framework/rpc.hpp>

#include "support/watchdog.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace {

using namespace uvmas;

struct Results {
  std::vector<int> products;
  std::vector<std::string> errors;
};

Task<> greet_client(rpc::Connection client, Results* out) {
  try {
    out->products.push_back(co_await client.remote().call<int>("cb_mul", 4, 10));
  } catch (const Error& e) {
    out->errors.push_back(e.what());
  }
}

TEST(ClientConnected, TheServerCallsEveryNewClientBackAtOnce) {
  Loop loop;
  rpc::Router server_root("__main__.Server");
  server_root.expose("ping", [] { return std::string("pong"); });
  Results results;
  TaskGroup calls(loop);
  auto server = rpc::start_server(loop, "tcp://127.0.0.1:0", server_root, ChannelOptions{},
                                  [&](rpc::Connection client) { calls.spawn(greet_client(client, &results)); });
  loop.run([&]() -> Task<> {
    Event called(loop);
    rpc::Router client_root("__main__.Client");
    client_root.expose("cb_mul", [&](int a, int b) {
      called.set();
      return a * b;
    });
    rpc::Connection con = co_await rpc::open_connection(loop, server->address().url(), client_root);
    co_await called.wait();
    // The connection serves both ways: the client's own calls still work.
    EXPECT_EQ(co_await con.remote().call<std::string>("ping"), "pong");
    co_await calls.join();
    co_await con.close();
  }());
  EXPECT_EQ(results.products, std::vector<int>{40});
  EXPECT_TRUE(results.errors.empty());
  loop.run(server->shutdown());
}

TEST(ClientConnected, AThrowingCallbackClosesThatConnectionOnly) {
  Loop loop;
  rpc::Router server_root("__main__.Server");
  server_root.expose("ping", [] { return std::string("pong"); });
  int seen = 0;
  auto server = rpc::start_server(loop, "tcp://127.0.0.1:0", server_root, ChannelOptions{},
                                  [&](rpc::Connection) {
                                    if (++seen == 1) throw ValueError("not you");
                                  });
  loop.run([&]() -> Task<> {
    rpc::Connection refused = co_await rpc::open_connection(loop, server->address().url());
    std::string error;
    try {
      (void)co_await refused.remote().call<std::string>("ping");
    } catch (const ConnectionError& e) {
      error = e.what();
    }
    EXPECT_FALSE(error.empty());
    rpc::Connection welcome = co_await rpc::open_connection(loop, server->address().url());
    EXPECT_EQ(co_await welcome.remote().call<std::string>("ping"), "pong");
    co_await welcome.close();
  }());
  EXPECT_EQ(seen, 2);
  loop.run(server->shutdown());
}

Task<> call_drop(rpc::Connection client, Event* stored, Event* done, std::string* outcome) {
  co_await stored->wait();
  try {
    *outcome = "reply " + std::to_string(co_await client.remote().call<int>("drop"));
  } catch (const ConnectionError& e) {
    *outcome = std::string("connection lost: ") + e.what();
  }
  done->set();
}

TEST(ClientConnected, AClientFunctionThatDropsItsOwnConnectionStillReplies) {
  test::Watchdog watchdog;
  Loop loop;
  rpc::Router server_root("__main__.Server");
  Event stored(loop), done(loop);
  std::string outcome;
  TaskGroup calls(loop);
  auto server = rpc::start_server(loop, "tcp://127.0.0.1:0", server_root, ChannelOptions{},
                                  [&](rpc::Connection client) { calls.spawn(call_drop(client, &stored, &done, &outcome)); });
  std::optional<rpc::Connection> con;
  rpc::Router client_root("__main__.Client");
  // The function's connection has no other owner than `con`: dropping it
  // closes the connection, after the reply has left.
  client_root.expose("drop", [&con] {
    con.reset();
    return 7;
  });
  loop.run([&]() -> Task<> {
    con = co_await rpc::open_connection(loop, server->address().url(), client_root);
    stored.set();
    co_await done.wait();
  }());
  EXPECT_EQ(outcome, "reply 7");
  EXPECT_FALSE(con.has_value());
  loop.run(server->shutdown());
}

}  // namespace
