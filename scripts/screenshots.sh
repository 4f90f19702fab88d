#!/usr/bin/env bash
# Takes the screenshots of the click-proxy pages in docs/screenshots: builds
# and starts the preview server (scripts/screenshots/preview) on a free
# loopback port, drives Chromium with playwright-core
# (scripts/screenshots/shoot.mjs), and stops the server.
#
#   scripts/screenshots.sh [OUT_DIR]     (default docs/screenshots)
#
# Needs Go, Node.js with npm, and Chromium at /usr/bin/chromium (or $CHROMIUM).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
out=$(realpath -m "${1:-docs/screenshots}")
dir=scripts/screenshots

if [ ! -d "$dir/node_modules/playwright-core" ]; then
  (cd "$dir" && npm ci --no-audit --no-fund)
fi

tmp=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# Built rather than `go run`, so that $pid is the server itself and killing
# it leaves nothing behind.
go build -o "$tmp/preview" ./"$dir"/preview
"$tmp/preview" -addr 127.0.0.1:0 -url-file "$tmp/url" &
pid=$!
for _ in $(seq 50); do
  [ -s "$tmp/url" ] && break
  kill -0 "$pid" 2>/dev/null || { echo "screenshots: preview server exited" >&2; exit 1; }
  sleep 0.1
done
[ -s "$tmp/url" ] || { echo "screenshots: preview server did not start" >&2; exit 1; }

(cd "$dir" && node shoot.mjs "$(cat "$tmp/url")" "$out")
