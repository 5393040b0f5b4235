#pragma once
/// The channel layer (aiomas.channel): length-prefixed frames carrying
/// `[type, id, content]` triples over any Stream; requests and replies are
/// matched by id in any order, with any number in flight.

#include <uvmas/clocks/clock.hpp>
#include <uvmas/codecs/codec.hpp>
#include <uvmas/codecs/serializable.hpp>
#include <uvmas/codecs/value.hpp>
#include <uvmas/core/loop.hpp>
#include <uvmas/core/task.hpp>
#include <uvmas/core/task_group.hpp>
#include <uvmas/transports/connect.hpp>

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace uvmas {

class Observer;

/// The default receive limit for one frame's payload (aiomas has none).
inline constexpr std::size_t default_max_frame_size = std::size_t{64} << 20;
/// The default number of incoming requests one connection may have in progress.
inline constexpr std::size_t default_max_requests_in_progress = 128;
/// The default number of bytes one connection may have queued for sending.
inline constexpr std::size_t default_max_queued_bytes = std::size_t{8} << 20;

/// Settings of a channel (and of every connection an rpc server or container makes).
struct ChannelOptions {
  /// The codec, a built-in Format or a CustomCodec; both peers must use the
  /// same one (there is no negotiation).
  CodecChoice codec = Format::json;
  /// Extension type names; their typeids follow this order (aiomas's extra_serializers).
  std::vector<std::string> extra_serializers;
  /// Registers the custom type T (see serializable.hpp) as the next extra serializer.
  template <SerializableType T>
  ChannelOptions& add_serializer() {
    extra_serializers.push_back(serializer_name<T>());
    return *this;
  }
  /// Frames whose announced payload is longer are refused and the connection is closed.
  std::size_t max_frame_size = default_max_frame_size;
  /// Decoders refuse values nested deeper than this.
  std::size_t max_depth = 256;
  /// At most this many incoming requests are in progress at once (received,
  /// not yet answered or dropped); the connection reads nothing more from its
  /// peer until one is answered. Replies are read all along. Bounds what a
  /// client that pipelines requests can make the server hold.
  std::size_t max_requests_in_progress = default_max_requests_in_progress;
  /// Above this many bytes queued for sending (the peer does not read), the
  /// connection takes no further incoming request and senders wait until the
  /// queue drained to an eighth of it.
  std::size_t max_queued_bytes = default_max_queued_bytes;
  /// The deadline of every request sent on the connection, in seconds of
  /// `clock` (0: none). A call can carry its own (Channel::send(content,
  /// timeout), rpc::Proxy::with_timeout).
  double call_timeout = 0;
  /// The clock deadlines are measured on (not owned; it must outlive the
  /// connection). nullptr: a wall clock of the loop. A container passes its own.
  Clock* clock = nullptr;
  /// TLS and other transport settings.
  TransportOptions transport;
  /// A control connection (a co-simulation master's, a parent's stepping
  /// channel to a child container): its frames do not count toward the
  /// loop's idle check (Loop::quiet), so a step can wait for idle while the
  /// master's request is being served.
  bool control = false;
  /// Metrics, trace and recording of every frame (see <uvmas/framework/observe.hpp>);
  /// not owned, must outlive the connections. nullptr: nothing is observed.
  Observer* observer = nullptr;
};

namespace detail {
class ChannelCore;
struct ChannelAccess;
}

class Channel;

/// An incoming request (aiomas.channel.Request). Move-only; answer it once
/// with reply() or fail(). A request dropped unanswered gets no reply.
class Request {
 public:
  Request() = default;
  Request(Request&& other) noexcept;
  Request& operator=(Request&& other) noexcept;
  ~Request();

  /// The request's content (any value the codec can carry).
  const Value& content() const noexcept { return content_; }
  Value& content() noexcept { return content_; }
  /// The id the peer chose; echoed verbatim in the reply.
  const Value& id() const noexcept { return id_; }

  /// Sends `result` as a RESULT reply. If it cannot be encoded, an EXCEPTION
  /// describing the encode error is sent instead (as aiomas does). On a closed
  /// channel this does nothing. Throws std::logic_error if already answered.
  Task<> reply(Value result);
  /// Sends an EXCEPTION reply carrying a traceback-shaped text whose last line
  /// is `<Class>: <message>` for `error`.
  Task<> fail(std::exception_ptr error);
  template <class E>
    requires std::is_base_of_v<std::exception, E>
  Task<> fail(const E& error) {
    return fail(std::make_exception_ptr(error));
  }
  /// Sends an EXCEPTION reply with exactly this text (e.g. "ValueError: 42\n").
  Task<> fail_text(std::string text);
  /// Sends an EXCEPTION reply whose content is `content` as is. For peers whose
  /// failure content is not aiomas's traceback text, e.g. mosaik, which needs
  /// `["ErrorType", "message", ...]`. If `content` cannot be encoded, the
  /// encode error's traceback text is sent instead.
  Task<> fail_value(Value content);

  bool answered() const noexcept { return answered_; }
  /// The channel the request arrived on.
  Channel channel() const;

 private:
  friend class detail::ChannelCore;
  Request(std::shared_ptr<detail::ChannelCore> core, Value id, Value content)
      : core_(std::move(core)), id_(std::move(id)), content_(std::move(content)), in_progress_(true) {}
  /// The request no longer counts against its connection's max_requests_in_progress.
  void finished() noexcept;
  std::shared_ptr<detail::ChannelCore> core_;
  Value id_;
  Value content_;
  bool answered_ = false;
  bool in_progress_ = false;
};

/// Receives every request of a channel instead of the recv() queue (used by rpc).
/// Called from the loop for each request, in arrival order.
class RequestHandler {
 public:
  virtual void on_request(Request request) = 0;

 protected:
  ~RequestHandler() = default;
};

/// One request-reply endpoint of a connection (aiomas.channel.Channel). A
/// cheap handle: copies refer to the same connection.
class Channel {
 public:
  Channel() = default;

  /// Sends a request and waits for its reply, at most call_timeout() seconds
  /// if that is set. Throws RemoteException (the peer failed),
  /// ConnectionError (the connection is or got closed), SerializationError
  /// (`content` cannot be encoded; nothing was sent), TimeoutError.
  Task<Value> send(Value content);
  /// Sends a request and waits at most `timeout` seconds of clock() for the
  /// reply (0 or less: no deadline). On expiry throws TimeoutError naming the
  /// peer and the time; the request's reply slot is released and a late
  /// reply is dropped silently.
  Task<Value> send(Value content, double timeout);
  /// Waits for the next incoming request. Throws ConnectionError once the
  /// connection is closed and no request is left.
  Task<Request> recv();
  /// Closes the connection gracefully: nothing more is sent or received and
  /// pending requests fail with ConnectionError at once; completes once what
  /// was queued before (replies included) has left and the stream is closed.
  /// A peer that stops reading gets 10 s of wall time to take it.
  Task<> close();
  /// The same, with `reason` for the pending requests' errors and close_reason().
  Task<> close(std::string reason);
  /// Closes at once (no waiting); `reason` goes to pending requests.
  void abort(std::string_view reason = "connection closed");
  /// From now on this end is a control connection (ChannelOptions::control):
  /// its frames do not count toward the loop's idle check.
  void set_control() noexcept;

  bool closed() const noexcept;
  /// True while open and the peer is not known to be gone: checks the socket
  /// for an EOF or reset not yet read (no loop pass needed) and closes the
  /// channel if it finds one. For deciding whether an idle connection can be reused.
  bool alive();
  /// Why the channel closed ("" while open).
  std::string close_reason() const;
  /// The peer's name as aiomas reports it ("('127.0.0.1', 5555)", socket path, "LocalQueue('q')").
  std::string peer_name() const;
  const Codec& codec() const noexcept;
  Loop& loop() const noexcept;
  /// Number of requests sent and not yet answered.
  std::size_t pending() const noexcept;
  /// The default deadline of send(), in seconds of clock() (0: none).
  double call_timeout() const noexcept;
  void set_call_timeout(double seconds) noexcept;
  /// The clock deadlines are measured on (ChannelOptions::clock or a wall clock of the loop).
  Clock& clock() const;

  /// Routes incoming requests to `handler` (nullptr: back to the recv() queue).
  /// The handler must outlive the channel or be reset first.
  void set_request_handler(RequestHandler* handler);
  /// Called once when the connection closes, with the reason.
  void on_close(std::function<void(std::string_view)> callback);

  explicit operator bool() const noexcept { return static_cast<bool>(core_); }
  friend bool operator==(const Channel& a, const Channel& b) noexcept { return a.core_ == b.core_; }

 private:
  friend struct detail::ChannelAccess;
  explicit Channel(std::shared_ptr<detail::ChannelCore> core) noexcept : core_(std::move(core)) {}
  std::shared_ptr<detail::ChannelCore> core_;
};

/// Wraps an open stream into a channel (used by servers and tests).
Channel make_channel(StreamPtr stream, const ChannelOptions& options);
/// Builds the codec a channel with these options uses.
Codec make_codec(const ChannelOptions& options);

// Public functions that coroutines call take no defaulted class-type
// arguments: GCC 12 miscompiles such default-argument temporaries inside
// coroutines. Overloads give the defaults instead.

/// Connects to `address` ("tcp://host:port", "ipc://[path]", "local://id").
Task<Channel> open_connection(Loop& loop, std::string_view address, ChannelOptions options);
Task<Channel> open_connection(Loop& loop, std::string_view address);

/// A listening channel server (aiomas.channel.start_server).
class Server {
 public:
  using ClientConnected = std::function<Task<>(Channel)>;
  Server(Loop& loop, const Address& address, ClientConnected on_client, ChannelOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// The bound address (real port when 0 was asked for).
  const Address& address() const noexcept;
  /// Stops accepting; open connections go on.
  void close() noexcept;
  /// Stops accepting, closes every connection gracefully (Channel::close():
  /// replies already given reach their peers) and cancels the client tasks.
  Task<> shutdown();
  /// Number of open connections.
  std::size_t connections() const noexcept;
  /// Serves `stream` as if the listener had accepted it (an in-memory or
  /// replayed connection; see <uvmas/framework/replay.hpp>).
  void accept(StreamPtr stream);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Listens on `address`; `on_client` runs as a task for every accepted connection.
/// Throws ConnectionError (address in use, ...) at once.
std::unique_ptr<Server> start_server(Loop& loop, std::string_view address, Server::ClientConnected on_client,
                                     ChannelOptions options);
std::unique_ptr<Server> start_server(Loop& loop, std::string_view address, Server::ClientConnected on_client);

}  // namespace uvmas
