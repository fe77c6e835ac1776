/* fuzz_util.h - helpers shared by the fuzz harnesses (fuzz_runfile.c,
 * fuzz_wannier.c) and their replay test (tests/test_fuzz_regress.c): a private
 * scratch folder, writing bytes to a file in it, and the "clean status" rule.
 * A harness function returns 0 when the input was handled cleanly and 1 with a
 * description in why[] when an invariant broke; a crash is a crash. */
#ifndef QKT_FUZZ_UTIL_H
#define QKT_FUZZ_UTIL_H
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "qkt.h"

static char fuzz_dir_[256];
/* status of the last read or load done by a harness (for the replay test) */
static qkt_status_t fuzz_last_status __attribute__((unused));

static pid_t fuzz_dir_pid_;

static void fuzz_cleanup_(void)
{
    if (!fuzz_dir_[0] || getpid() != fuzz_dir_pid_) return; /* a forked child leaves it */
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir_);
    if (system(cmd) != 0) fprintf(stderr, "fuzz: could not remove %s\n", fuzz_dir_);
    fuzz_dir_[0] = '\0';
}

/* The scratch folder (created on first use, removed at exit). */
static const char *fuzz_dir(void)
{
    if (!fuzz_dir_[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(fuzz_dir_, sizeof fuzz_dir_, "%s/qkt_fuzz.XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(fuzz_dir_)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        fuzz_dir_pid_ = getpid();
        atexit(fuzz_cleanup_);
    }
    return fuzz_dir_;
}

/* Write n bytes to fuzz_dir()/name; returns the path (static buffer per slot). */
static const char *fuzz_write(int slot, const char *name, const uint8_t *data, size_t n)
{
    static char path[4][512];
    snprintf(path[slot], sizeof path[slot], "%s/%s", fuzz_dir(), name);
    FILE *f = fopen(path[slot], "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
        perror(path[slot]);
        abort();
    }
    return path[slot];
}

static int fuzz_fail(char *why, size_t nwhy, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fuzz_fail(char *why, size_t nwhy, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, nwhy, fmt, ap);
    va_end(ap);
    return 1;
}

/* A failed library call is clean when its status is a known error code and
 * qkt_strerror() names `needle` (a file or key), or needle is NULL and the
 * message is not empty. */
static inline int fuzz_clean_error(qkt_status_t s, const char *needle)
{
    const char *msg = qkt_strerror();
    int known = s == QKT_EINVAL || s == QKT_EIO || s == QKT_EFORMAT || s == QKT_ENOMEM ||
                s == QKT_ENUM || s == QKT_ENOCONV || s == QKT_EPHYS;
    if (!known || !msg[0]) return 0;
    return needle ? strstr(msg, needle) != NULL : 1;
}

static inline const char *fuzz_base(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}
#endif
