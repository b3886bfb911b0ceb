#!/usr/bin/env bash
# Load benchmark of the public endpoints: wrk against a release build on loopback, 200
# connections, with a peer measured in the same run: the same dashboard HTML served as a
# static file by `python3 -m http.server`. Usage: crates/web/bench/load.sh [seconds]
# SPREIDING_BIN=path overrides the binary (e.g. a debug build).
# Needs: wrk (apt-get install wrk), python3; builds target/release/spreiding first.
set -euo pipefail
cd "$(dirname "$0")/../../.."
DUR="${1:-10}"
BIN="${SPREIDING_BIN:-target/release/spreiding}"
[ -x "$BIN" ] || cargo build --release -p spreiding-cli
TMP=$(mktemp -d)
PORT=18181; PEER=18182
"$BIN" serve --demo --addr 127.0.0.1:$PORT --database "sqlite:$TMP/bench.db" >"$TMP/serve.log" 2>&1 &
SPID=$!
trap 'kill $SPID ${PPID2:-} 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 1 900); do curl -sf -o /dev/null http://127.0.0.1:$PORT/api/overview && break; sleep 0.2; done
mkdir -p "$TMP/static" && curl -sf http://127.0.0.1:$PORT/ -o "$TMP/static/index.html"
(cd "$TMP/static" && exec python3 -m http.server $PEER --bind 127.0.0.1 >/dev/null 2>&1) &
PPID2=$!
sleep 1
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); wrk -t2 -c200 -d${DUR}s"
printf '%-45s %10s %9s %9s %9s\n' endpoint req/s p50 p99 max
run() {
  local name="$1" url="$2" conns="${3:-200}"
  local out
  out=$(wrk -t2 -c"$conns" -d"${DUR}s" --latency "$url" 2>&1)
  local rps p50 p99 max
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  max=$(awk '/Latency/ {print $4; exit}' <<<"$out")
  local errs; errs=$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)
  printf '%-45s %10s %9s %9s %9s %s\n' "$name" "$rps" "$p50" "$p99" "$max" "$errs"
}
run "GET /  (dashboard HTML)" http://127.0.0.1:$PORT/
run "GET /gemeente/GM0014 (page + explain)" http://127.0.0.1:$PORT/gemeente/GM0014
run "GET /api/overview" http://127.0.0.1:$PORT/api/overview
run "GET /api/municipalities (342 rows JSON)" http://127.0.0.1:$PORT/api/municipalities
run "GET /api/municipalities/GM0014" http://127.0.0.1:$PORT/api/municipalities/GM0014
run "GET /api/map.geojson (355 kB)" http://127.0.0.1:$PORT/api/map.geojson
run "peer: python3 http.server, same HTML" http://127.0.0.1:$PEER/index.html
