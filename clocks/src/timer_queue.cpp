#include "timer_queue.hpp"

#include <algorithm>
#include <bit>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <utility>

namespace uvmas::detail {

void TimerSlot::fire() {
  TimerQueue& q = *queue;
  state = State::fired;
  if (waiter_ref) {
    // Let go of the slot before resuming: the sleeper may schedule again,
    // reuse this very slot, or destroy the clock.
    std::coroutine_handle<> h = std::exchange(waiter, {});
    *std::exchange(waiter_ref, nullptr) = nullptr;
    q.maybe_free(*this);
    h.resume();
    return;
  }
  // Same reason: the callback runs from a local, after the slot is released.
  Clock::Callback f = std::move(fn);
  fn = nullptr;
  q.maybe_free(*this);
  try {
    if (f) f();
  } catch (const std::exception& e) {
    std::cerr << "uvmas: clock callback failed: " << e.what() << std::endl;
  } catch (...) {
    std::cerr << "uvmas: clock callback failed with a non-standard exception" << std::endl;
  }
}

TimerQueue::TimerQueue(Loop& loop, Clock* owner) : loop_(loop), owner_(owner) {}

TimerQueue::~TimerQueue() = default;  // slots unlink themselves from the soon queue

TimerSlot& TimerQueue::allocate() {
  if (free_head_ != no_slot) {
    TimerSlot& s = slot(free_head_);
    free_head_ = s.next_free;
    return s;
  }
  if (slot_count_ == max_slots) throw std::length_error("uvmas clock: more than 16777216 timers pending");
  if ((slot_count_ & (chunk_size - 1)) == 0) chunks_.push_back(std::make_unique<TimerSlot[]>(chunk_size));
  TimerSlot& s = slot(slot_count_);
  s.index = slot_count_++;
  s.queue = this;
  return s;
}

void TimerQueue::free_slot(TimerSlot& s) noexcept {
  s.fn = nullptr;
  s.waiter = {};
  s.state = TimerSlot::State::free;
  s.next_free = free_head_;
  free_head_ = s.index;
}

void TimerQueue::maybe_free(TimerSlot& s) noexcept {
  bool finished = s.state == TimerSlot::State::fired || s.state == TimerSlot::State::cancelled;
  if (finished && !s.has_key && s.handles == 0 && s.waiter_ref == nullptr) free_slot(s);
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
  s.has_key = true;
  s.state = TimerSlot::State::scheduled;
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
    // Buckets hold increasing ranges: the first one with a live key has the minimum.
    for (const auto& b : buckets_) {
      bool found = false;
      Key best = 0;
      for (Key k : b) {
        if (slot_of(k).state == TimerSlot::State::scheduled && (!found || k < best)) {
          best = k;
          found = true;
        }
      }
      if (found) {
        min_ = best;
        break;
      }
    }
    min_valid_ = true;
  }
  return key_time(time_of(min_));
}

std::size_t TimerQueue::release_due(double t) {
  const std::uint64_t limit = time_key(t);
  if (limit < last_) return 0;  // time never goes back
  batch_.clear();
  // Buckets cover increasing, disjoint time ranges, so the batch is a
  // sequence of runs already in order relative to each other: sorting each
  // run alone is enough (and cheaper than sorting the whole batch).
  auto sort_run = [this](std::size_t from) { std::sort(batch_.begin() + static_cast<std::ptrdiff_t>(from), batch_.end()); };
  for (int i = 0; i < bucket_count; ++i) {
    std::vector<Key>& b = buckets_[i];
    if (b.empty()) continue;
    std::size_t run = batch_.size();
    if (i > 0) {
      // Bucket i holds the keys sharing last_'s bits above i-1 and having bit i-1 set.
      std::uint64_t prefix = i == 64 ? 0 : (last_ >> i) << i;
      std::uint64_t low = prefix | (std::uint64_t{1} << (i - 1));
      std::uint64_t high = low | ((std::uint64_t{1} << (i - 1)) - 1);
      if (low > limit) break;  // this and every higher bucket are later than t
      if (high > limit) {
        // Straddles t: release its part <= t; the rest moves to lower buckets
        // relative to the new last_ (= limit), which leaves the higher buckets valid.
        last_ = limit;
        for (Key k : b) {
          if (time_of(k) <= limit) {
            batch_.push_back(k);
          } else {
            buckets_[bucket_of(time_of(k))].push_back(k);
          }
        }
        b.clear();
        sort_run(run);
        break;
      }
    }
    batch_.insert(batch_.end(), b.begin(), b.end());
    b.clear();
    sort_run(run);
  }
  last_ = limit;
  if (batch_.empty()) return 0;
  std::size_t fired = 0;
  const std::size_t n = batch_.size();
  constexpr std::size_t ahead = 16;
  for (std::size_t j = 0; j < n; ++j) {
    // Slots are scattered: fetch a few ahead so that their misses overlap.
    if (j + ahead < n) __builtin_prefetch(&slot_of(batch_[j + ahead]), 1);
    TimerSlot& s = slot_of(batch_[j]);
    s.has_key = false;
    if (s.state == TimerSlot::State::scheduled) {
      s.state = TimerSlot::State::due;
      loop_.call_soon(s);
      ++fired;
    } else {
      --dead_;
      maybe_free(s);
    }
  }
  live_ -= fired;
  if (fired > 0) min_valid_ = false;
  return fired;
}

void TimerQueue::mark_dead(TimerSlot& s) noexcept {
  s.state = TimerSlot::State::cancelled;
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
  if (s.state == TimerSlot::State::scheduled) {
    mark_dead(s);
  } else if (s.state == TimerSlot::State::due) {
    s.unlink();
    s.state = TimerSlot::State::cancelled;
    maybe_free(s);
  }
}

void TimerQueue::abandon(TimerSlot& s) noexcept {
  s.waiter_ref = nullptr;
  s.waiter = {};
  if (s.state == TimerSlot::State::scheduled) {
    mark_dead(s);
  } else if (s.state == TimerSlot::State::due) {
    s.unlink();
    s.state = TimerSlot::State::cancelled;
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
    for (Key k : b) slot_of(k).has_key = false;
    b.clear();
  }
  min_valid_ = true;
  live_ = dead_ = 0;
  for (std::uint32_t i = 0; i < slot_count_; ++i) {
    TimerSlot& s = slot(i);
    if (s.state != TimerSlot::State::scheduled && s.state != TimerSlot::State::due) {
      if (s.state != TimerSlot::State::free) maybe_free(s);
      continue;
    }
    s.unlink();
    s.state = TimerSlot::State::cancelled;
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
  for (auto& b : buckets_) {
    std::size_t j = 0;
    for (Key k : b) {
      TimerSlot& s = slot_of(k);
      if (s.state == TimerSlot::State::scheduled) {
        b[j++] = k;
      } else {
        s.has_key = false;
        maybe_free(s);
      }
    }
    b.resize(j);
  }
  dead_ = 0;
}

void TimerQueue::renumber() {
  // 2^40 insertions happened: restart the sequence in (deadline, sequence)
  // order, which keeps the relative order. Buckets depend on time only.
  std::vector<Key> keys;
  keys.reserve(live_ + dead_);
  for (auto& b : buckets_) keys.insert(keys.end(), b.begin(), b.end());
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
