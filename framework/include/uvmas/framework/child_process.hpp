#pragma once
/// Child processes for containers in sub-processes (aiomas's subproc): start
/// a program, read the line it prints when ready, stop it, and never leave
/// an orphan — the parent kills what it still owns, and a child that calls
/// `die_with_parent()` exits when its parent dies.

#include <uvmas/core/loop.hpp>
#include <uvmas/core/task.hpp>

#include <memory>
#include <string>
#include <vector>

namespace uvmas {

/// A running child process with a pipe from its stdout. Destroying it sends
/// SIGTERM to a child that is still running (and SIGKILL if it ignores that
/// until the loop ends).
class ChildProcess {
 public:
  /// Starts `argv[0]` (searched in PATH) with `argv`; stdin is /dev/null,
  /// stdout a pipe read by read_line(), stderr inherited.
  /// Throws Error naming the program when it cannot be started.
  static std::unique_ptr<ChildProcess> start(Loop& loop, std::vector<std::string> argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  struct Impl;
  /// Use start(); the key keeps construction inside this class.
  class Key {
    friend class ChildProcess;
    Key() = default;
  };
  ChildProcess(Key, std::unique_ptr<Impl> impl);

  int pid() const noexcept;
  bool running() const noexcept;
  /// The next line the child wrote to stdout (without the newline); throws
  /// ConnectionError when stdout ends first.
  Task<std::string> read_line();
  /// Sends a signal (default SIGTERM) if the child still runs.
  void kill(int signal = 15) noexcept;
  /// Waits for the child to exit; returns its exit status (128+N for signal N).
  Task<int> wait();

 private:
  std::unique_ptr<Impl> impl_;
};

/// Call early in a child's main(): the kernel sends SIGTERM to this process
/// when its parent dies (Linux prctl PR_SET_PDEATHSIG); exits at once if the
/// parent is already gone.
void die_with_parent();

}  // namespace uvmas
