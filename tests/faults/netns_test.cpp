// Multi-host faults for real: `uvmas serve` in one network namespace, the
// client in another, joined by a veth pair. The link is cut while calls are
// in flight and restored: every call succeeds or fails clearly within its
// deadline, none hangs, and new calls succeed afterwards. The test creates
// and removes its namespaces (and uses addresses only inside them); it needs
// root and skips where namespaces cannot be made.

#include "support/test_support.hpp"

#include <uvmas/clocks/wall_clock.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/core/task_group.hpp>
#include <uvmas/framework/child_process.hpp>
#include <uvmas/framework/rpc.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

namespace {

using namespace uvmas;

int sh(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()); }

// Two namespaces, "<stem>a" (the client) and "<stem>b" (the server), with
// 10.231.0.1 and 10.231.0.2 on the two ends of a veth pair. Removed on destruction.
class NamespacePair {
 public:
  NamespacePair() : stem_("uvft" + std::to_string(::getpid())) {
    if (::geteuid() != 0) {
      why_not_ = "needs root to create network namespaces";
      return;
    }
    if (sh("ip netns add " + a()) != 0 || sh("ip netns add " + b()) != 0) {
      why_not_ = "cannot create network namespaces here (ip netns add failed)";
      return;
    }
    const bool ok = sh("ip link add " + a() + " netns " + a() + " type veth peer name " + b() + " netns " + b()) == 0 &&
                    sh("ip -n " + a() + " addr add 10.231.0.1/24 dev " + a()) == 0 &&
                    sh("ip -n " + b() + " addr add 10.231.0.2/24 dev " + b()) == 0 &&
                    sh("ip -n " + a() + " link set lo up") == 0 && sh("ip -n " + b() + " link set lo up") == 0 &&
                    sh("ip -n " + a() + " link set " + a() + " up") == 0 &&
                    sh("ip -n " + b() + " link set " + b() + " up") == 0;
    if (!ok) why_not_ = "cannot set up a veth pair between the namespaces";
  }
  ~NamespacePair() {
    sh("ip netns del " + a());
    sh("ip netns del " + b());
  }
  NamespacePair(const NamespacePair&) = delete;
  NamespacePair& operator=(const NamespacePair&) = delete;

  const std::string& why_not() const noexcept { return why_not_; }
  std::string a() const { return stem_ + "a"; }
  std::string b() const { return stem_ + "b"; }
  /// Cuts or restores the link (both ends).
  void link(bool up) {
    sh("ip -n " + a() + " link set " + a() + (up ? " up" : " down"));
    sh("ip -n " + b() + " link set " + b() + (up ? " up" : " down"));
  }

 private:
  std::string stem_;
  std::string why_not_;
};

struct Results {
  int ok = 0;
  int timed_out = 0;
  int lost = 0;
  int other = 0;
  std::string other_error;
};

Task<> one_call(rpc::Connection con, int i, Results* r) {
  try {
    if (co_await con.remote().call<int>("add", i, 1) == i + 1) ++r->ok;
  } catch (const TimeoutError&) {
    ++r->timed_out;
  } catch (const ConnectionError&) {
    ++r->lost;
  } catch (const std::exception& e) {
    ++r->other;
    r->other_error = e.what();
  }
}

Task<> scenario(Loop* loop, NamespacePair* ns, Results* during, int* after) {
  WallClock clock(*loop);
  auto server = ChildProcess::start(
      *loop, {"ip", "netns", "exec", ns->b(), test::bin_dir() + "/uvmas", "serve", "tcp://10.231.0.2:0"});
  std::string ready = co_await server->read_line();
  const std::string url = ready.substr(6);
  ChannelOptions options;
  options.call_timeout = 1.0;
  rpc::Connection con = co_await rpc::open_connection(*loop, url, options);
  EXPECT_EQ(co_await con.remote().call<int>("add", 1, 1), 2);
  {
    TaskGroup calls(*loop, "call across the link");
    ns->link(false);
    for (int i = 0; i < 20; ++i) calls.spawn(one_call(con, i, during));
    co_await clock.sleep(2.0);  // longer than the deadline
    ns->link(true);
    co_await calls.join();  // every call has a 1 s deadline: none can hang
  }
  // New calls succeed once the link is back (TCP retransmits what was lost).
  rpc::Connection fresh = co_await rpc::open_connection(*loop, url, options);
  if (co_await con.remote().with_timeout(20).call<int>("add", 2, 3) == 5) ++*after;
  if (co_await fresh.remote().with_timeout(20).call<int>("add", 3, 4) == 7) ++*after;
  (void)co_await fresh.remote().call<std::string>("shutdown");
  EXPECT_EQ(co_await server->wait(), 0);
}

TEST(NetworkNamespaces, CutLinkCallsEndWithinTheirDeadlineAndNewCallsSucceedAfter) {
  NamespacePair ns;
  if (!ns.why_not().empty()) GTEST_SKIP() << ns.why_not();
  Results during;
  int after = 0;
  std::string failure;
  // The loop runs on a thread that joins the client namespace (setns is per thread).
  std::thread client([&] {
    const int fd = ::open(("/var/run/netns/" + ns.a()).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
      failure = "cannot enter namespace " + ns.a();
      if (fd >= 0) ::close(fd);
      return;
    }
    ::close(fd);
    try {
      Loop loop;
      loop.run(scenario(&loop, &ns, &during, &after));
      loop.run_until_idle();
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  client.join();
  ASSERT_EQ(failure, "");
  EXPECT_EQ(during.ok + during.timed_out + during.lost, 20) << during.other_error;
  EXPECT_EQ(during.other, 0) << during.other_error;
  EXPECT_EQ(after, 2);
  std::printf("calls across a cut link: %d ok, %d timed out, %d lost connection\n", during.ok, during.timed_out,
              during.lost);
}

}  // namespace
