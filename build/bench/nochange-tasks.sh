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
[[ $# -ge 2 ]] || { echo "usage: $0 FEED VERSION..." >&2; exit 2; }
FEED=$(cd "$1" && pwd)
shift
VERSIONS=("$@")
RUNS=${NOCHANGE_RUNS:-10}
W=$(mktemp -d /tmp/mlguard-nochange.XXXXXX)
export NUGET_PACKAGES=$W/pkgs DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1 UseSharedCompilation=false
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

mkdir -p "$W/advisories"
cat >"$W/advisories/GHSA-bench-0000-0000.json" <<'EOF'
{"schema_version":"1.4.0","id":"GHSA-bench-0000-0000","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"NuGet","name":"Contoso.Unused"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0.1"}]}]}],"database_specific":{"severity":"HIGH"}}
EOF

for v in "${VERSIONS[@]}"; do
  P=$W/proj-$v
  mkdir -p "$P"
  cat >"$P/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="bench" value="$FEED" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="bench"><package pattern="MlBuildGuard*" /></packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
EOF
  printf '<Project />\n' >"$P/Directory.Build.props"
  printf '<Project />\n' >"$P/Directory.Build.targets"
  [[ -f $REPO/global.json ]] && cp "$REPO/global.json" "$P/"
  cat >"$P/Bench.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <RestorePackagesWithLockFile>true</RestorePackagesWithLockFile>
    <MlGuardOffline>true</MlGuardOffline>
    <MlGuardAdvisoryDatabase>$W/advisories</MlGuardAdvisoryDatabase>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="MlBuildGuard" Version="$v" PrivateAssets="all" />
  </ItemGroup>
</Project>
EOF
  printf 'namespace Bench;\npublic static class Model { public static int Answer() => 42; }\n' >"$P/Model.cs"
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
    log=$W/run-$v-$i.log
    (cd "$W/proj-$v" && /usr/bin/time -f 'cpu %U %S wall %e' -o "$W/time-$v-$i" \
      dotnet build --no-restore -nodeReuse:false -tl:off -clp:PerformanceSummary >"$log" 2>&1)
    if grep -qE '(warning|error) MLG[0-9]+' "$log"; then grep -E 'MLG[0-9]+' "$log" | head -5 >&2; echo "MLG finding in $log" >&2; exit 1; fi
  done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
task_ms() { awk -v t="$2" '/Task Performance Summary:/ { s = 1; next } s && $2 == "ms" && $3 == t { print $1; exit }' "$1"; }
guard_ms() { awk '/Task Performance Summary:/ { s = 1; next } s && $2 == "ms" && $3 ~ /^MlGuard/ { t += $1 } END { print t + 0 }' "$1"; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load $LOAD_START -> $LOAD_END; $RUNS rounds; work folder $W"
printf '| version | %s | all MlGuard tasks | build CPU (user+sys) s | build wall s |\n' "MlGuardValidateConfiguration | MlGuardVerifyDependencies"
printf '| --- | ---: | ---: | ---: | ---: | ---: |\n'
for v in "${VERSIONS[@]}"; do
  cfg=$(for ((i = 1; i <= RUNS; i++)); do task_ms "$W/run-$v-$i.log" MlGuardValidateConfiguration; done | median)
  dep=$(for ((i = 1; i <= RUNS; i++)); do task_ms "$W/run-$v-$i.log" MlGuardVerifyDependencies; done | median)
  all=$(for ((i = 1; i <= RUNS; i++)); do guard_ms "$W/run-$v-$i.log"; done | median)
  cpu=$(for ((i = 1; i <= RUNS; i++)); do awk '{ print $2 + $3 }' "$W/time-$v-$i"; done | median)
  wall=$(for ((i = 1; i <= RUNS; i++)); do awk '{ print $5 }' "$W/time-$v-$i"; done | median)
  printf '| %s | %s | %s | %s | %s | %s |\n' "$v" "$cfg" "$dep" "$all" "$cpu" "$wall"
done
