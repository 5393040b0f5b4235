#pragma once
/// Task<T>: the one awaitable currency of uvmas.
///
/// A lazy coroutine: nothing runs until the task is awaited (or handed to
/// `Loop::run` / `TaskGroup::spawn`). Exceptions propagate to the awaiter.
/// Move-only; the destructor destroys the frame, which is also how a
/// suspended task is cancelled (every leaf awaiter of uvmas deregisters
/// itself when destroyed).
///
/// Resumption: awaiting starts the child with a plain resume(); a child that
/// finishes before suspending hands control straight back (await_suspend
/// returns false), so a loop over a million synchronously completing tasks
/// uses constant stack even where the compiler does not turn symmetric
/// transfer into a tail call (-O0, ASan). A child that suspended first
/// resumes its awaiter by symmetric transfer when it completes.

#include <uvmas/core/detail/frame_pool.hpp>

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>
#include <variant>

namespace uvmas {

template <class T = void>
class Task;

namespace detail {

struct PromiseBase {
  static void* operator new(std::size_t size) { return FramePool::allocate(size); }
  static void operator delete(void* p, std::size_t size) noexcept { FramePool::deallocate(p, size); }

  std::coroutine_handle<> continuation_ = std::noop_coroutine();
  /// True while the awaiter's await_suspend is still running this task.
  bool started_inline_ = false;

  std::suspend_always initial_suspend() const noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) const noexcept {
      PromiseBase& p = h.promise();
      // Finished without ever suspending: return to await_suspend, which
      // lets the awaiter continue without suspending.
      if (p.started_inline_) return std::noop_coroutine();
      return p.continuation_;
    }
    void await_resume() const noexcept {}
  };
  FinalAwaiter final_suspend() const noexcept { return {}; }
};

template <class T>
struct Promise : PromiseBase {
  std::variant<std::monostate, T, std::exception_ptr> result_;

  Task<T> get_return_object() noexcept;
  void unhandled_exception() noexcept { result_.template emplace<2>(std::current_exception()); }
  template <class U = T>
    requires std::is_convertible_v<U&&, T>
  void return_value(U&& value) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    result_.template emplace<1>(std::forward<U>(value));
  }
  T take() {
    if (result_.index() == 2) std::rethrow_exception(std::get<2>(result_));
    return std::move(std::get<1>(result_));
  }
};

template <>
struct Promise<void> : PromiseBase {
  std::exception_ptr error_;

  Task<void> get_return_object() noexcept;
  void unhandled_exception() noexcept { error_ = std::current_exception(); }
  void return_void() const noexcept {}
  void take() {
    if (error_) std::rethrow_exception(error_);
  }
};

}  // namespace detail

/// A lazy coroutine producing a T (or throwing). Await it exactly once.
template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::Promise<T>;
  using value_type = T;

  Task() noexcept = default;
  explicit Task(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
  Task(Task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (h_) h_.destroy();
      h_ = std::exchange(other.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (h_) h_.destroy();
  }

  /// True when the task holds a coroutine (not moved-from or default).
  bool valid() const noexcept { return static_cast<bool>(h_); }
  /// True once the coroutine has run to completion.
  bool done() const noexcept { return h_ && h_.done(); }

  struct Awaiter {
    std::coroutine_handle<promise_type> h_;
    bool await_ready() const noexcept { return !h_ || h_.done(); }
    bool await_suspend(std::coroutine_handle<> awaiting) const {
      auto& p = h_.promise();
      p.continuation_ = awaiting;
      p.started_inline_ = true;
      h_.resume();
      p.started_inline_ = false;
      return !h_.done();  // false: it already finished, continue at once
    }
    T await_resume() const { return h_.promise().take(); }
  };
  /// Starts the task; the awaiter resumes when it completes.
  Awaiter operator co_await() && noexcept { return Awaiter{h_}; }

  /// For awaiters that race a task against something else (with_timeout):
  /// returns the handle to transfer to from await_suspend, which starts the
  /// task; `continuation` resumes when it completes. Call it at most once,
  /// instead of awaiting the task.
  std::coroutine_handle<> start_then(std::coroutine_handle<> continuation) noexcept {
    h_.promise().continuation_ = continuation;
    return h_;
  }

  /// Low-level access for runners (Loop::run, TaskGroup).
  std::coroutine_handle<promise_type> handle() const noexcept { return h_; }
  /// The result of a completed task (rethrows its exception).
  T result() { return h_.promise().take(); }

 private:
  std::coroutine_handle<promise_type> h_;
};

namespace detail {
template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace detail

/// True for Task<T> types; used by routers to await exposed coroutine functions.
template <class T>
inline constexpr bool is_task_v = false;
template <class T>
inline constexpr bool is_task_v<Task<T>> = true;

}  // namespace uvmas
