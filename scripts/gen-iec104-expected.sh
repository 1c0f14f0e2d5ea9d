#!/usr/bin/env bash
# Regenerates tests/regress/iec104/*.expected: tshark's IEC 104 view (type id, COT and number
# of objects per APDU, frame by frame) of every IEC 104 capture in ../shared/pcaps (the
# MANIFEST rows where tshark saw iec60870_104) and of pcaps/iec104.pcap, with the corrections
# committed in scripts/iec104_tshark.py. Needs tshark (4.0) and python3; the Check test
# (unit.iec104_regress) reads the files and needs neither.
set -euo pipefail
cd "$(dirname "$0")/.."
out=tests/regress/iec104
shared=../shared/pcaps
mkdir -p "$out"
rm -f "$out"/*.expected
python3 scripts/iec104_tshark.py expected pcaps/iec104.pcap pcaps/iec104.pcap >"$out/iec104.pcap.expected"
if [ -d "$shared" ]; then
  awk -F'\t' 'NR > 1 && $8 ~ /(^| )iec60870_104:/ {print $1}' "$shared/MANIFEST.tsv" |
    while read -r rel; do
      name="${rel%%/*}.$(basename "$rel").expected"
      python3 scripts/iec104_tshark.py expected "$shared/$rel" "$rel" >"$out/$name"
    done
fi
ls -1 "$out"
