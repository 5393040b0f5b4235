#pragma once
/// Waiting for something to change, the one way uvmas does it: a coroutine
/// suspends in a WaitList and is resumed from the loop's soon queue (never
/// inline, so the waker's stack stays clean). A waiter whose frame is
/// destroyed (cancelled) leaves the list by itself.

#include <uvmas/core/detail/intrusive_list.hpp>
#include <uvmas/core/loop.hpp>

#include <coroutine>

namespace uvmas {

/// Coroutines waiting for a condition; the owner wakes them when it may have changed.
class WaitList {
 public:
  /// Suspends until wake_one()/wake_all(); re-check the condition afterwards.
  auto wait() noexcept {
    struct Awaiter {
      WaitList& list;
      ResumeSoon node;
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<> h) noexcept {
        node.handle = h;
        list.waiters_.push_back(node);
      }
      void await_resume() const noexcept {}
    };
    return Awaiter{*this, {}};
  }
  /// Resumes every waiter, in the order they started waiting.
  void wake_all(Loop& loop) noexcept {
    while (ResumeSoon* w = waiters_.pop_front()) loop.call_soon(*w);
  }
  /// Resumes the longest-waiting waiter, if any.
  void wake_one(Loop& loop) noexcept {
    if (ResumeSoon* w = waiters_.pop_front()) loop.call_soon(*w);
  }
  bool empty() const noexcept { return waiters_.empty(); }
  /// Forgets every waiter without resuming it (their owners cancel them).
  void clear() noexcept { waiters_.clear(); }

 private:
  detail::IntrusiveList<ResumeSoon> waiters_;
};

/// A flag that is set once (asyncio.Event without clear()): wait() resumes
/// when it is set, at once if it already is.
class Event {
 public:
  explicit Event(Loop& loop) noexcept : loop_(&loop) {}
  void set() noexcept {
    if (set_) return;
    set_ = true;
    waiters_.wake_all(*loop_);
  }
  bool is_set() const noexcept { return set_; }
  Task<> wait() {
    while (!set_) co_await waiters_.wait();
  }

 private:
  Loop* loop_;
  WaitList waiters_;
  bool set_ = false;
};

}  // namespace uvmas
