#pragma once
/// TLS for TCP connections (mbedTLS), the counterpart of aiomas's `SSLCerts`
/// and its `make_ssl_server_context` / `make_ssl_client_context` helpers.
///
/// One TlsContext serves both roles: as a server it presents its certificate
/// and requires a client certificate signed by the CA; as a client it
/// verifies the server's certificate against the CA and checks the host (DNS
/// name or IP address) and presents its own certificate. TLS 1.2 only,
/// ECDHE + AES-GCM only, as aiomas's contexts are. Pass the context in
/// `TransportOptions::tls` (connect_stream / listen_stream, or a channel's
/// `ChannelOptions::transport`). See docs/tls.md.

#include <memory>
#include <string>
#include <string_view>

namespace uvmas {

/// The files of a TLS identity (aiomas's `SSLCerts(cafile, certfile, keyfile)`).
struct TlsConfig {
  /// PEM file with the CA certificate(s) that peers' certificates must chain to. Required.
  std::string ca_file;
  /// PEM file with our certificate (chain). Empty (together with key_file) for a
  /// client that presents no certificate; a server always needs one.
  std::string cert_file;
  /// PEM file with the private key of cert_file (unencrypted).
  std::string key_file;
  /// Seconds a handshake may take before the connection is dropped (<= 0: no limit).
  double handshake_timeout = 10.0;
};

namespace detail {
struct TlsContextAccess;
}

/// A loaded, checked TLS configuration (certificates, key, random generator,
/// mbedTLS settings for both roles). Shared by every connection that uses it;
/// use it from one thread (the loop's), as its random generator is not locked.
class TlsContext {
 public:
  /// Loads and checks every file now, so that a bad configuration fails at
  /// start-up and not at the first connection. Throws std::invalid_argument
  /// naming the file and the problem: missing or unreadable file, no valid
  /// PEM certificate or key in it, a key that does not belong to the
  /// certificate, a certificate without a key (or the reverse), no CA file.
  static std::shared_ptr<TlsContext> create(const TlsConfig& config);

  struct Key;  // restricts construction to create()
  struct Impl;
  TlsContext(const Key&, std::unique_ptr<Impl> impl) noexcept;
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  /// The configuration the context was created from.
  const TlsConfig& config() const noexcept;
  /// True if the context has a certificate and key (required to serve).
  bool has_certificate() const noexcept;

 private:
  friend struct detail::TlsContextAccess;
  std::unique_ptr<Impl> impl_;
};

/// True if `host` is an IPv4 or IPv6 literal listed among the IP address
/// entries of the subjectAltName of `certificate` (PEM or DER bytes). mbedTLS
/// 2.28 matches only DNS names, so uvmas checks IP hosts itself; this is that
/// check, exposed for tests and diagnostics. Throws std::invalid_argument if
/// the certificate cannot be parsed.
bool tls_certificate_matches_ip(std::string_view certificate, std::string_view host);

}  // namespace uvmas
