#pragma once
// --tls-ca/--tls-cert/--tls-key, shared by every sub-command that connects or listens.

#include <uvmas/framework/channel.hpp>
#include <uvmas/transports/tls.hpp>

#include <CLI/CLI.hpp>

#include <string>

namespace uvmas::cli {

/// The three TLS files of aiomas's SSLCerts; all empty = plain TCP.
struct TlsFlags {
  std::string ca, cert, key;

  void add_to(CLI::App* cmd) {
    cmd->add_option("--tls-ca", ca, "CA certificate (PEM) that peers' certificates must be signed by");
    cmd->add_option("--tls-cert", cert, "This side's certificate (PEM)");
    cmd->add_option("--tls-key", key, "This side's private key (PEM)");
  }
  bool enabled() const { return !ca.empty() || !cert.empty() || !key.empty(); }
  /// Loads the files into `options` (throws std::invalid_argument naming a bad file).
  void apply(ChannelOptions& options) const {
    if (!enabled()) return;
    TlsConfig config;
    config.ca_file = ca;
    config.cert_file = cert;
    config.key_file = key;
    options.transport.tls = TlsContext::create(config);
  }
};

}  // namespace uvmas::cli
