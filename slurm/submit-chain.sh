#!/bin/bash
# Submits a grid as a chain of Slurm jobs, each starting only after the one before it succeeded
# (--dependency=afterok): the embedding stage (slurm/embed.sbatch), then the grid
# (slurm/grid.sbatch), or with SHARDS > 0 the grid as an array of SHARDS tasks
# (slurm/grid-array.sbatch) followed by the merge of their results (slurm/merge.sbatch).
#
#   slurm/submit-chain.sh CONFIG RUN_DIR [SHARDS]
#
# Extra sbatch options per stage: EMBED_SBATCH_ARGS (e.g. "--partition=inference
# --gpus-per-node=1"), GRID_SBATCH_ARGS (e.g. "--nodes=2 --ntasks-per-node=4 --gpus-per-node=4"),
# MERGE_SBATCH_ARGS. Prints the job ids, one per line: embed, grid (or array), merge.
# If a stage fails, the jobs after it are cancelled (--kill-on-invalid-dep=yes) instead of
# waiting forever.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: slurm/submit-chain.sh CONFIG RUN_DIR [SHARDS]" >&2
  exit 2
fi
config=$1
run_dir=$2
shards=${3:-0}
here=$(cd "$(dirname "$0")" && pwd)
export BERTGRID_SLURM_DIR=$here  # grid-array.sbatch finds grid.sbatch here

read -r -a embed_args <<<"${EMBED_SBATCH_ARGS:-}"
read -r -a grid_args <<<"${GRID_SBATCH_ARGS:-}"
read -r -a merge_args <<<"${MERGE_SBATCH_ARGS:-}"
submit() { sbatch --parsable --kill-on-invalid-dep=yes "$@" | cut -d ';' -f 1; }

embed=$(submit "${embed_args[@]}" "$here/embed.sbatch" "$config" "$run_dir")
echo "$embed"
if [ "$shards" -gt 0 ]; then
  array=$(submit --dependency=afterok:"$embed" --array=0-$((shards - 1)) "${grid_args[@]}" \
    "$here/grid-array.sbatch" "$config" "$run_dir")
  echo "$array"
  submit --dependency=afterok:"$array" "${merge_args[@]}" "$here/merge.sbatch" "$run_dir"
else
  submit --dependency=afterok:"$embed" "${grid_args[@]}" "$here/grid.sbatch" "$config" "$run_dir"
fi
