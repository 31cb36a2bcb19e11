#!/usr/bin/env bash
# Set up (first time) and run every test. Extra arguments go to pytest.
# pytest's exit code 5 (no tests ran) is a failure here, like every non-zero code.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
