// uvmas-bench-mosaik: one mosaik step of a simulator with 100 000 entities.
// mosaik is played in-process over a loopback TCP connection (a bare stream,
// so only the simulator's side runs uvmas's adapter); the baseline is the
// JSON work any simulator must do for the same frames (decode the step
// request, encode the get_data reply), measured in the same run.

#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/codecs/codec.hpp>
#include <uvmas/codecs/frame.hpp>
#include <uvmas/core/detail/intrusive_list.hpp>
#include <uvmas/sim/mosaik.hpp>
#include <uvmas/transports/connect.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <new>
#include <optional>
#include <string>
#include <vector>

// Every C++ allocation of the process is counted, so the figures can say
// how many a step costs (operator new must be replaced globally to see them).
namespace {
std::atomic<std::uint64_t> allocations{0};
}  // namespace

// GCC 12 sees free() meet a pointer from operator new once these are inlined, and warns.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace {

using namespace uvmas;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t entities = 100'000;
constexpr int steps = 10;

/// Time-based: value += sum(delta) for every entity.
class SumSim final : public sim::Simulator {
 public:
  using Simulator::Simulator;
  sim::Meta init(const std::string&, double, const sim::Params&) override {
    sim::Meta meta;
    meta.models["E"].attrs = {"delta", "value"};
    return meta;
  }
  std::vector<sim::EntityDescription> create(std::int64_t num, const std::string&, const sim::Params&) override {
    std::vector<sim::EntityDescription> out;
    out.reserve(static_cast<std::size_t>(num));
    for (std::int64_t i = 0; i < num; ++i) {
      ids_.push_back("E_" + std::to_string(i));
      out.push_back({ids_.back(), "E", {}, {}, {}});
    }
    values_.assign(ids_.size(), 0);
    return out;
  }
  Task<std::optional<sim::Time>> step(sim::Time time, const sim::Inputs& inputs, sim::Time) override {
    for (const sim::Input& in : inputs) {
      if (in.attr == "delta") values_[index(in.eid)] += in.value.as_int();
    }
    co_return time + 1;
  }
  sim::OutputData get_data(const sim::OutputRequest& outputs) override {
    sim::OutputData data;
    data.reserve(outputs.size());
    for (const auto& [eid, attrs] : outputs) data.set(eid, "value", values_[index(eid)]);
    return data;
  }

 private:
  std::vector<std::string> ids_;
  std::vector<std::int64_t> values_;
  // "E_<n>": the number is the entity's place.
  static std::size_t index(std::string_view eid) {
    std::size_t i = 0;
    std::from_chars(eid.data() + 2, eid.data() + eid.size(), i);
    return i;
  }
};

/// mosaik's end: raw frames, no channel (its waiting must not count as loop activity).
class Master final : public StreamHandler {
 public:
  explicit Master(StreamPtr s) : stream_(std::move(s)) { stream_->start(*this); }
  ~Master() { stream_->close(); }
  void on_read(std::string_view data) override {
    in_.append(data);
    if (waiter_.handle) stream_->loop().call_soon(waiter_);
  }
  void on_closed(std::string_view) override {
    closed_ = true;
    if (waiter_.handle) stream_->loop().call_soon(waiter_);
  }
  void send(std::string_view payload) {
    append_frame(stream_->out(), payload);
    stream_->flush();
  }
  Task<std::string> read_frame() {
    for (;;) {
      if (auto payload = take_frame(in_)) co_return std::move(*payload);
      if (closed_) co_return std::string();
      co_await Wait{this};
    }
  }

 private:
  struct Wait {
    Master* m;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept { m->waiter_.handle = h; }
    void await_resume() const noexcept { m->waiter_.handle = {}; }
  };
  StreamPtr stream_;
  std::string in_;
  bool closed_ = false;
  ResumeSoon waiter_;
};

/// A peer that answers each whole frame with the next prepared payload and
/// decodes nothing: what moving the same frames over the same loopback costs.
class Sink final : public StreamHandler {
 public:
  explicit Sink(StreamPtr s) : stream_(std::move(s)) { stream_->start(*this); }
  ~Sink() { stream_->close(); }
  void on_read(std::string_view data) override {
    in_.append(data);
    while (take_frame(in_)) {
      append_frame(stream_->out(), replies.front());
      replies.pop_front();
      stream_->flush();
    }
  }
  void on_closed(std::string_view) override {}

  std::deque<std::string> replies;

 private:
  StreamPtr stream_;
  std::string in_;
};

std::string request(std::int64_t id, const std::string& call) {
  return "[0, " + std::to_string(id) + ", " + call + "]";
}

// Seconds per step, one entry per step (the figures are medians: the machine is shared).
struct Figures {
  std::vector<double> step_s;
  std::vector<double> get_data_s;
  std::vector<double> baseline_s;
  std::vector<double> transfer_s;  // the same frames, sent and answered by a Sink
  std::vector<double> step_allocations;      // operator new calls from sending the step to its reply
  std::vector<double> get_data_allocations;  // the same for get_data
  std::vector<double> baseline_allocations;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

Task<Figures> play(Loop* loop, sim::Simulator* sim) {
  Loop* l = loop;
  auto listener = listen_stream(*loop, Address::parse("tcp://127.0.0.1:0"), [l, sim](StreamPtr s) {
    l->spawn(sim::serve(make_channel(std::move(s), ChannelOptions{}), *sim));
  });
  Master master(co_await connect_stream(*loop, listener->address()));
  std::unique_ptr<Sink> sink;
  auto sink_listener = listen_stream(*loop, Address::parse("tcp://127.0.0.1:0"),
                                     [&sink](StreamPtr s) { sink = std::make_unique<Sink>(std::move(s)); });
  Master to_sink(co_await connect_stream(*loop, sink_listener->address()));
  std::int64_t id = 0;
  master.send(request(id++, R"(["init", ["Ext"], {"time_resolution": 1.0}])"));
  (void)co_await master.read_frame();
  master.send(request(id++, "[\"create\", [" + std::to_string(entities) + ", \"E\"], {}]"));
  (void)co_await master.read_frame();
  master.send(request(id++, R"(["setup_done", [], {}])"));
  (void)co_await master.read_frame();

  std::string wanted = "{";
  for (std::int64_t i = 0; i < entities; ++i) {
    wanted += (i ? ", \"E_" : "\"E_") + std::to_string(i) + "\": [\"value\"]";
  }
  wanted += "}";
  const Codec json(Format::json);
  Figures f;
  for (int t = 0; t < steps; ++t) {
    std::string inputs = "{";
    for (std::int64_t i = 0; i < entities; ++i) {
      inputs += (i ? ", \"E_" : "\"E_") + std::to_string(i) + "\": {\"delta\": {\"Src.S_0\": " + std::to_string(t) + "}}";
    }
    inputs += "}";
    const std::string step = request(id++, "[\"step\", [" + std::to_string(t) + ", " + inputs + ", 1000], {}]");
    // Both requests are ready before the clock starts: mosaik's side of the work is not the simulator's.
    const std::string get_data = request(id++, "[\"get_data\", [" + wanted + "], {}]");
    const std::uint64_t a0 = allocations.load();
    auto t0 = Clock::now();
    master.send(step);
    std::string reply = co_await master.read_frame();
    auto t1 = Clock::now();
    const std::uint64_t a1 = allocations.load();
    master.send(get_data);
    std::string data = co_await master.read_frame();
    auto t2 = Clock::now();
    const std::uint64_t a2 = allocations.load();
    // Baseline: decode the step request and encode the same get_data reply.
    Value decoded = json.decode(step);
    Value reply_value = json.decode(data);
    auto t3 = Clock::now();
    std::string encoded = json.encode(reply_value);
    auto t4 = Clock::now();
    const std::uint64_t a4 = allocations.load();
    (void)decoded;
    (void)encoded;
    (void)reply;
    f.step_s.push_back(std::chrono::duration<double>(t1 - t0).count());
    f.get_data_s.push_back(std::chrono::duration<double>(t2 - t1).count());
    f.baseline_s.push_back(std::chrono::duration<double>((t3 - t2) + (t4 - t3)).count());
    // Transfer: the step, its reply, the get_data request and its reply, bytes only.
    while (!sink) co_await loop->yield();
    sink->replies = {reply, data};
    auto t5 = Clock::now();
    to_sink.send(step);
    (void)co_await to_sink.read_frame();
    to_sink.send(get_data);
    (void)co_await to_sink.read_frame();
    f.transfer_s.push_back(std::chrono::duration<double>(Clock::now() - t5).count());
    f.step_allocations.push_back(static_cast<double>(a1 - a0));
    f.get_data_allocations.push_back(static_cast<double>(a2 - a1));
    f.baseline_allocations.push_back(static_cast<double>(a4 - a2));
  }
  master.send(request(id++, R"(["stop", [], {}])"));
  listener->close();
  sink_listener->close();
  for (int i = 0; i < 10; ++i) co_await loop->yield();
  co_return f;
}

}  // namespace

int main() {
#ifdef __GLIBC__
  // Keep freed memory in the process: otherwise whichever side runs after a
  // large free (often the baseline) pays for page faults the other caused,
  // and the ratio measures the allocator's trimming instead of the work.
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
#endif
  Loop loop;
  Figures f;
  {
    ExternalClock clock(loop, 0);
    SumSim sim(loop, clock);
    f = loop.run(play(&loop, &sim));
  }
  loop.run_until_idle();
  std::vector<double> total;
  for (std::size_t i = 0; i < f.step_s.size(); ++i) total.push_back(f.step_s[i] + f.get_data_s[i]);
  const double step = median(f.step_s), get_data = median(f.get_data_s), both = median(total),
               base = median(f.baseline_s);
  const double per = static_cast<double>(entities);
  std::printf("mosaik step, %lld entities (one delta input each), median of %d steps, JSON over loopback TCP:\n",
              static_cast<long long>(entities), steps);
  std::printf("  step     %8.2f ms  (%6.0f ns, %4.2f allocations per entity)\n", step * 1e3, step / per * 1e9,
              median(f.step_allocations) / per);
  std::printf("  get_data %8.2f ms  (%6.0f ns, %4.2f allocations per entity)\n", get_data * 1e3,
              get_data / per * 1e9, median(f.get_data_allocations) / per);
  std::printf("  baseline %8.2f ms  (%4.2f allocations per entity; JSON decode of the step request + decode/encode\n"
              "                       of the get_data reply)\n",
              base * 1e3, median(f.baseline_allocations) / per);
  const double transfer = median(f.transfer_s);
  std::printf("  transfer %8.2f ms  (the same four frames over loopback to a peer that decodes nothing: %.0f%% of\n"
              "                       the baseline, inside step + get_data)\n",
              transfer * 1e3, transfer / base * 100);
  std::printf("  step + get_data vs its JSON baseline: ratio %.2fx  target <= 1.30x\n", both / base);
  return 0;
}
