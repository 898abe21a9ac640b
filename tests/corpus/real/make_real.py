#!/usr/bin/python3
"""Writes tests/corpus/real/files/: benign model files produced by the real ML libraries, and merges their entries
into tests/corpus/manifest.json (every entry expects "clean").

Run with Debian 12's interpreter and packages (see README.md):

    /usr/bin/python3 tests/corpus/real/make_real.py

Every file is written by the library's own save call (torch.save, pickle.dump of fitted estimators, joblib.dump,
numpy.save/savez, onnx.save_model, h5py, DataFrame.to_pickle). No bytes are written by hand. Seeds are fixed and the
models tiny; see README.md for which outputs still differ between runs (timestamps and memory addresses that the
libraries write themselves).

This script only saves; it never loads any model file.
"""

import importlib.util
import json
import os
import pickle
import random
import shutil
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.dirname(HERE)
FILES = os.path.join(HERE, "files")
MANIFEST = os.path.join(CORPUS, "manifest.json")
PREFIX = "real/files/"

MAX_FILE = 200 * 1024
MAX_TOTAL = 2 * 1024 * 1024

ENTRIES = []
SUPPORT = []  # files covered only by a folder entry (the ONNX external-data model and its weights.bin)


def rel(name):
    return PREFIX + name


def record(name, library, version, what):
    path = os.path.join(FILES, name)
    assert os.path.exists(path), path
    ENTRIES.append({"file": rel(name), "expect": "clean",
                    "why": "real %s %s output: %s" % (library, version, what)})


def out(name):
    path = os.path.join(FILES, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def debian_version(package):
    """The installed Debian package version (e.g. '1.13.1+dfsg-4'), or None off Debian."""
    try:
        import subprocess
        v = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True,
                           check=True).stdout.strip()
        return v or None
    except (OSError, subprocess.CalledProcessError):
        return None


def try_import(name):
    try:
        return __import__(name)
    except ImportError as e:
        print("skipping %s: %s" % (name, e), file=sys.stderr)
        return None


# --------------------------------------------------------------------------------------------------------------------
# PyTorch

def gen_torch(torch):
    v = torch.__version__
    deb = debian_version("python3-torch")
    if deb:
        v = "%s (Debian python3-torch %s)" % (v, deb)  # Debian's build reports 1.13.0a0 for 1.13.1
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))

    torch.save(model.state_dict(), out("torch_state_dict.pt"))
    record("torch_state_dict.pt", "torch", v,
           "torch.save(state_dict) of nn.Sequential(Linear(4,8), ReLU, Linear(8,2)), default zip format")

    torch.save(model.state_dict(), out("torch_state_dict_legacy.pt"), _use_new_zipfile_serialization=False)
    record("torch_state_dict_legacy.pt", "torch", v,
           "torch.save(state_dict, _use_new_zipfile_serialization=False) of the same Sequential, legacy "
           "(pre-1.6) format: magic/protocol/sys_info pickles, data pickle, storage keys, raw storages")

    torch.save(model, out("torch_full_model.pt"))
    record("torch_full_model.pt", "torch", v,
           "torch.save(model) of the whole nn.Sequential (pickles torch.nn.modules.container.Sequential, "
           "torch.nn.modules.linear.Linear, torch.nn.modules.activation.ReLU, torch._utils._rebuild_parameter), "
           "default zip format")

    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    x = torch.randn(5, 4)
    loss = model(x).pow(2).mean()
    loss.backward()
    opt.step()
    torch.save(opt.state_dict(), out("torch_adam_state_dict.pt"))
    record("torch_adam_state_dict.pt", "torch", v,
           "torch.save(optimizer.state_dict()) of torch.optim.Adam after one step (state: step/exp_avg/exp_avg_sq "
           "tensors per parameter; param_groups with floats, bools, None), default zip format")


# --------------------------------------------------------------------------------------------------------------------
# scikit-learn + joblib

JOBLIB_VARIANTS = [
    # (suffix, compress argument, description)
    ("", 0, "joblib.dump, no compression"),
    ("_zlib3", 3, "joblib.dump(compress=3) (zlib)"),
    ("_gzip3", ("gzip", 3), "joblib.dump(compress=('gzip', 3))"),
    ("_bz2_3", ("bz2", 3), "joblib.dump(compress=('bz2', 3))"),
    ("_xz3", ("xz", 3), "joblib.dump(compress=('xz', 3))"),
    ("_lzma3", ("lzma", 3), "joblib.dump(compress=('lzma', 3))"),
]


def gen_sklearn(sklearn, joblib):
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    v = sklearn.__version__
    X, y = make_classification(n_samples=40, n_features=4, n_informative=3, n_redundant=0, random_state=0)
    X = X.astype(np.float64)

    models = [
        ("sklearn_logreg", LogisticRegression(random_state=0).fit(X, y),
         "fitted LogisticRegression (4 features, 2 classes)"),
        ("sklearn_pipeline_rf", Pipeline([("scale", StandardScaler()),
                                          ("rf", RandomForestClassifier(n_estimators=3, max_depth=3,
                                                                        random_state=0))]).fit(X, y),
         "fitted Pipeline(StandardScaler, RandomForestClassifier(n_estimators=3, max_depth=3)) "
         "(sklearn.tree._tree.Tree objects, numpy arrays)"),
        ("sklearn_kmeans", KMeans(n_clusters=3, n_init=10, random_state=0).fit(X),
         "fitted KMeans(n_clusters=3)"),
    ]

    for stem, model, what in models:
        for proto in (4, 5):
            name = "%s_p%d.pkl" % (stem, proto)
            with open(out(name), "wb") as f:
                pickle.dump(model, f, protocol=proto)
            record(name, "scikit-learn", v,
                   "pickle.dump(protocol=%d, Python %d.%d) of a %s" % (proto, sys.version_info[0],
                                                                        sys.version_info[1], what))
        if joblib is None:
            continue
        for suffix, compress, how in JOBLIB_VARIANTS:
            name = "%s%s.joblib" % (stem, suffix)
            joblib.dump(model, out(name), compress=compress)
            record(name, "scikit-learn %s + joblib" % v, joblib.__version__, "%s of a %s" % (how, what))


# --------------------------------------------------------------------------------------------------------------------
# numpy

def gen_numpy(np):
    v = np.__version__
    rng = np.random.RandomState(0)
    f32 = rng.standard_normal((3, 4)).astype(np.float32)
    i64 = np.arange(12, dtype=np.int64).reshape(4, 3)

    np.save(out("numpy_float32.npy"), f32)
    record("numpy_float32.npy", "numpy", v, "np.save of a float32 (3, 4) array")
    np.save(out("numpy_int64.npy"), i64)
    record("numpy_int64.npy", "numpy", v, "np.save of an int64 (4, 3) array")
    np.save(out("numpy_float64_fortran.npy"), np.asfortranarray(rng.standard_normal((2, 5))))
    record("numpy_float64_fortran.npy", "numpy", v, "np.save of a Fortran-ordered float64 (2, 5) array")
    np.savez(out("numpy_savez.npz"), weights=f32, index=i64)
    record("numpy_savez.npz", "numpy", v, "np.savez (stored zip) of float32 and int64 arrays")
    np.savez_compressed(out("numpy_savez_compressed.npz"), weights=f32, index=i64)
    record("numpy_savez_compressed.npz", "numpy", v, "np.savez_compressed (deflated zip) of float32 and int64 arrays")


# --------------------------------------------------------------------------------------------------------------------
# ONNX

def gen_onnx(onnx):
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    v = onnx.__version__
    rng = np.random.RandomState(0)
    w = numpy_helper.from_array(rng.standard_normal((4, 3)).astype(np.float32), name="W")
    b = numpy_helper.from_array(rng.standard_normal((3,)).astype(np.float32), name="B")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["XW"], name="matmul"),
         helper.make_node("Add", ["XW", "B"], ["Y"], name="add")],
        "tiny_linear",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 3])],
        initializer=[w, b])
    model = helper.make_model(graph, producer_name="mlbuildguard-corpus",
                              opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)

    onnx.save_model(model, out("onnx_matmul_add.onnx"))
    record("onnx_matmul_add.onnx", "onnx", v,
           "onnx.helper MatMul+Add graph (opset 13, initializers W float32 (4,3) and B (3,)) saved with "
           "onnx.save_model, weights inline")

    ext = onnx.ModelProto()
    ext.CopyFrom(model)
    os.makedirs(os.path.join(FILES, "onnx_external"), exist_ok=True)
    onnx.save_model(ext, out("onnx_external/model.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
    SUPPORT.extend([rel("onnx_external/model.onnx"), rel("onnx_external/weights.bin")])
    ENTRIES.append({"file": rel("onnx_external"), "expect": "clean",
                    "why": "real onnx %s output: folder scan: the same MatMul+Add model saved with "
                           "onnx.save_model(save_as_external_data=True, all_tensors_to_one_file=True, "
                           "location='weights.bin', size_threshold=0) -> model.onnx + weights.bin" % v})


# --------------------------------------------------------------------------------------------------------------------
# h5py

def gen_h5py(h5py):
    import numpy as np
    rng = np.random.RandomState(0)
    with h5py.File(out("h5py_datasets.h5"), "w", track_order=False) as f:
        f.attrs["description"] = "mlbuildguard corpus"
        g = f.create_group("layer0")
        g.create_dataset("kernel", data=rng.standard_normal((4, 3)).astype(np.float32), track_times=False)
        g.create_dataset("bias", data=np.zeros(3, dtype=np.float32), track_times=False)
        f.create_dataset("steps", data=np.arange(10, dtype=np.int64), track_times=False,
                         compression="gzip", chunks=(5,))
    record("h5py_datasets.h5", "h5py", "%s (HDF5 %s)" % (h5py.__version__, h5py.version.hdf5_version),
           "h5py.File with a root attribute, group layer0 with float32 datasets kernel/bias, and a chunked "
           "gzip-compressed int64 dataset (no Keras)")


# --------------------------------------------------------------------------------------------------------------------
# pandas

def gen_pandas(pd):
    import numpy as np
    df = pd.DataFrame({"feature": np.arange(5, dtype=np.float64) / 2,
                       "label": np.array([0, 1, 0, 1, 1], dtype=np.int64),
                       "name": ["a", "b", "c", "d", "e"]})
    df.to_pickle(out("pandas_dataframe.pkl"))
    record("pandas_dataframe.pkl", "pandas", pd.__version__,
           "DataFrame.to_pickle (default protocol %d) of a 5-row frame with float64, int64 and object (str) "
           "columns and a RangeIndex" % pickle.HIGHEST_PROTOCOL)


# --------------------------------------------------------------------------------------------------------------------

def merge_manifest():
    with open(MANIFEST, encoding="utf-8") as f:
        entries = json.load(f)
    entries = [e for e in entries if not e["file"].startswith(PREFIX)] + ENTRIES
    entries.sort(key=lambda e: e["file"])
    files = [e["file"] for e in entries]
    assert len(files) == len(set(files)), "duplicate manifest entries"
    with open(MANIFEST, "w", encoding="utf-8", newline="\n") as f:
        json.dump(entries, f, indent=2, ensure_ascii=False)
        f.write("\n")


def check():
    on_disk = sorted(PREFIX + os.path.relpath(os.path.join(root, f), FILES).replace(os.sep, "/")
                     for root, _, fs in os.walk(FILES) for f in fs)
    covered = sorted([e["file"] for e in ENTRIES if os.path.isfile(os.path.join(CORPUS, e["file"]))] + SUPPORT)
    assert on_disk == covered, "manifest and files/ differ: %s" % sorted(set(on_disk) ^ set(covered))
    total = 0
    for name in on_disk:
        size = os.path.getsize(os.path.join(CORPUS, name))
        assert size < MAX_FILE, "%s is %d bytes" % (name, size)
        total += size
    assert total < MAX_TOTAL, "total %d bytes" % total
    return on_disk, total


def main():
    random.seed(0)
    warnings.simplefilter("ignore", UserWarning)  # e.g. torch's "Failed to initialize NumPy" noise on some builds
    # Refuse to run without every library: a partial run would delete committed files it cannot write again.
    missing = [m for m in ("numpy", "torch", "sklearn", "joblib", "onnx", "h5py", "pandas")
               if importlib.util.find_spec(m) is None]
    if missing and "--allow-missing" not in sys.argv[1:]:
        sys.exit("missing %s (use Debian's /usr/bin/python3, see README.md; --allow-missing writes only the rest)"
                 % ", ".join(missing))
    if os.path.isdir(FILES):
        shutil.rmtree(FILES)
    os.makedirs(FILES)

    np = try_import("numpy")
    if np is not None:
        np.random.seed(0)
        gen_numpy(np)
    torch = try_import("torch")
    if torch is not None:
        gen_torch(torch)
    sklearn = try_import("sklearn")
    joblib = try_import("joblib")
    if sklearn is not None:
        gen_sklearn(sklearn, joblib)
    onnx = try_import("onnx")
    if onnx is not None:
        gen_onnx(onnx)
    h5py = try_import("h5py")
    if h5py is not None:
        gen_h5py(h5py)
    pd = try_import("pandas")
    if pd is not None:
        gen_pandas(pd)

    ENTRIES.sort(key=lambda e: e["file"])
    on_disk, total = check()
    merge_manifest()
    print("wrote %d files (%d bytes) under %s; %d manifest entries (all clean)"
          % (len(on_disk), total, FILES, len(ENTRIES)))


if __name__ == "__main__":
    main()
