#!/usr/bin/env bash
# Installs what the checks need, idempotently: Debian tools (poppler, zbar, NSS, chromium),
# and the Python checkers (moto, pyHanko, cfn-lint) in ./.venv.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v pdftotext >/dev/null || need_apt+=(poppler-utils)
command -v zbarimg >/dev/null || need_apt+=(zbar-tools)
command -v certutil >/dev/null || need_apt+=(libnss3-tools)
command -v qpdf >/dev/null || need_apt+=(qpdf)
command -v curl >/dev/null || need_apt+=(curl)
command -v chromium >/dev/null || need_apt+=(chromium)
command -v npm >/dev/null || need_apt+=(npm)
if ((${#need_apt[@]})); then
  echo "setup: apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get install -y -q "${need_apt[@]}" >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q "${need_apt[@]}" >/dev/null; }
fi

. scripts/lib/venv.sh
ensure_venv .venv scripts/requirements.txt python

# aws-sam-cli cannot share .venv (its pins clash with moto's and pyHanko's): its own venv.
ensure_venv .venv-sam scripts/requirements-sam.txt sam

# Browser tests: playwright-core as pinned in package-lock.json (it drives the
# Debian chromium above; no browser download).
stamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: npm ci (playwright-core)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
