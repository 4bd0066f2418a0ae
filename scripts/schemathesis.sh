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
stamp=$venv/.requirements.sha256
want=$(sha256sum scripts/requirements-schemathesis.txt | cut -d' ' -f1)
if [ ! -x $venv/bin/st ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "schemathesis: python venv ($venv) from scripts/requirements-schemathesis.txt"
  python3 -m venv $venv
  $venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements-schemathesis.txt
  echo "$want" > "$stamp"
fi

cargo build --locked -q -p hims-esign --bin hims
bin="${CARGO_TARGET_DIR:-target}/debug/hims"
port="${ST_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
base="http://127.0.0.1:${port}"
work="$(mktemp -d)"
export HIMS_PORTAL_TOKEN="schemathesis-portal-token"
export HIMS_EKYC_SECRET="schemathesis-ekyc-secret"

"$bin" serve --addr "127.0.0.1:${port}" --data-dir "$work/data" >"$work/serve.log" 2>&1 &
server=$!
stop() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap stop EXIT

for _ in $(seq 1 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
  sleep 0.2
done
curl -fsS "$base/healthz" >/dev/null || { echo "hims serve did not start"; cat "$work/serve.log"; exit 1; }

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
