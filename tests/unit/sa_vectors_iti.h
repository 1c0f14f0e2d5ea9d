/*
 * sa_vectors_iti.h - real DNP3 SAv5 application fragments, for test_sa_crypto.c.
 *
 * Provenance: ITI ICS-Security-Tools, pcaps/dnp3/ (in ../shared/pcaps/ITI__ICS-Security-Tools),
 *   auth_change_session_keys.pcap         sha256
 * 3944cedf32ad854687ff75d46a6f42e932a6785256453a72b0dd08cde2f0af82
 *   auth_control_challenge_response.pcap  sha256
 * 44f88845315de59bd7f90d01775c4fde5301a5a5a497535d511b03743267bcd4 operate_aggressive_mode.pcap
 * sha256 7926b356e82699f77736e171bd86d3222ae00cbce1ebd275089fc06d8cd18701 one TCP connection
 * 192.168.1.2:49159 -> 192.168.1.1:20000 (the first two files) between master link address 3 and
 * outstation 4, user 1 (the aggressive-mode file is another connection, 49212). Extracted once with
 * tshark 4.0.17, which prints each reassembled application fragment (link CRCs and transport byte
 * removed): tshark -r FILE -x | sed -n '/Reassembled DNP 3.0 Application Layer message/,/^$/p'
 * Frame numbers are tshark's. Every link CRC in these frames is valid.
 *
 * The update key is the Triangle MicroWorks test-harness default for user 1, as given by the
 * digest (shared/specs/dnp3_sav5.md §12.1); it unwraps the g120v6 below, which is the proof.
 */
#ifndef GS_TESTS_SA_VECTORS_ITI_H
#define GS_TESTS_SA_VECTORS_ITI_H

#define ITI_UPDATE_KEY "49 C8 7D 5D 90 21 7A AF EC 80 74 EB 71 52 FD B5"

/* auth_change_session_keys.pcap frame 4, M->O AUTH_REQUEST g120v4 USR=1 */
#define ITI_G120V4 "c1 20 78 04 07 01 01 00"

/* frame 5, O->M AUTH_RESPONSE g120v5 KSQ=1 USR=1 KWA=1 KST=2 (NOT_INIT) MAL=0 CDL=4 "stev" */
#define ITI_G120V5_FIRST                                                                           \
    "c1 83 90 00 78 05 5b 01 0f 00 01 00 00 00 01 00 01 02 00 04 00 73 74 65 76"

/* frame 6, M->O AUTH_REQUEST g120v6 KSQ=1 USR=1, 64 octets of wrapped key data */
#define ITI_G120V6                                                                                 \
    "c2 20 78 06 5b 01 46 00 01 00 00 00 01 00 19 30 b6 ff 7e d8 6b ce b5 b3 83 73 3d 33 62 95"    \
    "2f 54 1c 39 12 4d be 85 f9 13 da e6 cd 0d bb 72 da 19 dc 2b 6e 0e 38 b5 f9 49 6d 31 50 b3"    \
    "66 98 b7 44 50 e7 52 89 8c e3 21 2a 80 2e 9c af d7 e7"

/* frame 7, O->M AUTH_RESPONSE g120v5 KSQ=2 KST=1 (OK) MAL=4 CDL=4 "stev", MAC (16) last */
#define ITI_G120V5_CONFIRM                                                                         \
    "c2 83 90 00 78 05 5b 01 1f 00 02 00 00 00 01 00 01 01 04 04 00 73 74 65 76 26 27 61 d7 33"    \
    "36 0e 63 38 e3 ca 1e 7d 24 f9 65"

/* auth_control_challenge_response.pcap frame 1, M->O DIRECT_OPERATE g12v1 qualifier 0x28 */
#define ITI_DIRECT_OPERATE "c6 05 0c 01 28 01 00 01 00 03 01 64 00 00 00 64 00 00 00 00"

/* frame 2, O->M AUTH_RESPONSE g120v1 CSQ=3 USR=0 MAL=4 RSN=1 CD="stev" */
#define ITI_G120V1 "c6 83 90 00 78 01 5b 01 0c 00 03 00 00 00 00 00 04 01 73 74 65 76"

/* frame 3, M->O AUTH_REQUEST g120v2 CSQ=3 USR=1 MAC (16) */
#define ITI_G120V2                                                                                 \
    "c6 20 78 02 5b 01 16 00 03 00 00 00 01 00 06 fa e1 91 1a 2c ce 2d da 8a bf ec e1 ca c8 c4"

/* operate_aggressive_mode.pcap frame 1, M->O DIRECT_OPERATE g120v3 CSQ=9 USR=1, CROB, g120v9
 * MAC (16): its key change and last challenge are not in any capture, so it cannot be
 * verified; kept to show the MAC input boundary (everything before the MAC value). */
#define ITI_AGGRESSIVE                                                                             \
    "cc 05 78 03 07 01 09 00 00 00 01 00 0c 01 28 01 00 01 00 03 01 64 00 00 00 64 00 00 00 00"    \
    "78 09 5b 01 10 00 ba 8d b4 4d 5e 72 cd 0a d4 18 e5 e4 15 25 68 67"

#endif
