#!/usr/bin/env bash
# Set up (first time) and start FFB Workbench on the bundled synthetic demo data.
# Extra arguments go to `streamlit run`, e.g. ./run.sh --server.port 8600
# Listens on 127.0.0.1 only, unless the operator sets an address (--server.address ... or
# STREAMLIT_SERVER_ADDRESS). FFB_WORKBENCH_DEV=1 (sign-in without a password) is the default only
# for the bundled demo data, and the app refuses it on anything but verified demo data.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
if [[ -z "${FFB_WORKBENCH_DATA:-}" ]]; then
  export FFB_WORKBENCH_DEV="${FFB_WORKBENCH_DEV:-1}"
fi
.venv/bin/python -m workbench.startcheck
address=()
if [[ -z "${STREAMLIT_SERVER_ADDRESS:-}" && " $* " != *" --server.address"* ]]; then
  address=(--server.address 127.0.0.1)
fi
exec .venv/bin/streamlit run serve.py "${address[@]}" "$@"
