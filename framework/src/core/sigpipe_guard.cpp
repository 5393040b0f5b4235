#include "uvmas/core/sigpipe_guard.hpp"

#include <pthread.h>

#include <ctime>

namespace uvmas {

namespace {
// Guards nest (a write inside Loop::run): only the outermost one touches the mask.
thread_local int guard_depth = 0;

sigset_t sigpipe_set() noexcept {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGPIPE);
  return s;
}

bool sigpipe_pending() noexcept {
  sigset_t pending;
  sigemptyset(&pending);
  return sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
}
}  // namespace

SigpipeGuard::SigpipeGuard() noexcept {
  if (guard_depth++ > 0) return;
  const sigset_t pipe = sigpipe_set();
  sigset_t old_mask;
  sigemptyset(&old_mask);
  if (pthread_sigmask(SIG_BLOCK, &pipe, &old_mask) != 0) return;
  if (sigismember(&old_mask, SIGPIPE) == 1) return;  // the application blocks it itself: leave it alone
  outermost_ = true;
  // A SIGPIPE already pending belongs to someone else: leave it to them.
  was_pending_ = sigpipe_pending();
}

SigpipeGuard::~SigpipeGuard() {
  --guard_depth;
  if (!outermost_) return;
  const sigset_t pipe = sigpipe_set();
  if (!was_pending_ && sigpipe_pending()) {
    // Raised by a write of ours (which saw EPIPE): consume it before unblocking.
    timespec zero{};
    sigtimedwait(&pipe, nullptr, &zero);
  }
  pthread_sigmask(SIG_UNBLOCK, &pipe, nullptr);
}

}  // namespace uvmas
