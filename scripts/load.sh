#!/usr/bin/env bash
# Load test: builds `hims serve` and the load tool in release, starts the server on a free
# 127.0.0.1 port with a fresh data folder and known secrets, runs tools/load (the Argon2
# floor, then HIMS_LOAD_AGREEMENTS agreements x 4 signers, HIMS_LOAD_CONCURRENCY requests
# in flight), after four decompression bombs at once on POST /verify, prints its figures
# and stops the server. Extra arguments go to `hims-load run`.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -n "${HIMS_LOAD_NO_BUILD:-}" ] || cargo build --locked -q --release -p hims-esign -p hims-load --bin hims --bin hims-load
target="${CARGO_TARGET_DIR:-target}/release"
. scripts/lib/hims-serve.sh
port="$(free_port)"
export HIMS_PORTAL_TOKEN="load-test-portal-token"
export HIMS_EKYC_SECRET="load-test-ekyc-secret"
export HIMS_LOAD_URL="http://127.0.0.1:${port}"
export RUST_LOG="${RUST_LOG:-warn}"
start_hims_serve "$target/hims" "$(mktemp -d)" "$port" --dev

echo "machine: $(nproc) cores, $(uname -m); load average $(cut -d' ' -f1-3 /proc/loadavg)"
# Issue 13: four decompression bombs at once on POST /verify (2 s, 128 MiB over idle).
"$target/hims-load" bombs --server-pid "$HIMS_SERVE_PID"
"$target/hims-load" run --server-pid "$HIMS_SERVE_PID" \
  --agreements "${HIMS_LOAD_AGREEMENTS:-100}" --concurrency "${HIMS_LOAD_CONCURRENCY:-64}" "$@"
