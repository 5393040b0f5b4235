#include "uvmas/core/log.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace uvmas {

namespace {
// The sink and level are process-wide on purpose: log output is a property
// of the process (its stderr), not of a loop.
std::function<void(LogLevel, std::string_view)>& sink() {
  static std::function<void(LogLevel, std::string_view)> s;
  return s;
}

/// The level from UVMAS_LOG, read once; a value that names no level is
/// reported (once) and ignored.
LogLevel initial_level() {
  const char* env = std::getenv("UVMAS_LOG");
  if (!env || !*env) return LogLevel::info;
  if (auto level = parse_log_level(env)) return *level;
  std::string line = "uvmas: warning: UVMAS_LOG='" + std::string(env) +
                     "' is not one of debug, info, warning, error; logging at info\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
  return LogLevel::info;
}

std::atomic<LogLevel>& threshold() {
  static std::atomic<LogLevel> level{initial_level()};
  return level;
}
}  // namespace

std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
  }
  return "";
}

std::optional<LogLevel> parse_log_level(std::string_view name) noexcept {
  for (LogLevel l : {LogLevel::debug, LogLevel::info, LogLevel::warning, LogLevel::error})
    if (name == to_string(l)) return l;
  if (name == "warn") return LogLevel::warning;
  return std::nullopt;
}

bool log_enabled(LogLevel level) noexcept { return level >= threshold().load(std::memory_order_relaxed); }

void log(LogLevel level, std::string_view text) {
  if (!log_enabled(level)) return;
  if (auto& s = sink()) {
    s(level, text);
    return;
  }
  std::string line = "uvmas: " + std::string(to_string(level)) + ": " + std::string(text) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void set_log_sink(std::function<void(LogLevel, std::string_view)> s) { sink() = std::move(s); }
void set_log_level(LogLevel level) noexcept { threshold().store(level, std::memory_order_relaxed); }
LogLevel log_level() noexcept { return threshold().load(std::memory_order_relaxed); }

}  // namespace uvmas
