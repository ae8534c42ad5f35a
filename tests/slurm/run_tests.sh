#!/bin/bash
# The Slurm scripts (slurm/) on a real one-node Slurm started for the test (tests/slurm/cluster.sh),
# on CPU, with a small grid: tests/configs/tiny.toml with a 20-epoch fine-tune, so that a run lasts
# a few seconds and can be interrupted while it trains.
#   1. grid.sbatch runs the grid (2 ranks): results.csv has every job, ok.
#   2. Preemption: USR1 to the batch shell while it trains (`scancel --batch --signal=USR1`, what
#      --signal=B:USR1@120 sends before the time limit); the job checkpoints, requeues itself,
#      starts again with SLURM_RESTART_COUNT=1, resumes above step 0 and ends with the results of 1.
#   3. The chain with an array: embed.sbatch -> grid-array.sbatch (2 shards) -> merge.sbatch, each
#      after the one before (afterok); the merged results equal those of 1.
#   4. A plain scancel while it trains: SIGTERM, checkpoints, no requeue; submitting the same
#      command again resumes above step 0 and ends with the results of 1.
#   5. mpirun only: SIGTERM to every process of the job while it trains, with
#      BERTGRID_REQUEUE_ON="USR1 TERM": mpirun gets it too and returns 1 after forwarding it, and
#      grid.sbatch requeues because this start's manifest says it stopped; the requeued start ends
#      with the results of 1. (srun takes a SIGTERM of its own as an order to end the step: it
#      kills the ranks, with no checkpoint; Slurm's own stops signal the ranks, as in 4.)
# Results compare byte for byte except the train_seconds column.
#
#   tests/slurm/run_tests.sh BERTGRID_BINARY SOURCE_DIR SHARED_DIR
#
# Data: $BERTGRID_DATA, else SHARED_DIR/data/hate-speech-dataset. Everything it writes (cluster
# config, state, logs, runs) goes to a fresh temp folder, removed on success (kept on failure, or
# with BERTGRID_SLURM_KEEP=1). The daemons it started are stopped on every exit.
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 BERTGRID_BINARY SOURCE_DIR SHARED_DIR" >&2
  exit 2
fi
if [ "$(id -u)" != 0 ]; then
  echo "slurm-test: skipped: needs root (apt-get, and slurmd runs jobs as any user)" >&2
  exit 77  # ctest's SKIP_RETURN_CODE
fi
bin=$(realpath "$1")
src=$(realpath "$2")
shared=$(realpath "$3")
start_time=$SECONDS

T=$(mktemp -d "${TMPDIR:-/tmp}/bertgrid-slurm.XXXXXX")
# shellcheck source=tests/slurm/cluster.sh
source "$src/tests/slurm/cluster.sh"
finish() {
  local status=$?
  cluster_stop
  if [ "$status" -eq 0 ] && [ -z "${BERTGRID_SLURM_KEEP:-}" ]; then
    rm -rf "$T"
  else
    echo "slurm-test: files kept in $T" >&2
  fi
  echo "slurm-test: $([ "$status" -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - start_time)) s" >&2
}
trap finish EXIT
trap 'exit 130' INT TERM

log() { echo "slurm-test: $*" >&2; }
fail() {
  log "FAIL: $*"
  exit 1
}

# This process may run under an MPI launcher's environment; the jobs must not inherit it.
for v in $(env | grep -E -o '^(OMPI|PMIX|OPAL)_[A-Za-z0-9_]*' || true); do unset "$v"; done
# Open MPI refuses root unless told otherwise (only needed when the jobs use mpirun).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export BERTGRID=$bin
export BERTGRID_DATA=${BERTGRID_DATA:-$shared/data/hate-speech-dataset}
[ -d "$BERTGRID_DATA" ] || fail "no dataset at $BERTGRID_DATA"

export BERTGRID_LAUNCHER=${BERTGRID_LAUNCHER:-srun}  # how grid.sbatch starts the ranks
log "launcher: $BERTGRID_LAUNCHER, binary: $bin, data: $BERTGRID_DATA"
cluster_install
cluster_start "$T/cluster"

# The test config: tiny.toml, absolute vocab path, a fine-tune long enough to interrupt.
config=$T/tiny.toml
sed -e "s#\"../../../shared/data/bert-base-uncased-vocab/vocab.txt\"#\"$shared/data/bert-base-uncased-vocab/vocab.txt\"#" \
  -e 's/^epochs = \[1, 2\]$/epochs = [1, 20]/' "$src/tests/configs/tiny.toml" >"$config"
printf '\n[run]\nranks_per_job = 1\nthreads_per_rank = 1\nstall_timeout = 120\n' >>"$config"
grep -q '^epochs = \[1, 20\]$' "$config" || fail "tests/configs/tiny.toml: no 'epochs = [1, 2]' line to lengthen"
grep -q "$shared/data/bert-base-uncased-vocab" "$config" || fail "tests/configs/tiny.toml: vocab path not rewritten"
long_job=finetune-e20-

mkdir -p "$T/submit" "$T/runs"
cd "$T/submit"  # sbatch's submit directory: the jobs' logs land here

# The job's state (COMPLETED, RUNNING, ...) and its restart count, from scontrol.
job_field() { scontrol show job -o "$1" 2>/dev/null | grep -o "$2=[^ ]*" | head -n 1 | cut -d= -f2; }
# Waits until job $1 has ended (at most $2 seconds); prints its final state.
wait_job() {
  local id=$1 limit=$2 t0=$SECONDS state=""
  while [ $((SECONDS - t0)) -lt "$limit" ]; do
    state=$(job_field "$id" JobState)
    case $state in
      COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE)
        echo "$state"
        return 0
        ;;
    esac
    sleep 0.5
  done
  echo "TIMEOUT_WAITING($state)"
}
show_log() {
  local f
  for f in "$@"; do
    [ -f "$f" ] && { echo "----- $f" >&2; tail -n 60 "$f" >&2; }
  done
  return 0
}
expect_completed() {  # ID LOG...
  local id=$1 state
  shift
  state=$(wait_job "$id" 240)
  if [ "$state" != COMPLETED ] || [ "$(job_field "$id" ExitCode)" != 0:0 ]; then
    show_log "$@" "$T/cluster/log/slurmctld.log"
    fail "job $id ended $state, exit code $(job_field "$id" ExitCode)"
  fi
}
# results.csv of run $1 and $2: equal but for train_seconds, every job ok.
same_results() { /usr/bin/python3 "$src/tests/same_results.py" "$1" "$2"; }

# Waits until job $1 trains the long job (rank 0's heartbeat in run dir $2 names it at step 3
# or later); sets $step.
wait_training() {
  local id=$1 dir=$2 beat="" i
  step=0
  for i in $(seq 600); do
    beat=$(cat "$dir/heartbeat/rank-0" 2>/dev/null || true)
    if [[ $beat == *"\"job\":\"$long_job"* ]]; then
      step=$(echo "$beat" | grep -o '"step":[0-9]*' | cut -d: -f2)
      [ "${step:-0}" -ge 3 ] && return 0
    fi
    [ "$(job_field "$id" JobState)" = RUNNING ] || [ "$i" -lt 100 ] || break
    sleep 0.1
  done
  show_log "$3"
  fail "job $id: the long job never reached step 3 (heartbeat: $beat)"
}

# ---- 1. The grid as one job: 2 ranks on the node.
log "1. grid.sbatch, 2 ranks"
t0=$SECONDS
single=$T/runs/single
id=$(sbatch --parsable --ntasks-per-node=2 --cpus-per-task=1 --time=10 \
  "$src/slurm/grid.sbatch" "$config" "$single")
expect_completed "$id" "bertgrid-$id.out"
[ -f "$single/results.csv" ] || fail "$single/results.csv missing"
n_jobs=$(($(wc -l <"$single/results.csv") - 1))
[ "$n_jobs" -eq 4 ] || fail "$single/results.csv: $n_jobs jobs, expected 4"
grep -q "SLURM_RESTART_COUNT=0" "bertgrid-$id.out" || fail "log lacks SLURM_RESTART_COUNT=0"
same_results "$single" "$single" >/dev/null || fail "$single: jobs not ok"
log "1. passed: job $id, $n_jobs jobs ok, $((SECONDS - t0)) s"

# ---- 2. Preemption: the warning signal while the long fine-tune trains.
log "2. preemption: USR1 to the batch shell, checkpoint, requeue, resume"
t0=$SECONDS
preempt=$T/runs/preempt
id=$(sbatch --parsable --ntasks-per-node=2 --cpus-per-task=1 --time=10 \
  "$src/slurm/grid.sbatch" "$config" "$preempt")
out=bertgrid-$id.out
wait_training "$id" "$preempt" "$out"
scancel --batch --signal=USR1 "$id"
log "2. sent USR1 at step $step of $long_job"
expect_completed "$id" "$out"
restarts=$(job_field "$id" Restarts)
show_log "$out" 2>&1 | grep -E "grid.sbatch|resumed at step" >&2 || true
[ "${restarts:-0}" -ge 1 ] || fail "job $id: Restarts=$restarts, expected a requeue"
grep -q "SIGUSR1 received" "$out" || fail "$out: the batch shell did not report the USR1"
grep -q "bertgrid ended with status 3" "$out" || fail "$out: bertgrid did not stop with status 3"
grep -q "requeueing job $id" "$out" || fail "$out: no requeue"
grep -q "SLURM_RESTART_COUNT=1" "$out" || fail "$out: the requeued start did not see SLURM_RESTART_COUNT=1"
resumed=$(grep -o "${long_job}[^:]*: resumed at step [0-9]*" "$out" | grep -o '[0-9]*$' | head -n 1)
[ "${resumed:-0}" -gt 0 ] || fail "$out: $long_job did not resume above step 0"
manifest_step=$(/usr/bin/python3 -c "
import json, sys
m = json.load(open('$preempt/manifest.json'))
print(max(j['placement'].get('resumed_from_step', 0) for j in m['jobs'] if j['job_id'].startswith('$long_job')))")
[ "$manifest_step" = "$resumed" ] || fail "manifest.json: resumed_from_step $manifest_step, log says $resumed"
same_results "$single" "$preempt" || fail "the resumed run's results differ from the uninterrupted run's"
log "2. passed: job $id requeued ($restarts restart), $long_job resumed at step $resumed, results equal, $((SECONDS - t0)) s"

# ---- 3. The chain with an array: embed -> 2 shards -> merge.
log "3. submit-chain.sh: embed.sbatch -> grid-array.sbatch (2 shards) -> merge.sbatch"
t0=$SECONDS
array=$T/runs/array
ids=$(EMBED_SBATCH_ARGS="--ntasks-per-node=2 --cpus-per-task=1 --time=10" \
  GRID_SBATCH_ARGS="--ntasks-per-node=1 --cpus-per-task=1 --time=10" \
  MERGE_SBATCH_ARGS="--time=5" "$src/slurm/submit-chain.sh" "$config" "$array" 2)
read -r -d "" embed_id array_id merge_id <<<"$ids" || true
[ -n "$merge_id" ] || fail "submit-chain.sh printed '$ids', expected three job ids"
expect_completed "$merge_id" "bertgrid-embed-$embed_id.out" "bertgrid-array-${array_id}_0.out" \
  "bertgrid-array-${array_id}_1.out" "bertgrid-merge-$merge_id.out"
for k in 0 1; do
  [ "$(job_field "${array_id}_$k" JobState)" = COMPLETED ] || fail "array task $k: $(job_field "${array_id}_$k" JobState)"
  grep -q '"encoder_forwards": 0' "$array/shard-$k-of-2/manifest.json" ||
    fail "shard $k recomputed the embeddings instead of reusing embed.sbatch's"
done
same_results "$single" "$array" || fail "the merged array results differ from the single job's"
log "3. passed: embed $embed_id, array $array_id, merge $merge_id, merged results equal, $((SECONDS - t0)) s"

# ---- 4. A plain scancel: SIGTERM, checkpoints, no requeue; the same sbatch later resumes.
log "4. scancel (SIGTERM) while training, then the same sbatch again"
t0=$SECONDS
cancelled=$T/runs/cancelled
id=$(sbatch --parsable --ntasks-per-node=2 --cpus-per-task=1 --time=10 \
  "$src/slurm/grid.sbatch" "$config" "$cancelled")
wait_training "$id" "$cancelled" "bertgrid-$id.out"
scancel "$id"
state=$(wait_job "$id" 120)
[ "$state" = CANCELLED ] || { show_log "bertgrid-$id.out"; fail "job $id ended $state, expected CANCELLED"; }
# The ranks get KillWait (30 s) to write their checkpoints; the job is over once they have.
for i in $(seq 300); do
  [ -n "$(squeue -h -j "$id" -o %i 2>/dev/null)" ] || break
  sleep 0.1
done
[ "$(job_field "$id" Restarts)" = 0 ] || fail "job $id was requeued after a plain scancel"
ls "$cancelled/jobs/$long_job"*/checkpoint.safetensors >/dev/null 2>&1 ||
  { show_log "bertgrid-$id.out"; fail "no checkpoint of $long_job after scancel"; }
id2=$(sbatch --parsable --ntasks-per-node=2 --cpus-per-task=1 --time=10 \
  "$src/slurm/grid.sbatch" "$config" "$cancelled")
expect_completed "$id2" "bertgrid-$id2.out"
resumed=$(grep -o "${long_job}[^:]*: resumed at step [0-9]*" "bertgrid-$id2.out" | grep -o '[0-9]*$' | head -n 1)
[ "${resumed:-0}" -gt 0 ] || fail "bertgrid-$id2.out: $long_job did not resume above step 0"
same_results "$single" "$cancelled" || fail "the resubmitted run's results differ from the uninterrupted run's"
log "4. passed: job $id cancelled with a checkpoint, job $id2 resumed at step $resumed, results equal, $((SECONDS - t0)) s"

# ---- 5. SIGTERM to the batch shell and the launcher alike, requeue decided by the manifest.
if [ "$BERTGRID_LAUNCHER" != mpirun ]; then
  log "5. skipped: srun ends the step itself on a SIGTERM of its own"
  exit 0
fi
log "5. SIGTERM to the whole job, BERTGRID_REQUEUE_ON=\"USR1 TERM\": requeue from the manifest"
t0=$SECONDS
termed=$T/runs/termed
id=$(BERTGRID_REQUEUE_ON="USR1 TERM" sbatch --parsable --ntasks-per-node=2 --cpus-per-task=1 \
  --time=10 "$src/slurm/grid.sbatch" "$config" "$termed")
out=bertgrid-$id.out
wait_training "$id" "$termed" "$out"
scancel --full --signal=TERM "$id"
expect_completed "$id" "$out"
launcher_status=$(grep -o "bertgrid ended with status [0-9]*" "$out" | head -n 1 | grep -o '[0-9]*$')
grep -q "requeueing job $id" "$out" || { show_log "$out"; fail "$out: no requeue after SIGTERM"; }
grep -q "SLURM_RESTART_COUNT=1" "$out" || fail "$out: the requeued start did not see SLURM_RESTART_COUNT=1"
same_results "$single" "$termed" || fail "the requeued run's results differ from the uninterrupted run's"
log "5. passed: job $id: $BERTGRID_LAUNCHER returned $launcher_status after SIGTERM, requeued, results equal, $((SECONDS - t0)) s"
