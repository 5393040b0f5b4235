#pragma once
/// Opening and accepting streams for any transport address.

#include <uvmas/core/loop.hpp>
#include <uvmas/core/task.hpp>
#include <uvmas/transports/address.hpp>
#include <uvmas/transports/stream.hpp>

#include <memory>

namespace uvmas {

class TlsContext;

/// Transport settings shared by connect and listen.
struct TransportOptions {
  /// When set, TCP connections run TLS with this context (see transports/tls.hpp):
  /// a listener presents its certificate, a connection verifies the server's.
  std::shared_ptr<TlsContext> tls;
  /// When set, outgoing connections use this context instead of `tls`, so a
  /// container can serve with one identity and connect with another (aiomas's
  /// pair of server and client contexts); `tls` then applies to listening only.
  std::shared_ptr<TlsContext> client_tls;
  /// Host name to verify the server's certificate against (default: the address's host).
  std::string tls_server_name;
  /// TCP keepalive (both directions): after this many seconds without
  /// traffic the kernel probes the peer every third of it and drops the
  /// connection after 3 unanswered probes, so a vanished host is noticed on
  /// an idle connection and its pending calls fail with ConnectionError. 0: off.
  double keepalive = 30;
  /// TCP_USER_TIMEOUT: a connection whose sent data (or keepalive probes)
  /// stays unacknowledged this many seconds is dropped with an error.
  /// 0: the system's default (about 15 minutes of retransmissions).
  double user_timeout = 0;
};

/// Opens a stream to `address` (one attempt, like aiomas's default).
/// Throws ConnectionError naming the address and the reason.
Task<StreamPtr> connect_stream(Loop& loop, const Address& address, const TransportOptions& options);
// (No defaulted class-type argument: GCC 12 miscompiles such temporaries inside coroutines.)
Task<StreamPtr> connect_stream(Loop& loop, const Address& address);

/// Listens on `address`; every accepted stream is passed to `on_accept`.
/// Throws ConnectionError (address in use, permission, ...) synchronously.
std::unique_ptr<Listener> listen_stream(Loop& loop, const Address& address, AcceptCallback on_accept,
                                        const TransportOptions& options);
std::unique_ptr<Listener> listen_stream(Loop& loop, const Address& address, AcceptCallback on_accept);

}  // namespace uvmas
