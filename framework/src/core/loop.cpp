#include "uvmas/core/loop.hpp"

#include "uvmas/core/error.hpp"
#include "uvmas/core/task_group.hpp"
#include "uvmas/core/detail/uv_handle.hpp"

#include "uvmas/core/log.hpp"

#include <uv.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace uvmas {

// The soon queue is drained from two places: a check handle (right after I/O
// callbacks, so work queued by a read runs in the same iteration, and writes
// it queues are flushed before the loop blocks again) and an idle handle that
// is active only while the queue is non-empty (it keeps uv_run from blocking).
struct Loop::Handles {
  detail::UvHandle<uv_check_t> check;
  detail::UvHandle<uv_idle_t> idle;
};

namespace {
// A handle left open when the loop goes belongs to an object that outlived
// its loop or never closed it: named in an error line, and fatal where leaks
// must fail (UVMAS_LEAK_CHECK=abort, as the tests run).
void report_leaked_handles(const std::string& types) noexcept {
  const std::string text = "loop destroyed with libuv handles still open (" + types + ")";
  const char* check = std::getenv("UVMAS_LEAK_CHECK");
  if (check && std::string_view(check) == "abort") {
    std::fprintf(stderr, "uvmas: %s\n", text.c_str());
    std::abort();
  }
  log(LogLevel::error, text);
}

// Frees a stream handle an operation owned: closing it cancels the
// operation, which lets go of the memory (see detail::operation_owned).
void free_operation_owned(uv_handle_t* h) noexcept {
  switch (uv_handle_get_type(h)) {
    case UV_TCP:
      std::unique_ptr<uv_tcp_t>(reinterpret_cast<uv_tcp_t*>(h)).reset();
      break;
    case UV_NAMED_PIPE:
      std::unique_ptr<uv_pipe_t>(reinterpret_cast<uv_pipe_t*>(h)).reset();
      break;
    default:
      break;
  }
}
}  // namespace

void Loop::UvLoopDeleter::operator()(uv_loop_t* l) const noexcept {
  // Close whatever handle is left, let the close callbacks run, then close the
  // loop. A handle that still names an owner (data) is a leak; one marked
  // operation-owned belongs to a graceful close in flight, freed here; one
  // without data belongs to an operation that frees itself (a connect).
  std::string leaked;
  uv_walk(
      l,
      [](uv_handle_t* h, void* arg) {
        if (uv_is_closing(h)) return;
        if (uv_handle_get_data(h) == detail::operation_owned()) {
          uv_close(h, free_operation_owned);
          return;
        }
        if (uv_handle_get_data(h) != nullptr) {
          auto& types = *static_cast<std::string*>(arg);
          if (!types.empty()) types += ", ";
          types += uv_handle_type_name(uv_handle_get_type(h));
        }
        uv_close(h, nullptr);
      },
      &leaked);
  uv_run(l, UV_RUN_DEFAULT);
  uv_loop_close(l);
  std::unique_ptr<uv_loop_t> owned(l);  // frees the loop memory
  if (!leaked.empty()) report_leaked_handles(leaked);
}

Loop::Loop() : handles_(std::make_unique<Handles>()) {
  auto l = std::make_unique<uv_loop_t>();
  int rc = uv_loop_init(l.get());
  if (rc != 0) throw_uv(rc, "uv_loop_init");
  loop_.reset(l.release());
  loop_->data = this;
  handles_->check.init(uv_check_init, uv(), this);
  uv_check_start(handles_->check.get(), [](uv_check_t* h) {
    if (auto* self = detail::owner_of<Loop>(h)) self->drain_soon();
  });
  uv_unref(handles_->check.handle());  // the check handle alone keeps nothing alive
  handles_->idle.init(uv_idle_init, uv(), this);
  tasks_ = std::make_unique<TaskGroup>(*this, "task spawned on the loop");
}

Loop::~Loop() {
  tasks_->cancel();
  // Let callbacks queued by the cancellation run (they are no-ops by then).
  drain_soon();
  tasks_.reset();
  quiet_waiters_.clear();
  settled_waiters_.clear();
  services_.clear();
  drain_soon();
  soon_.clear();
  handles_.reset();
  // loop_'s deleter closes and runs the remaining close callbacks.
}

void Loop::spawn(Task<> task) { tasks_->spawn(std::move(task)); }

void Loop::call_soon(SoonCallback& cb) noexcept {
  soon_.push_back(cb);
  update_idle();
}

void Loop::update_idle() noexcept {
  // Also while an idle waiter could run: its condition may have become true
  // in a timer callback, and uv_run must not block in poll before the check
  // handle wakes it.
  if (!handles_) return;  // the loop is being destroyed
  bool want = !soon_.empty() || (!quiet_waiters_.empty() && quiet()) || (!settled_waiters_.empty() && settled());
  if (want == idle_active_) return;
  idle_active_ = want;
  if (want) {
    uv_idle_start(handles_->idle.get(), [](uv_idle_t* h) {
      if (auto* self = detail::owner_of<Loop>(h)) self->drain_soon();
    });
  } else {
    uv_idle_stop(handles_->idle.get());
  }
}

void Loop::drain_soon() noexcept {
  // Only what is queued now runs in this pass; work queued meanwhile waits for
  // the next pass, so a task that keeps yielding cannot starve I/O.
  detail::IntrusiveList<SoonCallback> batch;
  batch.splice_back(soon_);
  while (SoonCallback* cb = batch.pop_front()) cb->fire();
  wake_idle_waiters();
  update_idle();
}

void Loop::wake_idle_waiters() noexcept {
  // Idle waiters run when nothing else can: one at a time, since the first
  // may start more work.
  for (;;) {
    if (quiet() && !quiet_waiters_.empty()) {
      quiet_waiters_.pop_front()->handle.resume();
    } else if (settled() && !settled_waiters_.empty()) {
      settled_waiters_.pop_front()->handle.resume();
    } else {
      return;
    }
  }
}

bool Loop::run_io_once() {
  int more = uv_run(loop_.get(), UV_RUN_ONCE);
  return more != 0 || !soon_.empty();
}

bool Loop::poll() {
  SigpipeGuard no_sigpipe;
  if (!soon_.empty()) drain_soon();
  int more = uv_run(loop_.get(), UV_RUN_NOWAIT);
  return more != 0 || !soon_.empty();
}

void Loop::run_until_idle() {
  SigpipeGuard no_sigpipe;
  for (;;) {
    drain_soon();
    if (quiet()) {
      // One non-blocking pass for what already arrived (and close callbacks).
      uv_run(loop_.get(), UV_RUN_NOWAIT);
      drain_soon();
      if (quiet()) return;
      continue;
    }
    if (!run_io_once() && soon_.empty()) return;  // nothing can change any more
  }
}

Activity::Activity(Loop& loop) noexcept : loop_(&loop) { ++loop.activities_; }

void Activity::release() noexcept {
  if (!loop_) return;
  Loop* loop = loop_;
  loop_ = nullptr;
  if (--loop->activities_ == 0) loop->update_idle();
}

void FrameTally::sent() noexcept {
  if (!loop_) return;
  ++balance_;
  ++loop_->frame_balance_;
  ++loop_->frame_events_;
}

void FrameTally::handled() noexcept {
  if (!loop_) return;
  --balance_;
  --loop_->frame_balance_;
  ++loop_->frame_events_;
  if (loop_->frame_balance_ == 0) loop_->update_idle();
}

void FrameTally::close() noexcept {
  if (!loop_) return;
  loop_->frame_balance_ -= balance_;
  ++loop_->frame_events_;
  balance_ = 0;
  Loop* loop = loop_;
  loop_ = nullptr;
  loop->update_idle();
}

}  // namespace uvmas
