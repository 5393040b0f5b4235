#pragma once
// Entry points of the individual wire formats (used by Codec).

#include <cstddef>
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
/// Validates the container and returns the decompressed bytes.
std::string blosc_decompress(std::string_view payload, std::size_t max_nbytes);

/// The "too deep" message shared by the encoders.
[[noreturn]] void throw_too_deep(std::size_t max_depth);
/// The wrapper written for an Extension; SerializationError if not encodable.
std::uint32_t extension_typeid(const Extension& e, const Serializers* s);

}  // namespace uvmas::detail
