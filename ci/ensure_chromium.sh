#!/usr/bin/env bash
# Make sure the browser check (make browser) has a Chromium to drive, from the
# distribution's packages: Playwright never downloads a browser of its own here.
#   - Chromium present (CHROMIUM, default /usr/bin/chromium): nothing to do.
#   - Missing, and we are root with apt-get (CI, a fresh Debian machine): install it.
#   - Missing otherwise: say how to install it, and exit 1.
# A CJK font (fonts-wqy-microhei, 5 MB) comes along when apt-get is usable, so the
# screenshots show the notes' Chinese instead of empty boxes; without it, only a note.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
CJK_FONT=fonts-wqy-microhei

can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
has_cjk_font() { command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh family)" ]; }

packages=()
if [ ! -x "$CHROMIUM" ]; then
  if ! can_apt; then
    echo "Chromium is needed for the browser check and was not found at $CHROMIUM." >&2
    echo "Install it with:  sudo apt-get update && sudo apt-get install -y chromium" >&2
    echo "(or set CHROMIUM=/path/to/chromium), then run make browser again." >&2
    exit 1
  fi
  packages+=(chromium)
fi
if ! has_cjk_font; then
  if can_apt; then
    packages+=("$CJK_FONT")
  else
    echo "note: no Chinese font installed; screenshots will show boxes for 中文" \
         "(sudo apt-get install -y $CJK_FONT)." >&2
  fi
fi
if [ "${#packages[@]}" -gt 0 ]; then
  echo "ensure_chromium: installing ${packages[*]} from the distribution's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${packages[@]}" >/dev/null
fi
"$CHROMIUM" --version 2>/dev/null | grep -v '^\s*$' || true
