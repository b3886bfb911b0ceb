#!/usr/bin/env bash
# The long fuzz runs behind the figures in docs/RELIABILITY.md (Fuzzing).
#
# Each target runs until FUZZ_RUNS executions (default 1,000,000) or FUZZ_MAX_SECONDS
# (default 600), whichever comes first, one target at a time, on a working copy of its
# committed corpus (fuzz/corpus-work/<target>/, ignored by git). Afterwards the working
# corpus is minimised by edge coverage (cargo fuzz cmin with -use_counters=0, which keeps
# the committed corpus small) and, with FUZZ_UPDATE_CORPUS=1, replaces fuzz/corpus/<target>/. One line per target goes to fuzz/corpus-work/summary.tsv:
# target, executions, seconds, exec/s, peak RSS (MB), load average at the end, result.
#
#   nice -n 19 tools/fuzz-long.sh                 every target
#   FUZZ_MAX_SECONDS=60 tools/fuzz-long.sh cbs    one target, one minute
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${FUZZ_RUNS:-1000000}"
max_seconds="${FUZZ_MAX_SECONDS:-600}"
cd "$root/fuzz"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
flags=(--debug-assertions)
cargo +nightly fuzz build "${flags[@]}"

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

mkdir -p corpus-work
summary=corpus-work/summary.tsv
[ -f "$summary" ] || printf 'target\texecutions\tseconds\texec_per_s\tpeak_rss_mb\tload_avg\tresult\n' >"$summary"

for t in "${targets[@]}"; do
    work="corpus-work/$t"
    mkdir -p "$work" "artifacts/$t"
    cp -n "corpus/$t"/* "$work"/ 2>/dev/null || true
    log="corpus-work/$t.log"
    echo "fuzz-long: $t (up to $runs runs or ${max_seconds}s)" >&2
    start=$(date +%s)
    result=ok
    cargo +nightly fuzz run "${flags[@]}" "$t" "$work" -- \
        -runs="$runs" -max_total_time="$max_seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1 || result=CRASH
    end=$(date +%s)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -n 1)
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "${execs:-?}" "$((end - start))" "${rate:-?}" "${rss:-?}" "$load" \
        "$result" | tee -a "$summary" >&2
    if [ "$result" = ok ]; then
        cargo +nightly fuzz cmin "${flags[@]}" "$t" "$work" -- -use_counters=0 >"corpus-work/$t.cmin.log" 2>&1
        if [ "${FUZZ_UPDATE_CORPUS:-0}" = 1 ]; then
            rm -rf "corpus/$t" && mkdir -p "corpus/$t" && cp "$work"/* "corpus/$t"/
        fi
    else
        tail -n 40 "$log" >&2
    fi
done
