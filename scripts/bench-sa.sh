#!/usr/bin/env bash
# DNP3 SAv5 MACs verified per second per core through the whole sensor (capture file, decode,
# flow, TCP reassembly, DNP3 dissector, SA detector), on long valid sessions written by
# gen_dnp3_sa --bench, beside the same captures without keys (nothing verified) and the raw
# crypto figure of bench_sa_crypto. The packet path is one thread, so CPU seconds of the
# gridsensor process are core seconds.
#
#   scripts/bench-sa.sh [MACS]     MACs per session (default 200000); captures are kept in
#                                  build/bench/sa/ and reused
set -euo pipefail
cd "$(dirname "$0")/.."
macs=${1:-200000}
cmake --preset release >/dev/null
cmake --build --preset release -j2 --target gridsensor gen_dnp3_sa >/dev/null
bin=build/release
dir=build/bench/sa
mkdir -p "$dir"
keys=$(mktemp)
trap 'rm -f "$keys"' EXIT
cp keys/examples/test-only-dnp3-sa.json "$keys"
chmod 600 "$keys"

# run ARGS...: runs gridsensor once; prints "MACs-verified packets cpu-seconds".
run() {
    local times stats
    times=$(mktemp)
    stats=$(/usr/bin/time -o "$times" -f "%U %S" "$bin/sensor/gridsensor" --no-classify --stats "$@" \
            | grep '"event_type":"stats"')
    local verified packets t
    verified=$(jq -r '.stats.detect.dnp3_sa.macs_verified' <<<"$stats")
    packets=$(jq -r '.stats.packets' <<<"$stats")
    t=$(awk '{print $1 + $2}' "$times")
    rm -f "$times"
    echo "$verified $packets $t"
}

printf '%-8s %9s %9s %12s %12s %14s\n' mal macs packets "cpu s keys" "cpu s none" "MACs/s/core"
for a in sha256 gmac sha1; do
    pcap=$dir/bench-$a.pcap
    [ -s "$pcap" ] || "$bin/pcaps/gen_dnp3_sa" --bench "$a" "$macs" "$dir"
    read -r verified packets tk < <(run --keys "$keys" -r "$pcap")
    read -r _ _ tn < <(run -r "$pcap")
    rate=$(awk -v m="$verified" -v t="$tk" 'BEGIN { printf "%.0f", m / t }')
    printf '%-8s %9s %9s %12s %12s %14s\n' "$a" "$verified" "$packets" "$tk" "$tn" "$rate"
done
echo
echo "raw crypto (scripts/bench-sa-crypto.sh):"
scripts/bench-sa-crypto.sh 1
