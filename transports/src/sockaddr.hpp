#pragma once
// Private helpers around struct sockaddr: resolve, format as aiomas's peer name.

#include "uvmas/core/loop.hpp"
#include "uvmas/core/task.hpp"

#include <uv.h>

#include <string>
#include <vector>

namespace uvmas::detail {

/// "('127.0.0.1', 5555)" / "('::1', 5555, 0, 0)" for a socket address.
std::string python_peer_name(const sockaddr* sa);
/// Resolves host:port to socket addresses (IPv4 first), asynchronously.
/// IP literals are returned at once without a lookup.
Task<std::vector<sockaddr_storage>> resolve(Loop& loop, std::string host, std::uint16_t port);
/// Same, blocking (used when binding a listener at start-up).
std::vector<sockaddr_storage> resolve_now(Loop& loop, const std::string& host, std::uint16_t port);

}  // namespace uvmas::detail
