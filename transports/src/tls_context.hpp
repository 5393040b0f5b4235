#pragma once
// Private: the mbedTLS objects behind a TlsContext, and RAII owners for them.

#include "uvmas/transports/tls.hpp"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <optional>
#include <string>
#include <vector>

namespace uvmas::detail {

/// Owns one mbedTLS struct: init on construction, free on destruction. mbedTLS
/// objects point at each other (a config at its CA chain, the DRBG at the
/// entropy source), so owners are neither copyable nor movable.
template <class T, void (*Init)(T*), void (*Free)(T*)>
class MbedOwner {
 public:
  MbedOwner() noexcept { Init(&obj_); }
  ~MbedOwner() { Free(&obj_); }
  MbedOwner(const MbedOwner&) = delete;
  MbedOwner& operator=(const MbedOwner&) = delete;
  T* get() noexcept { return &obj_; }
  const T* get() const noexcept { return &obj_; }
  T* operator->() noexcept { return &obj_; }
  const T* operator->() const noexcept { return &obj_; }

 private:
  T obj_;
};

using MbedEntropy = MbedOwner<mbedtls_entropy_context, mbedtls_entropy_init, mbedtls_entropy_free>;
using MbedDrbg = MbedOwner<mbedtls_ctr_drbg_context, mbedtls_ctr_drbg_init, mbedtls_ctr_drbg_free>;
using MbedCrt = MbedOwner<mbedtls_x509_crt, mbedtls_x509_crt_init, mbedtls_x509_crt_free>;
using MbedPk = MbedOwner<mbedtls_pk_context, mbedtls_pk_init, mbedtls_pk_free>;
using MbedSslConfig = MbedOwner<mbedtls_ssl_config, mbedtls_ssl_config_init, mbedtls_ssl_config_free>;
using MbedSsl = MbedOwner<mbedtls_ssl_context, mbedtls_ssl_init, mbedtls_ssl_free>;

/// mbedTLS's description of an error code ("X509 - Certificate verification failed ...").
std::string mbed_error_text(int code);

/// The names a certificate is for: DNS SANs, then IP SANs, or its CN if it has no SAN.
std::vector<std::string> certificate_names(const mbedtls_x509_crt& crt);

/// The raw bytes of an IPv4/IPv6 literal, or nullopt if `host` is not one.
std::optional<std::string> ip_literal_bytes(std::string_view host);

/// True if the certificate lists `ip` (raw 4 or 16 bytes) as an IP SAN.
bool certificate_has_ip(const mbedtls_x509_crt& crt, std::string_view ip);

}  // namespace uvmas::detail

namespace uvmas {

struct TlsContext::Impl {
  TlsConfig config;
  bool has_cert = false;
  // Declaration order is destruction order in reverse: configs go first, as
  // they point at everything above them.
  detail::MbedEntropy entropy;
  detail::MbedDrbg drbg;
  detail::MbedCrt ca;
  detail::MbedCrt cert;
  detail::MbedPk key;
  detail::MbedSslConfig client_conf;
  detail::MbedSslConfig server_conf;
};

namespace detail {
/// Reaches the mbedTLS settings of a context (for tls_stream.cpp).
struct TlsContextAccess {
  static TlsContext::Impl& impl(TlsContext& ctx) noexcept { return *ctx.impl_; }
};
}  // namespace detail

}  // namespace uvmas
