/*
 * pcapng.c - pcapng reader with per-interface link types (see pcapng.h).
 *
 *   SHB 0x0A0D0D0A: byte-order magic 0x1A2B3C4D | major 2 | minor 2 | section length 8 | opts
 *   IDB 0x00000001: link type 2 | reserved 2 | snaplen 4 | options (if_tsresol 9, if_tsoffset 14)
 *   EPB 0x00000006: interface 4 | ts high 4 | ts low 4 | captured 4 | original 4 | data | opts
 *   SPB 0x00000003: original length 4 | data (interface 0)
 *   PB  0x00000002: interface 2 | drops 2 | ts high 4 | ts low 4 | captured 4 | original 4 | data
 */
#include "pcapng.h"

#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cursor.h"

#define BT_SHB           0x0A0D0D0Au
#define BT_IDB           0x00000001u
#define BT_PB            0x00000002u
#define BT_SPB           0x00000003u
#define BT_EPB           0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define MAX_BLOCK        (16u * 1024u * 1024u) /* as libpcap: larger is a corrupt file */
#define MAX_INTERFACES   4096
#define OPT_END          0
#define OPT_IF_TSRESOL   9
#define OPT_IF_TSOFFSET  14
#define LINKTYPE_RAW     101
#define TSRESOL_BASE2(v) (((v)&0x80u) != 0)
#define TSRESOL_EXP(v)   ((unsigned)((v)&0x7Fu))

struct interface {
    int dlt;
    uint32_t snaplen;
    bool base2;
    unsigned exponent; /* timestamps count units of 10^-exponent (or 2^-exponent) seconds */
    int64_t offset_s;
};

struct gs_pcapng {
    FILE *fp;
    bool big_endian;
    uint8_t *block;
    size_t block_cap;
    struct interface *ifaces;
    size_t n_ifaces;
    uint64_t offset;
};

bool gs_pcapng_is_pcapng(const uint8_t magic[4])
{
    return magic[0] == 0x0A && magic[1] == 0x0D && magic[2] == 0x0D && magic[3] == 0x0A;
}

static uint32_t rd32(const struct gs_pcapng *r, struct gs_cursor *cur)
{
    return r->big_endian ? gs_cur_be32(cur) : gs_cur_le32(cur);
}

static uint16_t rd16(const struct gs_pcapng *r, struct gs_cursor *cur)
{
    return r->big_endian ? gs_cur_be16(cur) : gs_cur_le16(cur);
}

/* Link types in files are LINKTYPE_* values; the decoder speaks DLT_*. They differ only for
 * raw IP among the types we decode. */
static int dlt_of(uint16_t linktype)
{
    return linktype == LINKTYPE_RAW ? DLT_RAW : (int)linktype;
}

/* Reads one whole block into r->block; returns its length, 0 at a clean end of file, -1 on
 * error. */
static long read_block(struct gs_pcapng *r, uint32_t *type, char *errbuf)
{
    uint8_t head[8];
    size_t got = fread(head, 1, sizeof(head), r->fp);
    if (got == 0 && feof(r->fp))
        return 0;
    if (got != sizeof(head)) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "truncated pcapng block header at byte %llu",
                 (unsigned long long)r->offset);
        return -1;
    }
    struct gs_cursor hc = gs_cur_init(head, sizeof(head));
    uint32_t raw_type = gs_cur_le32(&hc);
    if (raw_type == BT_SHB) {
        /* A new section may switch byte order: peek its magic before trusting the length. */
        uint8_t magic[4];
        if (fread(magic, 1, 4, r->fp) != 4) {
            snprintf(errbuf, GS_ERRBUF_SIZE, "truncated section header at byte %llu",
                     (unsigned long long)r->offset);
            return -1;
        }
        struct gs_cursor mc = gs_cur_init(magic, 4);
        uint32_t m = gs_cur_le32(&mc);
        if (m == BYTE_ORDER_MAGIC)
            r->big_endian = false;
        else if (m == 0x4D3C2B1Au)
            r->big_endian = true;
        else {
            snprintf(errbuf, GS_ERRBUF_SIZE, "bad section byte-order magic at byte %llu",
                     (unsigned long long)r->offset);
            return -1;
        }
        if (fseek(r->fp, -4, SEEK_CUR) != 0)
            return -1;
    }
    hc = gs_cur_init(head, sizeof(head));
    *type = rd32(r, &hc);
    uint32_t total = rd32(r, &hc);
    if (total < 12 || total % 4 != 0 || total > MAX_BLOCK) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "bad pcapng block length %u at byte %llu", total,
                 (unsigned long long)r->offset);
        return -1;
    }
    if (total > r->block_cap) {
        uint8_t *grown = realloc(r->block, total);
        if (grown == NULL) {
            snprintf(errbuf, GS_ERRBUF_SIZE, "out of memory");
            return -1;
        }
        r->block = grown;
        r->block_cap = total;
    }
    size_t body = total - 8;
    if (fread(r->block, 1, body, r->fp) != body) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "pcapng file cut inside a block at byte %llu",
                 (unsigned long long)r->offset);
        return -1;
    }
    struct gs_cursor tc = gs_cur_init(r->block + body - 4, 4);
    if (rd32(r, &tc) != total) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "pcapng block lengths disagree at byte %llu",
                 (unsigned long long)r->offset);
        return -1;
    }
    r->offset += total;
    return (long)(body - 4);
}

static int add_interface(struct gs_pcapng *r, struct gs_cursor *cur, char *errbuf)
{
    if (r->n_ifaces == MAX_INTERFACES) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "more than %d interfaces in a pcapng section",
                 MAX_INTERFACES);
        return -1;
    }
    struct interface *grown = realloc(r->ifaces, (r->n_ifaces + 1) * sizeof(*grown));
    if (grown == NULL) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "out of memory");
        return -1;
    }
    r->ifaces = grown;
    struct interface *ifc = &r->ifaces[r->n_ifaces++];
    memset(ifc, 0, sizeof(*ifc));
    ifc->dlt = dlt_of(rd16(r, cur));
    gs_cur_skip(cur, 2);
    ifc->snaplen = rd32(r, cur);
    ifc->exponent = 6;
    while (gs_cur_remaining(cur) >= 4) {
        uint16_t code = rd16(r, cur);
        uint16_t len = rd16(r, cur);
        struct gs_cursor val = gs_cur_sub(cur, len);
        gs_cur_skip(cur, (4u - len % 4u) % 4u);
        if (code == OPT_END || !gs_cur_ok(cur))
            break;
        if (code == OPT_IF_TSRESOL && len == 1) {
            uint8_t v = gs_cur_u8(&val);
            ifc->base2 = TSRESOL_BASE2(v);
            ifc->exponent = TSRESOL_EXP(v);
        } else if (code == OPT_IF_TSOFFSET && len == 8) {
            uint64_t o = r->big_endian ? gs_cur_be64(&val) : gs_cur_le64(&val);
            ifc->offset_s = (int64_t)o;
        }
    }
    if ((ifc->base2 && ifc->exponent > 63) || (!ifc->base2 && ifc->exponent > 19)) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "unusable timestamp resolution on interface %zu",
                 r->n_ifaces - 1);
        return -1;
    }
    return 0;
}

/* Converts a timestamp in the interface's units to microseconds since the epoch. */
static uint64_t to_us(const struct interface *ifc, uint64_t ts)
{
    uint64_t us;
    if (ifc->base2) {
        uint64_t whole = ifc->exponent ? ts >> ifc->exponent : ts;
        uint64_t frac = ifc->exponent ? ts & ((UINT64_C(1) << ifc->exponent) - 1) : 0;
        /* frac < 2^e; scale through 128 bits so frac * 10^6 cannot overflow. */
        us = whole * 1000000u + (uint64_t)(((unsigned __int128)frac * 1000000u) >> ifc->exponent);
    } else if (ifc->exponent >= 6) {
        uint64_t div = 1;
        for (unsigned i = 6; i < ifc->exponent; i++)
            div *= 10;
        us = ts / div;
    } else {
        uint64_t mul = 1;
        for (unsigned i = ifc->exponent; i < 6; i++)
            mul *= 10;
        us = ts * mul;
    }
    return us + (uint64_t)ifc->offset_s * 1000000u;
}

struct gs_pcapng *gs_pcapng_open(FILE *fp, char *errbuf)
{
    struct gs_pcapng *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "out of memory");
        return NULL;
    }
    r->fp = fp;
    uint32_t type;
    long len = read_block(r, &type, errbuf);
    if (len <= 0 || type != BT_SHB) {
        if (len == 0)
            snprintf(errbuf, GS_ERRBUF_SIZE, "empty pcapng file");
        gs_pcapng_close(r);
        return NULL;
    }
    struct gs_cursor cur = gs_cur_init(r->block, (size_t)len);
    gs_cur_skip(&cur, 4);
    uint16_t major = rd16(r, &cur);
    if (!gs_cur_ok(&cur) || major != 1) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "unsupported pcapng version %u", major);
        gs_pcapng_close(r);
        return NULL;
    }
    return r;
}

int gs_pcapng_next(struct gs_pcapng *r, struct gs_packet *pkt, char *errbuf)
{
    for (;;) {
        uint32_t type;
        long len = read_block(r, &type, errbuf);
        if (len <= 0)
            return (int)len;
        struct gs_cursor cur = gs_cur_init(r->block, (size_t)len);
        uint32_t ifindex = 0, caplen = 0, wirelen = 0;
        uint64_t ts = 0;
        switch (type) {
        case BT_SHB:
            r->n_ifaces = 0; /* interfaces are per section */
            continue;
        case BT_IDB:
            if (add_interface(r, &cur, errbuf) != 0)
                return -1;
            continue;
        case BT_EPB: {
            ifindex = rd32(r, &cur);
            uint64_t hi = rd32(r, &cur);
            ts = hi << 32 | rd32(r, &cur);
            caplen = rd32(r, &cur);
            wirelen = rd32(r, &cur);
            break;
        }
        case BT_PB: {
            ifindex = rd16(r, &cur);
            gs_cur_skip(&cur, 2);
            uint64_t hi = rd32(r, &cur);
            ts = hi << 32 | rd32(r, &cur);
            caplen = rd32(r, &cur);
            wirelen = rd32(r, &cur);
            break;
        }
        case BT_SPB:
            wirelen = rd32(r, &cur);
            caplen = (uint32_t)gs_cur_remaining(&cur);
            if (r->n_ifaces > 0 && r->ifaces[0].snaplen != 0 && caplen > r->ifaces[0].snaplen)
                caplen = r->ifaces[0].snaplen;
            if (caplen > wirelen)
                caplen = wirelen;
            break;
        default:
            continue; /* name resolution, statistics, custom and unknown blocks */
        }
        if (!gs_cur_ok(&cur) || ifindex >= r->n_ifaces || caplen > gs_cur_remaining(&cur)) {
            snprintf(errbuf, GS_ERRBUF_SIZE, "malformed pcapng packet block ending at byte %llu",
                     (unsigned long long)r->offset);
            return -1;
        }
        const struct interface *ifc = &r->ifaces[ifindex];
        pkt->ts_us = type == BT_SPB ? 0 : to_us(ifc, ts);
        pkt->data = gs_cur_ptr(&cur);
        pkt->cap_len = caplen;
        pkt->wire_len = wirelen < caplen ? caplen : wirelen;
        pkt->dlt = ifc->dlt;
        return 1;
    }
}

uint64_t gs_pcapng_offset(const struct gs_pcapng *r)
{
    return r->offset;
}

void gs_pcapng_close(struct gs_pcapng *r)
{
    if (r == NULL)
        return;
    if (r->fp != NULL)
        fclose(r->fp);
    free(r->block);
    free(r->ifaces);
    free(r);
}
