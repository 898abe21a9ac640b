#!/usr/bin/env bash
# MlBuildGuard model-scanner benchmark (SPEC §8: "Scanning reads only what a loader would execute (the pickle streams,
# headers), streams it with bounded memory, and beats picklescan on the same files"). See docs/benchmarks.md, "Model scanner".
#
#   build/bench/scan-verdict-benchmark.sh                   # 2 GiB checkpoint + three 512 MiB pickles
#   SCAN_BENCH_GB=1 build/bench/scan-verdict-benchmark.sh   # half the size
#
# Environment:
#   BENCH_DIR       work folder (default: a fresh mktemp -d under /tmp)
#   SCAN_BENCH_GB   size scale, a positive integer (default 2): the checkpoint holds SCAN_BENCH_GB GiB of tensors, each
#                   raw pickle SCAN_BENCH_GB/4 GiB
#   SCAN_BENCH_RUNS timed runs per measurement, the median is reported (default 3)
#   BENCH_KEEP      1 keeps the generated files and the published mlguard (default: removed; results.md and logs/ stay)
#
# Steps: publish mlguard (Release); generate, with python3's standard library and the same bytes on every run, (a) a
# PyTorch-style zip checkpoint, (b) a raw protocol-4 pickle holding one huge bytes object, (c) the same with an os.system
# REDUCE after the blob, (d) a joblib-style pickle with the array bytes after the wrapper's BUILD; check each verdict of
# `mlguard scan` (a, b, d clean; c MLG301); time `mlguard scan` and `sha256sum` on each file with a warm page cache (median
# of SCAN_BENCH_RUNS) and record mlguard's peak RSS (/usr/bin/time -v) and the bytes it read (rchar); print a Markdown
# report and write it to $BENCH_DIR/results.md. Exits 1 when a verdict is wrong (after printing the report).
set -euo pipefail
export LC_ALL=C

BENCH_NAME=scan-bench
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
REPO=$BENCH_REPO

GB=${SCAN_BENCH_GB:-2}
RUNS=${SCAN_BENCH_RUNS:-3}
require_positive GB RUNS
require_tools dotnet python3 sha256sum awk sort df cat
require_gnu_time

# ---------------------------------------------------------------------------------------------------------------- work folder
prepare_work_folder mlguard-scanbench mlguard data
rm -f "$W/results.md"
mkdir -p "$W/data"
# checkpoint (GB GiB) + three pickles (GB/4 GiB each) + data.pkl + 512 MiB of slack
need_free_mb $(( GB * 1024 + 3 * GB * 256 + 512 ))

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export MSBUILDDISABLENODEREUSE=1 UseSharedCompilation=false # nothing outlives the publish

NPROC=$(nproc)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
DATE=$(date -u +%Y-%m-%d)
log "repository $REPO"
log "work folder $W; scale ${GB} (checkpoint ${GB} GiB, pickles $(( GB * 256 )) MiB); ${RUNS} runs per measurement; load ${LOAD_START}"

# ---------------------------------------------------------------------------------------------------------------- helpers
human() { # bytes -> "2.00 GiB" / "512 MiB" / "242 KiB" / "4109 B"
  awk -v b="$1" 'BEGIN {
    if (b >= 2^30) printf "%.2f GiB", b / 2^30; else if (b >= 2^20) printf "%.0f MiB", b / 2^20;
    else if (b >= 2^10) printf "%.0f KiB", b / 2^10; else printf "%d B", b }'
}
mib_of_kb() { awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }'; }


# ---------------------------------------------------------------------------------------------------------------- 1. build
publish_mlguard
MLG=("${MLGUARD[@]}")

# ---------------------------------------------------------------------------------------------------------------- 2. data
GEN=$LOGS/generate.py
cat >"$GEN" <<'PY'
"""Generates the model-scanner benchmark files (written out by build/bench/scan-verdict-benchmark.sh). Python 3 standard
library only.

    python3 generate.py OUTDIR GIB

Writes, deterministically (the same bytes on every run for the same GIB):
  checkpoint.pt      PyTorch-style zip of GIB GiB of tensor data: archive/data.pkl (protocol 2, an OrderedDict of 2,000
                     tensors made by torch._utils._rebuild_tensor_v2 with BINPERSID storage ids), archive/data/<i>
                     (stored, one per tensor) and archive/version
  blob.pkl           protocol-4 pickle of one bytes object of GIB/4 GiB (BINBYTES8)
  blob-payload.pkl   the same blob, then an os.system REDUCE after it (in a FRAME, as CPython writes it)
  joblib.pkl         joblib-style pickle: NumpyArrayWrapper (no alignment) + GIB/4 GiB of raw float32 bytes after its BUILD
  tiny.pkl           a clean 4 KiB pickle (reference for the start-up cost)

Nothing is ever unpickled except small clean self-test pickles; the payload file is only checked with pickletools.genops.
Large data is written in chunks, never held in memory. The torch, numpy and joblib modules are stand-ins registered in
sys.modules so that pickle can name their globals; no real ML library is needed or imported.
"""
import array
import collections
import io
import os
import pickle
import pickletools
import random
import struct
import sys
import types
import zipfile

TENSORS = 2000
COLS = 1024  # every tensor is (rows, 1024) float32: 4 KiB per row
CHUNK = 8 << 20
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# ------------------------------------------------------------------------------------------------ deterministic data
# A 4 MiB pool of float32 values drawn from N(0, 0.02) (what initialised weights look like), repeated with a different
# start for each tensor. Seeded, so every run writes the same bytes.
_rng = random.Random(20261126)
_pool = array.array("f", (_rng.gauss(0.0, 0.02) for _ in range(1 << 20))).tobytes()
if sys.byteorder != "little":
    raise SystemExit("this generator writes little-endian tensors and expects a little-endian machine")
_pool2 = memoryview(_pool + _pool)
POOL = len(_pool)


def write_payload(f, nbytes, start):
    """Writes nbytes of pool data starting at pool offset `start`, in chunks."""
    at = start % POOL
    while nbytes > 0:
        n = min(nbytes, CHUNK, POOL)
        f.write(_pool2[at:at + n])
        nbytes -= n
        at = (at + n) % POOL


# ------------------------------------------------------------------------------------------------ stand-in modules
def _module(name, **members):
    m = types.ModuleType(name)
    for key, value in members.items():
        value.__module__ = name
        value.__qualname__ = key
        value.__name__ = key
        setattr(m, key, value)
    sys.modules[name] = m
    return m


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    raise RuntimeError("stand-in: never called")


class FloatStorage:
    pass


torch = _module("torch", FloatStorage=FloatStorage)
torch._utils = _module("torch._utils", _rebuild_tensor_v2=_rebuild_tensor_v2)


class ndarray:
    pass


class dtype:
    """Pickles like numpy.dtype('<f4'): REDUCE numpy.dtype('f4', False, True), then BUILD with its state tuple."""

    def __init__(self, descr):
        self.descr = descr

    def __reduce__(self):
        return (type(self), (self.descr, False, True), (3, "<", None, None, None, -1, -1, 0))


numpy = _module("numpy", ndarray=ndarray, dtype=dtype)


class NumpyArrayWrapper:
    """joblib's wrapper; joblib < 1.2 had no numpy_array_alignment_bytes, so the array bytes follow BUILD directly."""

    def __init__(self, subclass, shape, order, dt, allow_mmap=False):
        self.subclass = subclass
        self.shape = shape
        self.order = order
        self.dtype = dt
        self.allow_mmap = allow_mmap


joblib = _module("joblib")
joblib.numpy_pickle = _module("joblib.numpy_pickle", NumpyArrayWrapper=NumpyArrayWrapper)


# ------------------------------------------------------------------------------------------------ (a) PyTorch zip
class Storage:
    def __init__(self, key, numel):
        self.key = key
        self.numel = numel


class Tensor:
    def __init__(self, storage, rows):
        self.storage = storage
        self.rows = rows

    def __reduce_ex__(self, protocol):
        return (_rebuild_tensor_v2, (self.storage, 0, (self.rows, COLS), (COLS, 1), False, collections.OrderedDict()))


class TorchPickler(pickle.Pickler):
    """torch.save's pickler: storages become persistent ids ('storage', type, key, location, numel) -> BINPERSID."""

    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", FloatStorage, obj.key, "cpu", obj.numel)
        return None


NAMES = ["attn.q_proj.weight", "attn.k_proj.weight", "attn.v_proj.weight", "attn.o_proj.weight",
         "mlp.up_proj.weight", "mlp.down_proj.weight", "ln_1.weight", "ln_2.weight"]


def tensor_rows(total_bytes):
    """2,000 row counts summing to exactly total_bytes / 4 KiB; sizes from 1/4 to 7/4 of the average (fixed sequence)."""
    total_rows = total_bytes // (4 * COLS)
    if total_rows < TENSORS:
        raise SystemExit(f"{total_bytes} bytes is too small for {TENSORS} tensors of 4 KiB rows")
    weights = [250 + (i * 7919) % 1501 for i in range(TENSORS)]  # 250 ... 1750
    scale = total_rows / sum(weights)
    rows = [max(1, int(w * scale)) for w in weights]
    rows[-1] += total_rows - sum(rows)
    assert sum(rows) == total_rows and min(rows) >= 1
    return rows


def write_checkpoint(path, total_bytes):
    rows = tensor_rows(total_bytes)
    storages = [Storage(str(i), r * COLS) for i, r in enumerate(rows)]
    state = collections.OrderedDict(
        (f"model.layers.{i // len(NAMES)}.{NAMES[i % len(NAMES)]}", Tensor(s, r)) for i, (s, r) in enumerate(zip(storages, rows)))
    buffer = io.BytesIO()
    TorchPickler(buffer, protocol=2).dump(state)  # torch.save's default pickle protocol is 2
    data_pkl = buffer.getvalue()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as z:
        z.writestr(zipfile.ZipInfo("archive/data.pkl", ZIP_TIME), data_pkl)
        for i, s in enumerate(storages):
            info = zipfile.ZipInfo(f"archive/data/{s.key}", ZIP_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = s.numel * 4  # known in advance: zipfile picks ZIP64 fields by it
            with z.open(info, "w") as member:
                write_payload(member, s.numel * 4, start=i * 4 * 7933)
        z.writestr(zipfile.ZipInfo("archive/version", ZIP_TIME), b"3\n")
    return len(data_pkl)


# ------------------------------------------------------------------------------------------------ (b), (c) raw pickles
def _frame(body):
    """What CPython's pickler writes for a frame of `body` (FRAME only from 4 bytes on)."""
    return (b"\x95" + struct.pack("<Q", len(body)) + body) if len(body) >= 4 else body


BLOB_HEAD = b"\x80\x04"  # PROTO 4; the blob is too large for a frame, so it is written outside any


def blob_header(n):
    return b"\x8e" + struct.pack("<Q", n)  # BINBYTES8 and its 8-byte length


# After the blob: memoise it (as CPython does), import os.system by STACK_GLOBAL, call it (REDUCE) with one string, then
# make the tuple (blob, result) and stop. CPython puts what follows a large bytes object in a new frame.
CMD = b"echo mlguard-bench-payload"
PAYLOAD_TAIL = _frame(
    b"\x94"                                   # MEMOIZE (the blob)
    b"\x8c\x02os\x94\x8c\x06system\x94\x93\x94"  # SHORT_BINUNICODE os, system; STACK_GLOBAL -> os.system
    + b"\x8c" + bytes([len(CMD)]) + CMD + b"\x94"  # SHORT_BINUNICODE the command
    b"\x85\x94"                               # TUPLE1 (the arguments)
    b"R\x94"                                  # REDUCE: os.system(command) -- runs when loaded
    b"\x86\x94"                               # TUPLE2 (blob, result)
    b".")                                     # STOP
CLEAN_TAIL = b"\x94."  # MEMOIZE, STOP: exactly what pickle.dumps(bytes_over_64KiB, protocol=4) ends with


def write_blob(path, n, tail):
    with open(path, "wb") as f:
        f.write(BLOB_HEAD + blob_header(n))
        write_payload(f, n, start=12345 * 4)
        f.write(tail)


# ------------------------------------------------------------------------------------------------ (d) joblib
class FakeArray:
    def __init__(self, nbytes):
        self.nbytes = nbytes


class JoblibPickler(pickle._Pickler):  # joblib's NumpyPickler subclasses the pure-Python pickler too
    def __init__(self, f):
        super().__init__(f, protocol=4)
        self.file_handle = f
        self.array_at = None

    def save(self, obj, save_persistent_id=True):
        if isinstance(obj, FakeArray):
            # As joblib.numpy_pickle.NumpyPickler.save: pickle the wrapper, end the frame, write the bytes to the file.
            wrapper = NumpyArrayWrapper(ndarray, (obj.nbytes // 4,), "C", dtype("f4"), allow_mmap=False)
            pickle._Pickler.save(self, wrapper)
            self.framer.commit_frame(force=True)
            self.array_at = self.file_handle.tell()
            write_payload(self.file_handle, obj.nbytes, start=54321 * 4)
            return
        return pickle._Pickler.save(self, obj, save_persistent_id)


def write_joblib(path, n):
    with open(path, "wb") as f:
        p = JoblibPickler(f)
        p.dump(FakeArray(n))
        return p.array_at


# ------------------------------------------------------------------------------------------------ self-tests (small)
def stack_globals(ops):
    """module.name of each STACK_GLOBAL, following the memo for strings (enough for these generated streams)."""
    memo, strings, found = [], [], []
    for name, arg in ops:
        if name in ("SHORT_BINUNICODE", "BINUNICODE"):
            strings.append(arg)
        elif name == "MEMOIZE":
            memo.append(strings[-1] if strings else None)
        elif name in ("BINGET", "LONG_BINGET"):
            strings.append(memo[arg])
        elif name == "STACK_GLOBAL":
            found.append(f"{strings[-2]}.{strings[-1]}")
            strings.append(None)
        else:
            strings.append(None)
    return found


def self_test():
    # (b): the hand-written stream is what CPython writes for a large bytes object (BINBYTES instead of BINBYTES8 below
    # 4 GiB), and it loads back. Clean data only.
    n = 100_000
    f = io.BytesIO()
    f.write(BLOB_HEAD + blob_header(n)); write_payload(f, n, 12345 * 4); f.write(CLEAN_TAIL)
    small = f.getvalue()
    expected = pickle.dumps(bytes(small[11:11 + n]), protocol=4)
    assert expected == b"\x80\x04B" + struct.pack("<I", n) + small[11:11 + n] + CLEAN_TAIL, "CPython framing differs"
    assert pickle.loads(small) == small[11:11 + n]
    # (c): never loaded; the opcodes must be BINBYTES8 first and the os.system REDUCE after it, in a frame that ends at STOP.
    f = io.BytesIO()
    f.write(BLOB_HEAD + blob_header(n)); write_payload(f, n, 0); f.write(PAYLOAD_TAIL)
    ops = [(op.name, arg, pos) for op, arg, pos in pickletools.genops(f.getvalue())]
    names = [o[0] for o in ops]
    assert names[:2] == ["PROTO", "BINBYTES8"] and names[-1] == "STOP", names
    i = names.index("STACK_GLOBAL")
    assert [o[1] for o in ops[i - 4:i:2]] == ["os", "system"], ops[i - 4:i]
    assert names.index("REDUCE") > i > names.index("BINBYTES8")
    frame = ops[names.index("FRAME")]
    assert frame[2] + 9 + frame[1] == len(f.getvalue()), "the frame must end with the stream"
    # (d): the wrapper part is a well-formed pickle ending with BUILD, followed by exactly the array bytes and STOP.
    f = io.BytesIO()
    p = JoblibPickler(f)
    p.dump(FakeArray(4096))
    data = f.getvalue()
    assert len(data) == p.array_at + 4096 + 1 and data[-1:] == b"."
    ops = [(op.name, arg) for op, arg, _ in pickletools.genops(data[:p.array_at] + b".")]
    names = [o[0] for o in ops]
    assert names[-2:] == ["BUILD", "STOP"] and "NEWOBJ" in names, names
    globals_ = stack_globals(ops)
    assert globals_ == ["joblib.numpy_pickle.NumpyArrayWrapper", "numpy.ndarray", "numpy.dtype"], globals_
    keys = [o[1] for o in ops if o[0] == "SHORT_BINUNICODE"]
    assert "numpy_array_alignment_bytes" not in keys and "shape" in keys
    # (a): the pickle names exactly the torch globals and one BINPERSID per tensor.
    storages = [Storage(str(i), COLS) for i in range(3)]
    b = io.BytesIO()
    TorchPickler(b, protocol=2).dump(collections.OrderedDict((str(i), Tensor(s, 1)) for i, s in enumerate(storages)))
    ops = list(pickletools.genops(b.getvalue()))
    g = sorted({arg for op, arg, _ in ops if op.name == "GLOBAL"})
    assert g == ["collections OrderedDict", "torch FloatStorage", "torch._utils _rebuild_tensor_v2"], g
    assert sum(op.name == "BINPERSID" for op, _, _ in ops) == 3


def main():
    out, gib = sys.argv[1], int(sys.argv[2])
    self_test()
    os.makedirs(out, exist_ok=True)
    total = gib << 30
    quarter = gib << 28
    pkl = write_checkpoint(os.path.join(out, "checkpoint.pt"), total)
    write_blob(os.path.join(out, "blob.pkl"), quarter, CLEAN_TAIL)
    write_blob(os.path.join(out, "blob-payload.pkl"), quarter, PAYLOAD_TAIL)
    at = write_joblib(os.path.join(out, "joblib.pkl"), quarter)
    # Start-up reference: the smallest clean pickle (a 4 KiB bytes object).
    with open(os.path.join(out, "tiny.pkl"), "wb") as f:
        f.write(BLOB_HEAD + blob_header(4096)); write_payload(f, 4096, 0); f.write(CLEAN_TAIL)
    print(f"data.pkl={pkl} joblib_array_offset={at}")


if __name__ == "__main__":
    main()
PY
log "generating the files (python3 $(python3 -c 'import platform; print(platform.python_version())'), standard library only)"
python3 "$GEN" "$W/data" "$GB" >"$LOGS/generate.txt" 2>&1 || { cat "$LOGS/generate.txt" >&2; die "the generator failed"; }
DATA_PKL_BYTES=$(sed -n 's/.*data.pkl=\([0-9]*\).*/\1/p' "$LOGS/generate.txt")
# What a loader executes of the checkpoint is archive/data.pkl alone: the same scan on it is the lower bound for (a).
python3 -c 'import sys, zipfile; open(sys.argv[2], "wb").write(zipfile.ZipFile(sys.argv[1]).read("archive/data.pkl"))' \
  "$W/data/checkpoint.pt" "$W/data/data.pkl"

NAMES=(zip blob payload joblib tiny datapkl)
declare -A FILE=(
  [zip]=checkpoint.pt [blob]=blob.pkl [payload]=blob-payload.pkl [joblib]=joblib.pkl [tiny]=tiny.pkl [datapkl]=data.pkl)
declare -A LABEL=(
  [zip]="(a) PyTorch zip, 2,000 tensors (\`checkpoint.pt\`)"
  [blob]="(b) raw pickle, one bytes blob (\`blob.pkl\`)"
  [payload]="(c) blob + os.system REDUCE after it (\`blob-payload.pkl\`)"
  [joblib]="(d) joblib-style, array after BUILD (\`joblib.pkl\`)"
  [tiny]="reference: 4 KiB pickle (start-up cost)"
  [datapkl]="reference: \`archive/data.pkl\` of (a) alone")
declare -A EXPECT=([zip]=clean [blob]=clean [payload]=MLG301 [joblib]=clean [tiny]=clean [datapkl]=clean)
declare -A SIZE
for n in "${NAMES[@]}"; do SIZE[$n]=$(stat -c %s "$W/data/${FILE[$n]}"); done
log "generated: $(for n in "${NAMES[@]}"; do printf '%s %s; ' "${FILE[$n]}" "$(human "${SIZE[$n]}")"; done)"

cd "$W/data"
log "warming the page cache"
cat "${FILE[@]}" >/dev/null

# ---------------------------------------------------------------------------------------------------------------- 3. verdicts
# One untimed scan of each file with --format json: its findings, its exit status, and the bytes it read (rchar of the
# process, read from /proc by its parent shell after reaping it; includes .NET start-up, see the 4 KiB reference).
declare -A RC FOUND READ RIGHT
summary() { # JSON report -> "MLG301 ×1, MLG303 ×2" or "none"
  python3 -c '
import collections, json, sys
c = collections.Counter(f["code"] for r in json.load(open(sys.argv[1]))["files"] for f in r["findings"])
print(", ".join(f"{k} ×{v}" for k, v in sorted(c.items())) or "none")' "$1"
}
WRONG=()
for n in "${NAMES[@]}"; do
  json=$LOGS/scan-$n.json
  set +e
  sh -c 'io=$1; out=$2; shift 2; "$@" >"$out" 2>"$out.stderr"; rc=$?; cat /proc/$$/io >"$io"; exit $rc' \
    sh "$LOGS/io-$n.txt" "$json" "${MLG[@]}" scan --format json "${FILE[$n]}"
  RC[$n]=$?
  set -e
  (( RC[$n] <= 1 )) || { cat "$json.stderr" >&2; die "mlguard scan ${FILE[$n]} failed (exit ${RC[$n]})"; }
  FOUND[$n]=$(summary "$json")
  READ[$n]=$(awk '$1 == "rchar:" { print $2 }' "$LOGS/io-$n.txt")
  if [[ ${EXPECT[$n]} == clean ]]; then
    [[ ${RC[$n]} == 0 && ${FOUND[$n]} == none ]] && RIGHT[$n]=right || RIGHT[$n]=WRONG
  else
    [[ ${RC[$n]} == 1 && ${FOUND[$n]} == *"${EXPECT[$n]}"* ]] && RIGHT[$n]=right || RIGHT[$n]=WRONG
  fi
  [[ ${RIGHT[$n]} == right ]] || WRONG+=("$n")
  log "  ${FILE[$n]}: exit ${RC[$n]}, findings: ${FOUND[$n]} (expected ${EXPECT[$n]}: ${RIGHT[$n]}); read $(human "${READ[$n]}")"
done
[[ ${RIGHT[payload]} == right ]] || log "ASSERTION FAILED: the os.system REDUCE after the blob was not reported as MLG301"

# ---------------------------------------------------------------------------------------------------------------- 4. timings
for n in "${NAMES[@]}"; do
  cat "${FILE[$n]}" >/dev/null
  measure "mlguard-$n" "${RC[$n]}" "${MLG[@]}" scan --format json "${FILE[$n]}"
  measure "sha256sum-$n" 0 sha256sum "${FILE[$n]}"
done
sha256sum "${FILE[@]}" >"$LOGS/sha256sums.txt"
cd "$W"
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------------------------------------------- 5. report
CPU_MODEL=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
OS=$( (. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME") || uname -s)
COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$REPO" status --porcelain 2>/dev/null | wc -l)
START_READ=${READ[tiny]}
REPORT=$W/results.md
{
  echo "## Model scanner benchmark, SCAN_BENCH_GB=${GB}"
  echo
  echo "${DATE}. Machine: ${NPROC} cores ($(uname -m)), CPU \`${CPU_MODEL}\`, ${MEM} RAM, ${OS}, Linux $(uname -r);"
  echo ".NET SDK $(dotnet --version), Python $(python3 -c 'import platform; print(platform.python_version())'), $(sha256sum --version | sed -n 1p)."
  echo "Repository commit ${COMMIT}$( (( DIRTY > 0 )) && echo " with ${DIRTY} uncommitted change(s)"). Load average ${LOAD_START} at the start, ${LOAD_END} at the end."
  echo "Medians of ${RUNS} runs, page cache warm; peak RSS is the largest of the runs (\`/usr/bin/time -v\`)."
  echo
  echo "| file | size | mlguard scan | mlguard peak RSS | sha256sum | mlguard / sha256sum |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  for n in "${NAMES[@]}"; do
    printf '| %s | %s | %s s | %s | %s s | %s |\n' "${LABEL[$n]}" "$(human "${SIZE[$n]}")" "$(fmt "${T[mlguard-$n]}" %.3f)" \
      "$(mib_of_kb "${RSS[mlguard-$n]}")" "$(fmt "${T[sha256sum-$n]}" %.3f)" "$(ratio "${T[mlguard-$n]}" "${T[sha256sum-$n]}")"
  done
  echo
  echo "| file | expected | mlguard reported | exit | verdict |"
  echo "| --- | --- | --- | ---: | --- |"
  for n in "${NAMES[@]}"; do
    printf '| %s | %s | %s | %s | %s |\n' "${LABEL[$n]}" "${EXPECT[$n]}" "${FOUND[$n]}" "${RC[$n]}" \
      "$([[ ${RIGHT[$n]} == right ]] && echo right || echo '**WRONG**')"
  done
  echo
  echo "| file | bytes mlguard read beyond start-up (rchar) | share of the file | mlguard CPU (user+sys) | fastest mlguard | fastest sha256sum |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  for n in "${NAMES[@]}"; do
    beyond=$(( READ[$n] - START_READ )); (( beyond < 0 )) && beyond=0
    printf '| %s | %s | %s | %s s | %s s | %s s |\n' "${LABEL[$n]}" "$(human "$beyond")" \
      "$(awk -v a="$beyond" -v b="${SIZE[$n]}" 'BEGIN { printf "%.1f %%", 100 * a / b }')" "${CPU[mlguard-$n]}" \
      "$(fmt "${TMIN[mlguard-$n]}" %.3f)" "$(fmt "${TMIN[sha256sum-$n]}" %.3f)"
  done
  echo
  echo "The 4 KiB reference read $(human "$START_READ") in all (start-up); archive/data.pkl is $(human "$DATA_PKL_BYTES")."
  echo "Generated with \`logs/generate.py\`; the files' SHA-256 digests are in \`logs/sha256sums.txt\` (the same on every run of the same scale)."
} >"$REPORT"
cat "$REPORT"

if (( ${#WRONG[@]} > 0 )); then
  log "wrong verdicts: $(for n in "${WRONG[@]}"; do printf '%s (%s, expected %s) ' "${FILE[$n]}" "${FOUND[$n]}" "${EXPECT[$n]}"; done)"
  exit 1
fi
log "all verdicts right"
