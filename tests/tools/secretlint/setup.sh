#!/usr/bin/env bash
# Installs secretlint and its recommended preset (pinned by package-lock.json) into ./node_modules. Idempotent and quiet.
exec bash "$(dirname "${BASH_SOURCE[0]}")/../npm-install.sh" "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)" "the secrets benchmark (build/bench/secrets-benchmark.sh)"
