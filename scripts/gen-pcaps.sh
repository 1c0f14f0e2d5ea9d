#!/usr/bin/env bash
# Rebuilds every capture the project generates (pcaps/*.pcap) from its generator.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset dev >/dev/null
cmake --build --preset dev -j"$(nproc)" >/dev/null
gen=build/dev/pcaps
mkdir -p pcaps/dnp3-sa && "$gen/gen_dnp3_sa" pcaps/dnp3-sa
"$gen/gen_goose" pcaps/goose.pcap
"$gen/gen_rgoose" pcaps/rgoose.pcap
mkdir -p pcaps/goose-sv && "$gen/gen_goose_sv" pcaps/goose-sv
"$gen/gen_iec104" pcaps/iec104.pcap
"$gen/gen_tls" pcaps/tls_62351.pcap
"$gen/gen_mms" pcaps/mms_station.pcap
"$gen/gen_policy" pcaps/policy.pcap
mkdir -p pcaps/baseline && "$gen/gen_baseline" pcaps/baseline
mkdir -p pcaps/iec104-sa && "$gen/gen_iec104_sa" pcaps/iec104-sa
# Last: the demo capture appends packets of the captures above.
"$gen/gen_demo" pcaps/demo.pcap pcaps
