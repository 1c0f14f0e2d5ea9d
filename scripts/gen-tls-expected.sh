#!/usr/bin/env bash
# Writes the expected alerts of the TLS regression tests from tshark's view of the captures:
#
#  tests/regress/tls_62351/expected.tsv  for pcaps/tls_62351.pcap (gen_tls.c): each case of
#      the generator names the rule it must raise and the message that shows the problem; the
#      frame is where tshark sees that message (after its own TCP/TLS reassembly), so the
#      expected pcap_cnt does not come from gridsensor itself.
#  tests/regress/tls_shared/<capture>.tsv  for the TLS captures of ../shared/pcaps: every
#      clear-text handshake message, alert and ChangeCipherSpec tshark decodes, with the
#      ClientHello's JA3 and the ServerHello's version and suite.
#
# tshark runs with tcp.reassemble_out_of_order on (its default leaves a segment that fills a
# hole undecoded, where gridsensor reorders). Needs tshark (4.0 was used); the tests do not.
set -euo pipefail
cd "$(dirname "$0")/.."

pcap=pcaps/tls_62351.pcap
out=tests/regress/tls_62351/expected.tsv
fields=$(mktemp)
trap 'rm -f "$fields"' EXIT
tshark -o tcp.reassemble_out_of_order:TRUE -r "$pcap" -T fields -E separator=/t -e frame.number -e tcp.srcport -e tcp.dstport \
    -e tls.handshake.type -e tcp.len >"$fields" 2>/dev/null

# client_port rule message side scope: the message is a handshake type, or "data" for the
# first payload; side is who sends it; scope "policy" when only the conduit policy
# (tests/regress/tls_62351/policy.json) makes it a finding.
cases="
41002 tls.version_not_allowed 2 server always
41003 tls.suite_offered_weak 1 client always
41003 tls.suite_not_allowed 2 server always
41004 tls.suite_offered_weak 1 client always
41004 tls.suite_not_allowed 2 server always
41005 tls.cert_key_too_small 11 server always
41006 tls.cert_weak_signature 11 server always
41007 tls.cert_expired 11 server always
41008 tls.cert_not_yet_valid 11 server always
41009 tls.renegotiation_insecure 2 server always
41010 tls.no_client_auth 14 server policy
41011 tls.no_client_auth 11 client policy
41013 policy.tls_required data client policy
42002 tls.cert_key_too_small 11 server always
42003 tls.cert_expired 11 client always
42004 tls.version_not_allowed 2 server always
"
{
    echo "# rule	client_port	pcap_cnt	scope   (scripts/gen-tls-expected.sh; compliant: 41001 41012 42001)"
    echo "$cases" | while read -r port rule msg side scope; do
        [ -z "$port" ] && continue
        frame=$(awk -F'\t' -v port="$port" -v msg="$msg" -v side="$side" '
            {
                mine = (side == "client") ? ($2 == port) : ($3 == port)
                if (!mine) next
                if (msg == "data") { if ($5 > 0) { print $1; exit } ; next }
                n = split($4, types, ",")
                for (i = 1; i <= n; i++) if (types[i] == msg) { print $1; exit }
            }' "$fields")
        [ -n "$frame" ] || { echo "no frame for $port $rule" >&2; exit 1; }
        printf '%s\t%s\t%s\t%s\n' "$rule" "$port" "$frame" "$scope"
    done
} >"$out"
echo "wrote $out"

shared=../shared/pcaps/zeek__zeek/testing/btest/Traces
if [ ! -d "$shared" ]; then
    echo "$shared is absent: shared-capture expectations not written" >&2
    exit 0
fi
mkdir -p tests/regress/tls_shared
for f in "$shared"/tls/*.pcap "$shared"/modbus/modbus-and-non-modbus-p502.pcap; do
    name=$(basename "$f" .pcap)
    {
        echo "# frame	srcport	record	handshake types	ja3	versions	suites	alert	cert lengths   (tshark $(tshark -v 2>/dev/null | head -1 | awk '{print $3}'), out-of-order reassembly on)"
        tshark -o tcp.reassemble_out_of_order:TRUE -r "$f" -Y tls -T fields -E separator=/t \
            -E occurrence=a -E aggregator=, -e frame.number -e tcp.srcport \
            -e tls.record.content_type -e tls.handshake.type -e tls.handshake.ja3 \
            -e tls.handshake.extensions.supported_version -e tls.handshake.ciphersuite \
            -e tls.alert_message.desc -e tls.handshake.certificate_length 2>/dev/null
    } >"tests/regress/tls_shared/$name.tsv"
done
echo "wrote tests/regress/tls_shared/*.tsv"
