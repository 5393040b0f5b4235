// Replays fuzz inputs through a target's entry function in the regular build
// (a ctest per target): every file in the given directories, and the seeds
// the target takes from the given recorded-vector files (*.jsonl). With
// `--write-seeds DIR` it also writes those seeds there, as the starting
// corpus of `tools/dev fuzz`. An input that crashes fails the run; so does
// replaying nothing (outside --write-seeds).

#include "fuzz_target.hpp"

#include <uvmas/codecs/codec.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

namespace fs = std::filesystem;


namespace {

std::size_t run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
  return 1;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  std::string seeds_dir;
  std::size_t replayed = 0;
  std::size_t written = 0;
  uvmas::Codec json(uvmas::Format::json);
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--write-seeds" && i + 1 < argc) {
      seeds_dir = argv[++i];
      fs::create_directories(seeds_dir);
      continue;
    }
    fs::path path(arg);
    if (fs::is_directory(path)) {
      for (const auto& entry : fs::directory_iterator(path)) {
        if (entry.is_regular_file()) replayed += run(read_all(entry.path()));
      }
    } else if (path.extension() == ".jsonl") {
      std::ifstream in(path);
      uvmas::fuzz::VectorFile vectors{path.stem().string(), {}};
      std::string text;
      while (std::getline(in, text)) {
        if (!text.empty()) vectors.lines.push_back(json.decode(text));
      }
      for (const std::string& seed : uvmas::fuzz::seeds_from(vectors)) {
        replayed += run(seed);
        if (!seeds_dir.empty()) {
          std::ofstream(fs::path(seeds_dir) / (vectors.name + "-" + std::to_string(written++)), std::ios::binary)
              << seed;
        }
      }
    } else if (fs::is_regular_file(path)) {
      replayed += run(read_all(path));
    } else {
      std::cerr << "no such input: " << arg << "\n";
      return 2;
    }
  }
  std::cout << "replayed " << replayed << " inputs\n";
  return replayed > 0 || !seeds_dir.empty() ? 0 : 1;
}
