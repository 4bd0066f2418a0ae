#!/usr/bin/env bash
# Runs the browser tests: starts `hims serve` on 127.0.0.1 with a fresh data
# folder and known secrets, waits for /healthz, runs tests/browser/*.spec.mjs
# with node's test runner (Playwright driving Debian's chromium), stops the server.
# Needs scripts/setup.sh (chromium, node_modules). Screenshots: tests/artifacts/screens/.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --locked -q -p hims-esign --bin hims
bin="${CARGO_TARGET_DIR:-target}/debug/hims"
. scripts/lib/hims-serve.sh
port="${HIMS_BROWSER_PORT:-$(free_port)}"
export HIMS_PORTAL_TOKEN="browser-test-portal-token"
export HIMS_EKYC_SECRET="browser-test-ekyc-secret"
export HIMS_TEST_URL="http://127.0.0.1:${port}"
start_hims_serve "$bin" "$(mktemp -d)" "$port" --dev-clock --dev

rm -rf tests/artifacts/screens
node --test --test-concurrency=1 tests/browser/*.spec.mjs
