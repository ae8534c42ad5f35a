#!/usr/bin/env bash
# Usage: bench/train.sh [BUILD_DIR] [THREADS...]
#   CPU training throughput, bertgrid (build/bench_train) against PyTorch eager from Python
#   (bench/train_eager.py, Debian's python3-torch) on the same batches, same thread count, one
#   after the other in the same run. BUILD_DIR defaults to ./build, THREADS to "1 2".
#   Shapes: tiny (20 steps x 5 repeats, 3 warm-up steps) and base (2 steps x 3 repeats, 1 warm-up
#   step: a base step is ~10-20 CPU seconds on one core). Override with SHAPES="tiny",
#   TINY="steps repeats warmup", BASE="steps repeats warmup"; BERTGRID_SHARED as for the tests.
#   Prints one table: shape, threads, C++ samples/s, Python samples/s, ratio (C++ / Python).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-build}"
shift || true
threads=("$@")
[ ${#threads[@]} -eq 0 ] && threads=(1 2)
export BERTGRID_SHARED="${BERTGRID_SHARED:-/work/shared}"
read -r tiny_steps tiny_repeats tiny_warmup <<<"${TINY:-20 5 3}"
read -r base_steps base_repeats base_warmup <<<"${BASE:-2 3 1}"
python=/usr/bin/python3  # Debian's, with python3-torch (a pyenv python3 lacks it)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

median() { grep '^median' "$1" | awk '{print $2}'; }

rows=()
for shape in ${SHAPES:-tiny base}; do
  if [ "$shape" = tiny ]; then steps=$tiny_steps repeats=$tiny_repeats warmup=$tiny_warmup
  else steps=$base_steps repeats=$base_repeats warmup=$base_warmup; fi
  for t in "${threads[@]}"; do
    ids="$tmp/ids_${shape}.json"
    OMP_NUM_THREADS=$t "$build/bench_train" --shape "$shape" --threads "$t" --steps "$steps" \
      --repeats "$repeats" --warmup "$warmup" --ids-out "$ids" >"$tmp/cpp.txt"
    OMP_NUM_THREADS=$t "$python" "$here/train_eager.py" "$ids" --threads "$t" >"$tmp/py.txt"
    cpp="$(median "$tmp/cpp.txt")"
    py="$(median "$tmp/py.txt")"
    rows+=("$(printf '%-5s %7s %12.2f %12.2f %7.2f' "$shape" "$t" "$cpp" "$py" \
      "$(awk -v a="$cpp" -v b="$py" 'BEGIN{print a/b}')")")
    echo "done: $shape, $t thread(s)" >&2
  done
done

printf '%-5s %7s %12s %12s %7s\n' shape threads "C++ samp/s" "Py samp/s" ratio
printf '%s\n' "${rows[@]}"
echo "($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $("$python" -c 'import torch; print("torch", torch.__version__)'))"
