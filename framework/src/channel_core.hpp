#pragma once
// Private: the state behind a Channel handle — framing, id allocation, reply
// matching, the incoming request queue and back-pressure.

#include "uvmas/core/intrusive_list.hpp"
#include "uvmas/core/wait_list.hpp"
#include "uvmas/framework/channel.hpp"

#include <deque>

namespace uvmas::detail {

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

class ChannelCore final : public StreamHandler, public ListNode, public std::enable_shared_from_this<ChannelCore> {
 public:
  /// `counted`: the channel's frames count toward the loop's idle check (FrameTally).
  ChannelCore(StreamPtr stream, Codec codec, std::size_t max_frame, bool counted);
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
  void send_reply(const Value& id, Value result);
  /// Queues an EXCEPTION whose content is `content` (a traceback text for
  /// aiomas peers); encode errors are sent as a traceback text instead.
  void send_failure(const Value& id, Value content);
  /// True when the write buffer is above the high-water mark.
  bool congested() const noexcept;
  /// Waits until the write buffer drained (or the channel closed).
  Task<> drained();

  // -- receiving ------------------------------------------------------------
  Task<Request> recv();
  void set_handler(RequestHandler* h) noexcept { handler_ = h; }

  // -- state ----------------------------------------------------------------
  void abort(std::string_view reason) noexcept;
  /// Stops counting this end's frames toward the idle check (a control connection).
  void set_control() noexcept { tally_.close(); }
  /// Closes after flushing what is queued (Channel::close()).
  void close_gracefully() noexcept { finish("connection closed", true); }
  bool closed() const noexcept { return closed_; }
  const std::string& close_reason() const noexcept { return reason_; }
  const Codec& codec() const noexcept { return codec_; }
  Loop& loop() const noexcept { return loop_; }
  std::string peer_name() const { return peer_; }
  std::size_t pending() const noexcept { return pending_; }
  void add_close_callback(std::function<void(std::string_view)> cb) { close_callbacks_.push_back(std::move(cb)); }

  // -- StreamHandler ----------------------------------------------------------
  void on_read(std::string_view data) override;
  void on_closed(std::string_view reason) override;
  void on_drained() override;

 private:
  void write_message(int type, const Value& id, Value content);
  /// Handles complete frames at the front of `data`; returns bytes consumed.
  std::size_t consume(std::string_view data);
  void handle_payload(std::string_view payload);
  void protocol_error(std::string reason);
  void finish(std::string reason, bool graceful = false);

  Loop& loop_;
  StreamPtr stream_;
  Codec codec_;
  std::size_t max_frame_;
  std::string peer_;
  std::string inbuf_;
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
  std::vector<std::function<void(std::string_view)>> close_callbacks_;
  std::string reason_;
  bool closed_ = false;
  bool paused_ = false;
};

}  // namespace uvmas::detail
