#!/bin/sh
# Chromium full screen on the served kiosk: no bars, no first-run or crash prompts,
# nothing kept between runs (a fresh profile in /tmp), pinch and overscroll off.
set -eu
url="${1:-http://127.0.0.1:8080/}"
browser="$(command -v chromium || command -v chromium-browser)"
profile="$(mktemp -d /tmp/khidmat-browser.XXXXXX)"
exec "$browser" --kiosk --ozone-platform=wayland --user-data-dir="$profile" \
    --no-first-run --noerrdialogs --disable-infobars --disable-session-crashed-bubble \
    --disable-translate --disable-features=Translate,OverscrollHistoryNavigation \
    --disable-pinch --overscroll-history-navigation=0 --incognito \
    --lang=en-GB --app="$url"
