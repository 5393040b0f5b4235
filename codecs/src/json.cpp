// JSON codec: a hand-written encoder reproducing Python's json.dumps defaults
// byte for byte, and a RapidJSON SAX decoder feeding ValueBuilder.

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <uvmas/codecs/detail/json_events.hpp>

#include "formats.hpp"
#include "internal.hpp"
#include "value_builder.hpp"

namespace uvmas::detail {

void throw_too_deep(std::size_t max_depth) {
  throw SerializationError("value nesting depth exceeds the limit of " + std::to_string(max_depth));
}

std::uint32_t extension_typeid(const Extension& e, const Serializers* s) {
  if (!s) throw SerializationError("cannot encode extension type '" + e.type + "' with a raw codec (no serializers)");
  auto id = s->id_of(e.type);
  if (!id) {
    throw SerializationError("extension type '" + e.type + "' is not registered with this codec (it registers " +
                             s->describe() + ")");
  }
  return *id;
}

void throw_bytes_not_json() { throw SerializationError("Object of type bytes is not JSON serializable"); }

void throw_bad_json_key(const Value& key) {
  throw SerializationError("keys must be str, int, float, bool or None, not " + std::string(key.kind_name()));
}

namespace {

// 0: copy as is; 1: needs an escape (control, quote, backslash, DEL); 2: non-ASCII lead/continuation.
constexpr auto make_class_table() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) t[c] = (c < 0x20 || c == '"' || c == '\\' || c == 0x7f) ? 1 : (c >= 0x80 ? 2 : 0);
  return t;
}
constexpr auto char_class = make_class_table();
constexpr char hex_digits[] = "0123456789abcdef";

void append_u_escape(std::string& out, unsigned cp) {
  char buf[6] = {'\\', 'u', hex_digits[(cp >> 12) & 15], hex_digits[(cp >> 8) & 15], hex_digits[(cp >> 4) & 15],
                 hex_digits[cp & 15]};
  out.append(buf, 6);
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    std::size_t run = i;
    while (run < n && char_class[p[run]] == 0) ++run;
    out.append(s.data() + i, run - i);
    i = run;
    if (i >= n) break;
    unsigned char c = p[i];
    if (char_class[c] == 1) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default: append_u_escape(out, c);
      }
      ++i;
      continue;
    }
    // Non-ASCII: decode one strictly validated UTF-8 sequence.
    unsigned cp;
    std::size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      throw SerializationError("text is not valid UTF-8");
    }
    if (n - i < len || p[i + 1] < lo || p[i + 1] > hi) throw SerializationError("text is not valid UTF-8");
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) throw SerializationError("text is not valid UTF-8");
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      append_u_escape(out, 0xD800 + (cp >> 10));
      append_u_escape(out, 0xDC00 + (cp & 0x3FF));
    } else {
      append_u_escape(out, cp);
    }
  }
  out += '"';
}

namespace {

void append_int(std::string& out, const Value& v) {
  char buf[24];
  auto r = v.is_big_uint() ? std::to_chars(buf, buf + sizeof buf, v.as_uint())
                           : std::to_chars(buf, buf + sizeof buf, v.as_int());
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

class JsonWriter {
 public:
  JsonWriter(std::string& out, const Serializers* s, std::size_t max_depth)
      : out_(out), serializers_(s), max_depth_(max_depth) {}

  void write(const Value& v, std::size_t depth) {
    switch (v.kind()) {
      case Value::Kind::null: out_ += "null"; break;
      case Value::Kind::boolean: out_ += v.as_bool() ? "true" : "false"; break;
      case Value::Kind::integer: append_int(out_, v); break;
      case Value::Kind::real: append_float_repr(out_, v.as_double(), true); break;
      case Value::Kind::string: append_json_string(out_, v.as_string()); break;
      case Value::Kind::bytes: throw_bytes_not_json();
      case Value::Kind::array: {
        if (depth >= max_depth_) throw_too_deep(max_depth_);
        out_ += '[';
        bool first = true;
        for (const auto& e : v.as_array()) {
          if (!first) out_ += ", ";
          first = false;
          write(e, depth + 1);
        }
        out_ += ']';
        break;
      }
      case Value::Kind::map: {
        if (depth >= max_depth_) throw_too_deep(max_depth_);
        out_ += '{';
        bool first = true;
        for (const auto& [k, e] : v.as_map()) {
          if (!first) out_ += ", ";
          first = false;
          write_key(k);
          out_ += ": ";
          write(e, depth + 1);
        }
        out_ += '}';
        break;
      }
      case Value::Kind::extension: {
        const Extension& e = v.as_extension();
        std::uint32_t id = extension_typeid(e, serializers_);
        if (depth + 2 > max_depth_) throw_too_deep(max_depth_);
        out_ += "{\"__type__\": [";
        char buf[12];
        auto r = std::to_chars(buf, buf + sizeof buf, id);
        out_.append(buf, static_cast<std::size_t>(r.ptr - buf));
        out_ += ", ";
        write(e.data, depth + 2);
        out_ += "]}";
        break;
      }
    }
  }

 private:
  // Python's json stringifies int/float/bool/None keys; anything else is a TypeError.
  void write_key(const Value& k) {
    switch (k.kind()) {
      case Value::Kind::string: append_json_string(out_, k.as_string()); return;
      case Value::Kind::integer:
        out_ += '"';
        append_int(out_, k);
        out_ += '"';
        return;
      case Value::Kind::real:
        out_ += '"';
        append_float_repr(out_, k.as_double(), true);
        out_ += '"';
        return;
      case Value::Kind::boolean: out_ += k.as_bool() ? "\"true\"" : "\"false\""; return;
      case Value::Kind::null: out_ += "\"null\""; return;
      default: throw_bad_json_key(k);
    }
  }

  std::string& out_;
  const Serializers* serializers_;
  std::size_t max_depth_;
};

// Fallback for a decimal token from_chars reports as out of range: decide between
// overflow (inf) and underflow (0) from the decimal exponent, like Python's float().
double out_of_range_double(std::string_view tok) {
  bool neg = !tok.empty() && tok[0] == '-';
  std::size_t epos = tok.find_first_of("eE");
  std::string_view mant = tok.substr(neg ? 1 : 0, epos == std::string_view::npos ? std::string_view::npos
                                                                                 : epos - (neg ? 1 : 0));
  long long exp10 = 0;
  if (epos != std::string_view::npos) {
    std::string_view e = tok.substr(epos + 1);
    bool eneg = !e.empty() && e[0] == '-';
    if (!e.empty() && (e[0] == '-' || e[0] == '+')) e.remove_prefix(1);
    for (char c : e) exp10 = std::min<long long>(exp10 * 10 + (c - '0'), 1'000'000'000LL);
    if (eneg) exp10 = -exp10;
  }
  // Position of the first significant digit relative to the decimal point.
  std::size_t dot = mant.find('.');
  std::size_t int_len = dot == std::string_view::npos ? mant.size() : dot;
  long long magnitude = 0;
  std::size_t first = mant.find_first_not_of("0.");
  if (first == std::string_view::npos) return neg ? -0.0 : 0.0;
  magnitude = first < int_len ? static_cast<long long>(int_len - first)
                              : -static_cast<long long>(first - int_len - 1);
  double r = magnitude + exp10 > 0 ? HUGE_VAL : 0.0;
  return neg ? -r : r;
}

// Reads one number token the way Python's json does, into `sink` (add() of
// an int64, uint64 or double; fail() with a message).
template <class Sink>
bool read_number(const char* str, rapidjson::SizeType len, Sink& sink) {
  // Short plain integers (almost every number of an RPC message) first:
  // RapidJSON has validated the token, and 18 digits cannot overflow.
  if (len < 19) {
    const char* p = str + (str[0] == '-' ? 1 : 0);
    const char* end = str + len;
    std::int64_t v = 0;
    while (p < end && *p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
    if (p == end && end != str + (str[0] == '-' ? 1 : 0)) return sink.add(str[0] == '-' ? -v : v);
  }
  std::string_view tok(str, len);
  if (tok == "NaN") return sink.add(std::numeric_limits<double>::quiet_NaN());
  if (tok == "Infinity") return sink.add(double{HUGE_VAL});
  if (tok == "-Infinity") return sink.add(double{-HUGE_VAL});
  const char* end = str + len;
  if (tok.find_first_of(".eEIN") == std::string_view::npos) {
    if (str[0] == '-') {
      std::int64_t i;
      auto r = std::from_chars(str, end, i);
      if (r.ec == std::errc() && r.ptr == end) return sink.add(i);
    } else {
      std::uint64_t u;
      auto r = std::from_chars(str, end, u);
      if (r.ec == std::errc() && r.ptr == end) return sink.add(u);
    }
    // Beyond 64 bits Python keeps an exact int; the closest we have is a double.
  } else if (tok.find_first_of("IN") != std::string_view::npos) {
    return sink.fail("invalid number '" + std::string(tok) + "'");
  }
  double d;
  auto r = std::from_chars(str, end, d);
  if (r.ec == std::errc::result_out_of_range) return sink.add(out_of_range_double(tok));
  if (r.ec != std::errc() || r.ptr != end) return sink.fail("invalid number '" + std::string(tok) + "'");
  return sink.add(d);
}

class JsonHandler {
 public:
  JsonHandler(const Serializers* s, std::size_t max_depth) : b_(s, max_depth) {}

  bool Null() { return b_.add(nullptr); }
  bool Bool(bool v) { return b_.add(v); }
  // Numbers arrive as raw text (kParseNumbersAsStringsFlag) so that integers are
  // exact and only the Python spellings of NaN/Infinity are accepted.
  bool Int(int v) { return b_.add(std::int64_t{v}); }
  bool Uint(unsigned v) { return b_.add(std::uint64_t{v}); }
  bool Int64(std::int64_t v) { return b_.add(v); }
  bool Uint64(std::uint64_t v) { return b_.add(v); }
  bool Double(double v) { return b_.add(v); }
  bool RawNumber(const char* str, rapidjson::SizeType len, bool) { return read_number(str, len, b_); }
  // Strings are validated here rather than by RapidJSON (kParseValidateEncodingFlag
  // checks byte by byte and is several times slower); this also rejects the
  // ED A0..ED BF bytes RapidJSON writes for a lone low-surrogate escape ("\udc00").
  bool String(const char* str, rapidjson::SizeType len, bool) {
    if (!valid_utf8(str, len)) return b_.fail("string is not valid UTF-8 (or has a lone surrogate)");
    return b_.add(std::string(str, len));
  }
  bool Key(const char* str, rapidjson::SizeType len, bool copy) { return String(str, len, copy); }
  bool StartObject() { return b_.begin_map(); }
  bool EndObject(rapidjson::SizeType) { return b_.end_map(); }
  bool StartArray() { return b_.begin_array(); }
  bool EndArray(rapidjson::SizeType) { return b_.end_array(); }

  ValueBuilder& builder() { return b_; }

 private:
  ValueBuilder b_;
};

// read_json's handler: tokens go to the JsonEvents, or into a ValueBuilder
// while a container the events asked for whole is open.
class EventsHandler {
 public:
  EventsHandler(JsonEvents& events, const Serializers* s, std::size_t max_depth)
      : events_(events), serializers_(s), max_depth_(max_depth) {}

  bool Null() { return scalar(nullptr); }
  bool Bool(bool v) { return scalar(v); }
  bool Int(int v) { return scalar(std::int64_t{v}); }
  bool Uint(unsigned v) { return scalar(std::uint64_t{v}); }
  bool Int64(std::int64_t v) { return scalar(v); }
  bool Uint64(std::uint64_t v) { return scalar(v); }
  bool Double(double v) { return scalar(v); }
  bool RawNumber(const char* str, rapidjson::SizeType len, bool) {
    if (building_) return read_number(str, len, *builder_);
    Scalars sink{events_};
    return read_number(str, len, sink);
  }
  bool String(const char* str, rapidjson::SizeType len, bool) {
    if (!valid_utf8(str, len)) return false;
    if (building_) return builder_->add(std::string(str, len));
    return events_.string(std::string_view(str, len));
  }
  bool Key(const char* str, rapidjson::SizeType len, bool) {
    if (!valid_utf8(str, len)) return false;
    if (building_) return builder_->add(std::string(str, len));
    if (serializers_ && std::string_view(str, len) == "__type__") return false;
    return events_.key(std::string_view(str, len));
  }
  bool StartObject() { return open(true); }
  bool EndObject(rapidjson::SizeType) { return close(true); }
  bool StartArray() { return open(false); }
  bool EndArray(rapidjson::SizeType) { return close(false); }

 private:
  // A number the events hear as a Value.
  struct Scalars {
    JsonEvents& events;
    template <class T>
    bool add(T v) {
      return events.scalar(Value(v));
    }
    bool fail(const std::string&) { return false; }
  };

  template <class T>
  bool scalar(T v) {
    if (building_) return builder_->add(v);
    return events_.scalar(Value(v));
  }

  bool open(bool is_map) {
    if (building_) {
      ++building_;
      return is_map ? builder_->begin_map() : builder_->begin_array();
    }
    // The codec's limit: no level opens beyond max_depth.
    if (depth_ >= max_depth_) return false;
    switch (is_map ? events_.start_map() : events_.start_array()) {
      case JsonEvents::Open::events: ++depth_; return true;
      case JsonEvents::Open::stop: return false;
      case JsonEvents::Open::value: break;
    }
    builder_.emplace(serializers_, max_depth_ - depth_);
    building_ = 1;
    return is_map ? builder_->begin_map() : builder_->begin_array();
  }

  bool close(bool is_map) {
    if (!building_) {
      --depth_;
      return is_map ? events_.end_map() : events_.end_array();
    }
    if (!(is_map ? builder_->end_map() : builder_->end_array())) return false;
    if (--building_ > 0) return true;
    Value whole = builder_->take();
    builder_.reset();
    return events_.value(std::move(whole));
  }

  JsonEvents& events_;
  const Serializers* serializers_;
  std::size_t max_depth_;
  std::size_t depth_ = 0;     // levels open as events
  std::size_t building_ = 0;  // levels open in builder_
  std::optional<ValueBuilder> builder_;
};

// Nesting the recursive parser may reach on the C++ stack (a few hundred bytes a level).
constexpr std::size_t recursive_depth_limit = 1024;

constexpr unsigned parse_flags =
    rapidjson::kParseNanAndInfFlag | rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseStopWhenDoneFlag;

// Parses `payload` into `handler`; the offset past trailing whitespace goes
// to `end` (the payload's size when nothing else follows).
template <class Handler>
rapidjson::ParseResult parse(std::string_view payload, Handler& handler, std::size_t max_depth, std::size_t& end) {
  rapidjson::MemoryStream stream(payload.data(), payload.size());
  // The reader's stack (strings and numbers are copied through it) is kept
  // per thread; only a decode nested in another would need a second one.
  thread_local rapidjson::Reader shared_reader;
  thread_local bool reader_busy = false;
  std::optional<rapidjson::Reader> own_reader;
  rapidjson::Reader& reader = reader_busy ? own_reader.emplace() : shared_reader;
  struct Busy {
    bool& flag;
    bool was;
    ~Busy() { flag = was; }
  } busy{reader_busy, reader_busy};
  reader_busy = true;
  // The handler refuses to open a level beyond max_depth, so the recursive
  // parser (faster) nests at most that deep; very deep limits take the
  // iterative one, which never recurses.
  rapidjson::ParseResult r = max_depth <= recursive_depth_limit
                                 ? reader.Parse<parse_flags>(stream, handler)
                                 : reader.Parse<parse_flags | rapidjson::kParseIterativeFlag>(stream, handler);
  // Trailing whitespace only (checked here, not by RapidJSON, because its
  // MemoryStream reports end of input as '\0' and would accept "1\0junk").
  std::size_t pos = stream.Tell();
  while (pos < payload.size() && (payload[pos] == ' ' || payload[pos] == '\t' || payload[pos] == '\n' ||
                                  payload[pos] == '\r'))
    ++pos;
  end = pos;
  return r;
}

bool has_bom(std::string_view payload) {
  return payload.size() >= 3 && std::memcmp(payload.data(), "\xEF\xBB\xBF", 3) == 0;
}

}  // namespace

void json_encode(const Value& v, std::string& out, const Serializers* s, std::size_t max_depth) {
  JsonWriter(out, s, max_depth).write(v, 0);
}

void append_json(std::string& out, const Value& v, const Serializers* s, std::size_t max_depth, std::size_t depth) {
  const std::size_t old = out.size();
  try {
    JsonWriter(out, s, max_depth).write(v, depth);
  } catch (...) {
    out.resize(old);
    throw;
  }
}

Value json_decode(std::string_view payload, const Serializers* s, std::size_t max_depth) {
  if (has_bom(payload)) throw DecodeError("JSON payload starts with a UTF-8 BOM");
  JsonHandler handler(s, max_depth);
  std::size_t end = 0;
  rapidjson::ParseResult r = parse(payload, handler, max_depth, end);
  if (r.IsError()) {
    if (!handler.builder().error().empty())
      throw DecodeError("invalid JSON: " + handler.builder().error() + " (offset " + std::to_string(r.Offset()) + ")");
    throw DecodeError(std::string("invalid JSON: ") + rapidjson::GetParseError_En(r.Code()) + " (offset " +
                      std::to_string(r.Offset()) + ")");
  }
  if (end != payload.size()) throw DecodeError("invalid JSON: trailing data at offset " + std::to_string(end));
  return handler.builder().take();
}

bool read_json(std::string_view payload, JsonEvents& events, const Serializers* s, std::size_t max_depth) {
  if (payload.empty() || has_bom(payload)) return false;
  EventsHandler handler(events, s, max_depth);
  std::size_t end = 0;
  return !parse(payload, handler, max_depth, end).IsError() && end == payload.size();
}

}  // namespace uvmas::detail
