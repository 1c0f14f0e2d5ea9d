/*
 * sink_fd.c - stdout and file destinations (JSON lines).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sink_int.h"

struct fd_dest {
    int fd;
    bool owned;
};

static bool write_all(int fd, struct iovec *iov, int iovcnt)
{
    while (iovcnt > 0) {
        ssize_t n = writev(fd, iov, iovcnt);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
            n -= (ssize_t)iov->iov_len;
            iov++;
            iovcnt--;
        }
        if (iovcnt > 0) {
            iov->iov_base = (char *)iov->iov_base + n;
            iov->iov_len -= (size_t)n;
        }
    }
    return true;
}

/* Records are contiguous lines in the writer's chunk: one writev for the batch. */
static size_t fd_deliver(void *arg, const struct gs_sink_record *recs, size_t n, size_t *dropped)
{
    (void)dropped;
    struct fd_dest *d = arg;
    struct iovec iov[512];
    size_t done = 0;
    while (done < n) {
        int k = 0;
        size_t first = done;
        for (; done < n && k + 2 <= (int)(sizeof(iov) / sizeof(iov[0])); done++) {
            iov[k].iov_base = (void *)(uintptr_t)recs[done].line;
            iov[k++].iov_len = recs[done].len;
            iov[k].iov_base = (void *)(uintptr_t) "\n";
            iov[k++].iov_len = 1;
        }
        if (!write_all(d->fd, iov, k))
            return first;
    }
    return n;
}

static void fd_close(void *arg)
{
    struct fd_dest *d = arg;
    if (d->owned)
        close(d->fd);
    free(d);
}

static const struct gs_sink_dest_ops fd_ops = {fd_deliver, fd_close};

int gs_sink_fd_open(const char *spec, void **dest, const struct gs_sink_dest_ops **ops,
                    char *errbuf)
{
    int fd;
    bool owned = false;
    if (strcmp(spec, "stdout") == 0) {
        fd = STDOUT_FILENO;
    } else if (strncmp(spec, "file:", 5) == 0) {
        const char *path = spec + 5;
        if (*path == '\0') {
            snprintf(errbuf, GS_ERRBUF_SIZE, "output %s: file: needs a path", spec);
            return -1;
        }
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0) {
            snprintf(errbuf, GS_ERRBUF_SIZE, "output %s: %s", path, strerror(errno));
            return -1;
        }
        owned = true;
    } else {
        return 0;
    }
    struct fd_dest *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        if (owned)
            close(fd);
        snprintf(errbuf, GS_ERRBUF_SIZE, "output %s: out of memory", spec);
        return -1;
    }
    d->fd = fd;
    d->owned = owned;
    *dest = d;
    *ops = &fd_ops;
    return 1;
}
