#!/usr/bin/env bash
# The whole test suite, as CI runs it: set up (scripts/setup.sh), lint, then every test
# (and the broker-facing ones again on the embedded broker).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest -q "$@"
# The delivery, hub and ACL tests once more against the embedded broker, which the demo
# runs where Mosquitto is not installed (only for a full run, not for a chosen subset).
if [ "$#" -eq 0 ]; then
    KHIDMAT_BROKER=embedded .venv/bin/python -m pytest -q \
        tests/edge_agent/test_delivery.py tests/hub/test_hub_system.py \
        tests/provisioning/test_provision_broker.py
fi
