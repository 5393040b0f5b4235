#pragma once
// Positions by string key in one flat table: the step data's entity lookups
// without a node, a copy of a key or an allocation per entry.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace uvmas::sim::detail {

/// Open addressing from a string to a position (below 2^32) in a sequence
/// the caller owns; `key_of(position)` reads the key stored there, so the
/// keys may live anywhere and move (only positions are kept).
class StringIndex {
 public:
  static constexpr std::size_t none = static_cast<std::size_t>(-1);

  /// The position stored under `key`, or `none`.
  template <class KeyOf>
  std::size_t find(std::string_view key, const KeyOf& key_of) const {
    if (slots_.empty()) return none;
    const std::uint32_t h = hash(key);
    for (std::size_t s = h & mask(); slots_[s].place != 0; s = (s + 1) & mask()) {
      if (slots_[s].hash == h && key_of(slots_[s].place - 1) == key) return slots_[s].place - 1;
    }
    return none;
  }

  /// The position stored under `key`; if there is none, stores `position`
  /// under it and returns that.
  template <class KeyOf>
  std::size_t insert(std::string_view key, std::size_t position, const KeyOf& key_of) {
    if (2 * (count_ + 1) > slots_.size()) grow(count_ + 1);
    const std::uint32_t h = hash(key);
    std::size_t s = h & mask();
    for (; slots_[s].place != 0; s = (s + 1) & mask()) {
      if (slots_[s].hash == h && key_of(slots_[s].place - 1) == key) return slots_[s].place - 1;
    }
    slots_[s] = Slot{h, static_cast<std::uint32_t>(position + 1)};
    ++count_;
    return position;
  }

  /// Room for `n` keys without growing.
  void reserve(std::size_t n) {
    if (2 * n > slots_.size()) grow(n);
  }

  void clear() noexcept {
    slots_.clear();
    count_ = 0;
  }

 private:
  struct Slot {
    std::uint32_t hash;
    std::uint32_t place;  // position + 1; 0: empty
  };

  static std::uint32_t hash(std::string_view key) noexcept {
    const std::size_t h = std::hash<std::string_view>{}(key);
    return static_cast<std::uint32_t>(h ^ (h >> 32));
  }
  std::size_t mask() const noexcept { return slots_.size() - 1; }

  // At most half full: short probe runs without a second hash.
  void grow(std::size_t n) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(std::bit_ceil(std::max<std::size_t>(16, 2 * n)), Slot{0, 0});
    for (const Slot& slot : old) {
      if (slot.place == 0) continue;
      std::size_t s = slot.hash & mask();
      while (slots_[s].place != 0) s = (s + 1) & mask();
      slots_[s] = slot;
    }
  }

  std::vector<Slot> slots_;
  std::size_t count_ = 0;
};

}  // namespace uvmas::sim::detail
