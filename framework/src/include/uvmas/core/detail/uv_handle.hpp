#pragma once
/// RAII owner of one libuv handle (uv_timer_t, uv_tcp_t, ...). libuv frees a
/// handle only after its close callback, so the owner hands the memory to
/// libuv on close and the callback deletes it: no handle outlives its loop
/// iteration, none leaks, and a destroyed owner never receives a callback.

#include <uv.h>

#include <memory>
#include <utility>

namespace uvmas::detail {

template <class H>
class UvHandle {
 public:
  UvHandle() : h_(std::make_unique<H>()) {}
  UvHandle(const UvHandle&) = delete;
  UvHandle& operator=(const UvHandle&) = delete;
  UvHandle(UvHandle&& o) noexcept : h_(std::move(o.h_)), initialized_(std::exchange(o.initialized_, false)) {}
  UvHandle& operator=(UvHandle&& o) noexcept {
    if (this != &o) {
      close();
      h_ = std::move(o.h_);
      initialized_ = std::exchange(o.initialized_, false);
    }
    return *this;
  }
  ~UvHandle() { close(); }

  /// Initialises the handle with `init(loop, handle, args...)` (uv_timer_init, uv_tcp_init, ...);
  /// returns libuv's status. `data` becomes handle->data for callbacks.
  template <class Init, class... Args>
  int init(Init init_fn, uv_loop_t* loop, void* data, Args&&... args) {
    int rc = init_fn(loop, h_.get(), std::forward<Args>(args)...);
    if (rc == 0) {
      initialized_ = true;
      h_->data = data;
    }
    return rc;
  }

  H* get() const noexcept { return h_.get(); }
  H* operator->() const noexcept { return h_.get(); }
  uv_handle_t* handle() const noexcept { return reinterpret_cast<uv_handle_t*>(h_.get()); }
  uv_stream_t* stream() const noexcept { return reinterpret_cast<uv_stream_t*>(h_.get()); }
  explicit operator bool() const noexcept { return h_ && initialized_; }

  /// Closes the handle (idempotent). No callback reaches the owner afterwards.
  void close() noexcept {
    if (!h_) return;
    if (initialized_) {
      H* raw = h_.release();
      raw->data = nullptr;
      initialized_ = false;
      if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(raw))) {
        uv_close(reinterpret_cast<uv_handle_t*>(raw), [](uv_handle_t* h) { std::unique_ptr<H> owned(reinterpret_cast<H*>(h)); });
      }
    } else {
      h_.reset();
    }
  }

 private:
  std::unique_ptr<H> h_;
  bool initialized_ = false;
};

/// Owner of `T` from a libuv callback's `data` pointer (nullptr after the owner let go).
template <class T, class H>
T* owner_of(H* h) noexcept {
  return static_cast<T*>(h->data);
}

}  // namespace uvmas::detail
