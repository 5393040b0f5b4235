#pragma once
/// The one stream interface every transport implements (TCP, Unix sockets,
/// TLS, LocalQueue). The channel layer frames messages on top of it and
/// never sees sockets.

#include <uvmas/core/loop.hpp>
#include <uvmas/core/task.hpp>
#include <uvmas/core/wait_list.hpp>
#include <uvmas/transports/address.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace uvmas {

/// What a Stream reports to its user. Callbacks come from the loop; the
/// handler may call back into the stream (write, close) from any of them.
class StreamHandler {
 public:
  /// Bytes arrived (a chunk of any size; frames may be split or coalesced).
  virtual void on_read(std::string_view data) = 0;
  /// The stream ended: `reason` says why ("connection closed by peer" for EOF).
  /// Called at most once, never after close().
  virtual void on_closed(std::string_view reason) = 0;
  /// The write buffer fell below the low-water mark (an eighth of the
  /// high-water mark) after being at or above the high-water mark.
  virtual void on_drained() {}

 protected:
  ~StreamHandler() = default;
};

/// A bidirectional byte stream. Writes are buffered and coalesced: everything
/// appended during one loop pass leaves in one system call.
class Stream {
 public:
  virtual ~Stream() = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  /// Starts delivering reads to `handler` (which must outlive the stream or call close()).
  virtual void start(StreamHandler& handler) = 0;
  /// Stops / resumes reading (flow control toward the peer).
  virtual void pause_reading() = 0;
  virtual void resume_reading() = 0;

  /// The buffer to append outgoing bytes to; call flush() afterwards.
  std::string& out() noexcept { return out_; }
  /// Sends what out() holds, at the end of this loop pass at the latest.
  virtual void flush() = 0;
  /// Bytes queued but not yet accepted by the kernel (for back-pressure).
  virtual std::size_t buffered() const noexcept = 0;
  /// Sets the high-water mark of buffered() that arms on_drained() (default 8 MiB).
  virtual void set_high_water(std::size_t bytes) noexcept { (void)bytes; }
  /// Flushes, then completes once every byte appended to out() so far has
  /// left this process's hands (taken by the kernel, or by the peer of an
  /// in-process stream), or once the stream closed. What a graceful close
  /// waits for; bytes appended meanwhile are waited for as well.
  virtual Task<> drained();

  /// Closes the stream at once (idempotent); unsent bytes are dropped and no
  /// handler callback follows.
  virtual void close() noexcept = 0;
  /// Closes after the bytes already queued have been handed to the peer (like
  /// asyncio's transport.close()); no handler callback follows.
  virtual void close_gracefully() noexcept {
    flush();
    close();
  }
  virtual bool closed() const noexcept = 0;
  /// True when the peer is known to have closed or reset the connection,
  /// checked now without reading or running the loop (a pending EOF or
  /// error on the socket). Used before reusing an idle connection.
  virtual bool peer_gone() noexcept { return closed(); }

  /// The peer's name in aiomas's form (see Address::origin()).
  virtual std::string peer_name() const = 0;
  /// This end's name in the same form as peer_name() (empty where the
  /// transport has none, e.g. a Unix socket client). Traces pair the two
  /// ends of a TCP connection by it.
  virtual std::string local_name() const { return {}; }
  /// The loop this stream runs on.
  virtual Loop& loop() const noexcept = 0;

 protected:
  Stream() = default;
  /// Implementations call this when buffered() may have dropped to 0 or the
  /// stream closed: it resumes the drained() waiters, which check again.
  void wake_drain_waiters() noexcept { drain_waiters_.wake_all(loop()); }
  std::string out_;

 private:
  WaitList drain_waiters_;
};

using StreamPtr = std::unique_ptr<Stream>;

/// A listening endpoint; accepted streams go to the callback given at creation.
class Listener {
 public:
  virtual ~Listener() = default;
  /// The bound address (with the real port when 0 was asked for).
  virtual const Address& address() const noexcept = 0;
  /// Stops listening (idempotent). Streams already accepted are not affected.
  virtual void close() noexcept = 0;
};

using AcceptCallback = std::function<void(StreamPtr)>;

}  // namespace uvmas
