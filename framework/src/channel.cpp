// The public channel handles: Channel (open, send with its deadline, receive,
// close) and Request (reply or fail once), over the ChannelCore.

#include "uvmas/framework/channel.hpp"

#include "channel_core.hpp"
#include "uvmas/clocks/timeout.hpp"
#include "uvmas/codecs/datetime.hpp"
#include "uvmas/core/error.hpp"
#include "uvmas/core/log.hpp"

#include <utility>

namespace uvmas {

// -- Request ------------------------------------------------------------------

Request::Request(Request&& other) noexcept
    : core_(std::move(other.core_)),
      id_(std::move(other.id_)),
      content_(std::move(other.content_)),
      answered_(other.answered_),
      in_progress_(std::exchange(other.in_progress_, false)) {}

Request& Request::operator=(Request&& other) noexcept {
  if (this != &other) {
    finished();
    core_ = std::move(other.core_);
    id_ = std::move(other.id_);
    content_ = std::move(other.content_);
    answered_ = other.answered_;
    in_progress_ = std::exchange(other.in_progress_, false);
  }
  return *this;
}

Request::~Request() { finished(); }

void Request::finished() noexcept {
  if (!in_progress_) return;
  in_progress_ = false;
  if (core_) core_->request_finished();
}

Task<> Request::reply(Value result) {
  if (answered_) throw std::logic_error("this request was already answered");
  answered_ = true;
  auto core = core_;
  if (core->congested()) co_await core->drained();
  core->send_reply(id_, std::move(result));
  finished();
}

Task<> Request::fail(std::exception_ptr error) { return fail_text(describe(error).traceback); }

Task<> Request::fail_text(std::string text) {
  if (answered_) throw std::logic_error("this request was already answered");
  answered_ = true;
  auto core = core_;
  if (core->congested()) co_await core->drained();
  core->send_failure(id_, std::move(text));
  finished();
}

Task<> Request::fail_value(Value content) {
  if (answered_) throw std::logic_error("this request was already answered");
  answered_ = true;
  auto core = core_;
  if (core->congested()) co_await core->drained();
  core->send_failure(id_, std::move(content));
  finished();
}

Channel Request::channel() const { return detail::ChannelAccess::make(core_); }

// -- Channel ------------------------------------------------------------------

namespace {
struct ReplyAwaiter {
  detail::ChannelCore& core;
  std::uint64_t id;
  detail::ReplySlot slot;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    slot.waiter = h;
    core.register_slot(id, &slot);
  }
  Value await_resume() {
    if (slot.error) std::rethrow_exception(slot.error);
    return std::move(slot.value);
  }
  ~ReplyAwaiter() {
    if (!slot.done && slot.waiter) core.abandon(id);
  }
};
}  // namespace

namespace {
Task<Value> send_request(std::shared_ptr<detail::ChannelCore> core, Value content) {
  if (core->congested()) co_await core->drained();
  std::uint64_t id = core->send_request(std::move(content));
  co_return co_await ReplyAwaiter{*core, id, {}};
}
}  // namespace

Task<Value> Channel::send(Value content) {
  auto core = core_;
  if (core->call_timeout() > 0) co_return co_await send(std::move(content), core->call_timeout());
  if (core->congested()) co_await core->drained();
  std::uint64_t id = core->send_request(std::move(content));
  co_return co_await ReplyAwaiter{*core, id, {}};
}

Task<Value> Channel::send(Value content, double timeout) {
  auto core = core_;
  if (!(timeout > 0)) {
    if (core->congested()) co_await core->drained();
    std::uint64_t id = core->send_request(std::move(content));
    co_return co_await ReplyAwaiter{*core, id, {}};
  }
  // Expiry destroys the waiting request's frame: its slot is abandoned, so
  // a late reply is dropped (the connection stays usable).
  bool expired = false;
  Value reply;
  try {
    reply = co_await with_timeout(core->clock(), timeout, send_request(core, std::move(content)));
  } catch (const TimeoutError&) {
    expired = true;
  }
  if (expired) {
    throw TimeoutError("no reply from " + core->peer_name() + " within " + detail::seconds_text(timeout) + " s");
  }
  co_return reply;
}

Task<Request> Channel::recv() { return core_->recv(); }

Task<> Channel::close() { return close("connection closed"); }

Task<> Channel::close(std::string reason) {
  auto core = core_;
  co_await core->close(std::move(reason));
}

void Channel::abort(std::string_view reason) { core_->abort(reason); }
void Channel::set_control() noexcept { core_->set_control(); }
bool Channel::closed() const noexcept { return core_->closed(); }
bool Channel::alive() { return core_->alive(); }
std::string Channel::close_reason() const { return core_->close_reason(); }
std::string Channel::peer_name() const { return core_->peer_name(); }
const Codec& Channel::codec() const noexcept { return core_->codec(); }
Loop& Channel::loop() const noexcept { return core_->loop(); }
std::size_t Channel::pending() const noexcept { return core_->pending(); }
double Channel::call_timeout() const noexcept { return core_->call_timeout(); }
void Channel::set_call_timeout(double seconds) noexcept { core_->set_call_timeout(seconds); }
Clock& Channel::clock() const { return core_->clock(); }
void Channel::set_request_handler(RequestHandler* handler) { core_->set_handler(handler); }
void Channel::on_close(std::function<void(std::string_view)> callback) {
  if (core_->closed()) {
    callback(core_->close_reason());
    return;
  }
  core_->add_close_callback(std::move(callback));
}

Codec make_codec(const ChannelOptions& options) {
  std::shared_ptr<Serializers> serializers = std::make_shared<Serializers>();
  // aiomas's own types carry a text (a date, a proxy's router path); checking
  // that turns a peer with other extra serializers into a clear decode error.
  for (const auto& name : options.extra_serializers)
    serializers->add(name, name == datetime_type_name || name == "proxy");
  CodecOptions codec_options;
  codec_options.max_depth = options.max_depth;
  return Codec(options.codec, std::move(serializers), codec_options);
}

Channel make_channel(StreamPtr stream, const ChannelOptions& options) {
  auto core = std::make_shared<detail::ChannelCore>(std::move(stream), make_codec(options), options);
  core->start();
  if (log_enabled(LogLevel::debug)) log(LogLevel::debug, "connection to " + core->peer_name() + " opened");
  return detail::ChannelAccess::make(std::move(core));
}

namespace {
Task<Channel> connect_channel(Loop& loop, Address address, ChannelOptions options) {
  StreamPtr stream = co_await connect_stream(loop, address, options.transport);
  co_return make_channel(std::move(stream), options);
}
}  // namespace

// Not a coroutine itself: the address is parsed before the caller's string can go away.
Task<Channel> open_connection(Loop& loop, std::string_view address, ChannelOptions options) {
  return connect_channel(loop, Address::parse(address), std::move(options));
}

Task<Channel> open_connection(Loop& loop, std::string_view address) {
  return open_connection(loop, address, ChannelOptions{});
}

}  // namespace uvmas
