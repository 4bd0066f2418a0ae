#!/usr/bin/env bash
# hims-pdf against pyHanko and the floor, interleaved: HIMS_BENCH_ROUNDS rounds (default 7),
# each running one after the other on the same file, key and field (the rendered eSPA,
# `sig_pembeli_1`):
#   A. hims-pdf: B-B, and B-LT (signature, timestamp from an in-process P-256 TSA, DSS);
#   B. pyHanko 0.38 in-process: B-B and B-LT, each by default and tuned (bytes_reserved=8192);
#   C. the floor: SHA-256 of the file plus one P-256 signature, in OpenSSL;
#   D. when scripts/bench-peers.sh has installed it: node's @signpdf (B-B, same key).
# Prints each series' median and spread over the rounds (per-round means), the ratios and
# the goals of issue 15, the machine's load before and after; then the peak memory of one
# signature on the fixture and on a 20 MiB portal-style PDF (goal <= 3 x file + 8 MiB).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$ROOT"
export HIMS_PDF_BENCH_DIR="${HIMS_PDF_BENCH_DIR:-/tmp/hims-pdf-bench}"
D="$HIMS_PDF_BENCH_DIR"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
PY="$ROOT/.venv/bin/python"
# pyHanko lives in the repo's venv; scripts/setup.sh makes it (idempotent, quick when done).
[ -x "$PY" ] || "$ROOT/scripts/setup.sh" >&2
ROUNDS="${HIMS_BENCH_ROUNDS:-7}"
RUST_N="${HIMS_BENCH_RUST_N:-200}"
PY_N="${HIMS_BENCH_PY_N:-6}"
FLOOR_N="${HIMS_BENCH_FLOOR_N:-3000}"
NODE_DIR="$ROOT/scripts/bench/node"

# The criterion bench writes the fixtures; --test runs each benchmark once.
cargo bench -q -p hims-pdf --bench sign -- --test >&2
cargo build -q --release -p hims-pdf --example bench_lt --example sign_file --example big_pdf >&2
EX="$TARGET/release/examples"

echo "machine: $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
rounds="$D/rounds.txt"
: > "$rounds"
for _ in $(seq "$ROUNDS"); do
  "$EX/bench_lt" "$D" "$RUST_N" >> "$rounds"
  "$PY" "$ROOT/crates/pdf/scripts/bench_pyhanko.py" "$D" "$PY_N" lt >> "$rounds"
  "$PY" "$ROOT/crates/pdf/scripts/bench_pyhanko.py" "$D" "$FLOOR_N" floor >> "$rounds"
  if [ -d "$NODE_DIR/node_modules" ]; then
    node "$NODE_DIR/bench_signpdf.mjs" "$D" 30 | awk '/^signpdf_signatures_per_second/ {print "signpdf_b_b_ms", 1000 / $2}' >> "$rounds"
  fi
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

"$PY" - "$rounds" "$ROUNDS" "$RUST_N" "$PY_N" <<'PYEOF'
import statistics, sys
series = {}
for line in open(sys.argv[1]):
    name, value = line.split()
    series.setdefault(name, []).append(float(value))
print(f"{sys.argv[2]} rounds interleaved (hims-pdf {sys.argv[3]} of each kind per round, "
      f"pyHanko {sys.argv[4]}); per-round means in ms:")
def show(label, name):
    v = series[name]
    print(f"  {label:<26} median {statistics.median(v):8.3f}  (min {min(v):.3f}, max {max(v):.3f})")
    return statistics.median(v)
hb = show("hims-pdf B-B", "hims_b_b_ms")
hl = show("hims-pdf B-LT", "hims_b_lt_ms")
pb = show("pyHanko B-B", "pyhanko_b_b_ms")
tb = show("pyHanko B-B tuned", "pyhanko_tuned_b_b_ms")
pl = show("pyHanko B-LT", "pyhanko_b_lt_ms")
tl = show("pyHanko B-LT tuned", "pyhanko_tuned_b_lt_ms")
fl = show("floor (OpenSSL)", "floor_ms")
sp = show("@signpdf B-B", "signpdf_b_b_ms") if "signpdf_b_b_ms" in series else None
print("ratios of the medians:")
print(f"  B-B   vs pyHanko {pb / hb:6.1f}x, vs tuned pyHanko {tb / hb:6.1f}x (goal >= 45x)")
print(f"  B-B   {hb / fl:.1f}x the floor (goal <= 5x); {hb:.3f} ms (goal <= 0.25 ms)")
print(f"  B-LT  vs pyHanko {pl / hl:6.1f}x, vs tuned pyHanko {tl / hl:6.1f}x (goal >= 20x)")
print(f"  timestamp + DSS add {hl - hb:.3f} ms for hims-pdf, {pl - pb:.3f} ms for pyHanko")
if sp:
    print(f"  B-B   vs @signpdf {sp / hb:6.1f}x")
# For scripts/bench-peers.sh.
print(f"hims_pdf_signatures_per_second {1000 / hb:.1f}")
print(f"pyhanko_signatures_per_second {1000 / pb:.1f}")
if sp:
    print(f"signpdf_signatures_per_second {1000 / sp:.1f}")
PYEOF

peak() { /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -1; }
"$EX/big_pdf" "$D/big.pdf" 20
for pdf in "$D/in.pdf" "$D/big.pdf"; do
  kib=$(peak "$EX/sign_file" "$pdf" "$D/signer.der" "$D/signer.p8" "$D/ca.der" "$D/sig.png" \
    sig_pembeli_1 "$pdf.signed")
  size=$(stat -c %s "$pdf")
  "$PY" - "$kib" "$size" "$(basename "$pdf")" <<'PYEOF'
import sys
kib, size, name = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
goal = 3 * size / 2**20 + 8
print(f"peak RSS, one signature of {name} ({size / 2**20:.2f} MiB): {kib / 1024:.1f} MiB "
      f"(goal <= 3 x file + 8 MiB = {goal:.1f} MiB)")
PYEOF
done
kib=$(peak "$PY" "$ROOT/crates/pdf/scripts/bench_pyhanko.py" "$D" 1)
echo "peak RSS, pyHanko signing in.pdf once: $((kib / 1024)) MiB"
