#!/usr/bin/env bash
# Creates the X.509 certificates that pcaps/gen/gen_tls.c puts in its handshakes, and writes
# them as C arrays to pcaps/gen/tls_certs.c. Run by hand, rarely: keys are random, so the
# output differs each time; the committed tls_certs.c is the generator's input, which keeps
# pcaps/tls_62351.pcap reproducible byte for byte (scripts/gen-pcaps.sh does not run this).
# Needs openssl (>= 3.0) and xxd.
set -euo pipefail
cd "$(dirname "$0")/.."
out=pcaps/gen/tls_certs.c
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

mkdir -p db
: >db/index.txt
echo 1000 >db/serial
cat >ca.cnf <<'CNF'
[ca]
default_ca = ca
[ca]
database = db/index.txt
serial = db/serial
new_certs_dir = db
policy = any
copy_extensions = none
unique_subject = no
[any]
commonName = supplied
organizationName = optional
[leaf]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[root]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CNF

# The substation CA: RSA 2048, SHA-256, 2020..2045.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out ca.key 2>/dev/null
openssl req -new -key ca.key -subj "/O=Example Grid Operator/CN=Example Substation CA" -out ca.csr
openssl ca -batch -config ca.cnf -selfsign -keyfile ca.key -extensions root -md sha256 \
    -startdate 20200101000000Z -enddate 20450101000000Z -in ca.csr -out ca.pem 2>/dev/null

# leaf NAME CN KEYALG KEYOPT MD START END
leaf() {
    openssl genpkey -algorithm "$3" -pkeyopt "$4" -out "$1.key" 2>/dev/null
    openssl req -new -key "$1.key" -subj "/O=Example Grid Operator/CN=$2" -out "$1.csr"
    openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -extensions leaf -md "$5" \
        -startdate "$6" -enddate "$7" -in "$1.csr" -out "$1.pem" 2>/dev/null
}
leaf server rtu1.substation.example RSA rsa_keygen_bits:2048 sha256 20240101000000Z 20340101000000Z
leaf client scada-master.control.example RSA rsa_keygen_bits:2048 sha256 20240101000000Z 20340101000000Z
leaf rsa1024 rtu2.substation.example RSA rsa_keygen_bits:1024 sha256 20240101000000Z 20340101000000Z
leaf sha1 rtu3.substation.example RSA rsa_keygen_bits:2048 sha1 20240101000000Z 20340101000000Z
leaf expired rtu4.substation.example RSA rsa_keygen_bits:2048 sha256 20190101000000Z 20210101000000Z
leaf notyet rtu5.substation.example RSA rsa_keygen_bits:2048 sha256 20300101000000Z 20400101000000Z
leaf ied_ec ied1.substation.example EC ec_paramgen_curve:P-256 sha256 20240101000000Z 20340101000000Z
leaf ied_p192 ied2.substation.example EC ec_paramgen_curve:P-192 sha256 20240101000000Z 20340101000000Z
leaf client_expired hmi.control.example RSA rsa_keygen_bits:2048 sha256 20180101000000Z 20200601000000Z

{
    echo "/*"
    echo " * tls_certs.c - X.509 certificates (DER) used by gen_tls.c; written by"
    echo " * scripts/gen-tls-certs.sh, which says why they are committed. Test material only."
    echo " */"
    echo '#include "tls_certs.h"'
    for name in ca server client rsa1024 sha1 expired notyet ied_ec ied_p192 client_expired; do
        openssl x509 -in "$name.pem" -outform DER -out "$name.der"
        echo
        echo "const unsigned char gs_cert_${name}[] = {"
        xxd -i <"$name.der" | sed 's/^ */    /'
        echo "};"
        echo "const size_t gs_cert_${name}_len = sizeof(gs_cert_${name});"
    done
} >"$OLDPWD/$out"
command -v clang-format >/dev/null && clang-format -i "$OLDPWD/$out"
echo "wrote $out"
