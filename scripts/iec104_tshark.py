#!/usr/bin/env python3
"""IEC 104 frame-by-frame comparison of gridsensor with tshark.

Each frame that carries IEC 104 APDUs is one line: the frame number, a tab, and its APDUs in
order, separated by spaces:

    U:<function>   a U-format APDU (startdt_act ... testfr_con, or ? when CF1 names none)
    S              an S-format APDU
    I              an I-format APDU without ASDU octets
    I:<t>/<c>/<n>  an I-format APDU whose ASDU has type identification t, cause of
                   transmission c (6 bits) and VSQ number of objects n; a field the ASDU is
                   too short to hold is left empty (e.g. I:24//24)

This is tshark's `-e iec60870_asdu.typeid -e iec60870_asdu.causetx -e iec60870_asdu.numix`
(plus iec60870_104.type and .utype) kept per APDU, read from PDML so that several APDUs of a
frame stay paired with their ASDUs.

  iec104_tshark.py expected PCAP [LABEL]  tshark's view with the committed corrections below
                                          applied: what tests/regress/iec104/*.expected hold
  iec104_tshark.py tshark PCAP            tshark's view, uncorrected
  iec104_tshark.py ours PCAP              gridsensor's view (--log-events); GRIDSENSOR=path
                                          picks the binary (default build/dev)
  iec104_tshark.py compare PCAP [LABEL]   both, frame by frame; exit 1 on any difference not
                                          explained by a correction

LABEL names the capture in corrections: its path under ../shared/pcaps, or pcaps/NAME for the
project's own captures (scripts/gen-iec104-expected.sh passes it).

tshark is needed here only: the Check test reads the committed expected files.

Where tshark 4.0 and gridsensor differ, tshark frames the stream wrongly; scripts/
iec104_difftest.py found no other kind of difference over thousands of random frames. The
three kinds (each has an example in pcaps/iec104.pcap and a correction below):
  1. a PDU that starts with a length octet below 4 (a PDU shorter than 6 octets):
     tcp_dissect_pdus reports a bounds error and drops the rest of the segment;
  2. an exception in the ASDU dissector (an ASDU too short for what tshark reads) leaves
     pinfo->can_desegment decremented, so a later APDU of the same segment that continues in
     the next one is dissected cut short there and its end is lost;
  3. get_iec104apdu_len never tests the last octet it holds for 0x68, so a start octet that
     ends a segment after stray octets is taken as noise with the APDU it starts.
Framing on clean traffic, with any segmentation, retransmission and several APDUs per
segment, is identical.
"""
import hashlib
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

U_NAMES = {1: "startdt_act", 2: "startdt_con", 4: "stopdt_act", 8: "stopdt_con",
           16: "testfr_act", 32: "testfr_con"}

# Frames where tshark 4.0 is wrong, keyed by the capture's label (its path under
# ../shared/pcaps, or pcaps/NAME for the project's own) and frame number:
# (what tshark says, gridsensor's answer, why). The expected file lists each one in its
# header and holds the corrected answer; `expected` fails if tshark no longer says what the
# entry corrects, so a regenerated capture cannot silently shift a correction.
CORRECTIONS = {
    "pcaps/iec104.pcap": {
        435: ("", "U:startdt_act",
              "the segment is 68 01 00 | 68 04 07 00 00 00: an APDU whose length octet (1) is "
              "below 4, then a STARTDT act. tshark's tcp_dissect_pdus sees a PDU shorter than "
              "its 6-octet fixed part, reports a bounds error and drops the rest of the "
              "segment; the length octet delimits the bad APDU, so the STARTDT act after it "
              "is intact and is reported (after an iec104.apdu_too_short anomaly)"),
        461: ("I:45//1 S I:100//1", "I:45//1 S",
              "the segment holds a 2-octet ASDU, an S-frame and the first 8 octets of a "
              "C_IC_NA_1 that ends in frame 463. tshark's ASDU dissector throws on the short "
              "ASDU and the exception skips the restore of pinfo->can_desegment, so "
              "tcp_dissect_pdus no longer reassembles: it dissects the 8 octets as they are "
              "(type and VSQ, no COT) and drops the rest in frame 463. The APDU is whole only "
              "in frame 463 and is reported there"),
        463: ("", "I:100/6/1", "the end of the APDU begun in frame 461 (see there)"),
        467: ("", "U:testfr_act",
              "frame 465 is 01 02 03 04 05 68 and frame 467 04 43 00 00 00. tshark's "
              "get_iec104apdu_len never tests the last octet it holds for a start octet, so it "
              "takes all six as noise and the TESTFR act becomes noise too; the 0x68 does "
              "start an APDU, completed in frame 467 (after an iec104.resync anomaly)"),
    },
}

# Why gridsensor agrees with tshark on frames where tshark reports errors.
NOTES = {
    "ITI__ICS-Security-Tools/pcaps/IEC60870-5-104/TestDissectIec104.pcap": [
        "Deliberately malformed APDUs (tshark: 'APDU less than 4 bytes', 'Malformed Packet').",
        "Both frame on the length octet after skipping octets before a 0x68 (iec104.resync).",
        "Length octets below 4 (frames 11 16 18 23) are consumed as one bad APDU each",
        "(iec104.apdu_too_short) and give no APDU here, as in tshark.",
        "Frame 25: an I-frame with length 4 carries no ASDU: 'I' (iec104.no_asdu); tshark",
        "calls its ASDU dissector on zero octets and shows no field, the same answer.",
        "Frames 41 58 (2 ASDU octets) and 83 96 (4 octets): the ASDU is shorter than its",
        "data unit identifier. The octets present are what the wire says, so they are",
        "reported (type 24, VSQ 24; type 26, VSQ 26, COT 26) with the ASDU marked truncated",
        "and an iec104.asdu_truncated anomaly; no object is decoded. tshark shows the same",
        "fields before its exception, so the right answer and tshark's coincide.",
        "Frames 36 71 75: U and S frames with length 5 and 6 (iec104.bad_length), reported",
        "as U (no valid function: U:?) and S, as tshark does.",
    ],
    "pcaps/iec104.pcap": [
        "Generated by pcaps/gen/gen_iec104.c. tshark 4.0 names 81..87 and 90..95 but does not",
        "decode IEC 62351-5 fields: it reads an IOA and raw data where the segmentation octet",
        "and message are; type id, COT and count come from the common header and agree.",
    ],
}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def field_show(proto, name):
    for f in proto.iter("field"):
        if f.get("name") == name:
            return f.get("show")
    return None


def tshark_view(pcap):
    """{frame: [descriptor, ...]} from tshark's PDML."""
    out = subprocess.run(["tshark", "-r", pcap, "-T", "pdml", "-Y", "iec60870_104"],
                         check=True, capture_output=True).stdout
    frames = {}
    for _, elem in ET.iterparse(__import__("io").BytesIO(out), events=("end",)):
        if elem.tag != "packet":
            continue
        num = None
        apdus = []
        for proto in elem.findall("proto"):
            name = proto.get("name")
            if name == "frame":
                num = int(field_show(proto, "frame.number"))
            elif name == "iec60870_104":
                typ = field_show(proto, "iec60870_104.type")
                if typ is None:
                    continue  # "APDU less than 4 bytes": no APCI type, nothing decoded
                typ = int(typ, 16)
                if typ == 0:
                    apdus.append(["I", None])
                elif typ == 1:
                    apdus.append(["S", None])
                else:
                    ut = field_show(proto, "iec60870_104.utype")
                    apdus.append(["U:" + U_NAMES.get(int(ut, 16) if ut else -1, "?"), None])
            elif name == "iec60870_asdu":
                # The ASDU dissector is called once per I-format APDU, right after it.
                target = next((a for a in reversed(apdus) if a[0] == "I"), None)
                if target is None or target[1] is not None:
                    continue
                vals = [field_show(proto, "iec60870_asdu." + k)
                        for k in ("typeid", "causetx", "numix")]
                target[1] = vals if any(v is not None for v in vals) else []
        elem.clear()
        if num is not None and apdus:
            frames[num] = [describe_i(a[1]) if a[0] == "I" else a[0] for a in apdus]
    return frames


def describe_i(vals):
    if not vals:
        return "I"
    return "I:" + "/".join("" if v is None else str(v) for v in vals)


def ours_view(pcap):
    exe = os.environ.get("GRIDSENSOR") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "build", "dev", "sensor", "gridsensor")
    out = subprocess.run([exe, "--log-events", "-r", pcap], check=True,
                         capture_output=True, text=True).stdout
    frames = {}
    for line in out.splitlines():
        rec = json.loads(line)
        if rec.get("event_type") != "iec104":
            continue
        ev = rec["iec104"]
        apci = ev["apci"]
        if apci["format"] == "U":
            desc = "U:" + apci.get("function", "?")
        elif apci["format"] == "S":
            desc = "S"
        elif "type_id" in ev:
            desc = describe_i([ev.get("type_id"), ev.get("cot"), ev.get("num_objects")])
        else:
            desc = "I"
        frames.setdefault(rec["pcap_cnt"], []).append(desc)
    return frames


def render(frames):
    return ["%d\t%s" % (n, " ".join(frames[n])) for n in sorted(frames)]


def expected(pcap, label):
    frames = tshark_view(pcap)
    fixes = CORRECTIONS.get(label, {})
    lines = ["# IEC 104 APDUs per frame of %s" % label,
             "# sha256 %s" % sha256(pcap),
             "# tshark 4.0 view (scripts/iec104_tshark.py expected); format in that script."]
    lines += ["# " + n for n in NOTES.get(label, [])]
    for num in sorted(fixes):
        theirs, ours, why = fixes[num]
        said = " ".join(frames.get(num, []))
        if said != theirs:
            raise SystemExit("%s frame %d: tshark says '%s', the correction expects '%s'"
                             % (label, num, said, theirs))
        lines.append("# frame %d: tshark says '%s', corrected to '%s': %s"
                     % (num, theirs or "(nothing)", ours or "(nothing)", why))
        if ours:
            frames[num] = ours.split(" ")
        else:
            frames.pop(num, None)
    return lines + render(frames)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    mode, pcap = argv[1], argv[2]
    label = argv[3] if len(argv) > 3 else pcap
    if mode == "expected":
        print("\n".join(expected(pcap, label)))
        return 0
    if mode == "tshark":
        print("\n".join(render(tshark_view(pcap))))
        return 0
    if mode == "ours":
        print("\n".join(render(ours_view(pcap))))
        return 0
    if mode == "compare":
        theirs, ours = tshark_view(pcap), ours_view(pcap)
        fixes = CORRECTIONS.get(label, {})
        same = differ = corrected = 0
        for num in sorted(set(theirs) | set(ours)):
            t, o = theirs.get(num, []), ours.get(num, [])
            if t == o:
                same += 1
            elif num in fixes and fixes[num][1] == " ".join(o):
                corrected += 1
            else:
                differ += 1
                print("frame %d: tshark %s | gridsensor %s" % (num, " ".join(t) or "-",
                                                                " ".join(o) or "-"))
        apdus = sum(len(v) for v in theirs.values())
        print("%s: %d frames with IEC 104 (%d APDUs by tshark): %d identical, %d corrected "
              "(tshark wrong), %d different" % (label, same + differ + corrected, apdus, same,
                                                 corrected, differ))
        return 1 if differ else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
