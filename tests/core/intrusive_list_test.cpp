// IntrusiveList: FIFO order, and nodes that leave their list by themselves.

#include <uvmas/core/detail/intrusive_list.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace {

using uvmas::detail::IntrusiveList;
using uvmas::detail::ListNode;

struct Item : ListNode {
  explicit Item(int v) : value(v) {}
  int value;
};

std::vector<int> drain(IntrusiveList<Item>& list) {
  std::vector<int> out;
  while (Item* i = list.pop_front()) out.push_back(i->value);
  return out;
}

TEST(IntrusiveList, StartsEmptyAndPopsNothing) {
  IntrusiveList<Item> list;
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.size(), 0u);
  EXPECT_EQ(list.front(), nullptr);
  EXPECT_EQ(list.pop_front(), nullptr);
}

TEST(IntrusiveList, PopsInTheOrderNodesWerePushed) {
  Item a(1), b(2), c(3);
  IntrusiveList<Item> list;
  list.push_back(a);
  list.push_back(b);
  list.push_back(c);
  EXPECT_EQ(list.size(), 3u);
  EXPECT_EQ(list.front(), &a);
  EXPECT_EQ(drain(list), (std::vector<int>{1, 2, 3}));
  EXPECT_TRUE(list.empty());
  EXPECT_FALSE(a.linked());
}

TEST(IntrusiveList, ADestroyedNodeLeavesItsList) {
  Item a(1), c(3);
  IntrusiveList<Item> list;
  list.push_back(a);
  {
    Item b(2);
    list.push_back(b);
    list.push_back(c);
    EXPECT_TRUE(b.linked());
  }
  EXPECT_EQ(list.size(), 2u);
  EXPECT_EQ(drain(list), (std::vector<int>{1, 3}));
}

TEST(IntrusiveList, AnUnlinkedNodeIsGoneAndUnlinkingTwiceIsHarmless) {
  Item a(1), b(2);
  IntrusiveList<Item> list;
  list.push_back(a);
  list.push_back(b);
  a.unlink();
  a.unlink();
  EXPECT_FALSE(a.linked());
  EXPECT_EQ(drain(list), (std::vector<int>{2}));
}

TEST(IntrusiveList, PushingALinkedNodeMovesItToTheEndEvenFromAnotherList) {
  Item a(1), b(2), c(3);
  IntrusiveList<Item> list;
  IntrusiveList<Item> other;
  list.push_back(a);
  list.push_back(b);
  other.push_back(c);
  list.push_back(a);
  list.push_back(c);
  EXPECT_TRUE(other.empty());
  EXPECT_EQ(drain(list), (std::vector<int>{2, 1, 3}));
}

TEST(IntrusiveList, SpliceBackAppendsTheOtherListInOrderAndEmptiesIt) {
  Item a(1), b(2), c(3), d(4);
  IntrusiveList<Item> list;
  IntrusiveList<Item> other;
  list.push_back(a);
  other.push_back(b);
  other.push_back(c);
  other.push_back(d);
  list.splice_back(other);
  EXPECT_TRUE(other.empty());
  EXPECT_EQ(drain(list), (std::vector<int>{1, 2, 3, 4}));
}

TEST(IntrusiveList, ClearAndDestructionUnlinkEveryNode) {
  Item a(1), b(2);
  {
    IntrusiveList<Item> list;
    list.push_back(a);
    list.push_back(b);
    list.clear();
    EXPECT_TRUE(list.empty());
    EXPECT_FALSE(a.linked());
    list.push_back(a);
    list.push_back(b);
  }
  // The list went first: its nodes must not point into it any more.
  EXPECT_FALSE(a.linked());
  EXPECT_FALSE(b.linked());
}

}  // namespace
