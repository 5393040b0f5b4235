#pragma once
// The agents of `uvmas demo`: households in a child process report their
// load every 15 simulated minutes to an aggregator in the parent process,
// which asks them to shift flexible load whenever the feeder's capacity is
// exceeded. Both containers run on ExternalClocks stepped by the demo.

#include <uvmas/framework/subproc.hpp>

#include <vector>

namespace uvmas::cli {

/// One simulated 15-minute interval as the aggregator saw it.
struct StepSummary {
  int step = 0;
  double demand_kw = 0;     ///< what households wanted
  double delivered_kw = 0;  ///< after curtailment
  double curtailed_kw = 0;
};

/// A household: a daily load profile with a flexible share it can postpone.
class Household : public Agent {
 public:
  Household(Container& c, int seed, std::string aggregator_url);
  /// Starts reporting every 15 minutes of clock time.
  Task<> start();
  /// Reduces this interval's flexible load by up to `kw`; returns what it shed.
  double curtail(double kw);

 private:
  Task<> report(int step);
  void schedule(int step);
  double demand(int step) const;

  int seed_;
  std::string aggregator_url_;
  AgentProxy aggregator_;
  double flexible_now_ = 0;
  double backlog_kw_ = 0;  // postponed load, served later
};

/// The aggregator: balances the households' load against a capacity.
class Aggregator : public Agent {
 public:
  Aggregator(Container& c, int households, double capacity_kw);
  /// A household's load for `step`: `household` is its reference (a callback).
  Task<> report(rpc::Proxy household, int step, double demand_kw, double flexible_kw);
  /// Waits until every household reported `step` and curtailment is done.
  Task<StepSummary> step_done(int step);
  std::size_t messages() const noexcept { return messages_; }

 private:
  struct Report {
    rpc::Proxy household;
    double demand, flexible;
  };
  Task<> balance(int step);

  int households_;
  double capacity_kw_;
  int step_ = -1;
  std::vector<Report> reports_;
  std::vector<StepSummary> done_;
  std::size_t messages_ = 0;
  WaitList waiters_;
};

/// Registers Household (seed, aggregator_url) for Manager.spawn.
void add_demo_agent_types(subproc::AgentTypes& types);

}  // namespace uvmas::cli
