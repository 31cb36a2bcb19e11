#!/usr/bin/env bash
# Create .venv and install the project (with test extras) unless pyproject.toml is unchanged since last time.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
# PDF output (WeasyPrint) needs Debian's pango; installed only when missing and we may use apt.
if ! ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so.0"; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null) \
      || echo "pango kunne ikke installeres; PDF-udskrift virker ikke" >&2
  else
    echo "Bemærk: PDF-udskrift kræver Debians libpango-1.0-0 og libpangoft2-1.0-0 (apt-get install)" >&2
  fi
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.ffb-installed
want=$(sha1sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v "is ignored" || true
  # setuptools' "BuildBackendWarning: Editable installation" block (a generic note about folders named
  # like the package) says nothing actionable to a newcomer: drop that block, keep every other line.
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]' 2>&1 \
    | awk '/BuildBackendWarning: Editable installation/ {skip=1; bangs=0; next}
           skip && /^ *!!/ {bangs++; if (bangs == 2) skip=2; next}
           skip == 2 {skip=0; next}
           skip {next}
           {print}' \
    | grep -v -e "is ignored" -e "^ *$" || true
  .venv/bin/python -c "import workbench, streamlit, polars" 
  echo "$want" > "$stamp"
fi
# Bytecode for the project's own modules: an editable install compiles nothing, and where
# PYTHONDONTWRITEBYTECODE is set every command compiled them again (~20-40 ms CPU per CLI command on
# the national demo). checked-hash: a .pyc is used only while its source's hash matches; recompiling
# is skipped for unchanged files, so this takes a moment only after edits.
.venv/bin/python -m compileall -q -j 0 --invalidation-mode checked-hash workbench data_model >/dev/null || \
  echo "advarsel: bytekode for workbench kunne ikke skrives (kommandoerne virker, men starter langsommere)" >&2
# axe-core (npm) for the accessibility browser test; optional: without npm that test is skipped.
if command -v npm >/dev/null 2>&1 && [ ! -f tools/axe/node_modules/axe-core/axe.min.js ]; then
  npm install --prefix tools/axe --no-audit --no-fund --ignore-scripts --silent >/dev/null 2>&1 || \
    echo "advarsel: npm install af axe-core mislykkedes (tilgængelighedstesten springes over)" >&2
fi
