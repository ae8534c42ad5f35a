#!/usr/bin/env bash
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]      (make fuzz; FUZZ_SECONDS=30 make fuzz)
# Runs each libFuzzer target (fuzz/fuzz_<TARGET>.cpp; default: all) for SECONDS (default 600),
# one after another, from the seeds scripts/fuzz_seeds.py writes plus the corpus kept from earlier
# runs, then prints per target: executions per second, and the line coverage of the parser it
# targets, measured by running the final corpus through a separate coverage build
# (-fprofile-instr-generate) with llvm-profdata-14 / llvm-cov-14. Exits 1 if any target found a
# crash, leak, timeout or sanitizer report (the input is kept under FUZZ_BUILD/fuzz/artifacts/).
# SECONDS=0 fuzzes nothing and reports on the corpus (and exec/s) of the last run.
# Env: FUZZ_BUILD (build-asan: clang, BERTGRID_SANITIZE=ON, BERTGRID_FUZZ=ON), COV_BUILD
# (build-cov), SHARED (../shared), FUZZ_COVERAGE=0 skips the coverage build and report,
# JOBS (2) for the builds.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-${FUZZ_SECONDS:-600}}
shift || true
FUZZ_BUILD=${FUZZ_BUILD:-build-asan}
COV_BUILD=${COV_BUILD:-build-cov}
SHARED=$(realpath "${SHARED:-../shared}")
FUZZ_COVERAGE=${FUZZ_COVERAGE:-1}
JOBS=${JOBS:-2}
all_targets=(safetensors distilbert_config run_config csv vocab tokenizer embeddings_h5)
targets=("${@:-${all_targets[@]}}")

# The parser source files each target exercises (the coverage report is restricted to these).
declare -A sources=(
  [safetensors]="src/model/safetensors.cpp"
  [distilbert_config]="src/model/distilbert_config.cpp"
  [run_config]="src/core/config.cpp"
  [csv]="src/text/csv.cpp src/text/dataset.cpp"
  [vocab]="src/text/vocab.cpp"
  [tokenizer]="src/text/tokenizer.cpp src/text/normalizer.cpp src/text/wordpiece.cpp src/text/utf8.cpp"
  [embeddings_h5]="src/io/embeddings_h5.cpp src/io/hdf5.cpp"
)

configure() {  # DIR EXTRA_CMAKE_ARGS...
  local dir=$1; shift
  [ -f "$dir/build.ninja" ] || CC=clang-14 CXX=clang++-14 cmake -S . -B "$dir" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTGRID_SHARED_DIR="$SHARED" -DBERTGRID_FUZZ=ON "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS" --target fuzz_targets
}

configure "$FUZZ_BUILD" -DBERTGRID_SANITIZE=ON
python3 scripts/fuzz_seeds.py "$FUZZ_BUILD/fuzz/seeds" "$SHARED"
mkdir -p "$FUZZ_BUILD/fuzz/artifacts"
# Sanitizer options are compiled in (cmake/sanitizer_defaults.cpp); the targets keep leak checks.
export BERTGRID_FUZZ_VOCAB=$SHARED/data/bert-base-uncased-vocab/vocab.txt

declare -A rate status
failed=0
for t in "${targets[@]}"; do
  corpus=$FUZZ_BUILD/fuzz/corpus/$t
  log=$FUZZ_BUILD/fuzz/$t.log
  mkdir -p "$corpus"
  if [ "$seconds" = 0 ]; then  # no fuzzing: report on the corpus and log of earlier runs
    rate[$t]=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" 2>/dev/null | tail -1)
    status[$t]="not run (SECONDS=0)"
    continue
  fi
  echo "fuzz: $t for ${seconds}s (log: $log)"
  rc=0
  "$FUZZ_BUILD/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$FUZZ_BUILD/fuzz/artifacts/$t-" \
    "$corpus" "$FUZZ_BUILD/fuzz/seeds/$t" >"$log" 2>&1 || rc=$?
  rate[$t]=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  if [ "$rc" -ne 0 ]; then
    status[$t]="FAILED (rc $rc; see $log and $FUZZ_BUILD/fuzz/artifacts/)"
    failed=1
    grep -E "ERROR|runtime error|invariant|what\(\)" "$log" | head -5 >&2 || true
  else
    status[$t]=ok
  fi
done

declare -A cover
if [ "$FUZZ_COVERAGE" = 1 ]; then
  configure "$COV_BUILD" -DBERTGRID_COVERAGE=ON -DBERTGRID_BUILD_TESTS=OFF
  for t in "${targets[@]}"; do
    prof=$COV_BUILD/fuzz/$t
    rm -rf "$prof" && mkdir -p "$prof"
    LLVM_PROFILE_FILE="$prof/%p.profraw" "$COV_BUILD/fuzz/fuzz_$t" -runs=0 \
      "$FUZZ_BUILD/fuzz/corpus/$t" "$FUZZ_BUILD/fuzz/seeds/$t" >"$prof/run.log" 2>&1 || true
    llvm-profdata-14 merge -sparse "$prof"/*.profraw -o "$prof/merged.profdata"
    # llvm-cov's TOTAL row: lines covered = columns 8 (lines) and 9 (missed lines).
    files=()
    for f in ${sources[$t]}; do files+=("$PWD/$f"); done
    cover[$t]=$(llvm-cov-14 report "$COV_BUILD/fuzz/fuzz_$t" -instr-profile="$prof/merged.profdata" \
      "${files[@]}" | awk '/^TOTAL/ {printf "%.1f%% (%d/%d lines)", 100*($8-$9)/$8, $8-$9, $8}')
  done
fi

printf '\n%-18s %12s  %-34s %s\n' target exec/s "line coverage of the parser" result
for t in "${targets[@]}"; do
  printf '%-18s %12s  %-34s %s\n' "$t" "${rate[$t]:-?}" "${cover[$t]:-n/a}" "${status[$t]}"
  printf '%-18s %12s  %s\n' "" "" "(${sources[$t]})"
done
exit $failed
