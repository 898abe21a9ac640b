#!/usr/bin/python3
"""Writes tests/corpus/formats/files/: one or more samples of each model format the scanner must recognise that is not
a pickle (LightGBM text, TensorFlow Lite, Core ML .mlmodel/.mlpackage, PMML, Hugging Face folders with safetensors
and tokenizer files, YAML configurations), and merges their entries into tests/corpus/manifest.json (every entry expects "clean").

Run with Debian 12's interpreter after ../real/setup.sh (python3-flatbuffers, python3-protobuf, python3-numpy,
python3-yaml):

    /usr/bin/python3 tests/corpus/formats/make_formats.py

XGBoost JSON/UBJSON and TorchScript samples are written by the real libraries in ../real (see README.md). The YAML
files here are written by PyYAML; every other file by this generator following the format's published structure
(README.md says which source each follows). Output is the same on every run."""

import json
import os
import shutil
import sys

sys.dont_write_bytecode = True

from formatgen.common import CORPUS, ENTRIES, FILES, PREFIX, SUPPORT  # noqa: E402

MANIFEST = os.path.join(CORPUS, "manifest.json")
MAX_TOTAL = 256 * 1024


def merge_manifest():
    with open(MANIFEST, encoding="utf-8") as f:
        entries = json.load(f)
    entries = [e for e in entries if not e["file"].startswith(PREFIX)] + ENTRIES
    entries.sort(key=lambda e: e["file"])
    assert len({e["file"] for e in entries}) == len(entries), "duplicate manifest entries"
    with open(MANIFEST, "w", encoding="utf-8", newline="\n") as f:
        json.dump(entries, f, indent=2, ensure_ascii=False)
        f.write("\n")


def check():
    on_disk = sorted(PREFIX + os.path.relpath(os.path.join(root, f), FILES).replace(os.sep, "/")
                     for root, _, fs in os.walk(FILES) for f in fs)
    files = [e["file"] for e in ENTRIES if os.path.isfile(os.path.join(CORPUS, e["file"]))]
    assert sorted(files + SUPPORT) == on_disk, "manifest and files/ differ: %s" % (set(on_disk) ^ set(files + SUPPORT))
    total = sum(os.path.getsize(os.path.join(CORPUS, f)) for f in on_disk)
    assert total < MAX_TOTAL, "total %d bytes" % total
    return on_disk, total


def main():
    from formatgen import config_files, coreml, huggingface, lightgbm_text, pmml, tflite
    if os.path.isdir(FILES):
        shutil.rmtree(FILES)
    os.makedirs(FILES)
    lightgbm_text.gen_lightgbm()
    tflite.gen_tflite()
    coreml.gen_coreml()
    pmml.gen_pmml()
    huggingface.gen_huggingface()
    config_files.gen_configs()
    ENTRIES.sort(key=lambda e: e["file"])
    on_disk, total = check()
    merge_manifest()
    print("wrote %d files (%d bytes) under %s; %d manifest entries (all clean)" % (len(on_disk), total, FILES,
                                                                                  len(ENTRIES)))


if __name__ == "__main__":
    main()
