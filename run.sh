#!/usr/bin/env bash
# Set up (first time) and start FFB Workbench on the bundled synthetic demo data.
# Extra arguments go to `streamlit run`, e.g. ./run.sh --server.port 8600
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
export FFB_WORKBENCH_DEV="${FFB_WORKBENCH_DEV:-1}"
exec .venv/bin/streamlit run app.py "$@"
