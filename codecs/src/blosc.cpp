// MsgPackBlosc container: c-blosc 1.x through its context (_ctx) functions only,
// so there is no global blosc state and codecs are thread-safe.

#include <blosc.h>

#include <climits>

#include "formats.hpp"

namespace uvmas::detail {

void blosc_compress(std::string_view in, std::string& out) {
  if (in.size() > static_cast<std::size_t>(BLOSC_MAX_BUFFERSIZE))
    throw SerializationError("payload too large for blosc (" + std::to_string(in.size()) + " bytes)");
  const std::size_t old = out.size();
  const std::size_t cap = in.size() + BLOSC_MAX_OVERHEAD;
  out.resize(old + cap);
  // aiomas: blosc.compress(data, typesize=8, clevel=9, shuffle=byte, cname='blosclz').
  int n = blosc_compress_ctx(9, BLOSC_SHUFFLE, 8, in.size(), in.data(), out.data() + old, cap, "blosclz", 0, 1);
  if (n <= 0) {
    out.resize(old);
    throw SerializationError("blosc compression failed (" + std::to_string(n) + ")");
  }
  out.resize(old + static_cast<std::size_t>(n));
}

std::string blosc_decompress(std::string_view payload, std::size_t max_nbytes) {
  if (payload.size() < BLOSC_MIN_HEADER_LENGTH)
    throw DecodeError("invalid blosc container: " + std::to_string(payload.size()) + " bytes is shorter than the header");
  auto h = reinterpret_cast<const std::uint8_t*>(payload.data());
  if (h[0] == 0 || h[0] > BLOSC_VERSION_FORMAT)
    throw DecodeError("invalid blosc container: unsupported format version " + std::to_string(h[0]));
  std::size_t nbytes = 0, cbytes = 0, blocksize = 0;
  blosc_cbuffer_sizes(payload.data(), &nbytes, &cbytes, &blocksize);
  if (cbytes != payload.size())
    throw DecodeError("invalid blosc container: header says " + std::to_string(cbytes) + " bytes, payload has " +
                      std::to_string(payload.size()));
  if (nbytes > max_nbytes)
    throw DecodeError("blosc container claims " + std::to_string(nbytes) + " decompressed bytes (limit " +
                      std::to_string(max_nbytes) + ")");
  std::size_t checked = 0;
  if (blosc_cbuffer_validate(payload.data(), payload.size(), &checked) != 0 || checked != nbytes)
    throw DecodeError("invalid blosc container header");
  if (nbytes == 0) throw DecodeError("empty payload inside blosc container");
  std::string out(nbytes, '\0');
  int n = blosc_decompress_ctx(payload.data(), out.data(), out.size(), 1);
  if (n < 0 || static_cast<std::size_t>(n) != nbytes)
    throw DecodeError("invalid blosc container: decompression failed (" + std::to_string(n) + ")");
  return out;
}

}  // namespace uvmas::detail
