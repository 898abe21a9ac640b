#!/usr/bin/env bash
# MlBuildGuard performance benchmarks (SPEC §8). See docs/benchmarks.md.
#
#   build/bench/run-benchmarks.sh
#
# Environment:
#   BENCH_DIR       work folder (default: a fresh mktemp -d under /tmp)
#   BENCH_TOTAL_MB  size of the data set in MiB (default 1024)
#   BENCH_FILES     number of files of the many-files set (default 10000)
#   BENCH_RUNS      timed runs per measurement, the median is reported (default 3)
#   BENCH_KEEP      1 keeps the data, packages and project in the work folder (default: removed; results.md and logs/ stay)
#   PICKLESCAN_SRC  a checkout of mmaitre314/picklescan: adds the per-file scan comparison on its own test files
#   MLGUARD_PUBLISH, MLGUARD_BIN: how mlguard is published (common.sh; default Native AOT, as the tool package ships)
#
# Steps: build mlguard and pack the repository, generate deterministic incompressible data, time mlguard hash against
# openssl and sha256sum, time `find` stat-ing the files (the floor of a no-change build), time no-change rebuilds of a throwaway project that references the MlBuildGuard package (set up
# as a well-configured project, so that no guard reports anything), print a Markdown table of the results and write it
# to $BENCH_DIR/results.md with a verdict per SPEC §8 target, each a ratio to its reference measured in this run. Any MLG
# warning or error in any build fails the script.
set -euo pipefail
export LC_ALL=C

BENCH_NAME=bench
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
REPO=$BENCH_REPO

TOTAL_MB=${BENCH_TOTAL_MB:-1024}
FILES=${BENCH_FILES:-10000}
RUNS=${BENCH_RUNS:-3}

require_positive TOTAL_MB FILES RUNS
TOTAL_BYTES=$(( TOTAL_MB * 1024 * 1024 ))
(( TOTAL_BYTES >= FILES )) || die "BENCH_TOTAL_MB is too small for BENCH_FILES files"
require_tools dotnet openssl sha256sum find xargs head cat awk sort
require_gnu_time

# ---------------------------------------------------------------------------------------------------------------- work folder
prepare_work_folder mlguard-bench mlguard feed data proj pkgs advisories
mkdir -p "$W/data"

need_free_mb $(( 2 * TOTAL_MB + 1024 ))

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export MSBUILDDISABLENODEREUSE=1 # no MSBuild node outlives a build of this script
export UseSharedCompilation=false # nor a compiler server

NPROC=$(nproc)
LOAD_START=$(load_average)
TASKSET=0
if command -v taskset >/dev/null && taskset -c 0 true 2>/dev/null; then TASKSET=1; fi

log "repository $REPO"
log "work folder $W; data ${TOTAL_MB} MiB, ${FILES} files; ${RUNS} runs per measurement; load $LOAD_START"

# ---------------------------------------------------------------------------------------------------------------- helpers
mibs() { awk -v mb="$TOTAL_MB" -v s="$1" 'BEGIN { if (s > 0) printf "%.0f", mb / s; else printf "n/a" }'; }

# time_cmd NAME COMMAND: times a bash command line (run in the current folder) with common.sh's measure
time_cmd() { measure "$1" 0 bash -c "$2"; }

# -------------------------------------------------------------------------------------------------- 1. build and pack
publish_mlguard
log "packing the repository (Release)"
(cd "$REPO" && dotnet pack -c Release -o "$W/feed" -nodeReuse:false) >"$LOGS/pack.log" 2>&1 \
  || { tail -n 30 "$LOGS/pack.log" >&2; die "dotnet pack failed; see $LOGS/pack.log"; }

MLG=$(printf '%q ' "${MLGUARD[@]}")
MLG=${MLG% }
PKG_VERSION=$(find "$W/feed" -maxdepth 1 -name 'MlBuildGuard.[0-9]*.nupkg' -printf '%f\n' | sed -n 's/^MlBuildGuard\.\([0-9].*\)\.nupkg$/\1/p' | head -n 1)
[[ -n $PKG_VERSION ]] || die "dotnet pack produced no MlBuildGuard package in $W/feed"
log "mlguard ($MLGUARD_KIND): $MLG; package MlBuildGuard $PKG_VERSION"

# -------------------------------------------------------------------------------------------------- 2. data
# AES-128-CTR over zeros (keystream, common.sh): fast, incompressible, and the same bytes on every machine.

log "generating the single ${TOTAL_MB} MiB file"
keystream "$TOTAL_BYTES" 6d6c67756172642d62656e63682d3031 >"$W/data/big.bin"
: >"$W/data/empty.bin" # for the start-up cost of mlguard

log "generating ${FILES} files totalling ${TOTAL_MB} MiB"
# Sizes vary between 1/4 and 7/4 of the average; each pair of files sums to twice the average, so the total is exact.
avg=$(( TOTAL_BYTES / FILES ))
width=${#FILES}
manifest=$W/data/manifest.txt
{
  seed=20250101
  for (( i = 0; i < FILES; i += 2 )); do
    seed=$(( (seed * 1103515245 + 12345) & 0x7fffffff ))
    d=$(( seed % (avg * 3 / 4 + 1) ))
    if (( i + 1 < FILES )); then sizes=("$(( avg + d ))" "$(( avg - d ))"); else sizes=("$avg"); fi
    for (( k = 0; k < ${#sizes[@]}; k++ )); do
      j=$(( i + k ))
      s=${sizes[k]}
      if (( j == 0 )); then s=$(( s + TOTAL_BYTES - avg * FILES )); fi
      printf '%s many/d%02d/e%d/f%0*d.bin\n' "$s" $(( j / 1000 )) $(( (j / 100) % 10 )) "$width" "$j"
    done
  done
} >"$manifest"
awk '{ sub(/\/[^\/]*$/, "", $2); print "'"$W"'/data/" $2 }' "$manifest" | sort -u | xargs -d '\n' mkdir -p
# One stream cut into pieces; head -c reads exactly the bytes it writes, so the pieces follow each other.
(
  cd "$W/data"
  keystream "$TOTAL_BYTES" 6d6c67756172642d62656e63682d3032 | while read -r -u 3 size path; do
    head -c "$size" >"$path"
  done 3<"$manifest"
)
actual=$(find "$W/data/many" -type f -printf '%s\n' | awk '{ s += $1; n++ } END { print n + 0, s + 0 }')
[[ $actual == "$FILES $TOTAL_BYTES" ]] || die "generated files/bytes are '$actual', expected '$FILES $TOTAL_BYTES'"
rm -f "$manifest"

# -------------------------------------------------------------------------------------------------- 3. hashing
cd "$W/data"
log "warming the page cache"
find . -type f -print0 | xargs -0 cat >/dev/null

time_cmd big_mlguard   "$MLG hash big.bin >/dev/null"
time_cmd big_openssl   "openssl dgst -sha256 big.bin >/dev/null"
time_cmd big_sha256sum "sha256sum big.bin >/dev/null"
time_cmd mlguard_empty "$MLG hash empty.bin >/dev/null"

BATCH=$(( (FILES + NPROC * 8 - 1) / (NPROC * 8) )) # about 8 batches per core, so xargs -P balances the load
time_cmd many_mlguard   "$MLG hash many >/dev/null"
if [[ $TASKSET == 1 ]]; then
  time_cmd many_mlguard_1core "taskset -c 0 $MLG hash many >/dev/null"
fi
time_cmd many_sha256sum "find many -type f -print0 | xargs -0 sha256sum >/dev/null"
time_cmd many_openssl   "find many -type f -print0 | xargs -0 openssl dgst -sha256 >/dev/null"
time_cmd many_sha256sum_par "find many -type f -print0 | xargs -0 -P $NPROC -n $BATCH sha256sum >/dev/null"
time_cmd many_openssl_par   "find many -type f -print0 | xargs -0 -P $NPROC -n $BATCH openssl dgst -sha256 >/dev/null"

log "checking mlguard's output against sha256sum and openssl"
eval "$MLG hash many" >"$LOGS/mlguard-many.sha256"
lines=$(wc -l <"$LOGS/mlguard-many.sha256")
(( lines == FILES )) || die "mlguard hash printed $lines lines for $FILES files"
sha256sum -c --quiet --strict "$LOGS/mlguard-many.sha256" >"$LOGS/sha256sum-check.txt" 2>&1 \
  || { head -n 20 "$LOGS/sha256sum-check.txt" >&2; die "sha256sum -c rejects mlguard's output"; }
find many -type f -print0 | xargs -0 sha256sum | sort -k 2 >"$LOGS/sha256sum-many.sha256"
sort -k 2 "$LOGS/mlguard-many.sha256" | cmp -s - "$LOGS/sha256sum-many.sha256" \
  || die "mlguard hash and sha256sum differ on the many-files set"
big_mlguard=$(eval "$MLG hash big.bin" | awk '{ print $1 }')
big_openssl=$(openssl dgst -sha256 -r big.bin | awk '{ print $1 }')
[[ $big_mlguard == "$big_openssl" ]] || die "mlguard and openssl disagree on big.bin ($big_mlguard vs $big_openssl)"
log "  mlguard's output: $lines lines, accepted by sha256sum -c, identical to sha256sum's"
cd "$W"

# -------------------------------------------------------------------------------------------------- 4. build
P=$W/proj
ADV=$W/advisories
log "creating the throwaway project $P"
write_bench_project "$P" "$W/feed" "$PKG_VERSION" "$ADV" "data/**/*"
cp -al "$W/data/many" "$P/data" 2>/dev/null || cp -a "$W/data/many" "$P/data"
linked_us=$(now_us) # hard-linking changes the files' ctime

export NUGET_PACKAGES=$W/pkgs
log "restoring"
(cd "$P" && dotnet restore -nodeReuse:false) >"$LOGS/restore.log" 2>&1 \
  || { tail -n 30 "$LOGS/restore.log" >&2; die "restore failed; see $LOGS/restore.log"; }
[[ -f $P/packages.lock.json ]] || die "restore wrote no packages.lock.json (RestorePackagesWithLockFile); see $LOGS/restore.log"

# sleep_until MICROSECONDS: sleeps until $EPOCHREALTIME (in µs) reaches the argument.
sleep_until() {
  local wait_us=$(( $1 - $(now_us) ))
  if (( wait_us > 0 )); then sleep "$(awk -v u="$wait_us" 'BEGIN { printf "%.3f", u / 1e6 }')"; fi
}
# The stamp cache does not trust a file changed less than 2 s before hashing ("racy" stamps); let the links age.
sleep_until $(( linked_us + 3000000 ))

# The floor of a no-change build (SPEC §8): stat-ing the same files with find, measured now, beside the builds.
find "$P/data" -type f >/dev/null # warm the dentry and inode caches, as the builds find them
time_cmd find_floor "find $(printf '%q' "$P/data") -type f -printf '%s %T@ %C@ %i\\n' >/dev/null"

BUILD=(dotnet build --no-restore -nodeReuse:false -tl:off -clp:PerformanceSummary)
# Every guarded build runs these; MlGuardCommitLock only runs when a build staged a new lock (the first build).
# MlGuardScanModels looks at every None/Content item (the 10,000 data files too) for content that is a model;
# MlGuardCheckTrainingData reads every changed training input for credentials and personal data (and its schema), and
# the training-input guard takes the digests of what it read; MlGuardReportSummary prints the build's summary line.
# (MlGuardCheckBuildSettings runs only for projects that produce models, MlModelOutput: not this one.)
GUARD_TASKS=(MlGuardValidateConfiguration MlGuardCheckTrainingData MlGuardVerifyTrainingInputs MlGuardVerifyDependencies MlGuardScanModels MlGuardStopOnFailure MlGuardReportSummary)
ALL_TASKS=("${GUARD_TASKS[@]}" MlGuardCommitLock)
OTHER_WARNINGS=() # warnings of other tools (not MLG), listed in the report

elapsed_ms() { # LOG -> MSBuild's "Time Elapsed" in ms
  awk '/^Time Elapsed/ { split($3, a, ":"); printf "%.0f\n", (a[1] * 3600 + a[2] * 60 + a[3]) * 1000 }' "$1"
}
project_ms() { # LOG -> ms of building the project (Project Performance Summary: no evaluation, no process start-up)
  awk '/^Project Performance Summary:/ { s = 1; next } s && $2 == "ms" { print $1; exit }' "$1"
}

# check_log LOG NAME: fails the script on any MLG warning or error; remembers other warnings for the report.
check_log() {
  local found
  found=$(grep -E '(warning|error) MLG[0-9]+' "$1" | sort -u || true)
  if [[ -n $found ]]; then
    printf '%s\n' "$found" | head -n 20 >&2
    die "build '$2' reported MlBuildGuard warnings or errors (above): the benchmark project must build clean, so these timings would not be of the normal path; see $1"
  fi
  local w
  while IFS= read -r w; do
    [[ -n $w ]] && OTHER_WARNINGS+=("$2: $w")
  done < <(grep -oE '(warning|error) [A-Z]+[0-9]+' "$1" | sort -u || true)
}

declare -A B_T # guard task -> ms, of the last build()

# build NAME [extra args…]: one build; sets B_WALL (ms), B_T, B_GUARD, B_ELAPSED, B_PROJECT; fails unless every guard task ran.
build() {
  local name=$1 t0 t1 rc=0 task logf=$LOGS/build-$1.log
  shift
  t0=$(now_us)
  (cd "$P" && "${BUILD[@]}" "$@") >"$logf" 2>&1 || rc=$?
  t1=$(now_us)
  check_log "$logf" "$name"
  (( rc == 0 )) || { tail -n 40 "$logf" >&2; die "build '$name' failed (exit $rc); see $logf"; }
  B_WALL=$(( (t1 - t0) / 1000 ))
  local known=0
  for task in "${ALL_TASKS[@]}"; do
    B_T[$task]=$(task_ms "$logf" "$task")
    known=$(( known + ${B_T[$task]:-0} ))
  done
  for task in "${GUARD_TASKS[@]}"; do
    if [[ -z ${B_T[$task]} && $* != *MlGuardEnabled=false* ]]; then
      die "build '$name': no $task in the task performance summary; see $logf"
    fi
  done
  B_GUARD=$(guard_ms "$logf")
  # "all MlGuard tasks" is every MlGuard* line; a task this script does not know yet is still counted, and named here.
  if (( ${B_GUARD:-0} != known )); then
    log "  note: build '$name' ran MlGuard tasks this script does not list: $(awk '/Task Performance Summary:/ { s = 1; next } s && $2 == "ms" && $3 ~ /^MlGuard/ { print $3 }' "$logf" | paste -sd' ' -)"
  fi
  B_ELAPSED=$(elapsed_ms "$logf")
  B_PROJECT=$(project_ms "$logf")
  log "  $name: MlGuard tasks ${B_GUARD:-0} ms (configuration ${B_T[MlGuardValidateConfiguration]:--}, training data ${B_T[MlGuardCheckTrainingData]:--}, training inputs ${B_T[MlGuardVerifyTrainingInputs]:--}, dependencies ${B_T[MlGuardVerifyDependencies]:--}, project-item scan ${B_T[MlGuardScanModels]:--}, gate ${B_T[MlGuardStopOnFailure]:--}${B_T[MlGuardCommitLock]:+, lock commit ${B_T[MlGuardCommitLock]}}), project ${B_PROJECT:-?} ms, build ${B_WALL} ms wall (MSBuild: ${B_ELAPSED:-?} ms)"
}
keep_tasks() { local -n dst=$1; local k; for k in "${ALL_TASKS[@]}"; do dst[$k]=${B_T[$k]}; done; } # keep_tasks ARRAY

log "first build (creates the lock)"
build first
declare -A FIRST_T; keep_tasks FIRST_T
FIRST_GUARD=$B_GUARD FIRST_WALL=$B_WALL
first_done_us=$(now_us)
[[ -f $P/mlguard.lock.json ]] || die "the first build wrote no mlguard.lock.json"
locked=$(grep -c '"sha256"' "$P/mlguard.lock.json" || true)
(( locked == FILES )) || die "the lock has $locked entries, expected $FILES"
# The training-data check reads every changed input (and keeps what it found by stamp); the training-input guard takes its
# digests, so its own stamp cache is never needed while both run. Its lock verdict lives beside where that cache would be.
cache_file=$P/obj/mlguard/training-data.hashcache
verdict_file=$P/obj/mlguard/training-inputs.hashcache.verdict

# The guard records its "lock verdict" (the lock matched these inputs, so an unchanged lock need not be read again) only
# when the lock is more than 2 s old. Wait 3 s after the first build, then one rebuild reads the lock and records it.
sleep_until $(( first_done_us + 3000000 ))
log "first no-change rebuild (reads and compares the lock, records the lock verdict)"
build settle
declare -A SETTLE_T; keep_tasks SETTLE_T
SETTLE_GUARD=$B_GUARD SETTLE_WALL=$B_WALL
stamp() { stat -c '%Y.%y %s %i' "$1" 2>/dev/null || echo none; }
cache_before=$(stamp "$cache_file") verdict_before=$(stamp "$verdict_file")
# The file-heavy guards' recorded answers (replayed while nothing they rest on moved): kept by the first no-change rebuild.
ANSWERS=("$P/obj/mlguard/training-data.hashcache.answer" "$P/obj/mlguard/training-inputs.hashcache.answer" "$P/obj/mlguard/model-scan.cache.answer")
answer_stamps() { local a; for a in "${ANSWERS[@]}"; do stamp "$a"; done | paste -sd'|' -; }
answers_before=$(answer_stamps)

log "no-change rebuilds"
declare -A RB_RUNS RB_T # guard task -> "ms ms …" of the timed rebuilds; -> median
w=() g=() e=() pb=()
for (( r = 1; r <= RUNS; r++ )); do
  build "rebuild-$r"
  w+=("$B_WALL"); g+=("${B_GUARD:-0}"); e+=("${B_ELAPSED:-0}"); pb+=("${B_PROJECT:-0}")
  for task in "${ALL_TASKS[@]}"; do RB_RUNS[$task]+="${B_T[$task]:-} "; done
done
for task in "${ALL_TASKS[@]}"; do
  # shellcheck disable=SC2086 # a list of numbers, or nothing when the task did not run
  if [[ -n ${RB_RUNS[$task]// /} ]]; then RB_T[$task]=$(median ${RB_RUNS[$task]}); fi
done
RB_WALL=$(median "${w[@]}") RB_GUARD=$(median "${g[@]}") RB_ELAPSED=$(median "${e[@]}") RB_PROJECT=$(median "${pb[@]}")
RB_TASK=${RB_T[MlGuardVerifyTrainingInputs]}
RB_TASK_ALL=$(tr ' ' '\n' <<<"${RB_RUNS[MlGuardVerifyTrainingInputs]}" | paste -sd/ - | sed 's#/$##')
RB_GUARD_ALL=$(IFS=/; echo "${g[*]}")
cache_after=$(stamp "$cache_file") verdict_after=$(stamp "$verdict_file")
CACHE_NOTE="the stamp cache was not rewritten by the timed rebuilds"
[[ $cache_before == "$cache_after" ]] || CACHE_NOTE="WARNING: the stamp cache was rewritten during the timed rebuilds (files were re-read)"
[[ $cache_before == none ]] && CACHE_NOTE="WARNING: no stamp cache ($cache_file) after the first build"
VERDICT_NOTE="the lock verdict was recorded by the first no-change rebuild and not rewritten by the timed ones"
[[ $verdict_before == "$verdict_after" ]] || VERDICT_NOTE="WARNING: the lock verdict was rewritten during the timed rebuilds"
[[ $verdict_before == none ]] && VERDICT_NOTE="WARNING: no lock verdict ($verdict_file) after the first no-change rebuild, so every rebuild read the lock"
[[ $VERDICT_NOTE != WARNING* ]] || log "$VERDICT_NOTE"
ANSWER_NOTE="the training-data check, the training-input guard and the project-item scan kept their answers in the first no-change rebuild and replayed them, unchanged, in the timed ones"
[[ $answers_before == "$(answer_stamps)" ]] || ANSWER_NOTE="WARNING: a guard's answer was rewritten during the timed rebuilds (it did not hold)"
[[ $answers_before == *none* ]] && ANSWER_NOTE="WARNING: a guard kept no answer in the first no-change rebuild (${ANSWERS[*]}), so the timed rebuilds did its work"
[[ $ANSWER_NOTE != WARNING* ]] || log "$ANSWER_NOTE"

# Direct evidence that an unchanged lock is not read: one more (untimed) rebuild under strace, looking for an open() of it.
LOCK_OPEN_NOTE="not checked (strace is not available or not permitted)"
if command -v strace >/dev/null && strace -f -qq -o /dev/null true 2>/dev/null; then
  log "one more no-change rebuild under strace (untimed): is mlguard.lock.json opened?"
  (cd "$P" && strace -f -qq -e trace=open,openat -o "$LOGS/strace-rebuild.txt" "${BUILD[@]}") >"$LOGS/build-strace.log" 2>&1 \
    || { tail -n 40 "$LOGS/build-strace.log" >&2; die "the rebuild under strace failed; see $LOGS/build-strace.log"; }
  check_log "$LOGS/build-strace.log" strace
  if grep -F "/mlguard.lock.json\"" "$LOGS/strace-rebuild.txt" | grep -qv ENOENT; then
    LOCK_OPEN_NOTE="WARNING: the no-change rebuild opened mlguard.lock.json (the lock verdict did not hold)"
    log "$LOCK_OPEN_NOTE"
  else
    LOCK_OPEN_NOTE="under strace, a no-change rebuild did not open mlguard.lock.json"
  fi
  gzip -f "$LOGS/strace-rebuild.txt"
fi

log "one more no-change rebuild at normal verbosity (untimed) to read the guards' own account"
build rebuild-detail -v:n
READ_LINE=$(grep -o 'MlBuildGuard training-inputs: [0-9]* input(s), [0-9]* read, [^)]* unchanged since the last build[^)]*)' \
  "$LOGS/build-rebuild-detail.log" | head -n 1 || true)
READ_LINE=${READ_LINE#MlBuildGuard training-inputs: }
DEP_LINE=$(grep -oE 'MlBuildGuard dependencies: ([0-9]* package\(s\) verified against their archives, [0-9]* unchanged since verified|nothing changed since the last build[^;]*; its [0-9]* finding\(s\) stand)' \
  "$LOGS/build-rebuild-detail.log" | head -n 1 || true)
DEP_LINE=${DEP_LINE#MlBuildGuard dependencies: }

log "CI rebuild (-p:ContinuousIntegrationBuild=true -p:RestoreLockedMode=true: Locked mode, every file re-hashed)"
# RestoreLockedMode=true is what a CI build of a well-configured project has (else MLG103).
build ci -p:ContinuousIntegrationBuild=true -p:RestoreLockedMode=true
declare -A CI_T; keep_tasks CI_T
CI_GUARD=$B_GUARD CI_WALL=$B_WALL

log "rebuilds with the guards switched off (-p:MlGuardEnabled=false), for the whole-build baseline"
w=() pb=()
for (( r = 1; r <= RUNS; r++ )); do
  build "off-$r" -p:MlGuardEnabled=false
  w+=("$B_WALL"); pb+=("${B_PROJECT:-0}")
done
OFF_WALL=$(median "${w[@]}") OFF_PROJECT=$(median "${pb[@]}")
OFF_WALL_ALL=$(IFS=/; echo "${w[*]}")

# -------------------------------------------------------------------------------------------------- 5. scanning per file
PS_NOTE="not measured (set PICKLESCAN_SRC to a checkout of mmaitre314/picklescan)"
if [[ -n ${PICKLESCAN_SRC:-} ]]; then
  picklescan_command
  picklescan_test_files
  measure per_file_mlguard 0 bash -c 'each_file "$@"' _ $(( ${#MLGUARD[@]} + 1 )) "${MLGUARD[@]}" scan "${PS_FILES[@]}"
  measure per_file_picklescan 0 bash -c 'each_file "$@"' _ "${#PICKLESCAN[@]}" "${PICKLESCAN[@]}" "${PS_FILES[@]}"
  PS_NOTE="${#PS_FILES[@]} files of picklescan's tests/data and data2, one process per file: mlguard ${T[per_file_mlguard]} s (CPU ${CPU[per_file_mlguard]} s), ${PICKLESCAN_NAME} ${T[per_file_picklescan]} s (CPU ${CPU[per_file_picklescan]} s)"
fi

# -------------------------------------------------------------------------------------------------- 6. report
CPU=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
[[ -n $CPU ]] || CPU=unknown
DOTNET_VERSION=$(cd "$REPO" && dotnet --version)
COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ $COMMIT != unknown ]] && [[ -n $(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null) ]]; then COMMIT="$COMMIT (modified)"; fi
LOAD_END=$(load_average)
MEM=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)

s() { printf '%s s | %s s | %s s' "$(fmt "${T[$1]}" %.2f)" "$(fmt "${TMIN[$1]}" %.2f)" "$(fmt "${CPU[$1]}" %.2f)"; } # median | fastest | CPU
tasks_row() { # ARRAY -> the task columns
  local -n src=$1; local k
  for k in "${ALL_TASKS[@]}"; do if [[ -n ${src[$k]:-} ]]; then printf ' %s ms |' "${src[$k]}"; else printf ' — |'; fi; done
}

big_ratio=$(awk -v a="${T[big_mlguard]}" -v b="${T[big_openssl]}" 'BEGIN { print (a <= 1.10 * b) ? 1 : 0 }')
startup_ms=$(awk -v z="${T[mlguard_empty]}" 'BEGIN { printf "%.0f", z * 1000 }')
many_ms=$(awk -v s="${T[many_mlguard]}" 'BEGIN { print s * 1000 }')
big_net=$(awk -v a="${T[big_mlguard]}" -v z="${T[mlguard_empty]}" -v b="${T[big_openssl]}" 'BEGIN { printf "%.2fx", (a - z) / b }')
one_core=${T[many_mlguard_1core]:-}
if [[ -n $one_core ]]; then
  speedup=$(awk -v a="$one_core" -v b="${T[many_mlguard]}" 'BEGIN { printf "%.2f", a / b }')
  speedup_of="mlguard on 1 core (taskset)"
else
  speedup=$(awk -v a="${T[many_sha256sum]}" -v b="${T[many_mlguard]}" 'BEGIN { printf "%.2f", a / b }')
  speedup_of="sha256sum (1 core)"
fi
openssl_par=$(awk -v a="${T[many_openssl]}" -v b="${T[many_openssl_par]}" 'BEGIN { printf "%.2f", a / b }')
many_ok=$(at_most "${T[many_mlguard]}" "${T[many_openssl_par]}" 1.00)
many_cpu_ok=$(at_most "${CPU[many_mlguard]}" "${CPU[many_openssl_par]}" 1.00)
floor_ms=$(awk -v s="${T[find_floor]}" 'BEGIN { printf "%.0f", s * 1000 }')
floor_ok=$(at_most "$RB_GUARD" "$floor_ms" 2.00)
whole_ok=$(at_most "$RB_WALL" "$OFF_WALL" 1.05)
if [[ -n ${T[per_file_mlguard]:-} ]]; then
  ps_ratio=$(ratio "${T[per_file_picklescan]}" "${T[per_file_mlguard]}")
  ps_cpu_ratio=$(ratio "${CPU[per_file_picklescan]}" "${CPU[per_file_mlguard]}")
  ps_ok=$(at_most "${T[per_file_mlguard]}" "${T[per_file_picklescan]}" 1.00)
  ps5_ok=$(at_most "${T[per_file_mlguard]}" "${T[per_file_picklescan]}" 0.20)
fi
wall_delta=$(( RB_WALL - OFF_WALL ))
project_delta=$(( RB_PROJECT - OFF_PROJECT ))

{
  echo "## MlBuildGuard benchmarks — $(date -u +%Y-%m-%d)"
  echo
  echo "Machine: ${NPROC} cores ($(uname -m)), CPU \`${CPU}\`, ${MEM} RAM, Linux $(uname -r); .NET SDK ${DOTNET_VERSION};"
  echo "$(openssl version | awk '{ print $1, $2 }'), $(sha256sum --version | head -n 1). Repository commit ${COMMIT}."
  echo "Load average (1/5/15 min) at start ${LOAD_START}, at end ${LOAD_END} (load from other work on the machine makes timings noisier)."
  echo "Data: one ${TOTAL_MB} MiB file, and ${FILES} files totalling ${TOTAL_MB} MiB (sizes $(( avg / 4 ))–$(( avg * 7 / 4 )) bytes) in"
  echo "nested folders; page cache warm. Median of ${RUNS} runs (GNU time: wall, and CPU = user + system of the command and its children).
mlguard: ${MLGUARD_KIND}."
  echo "Ratios are time ÷ time: below 1.00x the first is faster."
  echo
  echo "### Hashing one ${TOTAL_MB} MiB file"
  echo
  echo "| command | median | fastest | CPU | throughput (median) | ratio (medians) |"
  echo "| --- | ---: | ---: | ---: | ---: | --- |"
  echo "| \`mlguard hash\` | $(s big_mlguard) | $(mibs "${T[big_mlguard]}") MiB/s | mlguard / openssl = $(ratio "${T[big_mlguard]}" "${T[big_openssl]}") |"
  echo "| \`openssl dgst -sha256\` | $(s big_openssl) | $(mibs "${T[big_openssl]}") MiB/s | 1.00x |"
  echo "| \`sha256sum\` | $(s big_sha256sum) | $(mibs "${T[big_sha256sum]}") MiB/s | sha256sum / openssl = $(ratio "${T[big_sha256sum]}" "${T[big_openssl]}") |"
  echo "| \`mlguard hash\` of an empty file (start-up) | $(s mlguard_empty) | | mlguard without start-up / openssl = ${big_net} |"
  echo
  echo "### Hashing ${FILES} files (${TOTAL_MB} MiB)"
  echo
  echo "| command | median | fastest | CPU | throughput (median) | ratio (medians) |"
  echo "| --- | ---: | ---: | ---: | ---: | --- |"
  echo "| \`mlguard hash many\` (${NPROC} cores) | $(s many_mlguard) | $(mibs "${T[many_mlguard]}") MiB/s | 1.00x |"
  if [[ -n $one_core ]]; then
    echo "| \`taskset -c 0 mlguard hash many\` (1 core) | $(s many_mlguard_1core) | $(mibs "$one_core") MiB/s | mlguard N cores / 1 core = $(ratio "${T[many_mlguard]}" "$one_core") (speed-up ${speedup}×) |"
  fi
  echo "| \`find \| xargs sha256sum\` (1 core) | $(s many_sha256sum) | $(mibs "${T[many_sha256sum]}") MiB/s | mlguard / sha256sum = $(ratio "${T[many_mlguard]}" "${T[many_sha256sum]}") |"
  echo "| \`find \| xargs openssl dgst -sha256\` (1 core) | $(s many_openssl) | $(mibs "${T[many_openssl]}") MiB/s | mlguard / openssl = $(ratio "${T[many_mlguard]}" "${T[many_openssl]}") |"
  echo "| \`find \| xargs -P ${NPROC} -n ${BATCH} sha256sum\` (${NPROC} cores) | $(s many_sha256sum_par) | $(mibs "${T[many_sha256sum_par]}") MiB/s | mlguard / parallel sha256sum = $(ratio "${T[many_mlguard]}" "${T[many_sha256sum_par]}") |"
  echo "| \`find \| xargs -P ${NPROC} -n ${BATCH} openssl dgst -sha256\` (${NPROC} cores) | $(s many_openssl_par) | $(mibs "${T[many_openssl_par]}") MiB/s | mlguard / parallel openssl = $(ratio "${T[many_mlguard]}" "${T[many_openssl_par]}") |"
  echo
  echo "### Build of a project with \`<MlTrainingInput Include=\"data/**/*\" />\` over the ${FILES} files"
  echo
  echo "\`dotnet build --no-restore -nodeReuse:false -tl:off -clp:PerformanceSummary\`; task times from MSBuild's Task Performance Summary."
  echo "The project has a NuGet lock file, package source mapping, \`MlGuardOffline\` and an offline advisory database; no build reported an MLG warning or error."
  echo
  echo "| build |$(printf ' %s |' "${ALL_TASKS[@]}") all MlGuard tasks | whole build (wall) | ratio |"
  echo "| --- |$(printf ' ---: |%.0s' "${ALL_TASKS[@]}") ---: | ---: | --- |"
  echo "| first build (creates the lock, hashes all) |$(tasks_row FIRST_T) ${FIRST_GUARD} ms | ${FIRST_WALL} ms | |"
  echo "| first no-change rebuild (reads and compares the lock, records the lock verdict) |$(tasks_row SETTLE_T) ${SETTLE_GUARD} ms | ${SETTLE_WALL} ms | MlGuard tasks / find floor = $(ratio "$SETTLE_GUARD" "$floor_ms") |"
  echo "| **no-change rebuild**, median of ${RUNS} (all MlGuard tasks: ${RB_GUARD_ALL} ms; training inputs: ${RB_TASK_ALL} ms) |$(tasks_row RB_T) **${RB_GUARD} ms** | ${RB_WALL} ms | MlGuard tasks / find floor = $(ratio "$RB_GUARD" "$floor_ms"); MlGuard tasks / whole build = $(ratio "$RB_GUARD" "$RB_WALL") |"
  echo "| CI rebuild (\`ContinuousIntegrationBuild=true\`, \`RestoreLockedMode=true\`; Locked: re-hashes all) |$(tasks_row CI_T) ${CI_GUARD} ms | ${CI_WALL} ms | training inputs / \`mlguard hash many\` = $(ratio "${CI_T[MlGuardVerifyTrainingInputs]}" "$many_ms") |"
  echo "| no-change rebuild with \`MlGuardEnabled=false\`, median of ${RUNS} (${OFF_WALL_ALL} ms) |$(printf ' — |%.0s' "${ALL_TASKS[@]}") — | ${OFF_WALL} ms | guarded / unguarded whole build = $(ratio "$RB_WALL" "$OFF_WALL") (${wall_delta} ms) |"
  echo
  echo "The per-task columns of the median row are per-task medians; \"all MlGuard tasks\" is the median of each run's sum, so the"
  echo "columns need not add up exactly. Task times are whole milliseconds as MSBuild reports them. MlGuardCommitLock runs only in"
  echo "a build that staged a new lock (it writes \`mlguard.lock.json\` after Build succeeded)."
  echo "Building the project (MSBuild's Project Performance Summary, without evaluation and process start-up), median of ${RUNS}:"
  echo "${RB_PROJECT} ms guarded, ${OFF_PROJECT} ms with \`MlGuardEnabled=false\` (+${project_delta} ms; the MlGuard tasks account for ${RB_GUARD} ms of it)."
  echo
  echo "No-change rebuild at normal verbosity: training inputs ${READ_LINE:-(no summary line from the guard was found)};"
  echo "dependencies ${DEP_LINE:-(no summary line from the guard was found)}. ${CACHE_NOTE^}; ${VERDICT_NOTE}; ${ANSWER_NOTE}; ${LOCK_OPEN_NOTE}."
  if (( ${#OTHER_WARNINGS[@]} > 0 )); then
    echo
    echo "Other (non-MLG) warnings in the builds: $(printf '%s\n' "${OTHER_WARNINGS[@]}" | sed 's/^[^:]*: //' | sort | uniq -c | awk '{ $1 = $1 "×"; print }' | paste -sd';' - | sed 's/;/; /g')."
  fi
  echo
  echo "### SPEC §8 targets (each a ratio to its reference measured in this run)"
  echo
  echo "| target | measured (wall; CPU = user + system) | verdict |"
  echo "| --- | --- | --- |"
  echo "| one large file: mlguard ≤ 1.10 × \`openssl dgst -sha256\` | mlguard / openssl = $(ratio "${T[big_mlguard]}" "${T[big_openssl]}") (CPU $(ratio "${CPU[big_mlguard]}" "${CPU[big_openssl]}"); ${big_net} without the ${startup_ms} ms start-up) | $(verdict "$big_ratio") |"
  echo "| many files: mlguard ≤ 1.00 × \`xargs -P ${NPROC} openssl dgst -sha256\` | mlguard / parallel openssl = $(ratio "${T[many_mlguard]}" "${T[many_openssl_par]}") wall, $(ratio "${CPU[many_mlguard]}" "${CPU[many_openssl_par]}") CPU (mlguard ${speedup}× over ${speedup_of}) | $(verdict "$many_ok") (CPU: $(verdict "$many_cpu_ok")) |"
  echo "| no-change build: all MlGuard tasks ≤ 2 × \`find -printf '%s %T@ %C@ %i\\n'\` over the same files | ${RB_GUARD} ms / ${floor_ms} ms = $(ratio "$RB_GUARD" "$floor_ms") (find CPU ${CPU[find_floor]} s) | $(verdict "$floor_ok") |"
  echo "| no-change build: whole \`dotnet build\` ≤ 1.05 × with \`MlGuardEnabled=false\` | ${RB_WALL} ms / ${OFF_WALL} ms = $(ratio "$RB_WALL" "$OFF_WALL") | $(verdict "$whole_ok") |"
  if [[ -n ${T[per_file_mlguard]:-} ]]; then
    echo "| scanning per file as a whole process: beats picklescan (issue 15 asks ≥ 5×) | picklescan / mlguard = ${ps_ratio} wall, ${ps_cpu_ratio} CPU; ${PS_NOTE} | $(verdict "$ps_ok") (≥ 5×: $(verdict "$ps5_ok")) |"
  else
    echo "| scanning per file as a whole process: beats picklescan | ${PS_NOTE} | not measured |"
  fi
  echo
  echo "Large-file scanning, signing, data validation and secret scanning have their own scripts (scan-benchmark.sh,"
  echo "sign-benchmark.sh, validate-benchmark.sh, secrets-benchmark.sh). Load average at start ${LOAD_START}, at end ${LOAD_END}."
} >"$W/results.md"

echo
cat "$W/results.md"
echo
log "results written to $W/results.md"
