"""Shared helpers for the real-corpus writers: where files go, and the manifest entries they get."""

import os
import pickle
import subprocess
import sys

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.dirname(HERE)
FILES = os.path.join(HERE, "files")
PREFIX = "real/files/"

ENTRIES = []
SUPPORT = []  # files covered only by a folder entry (the ONNX external-data model and its weights.bin)

PICKLE_PROTOCOLS = (2, 3, 4, 5)


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
        v = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True,
                           check=True).stdout.strip()
        return v or None
    except (OSError, subprocess.CalledProcessError):
        return None


def version_label(module_version, package):
    deb = debian_version(package)
    return "%s (Debian %s %s)" % (module_version, package, deb) if deb else module_version


def python_label():
    return "Python %d.%d" % sys.version_info[:2]


def pickle_all_protocols(stem, obj, library, version, what, protocols=PICKLE_PROTOCOLS):
    """pickle.dump(obj) once per protocol, as <stem>_p<N>.pkl."""
    for proto in protocols:
        name = "%s_p%d.pkl" % (stem, proto)
        with open(out(name), "wb") as f:
            pickle.dump(obj, f, protocol=proto)
        record(name, library, version, "pickle.dump(protocol=%d, %s) of %s" % (proto, python_label(), what))


def pickle_one(name, obj, library, version, what, protocol=pickle.DEFAULT_PROTOCOL):
    with open(out(name), "wb") as f:
        pickle.dump(obj, f, protocol=protocol)
    record(name, library, version, "pickle.dump(protocol=%d, %s) of %s" % (protocol, python_label(), what))
