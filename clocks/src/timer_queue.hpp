#pragma once
/// The timer queue shared by WallClock and ExternalClock (private header).
///
/// Layout, chosen for `ExternalClock::set_time` (target: <= 50 ns per due
/// timer with 100 000 pending):
/// * every entry is one 16-byte key: the deadline mapped to an
///   order-preserving integer in the high half, insertion sequence << 24 |
///   slot index in the low half, so one 128-bit comparison gives (deadline,
///   insertion) order;
/// * the keys sit in a radix heap (time only moves forward): 65 buckets,
///   bucket i > 0 holding keys whose highest bit differing from `last_` (the
///   last released time) is bit i-1, bucket 0 the keys <= `last_`. Releasing
///   everything <= t takes whole buckets below t, splits the one bucket that
///   straddles t into lower buckets (or, when that bucket is big, sorts it
///   once into a sorted run that later calls take from the front), and
///   radix-sorts only the released runs, in place. Nearly all of it is
///   sequential memory access; a binary heap pays several cache misses per
///   pop once 100 000 timers no longer fit in L2. A key moves down at most
///   64 times in its life (in practice a few);
/// * releasing touches no memory the queue has not used before: sorting
///   needs no scratch, and when the released FIFO is empty the buffer that
///   holds most of the due keys (the sorted run or the batch) becomes it, its
///   cancelled keys filtered out in place. On a fresh clock a page fault
///   costs more than sorting the page's keys;
/// * the state of every slot lives in a dense array (2 bytes per slot), so
///   `set_time` never touches the slots themselves: it appends the due keys to
///   a FIFO and queues ONE soon-callback per call, which later resumes the
///   sleepers and runs the callbacks in order (prefetching the slots);
/// * slots (callback, sleeper, handle count) sit in fixed-size chunks with a
///   free list: scheduling reuses a slot, firing allocates nothing.
/// Cancellation is lazy: a cancelled key stays where it is until released
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

/// One scheduled callback or sleeper (its state is in TimerQueue::states_).
struct TimerSlot {
  std::uint32_t index = 0;
  std::uint32_t next_free = 0;
  std::uint32_t handles = 0;             // TimerHandles referring to this slot
  std::coroutine_handle<> waiter;        // sleepers
  TimerSlot** waiter_ref = nullptr;      // the sleeper's pointer to this slot (cleared on detach)
  Clock::Callback fn;                    // callback timers
};

enum class TimerState : std::uint8_t { free, scheduled, due, fired, cancelled };

class TimerQueue : public std::enable_shared_from_this<TimerQueue> {
 public:
  /// Slots are addressed with 24 bits inside a key.
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
  TimerState state(const TimerSlot& s) const noexcept { return states_[s.index].state; }

  /// Releases every live entry with deadline <= t, in (deadline, insertion)
  /// order, to the loop (one soon-callback runs them all); returns how many.
  /// Does not notify the owner.
  std::size_t release_due(double t);

  /// Earliest live deadline (cached; a miss scans the lowest non-empty buckets).
  std::optional<double> next_deadline() const noexcept;
  std::size_t pending() const noexcept { return live_; }

  /// Drops every scheduled or due entry (handles report cancelled, sleepers are detached).
  void cancel_all() noexcept;
  /// cancel_all, and forget the owner: the clock is being destroyed.
  void close() noexcept;
  bool closed() const noexcept { return owner_ == nullptr; }

 private:
  __extension__ using Key = unsigned __int128;  // time_key << 64 | sequence << 24 | slot
  struct SlotState {
    TimerState state = TimerState::free;
    bool has_key = false;  // a key for the slot is in a bucket or in the released FIFO
  };
  // Runs one set_time's worth of released keys from the loop.
  struct Dispatch final : SoonCallback {
    TimerQueue* queue = nullptr;
    std::size_t count = 0;
    void fire() override { queue->dispatch(*this); }
  };

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
  struct Span {
    std::uint64_t low, high;  // time keys a bucket covers
  };
  Span bucket_span(int i) const noexcept;
  // A straddling bucket this big is sorted and joins the run instead of spilling down.
  bool joins_run(const std::vector<Key>& b) const noexcept;
  TimerSlot& slot(std::uint32_t i) const noexcept { return chunks_[i >> chunk_bits][i & (chunk_size - 1)]; }
  TimerSlot& allocate();
  void free_slot(TimerSlot& s) noexcept;
  void maybe_free(TimerSlot& s) noexcept;
  void push(double deadline, TimerSlot& s);
  void compact() noexcept;
  void renumber();
  void mark_dead(TimerSlot& s) noexcept;
  void notify() noexcept;
  Dispatch& take_dispatch();
  void dispatch(Dispatch& d) noexcept;
  void fire(std::uint32_t i) noexcept;
  // A released key: marks its slot due and says whether it runs; a cancelled key's slot lets go of it.
  bool admit(Key k) noexcept;

  Loop& loop_;
  Clock* owner_;
  std::vector<Key> buckets_[bucket_count];
  std::uint64_t last_ = 0;   // bucket 0: keys <= last_; bucket i: highest bit of (key ^ last_) is i-1
  std::vector<Key> batch_;   // reused by release_due
  std::vector<Key> merged_;  // scratch of release_due's merge into the sorted run
  // Keys > last_ already in order (from big straddling buckets), from run_head_ on.
  std::vector<Key> run_;
  std::size_t run_head_ = 0;
  static constexpr std::size_t min_sorted = 256;  // smaller straddling buckets just spill down
  std::vector<Key> released_;  // due keys not yet run, in order
  std::size_t released_head_ = 0;
  std::uint64_t released_epoch_ = 0;  // bumped when cancel_all empties the FIFO
  std::vector<std::unique_ptr<Dispatch>> dispatches_;
  std::vector<Dispatch*> free_dispatches_;
  mutable Key min_ = 0;      // earliest live key, if min_valid_ and live_ > 0
  mutable bool min_valid_ = true;
  std::vector<std::unique_ptr<TimerSlot[]>> chunks_;
  std::vector<SlotState> states_;
  std::uint32_t free_head_ = no_slot;
  std::uint32_t slot_count_ = 0;
  std::uint64_t next_sequence_ = 0;
  std::size_t live_ = 0;  // scheduled keys in the buckets
  std::size_t dead_ = 0;  // cancelled keys still in the buckets
};

}  // namespace uvmas::detail
