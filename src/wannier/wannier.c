/* wannier.c - Wannier90 tight-binding models (Wannier90 3.x seedname_hr.dat,
 * seedname_tb.dat, optional seedname_wsvec.dat, plain or gzip): H(k) =
 * sum_R e^{ik.R} H(R)/ndegen(R) with exact k-derivatives, the Wannier-gauge
 * position matrix A^W(k), and an exporter of periodic models to these formats. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "core/internal.h"
#include "wannier/tables.h"

/* ------------------------------------------------------------------ constants */
/* Reader */
#define R_MAX 1000000     /* largest |R_a| and |R_a + T_a| read: far beyond any real model
                           * (|R_a| of a few tens), and sums of two stay inside int */
#define WS_MAX_SHIFTS 10000 /* shifts per wsvec entry: a sanity bound far above the few
                             * equidistant images Wannier90 writes */
#define WS_MAX_NT (INT_MAX / 4) /* total wsvec shifts: the int offsets and 3 ws_nT stay below INT_MAX */
#define WS_CAP_SLACK 16   /* room for shifts beyond one per entry before the first realloc */
/* Load */
#define AVEC_MATCH_TOL 1e-6 /* given and file lattice vectors agree to this, relative: the
                             * digits a user types, not the file's rounding */
#define VOL_MIN_REL 1e-10 /* cell volume below this times a_max^3: the lattice vectors are
                           * linearly dependent up to rounding */
#define KCUT_FRAC 0.5     /* kcut = half the longest reciprocal vector: the zone boundary */
/* energies are printed to 1e-8 (_tb.dat) or 1e-6 eV (_hr.dat): bands closer
 * than that are degenerate within the file's precision, and their Berry
 * connection is noise */
#define WANNIER_DEGEN_TOL 1e-6
/* Export by sampling (sample_model) */
#define HK_NMAT_MAX 10    /* matrices of qkt_model_hk's largest output (order 2: H, 3 + 6 derivatives) */
#define AWK_NMAT_MAX 12   /* matrices of awk's largest output (order 1: A_a and 9 d_b A_a) */
#define SAMPLE_MAX_BYTES 1e9 /* samples (16 bytes a complex number) of the largest mesh tried */
#define WS_REACH 2        /* supercell images searched per axis, +-2: enough for the
                           * Wigner-Seitz cell of any not extremely skewed supercell */
#define WS_NCAND ((2 * WS_REACH + 1) * (2 * WS_REACH + 1) * (2 * WS_REACH + 1)) /* = 125 */
#define WS_CAP_PER_POINT 8 /* images per grid point before the first realloc: the corners of a cube tie */
#define WS_TIE_TOL 1e-8   /* images within WS_TIE_TOL (1 + |R|) of the shortest are equally
                           * short: ties by symmetry, up to rounding of |R| */
#define SAMPLE_ZERO 1e-15 /* coefficients below this times the largest |H| are the DFT's
                           * rounding noise, written as exact zeros */
#define SAMPLE_NTEST 12   /* off-grid test points: a few per axis, cheap next to the sampling */
#define SAMPLE_TOL 1e-11  /* accepted when |H_TB - H| <= SAMPLE_TOL (1 + |H|) at every test
                           * point: well above the sums' rounding, far below any hopping */
/* the test points' pseudo-random generator: a 64-bit LCG (Knuth's MMIX
 * constants) seeded with the golden ratio's bits, its top 53 bits / 2^53 a
 * uniform double in [0, 1) */
#define LCG_SEED 0x9E3779B97F4A7C15ull
#define LCG_MUL 6364136223846793005ull
#define LCG_INC 1442695040888963407ull
#define TWO_POW_53 9007199254740992.0


/* ------------------------------------------------------------------ options */
void qkt_wannier_opts_default(qkt_wannier_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->use_position = 1;
    o->hermitize_position = 1;
    o->herm_tol = 1e-4;
    o->max_bytes = (size_t)4 << 30;
    o->spin_degeneracy = 1;
}

/* ------------------------------------------------------------------ line reader
 * Every byte read is accounted for, so that no input can keep the reader
 * busy or growing: lines are at most RD_LINE_MAX characters, a NUL byte is
 * an error (text files have none; /dev/zero and sparse files are all NULs),
 * and the (decompressed) bytes of a file are bounded by a budget: RD_HEAD_BYTES
 * for the lines before the header's counts, then RD_LINE_BYTES for each line
 * the header announces.  Only regular files are read: a FIFO or device could
 * block in open or read, or never end. */
#define MAXTOK 32
#define RD_LINE_MAX 4096      /* characters a line, newline excluded: Wannier90's longest
                               * lines (position lines of _tb.dat) have about 110-160 */
#define RD_CHUNK (1 << 17)    /* bytes of one read */
#define RD_HEAD_BYTES (1 << 20) /* bytes before the counts are known (and slack after):
                               * a few lines of header, blank lines, comments */
#define RD_LINE_BYTES 256     /* bytes per announced line on average: above Wannier90's
                               * longest line, so a real file never reaches the budget */

typedef struct {
    gzFile f;
    const char *path;
    long line;              /* number of the line in buf */
    unsigned char *chunk;   /* RD_CHUNK bytes read ahead; [cpos, clen) not yet used */
    size_t cpos, clen;
    int at_end;             /* the stream has ended */
    double nread;           /* bytes consumed (decompressed) */
    double budget;          /* bytes allowed */
    char budget_what[160];  /* what set the budget, for the message */
    char buf[RD_LINE_MAX + 1];
    char *tok[MAXTOK];
    int ntok;
} rd_t;

static const char *file_kind(mode_t m)
{
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

static qkt_status_t rd_open(rd_t *r, const char *path)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->budget = RD_HEAD_BYTES;
    snprintf(r->budget_what, sizeof r->budget_what, "before the header's counts");
    /* O_NONBLOCK: open of a FIFO without a writer returns at once instead of
     * waiting; fstat of the descriptor (not of the name) then decides */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return qkt_error(QKT_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        qkt_status_t s = qkt_error(QKT_EIO, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
        return s;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return qkt_error(QKT_EIO,
                         "%s: is %s: Wannier90 files are read from regular files only (plain or gzip)",
                         path, file_kind(st.st_mode));
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl != -1) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    r->chunk = malloc(RD_CHUNK);
    errno = 0;
    r->f = r->chunk ? gzdopen(fd, "rb") : NULL;
    if (!r->f) {
        close(fd);
        free(r->chunk);
        r->chunk = NULL;
        return qkt_error(QKT_ENOMEM, "%s: cannot open: out of memory", path);
    }
    gzbuffer(r->f, 1 << 17);
    return QKT_OK;
}

static void rd_close(rd_t *r)
{
    if (r->f) gzclose(r->f);
    r->f = NULL;
    free(r->chunk);
    r->chunk = NULL;
}

static qkt_status_t rd_err(const rd_t *r, qkt_status_t s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static qkt_status_t rd_err(const rd_t *r, qkt_status_t s, const char *fmt, ...)
{
    char msg[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return qkt_error(s, "%s:%ld: %s", r->path, r->line, msg);
}

/* The budget: RD_HEAD_BYTES plus RD_LINE_BYTES for each of nlines lines
 * announced (what: by which counts, for the message). */
static void rd_budget(rd_t *r, double nlines, const char *what)
{
    r->budget = RD_HEAD_BYTES + RD_LINE_BYTES * nlines;
    snprintf(r->budget_what, sizeof r->budget_what, "%s", what);
}

/* Refill the read-ahead; r->clen = 0 at the end of the stream. */
static qkt_status_t rd_fill(rd_t *r)
{
    r->cpos = r->clen = 0;
    if (r->at_end) return QKT_OK;
    int n = gzread(r->f, r->chunk, RD_CHUNK);
    if (n > 0) {
        r->clen = (size_t)n;
        return QKT_OK;
    }
    int err;
    const char *msg = gzerror(r->f, &err);
    if (err != Z_OK && err != Z_STREAM_END) {
        if (err == Z_ERRNO) return rd_err(r, QKT_EIO, "read error: %s", strerror(errno));
        return rd_err(r, QKT_EFORMAT, "corrupt or truncated gzip data: %s", msg);
    }
    r->at_end = 1;
    return QKT_OK;
}

/* The next line into r->buf, without its newline; *eof = 1 if the file has
 * ended before it (nothing read). */
static qkt_status_t rd_line(rd_t *r, int *eof)
{
    size_t n = 0;
    int got = 0;
    for (;;) {
        if (r->cpos == r->clen) {
            qkt_status_t s = rd_fill(r);
            if (s) return s;
            if (!r->clen) break;
        }
        got = 1;
        const unsigned char *p = r->chunk + r->cpos;
        size_t avail = r->clen - r->cpos;
        const unsigned char *nl = memchr(p, '\n', avail);
        size_t take = nl ? (size_t)(nl - p) : avail, used = take + (nl != NULL);
        const unsigned char *nul = memchr(p, '\0', take);
        if (nul)
            return rd_err(r, QKT_EFORMAT, "NUL byte at column %zu (binary data, not a Wannier90 text file)",
                          n + (size_t)(nul - p) + 1);
        if (n + take > RD_LINE_MAX)
            return rd_err(r, QKT_EFORMAT, "line longer than %d characters (not a Wannier90 file)",
                          RD_LINE_MAX);
        if (r->nread + used > r->budget)
            return rd_err(r, QKT_EFORMAT, "more than %.0f bytes %s: more than a Wannier90 file holds",
                          r->budget, r->budget_what);
        memcpy(r->buf + n, p, take);
        n += take;
        r->cpos += used;
        r->nread += used;
        if (nl) break;
    }
    r->buf[n] = '\0';
    *eof = !got;
    return QKT_OK;
}

/* Read the next line and split it into tokens.  *eof = 1 at end of file.
 * skip_blank: blank lines are skipped (still counted). */
static qkt_status_t rd_next(rd_t *r, int skip_blank, int *eof)
{
    *eof = 0;
    for (;;) {
        r->line++; /* errors at end of file name the line after the last */
        qkt_status_t s = rd_line(r, eof);
        if (s) return s;
        r->ntok = 0;
        if (*eof) return QKT_OK;
        char *p = r->buf;
        for (;;) {
            while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == ',') p++;
            if (!*p) break;
            if (r->ntok == MAXTOK) return rd_err(r, QKT_EFORMAT, "more than %d fields", MAXTOK);
            r->tok[r->ntok++] = p;
            while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' && *p != ',') p++;
            if (*p) *p++ = '\0';
        }
        if (r->ntok == 0 && skip_blank) continue;
        return QKT_OK;
    }
}

/* Next non-blank line, end of file is an error ("what" tells what was expected). */
static qkt_status_t rd_need(rd_t *r, const char *what)
{
    int eof;
    qkt_status_t s = rd_next(r, 1, &eof);
    if (s) return s;
    if (eof) return rd_err(r, QKT_EFORMAT, "unexpected end of file: expected %s (truncated file?)", what);
    return QKT_OK;
}

static qkt_status_t rd_fields(const rd_t *r, int n, const char *what)
{
    if (r->ntok != n)
        return rd_err(r, QKT_EFORMAT, "expected %d field%s (%s), got %d", n, n == 1 ? "" : "s", what,
                      r->ntok);
    return QKT_OK;
}

static qkt_status_t rd_int(const rd_t *r, int i, const char *name, long lo, long hi, int *out)
{
    const char *t = r->tok[i];
    char *end;
    errno = 0;
    long v = strtol(t, &end, 10);
    if (end == t || *end) {
        /* an integral value written as a real (e.g. "2.0") is still refused: R and
         * indices are integers in every Wannier90 format */
        return rd_err(r, QKT_EFORMAT, "%s = '%s' is not an integer", name, t);
    }
    if (errno == ERANGE || v < lo || v > hi)
        return rd_err(r, QKT_EFORMAT, "%s = %s out of range [%ld, %ld]", name, t, lo, hi);
    *out = (int)v;
    return QKT_OK;
}

static qkt_status_t rd_dbl(const rd_t *r, int i, const char *name, double *out)
{
    const char *t = r->tok[i], *end;
    /* decimal only (Fortran's d exponent allowed); no hexadecimal, inf, nan,
     * and no underflow of a non-zero value to zero */
    const char *why = qkt_parse_real(t, &end, out, 1);
    if (!why && *end) why = "not a decimal number";
    if (why) return rd_err(r, QKT_EFORMAT, "%s = '%.60s': %s", name, t, why);
    return QKT_OK;
}

/* ------------------------------------------------------------------ file contents */
typedef struct {
    int nw, nrpts, nel;
    int *ndeg;              /* nrpts */
    int *iR;                /* 3 nrpts */
    double complex *h;      /* nrpts x nel: H_mn(R) at [r * nel + m * nw + n] */
    int *hline;             /* line of each H element (messages) */
    double complex *pos;    /* nrpts x 3 x nel, or NULL */
    double avec[3][3];
    int have_avec;          /* lattice vectors read from the file (_tb.dat) */
    /* wsvec shifts: entry e = r * nel + m * nw + n has ws_cnt[e] shifts
     * T = ws_T[3 * (ws_off[e] + j)] */
    int *ws_off, *ws_cnt, *ws_T;
    size_t ws_nT;
} raw_t;

static void raw_free(raw_t *w)
{
    free(w->ndeg);
    free(w->iR);
    free(w->h);
    free(w->hline);
    free(w->pos);
    free(w->ws_off);
    free(w->ws_cnt);
    free(w->ws_T);
    memset(w, 0, sizeof *w);
}

static qkt_status_t read_degen(rd_t *r, raw_t *w)
{
    for (int i = 0; i < w->nrpts;) {
        qkt_status_t s = rd_need(r, "degeneracies of the R vectors (15 per line)");
        if (s) return s;
        int want = w->nrpts - i < 15 ? w->nrpts - i : 15;
        if (r->ntok != want)
            return rd_err(r, QKT_EFORMAT,
                          "expected %d degeneracies (ndegen, 15 per line, %d of nrpts = %d read), "
                          "got %d fields (nrpts inconsistent with the data?)",
                          want, i, w->nrpts, r->ntok);
        for (int j = 0; j < want; j++, i++) {
            s = rd_int(r, j, "ndegen", 1, 1000000, &w->ndeg[i]);
            if (s) return s;
        }
    }
    return QKT_OK;
}

static qkt_status_t check_size(const rd_t *r, const qkt_wannier_opts_t *o, double nw, double nrpts,
                               int npos)
{
    double bytes = nrpts * nw * nw * 16.0 * (1 + 3 * npos) * 2.5; /* file data + working copies */
    if (bytes <= (double)o->max_bytes) return QKT_OK;
    char msg[256];
    snprintf(msg, sizeof msg,
             "tight-binding data too large: num_wann = %.0f, nrpts = %.0f need about %.3g bytes, "
             "more than the limit max_bytes = %zu",
             nw, nrpts, bytes, o->max_bytes);
    /* arrays (no reader): the message names them by o->path */
    return r ? rd_err(r, QKT_ENOMEM, "%s", msg) : qkt_error(QKT_ENOMEM, "%s: %s", o->path, msg);
}

static qkt_status_t alloc_raw(rd_t *r, raw_t *w, int want_pos)
{
    size_t n = (size_t)w->nrpts * w->nel;
    w->ndeg = calloc(w->nrpts, sizeof(int));
    w->iR = calloc(3 * (size_t)w->nrpts, sizeof(int));
    w->h = calloc(n, sizeof(double complex));
    w->hline = calloc(n, sizeof(int));
    if (want_pos) w->pos = calloc(3 * n, sizeof(double complex));
    if (!w->ndeg || !w->iR || !w->h || !w->hline || (want_pos && !w->pos))
        return rd_err(r, QKT_ENOMEM, "out of memory (num_wann = %d, nrpts = %d)", w->nw, w->nrpts);
    return QKT_OK;
}

/* Read the matrix elements of one R block: nel lines "[R1 R2 R3] m n values".
 * nlead = 3 for _hr.dat (R on every line), 0 for _tb.dat.  nval = 2 or 6. */
static qkt_status_t read_block(rd_t *r, raw_t *w, int ir, int nlead, int nval, const char *what,
                               double complex *dst, int *lines, unsigned char *seen, long R0line)
{
    static const char *const rname[3] = {"R1", "R2", "R3"};
    static const char *const vname[6] = {"Re", "Im", "Re(y)", "Im(y)", "Re(z)", "Im(z)"};
    static const char *const pname[6] = {"Re(x)", "Im(x)", "Re(y)", "Im(y)", "Re(z)", "Im(z)"};
    const char *const *vn = nval == 2 ? vname : pname;
    int nw = w->nw, nel = w->nel;
    memset(seen, 0, (size_t)(nel > 0 ? nel : 0));
    for (int l = 0; l < nel; l++) {
        char exp[160];
        snprintf(exp, sizeof exp, "%s line %d of %d of R block %d of nrpts = %d", what, l + 1, nel,
                 ir + 1, w->nrpts);
        qkt_status_t s = rd_need(r, exp);
        if (s) return s;
        if (r->ntok != nlead + 2 + nval) {
            if (nlead)
                return rd_err(r, QKT_EFORMAT, "expected 7 fields (R1 R2 R3 m n Re Im), got %d", r->ntok);
            return rd_err(r, QKT_EFORMAT, "expected %d fields (m n %s), got %d%s", 2 + nval,
                          nval == 2 ? "Re Im" : "Re(x) Im(x) Re(y) Im(y) Re(z) Im(z)", r->ntok,
                          r->ntok == 3 ? " (num_wann or nrpts inconsistent with the data?)" : "");
        }
        if (nlead) {
            int R[3];
            for (int a = 0; a < 3; a++) {
                s = rd_int(r, a, rname[a], -R_MAX, R_MAX, &R[a]);
                if (s) return s;
            }
            if (l == 0) {
                memcpy(w->iR + 3 * ir, R, sizeof R);
                R0line = r->line;
            } else if (memcmp(w->iR + 3 * ir, R, sizeof R) != 0) {
                const int *P = w->iR + 3 * ir;
                return rd_err(r, QKT_EFORMAT,
                              "R = (%d %d %d) changes inside the block of num_wann^2 = %d lines that "
                              "started with R = (%d %d %d) on line %ld (num_wann inconsistent with the "
                              "data?)",
                              R[0], R[1], R[2], nel, P[0], P[1], P[2], R0line);
            }
        }
        int mi, ni;
        s = rd_int(r, nlead, "m", 1, nw, &mi);
        if (!s) s = rd_int(r, nlead + 1, "n", 1, nw, &ni);
        if (s) return s;
        int e = (mi - 1) * nw + (ni - 1);
        if (seen[e])
            return rd_err(r, QKT_EFORMAT, "element (m, n) = (%d, %d) given twice for R = (%d %d %d)", mi,
                          ni, w->iR[3 * ir], w->iR[3 * ir + 1], w->iR[3 * ir + 2]);
        seen[e] = 1;
        double v[6];
        for (int j = 0; j < nval; j++) {
            s = rd_dbl(r, nlead + 2 + j, vn[j], &v[j]);
            if (s) return s;
        }
        if (nval == 2) {
            dst[e] = v[0] + I * v[1];
        } else {
            for (int a = 0; a < 3; a++) dst[(size_t)a * nel + e] = v[2 * a] + I * v[2 * a + 1];
        }
        if (lines) lines[e] = (int)(r->line > INT_MAX ? INT_MAX : r->line);
    }
    return QKT_OK;
}

static qkt_status_t read_R_line(rd_t *r, raw_t *w, int ir, const char *what, int check)
{
    static const char *const rname[3] = {"R1", "R2", "R3"};
    char exp[128];
    snprintf(exp, sizeof exp, "R vector of %s block %d of nrpts = %d", what, ir + 1, w->nrpts);
    qkt_status_t s = rd_need(r, exp);
    if (s) return s;
    if (r->ntok != 3)
        return rd_err(r, QKT_EFORMAT, "expected 3 fields (R1 R2 R3 of %s block %d), got %d%s", what,
                      ir + 1, r->ntok, " (num_wann or nrpts inconsistent with the data?)");
    int R[3];
    for (int a = 0; a < 3; a++) {
        s = rd_int(r, a, rname[a], -R_MAX, R_MAX, &R[a]);
        if (s) return s;
    }
    if (check) {
        const int *P = w->iR + 3 * ir;
        if (memcmp(P, R, sizeof R) != 0)
            return rd_err(r, QKT_EFORMAT,
                          "position block %d has R = (%d %d %d), the Hamiltonian block %d had "
                          "(%d %d %d): expected the same order",
                          ir + 1, R[0], R[1], R[2], ir + 1, P[0], P[1], P[2]);
    } else {
        memcpy(w->iR + 3 * ir, R, sizeof R);
    }
    return QKT_OK;
}

static qkt_status_t read_model_file(const qkt_wannier_opts_t *o, raw_t *w)
{
    rd_t r;
    unsigned char *seen = NULL;
    qkt_status_t s = rd_open(&r, o->path);
    if (s) return s;
    int eof;
    s = rd_next(&r, 0, &eof); /* line 1: header (free text) */
    if (s) goto done;
    if (eof) {
        s = rd_err(&r, QKT_EFORMAT, "empty file: expected a Wannier90 _hr.dat or _tb.dat header line");
        goto done;
    }
    s = rd_need(&r, "num_wann (_hr.dat) or lattice vector a1 (_tb.dat)");
    if (s) goto done;
    int tb = 0;
    if (r.ntok == 3) {
        tb = 1;
        for (int i = 0; i < 3; i++) {
            if (i > 0) {
                s = rd_need(&r, "lattice vector (Angstrom)");
                if (s) goto done;
                s = rd_fields(&r, 3, "lattice vector a_i in Angstrom");
                if (s) goto done;
            }
            for (int a = 0; a < 3; a++) {
                s = rd_dbl(&r, a, "lattice vector component", &w->avec[i][a]);
                if (s) goto done;
            }
        }
        w->have_avec = 1;
        s = rd_need(&r, "num_wann");
        if (s) goto done;
    } else if (r.ntok != 1) {
        s = rd_err(&r, QKT_EFORMAT,
                   "expected 1 field (num_wann, _hr.dat) or 3 (lattice vector a1, _tb.dat), got %d",
                   r.ntok);
        goto done;
    }
    s = rd_fields(&r, 1, "num_wann");
    if (!s) s = rd_int(&r, 0, "num_wann", 1, 40000, &w->nw);
    if (s) goto done;
    s = rd_need(&r, "nrpts");
    if (!s) s = rd_fields(&r, 1, "nrpts");
    if (!s) s = rd_int(&r, 0, "nrpts", 1, 100000000, &w->nrpts);
    if (s) goto done;
    int want_pos = tb && o->use_position;
    s = check_size(&r, o, w->nw, w->nrpts, want_pos);
    if (s) goto done;
    w->nel = w->nw * w->nw;
    {
        /* the lines the counts announce: degeneracies 15 a line, then nrpts
         * blocks of num_wann^2 lines (_tb.dat: two sets of blocks, each
         * block after a blank line and its R line) */
        double nr = w->nrpts, nblk = tb ? 2 * nr * (w->nel + 2.0) : nr * w->nel;
        char what[128];
        snprintf(what, sizeof what, "for num_wann = %d, nrpts = %d", w->nw, w->nrpts);
        rd_budget(&r, r.line + ceil(nr / 15) + nblk, what);
    }
    s = alloc_raw(&r, w, want_pos);
    if (s) goto done;
    seen = malloc(w->nel);
    if (!seen) {
        s = rd_err(&r, QKT_ENOMEM, "out of memory");
        goto done;
    }
    s = read_degen(&r, w);
    if (s) goto done;
    size_t nel = w->nel;
    if (!tb) {
        for (int ir = 0; ir < w->nrpts; ir++) {
            s = read_block(&r, w, ir, 3, 2, "H(R)", w->h + ir * nel, w->hline + ir * nel, seen, 0);
            if (s) goto done;
        }
    } else {
        for (int ir = 0; ir < w->nrpts; ir++) {
            s = read_R_line(&r, w, ir, "Hamiltonian", 0);
            if (s) goto done;
            long R0 = r.line;
            s = read_block(&r, w, ir, 0, 2, "H(R)", w->h + ir * nel, w->hline + ir * nel, seen, R0);
            if (s) goto done;
        }
        if (want_pos) {
            for (int ir = 0; ir < w->nrpts; ir++) {
                s = read_R_line(&r, w, ir, "position", 1);
                if (s) goto done;
                s = read_block(&r, w, ir, 0, 6, "position", w->pos + 3 * ir * nel, NULL, seen, r.line);
                if (s) goto done;
            }
        }
    }
    if (!tb || want_pos) {
        s = rd_next(&r, 1, &eof);
        if (s) goto done;
        if (!eof) {
            s = rd_err(&r, QKT_EFORMAT,
                       "unexpected data after the last of nrpts = %d blocks (nrpts or num_wann "
                       "inconsistent with the data?)",
                       w->nrpts);
            goto done;
        }
    }
done:
    free(seen);
    rd_close(&r);
    return s;
}

/* ------------------------------------------------------------------ R-vector lookup
 * A sorted list of the distinct R vectors, searched by bisection: its size
 * is that of the list, never that of the box the vectors span (a file with
 * R = +-(291, 291, 291) and nothing else is three entries, not 583^3 cells). */
typedef struct {
    int R[3];
    int i;                  /* number of the vector (order of first appearance) */
} rkey_t;

typedef struct {
    int n;
    rkey_t *k;              /* n, sorted by R */
} rindex_t;

static int rkey_cmp_R(const int *a, const int *b)
{
    for (int c = 0; c < 3; c++)
        if (a[c] != b[c]) return a[c] < b[c] ? -1 : 1;
    return 0;
}

/* by R, then by position: the first of equal vectors comes first */
static int rkey_cmp(const void *pa, const void *pb)
{
    const rkey_t *a = pa, *b = pb;
    int c = rkey_cmp_R(a->R, b->R);
    return c ? c : (a->i > b->i) - (a->i < b->i);
}

/* Index the n vectors v (3 ints each).  The distinct ones are numbered in
 * the order of their first appearance, *nu of them; which[p] (n entries, or
 * NULL) = the number of the vector at position p, first[u] (n entries, or
 * NULL) = the position of the first appearance of distinct vector u.
 * Returns 0, or -1 when out of memory.  O(n log n) time, O(n) memory. */
static int rindex_build(rindex_t *x, const int *v, size_t n, int *nu, int *which, int *first)
{
    memset(x, 0, sizeof *x);
    *nu = 0;
    size_t m = n ? n : 1;
    rkey_t *k = malloc(m * sizeof *k);
    int *grp = malloc(m * sizeof(int));   /* group (in sorted order) of each position */
    int *lead = malloc(m * sizeof(int));  /* first position of each group */
    int *num = malloc(m * sizeof(int));   /* number of each group */
    if (!k || !grp || !lead || !num) {
        free(k);
        free(grp);
        free(lead);
        free(num);
        return -1;
    }
    for (size_t p = 0; p < n; p++) {
        memcpy(k[p].R, v + 3 * p, sizeof k[p].R);
        k[p].i = (int)p;
    }
    qsort(k, n, sizeof *k, rkey_cmp);
    size_t ng = 0;
    for (size_t j = 0; j < n; j++) {
        if (j == 0 || rkey_cmp_R(k[j].R, k[j - 1].R) != 0) lead[ng++] = k[j].i;
        grp[k[j].i] = (int)ng - 1;
    }
    int u = 0;
    for (size_t p = 0; p < n; p++)
        if (lead[grp[p]] == (int)p) {
            if (first) first[u] = (int)p;
            num[grp[p]] = u++;
        }
    if (which)
        for (size_t p = 0; p < n; p++) which[p] = num[grp[p]];
    /* keep one key a group, numbered; the sorted order stays */
    for (size_t g = 0, j = 0; j < n; j++)
        if (j == 0 || rkey_cmp_R(k[j].R, k[g - 1].R) != 0) {
            k[g] = k[j];
            k[g].i = num[g];
            g++;
        }
    free(grp);
    free(lead);
    free(num);
    x->n = u;
    x->k = k;
    *nu = u;
    return 0;
}

/* The number of R in the index, or -1. */
static int rindex_find(const rindex_t *x, const int *R)
{
    int lo = 0, hi = x->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2, c = rkey_cmp_R(x->k[mid].R, R);
        if (c == 0) return x->k[mid].i;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

static void rindex_free(rindex_t *x)
{
    free(x->k);
    memset(x, 0, sizeof *x);
}

/* Index the file's R vectors; check duplicates, partners -R with the same
 * degeneracy, and Hermiticity H_mn(R) = conj(H_nm(-R)) to herm_tol. */
static qkt_status_t check_file_R(const qkt_wannier_opts_t *o, const raw_t *w, rindex_t *b)
{
    int nw = w->nw, nu;
    size_t nel = w->nel;
    int *which = malloc(sizeof(int) * w->nrpts), *first = malloc(sizeof(int) * w->nrpts);
    if (!which || !first || rindex_build(b, w->iR, w->nrpts, &nu, which, first) != 0) {
        free(which);
        free(first);
        return qkt_error(QKT_ENOMEM, "%s: out of memory (R lookup)", o->path);
    }
    /* the first repeated R in file order */
    int dup = -1;
    for (int i = 0; i < w->nrpts && nu < w->nrpts && dup < 0; i++)
        if (first[which[i]] != i) dup = i;
    int dfirst = dup >= 0 ? first[which[dup]] : 0;
    free(which);
    free(first);
    if (dup >= 0) {
        const int *R = w->iR + 3 * dup;
        return qkt_error(QKT_EFORMAT, "%s:%d: R = (%d %d %d) appears twice (blocks %d and %d)", o->path,
                         w->hline[dup * nel], R[0], R[1], R[2], dfirst + 1, dup + 1);
    }
    double worst = -1;
    size_t we = 0, wp = 0;
    for (int i = 0; i < w->nrpts; i++) {
        const int *R = w->iR + 3 * i;
        int mR[3] = {-R[0], -R[1], -R[2]};
        int j = rindex_find(b, mR);
        if (j < 0)
            return qkt_error(QKT_EFORMAT,
                             "%s:%d: R = (%d %d %d) has no partner -R in the file (H(-R) = H(R)^dagger "
                             "is needed)",
                             o->path, w->hline[i * nel], R[0], R[1], R[2]);
        if (w->ndeg[j] != w->ndeg[i])
            return qkt_error(QKT_EFORMAT,
                             "%s:%d: ndegen(R) = %d for R = (%d %d %d) but ndegen(-R) = %d", o->path,
                             w->hline[i * nel], w->ndeg[i], R[0], R[1], R[2], w->ndeg[j]);
        const double complex *A = w->h + i * nel, *B = w->h + j * nel;
        for (int m = 0; m < nw; m++)
            for (int n = 0; n < nw; n++) {
                double d = cabs(A[m * nw + n] - conj(B[n * nw + m]));
                if (d > worst) {
                    worst = d;
                    we = i * nel + m * nw + n;
                    wp = j * nel + n * nw + m;
                }
            }
    }
    if (worst > o->herm_tol) {
        int i = (int)(we / nel), e = (int)(we % nel);
        const int *R = w->iR + 3 * i;
        return qkt_error(QKT_EFORMAT,
                         "%s:%d: H(R) is not Hermitian: |H_mn(R) - conj(H_nm(-R))| = %.3g eV > "
                         "herm_tol = %.3g eV for R = (%d %d %d), m = %d, n = %d (partner on line %d)",
                         o->path, w->hline[we], worst, o->herm_tol, R[0], R[1], R[2], e / nw + 1,
                         e % nw + 1, w->hline[wp]);
    }
    return QKT_OK;
}

/* ------------------------------------------------------------------ wsvec */
/* The first line "R1 R2 R3 m n" of an entry: R, m, n and the index *e of
 * (R, m, n) in the file's data. */
static qkt_status_t ws_entry_key(const rd_t *r, const qkt_wannier_opts_t *o, const raw_t *w,
                                 const rindex_t *b, int R[3], int *mi, int *ni, size_t *e)
{
    static const char *const rname[3] = {"R1", "R2", "R3"};
    int nw = w->nw;
    qkt_status_t s;
    if (r->ntok != 5) return rd_err(r, QKT_EFORMAT, "expected 5 fields (R1 R2 R3 m n), got %d", r->ntok);
    for (int a = 0; a < 3; a++) {
        s = rd_int(r, a, rname[a], -R_MAX, R_MAX, &R[a]);
        if (s) return s;
    }
    s = rd_int(r, 3, "m", 1, nw, mi);
    if (!s) s = rd_int(r, 4, "n", 1, nw, ni);
    if (s) return s;
    int ir = rindex_find(b, R);
    if (ir < 0)
        return rd_err(r, QKT_EFORMAT, "R = (%d %d %d) is not among the R vectors of %s", R[0], R[1],
                      R[2], o->path);
    *e = (size_t)ir * w->nel + (*mi - 1) * nw + (*ni - 1);
    return QKT_OK;
}

/* The rest of entry e (lattice vector R): the number of shifts and the
 * shifts T, appended to w->ws_T (capacity *cap, grown as needed). */
static qkt_status_t ws_shifts(rd_t *r, const qkt_wannier_opts_t *o, raw_t *w, const int R[3], size_t e,
                              size_t *cap)
{
    int cnt;
    qkt_status_t s = rd_need(r, "number of shifts");
    if (!s) s = rd_fields(r, 1, "number of lattice shifts T");
    if (!s) s = rd_int(r, 0, "number of shifts", 1, WS_MAX_SHIFTS, &cnt);
    if (s) return s;
    r->budget += (double)RD_LINE_BYTES * cnt; /* the lines this count announces */
    if (w->ws_nT + cnt > *cap) {
        size_t nc = 2 * *cap + cnt;
        int *t = realloc(w->ws_T, 3 * nc * sizeof(int));
        if (!t) return qkt_error(QKT_ENOMEM, "%s: out of memory", o->wsvec_path);
        w->ws_T = t;
        *cap = nc;
    }
    w->ws_off[e] = (int)w->ws_nT;
    for (int j = 0; j < cnt; j++) {
        s = rd_need(r, "lattice shift T1 T2 T3");
        if (!s) s = rd_fields(r, 3, "lattice shift T1 T2 T3");
        if (s) return s;
        for (int a = 0; a < 3; a++) {
            int *T = &w->ws_T[3 * w->ws_nT + a];
            s = rd_int(r, a, "T", -R_MAX, R_MAX, T);
            if (s) return s;
            /* R + T must stay within the range the files can hold (and the
             * exporter writes): |R_a + T_a| <= R_MAX */
            if (abs(R[a] + *T) > R_MAX)
                return rd_err(r, QKT_EFORMAT, "shift T%d = %d moves R%d = %d to %d, beyond +-%d", a + 1, *T,
                              a + 1, R[a], R[a] + *T, R_MAX);
        }
        w->ws_nT++;
    }
    w->ws_cnt[e] = cnt;
    return QKT_OK;
}

/* After nread of nent entries: the first entry missing. */
static qkt_status_t ws_missing(const rd_t *r, const raw_t *w, size_t nread, size_t nent)
{
    int nw = w->nw;
    for (size_t e = 0; e < nent; e++)
        if (!w->ws_cnt[e]) {
            int ir = (int)(e / w->nel), el = (int)(e % w->nel);
            const int *R = w->iR + 3 * ir;
            return rd_err(r, QKT_EFORMAT,
                          "no entry for R = (%d %d %d), m = %d, n = %d (%zu of %zu entries present)",
                          R[0], R[1], R[2], el / nw + 1, el % nw + 1, nread, nent);
        }
    return QKT_OK;
}

static qkt_status_t read_wsvec(const qkt_wannier_opts_t *o, raw_t *w, const rindex_t *b)
{
    rd_t r;
    qkt_status_t s = rd_open(&r, o->wsvec_path);
    if (s) return s;
    size_t nent = (size_t)w->nrpts * w->nel, cap = nent + WS_CAP_SLACK;
    w->ws_off = malloc(nent * sizeof(int));
    w->ws_cnt = calloc(nent, sizeof(int));
    w->ws_T = malloc(3 * cap * sizeof(int));
    int *line = calloc(nent, sizeof(int)); /* line of each entry's first line */
    if (!w->ws_off || !w->ws_cnt || !w->ws_T || !line) {
        s = qkt_error(QKT_ENOMEM, "%s: out of memory", o->wsvec_path);
        goto done;
    }
    {
        /* a header line and two lines an entry, and the shifts as their counts are read */
        char what[160];
        snprintf(what, sizeof what, "for nrpts x num_wann^2 = %zu entries and their shifts", nent);
        rd_budget(&r, 1 + 2.0 * nent, what);
    }
    int eof;
    s = rd_next(&r, 1, &eof);
    if (s) goto done;
    if (eof) {
        s = rd_err(&r, QKT_EFORMAT, "empty file: expected the Wannier90 wsvec header");
        goto done;
    }
    int have = r.ntok > 0 && r.tok[0][0] != '#' ? 1 : 0; /* data without a header line */
    size_t nread = 0;
    for (;;) {
        if (!have) {
            s = rd_next(&r, 1, &eof);
            if (s) goto done;
            if (eof) break;
        }
        have = 0;
        int R[3], mi, ni;
        size_t e = 0;
        s = ws_entry_key(&r, o, w, b, R, &mi, &ni, &e);
        if (s) goto done;
        if (w->ws_cnt[e]) {
            s = rd_err(&r, QKT_EFORMAT, "entry R = (%d %d %d), m = %d, n = %d given twice (first on line %d)",
                       R[0], R[1], R[2], mi, ni, line[e]);
            goto done;
        }
        line[e] = (int)r.line;
        s = ws_shifts(&r, o, w, R, e, &cap);
        if (s) goto done;
        nread++;
        if (w->ws_nT > (size_t)WS_MAX_NT) {
            s = rd_err(&r, QKT_ENOMEM, "too many shifts");
            goto done;
        }
    }
    if (nread != nent) s = ws_missing(&r, w, nread, nent);
done:
    free(line);
    rd_close(&r);
    return s;
}

/* ------------------------------------------------------------------ model data */
static void fset_free(fset_t *f)
{
    free(f->iR);
    free(f->Rc);
    free(f->g3off);
    for (int p = 0; p < 6; p++) free(f->G[p]);
    memset(f, 0, sizeof *f);
}

static void wan_free(wan_t *w)
{
    if (!w) return;
    fset_free(&w->H);
    fset_free(&w->A);
    free(w->pm);
    free(w->pn);
    free(w->pe);
    free(w);
}

static void destroy(qkt_model_t *m)
{
    wan_free(m->priv);
    m->priv = NULL;
}

static int lex_sign(const int *R)
{
    for (int a = 0; a < 3; a++)
        if (R[a]) return R[a] > 0 ? 1 : -1;
    return 0;
}

/* Expanded full set: every lattice vector R' = R + T (T = 0 without wsvec)
 * with M(R') = sum over (R, T) of O(R)/(ndegen(R) nshift). */
typedef struct {
    int n;
    int *iR;             /* 3 n */
    double complex *M;   /* n x nplane x nel */
    rindex_t index;      /* of iR */
} xset_t;

static void xset_free(xset_t *x)
{
    free(x->iR);
    free(x->M);
    rindex_free(&x->index);
    memset(x, 0, sizeof *x);
}

/* The vectors R + T of every entry (R, m, n) and shift T, in file order of
 * R, then entry, then shift (without wsvec: the file's R); *ncand of them. */
static int *expand_candidates(const raw_t *w, size_t *ncand)
{
    size_t nel = w->nel, n = 0;
    int ws = w->ws_cnt != NULL;
    size_t total = ws ? w->ws_nT : (size_t)w->nrpts;
    int *c = malloc(3 * (total ? total : 1) * sizeof(int));
    if (!c) return NULL;
    for (int ir = 0; ir < w->nrpts; ir++) {
        const int *R = w->iR + 3 * ir;
        for (size_t e = 0; e < (ws ? nel : 1); e++) {
            size_t ent = ir * nel + e;
            int cnt = ws ? w->ws_cnt[ent] : 1;
            for (int j = 0; j < cnt; j++, n++)
                for (int a = 0; a < 3; a++)
                    c[3 * n + a] = R[a] + (ws ? w->ws_T[3 * ((size_t)w->ws_off[ent] + j) + a] : 0);
        }
    }
    *ncand = n;
    return c;
}

static qkt_status_t expand(const qkt_wannier_opts_t *o, const raw_t *w, const double complex *O, int nplane,
                           xset_t *x)
{
    size_t nel = w->nel, ncand = 0;
    int ws = w->ws_cnt != NULL;
    /* pass 1: the distinct vectors, numbered in order of appearance */
    int *cand = expand_candidates(w, &ncand);
    int *which = malloc((ncand ? ncand : 1) * sizeof(int)), *first = malloc((ncand ? ncand : 1) * sizeof(int));
    if (!cand || !which || !first || rindex_build(&x->index, cand, ncand, &x->n, which, first) != 0) goto nomem;
    /* the shifts can make many more vectors than the file has R: the tables
     * below hold nplane matrices for each */
    double bytes = (double)x->n * nplane * nel * sizeof(double complex) * 2;
    if (bytes > (double)o->max_bytes) {
        free(cand);
        free(which);
        free(first);
        return qkt_error(QKT_ENOMEM,
                         "%s: the lattice shifts of %s give %d vectors R + T (nrpts = %d): their tables need "
                         "about %.3g bytes, more than the limit max_bytes = %zu",
                         o->path, o->wsvec_path ? o->wsvec_path : "(none)", x->n, w->nrpts, bytes, o->max_bytes);
    }
    x->iR = malloc(3 * (size_t)(x->n ? x->n : 1) * sizeof(int));
    x->M = calloc((size_t)x->n * nplane * nel, sizeof(double complex));
    if (!x->iR || !x->M) goto nomem;
    for (int u = 0; u < x->n; u++) memcpy(x->iR + 3 * u, cand + 3 * (size_t)first[u], 3 * sizeof(int));
    /* pass 2: accumulate, over the candidates in the same order */
    size_t pos = 0;
    for (int ir = 0; ir < w->nrpts; ir++) {
        double wd = 1.0 / w->ndeg[ir];
        size_t pos0 = pos;
        for (size_t e = 0; e < nel; e++) {
            size_t ent = ir * nel + e;
            int cnt = ws ? w->ws_cnt[ent] : 1;
            double wt = wd / cnt;
            if (!ws) pos = pos0; /* one candidate, R itself, for all elements */
            for (int j = 0; j < cnt; j++, pos++) {
                size_t xi = (size_t)which[pos];
                for (int p = 0; p < nplane; p++)
                    x->M[(xi * nplane + p) * nel + e] += wt * O[(ent / nel * nplane + p) * nel + e];
            }
        }
    }
    free(cand);
    free(which);
    free(first);
    return QKT_OK;
nomem:
    free(cand);
    free(which);
    free(first);
    return qkt_error(QKT_ENOMEM, "%s: out of memory expanding the R vectors", o->path);
}

/* Build the half-set storage of an operator from its expanded set.  nin
 * input planes; split = 0: plane = Hermitian part (M(R) + M(-R)^dagger)/2;
 * split = 1: 2 nin planes, the Hermitian parts h and then b = i (M(R) -
 * M(-R)^dagger)/2, so that M = h - i b.  *dev = max |M(R) - M(-R)^dagger|. */
static qkt_status_t build_fset(const xset_t *x, const wan_t *w, int nin, int split,
                               const double avec[3][3], fset_t *f, double *dev, const char *path)
{
    int nw = w->nw, nel = w->nel, nchunk = w->nchunk, nout = split ? 2 * nin : nin, CW = w->cw;
    memset(f, 0, sizeof *f);
    f->nplane = nout;
    int *keep = malloc((size_t)(x->n ? x->n : 1) * sizeof(int));
    int *part = malloc((size_t)(x->n ? x->n : 1) * sizeof(int));
    double complex *Gm = malloc(sizeof(double complex) * nel);
    if (!keep || !part || !Gm) goto nomem;
    double worst = 0;
    int nr = 0;
    for (int i = 0; i < x->n; i++) {
        const int *R = x->iR + 3 * i;
        int mR[3] = {-R[0], -R[1], -R[2]};
        int j = rindex_find(&x->index, mR);
        part[i] = j;
        for (int p = 0; p < nin; p++) {
            const double complex *A = x->M + ((size_t)i * nin + p) * nel;
            const double complex *B = j >= 0 ? x->M + ((size_t)j * nin + p) * nel : NULL;
            for (int m = 0; m < nw; m++)
                for (int n = 0; n < nw; n++) {
                    double d = cabs(A[m * nw + n] - (B ? conj(B[n * nw + m]) : 0));
                    if (d > worst) worst = d;
                }
        }
        /* the half set: R >= 0, or a negative R whose partner -R is absent */
        if (lex_sign(R) < 0 && j >= 0) continue;
        int nz = 0;
        for (size_t e = 0; e < (size_t)nin * nel && !nz; e++)
            if (x->M[(size_t)i * nin * nel + e] != 0 || (j >= 0 && x->M[(size_t)j * nin * nel + e] != 0))
                nz = 1;
        if (nz) keep[nr++] = i;
    }
    *dev = worst;
    /* ordered by the third lattice coordinate n_3 (stable), with the offsets
     * of each n_3 group: the partial sums of a mesh line (fourier.c), which
     * serve only R within the phase tables (|n_3| <= PTAB); otherwise ng3 = 0
     * and the file's order is kept */
    int lo3 = INT_MAX, hi3 = INT_MIN;
    for (int q = 0; q < nr; q++) {
        const int *R = x->iR + 3 * keep[q];
        int n3 = lex_sign(R) < 0 ? -R[2] : R[2];
        if (n3 < lo3) lo3 = n3;
        if (n3 > hi3) hi3 = n3;
    }
    if (nr > 0 && lo3 >= -PTAB && hi3 <= PTAB) {
        f->g3lo = lo3;
        f->ng3 = hi3 - lo3 + 1;
        f->g3off = calloc((size_t)f->ng3 + 1, sizeof(int));
        int *sorted = malloc((size_t)nr * sizeof(int));
        if (!f->g3off || !sorted) {
            free(sorted);
            goto nomem;
        }
        for (int q = 0; q < nr; q++) {
            const int *R = x->iR + 3 * keep[q];
            f->g3off[(lex_sign(R) < 0 ? -R[2] : R[2]) - lo3 + 1]++;
        }
        for (int g = 0; g < f->ng3; g++) f->g3off[g + 1] += f->g3off[g];
        int *fillp = malloc((size_t)f->ng3 * sizeof(int));
        if (!fillp) {
            free(sorted);
            goto nomem;
        }
        memcpy(fillp, f->g3off, (size_t)f->ng3 * sizeof(int));
        for (int q = 0; q < nr; q++) {
            const int *R = x->iR + 3 * keep[q];
            sorted[fillp[(lex_sign(R) < 0 ? -R[2] : R[2]) - lo3]++] = keep[q];
        }
        memcpy(keep, sorted, (size_t)nr * sizeof(int));
        free(sorted);
        free(fillp);
    }
    f->nr = nr;
    f->iR = malloc(3 * (size_t)(nr ? nr : 1) * sizeof(int));
    f->Rc = malloc(3 * (size_t)(nr ? nr : 1) * sizeof(double));
    if (!f->iR || !f->Rc) goto nomem;
    size_t gsize = (size_t)nchunk * (nr ? nr : 1) * 4 * CW * sizeof(double);
    for (int p = 0; p < nout; p++) {
        f->G[p] = aligned_alloc(64, (gsize + 63) / 64 * 64);
        if (!f->G[p]) goto nomem;
        memset(f->G[p], 0, gsize);
    }
    for (int q = 0; q < nr; q++) {
        int i = keep[q], j = part[i];
        const int *R = x->iR + 3 * i;
        int flip = lex_sign(R) < 0; /* lone negative R: the key is -R, M(key) = 0 */
        for (int a = 0; a < 3; a++) {
            int v = flip ? -R[a] : R[a];
            f->iR[3 * q + a] = v;
            if (v < f->lo[a]) f->lo[a] = v;
            if (v > f->hi[a]) f->hi[a] = v;
        }
        for (int a = 0; a < 3; a++)
            f->Rc[3 * q + a] = f->iR[3 * q] * avec[0][a] + f->iR[3 * q + 1] * avec[1][a] +
                               f->iR[3 * q + 2] * avec[2][a];
        double wt = lex_sign(R) == 0 ? 0.5 : 1;
        for (int po = 0; po < nout; po++) {
            int pin = po % nin, bpart = po >= nin;
            /* A = M(key), B = M(-key) */
            const double complex *Mi = x->M + ((size_t)i * nin + pin) * nel;
            const double complex *Mj = j >= 0 ? x->M + ((size_t)j * nin + pin) * nel : NULL;
            const double complex *A = flip ? NULL : Mi, *B = flip ? Mi : Mj;
            for (int m = 0; m < nw; m++)
                for (int n = 0; n < nw; n++) {
                    double complex a = A ? A[m * nw + n] : 0, bd = B ? conj(B[n * nw + m]) : 0;
                    Gm[m * nw + n] = wt * (bpart ? 0.5 * I * (a - bd) : 0.5 * (a + bd));
                }
            double *G = f->G[po];
            for (int p = 0; p < w->npair; p++) {
                int m = w->pm[p], n = w->pn[p];
                double complex S = Gm[m * nw + n] + Gm[n * nw + m], D = Gm[m * nw + n] - Gm[n * nw + m];
                size_t at = ((size_t)(p / CW) * nr + q) * 4 * CW + p % CW;
                G[at] = creal(S);
                G[at + CW] = cimag(S);
                G[at + 2 * CW] = creal(D);
                G[at + 3 * CW] = cimag(D);
            }
        }
    }
    free(keep);
    free(part);
    free(Gm);
    return QKT_OK;
nomem:
    free(keep);
    free(part);
    free(Gm);
    fset_free(f);
    return qkt_error(QKT_ENOMEM, "%s: out of memory building the tight-binding tables", path);
}

/* ------------------------------------------------------------------ lattice */
static double lattice_bvec(const double a[3][3], double b[3][3])
{
    double V = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
               a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
               a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
    for (int i = 0; i < 3; i++) {
        const double *u = a[(i + 1) % 3], *v = a[(i + 2) % 3];
        b[i][0] = 2 * M_PI * (u[1] * v[2] - u[2] * v[1]) / V;
        b[i][1] = 2 * M_PI * (u[2] * v[0] - u[0] * v[2]) / V;
        b[i][2] = 2 * M_PI * (u[0] * v[1] - u[1] * v[0]) / V;
    }
    return V;
}

/* ------------------------------------------------------------------ load */
/* The lattice: the file's vectors (_tb.dat; checked against given ones) or
 * the given ones (_hr.dat), finite and independent; bvec the reciprocal
 * vectors and *V the cell volume. */
static qkt_status_t load_lattice(const qkt_wannier_opts_t *o, const raw_t *raw, double avec[3][3],
                                 double bvec[3][3], double *V)
{
    if (raw->have_avec) {
        memcpy(avec, raw->avec, sizeof raw->avec);
        if (o->have_avec)
            for (int i = 0; i < 3; i++)
                for (int a = 0; a < 3; a++)
                    if (fabs(o->avec[i][a] - avec[i][a]) > AVEC_MATCH_TOL * (1 + fabs(avec[i][a])))
                        return qkt_error(QKT_EINVAL,
                                         "%s: lattice vector a%d = (%.10g %.10g %.10g) given, but the "
                                         "file has (%.10g %.10g %.10g)",
                                         o->path, i + 1, o->avec[i][0], o->avec[i][1], o->avec[i][2],
                                         avec[i][0], avec[i][1], avec[i][2]);
    } else if (o->have_avec) {
        memcpy(avec, o->avec, sizeof o->avec);
    } else {
        return qkt_error(QKT_EINVAL,
                         "%s: a _hr.dat file has no lattice vectors: give them in Angstrom "
                         "(model.avec1, model.avec2, model.avec3; opts avec with have_avec = 1), or "
                         "read seedname_tb.dat instead",
                         o->path);
    }
    for (int i = 0; i < 3; i++)
        for (int a = 0; a < 3; a++)
            if (!isfinite(avec[i][a]))
                return qkt_error(QKT_EINVAL, "%s: lattice vector a%d is not finite", o->path, i + 1);
    *V = lattice_bvec(avec, bvec);
    double la = 0;
    for (int i = 0; i < 3; i++) {
        double l = sqrt(avec[i][0] * avec[i][0] + avec[i][1] * avec[i][1] + avec[i][2] * avec[i][2]);
        if (l > la) la = l;
    }
    if (!(fabs(*V) > VOL_MIN_REL * la * la * la))
        return qkt_error(QKT_EINVAL, "%s: lattice vectors are linearly dependent (cell volume %g)", o->path,
                         *V);
    return QKT_OK;
}

/* The model data *out (set also on failure, for wan_free): the pairs
 * m <= n of the upper triangle, the kernels for this CPU, the file's totals. */
static qkt_status_t wan_new(const raw_t *raw, const double avec[3][3], wan_t **out)
{
    wan_t *w = calloc(1, sizeof *w);
    *out = w;
    if (!w) return qkt_error(QKT_ENOMEM, "out of memory");
    w->nw = raw->nw;
    w->nel = raw->nel;
    w->npair = raw->nw * (raw->nw + 1) / 2;
    w->cw = qkt_wan_pick_kernels(w->kern, w->kernd, &w->comb);
    w->nchunk = (w->npair + w->cw - 1) / w->cw;
    w->pm = malloc(sizeof(int) * w->npair);
    w->pn = malloc(sizeof(int) * w->npair);
    w->pe = malloc(sizeof(int) * w->npair);
    if (!w->pm || !w->pn || !w->pe) return qkt_error(QKT_ENOMEM, "out of memory");
    for (int m = 0, p = 0; m < raw->nw; m++)
        for (int n = m; n < raw->nw; n++, p++) {
            w->pm[p] = m;
            w->pn[p] = n;
            w->pe[p] = m * raw->nw + n;
        }
    w->nrpts = raw->nrpts;
    w->use_ws = raw->ws_cnt != NULL;
    memcpy(w->avec, avec, sizeof w->avec);
    for (int i = 0; i < raw->nrpts; i++) w->sum_inv_degen += 1.0 / raw->ndeg[i];
    return QKT_OK;
}

/* The half-set tables of H and of the position matrix: the file's R
 * expanded by the wsvec shifts, then folded to R >= 0. */
static qkt_status_t load_tables(const qkt_wannier_opts_t *o, const raw_t *raw, wan_t *w,
                                const double avec[3][3])
{
    xset_t xs;
    memset(&xs, 0, sizeof xs);
    double dev = 0;
    qkt_status_t s = expand(o, raw, raw->h, 1, &xs);
    if (s) goto done;
    s = build_fset(&xs, w, 1, 0, avec, &w->H, &dev, o->path);
    if (s) goto done;
    if (w->use_ws && dev > o->herm_tol) {
        s = qkt_error(QKT_EFORMAT,
                      "%s: with the lattice shifts of this file H(R) is not Hermitian (deviation %.3g "
                      "eV > herm_tol = %.3g eV): shifts of (R, m, n) and (-R, n, m) must be opposite "
                      "(wsvec file of another model?)",
                      o->wsvec_path, dev, o->herm_tol);
        goto done;
    }
    xset_free(&xs);
    if (raw->pos) {
        s = expand(o, raw, raw->pos, 3, &xs);
        if (s) goto done;
        s = build_fset(&xs, w, 3, o->hermitize_position ? 0 : 1, avec, &w->A, &dev, o->path);
    }
done:
    xset_free(&xs);
    return s;
}

/* The model's fields around its data m->priv. */
static void fill_model(qkt_model_t *m, const qkt_wannier_opts_t *o, int nw, const double avec[3][3],
                       const double bvec[3][3], double V)
{
    m->nb = nw;
    m->dim = 3;
    m->periodic = 1;
    m->units = QKT_UNITS_EV_ANGSTROM;
    memcpy(m->avec, avec, sizeof m->avec);
    memcpy(m->bvec, bvec, sizeof m->bvec);
    m->cell_volume = fabs(V);
    double bmax = 0;
    for (int i = 0; i < 3; i++) {
        double l = sqrt(bvec[i][0] * bvec[i][0] + bvec[i][1] * bvec[i][1] + bvec[i][2] * bvec[i][2]);
        if (l > bmax) bmax = l;
    }
    m->kcut = KCUT_FRAC * bmax;
    m->hk = qkt_wan_hk;
    m->awk = ((const wan_t *)m->priv)->A.nr > 0 ? qkt_wan_awk : NULL;
    m->ws_alloc = qkt_wan_ws_alloc;
    m->ws_free = qkt_wan_ws_free;
    m->hk_ws = qkt_wan_hk_ws;
    m->awk_ws = m->awk ? qkt_wan_awk_ws : NULL;
    m->nblock = 1;
    m->block_off[0] = 0;
    m->block_off[1] = m->nb;
    snprintf(m->source, sizeof m->source, "%s", o->path);
    m->spin_degeneracy = o->spin_degeneracy;
    m->degen_tol = WANNIER_DEGEN_TOL;
}

/* The model of the tight-binding data raw (read from o->path or given as
 * arrays): its lattice, its R vectors and shifts, the tables of the Fourier
 * sums.  raw is freed. */
static qkt_status_t build_model(const qkt_wannier_opts_t *o, raw_t *raw, qkt_model_t **out)
{
    rindex_t box = {0, NULL};
    wan_t *w = NULL;
    qkt_model_t *m = NULL;
    double avec[3][3], bvec[3][3], V = 0;
    qkt_status_t s = load_lattice(o, raw, avec, bvec, &V);
    if (s) goto fail;
    s = check_file_R(o, raw, &box);
    if (s) goto fail;
    if (o->wsvec_path && o->wsvec_path[0]) {
        s = read_wsvec(o, raw, &box);
        if (s) goto fail;
    }

    /* the tables of the Fourier sums */
    s = wan_new(raw, avec, &w);
    if (s) goto fail;
    s = load_tables(o, raw, w, avec);
    if (s) goto fail;

    /* the model */
    m = qkt_model_alloc("wannier");
    if (!m) {
        s = QKT_ENOMEM;
        goto fail;
    }
    static unsigned long next_id;
    w->id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
    m->priv = w;
    m->destroy = destroy;
    w = NULL;
    fill_model(m, o, raw->nw, avec, bvec, V);
    raw_free(raw);
    rindex_free(&box);
    *out = m;
    return QKT_OK;
fail:
    raw_free(raw);
    rindex_free(&box);
    wan_free(w);
    qkt_model_free(m);
    return s;
}

static qkt_status_t check_opts(const qkt_wannier_opts_t *o)
{
    if (o->spin_degeneracy != 1 && o->spin_degeneracy != 2)
        return qkt_error(QKT_EINVAL, "wannier: spin_degeneracy must be 1 or 2, got %g", o->spin_degeneracy);
    if (!(o->herm_tol >= 0))
        return qkt_error(QKT_EINVAL, "wannier: herm_tol must be >= 0, got %g", o->herm_tol);
    return QKT_OK;
}

qkt_status_t qkt_wannier_load(const qkt_wannier_opts_t *o, qkt_model_t **out)
{
    raw_t raw;
    memset(&raw, 0, sizeof raw);
    if (!out) return qkt_error(QKT_EINVAL, "qkt_wannier_load: out is NULL");
    *out = NULL;
    if (!o || !o->path || !o->path[0])
        return qkt_error(QKT_EINVAL, "wannier: no tight-binding file given (model.file)");
    qkt_status_t s = check_opts(o);
    if (s) return s;
    s = read_model_file(o, &raw);
    if (s) {
        raw_free(&raw);
        return s;
    }
    return build_model(o, &raw, out);
}

size_t qkt_wannier_opts_sizeof(void)
{
    return sizeof(qkt_wannier_opts_t);
}

qkt_status_t qkt_wannier_from_arrays(int nw, int nR, const int *iR, const int *ndegen,
                                     const double complex *H, const double complex *pos,
                                     const double avec[3][3], const qkt_wannier_opts_t *opts,
                                     const char *label, qkt_model_t **out)
{
    qkt_wannier_opts_t o;
    raw_t raw;
    memset(&raw, 0, sizeof raw);
    if (!out) return qkt_error(QKT_EINVAL, "qkt_wannier_from_arrays: out is NULL");
    *out = NULL;
    if (opts)
        o = *opts;
    else
        qkt_wannier_opts_default(&o);
    o.path = label && label[0] ? label : "model arrays";
    o.wsvec_path = NULL;
    o.have_avec = 0;
    qkt_status_t s = check_opts(&o);
    if (s) return s;
    if (nw < 1 || nw > 40000)
        return qkt_error(QKT_EINVAL, "%s: number of orbitals %d outside 1..40000", o.path, nw);
    if (nR < 1 || nR > 100000000)
        return qkt_error(QKT_EINVAL, "%s: number of R vectors %d outside 1..1e8", o.path, nR);
    if (!iR || !H || !avec) return qkt_error(QKT_EINVAL, "%s: R, H(R) or the lattice vectors missing", o.path);
    s = check_size(NULL, &o, nw, nR, pos && o.use_position);
    if (s) return s;
    raw.nw = nw;
    raw.nrpts = nR;
    raw.nel = nw * nw;
    size_t nel = raw.nel, n = (size_t)nR * nel;
    raw.ndeg = malloc(sizeof(int) * nR);
    raw.iR = malloc(3 * sizeof(int) * nR);
    raw.h = malloc(n * sizeof(double complex));
    raw.hline = malloc(n * sizeof(int));
    if (pos && o.use_position) raw.pos = malloc(3 * n * sizeof(double complex));
    if (!raw.ndeg || !raw.iR || !raw.h || !raw.hline || (pos && o.use_position && !raw.pos)) {
        raw_free(&raw);
        return qkt_error(QKT_ENOMEM, "%s: out of memory (num_wann = %d, nrpts = %d)", o.path, nw, nR);
    }
    for (int r = 0; r < nR; r++) {
        int d = ndegen ? ndegen[r] : 1;
        if (d < 1) {
            raw_free(&raw);
            return qkt_error(QKT_EINVAL, "%s: ndegen[%d] = %d, must be >= 1", o.path, r, d);
        }
        raw.ndeg[r] = d;
        for (size_t e = 0; e < nel; e++) raw.hline[r * nel + e] = r + 1;
    }
    memcpy(raw.iR, iR, 3 * sizeof(int) * nR);
    memcpy(raw.avec, avec, sizeof raw.avec);
    raw.have_avec = 1;
    for (size_t e = 0; e < n; e++) {
        if (!isfinite(creal(H[e])) || !isfinite(cimag(H[e]))) {
            raw_free(&raw);
            return qkt_error(QKT_EINVAL, "%s: H(R) element %zu (R index %zu) is not finite", o.path, e,
                             e / nel);
        }
        raw.h[e] = H[e];
    }
    if (raw.pos)
        for (size_t e = 0; e < 3 * n; e++) {
            if (!isfinite(creal(pos[e])) || !isfinite(cimag(pos[e]))) {
                raw_free(&raw);
                return qkt_error(QKT_EINVAL, "%s: position element %zu (R index %zu) is not finite",
                                 o.path, e, e / (3 * nel));
            }
            raw.pos[e] = pos[e];
        }
    return build_model(&o, &raw, out);
}

static const wan_t *wan_of(const qkt_model_t *m)
{
    if (!m || m->info != &qkt_model_wannier || m->hk != qkt_wan_hk) return NULL;
    return m->priv;
}

int qkt_wannier_nrpts(const qkt_model_t *m)
{
    const wan_t *w = wan_of(m);
    return w ? w->nrpts : 0;
}

double qkt_wannier_sum_inv_degen(const qkt_model_t *m)
{
    const wan_t *w = wan_of(m);
    return w ? w->sum_inv_degen : 0;
}

/* ------------------------------------------------------------------ export */
typedef struct {
    int nw, nel, n;
    int *iR, *ndeg;        /* 3 n, n */
    double complex *H;     /* n x nel, file values (not divided by ndegen) */
    double complex *P;     /* n x 3 x nel or NULL (zero position matrix) */
} tbout_t;

static void tbout_free(tbout_t *t)
{
    free(t->iR);
    free(t->ndeg);
    free(t->H);
    free(t->P);
    memset(t, 0, sizeof *t);
}

static qkt_status_t tbout_alloc(tbout_t *t, int nw, int n, int pos)
{
    t->nw = nw;
    t->nel = nw * nw;
    t->n = n;
    t->iR = calloc(3 * (size_t)n, sizeof(int));
    t->ndeg = calloc(n, sizeof(int));
    t->H = calloc((size_t)n * t->nel, sizeof(double complex));
    if (pos) t->P = calloc((size_t)n * 3 * t->nel, sizeof(double complex));
    if (!t->iR || !t->ndeg || !t->H || (pos && !t->P)) {
        tbout_free(t);
        return qkt_error(QKT_ENOMEM, "out of memory writing a tight-binding file (%d R vectors)", n);
    }
    return QKT_OK;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static qkt_status_t write_file(const char *path, int tb, const double avec[3][3], const char *source,
                               const tbout_t *t)
{
    /* through the library's output file: a temporary file of its own, renamed
     * over path when complete (qkt_outfile_open); zlib writes a duplicate of
     * its descriptor, so that the commit still syncs the file */
    qkt_outfile_t out;
    qkt_status_t os = qkt_outfile_open(&out, path);
    if (os) return os;
    int zfd = dup(out.fd);
    gzFile f = zfd >= 0 ? gzdopen(zfd, ends_with(path, ".gz") ? "wb6" : "wT") : NULL;
    if (!f) {
        if (zfd >= 0) close(zfd);
        qkt_status_t s = qkt_error(QKT_EIO, "%s: cannot write: %s", path, errno ? strerror(errno) : "error");
        qkt_outfile_abort(&out);
        return s;
    }
    gzbuffer(f, 1 << 17);
    int ok = 1, nw = t->nw, nel = t->nel;
    ok &= gzprintf(f, " written by qkt %s (qkt_wannier_write) from %.200s\n", QKT_VERSION_STRING,
                   source) > 0;
    if (tb)
        for (int i = 0; i < 3; i++)
            ok &= gzprintf(f, "%25.16e %25.16e %25.16e\n", avec[i][0], avec[i][1], avec[i][2]) > 0;
    ok &= gzprintf(f, "%12d\n%12d\n", nw, t->n) > 0;
    for (int i = 0; i < t->n; i++)
        ok &= gzprintf(f, "%5d%s", t->ndeg[i], (i % 15 == 14 || i == t->n - 1) ? "\n" : "") > 0;
    for (int r = 0; r < t->n && ok; r++) {
        const int *R = t->iR + 3 * r;
        const double complex *H = t->H + (size_t)r * nel;
        if (tb) ok &= gzprintf(f, "\n%5d%5d%5d\n", R[0], R[1], R[2]) > 0;
        for (int n = 0; n < nw; n++)
            for (int m = 0; m < nw; m++) {
                double complex v = H[m * nw + n];
                if (tb)
                    ok &= gzprintf(f, "%5d%5d %23.15e %23.15e\n", m + 1, n + 1, creal(v), cimag(v)) > 0;
                else
                    ok &= gzprintf(f, "%5d%5d%5d%5d%5d %23.15e %23.15e\n", R[0], R[1], R[2], m + 1,
                                   n + 1, creal(v), cimag(v)) > 0;
            }
    }
    if (tb)
        for (int r = 0; r < t->n && ok; r++) {
            const int *R = t->iR + 3 * r;
            ok &= gzprintf(f, "\n%5d%5d%5d\n", R[0], R[1], R[2]) > 0;
            for (int n = 0; n < nw; n++)
                for (int m = 0; m < nw; m++) {
                    double complex x = 0, y = 0, z = 0;
                    if (t->P) {
                        const double complex *P = t->P + (size_t)r * 3 * nel + m * nw + n;
                        x = P[0];
                        y = P[nel];
                        z = P[2 * nel];
                    }
                    ok &= gzprintf(f, "%5d%5d %23.15e %23.15e %23.15e %23.15e %23.15e %23.15e\n", m + 1,
                                   n + 1, creal(x), cimag(x), creal(y), cimag(y), creal(z), cimag(z)) > 0;
                }
        }
    if (gzclose(f) != Z_OK) ok = 0;
    if (!ok) {
        qkt_outfile_abort(&out);
        return qkt_error(QKT_EIO, "%s: write failed", path);
    }
    return qkt_outfile_commit(&out);
}

/* Add mult * G(R) to Dp (the matrix at R) and mult * G(R)^dagger to Dn (at
 * -R) for R vector q of a plane; Dp == Dn for R = 0. */
static void hset_add(const wan_t *w, const fset_t *f, int plane, int q, double complex mult,
                     double complex *Dp, double complex *Dn)
{
    int nw = w->nw, CW = w->cw;
    const double *G = f->G[plane];
    for (int p = 0; p < w->npair; p++) {
        size_t at = ((size_t)(p / CW) * f->nr + q) * 4 * CW + p % CW;
        double complex S = G[at] + I * G[at + CW], D = G[at + 2 * CW] + I * G[at + 3 * CW];
        int m = w->pm[p], n = w->pn[p];
        double complex gmn = 0.5 * (S + D), gnm = 0.5 * (S - D);
        Dp[m * nw + n] += mult * gmn;
        Dn[n * nw + m] += mult * conj(gmn);
        if (m != n) {
            Dp[n * nw + m] += mult * gnm;
            Dn[m * nw + n] += mult * conj(gnm);
        }
    }
}

/* Exact export of a loaded Wannier model: every stored R and -R with
 * ndegen = 1. */
static qkt_status_t export_wannier(const wan_t *w, tbout_t *t, const char *path)
{
    const fset_t *sets[2] = {&w->H, &w->A};
    int cnt = 2 * (w->H.nr + w->A.nr);
    int *all = malloc(3 * (size_t)(cnt ? cnt : 1) * sizeof(int));
    rindex_t box = {0, NULL};
    int n = 0, nu = 0;
    int *first = malloc((size_t)(cnt ? cnt : 1) * sizeof(int));
    qkt_status_t s = QKT_OK;
    if (!all || !first) {
        free(all);
        free(first);
        return qkt_error(QKT_ENOMEM, "out of memory");
    }
    for (int i = 0; i < 2; i++)
        for (int q = 0; q < sets[i]->nr; q++)
            for (int sg = 1; sg >= -1; sg -= 2) {
                for (int a = 0; a < 3; a++) all[3 * n + a] = sg * sets[i]->iR[3 * q + a];
                n++;
            }
    if (rindex_build(&box, all, n, &nu, NULL, first) != 0) {
        s = qkt_error(QKT_ENOMEM, "%s: out of memory (R lookup)", path);
        goto done;
    }
    s = tbout_alloc(t, w->nw, nu, w->A.nr > 0);
    if (s) goto done;
    for (int u = 0; u < nu; u++) memcpy(t->iR + 3 * u, all + 3 * (size_t)first[u], 3 * sizeof(int));
    size_t nel = w->nel;
    for (int i = 0; i < nu; i++) t->ndeg[i] = 1;
    for (int i = 0; i < 2; i++) {
        const fset_t *f = sets[i];
        for (int q = 0; q < f->nr; q++) {
            const int *R = f->iR + 3 * q;
            int mR[3] = {-R[0], -R[1], -R[2]};
            size_t ip = (size_t)rindex_find(&box, R), im = (size_t)rindex_find(&box, mR);
            for (int p = 0; p < f->nplane; p++) {
                int a = p % 3;
                double complex mult = p >= 3 ? -I : 1;
                double complex *Dp = i == 0 ? t->H + ip * nel : t->P + (ip * 3 + a) * nel;
                double complex *Dn = i == 0 ? t->H + im * nel : t->P + (im * 3 + a) * nel;
                hset_add(w, f, p, q, mult, Dp, Dn);
            }
        }
    }
done:
    free(all);
    free(first);
    rindex_free(&box);
    return s;
}

/* In-place DFT along one axis of a grid of nel-vectors: c[n] = (1/N) sum_j
 * e^{-2 pi i j n / N} x[j]. */
static void dft_axis(double complex *X, const int Ng[3], int axis, int nel, double complex *line,
                     const double complex *tw)
{
    int N = Ng[axis];
    if (N == 1) return;
    int stride = 1;
    for (int a = 2; a > axis; a--) stride *= Ng[a];
    int nouter = 1;
    for (int a = 0; a < axis; a++) nouter *= Ng[a];
    for (int o = 0; o < nouter; o++)
        for (int in = 0; in < stride; in++) {
            size_t base = (size_t)o * N * stride + in;
            memset(line, 0, sizeof(double complex) * (size_t)N * nel);
            for (int j = 0; j < N; j++) {
                const double complex *x = X + (base + (size_t)j * stride) * nel;
                for (int n = 0; n < N; n++) {
                    double complex t = tw[(size_t)(j * n) % N] / N;
                    double complex *y = line + (size_t)n * nel;
                    for (int e = 0; e < nel; e++) y[e] += t * x[e];
                }
            }
            for (int n = 0; n < N; n++)
                memcpy(X + (base + (size_t)n * stride) * nel, line + (size_t)n * nel,
                       sizeof(double complex) * nel);
        }
}

static qkt_status_t sample_nomem(void)
{
    return qkt_error(QKT_ENOMEM, "qkt_wannier_write: out of memory sampling the model");
}

/* Samples of H(k) (and A^W(k)) at the points k = j_i b_i / Ng_i of the grid,
 * stored plane by plane: X[plane][point][nel]. */
static qkt_status_t sample_grid(const qkt_model_t *m, const int Ng[3], size_t npts, double complex *X,
                                double complex *buf, double complex *bufA)
{
    int nel = m->nb * m->nb;
    for (size_t p = 0; p < npts; p++) {
        int j[3] = {(int)(p / ((size_t)Ng[1] * Ng[2])), (int)(p / Ng[2] % Ng[1]), (int)(p % Ng[2])};
        double k[3] = {0, 0, 0};
        for (int i = 0; i < 3; i++)
            for (int a = 0; a < 3; a++) k[a] += (double)j[i] / Ng[i] * m->bvec[i][a];
        qkt_status_t s = qkt_model_hk(m, k, 0, buf);
        if (s) return s;
        memcpy(X + p * nel, buf, sizeof(double complex) * nel);
        if (m->awk) {
            s = m->awk(m, k, 0, bufA);
            if (s) return s;
            for (int a = 0; a < 3; a++)
                memcpy(X + ((1 + a) * npts + p) * nel, bufA + (size_t)a * nel,
                       sizeof(double complex) * nel);
        }
    }
    return QKT_OK;
}

/* Wigner-Seitz images: for every grid point j, the vectors R = j + l Ng
 * (|l_a| <= WS_REACH) of the shortest length, ties within WS_TIE_TOL; rows
 * (R1 R2 R3 grid-point) of *out, *nout of them. */
static qkt_status_t ws_images(const qkt_model_t *m, const int Ng[3], size_t npts, int **out,
                              size_t *nout)
{
    int L[3] = {Ng[0] > 1 ? WS_REACH : 0, Ng[1] > 1 ? WS_REACH : 0, Ng[2] > 1 ? WS_REACH : 0};
    size_t cap = npts * WS_CAP_PER_POINT, nR = 0;
    int *iR = malloc(sizeof(int) * 4 * cap); /* R1 R2 R3 grid-point */
    if (!iR) return sample_nomem();
    for (size_t p = 0; p < npts; p++) {
        int j[3] = {(int)(p / ((size_t)Ng[1] * Ng[2])), (int)(p / Ng[2] % Ng[1]), (int)(p % Ng[2])};
        double best = INFINITY, len[WS_NCAND];
        int cand[WS_NCAND][3], nc = 0;
        for (int l0 = -L[0]; l0 <= L[0]; l0++)
            for (int l1 = -L[1]; l1 <= L[1]; l1++)
                for (int l2 = -L[2]; l2 <= L[2]; l2++) {
                    int R[3] = {j[0] + l0 * Ng[0], j[1] + l1 * Ng[1], j[2] + l2 * Ng[2]};
                    double r2 = 0;
                    for (int a = 0; a < 3; a++) {
                        double c = R[0] * m->avec[0][a] + R[1] * m->avec[1][a] + R[2] * m->avec[2][a];
                        r2 += c * c;
                    }
                    len[nc] = sqrt(r2);
                    memcpy(cand[nc], R, sizeof R);
                    if (len[nc] < best) best = len[nc];
                    nc++;
                }
        for (int c = 0; c < nc; c++)
            if (len[c] <= best + WS_TIE_TOL * (1 + best)) {
                if (nR == cap) {
                    cap *= 2;
                    int *tmp = realloc(iR, sizeof(int) * 4 * cap);
                    if (!tmp) {
                        free(iR);
                        return sample_nomem();
                    }
                    iR = tmp;
                }
                memcpy(iR + 4 * nR, cand[c], 3 * sizeof(int));
                iR[4 * nR + 3] = (int)p;
                nR++;
            }
    }
    *out = iR;
    *nout = nR;
    return QKT_OK;
}

/* The tight-binding data t from the transformed samples X: each image R of
 * grid point p carries the coefficients of p, ndegen = the number of images
 * of p; H entries below SAMPLE_ZERO of the largest |H| are set to 0. */
static qkt_status_t fill_images(tbout_t *t, int nw, const double complex *X, size_t npts,
                                const int *iR, size_t nR, int pos)
{
    int nel = nw * nw;
    tbout_free(t);
    qkt_status_t s = tbout_alloc(t, nw, (int)nR, pos);
    if (s) return s;
    double scale = 0;
    for (size_t e = 0; e < npts * nel; e++)
        if (cabs(X[e]) > scale) scale = cabs(X[e]);
    int *deg = calloc(npts, sizeof(int));
    if (!deg) return sample_nomem();
    for (size_t r = 0; r < nR; r++) deg[iR[4 * r + 3]]++;
    for (size_t r = 0; r < nR; r++) {
        size_t p = iR[4 * r + 3];
        memcpy(t->iR + 3 * r, iR + 4 * r, 3 * sizeof(int));
        t->ndeg[r] = deg[p];
        for (int e = 0; e < nel; e++) {
            double complex v = X[p * nel + e];
            t->H[r * nel + e] = cabs(v) < SAMPLE_ZERO * scale ? 0 : v;
            if (t->P)
                for (int a = 0; a < 3; a++) t->P[(r * 3 + a) * nel + e] = X[((1 + a) * npts + p) * nel + e];
        }
    }
    free(deg);
    return QKT_OK;
}

/* The largest deviation *dev_out of t's interpolation from the model (H and
 * its npl - 1 position planes) at SAMPLE_NTEST pseudo-random off-grid
 * points, and the largest |H|, |A| there (*ref_out). */
static qkt_status_t verify_offgrid(const qkt_model_t *m, const tbout_t *t, int npl, double complex *buf,
                                   double complex *bufA, double *dev_out, double *ref_out)
{
    int nel = m->nb * m->nb;
    qkt_status_t s = QKT_OK;
    double dev = 0, ref = 0;
    double complex *ph = malloc(sizeof(double complex) * (t->n ? t->n : 1));
    if (!ph) return sample_nomem();
    uint64_t seed = LCG_SEED;
    for (int tpt = 0; tpt < SAMPLE_NTEST; tpt++) {
        double u[3], k[3] = {0, 0, 0};
        for (int a = 0; a < 3; a++) {
            seed = seed * LCG_MUL + LCG_INC;
            u[a] = (a < m->dim) ? (double)(seed >> 11) / TWO_POW_53 : 0;
        }
        for (int i = 0; i < 3; i++)
            for (int a = 0; a < 3; a++) k[a] += u[i] * m->bvec[i][a];
        s = qkt_model_hk(m, k, 0, buf);
        if (!s && m->awk) s = m->awk(m, k, 0, bufA);
        if (s) break;
        for (int r = 0; r < t->n; r++) {
            const int *R = t->iR + 3 * r;
            ph[r] = cexp(2 * M_PI * I * (u[0] * R[0] + u[1] * R[1] + u[2] * R[2])) / t->ndeg[r];
        }
        for (int pl = 0; pl < npl; pl++) {
            const double complex *want = pl == 0 ? buf : bufA + (size_t)(pl - 1) * nel;
            for (int e = 0; e < nel; e++) {
                double complex sum = 0;
                for (int r = 0; r < t->n; r++)
                    sum += ph[r] * (pl == 0 ? t->H[(size_t)r * nel + e]
                                            : t->P[((size_t)r * 3 + pl - 1) * nel + e]);
                double d = cabs(sum - want[e]);
                if (d > dev) dev = d;
                if (cabs(want[e]) > ref) ref = cabs(want[e]);
            }
        }
    }
    free(ph);
    *dev_out = dev;
    *ref_out = ref;
    return s;
}

/* Sample H(k) (and A^W(k)) on an N^3 grid, Fourier transform, and spread
 * each coefficient over the Wigner-Seitz images of its R in the N-supercell
 * (ndegen = number of images at the same shortest distance).  Accepted when
 * the interpolation reproduces the model at off-grid test points. */
static qkt_status_t sample_model(const qkt_model_t *m, tbout_t *t, int *Nused)
{
    /* the meshes tried, smallest first: the first that reproduces the model wins */
    static const int Ns[] = {3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32};
    int nw = m->nb, nel = nw * nw, npl = m->awk ? 4 : 1;
    qkt_status_t s = QKT_OK;
    double complex *X = NULL, *line = NULL, *tw = NULL, *buf = NULL, *bufA = NULL;
    buf = malloc(sizeof(double complex) * HK_NMAT_MAX * nel);
    bufA = malloc(sizeof(double complex) * AWK_NMAT_MAX * nel);
    if (!buf || !bufA) goto nomem;
    double lastdev = 0;
    int lastN = 0;
    for (size_t iN = 0; iN < sizeof Ns / sizeof Ns[0]; iN++) {
        int N = Ns[iN];
        int Ng[3] = {N, m->dim >= 2 ? N : 1, m->dim >= 3 ? N : 1};
        size_t npts = (size_t)Ng[0] * Ng[1] * Ng[2];
        if ((double)npts * nel * npl * 16.0 > SAMPLE_MAX_BYTES) break;
        free(X);
        free(line);
        free(tw);
        X = malloc(sizeof(double complex) * npts * nel * npl);
        line = malloc(sizeof(double complex) * (size_t)N * nel);
        tw = malloc(sizeof(double complex) * N);
        if (!X || !line || !tw) goto nomem;
        for (int j = 0; j < N; j++) tw[j] = cexp(-2 * M_PI * I * j / N);
        /* samples, stored plane by plane: [plane][point][nel] */
        s = sample_grid(m, Ng, npts, X, buf, bufA);
        if (s) goto fail;
        for (int pl = 0; pl < npl; pl++)
            for (int a = 0; a < 3; a++) dft_axis(X + pl * npts * nel, Ng, a, nel, line, tw);
        /* Wigner-Seitz images */
        int *iR;
        size_t nR;
        s = ws_images(m, Ng, npts, &iR, &nR);
        if (s) goto fail;
        s = fill_images(t, nw, X, npts, iR, nR, m->awk != NULL);
        free(iR);
        if (s) goto fail;
        /* H(-R) = H(R)^dagger holds to rounding (the image set is inversion
         * symmetric; the loader symmetrizes).  Verify at off-grid points. */
        double dev = 0, ref = 0;
        s = verify_offgrid(m, t, npl, buf, bufA, &dev, &ref);
        if (s) goto fail;
        lastdev = dev;
        lastN = N;
        if (dev <= SAMPLE_TOL * (1 + ref)) {
            *Nused = N;
            goto done;
        }
    }
    s = qkt_error(QKT_ENOCONV,
                  "qkt_wannier_write: model %s is not reproduced by a tight-binding model on an "
                  "N^3 grid up to N = %d (max deviation %.3g at off-grid k): not a short-range "
                  "lattice model?",
                  m->info->name, lastN, lastdev);
    goto fail;
nomem:
    s = sample_nomem();
fail:
    tbout_free(t);
done:
    free(X);
    free(line);
    free(tw);
    free(buf);
    free(bufA);
    return s;
}

qkt_status_t qkt_wannier_write(const qkt_model_t *m, const char *path, int tb)
{
    if (!m || !m->hk || !path || !path[0])
        return qkt_error(QKT_EINVAL, "qkt_wannier_write: model (set up) and path required");
    if (!m->periodic)
        return qkt_error(QKT_EINVAL,
                         "qkt_wannier_write: model %s is not a lattice model (periodic = 0): no "
                         "tight-binding form",
                         m->info->name);
    if (m->dim < 1 || m->dim > 3) return qkt_error(QKT_EINVAL, "qkt_wannier_write: dim = %d", m->dim);
    double b[3][3];
    double V = lattice_bvec(m->avec, b);
    if (!(fabs(V) > 0) || !isfinite(V))
        return qkt_error(QKT_EINVAL,
                         "qkt_wannier_write: model %s has no valid lattice vectors avec (all three "
                         "are needed, also for dim < 3)",
                         m->info->name);
    tbout_t t;
    memset(&t, 0, sizeof t);
    qkt_status_t s;
    const wan_t *w = wan_of(m);
    if (w) {
        s = export_wannier(w, &t, path);
    } else {
        int N = 0;
        s = sample_model(m, &t, &N);
    }
    if (!s) s = write_file(path, tb, m->avec, m->source, &t);
    tbout_free(&t);
    return s;
}
