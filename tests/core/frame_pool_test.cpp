// FramePool: freed frames come back for frames of their size class, and the
// memory handed out is usable. Each test runs on a thread of its own, so the
// per-thread pool starts empty and the test's frames are the only ones in it.

#include <uvmas/core/detail/frame_pool.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <thread>

namespace {

using uvmas::detail::frame_granule;
using uvmas::detail::frame_pool_enabled;
using uvmas::detail::frame_pool_max;
using uvmas::detail::FramePool;

void on_fresh_thread(const std::function<void()>& body) { std::thread(body).join(); }

TEST(FramePool, AFreedFrameServesTheNextFrameOfItsSizeClass) {
  if (!frame_pool_enabled) GTEST_SKIP() << "the pool steps aside under AddressSanitizer";
  on_fresh_thread([] {
    void* p = FramePool::allocate(frame_granule + 1);
    FramePool::deallocate(p, frame_granule + 1);
    void* q = FramePool::allocate(2 * frame_granule);  // rounds up to the same class
    EXPECT_EQ(q, p);
    FramePool::deallocate(q, 2 * frame_granule);
  });
}

TEST(FramePool, FreedFramesComeBackLastFreedFirst) {
  if (!frame_pool_enabled) GTEST_SKIP() << "the pool steps aside under AddressSanitizer";
  on_fresh_thread([] {
    void* a = FramePool::allocate(100);
    void* b = FramePool::allocate(100);
    FramePool::deallocate(a, 100);
    FramePool::deallocate(b, 100);
    void* first = FramePool::allocate(100);
    void* second = FramePool::allocate(100);
    EXPECT_EQ(first, b);
    EXPECT_EQ(second, a);
    FramePool::deallocate(first, 100);
    FramePool::deallocate(second, 100);
  });
}

TEST(FramePool, AFrameOfAnotherSizeClassIsNotHandedOut) {
  on_fresh_thread([] {
    void* p = FramePool::allocate(frame_granule);
    FramePool::deallocate(p, frame_granule);
    // While the pool keeps p, the heap cannot hand it out either.
    void* q = FramePool::allocate(frame_granule + 1);
    if (frame_pool_enabled) {
      EXPECT_NE(q, p);
    }
    FramePool::deallocate(q, frame_granule + 1);
  });
}

TEST(FramePool, FramesAreAlignedAndUsableForTheirWholeSize) {
  on_fresh_thread([] {
    for (std::size_t size : {std::size_t{1}, frame_granule, frame_granule + 1, frame_pool_max, frame_pool_max + 1}) {
      void* p = FramePool::allocate(size);
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % alignof(std::max_align_t), 0u) << size;
      std::memset(p, 0xAB, size);  // a short block would show under ASan
      FramePool::deallocate(p, size);
    }
  });
}

}  // namespace
