"""Lists the globals every pickle stream in a file imports, read statically: pickletools.genops plus a small stack and
memo emulation (enough to resolve STACK_GLOBAL operands and joblib's array wrappers). Nothing is ever unpickled.

Handles: raw pickles (several in a row, as the legacy torch format writes), zip archives (torch.save, TorchScript,
np.savez: every *.pkl / *.debug_pkl member and every .npy member holding an object array), .npy files with object
arrays, joblib's raw array data between pickle opcodes and its nested pickles of object arrays, and files compressed
with zlib, gzip, bz2, xz or lzma (joblib's compressors, pandas' .pkl.gz)."""

import bz2
import gzip
import io
import lzma
import pickletools
import zipfile
import zlib

MARK = object()


class Global:
    def __init__(self, module, name):
        self.module, self.name = module, name


class Call:
    """The result of REDUCE / NEWOBJ / OBJ / INST: a callee, its arguments and (after BUILD) its state."""

    def __init__(self, callee, args):
        self.callee, self.args, self.state = callee, args, None


class Opaque:
    pass


class PDict:
    def __init__(self, pairs=()):
        self.pairs = list(pairs)

    def get(self, key):
        for k, v in self.pairs:
            if k == key:
                return v
        return None


LITERAL = {"INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "STRING", "BINSTRING",
           "SHORT_BINSTRING", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8", "UNICODE", "BINUNICODE",
           "SHORT_BINUNICODE", "BINUNICODE8", "FLOAT", "BINFLOAT"}
CONSTANT = {"NONE": None, "NEWTRUE": True, "NEWFALSE": False}
TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def _pop_mark(stack):
    items = []
    while stack:
        v = stack.pop()
        if v is MARK:
            break
        items.append(v)
    items.reverse()
    return items


def read_pickle(f, found, depth=0):
    """Reads one pickle stream from the file object f (positioned at its first opcode) and appends every imported
    (module, name) to found. Returns the value the stream builds, as far as the emulation knows it."""
    stack, memo = [], {}
    top = None
    for op, arg, _pos in pickletools.genops(f):
        name = op.name
        if name in LITERAL:
            stack.append(arg)
        elif name in CONSTANT:
            stack.append(CONSTANT[name])
        elif name == "MARK":
            stack.append(MARK)
        elif name in ("EMPTY_LIST", "EMPTY_SET"):
            stack.append([])
        elif name == "EMPTY_DICT":
            stack.append(PDict())
        elif name == "EMPTY_TUPLE":
            stack.append(())
        elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
            n = int(name[-1])
            items = tuple(stack[-n:])
            del stack[-n:]
            stack.append(items)
        elif name == "TUPLE":
            stack.append(tuple(_pop_mark(stack)))
        elif name == "LIST":
            stack.append(_pop_mark(stack))
        elif name == "DICT":
            items = _pop_mark(stack)
            stack.append(PDict(zip(items[::2], items[1::2])))
        elif name == "FROZENSET":
            stack.append(_pop_mark(stack))
        elif name == "APPEND":
            v = stack.pop()
            if isinstance(stack[-1], list):
                stack[-1].append(v)
        elif name in ("APPENDS", "ADDITEMS"):
            items = _pop_mark(stack)
            if isinstance(stack[-1], list):
                stack[-1].extend(items)
        elif name == "SETITEM":
            v, k = stack.pop(), stack.pop()
            if isinstance(stack[-1], PDict):
                stack[-1].pairs.append((k, v))
        elif name == "SETITEMS":
            items = _pop_mark(stack)
            if isinstance(stack[-1], PDict):
                stack[-1].pairs.extend(zip(items[::2], items[1::2]))
        elif name == "POP":
            stack.pop()
        elif name == "POP_MARK":
            _pop_mark(stack)
        elif name == "DUP":
            stack.append(stack[-1])
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            stack.append(memo[arg])
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[arg] = stack[-1]
        elif name == "MEMOIZE":
            memo[len(memo)] = stack[-1]
        elif name == "GLOBAL":
            module, _, attr = arg.partition(" ")
            found.append((module, attr))
            stack.append(Global(module, attr))
        elif name == "STACK_GLOBAL":
            attr, module = stack.pop(), stack.pop()
            module = module if isinstance(module, str) else "?"
            attr = attr if isinstance(attr, str) else "?"
            found.append((module, attr))
            stack.append(Global(module, attr))
        elif name == "INST":
            module, _, attr = arg.partition(" ")
            found.append((module, attr))
            stack.append(Call(Global(module, attr), tuple(_pop_mark(stack))))
        elif name == "OBJ":
            items = _pop_mark(stack)
            stack.append(Call(items[0] if items else None, tuple(items[1:])))
        elif name in ("REDUCE", "NEWOBJ"):
            args, callee = stack.pop(), stack.pop()
            stack.append(Call(callee, args))
        elif name == "NEWOBJ_EX":
            _kwargs, args, callee = stack.pop(), stack.pop(), stack.pop()
            stack.append(Call(callee, args))
        elif name == "BUILD":
            state = stack.pop()
            target = stack[-1]
            if isinstance(target, Call):
                target.state = state
                _skip_joblib_array(f, target, found, depth)
        elif name == "BINPERSID":
            stack.pop()
            stack.append(Opaque())
        elif name in ("PERSID", "EXT1", "EXT2", "EXT4", "NEXT_BUFFER"):
            if name.startswith("EXT"):
                found.append(("<copyreg extension>", str(arg)))
            stack.append(Opaque())
        elif name == "STOP":
            top = stack.pop() if stack else None
        elif name in ("PROTO", "FRAME", "READONLY_BUFFER"):
            pass
        else:
            raise ValueError("opcode %s not handled" % name)
    return top


def _skip_joblib_array(f, wrapper, found, depth):
    """joblib writes an array's bytes right after its NumpyArrayWrapper's BUILD (an optional padding-length byte and
    padding first), or a nested pickle for an object array. Steps over the bytes, or reads the nested pickle."""
    callee = wrapper.callee
    if not (isinstance(callee, Global) and callee.module == "joblib.numpy_pickle"
            and callee.name == "NumpyArrayWrapper" and isinstance(wrapper.state, PDict)):
        return
    import numpy as np  # only to size a dtype string read from the stream; nothing is unpickled
    state = wrapper.state
    dtype = state.get("dtype")
    descr = dtype.args[0] if isinstance(dtype, Call) and isinstance(dtype.args, tuple) and dtype.args else None
    if not isinstance(descr, str):
        raise ValueError("joblib array wrapper without a readable dtype")
    if np.dtype(descr).hasobject:  # a nested protocol-2 pickle, never padded
        read_pickle(f, found, depth + 1)
        return
    if state.get("numpy_array_alignment_bytes"):
        padding = f.read(1)[0]
        f.read(padding)
    count = 1
    for dim in state.get("shape"):
        count *= dim
    f.seek(count * np.dtype(descr).itemsize, io.SEEK_CUR)


def _npy_pickle_offset(data):
    """The offset of the pickle in a .npy holding an object array, or None for a plain array."""
    if not data.startswith(b"\x93NUMPY"):
        return None
    major = data[6]
    if major == 1:
        length, start = int.from_bytes(data[8:10], "little"), 10
    else:
        length, start = int.from_bytes(data[8:12], "little"), 12
    header = data[start:start + length].decode("latin1")
    return start + length if "'descr': '|O'" in header or "'descr': 'O'" in header else None


def _pickle_streams(data, found_by_member, member):
    """Reads the pickle stream(s) of one byte string."""
    f = io.BytesIO(data)
    found = []
    first = read_pickle(f, found)
    if first == TORCH_LEGACY_MAGIC:  # legacy torch.save: magic, protocol, sys_info, data, storage keys
        found_by_member.append((member + " [pickle 1/5: magic number]", found))
        for i, what in enumerate(("protocol version", "sys_info", "data", "storage keys"), start=2):
            found = []
            read_pickle(f, found)
            found_by_member.append((member + " [pickle %d/5: %s]" % (i, what), found))
        return
    if f.tell() != len(data):
        raise ValueError("%s: %d bytes after the pickle's STOP" % (member, len(data) - f.tell()))
    found_by_member.append((member, found))


DECOMPRESSORS = [
    (b"\x1f\x8b", "gzip", gzip.decompress),
    (b"BZh", "bz2", bz2.decompress),
    (b"\xfd7zXZ\x00", "xz", lzma.decompress),
    (b"\x5d\x00\x00", "lzma", lambda d: lzma.decompress(d, format=lzma.FORMAT_ALONE)),
    (b"\x78\x01", "zlib", zlib.decompress), (b"\x78\x5e", "zlib", zlib.decompress),
    (b"\x78\x9c", "zlib", zlib.decompress), (b"\x78\xda", "zlib", zlib.decompress),
]


def globals_in_file(path):
    """[(member, [(module, name), ...]), ...] for every pickle stream in the file; [] when it holds none."""
    try:
        return _globals_in_file(path)
    except Exception as e:
        raise ValueError("%s: %s" % (path, e)) from e


def pickle_payloads(data):
    """[(member, bytes of its pickle stream(s))] for one file's bytes: zip members (*.pkl, *.debug_pkl, object-array
    .npy), an object-array .npy, a compressed pickle, or a raw pickle."""
    if data.startswith(b"PK\x03\x04"):
        payloads = []
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for info in z.infolist():
                raw = z.read(info)
                if info.filename.endswith((".pkl", ".debug_pkl")):
                    payloads.append((info.filename, raw))
                elif info.filename.endswith(".npy") and _npy_pickle_offset(raw) is not None:
                    payloads.append((info.filename, raw[_npy_pickle_offset(raw):]))
        return payloads
    offset = _npy_pickle_offset(data)
    if offset is not None:
        return [("-", data[offset:])]
    for magic, what, decompress in DECOMPRESSORS:
        if data.startswith(magic):
            return [("<%s>" % what, decompress(data))]
    return [("-", data)] if data[:1] == b"\x80" else []


def _globals_in_file(path):
    with open(path, "rb") as fh:
        data = fh.read()
    result = []
    for member, payload in pickle_payloads(data):
        _pickle_streams(payload, result, member)
    return result


# --------------------------------------------------------------------------------------------------------------------
# Cross-check for files this generator has just written: pickle's own Unpickler records every find_class call while
# every global resolves to an inert stand-in (nothing real is imported or called), and the result must equal the
# static reading. joblib files are left out (their array bytes need joblib's unpickler); for them the static reader
# already checks that it stepped over every array and ended exactly at the end of the stream.

class _StubMeta(type):
    """Every stand-in is a class whose calls, NEWOBJ, BUILD, APPEND(S) and SETITEM(S) give or accept more
    stand-ins, so any stream loads to the end without running anything."""

    def __call__(cls, *args, **kwargs):
        return _stub()

    def __setstate__(cls, state):
        pass

    def __setitem__(cls, key, value):
        pass

    def append(cls, value):
        pass

    def extend(cls, values):
        pass


def _stub():
    return _StubMeta("Stub", (), {"__new__": staticmethod(lambda cls, *args, **kwargs: _stub())})


class _RecordingUnpickler(__import__("pickle").Unpickler):
    def __init__(self, f, found):
        super().__init__(f, fix_imports=False)
        self.found = found

    def find_class(self, module, name):
        self.found.append((module, name))
        return _stub()

    def persistent_load(self, pid):
        return _stub()


def _unpickled_globals(data, legacy):
    f = io.BytesIO(data)
    streams = []
    for _ in range(5 if legacy else 1):
        found = []
        _RecordingUnpickler(f, found).load()
        streams.append(found)
    return streams


def cross_check(path):
    """Raises if the static reading of a file this generator wrote differs from what pickle's own Unpickler (with
    inert stand-ins for every global) asks for; returns how many streams were compared."""
    with open(path, "rb") as fh:
        data = fh.read()
    if path.endswith(".joblib"):
        return 0
    static = globals_in_file(path)
    payloads = [payload for _, payload in pickle_payloads(data)]
    dynamic = []
    for payload in payloads:
        legacy = payload.startswith(b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19")
        dynamic.extend(_unpickled_globals(payload, legacy))
    static_sets = [set(found) for _, found in static]
    dynamic_sets = [set(found) for found in dynamic]
    if static_sets != dynamic_sets:
        raise ValueError("%s: static %s != unpickler %s" % (path, static_sets, dynamic_sets))
    return len(dynamic_sets)
