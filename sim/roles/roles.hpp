#pragma once
// The four roles of MOSAIK.md §12 (counter, relay, agent, mailbox) as
// uvmas::sim::Simulator subclasses. Their entities are small objects driven
// by ExternalClock timers and tasks on the simulator's loop.

#include <uvmas/sim/mosaik.hpp>

#include <memory>
#include <string>

namespace uvmas::sim::roles {

std::unique_ptr<Simulator> make_counter(Loop& loop, ExternalClock& clock);
std::unique_ptr<Simulator> make_relay(Loop& loop, ExternalClock& clock);
std::unique_ptr<Simulator> make_agent(Loop& loop, ExternalClock& clock);
std::unique_ptr<Simulator> make_mailbox(Loop& loop, ExternalClock& clock);

/// a + b as Python adds numbers: int + int stays int, anything with a float is a float.
Value add(const Value& a, const Value& b);
/// a · b, with the same rule.
Value multiply(const Value& a, const Value& b);
/// The sum of all values (int 0 for none).
Value sum(const SourceValues* values);
/// A keyword parameter that must be an int (bool refused), or `fallback` when absent.
std::int64_t int_param(const Params& params, const std::string& name, std::int64_t fallback);

}  // namespace uvmas::sim::roles
