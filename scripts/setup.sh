#!/usr/bin/env bash
# Installs what a clean Debian machine lacks for Khidmat, then the package itself:
# Mosquitto (broker and stock clients), a virtualenv in .venv, and khidmat with its dev
# extra (which compiles the Cython matcher). Safe to run again (a re-run with nothing changed
# takes well under a second); run by test.sh and demo.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The broker is Mosquitto, always (docs/decisions/no-embedded-broker.md): without it and
# no way to install it (no root, no sudo, no network), stop with one line saying how.
if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq mosquitto mosquitto-clients python3-venv >/dev/null; } 2>/dev/null; then
        echo "setup: Mosquitto is not installed and apt-get could not install it: run \`sudo apt-get install mosquitto mosquitto-clients\`" >&2
        exit 1
    fi
fi

# The browser checks of the kiosk's Urdu (tests/kiosk/test_kiosk_browser.py and
# test_kiosk_screenshots.py) need headless Chromium and fonts that draw the shaped Urdu
# (Noto Naskh Arabic / Noto Sans Arabic from fonts-noto-core), as the desk unit's screen
# has (deploy/kiosk-session); the hub's daily summary PDF draws Urdu with Noto Naskh Arabic. KHIDMAT_REQUIRE_BROWSER=0 (scripts/demo.sh) carries on
# without them; the tests then skip those checks unless test.sh asks for them.
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 \
        || [ -z "$(fc-list ':charset=FBA6' family 2>/dev/null)" ]; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium fonts-noto-core fontconfig >/dev/null; } 2>/dev/null; then
        if [ "${KHIDMAT_REQUIRE_BROWSER:-1}" = 1 ]; then
            echo "setup: Chromium and fonts-noto-core could not be installed with apt-get (the browser checks need them): run \`sudo apt-get install chromium fonts-noto-core\`" >&2
            exit 1
        fi
        echo "setup: Chromium / fonts-noto-core not installed; the kiosk's browser checks will skip" >&2
    fi
fi

# The daily summary PDF's test reads the PDF's text back with pdftotext (poppler-utils).
if ! command -v pdftotext >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq poppler-utils >/dev/null; } 2>/dev/null \
        || echo "setup: poppler-utils not installed; the PDF text check will skip" >&2
fi

# The desk's printed receipt draws Urdu with Pillow's raqm layout, which loads the system's
# FriBiDi at run time, in Noto Naskh Arabic beside DejaVu Sans (Latin, digits); the
# simulated printer draws the printer's own font with DejaVu Sans Mono.
if ! ldconfig -p 2>/dev/null | grep -q 'libfribidi\.so\.0' \
        || [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ]; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq libfribidi0 fonts-dejavu-core >/dev/null; } 2>/dev/null; then
        echo "setup: libfribidi0 / fonts-dejavu-core could not be installed: run \`sudo apt-get install libfribidi0 fonts-dejavu-core\`" >&2
        exit 1
    fi
fi

# The hub may keep its database on PostgreSQL (docs/decisions/hub-postgresql.md); the tests
# run the hub's database tests against a throwaway cluster of the distribution's server
# (initdb and postgres from /usr/lib/postgresql/<version>/bin, started by tests/conftest.py).
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq postgresql >/dev/null; } 2>/dev/null; then
        echo "setup: PostgreSQL could not be installed with apt-get (the hub's PostgreSQL tests need it): run \`sudo apt-get install postgresql\`" >&2
        exit 1
    fi
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
# What the install depends on: the package metadata, the build script and the compiled
# matcher's sources. A re-run with none of them changed since the last good install (the
# stamp holds their hash) and a working install skips pip and the compiler.
STAMP=.venv/khidmat-install.sha256
inputs_hash() {
    { find matcher_cy -name '*.pyx' -o -name '*.pxd' -o -name '*.h'; echo pyproject.toml; echo setup.py; } \
        | LC_ALL=C sort | while read -r f; do echo "$f"; sha256sum < "$f"; done | sha256sum | cut -d' ' -f1
}
installed_works() {
    [ -x .venv/bin/khidmat ] \
        && KHIDMAT_MATCHER=cython .venv/bin/python -c "import khidmat.cli, matcher_cy._mcc, matcher_cy._extract" 2>/dev/null
}
WANT="$(inputs_hash)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && installed_works; then
    exit 0
fi
rm -f "$STAMP"
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip "setuptools>=77" wheel
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]"
# The compiled matcher, in place (the editable install imports from the source tree);
# fail here, loudly, rather than run on the slow numpy reference.
.venv/bin/python setup.py -q build_ext --inplace
KHIDMAT_MATCHER=cython .venv/bin/python -c "import matcher_cy._mcc, matcher_cy._extract"
echo "$WANT" > "$STAMP"
