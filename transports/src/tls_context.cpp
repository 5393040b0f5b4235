// TlsContext: loads and checks the certificates once, and holds the mbedTLS
// settings of both roles (client and server) for mbedTLS 2.28.
#include "tls_context.hpp"

#include <mbedtls/error.h>
#include <mbedtls/oid.h>

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace uvmas {

namespace {

// aiomas's contexts use the OpenSSL cipher string "ECDH+AESGCM" on TLS 1.2:
// ECDHE key exchange with AES-GCM, for ECDSA and RSA certificates alike.
// Static storage: mbedtls_ssl_conf_ciphersuites keeps the pointer.
const int tls_ciphersuites[] = {
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    0,
};

// The default list starts with secp521r1, which makes every handshake slow.
const mbedtls_ecp_group_id tls_curves[] = {
    MBEDTLS_ECP_DP_CURVE25519,
    MBEDTLS_ECP_DP_SECP256R1,
    MBEDTLS_ECP_DP_SECP384R1,
    MBEDTLS_ECP_DP_NONE,
};

// mbedTLS reports a missing file as a generic "file I/O error"; check first
// so that the message says which file and why.
void require_readable(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    throw std::invalid_argument(std::string("TLS ") + what + " '" + path + "' cannot be read: " +
                                (err ? std::strerror(err) : "unknown error"));
  }
}

void load_certificates(mbedtls_x509_crt* crt, const std::string& path, const char* what) {
  require_readable(path, what);
  int rc = mbedtls_x509_crt_parse_file(crt, path.c_str());
  if (rc < 0) {
    throw std::invalid_argument(std::string("TLS ") + what + " '" + path +
                                "' holds no valid PEM certificate: " + detail::mbed_error_text(rc));
  }
  if (rc > 0) {
    throw std::invalid_argument(std::string("TLS ") + what + " '" + path + "': " + std::to_string(rc) +
                                " certificate(s) in it could not be parsed");
  }
  if (crt->version == 0) {
    throw std::invalid_argument(std::string("TLS ") + what + " '" + path + "' holds no certificate");
  }
}

void setup_config(TlsContext::Impl& im, mbedtls_ssl_config* conf, int endpoint) {
  int rc = mbedtls_ssl_config_defaults(conf, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
  if (rc != 0) throw std::runtime_error("mbedtls_ssl_config_defaults: " + detail::mbed_error_text(rc));
  // mbedTLS 2.28 defaults to TLS 1.0 as the minimum; aiomas accepts only 1.2.
  mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_max_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_ciphersuites(conf, tls_ciphersuites);
  mbedtls_ssl_conf_curves(conf, tls_curves);
  mbedtls_ssl_conf_rng(conf, mbedtls_ctr_drbg_random, im.drbg.get());
  mbedtls_ssl_conf_ca_chain(conf, im.ca.get(), nullptr);
  // Both roles verify the peer; a server asks for no client certificate by default.
  mbedtls_ssl_conf_authmode(conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  if (im.has_cert) {
    rc = mbedtls_ssl_conf_own_cert(conf, im.cert.get(), im.key.get());
    if (rc != 0) throw std::runtime_error("mbedtls_ssl_conf_own_cert: " + detail::mbed_error_text(rc));
  }
}

}  // namespace

namespace detail {

std::string mbed_error_text(int code) {
  char buf[256];
  mbedtls_strerror(code, buf, sizeof buf);
  return buf;
}

std::vector<std::string> certificate_names(const mbedtls_x509_crt& crt) {
  std::vector<std::string> dns, ips;
  for (const mbedtls_x509_sequence* s = &crt.subject_alt_names; s && s->buf.p; s = s->next) {
    const auto* p = reinterpret_cast<const char*>(s->buf.p);
    if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_DNS_NAME)) {
      dns.emplace_back(p, s->buf.len);
    } else if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7)) {  // iPAddress [7]
      char text[INET6_ADDRSTRLEN] = {};
      int family = s->buf.len == 4 ? AF_INET : s->buf.len == 16 ? AF_INET6 : 0;
      if (family && inet_ntop(family, s->buf.p, text, sizeof text)) ips.emplace_back(text);
    }
  }
  dns.insert(dns.end(), ips.begin(), ips.end());
  if (dns.empty()) {
    for (const mbedtls_x509_name* n = &crt.subject; n; n = n->next) {
      if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
        dns.emplace_back(reinterpret_cast<const char*>(n->val.p), n->val.len);
      }
    }
  }
  return dns;
}

std::optional<std::string> ip_literal_bytes(std::string_view host) {
  std::string h(host);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned char buf[16];
  if (inet_pton(AF_INET, h.c_str(), buf) == 1) return std::string(reinterpret_cast<char*>(buf), 4);
  if (inet_pton(AF_INET6, h.c_str(), buf) == 1) return std::string(reinterpret_cast<char*>(buf), 16);
  return std::nullopt;
}

bool certificate_has_ip(const mbedtls_x509_crt& crt, std::string_view ip) {
  for (const mbedtls_x509_sequence* s = &crt.subject_alt_names; s && s->buf.p; s = s->next) {
    if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) && s->buf.len == ip.size() &&
        std::memcmp(s->buf.p, ip.data(), ip.size()) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace detail

struct TlsContext::Key {};

TlsContext::TlsContext(const Key&, std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
TlsContext::~TlsContext() = default;

const TlsConfig& TlsContext::config() const noexcept { return impl_->config; }
bool TlsContext::has_certificate() const noexcept { return impl_->has_cert; }

std::shared_ptr<TlsContext> TlsContext::create(const TlsConfig& config) {
  if (config.ca_file.empty()) {
    throw std::invalid_argument("TlsConfig: ca_file is empty (the CA that peers' certificates must chain to)");
  }
  if (config.cert_file.empty() != config.key_file.empty()) {
    throw std::invalid_argument(config.cert_file.empty()
                                    ? "TlsConfig: key_file '" + config.key_file + "' is set but cert_file is empty"
                                    : "TlsConfig: cert_file '" + config.cert_file + "' is set but key_file is empty");
  }
  auto im = std::make_unique<Impl>();
  im->config = config;
  load_certificates(im->ca.get(), config.ca_file, "CA file");
  if (!config.cert_file.empty()) {
    load_certificates(im->cert.get(), config.cert_file, "certificate file");
    require_readable(config.key_file, "key file");
    int rc = mbedtls_pk_parse_keyfile(im->key.get(), config.key_file.c_str(), nullptr);
    if (rc != 0) {
      throw std::invalid_argument("TLS key file '" + config.key_file +
                                  "' holds no valid unencrypted PEM private key: " + detail::mbed_error_text(rc));
    }
    if (mbedtls_pk_check_pair(&im->cert->pk, im->key.get()) != 0) {
      throw std::invalid_argument("TLS key file '" + config.key_file + "' does not match the certificate in '" +
                                  config.cert_file + "'");
    }
    im->has_cert = true;
  }
  static const char personalization[] = "uvmas TLS context";
  int rc = mbedtls_ctr_drbg_seed(im->drbg.get(), mbedtls_entropy_func, im->entropy.get(),
                                 reinterpret_cast<const unsigned char*>(personalization), sizeof personalization - 1);
  if (rc != 0) throw std::runtime_error("seeding the TLS random generator failed: " + detail::mbed_error_text(rc));
  setup_config(*im, im->client_conf.get(), MBEDTLS_SSL_IS_CLIENT);
  setup_config(*im, im->server_conf.get(), MBEDTLS_SSL_IS_SERVER);
  return std::make_shared<TlsContext>(Key{}, std::move(im));
}

bool tls_certificate_matches_ip(std::string_view certificate, std::string_view host) {
  detail::MbedCrt crt;
  // PEM input must include its terminating NUL for mbedtls_x509_crt_parse.
  std::string buf(certificate);
  bool pem = buf.find("-----BEGIN") != std::string::npos;
  int rc = mbedtls_x509_crt_parse(crt.get(), reinterpret_cast<const unsigned char*>(buf.c_str()),
                                  buf.size() + (pem ? 1 : 0));
  if (rc != 0) throw std::invalid_argument("not a valid certificate: " + detail::mbed_error_text(rc));
  auto ip = detail::ip_literal_bytes(host);
  return ip && detail::certificate_has_ip(*crt.get(), *ip);
}

}  // namespace uvmas
