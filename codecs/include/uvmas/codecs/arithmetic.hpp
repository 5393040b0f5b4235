#pragma once
/// \file
/// Python's `+` and `*` on Values, for services that must answer a Python
/// peer as Python would.

#include "uvmas/codecs/value.hpp"

namespace uvmas {

/// Python's `a + b`: int + int (a float when the sum leaves int64), numbers
/// (as floats), and concatenation of two strings, two bytes or two lists.
/// Throws uvmas::TypeError ("unsupported operand type(s) for +: 'int' and
/// 'str'") for anything else.
Value python_add(const Value& a, const Value& b);

/// Python's `a * b` for two numbers: int * int (a float when the product
/// leaves int64), else floats. Throws uvmas::TypeError for anything else.
Value python_multiply(const Value& a, const Value& b);

}  // namespace uvmas
