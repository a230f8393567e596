#!/usr/bin/env bash
# Bring up and run the whole system on this machine: set up (scripts/setup.sh), then `khidmat demo`.
# Without Mosquitto (and no way to install it) the demo runs the embedded pure-Python broker.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
KHIDMAT_REQUIRE_MOSQUITTO=0 bash scripts/setup.sh
exec .venv/bin/khidmat demo "$@"
