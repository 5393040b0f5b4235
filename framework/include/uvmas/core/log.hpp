#pragma once
/// Logging: uvmas writes a line when something an operator should know
/// happens (warning: a connection closed for bad input, a failed background
/// task) and, at level debug, when connections open and close, agents are
/// spawned and simulation steps run. Nothing is logged per request.
///
/// Lines go to a sink, by default stderr as `uvmas: <level>: <text>`. The
/// level is info unless the environment variable `UVMAS_LOG` says
/// `debug`, `info`, `warning` or `error` (read at the first log call), or a
/// program calls `set_log_level` (the CLI's `--log-level`). Both settings
/// are process-wide, like stderr itself. To send the lines into your own
/// logger (spdlog, syslog, ...), set a sink:
/// \code
/// uvmas::set_log_sink([](uvmas::LogLevel level, std::string_view text) {
///   my_logger.log(to_my_level(level), text);
/// });
/// \endcode

#include <functional>
#include <optional>
#include <string_view>

namespace uvmas {

/// Severity of a log line, lowest first.
enum class LogLevel { debug, info, warning, error };

/// Writes one line through the current sink if `level` is at or above the
/// current level.
void log(LogLevel level, std::string_view text);
/// True if a line of `level` would be written (check it before building an
/// expensive debug text).
bool log_enabled(LogLevel level) noexcept;
/// Replaces the sink (nullptr restores stderr). Not thread-safe: set it at
/// start-up, before loops run in other threads.
void set_log_sink(std::function<void(LogLevel, std::string_view)> sink);
/// Lines below this level are dropped (default: info, or `UVMAS_LOG`).
void set_log_level(LogLevel level) noexcept;
/// The current level.
LogLevel log_level() noexcept;

/// "debug", "info", "warning" or "error".
std::string_view to_string(LogLevel level) noexcept;
/// The level called `name` (as to_string spells it; "warn" is accepted too),
/// or nothing.
std::optional<LogLevel> parse_log_level(std::string_view name) noexcept;

}  // namespace uvmas
