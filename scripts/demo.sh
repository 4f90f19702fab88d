#!/usr/bin/env bash
# `make run`: what a newcomer sees first. It makes a key, rewrites a Japanese
# delivery-notice phishing mail and shows, for every link, what the reader now
# hovers over and what `kensa decode` verifies. Later components (click
# proxy, sandbox) extend this into a clickable demo.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .run
KENSA=bin/kensa
BASE=${KENSA_BASE_URL:-http://127.0.0.1:8080}
[ -s .run/keys.json ] || $KENSA keygen > .run/keys.json
chmod 600 .run/keys.json

in=testdata/demo/phish-ja.eml
out=.run/phish-ja.rewritten.eml
$KENSA rewrite --base-url "$BASE" --key-file .run/keys.json --recipient taro.yamada@example.co.jp \
  < "$in" > "$out" 2> .run/rewrite.log

bold=$(tput bold 2>/dev/null || true); off=$(tput sgr0 2>/dev/null || true)
echo "${bold}Kensa demo: link rewriting${off}"
echo "input:  $in ($(wc -c < "$in") bytes)"
echo "output: $out ($(wc -c < "$out") bytes), log: .run/rewrite.log"
echo
echo "${bold}The plain-text part, as the reader sees it now:${off}"
awk "/^--kensa-demo/{n++} n==1" "$out" | sed "1,4d"
echo
echo "${bold}Every Kensa link, verified with the key:${off}"
grep -oE "${BASE//./\\.}/k/[A-Za-z0-9_-]+\?u=[A-Za-z0-9._~:/?=&;,@!\$+*%-]+" "$out" \
  | sed 's/&amp;/\&/g' | sort -u | while read -r link; do
  echo "- $link"
  $KENSA decode --key-file .run/keys.json "$link" | sed 's/^/    /'
done
echo
echo "A tampered link is refused:"
link=$(grep -oE "${BASE//./\\.}/k/[A-Za-z0-9_-]+\?u=[^ <\"]+" "$out" | head -1)
$KENSA decode --key-file .run/keys.json "${link/yamato-delivery/yamato-de1ivery}" || true
echo
echo "Next: 'make test' runs every test. The click proxy and sandbox arrive with issues 4 and 5."
