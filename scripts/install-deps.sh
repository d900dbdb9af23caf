#!/bin/sh
# Installs the Debian 12 packages coffer needs to build, test and run, and only those missing.
# Idempotent: a machine that already has everything runs no apt-get at all.
set -eu

# Build and runtime libraries (the -dev packages pull in the shared libraries).
build="gcc make pkg-config libc6-dev
libmicrohttpd-dev libgnutls28-dev libssl-dev libjansson-dev libsodium-dev
liboath-dev libqrencode-dev libsqlite3-dev libseccomp-dev libp11-kit-dev libzip-dev libpq-dev
libcurl4-openssl-dev libexpat1-dev libcbor-dev"
# Tests: unit tests, fuzzers (clang's libFuzzer runtime), end-to-end clients, and PostgreSQL 15's
# server binaries (/usr/lib/postgresql/15/bin): the PostgreSQL tests start a throwaway server of
# their own (tests/e2e/pg_server.py); sqlmap probes the PostgreSQL deployment. Debian's package also creates a `main` cluster on port 5432
# (started when the machine has an init system): it is left alone, and no test ever uses it.
# The S3 store of the tests is OpenStack Swift 2.30 with its s3api middleware and memcached
# (scripts/swift_s3.py starts its own, on 127.0.0.1); boto3 is the independent S3 client that
# checks it. Prometheus scrapes coffer's metrics in a test, and its promtool lints them.
# python3-jsonschema validates docs/openapi.yaml and the answers the end-to-end suite receives
# against it (with python3-yaml, from the cluster group, which this group includes).
# tests/packaging checks the systemd unit with systemd-analyze (offline: systemd need not be
# PID 1) and the man pages with man-db's `man --warnings`, which runs groff. The packages' own
# services, when an init system starts them, are never used.
test="libcmocka-dev clang clang-format libclang-rt-14-dev python3 python3-pytest python3-requests
python3-cryptography python3-jsonschema
oathtool openssl gnutls-bin sqlite3 procps testssl.sh p7zip-full
softhsm2 opensc
chromium
postgresql-15
sqlmap
swift swift-proxy swift-account swift-container swift-object memcached python3-boto3
prometheus
systemd man-db groff-base"

# The highly available cluster on one machine (scripts/cluster.sh, tests/cluster): etcd 3.4 (the
# v3 API, which Patroni's etcd3 section speaks through python3-etcd), Patroni 3.0 (psycopg2 and
# PyYAML are what cluster.py uses of it too), HAProxy, and pgBackRest for the cluster's backups;
# PostgreSQL 15 and Swift come from the test group. The packages' own services, when an init
# system starts them, are never used.
cluster="etcd-server etcd-client patroni python3-etcd python3-psycopg2 python3-yaml haproxy
pgbackrest"

# Benchmarks: the load generator and the static-file server whose rates are the ceilings; perf
# (linux-perf) for `make profile`'s stages.
bench="wrk nginx-light linux-perf"

want="$build"
case "${1:-build}" in
  build) ;;
  test|cluster) want="$build $test $cluster" ;;
  bench) want="$build $test $cluster $bench" ;;
  *) echo "usage: $0 [build|test|cluster|bench]" >&2; exit 2 ;;
esac
# The browser tests (tests/browser) run playwright-core from npm under Node. A machine that
# already has node and npm (Debian's, or NodeSource's) keeps them; otherwise Debian's.
if [ "$want" != "$build" ] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
  want="$want nodejs npm"
fi

missing=""
for p in $want; do
  # dpkg-query prints "install ok installed" only for a fully installed package.
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "install-deps: missing Debian packages:$missing (run as root, or install them)" >&2
  exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -qq --no-install-recommends $missing >/dev/null
