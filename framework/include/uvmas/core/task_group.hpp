#pragma once
/// TaskGroup: owned background tasks (aiomas's `asyncio.ensure_future` with a
/// keeper). A spawned task starts at once and runs until its first
/// suspension; the group tracks it until it completes. `cancel()` destroys
/// every task still suspended (each leaf awaiter deregisters itself), and the
/// group's destructor does the same, so nothing outlives its owner.

#include <uvmas/core/detail/intrusive_list.hpp>
#include <uvmas/core/loop.hpp>
#include <uvmas/core/task.hpp>

#include <coroutine>
#include <cstddef>
#include <exception>
#include <functional>
#include <string>

namespace uvmas {

class TaskGroup {
 public:
  /// Called with the exception of a spawned task that failed; the default
  /// prints "uvmas: <what> failed: <message>" on stderr (errors never vanish).
  using ErrorHandler = std::function<void(std::exception_ptr)>;

  explicit TaskGroup(Loop& loop, std::string name = "spawned task");
  ~TaskGroup();
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  /// Starts `task` now; the group keeps it until it completes.
  void spawn(Task<> task);
  template <class T>
  void spawn(Task<T> task) {
    spawn(discard(std::move(task)));
  }

  /// Number of tasks that have not completed yet.
  std::size_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }

  /// Destroys every suspended task now. Must not be called from inside one of
  /// the group's tasks (use `cancel_and_wait`, which defers to the loop).
  void cancel() noexcept;
  /// Cancels every task from a clean stack and waits until the group is empty.
  /// Safe to call from one of the group's own tasks (that task is cancelled too).
  Task<> cancel_and_wait();
  /// Waits until every task has completed.
  Task<> join();

  void set_error_handler(ErrorHandler handler) { on_error_ = std::move(handler); }
  Loop& loop() const noexcept { return loop_; }

 private:
  struct Runner;
  struct Waiter;
  template <class T>
  static Task<> discard(Task<T> task) {
    (void)co_await std::move(task);
  }
  static Runner run(TaskGroup* group, Task<> task);
  void finished() noexcept;
  void report(std::exception_ptr e) noexcept;

  Loop& loop_;
  std::string name_;
  detail::IntrusiveList<detail::ListNode> runners_;
  detail::IntrusiveList<ResumeSoon> joiners_;
  std::size_t count_ = 0;
  ErrorHandler on_error_;
};

}  // namespace uvmas
