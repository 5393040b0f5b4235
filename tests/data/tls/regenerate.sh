#!/usr/bin/env bash
# Regenerates every throwaway TLS test certificate of this folder (see README.md).
#
#   tests/data/tls/regenerate.sh [--all] [OUT_DIR]     (OUT_DIR defaults to this folder)
#
# Without --all only missing certificates are made (signed by the CA already
# there), so the committed set stays the one interop peers were given; --all
# replaces every key and certificate, CAs included.
#
# Needs the openssl command (Debian package "openssl"). Validity dates are
# fixed, so a fresh set behaves exactly like the committed one: the expired
# certificates stay expired and the not-yet-valid one stays in the future.
set -euo pipefail
all=0
if [ "${1:-}" = --all ]; then all=1; shift; fi
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mkdir -p "${1:-$here}" && cd "${1:-$here}" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

org="uvmas interop tests"
valid_from=20200101000000Z
valid_to=20491231235959Z

# `openssl ca` is the one openssl 3.0 command that takes explicit start and
# end dates; it wants a small database, kept in $work.
cat >"$work/ca.cnf" <<EOF
[ca]
default_ca = test_ca
[test_ca]
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
default_md = sha256
policy = any_name
unique_subject = no
copy_extensions = none
email_in_dn = no
[any_name]
organizationName = optional
commonName = supplied
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

new_key() {  # new_key NAME ec|rsa
  case "$2" in
    ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/$1.key" 2>/dev/null ;;
    rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$out/$1.key" 2>/dev/null ;;
  esac
}

# issue NAME KEYTYPE ISSUER|self EXTENSIONS COMMON_NAME [FROM TO]
issue() {
  local name="$1" keytype="$2" issuer="$3" ext="$4" cn="$5" from="${6:-$valid_from}" to="${7:-$valid_to}"
  if ((!all)) && [ -f "$out/$name.pem" ] && [ -f "$out/$name.key" ]; then return; fi
  echo "  $name.pem"
  new_key "$name" "$keytype"
  : >"$work/index.txt"
  openssl req -new -config "$work/ca.cnf" -key "$out/$name.key" -subj "/O=$org/CN=$cn" -out "$work/$name.csr"
  local signer=(-cert "$out/$issuer.pem" -keyfile "$out/$issuer.key")
  [ "$issuer" = self ] && signer=(-selfsign -keyfile "$out/$name.key")
  openssl ca -batch -notext -config "$work/ca.cnf" -rand_serial "${signer[@]}" \
    -startdate "$from" -enddate "$to" -extfile "$work/ca.cnf" -extensions "$ext" \
    -in "$work/$name.csr" -out "$out/$name.pem" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
}

issue ca ec self ca_ext "uvmas interop test CA"
issue server ec ca server_ext localhost
issue client ec ca client_ext "uvmas interop test client"
issue other-ca ec self ca_ext "unrelated other test CA"
issue other-client ec other-ca client_ext "client of the other CA"

# For the rejection and key-type paths.
issue server-expired ec ca server_ext localhost 20000101000000Z 20010101000000Z
issue client-expired ec ca client_ext "expired test client" 20000101000000Z 20010101000000Z
issue server-not-yet-valid ec ca server_ext localhost 20900101000000Z 20991231235959Z
issue server-rsa rsa ca server_ext localhost

echo "test certificates up to date in $out"
