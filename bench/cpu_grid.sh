#!/usr/bin/env bash
# Usage: bench/cpu_grid.sh [BUILD_DIR] [RANKS...]
#   The demo grid (configs/demo.toml: 3 fine-tunes, the embedding stage, 5 heads, a small randomly
#   initialised DistilBERT, the real split) on the CPU with `mpirun -np N` for each N of RANKS
#   (default "1 2"), one after the other, each in a fresh run directory (so each computes its
#   embeddings). Prints one table: ranks, variant, bertgrid's own seconds (first line to results
#   on disk, MPI start-up apart), the process's wall seconds, the speed-up against the first run,
#   and the summed train_seconds of the fine-tunes and of the heads (results.csv, all ranks' jobs
#   together). Data from BERTGRID_DATA (default ../shared/data/hate-speech-dataset). VARIANTS
#   (default "plain"; several separated by spaces): also "grouped" (finetune.group_by_length =
#   true), "pad32" (run.pad_to_multiple_of = 32), "packed" (run.packing = "on": training,
#   evaluations and the embedding stage on packed batches) and "unpacked" (run.packing = "off":
#   padded batches everywhere; "plain", the config as it is, gets the default "auto": packed
#   evaluations and embedding stage only): each N runs once per variant, e.g.
#   VARIANTS="unpacked plain packed" bench/cpu_grid.sh build 1. For the training throughput
#   against PyTorch eager see bench/train.sh.
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

# The demo config with one line added to a section: VARIANT -> config path.
variant_config() {
  local line section
  case $1 in
    plain) echo "$here/configs/demo.toml"; return ;;
    grouped) section=finetune line="group_by_length = true" ;;
    pad32) section=run line="pad_to_multiple_of = 32" ;;
    packed) section=run line='packing = "on"' ;;
    unpacked) section=run line='packing = "off"' ;;
    *) echo "unknown variant $1" >&2; exit 2 ;;
  esac
  awk -v s="[$section]" -v l="$line" '{print} $0 == s {print l}' "$here/configs/demo.toml" \
    | sed "s|= \"\(\.\./\)|= \"$here/configs/\1|" >"$tmp/$1.toml"  # relative paths stay right
  echo "$tmp/$1.toml"
}

# The summed train_seconds of a run's fine-tunes and of its heads (results.csv, columns kind and
# train_seconds): "FT HEADS", "-" for a sum with no job.
train_sums() {  # RUN_DIR
  python3 - "$1/results.csv" <<'EOF' 2>/dev/null || echo "- -"
import csv, sys
sums = {}
with open(sys.argv[1], newline="") as f:
    for row in csv.DictReader(f):
        sums[row["kind"]] = sums.get(row["kind"], 0.0) + float(row["train_seconds"])
print(*("%.1f" % sums[k] if k in sums else "-" for k in ("finetune", "head")))
EOF
}

printf '%-6s %-8s %10s %10s %9s %11s %14s\n' ranks variant "grid s" "wall s" speed-up \
  "ft train s" "heads train s"
first=""
for n in "${ranks[@]}"; do
  for v in ${VARIANTS:-plain}; do
    config=$(variant_config "$v")
    start=$(date +%s.%N)
    mpirun --oversubscribe -np "$n" "$build/bertgrid" run --config "$config" \
      --out "$tmp/np$n-$v" --force --data "$data" >"$tmp/np$n-$v.out" 2>"$tmp/np$n-$v.err" ||
      { cat "$tmp/np$n-$v.err" >&2; exit 1; }
    wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
    grid=$(sed -n 's/.* pending; \([0-9.]*\) s (start-up apart.*/\1/p' "$tmp/np$n-$v.err" | tail -1)
    [ -z "$first" ] && first=$grid
    read -r ft heads < <(train_sums "$tmp/np$n-$v")
    printf '%-6s %-8s %10.1f %10s %8.2fx %11s %14s\n' "$n" "$v" "$grid" "$wall" \
      "$(awk -v a="$first" -v b="$grid" 'BEGIN{print a/b}')" "$ft" "$heads"
  done
done
echo "($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
