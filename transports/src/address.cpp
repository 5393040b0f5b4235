#include "uvmas/transports/address.hpp"

#include "uvmas/core/error.hpp"

#include <charconv>

namespace uvmas {

namespace {
[[noreturn]] void bad(std::string_view text, std::string_view why) {
  throw ValueError("invalid address \"" + std::string(text) + "\": " + std::string(why));
}

std::uint16_t parse_port(std::string_view text, std::string_view port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    bad(text, "the port must be a number from 0 to 65535");
  }
  return static_cast<std::uint16_t>(value);
}
}  // namespace

Address Address::tcp(std::string host, std::uint16_t port) { return Address{Kind::tcp, std::move(host), port, {}}; }
Address Address::unix_socket(std::string path) { return Address{Kind::unix_socket, {}, 0, std::move(path)}; }
Address Address::local(std::string queue_id) { return Address{Kind::local, {}, 0, std::move(queue_id)}; }

Address Address::parse(std::string_view text) {
  if (!text.empty() && text.front() == '/') return unix_socket(std::string(text));
  auto sep = text.find("://");
  if (sep == std::string_view::npos) bad(text, "expected scheme://..., with scheme tcp, ipc or local");
  auto scheme = text.substr(0, sep);
  auto rest = text.substr(sep + 3);
  if (scheme == "tcp") {
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) bad(text, "expected tcp://host:port");
    auto host = rest.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty()) bad(text, "the host is empty");
    return tcp(std::string(host), parse_port(text, rest.substr(colon + 1)));
  }
  if (scheme == "ipc" || scheme == "unix") {
    if (!rest.empty() && rest.front() == '[') {
      auto close = rest.find(']');
      if (close == std::string_view::npos) bad(text, "missing ']' after the socket path");
      auto path = rest.substr(1, close - 1);
      if (path.empty()) bad(text, "the socket path is empty");
      return unix_socket(std::string(path));
    }
    if (rest.empty()) bad(text, "the socket path is empty");
    return unix_socket(std::string(rest));
  }
  if (scheme == "local") {
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    if (rest.empty() || rest.find('/') != std::string_view::npos) bad(text, "expected local://queue-id (no '/')");
    return local(std::string(rest));
  }
  bad(text, "unknown scheme \"" + std::string(scheme) + "\" (use tcp, ipc or local)");
}

std::string Address::url() const {
  switch (kind) {
    case Kind::tcp:
      return "tcp://" + host + ":" + std::to_string(port);
    case Kind::unix_socket:
      return "ipc://[" + path + "]";
    case Kind::local:
      return "local://" + path;
  }
  return {};
}

std::string Address::origin() const {
  switch (kind) {
    case Kind::tcp:
      if (host.find(':') != std::string::npos) return "('" + host + "', " + std::to_string(port) + ", 0, 0)";
      return "('" + host + "', " + std::to_string(port) + ")";
    case Kind::unix_socket:
      return path;
    case Kind::local:
      return "LocalQueue('" + path + "')";
  }
  return {};
}

}  // namespace uvmas
