#!/usr/bin/env bash
# Set up (first time) and run every test. Extra arguments go to pytest.
# pytest's exit code 5 (no tests ran) is a failure here, like every non-zero code.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
# Two workers, one test file per worker at a time (module fixtures are built once per file); every
# test has its own temporary state, PostgreSQL schema and free port, so files run independently.
# FFB_TEST_WORKERS=0 runs in one process.
exec .venv/bin/python -m pytest -n "${FFB_TEST_WORKERS:-2}" --dist loadfile "$@"
