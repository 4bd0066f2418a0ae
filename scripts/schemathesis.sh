#!/usr/bin/env bash
# Hostile input: schemathesis against /openapi.json of a running `hims serve`.
# Installs schemathesis (pinned, own venv .venv-schemathesis), builds and starts
# the server on a free 127.0.0.1 port with a fresh data folder, seeds one
# agreement and a signer link (tests/schemathesis/seed.py), runs every phase
# with a fixed seed and checks no 5xx and no schema violation
# (tests/schemathesis/schemathesis.toml), stops the server, prints one line.
# ST_MAX_EXAMPLES (default 150) bounds the run, ST_SEED (default 20260) picks it;
# exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
started=$(date +%s)

venv=.venv-schemathesis
. scripts/lib/venv.sh
ensure_venv $venv scripts/requirements-schemathesis.txt st

cargo build --locked -q -p hims-esign --bin hims
bin="${CARGO_TARGET_DIR:-target}/debug/hims"
. scripts/lib/hims-serve.sh
port="${ST_PORT:-$(free_port)}"
base="http://127.0.0.1:${port}"
work="$(mktemp -d)"
export HIMS_PORTAL_TOKEN="schemathesis-portal-token"
export HIMS_EKYC_SECRET="schemathesis-ekyc-secret"
start_hims_serve "$bin" "$work" "$port" --dev

eval "$(python3 tests/schemathesis/seed.py "$base")"

# Run in the scratch folder: schemathesis keeps its example database and
# reports in the working directory.
status=0
(cd "$work" && SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$root/tests/schemathesis" \
  "$root/$venv/bin/st" --config-file "$root/tests/schemathesis/schemathesis.toml" \
  run "$base/openapi.json" --max-examples "${ST_MAX_EXAMPLES:-150}" --seed "${ST_SEED:-20260}" \
  --workers 2 --no-color --generation-database none) >"$work/st.log" 2>&1 || status=$?
cat "$work/st.log"
if grep -qE "panicked|ERROR" "$work/serve.log"; then
  echo "schemathesis: the server logged errors:"; grep -E "panicked|ERROR" "$work/serve.log"
  status=1
fi
summary=$(grep -E "^=+ .* in [0-9.]+s =+$" "$work/st.log" | tail -1 | tr -d '=' | xargs || true)
echo "schemathesis: $([ $status -eq 0 ] && echo PASSED || echo FAILED) – ${summary:-no summary} – $(( $(date +%s) - started ))s in all"
exit $status
