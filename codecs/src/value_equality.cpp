// Value equality (Python's, so 1 == 1.0 and maps compare without order),
// identity (same kind and bytes) and the hash consistent with equality that
// finds repeated map keys while decoding.
#include <uvmas/codecs/value.hpp>

#include <bit>
#include <cmath>
#include <functional>
#include <unordered_map>

#include "internal.hpp"

namespace uvmas {

namespace {

bool maps_equal_unordered(const Map& a, const Map& b) noexcept {
  if (a.size() != b.size()) return false;
  // Same order is the common case (a round trip): check it first.
  bool same_order = true;
  for (std::size_t i = 0; i < a.size() && same_order; ++i) same_order = a[i].first == b[i].first;
  if (same_order) {
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!(a[i].second == b[i].second)) return false;
    return true;
  }
  if (a.size() <= 16) {
    for (const auto& entry : a) {
      const Value& k = entry.first;  // not a structured binding: clang 14 cannot capture those
      auto it = std::find_if(b.begin(), b.end(), [&](const auto& p) { return p.first == k; });
      if (it == b.end() || !(it->second == entry.second)) return false;
    }
    return true;
  }
  std::unordered_multimap<std::size_t, const std::pair<Value, Value>*> index;
  index.reserve(b.size());
  for (const auto& p : b) index.emplace(detail::hash_value(p.first), &p);
  for (const auto& entry : a) {
    const Value& k = entry.first;
    auto [lo, hi] = index.equal_range(detail::hash_value(k));
    auto it = std::find_if(lo, hi, [&](const auto& e) { return e.second->first == k; });
    if (it == hi || !(it->second->second == entry.second)) return false;
  }
  return true;
}

}  // namespace

bool operator==(const Value& a, const Value& b) noexcept {
  if (a.data_.index() != b.data_.index()) return false;
  switch (a.data_.index()) {
    case 0: return true;
    case 1: return std::get<1>(a.data_) == std::get<1>(b.data_);
    case 2: return std::get<2>(a.data_) == std::get<2>(b.data_);
    case 3: return std::get<3>(a.data_) == std::get<3>(b.data_);
    case 4: return std::get<4>(a.data_) == std::get<4>(b.data_);
    case 5: return std::get<5>(a.data_) == std::get<5>(b.data_);
    case 6: return std::get<6>(a.data_) == std::get<6>(b.data_);
    case 7: return std::get<7>(a.data_) == std::get<7>(b.data_);
    case 8: return maps_equal_unordered(std::get<8>(a.data_), std::get<8>(b.data_));
    default: return *std::get<9>(a.data_) == *std::get<9>(b.data_);
  }
}

bool identical(const Value& a, const Value& b) noexcept {
  if (a.data_.index() != b.data_.index()) return false;
  switch (a.data_.index()) {
    case 4:
      return std::bit_cast<std::uint64_t>(std::get<4>(a.data_)) == std::bit_cast<std::uint64_t>(std::get<4>(b.data_)) ||
             (std::isnan(std::get<4>(a.data_)) && std::isnan(std::get<4>(b.data_)));
    case 7: {
      const auto& x = std::get<7>(a.data_);
      const auto& y = std::get<7>(b.data_);
      return std::equal(x.begin(), x.end(), y.begin(), y.end(),
                        [](const Value& p, const Value& q) { return identical(p, q); });
    }
    case 8: {
      const auto& x = std::get<8>(a.data_);
      const auto& y = std::get<8>(b.data_);
      return std::equal(x.begin(), x.end(), y.begin(), y.end(), [](const auto& p, const auto& q) {
        return identical(p.first, q.first) && identical(p.second, q.second);
      });
    }
    case 9: {
      const auto& x = *std::get<9>(a.data_);
      const auto& y = *std::get<9>(b.data_);
      return x.type == y.type && identical(x.data, y.data);
    }
    default: return a == b;
  }
}

namespace detail {

std::size_t hash_value(const Value& v) noexcept {
  auto mix = [](std::size_t h, std::size_t x) { return h ^ (x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)); };
  std::size_t h = static_cast<std::size_t>(v.kind());
  switch (v.kind()) {
    case Value::Kind::null: return h;
    case Value::Kind::boolean: return mix(h, v.as_bool());
    case Value::Kind::integer:
      return mix(h, v.is_big_uint() ? std::hash<std::uint64_t>{}(v.as_uint()) : std::hash<std::int64_t>{}(v.as_int()));
    case Value::Kind::real: {
      double d = v.as_double();
      return mix(h, d == 0 ? 0 : std::hash<double>{}(d));  // -0.0 == 0.0
    }
    case Value::Kind::string: return mix(h, std::hash<std::string_view>{}(v.as_string()));
    case Value::Kind::bytes: {
      const Bytes& b = v.as_bytes();
      return mix(h, std::hash<std::string_view>{}(
                        std::string_view(reinterpret_cast<const char*>(b.data()), b.size())));
    }
    case Value::Kind::array:
      for (const auto& e : v.as_array()) h = mix(h, hash_value(e));
      return h;
    case Value::Kind::map: {
      std::size_t sum = 0;  // order-independent, like the equality
      for (const auto& [k, e] : v.as_map()) sum += mix(hash_value(k), hash_value(e));
      return mix(h, sum);
    }
    case Value::Kind::extension:
      return mix(mix(h, std::hash<std::string_view>{}(v.as_extension().type)), hash_value(v.as_extension().data));
  }
  return h;
}

void dedupe_keys(Map& m) {
  const std::size_t n = m.size();
  if (n < 2) return;
  // Entries move down over the places of dropped duplicates as we go, so
  // `w` counts the keys kept and m[0, w) holds them in first-seen order.
  std::size_t w = 0;
  auto keep = [&m, &w](std::size_t i) {
    if (w != i) m[w] = std::move(m[i]);
    ++w;
  };
  if (n <= 16) {
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t j = 0;
      while (j < w && !(m[j].first == m[i].first)) ++j;
      if (j < w) {
        m[j].second = std::move(m[i].second);
      } else {
        keep(i);
      }
    }
  } else {
    // Open addressing over the kept entries: one allocation, no node per key.
    struct Slot {
      std::size_t hash;
      std::size_t place;  // kept index + 1; 0 = empty
    };
    const std::size_t mask = std::bit_ceil(2 * n) - 1;
    std::vector<Slot> table(mask + 1, Slot{0, 0});
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t h = hash_value(m[i].first);
      std::size_t s = h & mask;
      while (table[s].place != 0 && !(table[s].hash == h && m[table[s].place - 1].first == m[i].first)) {
        s = (s + 1) & mask;
      }
      if (table[s].place != 0) {
        m[table[s].place - 1].second = std::move(m[i].second);
      } else {
        table[s] = Slot{h, w + 1};
        keep(i);
      }
    }
  }
  if (w != n) m.erase(m.begin() + static_cast<std::ptrdiff_t>(w), m.end());
}

}  // namespace detail
}  // namespace uvmas
