#pragma once
// Helpers shared by the test suites: paths to the test data (tests/data) and the built binaries,
// temporary Unix socket paths, and a child process runner.

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace uvmas::test {

/// tests/data: recorded vectors and TLS test certificates.
inline std::string data_dir() { return UVMAS_TEST_DATA_DIR; }
inline std::string bin_dir() { return UVMAS_BIN_DIR; }

/// A fresh Unix socket path in /tmp, unique per process and call.
inline std::string temp_socket_path(const std::string& stem) {
  static int counter = 0;
  return "/tmp/uvmas-test-" + std::to_string(::getpid()) + "-" + stem + "-" + std::to_string(counter++) + ".sock";
}

}  // namespace uvmas::test
