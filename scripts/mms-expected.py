#!/usr/bin/env python3
"""Writes tests/regress/mms/expected.tsv: tshark's view of every MMS PDU in the shared captures.

For every capture of ../shared/pcaps/MANIFEST.tsv in which tshark saw TPKT (so the ISO stack on
TCP 102, MMS or not: the S7comm and "Hello World" COTP captures are kept as negative cases),
and for the project's own pcaps/mms_station.pcap (named "project:pcaps/..."), tshark 4.0 is run with its default TCP and COTP reassembly and its PDML is read. Each MMS PDU
becomes one line:

    frame <TAB> pdu <TAB> service <TAB> how

frame   the frame tshark dissected the PDU in (the one that completed it: gridsensor's pcap_cnt)
pdu     the MMSpdu alternative, spelled as gridsensor spells it (confirmed-request, ...)
service mms.confirmedServiceRequest / mms.confirmedServiceResponse / mms.unconfirmedService,
        as the ASN.1 alternative name, or "-" when the PDU has none (initiate, conclude, reject)
how     "-" for tshark as installed; "ctx3" for a PDU tshark decodes only when told, through
        its PRES users-context preference, that presentation context 3 is MMS

Each capture starts with a line "capture <TAB> path <TAB> frames". The C test
tests/unit/test_mms_regress.c compares `gridsensor --log-events` with this file plus
tests/regress/mms/beyond_tshark.tsv (the PDUs tshark does not decode, each with its reason).

Two of Wireshark's response value names differ from the ASN.1 (and from the request names):
"requestDomainDownLoad" and "reportActionStatus". They are normalised here to
requestDomainDownload and reportEventActionStatus, the names ISO 9506 gives.

Usage: scripts/mms-expected.py [SHARED_PCAPS_DIR]   (default ../shared/pcaps)
"""
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT = os.path.join(ROOT, "tests", "regress", "mms", "expected.tsv")

PDU_NAMES = {
    "mms.confirmed_RequestPDU_element": "confirmed-request",
    "mms.confirmed_ResponsePDU_element": "confirmed-response",
    "mms.confirmed_ErrorPDU_element": "confirmed-error",
    "mms.unconfirmed_PDU_element": "unconfirmed",
    "mms.rejectPDU_element": "reject",
    "mms.cancel_RequestPDU": "cancel-request",
    "mms.cancel_ResponsePDU": "cancel-response",
    "mms.cancel_ErrorPDU_element": "cancel-error",
    "mms.initiate_RequestPDU_element": "initiate-request",
    "mms.initiate_ResponsePDU_element": "initiate-response",
    "mms.initiate_ErrorPDU_element": "initiate-error",
    "mms.conclude_RequestPDU_element": "conclude-request",
    "mms.conclude_ResponsePDU_element": "conclude-response",
    "mms.conclude_ErrorPDU_element": "conclude-error",
}
SERVICE_FIELDS = (
    "mms.confirmedServiceRequest",
    "mms.confirmedServiceResponse",
    "mms.unconfirmedService",
)
# Captures that begin mid-association lack the CP-PPDU that says which presentation context
# carries MMS, so tshark stops at the presentation layer. Its "PRES Users Context List"
# preference supplies the mapping by hand: id 3 = MMS (1.0.9506.2.1), the id libiec61850 and
# every IEC 61850 stack seen here propose. gridsensor needs no such hint (it recognises MMS by
# its BER); the second run shows which of its PDUs tshark confirms once told.
# The project's own MMS captures (pcaps/gen/gen_mms.c), listed as "project:<path>".
PROJECT_CAPTURES = ("pcaps/mms_station.pcap",)

CONTEXT_OPTION = ("-o", 'uat:pres_context_list:"3","1.0.9506.2.1"')

WIRESHARK_SPELLING = {
    "requestDomainDownLoad": "requestDomainDownload",
    "reportActionStatus": "reportEventActionStatus",
}


def service_name(showname):
    # "confirmedServiceRequest: fileOpen (72)" -> "fileOpen"
    text = showname.split(":", 1)[1].strip()
    name = text.rsplit(" (", 1)[0]
    return WIRESHARK_SPELLING.get(name, name)


def find_service(node):
    for field in node.iter("field"):
        if field.get("name") in SERVICE_FIELDS:
            return service_name(field.get("showname"))
    return "-"


def mms_pdus(path, options=()):
    """Yields (frame, pdu, service) for every MMS PDU tshark decodes in the capture."""
    proc = subprocess.run(
        ["tshark", "-n", "-r", path, *options, "-T", "pdml", "-Y", "mms"],
        check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    root = ET.fromstring(proc.stdout)
    for packet in root.iter("packet"):
        frame = None
        for proto in packet.findall("proto"):
            if proto.get("name") == "geninfo":
                for field in proto.findall("field"):
                    if field.get("name") == "num":
                        frame = int(field.get("show"))
            if proto.get("name") != "mms":
                continue
            for child in proto.findall("field"):
                pdu = PDU_NAMES.get(child.get("name"))
                if pdu is not None:
                    yield frame, pdu, find_service(child)
                    break


def main():
    shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "pcaps")
    shared = os.path.normpath(shared)
    version = subprocess.run(["tshark", "--version"], check=True, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout.decode().splitlines()[0]
    version = version.rstrip(".")
    rows = []
    with open(os.path.join(shared, "MANIFEST.tsv"), encoding="utf-8") as fp:
        next(fp)
        for line in fp:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 8 or "tpkt:" not in cols[7]:
                continue
            rows.append((cols[0], int(cols[6])))
    rows.sort()
    for path in PROJECT_CAPTURES:
        full = os.path.join(ROOT, path)
        frames = subprocess.run(["tshark", "-n", "-r", full, "-T", "fields", "-e", "frame.number"],
                                check=True, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL).stdout.decode().split()
        rows.append(("project:" + path, len(frames)))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    total = told_total = 0
    with open(OUT, "w", encoding="utf-8") as out:
        out.write("# Generated by scripts/mms-expected.py from %s; do not edit.\n" % version)
        out.write("# capture <path> <frames>, then: frame <TAB> pdu <TAB> service <TAB> how\n")
        out.write("# how: '-' tshark as installed; 'ctx3' only once told that presentation\n")
        out.write("# context 3 is MMS (the capture began mid-association)\n")
        for path, frames in rows:
            out.write("capture\t%s\t%d\n" % (path, frames))
            if path.startswith("project:"):
                full = os.path.join(ROOT, path[len("project:"):])
            else:
                full = os.path.join(shared, path)
            plain = list(mms_pdus(full))
            told = list(mms_pdus(full, CONTEXT_OPTION))
            extra = Counter(told) - Counter(plain)
            for frame, pdu, service in plain:
                out.write("%d\t%s\t%s\t-\n" % (frame, pdu, service))
            for frame, pdu, service in sorted(extra.elements()):
                out.write("%d\t%s\t%s\tctx3\n" % (frame, pdu, service))
            total += len(plain)
            told_total += sum(extra.values())
    print("%s: %d captures, %d MMS PDUs, %d more with the context told" %
          (os.path.relpath(OUT, ROOT), len(rows), total, told_total))


if __name__ == "__main__":
    main()
