/* error.c - status codes and the per-thread message of the last failure.
 * The library never prints: callers read qkt_strerror(). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "qkt.h"

static _Thread_local char qkt_errbuf[2048];

const char *qkt_strerror(void) { return qkt_errbuf; }

void qkt_clear_error(void) { qkt_errbuf[0] = '\0'; }

/* Formatted into a scratch buffer first: a caller may pass the previous message
 * (qkt_strerror()) as an argument, which vsnprintf straight into qkt_errbuf would
 * read while overwriting it (overlapping buffers, undefined behaviour). */
qkt_status_t qkt_error(qkt_status_t s, const char *fmt, ...)
{
    char tmp[sizeof qkt_errbuf];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    memcpy(qkt_errbuf, tmp, sizeof tmp);
    return s;
}

const char *qkt_status_name(qkt_status_t s)
{
    switch (s) {
    case QKT_OK: return "ok";
    case QKT_EINVAL: return "invalid input";
    case QKT_EIO: return "file error";
    case QKT_EFORMAT: return "malformed file";
    case QKT_ENOMEM: return "out of memory";
    case QKT_ENUM: return "numerical failure";
    case QKT_ENOCONV: return "not converged";
    case QKT_EPHYS: return "ill-posed physics";
    }
    return "unknown status";
}

int qkt_pair_index(int a, int b)
{
    static const int idx[3][3] = {{QKT_XX, QKT_XY, QKT_XZ},
                                  {QKT_XY, QKT_YY, QKT_YZ},
                                  {QKT_XZ, QKT_YZ, QKT_ZZ}};
    return idx[a][b];
}
