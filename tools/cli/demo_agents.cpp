#include "demo_agents.hpp"

#include <uvmas/core/error.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace uvmas::cli {

namespace {
constexpr double step_seconds = 900;  // 15 minutes

// A deterministic pseudo-random number in [0, 1) (reproducible runs).
double noise(int seed, int step) {
  std::uint64_t x = static_cast<std::uint64_t>(seed) * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(step) * 0xBF58476D1CE4E5B9ull;
  x ^= x >> 31;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 29;
  return static_cast<double>(x >> 11) / 9007199254740992.0;
}

double bump(double hour, double center, double width) { return std::exp(-0.5 * std::pow((hour - center) / width, 2)); }
}  // namespace

Household::Household(Container& c, int seed, std::string aggregator_url)
    : Agent(c), seed_(seed), aggregator_url_(std::move(aggregator_url)) {
  expose("curtail", &Household::curtail);
  expose("start", &Household::start);
}

double Household::demand(int step) const {
  double hour = step * step_seconds / 3600.0;
  double size = 0.7 + 0.6 * noise(seed_, -1);
  double profile = 0.3 + 1.4 * bump(hour, 7.5, 1.0) + 2.6 * bump(hour, 19.0, 1.5) + 0.5 * bump(hour, 13.0, 2.0);
  return size * profile * (0.9 + 0.2 * noise(seed_, step));
}

Task<> Household::start() {
  aggregator_ = co_await container().connect(aggregator_url_);
  schedule(1);
}

// Reports at the end of every 15-minute interval: a periodic timer on the container's clock.
void Household::schedule(int step) {
  container().clock().call_at(step * step_seconds, [this, step] {
    container().tasks().spawn(report(step));
    schedule(step + 1);
  });
}

Task<> Household::report(int step) {
  double want = demand(step);
  // Postponed load comes back on top of this interval's demand.
  double total = want + backlog_kw_;
  backlog_kw_ = 0;
  flexible_now_ = 0.45 * total;
  (void)co_await aggregator_.call<Value>("report", *this, step, total, flexible_now_);
}

double Household::curtail(double kw) {
  double shed = std::min(kw, flexible_now_);
  flexible_now_ -= shed;
  backlog_kw_ += shed * 0.5;  // half of it is needed later; the rest is comfort given up
  return shed;
}

Aggregator::Aggregator(Container& c, int households, double capacity_kw)
    : Agent(c), households_(households), capacity_kw_(capacity_kw) {
  expose("report", &Aggregator::report);
}

Task<> Aggregator::report(rpc::Proxy household, int step, double demand_kw, double flexible_kw) {
  ++messages_;
  if (step != step_) {
    step_ = step;
    reports_.clear();
  }
  reports_.push_back({std::move(household), demand_kw, flexible_kw});
  if (static_cast<int>(reports_.size()) == households_) container().tasks().spawn(balance(step));
  co_return;
}

Task<> Aggregator::balance(int step) {
  StepSummary s;
  s.step = step;
  double flexible = 0;
  for (const auto& r : reports_) {
    s.demand_kw += r.demand;
    flexible += r.flexible;
  }
  double excess = s.demand_kw - capacity_kw_;
  if (excess > 0 && flexible > 0) {
    double share = std::min(1.0, excess / flexible);
    // Ask everyone at once: the calls travel back over each household's connection.
    auto reports = reports_;
    for (const auto& r : reports) {
      ++messages_;
      s.curtailed_kw += co_await r.household.call<double>("curtail", r.flexible * share);
    }
  }
  s.delivered_kw = s.demand_kw - s.curtailed_kw;
  done_.push_back(s);
  waiters_.wake_all(container().loop());
}

Task<StepSummary> Aggregator::step_done(int step) {
  for (;;) {
    for (const auto& s : done_) {
      if (s.step == step) co_return s;
    }
    co_await waiters_.wait();
  }
}

void add_demo_agent_types(subproc::AgentTypes& types) {
  types.add("Household", [](Container& c, const Array& args, const Map& kwargs) -> Agent& {
    return c.spawn<Household>(subproc::argument<int>(args, kwargs, 0, "seed"),
                              subproc::argument<std::string>(args, kwargs, 1, "aggregator"));
  });
}

}  // namespace uvmas::cli
