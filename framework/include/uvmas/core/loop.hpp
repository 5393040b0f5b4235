#pragma once
/// Loop: owns one libuv loop. There is no global loop in uvmas; everything
/// that does I/O or waits takes a `Loop&` (or gets it from its container).

#include <uvmas/core/intrusive_list.hpp>
#include <uvmas/core/sigpipe_guard.hpp>
#include <uvmas/core/task.hpp>

#include <coroutine>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <typeindex>
#include <unordered_map>

struct uv_loop_s;
using uv_loop_t = uv_loop_s;

namespace uvmas {

class Loop;
class TaskGroup;

/// Work queued with Loop::call_soon. The node unlinks itself when destroyed,
/// so a queued callback whose owner is gone never runs.
class SoonCallback : public detail::ListNode {
 public:
  virtual void fire() = 0;

 protected:
  ~SoonCallback() = default;
};

/// Resumes a coroutine from the loop's soon queue.
class ResumeSoon final : public SoonCallback {
 public:
  std::coroutine_handle<> handle;
  void fire() override { handle.resume(); }
};

/// Per-loop singletons (e.g. the LocalQueue registry): created on first use
/// by `Loop::service<S>()`, destroyed with the loop. Not a process global.
class LoopService {
 public:
  virtual ~LoopService() = default;
};

/// The event loop. Not copyable or movable; every handle, connection and task
/// created on it must be gone before it is destroyed (the destructor cancels
/// the tasks still spawned on it and closes its own handles).
class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  /// The underlying libuv loop (for transports and clocks).
  uv_loop_t* uv() noexcept { return loop_.get(); }

  /// Runs the loop until `task` completes and returns its result (rethrows its
  /// exception), like `aiomas.run(until=...)`. Throws std::logic_error if the
  /// loop runs out of work while the task still waits (a deadlock).
  template <class T>
  T run(Task<T> task) {
    SigpipeGuard no_sigpipe;  // a peer that went away is an EPIPE, never a dead process
    task.handle().resume();
    drive([&] { return task.done(); });
    return task.result();
  }

  /// Runs the loop until nothing is left to do (no active handle, no queued callback).
  void run_until_idle();
  /// Runs one iteration: polls I/O without blocking and drains the soon queue.
  /// Returns true while there is pending work.
  bool poll();

  /// Queues `cb` to run soon, in FIFO order, from a clean stack (after the
  /// current I/O or timer callback returns). Re-queuing a linked node moves it to the end.
  void call_soon(SoonCallback& cb) noexcept;
  /// True while callbacks wait in the soon queue (part of "is the loop quiet").
  bool has_soon() const noexcept { return !soon_.empty(); }

  /// Awaitable that resumes the awaiting coroutine from the soon queue: lets
  /// others run first, and gets off the current callback's stack.
  auto yield() noexcept {
    struct Awaiter {
      Loop& loop;
      ResumeSoon node;
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<> h) noexcept {
        node.handle = h;
        loop.call_soon(node);
      }
      void await_resume() const noexcept {}
    };
    return Awaiter{*this, {}};
  }

  /// The loop's own task group: `spawn` starts a detached task whose lifetime
  /// the loop tracks; the loop's destructor cancels what is still running.
  TaskGroup& tasks() noexcept { return *tasks_; }
  /// Shorthand for `tasks().spawn(std::move(task))`.
  void spawn(Task<> task);

  /// The loop's instance of service S (constructed as S(Loop&) on first use).
  template <class S>
  S& service() {
    auto& slot = services_[std::type_index(typeid(S))];
    if (!slot) slot = std::make_unique<S>(*this);
    return static_cast<S&>(*slot);
  }

  /// A counter of operations that keep the loop "busy" for quiescence checks:
  /// messages in flight in in-process transports, requests sent and not yet
  /// answered, pending in-process dispatches.
  void add_busy(std::int64_t delta) noexcept { busy_ += delta; }
  std::int64_t busy() const noexcept { return busy_; }
  /// True when nothing can run without outside input: the soon queue is
  /// empty and busy() is 0 (what remains waits for timers or further messages).
  bool quiet() const noexcept { return soon_.empty() && busy_ == 0; }

  /// Awaitable that resumes once the loop is quiet (checked after every I/O
  /// pass, without spinning). Used for quiescence-aware co-simulation steps.
  auto quiescent() noexcept {
    struct Awaiter {
      Loop& loop;
      ResumeSoon node;
      bool await_ready() const noexcept { return loop.quiet(); }
      void await_suspend(std::coroutine_handle<> h) noexcept {
        node.handle = h;
        loop.quiet_waiters_.push_back(node);
        loop.update_idle();
      }
      void await_resume() const noexcept {}
    };
    return Awaiter{*this, {}};
  }

 private:
  // Checks `done` after every batch of work, before blocking for I/O: the
  // task may finish while the soon queue drains, and a listener or an open
  // connection would then keep uv_run waiting for outside input forever.
  template <class Done>
  void drive(Done done) {
    for (;;) {
      drain_soon();
      if (done()) return;
      if (!run_io_once() && !done()) {
        throw std::logic_error("uvmas::Loop::run: the loop has no more work but the task has not completed (deadlock)");
      }
      if (done()) return;
    }
  }
  /// One libuv iteration (blocks for I/O unless callbacks are queued); true while work is left.
  bool run_io_once();
  void drain_soon() noexcept;
  void update_idle() noexcept;

  struct UvLoopDeleter {
    void operator()(uv_loop_t* l) const noexcept;
  };
  struct Handles;

  std::unique_ptr<uv_loop_t, UvLoopDeleter> loop_;
  std::unique_ptr<Handles> handles_;
  detail::IntrusiveList<SoonCallback> soon_;
  detail::IntrusiveList<ResumeSoon> quiet_waiters_;
  std::unique_ptr<TaskGroup> tasks_;
  std::unordered_map<std::type_index, std::unique_ptr<LoopService>> services_;
  std::int64_t busy_ = 0;
  bool idle_active_ = false;
};

}  // namespace uvmas
