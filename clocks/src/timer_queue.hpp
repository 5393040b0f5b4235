#pragma once
/// The timer queue shared by WallClock and ExternalClock (private header).
///
/// Layout, chosen for `ExternalClock::set_time` (target: <= 50 ns per due
/// timer with 100 000 pending):
/// * every entry is one 16-byte key: the deadline mapped to an
///   order-preserving integer in the high half, insertion sequence << 24 |
///   slot index in the low half, so one 128-bit comparison gives (deadline,
///   insertion) order without touching the slots;
/// * the keys sit in a radix heap (time only moves forward): 65 buckets,
///   bucket i > 0 holding keys whose highest bit differing from `last_` (the
///   last released time) is bit i-1, bucket 0 the keys <= `last_`. Releasing
///   everything <= t takes whole buckets below t, splits the one bucket that
///   straddles t into lower buckets, and sorts only the released batch. All of
///   it is sequential memory access; a binary heap pays several cache misses
///   per pop once 100 000 timers no longer fit in L2. Each key moves down at
///   most 64 times in its life (in practice a few), so release is amortised
///   O(1) per timer plus the batch sort (O(k log k) for k due timers);
/// * a pool of slots in fixed-size chunks (stable addresses, because a slot is
///   also the loop's soon-queue node) with a free list: scheduling reuses a
///   slot, firing allocates nothing. Released slots are prefetched ahead.
/// Cancellation is lazy: a cancelled key stays in its bucket until released
/// (then skipped) or until dead keys outnumber live ones (then the buckets are
/// filtered). The earliest live key is cached for `next_deadline`.

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
/// Aligned so that what `set_time` touches (the list links and the state)
/// shares one cache line.
struct alignas(32) TimerSlot final : SoonCallback {
  enum class State : std::uint8_t { free, scheduled, due, fired, cancelled };

  State state = State::free;
  bool has_key = false;                  // a key for this slot is in the buckets
  std::uint32_t handles = 0;             // TimerHandles referring to this slot
  std::uint32_t index = 0;
  std::uint32_t next_free = 0;
  TimerQueue* queue = nullptr;
  std::coroutine_handle<> waiter;        // sleepers
  TimerSlot** waiter_ref = nullptr;      // the sleeper's pointer to this slot (cleared on detach)
  Clock::Callback fn;                    // callback timers

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

  /// Earliest live deadline (cached; a miss scans the lowest non-empty buckets).
  std::optional<double> next_deadline() const noexcept;
  std::size_t pending() const noexcept { return live_; }

  /// Drops every scheduled or due entry (handles report cancelled, sleepers are detached).
  void cancel_all() noexcept;
  /// cancel_all, and forget the owner: the clock is being destroyed.
  void close() noexcept;
  bool closed() const noexcept { return owner_ == nullptr; }

  /// Called by a slot when it fires: frees it if nothing refers to it any more.
  void maybe_free(TimerSlot& s) noexcept;

 private:
  __extension__ using Key = unsigned __int128;  // time_key << 64 | sequence << 24 | slot
  static constexpr std::uint32_t chunk_bits = 10;
  static constexpr std::uint32_t chunk_size = 1u << chunk_bits;
  static constexpr std::uint64_t max_sequence = (std::uint64_t{1} << 40) - 1;
  static constexpr std::uint32_t no_slot = 0xffffffffu;
  static constexpr int bucket_count = 65;

  static std::uint64_t time_key(double t) noexcept;
  static double key_time(std::uint64_t k) noexcept;
  static std::uint64_t time_of(Key k) noexcept { return static_cast<std::uint64_t>(k >> 64); }
  static std::uint32_t slot_index(Key k) noexcept { return static_cast<std::uint32_t>(k) & (max_slots - 1); }

  int bucket_of(std::uint64_t tk) const noexcept;
  TimerSlot& slot(std::uint32_t i) const noexcept { return chunks_[i >> chunk_bits][i & (chunk_size - 1)]; }
  TimerSlot& slot_of(Key k) const noexcept { return slot(slot_index(k)); }
  TimerSlot& allocate();
  void free_slot(TimerSlot& s) noexcept;
  void push(double deadline, TimerSlot& s);
  void compact() noexcept;
  void renumber();
  void mark_dead(TimerSlot& s) noexcept;
  void notify() noexcept;

  Loop& loop_;
  Clock* owner_;
  std::vector<Key> buckets_[bucket_count];
  std::uint64_t last_ = 0;   // bucket 0: keys <= last_; bucket i: highest bit of (key ^ last_) is i-1
  std::vector<Key> batch_;   // reused by release_due
  mutable Key min_ = 0;      // earliest live key, if min_valid_ and live_ > 0
  mutable bool min_valid_ = true;
  std::vector<std::unique_ptr<TimerSlot[]>> chunks_;
  std::uint32_t free_head_ = no_slot;
  std::uint32_t slot_count_ = 0;
  std::uint64_t next_sequence_ = 0;
  std::size_t live_ = 0;  // scheduled keys in the buckets
  std::size_t dead_ = 0;  // cancelled keys still in the buckets
};

}  // namespace uvmas::detail
