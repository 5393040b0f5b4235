// Stepping: one mosaik step on the simulator's ExternalClock, ended when the
// agents are quiet, and the next step it asks for.

#include "session.hpp"

#include "wire.hpp"

#include "uvmas/core/error.hpp"
#include "uvmas/core/log.hpp"

#include <algorithm>
#include <utility>

namespace uvmas::sim {

using namespace detail;

Task<Value> Session::step(Session* self, Array& args, Inputs& inputs) {
  if (args.size() < 2 || args.size() > 3) throw TypeError("step() takes time, inputs and max_advance");
  const Time time = time_arg(args[0], "the step time");
  inputs = Inputs(std::move(args[1]));
  // API 2 steps carry no max_advance: nothing is promised beyond this step.
  const Time max_advance = args.size() == 3 ? time_arg(args[2], "max_advance") : time;
  co_return co_await step(self, time, inputs, max_advance);
}

Task<Value> Session::step(Session* self, Time time, const Inputs& inputs, Time max_advance) {
  Simulator& sim = self->sim_;
  if (self->stepping_) throw ValueError("step(" + std::to_string(time) + ") while another step runs");
  if (self->last_step_ && time <= *self->last_step_) {
    throw ValueError("step time " + std::to_string(time) + " is not after the last step time " +
                     std::to_string(*self->last_step_));
  }
  const double seconds = sim.to_seconds(time);
  if (seconds < sim.clock_.time()) {
    throw ValueError("step time " + std::to_string(time) + " lies before the clock's time");
  }
  struct Stepping {
    bool& flag;
    explicit Stepping(bool& f) : flag(f) { flag = true; }
    ~Stepping() { flag = false; }
  } stepping(self->stepping_);
  self->last_step_ = time;
  sim.task_error_ = nullptr;
  // Everything due up to `time` happens before the inputs of `time` arrive
  // (a first step at the clock's own time, 0, does not move it).
  (void)co_await sim.clock_.step_to(seconds);
  std::optional<Time> wanted = co_await sim.step(time, inputs, max_advance);
  const std::optional<double> deadline = co_await sim.clock_.step_to(seconds);
  if (sim.task_error_) std::rethrow_exception(std::exchange(sim.task_error_, nullptr));

  if (wanted && *wanted <= time) {
    throw ValueError("step(" + std::to_string(time) + ") asked for next step " + std::to_string(*wanted) +
                     ", which is not after it");
  }
  std::optional<Time> next = wanted;
  if (deadline) {
    const Time at = std::max(time + 1, sim.to_time(*deadline));
    next = next ? std::min(*next, at) : at;
  }
  if (!next && sim.type_ == SimulatorType::time_based) {
    throw ValueError("time-based simulator has no next step after " + std::to_string(time) +
                     ": return one from step() or set a clock timer");
  }
  if (log_enabled(LogLevel::debug)) {
    log(LogLevel::debug, "mosaik step " + std::to_string(time) + " done, next step " +
                             (next ? std::to_string(*next) : std::string("none")));
  }
  co_return next ? Value(*next) : Value();
}

}  // namespace uvmas::sim
