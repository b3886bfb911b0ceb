#!/usr/bin/env sh
# Benchmark the forecast engine against its numpy peer in one run (docs/PERFORMANCE.md,
# ## Forecast). The numpy script is a BENCHMARK PEER only (tools/forecast_numpy_peer.py).
set -eu
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo bench -p spreiding-forecast --bench forecast --no-run >/dev/null 2>&1
BIN=$(ls -t target/release/deps/forecast-* | grep -v '\.d$' | head -1)
/usr/bin/time -f "rust: user %U s, sys %S s, wall %e s for 3 samples" "$BIN" --bench base_10000 --sample-count 3
for s in exact hybrid; do
  /usr/bin/time -f "numpy ($s): user %U s, sys %S s, wall %e s" python3 tools/forecast_numpy_peer.py --runs 10000 --sampler $s
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
