// `uvmas serve` under the interop robustness probe: hundreds of connections at
// once, bad input that closes only the offending connection, EXCEPTION
// replies that keep a connection usable, and a depth limit far below 100 000.

#include "support/raw_peer.hpp"
#include "support/serve_child.hpp"
#include "support/test_support.hpp"

#include <uvmas/core/error.hpp>
#include <uvmas/framework/child_process.hpp>
#include <uvmas/framework/rpc.hpp>

#include <gtest/gtest.h>

namespace {

using namespace uvmas;

using test::with_serve;

TEST(ServeRobustness, ServesHundredsOfConnectionsAtOnce) {
  with_serve([](Loop& l, Address addr, ChildProcess&) -> Task<> {
    std::vector<rpc::Connection> cons;
    for (int i = 0; i < 300; ++i) cons.push_back(co_await rpc::open_connection(l, addr.url()));
    TaskGroup group(l);
    int ok = 0;
    for (int i = 0; i < 300; ++i) {
      group.spawn([](rpc::Connection c, int n, int& count) -> Task<> {
        if (co_await c.remote().call<int>("add", n, 1) == n + 1) ++count;
      }(cons[i], i, ok));
    }
    co_await group.join();
    EXPECT_EQ(ok, 300);
  });
}

TEST(ServeRobustness, BadFramesCloseOnlyTheirConnection) {
  with_serve([](Loop& l, Address addr, ChildProcess&) -> Task<> {
    rpc::Connection good = co_await rpc::open_connection(l, addr.url());
    const std::vector<std::string> bad = {
        test::RawPeer::frame("[0, 0, "),                                   // undecodable
        test::RawPeer::frame("\xef\xbb\xbf[0, 0, [\"add\", [1, 2], {}]]"),  // BOM
        test::RawPeer::frame("[0, 0, \"\xff\"]"),                           // invalid UTF-8
        test::RawPeer::frame(""),                                           // empty payload
        test::RawPeer::frame("[0, 0]"),                                     // not a triple
        test::RawPeer::frame("[5, 0, null]"),                               // unknown type
        test::RawPeer::frame("[1, 7, null]"),                               // reply to an id never used
        std::string("\x7f\xff\xff\xff", 4),                                 // over the frame limit
        test::RawPeer::frame(std::string(100000, '[') + std::string(100000, ']')),  // too deep
        test::RawPeer::frame("[0, 0, [\"echo\", [" + std::string(300, '[') + std::string(300, ']') +
                             "], {}]]"),  // too deep inside the arguments: refused, never echoed
    };
    for (const auto& bytes : bad) {
      auto peer = co_await test::RawPeer::connect(l, addr);
      peer->write(bytes);
      co_await peer->wait_closed();
      EXPECT_EQ(co_await good.remote().call<int>("add", 1, 2), 3);
    }
  });
}

TEST(ServeRobustness, BadCallsGetExceptionsAndTheConnectionStaysUsable) {
  with_serve([](Loop& l, Address addr, ChildProcess&) -> Task<> {
    auto peer = co_await test::RawPeer::connect(l, addr);
    const std::vector<std::string> calls = {
        "[0, 0, \"just a string\"]",
        "[0, 1, 42]",
        "[0, 2, null]",
        "[0, 3, [\"add\", [1, 2]]]",
        "[0, 4, [7, [1, 2], {}]]",
        "[0, 5, [\"add\", 1, {}]]",
        "[0, 6, [\"add\", [1, 2], []]]",
        "[0, 7, [\"nosuch\", [], {}]]",
        "[0, 8, [\"add\", [1, 2, 3], {}]]",
        "[0, 9, [\"add\", [1], {\"c\": 2}]]",
        "[0, 10, [\"add\", [1, \"x\"], {}]]",
    };
    for (const auto& c : calls) peer->write_frame(c);
    for (std::size_t i = 0; i < calls.size(); ++i) {
      auto reply = co_await peer->read_frame();
      if (!reply) {
        ADD_FAILURE() << "connection closed after " << i << " replies";
        co_return;
      }
      EXPECT_EQ(reply->rfind("[2, " + std::to_string(i) + ", \"", 0), 0u) << *reply;
    }
    peer->write_frame("[0, 99, [\"add\", [1, 2], {}]]");
    EXPECT_EQ(*co_await peer->read_frame(), "[1, 99, 3]");
  });
}

}  // namespace
