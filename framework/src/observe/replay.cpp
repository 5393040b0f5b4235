// Replay of a recording: recorded incoming frames go into in-memory streams
// served by a fresh server or container, at their recorded clock times; the
// frames it sends are compared with the recorded ones.

#include "uvmas/framework/replay.hpp"

#include "observed_channel.hpp"
#include "uvmas/codecs/frame.hpp"
#include "uvmas/core/error.hpp"
#include "uvmas/framework/container.hpp"

#include <fstream>
#include <map>
#include <memory>
#include <vector>

namespace uvmas {

namespace {

// What a replayed connection sent, and whether its stream still exists (the
// channel owns the stream and may drop it first).
struct Capture {
  std::string sent;
  class ReplayStream* stream = nullptr;
};

class ReplayStream final : public Stream {
 public:
  ReplayStream(Loop& loop, std::string peer, std::shared_ptr<Capture> capture)
      : loop_(loop), peer_(std::move(peer)), capture_(std::move(capture)) {
    capture_->stream = this;
  }
  ~ReplayStream() override { capture_->stream = nullptr; }

  void start(StreamHandler& handler) override { handler_ = &handler; }
  void pause_reading() override { paused_ = true; }
  void resume_reading() override {
    paused_ = false;
    if (!pending_.empty()) {
      std::string bytes = std::move(pending_);
      pending_.clear();
      feed(bytes);
    }
  }
  void flush() override {
    capture_->sent += out_;
    out_.clear();
  }
  std::size_t buffered() const noexcept override { return 0; }
  void close() noexcept override { closed_ = true; }
  void close_gracefully() noexcept override {
    flush();
    close();
  }
  bool closed() const noexcept override { return closed_; }
  std::string peer_name() const override { return peer_; }
  Loop& loop() const noexcept override { return loop_; }

  /// Bytes from the recorded peer.
  void feed(const std::string& bytes) {
    if (closed_ || !handler_) return;
    if (paused_) {
      pending_ += bytes;
      return;
    }
    handler_->on_read(bytes);
  }
  /// The recorded peer closed.
  void hang_up() {
    if (closed_ || !handler_) return;
    closed_ = true;
    handler_->on_closed("connection closed by peer");
  }

 private:
  Loop& loop_;
  std::string peer_;
  std::shared_ptr<Capture> capture_;
  StreamHandler* handler_ = nullptr;
  std::string pending_;
  bool paused_ = false;
  bool closed_ = false;
};

struct Line {
  Value fields;
  const Value* get(std::string_view key) const {
    for (const auto& [k, v] : fields.as_map()) {
      if (k.is_string() && k.as_string() == key) return &v;
    }
    return nullptr;
  }
};

std::vector<Line> load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read the recording " + path);
  Codec json(Format::json);
  std::vector<Line> lines;
  std::string text;
  std::size_t number = 0;
  while (std::getline(in, text)) {
    ++number;
    if (text.empty()) continue;
    Value v;
    try {
      v = json.decode(text);
    } catch (const std::exception& e) {
      throw Error(path + ":" + std::to_string(number) + ": not a recording line: " + e.what());
    }
    if (!v.is_map()) throw Error(path + ":" + std::to_string(number) + ": not a recording line");
    lines.push_back(Line{std::move(v)});
  }
  if (lines.empty() || !lines.front().get("recording")) throw Error(path + " is not a uvmas recording");
  return lines;
}

// A frame's payload as a reader can compare it: decoded when it is JSON or
// MsgPack, else its bytes escaped.
std::string describe_payload(std::string_view payload) {
  for (Format f : {Format::json, Format::msgpack}) {
    try {
      return to_repr(Codec(f).decode(payload));
    } catch (const std::exception&) {
    }
  }
  std::string out;
  for (unsigned char c : payload.substr(0, 64)) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::vector<std::string> frames_of(std::string bytes) {
  std::vector<std::string> frames;
  while (auto payload = take_frame(bytes)) frames.push_back(std::move(*payload));
  return frames;
}

using Accept = std::function<void(StreamPtr)>;

Task<ReplayReport> replay_into(std::string path, Loop& loop, ExternalClock& clock, Accept accept) {
  const std::vector<Line> lines = load(path);
  ReplayReport report;
  std::map<std::uint64_t, std::shared_ptr<Capture>> captures;
  std::map<std::uint64_t, std::vector<std::string>> expected;
  auto move_clock = [&](const Value* t) {
    if (t && t->is_number() && t->as_double() > clock.time()) clock.set_time(t->as_double());
  };
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const Line& line = lines[i];
    if (const Value* t = line.get("time")) {
      move_clock(t);
      co_await loop.settled_wait();
      continue;
    }
    const Value* conn_value = line.get("conn");
    if (!conn_value || !conn_value->is_int()) continue;
    const std::uint64_t conn = conn_value->as_uint();
    move_clock(line.get("clock"));
    if (const Value* peer = line.get("open")) {
      auto capture = std::make_shared<Capture>();
      captures[conn] = capture;
      accept(std::make_unique<ReplayStream>(loop, peer->is_string() ? peer->as_string() : std::string(), capture));
    } else if (const Value* in = line.get("in")) {
      auto it = captures.find(conn);
      if (it != captures.end() && it->second->stream) {
        std::string frame;
        append_frame(frame, detail::base64_decode(in->as_string()));
        it->second->stream->feed(frame);
      }
      ++report.frames;
    } else if (const Value* out = line.get("out")) {
      expected[conn].push_back(detail::base64_decode(out->as_string()));
      ++report.replies;
    } else if (line.get("close")) {
      auto it = captures.find(conn);
      if (it != captures.end() && it->second->stream) it->second->stream->hang_up();
    }
    co_await loop.settled_wait();
  }
  co_await loop.settled_wait();
  for (auto& [conn, want] : expected) {
    auto it = captures.find(conn);
    const std::vector<std::string> got = it == captures.end() ? std::vector<std::string>{} : frames_of(it->second->sent);
    for (std::size_t k = 0; k < want.size(); ++k) {
      if (k < got.size() && got[k] == want[k]) {
        ++report.identical;
        continue;
      }
      if (report.first_difference.empty()) {
        report.first_difference = "connection " + std::to_string(conn) + ", frame " + std::to_string(k + 1) +
                                  " sent: expected " + describe_payload(want[k]) + " but " +
                                  (k < got.size() ? "got " + describe_payload(got[k]) : std::string("nothing was sent"));
      }
    }
  }
  for (auto& [conn, capture] : captures) {
    const std::size_t want = expected.count(conn) ? expected[conn].size() : 0;
    const std::vector<std::string> got = frames_of(capture->sent);
    if (got.size() > want && report.first_difference.empty()) {
      report.first_difference = "connection " + std::to_string(conn) + ", frame " + std::to_string(want + 1) +
                                " sent but not recorded: " + describe_payload(got[want]);
    }
  }
  co_return report;
}

}  // namespace

std::string ReplayReport::summary() const {
  return "replayed " + std::to_string(frames) + " frames, " + std::to_string(identical) + " replies identical";
}

std::string recorded_program(const std::string& path) {
  const std::vector<Line> lines = load(path);
  const Value* program = lines.front().get("program");
  return program && program->is_string() ? program->as_string() : std::string();
}

Task<ReplayReport> replay(std::string path, Server& server, ExternalClock& clock) {
  Server* s = &server;
  return replay_into(std::move(path), clock.loop(), clock, [s](StreamPtr stream) { s->accept(std::move(stream)); });
}

Task<ReplayReport> replay(std::string path, Container& container) {
  ExternalClock* clock = container.external_clock();
  if (!clock) throw Error("a recording is replayed into a container on an ExternalClock (clock = OwnClock::external)");
  Container* c = &container;
  return replay_into(std::move(path), container.loop(), *clock, [c](StreamPtr stream) { c->accept(std::move(stream)); });
}

}  // namespace uvmas
