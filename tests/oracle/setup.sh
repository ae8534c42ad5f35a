#!/bin/sh
# Installs the tokenizer oracle (npm `tokenizers`, pinned by package-lock.json) into WORK_DIR.
# Usage: setup.sh ORACLE_SOURCE_DIR WORK_DIR      (the ctest tokenizer_oracle_setup runs it)
set -eu
src=$1
work=$2
mkdir -p "$work"
cp "$src/package.json" "$src/package-lock.json" "$src/oracle.js" "$work/"
cd "$work"
if [ -f node_modules/tokenizers/package.json ] &&
   grep -q '"version": "0.23.2"' node_modules/tokenizers/package.json; then
  echo "oracle: tokenizers 0.23.2 already installed in $work"
  exit 0
fi
npm ci --prefer-offline --no-audit --no-fund
