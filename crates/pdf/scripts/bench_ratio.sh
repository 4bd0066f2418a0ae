#!/usr/bin/env bash
# hims-pdf vs pyHanko: signing throughput for one revision of the rendered eSPA, the ratio
# (goal >= 20x) and peak memory of one signature (goal < 3 x PDF size + a small constant);
# then one signer's B-LT revision (signature, timestamp, DSS) against pyHanko doing the same
# (DummyTimeStamper, embedded validation info), interleaved ABAB..., with medians, spread, the
# ratio (goal >= 20x) and the added cost over B-B.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$ROOT"
export HIMS_PDF_BENCH_DIR="${HIMS_PDF_BENCH_DIR:-/tmp/hims-pdf-bench}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || { echo "missing $PY: run scripts/test to set up the venv" >&2; exit 1; }

cargo bench -p hims-pdf --bench sign -- --noplot pades/sign_espa >&2
NS=$("$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['mean']['point_estimate'])" \
  "$TARGET/criterion/pades/sign_espa/new/estimates.json")
PY_OUT=$("$PY" "$ROOT/crates/pdf/scripts/bench_pyhanko.py" "$HIMS_PDF_BENCH_DIR" 30)
PY_RATE=$(echo "$PY_OUT" | awk '/pyhanko_signatures_per_second/ {print $2}')

cargo build --release -p hims-pdf --example sign_file >&2
D="$HIMS_PDF_BENCH_DIR"
/usr/bin/time -v "$TARGET/release/examples/sign_file" "$D/in.pdf" "$D/signer.der" "$D/signer.p8" \
  "$D/ca.der" "$D/sig.png" sig_pembeli_1 "$D/out.pdf" 2> "$D/time-rust.txt"
/usr/bin/time -v "$PY" "$ROOT/crates/pdf/scripts/bench_pyhanko.py" "$D" 1 > /dev/null 2> "$D/time-py.txt"
RSS_RUST=$(awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}' "$D/time-rust.txt")
RSS_PY=$(awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}' "$D/time-py.txt")
SIZE=$(stat -c %s "$D/in.pdf")

"$PY" - "$NS" "$PY_RATE" "$RSS_RUST" "$RSS_PY" "$SIZE" <<'PYEOF'
import sys
ns, py_rate, rss_rust, rss_py, size = map(float, sys.argv[1:])
rust_rate = 1e9 / ns
print(f"pdf size               {size / 1024:.1f} KiB")
print(f"hims-pdf               {rust_rate:.1f} signatures/s ({ns / 1e6:.3f} ms each)")
print(f"pyHanko (in-process)   {py_rate:.1f} signatures/s ({1000 / py_rate:.3f} ms each)")
print(f"ratio                  {rust_rate / py_rate:.1f}x (goal >= 20x)")
print(f"peak RSS hims-pdf      {rss_rust / 1024:.1f} MiB (3 x pdf = {3 * size / 2**20:.2f} MiB + constant)")
print(f"peak RSS pyHanko       {rss_py / 1024:.1f} MiB")
PYEOF

# B-LT, interleaved: ROUNDS x (hims-pdf RUST_N signatures of each kind, pyHanko PY_N of each).
ROUNDS="${HIMS_BENCH_ROUNDS:-7}"
RUST_N="${HIMS_BENCH_RUST_N:-40}"
PY_N="${HIMS_BENCH_PY_N:-8}"
cargo build --release -p hims-pdf --example bench_lt >&2
: > "$D/lt-rounds.txt"
for _ in $(seq "$ROUNDS"); do
  "$TARGET/release/examples/bench_lt" "$D" "$RUST_N" >> "$D/lt-rounds.txt"
  "$PY" "$ROOT/crates/pdf/scripts/bench_pyhanko.py" "$D" "$PY_N" lt >> "$D/lt-rounds.txt"
done
"$PY" - "$D/lt-rounds.txt" "$ROUNDS" <<'PYEOF'
import statistics, sys
series = {}
for line in open(sys.argv[1]):
    name, value = line.split()
    series.setdefault(name, []).append(float(value))
def show(label, name):
    v = series[name]
    print(f"{label:<24} median {statistics.median(v):8.3f} ms  (min {min(v):.3f}, max {max(v):.3f}, {len(v)} rounds)")
    return statistics.median(v)
print(f"B-LT revision, interleaved over {sys.argv[2]} rounds (per-round means):")
hb = show("hims-pdf B-B", "hims_b_b_ms")
hl = show("hims-pdf B-LT", "hims_b_lt_ms")
pb = show("pyHanko B-B", "pyhanko_b_b_ms")
pl = show("pyHanko B-LT", "pyhanko_b_lt_ms")
print(f"ratio B-LT               {pl / hl:.1f}x (goal >= 20x)")
print(f"added cost of TS + DSS   hims-pdf {hl - hb:.3f} ms ({hl / hb:.2f}x B-B), pyHanko {pl - pb:.3f} ms ({pl / pb:.2f}x B-B)")
PYEOF
