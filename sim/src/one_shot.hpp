#pragma once
// A one-shot event on a loop: one coroutine waits, anyone fires it once.
// (The sessions and starters need nothing more than this.)

#include <uvmas/core/loop.hpp>

#include <coroutine>

namespace uvmas::sim::detail {

class OneShot {
 public:
  explicit OneShot(Loop& loop) noexcept : loop_(loop) {}

  /// Wakes the waiter (from the loop's soon queue, never inline); idempotent.
  void fire() noexcept {
    if (fired_) return;
    fired_ = true;
    if (node_.handle) loop_.call_soon(node_);
  }
  bool fired() const noexcept { return fired_; }

  /// Resumes once fire() was called (at once if it already was).
  auto wait() noexcept {
    struct Awaiter {
      OneShot& event;
      bool await_ready() const noexcept { return event.fired_; }
      void await_suspend(std::coroutine_handle<> h) noexcept { event.node_.handle = h; }
      void await_resume() const noexcept {}
    };
    return Awaiter{*this};
  }

 private:
  Loop& loop_;
  ResumeSoon node_;
  bool fired_ = false;
};

}  // namespace uvmas::sim::detail
