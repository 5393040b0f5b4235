// Keeps the code blocks of the guides equal to the regions of the compiled
// examples they are taken from, so no guide shows code that was not built.
//
//   uvmas-snippets check ROOT   exit 1 and say where, if any block differs
//   uvmas-snippets write ROOT   rewrite every block from its region
//
// In docs/examples/NAME.cpp a region is the lines between `// [snippet:ID]`
// and `// [end:ID]` (markers of other regions inside are left out, common
// indentation is removed); shell scripts mark regions with `#`. In a guide,
// the line `<!-- snippet: docs/examples/NAME.cpp#ID -->` directly precedes
// the ```cpp (or ```sh) block that shows that region. ROOT/README.md and every .md file
// under ROOT/docs are read.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

using Lines = std::vector<std::string>;

Lines read_lines(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  Lines lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void write_lines(const fs::path& path, const Lines& lines) {
  std::ofstream out(path, std::ios::trunc);
  for (const auto& line : lines) out << line << "\n";
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

/// A marker line `// [snippet:ID]` or `// [end:ID]` (`#` instead of `//` in
/// shell scripts): {"snippet"|"end", ID}.
std::optional<std::pair<std::string, std::string>> marker(const std::string& line) {
  static const std::regex re(R"(^\s*(//|#) \[(snippet|end):([A-Za-z0-9_.-]+)\]\s*$)");
  std::smatch m;
  if (!std::regex_match(line, m, re)) return std::nullopt;
  return std::make_pair(m[2].str(), m[3].str());
}

Lines dedent(Lines lines) {
  std::size_t common = std::string::npos;
  for (const auto& line : lines) {
    if (trim(line).empty()) continue;
    common = std::min(common, line.find_first_not_of(" \t"));
  }
  for (auto& line : lines) {
    if (trim(line).empty()) line.clear();
    else line.erase(0, common);
  }
  return lines;
}

/// Every region of one example file, by id.
std::map<std::string, Lines> regions_of(const fs::path& file) {
  const Lines lines = read_lines(file);
  std::map<std::string, std::size_t> open;  // id -> line index of its start marker
  std::map<std::string, Lines> regions;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto m = marker(lines[i]);
    if (!m) {
      for (const auto& [id, start] : open) regions[id].push_back(lines[i]);
      continue;
    }
    const auto& [kind, id] = *m;
    const std::string where = file.string() + ":" + std::to_string(i + 1) + ": ";
    if (kind == "snippet") {
      if (open.count(id) || regions.count(id)) throw std::runtime_error(where + "region '" + id + "' starts twice");
      open[id] = i;
      regions[id];
    } else {
      if (!open.erase(id)) throw std::runtime_error(where + "[end:" + id + "] without [snippet:" + id + "]");
    }
  }
  if (!open.empty()) {
    throw std::runtime_error(file.string() + ":" + std::to_string(open.begin()->second + 1) + ": region '" +
                             open.begin()->first + "' has no [end:" + open.begin()->first + "]");
  }
  for (auto& [id, region] : regions) region = dedent(std::move(region));
  return regions;
}

class Snippets {
 public:
  explicit Snippets(fs::path root) : root_(std::move(root)) {}

  /// The lines of `docs/examples/NAME.cpp#ID`; throws when the file or region is missing.
  const Lines& region(const std::string& ref) {
    const auto hash = ref.find('#');
    if (hash == std::string::npos) throw std::runtime_error("'" + ref + "' names no region (FILE#ID)");
    const std::string file = ref.substr(0, hash), id = ref.substr(hash + 1);
    auto it = files_.find(file);
    if (it == files_.end()) it = files_.emplace(file, regions_of(root_ / file)).first;
    auto r = it->second.find(id);
    if (r == it->second.end()) throw std::runtime_error(file + " has no region '" + id + "'");
    return r->second;
  }

 private:
  fs::path root_;
  std::map<std::string, std::map<std::string, Lines>> files_;
};

/// Checks (or rewrites) the snippet blocks of one markdown file; returns the number of problems.
int process(const fs::path& md, const fs::path& root, Snippets& snippets, bool write) {
  static const std::regex ref_re(R"(^<!-- snippet: (\S+) -->\s*$)");
  const Lines lines = read_lines(md);
  Lines out;
  int problems = 0;
  const std::string name = fs::relative(md, root).string();
  auto report = [&](std::size_t line, const std::string& what) {
    std::cerr << name << ":" << line + 1 << ": " << what << "\n";
    ++problems;
  };
  for (std::size_t i = 0; i < lines.size(); ++i) {
    out.push_back(lines[i]);
    std::smatch m;
    if (!std::regex_match(lines[i], m, ref_re)) continue;
    const std::string ref = m[1].str();
    const Lines* region = nullptr;
    try {
      region = &snippets.region(ref);
    } catch (const std::exception& e) {
      report(i, e.what());
      continue;
    }
    // The block: an opening fence on the next line up to the closing fence.
    const bool has_block = i + 1 < lines.size() && lines[i + 1].rfind("```", 0) == 0;
    std::size_t end = i + 1;
    if (has_block) {
      end = i + 2;
      while (end < lines.size() && trim(lines[end]) != "```") ++end;
      if (end == lines.size()) {
        report(i + 1, "code block has no closing ```");
        continue;
      }
    }
    const Lines shown = has_block ? Lines(lines.begin() + i + 2, lines.begin() + end) : Lines{};
    if (!has_block || shown != *region) {
      if (!write) {
        if (!has_block) {
          report(i, "no ```cpp block after the snippet line for " + ref);
        } else {
          std::size_t k = 0;
          while (k < shown.size() && k < region->size() && shown[k] == (*region)[k]) ++k;
          report(i + 2 + k, "block differs from " + ref + " (run tools/dev snippets): shows '" +
                                (k < shown.size() ? shown[k] : "<end of block>") + "', the example has '" +
                                (k < region->size() ? (*region)[k] : "<end of region>") + "'");
        }
      } else {
        std::cout << "updated " << name << ":" << i + 1 << " from " << ref << "\n";
      }
    }
    const bool shell = ref.find(".sh#") != std::string::npos;
    out.push_back(has_block ? lines[i + 1] : shell ? "```sh" : "```cpp");
    out.insert(out.end(), region->begin(), region->end());
    out.push_back("```");
    i = has_block ? end : i;
  }
  if (write && out != lines) write_lines(md, out);
  return problems;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || (std::string(argv[1]) != "check" && std::string(argv[1]) != "write")) {
    std::cerr << "usage: uvmas-snippets check|write ROOT\n";
    return 64;
  }
  const bool write = std::string(argv[1]) == "write";
  const fs::path root = argv[2];
  try {
    std::vector<fs::path> guides;
    if (fs::exists(root / "README.md")) guides.push_back(root / "README.md");
    for (const auto& entry : fs::recursive_directory_iterator(root / "docs")) {
      if (entry.is_regular_file() && entry.path().extension() == ".md") guides.push_back(entry.path());
    }
    std::sort(guides.begin(), guides.end());
    Snippets snippets(root);
    int problems = 0;
    for (const auto& md : guides) problems += process(md, root, snippets, write);
    if (problems) {
      std::cerr << problems << " snippet problem(s)\n";
      return 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "uvmas-snippets: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
