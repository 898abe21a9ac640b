#!/usr/bin/env bash
# Model-signing benchmark (SPEC §8: "Signing costs one hashing pass plus milliseconds"). See docs/benchmarks.md.
#
#   build/bench/sign-benchmark.sh
#
# Environment: BENCH_DIR (work folder, default mktemp), BENCH_SIGN_MB (size of each model, default 2048),
# BENCH_RUNS (timed runs, median reported, default 3).
#
# Makes the same amount of incompressible data (AES-128-CTR of zeros under a fixed key) in two shapes:
#   - `model.bin`: one file of BENCH_SIGN_MB MiB;
#   - `model-dir/`: a folder of 16 files totalling BENCH_SIGN_MB MiB;
# makes a P-256 key pair with `mlguard keygen`, and times on each shape, in the same run:
#   - `mlguard sign MODEL --private-key K --signature S`;
#   - on the single file also `mlguard sign --shard-size 268435456` (the OMS `shards` method: 256 MiB shards on every core);
#   - `mlguard verify MODEL --public-key P --signature S` (must exit 0);
#   - `mlguard hash MODEL` (SHA-256 of every file, on every core);
#   - `openssl dgst -sha256` over the same files (folder: through `xargs`, and through `xargs -P 2`);
#   - `sha256sum` over the same files.
# Reports the median wall time and the peak resident memory (GNU time) of each, and sign's time divided by each.
set -euo pipefail
export LC_ALL=C
BENCH_NAME=sign-bench
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
MB=${BENCH_SIGN_MB:-2048}
RUNS=${BENCH_RUNS:-3}
FILES=16
require_positive MB RUNS
require_tools dotnet openssl sha256sum xargs find
require_gnu_time
(( MB % FILES == 0 )) || die "BENCH_SIGN_MB must be a multiple of $FILES"
prepare_work_folder mlguard-signbench mlguard model.bin model-dir
publish_mlguard

# zeros KEY_IV_TAG MIB FILE: MIB MiB of incompressible bytes (AES-128-CTR keystream under a fixed key, per-tag IV)
zeros() {
  local iv
  iv=$(printf '%s' "$1" | sha256sum | cut -c1-32)
  keystream "$(( $2 << 20 ))" 000102030405060708090a0b0c0d0e0f "$iv" >"$3"
}
log "generating a ${MB} MiB single file and a ${MB} MiB folder of $FILES files in $W"
rm -rf "$W/model.bin" "$W/model-dir"
zeros single "$MB" "$W/model.bin"
mkdir -p "$W/model-dir"
for ((i = 0; i < FILES; i++)); do zeros "part$i" $(( MB / FILES )) "$(printf '%s/model-%05d-of-%05d.safetensors' "$W/model-dir" "$i" "$FILES")"; done

log "making a P-256 key pair"
rm -f "$W/key.pem" "$W/key.pub.pem"
"${MLGUARD[@]}" keygen --private-key "$W/key.pem" --public-key "$W/key.pub.pem" --curve p256 >"$W/keygen.txt" 2>&1 \
  || { cat "$W/keygen.txt" >&2; exit 1; }

row() { # row SHAPE TOOL MEDIAN FASTEST RSS SIGN_MEDIAN
  echo "| $1 | $2 | $3 s | $4 s | $5 MiB | $(ratio "$6" "$3") |"
}

sync; echo
echo "| model | tool | median wall | fastest | peak memory | sign / this |"
echo "| --- | --- | ---: | ---: | ---: | ---: |"
for shape in file folder; do
  if [ "$shape" = file ]; then
    M="$W/model.bin"; label="\`model.bin\` (1 file, ${MB} MiB)"
    cat "$M" >/dev/null   # warm the page cache for every tool alike
    OPENSSL=(openssl dgst -sha256 "$M")
    SHA256SUM=(sha256sum "$M")
  else
    M="$W/model-dir"; label="\`model-dir/\` ($FILES files, ${MB} MiB)"
    cat "$M"/* >/dev/null
    OPENSSL=(sh -c 'find "$1" -type f -print0 | sort -z | xargs -0 openssl dgst -sha256' sh "$M")
    OPENSSL_P=(sh -c 'find "$1" -type f -print0 | sort -z | xargs -0 -n 1 -P 2 openssl dgst -sha256' sh "$M")
    SHA256SUM=(sh -c 'find "$1" -type f -print0 | sort -z | xargs -0 sha256sum' sh "$M")
  fi
  S="$W/$shape.sig"
  log "timing $shape: sign"
  measure "s-$shape" 0 "${MLGUARD[@]}" sign "$M" --private-key "$W/key.pem" --signature "$S"; sw=${T[s-$shape]} sf=${TMIN[s-$shape]} sm=$(( RSS[s-$shape] / 1024 ))
  if [ "$shape" = file ]; then
    log "timing $shape: sign --shard-size (shards method)"
    measure "x-$shape" 0 "${MLGUARD[@]}" sign "$M" --private-key "$W/key.pem" --signature "$W/sharded.sig" --shard-size 268435456; xw=${T[x-$shape]} xf=${TMIN[x-$shape]} xm=$(( RSS[x-$shape] / 1024 ))
    measure "y-$shape" 0 "${MLGUARD[@]}" verify "$M" --public-key "$W/key.pub.pem" --signature "$W/sharded.sig"; yw=${T[y-$shape]} yf=${TMIN[y-$shape]} ym=$(( RSS[y-$shape] / 1024 ))
  fi
  log "timing $shape: verify"
  measure "v-$shape" 0 "${MLGUARD[@]}" verify "$M" --public-key "$W/key.pub.pem" --signature "$S"; vw=${T[v-$shape]} vf=${TMIN[v-$shape]} vm=$(( RSS[v-$shape] / 1024 ))
  "${MLGUARD[@]}" verify "$M" --public-key "$W/key.pub.pem" --signature "$S" >"$W/$shape.verify.txt" 2>&1 \
    && verify_rc=0 || verify_rc=$?
  [ "$verify_rc" -eq 0 ] || { echo "mlguard verify exited $verify_rc on $M" >&2; cat "$W/$shape.verify.txt" >&2; exit 1; }
  log "timing $shape: hash, openssl, sha256sum"
  measure "h-$shape" 0 "${MLGUARD[@]}" hash "$M"; hw=${T[h-$shape]} hf=${TMIN[h-$shape]} hm=$(( RSS[h-$shape] / 1024 ))
  measure "o-$shape" 0 "${OPENSSL[@]}"; ow=${T[o-$shape]} of=${TMIN[o-$shape]} om=$(( RSS[o-$shape] / 1024 ))
  if [ "$shape" = folder ]; then measure "p-$shape" 0 "${OPENSSL_P[@]}"; pw=${T[p-$shape]} pf=${TMIN[p-$shape]} pm=$(( RSS[p-$shape] / 1024 )); fi
  measure "c-$shape" 0 "${SHA256SUM[@]}"; cw=${T[c-$shape]} cf=${TMIN[c-$shape]} cm=$(( RSS[c-$shape] / 1024 ))
  row "$label" "mlguard sign" "$sw" "$sf" "$sm" "$sw"
  row "" "mlguard verify (exit 0)" "$vw" "$vf" "$vm" "$sw"
  if [ "$shape" = file ]; then
    row "" "mlguard sign --shard-size 256 MiB" "$xw" "$xf" "$xm" "$sw"
    row "" "mlguard verify, sharded bundle (exit 0)" "$yw" "$yf" "$ym" "$sw"
  fi
  row "" "mlguard hash" "$hw" "$hf" "$hm" "$sw"
  if [ "$shape" = file ]; then
    row "" "openssl dgst -sha256" "$ow" "$of" "$om" "$sw"
  else
    row "" "xargs openssl dgst -sha256" "$ow" "$of" "$om" "$sw"
    row "" "xargs -P 2 openssl dgst -sha256" "$pw" "$pf" "$pm" "$sw"
  fi
  row "" "sha256sum" "$cw" "$cf" "$cm" "$sw"
done
echo
echo "mlguard verify said: $(cat "$W"/file.verify.txt "$W"/folder.verify.txt | tr '\n' ' ')"
rm -rf "$W/model.bin" "$W/model-dir"   # the generated models are large; never keep them
[ -n "${BENCH_DIR:-}" ] || rm -rf "$W"
