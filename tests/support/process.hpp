#pragma once
// Runs a program and captures its output (for tests of examples and the CLI).

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace uvmas::test {

struct ProcessResult {
  int exit_code = -1;
  std::string out;  ///< stdout (stderr goes to the test log)
};

/// Runs `command` through the shell and waits for it.
inline ProcessResult run_process(const std::string& command) {
  ProcessResult r;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace uvmas::test
