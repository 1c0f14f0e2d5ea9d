#!/usr/bin/env bash
# Measures SA MAC verification and session-key unwrap throughput on one core (optimised build).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -B build/bench -DCMAKE_BUILD_TYPE=Release -DGS_BUILD_TESTS=ON >/dev/null
cmake --build build/bench -j2 --target bench_sa_crypto >/dev/null
build/bench/tests/bench_sa_crypto "${1:-3}"
