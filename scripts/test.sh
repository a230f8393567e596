#!/usr/bin/env bash
# The whole test suite, as CI runs it: set up (scripts/setup.sh), lint, then every test on
# SQLite, then the hub database's tests on PostgreSQL.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# the kiosk's browser checks must run here, not skip (setup.sh installed Chromium)
export KHIDMAT_REQUIRE_BROWSER=1
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest -q "$@"
# the hub database's tests again on PostgreSQL (a throwaway cluster of the distribution's
# server, started by tests/conftest.py); the whole suite there: set the variable alone
if [ "$#" = 0 ]; then
    KHIDMAT_TEST_DATABASE=postgresql .venv/bin/python -m pytest -q -m hub_database
fi
