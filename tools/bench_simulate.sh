#!/usr/bin/env bash
# Benchmarks of the policy simulator for docs/PERFORMANCE.md (## Simulator).
# 1. hyperfine: the aggregate daily step in Rust (crates/simulate/examples/step_peer.rs) and
#    in numpy (tools/simulate_step_peer.py), same inputs, same checksum;
# 2. hyperfine: the issue's command, 1,000 paths × 2 policies × 10 years, with and without
#    the sensitivity analysis and the calibration check;
# 3. divan: cargo bench -p spreiding-simulate (one 10-year path per policy, 100 paths).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}" CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
cargo build --release -p spreiding-cli -p spreiding-simulate --example step_peer
BIN="$CARGO_TARGET_DIR/release"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN/examples/step_peer" 1000 3653
python3 tools/simulate_step_peer.py 1000 3653
hyperfine -N --warmup 1 --runs 5 \
  "$BIN/examples/step_peer 1000 3653" \
  "python3 tools/simulate_step_peer.py 1000 3653"
OUT="$(mktemp -d)"
hyperfine -N --runs 3 \
  "$BIN/spreiding simulate --runs 1000 --sensitivity-runs 0 --calibration-runs 0 --format json --output $OUT/a.json" \
  "$BIN/spreiding simulate --policy law --policy voluntary --years 10 --runs 1000 --seed 1 --report $OUT/out.html"
/usr/bin/time -v "$BIN/spreiding" simulate --policy law --policy voluntary --years 10 --runs 1000 --seed 1 --report "$OUT/out.html" 2>&1 | grep -E "Maximum resident|Elapsed|User time"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$OUT"
cargo bench -p spreiding-simulate
