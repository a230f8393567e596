#!/usr/bin/env bash
# Bring up and run the whole system on this machine: set up (scripts/setup.sh), then `khidmat demo`.
# Without Mosquitto (and no way to install it) setup stops with one line saying how to install it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
KHIDMAT_REQUIRE_BROWSER=0 bash scripts/setup.sh
exec .venv/bin/khidmat demo "$@"
