// Helpers the targets use to build seeds from the recorded vectors.

#include "fuzz_target.hpp"

namespace uvmas::fuzz {

std::string from_hex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  if (hex.size() % 2 != 0) return out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return {};
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::vector<std::string> frames_of(const VectorFile& vectors, std::string_view direction) {
  std::vector<std::string> out;
  for (const Value& line : vectors.lines) {
    if (!line.find("frame_hex") || !line.find("direction")) continue;
    if (!direction.empty() && line.at("direction").as_string() != direction) continue;
    out.push_back(from_hex(line.at("frame_hex").as_string()));
  }
  return out;
}

std::vector<std::string> frames_and_session(const VectorFile& vectors, std::string_view name,
                                            std::string_view direction) {
  if (vectors.name != name) return {};
  std::vector<std::string> seeds = frames_of(vectors, direction);
  std::string all;
  for (const auto& f : seeds) all += f;
  seeds.push_back(std::move(all));
  return seeds;
}

}  // namespace uvmas::fuzz
