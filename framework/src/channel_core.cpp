// The channel's engine: cutting bytes into frames, decoding them, matching
// replies to waiting callers, writing messages and closing.

#include "uvmas/framework/channel.hpp"

#include "channel_core.hpp"
#include "uvmas/clocks/timeout.hpp"
#include "uvmas/clocks/wall_clock.hpp"
#include "uvmas/codecs/error.hpp"
#include "uvmas/codecs/frame.hpp"
#include "uvmas/core/error.hpp"
#include "uvmas/core/log.hpp"
#include "uvmas/framework/observe.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>
#include <sstream>

namespace uvmas {

namespace detail {

namespace {
// A receive buffer at most this large is kept once emptied; a larger one is
// freed, so an idle connection holds nothing for a past big frame.
constexpr std::size_t kept_receive_buffer = std::size_t{4} << 10;

}  // namespace

ChannelCore::ChannelCore(StreamPtr stream, Codec codec, const ChannelOptions& limits)
    : loop_(stream->loop()),
      stream_(std::move(stream)),
      codec_(std::move(codec)),
      max_frame_(limits.max_frame_size),
      max_in_progress_(std::max<std::size_t>(limits.max_requests_in_progress, 1)),
      max_queued_(std::max<std::size_t>(limits.max_queued_bytes, 1)),
      call_timeout_(limits.call_timeout),
      clock_(limits.clock),
      peer_(stream_->peer_name()),
      tally_(limits.control ? FrameTally() : FrameTally(loop_)) {
  stream_->set_high_water(max_queued_);
  if (limits.observer) observed_ = limits.observer->watch(*stream_);
}

ChannelCore::~ChannelCore() {
  // Pending reply slots belong to coroutines that hold this core alive, so
  // none can be left here; the stream stops calling us once closed.
  stream_->close();
}

std::uint64_t ChannelCore::send_request(Value content) {
  if (closed_) throw ConnectionError("connection to " + peer_ + " is closed: " + reason_);
  std::uint64_t id = next_id_++;
  window_.push_back(nullptr);  // the id is consumed even if encoding fails (aiomas does the same)
  try {
    write_message(0, Value(id), std::move(content));
  } catch (...) {
    trim_window();
    throw;
  }
  return id;
}

void ChannelCore::abandon(std::uint64_t id) noexcept {
  if (id < window_base_ || id - window_base_ >= window_.size()) return;
  ReplySlot*& entry = window_[id - window_base_];
  if (entry && entry != abandoned()) {
    entry = abandoned();
    --pending_;
  }
}

void ChannelCore::send_reply(const Value& id, Value&& result) {
  if (closed_) return;
  try {
    write_message(1, id, std::move(result));
  } catch (const CodecError&) {
    send_failure(id, describe(std::current_exception()).traceback);
  }
}

void ChannelCore::send_failure(const Value& id, Value&& content) {
  if (closed_) return;
  try {
    write_message(2, id, std::move(content));
  } catch (const CodecError&) {
    write_message(2, id, Value(describe(std::current_exception()).traceback));
  }
}

void ChannelCore::write_message(int type, const Value& id, Value&& content) {
  std::string& out = stream_->out();
  const std::size_t start = out.size();
  out.append(frame_header_size, '\0');
  Array& triple = triple_.as_array();
  triple[0] = Value(type);
  triple[1] = id;
  triple[2] = std::move(content);
  try {
    codec_.encode(triple_, out);
  } catch (...) {
    triple[2] = Value();
    out.resize(start);
    throw;
  }
  const std::size_t length = out.size() - start - frame_header_size;
  if (length > std::numeric_limits<std::uint32_t>::max()) {
    triple[2] = Value();
    out.resize(start);
    throw SerializationError("message of " + std::to_string(length) +
                             " bytes exceeds the protocol's frame limit of 4294967295 bytes");
  }
  write_frame_header(out.data() + start, static_cast<std::uint32_t>(length));
  if (observed_) {
    observed_->frame_out(type, id, triple[2], std::string_view(out).substr(start + frame_header_size, length));
  }
  triple[2] = Value();
  tally_.sent();
  stream_->flush();
}

namespace {
// Deadlines of connections made without a clock run on one wall clock per loop.
struct LoopWallClock final : LoopService {
  explicit LoopWallClock(Loop& loop) : clock(loop) {}
  WallClock clock;
};
}  // namespace

std::string seconds_text(double seconds) {
  std::ostringstream os;
  os << seconds;
  return os.str();
}

Clock& ChannelCore::clock() const { return clock_ ? *clock_ : loop_.service<LoopWallClock>().clock; }

void ChannelCore::answer(Request& request, bool ok, Value content) {
  if (request.answered_) throw std::logic_error("this request was already answered");
  request.answered_ = true;
  if (ok) {
    send_reply(request.id_, std::move(content));
  } else {
    send_failure(request.id_, std::move(content));
  }
  request.finished();
}

void ChannelCore::answer_json(Request& request, std::string_view json) {
  if (request.answered_) throw std::logic_error("this request was already answered");
  request.answered_ = true;
  if (closed_) {
    request.finished();
    return;
  }
  if (codec_.format() != Format::json || observed_) {
    send_reply(request.id_, codec_.decode(json));
    request.finished();
    return;
  }
  // What write_message makes of [1, id, content], the content's bytes given.
  std::string& out = stream_->out();
  const std::size_t start = out.size();
  out.append(frame_header_size, '\0');
  out += "[1, ";
  codec_.encode(request.id_, out);
  out += ", ";
  out += json;
  out += ']';
  const std::size_t length = out.size() - start - frame_header_size;
  if (length > std::numeric_limits<std::uint32_t>::max()) {
    out.resize(start);
    send_reply(request.id_, codec_.decode(json));  // fails the same way
    request.finished();
    return;
  }
  write_frame_header(out.data() + start, static_cast<std::uint32_t>(length));
  tally_.sent();
  stream_->flush();
  request.finished();
}

bool ChannelCore::congested() const noexcept { return !closed_ && stream_->buffered() >= max_queued_; }

bool ChannelCore::can_take_request() const noexcept {
  return in_progress_ < max_in_progress_ && stream_->buffered() < max_queued_;
}

void ChannelCore::request_finished() noexcept {
  --in_progress_;
  if (stalled_ && !closed_) loop_.call_soon(unstall_node_);
}

Task<> ChannelCore::drained() {
  while (congested()) co_await drain_waiters_.wait();
}

Task<Request> ChannelCore::recv() {
  auto self = shared_from_this();
  while (incoming_.empty()) {
    if (closed_) throw ConnectionError("connection to " + peer_ + " is closed: " + reason_);
    co_await recv_waiters_.wait();
  }
  Request r = std::move(incoming_.front());
  incoming_.pop_front();
  co_return r;
}

void ChannelCore::on_read(std::string_view data) {
  auto self = shared_from_this();
  if (inbuf_.empty() && !stalled_) {
    // The bytes are the loop's shared read buffer: keep only a partial frame.
    std::size_t used = consume(data);
    if (!closed_ && used < data.size()) inbuf_.assign(data.substr(used));
    return;
  }
  inbuf_.append(data);
  consume_buffered();
}

void ChannelCore::consume_buffered() {
  std::size_t used = stalled_ ? 0 : consume(inbuf_);
  if (closed_ || used == inbuf_.size()) {
    if (inbuf_.capacity() > kept_receive_buffer) {
      std::string().swap(inbuf_);
    } else {
      inbuf_.clear();
    }
  } else if (used > 0) {
    inbuf_.erase(0, used);
  }
}

std::size_t ChannelCore::consume(std::string_view data) {
  std::size_t pos = 0;
  while (!closed_ && !stalled_ && data.size() - pos >= frame_header_size) {
    const std::uint32_t length = read_frame_header(data.data() + pos);
    if (length > max_frame_) {
      protocol_error("frame of " + std::to_string(length) + " bytes exceeds the limit of " +
                     std::to_string(max_frame_) + " bytes");
      return data.size();
    }
    if (data.size() - pos - frame_header_size < length) break;
    handle_payload(data.substr(pos + frame_header_size, length));
    tally_.handled();  // whatever the frame started is runnable or waits now
    pos += frame_header_size + length;
  }
  return pos;
}

void ChannelCore::handle_payload(std::string_view payload) {
  if (decoder_ && !observed_ && !inline_handler_ && can_take_request()) {
    Value id;
    if (decoder_->decode_request(payload, id)) {
      Value content;
      dispatch(id, content);
      return;
    }
  }
  Value message;
  try {
    message = codec_.decode(payload);
  } catch (const std::exception& e) {
    protocol_error(std::string("undecodable frame: ") + e.what());
    return;
  }
  if (!message.is_array() || message.size() != 3) {
    protocol_error("frame is not a [type, id, content] triple");
    return;
  }
  auto& triple = message.as_array();
  const Value& type = triple[0];
  if (!type.is_int() || type.is_big_uint() || type.as_int() < 0 || type.as_int() > 2) {
    std::ostringstream os;
    os << "invalid message type " << type;
    protocol_error(os.str());
    return;
  }
  if (observed_) observed_->frame_in(static_cast<int>(type.as_int()), triple[1], triple[2], payload);
  if (type.as_int() == 0) {
    if (can_take_request()) {
      dispatch(triple[1], triple[2]);
    } else {
      stalled_ = true;
      parked_id_ = std::move(triple[1]);
      parked_content_ = std::move(triple[2]);
      stream_->pause_reading();
    }
    return;
  }
  const Value& id = triple[1];
  if (!id.is_int() || (!id.is_big_uint() && id.as_int() < 0)) {
    std::ostringstream os;
    os << "reply with an id that no request of ours has: " << id;
    protocol_error(os.str());
    return;
  }
  const std::uint64_t n = id.as_uint();
  ReplySlot* slot = nullptr;
  if (n >= window_base_ && n - window_base_ < window_.size()) slot = window_[n - window_base_];
  if (!slot) {
    protocol_error("reply to unknown message id " + std::to_string(n));
    return;
  }
  window_[n - window_base_] = nullptr;
  trim_window();
  if (slot == abandoned()) return;  // the caller gave up waiting (cancelled or timed out)
  --pending_;
  if (type.as_int() == 1) {
    slot->value = std::move(triple[2]);
  } else {
    std::string text;
    if (triple[2].is_string()) {
      text = std::move(triple[2].as_string());
    } else {
      std::ostringstream os;
      os << triple[2];  // mosaik-style [type, message, ...] or anything else
      text = os.str();
    }
    slot->error = std::make_exception_ptr(RemoteException(peer_, std::move(text)));
  }
  slot->done = true;
  std::optional<ObservedChannel::CauseScope> cause;  // the caller goes on with its request's cause
  if (observed_) cause.emplace(observed_->state(), observed_->resuming(n));
  slot->waiter.resume();
}

void ChannelCore::dispatch(Value& id, Value& content) {
  std::optional<ObservedChannel::CauseScope> cause;  // what the handler sends, this request caused
  if (observed_) cause.emplace(observed_->state(), observed_->handling(id));
  if (inline_handler_) {
    inline_handler_->on_inline_request(*this, id, content);
    return;
  }
  ++in_progress_;
  Request request(shared_from_this(), std::move(id), std::move(content));
  if (handler_) {
    handler_->on_request(std::move(request));
  } else {
    incoming_.push_back(std::move(request));
    recv_waiters_.wake_one(loop_);
  }
}

void ChannelCore::unstall() {
  if (closed_ || !stalled_ || !can_take_request()) return;  // the next finished request or drain retries
  auto self = shared_from_this();
  stalled_ = false;
  Value id = std::move(parked_id_);
  Value content = std::move(parked_content_);
  dispatch(id, content);
  parked_id_ = Value();
  parked_content_ = Value();
  consume_buffered();
  if (!stalled_ && !closed_) stream_->resume_reading();
}

void ChannelCore::protocol_error(std::string reason) {
  log(LogLevel::warning, "closing connection to " + (peer_.empty() ? std::string("peer") : peer_) + ": " + reason);
  finish(std::move(reason));
}

void ChannelCore::abort(std::string_view reason) noexcept { finish(std::string(reason)); }

void ChannelCore::on_closed(std::string_view reason) { finish(std::string(reason)); }

void ChannelCore::on_drained() {
  if (stalled_ && !closed_) loop_.call_soon(unstall_node_);
  drain_waiters_.wake_all(loop_);
}

Task<> ChannelCore::close(std::string reason) {
  auto self = shared_from_this();  // the close callbacks may drop the last handle
  finish(std::move(reason), true);
  if (stream_->closed()) co_return;
  if (stream_->buffered() > 0) {
    try {
      co_await with_timeout(loop_.service<LoopWallClock>().clock, close_linger_seconds, stream_->drained());
    } catch (const TimeoutError&) {
      // The peer stopped reading: what it did not take is dropped.
    }
  }
  stream_->close_gracefully();
}

void ChannelCore::finish(std::string reason, bool keep_stream) {
  if (closed_) return;
  std::shared_ptr<ChannelCore> self;
  try {
    self = shared_from_this();
  } catch (const std::bad_weak_ptr&) {
  }
  closed_ = true;
  tally_.close();  // frames in flight on this end are lost with it
  reason_ = reason.empty() ? "connection closed" : std::move(reason);
  if (log_enabled(LogLevel::debug)) log(LogLevel::debug, "connection to " + peer_ + " closed: " + reason_);
  if (observed_) observed_->closed(reason_);
  if (keep_stream) {
    stream_->pause_reading();
  } else {
    stream_->close();
  }
  auto window = std::move(window_);
  window_.clear();
  pending_ = 0;
  auto error = std::make_exception_ptr(ConnectionError("connection to " + peer_ + " lost: " + reason_));
  std::vector<ReplySlot*> waiting;
  for (ReplySlot* slot : window) {
    if (!slot || slot == abandoned()) continue;
    slot->error = error;
    slot->done = true;
    waiting.push_back(slot);
  }
  incoming_.clear();
  stalled_ = false;
  unstall_node_.unlink();
  parked_id_ = Value();
  parked_content_ = Value();
  std::string().swap(inbuf_);
  recv_waiters_.wake_all(loop_);
  drain_waiters_.wake_all(loop_);
  auto callbacks = std::move(close_callbacks_);
  for (auto& cb : callbacks) cb(reason_);
  // Resume callers from the loop: one of them may cancel the others.
  for (ReplySlot* slot : waiting) {
    slot->soon.handle = slot->waiter;
    loop_.call_soon(slot->soon);
  }
}

Task<> reply_json(Request& request, std::string_view json) {
  if (request.answered()) throw std::logic_error("this request was already answered");
  const Channel channel = request.channel();  // holds the core while waiting
  ChannelCore* core = ChannelAccess::core(channel);
  if (core->congested()) co_await core->drained();
  core->answer_json(request, json);
}

void set_request_decoder(const Channel& channel, RequestDecoder* decoder) noexcept {
  if (ChannelCore* core = ChannelAccess::core(channel)) core->set_request_decoder(decoder);
}

}  // namespace detail

}  // namespace uvmas
