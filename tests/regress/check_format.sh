#!/usr/bin/env bash
# Every C file is formatted with the committed .clang-format (docs/STYLE.md §27).
# Skipped (exit 77) where clang-format is not installed.
set -u
cd "$(dirname "$0")/../.."
command -v clang-format >/dev/null || { echo "SKIP: clang-format is not installed"; exit 77; }
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find dissectors detectors sensor keys pcaps tests scripts -name '*.[ch]')
clang-format --dry-run --Werror $files
