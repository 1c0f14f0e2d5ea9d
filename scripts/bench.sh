#!/usr/bin/env bash
# Throughput of gridsensor beside a raw libpcap read loop and tshark, on the same capture, in
# one run, so the ratios mean something on a noisy machine.
#
#   scripts/bench.sh [CAPTURE]     without CAPTURE, builds build/bench/mixed.pcap by
#                                  concatenating the Ethernet captures of ../shared/pcaps
#                                  (BENCH_COPIES times, default 20) with mergecap.
#   BENCH_ROUNDS=3                 rounds; each tool runs once per round, interleaved;
#                                  the median is reported.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if ! command -v tshark >/dev/null || ! command -v mergecap >/dev/null; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    echo "bench: installing tshark (for the comparison and mergecap)" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends tshark >/dev/null
fi
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" >/dev/null
bin=build/release
rounds=${BENCH_ROUNDS:-3}

capture=${1:-}
if [ -z "$capture" ]; then
    shared=../shared/pcaps
    [ -d "$shared" ] || { echo "bench: give a CAPTURE (no ../shared/pcaps to build one)" >&2; exit 2; }
    mkdir -p build/bench
    capture=build/bench/mixed.pcap
    if [ ! -s "$capture" ]; then
        mapfile -t inputs < <(find "$shared" -type f \( -name '*.pcap' -o -name '*.cap' -o -name '*.pcapng' \) \
            -exec sh -c 'capinfos -E -T -r "$1" 2>/dev/null | grep -q "[[:space:]]ether$" && echo "$1"' _ {} \; | sort)
        copies=()
        for _ in $(seq "${BENCH_COPIES:-20}"); do copies+=("${inputs[@]}"); done
        mergecap -a -F pcap -w "$capture" "${copies[@]}"
    fi
fi

read -r packets bytes < <("$bin/scripts/pcap_read_loop" "$capture")
echo "capture: $capture  ($packets packets, $bytes bytes)"

time_of() { # prints seconds taken by the command
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    awk -v a="$end" -v b="$start" 'BEGIN { printf "%.6f\n", a - b }'
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -a t_raw t_gs t_gs_events t_tshark
for _ in $(seq "$rounds"); do
    t_raw+=("$(time_of "$bin/scripts/pcap_read_loop" "$capture")")
    t_gs+=("$(time_of "$bin/sensor/gridsensor" -o file:/dev/null -r "$capture")")
    t_gs_events+=("$(time_of "$bin/sensor/gridsensor" --log-events -o file:/dev/null -r "$capture")")
    t_tshark+=("$(time_of tshark -n -r "$capture")")
done

report() { # name seconds
    awk -v name="$1" -v s="$2" -v p="$packets" -v b="$bytes" -v raw="$3" \
        'BEGIN { printf "%-28s %9.3f s %12.0f pkt/s %9.1f Mbit/s   %6.2fx the raw loop time\n", name, s, p/s, b*8/s/1e6, s/raw }'
}
raw=$(median "${t_raw[@]}")
gs=$(median "${t_gs[@]}")
ev=$(median "${t_gs_events[@]}")
ts=$(median "${t_tshark[@]}")
echo "median of $rounds rounds:"
report "libpcap read loop" "$raw" "$raw"
report "gridsensor (alerts only)" "$gs" "$raw"
report "gridsensor --log-events" "$ev" "$raw"
report "tshark -r" "$ts" "$raw"
awk -v g="$gs" -v t="$ts" 'BEGIN { printf "gridsensor is %.1fx faster than tshark on this capture\n", t/g }'
