#!/usr/bin/env bash
# The UI benchmark: a release build of trellis, the bank CRM demo on a fresh SQLite file
# grown to $BENCH_CUSTOMERS customers (100,000 by default), measured in Chromium.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
count=${BENCH_CUSTOMERS:-100000}
work=$(mktemp -d)
trap 'kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
. "$here/build.sh"   # $bin; BENCH_PROFILE=dev for a quick look with the debug build
serve() { (cd "$work" && TRELLIS_ADMIN_PASSWORD=bench-admin-password exec "$bin" serve --demo --demo-bundle "$root/examples/bank-crm" --listen 127.0.0.1:18080 > "$work/log" 2>&1) & echo $! > "$work/pid"; }
wait_up() { for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18080/healthz > /dev/null && return; sleep 0.2; done; cat "$work/log"; exit 1; }
if curl -sf http://127.0.0.1:18080/healthz > /dev/null; then echo "something already answers on 127.0.0.1:18080" >&2; exit 1; fi
serve; wait_up
password=$(grep 'zhang.min` with the password' "$work/log" | awk '{print $NF}')
kill "$(cat "$work/pid")"; while curl -sf http://127.0.0.1:18080/healthz > /dev/null; do sleep 0.2; done
python3 "$here/seed.py" "$work/trellis.db" "$count"
serve; wait_up
BASE_URL=http://127.0.0.1:18080 TRELLIS_USER=zhang.min TRELLIS_PASSWORD="$password" node "$here/ui.mjs"
