#!/usr/bin/env bash
# The form designer's benchmark: a release build of trellis with the bank CRM demo on a
# fresh SQLite file, an app with a 150-field form (and a 10-field one, the baseline),
# measured in Chromium by designer.mjs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
. "$here/build.sh"   # $bin; BENCH_PROFILE=dev for a quick look with the debug build
if curl -sf http://127.0.0.1:18081/healthz > /dev/null; then echo "something already answers on 127.0.0.1:18081" >&2; exit 1; fi
(cd "$work" && TRELLIS_ADMIN_PASSWORD=bench-admin-password exec "$bin" serve --demo --listen 127.0.0.1:18081 > "$work/log" 2>&1) & echo $! > "$work/pid"
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18081/healthz > /dev/null && break; sleep 0.2; done
BASE_URL=http://127.0.0.1:18081 TRELLIS_ADMIN_PASSWORD=bench-admin-password node "$here/designer.mjs"
