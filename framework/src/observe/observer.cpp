// Observer: metrics, trace lines and recording lines for the frames of the
// channels that name it, and for the agents and clock steps of its container.

#include "observed_channel.hpp"

#include "uvmas/core/error.hpp"

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <optional>
#include <system_error>

namespace uvmas {

namespace detail {

namespace {

File open_for_writing(const std::string& path, const char* what) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw Error(std::string("cannot create the ") + what + " file " + path + ": " + std::strerror(errno));
  return File(f);
}

// Several Observers of one process (e.g. two containers) write separate files.
std::string trace_file_name(const std::string& dir, const std::string& name) {
  static std::atomic<unsigned> serial{0};
  std::string safe;
  for (char c : name) safe += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_';
  if (safe.empty()) safe = "uvmas";
  return dir + "/" + safe + "-" + std::to_string(::getpid()) + "-" + std::to_string(serial++) + ".jsonl";
}

Value id_value(const Value& id) { return id.is_int() ? id : Value(); }

// The method path of an RPC request `[path, args, kwargs]`.
std::string_view request_path(const Value& content) {
  if (content.is_array() && !content.as_array().empty() && content.as_array()[0].is_string()) {
    return content.as_array()[0].as_string();
  }
  return {};
}

// The last line of an EXCEPTION reply (`ValueError: 42`), or its content as text.
std::string failure_line(const Value& content) {
  if (!content.is_string()) return to_repr(content);
  std::string_view text = content.as_string();
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  auto nl = text.rfind('\n');
  return std::string(nl == std::string_view::npos ? text : text.substr(nl + 1));
}

void add(Map& m, const char* key, Value v) { m.emplace_back(Value(key), std::move(v)); }

}  // namespace

double wall_now() noexcept {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

ObserverState::ObserverState(Loop& l, Clock& c, ExternalClock* s, ObserveOptions o)
    : loop(l), clock(c), stepped(s), options(std::move(o)), json(Format::json) {
  if (!options.trace_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.trace_dir, ec);
    if (ec) throw Error("cannot create the trace directory " + options.trace_dir + ": " + ec.message());
  }
  if (!options.record_file.empty()) {
    record = open_for_writing(options.record_file, "recording");
    Map header;
    add(header, "recording", Value(1));
    add(header, "program", Value(options.program));
    add(header, "clock", Value(clock.time()));
    record_line(std::move(header));
  }
  if (stepped) stepped->add_time_observer(*this);
}

ObserverState::~ObserverState() {
  if (stepped) stepped->remove_time_observer(*this);
}

void ObserverState::trace_line(Map fields) {
  if (!trace) return;
  Map line;
  line.reserve(fields.size() + 2);
  add(line, "wall", Value(wall_now()));
  add(line, "clock", Value(clock.time()));
  for (auto& f : fields) line.push_back(std::move(f));
  std::string text = json.encode(Value(std::move(line)));
  text += '\n';
  std::fwrite(text.data(), 1, text.size(), trace.get());
}

void ObserverState::record_line(Map fields) {
  if (!record) return;
  std::string text = json.encode(Value(std::move(fields)));
  text += '\n';
  std::fwrite(text.data(), 1, text.size(), record.get());
}

void ObserverState::time_moved(double time) {
  if (options.metrics) ++metrics.steps;
  if (trace) {
    Map m;
    add(m, "ev", Value("time"));
    trace_line(std::move(m));
  }
  if (record) {
    Map m;
    add(m, "time", Value(time));
    record_line(std::move(m));
  }
}

void ObserverState::step_finished(double time, double wall_seconds) {
  if (options.metrics) metrics.step_seconds.observe(wall_seconds);
  if (trace) {
    Map m;
    add(m, "ev", Value("step"));
    add(m, "to", Value(time));
    add(m, "seconds", Value(wall_seconds));
    trace_line(std::move(m));
  }
}

// -- ObservedChannel ------------------------------------------------------------

namespace {

// The ids the observer follows requests by: non-negative integers (a peer may
// send any value; others are traced but not matched to their replies).
std::optional<std::uint64_t> request_key(const Value& id) noexcept {
  if (!id.is_int() || id.is_big_uint() || id.as_int() < 0) return std::nullopt;
  return id.as_uint();
}

}  // namespace

ObservedChannel::ObservedChannel(ObserverState& s, const Stream& stream) : s_(s), serial_(s.next_conn++) {
  if (s_.options.metrics) {
    ++s_.metrics.connections;
    ++s_.metrics.connections_total;
  }
  if (s_.trace) {
    Map m = trace_event("open");
    add(m, "local", Value(stream.local_name()));
    add(m, "peer", Value(stream.peer_name()));
    s_.trace_line(std::move(m));
  }
  if (s_.record) record("open", Value(stream.peer_name()), false);
}

ObservedChannel::~ObservedChannel() { closed("connection dropped"); }

void ObservedChannel::closed(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  if (s_.options.metrics) {
    --s_.metrics.connections;
    s_.metrics.requests_in_flight -= static_cast<std::int64_t>(served_.size());
  }
  served_.clear();
  made_.clear();
  if (s_.trace) {
    Map m = trace_event("close");
    add(m, "reason", Value(std::string(reason)));
    s_.trace_line(std::move(m));
  }
  if (s_.record) record("close", Value(true), false);
}

Map ObservedChannel::trace_event(const char* ev) const {
  Map m;
  add(m, "ev", Value(ev));
  add(m, "conn", Value(serial_));
  return m;
}

void ObservedChannel::record(const char* key, Value value, bool timed) {
  Map m;
  add(m, "conn", Value(serial_));
  add(m, key, std::move(value));
  if (timed) add(m, "clock", Value(s_.clock.time()));
  s_.record_line(std::move(m));
}

void ObservedChannel::trace_and_record(bool outgoing, int type, const Value& id, const Value& content,
                                       std::string_view payload) {
  const char* direction = outgoing ? "out" : "in";
  if (s_.trace) {
    Map m = trace_event(direction);
    add(m, "type", Value(type));
    add(m, "id", id_value(id));
    add(m, "bytes", Value(payload.size() + 4));
    if (type == 0) {
      add(m, "path", Value(std::string(request_path(content))));
      // What this process was handling when it made the request (outgoing only).
      if (outgoing && s_.current.conn != 0) {
        Array cause;
        cause.emplace_back(s_.current.conn);
        cause.emplace_back(s_.current.id);
        add(m, "cause", Value(std::move(cause)));
      }
    }
    if (type == 2) add(m, "error", Value(failure_line(content)));
    s_.trace_line(std::move(m));
  }
  if (s_.record) record(direction, Value(base64_encode(payload)), true);
}

void ObservedChannel::frame_in(int type, const Value& id, const Value& content, std::string_view payload) {
  const std::optional<std::uint64_t> key = request_key(id);
  if (s_.options.metrics) {
    ++s_.metrics.messages_in;
    s_.metrics.bytes_in += payload.size() + 4;
    if (type == 0) {
      ++s_.metrics.requests_in_flight;
    } else {
      (type == 1 ? s_.metrics.made.result : s_.metrics.made.exception)++;
    }
  }
  const auto now = std::chrono::steady_clock::now();
  if (type == 0) {
    if (key && (s_.options.metrics || s_.trace)) served_[*key] = now;
  } else if (key) {
    auto it = made_.find(*key);
    if (it != made_.end()) {
      if (s_.options.metrics) {
        s_.metrics.made_seconds.observe(std::chrono::duration<double>(now - it->second.start).count());
      }
      if (!s_.trace) made_.erase(it);  // the trace keeps the cause until the caller resumed
    }
  }
  trace_and_record(false, type, id, content, payload);
}

void ObservedChannel::frame_out(int type, const Value& id, const Value& content, std::string_view payload) {
  const std::optional<std::uint64_t> key = request_key(id);
  if (s_.options.metrics) {
    ++s_.metrics.messages_out;
    s_.metrics.bytes_out += payload.size() + 4;
  }
  if (type == 0) {
    if (key && (s_.options.metrics || s_.trace)) made_[*key] = Made{std::chrono::steady_clock::now(), s_.current};
  } else if (key) {
    auto it = served_.find(*key);
    if (it != served_.end()) {
      if (s_.options.metrics) {
        --s_.metrics.requests_in_flight;
        (type == 1 ? s_.metrics.served.result : s_.metrics.served.exception)++;
        s_.metrics.served_seconds.observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second).count());
      }
      served_.erase(it);
    }
  }
  trace_and_record(true, type, id, content, payload);
}

Cause ObservedChannel::handling(const Value& id) const noexcept {
  const std::optional<std::uint64_t> key = request_key(id);
  return key ? Cause{serial_, *key} : Cause{};
}

Cause ObservedChannel::resuming(std::uint64_t id) const noexcept {
  auto it = made_.find(id);
  if (it == made_.end()) return s_.current;
  Cause c = it->second.cause;
  const_cast<ObservedChannel*>(this)->made_.erase(it);
  return c;
}

}  // namespace detail

// -- Observer ---------------------------------------------------------------------

Observer::Observer(Loop& loop, Clock& clock, ObserveOptions options)
    : Observer(loop, clock, nullptr, std::move(options)) {}

Observer::Observer(Loop& loop, ExternalClock& clock, ObserveOptions options)
    : Observer(loop, clock, &clock, std::move(options)) {}

Observer::Observer(Loop& loop, Clock& clock, ExternalClock* stepped, ObserveOptions options)
    : state_(std::make_unique<detail::ObserverState>(loop, clock, stepped, std::move(options))) {
  if (!state_->options.trace_dir.empty()) {
    const std::string path = detail::trace_file_name(state_->options.trace_dir, state_->options.name);
    state_->trace = detail::open_for_writing(path, "trace");
    Map m;
    detail::add(m, "ev", Value("start"));
    detail::add(m, "name", Value(state_->options.name));
    detail::add(m, "pid", Value(static_cast<std::int64_t>(::getpid())));
    state_->trace_line(std::move(m));
  }
}

Observer::~Observer() { flush(); }

const Metrics& Observer::metrics() const noexcept { return state_->metrics; }
std::string Observer::prometheus_text() const { return state_->metrics.prometheus_text(state_->options.name); }
const std::string& Observer::name() const noexcept { return state_->options.name; }
const ObserveOptions& Observer::options() const noexcept { return state_->options; }

void Observer::set_name(std::string name) {
  state_->options.name = std::move(name);
  if (state_->trace) {
    Map m;
    detail::add(m, "ev", Value("name"));
    detail::add(m, "name", Value(state_->options.name));
    state_->trace_line(std::move(m));
  }
}

void Observer::agent_spawned(std::string_view aid, std::string_view class_name) {
  if (state_->options.metrics) ++state_->metrics.agents;
  if (state_->trace) {
    Map m;
    detail::add(m, "ev", Value("spawn"));
    detail::add(m, "aid", Value(std::string(aid)));
    detail::add(m, "class", Value(std::string(class_name)));
    state_->trace_line(std::move(m));
  }
}


void Observer::flush() {
  if (state_->trace) std::fflush(state_->trace.get());
  if (state_->record) std::fflush(state_->record.get());
}

std::unique_ptr<detail::ObservedChannel> Observer::watch(const Stream& stream) {
  return std::make_unique<detail::ObservedChannel>(*state_, stream);
}

}  // namespace uvmas
