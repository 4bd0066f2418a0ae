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

stamp=.venv/.requirements.sha256
want=$(sha256sum scripts/requirements.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: python venv (.venv) from scripts/requirements.txt"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements.txt
  echo "$want" > "$stamp"
fi

# aws-sam-cli cannot share .venv (its pins clash with moto's and pyHanko's): its own venv.
stamp=.venv-sam/.requirements.sha256
want=$(sha256sum scripts/requirements-sam.txt | cut -d' ' -f1)
if [ ! -x .venv-sam/bin/sam ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: python venv (.venv-sam) from scripts/requirements-sam.txt"
  python3 -m venv .venv-sam
  .venv-sam/bin/pip install -q --disable-pip-version-check -r scripts/requirements-sam.txt
  echo "$want" > "$stamp"
fi

# Browser tests: playwright-core as pinned in package-lock.json (it drives the
# Debian chromium above; no browser download).
stamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: npm ci (playwright-core)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
