#pragma once
// Private: what an Observer keeps, and the per-connection half that the
// channel layer calls for every frame it receives and sends.

#include "uvmas/clocks/external_clock.hpp"
#include "uvmas/codecs/codec.hpp"
#include "uvmas/codecs/value.hpp"
#include "uvmas/framework/observe.hpp"

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace uvmas::detail {

/// A request of one connection: its serial within the Observer and the request id.
/// `conn == 0` is no request.
struct Cause {
  std::uint64_t conn = 0;
  std::uint64_t id = 0;
};

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

struct ObserverState final : TimeObserver {
  ObserverState(Loop& l, Clock& c, ExternalClock* s, ObserveOptions o);
  ~ObserverState();

  Loop& loop;
  Clock& clock;
  ExternalClock* stepped;  // observed: its moves and steps (nullptr: none)
  ObserveOptions options;
  Metrics metrics;
  Codec json;  // writes trace and recording lines
  File trace;
  File record;
  std::uint64_t next_conn = 1;
  // The request whose handling is running now: what it sends, it caused.
  Cause current;

  /// Writes `fields` as one JSON line, after the wall and clock times.
  void trace_line(Map fields);
  void record_line(Map fields);

  void time_moved(double time) override;
  void step_finished(double time, double wall_seconds) override;
};

/// Seconds since the Unix epoch, to the microsecond (comparable across processes of one machine).
double wall_now() noexcept;

/// Encodes bytes as base64 (RFC 4648, with padding) / decodes it (throws ValueError).
std::string base64_encode(std::string_view bytes);
std::string base64_decode(std::string_view text);

class ObservedChannel {
 public:
  ObservedChannel(ObserverState& s, const Stream& stream);
  ~ObservedChannel();
  ObservedChannel(const ObservedChannel&) = delete;
  ObservedChannel& operator=(const ObservedChannel&) = delete;

  /// A frame arrived: `payload` without its 4-byte header.
  void frame_in(int type, const Value& id, const Value& content, std::string_view payload);
  /// A frame left: `payload` without its 4-byte header.
  void frame_out(int type, const Value& id, const Value& content, std::string_view payload);
  /// The connection closed for `reason`.
  void closed(std::string_view reason);

  /// Sets the current cause for as long as the scope lives.
  class CauseScope {
   public:
    CauseScope(ObserverState& s, Cause c) noexcept : s_(s), saved_(s.current) { s.current = c; }
    ~CauseScope() { s_.current = saved_; }
    CauseScope(const CauseScope&) = delete;
    CauseScope& operator=(const CauseScope&) = delete;

   private:
    ObserverState& s_;
    Cause saved_;
  };
  /// Around handing request `id` to its handler.
  Cause handling(const Value& id) const noexcept;
  /// Around resuming the caller of our request `id` (its reply arrived): the
  /// cause of that request goes on.
  Cause resuming(std::uint64_t id) const noexcept;
  ObserverState& state() noexcept { return s_; }

 private:
  /// A trace event of this connection: `{"ev": ev, "conn": serial}`, more fields to follow.
  Map trace_event(const char* ev) const;
  /// Writes the recording line `{"conn": serial, key: value}` (and the clock time if `timed`).
  void record(const char* key, Value value, bool timed);
  /// The trace event and recording line of a frame that arrived or left (`outgoing`).
  void trace_and_record(bool outgoing, int type, const Value& id, const Value& content,
                        std::string_view payload);

  using Instant = std::chrono::steady_clock::time_point;
  struct Made {
    Instant start;
    Cause cause;
  };
  ObserverState& s_;
  std::uint64_t serial_;
  bool closed_ = false;
  std::unordered_map<std::uint64_t, Instant> served_;
  std::unordered_map<std::uint64_t, Made> made_;
};

}  // namespace uvmas::detail
