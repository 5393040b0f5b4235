#pragma once
/// SigpipeGuard: while one lives, a write to a socket or pipe whose peer is
/// gone fails with EPIPE instead of killing the process. SIGPIPE is blocked on
/// the calling thread only, and one raised meanwhile is discarded when the
/// outermost guard ends; no process-wide setting (signal disposition) changes.
/// The loop holds one while it runs, so every write the transports make is
/// covered; code that writes outside Loop::run can hold its own. Programs
/// started with fork/exec from loop callbacks inherit the blocked mask
/// (ChildProcess resets it in the child).

#include <csignal>

namespace uvmas {

/// Blocks SIGPIPE on this thread for the guard's lifetime (nestable).
class SigpipeGuard {
 public:
  SigpipeGuard() noexcept;
  ~SigpipeGuard();
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  bool outermost_ = false;  // this guard blocked SIGPIPE and restores the mask
  bool was_pending_ = false;
};

}  // namespace uvmas
