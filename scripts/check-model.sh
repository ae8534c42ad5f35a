#!/usr/bin/env bash
# Usage: scripts/check-model.sh DIR [SHA256_FILE]
# Checks the files of a downloaded model directory against pinned SHA-256 sums before use
# (`sha256sum -c`). SHA256_FILE defaults to models/<basename of DIR>.sha256 in this repository.
# Fails when a pinned file is missing or differs; warns about the model files (config.json,
# model.safetensors, vocab.txt) that have no pinned sum yet.
set -euo pipefail
[ $# -ge 1 ] && [ $# -le 2 ] || { sed -n '2,6p' "$0" >&2; exit 2; }
dir=$1
root=$(cd "$(dirname "$0")/.." && pwd)
sums=${2:-$root/models/$(basename "$dir").sha256}
[ -d "$dir" ] || { echo "check-model: $dir: not a directory" >&2; exit 1; }
[ -f "$sums" ] || { echo "check-model: $sums: no pinned sums for this model" >&2; exit 1; }
sums=$(cd "$(dirname "$sums")" && pwd)/$(basename "$sums")
status=0
(cd "$dir" && sha256sum --strict -c "$sums") || status=1
for f in config.json model.safetensors vocab.txt; do
  if ! awk '{print $2}' "$sums" | grep -qx "$f"; then
    echo "check-model: warning: $f has no pinned sha256 in $sums (not checked)" >&2
  fi
done
exit $status
