// uvmas-mosaik-roles --role counter|relay|agent|mailbox [--workers N] (HOST:PORT | --listen HOST:PORT)
// Plays one of MOSAIK.md §12's roles against a mosaik master. With
// --workers N the entities live in N worker processes: this program again,
// started as `uvmas-mosaik-roles --worker-of ROLE ADDRESS`.

#include "roles.hpp"

#include <unistd.h>

#include <charconv>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace {

constexpr const char* usage =
    "usage: uvmas-mosaik-roles --role counter|relay|agent|mailbox [--workers N] (HOST:PORT | --listen HOST:PORT)\n"
    "  --workers N   spread the entities over N worker processes (0..64; default 0: all in this process)\n";

constexpr int max_workers = 64;

/// N of --workers N, or nothing when it is not a whole number in 0..max_workers.
std::optional<int> parse_workers(const std::string& text) {
  int n = -1;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || n < 0 || n > max_workers) {
    return std::nullopt;
  }
  return n;
}

/// This program's path, to start its workers with.
std::string own_executable() {
  std::string path(4096, '\0');
  const ssize_t n = ::readlink("/proc/self/exe", path.data(), path.size());
  if (n <= 0 || static_cast<std::size_t>(n) >= path.size()) throw std::runtime_error("cannot read /proc/self/exe");
  path.resize(static_cast<std::size_t>(n));
  return path;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--worker-of") return uvmas::sim::roles::run_worker(argv[2], argv[3]);
  std::string role;
  std::string workers_text = "0";
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--role" && i + 1 < argc) {
      role = argv[++i];
    } else if (arg.rfind("--role=", 0) == 0) {
      role = arg.substr(7);
    } else if (arg == "--workers") {
      workers_text = i + 1 < argc ? argv[++i] : "";
    } else if (arg.rfind("--workers=", 0) == 0) {
      workers_text = arg.substr(10);
    } else {
      rest.push_back(argv[i]);
    }
  }
  const std::optional<int> workers = parse_workers(workers_text);
  using Make = std::unique_ptr<uvmas::sim::Simulator> (*)(uvmas::Loop&, uvmas::ExternalClock&,
                                                          const uvmas::sim::roles::Workers&);
  Make make = nullptr;
  if (role == "counter") make = uvmas::sim::roles::make_counter;
  if (role == "relay") make = uvmas::sim::roles::make_relay;
  if (role == "agent") make = uvmas::sim::roles::make_agent;
  if (role == "mailbox") make = uvmas::sim::roles::make_mailbox;
  if (!make || !workers) {
    std::cerr << usage;
    if (!make && !role.empty()) std::cerr << "unknown role \"" << role << "\"\n";
    if (!workers) {
      std::cerr << "--workers needs a whole number from 0 to " << max_workers << ", got \"" << workers_text << "\"\n";
    }
    return 2;
  }
  uvmas::sim::roles::Workers placement;
  placement.count = *workers;
  if (placement.count > 0) {
    try {
      placement.argv = {own_executable(), "--worker-of", role, "tcp://127.0.0.1:0"};
    } catch (const std::exception& e) {
      std::cerr << "uvmas-mosaik-roles: cannot start workers: " << e.what() << "\n";
      return 1;
    }
  }
  return uvmas::sim::run_simulator(static_cast<int>(rest.size()), rest.data(),
                                   [make, placement](uvmas::Loop& loop, uvmas::ExternalClock& clock) {
                                     return make(loop, clock, placement);
                                   });
}
