"""Where format samples go and the manifest entries they get."""

import os

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.dirname(HERE)
FILES = os.path.join(HERE, "files")
PREFIX = "formats/files/"

ENTRIES = []
SUPPORT = []  # files covered only by their folder's entry


def out(name):
    path = os.path.join(FILES, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def write_bytes(name, data):
    with open(out(name), "wb") as f:
        f.write(data)


def write_text(name, text):
    write_bytes(name, text.encode("utf-8"))


def record(name, how, what):
    """how: 'library' (written by the real library) or 'generator' (our code, following the published format)."""
    assert os.path.exists(os.path.join(FILES, name)), name
    source = {"library": "written by the real library", "generator": "written by make_formats.py following the "
                                                                       "published format"}[how]
    ENTRIES.append({"file": PREFIX + name, "expect": "clean", "why": "%s (%s)" % (what, source)})


def support(name):
    assert os.path.isfile(os.path.join(FILES, name)), name
    SUPPORT.append(PREFIX + name)
