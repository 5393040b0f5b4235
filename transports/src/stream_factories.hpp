#pragma once
// Private: the transports that wrap or replace a socket stream, as seen by connect.cpp.

#include "uvmas/transports/connect.hpp"

namespace uvmas::detail {

/// Runs the TLS client handshake over `tcp` (transports/src/tls_stream.cpp).
Task<StreamPtr> tls_client(StreamPtr tcp, std::shared_ptr<TlsContext> ctx, std::string server_name);
/// Wraps an accept callback so that accepted TCP streams run the TLS server handshake first.
AcceptCallback tls_server_acceptor(Loop& loop, std::shared_ptr<TlsContext> ctx, AcceptCallback on_accept);

/// In-process LocalQueue transport (transports/src/local_queue.cpp).
Task<StreamPtr> local_connect(Loop& loop, std::string queue_id);
std::unique_ptr<Listener> local_listen(Loop& loop, std::string queue_id, AcceptCallback on_accept);

}  // namespace uvmas::detail
