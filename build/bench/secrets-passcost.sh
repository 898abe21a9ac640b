#!/usr/bin/env bash
# What the secret scanner adds to the training-input hashing pass (SPEC §8: "secret scanning costs at most 10 % over
# hashing when it runs in the same pass"), measured so that other work on a shared machine does not decide the answer.
# See docs/benchmarks.md, section "Secret scanning".
#
#   build/bench/secrets-passcost.sh
#
# Environment: BENCH_DIR (work folder, default mktemp), BENCH_KEEP (1 keeps the data), BENCH_PASS_MB (data held in
# memory for the CPU-time runs, default 64), BENCH_PASS_ROUNDS (rounds per process, default 15), BENCH_PASS_RUNS
# (processes per build, default 3), BENCH_BASELINE (a git revision: its scanner is measured beside this tree's, in the
# same run), BENCH_CALLGRIND (0 skips the instruction counts, default 1), BENCH_CALLGRIND_MB (default 8: the counts are
# taken over this many MiB and three times as many, and the difference is used, so start-up and the JIT cancel out),
# BENCH_PASS_NOSHA (0 skips the pass over files with SHA-256 on plain x64 instructions, default 1).
#
# 1. CPU time: `SecretsBench passcost` holds BENCH_PASS_MB of the benchmark's CSV in memory and runs, on one thread, in
#    the 128 KiB slices of the hashing pass: SHA-256 alone, SHA-256 + the private-key detector (the pass's default),
#    SHA-256 + the full scanner, SHA-256 + the scanner's keyword search alone (where the scanner's time goes), and each
#    of them without hashing. Configurations take turns round after round; the thread CPU
#    time of the least disturbed round (the minimum) and the median are reported as ratios to SHA-256 alone. A last
#    process (`--floors`) times loops that do only part of the search's work beside hashing: loading the bytes, counting
#    line feeds, the nibble lookups of 1, 2 and 3 anchor positions (tables that admit nothing), the last with line feeds,
#    and low-nibble lookups at 4 positions without (`low4`) and with (`low4h0`, the scanner's loop) the first position's
#    high nibble. `SecretsBench candidates` then prints, per build, the share of 64-byte blocks that the prefilter lets
#    through on the CSV, random base64 lines and float32 weights ("n/a" for a scanner without that diagnostic).
# 2. The hashing pass over files, as the product runs it: `passcost --only file-hash,file-hash+key,file-hash+secrets`
#    reads BENCH_PASS_MB of files (page cache warm) through Sha256File: read and SHA-256 alone (as `mlguard hash`), the
#    pass without a scanner (with the private-key detector), and the training-input pass with a SecretScanner per file.
#    Three times: on the CSV, on AES-128-CTR keystream in 16 MiB files (run-benchmarks.sh's kind of data: incompressible,
#    like packed tensors or compressed columns), and on the same in 100 KiB files (the size of the hashing benchmark's
#    many files, where a scanner's cost per file counts). The scanner pass over the hash pass is SPEC §8's ratio; the
#    report ends with its verdict per data set. Once more, one process per data set, with OpenSSL told to leave out the
#    CPU's SHA instructions (OPENSSL_ia32cap), as SHA-256 runs on x64 CPUs without SHA-NI: the ratio depends on how
#    fast the CPU hashes.
# 3. Instructions (valgrind callgrind, unaffected by load): instructions per byte of each configuration. valgrind does
#    not run SHA-NI, so its SHA-256 is OpenSSL's fallback; the ratio that stands for the real pass divides the scanner's
#    instructions per byte by those of the SHA-NI loop the CPU really runs (read from libcrypto by sha_ni_loop.py).
#    Caution: under valgrind the JIT was seen compiling the scanner with MinOpts (DOTNET_JitDisasmSummary=1), so these
#    counts compare builds but do not give the optimised scanner's cost; the CPU-time ratios answer SPEC §8.
set -euo pipefail
export LC_ALL=C
BENCH_NAME=secrets-passcost
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
MB=${BENCH_PASS_MB:-64}
ROUNDS=${BENCH_PASS_ROUNDS:-15}
RUNS=${BENCH_PASS_RUNS:-3}
CG=${BENCH_CALLGRIND:-1}
CG_MB=${BENCH_CALLGRIND_MB:-8}
NOSHA=${BENCH_PASS_NOSHA:-1}
require_positive MB ROUNDS RUNS CG_MB
require_tools dotnet git openssl
prepare_work_folder mlguard-secretspass bulk keystream many helper-current helper-baseline baseline-src
need_free_mb $(( MB + 1024 ))

build_helper() { # SOURCE_TREE OUTPUT
  (cd "$1" && dotnet publish build/bench/SecretsBench -c Release -o "$2" -nodeReuse:false) >"$LOGS/$(basename "$2").log" 2>&1 \
    || { tail -n 30 "$LOGS/$(basename "$2").log" >&2; die "building the helper in $1 failed"; }
}

log "building the helper (build/bench/SecretsBench)"
build_helper "$BENCH_REPO" "$W/helper-current"
BUILDS=(current)
if [[ -n ${BENCH_BASELINE:-} ]]; then
  rev=$(cd "$BENCH_REPO" && git rev-parse --short "$BENCH_BASELINE") || die "unknown revision $BENCH_BASELINE"
  log "building the helper against the scanner of $rev (this tree's harness, that revision's src/)"
  mkdir -p "$W/baseline-src"
  (cd "$BENCH_REPO" && git archive "$rev" src tests/Shared Directory.Build.props Directory.Packages.props global.json) | tar -x -C "$W/baseline-src"
  mkdir -p "$W/baseline-src/build/bench"
  cp -r "$BENCH_REPO/build/bench/SecretsBench" "$W/baseline-src/build/bench/"
  rm -rf "$W/baseline-src/build/bench/SecretsBench/bin" "$W/baseline-src/build/bench/SecretsBench/obj"
  build_helper "$W/baseline-src" "$W/helper-baseline"
  BUILDS=(baseline current)
fi

log "generating the benchmark's CSV (${MB} MiB)"
dotnet "$W/helper-current/SecretsBench.dll" bulk "$W/bulk" "$MB" >/dev/null

# ---------------------------------------------------------------------------------------------------------- CPU time
log "CPU time: $RUNS processes per build, $ROUNDS rounds each, over $MB MiB in memory"
for ((r = 0; r < RUNS; r++)); do
  for b in "${BUILDS[@]}"; do # builds alternate, so a change of load hits both
    dotnet "$W/helper-$b/SecretsBench.dll" passcost "$W/bulk" --mib "$MB" --rounds "$ROUNDS" >"$LOGS/passcost-$b-$r.md"
  done
done

# ---------------------------------------------------------------------------------------------------------- file pass
# SPEC §8's "in the same pass" as the product runs it: files read from the page cache through Sha256File, on the CSV and
# on the hashing benchmark's kind of data (run-benchmarks.sh: AES-128-CTR keystream, incompressible like packed tensors).
log "generating ${MB} MiB of keystream (the hashing benchmark's kind of data) in 16 MiB files, and again in 100 KiB files"
mkdir -p "$W/keystream" "$W/many"
for ((f = 0; f * 16 < MB; f++)); do
  keystream $(( (MB - 16 * f < 16 ? MB - 16 * f : 16) << 20 )) 6d6c67756172642d736563726574732e "$(printf '%032x' "$f")" >"$W/keystream/part-$f.bin"
done
# The hashing benchmark's many files average about 100 KiB (1 GiB in 10,000): there a scanner's cost per file counts.
keystream $(( MB << 20 )) 6d6c67756172642d736563726574732f | (cd "$W/many" && split -b 102400 -d -a 5 - f)
log "the hashing pass over files: $RUNS processes per build and data set, $ROUNDS rounds each"
for ((r = 0; r < RUNS; r++)); do
  for d in bulk keystream many; do
    for b in "${BUILDS[@]}"; do
      dotnet "$W/helper-$b/SecretsBench.dll" passcost "$W/$d" --mib "$MB" --rounds "$ROUNDS" --only file-hash,file-hash+key,file-hash+secrets \
        >"$LOGS/filepass-$d-$b-$r.md"
    done
  done
done

# The same pass where SHA-256 runs without the CPU's SHA instructions (x64 CPUs without SHA-NI): OpenSSL, which .NET's
# SHA-256 calls on Linux, leaves them out when OPENSSL_ia32cap clears their bit. One process per data set, this tree.
if [[ $NOSHA == 1 ]]; then
  log "the hashing pass over files with SHA-256 on the plain x64 instructions (OPENSSL_ia32cap)"
  for d in bulk keystream many; do
    OPENSSL_ia32cap=":~0x20000000" dotnet "$W/helper-current/SecretsBench.dll" passcost "$W/$d" --mib "$MB" --rounds "$ROUNDS" \
      --only file-hash,file-hash+key,file-hash+secrets >"$LOGS/filepass-$d-nosha.md"
  done
fi

log "floors: loops that do only part of the search's work, beside hashing (one process, this tree's build)"
dotnet "$W/helper-current/SecretsBench.dll" passcost "$W/bulk" --mib "$MB" --rounds "$ROUNDS" --floors >"$LOGS/floors.md"

log "candidates: the share of 64-byte blocks the keyword prefilter lets through"
for b in "${BUILDS[@]}"; do
  dotnet "$W/helper-$b/SecretsBench.dll" candidates "$W/bulk" "$MB" >"$LOGS/candidates-$b.md"
done

# ---------------------------------------------------------------------------------------------------------- instructions
SHA_NI=""
if [[ $CG == 1 ]]; then
  require_tools valgrind objdump python3
  crypto=$(ldconfig -p | awk '/libcrypto\.so\.3 .*x86-64/ { print $NF; exit }')
  [[ -n $crypto ]] || die "libcrypto.so.3 not found"
  read -r sha_block SHA_NI < <(python3 "$BENCH_REPO/build/bench/sha_ni_loop.py" "$crypto")
  log "instructions (callgrind over $CG_MB and $(( 3 * CG_MB )) MiB; full JIT optimisation from the start)"
  for b in "${BUILDS[@]}"; do
    for c in hash hash+key hash+keywords hash+secrets; do
      for m in "$CG_MB" $(( 3 * CG_MB )); do
        DOTNET_TieredCompilation=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
          dotnet "$W/helper-$b/SecretsBench.dll" passcost "$W/bulk" --mib "$m" --rounds 1 --only "$c" >/dev/null 2>"$LOGS/cg-$b-$c-$m.txt"
      done
    done
  done
fi

pass_ratios() { # FILEPASS_LOG: "min(median)" of the scanner pass over the hash pass, and over the pass with the key detector
  awk -F'|' '/^\| file-/ { gsub(/ /, "", $2); mn[$2] = $3; md[$2] = $4 }
    END { printf "%.3f(%.3f) %.3f(%.3f)\n", mn["file-hash+secrets"] / mn["file-hash"], md["file-hash+secrets"] / md["file-hash"],
          mn["file-hash+secrets"] / mn["file-hash+key"], md["file-hash+secrets"] / md["file-hash+key"] }' "$1"
}

irefs() { awk '/Collected :/ { gsub(",", "", $NF); print $NF }' "$LOGS/cg-$1-$2-$3.txt"; }
per_byte() { # BUILD CONFIG: instructions per byte from the difference of the two sizes
  awk -v a="$(irefs "$1" "$2" "$CG_MB")" -v b="$(irefs "$1" "$2" $(( 3 * CG_MB )))" -v mb="$CG_MB" 'BEGIN { printf "%.3f", (b - a) / (2 * mb * 1048576) }'
}

{
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB;" \
    "load average at the end $(cut -d' ' -f1-3 /proc/loadavg); .NET $(dotnet --version); repository $(cd "$BENCH_REPO" && git rev-parse --short HEAD)" \
    "$( [[ -n ${BENCH_BASELINE:-} ]] && echo "(baseline: scanner of $rev)")."
  for b in "${BUILDS[@]}"; do
    echo
    echo "### CPU time, $b ($RUNS processes)"
    for ((r = 0; r < RUNS; r++)); do echo; cat "$LOGS/passcost-$b-$r.md"; done
  done
  echo
  echo "### The hashing pass over files: the scanner's pass over the hash pass (SPEC §8), CPU time"
  echo
  echo "Each process reads the files $ROUNDS times per configuration through \`Sha256File\`: \`file-hash\` as \`mlguard hash\`"
  echo "(read and SHA-256), \`file-hash+key\` as the pass without a scanner (with the private-key detector), \`file-hash+secrets\` as"
  echo "the training-input pass. Ratios of the minimum and (in brackets) the median thread CPU time."
  echo
  echo "| data | build | scanner pass / hash pass, per process | scanner pass / pass with the key detector, per process |"
  echo "| --- | --- | --- | --- |"
  verdicts=()
  for d in bulk keystream many; do
    case $d in bulk) label="CSV, 16 MiB files" ;; keystream) label="keystream, 16 MiB files" ;; *) label="keystream, 100 KiB files" ;; esac
    for b in "${BUILDS[@]}" nosha; do
      if [[ $b == nosha ]]; then
        [[ $NOSHA == 1 ]] || continue
        files=("$LOGS/filepass-$d-nosha.md") shown="current, SHA-256 without SHA-NI"
      else
        files=() shown=$b
        for ((r = 0; r < RUNS; r++)); do files+=("$LOGS/filepass-$d-$b-$r.md"); done
      fi
      over_hash=() over_key=() worst=0
      for f in "${files[@]}"; do
        read -r h k < <(pass_ratios "$f")
        over_hash+=("${h/(/ (}") over_key+=("${k/(/ (}")
        worst=$(awk -v a="$worst" -v b="${h%%(*}" 'BEGIN { print (b > a ? b : a) }')
      done
      echo "| $label | $shown | $(IFS=,; echo "${over_hash[*]}" | sed 's/,/, /g') | $(IFS=,; echo "${over_key[*]}" | sed 's/,/, /g') |"
      [[ $b == baseline ]] || verdicts+=("| $label | $shown | $worst | $(awk -v w="$worst" 'BEGIN { print (w <= 1.10 ? "met" : "not met") }') |")
    done
  done
  echo
  echo "SPEC §8, \"secret scanning costs at most 10 % over hashing when it runs in the same pass\": the scanner pass over the"
  echo "hash pass (read and SHA-256, as \`mlguard hash\`), the largest of the per-process minimums."
  echo
  echo "| data | build | largest minimum ratio | ≤ 1.10 |"
  echo "| --- | --- | ---: | --- |"
  printf '%s\n' "${verdicts[@]}"
  echo
  echo "### Floors: what parts of the keyword search cost beside hashing (current build, 1 process)"
  echo
  cat "$LOGS/floors.md"
  for b in "${BUILDS[@]}"; do
    echo
    echo "### Candidates: 64-byte blocks the keyword prefilter lets through, $b"
    echo
    cat "$LOGS/candidates-$b.md"
  done
  if [[ $CG == 1 ]]; then
    echo
    echo "### Instructions per byte (callgrind; SHA-NI SHA-256 loop: $sha_block instructions per 64-byte block = $SHA_NI per byte)"
    echo
    echo "| build | hash (valgrind's fallback SHA-256) | hash + key detector | hash + keyword search | hash + scanner | key detector / SHA-NI | keyword search / SHA-NI | scanner / SHA-NI |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    ratio() { awk -v h="$1" -v x="$2" -v n="$SHA_NI" 'BEGIN { printf "%.3f", (x - h) / n }'; }
    for b in "${BUILDS[@]}"; do
      h=$(per_byte "$b" hash); k=$(per_byte "$b" hash+key); w=$(per_byte "$b" hash+keywords); s=$(per_byte "$b" hash+secrets)
      echo "| $b | $h | $k | $w | $s | $(ratio "$h" "$k") | $(ratio "$h" "$w") | $(ratio "$h" "$s") |"
    done
  fi
} | tee "$W/results.md"
