# Shared plumbing of the benchmark scripts in build/bench (sourced, not run): messages, checks of the environment, the
# work folder and its cleanup, and publishing mlguard. A script sets BENCH_NAME, then sources this file.
#   BENCH_DIR   work folder (default: a fresh mktemp -d under /tmp)
#   BENCH_KEEP  1 keeps the bulky sub-folders a script lists (default: removed at exit; logs/ and reports stay)
#   MLGUARD_PUBLISH, MLGUARD_BIN: how mlguard is published (see publish_mlguard)

: "${BENCH_NAME:?set BENCH_NAME before sourcing common.sh}"
BENCH_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KEEP=${BENCH_KEEP:-0}

log() { printf '[%s %s] %s\n' "$BENCH_NAME" "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[%s] error: %s\n' "$BENCH_NAME" "$*" >&2; exit 1; }

# require_positive VAR…: each named variable holds a positive integer
require_positive() {
  local v
  for v in "$@"; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
  done
}

# require_tools TOOL…: each is on PATH (or an existing executable path)
require_tools() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null || die "'$t' is required"
  done
}

# require_gnu_time: /usr/bin/time is GNU time (it gives the peak RSS; bash's time keyword cannot); installed when root
require_gnu_time() {
  if [[ ! -x /usr/bin/time ]]; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
      log "installing GNU time (apt-get install -y time)"
      DEBIAN_FRONTEND=noninteractive apt-get install -y time >/dev/null 2>&1 \
        || { apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y time >/dev/null 2>&1; } \
        || die "could not install GNU time"
    else
      die "/usr/bin/time (GNU time) is required: apt-get install time"
    fi
  fi
  [[ $(/usr/bin/time -v true 2>&1) == *'Maximum resident set size'* ]] || die "/usr/bin/time is not GNU time (no -v)"
}

# prepare_work_folder MKTEMP_NAME BULK_SUBFOLDER…: sets W (the work folder), LOGS ($W/logs) and BULK. Only the listed
# sub-folders and logs/ are ever removed, so a BENCH_DIR with other content is safe; BULK goes again at exit unless
# BENCH_KEEP=1.
prepare_work_folder() {
  local name=$1
  shift
  if [[ -n ${BENCH_DIR:-} ]]; then
    mkdir -p "$BENCH_DIR"
    W=$(cd "$BENCH_DIR" && pwd)
  else
    W=$(mktemp -d "/tmp/$name.XXXXXX")
  fi
  LOGS=$W/logs
  BULK=("$@")
  local d
  for d in "${BULK[@]}" logs; do rm -rf "${W:?}/$d"; done
  mkdir -p "$LOGS"
  trap _bench_cleanup EXIT
}

_bench_cleanup() {
  local rc=$? d
  if [[ $KEEP == 1 ]]; then
    log "kept the work folder $W (BENCH_KEEP=1)"
  else
    for d in "${BULK[@]}"; do rm -rf "${W:?}/$d"; done
    log "removed ${BULK[*]} from $W (set BENCH_KEEP=1 to keep them)"
  fi
  (( rc == 0 )) || log "failed (exit $rc); logs are in $LOGS"
}

# need_free_mb MIB: the work folder's file system has at least MIB MiB free
need_free_mb() {
  local free_mb=$(( $(df -Pk "$W" | awk 'NR == 2 { print $4 }') / 1024 ))
  (( free_mb >= $1 )) || die "$W has $free_mb MiB free; this run needs about $1 MiB"
}

# publish_mlguard: the command line as it ships, into $W/mlguard; sets MLGUARD (an array to run it) and MLGUARD_KIND.
#   MLGUARD_PUBLISH  aot (default): Native AOT for this machine's RID, what `dotnet tool install` gets on linux-x64;
#                    jit: framework-dependent (-p:PublishAot=false), what the 'any' tool package holds
#   MLGUARD_BIN      an mlguard already published (skips the publish: an AOT compile takes minutes on 2 cores)
publish_mlguard() {
  if [[ -n ${MLGUARD_BIN:-} ]]; then
    [[ -x $MLGUARD_BIN ]] || die "MLGUARD_BIN=$MLGUARD_BIN is not an executable"
    MLGUARD=("$MLGUARD_BIN") MLGUARD_KIND="given ($MLGUARD_BIN)"
    return
  fi
  local args
  case ${MLGUARD_PUBLISH:-aot} in
    aot) args=(-r "$(dotnet --info | awk '/^ *RID:/ { print $2; exit }')") MLGUARD_KIND="Native AOT" ;;
    jit) args=(-p:PublishAot=false) MLGUARD_KIND="framework-dependent" ;;
    *) die "MLGUARD_PUBLISH must be aot or jit (got '$MLGUARD_PUBLISH')" ;;
  esac
  log "publishing mlguard (Release, $MLGUARD_KIND) into $W/mlguard"
  (cd "$BENCH_REPO" && dotnet publish src/MlBuildGuard.Tool -c Release "${args[@]}" -o "$W/mlguard" -nodeReuse:false) >"$LOGS/publish.log" 2>&1 \
    || { tail -n 30 "$LOGS/publish.log" >&2; die "dotnet publish failed; see $LOGS/publish.log"; }
  if [[ -x $W/mlguard/mlguard ]]; then
    MLGUARD=("$W/mlguard/mlguard")
  elif [[ -f $W/mlguard/mlguard.dll ]]; then
    MLGUARD=(dotnet "$W/mlguard/mlguard.dll")
  else
    die "the publish output has no mlguard"
  fi
}

# ---------------------------------------------------------------------------------------------------------------- numbers
# keystream BYTES KEY_HEX [IV_HEX]: incompressible bytes, the same on every machine for the same key (AES-128-CTR over zeros)
keystream() { head -c "$1" /dev/zero | openssl enc -aes-128-ctr -nosalt -K "$2" -iv "${3:-00000000000000000000000000000000}"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; } # lower middle
fmt() { awk -v x="$1" -v f="$2" 'BEGIN { printf f, x }'; }                                         # fmt NUMBER FORMAT
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "n/a" }'; } # a / b as "1.23x"
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; } # LC_ALL=C: the separator is '.', six decimals
# at_most A B FACTOR: 1 when A <= FACTOR × B, else 0 (the verdict of a "within FACTOR of the reference" target)
at_most() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { print (a <= f * b) ? 1 : 0 }'; }
verdict() { if [[ $1 == 1 ]]; then echo "met"; else echo "NOT met"; fi; }
load_average() { cut -d' ' -f1-3 /proc/loadavg; }

# ---------------------------------------------------------------------------------------------------------------- timing
declare -gA T TMIN CPU RSS # measurement name -> median wall s, fastest wall s, median CPU s (user + system), peak RSS KiB

# measure NAME EXIT_CODES CMD...: runs CMD $RUNS times under GNU time (wall time from bash's clock, in µs) with its output in $LOGS/NAME.out and .err; every
# exit code must match the extended regex EXIT_CODES ("0", "0|1"). Sets T[NAME] (median wall seconds), TMIN[NAME] (the
# fastest run), CPU[NAME] (median user + system seconds of the command and its children: on a shared machine the steadier
# figure) and RSS[NAME] (peak resident KiB of any one process). A pipeline is measured as `bash -c '…'`.
# Needs require_gnu_time, prepare_work_folder and RUNS.
measure() {
  local name=$1 codes=$2 r rc t0 t1 kb user sys walls=() cpus=() rss=0
  shift 2
  local shown="$*"
  log "timing $name: ${shown:0:240}$( (( ${#shown} > 240 )) && echo …)"
  for (( r = 0; r < RUNS; r++ )); do
    set +e
    t0=$(now_us)
    /usr/bin/time -f '%M %U %S' -o "$LOGS/$name.time" "$@" >"$LOGS/$name.out" 2>"$LOGS/$name.err"
    rc=$?
    t1=$(now_us)
    set -e
    [[ $rc =~ ^($codes)$ ]] || { tail -n 20 "$LOGS/$name.err" >&2; die "$name exited $rc (expected $codes); see $LOGS/$name.err"; }
    read -r kb user sys < <(tail -n 1 "$LOGS/$name.time") # GNU time puts "Command exited with non-zero status N" first
    walls+=("$(awk -v d=$(( t1 - t0 )) 'BEGIN { printf "%.4f", d / 1e6 }')"); cpus+=("$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"); (( kb > rss )) && rss=$kb
  done
  T[$name]=$(median "${walls[@]}")
  TMIN[$name]=$(printf '%s\n' "${walls[@]}" | sort -g | head -n 1)
  CPU[$name]=$(median "${cpus[@]}")
  RSS[$name]=$rss
  printf '%s\n' "${walls[@]}" >"$LOGS/$name.walls"
  log "  $name: median ${T[$name]} s wall, fastest ${TMIN[$name]} s, ${CPU[$name]} s CPU, $(( rss / 1024 )) MiB peak"
}

# each_file N CMD(N words) FILE...: runs CMD FILE once per FILE, each a new process (what a CI step that checks files one
# by one pays, start-up included); exit codes 0-2 are verdicts (clean, findings, error), anything else fails. Exported,
# so that `measure NAME 0 bash -c 'each_file "$@"' _ N CMD… FILE…` times a whole pass under GNU time.
each_file() {
  local n=$1 f rc
  shift
  local cmd=("${@:1:n}")
  shift "$n"
  for f; do
    "${cmd[@]}" "$f" >/dev/null 2>&1 && rc=0 || rc=$?
    (( rc <= 2 )) || { echo "each_file: ${cmd[*]} $f exited $rc" >&2; return "$rc"; }
  done
}
export -f each_file

# picklescan_command: sets PICKLESCAN (an array to run picklescan on one file) and PICKLESCAN_NAME from PICKLESCAN_SRC, a
# checkout of mmaitre314/picklescan run from its source with Debian's /usr/bin/python3 (PyPI is not reachable here). Its
# module entry point exits 0 whatever it finds; the CLI's main() returns 0 clean, 1 malware, 2 scan error.
picklescan_command() {
  [[ -d ${PICKLESCAN_SRC:-}/src/picklescan ]] || die "PICKLESCAN_SRC='${PICKLESCAN_SRC:-}' holds no src/picklescan"
  PICKLESCAN_NAME="picklescan $(sed -n 's/^version *= *//p' "$PICKLESCAN_SRC/setup.cfg" 2>/dev/null | head -n 1) (from source)"
  PICKLESCAN=(env PYTHONPATH="$PICKLESCAN_SRC/src" /usr/bin/python3 -c 'import sys; from picklescan.cli import main; sys.exit(main())' -p)
}

# picklescan_test_files: sets PS_FILES to picklescan's own test files (tests/data and tests/data2 of PICKLESCAN_SRC)
picklescan_test_files() {
  mapfile -t PS_FILES < <(find "$PICKLESCAN_SRC/tests/data" "$PICKLESCAN_SRC/tests/data2" -maxdepth 1 -type f | sort)
  (( ${#PS_FILES[@]} > 0 )) || die "no test files under $PICKLESCAN_SRC/tests/data and tests/data2"
  cat "${PS_FILES[@]}" >/dev/null # warm the page cache for every tool alike
}

# ---------------------------------------------------------------------------------------------------------------- projects
xml_escape() { local s=$1; s=${s//&/&amp;}; s=${s//</&lt;}; s=${s//>/&gt;}; s=${s//\"/&quot;}; printf '%s' "$s"; }

# write_bench_project DIR FEED VERSION ADVISORIES [TRAINING_GLOB]: a throwaway project that references MlBuildGuard
# VERSION from the folder FEED, configured the way a well-behaved project is, so that every guard runs its normal path
# and none reports anything: a NuGet lock file (else MLG102), package source mapping (else MLG106), no network
# (MlGuardOffline) and an offline advisory database ADVISORIES holding one valid OSV advisory about a package the project
# does not use (else MLG203), written here. With TRAINING_GLOB, <MlTrainingInput Include="TRAINING_GLOB" />.
write_bench_project() {
  local dir=$1 feed=$2 version=$3 advisories=$4 training=${5:-} items=""
  mkdir -p "$dir" "$advisories"
  cat >"$advisories/GHSA-bench-0000-0000.json" <<'EOF'
{"schema_version":"1.4.0","id":"GHSA-bench-0000-0000","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"NuGet","name":"Contoso.Unused"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0.1"}]}]}],"database_specific":{"severity":"HIGH"}}
EOF
  cat >"$dir/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="mlguard-bench" value="$(xml_escape "$feed")" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="mlguard-bench"><package pattern="MlBuildGuard*" /></packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
EOF
  # Nothing above the project folder may change the build (Directory.*.props/targets of an enclosing tree).
  printf '<Project>\n  <PropertyGroup>\n    <ImportDirectoryPackagesProps>false</ImportDirectoryPackagesProps>\n  </PropertyGroup>\n</Project>\n' >"$dir/Directory.Build.props"
  printf '<Project />\n' >"$dir/Directory.Build.targets"
  if [[ -f $BENCH_REPO/global.json ]]; then cp "$BENCH_REPO/global.json" "$dir/global.json"; fi
  if [[ -n $training ]]; then
    items=$'\n  <ItemGroup>\n    <MlTrainingInput Include="'"$(xml_escape "$training")"$'" />\n  </ItemGroup>'
  fi
  cat >"$dir/Bench.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
    <RestorePackagesWithLockFile>true</RestorePackagesWithLockFile>
    <MlGuardOffline>true</MlGuardOffline>
    <MlGuardAdvisoryDatabase>$(xml_escape "$advisories")</MlGuardAdvisoryDatabase>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="MlBuildGuard" Version="$version" PrivateAssets="all" />
  </ItemGroup>$items
</Project>
EOF
  printf 'namespace Bench;\n\npublic static class Model\n{\n    public static int Answer() => 42;\n}\n' >"$dir/Model.cs"
}

# task_ms LOG TASK: ms of TASK in MSBuild's Task Performance Summary. guard_ms LOG: ms of all MlGuard* tasks (empty: none ran).
task_ms() { awk -v t="$2" '/Task Performance Summary:/ { s = 1; next } s && $2 == "ms" && $3 == t { print $1; exit }' "$1"; }
guard_ms() { awk '/Task Performance Summary:/ { s = 1; next } s && $2 == "ms" && $3 ~ /^MlGuard/ { t += $1; n++ } END { if (n) print t }' "$1"; }
