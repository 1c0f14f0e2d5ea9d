#!/usr/bin/env bash
# Rebuilds every capture the project generates (pcaps/*.pcap) from its generator.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset dev >/dev/null
cmake --build --preset dev -j"$(nproc)" >/dev/null
gen=build/dev/pcaps
"$gen/gen_demo" pcaps/demo.pcap
"$gen/gen_mms" pcaps/mms_station.pcap
