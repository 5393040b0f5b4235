#pragma once
/// A minimal intrusive doubly linked list. Nodes unlink themselves when
/// destroyed, which is what makes "destroy a suspended coroutine = cancel"
/// safe: an awaiter that sits in some queue leaves it with its frame.

#include <cstddef>

namespace uvmas::detail {

/// Base of anything that can sit in an IntrusiveList. Not copyable or movable.
class ListNode {
 public:
  ListNode() noexcept = default;
  ListNode(const ListNode&) = delete;
  ListNode& operator=(const ListNode&) = delete;
  ~ListNode() { unlink(); }

  bool linked() const noexcept { return prev_ != nullptr; }
  void unlink() noexcept {
    if (prev_) {
      prev_->next_ = next_;
      next_->prev_ = prev_;
      prev_ = next_ = nullptr;
    }
  }

 private:
  template <class T>
  friend class IntrusiveList;
  ListNode* prev_ = nullptr;
  ListNode* next_ = nullptr;
};

/// FIFO list of T (T derives from ListNode). Does not own its elements.
template <class T>
class IntrusiveList {
 public:
  IntrusiveList() noexcept { head_.prev_ = head_.next_ = &head_; }
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;
  ~IntrusiveList() { clear(); }

  bool empty() const noexcept { return head_.next_ == &head_; }
  void push_back(T& node) noexcept {
    ListNode& n = node;
    n.unlink();
    n.prev_ = head_.prev_;
    n.next_ = &head_;
    head_.prev_->next_ = &n;
    head_.prev_ = &n;
  }
  T* front() noexcept { return empty() ? nullptr : static_cast<T*>(head_.next_); }
  T* pop_front() noexcept {
    T* n = front();
    if (n) static_cast<ListNode*>(n)->unlink();
    return n;
  }
  /// Moves every node of `other` to the end of this list, in order.
  void splice_back(IntrusiveList& other) noexcept {
    while (T* n = other.pop_front()) push_back(*n);
  }
  void clear() noexcept {
    while (pop_front()) {
    }
  }
  std::size_t size() const noexcept {
    std::size_t n = 0;
    for (const ListNode* p = head_.next_; p != &head_; p = p->next_) ++n;
    return n;
  }

 private:
  ListNode head_;
};

}  // namespace uvmas::detail
