#!/usr/bin/env sh
# Forecast benchmark for issue 13 (docs/PERFORMANCE.md, ## Forecast): the release CLI and the
# vectorised numpy BENCHMARK PEER (tools/forecast_numpy_peer.py — a benchmark peer only, never
# product code) side by side in ONE hyperfine run, then the 2019–2025 backtest with 10,000 paths.
# numpy comes from a venv: python3 -m venv target/bench-venv && target/bench-venv/bin/pip install numpy
# hyperfine reports wall time and user/system CPU; the load average is printed before and after
# because the 2 cores are shared.
set -eu
cd "$(dirname "$0")/../.."
PY=${PY:-target/bench-venv/bin/python}
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'); $($PY -c 'import numpy; print("numpy", numpy.__version__)')"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
CARGO_BUILD_JOBS=1 cargo build --release -p spreiding-cli >/dev/null 2>&1
hyperfine --warmup 0 --runs "${RUNS:-3}" --export-markdown target/bench-forecast.md \
  'target/release/spreiding forecast --runs 10000 --seed 1 --format json' \
  "$PY tools/forecast_numpy_peer.py --runs 10000 --sampler hybrid" \
  "$PY tools/forecast_numpy_peer.py --runs 10000 --sampler exact" \
  'target/release/spreiding forecast backtest --runs 10000 --seed 1 --format json'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
