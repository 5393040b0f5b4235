#pragma once
/// \file
/// A mosaik simulator (mosaik simulator API 3.x) on a uvmas loop.
///
/// Subclass `uvmas::sim::Simulator`, fill in its hooks with C++ types, and
/// call `run_simulator(argc, argv, factory)` from `main`: the program then
/// understands both of mosaik's start modes (`cmd`: `PROG HOST:PORT`;
/// `connect`: `PROG --listen HOST:PORT`). Nothing about frames or JSON shows
/// in user code; mosaik's attribute values are `uvmas::Value`s.
///
/// Stepping is quiescence-aware: the simulator's `ExternalClock` follows
/// mosaik's time, and a step ends when nothing on the loop can run any more
/// (no runnable task, no message in flight, no request outstanding). The next
/// step mosaik is asked for is the earliest pending clock timer, so model
/// code (and later, agents of a Container on this clock) just schedules
/// timers and sends messages, and never computes step times by hand.

#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/codecs/value.hpp>
#include <uvmas/core/loop.hpp>
#include <uvmas/core/task.hpp>
#include <uvmas/core/task_group.hpp>
#include <uvmas/framework/channel.hpp>
#include <uvmas/sim/step_data.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace uvmas::sim {

class Session;

/// How mosaik schedules a simulator (the meta's `type`).
enum class SimulatorType { time_based, event_based, hybrid };

/// The wire spelling: "time-based", "event-based", "hybrid".
const char* to_string(SimulatorType type) noexcept;

/// One model of the meta. Optional lists left empty are not sent, so mosaik
/// infers them from the simulator type (time-based: inputs non-trigger and
/// outputs persistent; event-based: inputs trigger, outputs non-persistent).
struct ModelMeta {
  /// May the scenario create entities of this model directly?
  bool is_public = true;
  /// Keyword parameters `create` accepts.
  std::vector<std::string> params;
  /// Every input and output attribute.
  std::vector<std::string> attrs;
  /// Accept inputs to any attribute name (e.g. a recorder).
  bool any_inputs = false;
  /// Inputs that cause a step (hybrid: the others do not).
  std::vector<std::string> trigger;
  /// Inputs that do not cause a step.
  std::vector<std::string> non_trigger;
  /// Outputs valid until replaced.
  std::vector<std::string> persistent;
  /// Outputs valid at one instant only (events).
  std::vector<std::string> non_persistent;
};

/// What `init` returns to mosaik.
struct Meta {
  /// "major.minor"; mosaik 3 wants major 3.
  std::string api_version = "3.0";
  SimulatorType type = SimulatorType::time_based;
  /// Models by name.
  std::map<std::string, ModelMeta> models;
  /// Names of extra methods; methods registered with `add_extra_method` are added automatically.
  std::vector<std::string> extra_methods;
};

/// Throws ValueError("invalid meta: ...") for a meta that mosaik 3 would
/// refuse or misread: an api_version other than "3.<minor>[.<patch>]", a
/// reserved (`init`, `create`, `setup_done`, `step`, `get_data`, `finalize`,
/// `stop`) or doubled model / extra-method name, an attribute both trigger
/// and non-trigger (or persistent and non-persistent), such a list naming
/// something not in `attrs`, or a list the simulator type forbids
/// (time-based: trigger, non-persistent; event-based: non-trigger,
/// persistent). `init` runs it on every meta before sending it.
void check_meta(const Meta& meta);

/// Keyword parameters of `init` (without `time_resolution`) or `create`.
using Params = std::map<std::string, Value>;

/// One entity `create` made (mosaik builds its entity graph from these).
struct EntityDescription {
  /// Unique per simulator across all create calls, e.g. "Counter_0".
  std::string eid;
  /// The model name (root entries: the requested model).
  std::string type;
  /// Eids of this simulator related to it.
  std::vector<std::string> rel;
  /// Nested entities of any model of the meta.
  std::vector<EntityDescription> children;
  /// Passed to the scenario's Entity object (mosaik 3.3+).
  std::optional<Value> extra_info;
};

/// Attribute values of one entity, by attribute (Mosaik::get_data's reply, Mosaik::set_data).
using EntityData = std::map<std::string, Value>;
/// Attributes wanted of other simulators' entities, by full id (Mosaik::get_data).
using DataRequest = std::map<std::string, std::vector<std::string>>;

/// mosaik's entity graph (`get_related_entities()` without an argument).
struct EntityGraph {
  /// Node attributes (mosaik 3.3: {"sid", "type"}) by full id.
  std::map<std::string, Value> nodes;
  /// Edges as (full id, full id, attributes).
  struct Edge {
    std::string from;
    std::string to;
    Value attrs;
  };
  std::vector<Edge> edges;
};

/// The first mosaik time at or after clock time `seconds` at `time_resolution`
/// seconds per step, tolerant of rounding (0.30000000000000004 s at 0.1 s per
/// step is step 3). Simulator::to_time with the resolution given.
Time to_time(double seconds, double time_resolution) noexcept;

/// Requests from the simulator to mosaik (the Python API's `self.mosaik`).
/// Call them while handling a step; each one is a request on the mosaik
/// connection, answered before mosaik continues. A failure reply from mosaik
/// throws RemoteException; a lost connection throws ConnectionError.
class Mosaik {
 public:
  /// Percent (0..100) of the whole simulation done.
  Task<double> get_progress();
  /// The whole entity graph.
  Task<EntityGraph> get_related_entities();
  /// The neighbours of `full_id` ("sid.eid"): node attributes by full id.
  Task<std::map<std::string, Value>> get_related_entities(std::string full_id);
  /// The neighbours of each of `full_ids`.
  Task<std::map<std::string, std::map<std::string, Value>>> get_related_entities(std::vector<std::string> full_ids);
  /// Values of other simulators' entities (needs an `async_requests` connection):
  /// `{full_id: [attr, ...]}` → `{full_id: {attr: value}}`.
  Task<std::map<std::string, EntityData>> get_data(DataRequest request);
  /// Sends values to other simulators' entities at their next step (needs an
  /// `async_requests` connection): `{own_full_id: {dest_full_id: {attr: value}}}`.
  Task<> set_data(std::map<std::string, std::map<std::string, EntityData>> data);
  /// Asks for a self-step at `time` (real-time runs only).
  Task<> set_event(Time time);
  /// Any request by name (for mosaik additions this class does not know).
  Task<Value> call(std::string function, Array args);

  /// True while a mosaik connection is being served.
  bool connected() const noexcept { return static_cast<bool>(channel_); }

 private:
  friend class Session;
  Channel channel_;
};

/// An extra method: positional and keyword arguments in, any value out.
using ExtraMethod = std::function<Value(const Array& args, const Params& kwargs)>;

/// Base of a mosaik simulator. Override the hooks; throw to make mosaik see a
/// failure (`[2, id, ["TypeError", "message"]]`, the class named after the
/// C++ exception by uvmas::describe(): throw uvmas::TypeError,
/// ValueError, KeyError, ...). Model code may use `loop()` and `clock()`
/// freely: spawn tasks on `tasks()`, talk over channels, set clock timers.
class Simulator {
 public:
  /// A simulator whose model runs on `loop` with time `clock` (both must
  /// outlive it). The clock should start at or below 0.
  Simulator(Loop& loop, ExternalClock& clock);
  virtual ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  /// mosaik's `init`: `params` are the scenario's keywords for `world.start`.
  virtual Meta init(const std::string& sid, double time_resolution, const Params& params) = 0;
  /// mosaik's `create`: exactly `num` entities of `model`. A call that throws
  /// must not consume eids (mosaik's scenario goes on after the failure).
  virtual std::vector<EntityDescription> create(std::int64_t num, const std::string& model,
                                                const Params& params) = 0;
  /// mosaik's `setup_done`: all entities and connections exist.
  virtual void setup_done() {}
  /// mosaik's `step` at `time` (the clock already shows `time`, and timers due
  /// up to it have run). Return a next step time you want (> time) or
  /// nothing; the reply is the earliest of it and of the pending clock timers
  /// (once every task has settled). Time-based simulators must end up with
  /// one of the two. `inputs` (flat rows over the decoded request) stays
  /// valid until the returned task completes.
  virtual Task<std::optional<Time>> step(Time time, const Inputs& inputs, Time max_advance) = 0;
  /// mosaik's `get_data`: the requested attributes (time-based: all of them;
  /// event-based: only what was produced), set on the returned OutputData.
  virtual OutputData get_data(const OutputRequest& outputs) = 0;
  /// mosaik's `stop`, or the connection ended: clean up (also called after EOF).
  virtual void stop() {}
  /// After `stop()`, once no request or model task runs any more: clean-up
  /// that takes time (stopping child processes, closing connections).
  /// Serving waits for it before closing the mosaik connection; a failure is
  /// logged. Default: nothing.
  virtual Task<> shutdown();

  /// Registers an extra method the scenario can call (listed in the meta).
  void add_extra_method(std::string name, ExtraMethod method);

  Loop& loop() const noexcept { return loop_; }
  ExternalClock& clock() const noexcept { return clock_; }
  /// Requests to mosaik (valid while serving a connection).
  Mosaik& mosaik() noexcept { return mosaik_; }
  /// Tasks of the model: a step waits for them to settle, and one that fails
  /// during a step makes that step fail. Cancelled when serving ends.
  TaskGroup& tasks() noexcept { return tasks_; }
  /// The sid mosaik gave in init ("" before).
  const std::string& sid() const noexcept { return sid_; }
  /// Seconds per mosaik step (1 before init).
  double time_resolution() const noexcept { return time_resolution_; }
  /// The simulator type declared in init.
  SimulatorType type() const noexcept { return type_; }
  /// `sid.eid`.
  std::string full_id(const std::string& eid) const { return sid_ + "." + eid; }
  /// Clock seconds of mosaik time `t`.
  double to_seconds(Time t) const noexcept { return static_cast<double>(t) * time_resolution_; }
  /// The first mosaik time at or after clock time `seconds` (tolerant of
  /// rounding: 0.30000000000000004 s at 0.1 s per step is step 3).
  Time to_time(double seconds) const noexcept;

 private:
  friend class Session;
  Loop& loop_;
  ExternalClock& clock_;
  Mosaik mosaik_;
  TaskGroup tasks_;
  std::map<std::string, ExtraMethod> extra_methods_;
  std::exception_ptr task_error_;
  std::string sid_;
  double time_resolution_ = 1.0;
  SimulatorType type_ = SimulatorType::time_based;
};

/// Serves mosaik on `channel` with `simulator` until mosaik sends `stop` or
/// the connection ends; then calls `simulator.stop()`, cancels its tasks and
/// closes the channel. Requests are answered as mosaik expects: failures as
/// `["ErrorType", "message"]`, no reply to `stop`.
Task<> serve(Channel channel, Simulator& simulator);

/// How the program reaches mosaik.
struct Endpoint {
  /// "HOST:PORT".
  std::string host_port;
  /// true: listen there and accept one connection (mosaik's `connect`
  /// starter); false: connect there (mosaik's `cmd` starter, `%(addr)s`).
  bool listen = false;
  /// Listening: real seconds to wait for mosaik's connection before giving
  /// up (exit 1), as mosaik-api-v3's `--timeout` (default 60).
  double accept_timeout = 60.0;
};

/// Builds the simulator once the loop and clock exist.
using SimulatorFactory = std::function<std::unique_ptr<Simulator>(Loop& loop, ExternalClock& clock)>;

/// Parses `PROG HOST:PORT` or `PROG --listen HOST:PORT [--timeout S]` (also
/// `--listen=`, `--timeout=`, and `-r`/`--remote`, `-t` as in mosaik-api).
/// Returns nothing and sets `error`
/// (usage text for -h) when the arguments are wrong.
std::optional<Endpoint> parse_endpoint(int argc, char** argv, std::string& error);

/// Runs a simulator against one mosaik connection made as `endpoint` says, on
/// a fresh loop and ExternalClock (starting at 0). Returns 0 after `stop` or
/// EOF; 1 with a message on stderr when mosaik cannot be reached (or, when
/// listening, does not connect within `accept_timeout`).
int run_simulator(const Endpoint& endpoint, const SimulatorFactory& factory);
/// `main` in one call: parses the command line (see parse_endpoint), then runs.
/// Returns 2 with usage on stderr for a bad command line (0 for -h).
int run_simulator(int argc, char** argv, const SimulatorFactory& factory);

}  // namespace uvmas::sim
