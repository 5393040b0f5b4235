#pragma once
// Private: a Stream over a libuv stream handle (uv_tcp_t or uv_pipe_t).

#include "uvmas/core/error.hpp"
#include "uvmas/core/sigpipe_guard.hpp"
#include "uvmas/core/detail/uv_handle.hpp"
#include "uvmas/transports/stream.hpp"
#include "sockaddr.hpp"

#include <sys/socket.h>
#include <uv.h>

#include <cerrno>

#include <memory>
#include <string>
#include <type_traits>

namespace uvmas::detail {

/// The default write-buffer threshold for back-pressure (bytes not yet taken by the kernel).
inline constexpr std::size_t stream_high_water = 8u << 20;
/// A write buffer at most this large is kept for the next write; a larger one
/// is freed, so an idle connection holds no memory for a past big message.
inline constexpr std::size_t kept_write_buffer = 8u << 10;

/// One read buffer for every stream of a loop: libuv fills it and the read
/// callback consumes it before the next read, so no connection holds memory
/// for bytes it has not received (the channel keeps only a partial frame).
class SharedReadBuffer final : public LoopService {
 public:
  static constexpr std::size_t size = 64u << 10;
  explicit SharedReadBuffer(Loop&) {}
  uv_buf_t get() noexcept { return uv_buf_init(data_.get(), static_cast<unsigned>(size)); }

 private:
  std::unique_ptr<char[]> data_ = std::make_unique_for_overwrite<char[]>(size);
};

template <class H>
class UvStream final : public Stream {
 public:
  UvStream(Loop& loop, UvHandle<H> handle, std::string peer)
      : loop_(loop), handle_(std::move(handle)), peer_(std::move(peer)), read_buffer_(&loop.service<SharedReadBuffer>()) {
    handle_->data = this;
  }
  ~UvStream() override { close(); }

  void start(StreamHandler& handler) override {
    handler_ = &handler;
    resume_reading();
  }
  void pause_reading() override {
    if (reading_ && handle_) uv_read_stop(handle_.stream());
    reading_ = false;
  }
  void resume_reading() override {
    if (reading_ || closed_ || !handler_) return;
    int rc = uv_read_start(handle_.stream(), &UvStream::alloc_cb, &UvStream::read_cb);
    if (rc != 0) {
      fail(uv_message(rc));
      return;
    }
    reading_ = true;
  }

  void flush() override {
    if (closed_ || out_.empty() || write_) return;
    if (!flush_node_.linked()) loop_.call_soon(flush_node_);
  }
  std::size_t buffered() const noexcept override { return out_.size() + (write_ ? write_->buf.size() : 0); }
  void set_high_water(std::size_t bytes) noexcept override { high_water_ = bytes; }

  void close() noexcept override {
    if (closed_) return;
    closed_ = true;
    reading_ = false;
    flush_node_.unlink();
    // libuv calls the write callback (with ECANCELED) after the handle
    // closes; the request then owns itself and frees its buffer.
    orphan_write();
    handle_.close();
    wake_drain_waiters();
  }
  void close_gracefully() noexcept override {
    if (closed_) return;
    if (out_.empty() && !write_) {
      close();
      return;
    }
    // libuv keeps the writes of a stream in order: the one in flight and one
    // for the rest of out_ both leave before the shutdown completes.
    orphan_write();
    write_out();
    if (closed_) return;  // the write failed
    // Hand the handle and the writes to a shutdown request: libuv completes
    // queued writes before the shutdown callback, which then closes.
    closed_ = true;
    reading_ = false;
    flush_node_.unlink();
    orphan_write();
    auto op = std::make_unique<ShutdownOp>();
    op->handle = std::move(handle_);
    op->req.data = op.get();
    uv_read_stop(op->handle.stream());
    op->handle.hand_to_operation();
    if (uv_shutdown(&op->req, op->handle.stream(), &UvStream::shutdown_cb) == 0) (void)op.release();
    wake_drain_waiters();
  }
  bool closed() const noexcept override { return closed_; }
  bool peer_gone() noexcept override {
    if (closed_) return true;
    uv_os_fd_t fd;
    if (uv_fileno(handle_.handle(), &fd) != 0) return false;
    char byte;
    const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return true;  // EOF waits to be read
    return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;  // reset, timed out, ...
  }
  std::string peer_name() const override { return peer_; }
  std::string local_name() const override {
    if constexpr (std::is_same_v<H, uv_tcp_t>) {
      sockaddr_storage self{};
      int len = sizeof self;
      if (handle_ && uv_tcp_getsockname(handle_.get(), reinterpret_cast<sockaddr*>(&self), &len) == 0) {
        return python_peer_name(reinterpret_cast<sockaddr*>(&self));
      }
    }
    return {};
  }
  Loop& loop() const noexcept override { return loop_; }

 private:
  struct WriteReq {
    uv_write_t req;
    std::string buf;
    UvStream* owner;
  };
  // The write in flight frees itself in write_cb from now on.
  void orphan_write() noexcept {
    if (!write_) return;
    write_->owner = nullptr;
    (void)write_.release();
  }
  struct ShutdownOp {
    uv_shutdown_t req{};
    UvHandle<H> handle;
  };
  static void shutdown_cb(uv_shutdown_t* req, int) {
    std::unique_ptr<ShutdownOp> op(static_cast<ShutdownOp*>(req->data));  // closes the handle
  }
  struct FlushNow final : SoonCallback {
    UvStream* self;
    explicit FlushNow(UvStream* s) : self(s) {}
    void fire() override {
      self->write_out();
      self->wake_if_drained();
    }
  };

  // Everything written so far is with the kernel: drained() waiters may go on.
  void wake_if_drained() noexcept {
    if (buffered() == 0) wake_drain_waiters();
  }

  void write_out() {
    if (closed_ || out_.empty() || write_) return;
    SigpipeGuard no_sigpipe;  // covers writes made outside Loop::run
    // The kernel usually takes everything at once: then no write request, no
    // callback and no poll for writability. Only a rest goes to uv_write.
    const std::size_t before = out_.size();
    uv_buf_t now = uv_buf_init(out_.data(), static_cast<unsigned>(out_.size()));
    int n = uv_try_write(handle_.stream(), &now, 1);
    if (n < 0 && n != UV_EAGAIN && n != UV_ENOSYS) {
      fail(uv_message(n));
      return;
    }
    if (n > 0) {
      if (static_cast<std::size_t>(n) == out_.size()) {
        out_.clear();
        if (out_.capacity() > kept_write_buffer) std::string().swap(out_);
        if (before >= high_water_ && handler_) handler_->on_drained();
        return;
      }
      out_.erase(0, static_cast<std::size_t>(n));
    }
    if (!spare_) spare_ = std::make_unique<WriteReq>();
    write_ = std::move(spare_);
    write_->owner = this;
    write_->buf.swap(out_);
    write_->req.data = write_.get();
    uv_buf_t buf = uv_buf_init(write_->buf.data(), static_cast<unsigned>(write_->buf.size()));
    int rc = uv_write(&write_->req, handle_.stream(), &buf, 1, &UvStream::write_cb);
    if (rc != 0) {
      write_.reset();
      fail(uv_message(rc));
    }
  }

  static void write_cb(uv_write_t* req, int status) {
    std::unique_ptr<WriteReq> orphan;
    auto* w = static_cast<WriteReq*>(req->data);
    UvStream* self = w->owner;
    if (!self) {
      orphan.reset(w);  // the stream is gone: free the request
      return;
    }
    bool was_high = self->buffered() >= self->high_water_;
    self->spare_ = std::move(self->write_);
    self->spare_->buf.clear();
    if (self->spare_->buf.capacity() > kept_write_buffer) std::string().swap(self->spare_->buf);
    if (status != 0) {
      self->fail(uv_message(status));
      return;
    }
    if (!self->out_.empty()) {
      self->write_out();
    } else if (self->out_.capacity() > kept_write_buffer) {
      std::string().swap(self->out_);
    }
    self->wake_if_drained();
    if (was_high && self->buffered() < self->high_water_ / 8 && self->handler_ && !self->closed_)
      self->handler_->on_drained();
  }

  static void alloc_cb(uv_handle_t* h, std::size_t, uv_buf_t* buf) {
    *buf = static_cast<UvStream*>(h->data)->read_buffer_->get();
  }

  static void read_cb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
    auto* self = static_cast<UvStream*>(s->data);
    if (!self || self->closed_) return;
    if (nread > 0) {
      self->handler_->on_read(std::string_view(buf->base, static_cast<std::size_t>(nread)));
    } else if (nread == UV_EOF) {
      self->fail("connection closed by peer");
    } else if (nread < 0) {
      self->fail(uv_message(static_cast<int>(nread)));
    }
  }

  void fail(const std::string& reason) {
    if (closed_) return;
    StreamHandler* h = handler_;
    close();
    if (h) h->on_closed(reason);
  }

  Loop& loop_;
  UvHandle<H> handle_;
  std::string peer_;
  StreamHandler* handler_ = nullptr;
  std::unique_ptr<WriteReq> write_;
  std::unique_ptr<WriteReq> spare_;
  SharedReadBuffer* read_buffer_;
  std::size_t high_water_ = stream_high_water;
  FlushNow flush_node_{this};
  bool reading_ = false;
  bool closed_ = false;
};

}  // namespace uvmas::detail
