#include "timer_queue.hpp"

#include <algorithm>
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
  if (finished && !s.in_heap && s.handles == 0 && s.waiter_ref == nullptr) free_slot(s);
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

void TimerQueue::push(double deadline, TimerSlot& s) {
  if (next_sequence_ > max_sequence) renumber();
  Entry e{deadline, (next_sequence_ << 24) | s.index};
  heap_.push_back(e);  // the only step that can throw
  ++next_sequence_;
  s.in_heap = true;
  s.state = TimerSlot::State::scheduled;
  ++live_;
  std::size_t n = heap_.size() - 1;
  sift_up(n, e);
  if (heap_.front().order == e.order) notify();
}

void TimerQueue::sift_up(std::size_t i, Entry e) noexcept {
  while (i > 0) {
    std::size_t p = (i - 1) >> 2;
    if (!before(e, heap_[p])) break;
    heap_[i] = heap_[p];
    i = p;
  }
  heap_[i] = e;
}

void TimerQueue::sift_down(std::size_t i, Entry e) noexcept {
  const std::size_t n = heap_.size();
  Entry* h = heap_.data();
  for (;;) {
    std::size_t c = 4 * i + 1;
    if (c >= n) break;
    std::size_t best = c;
    std::size_t end = std::min(c + 4, n);
    for (std::size_t k = c + 1; k < end; ++k) {
      if (before(h[k], h[best])) best = k;
    }
    if (!before(h[best], e)) break;
    h[i] = h[best];
    i = best;
  }
  h[i] = e;
}

void TimerQueue::pop_top() noexcept {
  Entry last = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) sift_down(0, last);
}

std::size_t TimerQueue::release_due(double t) {
  std::size_t fired = 0;
  while (!heap_.empty()) {
    const Entry top = heap_.front();
    if (!(top.deadline <= t)) break;
    TimerSlot& s = slot_of(top);
    pop_top();
    s.in_heap = false;
    if (s.state == TimerSlot::State::scheduled) {
      s.state = TimerSlot::State::due;
      --live_;
      loop_.call_soon(s);
      ++fired;
    } else {
      --dead_;
      maybe_free(s);
    }
  }
  prune();
  return fired;
}

void TimerQueue::prune() noexcept {
  while (!heap_.empty()) {
    TimerSlot& s = slot_of(heap_.front());
    if (s.state == TimerSlot::State::scheduled) break;
    pop_top();
    s.in_heap = false;
    --dead_;
    maybe_free(s);
  }
}

void TimerQueue::mark_dead(TimerSlot& s) noexcept {
  s.state = TimerSlot::State::cancelled;
  --live_;
  ++dead_;
  if (&slot_of(heap_.front()) == &s) {
    prune();
    notify();
  } else if (dead_ > 64 && dead_ > live_) {
    // Many cancelled timers (e.g. with_timeout around fast calls) would
    // otherwise keep the heap large; the live top does not change.
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
  for (const Entry& e : heap_) slot_of(e).in_heap = false;
  heap_.clear();
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
  std::size_t j = 0;
  for (std::size_t i = 0; i < heap_.size(); ++i) {
    TimerSlot& s = slot_of(heap_[i]);
    if (s.state == TimerSlot::State::scheduled) {
      heap_[j++] = heap_[i];
    } else {
      s.in_heap = false;
      maybe_free(s);
    }
  }
  heap_.resize(j);
  dead_ = 0;
  if (j > 1) {
    for (std::size_t i = (j - 2) / 4 + 1; i-- > 0;) sift_down(i, heap_[i]);
  }
}

void TimerQueue::renumber() noexcept {
  // 2^40 insertions happened: restart the sequence in heap order. A sorted
  // array is a valid heap, and relative order is kept.
  std::sort(heap_.begin(), heap_.end(), before);
  for (std::size_t i = 0; i < heap_.size(); ++i) {
    heap_[i].order = (static_cast<std::uint64_t>(i) << 24) | (heap_[i].order & (max_slots - 1));
  }
  next_sequence_ = heap_.size();
}

}  // namespace uvmas::detail
