#pragma once
// Entry points of the individual wire formats (used by Codec).

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <uvmas/codecs/codec.hpp>

namespace uvmas::detail {

void json_encode(const Value& v, std::string& out, const Serializers* s, std::size_t max_depth);
Value json_decode(std::string_view payload, const Serializers* s, std::size_t max_depth);
void msgpack_encode(const Value& v, std::string& out, const Serializers* s, std::size_t max_depth);
Value msgpack_decode(std::string_view payload, const Serializers* s, std::size_t max_depth);
/// Appends a Blosc-1 container of `in` (aiomas's parameters) to `out`.
void blosc_compress(std::string_view in, std::string& out);
/// Bytes of a Blosc-1 header.
inline constexpr std::size_t blosc_header_size = 16;
/// Turns `out[at, at + 16 + n)` (16 reserved bytes, then `n` bytes of data)
/// into the container c-blosc writes for `n` bytes too small to compress (a
/// header, then the data verbatim) and returns true; returns false (and
/// changes nothing) when `n` is large enough for c-blosc to try compression.
bool blosc_store_small(std::string& out, std::size_t at, std::size_t n) noexcept;
/// The data of a valid stored-verbatim container of at most `max_nbytes`
/// bytes, seen in place; empty when `payload` is anything else (then
/// blosc_decompress decides).
std::string_view blosc_stored_data(std::string_view payload, std::size_t max_nbytes) noexcept;
/// A decompressed payload. Its memory is not zero-filled first, so a
/// container that claims a large size but fails early commits no more pages
/// than were written.
struct BloscBuffer {
  std::unique_ptr<char[]> data;
  std::size_t size = 0;
  std::string_view view() const noexcept { return {data.get(), size}; }
};
/// Validates the container and returns the decompressed bytes.
BloscBuffer blosc_decompress(std::string_view payload, std::size_t max_nbytes);

/// The "too deep" message shared by the encoders.
[[noreturn]] void throw_too_deep(std::size_t max_depth);
/// The wrapper written for an Extension; SerializationError if not encodable.
std::uint32_t extension_typeid(const Extension& e, const Serializers* s);
/// Python's json refusals: bytes anywhere, a map key that is not str, int, float, bool or None.
[[noreturn]] void throw_bytes_not_json();
[[noreturn]] void throw_bad_json_key(const Value& key);

}  // namespace uvmas::detail
