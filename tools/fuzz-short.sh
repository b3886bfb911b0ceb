#!/usr/bin/env bash
# Short fuzz pass over every parser of outside input (docs/RELIABILITY.md, Fuzzing).
#
# Builds the cargo-fuzz targets under fuzz/ and runs each for FUZZ_SECONDS (default 30)
# on the committed corpus fuzz/corpus/<target>/. Fails on the first crash, hang (10 s per
# input) or memory blow-up (2048 MB); the crashing input is kept under fuzz/artifacts/
# (ignored by git) and its path printed. New inputs go to a scratch directory, so the
# committed corpus and the work tree are left as they were.
#
#   tools/fuzz-short.sh                 all targets, 30 s each
#   FUZZ_SECONDS=5 tools/fuzz-short.sh  shorter
#   tools/fuzz-short.sh offers cbs      only these targets
#
# Needs the nightly toolchain (libFuzzer's sanitizer flags); installs cargo-fuzz if missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${FUZZ_SECONDS:-30}"
cd "$root/fuzz"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz-short: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

# --dev: the development profile (debug assertions and overflow checks on, as in the tests,
# so an arithmetic overflow on hostile input is a crash here rather than a silent wrap). It
# builds in a fraction of the optimised build's time, which matters in CI: a short pass is
# about finding what breaks quickly; the long runs (tools/fuzz-long.sh) use the optimised
# build with the same checks (-a).
flags=(--dev)
cargo +nightly fuzz build "${flags[@]}"

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

scratch="$(mktemp -d "${TMPDIR:-/tmp}/fuzz-short.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

for t in "${targets[@]}"; do
    if [ ! -d "corpus/$t" ]; then
        echo "fuzz-short: no committed corpus fuzz/corpus/$t" >&2
        exit 1
    fi
    mkdir -p "$scratch/$t" "artifacts/$t"
    echo "fuzz-short: $t for ${seconds}s" >&2
    # The scratch directory comes first: libFuzzer writes new inputs only to the first one.
    if ! cargo +nightly fuzz run "${flags[@]}" "$t" "$scratch/$t" "corpus/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$scratch/$t.log" 2>&1; then
        tail -n 60 "$scratch/$t.log" >&2
        echo "fuzz-short: FAILED: $t (input kept under fuzz/artifacts/$t/;" \
            "reproduce: cd fuzz && cargo +nightly fuzz run -a $t artifacts/$t/<file>)" >&2
        exit 1
    fi
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$scratch/$t.log" | tr '\n' ' ' >&2 || true
    echo >&2
done
echo "fuzz-short: ${#targets[@]} targets, ${seconds}s each, no crash" >&2
