#pragma once
/// Transport addresses as aiomas spells them:
///   tcp://host:port      (IPv4, IPv6 with or without [..], or a host name)
///   ipc://[/path/to.sock] (a Unix domain socket; a bare "/path" is accepted too)
///   local://queue-id      (the in-process LocalQueue transport)

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace uvmas {

/// A parsed transport address (no agent id; see Container for agent URLs).
struct Address {
  enum class Kind { tcp, unix_socket, local };
  Kind kind = Kind::tcp;
  std::string host;        ///< tcp: host verbatim, without brackets
  std::uint16_t port = 0;  ///< tcp: port (0 = any, for listening)
  std::string path;        ///< unix_socket: file system path; local: queue id

  /// Parses "tcp://host:port", "ipc://[path]", "local://id" or a bare "/path".
  /// Throws uvmas::ValueError with a message naming the problem.
  static Address parse(std::string_view text);
  static Address tcp(std::string host, std::uint16_t port);
  static Address unix_socket(std::string path);
  static Address local(std::string queue_id);

  /// Canonical URL form: "tcp://host:port", "ipc://[path]", "local://id".
  std::string url() const;
  /// The peer name aiomas reports as a RemoteException origin:
  /// "('127.0.0.1', 5555)", "('::1', 5555, 0, 0)", the socket path, "LocalQueue('id')".
  std::string origin() const;

  /// Field-wise: equal addresses name the same endpoint as spelled (the host
  /// verbatim, no name resolution). Ordered, to key maps.
  friend auto operator<=>(const Address&, const Address&) = default;
};

}  // namespace uvmas
