#include <uvmas/codecs/datetime.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>

namespace uvmas {

namespace {

constexpr std::int64_t micros_per_day = 86'400'000'000LL;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

[[noreturn]] void bad(std::string_view text, const char* why) {
  std::string msg = "invalid ISO 8601 datetime '";
  msg += text;
  msg += "': ";
  msg += why;
  throw ConversionError(msg);
}

}  // namespace

std::string to_iso(const DateTime& d) {
  using namespace std::chrono;
  std::int64_t local = d.micros_utc + std::int64_t{d.offset_minutes} * 60'000'000;
  std::int64_t days = floor_div(local, micros_per_day);
  std::int64_t in_day = local - days * micros_per_day;
  year_month_day ymd{sys_days{std::chrono::days{days}}};
  auto secs = in_day / 1'000'000;
  auto frac = in_day % 1'000'000;
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                        static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
  std::string out(buf, static_cast<std::size_t>(n));
  if (frac != 0) {
    n = std::snprintf(buf, sizeof buf, ".%06d", static_cast<int>(frac));
    out.append(buf, static_cast<std::size_t>(n));
  }
  int off = d.offset_minutes;
  char sign = off < 0 ? '-' : '+';
  if (off < 0) off = -off;
  n = std::snprintf(buf, sizeof buf, "%c%02d:%02d", sign, off / 60, off % 60);
  out.append(buf, static_cast<std::size_t>(n));
  return out;
}

DateTime parse_iso(std::string_view text) {
  using namespace std::chrono;
  std::size_t pos = 0;
  auto num = [&](std::size_t digits) {
    if (pos + digits > text.size()) bad(text, "too short");
    int v = 0;
    auto r = std::from_chars(text.data() + pos, text.data() + pos + digits, v);
    if (r.ec != std::errc() || r.ptr != text.data() + pos + digits) bad(text, "expected digits");
    pos += digits;
    return v;
  };
  auto expect = [&](char c) {
    if (pos >= text.size() || text[pos] != c) bad(text, "unexpected character");
    ++pos;
  };
  int y = num(4);
  expect('-');
  int mo = num(2);
  expect('-');
  int da = num(2);
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != ' ')) bad(text, "expected 'T'");
  ++pos;
  int h = num(2);
  expect(':');
  int mi = num(2);
  expect(':');
  int s = num(2);
  std::int64_t micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    std::size_t nd = pos - start;
    if (nd == 0 || nd > 6) bad(text, "expected 1 to 6 fraction digits");
    for (std::size_t i = 0; i < 6; ++i) micros = micros * 10 + (i < nd ? text[start + i] - '0' : 0);
  }
  int offset = 0;
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = num(2);
    if (pos < text.size() && text[pos] == ':') ++pos;
    int om = num(2);
    if (oh > 23 || om > 59) bad(text, "offset out of range");
    offset = sign * (oh * 60 + om);
  } else {
    bad(text, "missing UTC offset");
  }
  if (pos != text.size()) bad(text, "trailing characters");
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(da)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) bad(text, "field out of range");
  std::int64_t days = sys_days{ymd}.time_since_epoch().count();
  std::int64_t local = days * micros_per_day + (std::int64_t{h} * 3600 + mi * 60 + s) * 1'000'000 + micros;
  return DateTime{local - std::int64_t{offset} * 60'000'000, offset};
}

DateTime ValueTraits<DateTime>::from_value(const Value& v) {
  if (v.is_extension()) {
    const Extension& e = v.as_extension();
    if (e.type != datetime_type_name) detail::throw_expected("datetime", v);
    return parse_iso(e.data.as_string());
  }
  if (v.is_string()) return parse_iso(v.as_string());
  detail::throw_expected("datetime", v);
}

}  // namespace uvmas
