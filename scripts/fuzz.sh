#!/usr/bin/env bash
# Builds every cargo-fuzz target in fuzz/ once, runs each for a bounded time
# from the committed seeds plus what earlier runs found (fuzz/corpus), prints
# executions per second and coverage per target, and fails on any crash,
# timeout or out-of-memory. Usage: scripts/fuzz.sh [seconds per target, default 20]
# (see fuzz/README.md; crashes land in fuzz/artifacts/<target>/).
set -euo pipefail

seconds="${1:-20}"
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: $0 [seconds per target]" >&2; exit 2; }
repo="$(cd "$(dirname "$0")/.." && pwd)"
fuzz="$repo/fuzz"
cargo_fuzz_version=0.13.2

tools="$fuzz/.tools"
if [[ "$("$tools/bin/cargo-fuzz" --version 2>/dev/null || true)" != "cargo-fuzz $cargo_fuzz_version" ]]; then
    cargo install cargo-fuzz --version "$cargo_fuzz_version" --locked --root "$tools"
fi
export PATH="$tools/bin:$PATH"

# cargo-fuzz compiles with unstable rustc flags (-Zsanitizer, the sancov pass
# options, --cfg fuzzing). Only the stable toolchain is installed and no other
# can be fetched; RUSTC_BOOTSTRAP=1 lets this stable rustc accept them. It is
# set for these fuzz builds only, never for the product.
export RUSTC_BOOTSTRAP=1
unset CARGO_TARGET_DIR
# No sanitizer: what parses the untrusted bytes is safe Rust (lopdf, png,
# serde_json, base64, der, our crates), where ASan finds nothing a panic does
# not, while it instruments every allocation and needs a second full build of
# the dependency graph. Debug assertions on, so integer overflow panics.
flags=(--sanitizer none --debug-assertions --release --target-dir "$fuzz/target")
# FUZZ_OPT_LEVEL=1 (what scripts/test uses for its short run) compiles faster than the
# default 3, at a lower exec/s; long runs keep 3.
export CARGO_PROFILE_RELEASE_OPT_LEVEL="${FUZZ_OPT_LEVEL:-3}"

cd "$repo"
# cargo fuzz has no --locked: refuse a fuzz/Cargo.lock that would need changing.
if ! cargo metadata --locked --format-version 1 --manifest-path "$fuzz/Cargo.toml" >/dev/null; then
    echo "fuzz/Cargo.lock is behind the product's dependencies: run" >&2
    echo "  (cd fuzz && cargo metadata --format-version 1 >/dev/null) and commit fuzz/Cargo.lock" >&2
    exit 1
fi
echo "== building the fuzz targets"
time cargo fuzz build "${flags[@]}"

failed=()
summary=()
for target in $(cargo fuzz list); do
    corpus="$fuzz/corpus/$target"
    log="$fuzz/target/$target.log"
    mkdir -p "$corpus" "$fuzz/artifacts/$target"
    echo "== $target: ${seconds}s"
    if cargo fuzz run "${flags[@]}" "$target" "$corpus" "$fuzz/seeds/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$fuzz/artifacts/$target/" >"$log" 2>&1; then
        status=ok
    else
        status=FAILED
        failed+=("$target")
        # The panic and where the input went; not the input itself (cargo fuzz prints it in full).
        grep -a -E 'panicked|^assertion|ERROR: libFuzzer|Test unit written|Reproduce|cargo fuzz run' "$log" |
            cut -c1-300 || true
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$({ grep -a -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" || true; } | tail -1)
    summary+=("$(printf '%-14s %-6s %10s execs %7s exec/s  %s' "$target" "$status" "${execs:-?}" "${rate:-?}" "${cov:-}")")
done

echo "== fuzz summary (${seconds}s per target; logs in fuzz/target/<target>.log)"
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
    echo "crashing inputs are in fuzz/artifacts/<target>/; reproduce with" >&2
    echo "  RUSTC_BOOTSTRAP=1 cargo fuzz run ${flags[*]} <target> <artifact>" >&2
    exit 1
fi
