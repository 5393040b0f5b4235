// UvHandle, the RAII owner of one libuv handle: closing hands the memory to
// libuv, the close callback frees it, nothing reaches the owner afterwards,
// and a loop that ran once after the owners went has no handle left. Runs on
// a bare uv_loop_t so the only handles are the test's own.

#include <uvmas/core/detail/uv_handle.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <utility>

namespace {

using uvmas::detail::owner_of;
using uvmas::detail::UvHandle;

class BareLoop {
 public:
  BareLoop() { EXPECT_EQ(uv_loop_init(&loop_), 0); }
  ~BareLoop() {
    run_once();
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle is still open";
  }
  BareLoop(const BareLoop&) = delete;
  BareLoop& operator=(const BareLoop&) = delete;

  uv_loop_t* get() noexcept { return &loop_; }
  /// Runs what is due without blocking (close callbacks among it).
  void run_once() { uv_run(&loop_, UV_RUN_NOWAIT); }
  /// Handles the loop still knows, closing ones included.
  int handles() {
    int n = 0;
    uv_walk(&loop_, [](uv_handle_t*, void* arg) { ++*static_cast<int*>(arg); }, &n);
    return n;
  }

 private:
  uv_loop_t loop_{};
};

struct Owner {
  int fired = 0;
};

void count_fire(uv_timer_t* t) {
  if (auto* o = owner_of<Owner>(t)) ++o->fired;
}

TEST(UvHandle, AnInitialisedHandleIsClosedAndFreedWhenItsOwnerGoes) {
  BareLoop loop;
  Owner owner;
  {
    UvHandle<uv_timer_t> timer;
    ASSERT_EQ(timer.init(uv_timer_init, loop.get(), &owner), 0);
    EXPECT_TRUE(timer);
    EXPECT_EQ(owner_of<Owner>(timer.get()), &owner);
    EXPECT_EQ(loop.handles(), 1);
  }
  EXPECT_EQ(loop.handles(), 1);  // closing: libuv still holds the memory
  loop.run_once();
  EXPECT_EQ(loop.handles(), 0);
}

TEST(UvHandle, NoCallbackReachesTheOwnerAfterClose) {
  BareLoop loop;
  Owner owner;
  UvHandle<uv_timer_t> timer;
  ASSERT_EQ(timer.init(uv_timer_init, loop.get(), &owner), 0);
  ASSERT_EQ(uv_timer_start(timer.get(), &count_fire, 0, 0), 0);
  timer.close();
  EXPECT_FALSE(timer);
  timer.close();  // idempotent
  loop.run_once();
  EXPECT_EQ(owner.fired, 0);
  EXPECT_EQ(loop.handles(), 0);
}

TEST(UvHandle, ARunningHandleCallsItsOwnerWhileOpen) {
  BareLoop loop;
  Owner owner;
  UvHandle<uv_timer_t> timer;
  ASSERT_EQ(timer.init(uv_timer_init, loop.get(), &owner), 0);
  ASSERT_EQ(uv_timer_start(timer.get(), &count_fire, 0, 0), 0);
  uv_run(loop.get(), UV_RUN_DEFAULT);  // returns once the one-shot timer fired
  EXPECT_EQ(owner.fired, 1);
  timer.close();
}

TEST(UvHandle, AHandleNeverInitialisedIsFreedWithoutLibuv) {
  BareLoop loop;
  {
    UvHandle<uv_timer_t> timer;
    EXPECT_FALSE(timer);
    EXPECT_NE(timer.get(), nullptr);
  }
  EXPECT_EQ(loop.handles(), 0);
}

TEST(UvHandle, AFailedInitLeavesTheHandleUnopened) {
  BareLoop loop;
  UvHandle<uv_tcp_t> tcp;
  // An address family libuv refuses: the init reports it and opens nothing.
  EXPECT_LT(tcp.init(uv_tcp_init_ex, loop.get(), nullptr, 12345u), 0);
  EXPECT_FALSE(tcp);
  EXPECT_EQ(loop.handles(), 0);
}

TEST(UvHandle, MovingPassesTheHandleAndAssigningClosesTheOldOne) {
  BareLoop loop;
  Owner first, second;
  UvHandle<uv_timer_t> a;
  ASSERT_EQ(a.init(uv_timer_init, loop.get(), &first), 0);
  uv_timer_t* raw = a.get();
  UvHandle<uv_timer_t> b(std::move(a));
  EXPECT_FALSE(a);
  EXPECT_TRUE(b);
  EXPECT_EQ(b.get(), raw);

  UvHandle<uv_timer_t> c;
  ASSERT_EQ(c.init(uv_timer_init, loop.get(), &second), 0);
  EXPECT_EQ(loop.handles(), 2);
  c = std::move(b);  // c's own timer is closed
  EXPECT_EQ(c.get(), raw);
  loop.run_once();
  EXPECT_EQ(loop.handles(), 1);
  c.close();
  loop.run_once();
  EXPECT_EQ(loop.handles(), 0);
}

}  // namespace
