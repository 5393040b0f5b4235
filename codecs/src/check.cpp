// Codec::check_encodable: the encoders' refusals, found by a walk that writes nothing.

#include <uvmas/codecs/codec.hpp>

#include "formats.hpp"
#include "internal.hpp"

namespace uvmas {

namespace {

void check_text(const std::string& s) {
  if (!detail::valid_utf8(s.data(), s.size())) throw SerializationError("text is not valid UTF-8");
}

void check_json_key(const Value& k) {
  switch (k.kind()) {
    case Value::Kind::string: check_text(k.as_string()); return;
    case Value::Kind::integer:
    case Value::Kind::real:
    case Value::Kind::boolean:
    case Value::Kind::null: return;
    default: detail::throw_bad_json_key(k);
  }
}

struct Checker {
  bool json;
  const Serializers* serializers;
  std::size_t max_depth;

  void check(const Value& v, std::size_t depth) const {
    switch (v.kind()) {
      case Value::Kind::null:
      case Value::Kind::boolean:
      case Value::Kind::integer:
      case Value::Kind::real: return;
      case Value::Kind::string: check_text(v.as_string()); return;
      case Value::Kind::bytes:
        if (json) detail::throw_bytes_not_json();
        return;
      case Value::Kind::array:
        if (depth >= max_depth) detail::throw_too_deep(max_depth);
        for (const auto& e : v.as_array()) check(e, depth + 1);
        return;
      case Value::Kind::map:
        if (depth >= max_depth) detail::throw_too_deep(max_depth);
        for (const auto& [k, e] : v.as_map()) {
          if (json) {
            check_json_key(k);
          } else {
            check(k, depth + 1);
          }
          check(e, depth + 1);
        }
        return;
      case Value::Kind::extension: {
        const Extension& e = v.as_extension();
        (void)detail::extension_typeid(e, serializers);
        if (depth + 2 > max_depth) detail::throw_too_deep(max_depth);
        check(e.data, depth + 2);
        return;
      }
    }
  }
};

}  // namespace

void Codec::check_encodable(const Value& v, std::size_t depth) const {
  if (custom_) {
    // Only the user's codec knows what it can carry.
    thread_local std::string scratch;
    scratch.clear();
    encode(v, scratch);
    return;
  }
  Checker{format_ == Format::json, serializers_.get(), options_.max_depth}.check(v, depth);
}

}  // namespace uvmas
