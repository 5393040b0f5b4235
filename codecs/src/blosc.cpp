// MsgPackBlosc container: c-blosc 1.x through its context (_ctx) functions only,
// so there is no global blosc state and codecs are thread-safe. Frames too
// small to compress (most RPC messages) are stored verbatim by c-blosc; those
// containers are written and read here directly, byte for byte as c-blosc
// writes them, without its per-call set-up (the tests compare every size
// against the library).

#include <blosc.h>

#include <climits>
#include <cstdint>

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

namespace {
// c-blosc stores inputs below this many bytes verbatim (BLOSC_MIN_BUFFERSIZE).
constexpr std::size_t min_compressed = 128;
constexpr std::uint8_t typesize = 8;
constexpr std::uint8_t flag_memcpyed = 0x02;

void put_le32(char* p, std::size_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
std::size_t get_le32(const char* p) noexcept {
  auto b = reinterpret_cast<const std::uint8_t*>(p);
  return std::size_t{b[0]} | std::size_t{b[1]} << 8 | std::size_t{b[2]} << 16 | std::size_t{b[3]} << 24;
}
}  // namespace

bool blosc_store_small(std::string& out, std::size_t at, std::size_t n) noexcept {
  if (n == 0 || n >= min_compressed) return false;
  char* h = out.data() + at;
  // version 2, blosclz format 1, flags: byte shuffle + memcpyed + no split
  // (0x13), typesize; nbytes, blocksize (whole typesize units, at least 1), cbytes.
  h[0] = BLOSC_VERSION_FORMAT;
  h[1] = BLOSC_BLOSCLZ_VERSION_FORMAT;
  h[2] = 0x13;
  h[3] = static_cast<char>(typesize);
  put_le32(h + 4, n);
  put_le32(h + 8, n < typesize ? 1 : n / typesize * typesize);
  put_le32(h + 12, n + blosc_header_size);
  return true;
}

std::string_view blosc_stored_data(std::string_view payload, std::size_t max_nbytes) noexcept {
  if (payload.size() <= blosc_header_size) return {};
  auto h = reinterpret_cast<const std::uint8_t*>(payload.data());
  if (h[0] == 0 || h[0] > BLOSC_VERSION_FORMAT || !(h[2] & flag_memcpyed)) return {};
  const std::size_t nbytes = get_le32(payload.data() + 4);
  if (get_le32(payload.data() + 12) != payload.size() || nbytes != payload.size() - blosc_header_size ||
      nbytes > max_nbytes)
    return {};
  return payload.substr(blosc_header_size);
}

BloscBuffer blosc_decompress(std::string_view payload, std::size_t max_nbytes) {
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
  // The claimed size must fit what follows the header: the data itself when
  // stored verbatim, else one 4-byte start offset per block. A few bytes
  // claiming hundreds of megabytes are refused before anything is allocated.
  if (h[2] & flag_memcpyed) {
    if (cbytes != nbytes + blosc_header_size)
      throw DecodeError("invalid blosc container: " + std::to_string(nbytes) + " bytes stored verbatim cannot fit in " +
                        std::to_string(cbytes) + " bytes");
  } else {
    if (blocksize == 0) throw DecodeError("invalid blosc container: block size 0");
    const std::size_t blocks = nbytes / blocksize + (nbytes % blocksize != 0);
    if (blocks > (cbytes - blosc_header_size) / 4)
      throw DecodeError("invalid blosc container: " + std::to_string(blocks) + " blocks cannot fit in " +
                        std::to_string(cbytes) + " bytes");
  }
  BloscBuffer out{std::make_unique_for_overwrite<char[]>(nbytes), nbytes};
  int n = blosc_decompress_ctx(payload.data(), out.data.get(), out.size, 1);
  if (n < 0 || static_cast<std::size_t>(n) != nbytes)
    throw DecodeError("invalid blosc container: decompression failed (" + std::to_string(n) + ")");
  return out;
}

}  // namespace uvmas::detail
