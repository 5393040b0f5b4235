#include "timer_queue.hpp"

#include <algorithm>
#include <bit>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <utility>

namespace uvmas::detail {

namespace {
// reserve() with geometric growth: reserving the exact size on every call
// would reallocate each time the count grows by one.
template <class V>
void grow(V& v, std::size_t n) {
  if (v.capacity() < n) v.reserve(std::max(n, 2 * v.capacity()));
}

__extension__ using Key = unsigned __int128;

void insertion_sort(Key* a, std::size_t n) noexcept {
  for (std::size_t i = 1; i < n; ++i) {
    const Key k = a[i];
    std::size_t j = i;
    for (; j > 0 && k < a[j - 1]; --j) a[j] = a[j - 1];
    a[j] = k;
  }
}

// In-place MSD radix sort (American flag sort) of a[0, n): no scratch
// memory, so releasing timers on a fresh clock touches no fresh pages (a page
// fault costs more than sorting a page's worth of keys). Each level splits
// the keys' range, not fixed bit positions, into 256 digits: deadlines
// spread over several binary orders of magnitude still split evenly-ish,
// where a digit taken below the highest differing bit would put nearly all
// keys in one or two digits. The digit comes from the deadline (high half)
// while the keys' deadlines differ, else from the insertion sequence.
void sort_keys(Key* a, std::size_t n) noexcept;

// One level of sort_keys: keys whose part (deadline or sequence) lies in
// [lo, lo + 256 << shift) go to digit (part - lo) >> shift.
template <bool ByTime>
void split_keys(Key* a, std::size_t n, std::uint64_t lo, int shift) noexcept {
  auto digit = [lo, shift](Key k) {
    const auto part = static_cast<std::uint64_t>(ByTime ? k >> 64 : k);
    return static_cast<std::uint32_t>((part - lo) >> shift);
  };
  std::uint32_t count[256] = {};
  for (std::size_t i = 0; i < n; ++i) ++count[digit(a[i])];
  Key* head[256];
  Key* end[256];
  Key* p = a;
  for (int d = 0; d < 256; ++d) {
    head[d] = p;
    p += count[d];
    end[d] = p;
  }
  // Each key moves once: take the key at a digit's head, swap it into the
  // head of its own digit, and carry on with the key found there.
  for (std::uint32_t d = 0; d < 256; ++d) {
    while (head[d] != end[d]) {
      Key k = *head[d];
      std::uint32_t kd = digit(k);
      while (kd != d) {
        std::swap(k, *head[kd]++);
        kd = digit(k);
      }
      *head[d]++ = k;
    }
  }
  if (shift == 0 && !ByTime) return;  // each digit holds one value
  p = a;
  for (int d = 0; d < 256; ++d) {
    // With shift 0 a digit's keys share their deadline; the next level sorts on the sequence.
    if (count[d] > 1) sort_keys(p, count[d]);
    p += count[d];
  }
}

void sort_keys(Key* a, std::size_t n) noexcept {
  constexpr std::size_t small = 48;
  if (n <= small) {
    insertion_sort(a, n);
    return;
  }
  auto hi64 = [](Key k) { return static_cast<std::uint64_t>(k >> 64); };
  auto lo64 = [](Key k) { return static_cast<std::uint64_t>(k); };
  // (hi - lo) >> shift < 256, and the largest key's digit is >= 128: every
  // level at least halves the range a digit covers.
  auto shift_for = [](std::uint64_t lo, std::uint64_t hi) {
    return std::max(static_cast<int>(std::bit_width(hi - lo)) - 8, 0);
  };
  std::uint64_t lo = hi64(a[0]);
  std::uint64_t hi = lo;
  for (std::size_t i = 1; i < n; ++i) {
    lo = std::min(lo, hi64(a[i]));
    hi = std::max(hi, hi64(a[i]));
  }
  if (lo != hi) {
    split_keys<true>(a, n, lo, shift_for(lo, hi));
    return;
  }
  lo = hi = lo64(a[0]);
  for (std::size_t i = 1; i < n; ++i) {
    lo = std::min(lo, lo64(a[i]));
    hi = std::max(hi, lo64(a[i]));
  }
  if (lo != hi) split_keys<false>(a, n, lo, shift_for(lo, hi));  // else equal keys (sequences are unique)
}
}  // namespace

TimerQueue::TimerQueue(Loop& loop, Clock* owner) : loop_(loop), owner_(owner) {}

TimerQueue::~TimerQueue() = default;  // queued Dispatch nodes unlink themselves

// -- slots ---------------------------------------------------------------------

TimerSlot& TimerQueue::allocate() {
  if (free_head_ != no_slot) {
    TimerSlot& s = slot(free_head_);
    free_head_ = s.next_free;
    return s;
  }
  if (slot_count_ == max_slots) throw std::length_error("uvmas clock: more than 16777216 timers pending");
  if ((slot_count_ & (chunk_size - 1)) == 0) {
    states_.resize(static_cast<std::size_t>(slot_count_) + chunk_size);
    chunks_.push_back(std::make_unique<TimerSlot[]>(chunk_size));
  }
  TimerSlot& s = slot(slot_count_);
  s.index = slot_count_++;
  return s;
}

void TimerQueue::free_slot(TimerSlot& s) noexcept {
  s.fn = nullptr;
  s.waiter = {};
  states_[s.index] = SlotState{};
  s.next_free = free_head_;
  free_head_ = s.index;
}

void TimerQueue::maybe_free(TimerSlot& s) noexcept {
  const SlotState st = states_[s.index];
  bool finished = st.state == TimerState::fired || st.state == TimerState::cancelled;
  if (finished && !st.has_key && s.handles == 0 && s.waiter_ref == nullptr) free_slot(s);
}

TimerSlot& TimerQueue::schedule_callback(double deadline, Clock::Callback fn) {
  TimerSlot& s = allocate();
  s.fn = std::move(fn);
  s.handles = 1;
  try {
    push(deadline, s);
  } catch (...) {
    s.handles = 0;
    free_slot(s);
    throw;
  }
  return s;
}

TimerSlot& TimerQueue::schedule_sleeper(double deadline, std::coroutine_handle<> h, TimerSlot** ref) {
  TimerSlot& s = allocate();
  s.waiter = h;
  try {
    push(deadline, s);
  } catch (...) {
    free_slot(s);
    throw;
  }
  s.waiter_ref = ref;
  return s;
}

// -- keys ----------------------------------------------------------------------

std::uint64_t TimerQueue::time_key(double t) noexcept {
  t += 0.0;  // -0.0 becomes +0.0: both zeros must compare equal
  auto bits = std::bit_cast<std::uint64_t>(t);
  // Flip negative numbers entirely and set the sign bit of positive ones:
  // unsigned comparison of the result orders like the doubles.
  return (bits >> 63) != 0 ? ~bits : bits | (std::uint64_t{1} << 63);
}

double TimerQueue::key_time(std::uint64_t k) noexcept {
  std::uint64_t bits = (k >> 63) != 0 ? k & ~(std::uint64_t{1} << 63) : ~k;
  return std::bit_cast<double>(bits);
}

int TimerQueue::bucket_of(std::uint64_t tk) const noexcept {
  return tk <= last_ ? 0 : 64 - std::countl_zero(tk ^ last_);
}

void TimerQueue::push(double deadline, TimerSlot& s) {
  if (next_sequence_ > max_sequence) renumber();
  std::uint64_t tk = time_key(deadline);
  Key k = (Key{tk} << 64) | (next_sequence_ << 24) | s.index;
  buckets_[bucket_of(tk)].push_back(k);  // the only step that can throw
  ++next_sequence_;
  states_[s.index] = SlotState{TimerState::scheduled, true};
  if (min_valid_ && (live_ == 0 || k < min_)) {
    min_ = k;
    ++live_;
    notify();
  } else {
    ++live_;
    if (!min_valid_) notify();
  }
}

std::optional<double> TimerQueue::next_deadline() const noexcept {
  if (live_ == 0) return std::nullopt;
  if (!min_valid_) {
    // Buckets hold increasing ranges: the first one with a live key has
    // their minimum; the sorted run's first live key competes with it.
    bool found = false;
    Key best = 0;
    for (const auto& b : buckets_) {
      for (Key k : b) {
        if (states_[slot_index(k)].state == TimerState::scheduled && (!found || k < best)) {
          best = k;
          found = true;
        }
      }
      if (found) break;
    }
    for (std::size_t j = run_head_; j < run_.size(); ++j) {
      if (states_[slot_index(run_[j])].state != TimerState::scheduled) continue;
      if (!found || run_[j] < best) best = run_[j];
      break;
    }
    min_ = best;
    min_valid_ = true;
  }
  return key_time(time_of(min_));
}

// -- release and dispatch ------------------------------------------------------

bool TimerQueue::admit(Key k) noexcept {
  const std::uint32_t i = slot_index(k);
  SlotState& st = states_[i];
  if (st.state == TimerState::scheduled) {
    st.state = TimerState::due;
    return true;
  }
  st.has_key = false;
  --dead_;
  maybe_free(slot(i));
  return false;
}

TimerQueue::Span TimerQueue::bucket_span(int i) const noexcept {
  if (i == 0) return {0, last_};
  // Bucket i holds the keys sharing last_'s bits above i-1 and having bit i-1 set.
  std::uint64_t prefix = i == 64 ? 0 : (last_ >> i) << i;
  std::uint64_t low = prefix | (std::uint64_t{1} << (i - 1));
  return {low, low | ((std::uint64_t{1} << (i - 1)) - 1)};
}

bool TimerQueue::joins_run(const std::vector<Key>& b) const noexcept {
  return b.size() >= min_sorted && 4 * b.size() >= run_.size() - run_head_;
}

std::size_t TimerQueue::release_due(double t) {
  const std::uint64_t limit = time_key(t);
  if (limit < last_) return 0;  // time never goes back
  // Everything that can allocate happens before a key leaves its bucket
  // (bar the straddling bucket's spill into lower buckets), and reserves
  // only what this call needs: on a fresh clock even an untouched
  // reservation costs more than releasing a few thousand timers.
  Dispatch& d = take_dispatch();
  std::size_t to_batch = 0;
  std::size_t to_merge = 0;
  for (int i = 0; i < bucket_count; ++i) {
    const std::vector<Key>& b = buckets_[i];
    if (b.empty()) continue;
    const Span span = bucket_span(i);
    if (span.low > limit) break;
    if (span.high > limit && joins_run(b)) {
      if (run_head_ != run_.size()) to_merge = run_.size() - run_head_ + b.size();
      break;
    }
    to_batch += b.size();
    if (span.high > limit) break;
  }
  grow(batch_, to_batch);
  grow(merged_, to_merge);
  batch_.clear();
  // Buckets cover increasing, disjoint time ranges, so the batch is a
  // sequence of runs already in order relative to each other: sorting each
  // run alone is enough (and cheaper than sorting the whole batch).
  auto sort_run = [this](std::size_t from) { sort_keys(batch_.data() + from, batch_.size() - from); };
  for (int i = 0; i < bucket_count; ++i) {
    std::vector<Key>& b = buckets_[i];
    if (b.empty()) continue;
    std::size_t run = batch_.size();
    if (i > 0) {
      const Span span = bucket_span(i);
      if (span.low > limit) break;  // this and every higher bucket are later than t
      if (span.high > limit) {
        // Straddles t: release its part <= t. A big bucket is sorted once
        // and joins the sorted run whole (its due part is then the run's
        // prefix, taken below; its keys never move between buckets again);
        // a small one spills its later keys down into lower buckets relative
        // to the updated last_ (= limit), which leaves the higher buckets valid.
        last_ = limit;
        if (joins_run(b)) {
          sort_keys(b.data(), b.size());
          if (run_head_ == run_.size()) {
            run_.swap(b);
          } else {
            merged_.clear();
            std::merge(run_.begin() + static_cast<std::ptrdiff_t>(run_head_), run_.end(), b.begin(), b.end(),
                       std::back_inserter(merged_));  // within the capacity reserved above
            run_.swap(merged_);
          }
          run_head_ = 0;
        } else {
          for (Key k : b) {
            if (time_of(k) <= limit) {
              batch_.push_back(k);
            } else {
              buckets_[bucket_of(time_of(k))].push_back(k);
            }
          }
          sort_run(run);
        }
        b.clear();
        break;
      }
    }
    batch_.insert(batch_.end(), b.begin(), b.end());
    b.clear();
    sort_run(run);
  }
  last_ = limit;

  // The due keys are the batch and the run's prefix up to run_due, each in
  // order; they interleave. They join the FIFO of released keys, the
  // cancelled ones leaving on the way. When the FIFO is empty and one of
  // them holds (most of) the due keys, its buffer becomes the FIFO and the
  // keys are filtered where they are: no copy, no fresh memory.
  const std::size_t run_due = static_cast<std::size_t>(
      std::partition_point(run_.begin() + static_cast<std::ptrdiff_t>(run_head_), run_.end(),
                           [limit](Key k) { return time_of(k) <= limit; }) -
      run_.begin());
  if (released_head_ == released_.size()) {
    released_.clear();
    released_head_ = 0;
  }
  const bool fifo_empty = released_.empty();
  const std::size_t waiting = released_.size() - released_head_;  // released by earlier calls, not yet run
  auto filter_in_place = [this](std::size_t from) {
    std::size_t out = from;
    for (std::size_t j = from; j < released_.size(); ++j) {
      const Key k = released_[j];
      if (admit(k)) released_[out++] = k;
    }
    released_.resize(out);
  };
  const std::size_t run_later = run_.size() - run_due;
  try {
    if (fifo_empty && batch_.empty() && run_due - run_head_ >= run_later && run_later <= released_.capacity() &&
        run_due > run_head_) {
      released_.swap(run_);  // run_ now has the FIFO's buffer, big enough for the later keys
      run_.assign(released_.begin() + static_cast<std::ptrdiff_t>(run_due), released_.end());
      released_.resize(run_due);
      released_head_ = run_head_;
      run_head_ = 0;
      filter_in_place(released_head_);
    } else if (fifo_empty && run_due == run_head_ && !batch_.empty()) {
      released_.swap(batch_);
      filter_in_place(0);
    } else {
      grow(released_, released_.size() + batch_.size() + (run_due - run_head_));
      const Key* r = run_.data() + run_head_;
      const Key* r_end = run_.data() + run_due;
      const Key* q = batch_.data();
      const Key* q_end = q + batch_.size();
      while (q != q_end && r != r_end) {
        const Key k = *r < *q ? *r++ : *q++;
        if (admit(k)) released_.push_back(k);  // within the capacity reserved above
      }
      for (; q != q_end; ++q) {
        if (admit(*q)) released_.push_back(*q);
      }
      for (; r != r_end; ++r) {
        if (admit(*r)) released_.push_back(*r);
      }
      run_head_ = run_due;
    }
  } catch (...) {
    // Out of memory before any key was released: the batch (all <= last_)
    // waits in the emptied bucket 0, the run keeps its due prefix; the next
    // call releases them.
    buckets_[0].swap(batch_);
    free_dispatches_.push_back(&d);
    throw;
  }
  if (run_head_ == run_.size()) {
    run_.clear();
    run_head_ = 0;
  }
  const std::size_t fired = released_.size() - released_head_ - waiting;
  live_ -= fired;
  if (fired > 0) {
    min_valid_ = false;
    d.count = fired;
    loop_.call_soon(d);
  } else {
    free_dispatches_.push_back(&d);  // capacity reserved in take_dispatch
  }
  return fired;
}

TimerQueue::Dispatch& TimerQueue::take_dispatch() {
  if (free_dispatches_.empty()) {
    auto d = std::make_unique<Dispatch>();
    d->queue = this;
    // Room to return every node to the free list without allocating.
    free_dispatches_.reserve(dispatches_.size() + 1);
    dispatches_.push_back(std::move(d));
    return *dispatches_.back();
  }
  Dispatch* d = free_dispatches_.back();
  free_dispatches_.pop_back();
  return *d;
}

void TimerQueue::dispatch(Dispatch& d) noexcept {
  // A callback may destroy the clock, cancel everything or call set_time
  // again: keep the queue alive, read the FIFO by index, and stop if
  // cancel_all emptied it.
  std::shared_ptr<TimerQueue> keep = shared_from_this();
  const std::size_t n = d.count;
  d.count = 0;
  free_dispatches_.push_back(&d);
  const std::uint64_t epoch = released_epoch_;
  constexpr std::size_t ahead = 8;
  for (std::size_t j = 0; j < n && released_epoch_ == epoch; ++j) {
    // Slots are scattered in memory: fetch a few ahead so that the misses overlap.
    if (released_head_ + ahead < released_.size()) {
      __builtin_prefetch(&slot(slot_index(released_[released_head_ + ahead])), 1);
    }
    std::uint32_t i = slot_index(released_[released_head_++]);
    states_[i].has_key = false;
    if (states_[i].state == TimerState::due) {
      fire(i);
    } else {
      maybe_free(slot(i));  // cancelled after set_time released it
    }
  }
  if (released_epoch_ == epoch && released_head_ == released_.size()) {
    released_.clear();
    released_head_ = 0;
  }
}

void TimerQueue::fire(std::uint32_t i) noexcept {
  TimerSlot& s = slot(i);
  states_[i].state = TimerState::fired;
  if (s.waiter_ref) {
    // Let go of the slot before resuming: the sleeper may schedule again,
    // reuse this very slot, or destroy the clock.
    std::coroutine_handle<> h = std::exchange(s.waiter, {});
    *std::exchange(s.waiter_ref, nullptr) = nullptr;
    maybe_free(s);
    h.resume();
    return;
  }
  // Same reason: the callback runs from a local, after the slot is released.
  Clock::Callback f = std::move(s.fn);
  s.fn = nullptr;
  maybe_free(s);
  try {
    if (f) f();
  } catch (const std::exception& e) {
    std::cerr << "uvmas: clock callback failed: " << e.what() << std::endl;
  } catch (...) {
    std::cerr << "uvmas: clock callback failed with a non-standard exception" << std::endl;
  }
}

// -- cancellation --------------------------------------------------------------

void TimerQueue::mark_dead(TimerSlot& s) noexcept {
  states_[s.index].state = TimerState::cancelled;
  --live_;
  ++dead_;
  if (min_valid_ && slot_index(min_) == s.index) {
    min_valid_ = false;
    notify();
  }
  if (dead_ > 64 && dead_ > live_) {
    // Many cancelled timers (e.g. with_timeout around fast calls) would
    // otherwise keep the buckets large.
    compact();
  }
}

void TimerQueue::cancel(TimerSlot& s) noexcept {
  // The callback's captures are destroyed last, with the queue consistent:
  // their destructors may use the clock again.
  Clock::Callback dropped = std::move(s.fn);
  s.fn = nullptr;
  TimerState st = states_[s.index].state;
  if (st == TimerState::scheduled) {
    mark_dead(s);
  } else if (st == TimerState::due) {
    states_[s.index].state = TimerState::cancelled;  // the dispatcher skips it
  }
}

void TimerQueue::abandon(TimerSlot& s) noexcept {
  s.waiter_ref = nullptr;
  s.waiter = {};
  TimerState st = states_[s.index].state;
  if (st == TimerState::scheduled) {
    mark_dead(s);
  } else if (st == TimerState::due) {
    states_[s.index].state = TimerState::cancelled;
  } else {
    maybe_free(s);
  }
}

void TimerQueue::drop_handle(TimerSlot& s) noexcept {
  --s.handles;
  maybe_free(s);
}

void TimerQueue::cancel_all() noexcept {
  std::vector<Clock::Callback> dropped;
  for (auto& b : buckets_) {
    for (Key k : b) states_[slot_index(k)].has_key = false;
    b.clear();
  }
  for (std::size_t j = run_head_; j < run_.size(); ++j) states_[slot_index(run_[j])].has_key = false;
  run_.clear();
  run_head_ = 0;
  for (std::size_t j = released_head_; j < released_.size(); ++j) states_[slot_index(released_[j])].has_key = false;
  released_.clear();
  released_head_ = 0;
  ++released_epoch_;
  for (auto& d : dispatches_) {
    if (d->linked()) {
      d->unlink();
      d->count = 0;
      free_dispatches_.push_back(d.get());
    }
  }
  live_ = dead_ = 0;
  min_valid_ = true;
  for (std::uint32_t i = 0; i < slot_count_; ++i) {
    TimerSlot& s = slot(i);
    TimerState st = states_[i].state;
    if (st != TimerState::scheduled && st != TimerState::due) {
      if (st != TimerState::free) maybe_free(s);
      continue;
    }
    states_[i].state = TimerState::cancelled;
    if (s.fn) {
      try {
        dropped.push_back(std::move(s.fn));
      } catch (...) {
        // Out of memory: destroy the callback here instead.
      }
      s.fn = nullptr;
    }
    if (s.waiter_ref) *std::exchange(s.waiter_ref, nullptr) = nullptr;  // detach; the owner cancels the sleeper
    s.waiter = {};
    maybe_free(s);
  }
  notify();
  // `dropped` dies here, after the queue is consistent again.
}

void TimerQueue::close() noexcept {
  owner_ = nullptr;
  cancel_all();
}

void TimerQueue::notify() noexcept {
  if (owner_) owner_->timers_changed();
}

void TimerQueue::compact() noexcept {
  // Keeps the live keys of keys[from, end) at the front; lets go of the dead.
  auto keep_live = [this](std::vector<Key>& keys, std::size_t from) {
    std::size_t j = 0;
    for (std::size_t r = from; r < keys.size(); ++r) {
      const Key k = keys[r];
      std::uint32_t i = slot_index(k);
      if (states_[i].state == TimerState::scheduled) {
        keys[j++] = k;
      } else {
        states_[i].has_key = false;
        maybe_free(slot(i));
      }
    }
    keys.resize(j);
  };
  for (auto& b : buckets_) keep_live(b, 0);
  keep_live(run_, run_head_);
  run_head_ = 0;
  dead_ = 0;
}

void TimerQueue::renumber() {
  // 2^40 insertions happened: restart the sequence in (deadline, sequence)
  // order, which keeps the relative order. Buckets depend on time only.
  std::vector<Key> keys;
  keys.reserve(live_ + dead_);
  for (auto& b : buckets_) keys.insert(keys.end(), b.begin(), b.end());
  keys.insert(keys.end(), run_.begin() + static_cast<std::ptrdiff_t>(run_head_), run_.end());
  run_.clear();
  run_head_ = 0;
  std::sort(keys.begin(), keys.end());
  for (auto& b : buckets_) b.clear();
  constexpr Key low_mask = (Key{1} << 64) - 1;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    Key k = (keys[i] & ~low_mask) | (static_cast<std::uint64_t>(i) << 24) | slot_index(keys[i]);
    buckets_[bucket_of(time_of(k))].push_back(k);
  }
  next_sequence_ = keys.size();
  min_valid_ = false;
}

}  // namespace uvmas::detail
