#pragma once
/// \file
/// The frame of the aiomas wire protocol: a 4-byte big-endian payload length,
/// then the payload (one encoded message). These are the only functions that
/// read or write that length.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace uvmas {

/// Bytes of a frame header.
inline constexpr std::size_t frame_header_size = 4;

/// The payload length announced by the header at `header` (4 bytes).
inline std::uint32_t read_frame_header(const char* header) noexcept {
  const auto* b = reinterpret_cast<const unsigned char*>(header);
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]};
}

/// Writes the header of a `length`-byte payload to `header` (4 bytes).
inline void write_frame_header(char* header, std::uint32_t length) noexcept {
  header[0] = static_cast<char>(length >> 24);
  header[1] = static_cast<char>(length >> 16);
  header[2] = static_cast<char>(length >> 8);
  header[3] = static_cast<char>(length);
}

/// Appends the frame of `payload` (header, then payload) to `out`. The
/// payload must be shorter than 4 GiB.
inline void append_frame(std::string& out, std::string_view payload) {
  const std::size_t start = out.size();
  out.append(frame_header_size, '\0');
  write_frame_header(out.data() + start, static_cast<std::uint32_t>(payload.size()));
  out.append(payload);
}

/// If `buffer` begins with a whole frame, removes that frame from it and
/// returns its payload; otherwise leaves `buffer` alone and returns nothing.
inline std::optional<std::string> take_frame(std::string& buffer) {
  if (buffer.size() < frame_header_size) return std::nullopt;
  const std::size_t length = read_frame_header(buffer.data());
  if (buffer.size() - frame_header_size < length) return std::nullopt;
  std::string payload = buffer.substr(frame_header_size, length);
  buffer.erase(0, frame_header_size + length);
  return payload;
}

}  // namespace uvmas
