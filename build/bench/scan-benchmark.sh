#!/usr/bin/env bash
# Model-scanner benchmark (SPEC §8: "streams it with bounded memory, and beats picklescan"). See docs/benchmarks.md.
#
#   build/bench/scan-benchmark.sh
#
# Environment: BENCH_DIR (work folder, default mktemp), BENCH_SCAN_MB (size of each model, default 1024),
# BENCH_RUNS (timed runs, median reported, default 3), PICKLESCAN_SRC (a checkout of mmaitre314/picklescan: its src/
# is run with Debian's /usr/bin/python3, and its tests/data and tests/data2 are the per-file set).
#
# Makes two models no test loads, times `mlguard scan` on each, and in the same run the same files through:
#   - picklescan itself, run from its source (PICKLESCAN_SRC) through its CLI's main(), or when it is importable;
#   - otherwise a labelled stand-in with picklescan's algorithm: Python's zipfile to find the pickles, then
#     pickletools.genops over each, collecting GLOBAL / STACK_GLOBAL imports (what picklescan's scan_pickle_bytes does);
#   - `sha256sum FILE`, the cost of reading every byte once.
# Reports the median wall time, the CPU time and the peak resident memory (GNU time) of each, and the ratios to mlguard.
# With PICKLESCAN_SRC it also scans each of picklescan's own test files as a whole process with both tools (what a CI
# step that checks files one by one pays, start-up included) and reports the total time and the ratio.
set -euo pipefail
export LC_ALL=C
BENCH_NAME=scan-bench
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
MB=${BENCH_SCAN_MB:-1024}
RUNS=${BENCH_RUNS:-3}
require_positive MB RUNS
require_tools dotnet python3 sha256sum
require_gnu_time
prepare_work_folder mlguard-scanbench mlguard
LOAD_START=$(load_average)
publish_mlguard

log "generating two ${MB} MiB models in $W"
python3 - "$W" "$MB" <<'PY'
import os, pickle, struct, sys, zipfile
w, mb = sys.argv[1], int(sys.argv[2])
chunk = os.urandom(1 << 20)
# 1. A PyTorch-style zip: archive/data.pkl (a state dict of 64 tensors, written opcode by opcode as torch.save does:
#    torch._utils._rebuild_tensor_v2 over persistent storages) and 64 stored storage members filling the size.
n = 64
per = (mb << 20) // n
body = bytearray(b"\x80\x02}q\x00(")
for i in range(n):
    name = ("layer%d.weight" % i).encode()
    body += b"X" + struct.pack("<I", len(name)) + name
    body += b"ctorch._utils\n_rebuild_tensor_v2\nq\x01("
    body += b"(X\x07\x00\x00\x00storageq\x02ctorch\nFloatStorage\nq\x03X" + struct.pack("<I", len(str(i))) + str(i).encode()
    body += b"X\x03\x00\x00\x00cpuq\x04J" + struct.pack("<i", per // 4) + b"tq\x05Q"
    body += b"K\x00J" + struct.pack("<i", per // 4) + b"\x85J\x01\x00\x00\x00\x85\x89ccollections\nOrderedDict\n)Rq\x06tq\x07Rq\x08"
body += b"u."
with zipfile.ZipFile(os.path.join(w, "checkpoint.pt"), "w", zipfile.ZIP_STORED) as z:
    z.writestr("archive/data.pkl", bytes(body))
    z.writestr("archive/version", b"3\n")
    for i in range(n):
        with z.open("archive/data/%d" % i, "w", force_zip64=True) as f:
            left = per
            while left:
                k = min(left, len(chunk)); f.write(chunk[:k]); left -= k
# 2. A raw pickle (protocol 4) of a dict holding four large byte strings (BINBYTES8 payloads), as pickle.dump writes
#    numpy-free weights.
quarter = (mb << 20) // 4
with open(os.path.join(w, "weights.pkl"), "wb") as f:
    f.write(b"\x80\x04}\x94(")
    for i in range(4):
        key = ("w%d" % i).encode()
        f.write(b"\x8c" + bytes([len(key)]) + key + b"\x94")
        f.write(b"\x8e" + struct.pack("<Q", quarter))
        left = quarter
        while left:
            k = min(left, len(chunk)); f.write(chunk[:k]); left -= k
        f.write(b"\x94")
    f.write(b"u.")
PY

cat > "$W/genops_scan.py" <<'PY'
# Stand-in for picklescan: its algorithm (zipfile to find pickle members, pickletools.genops over each, collecting the
# imports of GLOBAL and of STACK_GLOBAL from the preceding string operands), without its rule lists.
import io, pickletools, sys, zipfile
def scan(data):
    found, strings = set(), []
    for op, arg, _ in pickletools.genops(io.BytesIO(data)):
        if op.name in ("GLOBAL", "INST"):
            found.add(arg.replace(" ", "."))
        elif op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8"):
            strings.append(arg)
        elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
            found.add(strings[-2] + "." + strings[-1])
    return found
path = sys.argv[1]
if zipfile.is_zipfile(path):
    with zipfile.ZipFile(path) as z:
        imports = set().union(*(scan(z.read(n)) for n in z.namelist() if n.endswith(".pkl")))
else:
    with open(path, "rb") as f:
        imports = scan(f.read())
print(len(imports), "imports:", ", ".join(sorted(imports)))
PY

if [ -n "${PICKLESCAN_SRC:-}" ]; then
  picklescan_command
  OTHER_NAME=$PICKLESCAN_NAME; OTHER=("${PICKLESCAN[@]}")
elif python3 -c 'import picklescan' 2>/dev/null; then
  OTHER_NAME="picklescan"; OTHER=(python3 -c 'import sys; from picklescan.cli import main; sys.exit(main())' -p)
else
  OTHER_NAME="picklescan-style genops stand-in (picklescan is not installable here)"; OTHER=(python3 "$W/genops_scan.py")
fi

sync; echo
echo "| file | tool | median wall | CPU (user+sys) | peak memory | time / mlguard | memory / mlguard |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
for f in checkpoint.pt weights.pkl; do
  cat "$W/$f" >/dev/null   # warm the page cache for every tool alike
  measure "mlguard-$f" '0|1' "${MLGUARD[@]}" scan "$W/$f"
  measure "other-$f" '0|1|2' "${OTHER[@]}" "$W/$f"
  measure "sha256sum-$f" 0 sha256sum "$W/$f"
  cp "$LOGS/mlguard-$f.out" "$W/$f.mlguard.txt"
  row() { echo "| $1 | $2 | ${T[$3-$f]} s | ${CPU[$3-$f]} s | $(( RSS[$3-$f] / 1024 )) MiB | $(ratio "${T[$3-$f]}" "${T[mlguard-$f]}") | $(ratio "${RSS[$3-$f]}" "${RSS[mlguard-$f]}") |"; }
  row "\`$f\` (${MB} MiB)" "mlguard scan" mlguard
  row "" "$OTHER_NAME" other
  row "" "sha256sum (reads every byte)" sha256sum
done
echo
echo "mlguard's verdicts: $(cat "$W"/checkpoint.pt.mlguard.txt "$W"/weights.pkl.mlguard.txt | tr '\n' ' ')"

# Per file, as a whole process: picklescan's own test files, each scanned by a new process of each tool.
if [ -n "${PICKLESCAN_SRC:-}" ] && [ -d "$PICKLESCAN_SRC/tests/data2" ]; then
  picklescan_test_files
  measure per-file-mlguard 0 bash -c 'each_file "$@"' _ $(( ${#MLGUARD[@]} + 1 )) "${MLGUARD[@]}" scan "${PS_FILES[@]}"
  measure per-file-picklescan 0 bash -c 'each_file "$@"' _ "${#PICKLESCAN[@]}" "${PICKLESCAN[@]}" "${PS_FILES[@]}"
  n=${#PS_FILES[@]}
  echo
  echo "Per file as a whole process, $n files of picklescan's tests/data and tests/data2 (median of $RUNS passes):"
  echo
  echo "| tool | total wall | CPU (user+sys) | per file (wall) | picklescan / mlguard (wall) | (CPU) |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  echo "| mlguard scan | ${T[per-file-mlguard]} s | ${CPU[per-file-mlguard]} s | $(awk -v t="${T[per-file-mlguard]}" -v n="$n" 'BEGIN { printf "%.0f ms", 1000 * t / n }') | $(ratio "${T[per-file-picklescan]}" "${T[per-file-mlguard]}") | $(ratio "${CPU[per-file-picklescan]}" "${CPU[per-file-mlguard]}") |"
  echo "| $PICKLESCAN_NAME | ${T[per-file-picklescan]} s | ${CPU[per-file-picklescan]} s | $(awk -v t="${T[per-file-picklescan]}" -v n="$n" 'BEGIN { printf "%.0f ms", 1000 * t / n }') | 1.00x | 1.00x |"
fi
echo
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); load average at start ${LOAD_START}, at end $(load_average)."
[ -n "${BENCH_DIR:-}" ] || rm -rf "$W"
