#include "uvmas/core/log.hpp"

#include <cstdio>
#include <string>

namespace uvmas {

namespace {
// The sink is process-wide on purpose: log output is a property of the
// process (its stderr), not of a loop.
std::function<void(LogLevel, std::string_view)>& sink() {
  static std::function<void(LogLevel, std::string_view)> s;
  return s;
}
LogLevel& threshold() {
  static LogLevel level = LogLevel::info;
  return level;
}
const char* name(LogLevel l) {
  switch (l) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
  }
  return "";
}
}  // namespace

void log(LogLevel level, std::string_view text) {
  if (level < threshold()) return;
  if (auto& s = sink()) {
    s(level, text);
    return;
  }
  std::string line = "uvmas: " + std::string(name(level)) + ": " + std::string(text) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void set_log_sink(std::function<void(LogLevel, std::string_view)> s) { sink() = std::move(s); }
void set_log_level(LogLevel level) { threshold() = level; }

}  // namespace uvmas
