/* outfile.c - the one way qkt writes a file (results, tables, plots, exported
 * models): never half-written, never through a planted link, never replacing
 * what is not a regular file.
 *
 * A regular file (or a new path) is replaced atomically: the data goes to a
 * temporary file of an unpredictable name created exclusively (mkostemp:
 * O_EXCL, so never through a link) in the target's folder, which is synced
 * and renamed over the target on commit.  Every writer has its own temporary
 * file, so concurrent runs on one path each complete and the file ends as one
 * whole result.  A symbolic link to a regular file is written through: its
 * target is replaced, the link kept.  A dangling link is refused (creating
 * its target would follow a link the user may not have meant).  A device, a
 * FIFO or a terminal is written in place and never replaced; a FIFO without
 * a reader is an error at once, not a wait. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "qkt.h"

/* the folder of path (malloc'ed; "." without a slash) */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    size_t n = (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, path, n);
        d[n] = '\0';
    }
    return d;
}

static qkt_status_t dangling(const char *path)
{
    return qkt_error(QKT_EIO, "cannot write '%s': a symbolic link to a missing file (remove it, or give its target)",
                     path);
}

static qkt_status_t open_in_place(qkt_outfile_t *o, const char *path)
{
    int fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return qkt_error(QKT_EIO, "cannot write '%s': %s%s", path, strerror(errno),
                         errno == ENXIO ? " (a FIFO without a reader)" : "");
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    o->fd = fd;
    return QKT_OK;
}

static qkt_status_t open_temporary(qkt_outfile_t *o, const char *target, mode_t mode)
{
    char *dir = dir_of(target);
    const char *slash = strrchr(target, '/'), *base = slash ? slash + 1 : target;
    size_t nt = (dir ? strlen(dir) : 0) + strlen(base) + 16;
    char *tmp = malloc(nt), *tgt = strdup(target);
    if (!dir || !tmp || !tgt) {
        free(dir);
        free(tmp);
        free(tgt);
        return qkt_error(QKT_ENOMEM, "out of memory");
    }
    snprintf(tmp, nt, "%s/.%s.XXXXXX", dir, base);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0 || fchmod(fd, mode) != 0) {
        qkt_status_t s = qkt_error(QKT_EIO, "cannot write '%s' (cannot create a temporary file in '%s': %s)",
                                   target, dir, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        free(dir);
        free(tmp);
        free(tgt);
        return s;
    }
    free(dir);
    o->fd = fd;
    o->tmp = tmp;
    o->target = tgt;
    return QKT_OK;
}

qkt_status_t qkt_outfile_open(qkt_outfile_t *o, const char *path)
{
    memset(o, 0, sizeof *o);
    o->fd = -1;
    if (!path || !*path) return qkt_error(QKT_EINVAL, "empty output path");
    struct stat st, lst;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return qkt_error(QKT_EIO, "cannot write '%s': it is a directory", path);
        if (!S_ISREG(st.st_mode)) return open_in_place(o, path);
        char *real = realpath(path, NULL);
        if (!real) return qkt_error(QKT_EIO, "cannot write '%s': %s", path, strerror(errno));
        qkt_status_t s = open_temporary(o, real, st.st_mode & 07777);
        free(real);
        return s;
    }
    if (errno != ENOENT) return qkt_error(QKT_EIO, "cannot write '%s': %s", path, strerror(errno));
    if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) return dangling(path);
    /* a new file: permissions 0666 less the umask, as open() would give */
    mode_t um = umask(0);
    umask(um);
    return open_temporary(o, path, 0666 & ~um);
}

void qkt_outfile_abort(qkt_outfile_t *o)
{
    if (o->fd >= 0) close(o->fd);
    if (o->tmp) unlink(o->tmp);
    free(o->tmp);
    free(o->target);
    memset(o, 0, sizeof *o);
    o->fd = -1;
}

qkt_status_t qkt_outfile_commit(qkt_outfile_t *o)
{
    int err = 0;
    const char *what = "write";
    if (o->failed) err = o->failed;
    else if (o->tmp && fsync(o->fd) != 0) err = errno, what = "fsync";
    if (o->fd >= 0 && close(o->fd) != 0 && !err) err = errno, what = "close";
    o->fd = -1;
    if (!err && o->tmp && rename(o->tmp, o->target) != 0) err = errno, what = "rename";
    if (err) {
        qkt_status_t s = qkt_error(QKT_EIO, "cannot write '%s' (%s failed: %s)", o->target ? o->target : "output",
                                   what, strerror(err));
        qkt_outfile_abort(o);
        return s;
    }
    if (o->tmp) {
        /* make the rename durable: fsync the folder (best effort) */
        char *dir = dir_of(o->target);
        int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
    free(o->tmp);
    free(o->target);
    memset(o, 0, sizeof *o);
    o->fd = -1;
    return QKT_OK;
}

qkt_status_t qkt_outfile_write(qkt_outfile_t *o, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0 && !o->failed) {
        ssize_t w = write(o->fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            o->failed = errno ? errno : EIO;
            break;
        }
        p += w;
        len -= (size_t)w;
    }
    return o->failed ? QKT_EIO : QKT_OK;
}

qkt_status_t qkt_outfile_check(const char *path)
{
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (exists) {
        if (S_ISDIR(st.st_mode)) return qkt_error(QKT_EIO, "cannot write '%s': it is a directory", path);
        if (!S_ISREG(st.st_mode)) return QKT_OK; /* written in place; a FIFO's reader may come later */
    } else if (errno != ENOENT) {
        return qkt_error(QKT_EIO, "cannot write '%s': %s", path, strerror(errno));
    } else if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        return dangling(path);
    }
    /* a link's target is replaced in its own folder */
    char *real = exists ? realpath(path, NULL) : NULL;
    char *dir = dir_of(real ? real : path);
    free(real);
    if (!dir) return qkt_error(QKT_ENOMEM, "out of memory");
    qkt_status_t s = QKT_OK;
    if (stat(dir, &st) != 0)
        s = qkt_error(QKT_EIO, "cannot write '%s': folder '%s': %s", path, dir, strerror(errno));
    else if (!S_ISDIR(st.st_mode))
        s = qkt_error(QKT_EIO, "cannot write '%s': '%s' is not a folder", path, dir);
    else if (access(dir, W_OK | X_OK) != 0)
        s = qkt_error(QKT_EIO, "cannot write '%s': folder '%s': %s", path, dir, strerror(errno));
    free(dir);
    return s;
}
