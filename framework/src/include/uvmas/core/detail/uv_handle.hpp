#pragma once
/// RAII owner of one libuv handle (uv_timer_t, uv_tcp_t, ...). libuv frees a
/// handle only after its close callback, so the owner hands the memory to
/// libuv on close and the callback deletes it: no handle outlives its loop
/// iteration, none leaks, and a destroyed owner never receives a callback.

#include <uv.h>

#include <memory>
#include <type_traits>
#include <utility>

namespace uvmas::detail {

/// The `data` of a stream handle that an operation in flight owns (a
/// graceful close waiting for its shutdown). A loop torn down meanwhile
/// closes such a handle and frees its memory itself: the operation, cancelled
/// by that close, lets go of it. Never written through.
inline constexpr int operation_owned_tag = 0;
inline void* operation_owned() noexcept { return const_cast<int*>(&operation_owned_tag); }

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

  /// Marks the handle as owned by an operation in flight (see
  /// operation_owned): no callback reaches a former owner, and a loop torn
  /// down before the operation ends frees the handle.
  void hand_to_operation() noexcept {
    static_assert(std::is_same_v<H, uv_tcp_t> || std::is_same_v<H, uv_pipe_t>,
                  "a loop's teardown frees operation-owned TCP and pipe handles only");
    h_->data = operation_owned();
  }

  /// Closes the handle (idempotent). No callback reaches the owner afterwards.
  /// A handle the loop's teardown is already closing is its close callback's
  /// to free.
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
