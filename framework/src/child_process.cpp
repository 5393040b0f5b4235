#include "uvmas/framework/child_process.hpp"

#include "uvmas/core/error.hpp"
#include "uvmas/core/wait_list.hpp"
#include "uvmas/core/detail/uv_handle.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdlib>

namespace uvmas {

struct ChildProcess::Impl {
  Loop& loop;
  detail::UvHandle<uv_process_t> process;
  detail::UvHandle<uv_pipe_t> out;
  std::string buffer;
  bool out_closed = false;
  bool exited = false;
  int status = -1;
  WaitList waiters;

  explicit Impl(Loop& l) : loop(l) {}

  void wake() { waiters.wake_all(loop); }
};

ChildProcess::ChildProcess(Key, std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<ChildProcess> ChildProcess::start(Loop& loop, std::vector<std::string> argv) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess::start: empty command line");
  auto impl = std::make_unique<Impl>(loop);
  int rc = impl->out.init(uv_pipe_init, loop.uv(), impl.get(), 0);
  if (rc != 0) throw_uv(rc, "pipe for " + argv[0]);

  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  uv_stdio_container_t stdio[3];
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = impl->out.stream();
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  uv_process_options_t options{};
  options.file = args[0];
  options.args = args.data();
  options.stdio_count = 3;
  options.stdio = stdio;
  options.exit_cb = [](uv_process_t* p, int64_t exit_status, int term_signal) {
    auto* self = static_cast<Impl*>(p->data);
    if (!self) return;
    self->exited = true;
    self->status = term_signal ? 128 + term_signal : static_cast<int>(exit_status);
    self->wake();
  };
  // A handle whose uv_spawn failed must still be closed, so it counts as
  // initialised either way and the status is reported separately.
  int spawn_rc = 0;
  impl->process.init(
      [](uv_loop_t* l, uv_process_t* p, const uv_process_options_t* o, int* out) {
        *out = uv_spawn(l, p, o);
        return 0;
      },
      loop.uv(), impl.get(), &options, &spawn_rc);
  if (spawn_rc != 0) throw Error("cannot start " + argv[0] + ": " + uv_message(spawn_rc));
  uv_read_start(
      impl->out.stream(),
      [](uv_handle_t*, std::size_t suggested, uv_buf_t* buf) {
        static thread_local char storage[4096];
        (void)suggested;
        *buf = uv_buf_init(storage, sizeof storage);
      },
      [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
        auto* self = static_cast<Impl*>(s->data);
        if (!self) return;
        if (n > 0) {
          self->buffer.append(buf->base, static_cast<std::size_t>(n));
        } else if (n < 0) {
          self->out_closed = true;
          uv_read_stop(s);
        }
        self->wake();
      });
  return std::make_unique<ChildProcess>(Key{}, std::move(impl));
}

ChildProcess::~ChildProcess() {
  if (impl_ && !impl_->exited && impl_->process) {
    uv_process_kill(impl_->process.get(), SIGTERM);
  }
}

int ChildProcess::pid() const noexcept { return impl_->process ? impl_->process->pid : -1; }
bool ChildProcess::running() const noexcept { return !impl_->exited; }

void ChildProcess::kill(int signal) noexcept {
  if (!impl_->exited && impl_->process) uv_process_kill(impl_->process.get(), signal);
}

Task<std::string> ChildProcess::read_line() {
  for (;;) {
    auto pos = impl_->buffer.find('\n');
    if (pos != std::string::npos) {
      std::string line = impl_->buffer.substr(0, pos);
      impl_->buffer.erase(0, pos + 1);
      co_return line;
    }
    if (impl_->out_closed) throw ConnectionError("the child process closed its output before printing a line");
    co_await impl_->waiters.wait();
  }
}

Task<int> ChildProcess::wait() {
  while (!impl_->exited) co_await impl_->waiters.wait();
  co_return impl_->status;
}

void die_with_parent() {
  pid_t parent = ::getppid();
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  // The parent may have died before prctl took effect.
  if (::getppid() != parent || parent == 1) std::_Exit(0);
}

}  // namespace uvmas
