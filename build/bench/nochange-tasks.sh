#!/usr/bin/env bash
# No-change rebuild task times of MlBuildGuard package versions, compared in the same run (docs/benchmarks.md).
#
#   build/bench/nochange-tasks.sh FEED VERSION...
#
# FEED is a folder holding MlBuildGuard.VERSION.nupkg for each VERSION (dotnet pack src/MlBuildGuard.Tasks -c Release
# -p:VersionSuffix=NAME -o FEED). For each version a throwaway project with one package reference (MlBuildGuard), a NuGet
# lock file, package source mapping, MlGuardOffline and an offline advisory folder is restored and built twice (the
# second build records the verdicts); then NOCHANGE_RUNS rounds (default 10) each build every version once, interleaved
# so that load from other processes hits all versions alike. Prints, per version, the median of each MlGuard task's time
# (-clp:PerformanceSummary) and of the build's user+sys CPU time (GNU time), and the load average.
set -euo pipefail
export LC_ALL=C
BENCH_NAME=nochange
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[[ $# -ge 2 ]] || { echo "usage: $0 FEED VERSION..." >&2; exit 2; }
FEED=$(cd "$1" && pwd)
shift
VERSIONS=("$@")
RUNS=${NOCHANGE_RUNS:-10}
W=$(mktemp -d /tmp/mlguard-nochange.XXXXXX)
export NUGET_PACKAGES=$W/pkgs DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1 UseSharedCompilation=false

for v in "${VERSIONS[@]}"; do
  P=$W/proj-$v
  write_bench_project "$P" "$FEED" "$v" "$W/advisories"
  (cd "$P" && dotnet restore -nodeReuse:false >"$W/restore-$v.log" 2>&1) || { tail -20 "$W/restore-$v.log"; exit 1; }
  (cd "$P" && dotnet build --no-restore -nodeReuse:false -tl:off >"$W/prime-$v.log" 2>&1) || { tail -20 "$W/prime-$v.log"; exit 1; }
done
sleep 3 # files written less than 2 s ago are never trusted to a cache
for v in "${VERSIONS[@]}"; do
  (cd "$W/proj-$v" && dotnet build --no-restore -nodeReuse:false -tl:off >"$W/record-$v.log" 2>&1)
done

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for ((i = 1; i <= RUNS; i++)); do
  for v in "${VERSIONS[@]}"; do
    logf=$W/run-$v-$i.log
    (cd "$W/proj-$v" && /usr/bin/time -f 'cpu %U %S wall %e' -o "$W/time-$v-$i" \
      dotnet build --no-restore -nodeReuse:false -tl:off -clp:PerformanceSummary >"$logf" 2>&1)
    if grep -qE '(warning|error) MLG[0-9]+' "$logf"; then grep -E 'MLG[0-9]+' "$logf" | head -5 >&2; echo "MLG finding in $logf" >&2; exit 1; fi
  done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# median_of COMMAND: the median (common.sh's) of the numbers COMMAND prints, one a line
median_of() { local values; mapfile -t values < <("$@"); if (( ${#values[@]} )); then median "${values[@]}"; else echo n/a; fi; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load $LOAD_START -> $LOAD_END; $RUNS rounds; work folder $W"
printf '| version | %s | all MlGuard tasks | build CPU (user+sys) s | build wall s |\n' "MlGuardValidateConfiguration | MlGuardVerifyDependencies"
printf '| --- | ---: | ---: | ---: | ---: | ---: |\n'
each_run() { local f=$1 i; shift; for ((i = 1; i <= RUNS; i++)); do "$f" "$W/run-$v-$i.log" "$@"; done; } # each_run FUNCTION [ARGS]
each_time() { local i; for ((i = 1; i <= RUNS; i++)); do awk "$1" "$W/time-$v-$i"; done; }        # each_time AWK_PROGRAM
for v in "${VERSIONS[@]}"; do
  cfg=$(median_of each_run task_ms MlGuardValidateConfiguration)
  dep=$(median_of each_run task_ms MlGuardVerifyDependencies)
  all=$(median_of each_run guard_ms)
  cpu=$(median_of each_time '{ print $2 + $3 }')
  wall=$(median_of each_time '{ print $5 }')
  printf '| %s | %s | %s | %s | %s | %s |\n' "$v" "$cfg" "$dep" "$all" "$cpu" "$wall"
done
