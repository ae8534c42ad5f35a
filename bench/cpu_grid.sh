#!/usr/bin/env bash
# Usage: bench/cpu_grid.sh [BUILD_DIR] [RANKS...]
#   The demo grid (configs/demo.toml: 3 fine-tunes, the embedding stage, 5 heads, a small randomly
#   initialised DistilBERT, the real split) on the CPU with `mpirun -np N` for each N of RANKS
#   (default "1 2"), one after the other, each in a fresh run directory (so each computes its
#   embeddings). Prints one table: ranks, bertgrid's own seconds (first line to results on disk,
#   MPI start-up apart), the process's wall seconds, and the speed-up against the first N.
#   Data from BERTGRID_DATA (default ../shared/data/hate-speech-dataset). For the training
#   throughput against PyTorch eager see bench/train.sh.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
shift || true
ranks=("$@")
[ ${#ranks[@]} -eq 0 ] && ranks=(1 2)
data="${BERTGRID_DATA:-$here/../shared/data/hate-speech-dataset}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

printf '%-6s %10s %10s %9s\n' ranks "grid s" "wall s" speed-up
first=""
for n in "${ranks[@]}"; do
  start=$(date +%s.%N)
  mpirun --oversubscribe -np "$n" "$build/bertgrid" run --config "$here/configs/demo.toml" \
    --out "$tmp/np$n" --force --data "$data" >"$tmp/np$n.out" 2>"$tmp/np$n.err" ||
    { cat "$tmp/np$n.err" >&2; exit 1; }
  wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  grid=$(sed -n 's/.* not ok, \([0-9.]*\) s (start-up apart.*/\1/p' "$tmp/np$n.err" | tail -1)
  [ -z "$first" ] && first=$grid
  printf '%-6s %10.1f %10s %8.2fx\n' "$n" "$grid" "$wall" "$(awk -v a="$first" -v b="$grid" 'BEGIN{print a/b}')"
done
echo "($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
