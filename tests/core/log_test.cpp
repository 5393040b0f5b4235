// The log level and sink a user controls: names parse, lines below the level
// are dropped, a sink receives every line at or above it.

#include <uvmas/core/log.hpp>

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace {

using uvmas::LogLevel;

TEST(Log, LevelNamesParseBothWays) {
  for (LogLevel l : {LogLevel::debug, LogLevel::info, LogLevel::warning, LogLevel::error}) {
    EXPECT_EQ(uvmas::parse_log_level(uvmas::to_string(l)), l);
  }
  EXPECT_EQ(uvmas::parse_log_level("warn"), LogLevel::warning);
  EXPECT_EQ(uvmas::parse_log_level("loud"), std::nullopt);
  EXPECT_EQ(uvmas::parse_log_level(""), std::nullopt);
}

TEST(Log, TheSinkGetsTheLinesAtOrAboveTheLevel) {
  const LogLevel before = uvmas::log_level();
  std::vector<std::pair<LogLevel, std::string>> lines;
  uvmas::set_log_sink([&](LogLevel l, std::string_view text) { lines.emplace_back(l, std::string(text)); });
  uvmas::set_log_level(LogLevel::warning);
  EXPECT_FALSE(uvmas::log_enabled(LogLevel::info));
  EXPECT_TRUE(uvmas::log_enabled(LogLevel::error));
  uvmas::log(LogLevel::debug, "d");
  uvmas::log(LogLevel::info, "i");
  uvmas::log(LogLevel::warning, "w");
  uvmas::log(LogLevel::error, "e");
  uvmas::set_log_level(LogLevel::debug);
  uvmas::log(LogLevel::debug, "d2");
  uvmas::set_log_sink(nullptr);
  uvmas::set_log_level(before);
  const std::vector<std::pair<LogLevel, std::string>> expected = {
      {LogLevel::warning, "w"}, {LogLevel::error, "e"}, {LogLevel::debug, "d2"}};
  EXPECT_EQ(lines, expected);
}

}  // namespace
