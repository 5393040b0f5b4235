#include "uvmas/codecs/arithmetic.hpp"

#include "uvmas/core/error.hpp"

#include <string>

namespace uvmas {

namespace {

[[noreturn]] void unsupported(const char* op, const Value& a, const Value& b) {
  throw TypeError(std::string("unsupported operand type(s) for ") + op + ": '" + std::string(a.kind_name()) +
                  "' and '" + std::string(b.kind_name()) + "'");
}

// Both operands fit int64 (a uint64 above INT64_MAX does not).
bool small_ints(const Value& a, const Value& b) {
  return a.is_int() && b.is_int() && !a.is_big_uint() && !b.is_big_uint();
}

template <class T>
Value concatenated(T left, const T& right) {
  left.insert(left.end(), right.begin(), right.end());
  return Value(std::move(left));
}

}  // namespace

Value python_add(const Value& a, const Value& b) {
  if (small_ints(a, b)) {
    std::int64_t r;
    if (!__builtin_add_overflow(a.as_int(), b.as_int(), &r)) return Value(r);
    return Value(static_cast<double>(a.as_int()) + static_cast<double>(b.as_int()));
  }
  if (a.is_number() && b.is_number()) return Value(a.as_double() + b.as_double());
  if (a.is_string() && b.is_string()) return Value(a.as_string() + b.as_string());
  if (a.is_bytes() && b.is_bytes()) return concatenated(a.as_bytes(), b.as_bytes());
  if (a.is_array() && b.is_array()) return concatenated(a.as_array(), b.as_array());
  unsupported("+", a, b);
}

Value python_multiply(const Value& a, const Value& b) {
  if (small_ints(a, b)) {
    std::int64_t r;
    if (!__builtin_mul_overflow(a.as_int(), b.as_int(), &r)) return Value(r);
    return Value(static_cast<double>(a.as_int()) * static_cast<double>(b.as_int()));
  }
  if (a.is_number() && b.is_number()) return Value(a.as_double() * b.as_double());
  unsupported("*", a, b);
}

}  // namespace uvmas
