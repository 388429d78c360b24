#!/usr/bin/env bash
# Screenshot of the real window under Xvfb for the README (needs Debian's xvfb and imagemagick).
# usage: scripts/screenshot.sh [MODEL.alis] [OUT.png] [SECONDS]
set -euo pipefail
model="${1:-assets/default.alis}"
out="${2:-docs/screenshot.png}"
wait_s="${3:-12}"
display=":97"
Xvfb "$display" -screen 0 1280x720x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
trap 'kill "$app_pid" "$xvfb_pid" 2>/dev/null || true' EXIT
sleep 1
cfg="$(mktemp -d)"  # a fresh QSettings home: default geometry, no recent models
DISPLAY="$display" XDG_CONFIG_HOME="$cfg" QT_QPA_PLATFORM=xcb alis-studio gui "$model" >/dev/null 2>&1 &
app_pid=$!
sleep "$wait_s"
DISPLAY="$display" import -window root "$out"
echo "wrote $out"
