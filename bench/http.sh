#!/usr/bin/env bash
# Accept and end-to-end figures over HTTP against the real binary.
#   bench/http.sh accept   # POST /v1/messages at concurrency 64; dispatch held back
#   bench/http.sh e2e      # the same load with dispatch on, followed to final status
# Environment: MESSAGES (default 30000), CONCURRENCY (64), RUNS (3).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-e2e}
messages=${MESSAGES:-30000}
concurrency=${CONCURRENCY:-64}
runs=${RUNS:-3}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/detour" ./cmd/detour
port=18090
if [ "$mode" = accept ]; then
  # One send at a time, each taking 5 s: the dispatcher claims almost
  # nothing while the load runs, so the figures are the accept path alone.
  printf 'dispatch:\n  concurrency: 1\nchannels:\n  sandbox:\n    routes:\n      - name: default\n        latency: 5s\n' > "$work/config.yaml"
else
  printf 'log:\n  level: warn\n' > "$work/config.yaml"
fi
for run in $(seq "$runs"); do
  data="$work/data-$run"
  key=$("$work/detour" keys create --tenant bench --data "$data" 2>/dev/null)
  DETOUR_SERVER__RATE_LIMIT=1000000 DETOUR_SERVER__RATE_BURST=1000000 DETOUR_LOG__LEVEL=warn \
    "$work/detour" serve --config "$work/config.yaml" --data "$data" --addr "127.0.0.1:$port" 2>"$work/serve-$run.log" &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  follow=""; [ "$mode" = e2e ] && follow="--follow"
  echo "== run $run ($mode, $messages messages, concurrency $concurrency)"
  DETOUR_API_KEY=$key "$work/detour" load --server "http://127.0.0.1:$port" --messages "$messages" \
    --concurrency "$concurrency" --warmup 1000 $follow 2>/dev/null | grep -v '^$'
  kill -TERM $pid; wait $pid || true
done
