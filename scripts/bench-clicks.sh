#!/usr/bin/env bash
# The click-proxy part of make bench: wrk against kensa serve (cached
# verdict) and against scripts/bare303, side by side in one run. Prints
# tab-separated results for scripts/bench.sh:
#   kensa|bare  requests/s  p50  p99
#   mem         rss  peak-rss
#   events      emitted  written  dropped  requests
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=$PWD/.run/bench
mkdir -p "$RUN"
KENSA=bin/kensa
[ -x "$KENSA" ] || go build -trimpath -o "$KENSA" ./cmd/kensa
go build -o "$RUN/demosite" ./scripts/demosite
go build -o "$RUN/bare303" ./scripts/bare303
[ -s "$RUN/keys.json" ] || $KENSA keygen > "$RUN/keys.json"
[ -s "$RUN/api-token" ] || head -c 24 /dev/urandom | base64 | tr '+/' '-_' > "$RUN/api-token"
PR=6391 PS=127.0.0.1:8181 PD=127.0.0.1:8191 PB=127.0.0.1:8189
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
  --click-rate 1000000000 --click-burst 1000000000 > "$RUN/clicks.log" 2> "$RUN/serve.log" &
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
pids+=($!)
sleep 0.5
path=${link#http://$PS}

run() { # name url -> "name rps p50 p99 requests"
  wrk -t2 -c64 -d10s --latency -H 'Accept-Language: ja' -H 'User-Agent: Mozilla/5.0 (bench) Chrome/131.0' "$2" > "$RUN/wrk-$1.txt"
  awk -v n="$1" '/Requests\/sec/ {r=$2} /^ +50%/ {a=$2} /^ +99%/ {z=$2} /requests in/ {q=$1} END {printf "%s\t%s\t%s\t%s\t%s\n", n, r, a, z, q}' "$RUN/wrk-$1.txt"
}
best() { sort -t$'\t' -k2,2 -g | tail -1; }
k1=$(run kensa "http://$PS$path"); b1=$(run bare "http://$PB$path")
k2=$(run kensa "http://$PS$path"); b2=$(run bare "http://$PB$path")
kbest=$(printf '%s\n%s\n' "$k1" "$k2" | best)
printf '%s\n%s\n' "$b1" "$b2" | best | cut -f1-4
echo "$kbest" | cut -f1-4
requests=$(( $(echo "$k1" | cut -f5) + $(echo "$k2" | cut -f5) ))
printf 'mem\t%s\t%s\n' "$(awk '/VmRSS/ {printf "%.0f MiB", $2/1024}' /proc/$serve/status)" "$(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' /proc/$serve/status)"
sleep 2 # let the click log flush
m=$(curl -fsS "http://$PS/metrics")
metric() { echo "$m" | awk -v k="$1" '$1==k {printf "%.0f", $2}'; }
printf 'events\t%s\t%s\t%s\t%s\n' "$(metric kensa_click_events_total)" "$(metric kensa_click_events_written_total)" "$(metric kensa_click_events_dropped_total)" "$requests"
