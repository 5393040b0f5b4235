#pragma once
// Helpers shared by the codec implementation files (not installed).

#include <cstddef>
#include <string>

#include <uvmas/codecs/value.hpp>

namespace uvmas::detail {

/// Appends Python's `repr(float)`; `json_tokens` selects NaN/Infinity/-Infinity
/// (json.dumps) over nan/inf/-inf (repr).
void append_float_repr(std::string& out, double d, bool json_tokens);

/// A hash consistent with `operator==` (used to find duplicate map keys).
std::size_t hash_value(const Value& v) noexcept;

/// Python dict semantics for decoded maps: a repeated key keeps the position of
/// its first occurrence and the value of its last.
void dedupe_keys(Map& m);

/// Strict UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool valid_utf8(const char* s, std::size_t n) noexcept;

}  // namespace uvmas::detail
