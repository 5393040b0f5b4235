// Fuzz target: the msgpack codec's decoder (and encoder, on what decodes).

#include "codec_decode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  uvmas::fuzz::decode_and_reencode(uvmas::Format::msgpack, uvmas::fuzz::as_text(data, size));
  return 0;
}

std::vector<std::string> uvmas::fuzz::seeds_from(const VectorFile& vectors) { return payload_seeds(vectors, "msgpack"); }
