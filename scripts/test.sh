#!/usr/bin/env bash
# The whole test suite, as CI runs it: set up (scripts/setup.sh), lint, then every test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# the kiosk's browser checks must run here, not skip (setup.sh installed Chromium)
export KHIDMAT_REQUIRE_BROWSER=1
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest -q "$@"
