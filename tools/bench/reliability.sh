#!/usr/bin/env bash
# The measurements of docs/RELIABILITY.md (load, SIGKILL, import kill) and the sign-in timing
# of docs/SECURITY.md, on a release build. Needs PostgreSQL at 127.0.0.1:5432 (trust) for
# the PostgreSQL half; takes a few minutes.
#
#   tools/bench/reliability.sh            200 readers
#   READERS=50 tools/bench/reliability.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "machine: $(nproc) cores, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
export SPREIDING_LOAD_READERS="${READERS:-200}"
export SPREIDING_TEST_PG_URL="${SPREIDING_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
cargo test --release --workspace --locked --test load_faults -- --nocapture --test-threads 1 2>&1 \
  | grep -E '^(sign-in|load|kill|import kill) \(|test result'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# Sign-in timing: existing vs unknown accounts against a release server.
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
bin=target/release/spreiding
db="sqlite://$dir/t.db?mode=rwc"
export SPREIDING_NEW_PASSWORD="a-long-password-for-timing"
"$bin" db init --sandbox --database "$db" >/dev/null
"$bin" user add beheer --role admin --database "$db" >/dev/null
names=()
for i in $(seq -w 1 10); do
  SPREIDING_PASSWORD="$SPREIDING_NEW_PASSWORD" "$bin" user add "timing$i" --role coa --user beheer --database "$db" >/dev/null
  names+=("timing$i")
done
"$bin" serve --addr 127.0.0.1:18099 --database "$db" >/dev/null 2>&1 &
pid=$!
sleep 2
python3 tools/bench/login_timing.py http://127.0.0.1:18099 --accounts "$(IFS=,; echo "${names[*]}")" --rounds 4
