#!/usr/bin/env bash
# Usage: demo_without_shared_test.sh SOURCE_DIR BUILD_DIR SHARED_DIR
# `make demo` from a copy of the checkout with nothing beside it: SHARED points at an empty
# folder, BERTGRID_DATA is unset, and the dataset sits in the copy's data/ folder (made here, as a
# link to the shared copy: there is no network to clone it). The demo config must run to
# results.csv with every job ok, reading the vocab that ships in models/.
set -euo pipefail
source=$1 build=$(cd "$2" && pwd) shared=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "demo_without_shared_test: $*" >&2; exit 1; }

mkdir "$work/clone" "$work/empty"
git -C "$source" ls-files -z | (cd "$source" && xargs -0 cp --parents -t "$work/clone")
mkdir "$work/clone/data"
ln -s "$shared/data/hate-speech-dataset" "$work/clone/data/hate-speech-dataset"
env -u BERTGRID_DATA make -C "$work/clone" demo SHARED="$work/empty" BUILD="$build" \
  >"$work/demo.log" 2>&1 || { tail -30 "$work/demo.log"; fail "make demo failed"; }
grep -q "demo: dataset data/hate-speech-dataset" "$work/demo.log" || fail "not the data/ copy"
csv=$work/clone/runs/demo/results.csv
[ -f "$csv" ] || fail "no results.csv"
ok=$(grep -c ',ok,' "$csv" || true)
[ "$ok" -eq 8 ] || { cat "$csv"; fail "expected 8 ok jobs, got $ok"; }
tail -3 "$work/demo.log"
echo "demo_without_shared_test: 8 of 8 demo jobs ok with an empty SHARED"
