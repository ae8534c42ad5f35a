#!/usr/bin/env bash
# Usage: bench/forward.sh [BUILD_DIR] [THREADS]
# CPU encoder-forward throughput, C++ (build/bench_forward) against plain PyTorch eager
# (bench/forward_eager.py, run by /usr/bin/python3 with Debian's python3-torch), on the same
# token ids of sampled_train, length-sorted batches of 32, dynamic padding, inference mode,
# the same thread count (default 1). tiny: the first 512 sentences, 5 runs; base: the first 64, 3 runs.
# Prints one table: shape, C++ sent/s, Python sent/s, ratio (C++ / Python); medians.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
threads=${2:-1}
export BERTGRID_SHARED=${BERTGRID_SHARED:-$root/../shared}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf '%-6s %12s %12s %7s\n' shape "C++ sent/s" "Py sent/s" ratio
for spec in "tiny 512 5" "base 64 3"; do
  read -r shape n runs <<<"$spec"
  cpp=$("$build/bench_forward" --shape "$shape" --sentences "$n" --threads "$threads" \
        --runs "$runs" --ids-out "$tmp/ids.json" 2>/dev/null | awk '{print $3}')
  py=$(/usr/bin/python3 "$root/bench/forward_eager.py" --ids "$tmp/ids.json" --shape "$shape" \
        --threads "$threads" --runs "$runs" 2>/dev/null | awk '{print $3}')
  awk -v s="$shape" -v c="$cpp" -v p="$py" 'BEGIN { printf "%-6s %12.1f %12.1f %7.2f\n", s, c, p, c / p }'
done
echo "(threads $threads; sampled_train, batch 32; tiny: first 512, base: first 64)"
