#!/usr/bin/env bash
# The README's first command: install dependencies, build an optimised gridsensor, and replay
# the bundled demo capture (pcaps/demo.pcap), printing every alert, protocol event and the
# final stats record as JSON lines.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" >/dev/null
exec build/release/sensor/gridsensor --log-events --stats -r pcaps/demo.pcap "$@"
