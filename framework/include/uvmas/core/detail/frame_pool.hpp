#pragma once
/// Recycles coroutine frames. Every uvmas call creates a few short-lived
/// Task frames; taking them from per-thread free lists instead of malloc
/// saves most of their cost on the hot paths (an agent-to-agent call in one
/// container, every channel message). Under AddressSanitizer the pool steps
/// aside so that use-after-free in frames is still caught.

#include <cstddef>
#include <new>

namespace uvmas::detail {

/// Frames up to this size are pooled, in classes of `frame_granule` bytes.
inline constexpr std::size_t frame_granule = 64;
inline constexpr std::size_t frame_pool_max = 2048;
/// At most this many free frames are kept per size class and thread.
inline constexpr std::size_t frame_pool_depth = 256;

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool frame_pool_enabled = false;
#else
inline constexpr bool frame_pool_enabled = true;
#endif

class FramePool {
 public:
  static void* allocate(std::size_t size) {
    if (!frame_pool_enabled || size > frame_pool_max) return ::operator new(size);
    Bucket& b = local().buckets[index(size)];
    if (b.head) {
      Node* n = b.head;
      b.head = n->next;
      --b.count;
      return n;
    }
    return ::operator new(round_up(size));
  }
  static void deallocate(void* p, std::size_t size) noexcept {
    if (!frame_pool_enabled || size > frame_pool_max) {
      ::operator delete(p);
      return;
    }
    Pool& pool = local();
    if (pool.closed) {
      ::operator delete(p);
      return;
    }
    Bucket& b = pool.buckets[index(size)];
    if (b.count >= frame_pool_depth) {
      ::operator delete(p);
      return;
    }
    auto* n = static_cast<Node*>(p);
    n->next = b.head;
    b.head = n;
    ++b.count;
  }

 private:
  struct Node {
    Node* next;
  };
  struct Bucket {
    Node* head = nullptr;
    std::size_t count = 0;
  };
  struct Pool {
    Bucket buckets[frame_pool_max / frame_granule];
    bool closed = false;
    ~Pool() {
      closed = true;  // frames freed after this (thread exit) go straight back
      for (auto& b : buckets) {
        while (b.head) {
          Node* n = b.head;
          b.head = n->next;
          ::operator delete(n);
        }
      }
    }
  };
  static std::size_t round_up(std::size_t size) noexcept { return (size + frame_granule - 1) / frame_granule * frame_granule; }
  static std::size_t index(std::size_t size) noexcept { return round_up(size) / frame_granule - 1; }
  static Pool& local() noexcept {
    thread_local Pool pool;
    return pool;
  }
};

}  // namespace uvmas::detail
