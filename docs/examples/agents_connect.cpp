// Connecting to a container that is not up yet (docs/agents.md):
// connect(url, timeout) tries again on the container's clock, here its own
// ExternalClock started where aiomas's ExternalClock(utc_start, init_time)
// starts. Also: a value the codec cannot carry fails the same way whether
// the agents share a container or not. Deterministic: LocalQueue addresses
// and a clock that only moves when the program sets it.

#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/codecs/datetime.hpp>
#include <uvmas/codecs/error.hpp>
#include <uvmas/core/error.hpp>
#include <uvmas/framework/container.hpp>

#include <iostream>
#include <memory>
#include <string>

namespace {

class Echo : public uvmas::Agent {
 public:
  static void expose_methods(uvmas::rpc::Methods<Echo>& m) { m.expose("echo", &Echo::echo); }
  explicit Echo(uvmas::Container& c) : Agent(c) {}
  uvmas::Value echo(uvmas::Value v) { return v; }
};

// [snippet:connect]
uvmas::Task<> ask(uvmas::Container& c, std::string url) {
  try {
    // Refused? Try again every 0.1 s of c's clock, for at most 5 s of it.
    uvmas::AgentProxy peer = co_await c.connect(url, 5);
    std::cout << "t=" << c.clock().time() << " connected to " << peer << "\n";
    std::cout << "echo: " << co_await peer.call<int>("echo", 42) << "\n";
  } catch (const uvmas::ConnectionError& e) {
    std::cout << "gave up: " << e.what() << "\n";
  }
}
// [end:connect]

// Sets the clock and lets everything that became due run to the end.
uvmas::Task<> step(uvmas::Loop& loop, uvmas::ExternalClock& clock, double t) {
  clock.set_time(t);
  co_await loop.quiescent();
}

// [snippet:codec_limits]
uvmas::Task<> send_bytes(uvmas::Container& c, std::string url) {
  uvmas::AgentProxy peer = co_await c.connect(url);
  const uvmas::Value hi = uvmas::Bytes{'h', 'i'};  // JSON has no bytes
  try {
    co_await peer.call("echo", hi);
  } catch (const uvmas::SerializationError& e) {
    std::cout << "to " << peer << ": " << e.what() << "\n";
  }
}
// [end:codec_limits]

}  // namespace

int main() {
  uvmas::Loop loop;
  // [snippet:clock]
  uvmas::ContainerOptions options;
  options.clock = uvmas::OwnClock::external;
  options.init_time = -1;  // the clock starts at -1 s ...
  options.utc_start = uvmas::parse_iso("2016-01-01T00:00:00+01:00");  // ... counted from this date
  auto home = uvmas::Container::create(loop, "local://home", options);
  uvmas::ExternalClock& clock = *home->external_clock();
  std::cout << "t=" << clock.time() << " utcnow=" << uvmas::to_iso(clock.utcnow()) << "\n";
  // [end:clock]

  home->tasks().spawn(ask(*home, "local://late/0"));
  loop.run(step(loop, clock, -0.85));  // the second attempt (due at -0.9): still refused
  auto late = uvmas::Container::create(loop, "local://late");
  Echo& echo = late->spawn<Echo>();
  loop.run(step(loop, clock, -0.7));  // the third (due at -0.75): accepted
  loop.run(home->tasks().join());

  Echo& local_echo = home->spawn<Echo>();
  loop.run(send_bytes(*home, local_echo.addr()));  // in-process
  loop.run(send_bytes(*home, echo.addr()));        // over LocalQueue, encoded
  loop.run(home->shutdown());
  loop.run(late->shutdown());
  return 0;
}
