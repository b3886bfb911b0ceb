#!/usr/bin/env sh
# Benchmark the forecast engine against its numpy peer in one run (docs/PERFORMANCE.md,
# ## Forecast). The numpy script is a BENCHMARK PEER only (tools/forecast_numpy_peer.py).
# hyperfine reports wall and user CPU for each command; the load average is printed
# before and after because the 2 cores are shared.
set -eu
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo build --release -p spreiding-cli >/dev/null 2>&1
hyperfine --runs 3 'target/release/spreiding forecast --runs 10000 --seed 1 --format json'
hyperfine --runs 1 'python3 tools/forecast_numpy_peer.py --runs 10000 --sampler exact' \
  'python3 tools/forecast_numpy_peer.py --runs 10000 --sampler hybrid'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo bench -p spreiding-forecast --bench forecast -- --sample-count 3
