#!/usr/bin/env bash
# Usage: bench/gpu_grid.sh DEPS_DIR OUT_DIR
#   The paper grid on one GPU, in one call: builds bertgrid against this machine's libtorch (the
#   one of `python3 -c 'import torch'`), runs the whole paper grid (3 fine-tunes, the embedding
#   stage, 5 heads, every evaluation; randomly initialised weights of distilbert-base-uncased's
#   shape, the real split) once per set of speed switches, then the Python references
#   (hf_seed_grid.py --mode tuned and --mode seed) in the same call, and prints one table of
#   seconds and ratios, plus the bf16-against-fp32 loss-curve check (bench/compare_precision.py).
#
#   DEPS_DIR holds include/ and lib/ (TOML++, utf8proc), data/hate-speech-dataset,
#   data/bert-base-uncased-vocab/vocab.txt and bench/hf_seed_grid.py (docs/speed.md, "Running
#   it"). OUT_DIR receives log.txt (first what the binary is and the libcrypto it runs with,
#   then the build's output, then every step's), table.txt, tests.txt and runs.tar.gz (results,
#   manifests, histories).
#
#   In order, each step only while its estimate fits BUDGET_S: the build (bertgrid and the two
#   test programs in one cmake --build call), grid:fp32, grid:BEST, tests, hf:tuned,
#   grid:BEST-np3-mps, and last, optional, hf:seed (about 140 s: skipped when the budget is
#   spent, with a note in the table).
#
#   Environment: BUDGET_S (default 330): the seconds the whole script may take; a step whose
#   estimate no longer fits is skipped, with a note in the table. BEST (default
#   bf16-fused-graphs-packed): the variant expected fastest. STEPS (what to run, most important
#   first: grid:VARIANT, hf:tuned, hf:seed, tests = run the golden, CUDA-graph and NCCL tests,
#   building them first if the build step did not). DEVICE (default cuda), ARCH (extra [model]
#   lines, e.g. a small model for a CPU smoke test), BUILD (default build-gpu), TARGETS (what
#   the build step builds; default "bertgrid bertgrid_tests bertgrid_mpi_tests", "bertgrid" with
#   TESTS=0), TESTS=0 (skip the tests step), BIN (an already built bertgrid: no build step; for
#   the CPU smoke test), FUSED_OK=0 / GRAPHS_OK=0 (the binary has no fused AdamW / no CUDA
#   graphs).
#
#   A variant is a precision and switches joined by '-' (switches of the config's [run]
#   section; np = MPI ranks sharing the one GPU, each in a group of one, so several grid jobs
#   run at once):
#     fp32 | bf16  the precision alone: single-tensor AdamW, blocking copies, np 1, dynamic
#                  padding and embeddings-once only
#     fused        + fused AdamW and pinned asynchronous copies
#     graphs       + CUDA graphs of the training step, batches padded to a multiple of 32
#     padN         batches padded to a multiple of N (with graphs: instead of 32)
#     npN          N ranks sharing the GPU
#     evalN        evaluation batches of N rows instead of 32 (fewer launches; the same losses
#                  up to rounding)
#     mps          under the CUDA MPS daemon (skipped where it is missing)
#     packed       run.packing = "on": training, evaluations and the embedding stage on packed
#                  batches (sentences end to end in rows, block-diagonal attention)
#     unpacked     run.packing = "off": padded batches everywhere
#   Without packed or unpacked the config has no packing line: the default, "auto" (packed
#   evaluations and embedding stage, padded training batches).
#   e.g. fp32, bf16-fused, bf16-fused-graphs, bf16-fused-graphs-packed-np3-mps.
set -uo pipefail

deps="$(cd "${1:?usage: gpu_grid.sh DEPS_DIR OUT_DIR}" && pwd)"
out="${2:?usage: gpu_grid.sh DEPS_DIR OUT_DIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD:-$here/build-gpu}"
budget="${BUDGET_S:-330}"
device="${DEVICE:-cuda}"
best_variant="${BEST:-bf16-fused-graphs-packed}"
steps="${STEPS:-grid:fp32 grid:$best_variant tests hf:tuned grid:$best_variant-np3-mps hf:seed}"
data="$deps/data/hate-speech-dataset"
vocab="$deps/data/bert-base-uncased-vocab/vocab.txt"
table="$out/table.txt"
work="$(mktemp -d)"
t0=$(date +%s.%N)
# The build's notes and output go to build.txt first; start_log then begins log.txt with the
# binary's --version and the libcrypto it runs with, and appends them.
log="$work/build.txt"
: >"$log"

elapsed() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.0f", b-a}'; }
left() { echo $((budget - $(elapsed))); }
note() { echo "[$(elapsed) s] $*" | tee -a "$log" >&2; }
rows=()
row() { rows+=("$(printf '%-42s %9s %9s  %s' "$1" "$2" "$3" "$4")"); }

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export PATH="/opt/torch/.venv/bin:$PATH" LD_LIBRARY_PATH="$deps/lib:${LD_LIBRARY_PATH:-}"
python="${PYTHON:-python3}"

# ---- build ---------------------------------------------------------------------------------
torch_prefix="$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null || true)"
# OpenSSL: the machine's own libcrypto.so.3, with the headers the carry brings where the machine
# has none (no libssl-dev there).
crypto=()
if [ -d "$deps/include/openssl" ] && [ ! -e /usr/include/openssl/evp.h ]; then
  crypto=(-DOPENSSL_INCLUDE_DIR="$deps/include"
    -DOPENSSL_CRYPTO_LIBRARY="$(ls /usr/lib/x86_64-linux-gnu/libcrypto.so.3 2>/dev/null)")
fi
configure() {
  cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    ${torch_prefix:+-DCMAKE_PREFIX_PATH="$torch_prefix"} -DBERTGRID_EXTRA_PREFIX="$deps" \
    -DBERTGRID_SHARED_DIR="$deps" "${crypto[@]}" "$@" >>"$log" 2>&1
}
bin="${BIN:-$build/bertgrid}"
if [ "${TESTS:-1}" = 1 ] && [ -z "${BIN:-}" ]; then
  targets="${TARGETS:-bertgrid bertgrid_tests bertgrid_mpi_tests}"
else
  targets="${TARGETS:-bertgrid}"
fi
fused_ok="${FUSED_OK:-1}"  # 0: the build has no fused AdamW (libtorch < 2.1, or it failed to build)
graphs_ok="${GRAPHS_OK:-1}"  # 0: the build has no CUDA graphs
tests_built=""  # 1: the build step built the tests; 0: they failed to build; empty: not tried
# Configure (with the given options), then every target in one cmake --build call. When that
# fails and the tests were among the targets, bertgrid alone: a test that does not compile
# costs the tests step, not the grid.
build_all() {  # CMAKE_OPTIONS...
  configure "$@" || return 1
  # shellcheck disable=SC2086  # targets is a list
  if cmake --build "$build" --target $targets -j"$(nproc)" >>"$log" 2>&1; then
    [[ " $targets " == *" bertgrid_tests "* ]] && tests_built=1
    return 0
  fi
  [ "$targets" = bertgrid ] && return 1
  note "building $targets failed; building bertgrid alone"
  cmake --build "$build" --target bertgrid -j"$(nproc)" >>"$log" 2>&1 || return 1
  grep -m 20 -B2 -A6 'error' "$log" >&2 || true
  tests_built=0
}
# log.txt: what the binary is and the libcrypto it runs with (the machine's own) at the top,
# then the GPU, then the build's notes and output.
start_log() {
  local build_log=$log
  log="$out/log.txt"
  { if [ -x "$bin" ]; then "$bin" --version; fi
    ls -l /usr/lib/x86_64-linux-gnu/libcrypto.so.3
    if [ -x "$bin" ]; then ldd "$bin" | grep -i crypto; fi; } 2>&1 | tee "$log" >&2
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >>"$log" 2>&1 || true
  cat "$build_log" >>"$log"
}
if [ -n "${BIN:-}" ]; then
  note "build: skipped, using $BIN"
  TESTS="${TESTS:-0}"
elif ! { note "build: configure (torch at ${torch_prefix:-the system default}), build $targets" &&
         build_all; }; then
  # The CUDA-graph code and the fused-AdamW wrapper were written against libtorch 2.x without a
  # CUDA libtorch at hand: without them the rest still builds (the first retry drops the
  # graphs, the second the fused kernel too).
  note "build failed (errors in log.txt); retrying without BERTGRID_CUDA_GRAPHS"
  grep -m 20 -B2 -A6 'error' "$log" >&2 || true
  graphs_ok=0
  if ! build_all -DBERTGRID_CUDA_GRAPHS=OFF; then
    note "build failed again; retrying without BERTGRID_FUSED_ADAMW as well"
    grep -m 20 -B2 -A6 'error' "$log" >&2 || true
    if ! build_all -DBERTGRID_CUDA_GRAPHS=OFF -DBERTGRID_FUSED_ADAMW=OFF; then
      note "build failed a third time: stopping"
      grep -m 40 -A8 'error' "$log" >&2 || true
      start_log
      exit 1
    fi
    fused_ok=0
  fi
fi
grep -m1 'bertgrid: Torch' "$log" >&2 || true
build_s=$(elapsed)
note "build done"
start_log
"$bin" --help >/dev/null || exit 1

# ---- the paper grid, once per variant ------------------------------------------------------
write_config() {  # NAME PRECISION FUSED ASYNC GRAPHS PAD EVAL_BATCH PACKING (empty: default)
  # The notebook's hyperparameters, the same for the fine-tunes and the heads.
  local hyper
  hyper=$(printf '%s\n' "batch_size = 16" "eval_batch_size = $7" "learning_rate = 5e-5" \
    "weight_decay = 0.01" "warmup_steps = 11" "init_seed = 42" "data_seed = 42")
  cat >"$work/$1.toml" <<EOF
# The paper grid (configs/paper.toml) with random weights of distilbert-base-uncased's shape.
name = "$1"
[data]
dir = "$data"
max_length = 512
[model]
init = "random"
vocab = "$vocab"
${ARCH:-}
[finetune]
epochs = [2, 3, 4]
$hyper
[embeddings]
strategies = ["CLS", "LAST_MEAN", "LAST_MAX", "LAST2_MEAN", "LAST2_MAX"]
epochs = 2
$hyper
[run]
device = "$device"
precision = "$2"
fused_adamw = $3
async_copies = $4
cuda_graphs = $5
pad_to_multiple_of = $6
save_models = false
epoch_checkpoints = ${EPOCH_CHECKPOINTS:-false}
${8:+packing = \"$8\"}
EOF
}

# CUDA MPS: kernels of the ranks that share the GPU run concurrently instead of time-sliced.
mps_start() {
  command -v nvidia-cuda-mps-control >/dev/null || return 1
  export CUDA_MPS_PIPE_DIRECTORY=$work/mps CUDA_MPS_LOG_DIRECTORY=$work/mps-log
  mkdir -p "$CUDA_MPS_PIPE_DIRECTORY" "$CUDA_MPS_LOG_DIRECTORY"
  nvidia-cuda-mps-control -d >>"$log" 2>&1
}
mps_stop() {
  echo quit | nvidia-cuda-mps-control >>"$log" 2>&1
  unset CUDA_MPS_PIPE_DIRECTORY CUDA_MPS_LOG_DIRECTORY
}

declare -A grid_s
run_variant() {  # VARIANT
  local v=$1 np=1 precision fused=false async=false graphs=false pad="" mps=0 evalbs=32 packing=""
  local token
  local -a tokens
  IFS=- read -ra tokens <<<"$v"
  precision=${tokens[0]}
  case $precision in
    fp32 | bf16) ;;
    *) row "bertgrid $v" skipped "" "unknown precision $precision"; return ;;
  esac
  for token in "${tokens[@]:1}"; do
    case $token in
      fused) fused=true async=true ;;
      graphs) graphs=true ;;
      pad[0-9]*) pad=${token#pad} ;;
      np[0-9]*) np=${token#np} ;;
      eval[0-9]*) evalbs=${token#eval} ;;
      mps) mps=1 ;;
      packed) packing=on ;;
      unpacked) packing=off ;;
      *) row "bertgrid $v" skipped "" "unknown switch $token"; return ;;
    esac
  done
  [ -z "$pad" ] && { [ "$graphs" = true ] && pad=32 || pad=1; }
  if [ "$graphs" = true ] && [ "$graphs_ok" = 0 ]; then
    row "bertgrid $v" skipped "" "no CUDA graphs in this build"; return
  fi
  [ "$fused" = true ] && [ "$fused_ok" = 0 ] && fused=false
  if [ $mps = 1 ] && ! mps_start; then row "bertgrid $v" skipped "" "no MPS daemon here"; return; fi
  write_config "$v" "$precision" "$fused" "$async" "$graphs" "$pad" "$evalbs" "$packing"
  note "grid $v: np $np, $precision, fused_adamw $fused, async_copies $async, cuda_graphs $graphs, pad $pad, eval batch $evalbs, packing ${packing:-auto (default)}, MPS $mps"
  local start end
  start=$(date +%s.%N)
  local limit
  limit=$(left)
  timeout -k 5 "$((limit > 20 ? limit - 10 : 10))" \
    mpirun --oversubscribe -np "$np" "$bin" run --config "$work/$v.toml" --out "$work/runs/$v" \
    --force --data "$data" >"$work/$v.out" 2>"$work/$v.err"
  local rc=$?
  end=$(date +%s.%N)
  [ $mps = 1 ] && mps_stop
  cat "$work/$v.err" "$work/$v.out" >>"$log"
  local wall grid startup
  wall=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}')
  grid=$(sed -n 's/.* pending; \([0-9.]*\) s (start-up apart: MPI \([0-9.]*\) s, CUDA \([0-9.]*\) s).*/\1/p' "$work/$v.err" | tail -1)
  startup=$(sed -n 's/.*(start-up apart: MPI \([0-9.]*\) s, CUDA \([0-9.]*\) s).*/MPI \1 s, CUDA \2 s/p' "$work/$v.err" | tail -1)
  if [ $rc -ne 0 ] || [ -z "$grid" ]; then
    row "bertgrid $v" "failed" "" "exit $rc, see log.txt"
    tail -5 "$work/$v.err" >&2
    return
  fi
  grid_s[$v]=$grid
  row "bertgrid $v" "$(printf '%.2f' "$grid")" "$wall" "np $np; start-up $startup"
}

# ---- the Python references, same machine, same call ----------------------------------------
declare -A hf_s
have_cuda=$("$python" -c 'import torch; print(int(torch.cuda.is_available()))' 2>/dev/null || echo 0)
run_hf() {  # MODE
  local mode=$1 start wall s
  if [ "$have_cuda" != 1 ]; then row "hf_seed_grid --mode $mode" skipped "" "no CUDA in python"; return; fi
  note "hf_seed_grid.py --mode $mode"
  start=$(date +%s.%N)
  local limit
  limit=$(left)
  timeout -k 5 "$((limit > 20 ? limit - 10 : 10))" \
    "$python" "$deps/bench/hf_seed_grid.py" --data "$data" --vocab "$vocab" --mode "$mode" \
    >"$work/hf_$mode.json" 2>>"$log"
  wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  cat "$work/hf_$mode.json" >>"$log"
  # The script prints HF Trainer's log lines first; its JSON object starts at a line "{".
  s=$("$python" -c 'import json,sys; t=open(sys.argv[1]).read(); print(round(json.loads(t[t.rindex("\n{\n")+1:] if not t.startswith("{\n") else t)["grid_total_s"], 2))' \
      "$work/hf_$mode.json" 2>/dev/null)
  if [ -z "$s" ]; then row "hf_seed_grid --mode $mode" failed "" "see log.txt"; return; fi
  hf_s[$mode]=$s
  row "hf_seed_grid --mode $mode" "$s" "$wall" ""
}

# ---- golden tests and NCCL on this machine's libtorch --------------------------------------
run_tests() {
  [ "${TESTS:-1}" = 1 ] || return
  if [ "$tests_built" = 0 ]; then row "tests" failed "" "did not build (see log.txt)"; return; fi
  if [ "$tests_built" != 1 ]; then  # not among the build step's targets
    note "build tests"
    if ! cmake --build "$build" --target bertgrid_tests bertgrid_mpi_tests -j"$(nproc)" >>"$log" 2>&1; then
      row "tests" failed "" "did not build (see log.txt)"
      return
    fi
  fi
  note "NCCL and golden tests"
  timeout 60 mpirun -np 1 "$build/tests/bertgrid_mpi_tests" --gtest_filter='Allreduce*' \
    >"$work/tests.txt" 2>&1
  echo "bertgrid_mpi_tests exit $?" >>"$work/tests.txt"
  local limit
  limit=$(left)
  limit=$((limit > 40 ? limit - 30 : 10))
  timeout "$limit" "$build/tests/bertgrid_tests" \
    --gtest_filter='StepGraphs*:Packing*:StepStatus*:DistilBert*:*Golden*:TrainStep*:AdamW*:Clip*:Autocast*:FlatParams*:Embedder*:ExecutionSetup*:-DistilBertConfig.FileErrorsNameThePath' \
    >>"$work/tests.txt" 2>&1
  echo "bertgrid_tests exit $?" >>"$work/tests.txt"
  # This test crashed (SIGSEGV) on the GPU machine only: alone, with a backtrace where gdb is.
  local one=(--gtest_filter=DistilBertConfig.FileErrorsNameThePath)
  if command -v gdb >/dev/null; then
    timeout 60 gdb -q -batch -ex run -ex bt --args "$build/tests/bertgrid_tests" "${one[@]}" \
      >>"$work/tests.txt" 2>&1
  else
    timeout 60 "$build/tests/bertgrid_tests" "${one[@]}" >>"$work/tests.txt" 2>&1
    echo "FileErrorsNameThePath exit $?" >>"$work/tests.txt"
  fi
  row "tests" "" "" "$(grep -cE '^\[       OK \]' "$work/tests.txt") ok, $(grep -cE '^\[  FAILED  \] [A-Z]' "$work/tests.txt") failed, $(grep -cE '^\[  SKIPPED \] [A-Z]' "$work/tests.txt") skipped"
}

# ---- every step, in order of importance, each only if its estimate fits the budget ---------
estimate() {  # rough seconds a step needs
  case $1 in
    grid:fp32) echo 50 ;; grid:*) echo 40 ;; hf:seed) echo 140 ;; hf:tuned) echo 60 ;;
    tests) if [ -x "$build/tests/bertgrid_tests" ]; then echo 45; else echo 150; fi ;;
    *) echo 60 ;;
  esac
}
for step in $steps; do
  if [ "$(left)" -lt "$(estimate "$step")" ]; then row "$step" skipped "" "budget"; continue; fi
  case $step in
    grid:*) run_variant "${step#grid:}" ;;
    hf:*) run_hf "${step#hf:}" ;;
    tests) run_tests ;;
    *) note "unknown step $step" ;;
  esac
done

# ---- loss curves and final eval losses against the plain run --------------------------------
# bf16 against fp32 (rounding alone: same dropout masks); graphs against no graphs (the same
# computation with other dropout draws, so the curves agree to dropout noise); a packed run
# against the same switches padded and against the default.
pairs=(fp32:bf16 fp32:fp32-graphs bf16-fused:bf16-fused-graphs fp32:bf16-fused-graphs
  "fp32:$best_variant")
for v in "${!grid_s[@]}"; do
  [[ -$v- == *-packed-* ]] || continue
  u=-$v-
  a=${u/-packed-/-unpacked-} b=${u/-packed-/-}
  a=${a#-} b=${b#-}
  pairs+=("${a%-}:$v" "${b%-}:$v")
done
declare -A compared
for pair in "${pairs[@]}"; do
  a=${pair%%:*} b=${pair#*:}
  if [ "$a" = "$b" ] || [ -n "${compared[$pair]:-}" ]; then continue; fi
  compared[$pair]=1
  if [ -z "${grid_s[$a]:-}" ] || [ -z "${grid_s[$b]:-}" ]; then continue; fi
  {
    echo "== $b against $a"
    "$python" "$here/bench/compare_precision.py" "$work/runs/$a" "$work/runs/$b"
    echo "compare_precision exit $?"
  } >>"$work/precision.txt" 2>&1
done

# ---- the table -----------------------------------------------------------------------------
{
  printf '%-42s %9s %9s  %s\n' "what" "grid s" "wall s" "notes"
  printf '%s\n' "${rows[@]}"
  echo
  echo "grid s: bertgrid's own clock, from its first line to the results on disk (MPI and CUDA"
  echo "start-up apart); wall s: the whole process, start-up included. Build: $build_s s."
  best=""
  for v in "${!grid_s[@]}"; do
    if [ -z "$best" ] || awk -v a="${grid_s[$v]}" -v b="${grid_s[$best]}" 'BEGIN{exit !(a<b)}'; then best=$v; fi
  done
  if [ -n "$best" ]; then
    echo "best bertgrid: $best, ${grid_s[$best]} s"
    for mode in seed tuned; do
      anchor=$([ "$mode" = seed ] && echo 114.8 || echo 61.0)
      ref=${hf_s[$mode]:-}
      if [ -n "$ref" ]; then
        awk -v r="$ref" -v b="${grid_s[$best]}" -v m="$mode" \
          'BEGIN{printf "  hf --mode %s (this run) %.1f s: %.1fx faster\n", m, r, r/b}'
      fi
      awk -v r="$anchor" -v b="${grid_s[$best]}" -v m="$mode" \
        'BEGIN{printf "  hf --mode %s (issue anchor) %.1f s: %.1fx faster\n", m, r, r/b}'
    done
  fi
  [ -f "$work/precision.txt" ] && { echo; cat "$work/precision.txt"; }
  [ -f "$work/tests.txt" ] && { echo; grep -E '^\[  (PASSED|FAILED) |exit [0-9]+$' "$work/tests.txt"; }
  echo "total script time: $(elapsed) s"
} | tee "$table"
cat "$table" >>"$log"
[ -f "$work/tests.txt" ] && cp "$work/tests.txt" "$out/tests.txt"
( cd "$work" && tar czf "$out/runs.tar.gz" --exclude='*.h5' --exclude='*.safetensors' \
    runs *.toml 2>/dev/null ) || true
rm -rf "$work"
