#!/usr/bin/env bash
# Load test: builds `hims serve` and the load tool in release, starts the server on a free
# 127.0.0.1 port with a fresh data folder and known secrets, runs tools/load (the Argon2
# floor, then HIMS_LOAD_AGREEMENTS agreements x 4 signers, HIMS_LOAD_CONCURRENCY requests
# in flight), prints its figures and stops the server. Extra arguments go to `hims-load run`.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -n "${HIMS_LOAD_NO_BUILD:-}" ] || cargo build --locked -q --release -p hims-esign --bin hims -p hims-load
target="${CARGO_TARGET_DIR:-target}/release"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
data="$(mktemp -d)"
export HIMS_PORTAL_TOKEN="load-test-portal-token"
export HIMS_EKYC_SECRET="load-test-ekyc-secret"
export HIMS_LOAD_URL="http://127.0.0.1:${port}"
export RUST_LOG="${RUST_LOG:-warn}"

"$target/hims" serve --addr "127.0.0.1:${port}" --data-dir "$data" >"$data/serve.log" 2>&1 &
server=$!
stop() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$data"
}
trap stop EXIT

for _ in $(seq 1 100); do
  curl -fsS "${HIMS_LOAD_URL}/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$data/serve.log"; exit 1; }
  sleep 0.1
done
curl -fsS "${HIMS_LOAD_URL}/healthz" >/dev/null || { echo "hims serve did not start"; cat "$data/serve.log"; exit 1; }

echo "machine: $(nproc) cores, $(uname -m); load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$target/hims-load" run --server-pid "$server" \
  --agreements "${HIMS_LOAD_AGREEMENTS:-100}" --concurrency "${HIMS_LOAD_CONCURRENCY:-64}" "$@"
