// Containers in sub-processes: the Manager agent (spawn, set_time, stop), the
// recorded agent_subproc_manager exchange, a real child process driven by
// its parent, and no orphan when the parent dies.

#include "support/raw_peer.hpp"
#include "support/test_support.hpp"
#include "support/vectors.hpp"

#include <uvmas/core/error.hpp>
#include <uvmas/framework/subproc.hpp>

#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <regex>

namespace {

using namespace uvmas;

class Worker : public Agent {
 public:
  Worker(Container& c, int factor) : Agent(c), factor_(factor) { expose("work", &Worker::work); }
  int work(int x) { return x * factor_; }

 private:
  int factor_;
};

subproc::AgentTypes worker_types() {
  subproc::AgentTypes types;
  types.add("Worker", [](Container& c, const Array& args, const Map& kwargs) -> Agent& {
    return c.spawn<Worker>(subproc::argument<int>(args, kwargs, 0, "factor", 1));
  });
  return types;
}

TEST(Manager, SpawnsAgentsByTypeNameSetsTheClockAndStops) {
  Loop loop;
  auto types = worker_types();
  ContainerOptions child_options;
  child_options.clock = OwnClock::external;
  auto child = Container::create(loop, "local://child", child_options);
  auto& manager = child->spawn<subproc::Manager>(types);
  auto parent = Container::create(loop, "local://parent", ContainerOptions{});
  auto run = [](Container* p, Container* c, subproc::Manager* m) -> Task<> {
    AgentProxy mp = co_await p->connect("local://child/0");
    std::ostringstream shown;
    shown << mp;
    EXPECT_EQ(shown.str(), "ManagerProxy('local://child/0')");
    Array args;
    args.push_back(Value("__main__:Worker"));
    Map kwargs;
    kwargs.emplace_back(Value("factor"), Value(3));
    Value spawned = co_await mp.call_kw<Value>("spawn", args, kwargs);
    EXPECT_EQ(spawned.as_array().at(1).as_string(), "local://child/1");
    AgentProxy worker = co_await p->connect("local://child/1");
    EXPECT_EQ(co_await worker.call<int>("work", 5), 15);
    (void)co_await mp.call<Value>("set_time", 10);
    EXPECT_EQ(c->clock().time(), 10.0);
    bool refused = false;
    try {
      Array bad;
      bad.push_back(Value("Nope"));
      (void)co_await mp.call_kw<Value>("spawn", bad, Map{});
    } catch (const RemoteException& e) {
      refused = e.remote_type() == "LookupError";
    }
    EXPECT_TRUE(refused);
    (void)co_await mp.call<Value>("stop");
    co_await m->stopped();
    co_await p->shutdown();
    co_await c->shutdown();
  };
  loop.run(run(parent.get(), child.get(), &manager));
}

class ManagerVectors : public ::testing::TestWithParam<std::string> {};

TEST_P(ManagerVectors, AnswersTheRecordedExchange) {
  auto cases = test::load_vectors(GetParam());
  auto& frames = cases.at("agent_subproc_manager");
  Loop loop;
  auto types = worker_types();
  ContainerOptions options;
  options.codec = format_from_string(GetParam());
  options.clock = OwnClock::external;
  auto container = Container::create(loop, "tcp://127.0.0.1:0", options);
  container->spawn<subproc::Manager>(types);
  auto run = [](Loop& l, Container* c, std::vector<test::VectorFrame>& fs, Format f) -> Task<> {
    auto peer = co_await test::RawPeer::connect(l, Address::parse(c->base_url().substr(0, c->base_url().size() - 1)));
    const Codec inner(Format::msgpack);
    const Codec codec(f);
    std::string port = c->base_url().substr(c->base_url().rfind(':') + 1);
    port.pop_back();
    for (auto& fr : fs) {
      if (fr.from_client) {
        peer->write(fr.frame);
        continue;
      }
      auto got = co_await peer->read_frame();
      if (!got) {
        ADD_FAILURE() << "connection closed";
        co_return;
      }
      // The recorded address has the generator's port; ours differs.
      std::string want = test::to_hex(fr.inner);
      std::string mine = test::to_hex(f == Format::msgpack_blosc ? inner.encode(codec.decode(*got)) : *got);
      std::string recorded_port = "23";  // every recorded port is 23xxx
      if (fr.decoded.as_array()[2].is_array()) {
        Value expected = fr.decoded;
        std::string url = expected.as_array()[2].as_array()[1].as_string();
        std::string replaced = std::regex_replace(url, std::regex(":[0-9]+/"), ":" + port + "/");
        expected.as_array()[2].as_array()[1] = Value(replaced);
        want = test::to_hex(f == Format::json ? codec.encode(expected) : inner.encode(expected));
      }
      EXPECT_EQ(mine, want);
    }
  };
  loop.run(run(loop, container.get(), frames, options.codec));
  loop.run(container->shutdown());
}

INSTANTIATE_TEST_SUITE_P(Codecs, ManagerVectors, ::testing::Values("json", "msgpack", "msgpack_blosc"));

TEST(ChildContainer, RunsAWorkerInAChildProcessAndStopsIt) {
  Loop loop;
  auto parent = Container::create(loop, "tcp://127.0.0.1:0", ContainerOptions{});
  auto run = [](Container* p) -> Task<int> {
    std::vector<std::string> argv = {test::bin_dir() + "/uvmas", "subproc", "tcp://127.0.0.1:0", "--clock",
                                     "external"};
    auto child = co_await subproc::ChildContainer::start(*p, argv);
    EXPECT_EQ(child->base_url().rfind("tcp://127.0.0.1:", 0), 0u);
    Map kwargs;
    kwargs.emplace_back(Value("factor"), Value(3));
    AgentProxy worker = co_await child->spawn("Worker", Array{}, kwargs);
    EXPECT_EQ(co_await worker.call<int>("work", 5), 15);
    co_await child->set_time(10);
    int status = co_await child->stop();
    co_await p->shutdown();
    co_return status;
  };
  EXPECT_EQ(loop.run(run(parent.get())), 0);
}

// Alive = exists and is not a zombie (an orphan's zombie may wait for a reaper).
bool process_alive(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, name, state;
  if (!(stat >> pid_field >> name >> state)) return false;
  return state != "Z";
}

// Waits (without polling) until process `pid`, which need not be our child,
// has ended; false if it still runs after `timeout_ms`.
bool exits_within(int pid, int timeout_ms) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;  // already gone
  pollfd ready{fd, POLLIN, 0};
  const int n = ::poll(&ready, 1, timeout_ms);
  ::close(fd);
  return n == 1;
}

TEST(ChildContainer, ExitsWhenItsParentIsKilled) {
  Loop loop;
  // The shell is the container's parent; it prints the container's pid, then waits.
  std::string cmd = test::bin_dir() + "/uvmas subproc tcp://127.0.0.1:0 & echo $!; wait";
  auto shell = ChildProcess::start(loop, {"/bin/sh", "-c", cmd});
  auto run = [](Loop& l, ChildProcess& sh) -> Task<int> {
    // The shell's `echo $!` and the container's READY line share stdout, in either order.
    std::string first = co_await sh.read_line();
    std::string second = co_await sh.read_line();
    if (first.rfind("READY ", 0) == 0) std::swap(first, second);
    int pid = std::stoi(first);
    EXPECT_EQ(second.rfind("READY ", 0), 0u) << second;
    EXPECT_TRUE(process_alive(pid));
    sh.kill(SIGKILL);
    (void)co_await sh.wait();
    co_return pid;
  };
  int pid = loop.run(run(loop, *shell));
  // The kernel delivers SIGTERM to the orphan; give it up to 10 s to exit.
  EXPECT_TRUE(exits_within(pid, 10'000)) << "the container outlived its parent";
}

}  // namespace
