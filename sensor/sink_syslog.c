/*
 * sink_syslog.c - syslog destinations: the local socket (/dev/log, BSD format as syslog(3)
 * writes it), and RFC 5424 messages over UDP (one datagram each, RFC 5426) or TCP (octet
 * counting framing, RFC 6587 §3.4.1).
 *
 *   <PRI>1 2026-11-22T03:40:00.123456Z HOST gridsensor PID MSGID - {"timestamp":...}
 *
 * PRI is output.syslog_facility * 8 + a severity from the record: alert severity 1, 2, 3 map
 * to critical, error, warning; events and stats are informational. MSGID is alert, event or
 * stats, so a receiver can route without parsing the JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sink_int.h"

#define LOCAL_SOCKET       "/dev/log"
#define MAX_UDP_PAYLOAD    65000
#define CONNECT_TIMEOUT_MS 2000

enum transport {
    LOCAL,
    UDP,
    TCP,
};

struct syslog_dest {
    enum transport transport;
    char host[256];
    int port;
    int fd;
    unsigned facility;
    char hostname[256];
    int pid;
};

static int severity_of(enum gs_record_kind kind)
{
    switch (kind) {
    case GS_RECORD_ALERT_HIGH:
        return 2;
    case GS_RECORD_ALERT_MEDIUM:
        return 3;
    case GS_RECORD_ALERT_LOW:
        return 4;
    default:
        return 6;
    }
}

static const char *msgid_of(enum gs_record_kind kind)
{
    switch (kind) {
    case GS_RECORD_ALERT_HIGH:
    case GS_RECORD_ALERT_MEDIUM:
    case GS_RECORD_ALERT_LOW:
        return "alert";
    case GS_RECORD_STATS:
        return "stats";
    default:
        return "event";
    }
}

/* Connects a stream socket with a timeout, so a black-holed address cannot stall the writer
 * for the kernel's minutes-long default. */
static int connect_with_timeout(int fd, const struct sockaddr *sa, socklen_t len)
{
    int flags = fcntl(fd, F_GETFL, 0);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int rc = connect(fd, sa, len);
    if (rc != 0 && errno == EINPROGRESS) {
        struct pollfd p = {fd, POLLOUT, 0};
        rc = -1;
        if (poll(&p, 1, CONNECT_TIMEOUT_MS) == 1) {
            int err = 0;
            socklen_t elen = sizeof(err);
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
            if (err == 0)
                rc = 0;
            else
                errno = err;
        } else {
            errno = ETIMEDOUT;
        }
    }
    fcntl(fd, F_SETFL, flags);
    return rc;
}

static int open_network(struct syslog_dest *d, char *errbuf)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = d->transport == UDP ? SOCK_DGRAM : SOCK_STREAM};
    char port[8];
    snprintf(port, sizeof(port), "%d", d->port);
    struct addrinfo *res;
    int gai = getaddrinfo(d->host, port, &hints, &res);
    if (gai != 0) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "%s: %s", d->host, gai_strerror(gai));
        return -1;
    }
    int err = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        int rc = d->transport == UDP ? connect(fd, ai->ai_addr, ai->ai_addrlen)
                                     : connect_with_timeout(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc == 0) {
            /* A peer that stops reading must not block the writer forever. */
            struct timeval tv = {5, 0};
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
            d->fd = fd;
            freeaddrinfo(res);
            return 0;
        }
        err = errno;
        close(fd);
    }
    freeaddrinfo(res);
    snprintf(errbuf, GS_ERRBUF_SIZE, "%s:%d: %s", d->host, d->port, strerror(err));
    return -1;
}

static int open_local(struct syslog_dest *d, char *errbuf)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", LOCAL_SOCKET);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "%s: %s", LOCAL_SOCKET, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    d->fd = fd;
    return 0;
}

static int dest_connect(struct syslog_dest *d, char *errbuf)
{
    return d->transport == LOCAL ? open_local(d, errbuf) : open_network(d, errbuf);
}

static void dest_disconnect(struct syslog_dest *d)
{
    if (d->fd >= 0)
        close(d->fd);
    d->fd = -1;
}

/* Formats the header of one record into buf; returns its length. */
static size_t header(const struct syslog_dest *d, const struct gs_sink_record *rec, char *buf,
                     size_t cap)
{
    int pri = (int)d->facility * 8 + severity_of(rec->kind);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n;
    if (d->transport == LOCAL) {
        char when[32];
        strftime(when, sizeof(when), "%b %e %H:%M:%S", &tm);
        n = snprintf(buf, cap, "<%d>%s gridsensor[%d]: ", pri, when, d->pid);
    } else {
        char when[32];
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
        n = snprintf(buf, cap, "<%d>1 %s.%06ldZ %s gridsensor %d %s - ", pri, when,
                     ts.tv_nsec / 1000, d->hostname, d->pid, msgid_of(rec->kind));
    }
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static bool send_record(struct syslog_dest *d, const struct gs_sink_record *rec)
{
    char hdr[512], frame[32] = "";
    size_t hlen = header(d, rec, hdr, sizeof(hdr));
    struct iovec iov[3];
    int k = 0;
    if (d->transport == TCP) {
        int n = snprintf(frame, sizeof(frame), "%zu ", hlen + rec->len);
        iov[k].iov_base = frame;
        iov[k++].iov_len = (size_t)n;
    }
    iov[k].iov_base = hdr;
    iov[k++].iov_len = hlen;
    iov[k].iov_base = (void *)(uintptr_t)rec->line;
    iov[k++].iov_len = rec->len;
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)k};
    size_t total = 0;
    for (int i = 0; i < k; i++)
        total += iov[i].iov_len;
    for (;;) {
        ssize_t sent = sendmsg(d->fd, &msg, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR)
            continue;
        /* A stream that takes part of a message is broken for framing: reconnect. */
        return sent == (ssize_t)total;
    }
}

static size_t syslog_deliver(void *arg, const struct gs_sink_record *recs, size_t n,
                             size_t *dropped)
{
    struct syslog_dest *d = arg;
    char errbuf[GS_ERRBUF_SIZE];
    if (d->fd < 0 && dest_connect(d, errbuf) != 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (d->transport != TCP && recs[i].len > MAX_UDP_PAYLOAD) {
            (*dropped)++; /* larger than any datagram a receiver takes */
            continue;
        }
        if (!send_record(d, &recs[i])) {
            dest_disconnect(d);
            return i;
        }
    }
    return n;
}

static void syslog_close(void *arg)
{
    struct syslog_dest *d = arg;
    dest_disconnect(d);
    free(d);
}

static const struct gs_sink_dest_ops syslog_ops = {syslog_deliver, syslog_close};

int gs_sink_syslog_open(const char *spec, bool must_connect, const struct gs_config *cfg,
                        void **dest, const struct gs_sink_dest_ops **ops, char *errbuf)
{
    enum transport transport;
    const char *addr = NULL;
    if (strcmp(spec, "syslog") == 0) {
        transport = LOCAL;
    } else if (strncmp(spec, "syslog+udp://", 13) == 0) {
        transport = UDP;
        addr = spec + 13;
    } else if (strncmp(spec, "syslog+tcp://", 13) == 0) {
        transport = TCP;
        addr = spec + 13;
    } else {
        return 0;
    }
    struct syslog_dest *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "output %s: out of memory", spec);
        return -1;
    }
    d->transport = transport;
    d->fd = -1;
    d->facility = cfg->output_syslog_facility;
    d->pid = (int)getpid();
    if (gethostname(d->hostname, sizeof(d->hostname)) != 0 || d->hostname[0] == '\0')
        snprintf(d->hostname, sizeof(d->hostname), "-");
    d->hostname[sizeof(d->hostname) - 1] = '\0';
    const char *rest = NULL;
    if (addr != NULL &&
        (gs_sink_parse_host_port(addr, d->host, sizeof(d->host), &d->port, &rest) != 0 ||
         *rest != '\0')) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "output %s: expected %.13sHOST:PORT", spec, spec);
        free(d);
        return -1;
    }
    char why[GS_ERRBUF_SIZE];
    if (dest_connect(d, why) != 0 && must_connect) {
        snprintf(errbuf, GS_ERRBUF_SIZE, "output %s: %.300s", spec, why);
        free(d);
        return -1;
    }
    *dest = d;
    *ops = &syslog_ops;
    return 1;
}
