#!/usr/bin/env bash
# Performance against peers, from one run, printed as ratios:
#  1. our PAdES signing (B-B and B-LT) vs pyHanko (default and tuned) and the OpenSSL floor
#  2. ... and vs node's @signpdf (same PDF, same P-256 key; scripts/bench/node), all interleaved
#     in rounds on the same file, key and field (crates/pdf/scripts/bench_ratio.sh)
#  3. the full sign request (authorize + sign) over HTTP vs the Argon2 floor (scripts/load.sh)
#  4. the expiry sweep's item reads with 10,000 vs 1,000,000 agreements (tools/load `sweep`)
# Sets up what it needs (scripts/setup.sh: pyHanko in .venv, node/npm) and installs the pinned
# @signpdf packages into scripts/bench/node/node_modules. Not part of scripts/test.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
scripts/setup.sh >&2
started=$(date +%s)
export HIMS_PDF_BENCH_DIR="${HIMS_PDF_BENCH_DIR:-/tmp/hims-pdf-bench}"
D="$HIMS_PDF_BENCH_DIR"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

NODE_DIR="$ROOT/scripts/bench/node"
if ! cmp -s "$NODE_DIR/package-lock.json" "$NODE_DIR/node_modules/.hims-lock" 2>/dev/null; then
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error >&2 && cp package-lock.json node_modules/.hims-lock)
fi

echo "== 1-2. hims-pdf vs pyHanko, the floor and @signpdf, interleaved (bench_ratio.sh)" >&2
crates/pdf/scripts/bench_ratio.sh | tee "$out/ratio.txt"
ratio() { awk -v k="$1" '$1 == k {print $2}' "$out/ratio.txt"; }
ours=$(ratio hims_pdf_signatures_per_second)
pyhanko=$(ratio pyhanko_signatures_per_second)
signpdf=$(ratio signpdf_signatures_per_second)
openssl pkcs12 -export -legacy -inkey "$D/signer.key" -in "$D/signer.pem" -certfile "$D/ca.pem" \
  -passout pass:bench -out "$D/signer.p12"
node "$NODE_DIR/bench_signpdf.mjs" "$D" 1 try-p12

echo "== 3. the load test (scripts/load.sh)" >&2
scripts/load.sh | tee "$out/load.txt"
value() { awk -v k="$1" '$1 == k {print $2}' "$out/load.txt"; }

echo "== 4. expiry sweep reads at scale" >&2
"${CARGO_TARGET_DIR:-target}/release/hims-load" sweep --sizes 10000,1000000 --due 10 | tee "$out/sweep.txt"
reads() { awk -v k="sweep_items_read_$1" '$1 == k {print $2}' "$out/sweep.txt"; }

elapsed=$(( $(date +%s) - started ))
python3 - "$ours" "$pyhanko" "$signpdf" "$(value argon2_floor_per_second)" "$(value sign_path_per_second)" \
  "$(value authorize_per_second)" "$(reads 10000)" "$(reads 1000000)" "$elapsed" "$(nproc)" <<'PYEOF'
import sys
ours, pyhanko, signpdf, floor, sign_path, authorize = map(float, sys.argv[1:7])
small, large, elapsed, cores = map(int, sys.argv[7:11])
print()
print(f"== ratios ({cores} cores, one run of {elapsed // 60} min {elapsed % 60} s)")
print(f"hims-pdf vs pyHanko            {ours / pyhanko:6.1f}x   ({ours:.1f} vs {pyhanko:.1f} signatures/s, B-B, pyHanko's defaults)")
print(f"hims-pdf vs @signpdf           {ours / signpdf:6.1f}x   ({ours:.1f} vs {signpdf:.1f} signatures/s)")
print(f"authorize vs Argon2 floor      {100 * authorize / floor:6.1f}%   ({authorize:.2f} vs {floor:.2f}/s; goal >= 90%)")
print(f"authorize + sign vs floor      {100 * sign_path / floor:6.1f}%   ({sign_path:.2f} vs {floor:.2f}/s; goal >= 85%)")
print(f"sweep reads 1,000,000 / 10,000 {large / max(small, 1):6.2f}    ({large} vs {small} items; flat = 1.00)")
PYEOF
