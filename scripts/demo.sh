#!/bin/sh
# demo.sh DIR — `make run`: create a demo deployment in DIR on first use, then serve it.
# The bootstrap invite URL is printed by `coffer init` once; for the demo we keep a copy beside
# (not inside) the data directory, so each `make run` can show it again until it is used.
# The demo's master key is --unsealed, said so at every start: fine for a demo on loopback, not
# for real data (docs/OPERATIONS.md: seal it with a passphrase or keep it in a PKCS#11 token).
set -eu
dir=$1
url_file=$dir.invite-url
if [ ! -f "$dir/coffer.conf" ]; then
  mkdir -p "$(dirname "$dir")"
  (umask 077; build/coffer init --unsealed --data "$dir" --admin-email admin@example.org | tail -n 1 > "$url_file")
fi
echo "coffer demo: https://127.0.0.1:8443 (self-signed certificate: $dir/tls/cert.pem)"
if [ -f "$url_file" ]; then
  echo "coffer demo: first administrator's invite (single use, 72 h from creation):"
  cat "$url_file"
fi
exec build/coffer serve --data "$dir"
