#!/usr/bin/env bash
# Supply-chain and infrastructure checks:
#  - cargo-deny (deny.toml) on the whole workspace, all features: licences, bans,
#    sources always; advisories when the RustSec database can be fetched or one is
#    already at its db-path (it is a git clone from GitHub, unreachable offline);
#  - checkov (.checkov.yaml) on infra/template.yaml; every skip is justified inline.
# Installs both, pinned, when missing (cargo-deny into the cargo home, checkov into
# .venv-checkov). Exits non-zero on any finding that is not justified.
set -euo pipefail
cd "$(dirname "$0")/.."

DENY_VERSION=0.20.2
status=0
summary=()
note() { summary+=("$*"); }

# ---------------------------------------------------------------- install
if [ "$(cargo deny --version 2>/dev/null)" != "cargo-deny $DENY_VERSION" ]; then
  echo "supply-chain: cargo install cargo-deny $DENY_VERSION"
  cargo install --locked --quiet cargo-deny --version "$DENY_VERSION"
fi

. scripts/lib/venv.sh
ensure_venv .venv-checkov scripts/requirements-checkov.txt checkov

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
deny=(cargo deny --workspace --all-features --locked)

# ---------------------------------------------------------------- cargo-deny
for check in licenses bans sources; do
  if "${deny[@]}" check --hide-inclusion-graph --show-stats "$check" >"$work/$check.txt" 2>&1; then
    note "cargo-deny $check: ok ($(grep -ioE "$check ok: .*" "$work/$check.txt" | cut -d: -f2- | xargs))"
  else
    cat "$work/$check.txt"
    note "cargo-deny $check: FAILED (output above)"
    status=1
  fi
done

dbs="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs"
if timeout 120 cargo deny fetch db >"$work/fetch.txt" 2>&1; then
  db="fetched now"
elif compgen -G "$dbs/*/crates" >/dev/null; then
  db="cached in $dbs (fetch failed; cargo-deny refuses a database over 90 days old)"
else
  db=""
fi
if [ -n "$db" ]; then
  if "${deny[@]}" check --disable-fetch --hide-inclusion-graph advisories >"$work/advisories.txt" 2>&1; then
    note "cargo-deny advisories: ok (database $db)"
  else
    cat "$work/advisories.txt"
    note "cargo-deny advisories: FAILED (database $db; output above)"
    status=1
  fi
else
  note "cargo-deny advisories: SKIPPED – advisory db unreachable (offline): $(grep -m1 -oE 'fatal: .*' "$work/fetch.txt" || echo 'fetch failed')"
fi

# ---------------------------------------------------------------- checkov
if .venv-checkov/bin/checkov --config-file .checkov.yaml -o json >"$work/checkov.json" 2>"$work/checkov.err" \
  || [ -s "$work/checkov.json" ]; then
  report=$(.venv-checkov/bin/python - "$work/checkov.json" 2>&1 <<'EOF'
import collections, json, sys

data = json.load(open(sys.argv[1]))
results = data["results"]
summary = data["summary"]
skipped = collections.defaultdict(list)
for check in results["skipped_checks"]:
    skipped[check["check_id"]].append(check["resource"].split(".")[-1])
failed = [f'{c["check_id"]} {c["resource"]} (lines {c["file_line_range"]}): {c["check_name"]}'
          for c in results["failed_checks"]]
ok = not failed and summary["parsing_errors"] == 0 and summary["passed"] > 0
print("ok" if ok else "FAILED")
print(f'checkov {summary["checkov_version"]}: {summary["passed"]} passed, {summary["failed"]} failed, '
      f'{summary["skipped"]} skipped (justified inline), {summary["parsing_errors"]} parsing errors, '
      f'{summary["resource_count"]} resources')
for check_id, resources in sorted(skipped.items()):
    print(f"  skipped {check_id} x{len(resources)}: {', '.join(resources)}")
for line in failed:
    print(f"  FAILED {line}")
EOF
  ) || report=$'FAILED\ncheckov: FAILED, its report unreadable: '"$report"
  [ "${report%%$'\n'*}" = ok ] || status=1
  note "${report#*$'\n'}"
else
  cat "$work/checkov.err"
  note "checkov: FAILED to run (output above)"
  status=1
fi

printf '\nsupply chain summary\n'
printf '  %s\n' "${summary[@]}"
exit "$status"
