#pragma once
// What every fuzz target defines: libFuzzer's entry function, and the seeds it
// takes from one line of the recorded vectors (tests/fuzz/replay_main.cpp
// replays both in the regular build; libFuzzer calls only the entry).

#include <uvmas/codecs/value.hpp>
#include <uvmas/core/log.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace uvmas::fuzz {

/// One recorded vector file: its stem ("json", "time_based", ...) and its decoded JSON lines.
struct VectorFile {
  std::string name;
  std::vector<Value> lines;
};

/// Inputs for this target built from one vector file (none if it has no use for it).
std::vector<std::string> seeds_from(const VectorFile& vectors);

/// The frames (4-byte header + payload) of `vectors` in file order, of one
/// direction ("client->server", "master->sim", ...; "" for all).
std::vector<std::string> frames_of(const VectorFile& vectors, std::string_view direction);

/// The frames of one direction of the vector file `name` one by one, and all
/// of them in one input (a whole session); nothing for other files.
std::vector<std::string> frames_and_session(const VectorFile& vectors, std::string_view name,
                                            std::string_view direction);

/// The bytes of a lower-case hex string ("" if it is not hex).
std::string from_hex(std::string_view hex);

/// Drops uvmas's log lines (every bad frame logs one): fuzzing makes millions.
inline void quiet_logs() {
  static const bool once = [] {
    set_log_sink([](LogLevel, std::string_view) {});
    return true;
  }();
  (void)once;
}

/// The input as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace uvmas::fuzz
