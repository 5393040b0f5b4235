#pragma once
/// Loop: owns one libuv loop. There is no global loop in uvmas; everything
/// that does I/O or waits takes a `Loop&` (or gets it from its container).

#include <uvmas/core/detail/intrusive_list.hpp>
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

/// A token for an operation in flight whose end comes by itself (a
/// connection being opened, an armed wall-clock timer): while one is alive
/// the loop is not idle. Move-only; the operation owns it and the loop stops
/// counting it when it is destroyed or released, so it cannot be forgotten.
class Activity {
 public:
  Activity() noexcept = default;
  explicit Activity(Loop& loop) noexcept;
  Activity(Activity&& other) noexcept : loop_(other.loop_) { other.loop_ = nullptr; }
  Activity& operator=(Activity&& other) noexcept {
    if (this != &other) {
      release();
      loop_ = other.loop_;
      other.loop_ = nullptr;
    }
    return *this;
  }
  ~Activity() { release(); }
  /// Ends the activity now (idempotent).
  void release() noexcept;
  explicit operator bool() const noexcept { return loop_ != nullptr; }

 private:
  Loop* loop_ = nullptr;
};

/// The frames one end of a connection sent and handled, counted toward its
/// loop's idle check: a frame is "in flight" from the moment its sender
/// counts it until its receiver has handled it. Owned by the connection end;
/// when the end closes (or the tally is destroyed) its counts leave the
/// loop's balance, since frames in flight on a closed connection are lost. A
/// default-constructed tally counts nothing (control connections).
class FrameTally {
 public:
  FrameTally() noexcept = default;
  explicit FrameTally(Loop& loop) noexcept : loop_(&loop) {}
  FrameTally(FrameTally&& other) noexcept : loop_(other.loop_), balance_(other.balance_) {
    other.loop_ = nullptr;
    other.balance_ = 0;
  }
  FrameTally& operator=(FrameTally&&) = delete;
  ~FrameTally() { close(); }

  /// A frame left this end.
  void sent() noexcept;
  /// A frame that arrived at this end was handled.
  void handled() noexcept;
  /// This end is closed: forget what it counted (idempotent).
  void close() noexcept;

 private:
  Loop* loop_ = nullptr;
  std::int64_t balance_ = 0;
};

/// The event loop. Not copyable or movable; every handle, connection and task
/// created on it must be gone before it is destroyed (the destructor cancels
/// the tasks still spawned on it and closes its own handles). A libuv handle
/// still open after that is a leak: the destructor closes it and logs an
/// error naming its type; with the environment variable
/// `UVMAS_LEAK_CHECK=abort` (set for every uvmas test) it aborts instead, so
/// that a leak fails the test that made it.
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

  /// Runs the loop until it is idle (see quiet(): nothing runnable, no
  /// Activity, no counted frame in flight in this process), or until nothing
  /// can happen any more. Listeners and open connections waiting for input do
  /// not keep it running; an armed wall-clock timer does; ExternalClock
  /// timers do not (the clock's owner releases them).
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

  // -- idle ------------------------------------------------------------------
  // The loop is *idle* (quiet()) when nothing in this process can happen
  // without input from outside it:
  //   1. no callback is runnable (the soon queue is empty);
  //   2. no Activity token is alive: an operation whose end comes by itself
  //      is under way (a connection being opened, a wall-clock timer armed);
  //   3. every counted frame sent from this loop has been received and
  //      handled on this loop (frame_balance() == 0; see FrameTally).
  // What is left then waits for time that only an ExternalClock's owner can
  // give, or for peers in other processes. So a request that was delivered
  // and whose callee waits on the clock is not activity, while a request to
  // a peer in another process (a Python aiomas container, a child
  // container) is, until its reply is handled: its frame counts as sent and
  // not yet handled. Across processes the same counts are summed by
  // ExternalClock::step_to (termination detection).
  //
  // settled() is 1 and 2 only: this process's part of a step across processes.

  /// True when the loop is idle (see above).
  bool quiet() const noexcept { return settled() && frame_balance_ == 0; }
  /// True when nothing is runnable and no Activity is alive (frames may be in
  /// flight to or from other processes).
  bool settled() const noexcept { return soon_.empty() && activities_ == 0; }
  /// Counted frames sent and not yet handled, minus counted frames handled
  /// whose sender is not on this loop (see FrameTally).
  std::int64_t frame_balance() const noexcept { return frame_balance_; }
  /// Grows with every counted frame sent or handled and every counting end
  /// closed: unchanged between two looks means no counted traffic happened.
  std::uint64_t frame_events() const noexcept { return frame_events_; }
  /// Number of Activity tokens alive.
  std::int64_t activities() const noexcept { return activities_; }

  /// Awaitable that resumes once the loop is idle (checked after every I/O
  /// pass, without spinning). Used for quiescence-aware co-simulation steps.
  auto quiescent() noexcept { return IdleAwaiter{*this, true, {}}; }
  /// Awaitable that resumes once the loop is settled().
  auto settled_wait() noexcept { return IdleAwaiter{*this, false, {}}; }

 private:
  friend class Activity;
  friend class FrameTally;
  struct IdleAwaiter {
    Loop& loop;
    bool need_quiet;
    ResumeSoon node;
    bool await_ready() const noexcept { return need_quiet ? loop.quiet() : loop.settled(); }
    void await_suspend(std::coroutine_handle<> h) noexcept {
      node.handle = h;
      (need_quiet ? loop.quiet_waiters_ : loop.settled_waiters_).push_back(node);
      loop.update_idle();
    }
    void await_resume() const noexcept {}
  };
  void wake_idle_waiters() noexcept;

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
  detail::IntrusiveList<ResumeSoon> settled_waiters_;
  std::int64_t activities_ = 0;
  std::int64_t frame_balance_ = 0;
  std::uint64_t frame_events_ = 0;
  bool idle_active_ = false;
};

}  // namespace uvmas
