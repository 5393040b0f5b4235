// MsgPack codec: msgpack-c's packer for encoding (it picks the same smallest
// formats as msgpack-python; floats are written by hand, see write_float64) and
// its iterative parse/visitor API for decoding.

#include <bit>

#include <msgpack.hpp>

#include "formats.hpp"
#include "internal.hpp"
#include "value_builder.hpp"

namespace uvmas::detail {

namespace {

struct StringSink {
  std::string* out;
  void write(const char* data, std::size_t size) { out->append(data, size); }
};

std::uint32_t checked_size(std::size_t n, const char* what) {
  if (n > UINT32_MAX) throw SerializationError(std::string(what) + " too large for msgpack (more than 2^32-1)");
  return static_cast<std::uint32_t>(n);
}

class MsgPackWriter {
 public:
  MsgPackWriter(std::string& out, const Serializers* s, std::size_t max_depth)
      : sink_{&out}, pk_(sink_), serializers_(s), max_depth_(max_depth) {}

  void write(const Value& v, std::size_t depth) {
    switch (v.kind()) {
      case Value::Kind::null: pk_.pack_nil(); break;
      case Value::Kind::boolean: v.as_bool() ? pk_.pack_true() : pk_.pack_false(); break;
      case Value::Kind::integer:
        // Non-negative values use the unsigned families, as msgpack-python does.
        if (v.is_big_uint() || v.as_int() >= 0) {
          pk_.pack_uint64(v.as_uint());
        } else {
          pk_.pack_int64(v.as_int());
        }
        break;
      case Value::Kind::real: write_float64(v.as_double()); break;
      case Value::Kind::string: {
        const std::string& s = v.as_string();
        if (!valid_utf8(s.data(), s.size())) throw SerializationError("text is not valid UTF-8");
        pk_.pack_str(checked_size(s.size(), "str"));
        pk_.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
        break;
      }
      case Value::Kind::bytes: {
        const Bytes& b = v.as_bytes();
        pk_.pack_bin(checked_size(b.size(), "bytes"));
        pk_.pack_bin_body(reinterpret_cast<const char*>(b.data()), static_cast<std::uint32_t>(b.size()));
        break;
      }
      case Value::Kind::array: {
        if (depth >= max_depth_) throw_too_deep(max_depth_);
        const Array& a = v.as_array();
        pk_.pack_array(checked_size(a.size(), "list"));
        for (const auto& e : a) write(e, depth + 1);
        break;
      }
      case Value::Kind::map: {
        if (depth >= max_depth_) throw_too_deep(max_depth_);
        const Map& m = v.as_map();
        pk_.pack_map(checked_size(m.size(), "dict"));
        for (const auto& [k, e] : m) {
          write(k, depth + 1);
          write(e, depth + 1);
        }
        break;
      }
      case Value::Kind::extension: {
        const Extension& e = v.as_extension();
        std::uint32_t id = extension_typeid(e, serializers_);
        if (depth + 2 > max_depth_) throw_too_deep(max_depth_);
        pk_.pack_map(1);
        pk_.pack_str(8);
        pk_.pack_str_body("__type__", 8);
        pk_.pack_array(2);
        pk_.pack_uint32(id);
        write(e.data, depth + 2);
        break;
      }
    }
  }

 private:
  // Always float64 (cb), like msgpack-python. msgpack-c 4's pack_double cannot be
  // used: it writes integral doubles (0.0, 1.0, 1e16) as integers.
  void write_float64(double d) {
    std::uint64_t bits = std::bit_cast<std::uint64_t>(d);
    char buf[9];
    buf[0] = static_cast<char>(0xcb);
    for (int i = 0; i < 8; ++i) buf[1 + i] = static_cast<char>(bits >> (56 - 8 * i));
    sink_.out->append(buf, 9);
  }

  StringSink sink_;
  msgpack::packer<StringSink> pk_;
  const Serializers* serializers_;
  std::size_t max_depth_;
};

/// msgpack-c visitor building the Value; every callback returning false stops the parser.
class Visitor : public msgpack::null_visitor {
 public:
  Visitor(const Serializers* s, std::size_t max_depth) : b_(s, max_depth) {}

  bool visit_nil() { return b_.add(nullptr); }
  bool visit_boolean(bool v) { return b_.add(v); }
  bool visit_positive_integer(std::uint64_t v) { return b_.add(v); }
  bool visit_negative_integer(std::int64_t v) { return b_.add(v); }
  bool visit_float32(float v) { return b_.add(static_cast<double>(v)); }
  bool visit_float64(double v) { return b_.add(v); }
  bool visit_str(const char* v, std::uint32_t size) {
    if (!valid_utf8(v, size)) return b_.fail("str is not valid UTF-8");
    return b_.add(std::string(v, size));
  }
  bool visit_bin(const char* v, std::uint32_t size) {
    auto p = reinterpret_cast<const std::uint8_t*>(v);
    return b_.add(Bytes(p, p + size));
  }
  // aiomas never produces ext types; msgpack-python would surface an opaque ExtType
  // that no aiomas code understands, so we refuse them.
  bool visit_ext(const char*, std::uint32_t) { return b_.fail("msgpack ext types are not supported"); }
  // Sizes are not used to reserve: the builder allocates each container once
  // it is complete (a header claiming 2^32-1 elements cannot make us allocate).
  bool start_array(std::uint32_t) { return b_.begin_array(); }
  bool end_array() { return b_.end_array(); }
  bool start_map(std::uint32_t) { return b_.begin_map(); }
  bool end_map() { return b_.end_map(); }
  void parse_error(std::size_t, std::size_t error_offset) {
    b_.fail("malformed msgpack at offset " + std::to_string(error_offset));
  }
  void insufficient_bytes(std::size_t, std::size_t error_offset) {
    b_.fail("truncated msgpack at offset " + std::to_string(error_offset));
  }

  ValueBuilder& builder() { return b_; }

 private:
  ValueBuilder b_;
};

}  // namespace

void msgpack_encode(const Value& v, std::string& out, const Serializers* s, std::size_t max_depth) {
  MsgPackWriter(out, s, max_depth).write(v, 0);
}

Value msgpack_decode(std::string_view payload, const Serializers* s, std::size_t max_depth) {
  Visitor visitor(s, max_depth);
  std::size_t off = 0;
  bool ok = msgpack::parse(payload.data(), payload.size(), off, visitor);
  if (!ok) {
    const std::string& err = visitor.builder().error();
    throw DecodeError("invalid msgpack: " + (err.empty() ? std::string("malformed data") : err));
  }
  if (off != payload.size())
    throw DecodeError("invalid msgpack: " + std::to_string(payload.size() - off) + " trailing bytes after the value");
  return visitor.builder().take();
}

}  // namespace uvmas::detail
