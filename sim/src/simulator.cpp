// Simulator: its own state, the extra methods it offers and mosaik's time scale.

#include "uvmas/sim/mosaik.hpp"

#include "uvmas/core/error.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace uvmas::sim {

namespace {

constexpr const char* reserved_names[] = {"init", "create", "setup_done", "step", "get_data", "finalize", "stop"};

}  // namespace

Simulator::Simulator(Loop& loop, ExternalClock& clock) : loop_(loop), clock_(clock), tasks_(loop, "mosaik model task") {
  // A failed model task fails the step it belongs to instead of vanishing on stderr.
  tasks_.set_error_handler([this](std::exception_ptr e) {
    if (!task_error_) task_error_ = e;
  });
}

Simulator::~Simulator() = default;

void Simulator::add_extra_method(std::string name, ExtraMethod method) {
  for (const char* reserved : reserved_names) {
    if (name == reserved) throw ValueError("\"" + name + "\" is a reserved mosaik method name");
  }
  extra_methods_.insert_or_assign(std::move(name), std::move(method));
}

Task<> Simulator::shutdown() { co_return; }

Time Simulator::to_time(double seconds) const noexcept { return sim::to_time(seconds, time_resolution_); }

Time to_time(double seconds, double time_resolution) noexcept {
  const double x = seconds / time_resolution;
  // Times like 3 · 0.1 s come back as 3.0000000000000004 steps: a deadline
  // within rounding noise of a step is that step, not the next one.
  const double nearest = std::nearbyint(x);
  if (std::fabs(x - nearest) <= 1e-9 * std::max(1.0, std::fabs(x))) return static_cast<Time>(nearest);
  return static_cast<Time>(std::ceil(x));
}

}  // namespace uvmas::sim
