#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_goose, fuzz_sv and fuzz_rsession from captures: for each
capture one input whose chunks (split on "GSFZ", tests/fuzz/fuzz_support.h) are the layer-2
payloads after the EtherType of its GOOSE or SV frames, or the reassembled UDP payloads to port
102; a few chunks are also marked cut short by the capture (selector bit 2).

Usage: scripts/goose-sv-seeds.py [--shared ../shared/pcaps]
"""
import argparse
import importlib.util
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
spec = importlib.util.spec_from_file_location("expected", os.path.join(HERE, "goose-sv-expected.py"))
exp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(exp)

MAGIC = b"GSFZ"
MAX_CHUNKS = 24


def chunks_to_input(chunks):
    out = []
    for k, data in enumerate(chunks[:MAX_CHUNKS]):
        selector = 0
        if k % 5 == 4:  # cut short: selector bit 2, (selector >> 3) + 1 octets missing
            cut = min(len(data) - 1, 9) if len(data) > 1 else 0
            if cut > 0:
                data = data[:-cut]
                selector = 0x04 | ((cut - 1) << 3)
        out.append(bytes([selector]) + data)
    return MAGIC.join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared", "pcaps"))
    args = ap.parse_args()
    sources = {
        "goose": ["ITI__ICS-Security-Tools/pcaps/IEC61850/GOOSE/GOOSE.pcap",
                  "ITI__ICS-Security-Tools/pcaps/IEC61850/GOOSE/Sample_File_GOOSE.pcap",
                  "J-Gras__zeek-goose-analyzer/tests/traces/all_arrays.pcap",
                  "J-Gras__zeek-goose-analyzer/tests/traces/malformed_array_1.pcap",
                  "J-Gras__zeek-goose-analyzer/tests/traces/integer.pcap",
                  "haolipeng__icsnpp-iec61850-goose/testing/Traces/GOOSE_all_data_primitives_fallbacks.pcap",
                  "haolipeng__icsnpp-iec61850-goose/testing/Traces/GOOSE_malformed_asn1.pcap",
                  "haolipeng__icsnpp-iec61850-goose/testing/Traces/GOOSE_truncated.pcap",
                  "mdehus__goose-IEC61850-scapy/wireshark2.pcap", "project:pcaps/goose.pcap"],
        "sv": ["mgadelha__Sampled_Values/SV_Normal_Traffic.cap", "project:pcaps/goose.pcap"],
        "rsession": ["robidev__iec61850-dissector/test/iec90-5-samples.pcap"],
    }
    for target, files in sources.items():
        outdir = os.path.join(ROOT, "tests", "fuzz", "corpus", target)
        os.makedirs(outdir, exist_ok=True)
        for ref in files:
            path = (os.path.join(ROOT, ref[8:]) if ref.startswith("project:")
                    else os.path.join(args.shared, ref))
            frames = list(exp.read_pcap(path))
            chunks = []
            if target == "rsession":
                chunks = [d for _, d in exp.reassemble_udp(frames)][:8]
            else:
                want = (exp.ET_SV,) if target == "sv" else (exp.ET_GOOSE, exp.ET_GSE)
                for _, lt, f in frames:
                    if lt == 1:
                        l2 = exp.L2(f)
                        if l2.ether_type in want:
                            chunks.append(l2.payload)
            if not chunks:
                continue
            name = os.path.basename(ref).rsplit(".", 1)[0] + ".bin"
            with open(os.path.join(outdir, name), "wb") as fp:
                fp.write(chunks_to_input(chunks))
            print(target, name, min(len(chunks), MAX_CHUNKS))


if __name__ == "__main__":
    main()
