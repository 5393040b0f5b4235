// Memory per connection of `uvmas serve`, read from /proc: a client that
// pipelines big replies and never reads, many idle connections, many
// connections stalled inside a large frame. Fresh clients are served
// throughout. Bounds, not timings: the pauses only pace the scenarios.

#include "support/blocking_socket.hpp"
#include "support/raw_peer.hpp"
#include "support/serve_child.hpp"

#include <uvmas/clocks/timeout.hpp>
#include <uvmas/clocks/wall_clock.hpp>
#include <uvmas/framework/rpc.hpp>

#include <gtest/gtest.h>

#include <algorithm>

namespace {

using namespace uvmas;

constexpr std::size_t KiB = 1024;
constexpr std::size_t MiB = 1024 * KiB;

Task<> expect_fresh_client_served(Loop& loop, Clock& clock, const Address& addr, int n) {
  rpc::Connection con = co_await rpc::open_connection(loop, addr.url());
  EXPECT_EQ(co_await with_timeout(clock, 10.0, con.remote().call<int>("add", n, 1)), n + 1);
  co_await con.close();
}

TEST(MemoryBounds, PipelinedBigRepliesNeverReadStayBelow256MB) {
  test::with_serve([](Loop& l, Address addr, ChildProcess& server) -> Task<> {
    WallClock clock(l);
    std::string burst;
    for (int i = 0; i < 300; ++i) burst += test::RawPeer::frame("[0, " + std::to_string(i) + ", [\"big_list\", [100000], {}]]");
    test::BlockingSocket attacker(addr);
    EXPECT_TRUE(attacker.send_all(burst));  // about 12 KB; its replies are never read
    std::size_t peak = 0;
    for (int round = 0; round < 8; ++round) {
      co_await clock.sleep(0.25);
      peak = std::max(peak, test::resident_bytes(server.pid()));
      co_await expect_fresh_client_served(l, clock, addr, round);
    }
    EXPECT_LE(peak, 256 * MiB);
    std::printf("server RSS peak under 300 pipelined big_list(100000): %.1f MB\n", static_cast<double>(peak) / MiB);
  });
}

TEST(MemoryBounds, IdleConnectionsAfterACallCostAtMost16KBEach) {
  test::with_serve([](Loop& l, Address addr, ChildProcess& server) -> Task<> {
    WallClock clock(l);
    constexpr int n = 500;
    std::vector<rpc::Connection> warm;
    for (int i = 0; i < 10; ++i) {
      warm.push_back(co_await rpc::open_connection(l, addr.url()));
      (void)co_await warm.back().remote().call<int>("add", i, 1);
    }
    co_await clock.sleep(0.1);
    const std::size_t before = test::resident_bytes(server.pid());
    std::vector<rpc::Connection> cons;
    for (int i = 0; i < n; ++i) {
      cons.push_back(co_await rpc::open_connection(l, addr.url()));
      EXPECT_EQ(co_await cons.back().remote().call<int>("add", i, 1), i + 1);
    }
    co_await clock.sleep(0.1);
    const std::size_t after = test::resident_bytes(server.pid());
    const double per = static_cast<double>(after > before ? after - before : 0) / n;
    std::printf("server memory per idle connection after a call: %.0f bytes\n", per);
    EXPECT_LE(per, 16.0 * KiB);
    for (auto& c : cons) co_await c.close();
  });
}

TEST(MemoryBounds, ConnectionsStalledInsideALargeFrameCostAtMost32KBEach) {
  test::with_serve([](Loop& l, Address addr, ChildProcess& server) -> Task<> {
    WallClock clock(l);
    constexpr int n = 300;
    co_await expect_fresh_client_served(l, clock, addr, 0);
    co_await clock.sleep(0.1);
    const std::size_t before = test::resident_bytes(server.pid());
    // A 10 MB frame announced, 16 KiB of it sent, then silence.
    std::string partial = test::RawPeer::frame(std::string(10 * MiB, 'x')).substr(0, 4 + 16 * KiB);
    std::vector<std::unique_ptr<test::RawPeer>> peers;
    for (int i = 0; i < n; ++i) {
      peers.push_back(co_await test::RawPeer::connect(l, addr));
      peers.back()->write(partial);
    }
    std::size_t peak = 0;
    for (int round = 0; round < 4; ++round) {
      co_await clock.sleep(0.1);
      peak = std::max(peak, test::resident_bytes(server.pid()));
      co_await expect_fresh_client_served(l, clock, addr, round);
    }
    const double per = static_cast<double>(peak > before ? peak - before : 0) / n;
    std::printf("server memory per connection stalled in a large frame: %.0f bytes\n", per);
    EXPECT_LE(per, 32.0 * KiB);
  });
}

}  // namespace
