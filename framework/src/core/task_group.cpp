#include "uvmas/core/task_group.hpp"

#include "uvmas/core/error.hpp"

#include <iostream>

namespace uvmas {

// The coroutine that owns one spawned task. Its promise is the list node the
// group tracks; at its end it unlinks itself and frees its own frame.
struct TaskGroup::Runner {
  struct promise_type : detail::ListNode {
    // Recycled like Task frames: a spawn per in-container coroutine call must not cost a malloc.
    static void* operator new(std::size_t size) { return detail::FramePool::allocate(size); }
    static void operator delete(void* p, std::size_t size) noexcept { detail::FramePool::deallocate(p, size); }

    TaskGroup* group = nullptr;

    Runner get_return_object() noexcept { return Runner{std::coroutine_handle<promise_type>::from_promise(*this)}; }
    std::suspend_always initial_suspend() const noexcept { return {}; }
    struct Final {
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<promise_type> h) const noexcept {
        TaskGroup* g = h.promise().group;
        h.destroy();  // unlinks the node
        if (g) g->finished();
      }
      void await_resume() const noexcept {}
    };
    Final final_suspend() const noexcept { return {}; }
    void return_void() const noexcept {}
    void unhandled_exception() const noexcept {}  // run() catches everything
  };
  std::coroutine_handle<promise_type> handle;
};

TaskGroup::TaskGroup(Loop& loop, std::string name) : loop_(loop), name_(std::move(name)) {}

TaskGroup::~TaskGroup() {
  cancel();
  joiners_.clear();
}

TaskGroup::Runner TaskGroup::run(TaskGroup* group, Task<> task) {
  try {
    co_await std::move(task);
  } catch (...) {
    group->report(std::current_exception());
  }
}

void TaskGroup::spawn(Task<> task) {
  Runner r = run(this, std::move(task));
  r.handle.promise().group = this;
  runners_.push_back(r.handle.promise());
  ++count_;
  r.handle.resume();
}

void TaskGroup::finished() noexcept {
  --count_;
  if (count_ == 0) {
    while (ResumeSoon* j = joiners_.pop_front()) loop_.call_soon(*j);
  }
}

void TaskGroup::cancel() noexcept {
  while (detail::ListNode* node = runners_.pop_front()) {
    auto& promise = static_cast<Runner::promise_type&>(*node);
    promise.group = nullptr;
    std::coroutine_handle<Runner::promise_type>::from_promise(promise).destroy();
    --count_;
  }
  if (count_ == 0) {
    while (ResumeSoon* j = joiners_.pop_front()) loop_.call_soon(*j);
  }
}

void TaskGroup::report(std::exception_ptr e) noexcept {
  if (on_error_) {
    try {
      on_error_(e);
      return;
    } catch (...) {
    }
  }
  std::cerr << "uvmas: " << name_ << " failed: " << describe(e).line() << std::endl;
}

namespace {
struct JoinAwaiter {
  detail::IntrusiveList<ResumeSoon>& joiners;
  std::size_t& count;
  ResumeSoon node;
  bool await_ready() const noexcept { return count == 0; }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    node.handle = h;
    joiners.push_back(node);
  }
  void await_resume() const noexcept {}
};

// Runs `fire` from the loop's soon queue once, from a clean stack.
struct DeferredCancel final : SoonCallback {
  TaskGroup* group = nullptr;
  void fire() override { group->cancel(); }
};
}  // namespace

Task<> TaskGroup::join() { co_await JoinAwaiter{joiners_, count_, {}}; }

Task<> TaskGroup::cancel_and_wait() {
  if (count_ == 0) co_return;
  // The cancellation runs from the soon queue, never from inside a task of
  // this group; if this coroutine belongs to the group it is destroyed there.
  DeferredCancel deferred;
  deferred.group = this;
  loop_.call_soon(deferred);
  co_await JoinAwaiter{joiners_, count_, {}};
}

}  // namespace uvmas
