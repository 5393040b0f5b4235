#pragma once
/// Minimal logging: uvmas logs only what an operator must see (a connection
/// closed for bad input, a failed background task). Nothing per request.

#include <functional>
#include <string_view>

namespace uvmas {

enum class LogLevel { debug, info, warning, error };

/// Writes one line through the current sink (default: stderr, "uvmas: <level>: <text>").
void log(LogLevel level, std::string_view text);
/// Replaces the sink (nullptr restores stderr). Not thread-safe: set it at start-up.
void set_log_sink(std::function<void(LogLevel, std::string_view)> sink);
/// Lines below this level are dropped (default: info).
void set_log_level(LogLevel level);

}  // namespace uvmas
