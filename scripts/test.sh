#!/usr/bin/env bash
# Installs everything the test suite needs into .venv (created on first run) and runs it:
# lint (ruff), type checks (mypy) and the tests (pytest), against real server processes.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh tests/services/s3 -x`.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

# Browser tests use Debian's Chromium, and the `aws logs tail` tests the AWS CLI v2 (Debian's
# awscli; PyPI's awscli is v1, which has no `logs tail`), when they can be installed; those
# tests skip cleanly otherwise.
if [ -z "${OVERCAST_SKIP_BROWSER_INSTALL:-}" ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  wanted=""
  command -v chromium >/dev/null 2>&1 || wanted="chromium"
  [ -x /usr/bin/aws ] || wanted="$wanted awscli"
  if [ -n "$wanted" ]; then
    # shellcheck disable=SC2086
    (apt-get update -qq && apt-get install -y -qq $wanted >/dev/null) \
      || echo "could not install$wanted; the tests that need it will skip"
  fi
fi

# Node.js functions find the AWS SDK for JavaScript v3 as on AWS's runtimes once it is installed:
# by npm, into the per-user cache that a server started without flags reads, as the tests' are
# (quick and offline when it is there already). The tests that need it skip without npm.
if command -v npm >/dev/null 2>&1; then
  env -u OVERCAST_LAMBDA_NODE_SDK .venv/bin/python -m overcast.cli lambda-node-sdk install \
    || echo "could not install the AWS SDK for JavaScript v3; the tests that need it will skip"
else
  echo "npm not found: the tests of Node.js functions that use the AWS SDK for JavaScript v3 will skip"
fi

echo "== ruff"
.venv/bin/ruff check overcast tests bench
echo "== mypy"
.venv/bin/mypy overcast
echo "== pytest"
.venv/bin/python -m pytest -n 2 --dist loadfile "$@"
