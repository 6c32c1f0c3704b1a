#!/usr/bin/env bash
# End to end over SMPP, Detour against Kannel 1.4.5, interleaved in one run:
#   bench/kannel.sh
# Each run: HTTP API → SMPP submit_sm to `detour sim smsc` → delivery receipt
# at once → final status (Detour: the message is `delivered`, fsynced; Kannel:
# the dlr-url callback of type 1 arrives). "end to end/s" is the measured
# messages divided by the time from the first measured request until the last
# one was final: for Kannel, the arrival of the last callback; for Detour, when
# `detour load --follow` (polling every 250 ms) saw none in flight. For Detour
# the same span is also computed from the store's timestamps (server clock).
# Order: Kannel, Detour, Kannel,
# Detour, ... each on fresh state (new simulator, new data / new bearerbox).
# Environment: MESSAGES (default 20000), WARMUP (200), CONCURRENCY (64),
# RUNS (3), DETOUR_WINDOW (Detour's SMPP window, 100), KANNEL_WINDOW (1000),
# SIM_WINDOW (deliver_sm in flight from the simulator, 1000).
# bearerbox and smsbox run with `-v 2`: their console logs at the level of
# their log files (without it, it logs at debug level and slows Kannel).
# Installs Debian's `kannel` package when bearerbox is missing (needs root or
# sudo). Not part of `go test ./...`.
set -euo pipefail
cd "$(dirname "$0")/.."
messages=${MESSAGES:-20000}
warmup=${WARMUP:-200}
concurrency=${CONCURRENCY:-64}
runs=${RUNS:-3}
detour_window=${DETOUR_WINDOW:-100}
kannel_window=${KANNEL_WINDOW:-1000}
sim_window=${SIM_WINDOW:-1000}

# Ports, all on 127.0.0.1.
sim_port=22775 admin_port=23000 smsbox_port=23001 sendsms_port=23013 dlr_port=23080 detour_port=28090

pids=()
work=$(mktemp -d)
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "logs kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
# stop PID...: SIGTERM, wait up to 10 s, then SIGKILL.
stop() {
  for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "$@"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  local keep=()
  for q in "${pids[@]}"; do
    local gone=0
    for p in "$@"; do [ "$q" = "$p" ] && gone=1; done
    [ $gone = 1 ] || keep+=("$q")
  done
  pids=(${keep[@]+"${keep[@]}"})
}
# sum_proc FILE PROGRAM PID...: the sum over PIDs of the number the awk
# PROGRAM prints from /proc/PID/FILE (0 for a PID that is gone).
sum_proc() {
  local file=$1 prog=$2 sum=0 v
  shift 2
  for p in "$@"; do
    v=$(awk "$prog" "/proc/$p/$file" 2>/dev/null || echo 0)
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}
# peak resident memory (VmHWM) of PIDs, in MiB, summed.
peak_mib() { echo $(($(sum_proc status '/^VmHWM/ {print $2}' "$@") / 1024)); }
# CPU seconds (user + system) used so far by PIDs, summed.
cpu_s() {
  awk -v t="$(sum_proc stat '{print $14 + $15}' "$@")" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t / hz}'
}
need_free() {
  for port in "$@"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "port $port on 127.0.0.1 is in use; is another benchmark running?" >&2; exit 1
    fi
  done
}

# Kannel: install it when missing.
if ! command -v bearerbox >/dev/null && [ ! -x /usr/sbin/bearerbox ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y kannel || { $sudo apt-get update && $sudo apt-get install -y kannel; }
fi
bearerbox=$(command -v bearerbox || echo /usr/sbin/bearerbox)
smsbox=$(command -v smsbox || echo /usr/sbin/smsbox)
kannel_version=$(dpkg-query -W -f='${Version}' kannel 2>/dev/null || echo unknown)

need_free $sim_port $admin_port $smsbox_port $sendsms_port $dlr_port $detour_port
go build -o "$work/detour" ./cmd/detour
go build -o "$work/kannelload" ./bench/kannelload

start_sim() { # $1: log file
  "$work/detour" sim smsc --addr 127.0.0.1:$sim_port --system-id bench --password pw --receipt-delay 0s \
    --delivered 1 --undeliverable 0 --expired 0 --window "$sim_window" --interval 1h 2>"$1" &
  sim_pid=$!; pids+=("$sim_pid")
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$sim_port") 2>/dev/null && return; sleep 0.05; done
  echo "simulator did not start" >&2; cat "$1" >&2; exit 1
}

# kannel.conf: a blank line ends a group, so none inside one.
cat > "$work/kannel.conf.in" <<EOF
group = core
admin-port = $admin_port
admin-password = bench
status-password = bench
admin-interface = 127.0.0.1
smsbox-port = $smsbox_port
smsbox-interface = 127.0.0.1
dlr-storage = internal
log-level = 2
log-file = "@DIR@/bearerbox.log"
box-allow-ip = 127.0.0.1

group = smsc
smsc = smpp
smsc-id = sim
host = 127.0.0.1
port = $sim_port
transceiver-mode = true
smsc-username = bench
smsc-password = pw
system-type = ""
interface-version = 34
source-addr-ton = 5
source-addr-npi = 0
max-pending-submits = $kannel_window
enquire-link-interval = 30
reconnect-delay = 1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = $smsbox_port
sendsms-port = $sendsms_port
sendsms-interface = 127.0.0.1
log-level = 2
log-file = "@DIR@/smsbox.log"

group = sendsms-user
username = bench
password = bench
default-sender = Detour
max-messages = 1
EOF

results="$work/results.txt"
: > "$results"

kannel_run() { # $1: run number
  local dir="$work/kannel-$1"
  mkdir -p "$dir"
  sed "s#@DIR@#$dir#g" "$work/kannel.conf.in" > "$dir/kannel.conf"
  start_sim "$dir/smsc.log"
  "$bearerbox" -v 2 "$dir/kannel.conf" >"$dir/bearerbox.out" 2>&1 &
  local bb=$!; pids+=("$bb")
  local bound=""
  for _ in $(seq 200); do
    if curl -sf "http://127.0.0.1:$admin_port/status.txt?password=bench" 2>/dev/null | grep -q 'online'; then bound=1; break; fi
    sleep 0.1
  done
  if [ -z "$bound" ]; then
    echo "Kannel did not bind to the simulator within 20 s" >&2
    curl -s "http://127.0.0.1:$admin_port/status.txt?password=bench" >&2 || true
    tail -20 "$dir/bearerbox.log" >&2 || true; exit 1
  fi
  "$smsbox" -v 2 "$dir/kannel.conf" >"$dir/smsbox.out" 2>&1 &
  local sb=$!; pids+=("$sb")
  for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$sendsms_port") 2>/dev/null && break; sleep 0.05; done
  # smsbox must also be connected to bearerbox before the first request.
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$admin_port/status.txt?password=bench" | grep -q 'Box connections:' &&
      curl -sf "http://127.0.0.1:$admin_port/status.txt?password=bench" | grep -A3 'Box connections:' | grep -q smsbox && break
    sleep 0.1
  done
  echo "== run $1: Kannel $kannel_version ($messages messages, warm-up $warmup, concurrency $concurrency, window $kannel_window)"
  local out="$dir/load.txt" rc=0
  local TIMEFORMAT="CPU       load generator %U s user + %S s system"
  time "$work/kannelload" --sendsms "http://127.0.0.1:$sendsms_port/cgi-bin/sendsms" --username bench --password bench \
    --dlr-addr "127.0.0.1:$dlr_port" --messages "$messages" --warmup "$warmup" --concurrency "$concurrency" \
    --timeout 3m > "$out" || rc=$?
  cat "$out"
  local mem; mem=$(peak_mib "$bb" "$sb")
  echo "Memory    bearerbox + smsbox peak RSS $mem MiB"
  echo "CPU       bearerbox + smsbox $(cpu_s "$bb" "$sb") s, simulator $(cpu_s "$sim_pid") s (whole run, warm-up included)"
  [ $rc = 0 ] || echo "(kannelload failed: $rc)"
  record kannel "$1" "$out" "$mem"
  stop "$sb"; stop "$bb"; stop "$sim_pid"
}

printf 'messages:\n  default_policy:\n    - channel: sms\nchannels:\n  sms:\n    routes:\n      - name: op1\n        host: 127.0.0.1\n        port: %s\n        system_id: bench\n        password: pw\n        source_addr: Detour\n        source_ton: 5\n        window: %s\n' \
  "$sim_port" "$detour_window" > "$work/detour.yaml"

detour_run() { # $1: run number
  local dir="$work/detour-$1"
  mkdir -p "$dir"
  start_sim "$dir/smsc.log"
  local key; key=$("$work/detour" keys create --tenant bench --data "$dir/data" 2>/dev/null)
  DETOUR_SERVER__RATE_LIMIT=1000000 DETOUR_SERVER__RATE_BURST=1000000 DETOUR_LOG__LEVEL=warn \
    "$work/detour" serve --config "$work/detour.yaml" --data "$dir/data" --addr "127.0.0.1:$detour_port" 2>"$dir/serve.log" &
  local sv=$!; pids+=("$sv")
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$detour_port/readyz" >/dev/null && break; sleep 0.1; done
  echo "== run $1: Detour, SQLite WAL synchronous=FULL ($messages messages, warm-up $warmup, concurrency $concurrency, window $detour_window)"
  local out="$dir/load.txt" rc=0
  local TIMEFORMAT="CPU       load generator %U s user + %S s system"
  local t0; t0=$(date +%s.%N)
  time DETOUR_API_KEY=$key "$work/detour" load --server "http://127.0.0.1:$detour_port" --messages "$messages" \
    --concurrency "$concurrency" --warmup "$warmup" --follow 2>/dev/null | grep -v '^$' > "$out" || rc=$?
  cat "$out"
  # The store's one writer: how much of the load's span it was running
  # batches (near 100% means writes are the bottleneck), and committing.
  curl -sf "http://127.0.0.1:$detour_port/metrics" | awk -v t0="$t0" -v t1="$(date +%s.%N)" '
    /^detour_store_writer_busy_seconds_total / {b = $2} /^detour_store_commit_seconds_total / {c = $2}
    END {span = t1 - t0; if (span > 0) printf "Writer    busy %.1f s of the load'"'"'s %.1f s (%.0f%%), committing %.1f s\n", b, span, 100 * b / span, c}' || true
  local mem; mem=$(peak_mib "$sv")
  echo "Memory    detour serve peak RSS $mem MiB"
  echo "CPU       detour serve $(cpu_s "$sv") s, simulator $(cpu_s "$sim_pid") s (whole run, warm-up included)"
  [ $rc = 0 ] || echo "(detour load failed: $rc)"
  stop "$sv"; stop "$sim_pid"
  # The same span from the server's own timestamps (µs): first measured
  # message created → last one final, without `detour load`'s 250 ms polling.
  if command -v sqlite3 >/dev/null; then
    sqlite3 "$dir/data/detour.db" "select count(*), (max(updated_at) - min(created_at)) / 1e6 from messages
      where client_ref not like 'warmup-%' and status = 'delivered'" |
      awk -F'|' '$2 > 0 {printf "Server    %d delivered, first created → last final %.2fs: %.0f messages/s end to end\n", $1, $2, $1 / $2}' >> "$out"
    grep '^Server' "$out" || true
  fi
  record detour "$1" "$out" "$mem"
}

# record WHO RUN FILE MEM: one line "who run accepted/s http_p50 http_p99 final final/s e2e_p50 e2e_p99 mem".
record() {
  local acc fin
  acc=$(grep '^Accepted' "$3" || true)
  fin=$(grep '^Final' "$3" || true)
  local acc_rate p50 p99 final fin_rate f50 f99
  acc_rate=$(sed -nE 's/.*: ([0-9]+) messages\/s;.*/\1/p' <<<"$acc")
  p50=$(sed -nE 's/.*p50 ([^,]+),.*/\1/p' <<<"$acc")
  p99=$(sed -nE 's/.*p99 ([^,]+),.*/\1/p' <<<"$acc")
  final=$(sed -nE 's/^Final +([0-9]+) of.*/\1/p' <<<"$fin")
  fin_rate=$(sed -nE 's/.*: ([0-9]+) messages\/s end to end.*/\1/p' <<<"$fin")
  f50=$(sed -nE 's/.*final p50 ([^,]+),.*/\1/p' <<<"$fin")
  f99=$(sed -nE 's/.*, p99 ([^ ]+)$/\1/p' <<<"$fin")
  local srv_rate
  srv_rate=$(sed -nE 's/^Server .*: ([0-9]+) messages\/s end to end/\1/p' "$3")
  echo "$1 $2 ${acc_rate:-0} ${p50:--} ${p99:--} ${final:-0} ${fin_rate:-0} ${f50:--} ${f99:--} $4 ${srv_rate:--}" >> "$results"
}

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), nproc $(nproc), $(go version | cut -d' ' -f3-), kannel $kannel_version, load $(cut -d' ' -f1-3 /proc/loadavg)"
for run in $(seq "$runs"); do
  kannel_run "$run"
  detour_run "$run"
done

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print 0; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
echo
echo "| system | run | accepted/s | HTTP p50 | HTTP p99 | final | end to end/s | accept → final p50 | p99 | peak RSS MiB | end to end/s, server clock |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
while read -r who run a p50 p99 f fr f50 f99 mem sr; do
  echo "| $who | $run | $a | $p50 | $p99 | $f | $fr | $f50 | $f99 | $mem | $sr |"
done < "$results"
for who in kannel detour; do
  a=$(awk -v w=$who '$1==w {print $3}' "$results" | median)
  fr=$(awk -v w=$who '$1==w {print $7}' "$results" | median)
  sr="-"; [ $who = detour ] && sr=$(awk '$1=="detour" && $11 != "-" {print $11}' "$results" | median)
  echo "| $who | median | $a | | | | $fr | | | | $sr |"
done
k=$(awk '$1=="kannel" {print $7}' "$results" | median)
d=$(awk '$1=="detour" {print $7}' "$results" | median)
echo
awk -v d="$d" -v k="$k" 'BEGIN { if (k > 0) printf "Ratio Detour / Kannel, end-to-end messages/s (medians): %s / %s = %.2f\n", d, k, d / k; else print "Ratio: Kannel completed nothing" }'
