// Python's repr() of Values (to_repr, operator<<) and of floats (shared with
// the JSON encoder, which writes floats the way json.dumps does).
#include <uvmas/codecs/value.hpp>

#include <charconv>
#include <cmath>
#include <cstring>
#include <ostream>

#include "internal.hpp"

namespace uvmas {

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

}  // namespace detail
}  // namespace uvmas
