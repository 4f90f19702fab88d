#!/usr/bin/env bash
# `make run`: starts the whole system locally and a demo a newcomer can
# click through:
#   - Redis: a private redis-server on 127.0.0.1:6390 (no persistence),
#     unless KENSA_REDIS_URL names one;
#   - the demo sites (scripts/demosite) on 127.0.0.1:8090: local stand-ins
#     for a clean shop, a brand phish, an OAuth consent lure, an APK lure, a
#     shown-vs-real mismatch, a login on an abused domain (a warning) and a
#     slow page, plus an index page with the
#     sample mail as Kensa rewrote it;
#   - kensa serve on 127.0.0.1:8080 with the sandbox (headless Chromium) in
#     process, mapping every host name to the demo sites (test mode: no
#     traffic leaves this machine);
#   - the SOC console at http://127.0.0.1:8080/console/ with a demo admin
#     (admin@demo.kensa.test; the password is printed, and kept in
#     .run/demo/console-password), showing the demo's clicks: a few of the
#     sample mail's links are clicked at start, and every click you make
#     shows up too.
# Open http://127.0.0.1:8090/ and click. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=$PWD/.run/demo
mkdir -p "$RUN"
KENSA=bin/kensa
SERVE=${KENSA_DEMO_LISTEN:-127.0.0.1:8080}
SITES=${KENSA_DEMO_SITES:-127.0.0.1:8090}
BASE=http://$SERVE
[ -s "$RUN/keys.json" ] || $KENSA keygen > "$RUN/keys.json"
[ -s "$RUN/api-token" ] || head -c 24 /dev/urandom | base64 | tr '+/' '-_' > "$RUN/api-token"
chmod 600 "$RUN/keys.json" "$RUN/api-token"

pids=()
seed=
cleanup() { for p in "${pids[@]}" $seed; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

if [ -z "${KENSA_REDIS_URL:-}" ]; then
  redis-server --port 6390 --bind 127.0.0.1 --save "" --appendonly no --dir "$RUN" --logfile "$RUN/redis.log" &
  pids+=($!)
  KENSA_REDIS_URL=redis://127.0.0.1:6390/0
  for _ in $(seq 50); do redis-cli -p 6390 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

go build -o "$RUN/demosite" ./scripts/demosite
rm -f "$RUN/spki"
"$RUN/demosite" --listen "$SITES" --key-file "$RUN/keys.json" --base-url "$BASE" --spki-file "$RUN/spki" 2> "$RUN/demosite.log" &
pids+=($!)
for _ in $(seq 50); do [ -s "$RUN/spki" ] && break; sleep 0.1; done

echo "Click log (one JSON line per click) follows; the service's own log is in $RUN/serve.log."
$KENSA serve --listen "$SERVE" --redis "$KENSA_REDIS_URL" --key-file "$RUN/keys.json" --base-url "$BASE" \
  --api-token-file "$RUN/api-token" --insecure-cookies --test-map-hosts "$SITES" --test-trust-spki "$(cat "$RUN/spki")" 2> "$RUN/serve.log" &
pids+=($!)
for _ in $(seq 100); do curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "$BASE/readyz" >/dev/null || { echo "kensa serve did not start; see $RUN/serve.log" >&2; tail -20 "$RUN/serve.log" >&2; exit 1; }

# The console's demo admin (plain http on loopback: --insecure-cookies above).
CONSOLE_USER=admin@demo.kensa.test
[ -s "$RUN/console-password" ] || head -c 18 /dev/urandom | base64 | tr '+/' '-_' > "$RUN/console-password"
chmod 600 "$RUN/console-password"
if ! $KENSA admin users --redis "$KENSA_REDIS_URL" 2>/dev/null | grep -q "^$CONSOLE_USER"; then
  $KENSA admin create-user --redis "$KENSA_REDIS_URL" --role admin --password-stdin "$CONSOLE_USER" < "$RUN/console-password" >/dev/null
fi

# A few clicks on the sample mail's links, so the console has something
# to show (each is rendered in the sandbox, like a person's click). After
# a pause: a click seconds after delivery looks like a mail scanner's.
(
  links=$(curl -fsS "http://$SITES/" 2>/dev/null | grep -o "$BASE/k/[^\"<> ]*" | sed 's/&amp;/\&/g' | sort -u | head -n 8)
  sleep 12
  echo "$links" | while read -r link; do
      curl -fsS -o /dev/null --max-time 40 -H 'Accept-Language: ja' \
        -A 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' "$link" || true
    done
) &
seed=$! # not in pids: the wait below is for the services

bold=$(tput bold 2>/dev/null || true); off=$(tput sgr0 2>/dev/null || true)
echo
echo "${bold}Kensa is running.${off}"
echo "  Demo (sample mail, click the links):  ${bold}http://$SITES/${off}"
echo "  Click proxy:                          $BASE  (/healthz, /readyz, /metrics)"
echo "  SOC console:                          ${bold}$BASE/console/${off}"
echo "     sign in as ${bold}$CONSOLE_USER${off}, password ${bold}$(cat "$RUN/console-password")${off}"
echo "  API:  curl -H \"Authorization: Bearer \$(cat $RUN/api-token)\" $BASE/api/v1/clicks"
echo "  Redis: $KENSA_REDIS_URL"
echo "Ctrl-C stops everything."
echo
wait -n "${pids[@]}"
