// Fuzz target: address and URL parsing (transport addresses, agent URLs, the
// mosaik programs' command line). Bad text must be a clear exception.

#include "fuzz_target.hpp"

#include <uvmas/framework/container.hpp>
#include <uvmas/sim/mosaik.hpp>
#include <uvmas/transports/address.hpp>

#include <exception>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace uvmas;
  const std::string text(fuzz::as_text(data, size));
  try {
    Address a = Address::parse(text);
    (void)Address::parse(a.url());
  } catch (const std::exception&) {
  }
  try {
    (void)AgentUrl::is_agent_url(text);
    (void)AgentUrl::parse(text);
  } catch (const std::exception&) {
  }
  // The command line: the text split at NUL bytes into arguments.
  std::vector<std::string> args{"prog"};
  std::string current;
  for (char c : text) {
    if (c == '\0') {
      args.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  args.push_back(std::move(current));
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string error;
  (void)sim::parse_endpoint(static_cast<int>(args.size()), argv.data(), error);
  return 0;
}

std::vector<std::string> uvmas::fuzz::seeds_from(const VectorFile&) { return {}; }
