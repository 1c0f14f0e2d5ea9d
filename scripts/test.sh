#!/usr/bin/env bash
# The README's second command (and all that CI runs): install dependencies, build with
# AddressSanitizer and UndefinedBehaviorSanitizer, and run the whole test suite under CTest.
# With CI set, warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
werror=OFF
[ -n "${CI:-}" ] && werror=ON
cmake --preset asan -DGS_WERROR="$werror" >/dev/null
cmake --build --preset asan -j"$(nproc)"
ctest --preset asan "$@"
