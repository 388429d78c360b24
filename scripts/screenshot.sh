#!/usr/bin/env bash
# Screenshot of the real window under Xvfb for the README (needs Debian's xvfb and imagemagick).
# usage: scripts/screenshot.sh [MODEL.alis] [OUT.png] [SECONDS] [WHEEL_NOTCHES_OUT]  (notches need xdotool)
set -euo pipefail
model="${1:-assets/default.alis}"
out="${2:-docs/screenshot.png}"
wait_s="${3:-12}"
notches="${4:-0}"
display=":97"
Xvfb "$display" -screen 0 1280x720x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
trap 'kill "$app_pid" "$xvfb_pid" 2>/dev/null || true' EXIT
sleep 1
cfg="$(mktemp -d)"  # a fresh QSettings home: default geometry, no recent models
DISPLAY="$display" XDG_CONFIG_HOME="$cfg" QT_QPA_PLATFORM=xcb alis-studio gui "$model" >/dev/null 2>&1 &
app_pid=$!
sleep "$wait_s"
if [ "$notches" -gt 0 ]; then  # zoom out with the mouse wheel over the viewport, then let it render
    DISPLAY="$display" xdotool mousemove 640 300 click --repeat "$notches" --delay 150 5
    sleep "$wait_s"
fi
DISPLAY="$display" import -window root "$out"
echo "wrote $out"
