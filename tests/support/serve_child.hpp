#pragma once
// `uvmas serve` in a child process, for tests that probe it from outside.

#include "support/test_support.hpp"

#include <uvmas/framework/child_process.hpp>
#include <uvmas/framework/rpc.hpp>
#include <uvmas/transports/address.hpp>

#include <gtest/gtest.h>

namespace uvmas::test {

/// Runs `uvmas serve` on an ephemeral loopback port, awaits
/// body(loop, address, child), then asks the server to shut down and expects
/// it to exit with status 0 (so a server that died meanwhile fails the test).
template <class Body>
void with_serve(Body body) {
  Loop loop;
  auto child = ChildProcess::start(loop, {bin_dir() + "/uvmas", "serve", "tcp://127.0.0.1:0"});
  auto run = [](Loop& l, ChildProcess& c, Body b) -> Task<int> {
    std::string ready = co_await c.read_line();
    std::string addr = ready.substr(6);
    co_await b(l, Address::parse(addr), c);
    rpc::Connection con = co_await rpc::open_connection(l, addr);
    (void)co_await con.remote().call<std::string>("shutdown");
    co_return co_await c.wait();
  };
  EXPECT_EQ(loop.run(run(loop, *child, body)), 0);
}

}  // namespace uvmas::test
