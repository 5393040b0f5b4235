#pragma once
/// Seeing what a container or server did: counters and histograms
/// (Metrics, served as Prometheus text by serve_metrics), a causal trace of
/// frames, calls, spawns and steps (JSON lines, merged by `uvmas trace`), and
/// a recording of every frame received (replayed by <uvmas/framework/replay.hpp>).
///
/// All of it is off unless asked for: a channel without an Observer pays one
/// pointer test per frame.
///
/// \code
/// uvmas::ObserveOptions o;
/// o.metrics = true;
/// o.trace_dir = "traces";              // traces/<name>-<pid>.jsonl
/// uvmas::Observer observer(loop, clock, o);
/// uvmas::ChannelOptions options;
/// options.observer = &observer;         // every connection of a server or channel
/// \endcode
/// A container takes the same settings as `ContainerOptions::observe`.

#include <uvmas/clocks/clock.hpp>
#include <uvmas/clocks/external_clock.hpp>
#include <uvmas/core/loop.hpp>
#include <uvmas/transports/stream.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace uvmas {

/// Counts of observations into fixed buckets (a Prometheus histogram).
struct Histogram {
  /// Upper bounds of the buckets, in seconds (the last bucket, +Inf, is implied).
  static constexpr std::array<double, 12> bounds{1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.05, 0.1, 0.5, 1, 5};
  /// Observations per bucket (not cumulative); the last one counts those above every bound.
  std::array<std::uint64_t, bounds.size() + 1> buckets{};
  std::uint64_t count = 0;
  double sum = 0;

  /// Adds one observation of `seconds`.
  void observe(double seconds) noexcept;
};

/// Calls seen from one side, by outcome.
struct CallCounts {
  std::uint64_t result = 0;     ///< answered with a result
  std::uint64_t exception = 0;  ///< answered with an exception
};

/// The counters and histograms of one Observer (a container or a server).
struct Metrics {
  std::uint64_t messages_in = 0;   ///< frames received
  std::uint64_t messages_out = 0;  ///< frames sent
  std::uint64_t bytes_in = 0;      ///< bytes received, frame headers included
  std::uint64_t bytes_out = 0;     ///< bytes sent, frame headers included
  CallCounts served;               ///< requests this side answered
  CallCounts made;                 ///< replies this side received to its own requests
  Histogram served_seconds;        ///< wall time from a request's arrival to its reply
  Histogram made_seconds;          ///< wall time from sending a request to its reply
  std::int64_t requests_in_flight = 0;  ///< received, not yet answered
  std::int64_t connections = 0;         ///< open connections
  std::uint64_t connections_total = 0;  ///< connections ever opened
  std::int64_t agents = 0;              ///< agents spawned
  std::uint64_t steps = 0;              ///< clock steps (every time an ExternalClock moved)
  Histogram step_seconds;               ///< wall time of ExternalClock::step_to

  /// The Prometheus text exposition (version 0.0.4) of these figures, every
  /// name prefixed `uvmas_`; `name` becomes the `container` label.
  std::string prometheus_text(std::string_view name) const;
};

/// What an Observer records. Everything is off by default.
struct ObserveOptions {
  /// Keep Metrics.
  bool metrics = false;
  /// Write a trace (JSON lines) into this directory, created if missing:
  /// one file `<name>-<pid>-<n>.jsonl` per Observer. Empty: no trace.
  std::string trace_dir;
  /// Write every frame received and sent, and every clock step, to this file
  /// (see replay.hpp). Empty: no recording.
  std::string record_file;
  /// How traces and metrics name this side; a container uses its base URL when empty.
  std::string name;
  /// The program a recording replays into (e.g. "serve"), written in its header.
  std::string program;
};

namespace detail {
class ChannelCore;
class ObservedChannel;
struct ObserverState;
}  // namespace detail

/// Collects metrics, trace events and a recording for the channels that name
/// it in ChannelOptions::observer. Lives on one loop; must outlive those channels.
class Observer {
 public:
  /// Opens the trace and recording files `options` asks for (throws
  /// uvmas::Error naming the file when one cannot be created). `clock` gives
  /// the clock times written beside wall times; it must outlive the Observer.
  Observer(Loop& loop, Clock& clock, ObserveOptions options);
  /// The same, and the ExternalClock's moves and steps are observed too
  /// (trace events `time` and `step`, the `steps` counter and `step_seconds`,
  /// recorded times).
  Observer(Loop& loop, ExternalClock& clock, ObserveOptions options);
  ~Observer();
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

  /// The figures so far (all zero unless ObserveOptions::metrics).
  const Metrics& metrics() const noexcept;
  /// metrics() as Prometheus text, labelled with name().
  std::string prometheus_text() const;
  /// The name in traces and metrics.
  const std::string& name() const noexcept;
  /// Renames (a container learns its URL only once it listens).
  void set_name(std::string name);
  const ObserveOptions& options() const noexcept;

  /// An agent was spawned (trace event `spawn`; the `agents` gauge).
  void agent_spawned(std::string_view aid, std::string_view class_name);
  /// Writes buffered trace and recording lines to their files.
  void flush();

 private:
  friend class detail::ObservedChannel;
  friend class detail::ChannelCore;
  Observer(Loop& loop, Clock& clock, ExternalClock* stepped, ObserveOptions options);
  /// Starts observing a channel on `stream`.
  std::unique_ptr<detail::ObservedChannel> watch(const Stream& stream);
  std::unique_ptr<detail::ObserverState> state_;
};

/// An HTTP endpoint answering `GET /metrics` with an Observer's Prometheus text.
class MetricsEndpoint {
 public:
  virtual ~MetricsEndpoint() = default;
  /// The bound address (the real port when 0 was asked for).
  virtual const Address& address() const noexcept = 0;
};

/// Serves `observer`'s metrics at `http://host:port/metrics` on `loop` (a
/// minimal HTTP/1.1 responder: one request per connection, other paths get
/// 404). `host_port` is `HOST:PORT` (`[::1]:9100`, port 0: any) or a tcp://
/// address. Throws ValueError for a bad address, ConnectionError when it cannot listen.
std::unique_ptr<MetricsEndpoint> serve_metrics(Loop& loop, std::string_view host_port, const Observer& observer);

}  // namespace uvmas
