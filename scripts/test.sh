#!/usr/bin/env bash
# Install everything the test suite needs, then run it: `bash scripts/test.sh [pytest args]`.
#
# - Debian's Chromium for the browser tests (apt, when running as root and it is missing);
# - the package with its `dev` extra (pytest, hypothesis, playwright, ruff) into this Python;
# - then ruff and the whole pytest suite, on every core (pytest-xdist, at most four workers:
#   about 22 minutes on two slow cores instead of 31); `-n 0` as an argument runs it serially.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser tests ..." >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "warning: chromium is not installed; browser tests need it (apt-get install chromium)" >&2
  fi
fi

"$PYTHON" -m pip install --quiet --disable-pip-version-check -e ".[dev]"
"$PYTHON" -m ruff check .
"$PYTHON" -m ruff format --check .
"$PYTHON" -m pytest --numprocesses auto --maxprocesses 4 "$@"
