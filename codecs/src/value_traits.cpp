// The out-of-line helpers of ValueTraits: range-checked integer conversions
// and the path segments and messages of ConversionError.
#include <uvmas/codecs/value.hpp>

#include <string>

namespace uvmas {
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

}  // namespace detail
}  // namespace uvmas
