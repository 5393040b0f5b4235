#pragma once
/// The timer queue shared by WallClock and ExternalClock (private header).
///
/// Layout, chosen for `ExternalClock::set_time` (target: <= 50 ns per due
/// timer with 100 000 pending):
/// * a 4-ary min-heap of 16-byte POD entries (deadline, order), where order =
///   insertion sequence << 24 | slot index, so the heap compares two numbers
///   and never touches the slots while sifting (4 children share a cache line);
/// * a pool of slots in fixed-size chunks (stable addresses, because a slot is
///   also the loop's soon-queue node) with a free list: scheduling reuses a
///   slot, firing allocates nothing.
/// Cancellation is lazy: a cancelled entry stays in the heap as dead weight
/// until it reaches the top (where it is pruned at once, so the top is always
/// live) or until dead entries outnumber live ones (then the heap is rebuilt).

#include <uvmas/clocks/clock.hpp>
#include <uvmas/core/loop.hpp>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace uvmas::detail {

class TimerQueue;

/// One scheduled callback or sleeper. It is the loop's soon-queue node once due.
struct TimerSlot final : SoonCallback {
  enum class State : std::uint8_t { free, scheduled, due, fired, cancelled };

  TimerQueue* queue = nullptr;
  Clock::Callback fn;                    // callback timers
  std::coroutine_handle<> waiter;        // sleepers
  TimerSlot** waiter_ref = nullptr;      // the sleeper's pointer to this slot (cleared on detach)
  std::uint32_t index = 0;
  std::uint32_t next_free = 0;
  std::uint32_t handles = 0;             // TimerHandles referring to this slot
  State state = State::free;
  bool in_heap = false;

  void fire() override;
};

class TimerQueue {
 public:
  /// Slots are addressed with 24 bits inside a heap entry.
  static constexpr std::uint32_t max_slots = 1u << 24;

  TimerQueue(Loop& loop, Clock* owner);
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  /// Schedules `fn` at `deadline`; the returned slot has one handle reference.
  TimerSlot& schedule_callback(double deadline, Clock::Callback fn);
  /// Schedules the resumption of `h` at `deadline`; `*ref` is cleared when the
  /// slot lets go of the sleeper (resumed or detached).
  TimerSlot& schedule_sleeper(double deadline, std::coroutine_handle<> h, TimerSlot** ref);

  /// TimerHandle::cancel.
  void cancel(TimerSlot& s) noexcept;
  /// A sleeper's frame was destroyed while it waited.
  void abandon(TimerSlot& s) noexcept;
  void add_handle(TimerSlot& s) noexcept { ++s.handles; }
  void drop_handle(TimerSlot& s) noexcept;

  /// Pops every live entry with deadline <= t, in (deadline, insertion) order,
  /// onto the loop's soon queue; returns how many. Does not notify the owner.
  std::size_t release_due(double t);

  std::optional<double> next_deadline() const noexcept {
    if (heap_.empty()) return std::nullopt;
    return heap_.front().deadline;
  }
  std::size_t pending() const noexcept { return live_; }

  /// Drops every scheduled or due entry (handles report cancelled, sleepers are detached).
  void cancel_all() noexcept;
  /// cancel_all, and forget the owner: the clock is being destroyed.
  void close() noexcept;
  bool closed() const noexcept { return owner_ == nullptr; }

  /// Called by a slot when it fires: frees it if nothing refers to it any more.
  void maybe_free(TimerSlot& s) noexcept;

 private:
  struct Entry {
    double deadline;
    std::uint64_t order;  // sequence << 24 | slot index
  };
  static bool before(const Entry& a, const Entry& b) noexcept {
    return a.deadline < b.deadline || (a.deadline == b.deadline && a.order < b.order);
  }
  static constexpr std::uint32_t chunk_bits = 10;
  static constexpr std::uint32_t chunk_size = 1u << chunk_bits;
  static constexpr std::uint64_t max_sequence = (std::uint64_t{1} << 40) - 1;
  static constexpr std::uint32_t no_slot = 0xffffffffu;

  TimerSlot& slot(std::uint32_t i) noexcept { return chunks_[i >> chunk_bits][i & (chunk_size - 1)]; }
  TimerSlot& slot_of(const Entry& e) noexcept { return slot(static_cast<std::uint32_t>(e.order & (max_slots - 1))); }
  TimerSlot& allocate();
  void free_slot(TimerSlot& s) noexcept;
  void push(double deadline, TimerSlot& s);
  void pop_top() noexcept;
  void sift_up(std::size_t i, Entry e) noexcept;
  void sift_down(std::size_t i, Entry e) noexcept;
  void prune() noexcept;
  void compact() noexcept;
  void renumber() noexcept;
  void mark_dead(TimerSlot& s) noexcept;
  void notify() noexcept;

  Loop& loop_;
  Clock* owner_;
  std::vector<Entry> heap_;
  std::vector<std::unique_ptr<TimerSlot[]>> chunks_;
  std::uint32_t free_head_ = no_slot;
  std::uint32_t slot_count_ = 0;
  std::uint64_t next_sequence_ = 0;
  std::size_t live_ = 0;  // scheduled entries in the heap
  std::size_t dead_ = 0;  // cancelled entries still in the heap
};

}  // namespace uvmas::detail
