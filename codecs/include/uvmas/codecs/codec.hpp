#pragma once
/// \file
/// The aiomas codecs: JSON (default), MsgPack and MsgPackBlosc, plus the
/// per-codec extension (`__type__`) serializer list.

#include <cstddef>
#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <uvmas/codecs/error.hpp>
#include <uvmas/codecs/value.hpp>

namespace uvmas {

/// The wire formats of aiomas 2.x, and `custom` for a CustomCodec of the user's.
enum class Format { json, msgpack, msgpack_blosc, custom };

/// "json", "msgpack", "msgpack_blosc" or "custom".
std::string_view to_string(Format f) noexcept;
/// Inverse of to_string for the three built-in formats; throws
/// std::invalid_argument listing the valid names.
Format format_from_string(std::string_view name);

/// Ordered list of extension type names; typeid = index (registration order),
/// like aiomas's per-codec serializer list. Both peers must register the same
/// types in the same order because only the number travels.
class Serializers {
 public:
  Serializers() = default;
  /// Builds from names in typeid order; duplicates throw std::invalid_argument.
  Serializers(std::initializer_list<std::string> types);
  /// Registers the next typeid; a duplicate name throws std::invalid_argument.
  void add(std::string type);
  /// Same, for a type whose data is always a text (a date, a proxy's path):
  /// other data under its typeid means the peer numbers its types
  /// differently, and decoding fails saying so.
  void add(std::string type, bool text_data);
  /// The typeid of `type`, if registered. O(n) (lists are tiny).
  std::optional<std::uint32_t> id_of(std::string_view type) const noexcept;
  /// The type registered under `id`, or nullptr.
  const std::string* type_of(std::uint32_t id) const noexcept;
  /// True if `id` was registered with `text_data`.
  bool text_data(std::uint32_t id) const noexcept { return id < text_.size() && text_[id]; }
  /// Number of registered types.
  std::size_t size() const noexcept { return types_.size(); }
  /// The list for messages: "0 datetime, 1 Point, 2 proxy" ("none" when empty).
  std::string describe() const;

 private:
  std::vector<std::string> types_;
  std::vector<bool> text_;
};

/// Limits applied by a codec.
struct CodecOptions {
  /// Maximum nesting of arrays and maps (wire levels; a `__type__` wrapper counts
  /// two), enforced when decoding and encoding.
  std::size_t max_depth = 256;
  /// MsgPackBlosc: the largest decompressed size a received container may claim.
  std::size_t max_blosc_nbytes = std::size_t{1} << 30;
};

/// A wire format of the user's own, as aiomas accepts any `Codec` subclass:
/// implement encode and decode and pass it as the codec of a channel, rpc
/// server or container (`options.codec = std::make_shared<MyCodec>()`). Both
/// peers must use the same. The methods are const and may run concurrently.
/// Extension values (dates, registered types, agent references) carry the type
/// name; `serializers` gives its typeid (`id_of`) and back (`type_of`), and is
/// nullptr in raw mode.
class CustomCodec {
 public:
  virtual ~CustomCodec() = default;
  /// A short name for error messages ("yaml").
  virtual std::string name() const = 0;
  /// Appends the payload of `v` to `out`. Throw SerializationError for a value
  /// the format cannot carry (other exceptions are reported as one).
  virtual void encode(const Value& v, std::string& out,
                      const std::shared_ptr<const Serializers>& serializers) const = 0;
  /// Decodes one complete, non-empty payload. Throw DecodeError for bad input
  /// (other exceptions are reported as one).
  virtual Value decode(std::string_view payload, const std::shared_ptr<const Serializers>& serializers) const = 0;
};

/// The codec setting of channel, rpc and container options: one of aiomas's
/// formats (`Format::msgpack`) or a user's CustomCodec.
class CodecChoice {
 public:
  /// A built-in format (JSON unless told otherwise).
  CodecChoice(Format format = Format::json);  // NOLINT: implicit on purpose, `options.codec = Format::msgpack`
  /// A user-defined codec (not null).
  template <class C>
    requires std::derived_from<C, CustomCodec>
  CodecChoice(std::shared_ptr<C> custom)  // NOLINT: implicit on purpose, `options.codec = make_shared<MyCodec>()`
      : CodecChoice(std::shared_ptr<const CustomCodec>(std::move(custom)), 0) {}

  /// The format; Format::custom for a user's codec.
  Format format() const noexcept { return format_; }
  /// Reads as its Format where one is expected (`to_string(options.codec)`).
  operator Format() const noexcept { return format_; }  // NOLINT: implicit on purpose
  /// The user's codec, or nullptr for a built-in format.
  const std::shared_ptr<const CustomCodec>& custom() const noexcept { return custom_; }
  /// The format's name, or the custom codec's.
  std::string name() const;
  friend bool operator==(const CodecChoice& a, Format b) noexcept { return a.format_ == b; }

 private:
  CodecChoice(std::shared_ptr<const CustomCodec> custom, int);
  Format format_;
  std::shared_ptr<const CustomCodec> custom_;
};

/// A codec: a Format (or a CustomCodec) plus the serializer list. Cheap to copy; thread-safe to use
/// concurrently (no mutable state; blosc runs through its `_ctx` functions).
class Codec {
 public:
  /// `s == nullptr` is raw mode: `__type__` maps stay plain maps on decode and
  /// encoding an Extension is a SerializationError.
  explicit Codec(Format f = Format::json, std::shared_ptr<const Serializers> s = nullptr, CodecOptions o = {});
  /// The codec `choice` names (a built-in format or the user's codec).
  Codec(const CodecChoice& choice, std::shared_ptr<const Serializers> s, CodecOptions o);

  /// The wire format (Format::custom for a user's codec).
  Format format() const noexcept { return format_; }
  /// The user's codec, or nullptr.
  const CustomCodec* custom() const noexcept { return custom_.get(); }
  /// The serializer list, nullptr in raw mode.
  const Serializers* serializers() const noexcept { return serializers_.get(); }
  /// The limits.
  const CodecOptions& options() const noexcept { return options_; }

  /// Appends the encoded payload of `v` to `out` (no length header). Throws
  /// SerializationError; on throw `out` is restored to its old size.
  void encode(const Value& v, std::string& out) const;
  /// The encoded payload of `v`.
  std::string encode(const Value& v) const;
  /// Throws the SerializationError that encoding `v` at nesting level `depth`
  /// of a payload would throw (bytes under JSON, an extension type not
  /// registered, a map key JSON refuses, text that is not UTF-8, nesting too
  /// deep), without encoding: in-process calls check their values with it so
  /// that they fail as the same call over a socket does. O(size), no
  /// allocation (a custom codec is asked to encode into a scratch buffer).
  void check_encodable(const Value& v, std::size_t depth) const;

  /// Decodes one complete payload. Throws DecodeError. Enforces max_depth, strict
  /// UTF-8, no leading BOM, rejects empty input and trailing bytes; maps with a
  /// `__type__` key become Extensions unless in raw mode.
  Value decode(std::string_view payload) const;

 private:
  Format format_;
  std::shared_ptr<const CustomCodec> custom_;
  std::shared_ptr<const Serializers> serializers_;
  CodecOptions options_;
};

}  // namespace uvmas
