#!/usr/bin/env bash
# Measures GOOSE/SV PDUs per second through decode, the dissectors and the goose_sv detector, on
# one core (optimised build): the SISCO 90-5 sample with and without its key (691 HMAC tags per
# pass over 400-800 octets), the tagged generated cases, and a real 9-2LE merging unit.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-3}"
cmake -B build/bench -DCMAKE_BUILD_TYPE=Release -DGS_BUILD_TESTS=ON >/dev/null
cmake --build build/bench -j2 --target bench_goose_sv >/dev/null
b=build/bench/tests/bench_goose_sv
shared=../shared/pcaps
if [ -d "$shared" ]; then
  "$b" "$shared/robidev__iec61850-dissector/test/iec90-5-samples.pcap" - "$secs"
  "$b" "$shared/robidev__iec61850-dissector/test/iec90-5-samples.pcap" \
    keys/examples/test-only-sisco-90-5.json "$secs"
  "$b" "$shared/mgadelha__Sampled_Values/SV_Normal_Traffic.cap" - "$secs"
fi
"$b" pcaps/goose-sv/sv-valid.pcap - "$secs"
"$b" pcaps/goose-sv/sv-valid.pcap keys/examples/test-only-goose-sv.json "$secs"
"$b" pcaps/goose-sv/goose-valid.pcap keys/examples/test-only-goose-sv.json "$secs"
