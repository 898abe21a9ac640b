#!/usr/bin/env bash
# Secret-scanning benchmark (SPEC §8: "secret scanning costs at most 10 % over hashing when it runs in the same pass,
# and is faster than secretlint on the same files"). See docs/benchmarks.md, section "Secret scanning".
#
#   build/bench/secrets-benchmark.sh
#
# Environment: BENCH_DIR (work folder, default mktemp), BENCH_SECRETS_MB (size of the throughput data, default 1024),
# BENCH_SECRETLINT_MB (how much of it secretlint is timed on, default the same), BENCH_RUNS (timed runs, median
# reported, default 3), BENCH_KEEP (1 keeps the data).
#
# 1. Recall and false alarms: build/bench/SecretsBench makes the corpus that SecretCorpusTests also checks (every
#    built-in format planted as a fake in CSV rows, JSON configs, ONNX metadata, pickle strings and zip members, plus
#    benign digests, UUIDs, base64 images and floats); `mlguard secrets` and secretlint (recommended preset, pinned in
#    tests/tools/secretlint) scan it; the helper scores both reports.
# 2. Throughput: BENCH_SECRETS_MB of CSV (16 MiB files) scanned by `mlguard secrets` and by secretlint; and the
#    training-input hashing pass (SHA-256 on every core, as the lock guard does) with and without the secret scanner.
set -euo pipefail
export LC_ALL=C
BENCH_NAME=secrets-bench
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
MB=${BENCH_SECRETS_MB:-1024}
SL_MB=${BENCH_SECRETLINT_MB:-$MB}
RUNS=${BENCH_RUNS:-3}
require_positive MB SL_MB RUNS
require_tools dotnet node npm sha256sum
require_gnu_time
prepare_work_folder mlguard-secretsbench mlguard helper corpus bulk bulk-secretlint
need_free_mb $(( MB + SL_MB + 512 ))
publish_mlguard

log "building the helper (build/bench/SecretsBench)"
(cd "$BENCH_REPO" && dotnet publish build/bench/SecretsBench -c Release -o "$W/helper" -nodeReuse:false) >"$LOGS/helper.log" 2>&1 \
  || { tail -n 30 "$LOGS/helper.log" >&2; die "building the helper failed"; }
HELPER=(dotnet "$W/helper/SecretsBench.dll")

log "installing secretlint (tests/tools/secretlint/setup.sh)"
bash "$BENCH_REPO/tests/tools/secretlint/setup.sh"
SECRETLINT=("$BENCH_REPO/tests/tools/secretlint/node_modules/.bin/secretlint" --secretlintrc "$BENCH_REPO/tests/tools/secretlint/.secretlintrc.json" --maskSecrets)

# ---------------------------------------------------------------------------------------------------------- recall
log "generating the scoring corpus"
"${HELPER[@]}" generate "$W/corpus" "$BENCH_REPO/tests/corpus/real/files/onnx_matmul_add.onnx"
"${MLGUARD[@]}" secrets "$W/corpus" --format json --output "$W/mlguard.json" --baseline "$W/none.json" 2>"$LOGS/mlguard-corpus.txt" || true
(cd "$W/corpus" && "${SECRETLINT[@]}" --format json "**/*" >"$W/secretlint.json" 2>"$LOGS/secretlint-corpus.txt") || true
"${HELPER[@]}" score "$W/corpus/manifest.json" "$W/corpus" "$W/mlguard.json" "$W/secretlint.json" >"$W/recall.md"

# ---------------------------------------------------------------------------------------------------------- throughput
log "generating ${MB} MiB of CSV"
"${HELPER[@]}" bulk "$W/bulk" "$MB" >/dev/null
if (( SL_MB < MB )); then
  mkdir -p "$W/bulk-secretlint"
  for f in "$W"/bulk/part-*.csv; do
    (( $(du -sm "$W/bulk-secretlint" | cut -f1) < SL_MB )) || break
    ln "$f" "$W/bulk-secretlint/"
  done
  SL_DIR=$W/bulk-secretlint
else
  SL_DIR=$W/bulk
fi
SL_REAL_MB=$(du -sm --apparent-size "$SL_DIR" | cut -f1)
REAL_MB=$(du -sm --apparent-size "$W/bulk" | cut -f1)
cat "$W"/bulk/* >/dev/null # warm the page cache for every tool alike

log "timing (median of $RUNS runs each)"
measure mlguard '0|1' "${MLGUARD[@]}" secrets --baseline "$W/none.json" "$W/bulk"
measure hash '0|1' "${MLGUARD[@]}" hash "$W/bulk"
measure pass '0|1' "${HELPER[@]}" hash "$W/bulk"
measure pass-secrets '0|1' "${HELPER[@]}" hash --secrets "$W/bulk"
measure sha256sum '0|1' bash -c 'find "$0" -type f -print0 | xargs -0 -P "$(nproc)" -n 8 sha256sum >/dev/null' "$W/bulk"
cd "$SL_DIR"
measure secretlint '0|1' "${SECRETLINT[@]}" --format compact "**/*"
cd - >/dev/null
# figures NAME VAR: the report's t_VAR (median wall s), m_VAR (peak MiB) and c_VAR (median CPU s) of measurement NAME
figures() { printf -v "t_$2" '%s' "${T[$1]}"; printf -v "m_$2" '%s' "$(( RSS[$1] / 1024 ))"; printf -v "c_$2" '%s' "${CPU[$1]}"; }
figures mlguard mlguard; figures hash hash; figures pass pass; figures pass-secrets pass_s; figures sha256sum sha; figures secretlint sl
"${HELPER[@]}" hash --secrets "$W/bulk" >"$LOGS/pass-secrets.txt"
"${MLGUARD[@]}" secrets "$W/bulk" --baseline "$W/none.json" >"$LOGS/mlguard-bulk.txt" 2>&1 || true
# The CSV holds one planted credential per file (a private key, or a GCP key file that holds one, is also MLG606) and no
# personal data: a file without a credential finding, or any other code, is wrong, and a timing of a tool that reports
# the wrong things is not worth printing.
bulk_files=$(find "$W/bulk" -type f | wc -l)
bulk_found=$(grep -E ': error MLG(801|606): ' "$LOGS/mlguard-bulk.txt" | sed -E 's/\([0-9]+,[0-9]+\): error .*//' | sort -u | wc -l)
bulk_other=$(grep -E ': (error|warning) MLG' "$LOGS/mlguard-bulk.txt" | grep -Evc ': error MLG(801|606): ' || true)
(( bulk_found == bulk_files && bulk_other == 0 )) \
  || die "mlguard secrets on the CSV found credentials in $bulk_found of $bulk_files files and reported $bulk_other other finding(s): see $LOGS/mlguard-bulk.txt"

mibs() { awk -v mb="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", mb / s; else printf "n/a" }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%+.1f %%", 100 * (a - b) / b; else printf "n/a" }'; }

{
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB;" \
    "load average at the end $(cut -d' ' -f1-3 /proc/loadavg); .NET $(dotnet --version); node $(node --version);" \
    "secretlint $("${SECRETLINT[0]}" --version); repository $(cd "$BENCH_REPO" && git rev-parse --short HEAD)."
  echo
  echo "### Recall and false alarms"
  echo
  cat "$W/recall.md"
  echo
  echo "### Throughput (${REAL_MB} MiB of CSV in 16 MiB files; median of ${RUNS} runs; peak memory)"
  echo
  echo "| command | median wall | MiB/s (wall) | median CPU (user + sys) | MiB per CPU second | peak memory |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  row() { echo "| $1 | $3 s | $(mibs "$2" "$3") | $4 s | $(mibs "$2" "$4") | $5 MiB |"; }
  row "\`mlguard secrets\`" "$REAL_MB" "$t_mlguard" "$c_mlguard" "$m_mlguard"
  row "secretlint (recommended preset) on ${SL_REAL_MB} MiB" "$SL_REAL_MB" "$t_sl" "$c_sl" "$m_sl"
  row "\`mlguard hash\`" "$REAL_MB" "$t_hash" "$c_hash" "$m_hash"
  row "hashing pass (SecretsBench hash)" "$REAL_MB" "$t_pass" "$c_pass" "$m_pass"
  row "hashing pass + secret scanner (SecretsBench hash --secrets)" "$REAL_MB" "$t_pass_s" "$c_pass_s" "$m_pass_s"
  row "\`xargs -P $(nproc) sha256sum\`" "$REAL_MB" "$t_sha" "$c_sha" "$m_sha"
  echo
  echo "Secret scanning in the hashing pass: $(pct "$t_pass_s" "$t_pass") wall, $(pct "$c_pass_s" "$c_pass") CPU over hashing alone (SPEC §8: at most +10 %)."
  echo "mlguard secrets vs secretlint: $(awk -v a="$t_mlguard" -v am="$REAL_MB" -v b="$t_sl" -v bm="$SL_REAL_MB" 'BEGIN { printf "%.1fx", (am / a) / (bm / b) }') the throughput (wall), $(awk -v a="$c_mlguard" -v am="$REAL_MB" -v b="$c_sl" -v bm="$SL_REAL_MB" 'BEGIN { printf "%.1fx", (am / a) / (bm / b) }') per CPU second."
  echo "The pass found: $(cat "$LOGS/pass-secrets.txt"). mlguard secrets: $(tail -n 1 "$LOGS/mlguard-bulk.txt")"
} | tee "$W/results.md"
