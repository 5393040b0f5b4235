#include <uvmas/codecs/value.hpp>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <ostream>
#include <sstream>
#include <unordered_map>

#include "internal.hpp"

namespace uvmas {

std::string_view Value::kind_name() const noexcept {
  switch (data_.index()) {
    case 0: return "None";
    case 1: return "bool";
    case 2:
    case 3: return "int";
    case 4: return "float";
    case 5: return "str";
    case 6: return "bytes";
    case 7: return "list";
    case 8: return "dict";
    default: return std::get<detail::Box<Extension>>(data_)->type;
  }
}

void Value::throw_kind(std::string_view expected) const {
  if (is_big_uint() && expected == "int") throw ConversionError("expected int in range of int64, got " + to_repr(*this));
  detail::throw_expected(expected, *this);
}

const Value* Value::find(std::string_view key) const noexcept {
  auto m = std::get_if<Map>(&data_);
  if (!m) return nullptr;
  for (const auto& [k, v] : *m) {
    if (auto s = std::get_if<std::string>(&k.data_); s && *s == key) return &v;
  }
  return nullptr;
}

Value* Value::find(std::string_view key) noexcept {
  return const_cast<Value*>(std::as_const(*this).find(key));
}

const Value& Value::at(std::string_view key) const {
  if (!is_map()) throw_kind("dict");
  if (auto v = find(key)) return *v;
  throw ConversionError("missing key " + to_repr(Value(key)));
}

Value& Value::operator[](std::string_view key) {
  if (is_null()) data_ = Map{};
  if (auto v = find(key)) return *v;
  Map& m = as_map();
  m.emplace_back(Value(key), Value());
  return m.back().second;
}

const Value& Value::operator[](std::size_t index) const {
  const Array& a = as_array();
  if (index >= a.size())
    throw ConversionError("index " + std::to_string(index) + " out of range for list of size " +
                          std::to_string(a.size()));
  return a[index];
}

Value& Value::operator[](std::size_t index) { return const_cast<Value&>(std::as_const(*this)[index]); }

std::size_t Value::size() const {
  switch (data_.index()) {
    case 5: return std::get<std::string>(data_).size();
    case 6: return std::get<Bytes>(data_).size();
    case 7: return std::get<Array>(data_).size();
    case 8: return std::get<Map>(data_).size();
    default: throw_kind("list, dict, str or bytes");
  }
}

void Value::push_back(Value v) {
  if (is_null()) data_ = Array{};
  as_array().push_back(std::move(v));
}

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

namespace {

void append_repr_text(std::string& out, std::string_view s, char quote) {
  out += quote;
  static constexpr char hex[] = "0123456789abcdef";
  for (unsigned char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c == static_cast<unsigned char>(quote)) {
          out += '\\';
          out += quote;
        } else if (c < 0x20 || c == 0x7f) {
          out += "\\x";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += quote;
}

void append_repr(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::null: out += "None"; break;
    case Value::Kind::boolean: out += v.as_bool() ? "True" : "False"; break;
    case Value::Kind::integer:
      out += v.is_big_uint() ? std::to_string(v.as_uint()) : std::to_string(v.as_int());
      break;
    case Value::Kind::real: detail::append_float_repr(out, v.as_double(), false); break;
    case Value::Kind::string: append_repr_text(out, v.as_string(), '\''); break;
    case Value::Kind::bytes: {
      out += 'b';
      const Bytes& b = v.as_bytes();
      std::string tmp;
      out += '\'';
      static constexpr char hex[] = "0123456789abcdef";
      for (std::uint8_t c : b) {
        if (c == '\\' || c == '\'') {
          out += '\\';
          out += static_cast<char>(c);
        } else if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          out += "\\x";
          out += hex[c >> 4];
          out += hex[c & 15];
        }
      }
      out += '\'';
      break;
    }
    case Value::Kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.as_array()) {
        if (!first) out += ", ";
        first = false;
        append_repr(out, e);
      }
      out += ']';
      break;
    }
    case Value::Kind::map: {
      out += '{';
      bool first = true;
      for (const auto& [k, e] : v.as_map()) {
        if (!first) out += ", ";
        first = false;
        append_repr(out, k);
        out += ": ";
        append_repr(out, e);
      }
      out += '}';
      break;
    }
    case Value::Kind::extension: {
      const Extension& e = v.as_extension();
      out += "<";
      out += e.type;
      out += " ";
      append_repr(out, e.data);
      out += ">";
      break;
    }
  }
}

}  // namespace

std::string to_repr(const Value& v) {
  std::string out;
  append_repr(out, v);
  return out;
}

std::ostream& operator<<(std::ostream& os, const Value& v) { return os << to_repr(v); }

namespace detail {

std::string index_segment(std::size_t i) { return "[" + std::to_string(i) + "]"; }

std::string key_segment(const Value& key) { return "[" + to_repr(key) + "]"; }

void throw_expected(std::string_view what, const Value& got) {
  std::string msg = "expected ";
  msg += what;
  msg += ", got ";
  msg += got.kind_name();
  throw ConversionError(msg);
}

std::int64_t integer_from(const Value& v, std::int64_t lo, std::int64_t hi, std::string_view type) {
  // Python's operator.index(): ints and bools are integers, floats never (not even 2.0).
  std::int64_t x = 0;
  if ((v.is_int() && !v.is_big_uint()) || v.is_bool()) {
    x = v.as_int();
  } else if (!v.is_int()) {
    throw_expected("int", v);
  } else {
    lo = 1;  // big unsigned: always out of range, fall through to the message
    hi = 0;
  }
  if (x < lo || x > hi || lo > hi) {
    throw ConversionError("expected " + std::string(type) + " (int in range [" + std::to_string(lo) + ", " +
                          std::to_string(hi) + "]), got " + to_repr(v));
  }
  return x;
}

std::uint64_t unsigned_from(const Value& v, std::uint64_t hi, std::string_view type) {
  std::uint64_t x = 0;
  bool ok = true;
  if (v.is_big_uint()) {
    x = v.as_uint();
  } else if (v.is_int() || v.is_bool()) {
    ok = v.as_int() >= 0;
    x = static_cast<std::uint64_t>(v.as_int());
  } else {
    throw_expected("int", v);
  }
  if (!ok || x > hi)
    throw ConversionError("expected " + std::string(type) + " (int in range [0, " + std::to_string(hi) + "]), got " +
                          to_repr(v));
  return x;
}

void append_float_repr(std::string& out, double d, bool json_tokens) {
  if (std::isnan(d)) {
    out += json_tokens ? "NaN" : "nan";
    return;
  }
  if (std::isinf(d)) {
    out += d > 0 ? (json_tokens ? "Infinity" : "inf") : (json_tokens ? "-Infinity" : "-inf");
    return;
  }
  // Shortest round-trip digits in scientific form ("d.ddde±XX"); Python's repr uses
  // the same digits and switches to fixed notation when -4 <= exponent < 16.
  char buf[40];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
  std::size_t epos = sci.find('e');
  int exp = 0;
  std::from_chars(sci.data() + epos + 1 + (sci[epos + 1] == '+'), sci.data() + sci.size(), exp);
  if (exp < -4 || exp >= 16) {
    out.append(sci);  // already Python's form: "1e+16", "-2.5e-10", "1e-05"
    return;
  }
  std::string_view mant = sci.substr(0, epos);
  if (mant.front() == '-') {
    out += '-';
    mant.remove_prefix(1);
  }
  char digits[32];
  std::size_t n = 0;
  for (char c : mant)
    if (c != '.') digits[n++] = c;
  if (exp >= 0) {
    auto int_digits = static_cast<std::size_t>(exp) + 1;
    if (n <= int_digits) {
      out.append(digits, n);
      out.append(int_digits - n, '0');
      out += ".0";
    } else {
      out.append(digits, int_digits);
      out += '.';
      out.append(digits + int_digits, n - int_digits);
    }
  } else {
    out += "0.";
    out.append(static_cast<std::size_t>(-exp - 1), '0');
    out.append(digits, n);
  }
}

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

bool valid_utf8(const char* str, std::size_t n) noexcept {
  auto s = reinterpret_cast<const unsigned char*>(str);
  std::size_t i = 0;
  while (i < n) {
    // ASCII fast path, 8 bytes at a time.
    while (i + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, s + i, 8);
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return false;
    }
    if (n - i < len) return false;
    if (s[i + 1] < lo || s[i + 1] > hi) return false;
    for (std::size_t k = 2; k < len; ++k)
      if ((s[i + k] & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

}  // namespace detail
}  // namespace uvmas
