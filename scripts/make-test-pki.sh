#!/usr/bin/env bash
# Makes the certificates the TLS tests and `bench/tls-versus-etcd.sh` use, with the openssl command line:
#
#   scripts/make-test-pki.sh DIR
#
#   ca.pem/.key            the cluster's CA
#   other-ca.pem/.key      an unrelated CA
#   server.pem/.key        CN=server, SANs 127.0.0.1, ::1, localhost; server and client use (client port and peers)
#   client.pem/.key        CN=root, client use
#   alice.pem/.key         CN=alice, client use
#   expired.pem/.key       CN=root, expired yesterday
#   stranger.pem/.key      CN=root, signed by other-ca
#   intruder.pem/.key      CN=intruder, SANs 127.0.0.1, signed by ca (a peer --peer-cert-allowed-cn refuses)
#   revoked.crl            ca's CRL revoking alice's certificate (--client-crl-file)
#
# ECDSA P-256 keys, valid 30 days. openssl is installed with apt-get when missing.
set -euo pipefail
DIR=${1:?usage: make-test-pki.sh DIR}
mkdir -p "$DIR"
cd "$DIR"
if ! command -v openssl >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends openssl >/dev/null
fi

ca() {  # name cn
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.pem" \
        -days 30 -subj "/CN=$2" 2>/dev/null
}
leaf() {  # name cn ca days sans usage
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" \
        -subj "/CN=$2" 2>/dev/null
    {
        [ -n "$5" ] && echo "subjectAltName=$5"
        echo "extendedKeyUsage=$6"
    } > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial -out "$1.pem" -days "$4" \
        -extfile "$1.ext" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}
ca ca keel-test-ca
ca other-ca keel-other-ca
leaf server server ca 30 "IP:127.0.0.1,IP:::1,DNS:localhost" "serverAuth,clientAuth"
leaf client root ca 30 "" "clientAuth"
leaf alice alice ca 30 "" "clientAuth"
leaf expired root ca -1 "" "clientAuth"
leaf stranger root other-ca 30 "" "clientAuth"
leaf intruder intruder ca 30 "IP:127.0.0.1" "serverAuth,clientAuth"
# A CRL revoking alice: `openssl ca` with a throwaway database.
mkdir -p crl-db
: > crl-db/index.txt
echo 1000 > crl-db/crlnumber
printf '[ ca ]\ndefault_ca = keel\n[ keel ]\ndatabase = crl-db/index.txt\ncrlnumber = crl-db/crlnumber\n%s\n' \
    'default_md = sha256
default_crl_days = 30' > crl.cnf
openssl ca -config crl.cnf -keyfile ca.key -cert ca.pem -revoke alice.pem >/dev/null 2>&1
openssl ca -config crl.cnf -keyfile ca.key -cert ca.pem -gencrl -out revoked.crl >/dev/null 2>&1
rm -rf crl-db crl.cnf
chmod 600 ./*.key
