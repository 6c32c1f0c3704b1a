#!/usr/bin/env bash
# Accept and end-to-end figures over HTTP against the real binary.
#   bench/http.sh accept   # POST /v1/messages at concurrency 64; dispatch held back
#   bench/http.sh e2e      # the same load with dispatch on, followed to final status
#   bench/http.sh sms      # e2e over SMPP to `detour sim smsc` (receipts at once), one route, window 100
#   bench/http.sh whatsapp # e2e over the Cloud API to `detour sim whatsapp`: one business number (limit
#                          # raised), signed sent + delivered webhooks back (two statuses per message)
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
elif [ "$mode" = sms ]; then
  "$work/detour" sim smsc --addr 127.0.0.1:12775 --system-id detour --password pw --receipt-delay 0s \
    --delivered 1 --undeliverable 0 --expired 0 --interval 1h 2>"$work/smsc.log" &
  printf 'messages:\n  default_policy:\n    - channel: sms\nchannels:\n  sms:\n    routes:\n      - name: op1\n        host: 127.0.0.1\n        port: 12775\n        system_id: detour\n        password: pw\n        source_addr: Detour\n        source_ton: 5\n        window: 100\n' > "$work/config.yaml"
elif [ "$mode" = whatsapp ]; then
  DETOUR_SIM_WHATSAPP_TOKEN=tok DETOUR_SIM_WHATSAPP_APP_SECRET=appsecret "$work/detour" sim whatsapp \
    --addr 127.0.0.1:18082 --webhook-url "http://127.0.0.1:$port/webhooks/whatsapp" --status-delay 0s \
    --interval 1h 2>"$work/wasim.log" &
  printf 'messages:\n  default_policy:\n    - channel: whatsapp\nchannels:\n  whatsapp:\n    base_url: http://127.0.0.1:18082\n    token: tok\n    app_secret: appsecret\n    verify_token: verify\n    numbers:\n      - name: main\n        phone_number_id: "106540352242922"\n        throughput: 100000\n' > "$work/config.yaml"
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
  follow=""; [ "$mode" != accept ] && follow="--follow"
  [ "$mode" = whatsapp ] && follow="$follow --template otp_code"
  echo "== run $run ($mode, $messages messages, concurrency $concurrency)"
  DETOUR_API_KEY=$key "$work/detour" load --server "http://127.0.0.1:$port" --messages "$messages" \
    --concurrency "$concurrency" --warmup 1000 $follow 2>/dev/null | grep -v '^$'
  kill -TERM $pid; wait $pid || true
done
