#!/usr/bin/env bash
# Usage: scripts/install-deps.sh
# Installs the Debian 12 packages bertgrid builds, tests and runs with, when any is missing.
# Needs root (or sudo). Does nothing when everything is present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools
  libtomlplusplus-dev libcli11-dev libgtest-dev libutf8proc-dev nlohmann-json3-dev libssl-dev
  python3 python3-pandas python3-matplotlib python3-h5py python3-pytest
  python3-sklearn python3-numpy python3-torch
  # an optimised BLAS: without it libtorch falls back to the reference BLAS, ~30x slower
  libopenblas0-pthread
  # make sanitize / make fuzz: clang's ASan, UBSan and libFuzzer runtimes; llvm-cov for coverage
  clang-14 libclang-rt-14-dev llvm-14
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node and npm run the HF tokenizer oracle in the tests; any install of them will do.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
