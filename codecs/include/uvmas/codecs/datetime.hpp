#pragma once
/// \file
/// `DateTime`: aiomas's Arrow date serializer (`aiomas.util.arrow_serializer`),
/// which an agent container registers as typeid 0. On the wire it is
/// `{"__type__": [0, "2016-01-01T12:30:00.250000+00:00"]}` (Arrow's `str()`).

#include <cstdint>
#include <string>
#include <string_view>

#include <uvmas/codecs/value.hpp>

namespace uvmas {

/// A point in time (microseconds since the Unix epoch, UTC) plus the UTC offset
/// it was written with. Equality compares both fields.
struct DateTime {
  std::int64_t micros_utc = 0;
  int offset_minutes = 0;
  friend bool operator==(const DateTime&, const DateTime&) = default;
};

/// Arrow's `str()`: `YYYY-MM-DDTHH:MM:SS[.ffffff]±HH:MM`, local time = UTC +
/// offset, fraction only when non-zero (always 6 digits then).
std::string to_iso(const DateTime& d);

/// Parses the `to_iso` form, also accepting `Z` for +00:00, 1 to 6 fraction
/// digits and an offset without colon (`+0100`). Throws ConversionError.
DateTime parse_iso(std::string_view text);

/// The extension type name under which containers register DateTime.
inline constexpr std::string_view datetime_type_name = "datetime";

/// DateTime <-> `Value::extension("datetime", "<iso text>")`; a plain ISO string is
/// accepted too (as seen in raw mode).
template <>
struct ValueTraits<DateTime> {
  static Value to_value(const DateTime& d) { return Value::extension(std::string(datetime_type_name), to_iso(d)); }
  static DateTime from_value(const Value& v);
};

}  // namespace uvmas
