#!/usr/bin/env bash
# Issue 14 benchmarks (docs/PERFORMANCE.md, "Scale and speed"): every figure with its
# BENCHMARK PEER in the same run. Peers are benchmark peers only, never product code:
#   1. `spreiding apportion` vs the PyPI `apportionment` package (tools/apportion_peer.py)
#      on the same 100,000-unit file, hyperfine, identical output bytes checked first;
#      `perf stat`/`perf record` show where the time goes.
#   2. placement: spreiding (classes + LP as a min-cost flow + rounding) vs HiGHS (highspy): the LP
#      relaxation + spreiding's own rounding (examples/round_lp.rs), and the MIP with a time
#      limit equal to spreiding's time, and a long MIP run for the best known bound
#      (tools/placement_peer.py); then the national year (190,000 households, ~400,000
#      persons, 1,000 locations) with /usr/bin/time for memory.
#   3. the EU pool: 98,000 SYNTHETIC local units, 27 member states, the AMMR key; divan
#      in-process and hyperfine for the whole command vs the float peer
#      (tools/eu_pool_peer.py, PyPI `apportionment`).
#
# Usage: tools/bench/scale.sh [apportion|placement|eu|all]   (default all)
# Python peers from a venv: PY=target/bench-venv/bin/python with apportionment and highspy.
set -euo pipefail
cd "$(dirname "$0")/../.."
what=${1:-all}
PY=${PY:-target/bench-venv/bin/python}
out=target/bench-scale
mkdir -p "$out"
if ! [ -x "$PY" ]; then
  python3 -m venv target/bench-venv
  target/bench-venv/bin/pip install -q apportionment highspy numpy
fi
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/Mem:/{print $2}') GB"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo build --release -p spreiding-cli >/dev/null 2>&1
bin=target/release/spreiding

if [ "$what" = all ] || [ "$what" = apportion ]; then
  units=$out/units_synthetic.csv
  awk 'BEGIN{srand(7);print "id,weight";for(i=0;i<100000;i++)printf "u%06d,%d\n",i,1+int(rand()*1e6)}' >"$units"
  # The same rows in a fixed shuffled order: sorted ids skip the hash table of the
  # duplicate check, so both orders are measured.
  shuffled=$out/units_shuffled_synthetic.csv
  { head -n 1 "$units"; tail -n +2 "$units" | shuf --random-source=<(yes); } >"$shuffled"
  for m in hamilton webster dhondt huntington-hill adams; do
    $bin apportion -m $m -t 500000 "$units" >"$out/ours-$m.csv"
  done
  $PY tools/apportion_peer.py hamilton 500000 "$units" >"$out/peer-hamilton.csv"
  cmp "$out/ours-hamilton.csv" "$out/peer-hamilton.csv" && echo "hamilton: identical output bytes"
  perf stat -r 20 -e task-clock,page-faults,instructions $bin apportion -m hamilton -t 500000 "$units" \
    -o /dev/null 2>&1 | tail -n 12
  hyperfine -N --warmup 3 --runs "${RUNS:-20}" --export-markdown "$out/apportion.md" \
    "$bin apportion -m hamilton -t 500000 $units" \
    "$bin apportion -m hamilton -t 500000 $shuffled" \
    "$bin apportion -m webster -t 500000 $units" \
    "$bin apportion -m dhondt -t 500000 $units" \
    "$bin apportion -m huntington-hill -t 500000 $units" \
    "$bin apportion -m adams -t 500000 $units"
  hyperfine -N --warmup 1 --runs "${PEER_RUNS:-5}" --export-markdown "$out/apportion-peer.md" \
    "$PY tools/apportion_peer.py hamilton 500000 $units"
fi

if [ "$what" = all ] || [ "$what" = placement ]; then
  cargo build --release -p spreiding-placement --examples >/dev/null 2>&1
  ex=target/release/examples
  # 40,000 households / 400 locations (today's sizes); 190,000 households (~400,000
  # persons) / 1,000 locations with 3 × the beds, so that every household can be placed.
  for size in "40000 400 1" "190000 1000 3"; do
    set -- $size
    model=$out/model-$1-$2.json
    echo "== placement: $1 households, $2 locations, bed factor $3"
    /usr/bin/time -f "spreiding: %e s wall, %U s user, max RSS %M KB" $ex/scale_probe "$1" "$2" "$3" "$model" \
      | tee "$out/ours-$1.txt"
    ours=$(sed -n 's/^Stats.* obj=\([0-9.]*\) .*/\1/p' "$out/ours-$1.txt")
    secs=$(sed -n 's/.* time=\([0-9.]*\)s$/\1/p' "$out/ours-$1.txt" | head -n 1)
    $PY tools/placement_peer.py "$model" "$ours" --lp --lp-out "$out/x-$1.json"
    $ex/round_lp "$1" "$2" "$3" "$out/x-$1.json"
    $PY tools/placement_peer.py "$model" "$ours" --time-limit "$secs"
    # LONG_MIP_SECONDS=0 skips the long run (the instance is deterministic: its best bound
    # from an earlier run still holds).
    if [ "${LONG_MIP_SECONDS:-300}" != 0 ]; then
      $PY tools/placement_peer.py "$model" "$ours" --time-limit "${LONG_MIP_SECONDS:-300}"
    fi
  done
fi

if [ "$what" = all ] || [ "$what" = eu ]; then
  eu=$out/eu
  $bin key synthetic-eu --out "$eu"
  args="key -d eu-ammr-2024 --regions $eu/eu_lau_SYNTHETIC.csv --indicators $eu/eu_lau_bbp_SYNTHETIC.csv --total 30000"
  $bin $args --format csv | cut -d, -f1,6 | sed '1s/.*/code,task/' >"$out/eu-ours.csv"
  $PY tools/eu_pool_peer.py "$eu/eu_lau_SYNTHETIC.csv" "$eu/eu_lau_bbp_SYNTHETIC.csv" 30000 \
    --check "$out/eu-ours.csv" >/dev/null
  hyperfine -N --warmup 2 --runs "${RUNS:-10}" --export-markdown "$out/eu.md" \
    "$bin $args --format csv -o /dev/null" \
    "$PY tools/eu_pool_peer.py $eu/eu_lau_SYNTHETIC.csv $eu/eu_lau_bbp_SYNTHETIC.csv 30000"
  opts="-d eu-ammr-2024 --regions $eu/eu_lau_SYNTHETIC.csv --indicators $eu/eu_lau_bbp_SYNTHETIC.csv --total 30000"
  hyperfine -N --warmup 2 --runs "${RUNS:-10}" "$bin key explain SYN07-00042 $opts"
  cargo bench -p spreiding-core --bench eu_pool 2>/dev/null | tail -n 8
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
