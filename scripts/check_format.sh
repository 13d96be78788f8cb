#!/usr/bin/env bash
# Fails when any tracked C++ file differs from clang-format's Google-based style (.clang-format).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null; then
  echo "clang-format not installed: run scripts/setup.sh" >&2
  exit 1
fi
files=$(git ls-files '*.cc' '*.h' '*.cu' '*.cuh' 2>/dev/null || find . -path ./build -prune -o \( -name '*.cc' -o -name '*.h' -o -name '*.cu' \) -print)
[ -n "$files" ] || exit 0
echo "$files" | xargs clang-format --dry-run --Werror
echo "clang-format: $(echo "$files" | wc -l) files clean"
