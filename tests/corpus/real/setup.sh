#!/usr/bin/env bash
# Installs the Debian 12 packages that make_real.py and ../formats/make_formats.py need (PyPI is not reachable, so
# the libraries come from Debian and run under Debian's /usr/bin/python3, not a pyenv/virtualenv python3).
# Idempotent and quiet: does nothing when every package is already installed. Needs root (apt-get).
set -euo pipefail

packages=(python3-torch python3-sklearn python3-pandas python3-scipy python3-joblib python3-xgboost python3-numpy
          python3-h5py python3-onnx python3-flatbuffers python3-protobuf python3-yaml)

missing=()
for p in "${packages[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
  echo "setup.sh: missing Debian packages: ${missing[*]} (run this script as root on Debian 12, or install them)" >&2
  exit 3
fi
if ! output=$( { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}"; } 2>&1); then
  echo "setup.sh: apt-get install ${missing[*]} failed:" >&2
  echo "$output" >&2
  exit 1
fi
