#!/bin/sh
# demo.sh DIR — `make run`: create a demo deployment in DIR on first use, then serve it.
# The bootstrap invite URL is printed by `coffer init` once; for the demo we keep a copy beside
# (not inside) the data directory, so each `make run` can show it again until it is used.
# Run as root, coffer serve gives up root for the system user `coffer` (made here if absent),
# which owns DIR: see docs/OPERATIONS.md, "Who coffer runs as".
# The demo's master key is --unsealed, said so at every start: fine for a demo on loopback, not
# for real data (docs/OPERATIONS.md: seal it with a passphrase or keep it in a PKCS#11 token).
set -eu
dir=$1
url_file=$dir.invite-url
user=coffer
if [ "$(id -u)" = 0 ]; then
  getent passwd "$user" >/dev/null ||
    useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
  mkdir -p "$(dirname "$dir")"
  # By its absolute path: coffer serve's databases are opened that way, through every parent.
  parent=$(cd "$(dirname "$dir")" && pwd -P)
  if [ ! -L "$dir" ] && ! runuser -u "$user" -- test -x "$parent"; then
    # The checkout is closed to other users (under /root, say): the demo's data lives where
    # coffer's user can reach it, and DIR is a link to it. A demo made here before moves there.
    real=/var/lib/coffer-demo
    if [ -e "$real" ]; then
      echo "coffer demo: $user cannot reach $dir, and $real is already taken" >&2
      exit 1
    fi
    if [ -d "$dir" ]; then mv "$dir" "$real"; else mkdir -m 700 "$real"; fi
    ln -s "$real" "$dir"
  fi
fi
if [ ! -f "$dir/coffer.conf" ]; then
  mkdir -p "$(dirname "$dir")"
  (umask 077; build/coffer init --unsealed --data "$dir" --admin-email admin@example.org | tail -n 1 > "$url_file")
fi
if [ "$(id -u)" = 0 ]; then
  # A demo made before coffer gave up root has no `user` line and belongs to root.
  if ! grep -q '^[[:space:]]*user[[:space:]]*=' "$dir/coffer.conf"; then
    printf 'user = %s\n' "$user" >> "$dir/coffer.conf"
  fi
  user=$(sed -n 's/^[[:space:]]*user[[:space:]]*=[[:space:]]*\([^[:space:]#]*\).*/\1/p' "$dir/coffer.conf")
  chown -R "$user:" "$dir/"  # the slash: DIR may be a link
fi
echo "coffer demo: https://127.0.0.1:8443 (self-signed certificate: $dir/tls/cert.pem)"
if [ -f "$url_file" ]; then
  echo "coffer demo: first administrator's invite (single use, 72 h from creation):"
  cat "$url_file"
fi
exec build/coffer serve --data "$dir"
