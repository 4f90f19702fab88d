#!/usr/bin/env bash
# The click-proxy part of make bench: wrk against kensa serve (cached
# verdict) and against scripts/bare303, side by side in one run. Prints
# tab-separated results for scripts/bench.sh:
#   kensa|bare  requests/s  p50  p99
#   mem         rss  peak-rss
#   events      emitted  written  dropped  requests
#   cpu         serve-us/click  redis-us/click  bare-us/request
# (cpu: CPU time of kensa serve and of Redis from the first kensa run until
# the click log has written its last event, per answered click, the bare
# server's runs in between costing them next to nothing; and the bare
# server's CPU time per answered request.)
# BENCH_CLICKS_PPROF=FILE also writes a CPU profile of kensa serve, taken
# during the first kensa run (serve --pprof-listen on loopback), to FILE.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=$PWD/.run/bench
mkdir -p "$RUN"
# BENCH_CLICKS_KENSA=BINARY measures another build (a before/after pair);
# by default the tree's, built every time (a stale binary would be measured).
KENSA=${BENCH_CLICKS_KENSA:-bin/kensa}
[ -n "${BENCH_CLICKS_KENSA:-}" ] || go build -trimpath -o "$KENSA" ./cmd/kensa
go build -o "$RUN/demosite" ./scripts/demosite
go build -o "$RUN/bare303" ./scripts/bare303
[ -s "$RUN/keys.json" ] || $KENSA keygen > "$RUN/keys.json"
[ -s "$RUN/api-token" ] || head -c 24 /dev/urandom | base64 | tr '+/' '-_' > "$RUN/api-token"
PR=6391 PS=127.0.0.1:8181 PD=127.0.0.1:8191 PB=127.0.0.1:8189 PP=127.0.0.1:8182
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
redis-server --port $PR --bind 127.0.0.1 --save "" --appendonly no --dir "$RUN" --logfile "$RUN/redis.log" &
pids+=($!)
rm -f "$RUN/spki"
"$RUN/demosite" --listen $PD --key-file "$RUN/keys.json" --base-url "http://$PS" --spki-file "$RUN/spki" 2> "$RUN/demosite.log" &
pids+=($!)
for _ in $(seq 50); do [ -s "$RUN/spki" ] && break; sleep 0.1; done
$KENSA serve --listen $PS --redis redis://127.0.0.1:$PR/0 --key-file "$RUN/keys.json" --base-url "http://$PS" \
  --api-token-file "$RUN/api-token" --test-map-hosts $PD --test-trust-spki "$(cat "$RUN/spki")" \
  --click-rate 1000000000 --click-burst 1000000000 ${BENCH_CLICKS_PPROF:+--pprof-listen $PP} > "$RUN/clicks.log" 2> "$RUN/serve.log" &
# The rate limit per client network runs on every click (its cost is in the
# figures) but never refuses: wrk is one client.
serve=$!
pids+=($serve)
for _ in $(seq 150); do curl -fsS "http://$PS/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
link=$(curl -fsS "http://$PD/" | grep -o 'href="[^"]*shop"' | head -1 | sed 's/^href="//; s/"$//; s/&amp;/\&/g')
[ -n "$link" ] || { echo "no demo link" >&2; exit 1; }
for _ in $(seq 30); do
  # A browser's headers: a scanner's click (curl's own User-Agent) never
  # starts the render that decides the verdict.
  a=$(curl -s -o /dev/null -D - "$link" -H 'Accept-Language: ja' -H 'User-Agent: Mozilla/5.0 (bench) Chrome/131.0' | tr -d '\r' | awk -F': ' 'tolower($1)=="x-kensa-action"{print $2}')
  [ "$a" = redirect ] && break
  sleep 1
done
[ "$a" = redirect ] || { echo "the demo link was not cached as clean: $a" >&2; exit 1; }
"$RUN/bare303" --listen $PB &
bare=$!
pids+=($bare)
sleep 0.5
path=${link#http://$PS}

# CPU seconds used so far: Redis's (INFO cpu), kensa serve's (/proc).
redis_cpu() { redis-cli -p $PR INFO cpu | tr -d '\r' | awk -F: '$1=="used_cpu_sys" || $1=="used_cpu_user" {t+=$2} END {printf "%.6f", t}'; }
proc_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.6f", ($14+$15)/hz}' /proc/$1/stat; }
serve_cpu() { proc_cpu $serve; }
run() { # name url -> "name rps p50 p99 requests"
  wrk -t2 -c64 -d10s --latency -H 'Accept-Language: ja' -H 'User-Agent: Mozilla/5.0 (bench) Chrome/131.0' "$2" > "$RUN/wrk-$1.txt"
  awk -v n="$1" '/Requests\/sec/ {r=$2} /^ +50%/ {a=$2} /^ +99%/ {z=$2} /requests in/ {q=$1} END {printf "%s\t%s\t%s\t%s\t%s\n", n, r, a, z, q}' "$RUN/wrk-$1.txt"
}
best() { sort -t$'\t' -k2,2 -g | tail -1; }
r0=$(redis_cpu) s0=$(serve_cpu) x0=$(proc_cpu $bare)
prof=
if [ -n "${BENCH_CLICKS_PPROF:-}" ]; then
  curl -fsS -o "$BENCH_CLICKS_PPROF" "http://$PP/debug/pprof/profile?seconds=8" &
  prof=$!
fi
k1=$(run kensa "http://$PS$path"); [ -z "$prof" ] || wait $prof
b1=$(run bare "http://$PB$path")
k2=$(run kensa "http://$PS$path"); b2=$(run bare "http://$PB$path")
kbest=$(printf '%s\n%s\n' "$k1" "$k2" | best)
printf '%s\n%s\n' "$b1" "$b2" | best | cut -f1-4
echo "$kbest" | cut -f1-4
requests=$(( $(echo "$k1" | cut -f5) + $(echo "$k2" | cut -f5) ))
bare_requests=$(( $(echo "$b1" | cut -f5) + $(echo "$b2" | cut -f5) ))
x1=$(proc_cpu $bare)
printf 'mem\t%s\t%s\n' "$(awk '/VmRSS/ {printf "%.0f MiB", $2/1024}' /proc/$serve/status)" "$(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' /proc/$serve/status)"
metric() { echo "$m" | awk -v k="$1" '$1==k {printf "%.0f", $2}'; }
for _ in $(seq 60); do # until the click log has written (or dropped) every event
  m=$(curl -fsS "http://$PS/metrics")
  [ "$(metric kensa_click_events_buffered)" = 0 ] && break
  sleep 0.5
done
printf 'cpu\t%s\t%s\t%s\n' "$(awk -v a="$s0" -v b="$(serve_cpu)" -v n="$requests" 'BEGIN {printf "%.1f", (b-a)*1e6/n}')" \
  "$(awk -v a="$r0" -v b="$(redis_cpu)" -v n="$requests" 'BEGIN {printf "%.1f", (b-a)*1e6/n}')" \
  "$(awk -v a="$x0" -v b="$x1" -v n="$bare_requests" 'BEGIN {printf "%.1f", (b-a)*1e6/n}')"
printf 'events\t%s\t%s\t%s\t%s\n' "$(metric kensa_click_events_total)" "$(metric kensa_click_events_written_total)" "$(metric kensa_click_events_dropped_total)" "$requests"
