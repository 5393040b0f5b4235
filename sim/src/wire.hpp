// Conversions between mosaik's JSON shapes (as Values) and the C++ types of
// mosaik.hpp; each checks the shape it reads and names what was wrong.

#pragma once

#include "uvmas/sim/mosaik.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace uvmas::sim::detail {

/// Python's repr of a value, for error messages.
std::string repr(const Value& v);

/// The value as a string, an integer time or a dict; a TypeError naming `what` otherwise.
const std::string& text_arg(const Value& v, const char* what);
Time time_arg(const Value& v, const char* what);
const Map& map_arg(const Value& v, const char* what);

/// Keyword arguments as Params, leaving out the keyword `skip`.
Params to_params(const Map& kwargs, std::string_view skip);

/// A list of strings.
Value strings(const std::vector<std::string>& list);

/// The replies to init, create and get_data.
Value to_value(const Meta& meta);
Value to_value(const EntityDescription& e);

/// A dict with string keys.
std::map<std::string, Value> to_string_map(const Value& v, const char* what);

}  // namespace uvmas::sim::detail
