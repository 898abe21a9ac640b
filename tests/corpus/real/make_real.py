#!/usr/bin/python3
"""Writes tests/corpus/real/files/: benign model files produced by the real ML libraries, merges their entries into
tests/corpus/manifest.json (every entry expects "clean") and writes globals.tsv, the globals every pickle stream in
those files imports (read statically, see writers/pickle_globals.py).

Run with Debian 12's interpreter and packages (setup.sh installs them; see README.md):

    tests/corpus/real/setup.sh && /usr/bin/python3 tests/corpus/real/make_real.py

Every file is written by the library's own save call (torch.save, torch.jit.save, pickle.dump of fitted estimators,
joblib.dump, numpy.save/savez, scipy.sparse.save_npz, DataFrame.to_pickle, XGBoost save_model, onnx.save_model,
h5py). No bytes are written by hand. Seeds are fixed and the models tiny; see README.md for which outputs still differ
between runs. This script only saves; it never loads a model file.
"""

import importlib.util
import json
import os
import random
import shutil
import sys
import warnings

sys.dont_write_bytecode = True  # no __pycache__ next to the writers

from writers import common  # noqa: E402
from writers.common import CORPUS, ENTRIES, FILES, PREFIX, SUPPORT  # noqa: E402
from writers.pickle_globals import cross_check, globals_in_file  # noqa: E402

MANIFEST = os.path.join(CORPUS, "manifest.json")
GLOBALS_TSV = os.path.join(common.HERE, "globals.tsv")

MAX_FILE = 200 * 1024
MAX_TOTAL = 4 * 1024 * 1024

LIBRARIES = ("numpy", "torch", "sklearn", "joblib", "onnx", "h5py", "pandas", "scipy", "xgboost")


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


def on_disk():
    return sorted(PREFIX + os.path.relpath(os.path.join(root, f), FILES).replace(os.sep, "/")
                  for root, _, fs in os.walk(FILES) for f in fs)


def check():
    files = on_disk()
    covered = sorted([e["file"] for e in ENTRIES if os.path.isfile(os.path.join(CORPUS, e["file"]))] + SUPPORT)
    assert files == covered, "manifest and files/ differ: %s" % sorted(set(files) ^ set(covered))
    total = 0
    for name in files:
        size = os.path.getsize(os.path.join(CORPUS, name))
        assert size < MAX_FILE, "%s is %d bytes" % (name, size)
        total += size
    assert total < MAX_TOTAL, "total %d bytes" % total
    return files, total


def write_globals(files):
    """globals.tsv: file, member (zip member, '-' for a whole-file pickle, <codec> for a compressed one), module,
    name; one row per distinct global per stream."""
    rows, checked = set(), 0
    for name in files:
        checked += cross_check(os.path.join(CORPUS, name))
        for member, found in globals_in_file(os.path.join(CORPUS, name)):
            for module, attr in found:
                rows.add((name[len(PREFIX):], member, module, attr))
    with open(GLOBALS_TSV, "w", encoding="utf-8", newline="\n") as f:
        f.write("file\tmember\tmodule\tname\n")
        for row in sorted(rows):
            f.write("\t".join(row) + "\n")
    return rows, checked


def main():
    if os.environ.get("PYTHONHASHSEED") != "0":
        # TorchScript emits a module's constants in set order: fix string hashing so two runs write the same code/.
        os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, PYTHONHASHSEED="0"))
    random.seed(0)
    warnings.simplefilter("ignore")  # deprecation and convergence noise from tiny models on old library versions
    # Refuse to run without every library: a partial run would delete committed files it cannot write again.
    missing = [m for m in LIBRARIES if importlib.util.find_spec(m) is None]
    if missing and "--allow-missing" not in sys.argv[1:]:
        sys.exit("missing %s (use Debian's /usr/bin/python3 after setup.sh, see README.md; --allow-missing writes "
                 "only the rest)" % ", ".join(missing))
    if os.path.isdir(FILES):
        shutil.rmtree(FILES)
    os.makedirs(FILES)

    available = {m: __import__(m) for m in LIBRARIES if m not in missing}
    from writers import data_files, onnx_h5_files, sklearn_files, torch_files, xgboost_files
    np = available.get("numpy")
    if np is not None:
        np.random.seed(0)
        data_files.gen_numpy(np)
    if "torch" in available:
        torch_files.gen_torch(available["torch"])
    if "sklearn" in available:
        sklearn_files.gen_sklearn(available["sklearn"], available.get("joblib"))
    if "xgboost" in available:
        xgboost_files.gen_xgboost(available["xgboost"], available.get("joblib"))
    if "scipy" in available:
        data_files.gen_scipy(available["scipy"])
    if "pandas" in available:
        data_files.gen_pandas(available["pandas"])
    if "onnx" in available:
        onnx_h5_files.gen_onnx(available["onnx"])
    if "h5py" in available:
        onnx_h5_files.gen_h5py(available["h5py"])

    ENTRIES.sort(key=lambda e: e["file"])
    files, total = check()
    merge_manifest()
    rows, checked = write_globals(files)
    distinct = {(r[2], r[3]) for r in rows}
    print("wrote %d files (%d bytes) under %s; %d manifest entries (all clean); globals.tsv: %d rows, %d distinct "
          "module.name; %d pickle streams read alike by the static reader and by pickle's Unpickler"
          % (len(files), total, FILES, len(ENTRIES), len(rows), len(distinct), checked))


if __name__ == "__main__":
    main()
