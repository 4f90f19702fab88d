#!/usr/bin/env bash
# Installs what Kensa's build, tests and demo need and are missing, on Debian
# (bookworm) as root. Safe to run again: it only installs what is absent.
# Later components add their packages to NEED_DEBS (Redis, Chromium, Postfix...).
set -euo pipefail
cd "$(dirname "$0")/.."

NEED_DEBS=()
have() { command -v "$1" >/dev/null 2>&1; }

# Go: the module says which version; Go >= 1.21 fetches that toolchain itself
# through the module proxy (GOTOOLCHAIN=auto).
if ! have go && [ -x /usr/local/go/bin/go ]; then export PATH=/usr/local/go/bin:$PATH; fi
have go || NEED_DEBS+=(golang-go)
have git || NEED_DEBS+=(git)
have make || NEED_DEBS+=(make)
# Chromium for the sandbox (sandbox/browser runs /usr/lib/chromium/chromium,
# the binary behind the /usr/bin/chromium wrapper). chromium-sandbox (only a
# Recommends) keeps Chromium's own sandbox available to non-root users.
have chromium || [ -x /usr/bin/chromium ] || NEED_DEBS+=(chromium)
[ -e /usr/lib/chromium/chrome-sandbox ] || NEED_DEBS+=(chromium-sandbox)
# A Japanese font, so screenshots of Japanese pages show text, not boxes.
dpkg -s fonts-ipafont-gothic >/dev/null 2>&1 || NEED_DEBS+=(fonts-ipafont-gothic)
# Redis for the click proxy (verdict cache, locks, overrides, click log);
# tests and make run start their own redis-server on a loopback port.
have redis-server || [ -x /usr/bin/redis-server ] || NEED_DEBS+=(redis-server)
# wrk for make bench (the click proxy against a bare fasthttp server).
have wrk || NEED_DEBS+=(wrk)
have curl || NEED_DEBS+=(curl) # make run waits on /readyz with it
# Node.js and npm for the browser extension (extension/: esbuild, its unit
# tests, web-ext lint, playwright-core driving Chromium end to end).
have node || NEED_DEBS+=(nodejs)
have npm || NEED_DEBS+=(npm)
# docker-compose (Debian's, v1) for make compose-check: `docker-compose config`
# validates docker-compose.yml without a Docker engine (CI has none).
have docker-compose || NEED_DEBS+=(docker-compose)

if [ ${#NEED_DEBS[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing ${NEED_DEBS[*]}; run as root or install them" >&2
    exit 1
  fi
  echo "setup: installing ${NEED_DEBS[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${NEED_DEBS[@]}" >/dev/null
fi

scripts/postfix-root.sh >/dev/null # private Postfix + swaks for internal/postfixtest, not installed
go version >/dev/null
go mod download
# The SOC console's browser test's npm packages (playwright-core: needs
# Node.js and npm, above), from its
# lock file, when they changed; the test (clickproxy/console_browser_test.go)
# checks the stamp and never installs.
e2e=clickproxy/console/e2e
e2e_lock=$(sha256sum $e2e/package-lock.json | cut -d' ' -f1)
if [ "$(cat $e2e/node_modules/.kensa-lock-sha256 2>/dev/null)" != "$e2e_lock" ]; then
  echo "setup: npm ci in $e2e/" >&2
  (cd $e2e && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  printf '%s' "$e2e_lock" > $e2e/node_modules/.kensa-lock-sha256
fi
# The extension's npm packages, from its lock file, when they changed; the
# tests (extension/extension_test.go) check the stamp and never install.
ext_lock=$(sha256sum extension/package-lock.json | cut -d' ' -f1)
if [ "$(cat extension/node_modules/.kensa-lock-sha256 2>/dev/null)" != "$ext_lock" ]; then
  echo "setup: npm ci in extension/" >&2
  (cd extension && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  printf '%s' "$ext_lock" > extension/node_modules/.kensa-lock-sha256
fi
echo "setup: ok ($(go version))" >&2
