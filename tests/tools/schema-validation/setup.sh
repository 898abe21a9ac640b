#!/usr/bin/env bash
# Installs the schema validators (pinned by package-lock.json) into ./node_modules. Idempotent and quiet.
exec bash "$(dirname "${BASH_SOURCE[0]}")/../npm-install.sh" "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)" "the schema validation tests"
