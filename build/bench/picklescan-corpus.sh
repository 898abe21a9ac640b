#!/usr/bin/env bash
# Verdicts of `mlguard scan` on picklescan's own test files (mmaitre314/picklescan tests/data and tests/data2), each file
# scanned by a separate mlguard process, with and without --strict. Recall check against a public labelled set; nothing
# from it is committed here. See docs/benchmarks.md.
#
#   build/bench/picklescan-corpus.sh PICKLESCAN_CHECKOUT
#
# PICKLESCAN_CHECKOUT is a folder holding picklescan's tests/data and tests/data2 (a clone, or `git archive HEAD tests`
# of it). The files are only scanned, never loaded.
#
# Expected verdicts follow picklescan's tests/test_scanner.py: every file is malicious except the 14 its tests expect to
# be clean (infected_files == 0): the three benign0 pickles, the two real PyTorch files, a PNG named .pt, a file that
# only starts like a pickle, a password-protected zip, and the six numpy .npy/.npz files. MlBuildGuard fails closed where
# picklescan skips (an unreadable zip, a non-model file are MLG303), so some of those 14 are expected to differ; the
# report lists each one with the codes found.
#
# Environment:
#   BENCH_DIR   work folder (default: a fresh mktemp -d under /tmp)
#   BENCH_KEEP  1 keeps the published mlguard (default: removed; results.md and logs/ stay)
#
# Prints a Markdown table (file, expectation, exit code and codes per mode) with totals and the misses, and writes it to
# $BENCH_DIR/results.md. Exits 1 when a malicious file does not fail the scan (exit 1) with --strict.
set -euo pipefail
export LC_ALL=C

BENCH_NAME=picklescan-corpus
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

(( $# == 1 )) || die "usage: $0 PICKLESCAN_CHECKOUT"
CHECKOUT=$(cd "$1" 2>/dev/null && pwd) || die "$1 is not a folder"
[[ -d $CHECKOUT/tests/data && -d $CHECKOUT/tests/data2 ]] || die "$CHECKOUT has no tests/data and tests/data2"
require_tools dotnet sort grep sed paste find

BENIGN=(
  data/benign0_v0.pkl data/benign0_v3.pkl data/benign0_v4.pkl data/pytorch_model.bin data/new_pytorch_model.bin
  data/bad_pytorch.pt data/not_a_pickle.bin data/benign_password_protected.zip
  data2/int_array.npy data2/object_array.npy data2/int_arrays.npz data2/int_arrays_compressed.npz
  data2/object_arrays.npz data2/object_arrays_compressed.npz
)
declare -A IS_BENIGN=()
for f in "${BENIGN[@]}"; do
  [[ -f $CHECKOUT/tests/$f ]] || die "expected benign file tests/$f is missing: is this picklescan's checkout?"
  IS_BENIGN[$f]=1
done

prepare_work_folder mlguard-picklescan mlguard
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export MSBUILDDISABLENODEREUSE=1 UseSharedCompilation=false
publish_mlguard

# scan FILE [--strict]: prints "EXIT<TAB>CODES" (codes of error and warning lines, sorted, comma-separated)
scan() {
  local out rc codes
  set +e
  out=$("${MLGUARD[@]}" scan "$@" 2>&1)
  rc=$?
  set -e
  codes=$(grep -oE '(error|warning) MLG[0-9]{3}' <<<"$out" | sed 's/.* //' | sort -u | paste -sd, - || true)
  printf '%s\t%s\n' "$rc" "${codes:--}"
}

FILES=()
while IFS= read -r f; do FILES+=("$f"); done < <(cd "$CHECKOUT/tests" && find data data2 -type f | sort)
log "scanning ${#FILES[@]} files from $CHECKOUT/tests, each twice (default, --strict)"

ROWS=()
declare -A TOTAL=() MISSES=()
for f in "${FILES[@]}"; do
  expect=malicious
  [[ -n ${IS_BENIGN[$f]:-} ]] && expect=benign
  IFS=$'\t' read -r rc codes < <(scan "$CHECKOUT/tests/$f")
  IFS=$'\t' read -r src scodes < <(scan --strict "$CHECKOUT/tests/$f")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$f" "$expect" "$rc" "$codes" "$src" "$scodes" >>"$LOGS/verdicts.tsv"
  ROWS+=("| \`$f\` | $expect | $rc | $codes | $src | $scodes |")
  TOTAL[$expect]=$(( ${TOTAL[$expect]:-0} + 1 ))
  want=1
  [[ $expect == benign ]] && want=0
  (( rc == want )) && TOTAL[$expect-default-ok]=$(( ${TOTAL[$expect-default-ok]:-0} + 1 ))
  (( src == want )) && TOTAL[$expect-strict-ok]=$(( ${TOTAL[$expect-strict-ok]:-0} + 1 ))
  if [[ $expect == malicious ]]; then
    (( src == 1 )) || MISSES[strict]+="- \`$f\`: exit $src with --strict ($scodes)"$'\n'
    (( rc == 1 )) || MISSES[default]+="- \`$f\`: exit $rc without --strict ($codes)"$'\n'
  else
    (( rc == 0 && src == 0 )) || MISSES[benign]+="- \`$f\`: exit $rc ($codes), with --strict exit $src ($scodes)"$'\n'
  fi
done

{
  echo "## mlguard on picklescan's test files"
  echo
  echo "$(date -u +%Y-%m-%d), mlguard from $(cd "$BENCH_REPO" && git rev-parse --short HEAD 2>/dev/null || echo '?'), picklescan files from $CHECKOUT."
  echo "Exit codes: 0 clean, 1 findings at error level, 2 usage or I/O error. Codes: every error or warning reported."
  echo
  echo "| file | expected | exit | codes | exit --strict | codes --strict |"
  echo "| --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "Totals: malicious ${TOTAL[malicious]:-0}: exit 1 by default ${TOTAL[malicious-default-ok]:-0}, with --strict" \
    "${TOTAL[malicious-strict-ok]:-0}; benign ${TOTAL[benign]:-0}: exit 0 by default ${TOTAL[benign-default-ok]:-0}, with" \
    "--strict ${TOTAL[benign-strict-ok]:-0}."
  echo
  echo "Malicious files that do not exit 1 with --strict:"
  printf '%s' "${MISSES[strict]:-- none}"$'\n'
  echo
  echo "Malicious files that do not exit 1 without --strict:"
  printf '%s' "${MISSES[default]:-- none}"$'\n'
  echo
  echo "Benign files (per picklescan's tests) that do not exit 0:"
  printf '%s' "${MISSES[benign]:-- none}"$'\n'
} | tee "$W/results.md"

log "report in $W/results.md, per-file verdicts in $LOGS/verdicts.tsv"
[[ -z ${MISSES[strict]:-} ]] || exit 1
