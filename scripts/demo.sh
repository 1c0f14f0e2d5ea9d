#!/usr/bin/env bash
# The README's first command: install dependencies, build an optimised gridsensor, and replay
# the bundled demo capture (pcaps/demo.pcap), printing every alert, protocol event and the
# final stats record as JSON lines.
#
# The demo judges the capture against a conduit policy (pcaps/demo-policy.json: function-code
# allow-lists, TLS required, an allowed GOOSE publisher) and verifies DNP3 Secure
# Authentication with the test-only key store of the generated
# SA captures (keys/examples/test-only-dnp3-sa.json, never for real use). A key store must be
# readable by its owner only and git does not keep file modes, so a private copy is used.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" >/dev/null
keys=$(mktemp /tmp/gridsensor-demo-keys.XXXXXX)
trap 'rm -f "$keys"' EXIT
cp keys/examples/test-only-dnp3-sa.json "$keys"
chmod 600 "$keys"
build/release/sensor/gridsensor --keys "$keys" --policy pcaps/demo-policy.json --log-events --stats \
    -r pcaps/demo.pcap "$@"
