#!/bin/sh
# Wait until the served kiosk answers (khidmat-kiosk-serve.service), at most $2 seconds.
set -eu
url="$1"; limit="${2:-60}"; waited=0
until python3 -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "$url" 2>/dev/null; do
    waited=$((waited + 1))
    if [ "$waited" -ge "$limit" ]; then
        echo "khidmat kiosk not answering at $url after ${limit}s" >&2
        exit 1
    fi
    sleep 1
done
