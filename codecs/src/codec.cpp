#include <uvmas/codecs/codec.hpp>

#include <algorithm>
#include <stdexcept>

#include "formats.hpp"
#include "internal.hpp"
#include "value_builder.hpp"

namespace uvmas {

std::string_view to_string(Format f) noexcept {
  switch (f) {
    case Format::json: return "json";
    case Format::msgpack: return "msgpack";
    case Format::msgpack_blosc: return "msgpack_blosc";
    case Format::custom: return "custom";
  }
  return "?";
}

Format format_from_string(std::string_view name) {
  for (Format f : {Format::json, Format::msgpack, Format::msgpack_blosc})
    if (to_string(f) == name) return f;
  throw std::invalid_argument("unknown codec '" + std::string(name) +
                              "' (valid names: json, msgpack, msgpack_blosc)");
}

Serializers::Serializers(std::initializer_list<std::string> types) {
  for (const auto& t : types) add(t);
}

void Serializers::add(std::string type) { add(std::move(type), false); }

void Serializers::add(std::string type, bool text_data) {
  if (id_of(type)) throw std::invalid_argument("serializer type '" + type + "' is already registered");
  types_.push_back(std::move(type));
  text_.push_back(text_data);
}

std::string Serializers::describe() const {
  if (types_.empty()) return "none";
  std::string out;
  for (std::size_t i = 0; i < types_.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(i) + " " + types_[i];
  }
  return out;
}

std::optional<std::uint32_t> Serializers::id_of(std::string_view type) const noexcept {
  auto it = std::find(types_.begin(), types_.end(), type);
  if (it == types_.end()) return std::nullopt;
  return static_cast<std::uint32_t>(it - types_.begin());
}

const std::string* Serializers::type_of(std::uint32_t id) const noexcept {
  return id < types_.size() ? &types_[id] : nullptr;
}

CodecChoice::CodecChoice(Format format) : format_(format) {
  if (format == Format::custom) throw std::invalid_argument("Format::custom needs a CustomCodec");
}

CodecChoice::CodecChoice(std::shared_ptr<const CustomCodec> custom, int)
    : format_(Format::custom), custom_(std::move(custom)) {
  if (!custom_) throw std::invalid_argument("a custom codec must not be null");
}

std::string CodecChoice::name() const { return custom_ ? custom_->name() : std::string(to_string(format_)); }

Codec::Codec(Format f, std::shared_ptr<const Serializers> s, CodecOptions o)
    : format_(f), serializers_(std::move(s)), options_(o) {
  if (f == Format::custom) throw std::invalid_argument("Format::custom needs a CustomCodec");
}

Codec::Codec(const CodecChoice& choice, std::shared_ptr<const Serializers> s, CodecOptions o)
    : format_(choice.format()), custom_(choice.custom()), serializers_(std::move(s)), options_(o) {}

namespace {

// A user's codec may throw anything; the channel handles codec errors only.
template <class F>
void encode_custom(const CustomCodec& codec, F&& f) {
  try {
    f();
  } catch (const CodecError&) {
    throw;
  } catch (const std::exception& e) {
    throw SerializationError(codec.name() + ": " + e.what());
  }
}

// A payload the user's codec cannot read is named after it: mismatched
// codecs on the two ends are the usual cause.
template <class F>
Value decode_custom(const CustomCodec& codec, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    throw DecodeError(codec.name() + ": " + e.what());
  }
}

}  // namespace

void Codec::encode(const Value& v, std::string& out) const {
  const std::size_t old = out.size();
  try {
    switch (format_) {
      case Format::json: detail::json_encode(v, out, serializers(), options_.max_depth); break;
      case Format::msgpack: detail::msgpack_encode(v, out, serializers(), options_.max_depth); break;
      case Format::msgpack_blosc: {
        // Encoded in place behind room for the header: small frames need no other buffer.
        out.append(detail::blosc_header_size, '\0');
        const std::size_t body = out.size();
        detail::msgpack_encode(v, out, serializers(), options_.max_depth);
        if (detail::blosc_store_small(out, old, out.size() - body)) break;
        std::string inner = out.substr(body);
        out.resize(old);
        detail::blosc_compress(inner, out);
        break;
      }
      case Format::custom:
        encode_custom(*custom_, [&] { custom_->encode(v, out, serializers_); });
        break;
    }
  } catch (...) {
    out.resize(old);
    throw;
  }
}

std::string Codec::encode(const Value& v) const {
  std::string out;
  encode(v, out);
  return out;
}

Value Codec::decode(std::string_view payload) const {
  if (payload.empty()) throw DecodeError("empty payload");
  switch (format_) {
    case Format::json: return detail::json_decode(payload, serializers(), options_.max_depth);
    case Format::msgpack: return detail::msgpack_decode(payload, serializers(), options_.max_depth);
    case Format::msgpack_blosc: {
      std::string_view stored = detail::blosc_stored_data(payload, options_.max_blosc_nbytes);
      if (!stored.empty()) return detail::msgpack_decode(stored, serializers(), options_.max_depth);
      detail::BloscBuffer inner = detail::blosc_decompress(payload, options_.max_blosc_nbytes);
      return detail::msgpack_decode(inner.view(), serializers(), options_.max_depth);
    }
    case Format::custom:
      return decode_custom(*custom_, [&] { return custom_->decode(payload, serializers_); });
  }
  throw DecodeError("unknown format");
}

namespace detail {

namespace {
thread_local ValueBuilder::Scratch thread_scratch;
// A frame wider than this does not keep its stack capacity for the next decode.
constexpr std::size_t kept_values = 4096;
}  // namespace

ValueBuilder::ValueBuilder(const Serializers* serializers, std::size_t max_depth)
    : serializers_(serializers), max_depth_(max_depth), scratch_(thread_scratch.in_use ? &own_ : &thread_scratch) {
  scratch_->in_use = true;
}

ValueBuilder::~ValueBuilder() {
  // A failed decode leaves values behind; they go now, the capacity stays.
  scratch_->values.clear();
  scratch_->levels.clear();
  if (scratch_->values.capacity() > kept_values) std::vector<Value>().swap(scratch_->values);
  scratch_->in_use = false;
}

// Out of line on purpose: these are the single sink of every decoded value,
// and inlining them into each SAX callback only bloats the parsers (and trips
// GCC 12's -Wmaybe-uninitialized false positive on std::variant moves).
template <class T>
bool ValueBuilder::emplace(T&& v) {
  if (scratch_->levels.empty()) {
    root_ = Value(std::forward<T>(v));
  } else {
    scratch_->values.emplace_back(std::forward<T>(v));
  }
  return true;
}

bool ValueBuilder::add(Value&& v) { return emplace(std::move(v)); }
bool ValueBuilder::add(std::nullptr_t) { return emplace(nullptr); }
bool ValueBuilder::add(bool v) { return emplace(v); }
bool ValueBuilder::add(std::int64_t v) { return emplace(v); }
bool ValueBuilder::add(std::uint64_t v) { return emplace(v); }
bool ValueBuilder::add(double v) { return emplace(v); }
bool ValueBuilder::add(std::string&& v) { return emplace(std::move(v)); }
bool ValueBuilder::add(Bytes&& v) { return emplace(std::move(v)); }

bool ValueBuilder::open(bool is_map) {
  std::vector<std::size_t>& levels = scratch_->levels;
  if (levels.size() >= max_depth_) return fail("nesting depth exceeds the limit of " + std::to_string(max_depth_));
  // A map's slot is marked by the top bit; a stack never holds 2^63 values.
  constexpr std::size_t map_bit = std::size_t{1} << (sizeof(std::size_t) * 8 - 1);
  levels.push_back(scratch_->values.size() | (is_map ? map_bit : 0));
  return true;
}

bool ValueBuilder::end_array() {
  std::vector<Value>& values = scratch_->values;
  const std::size_t start = scratch_->levels.back();
  scratch_->levels.pop_back();
  Array a(std::make_move_iterator(values.begin() + static_cast<std::ptrdiff_t>(start)),
          std::make_move_iterator(values.end()));
  values.resize(start);
  return emplace(std::move(a));
}

bool ValueBuilder::end_map() {
  std::vector<Value>& values = scratch_->values;
  constexpr std::size_t map_bit = std::size_t{1} << (sizeof(std::size_t) * 8 - 1);
  const std::size_t start = scratch_->levels.back() & ~map_bit;
  scratch_->levels.pop_back();
  Map m;
  m.reserve((values.size() - start) / 2);
  for (std::size_t i = start; i + 1 < values.size(); i += 2) m.emplace_back(std::move(values[i]), std::move(values[i + 1]));
  values.resize(start);
  dedupe_keys(m);
  if (serializers_) {
    // aiomas's object hook: any map with a "__type__" key is a wrapped custom type.
    for (auto& [k, v] : m) {
      if (!k.is_string() || k.as_string() != "__type__") continue;
      if (!v.is_array() || v.as_array().size() != 2)
        return fail("__type__ value must be a 2-element array [typeid, data], got " + to_repr(v));
      Array& a = v.as_array();
      if (!a[0].is_int() || a[0].is_big_uint() || a[0].as_int() < 0 || a[0].as_int() > INT32_MAX)
        return fail("__type__ typeid must be a non-negative int, got " + to_repr(a[0]));
      // Only the number travels: a peer that registers other types than we do
      // shows up as an id we lack, or as data of the wrong shape for the id.
      const auto id = static_cast<std::uint32_t>(a[0].as_int());
      const std::string* type = serializers_->type_of(id);
      auto mismatch = [&](std::string what) {
        return fail(std::move(what) + "; this side registers " + serializers_->describe() +
                    " (both sides must register the same serializers in the same order)");
      };
      if (!type) return mismatch("unknown __type__ typeid " + std::to_string(id));
      if (serializers_->text_data(id) && !a[1].is_string())
        return mismatch("__type__ typeid " + std::to_string(id) + " is '" + *type +
                        "' here, whose data is a text, but got " + to_repr(a[1]));
      return add(Value::extension(*type, std::move(a[1])));
    }
  }
  return emplace(std::move(m));
}

}  // namespace detail
}  // namespace uvmas
