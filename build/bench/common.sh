# Shared plumbing of the benchmark scripts in build/bench (sourced, not run): messages, checks of the environment, the
# work folder and its cleanup, and publishing mlguard. A script sets BENCH_NAME, then sources this file.
#   BENCH_DIR   work folder (default: a fresh mktemp -d under /tmp)
#   BENCH_KEEP  1 keeps the bulky sub-folders a script lists (default: removed at exit; logs/ and reports stay)

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

# publish_mlguard: dotnet publish of the command line (Release) into $W/mlguard; sets MLGUARD (an array to run it)
publish_mlguard() {
  log "publishing mlguard (Release) into $W/mlguard"
  (cd "$BENCH_REPO" && dotnet publish src/MlBuildGuard.Tool -c Release -o "$W/mlguard" -nodeReuse:false) >"$LOGS/publish.log" 2>&1 \
    || { tail -n 30 "$LOGS/publish.log" >&2; die "dotnet publish failed; see $LOGS/publish.log"; }
  if [[ -x $W/mlguard/mlguard ]]; then
    MLGUARD=("$W/mlguard/mlguard")
  elif [[ -f $W/mlguard/mlguard.dll ]]; then
    MLGUARD=(dotnet "$W/mlguard/mlguard.dll")
  else
    die "the publish output has no mlguard"
  fi
}

# measure NAME FILE CMD...: runs CMD FILE $RUNS times; prints the median wall seconds, the peak RSS (MiB) and the median
# CPU seconds (user + system; less disturbed than wall time when other work shares the machine); an exit code above 1
# (0 clean, 1 findings) fails the script. Needs require_gnu_time and prepare_work_folder.
measure() {
  local file=$2; shift 2
  local walls=() cpus=() rss=0 wall kb user sys
  for ((r = 0; r < RUNS; r++)); do
    /usr/bin/time -f '%e %M %U %S' -o "$W/time.txt" "$@" "$file" >"$W/out.txt" 2>&1 || { rc=$?; [ $rc -le 1 ] || { cat "$W/out.txt" >&2; exit 1; }; }
    read -r wall kb user sys < <(tail -n 1 "$W/time.txt") # GNU time puts "Command exited with non-zero status N" first
    walls+=("$wall"); cpus+=("$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"); (( kb > rss )) && rss=$kb
  done
  local mid=$(( (RUNS + 1) / 2 ))
  printf '%s %s %s\n' "$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "${mid}p")" "$(( rss / 1024 ))" "$(printf '%s\n' "${cpus[@]}" | sort -n | sed -n "${mid}p")"
}
