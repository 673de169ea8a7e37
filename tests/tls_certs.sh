#!/bin/sh
# Makes the certificates the TLS tests use, in DIR (created if missing), with the openssl
# command-line tool: a test CA; a server certificate for localhost / 127.0.0.1; client
# certificates relay1.example.org (DNS SAN and CN), cn-only.example.org (CN, no SAN) and
# other.example.org, all from the CA; a second CA with a client certificate of its own
# (rogue.pem), which the first CA does not vouch for. EC P-256 keys, unencrypted, valid 2 days.
set -eu
dir=${1:?usage: tls_certs.sh DIR}
mkdir -p "$dir"
cd "$dir"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }

ca() { # NAME CN
	key "$1"
	openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 2 -subj "/CN=$2" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign"
}

cert() { # NAME CN CA EXT...
	name=$1 cn=$2 issuer=$3
	shift 3
	key "$name"
	openssl req -new -key "$name.key" -out "$name.csr" -subj "/CN=$cn"
	: >"$name.ext"
	for e in "$@"; do printf '%s\n' "$e" >>"$name.ext"; done
	openssl x509 -req -in "$name.csr" -CA "$issuer.pem" -CAkey "$issuer.key" \
		-CAcreateserial -out "$name.pem" -days 2 -extfile "$name.ext" 2>/dev/null
	rm -f "$name.csr" "$name.ext"
}

ca ca "esatlsd test CA"
ca rogue-ca "another CA"
cert server localhost ca "subjectAltName=DNS:localhost,IP:127.0.0.1" "extendedKeyUsage=serverAuth"
cert server2 localhost ca "subjectAltName=DNS:localhost,DNS:second.example.org,IP:127.0.0.1" \
	"extendedKeyUsage=serverAuth"
cert relay1 relay1.example.org ca "subjectAltName=DNS:relay1.example.org" \
	"extendedKeyUsage=clientAuth"
cert cn-only cn-only.example.org ca "extendedKeyUsage=clientAuth"
cert other other.example.org ca "subjectAltName=DNS:other.example.org" \
	"extendedKeyUsage=clientAuth"
cert rogue relay1.example.org rogue-ca "subjectAltName=DNS:relay1.example.org" \
	"extendedKeyUsage=clientAuth"
rm -f ./*.srl
