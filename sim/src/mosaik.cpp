// The mosaik simulator API 3 over one channel: request dispatch, the
// conversions between mosaik's JSON shapes and the C++ types of mosaik.hpp,
// and quiescence-aware stepping on the simulator's ExternalClock.

#include "uvmas/sim/mosaik.hpp"

#include "uvmas/core/wait_list.hpp"
#include "uvmas/codecs/error.hpp"
#include "uvmas/core/error.hpp"
#include "uvmas/core/log.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace uvmas::sim {

namespace {

/// Python's AttributeError: what mosaik-api answers for a method it does not have.
struct AttributeError : Error {
  using Error::Error;
  const char* python_class() const noexcept override { return "AttributeError"; }
};

/// mosaik's failure content: an array of at least two strings, the error's
/// class and its message (the class again when there is no message).
Value failure_content(const std::exception_ptr& e) {
  ErrorDescription d = describe(e);
  Array content;
  content.reserve(2);
  content.emplace_back(d.type);
  content.emplace_back(d.message.empty() ? std::move(d.type) : std::move(d.message));
  return Value(std::move(content));
}

std::string repr(const Value& v) { return to_repr(v); }

const std::string& text_arg(const Value& v, const char* what) {
  if (!v.is_string()) throw TypeError(std::string(what) + " must be a string, got " + repr(v));
  return v.as_string();
}

Time time_arg(const Value& v, const char* what) {
  if (!v.is_int() || v.is_big_uint()) throw TypeError(std::string(what) + " must be an integer, got " + repr(v));
  return v.as_int();
}

const Map& map_arg(const Value& v, const char* what) {
  if (!v.is_map()) throw TypeError(std::string(what) + " must be a dict, got " + repr(v));
  return v.as_map();
}

Params to_params(const Map& kwargs, std::string_view skip) {
  Params params;
  for (const auto& [key, value] : kwargs) {
    const std::string& name = text_arg(key, "a keyword");
    if (name != skip) params.insert_or_assign(name, value);
  }
  return params;
}

Inputs to_inputs(Value& v) {
  Inputs inputs;
  for (auto& [eid, attrs] : map_arg(v, "step inputs")) {
    EntityInputs& entity = inputs[text_arg(eid, "an input's eid")];
    for (auto& [attr, sources] : map_arg(attrs, "an entity's inputs")) {
      SourceValues& values = entity[text_arg(attr, "an input attribute")];
      for (auto& [src, value] : map_arg(sources, "an attribute's inputs")) {
        values.insert_or_assign(text_arg(src, "an input's source id"), std::move(value));
      }
    }
  }
  return inputs;
}

OutputRequest to_output_request(const Value& v) {
  OutputRequest request;
  for (const auto& [eid, attrs] : map_arg(v, "get_data's outputs")) {
    if (!attrs.is_array()) throw TypeError("the attributes asked of " + repr(eid) + " must be a list");
    std::vector<std::string>& names = request[text_arg(eid, "an eid")];
    names.reserve(attrs.size());
    for (const auto& a : attrs.as_array()) names.push_back(text_arg(a, "an attribute"));
  }
  return request;
}

Value strings(const std::vector<std::string>& list) {
  Array out;
  out.reserve(list.size());
  for (const auto& s : list) out.emplace_back(s);
  return Value(std::move(out));
}

Value to_value(const Meta& meta) {
  Map models;
  for (const auto& [name, model] : meta.models) {
    Map m;
    m.emplace_back("public", model.is_public);
    m.emplace_back("params", strings(model.params));
    m.emplace_back("attrs", strings(model.attrs));
    if (model.any_inputs) m.emplace_back("any_inputs", true);
    if (!model.trigger.empty()) m.emplace_back("trigger", strings(model.trigger));
    if (!model.non_trigger.empty()) m.emplace_back("non-trigger", strings(model.non_trigger));
    if (!model.persistent.empty()) m.emplace_back("persistent", strings(model.persistent));
    if (!model.non_persistent.empty()) m.emplace_back("non-persistent", strings(model.non_persistent));
    models.emplace_back(name, Value(std::move(m)));
  }
  Map out;
  out.emplace_back("api_version", meta.api_version);
  out.emplace_back("type", to_string(meta.type));
  out.emplace_back("models", Value(std::move(models)));
  out.emplace_back("extra_methods", strings(meta.extra_methods));
  return Value(std::move(out));
}

Value to_value(const EntityDescription& e) {
  Map m;
  m.emplace_back("eid", e.eid);
  m.emplace_back("type", e.type);
  if (!e.rel.empty()) m.emplace_back("rel", strings(e.rel));
  if (!e.children.empty()) {
    Array children;
    children.reserve(e.children.size());
    for (const auto& c : e.children) children.push_back(to_value(c));
    m.emplace_back("children", Value(std::move(children)));
  }
  if (e.extra_info) m.emplace_back("extra_info", *e.extra_info);
  return Value(std::move(m));
}

Value to_value(OutputData data) {
  Map out;
  out.reserve(data.entities.size() + 1);
  for (auto& [eid, attrs] : data.entities) {
    Map m;
    m.reserve(attrs.size());
    for (auto& [attr, value] : attrs) m.emplace_back(attr, std::move(value));
    out.emplace_back(eid, Value(std::move(m)));
  }
  if (data.time) out.emplace_back("time", *data.time);
  return Value(std::move(out));
}

std::map<std::string, Value> to_string_map(const Value& v, const char* what) {
  std::map<std::string, Value> out;
  for (const auto& [k, value] : map_arg(v, what)) out.insert_or_assign(text_arg(k, "a key"), value);
  return out;
}

constexpr const char* reserved_names[] = {"init", "create", "setup_done", "step", "get_data", "finalize", "stop"};

}  // namespace

const char* to_string(SimulatorType type) noexcept {
  switch (type) {
    case SimulatorType::time_based:
      return "time-based";
    case SimulatorType::event_based:
      return "event-based";
    case SimulatorType::hybrid:
      return "hybrid";
  }
  return "time-based";
}

const SourceValues* find_input(const Inputs& inputs, const std::string& eid, const std::string& attr) noexcept {
  auto e = inputs.find(eid);
  if (e == inputs.end()) return nullptr;
  auto a = e->second.find(attr);
  if (a == e->second.end() || a->second.empty()) return nullptr;
  return &a->second;
}

// -- Mosaik (requests to mosaik) ----------------------------------------------

Task<Value> Mosaik::call(std::string function, Array args) {
  if (!channel_) throw ConnectionError("not connected to mosaik");
  Array content;
  content.reserve(3);
  content.emplace_back(std::move(function));
  content.emplace_back(std::move(args));
  content.emplace_back(Map{});
  Channel channel = channel_;
  Value reply = co_await channel.send(Value(std::move(content)));
  co_return reply;
}

Task<double> Mosaik::get_progress() {
  Array args;
  Value reply = co_await call("get_progress", std::move(args));
  co_return reply.as_double();
}

Task<EntityGraph> Mosaik::get_related_entities() {
  Array args;
  args.emplace_back(nullptr);
  Value reply = co_await call("get_related_entities", std::move(args));
  EntityGraph graph;
  graph.nodes = to_string_map(reply.at("nodes"), "the graph's nodes");
  for (const auto& edge : reply.at("edges").as_array()) {
    const Array& e = edge.as_array();
    if (e.size() < 2) throw TypeError("an edge of the entity graph has fewer than two ends");
    graph.edges.push_back({e[0].as_string(), e[1].as_string(), e.size() > 2 ? e[2] : Value()});
  }
  co_return graph;
}

Task<std::map<std::string, Value>> Mosaik::get_related_entities(std::string full_id) {
  Array args;
  args.emplace_back(std::move(full_id));
  Value reply = co_await call("get_related_entities", std::move(args));
  co_return to_string_map(reply, "get_related_entities' reply");
}

Task<std::map<std::string, std::map<std::string, Value>>> Mosaik::get_related_entities(
    std::vector<std::string> full_ids) {
  Array args;
  args.push_back(strings(full_ids));
  Value reply = co_await call("get_related_entities", std::move(args));
  std::map<std::string, std::map<std::string, Value>> out;
  for (const auto& [k, v] : map_arg(reply, "get_related_entities' reply")) {
    out.emplace(text_arg(k, "a full id"), to_string_map(v, "an entity's neighbours"));
  }
  co_return out;
}

Task<std::map<std::string, EntityData>> Mosaik::get_data(OutputRequest request) {
  Map wanted;
  for (const auto& [full_id, attrs] : request) wanted.emplace_back(full_id, strings(attrs));
  Array args;
  args.emplace_back(std::move(wanted));
  Value reply = co_await call("get_data", std::move(args));
  std::map<std::string, EntityData> out;
  for (const auto& [k, v] : map_arg(reply, "get_data's reply")) {
    out.emplace(text_arg(k, "a full id"), to_string_map(v, "an entity's data"));
  }
  co_return out;
}

Task<> Mosaik::set_data(std::map<std::string, std::map<std::string, EntityData>> data) {
  Map outer;
  for (auto& [src, dests] : data) {
    Map per_dest;
    for (auto& [dest, attrs] : dests) {
      Map values;
      for (auto& [attr, value] : attrs) values.emplace_back(attr, std::move(value));
      per_dest.emplace_back(dest, Value(std::move(values)));
    }
    outer.emplace_back(src, Value(std::move(per_dest)));
  }
  Array args;
  args.emplace_back(std::move(outer));
  (void)co_await call("set_data", std::move(args));
}

Task<> Mosaik::set_event(Time time) {
  Array args;
  args.emplace_back(time);
  (void)co_await call("set_event", std::move(args));
}

// -- Simulator ------------------------------------------------------------------

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

// -- Session (one mosaik connection) ----------------------------------------------

class Session final : public RequestHandler {
 public:
  Session(Channel channel, Simulator& sim)
      : channel_(std::move(channel)), sim_(sim), ended_(sim.loop()), requests_(sim.loop(), "mosaik request") {}
  // Also runs when serving is cancelled mid-way (its loop goes away): leave
  // nothing behind that points here.
  ~Session() {
    *alive_ = false;
    channel_.set_request_handler(nullptr);
    sim_.mosaik_.channel_ = Channel();
    requests_.cancel();
  }

  void on_request(Request request) override { requests_.spawn(handle(this, std::move(request))); }

  static Task<> serve(Channel channel, Simulator* sim);

 private:
  static Task<> handle(Session* self, Request request);
  static Task<Value> step(Session* self, Array args);
  Value call(const std::string& function, Array& args, const Map& kwargs);
  Value init(Array& args, const Map& kwargs);
  Value create(Array& args, const Map& kwargs);
  Value get_data(Array& args);

  Channel channel_;
  Simulator& sim_;
  Event ended_;
  // The channel's close callback cannot be removed; it checks this first.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::optional<Time> last_step_;
  bool stepping_ = false;
  // Nothing but init (and stop) is served before an init succeeded: the
  // simulator's hooks may rely on what init set up.
  bool initialized_ = false;
  TaskGroup requests_;
};

Task<> Session::serve(Channel channel, Simulator* sim) {
  Session session(channel, *sim);
  // mosaik's requests drive the steps; they are not the agents' traffic a step waits for.
  channel.set_control();
  sim->mosaik_.channel_ = channel;
  channel.set_request_handler(&session);
  channel.on_close([s = &session, alive = session.alive_](std::string_view) {
    if (*alive) s->ended_.set();
  });
  co_await session.ended_.wait();
  channel.set_request_handler(nullptr);
  try {
    sim->stop();
  } catch (const std::exception& e) {
    log(LogLevel::error, std::string("mosaik simulator: stop() failed: ") + e.what());
  }
  session.requests_.cancel();
  sim->tasks_.cancel();
  try {
    co_await sim->shutdown();
  } catch (const std::exception& e) {
    log(LogLevel::error, std::string("mosaik simulator: shutdown() failed: ") + e.what());
  }
  sim->mosaik_.channel_ = Channel();
  co_await channel.close();
}

Task<> Session::handle(Session* self, Request request) {
  std::exception_ptr error;
  Value result;
  bool answer = true;
  try {
    Value& content = request.content();
    if (!content.is_array() || content.size() != 3 || !content[0].is_string() || !content[1].is_array() ||
        !content[2].is_map()) {
      throw TypeError("a request must be [function, [args...], {kwargs...}], got " + repr(content));
    }
    const std::string function = content[0].as_string();
    Array& args = content[1].as_array();
    if (!self->initialized_ && function != "init" && function != "stop") {
      throw ValueError("\"" + function + "\" before a successful init: call init first");
    }
    if (function == "step") {
      result = co_await step(self, std::move(args));
    } else if (function == "stop") {
      // mosaik needs no reply (it waits 0.1 s at most, then closes).
      answer = false;
      self->ended_.set();
    } else {
      result = self->call(function, args, content[2].as_map());
    }
  } catch (...) {
    error = std::current_exception();
  }
  if (!answer) co_return;
  if (error) {
    co_await request.fail_value(failure_content(error));
  } else {
    co_await request.reply(std::move(result));
  }
}

Value Session::call(const std::string& function, Array& args, const Map& kwargs) {
  if (function == "init") return init(args, kwargs);
  if (function == "create") return create(args, kwargs);
  if (function == "setup_done") {
    sim_.setup_done();
    return Value();
  }
  if (function == "get_data") return get_data(args);
  auto method = sim_.extra_methods_.find(function);
  if (method == sim_.extra_methods_.end()) {
    throw AttributeError("simulator has no method \"" + function + "\"");
  }
  return method->second(args, to_params(kwargs, ""));
}

Value Session::init(Array& args, const Map& kwargs) {
  if (initialized_) throw ValueError("init() was already called (sid " + repr(Value(sim_.sid_)) + ")");
  if (args.size() != 1) throw TypeError("init() takes one positional argument (the sid)");
  const std::string& sid = text_arg(args[0], "the sid");
  double resolution = 1.0;
  for (const auto& [key, value] : kwargs) {
    if (key.is_string() && key.as_string() == "time_resolution") {
      if (!value.is_number()) throw TypeError("time_resolution must be a number, got " + repr(value));
      resolution = value.as_double();
    }
  }
  if (!(resolution > 0) || !std::isfinite(resolution)) {
    throw ValueError("time_resolution must be a positive number, got " + std::to_string(resolution));
  }
  Params params = to_params(kwargs, "time_resolution");
  sim_.sid_ = sid;
  sim_.time_resolution_ = resolution;
  Meta meta;
  try {
    meta = sim_.init(sid, resolution, params);
  } catch (...) {
    sim_.sid_.clear();
    sim_.time_resolution_ = 1.0;
    throw;
  }
  sim_.type_ = meta.type;
  for (const auto& [name, method] : sim_.extra_methods_) {
    if (std::find(meta.extra_methods.begin(), meta.extra_methods.end(), name) == meta.extra_methods.end()) {
      meta.extra_methods.push_back(name);
    }
  }
  check_meta(meta);
  initialized_ = true;
  return to_value(meta);
}

Value Session::create(Array& args, const Map& kwargs) {
  if (args.size() != 2) throw TypeError("create() takes two positional arguments (num, model)");
  const Time num = time_arg(args[0], "num");
  if (num < 0) throw ValueError("num must not be negative, got " + std::to_string(num));
  const std::string& model = text_arg(args[1], "the model");
  std::vector<EntityDescription> entities = sim_.create(num, model, to_params(kwargs, ""));
  if (static_cast<Time>(entities.size()) != num) {
    throw ValueError("create() of " + model + " made " + std::to_string(entities.size()) + " entities, not " +
                     std::to_string(num));
  }
  Array out;
  out.reserve(entities.size());
  for (const auto& e : entities) out.push_back(to_value(e));
  return Value(std::move(out));
}

Value Session::get_data(Array& args) {
  if (args.size() != 1) throw TypeError("get_data() takes one positional argument (the outputs)");
  return to_value(sim_.get_data(to_output_request(args[0])));
}

Task<Value> Session::step(Session* self, Array args) {
  Simulator& sim = self->sim_;
  if (args.size() < 2 || args.size() > 3) throw TypeError("step() takes time, inputs and max_advance");
  const Time time = time_arg(args[0], "the step time");
  Inputs inputs = to_inputs(args[1]);
  // API 2 steps carry no max_advance: nothing is promised beyond this step.
  const Time max_advance = args.size() == 3 ? time_arg(args[2], "max_advance") : time;
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

Task<> serve(Channel channel, Simulator& simulator) { return Session::serve(std::move(channel), &simulator); }

}  // namespace uvmas::sim
