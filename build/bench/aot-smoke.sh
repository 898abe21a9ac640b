#!/usr/bin/env bash
# Runs the command-line tests (tests/MlBuildGuard.Tool.Tests, every mlguard command) against a published mlguard instead
# of in-process, and an online `mlguard audit` (NuGet.Protocol with Newtonsoft.Json's reflection, the part of mlguard
# most at risk under Native AOT) against the same binary and the framework-dependent build, which must agree.
#
#   build/bench/aot-smoke.sh
#
# Environment: MLGUARD_PUBLISH (aot, the default, or jit), MLGUARD_BIN (an mlguard already published), BENCH_DIR,
# BENCH_KEEP (common.sh). SMOKE_ONLINE=0 skips the online audit (it asks nuget.org for vulnerability data).
set -euo pipefail
export LC_ALL=C
BENCH_NAME=aot-smoke
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
require_tools dotnet
prepare_work_folder mlguard-aot-smoke mlguard
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1 UseSharedCompilation=false
publish_mlguard
(( ${#MLGUARD[@]} == 1 )) || die "the tests need one executable, not '${MLGUARD[*]}' (publish for a RID)"
log "mlguard ($MLGUARD_KIND): ${MLGUARD[0]}, $(stat -c %s "${MLGUARD[0]}") bytes"

log "the Tool tests against ${MLGUARD[0]}"
(cd "$BENCH_REPO" && MLGUARD_TEST_EXECUTABLE=${MLGUARD[0]} dotnet test tests/MlBuildGuard.Tool.Tests -c Release -tl:off -nodeReuse:false) \
  >"$LOGS/tool-tests.log" 2>&1 || { grep -E 'Failed |error' "$LOGS/tool-tests.log" | head -n 40 >&2; die "the Tool tests failed on ${MLGUARD[0]}; see $LOGS/tool-tests.log"; }
grep -E 'Passed!|Failed!' "$LOGS/tool-tests.log" >&2

if [[ ${SMOKE_ONLINE:-1} == 1 ]]; then
  log "online audit (nuget.org) of a lock with a known-vulnerable package, published binary vs framework-dependent"
  mkdir -p "$W/audit"
  cat >"$W/audit/packages.lock.json" <<'JSON'
{ "version": 1, "dependencies": { "net10.0": {
  "Newtonsoft.Json": { "type": "Direct", "requested": "[12.0.1, )", "resolved": "12.0.1", "contentHash": "AAAA" } } } }
JSON
  dll=$(cd "$BENCH_REPO" && dotnet build src/MlBuildGuard.Tool -c Release -p:PublishAot=false -nodeReuse:false -tl:off -v:q \
    -getProperty:TargetPath 2>/dev/null | tail -n 1)
  (cd "$BENCH_REPO" && dotnet build src/MlBuildGuard.Tool -c Release -nodeReuse:false -tl:off -v:q) >"$LOGS/build-jit.log" 2>&1 \
    || die "building the framework-dependent mlguard failed; see $LOGS/build-jit.log"
  set +e
  (cd "$W/audit" && "${MLGUARD[0]}" audit packages.lock.json) >"$LOGS/audit-published.txt" 2>&1; a=$?
  (cd "$W/audit" && dotnet "$dll" audit packages.lock.json) >"$LOGS/audit-jit.txt" 2>&1; j=$?
  set -e
  grep -q MLG004 "$LOGS/audit-published.txt" && { cat "$LOGS/audit-published.txt" >&2; die "the published mlguard failed internally on an online audit"; }
  (( a == j )) && diff -q "$LOGS/audit-published.txt" "$LOGS/audit-jit.txt" >/dev/null \
    || { diff "$LOGS/audit-jit.txt" "$LOGS/audit-published.txt" >&2 || true; die "online audit: published exit $a, framework-dependent exit $j, outputs differ (above)"; }
  log "online audit: exit $a from both, same output ($(grep -c . "$LOGS/audit-jit.txt") lines)"
fi
log "smoke test passed"
