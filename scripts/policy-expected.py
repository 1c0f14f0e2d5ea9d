#!/usr/bin/env python3
"""Writes the expected alerts of the conduit policy regression test from tshark's view.

tests/regress/policy/expected.tsv  the generated capture pcaps/policy.pcap (gen_policy.c) judged
    with and without tests/regress/policy/policy.json. Each expected alert is described below
    (ALERTS) by the tshark display filter that finds the packet it must fire at; the script
    resolves the filter to a frame number, so every pcap_cnt in the file is tshark's:

        rule <TAB> pcap_cnt <TAB> scope <TAB> conduit <TAB> checks

    scope    'policy' (only with the policy), 'always' (with and without: the catalogue),
             'nopolicy' (only without: the policy allows the operation explicitly)
    conduit  the conduit the alert names with the policy, '-' for none
    checks   section.key=value pairs the record must hold, ';'-separated, '-' for none

tests/regress/policy/shared.tsv  the catalogue of dangerous operations over every DNP3, IEC 104
    and ISO-stack capture of ../shared/pcaps, without a policy and with policy.realert_s=0
    (every request reported). tshark's fields say which frames carry a catalogue operation:

        capture <TAB> path
        rule <TAB> pcap_cnt <TAB> operation <TAB> tshark evidence

    DNP3 requests by dnp3.al.func (13, 14, 15, 16, 17, 18, 19, 21, 27, 31; 25 with
    dnp3.al.file.mode 2 or 3; 2..6 to a dnp3.dst of 0xFFFD..0xFFFF); IEC 104 ASDUs sent to TCP
    2404 by iec60870_asdu.typeid (105, 113, 120, 121, 123, 125; 45..51 and 58..64 to address
    65535); MMS confirmed requests by mms.confirmedServiceRequest (26, 32, 34, 36, 39..44, 46,
    75, 76; 5 with an itemId containing $SGCB$), read as installed and again with presentation
    context 3 declared MMS (captures that begin mid-association), as scripts/mms-expected.py
    does.

Usage: scripts/policy-expected.py [SHARED_PCAPS_DIR]   (default ../shared/pcaps)
"""
import os
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT_DIR = os.path.join(ROOT, "tests", "regress", "policy")
GENERATED = os.path.join(ROOT, "pcaps", "policy.pcap")
CONTEXT_OPTION = ("-o", 'uat:pres_context_list:"3","1.0.9506.2.1"')

# rule, display filter (or "@last": the last frame), which match (0 = first), scope, conduit,
# checks. "@last": alerts about flows that end with the capture fire at the packet being
# processed when the flow ends, the last one.
ALERTS = [
    # C-WAN-RTU (DNP3)
    ("policy.function_not_allowed", "ip.dst == 10.2.0.10 && dnp3.al.func == 5", 0, "policy",
     "C-WAN-RTU", "dnp3.not_allowed=function_codes;dnp3.function=DIRECT_OPERATE"),
    ("policy.function_not_allowed", "ip.dst == 10.2.0.10 && dnp3.al.obj == 0x6e00", 0, "policy",
     "C-WAN-RTU", "dnp3.not_allowed=groups;dnp3.group=110"),
    ("policy.dangerous.unsolicited_disabled", "ip.dst == 10.2.0.10 && dnp3.al.func == 21", 0,
     "nopolicy", "-", "dnp3.operation=disable_unsolicited"),
    ("policy.function_not_allowed", "ip.dst == 10.2.0.10 && dnp3.al.func == 13", 0, "policy",
     "C-WAN-RTU", "dnp3.not_allowed=function_codes;dnp3.function=COLD_RESTART"),
    ("policy.dangerous.restart", "ip.dst == 10.2.0.10 && dnp3.al.func == 13", 0, "always",
     "C-WAN-RTU", "dnp3.operation=cold_restart;dnp3.dst=1024"),
    # The second COLD_RESTART, 5 s later, is held back; the third, 75 s after the first, is
    # reported with repeats 1.
    ("policy.function_not_allowed", "ip.dst == 10.2.0.10 && dnp3.al.func == 13", 2, "policy",
     "C-WAN-RTU", "dnp3.repeats=1"),
    ("policy.dangerous.restart", "ip.dst == 10.2.0.10 && dnp3.al.func == 13", 2, "always",
     "C-WAN-RTU", "dnp3.operation=cold_restart;dnp3.repeats=1"),
    # DNP3 to 10.2.0.99, which no conduit names
    ("policy.unknown_conduit", "ip.dst == 10.2.0.99 && dnp3.al.func == 1", 0, "policy", "-",
     "policy.protocol=dnp3;policy.server_port=20000"),
    ("policy.dangerous.restart", "ip.dst == 10.2.0.99 && dnp3.al.func == 14", 0, "always", "-",
     "dnp3.operation=warm_restart;dnp3.dst=7"),
    ("policy.dangerous.file_change", "ip.dst == 10.2.0.99 && dnp3.al.file.mode == 2", 0,
     "always", "-", "dnp3.operation=file_open_write;dnp3.target=cfg/rtu.xml"),
    ("policy.dangerous.broadcast_operate", "dnp3.dst == 65535 && dnp3.al.func == 6", 0, "always",
     "-", "dnp3.operation=broadcast_operate;dnp3.dst=65535"),
    # DNP3 between the hosts of C-STN-104
    ("policy.unexpected_protocol", "ip.dst == 10.3.1.1 && dnp3.al.func == 1", 0, "policy",
     "C-STN-104", "policy.protocol=dnp3;policy.conduit_protocol=iec104"),
    # C-STN-104 (IEC 104)
    ("policy.function_not_allowed", "tcp.dstport == 2404 && iec60870_asdu.typeid == 50", 0,
     "policy", "C-STN-104", "iec104.not_allowed=type_ids;iec104.type=C_SE_NC_1"),
    ("policy.function_not_allowed",
     "tcp.dstport == 2404 && iec60870_asdu.typeid == 100 && iec60870_asdu.causetx == 5", 0,
     "policy", "C-STN-104", "iec104.not_allowed=causes;iec104.cause=5"),
    ("policy.function_not_allowed", "tcp.dstport == 2404 && iec60870_asdu.typeid == 105", 0,
     "policy", "C-STN-104", "iec104.not_allowed=type_ids;iec104.type=C_RP_NA_1"),
    ("policy.dangerous.restart", "tcp.dstport == 2404 && iec60870_asdu.typeid == 105", 0,
     "always", "C-STN-104", "iec104.operation=reset_process"),
    ("policy.function_not_allowed", "tcp.dstport == 2404 && iec60870_asdu.typeid == 113", 0,
     "policy", "C-STN-104", "iec104.not_allowed=type_ids;iec104.type=P_AC_NA_1"),
    ("policy.dangerous.config_change", "tcp.dstport == 2404 && iec60870_asdu.typeid == 113", 0,
     "always", "C-STN-104", "iec104.operation=parameter_activation"),
    ("policy.dangerous.broadcast_operate",
     "tcp.dstport == 2404 && iec60870_asdu.typeid == 45 && iec60870_asdu.addr == 65535", 0,
     "always", "C-STN-104", "iec104.operation=broadcast_command;iec104.ca=65535"),
    # C-STN-MMS
    ("policy.function_not_allowed", 'ip.src == 10.20.0.10 && mms.itemId contains "RptEna"', 0,
     "policy", "C-STN-MMS", "mms.not_allowed=services;mms.service=write"),
    ("policy.function_not_allowed", 'ip.src == 10.20.0.10 && mms.itemId contains "SGCB"', 0,
     "policy", "C-STN-MMS", "mms.not_allowed=services;mms.object=IED1CTRL/LLN0$SP$SGCB$ActSG"),
    ("policy.dangerous.config_change", 'ip.src == 10.20.0.10 && mms.itemId contains "SGCB"', 0,
     "always", "C-STN-MMS", "mms.operation=setting_group_change"),
    ("policy.function_not_allowed", "ip.src == 10.20.0.10 && mms.confirmedServiceRequest == 76",
     0, "policy", "C-STN-MMS", "mms.not_allowed=services;mms.service=fileDelete"),
    ("policy.dangerous.file_change", "ip.src == 10.20.0.10 && mms.confirmedServiceRequest == 76",
     0, "always", "C-STN-MMS", "mms.operation=file_delete;mms.object=COMTRADE/fault7.cfg"),
    # C-ENG-MMS allows fileDelete and setting group writes explicitly
    ("policy.dangerous.file_change", "ip.src == 10.20.0.50 && mms.confirmedServiceRequest == 76",
     0, "nopolicy", "-", "mms.operation=file_delete"),
    ("policy.dangerous.config_change", 'ip.src == 10.20.0.50 && mms.itemId contains "SGCB"', 0,
     "nopolicy", "-", "mms.operation=setting_group_change"),
    ("policy.function_not_allowed", "ip.src == 10.20.0.50 && mms.confirmedServiceRequest == 44",
     0, "policy", "C-ENG-MMS", "mms.not_allowed=services;mms.service=kill"),
    ("policy.dangerous.application", "ip.src == 10.20.0.50 && mms.confirmedServiceRequest == 44",
     0, "always", "C-ENG-MMS", "mms.operation=kill;mms.object=IED1APP"),
    # Process bus
    ("policy.publisher_not_allowed", "goose && eth.src == 00:02:a3:66:66:66", 0, "policy",
     "C-PROC", "goose.src_mac=00:02:a3:66:66:66;goose.gocb_ref=IED1LD0/LLN0$GO$gcb01"),
    ("policy.publisher_not_allowed", 'goose.gocbRef == "IED1LD0/LLN0$GO$gcb99"', 0, "policy",
     "C-PROC", "goose.src_mac=00:02:a3:11:22:33;goose.gocb_ref=IED1LD0/LLN0$GO$gcb99"),
    ("policy.unknown_conduit", "goose && vlan.id == 30", 0, "policy", "-",
     "policy.protocol=goose;policy.vlan=30"),
    ("policy.publisher_not_allowed", 'sv.svID == "MU99"', 0, "policy", "C-PROC-SV",
     "sv.sv_id=MU99;sv.src_mac=00:02:a3:40:00:02"),
    # Other protocols between conduit hosts (nDPI)
    ("policy.unexpected_protocol", "http.request", 0, "policy", "C-STN-104",
     "policy.protocol=http;policy.ndpi_category=Web;policy.guessed=false"),
    ("policy.unexpected_protocol", "smb2", 0, "policy", "C-WAN-RTU",
     "policy.protocol=smbv23;policy.server_port=445"),
    # RDP: the MMS probe claims its COTP connection request; MMS gives up at the first data
    # TPDU, where nDPI's RDP (named from the connection request) is announced.
    ("policy.unexpected_protocol", "tcp.dstport == 3389 && cotp.type == 0x0f", 0, "policy",
     "C-STN-MMS", "policy.protocol=rdp;policy.ndpi_category=RemoteAccess"),
    ("policy.unexpected_protocol", "@last", 0, "policy", "C-WAN-RTU",
     "policy.protocol=unknown;policy.transport=udp"),
]


def tshark(path, *args):
    return subprocess.run(["tshark", "-n", "-r", path, *args], check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode()


def frames_matching(path, display_filter):
    out = tshark(path, "-Y", display_filter, "-T", "fields", "-e", "frame.number")
    return [int(x) for x in out.split()]


def generated(version):
    last = max(frames_matching(GENERATED, "frame"))
    lines = []
    for rule, flt, nth, scope, conduit, checks in ALERTS:
        if flt == "@last":
            frame = last
        else:
            frames = frames_matching(GENERATED, flt)
            if len(frames) <= nth:
                sys.exit("policy-expected: no frame %d for %s" % (nth, flt))
            frame = frames[nth]
        lines.append((frame, rule, scope, conduit, checks))
    lines.sort(key=lambda l: (l[0], l[1]))
    with open(os.path.join(OUT_DIR, "expected.tsv"), "w", encoding="utf-8") as out:
        out.write("# Generated by scripts/policy-expected.py from %s; do not edit.\n" % version)
        out.write("# pcaps/policy.pcap with and without tests/regress/policy/policy.json:\n")
        out.write("# rule <TAB> pcap_cnt <TAB> scope <TAB> conduit <TAB> checks\n")
        for frame, rule, scope, conduit, checks in lines:
            out.write("%s\t%d\t%s\t%s\t%s\n" % (rule, frame, scope, conduit, checks))


# ---- shared captures ------------------------------------------------------------------------

DNP3_FUNCTIONS = {
    13: ("policy.dangerous.restart", "cold_restart"),
    14: ("policy.dangerous.restart", "warm_restart"),
    15: ("policy.dangerous.application", "initialize_data"),
    16: ("policy.dangerous.application", "initialize_application"),
    17: ("policy.dangerous.application", "start_application"),
    18: ("policy.dangerous.application", "stop_application"),
    19: ("policy.dangerous.config_change", "save_configuration"),
    21: ("policy.dangerous.unsolicited_disabled", "disable_unsolicited"),
    27: ("policy.dangerous.file_change", "file_delete"),
    31: ("policy.dangerous.config_change", "activate_config"),
}
IEC104_TYPES = {
    105: ("policy.dangerous.restart", "reset_process"),
    113: ("policy.dangerous.config_change", "parameter_activation"),
    120: ("policy.dangerous.file_change", "file_write"),
    121: ("policy.dangerous.file_change", "file_write"),
    123: ("policy.dangerous.file_change", "file_write"),
    125: ("policy.dangerous.file_change", "file_write"),
}
MMS_SERVICES = {
    26: ("policy.dangerous.config_change", "domain_download"),
    32: ("policy.dangerous.config_change", "domain_download"),
    34: ("policy.dangerous.config_change", "domain_download"),
    36: ("policy.dangerous.application", "delete_domain"),
    39: ("policy.dangerous.application", "delete_program_invocation"),
    40: ("policy.dangerous.application", "start"),
    41: ("policy.dangerous.application", "stop"),
    42: ("policy.dangerous.application", "resume"),
    43: ("policy.dangerous.application", "reset"),
    44: ("policy.dangerous.application", "kill"),
    46: ("policy.dangerous.file_change", "obtain_file"),
    75: ("policy.dangerous.file_change", "file_rename"),
    76: ("policy.dangerous.file_change", "file_delete"),
}


def values(text):
    return [v for v in text.split(",") if v != ""]


def dnp3_ops(path):
    out = tshark(path, "-Y", "dnp3.al.func", "-T", "fields", "-E", "separator=\t", "-e",
                 "frame.number", "-e", "dnp3.al.func", "-e", "dnp3.dst", "-e",
                 "dnp3.al.file.mode")
    for line in out.splitlines():
        cols = (line.split("\t") + ["", "", "", ""])[:4]
        frame = int(cols[0])
        funcs = [int(v) for v in values(cols[1])]
        dsts = [int(v) for v in values(cols[2])]
        modes = [int(v) for v in values(cols[3])]
        for i, fc in enumerate(funcs):
            if fc >= 0x81:
                continue
            dst = dsts[i] if i < len(dsts) else (dsts[-1] if dsts else 0)
            evidence = "dnp3.al.func=%d dnp3.dst=%d" % (fc, dst)
            if fc in DNP3_FUNCTIONS:
                rule, op = DNP3_FUNCTIONS[fc]
                yield rule, frame, op, evidence
            if fc == 25 and any(m in (2, 3) for m in modes):
                yield ("policy.dangerous.file_change", frame, "file_open_write",
                       evidence + " dnp3.al.file.mode=%s" % ",".join(map(str, modes)))
            if dst >= 0xFFFD and 2 <= fc <= 6:
                yield "policy.dangerous.broadcast_operate", frame, "broadcast_operate", evidence


def iec104_ops(path):
    out = tshark(path, "-Y", "iec60870_asdu && tcp.dstport == 2404", "-T", "fields", "-E",
                 "separator=\t", "-e", "frame.number", "-e", "iec60870_asdu.typeid", "-e",
                 "iec60870_asdu.addr")
    for line in out.splitlines():
        cols = (line.split("\t") + ["", "", ""])[:3]
        frame = int(cols[0])
        types = [int(v) for v in values(cols[1])]
        addrs = [int(v) for v in values(cols[2])]
        for i, t in enumerate(types):
            ca = addrs[i] if i < len(addrs) else 0
            evidence = "iec60870_asdu.typeid=%d iec60870_asdu.addr=%d" % (t, ca)
            if t in IEC104_TYPES:
                rule, op = IEC104_TYPES[t]
                yield rule, frame, op, evidence
            if ca == 65535 and (45 <= t <= 51 or 58 <= t <= 64):
                yield "policy.dangerous.broadcast_operate", frame, "broadcast_command", evidence


def mms_ops(path):
    seen = set()
    for options in ((), CONTEXT_OPTION):
        out = tshark(path, *options, "-Y", "mms.confirmedServiceRequest", "-T", "fields", "-E",
                     "separator=\t", "-e", "frame.number", "-e", "mms.confirmedServiceRequest",
                     "-e", "mms.itemId")
        for line in out.splitlines():
            cols = (line.split("\t") + ["", "", ""])[:3]
            frame = int(cols[0])
            if frame in seen:
                continue
            seen.add(frame)
            for svc in (int(v) for v in values(cols[1])):
                evidence = "mms.confirmedServiceRequest=%d" % svc
                if options:
                    evidence += " (context 3 declared MMS)"
                if svc in MMS_SERVICES:
                    rule, op = MMS_SERVICES[svc]
                    yield rule, frame, op, evidence
                if svc == 5 and "$SGCB$" in cols[2]:
                    yield ("policy.dangerous.config_change", frame, "setting_group_change",
                           evidence + " mms.itemId=" + cols[2])


def shared(shared_dir, version):
    captures = []
    with open(os.path.join(shared_dir, "MANIFEST.tsv"), encoding="utf-8") as fp:
        next(fp)
        for line in fp:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 8:
                continue
            seen = cols[7]
            if "dnp3:" in seen or "iec60870_asdu:" in seen or "tpkt:" in seen:
                captures.append(cols[0])
    captures.sort()
    total = 0
    with open(os.path.join(OUT_DIR, "shared.tsv"), "w", encoding="utf-8") as out:
        out.write("# Generated by scripts/policy-expected.py from %s; do not edit.\n" % version)
        out.write("# The catalogue over ../shared/pcaps, no policy, policy.realert_s=0:\n")
        out.write("# capture <TAB> path, then rule <TAB> pcap_cnt <TAB> operation <TAB> evidence\n")
        for path in captures:
            full = os.path.join(shared_dir, path)
            rows = set(dnp3_ops(full)) | set(iec104_ops(full)) | set(mms_ops(full))
            out.write("capture\t%s\n" % path)
            for rule, frame, op, evidence in sorted(rows, key=lambda r: (r[1], r[0], r[2])):
                out.write("%s\t%d\t%s\t%s\n" % (rule, frame, op, evidence))
                total += 1
    print("policy-expected: %d catalogue alerts in %d shared captures" % (total, len(captures)))


def main():
    shared_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "pcaps")
    shared_dir = os.path.normpath(shared_dir)
    version = tshark_version()
    os.makedirs(OUT_DIR, exist_ok=True)
    generated(version)
    if os.path.isdir(shared_dir):
        shared(shared_dir, version)
    else:
        print("policy-expected: %s absent, shared.tsv left as is" % shared_dir)


def tshark_version():
    out = subprocess.run(["tshark", "--version"], check=True, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout.decode()
    return out.splitlines()[0].rstrip(".")


if __name__ == "__main__":
    main()
