#!/usr/bin/env bash
# Runs the browser tests: starts `hims serve` on 127.0.0.1 with a fresh data
# folder and known secrets, waits for /healthz, runs tests/browser/*.spec.mjs
# with node's test runner (Playwright driving Debian's chromium), stops the server.
# Needs scripts/setup.sh (chromium, node_modules). Screenshots: tests/artifacts/screens/.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --locked -q -p hims-esign --bin hims
bin="${CARGO_TARGET_DIR:-target}/debug/hims"
port="${HIMS_BROWSER_PORT:-18088}"
data="$(mktemp -d)"
export HIMS_PORTAL_TOKEN="browser-test-portal-token"
export HIMS_EKYC_SECRET="browser-test-ekyc-secret"
export HIMS_TEST_URL="http://127.0.0.1:${port}"

"$bin" serve --addr "127.0.0.1:${port}" --data-dir "$data" --dev-clock >"$data/serve.log" 2>&1 &
server=$!
stop() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$data"
}
trap stop EXIT

for _ in $(seq 1 100); do
  curl -fsS "${HIMS_TEST_URL}/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$data/serve.log"; exit 1; }
  sleep 0.2
done
curl -fsS "${HIMS_TEST_URL}/healthz" >/dev/null || { echo "hims serve did not start"; cat "$data/serve.log"; exit 1; }

rm -rf tests/artifacts/screens
node --test --test-concurrency=1 tests/browser/*.spec.mjs
