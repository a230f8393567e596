#!/usr/bin/env bash
# Installs what a clean Debian machine lacks for Khidmat, then the package itself:
# Mosquitto (broker and stock clients), a virtualenv in .venv, and khidmat with its dev
# extra (which compiles the Cython matcher). Safe to run again; sourced by test.sh and demo.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# KHIDMAT_REQUIRE_MOSQUITTO=0 (scripts/demo.sh) carries on without it when it cannot be
# installed (no root, no sudo, no network): the demo then runs the embedded broker.
if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq mosquitto mosquitto-clients python3-venv >/dev/null; }; then
        if [ "${KHIDMAT_REQUIRE_MOSQUITTO:-1}" = 1 ]; then
            echo "setup: could not install Mosquitto with apt-get (the tests need it)" >&2
            exit 1
        fi
        echo "setup: Mosquitto could not be installed; the demo will run the embedded broker" >&2
    fi
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip "setuptools>=77" wheel
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]"
# The compiled matcher, in place (the editable install imports from the source tree);
# fail here, loudly, rather than run on the slow numpy reference.
.venv/bin/python setup.py -q build_ext --inplace
KHIDMAT_MATCHER=cython .venv/bin/python -c "import matcher_cy._mcc, matcher_cy._extract"
