// A deterministic test of two agents (docs/testing.md): both containers sit
// on in-process LocalQueue addresses and share one ExternalClock, so the
// test decides when time moves and every run sends the same messages in the
// same order. It prints what it checked and exits 1 on a mismatch.

#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/framework/container.hpp>

#include <iostream>
#include <string>
#include <vector>

namespace {

// [snippet:agents]
// A thermometer whose reading rises by one degree every 60 s of clock time.
class Thermometer : public uvmas::Agent {
 public:
  static void expose_methods(uvmas::rpc::Methods<Thermometer>& m) { m.expose("read", &Thermometer::read); }
  explicit Thermometer(uvmas::Container& c) : Agent(c) {
    tick();
  }
  ~Thermometer() override { timer_.cancel(); }
  double read() { return degrees_; }

 private:
  void tick() {
    timer_ = container().clock().call_in(60, [this] {
      degrees_ += 1;
      tick();
    });
  }
  double degrees_ = 20;
  uvmas::TimerHandle timer_;
};

// Reads the thermometer every 30 s and keeps what it saw.
class Recorder : public uvmas::Agent {
 public:
  explicit Recorder(uvmas::Container& c) : Agent(c) {}
  std::vector<std::string> seen;

  uvmas::Task<> run(std::string thermometer_addr) {
    uvmas::AgentProxy thermometer = co_await container().connect(thermometer_addr);
    for (;;) {
      double degrees = co_await thermometer.call<double>("read");
      seen.push_back("t=" + std::to_string(static_cast<int>(container().clock().time())) + " " +
                     std::to_string(static_cast<int>(degrees)));
      co_await container().clock().sleep(30);
    }
  }
};
// [end:agents]

// [snippet:drive]
// Moves the clock step by step; after each step, waits until every message
// is answered and every task waits on the clock again.
uvmas::Task<> advance(uvmas::Loop& loop, uvmas::ExternalClock& clock, double until, double step) {
  co_await loop.quiescent();
  for (double t = clock.time() + step; t <= until; t += step) {
    clock.set_time(t);
    co_await loop.quiescent();
  }
}
// [end:drive]

}  // namespace

int main() {
  // [snippet:setup]
  uvmas::Loop loop;
  uvmas::ExternalClock clock(loop);  // time 0 until the test moves it
  uvmas::ContainerOptions options;
  options.clock = &clock;  // shared, not owned: both containers see the same time
  auto lab = uvmas::Container::create(loop, "local://lab", options);
  auto office = uvmas::Container::create(loop, "local://office", options);
  auto& thermometer = lab->spawn<Thermometer>();
  auto& recorder = office->spawn<Recorder>();
  office->tasks().spawn(recorder.run(thermometer.addr()));
  // [end:setup]

  // [snippet:check]
  loop.run(advance(loop, clock, 120, 10));
  const std::vector<std::string> expected = {"t=0 20", "t=30 20", "t=60 21", "t=90 21", "t=120 22"};
  for (const auto& line : recorder.seen) std::cout << line << "\n";
  const bool ok = recorder.seen == expected;
  std::cout << (ok ? "as expected" : "MISMATCH") << "\n";
  // [end:check]

  loop.run(office->shutdown());
  loop.run(lab->shutdown());
  return ok ? 0 : 1;
}
