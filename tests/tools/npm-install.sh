#!/usr/bin/env bash
# Installs the npm tools of one folder under tests/tools (pinned by its package-lock.json) into its node_modules.
# Idempotent and quiet: does nothing when node_modules is newer than package-lock.json.
#   npm-install.sh FOLDER WHAT   (WHAT names who needs the tools, for the error message)
set -euo pipefail
cd "$1"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "setup.sh: '$tool' is not installed; $2 need(s) Node.js 20.18 or later with npm." >&2
    exit 3
  fi
done

if [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  exit 0
fi

if ! output=$(npm ci --no-audit --no-fund 2>&1); then
  echo "setup.sh: 'npm ci' failed in $(pwd):" >&2
  echo "$output" >&2
  exit 1
fi
