#!/usr/bin/env bash
# Prepares the private Postfix + swaks tree that the milter integration tests
# run (internal/postfixtest), on Debian (bookworm): `apt-get download` +
# `dpkg -x` into $KENSA_RUN_DIR/pkgroot (default .run/pkgroot of the repo,
# git-ignored). The postfix package is NOT installed: no postfix/postdrop
# users, nothing in /etc, no system Postfix. Only the runtime libraries the
# binaries need and perl (for swaks) are installed, as root, if missing.
# Safe to run again: a prepared tree is left as it is. Prints the root path.
set -euo pipefail
cd "$(dirname "$0")/.."

RUN_DIR=${KENSA_RUN_DIR:-$PWD/.run}
ROOT=$RUN_DIR/pkgroot
READY=$ROOT/.kensa-ready # written last; internal/postfixtest looks for it
export DEBIAN_FRONTEND=noninteractive
APT_QUIET=(-qq -o APT::Sandbox::User=root) # the download dir is not _apt's

say() { echo "postfix-root: $*" >&2; }
as_root() {
  if [ "$(id -u)" != 0 ]; then
    say "need to $*; run as root"
    exit 1
  fi
}
# apt-get install, with `apt-get update` only if it fails without.
install_debs() {
  as_root "install $*"
  say "installing $*"
  apt-get install -y "${APT_QUIET[@]}" --no-install-recommends "$@" >/dev/null 2>&1 || {
    apt-get update "${APT_QUIET[@]}"
    apt-get install -y "${APT_QUIET[@]}" --no-install-recommends "$@" >/dev/null
  }
}

# 1. The tree itself: extracted into a temporary directory, renamed when whole.
if [ ! -f "$READY" ]; then
  mkdir -p "$RUN_DIR"
  tmp=$(mktemp -d "$RUN_DIR/.pkgroot.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (
    cd "$tmp"
    apt-get download "${APT_QUIET[@]}" postfix swaks 2>/dev/null || {
      as_root "run apt-get update before apt-get download"
      apt-get update "${APT_QUIET[@]}"
      apt-get download "${APT_QUIET[@]}" postfix swaks
    }
    mkdir root
    for deb in postfix_*.deb swaks_*.deb; do dpkg -x "$deb" root; done
    # The libraries postfix declares (libdb5.3, libicu72, libssl3, ...), kept
    # for step 2 when the tree already exists.
    dpkg-deb -f postfix_*.deb Depends | tr ',|' '\n\n' | sed 's/(.*)//; s/[[:space:]]//g; s/:any$//' |
      grep '^lib' | sort -u > root/.kensa-libdebs
    for deb in postfix_*.deb swaks_*.deb; do dpkg-deb -W --showformat '${Package} ${Version}\n' "$deb"; done > root/.kensa-versions
  )
  rm -rf "$ROOT"
  mv "$tmp/root" "$ROOT"
  # Postfix daemons run as `daemon` (mail_owner in the tests' main.cf).
  chmod 755 "$ROOT"
  say "extracted $(paste -sd, "$ROOT/.kensa-versions") into $ROOT"
fi

# 2. Runtime libraries: every binary's `ldd`, with the tree's own libpostfix-*.
missing() {
  local f
  for f in "$ROOT"/usr/lib/postfix/sbin/* "$ROOT"/usr/sbin/*; do
    [ -f "$f" ] && [ -x "$f" ] || continue
    [ "$(head -c4 "$f")" = $'\x7fELF' ] || continue
    LD_LIBRARY_PATH=$ROOT/usr/lib/postfix ldd "$f" 2>/dev/null | awk '/not found/ {print $1}'
  done | sort -u
}
libs=$(missing)
installed() { [ "$(dpkg-query -W -f '${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
if [ -n "$libs" ]; then
  say "missing libraries: $(echo $libs)"
  # Only the declared library packages that are not installed: installing
  # the others again would upgrade them.
  libdebs=()
  while read -r deb; do installed "$deb" || libdebs+=("$deb"); done < "$ROOT/.kensa-libdebs"
  [ ${#libdebs[@]} -eq 0 ] || install_debs "${libdebs[@]}"
  libs=$(missing)
  if [ -n "$libs" ]; then
    say "still missing: $(echo $libs) (postfix declares $(paste -sd' ' "$ROOT/.kensa-libdebs"), installed: ${libdebs[*]:-none})"
    exit 1
  fi
fi

# 3. perl for swaks (perl-base alone lacks modules swaks uses); netbase for
# /etc/services, which postfix also declares.
NEED_DEBS=()
installed perl || NEED_DEBS+=(perl)
[ -e /etc/services ] || NEED_DEBS+=(netbase)
[ ${#NEED_DEBS[@]} -eq 0 ] || install_debs "${NEED_DEBS[@]}"
perl "$ROOT/usr/bin/swaks" --version >/dev/null

[ -f "$READY" ] || cp "$ROOT/.kensa-versions" "$READY"
echo "$ROOT"
