#pragma once
// Private: the state behind a Channel handle — framing, id allocation, reply
// matching, the incoming request queue and back-pressure.

#include "uvmas/core/detail/intrusive_list.hpp"
#include "uvmas/core/wait_list.hpp"
#include "uvmas/framework/channel.hpp"
#include "uvmas/framework/detail/request_decoder.hpp"
#include "observe/observed_channel.hpp"

#include <deque>

namespace uvmas::detail {

/// The library's own way between a Channel handle and its core.
struct ChannelAccess {
  static Channel make(std::shared_ptr<ChannelCore> core) noexcept { return Channel(std::move(core)); }
  static ChannelCore* core(const Channel& channel) noexcept { return channel.core_.get(); }
};

/// How long Channel::close() waits, in wall-clock seconds, for a peer that
/// stopped reading to take what is queued before dropping it.
inline constexpr double close_linger_seconds = 10;

/// Seconds as a person reads them: "0.5", "2", "1e-06".
std::string seconds_text(double seconds);

/// Where a sent request's reply lands; lives in the awaiting coroutine's
/// frame. Destroying it unanswered (cancellation) marks the id abandoned so a
/// late reply is dropped quietly.
struct ReplySlot {
  std::coroutine_handle<> waiter;
  Value value;
  std::exception_ptr error;
  bool done = false;
  ResumeSoon soon;  // used when the connection is lost (resumption from the loop)
};

class ChannelCore;

/// Takes requests before they become Request objects (the rpc layer): one it
/// can answer at once costs no Request, no task and no reference count.
class InlineRequestHandler {
 public:
  /// Handles request `id` with `content`: answers it now through
  /// ChannelCore::send_reply / send_failure, or keeps it for later as
  /// ChannelCore::make_request(std::move(id), std::move(content)).
  virtual void on_inline_request(ChannelCore& core, Value& id, Value& content) = 0;

 protected:
  ~InlineRequestHandler() = default;
};

class ChannelCore final : public StreamHandler, public ListNode, public std::enable_shared_from_this<ChannelCore> {
 public:
  /// `limits.control`: the channel's frames do not count toward the loop's idle check (FrameTally).
  ChannelCore(StreamPtr stream, Codec codec, const ChannelOptions& limits);
  ~ChannelCore();
  /// Begins reading from the stream (call once the core is owned by a shared_ptr).
  void start() { stream_->start(*this); }

  // -- sending --------------------------------------------------------------
  /// Allocates an id, encodes and queues the request. Throws SerializationError
  /// (the id stays consumed, as in aiomas) or ConnectionError.
  std::uint64_t send_request(Value content);
  /// Registers the reply slot of request `id`.
  void register_slot(std::uint64_t id, ReplySlot* slot) {
    window_[id - window_base_] = slot;
    ++pending_;
  }
  void abandon(std::uint64_t id) noexcept;
  /// Queues a RESULT (type 1) or EXCEPTION (type 2) for `id`. Encode errors of
  /// a result are turned into an EXCEPTION reply. No-op when closed.
  void send_reply(const Value& id, Value&& result);
  /// Queues an EXCEPTION whose content is `content` (a traceback text for
  /// aiomas peers); encode errors are sent as a traceback text instead.
  void send_failure(const Value& id, Value&& content);
  /// Answers `request` now with a RESULT whose content `json` is already in
  /// the channel's JSON (see reply_json).
  void answer_json(Request& request, std::string_view json);
  /// Answers `request` now (RESULT if `ok`, else EXCEPTION) without waiting
  /// for the write buffer to drain: for a caller that checked congested().
  void answer(Request& request, bool ok, Value content);
  /// True when the write buffer is at or above max_queued_bytes.
  bool congested() const noexcept;
  /// An incoming request was answered or dropped (Request::finished).
  void request_finished() noexcept;
  /// Waits until the write buffer drained (or the channel closed).
  Task<> drained();

  // -- receiving ------------------------------------------------------------
  Task<Request> recv();
  void set_handler(RequestHandler* h) noexcept { handler_ = h; }
  /// Routes requests to `h` ahead of the RequestHandler (nullptr: no longer).
  void set_inline_handler(InlineRequestHandler* h) noexcept { inline_handler_ = h; }
  /// Lets `d` decode request frames ahead of the codec (nullptr: no longer).
  void set_request_decoder(RequestDecoder* d) noexcept { decoder_ = d; }
  /// The Request of an incoming request an InlineRequestHandler keeps for
  /// later; it counts toward max_requests_in_progress until answered.
  Request make_request(Value id, Value content) {
    ++in_progress_;
    return Request(shared_from_this(), std::move(id), std::move(content));
  }

  // -- state ----------------------------------------------------------------
  void abort(std::string_view reason) noexcept;
  /// Stops counting this end's frames toward the idle check (a control connection).
  void set_control() noexcept { tally_.close(); }
  /// Closes the channel now (pending requests fail with `reason`, nothing
  /// more is read or sent) and the stream once what is queued has left, or
  /// after close_linger_seconds of wall time if the peer stops reading.
  /// Completes when the stream is closed; a second call waits as well.
  Task<> close(std::string reason);
  bool closed() const noexcept { return closed_; }
  /// False once closed; also closes the channel (and returns false) when the
  /// stream reports its peer gone (an EOF or reset not yet read).
  bool alive() noexcept {
    if (closed_) return false;
    if (!stream_->peer_gone()) return true;
    finish("connection closed by peer");
    return false;
  }
  const std::string& close_reason() const noexcept { return reason_; }
  const Codec& codec() const noexcept { return codec_; }
  Loop& loop() const noexcept { return loop_; }
  std::string peer_name() const { return peer_; }
  std::size_t pending() const noexcept { return pending_; }
  double call_timeout() const noexcept { return call_timeout_; }
  void set_call_timeout(double seconds) noexcept { call_timeout_ = seconds; }
  /// The clock of deadlines: the one given in the options, or the loop's wall clock.
  Clock& clock() const;
  void add_close_callback(std::function<void(std::string_view)> cb) { close_callbacks_.push_back(std::move(cb)); }

  // -- StreamHandler ----------------------------------------------------------
  void on_read(std::string_view data) override;
  void on_closed(std::string_view reason) override;
  void on_drained() override;

 private:
  void write_message(int type, const Value& id, Value&& content);
  /// Handles complete frames at the front of `data`; returns bytes consumed.
  /// Stops early when a request arrives that cannot be taken now (stalled_).
  std::size_t consume(std::string_view data);
  /// Consumes what inbuf_ holds and keeps the rest (no memory once empty).
  void consume_buffered();
  void handle_payload(std::string_view payload);
  /// Room for one more incoming request: fewer than max_requests_in_progress
  /// in progress and the write buffer below max_queued_bytes.
  bool can_take_request() const noexcept;
  /// Hands a request to the handler or the recv() queue.
  void dispatch(Value& id, Value& content);
  /// Takes the parked request once there is room, then the bytes behind it.
  void unstall();
  void protocol_error(std::string reason);
  /// Marks the channel closed and fails what waits on it; closes the stream
  /// unless `keep_stream` (close() drains it first).
  void finish(std::string reason, bool keep_stream = false);

  Loop& loop_;
  StreamPtr stream_;
  Codec codec_;
  std::size_t max_frame_;
  std::size_t max_in_progress_;
  std::size_t max_queued_;
  double call_timeout_;
  Clock* clock_;
  std::string peer_;
  std::string inbuf_;
  // Flow control toward the peer: a request that arrives while there is no
  // room waits here (decoded, not yet a Request, so it holds no reference to
  // this core) and reading stops until a request finishes or the output drains.
  std::size_t in_progress_ = 0;
  bool stalled_ = false;
  Value parked_id_;
  Value parked_content_;
  struct Unstall final : SoonCallback {
    ChannelCore* self;
    explicit Unstall(ChannelCore* c) : self(c) {}
    void fire() override { self->unstall(); }
  } unstall_node_{this};
  std::uint64_t next_id_ = 0;
  // Reply slots by id: replies come back roughly in order, so a window
  // indexed by `id - window_base_` beats a hash map. An entry is a waiting
  // slot, `abandoned()` (drop a late reply quietly) or nullptr (answered, or
  // an id whose request was never sent). Answered entries leave from the
  // front; one long-outstanding request keeps 8 bytes per later id.
  static ReplySlot* abandoned() noexcept { return reinterpret_cast<ReplySlot*>(alignof(ReplySlot)); }
  std::deque<ReplySlot*> window_;
  std::uint64_t window_base_ = 0;
  std::size_t pending_ = 0;
  // Every frame written and every frame handled, for the loop's idle check.
  FrameTally tally_;
  void trim_window() noexcept {
    while (!window_.empty() && window_.front() == nullptr) {
      window_.pop_front();
      ++window_base_;
    }
  }
  std::deque<Request> incoming_;
  WaitList recv_waiters_;
  WaitList drain_waiters_;
  RequestHandler* handler_ = nullptr;
  InlineRequestHandler* inline_handler_ = nullptr;
  RequestDecoder* decoder_ = nullptr;
  // [type, id, content] of the message being encoded, kept so that a reply
  // costs no array allocation; only the content slot changes hands.
  Value triple_ = Value::array({0, 0, nullptr});
  std::unique_ptr<ObservedChannel> observed_;  // null unless ChannelOptions::observer
  std::vector<std::function<void(std::string_view)>> close_callbacks_;
  std::string reason_;
  bool closed_ = false;
};

}  // namespace uvmas::detail
