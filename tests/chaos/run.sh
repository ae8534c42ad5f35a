#!/bin/bash
# Chaos: the tiny grid (tests/configs/tiny.toml, 2 ranks, one rank per job, epoch checkpoints)
# interrupted and damaged in every way the run directory must survive, deterministically (faults
# at seeded steps through `--fault`, file-size limits, prepared files; no timing). Each scenario
# that allows a resume ends with results.csv (train_seconds apart) and history.csv equal to an
# uninterrupted run's. It prints one table row per scenario: what happened (exit status, message,
# what is on disk).
#
#   tests/chaos/run.sh BERTGRID_BINARY SOURCE_DIR SHARED_DIR
#
# Everything goes to a fresh temp folder, removed on success (kept on failure, or with
# BERTGRID_CHAOS_KEEP=1).
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 BERTGRID_BINARY SOURCE_DIR SHARED_DIR" >&2
  exit 2
fi
bin=$(realpath "$1")
src=$(realpath "$2")
shared=$(realpath "$3")
data=$shared/data/hate-speech-dataset
T=$(mktemp -d "${TMPDIR:-/tmp}/bertgrid-chaos.XXXXXX")
finish() {
  local status=$?
  if [ "$status" -eq 0 ] && [ -z "${BERTGRID_CHAOS_KEEP:-}" ]; then rm -rf "$T"; else echo "chaos: files kept in $T" >&2; fi
}
trap finish EXIT

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Under a file-size limit, shared memory files cannot grow: the ranks talk over TCP, and PMIx
# keeps its store in memory.
export OMPI_MCA_btl=self,tcp PMIX_MCA_gds=hash

fail() {
  echo "chaos: FAIL: $*" >&2
  exit 1
}
row() { printf '| %s | %s | %s | %s |\n' "$@"; }

config=$T/chaos.toml
sed -e "s#\"../../../shared/data/bert-base-uncased-vocab/vocab.txt\"#\"$shared/data/bert-base-uncased-vocab/vocab.txt\"#" \
  "$src/tests/configs/tiny.toml" >"$config"
printf '\n[run]\nranks_per_job = 1\nthreads_per_rank = 1\nepoch_checkpoints = true\n' >>"$config"

# run LOG [LIMIT_KB] -- ARGS...: `bertgrid ARGS` on 2 ranks, each under a file-size limit of
# LIMIT_KB (SIGXFSZ ignored, so writes fail with EFBIG); sets $status.
run() {
  local log=$1 limit=$2
  shift 3
  set +e
  # shellcheck disable=SC2016  # expanded by the ranks' shell
  mpirun -np 2 --oversubscribe bash -c 'trap "" XFSZ; [ "$0" = - ] || ulimit -f "$0"; exec "$@"' \
    "$limit" "$bin" "$@" >"$log" 2>&1
  status=$?
  set -e
}
grid() {  # grid LOG LIMIT DIR [OPTIONS...]
  local log=$1 limit=$2 dir=$3
  shift 3
  run "$log" "$limit" -- run --config "$config" --data "$data" --out "$dir" "$@"
}
expect_status() {  # STATUS LOG
  [ "$status" -eq "$1" ] || { tail -n 30 "$2" >&2; fail "$2: exit status $status, expected $1"; }
}
expect_in() {  # TEXT LOG
  grep -qF -- "$1" "$2" || { tail -n 30 "$2" >&2; fail "$2 does not say: $1"; }
}
# The first line of LOG that holds TEXT, for the table.
said() { grep -F -m 1 -- "$1" "$2" | sed 's/^\[[^]]*\] //' | cut -c 1-160; }
# results.csv (without train_seconds) and history.csv of DIR equal the uninterrupted run's.
same_as_ref() {
  /usr/bin/python3 "$src/tests/same_results.py" --history "$T/ref" "$1" >/dev/null ||
    fail "$1: results differ from the uninterrupted run's"
}
# resumed LOG DIR: `--resume` of DIR succeeds (the equality checks follow per scenario).
resumed() {
  grid "$1" - "$2" --resume
  expect_status 0 "$1"
}
finetune_dir() { ls -d "$1"/jobs/finetune-e2*; }

echo "| scenario | exit status | message | on disk |"
echo "| --- | --- | --- | --- |"

# ---- The uninterrupted run.
grid "$T/ref.log" - "$T/ref"
expect_status 0 "$T/ref.log"
row "uninterrupted run" 0 "$(said ' pending; ' "$T/ref.log")" "every job ok"

# ---- kill -9 of a rank in the middle of a checkpoint write (the second epoch's, after step 7).
d=$T/kill9
grid "$T/kill9.log" - "$d" --fault kill:job=finetune-e2:step=7
killed=$status
[ "$killed" -ne 0 ] || fail "kill9: the run survived its SIGKILL"
ft=$(finetune_dir "$d")
[ -f "$ft/checkpoint.safetensors" ] || fail "kill9: the first epoch's checkpoint is gone"
ls "$ft"/.checkpoint.safetensors.tmp.* >/dev/null 2>&1 || fail "kill9: no half-written checkpoint"
on_disk="epoch-1 checkpoint intact, half-written temp file beside it"
resumed "$T/kill9-resume.log" "$d"
expect_in "resumed at step 6" "$T/kill9-resume.log"
same_as_ref "$d"
row "kill -9 of a rank in a checkpoint write" "$killed (mpirun)" \
  "resume: $(said 'resumed at step' "$T/kill9-resume.log")" "$on_disk; resume equal"

# ---- SIGTERM and SIGUSR1 raised in seeded steps: every job stops with a checkpoint, exit 3.
for sig in TERM:3 USR1:5; do
  name=${sig%:*} step=${sig#*:}
  d=$T/sig$name
  grid "$T/sig$name.log" - "$d" --fault "signal:sig=$name:step=$step"
  expect_status 3 "$T/sig$name.log"
  /usr/bin/python3 -c "import json,sys; sys.exit(0 if json.load(open('$d/manifest.json'))['stopped'] else 1)" ||
    fail "sig$name: manifest.json does not say stopped"
  n=$(find "$d/jobs" -name checkpoint.safetensors | wc -l)
  stopped_line=$(said ' pending; ' "$T/sig$name.log")
  cp -a "$d" "$T/stopped-$name"  # kept for the damaged-checkpoint scenario
  resumed "$T/sig$name-resume.log" "$d"
  same_as_ref "$d"
  row "SIG$name at step $step" 3 "$stopped_line" "$n checkpoints, manifest stopped; resume equal"
done

# ---- A full disk (a 1 MiB file-size limit) while a stop writes its checkpoints.
d=$T/fullckpt
grid "$T/fullckpt.log" 1024 "$d" --fault signal:sig=USR1:step=3
[ "$status" -ne 0 ] || fail "fullckpt: the run did not fail"
expect_in "File too large" "$T/fullckpt.log"
[ -z "$(ls "$d"/jobs/finetune-*/checkpoint.safetensors 2>/dev/null)" ] ||
  fail "fullckpt: a fine-tune's checkpoint was written"
[ -z "$(find "$d" -name '*.tmp.*')" ] || fail "fullckpt: temporary files left: $(find "$d" -name '*.tmp.*')"
resumed "$T/fullckpt-resume.log" "$d"
same_as_ref "$d"
row "full disk in checkpoint writes" 1 "$(said 'File too large' "$T/fullckpt.log")" \
  "no checkpoint, no temp file; resume equal"

# ---- A full disk (16 KiB) while the embedding stage writes embeddings.h5 (about 40 KiB).
d=$T/fullh5
grid "$T/fullh5.log" 16 "$d"
expect_status 1 "$T/fullh5.log"
expect_in "File too large" "$T/fullh5.log"
[ -z "$(find "$d" -name '*.h5*')" ] || fail "fullh5: an HDF5 file was left"
resumed "$T/fullh5-resume.log" "$d"
same_as_ref "$d"
row "full disk in the HDF5 write" 1 "$(said 'File too large' "$T/fullh5.log")" \
  "no embeddings.h5, no temp file; resume equal"

# ---- A full disk while the results are written (a resume of a finished run, whose largest
# writes are the results; the limit is just under results.json's size).
d=$T/fullresults
cp -a "$T/ref" "$d"
limit=$(($(stat -c %s "$d/results.json") / 1024 - 1))
grid "$T/fullresults.log" "$limit" "$d" --resume
expect_status 1 "$T/fullresults.log"
expect_in "(for $d/results." "$T/fullresults.log"
expect_in "File too large" "$T/fullresults.log"
for f in results.csv results.json history.csv; do
  cmp -s "$T/ref/$f" "$d/$f" || fail "fullresults: $f changed"
done
[ -z "$(find "$d" -name '*.tmp.*')" ] || fail "fullresults: temporary files left"
row "full disk in the results write" 1 "$(said 'File too large' "$T/fullresults.log")" \
  "results.csv, results.json, history.csv as before, no temp file"

# ---- Two runs at once on one directory: the second stops at once, the first is untouched. The
# first (a 40-epoch fine-tune) is held still (SIGSTOP to the lock's holder) while the second
# starts, so the two overlap whatever the machine's speed.
d=$T/twice
long=$T/long.toml
sed 's/^epochs = \[1, 2\]$/epochs = [1, 40]/' "$config" >"$long"
mpirun -np 2 --oversubscribe "$bin" run --config "$long" --data "$data" --out "$d" \
  >"$T/twice-first.log" 2>&1 &
first=$!
for _ in $(seq 600); do [ -s "$d/.bertgrid.lock" ] && [ -f "$d/config.toml" ] && break; sleep 0.05; done
holder=$(/usr/bin/python3 -c "import json; print(json.load(open('$d/.bertgrid.lock'))['pid'])")
kill -STOP "$holder"
run "$T/twice-second.log" - -- run --config "$long" --data "$data" --out "$d" --resume
kill -CONT "$holder"
wait "$first" || fail "twice: the first run failed: $(tail -n 5 "$T/twice-first.log")"
expect_status 1 "$T/twice-second.log"
expect_in "is in use by another bertgrid run (host" "$T/twice-second.log"
expect_in "4 jobs: 4 ok" "$T/twice-first.log"
row "two runs at once" "1 (the second)" "$(said 'is in use' "$T/twice-second.log")" \
  "the first run goes on, every job ok"

# ---- --force beside the user's files, twice; and a folder of the user's own.
d=$T/force
cp -a "$T/ref" "$d"
mkdir -p "$d/important" && echo x >"$d/important/keep" && echo notes >"$d/notes.md"
for i in 1 2; do
  grid "$T/force$i.log" - "$d" --force
  expect_status 0 "$T/force$i.log"
done
if [ ! -f "$d/important/keep" ] || [ ! -f "$d/notes.md" ]; then fail "force: the user's files are gone"; fi
expect_in "kept 2 entries that bertgrid did not make: important/, notes.md" "$T/force2.log"
same_as_ref "$d"
own=$T/own
mkdir -p "$own" && echo mine >"$own/thesis.tex"
grid "$T/own.log" - "$own" --force
expect_status 1 "$T/own.log"
[ "$(ls -A "$own")" = thesis.tex ] || fail "own: the user's folder was changed: $(ls -A "$own")"
row "--force beside user files" 0 "$(said 'kept 2 entries' "$T/force2.log")" \
  "important/ and notes.md kept after two --force runs"
row "--force on a folder of the user's" 1 "$(said 'is not a bertgrid run directory' "$T/own.log")" \
  "untouched"

# ---- Resume with other data.
other=$T/other-data
cp -a "$data" "$other"
# A data file the run read, as its inputs.json lists them ("dataset: sampled_train/X.txt").
changed=$(/usr/bin/python3 -c "
import json
names = [k for k in json.load(open('$T/ref/inputs.json'))['sha256'] if k.endswith('.txt')]
print(names[0].split(': ', 1)[1])")
echo " (edited)" >>"$other/$changed"
d=$T/otherdata
cp -a "$T/stopped-TERM" "$d"
run "$T/otherdata.log" - -- run --config "$config" --data "$other" --out "$d" --resume
expect_status 1 "$T/otherdata.log"
expect_in "dataset: $changed differs" "$T/otherdata.log"
moved=$T/moved-data
cp -a "$data" "$moved"
run "$T/moved.log" - -- run --config "$config" --data "$moved" --out "$d" --resume
expect_status 0 "$T/moved.log"
same_as_ref "$d"
row "resume with other data" 1 "$(said 'differs' "$T/otherdata.log")" \
  "nothing changed; the same data moved resumes, equal"

# ---- Damaged files: a truncated checkpoint; a record, a history and embeddings.h5 garbled.
d=$T/damagedckpt
cp -a "$T/stopped-USR1" "$d"
ckpt=$(ls "$(finetune_dir "$d")"/checkpoint.safetensors)
truncate -s 1000 "$ckpt"
resumed "$T/damagedckpt.log" "$d"
[ -f "$ckpt.corrupt" ] || fail "damagedckpt: the checkpoint was not set aside"
warning=$(/usr/bin/python3 -c "import json; print(json.load(open('$d/manifest.json'))['warnings'][0])")
[[ $warning == *.corrupt* ]] || fail "damagedckpt: manifest.json's warning: $warning"
same_as_ref "$d"
row "truncated checkpoint" 0 "${warning:0:160}" "set aside as *.corrupt, the job ran again; equal"
d=$T/damaged
cp -a "$T/ref" "$d"
heads=("$d"/jobs/head-*)
head -c 40 "${heads[0]}/record.json" >"${heads[0]}/record.json.cut"
mv "${heads[0]}/record.json.cut" "${heads[0]}/record.json"
echo "step,not,a,history" >"${heads[1]}/history.csv"
echo "not hdf5" >"$d/embeddings.h5"
resumed "$T/damaged.log" "$d"
n=$(/usr/bin/python3 -c "import json; print(len(json.load(open('$d/manifest.json'))['warnings']))")
[ "$n" -ge 3 ] || fail "damaged: manifest.json lists $n warnings, expected 3 or more"
same_as_ref "$d"
row "damaged record, history, embeddings.h5" 0 "$(said 'warning' "$T/damaged.log")" \
  "$n warnings in manifest.json; the jobs and embeddings computed again; equal"

echo "chaos: every scenario passed" >&2
