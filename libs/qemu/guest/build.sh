#!/usr/bin/env sh
# Builds the test guest into dist/ (git-ignored). Tests call buildTestGuest(), which does the same.
set -eu
cd "$(dirname "$0")"
mkdir -p dist
nasm -f bin -o dist/dirty-guest.bin dirty-guest.asm
echo "built $(pwd)/dist/dirty-guest.bin"
