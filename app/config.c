/* config.c - run files of the command-line program (app/config.h; underneath,
 * only the library's public qkt.h): "key = value" lines in [section]s (libinih),
 * command line overrides (--set key=value), typed getters with file:line in
 * every error, and the unknown-key check with a "did you mean" suggestion
 * (optimal string alignment distance).  Every key keeps its value and origin. */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config.h"

typedef struct {
    char *key, *value, *origin;
} entry_t;

struct qkt_config {
    entry_t *e;           /* in order of first assignment */
    int n, cap;
    int *slot;            /* open-addressing index into e: entry + 1, 0 = empty */
    size_t nslot;         /* a power of two, at least 2n: lookups stay O(1) */
    qkt_config_bounds_t bounds;
};

/* Bytes used to smuggle text past inih: a ';' inside a value (inih would take
 * " ;..." for an inline comment) and the value of an over-long line. */
#define SEMI_MARK '\x1e'
#define LONG_MARK "\x1f"

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

qkt_config_t *qkt_config_alloc(void)
{
    qkt_config_t *c = calloc(1, sizeof *c);
    if (!c) {
        qkt_error(QKT_ENOMEM, "out of memory allocating a run-file table");
        return NULL;
    }
    c->bounds = (qkt_config_bounds_t){QKT_CONFIG_MAX_BYTES, QKT_CONFIG_MAX_LINE, QKT_CONFIG_MAX_KEYS,
                                      QKT_CONFIG_MAX_SECTIONS};
    return c;
}

void qkt_config_set_bounds(qkt_config_t *c, const qkt_config_bounds_t *b)
{
    if (c && b) c->bounds = *b;
}

static void entries_free(qkt_config_t *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->e[i].key);
        free(c->e[i].value);
        free(c->e[i].origin);
    }
    free(c->e);
    free(c->slot);
    c->e = NULL;
    c->slot = NULL;
    c->n = c->cap = 0;
    c->nslot = 0;
}

void qkt_config_free(qkt_config_t *c)
{
    if (!c) return;
    entries_free(c);
    free(c);
}

/* FNV-1a: a run file may hold a million keys, so every lookup is a hash
 * probe, never a scan of the table (which made reading quadratic). */
static size_t hash_key(const char *k)
{
    uint64_t h = 1469598103934665603u;
    for (const unsigned char *p = (const unsigned char *)k; *p; p++) h = (h ^ *p) * 1099511628211u;
    return (size_t)(h ^ (h >> 32));
}

/* The slot holding key, or the empty slot where it would go. */
static size_t probe(const qkt_config_t *c, const char *key)
{
    size_t mask = c->nslot - 1, i = hash_key(key) & mask;
    while (c->slot[i] && strcmp(c->e[c->slot[i] - 1].key, key) != 0) i = (i + 1) & mask;
    return i;
}

static int find(const qkt_config_t *c, const char *key)
{
    if (!c->nslot) return -1;
    int s = c->slot[probe(c, key)];
    return s - 1;
}

/* Keep the index at most half full; rebuilt from the entries when it grows. */
static int index_reserve(qkt_config_t *c, int n)
{
    if ((size_t)n * 2 <= c->nslot) return 0;
    size_t ns = c->nslot ? 2 * c->nslot : 32;
    while ((size_t)n * 2 > ns) ns *= 2;
    int *slot = calloc(ns, sizeof *slot);
    if (!slot) return -1;
    free(c->slot);
    c->slot = slot;
    c->nslot = ns;
    for (int i = 0; i < c->n; i++) c->slot[probe(c, c->e[i].key)] = i + 1;
    return 0;
}

/* Insert or override key, taking ownership of k (NULL: copy key), v and o; a
 * later assignment keeps the first one's position. */
static qkt_status_t put_owned(qkt_config_t *c, const char *key, char *k, char *v, char *o)
{
    if (!v || !o) goto nomem;
    int i = find(c, key);
    if (i >= 0) {
        free(k);
        free(c->e[i].value);
        free(c->e[i].origin);
        c->e[i].value = v;
        c->e[i].origin = o;
        return QKT_OK;
    }
    if (c->n == INT_MAX - 1) goto nomem;
    if (c->n == c->cap) {
        int cap = c->cap ? (c->cap > INT_MAX / 2 ? INT_MAX - 1 : 2 * c->cap) : 16;
        entry_t *e = realloc(c->e, (size_t)cap * sizeof *e);
        if (!e) goto nomem;
        c->e = e;
        c->cap = cap;
    }
    if (index_reserve(c, c->n + 1)) goto nomem;
    if (!k) k = dupstr(key);
    if (!k) goto nomem;
    c->e[c->n].key = k;
    c->e[c->n].value = v;
    c->e[c->n].origin = o;
    c->slot[probe(c, k)] = c->n + 1;
    c->n++;
    return QKT_OK;
nomem:;
    /* the message first: key may be k */
    qkt_status_t st = qkt_error(QKT_ENOMEM, "out of memory storing run-file key '%.200s'", key);
    free(k);
    free(v);
    free(o);
    return st;
}

static qkt_status_t put(qkt_config_t *c, const char *key, const char *value, const char *origin)
{
    return put_owned(c, key, NULL, dupstr(value), dupstr(origin));
}

static int valid_key_char(int ch) { return isalnum(ch) || ch == '_' || ch == '-' || ch == '.'; }

static int valid_key(const char *k)
{
    if (!*k || *k == '.' || k[strlen(k) - 1] == '.') return 0;
    for (const char *p = k; *p; p++)
        if (!valid_key_char((unsigned char)*p) || (p[0] == '.' && p[1] == '.')) return 0;
    return 1;
}

/* ------------------------------------------------------------------ reading */
typedef struct {
    FILE *f;
    const char *path;
    int lineno;
    char *buf;            /* the current physical line */
    size_t cap;
    size_t total;         /* bytes read so far */
    long nsections;
    qkt_config_bounds_t b;
    char *longval;        /* value of an over-long "key = value" line */
    qkt_config_t *dst;    /* entries read so far (merged on success) */
    qkt_status_t st;      /* first error of our own */
    int errline;
    int whole;            /* msg is the whole message (else "LINE: ..." after the path) */
    char msg[1024];
} reader_t;

static int is_blank(int ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f'; }

static void rd_fail(reader_t *r, qkt_status_t st, int line, const char *fmt, const char *arg)
{
    if (r->st) return; /* keep the first */
    r->st = st;
    r->errline = line;
    snprintf(r->msg, sizeof r->msg, fmt, arg);
}

static void trim_right(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && is_blank((unsigned char)s[n - 1])) s[--n] = '\0';
}

static void rd_whole(reader_t *r, qkt_status_t st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void rd_whole(reader_t *r, qkt_status_t st, const char *fmt, ...)
{
    if (r->st) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
    r->st = st;
    r->whole = 1;
}

/* One physical line into r->buf, '\n' kept; its length, or -1 at the end or
 * on an error (r->st set).  Reading is bounded: a NUL byte stops it at once
 * (a binary file or a device such as /dev/zero never ends its first line),
 * and so do a line or a file beyond the bounds, before memory grows. */
static long read_line(reader_t *r)
{
    size_t n = 0;
    int ch = EOF;
    errno = 0;
    while ((ch = getc_unlocked(r->f)) != EOF) {
        if (ch == '\0') {
            char m[64];
            snprintf(m, sizeof m, "%d", r->lineno + 1);
            rd_fail(r, QKT_EFORMAT, r->lineno + 1, "%s: contains a NUL byte (not a text file?)", m);
            return -1;
        }
        if (++r->total > r->b.max_bytes) {
            rd_whole(r, QKT_ENOMEM, "run file '%s' is longer than %zu bytes (the bound of a run file)", r->path,
                     r->b.max_bytes);
            return -1;
        }
        if (ch != '\n' && n >= r->b.max_line) {
            rd_whole(r, QKT_ENOMEM, "%s:%d: line longer than %zu bytes (the bound of a run-file line)", r->path,
                     r->lineno + 1, r->b.max_line);
            return -1;
        }
        if (n + 2 > r->cap) {
            size_t cap = r->cap ? 2 * r->cap : 256;
            char *nb = realloc(r->buf, cap);
            if (!nb) {
                rd_whole(r, QKT_ENOMEM, "%s:%d: out of memory reading a line", r->path, r->lineno + 1);
                return -1;
            }
            r->buf = nb;
            r->cap = cap;
        }
        r->buf[n++] = (char)ch;
        if (ch == '\n') break;
    }
    if (ch == EOF && ferror(r->f)) {
        rd_whole(r, QKT_EIO, "cannot read '%s': %s", r->path, errno ? strerror(errno) : "read error");
        return -1;
    }
    if (n == 0) return -1; /* the end */
    r->buf[n] = '\0';
    r->lineno++;
    return (long)n;
}

/* fgets-style reader given to ini_parse_stream.  It reads whole physical lines
 * and hands inih a cleaned copy: leading blanks removed (so an indented key is
 * never taken for a continuation line), '#' inline comments removed, ';' in
 * values protected, over-long values replaced by a marker. */
static char *reader(char *str, int num, void *stream)
{
    reader_t *r = stream;
    if (r->st) return NULL;
    long len = read_line(r);
    if (len < 0) return NULL;
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%d", r->lineno);
    char *s = r->buf;
    if (r->lineno == 1 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
        (unsigned char)s[2] == 0xBF)
        s += 3; /* UTF-8 byte order mark */
    while (*s == ' ' || *s == '\t') s++;
    if (*s == '\0' || *s == '\n' || *s == '\r' || *s == ';' || *s == '#') {
        /* blank or comment line: an empty line keeps inih's count in step */
        str[0] = '\n';
        str[1] = '\0';
        return str;
    }
    /* inline comment: '#' at the start of a word */
    for (char *p = s + 1; *p; p++)
        if (*p == '#' && is_blank((unsigned char)p[-1])) {
            *p = '\0';
            break;
        }
    trim_right(s);
    int mark = 0;
    if (*s == '[') {
        if (++r->nsections > r->b.max_sections) {
            rd_whole(r, QKT_ENOMEM, "%s:%d: more than %ld sections (the bound of a run file)", r->path, r->lineno,
                     r->b.max_sections);
            return NULL;
        }
        char *close = strchr(s, ']');
        if (!close) {
            rd_fail(r, QKT_EFORMAT, r->lineno, "%s: syntax error: section header without ']'", tmp);
            return NULL;
        }
        if (close[1] != '\0') {
            rd_fail(r, QKT_EFORMAT, r->lineno, "%s: syntax error: text after the section header", tmp);
            return NULL;
        }
        if (close - s - 1 > QKT_CONFIG_MAX_SECTION_NAME) {
            /* libinih would cut the name to its buffer without a word */
            _Static_assert(QKT_CONFIG_MAX_SECTION_NAME == 49, "the message below states the bound");
            rd_fail(r, QKT_EFORMAT, r->lineno, "%s: section name longer than 49 characters", tmp);
            return NULL;
        }
    } else {
        char *eq = strpbrk(s, "=:");
        if (!eq) {
            rd_fail(r, QKT_EFORMAT, r->lineno,
                    "%s: syntax error: expected 'key = value' or '[section]'", tmp);
            return NULL;
        }
        for (char *p = eq + 1; *p; p++)
            if (*p == ';') *p = SEMI_MARK;
        if (strlen(s) + 2 > (size_t)num) {
            /* too long for inih's line buffer: pass "key =<marker>" and keep
             * the value aside for the handler */
            char *v = eq + 1;
            while (is_blank((unsigned char)*v)) v++;
            free(r->longval);
            r->longval = dupstr(v);
            if (!r->longval) {
                rd_fail(r, QKT_ENOMEM, r->lineno, "%s: out of memory", tmp);
                return NULL;
            }
            eq[1] = '\0';
            mark = 1;
        }
    }
    size_t n = strlen(s), nm = mark ? strlen(LONG_MARK) : 0;
    if (n + nm + 2 > (size_t)num) {
        rd_fail(r, QKT_EFORMAT, r->lineno, mark ? "%s: key name too long" : "%s: line too long", tmp);
        return NULL;
    }
    memcpy(str, s, n);
    memcpy(str + n, LONG_MARK, nm);
    str[n + nm] = '\n';
    str[n + nm + 1] = '\0';
    return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    reader_t *r = user;
    if (r->st) return 0;
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%d", r->lineno);
    /* section without surrounding blanks */
    while (is_blank((unsigned char)*section)) section++;
    size_t sl = strlen(section);
    while (sl > 0 && is_blank((unsigned char)section[sl - 1])) sl--;
    const char *val = value;
    if (strcmp(value, LONG_MARK) == 0 && r->longval) val = r->longval;
    size_t kl = sl + 1 + strlen(name) + 1;
    char *key = malloc(kl), *v = dupstr(val);
    if (!key || !v) {
        free(key);
        free(v);
        rd_fail(r, QKT_ENOMEM, r->lineno, "%s: out of memory", tmp);
        return 0;
    }
    if (sl)
        snprintf(key, kl, "%.*s.%s", (int)sl, section, name);
    else
        snprintf(key, kl, "%s", name);
    for (char *p = v; *p; p++)
        if (*p == SEMI_MARK) *p = ';';
    trim_right(v);
    if (*name == '\0') {
        rd_fail(r, QKT_EFORMAT, r->lineno, "%s: syntax error: missing key name before '='", tmp);
    } else if (!valid_key(key)) {
        char m[700];
        snprintf(m, sizeof m, "%.20s: invalid key '%.500s' (letters, digits, '_', '-' and '.' only)", tmp, key);
        rd_fail(r, QKT_EFORMAT, r->lineno, "%s", m);
    } else if (r->dst->n >= r->b.max_keys && find(r->dst, key) < 0) {
        rd_whole(r, QKT_ENOMEM, "%s:%d: more than %ld distinct keys (the bound of a run file)", r->path, r->lineno,
                 r->b.max_keys);
    } else {
        char origin[1200];
        snprintf(origin, sizeof origin, "%s:%d", r->path, r->lineno);
        qkt_status_t ps = put_owned(r->dst, key, key, v, dupstr(origin));
        key = v = NULL; /* owned by the table now, or freed */
        if (ps) rd_fail(r, QKT_ENOMEM, r->lineno, "%s: out of memory", tmp);
    }
    free(key);
    free(v);
    free(r->longval);
    r->longval = NULL;
    return r->st ? 0 : 1;
}

/* Open a run file for reading without ever blocking: a regular file, or a
 * FIFO (a pipe such as bash's <(...)) that a writer holds open; devices,
 * directories and sockets are refused, and so is a FIFO without a writer
 * (read() then reports its end at once instead of waiting). */
static qkt_status_t open_runfile(const char *path, const qkt_config_bounds_t *b, FILE **out, int *fifo)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return qkt_error(QKT_EIO, "cannot open run file '%s': %s", path, strerror(errno));
    struct stat st;
    const char *kind = NULL;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return qkt_error(QKT_EIO, "cannot open run file '%s': %s", path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) kind = "a directory";
    else if (S_ISCHR(st.st_mode)) kind = "a character device";
    else if (S_ISBLK(st.st_mode)) kind = "a block device";
    else if (S_ISSOCK(st.st_mode)) kind = "a socket";
    else if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) kind = "not a regular file";
    if (kind) {
        close(fd);
        return qkt_error(QKT_EIO, "cannot read run file '%s': it is %s, not a regular file or a pipe", path, kind);
    }
    if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > (uintmax_t)b->max_bytes) {
        close(fd);
        return qkt_error(QKT_ENOMEM, "run file '%s' is longer than %zu bytes (the bound of a run file)", path,
                         b->max_bytes);
    }
    /* reads wait for data from here on: a pipe's writer may be slow */
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "r");
    if (!f) {
        int e = errno;
        close(fd);
        return qkt_error(QKT_EIO, "cannot open run file '%s': %s", path, strerror(e));
    }
    *out = f;
    *fifo = S_ISFIFO(st.st_mode);
    return QKT_OK;
}

qkt_status_t qkt_config_read(qkt_config_t *c, const char *path)
{
    if (!c || !path) return qkt_error(QKT_EINVAL, "qkt_config_read: NULL argument");
    FILE *f = NULL;
    int fifo = 0;
    qkt_status_t st = open_runfile(path, &c->bounds, &f, &fifo);
    if (st) return st;
    qkt_config_t tmp = {0};
    reader_t r = {.f = f, .path = path, .b = c->bounds, .dst = &tmp};
    int ret = ini_parse_stream(reader, &r, handler, &r);
    fclose(f);
    free(r.buf);
    free(r.longval);
    if (r.st && r.whole) {
        st = qkt_error(r.st, "%s", r.msg);
    } else if (r.st) {
        /* r.msg starts with the line number */
        st = qkt_error(r.st, "%s:%s", path, r.msg);
    } else if (ret == -2) {
        st = qkt_error(QKT_ENOMEM, "out of memory reading '%s'", path);
    } else if (ret != 0) {
        st = qkt_error(QKT_EFORMAT, "%s:%d: syntax error", path, ret);
    } else if (fifo && r.total == 0) {
        /* a FIFO that no process writes to reads as empty at once */
        st = qkt_error(QKT_EIO, "run file '%s' is a FIFO without a writer, or empty", path);
    }
    if (st) {
        entries_free(&tmp);
        return st;
    }
    /* merge: the entries move into c, in file order */
    for (int i = 0; i < tmp.n; i++) {
        entry_t *e = &tmp.e[i];
        if (!st) st = put_owned(c, e->key, e->key, e->value, e->origin);
        else free(e->key), free(e->value), free(e->origin);
        e->key = e->value = e->origin = NULL;
    }
    entries_free(&tmp);
    return st;
}

qkt_status_t qkt_config_set(qkt_config_t *c, const char *assignment)
{
    if (!c || !assignment) return qkt_error(QKT_EINVAL, "qkt_config_set: NULL argument");
    const char *eq = strchr(assignment, '=');
    if (!eq) return qkt_error(QKT_EINVAL, "--set expects key=value, got '%s'", assignment);
    const char *k0 = assignment, *k1 = eq;
    while (k0 < k1 && is_blank((unsigned char)*k0)) k0++;
    while (k1 > k0 && is_blank((unsigned char)k1[-1])) k1--;
    size_t kl = (size_t)(k1 - k0);
    char *key = malloc(kl + 1), *val = dupstr(eq + 1);
    if (!key || !val) {
        free(key);
        free(val);
        return qkt_error(QKT_ENOMEM, "out of memory");
    }
    memcpy(key, k0, kl);
    key[kl] = '\0';
    char *v = val;
    while (is_blank((unsigned char)*v)) v++;
    trim_right(v);
    qkt_status_t st;
    if (!valid_key(key))
        st = qkt_error(QKT_EINVAL, "--set %s: invalid key '%s' (expected section.key = value)", assignment, key);
    else
        st = put(c, key, v, "--set");
    free(key);
    free(val);
    return st;
}

qkt_status_t qkt_config_set_default(qkt_config_t *c, const char *key, const char *value)
{
    if (!c || !key || !value) return qkt_error(QKT_EINVAL, "qkt_config_set_default: NULL argument");
    if (find(c, key) >= 0) return QKT_OK;
    return put(c, key, value, "default");
}

qkt_status_t qkt_config_set_default_from(qkt_config_t *c, const char *key, const char *value, const char *origin)
{
    if (!c || !key || !value || !origin) return qkt_error(QKT_EINVAL, "qkt_config_set_default_from: NULL argument");
    if (find(c, key) >= 0) return QKT_OK;
    return put(c, key, value, origin);
}

const char *qkt_config_get(const qkt_config_t *c, const char *key)
{
    int i = c ? find(c, key) : -1;
    return i >= 0 ? c->e[i].value : NULL;
}

const char *qkt_config_origin(const qkt_config_t *c, const char *key)
{
    int i = c ? find(c, key) : -1;
    return i >= 0 ? c->e[i].origin : NULL;
}

int qkt_config_count(const qkt_config_t *c) { return c ? c->n : 0; }

const char *qkt_config_key_at(const qkt_config_t *c, int i)
{
    return (c && i >= 0 && i < c->n) ? c->e[i].key : NULL;
}

/* ------------------------------------------------------------------ values */
/* Parse one number at *p (leading blanks skipped) with the library's reader
 * of decimal numbers; advance *p past it.  NULL: ok, else the reason. */
static const char *parse_number(const char **p, double *x)
{
    const char *s = *p;
    while (is_blank((unsigned char)*s)) s++;
    if (!*s) return "empty value where a number is expected";
    const char *end;
    const char *why = qkt_parse_real(s, &end, x, 0);
    /* the number must end at a blank, a comma or the end */
    if (!why && *end && !is_blank((unsigned char)*end) && *end != ',') why = "not a decimal number";
    if (!why) *p = end;
    return why;
}

static qkt_status_t value_error(const qkt_config_t *c, const char *key, const char *what)
{
    return qkt_error(QKT_EINVAL, "key '%s' (%s): %s", key, qkt_config_origin(c, key), what);
}

static qkt_status_t number_error(const qkt_config_t *c, const char *key, const char *why, const char *tok)
{
    char what[600];
    size_t tl = 0;
    while (tok[tl] && !is_blank((unsigned char)tok[tl]) && tok[tl] != ',') tl++;
    if (tl == 0)
        snprintf(what, sizeof what, "empty value where a number is expected");
    else
        snprintf(what, sizeof what, "value '%.*s': %s", (int)(tl > 200 ? 200 : tl), tok, why);
    return value_error(c, key, what);
}

/* Parse exactly n numbers from text s (blank or comma separated). */
static qkt_status_t parse_vec(const qkt_config_t *c, const char *key, const char *s, int n,
                              double *out)
{
    const char *p = s;
    int got = 0;
    double tmp[64];
    double *dst = n <= 64 ? tmp : out;
    for (;;) {
        while (is_blank((unsigned char)*p)) p++;
        if (!*p) break;
        if (got > 0 && *p == ',') {
            p++;
            while (is_blank((unsigned char)*p)) p++;
            if (!*p || *p == ',') return value_error(c, key, "empty entry between commas");
        }
        double x;
        const char *tok = p;
        const char *why = parse_number(&p, &x);
        if (why) return number_error(c, key, why, tok);
        if (got < n) dst[got] = x;
        got++;
    }
    if (got == 0) {
        char what[100];
        snprintf(what, sizeof what, "empty value, expected %d number%s", n, n == 1 ? "" : "s");
        return value_error(c, key, what);
    }
    if (got != n) {
        char what[700];
        snprintf(what, sizeof what, "expected %d number%s, got %d ('%.500s')", n, n == 1 ? "" : "s",
                 got, s);
        return value_error(c, key, what);
    }
    if (dst != out) memcpy(out, dst, (size_t)n * sizeof *out);
    return QKT_OK;
}

qkt_status_t qkt_config_double(const qkt_config_t *c, const char *key, double *out)
{
    const char *s = qkt_config_get(c, key);
    if (!s) return QKT_OK;
    return parse_vec(c, key, s, 1, out);
}

qkt_status_t qkt_config_vec(const qkt_config_t *c, const char *key, int n, double *out)
{
    const char *s = qkt_config_get(c, key);
    if (!s) return QKT_OK;
    if (n < 1) return qkt_error(QKT_EINVAL, "qkt_config_vec: n = %d", n);
    return parse_vec(c, key, s, n, out);
}

qkt_status_t qkt_config_vec_list(const qkt_config_t *c, const char *key, int n, double **out,
                                 int *count)
{
    const char *s = qkt_config_get(c, key);
    if (!s) return QKT_OK;
    if (n < 1) return qkt_error(QKT_EINVAL, "qkt_config_vec_list: n = %d", n);
    int m = 1;
    for (const char *p = s; *p; p++) m += *p == ';';
    double *v = malloc((size_t)m * n * sizeof *v);
    char *item = malloc(strlen(s) + 1);
    if (!v || !item) {
        free(v);
        free(item);
        return qkt_error(QKT_ENOMEM, "out of memory reading key '%s'", key);
    }
    int got = 0;
    const char *p = s;
    qkt_status_t st = QKT_OK;
    for (;;) {
        const char *e = strchr(p, ';');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        memcpy(item, p, l);
        item[l] = '\0';
        const char *q = item;
        while (is_blank((unsigned char)*q)) q++;
        if (*q) {
            st = parse_vec(c, key, item, n, v + (size_t)got * n);
            if (st) {
                /* say which item failed */
                char msg[1500];
                snprintf(msg, sizeof msg, "%s (item %d of the ';'-separated list)", qkt_strerror(), got + 1);
                st = qkt_error(st, "%s", msg);
                break;
            }
            got++;
        } else if (e) {
            st = value_error(c, key, "empty item in the ';'-separated list");
            break;
        }
        if (!e) break;
        p = e + 1;
    }
    free(item);
    if (!st && got == 0) st = value_error(c, key, "empty list");
    if (st) {
        free(v);
        return st;
    }
    *out = v;
    *count = got;
    return QKT_OK;
}

qkt_status_t qkt_config_int(const qkt_config_t *c, const char *key, long *out)
{
    const char *s = qkt_config_get(c, key);
    if (!s) return QKT_OK;
    const char *p = s;
    while (is_blank((unsigned char)*p)) p++;
    char *end;
    errno = 0;
    long v = strtol(p, &end, 10);
    if (end != p && errno == 0) {
        while (is_blank((unsigned char)*end)) end++;
        if (!*end) {
            *out = v;
            return QKT_OK;
        }
    }
    /* allow integral floating-point notation such as 1e6 */
    double x;
    qkt_status_t st = parse_vec(c, key, s, 1, &x);
    if (st) return st;
    if (x != floor(x) || fabs(x) > 9.0e18) {
        char what[400];
        snprintf(what, sizeof what, "'%.300s' is not an integer", s);
        return value_error(c, key, what);
    }
    *out = (long)x;
    return QKT_OK;
}

qkt_status_t qkt_config_bool(const qkt_config_t *c, const char *key, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
    const char *s = qkt_config_get(c, key);
    if (!s) return QKT_OK;
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return QKT_OK;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return QKT_OK;
        }
    }
    char what[400];
    snprintf(what, sizeof what, "'%.300s' is not a boolean (true/false, yes/no, on/off, 1/0)", s);
    return value_error(c, key, what);
}

qkt_status_t qkt_config_string(const qkt_config_t *c, const char *key, const char **out)
{
    const char *s = qkt_config_get(c, key);
    if (s) *out = s;
    return QKT_OK;
}

/* ------------------------------------------------------------------ known keys */
/* Optimal string alignment distance (edits, with adjacent transpositions),
 * case-insensitive. */
static int osa_distance(const char *a, const char *b)
{
    enum { MAXL = 256 };
    size_t la = strlen(a), lb = strlen(b);
    if (la >= MAXL || lb >= MAXL) return 1 << 20;
    int rows[3][MAXL + 1]; /* rows i-2, i-1, i */
    int *d2 = rows[0], *d1 = rows[1], *d0 = rows[2];
    for (size_t j = 0; j <= lb; j++) d1[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        d0[0] = (int)i;
        int ca = tolower((unsigned char)a[i - 1]);
        for (size_t j = 1; j <= lb; j++) {
            int cb = tolower((unsigned char)b[j - 1]);
            int v = d1[j] + 1;
            if (d0[j - 1] + 1 < v) v = d0[j - 1] + 1;
            if (d1[j - 1] + (ca != cb) < v) v = d1[j - 1] + (ca != cb);
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d2[j - 2] + 1 < v)
                v = d2[j - 2] + 1;
            d0[j] = v;
        }
        int *t = d2;
        d2 = d1;
        d1 = d0;
        d0 = t;
    }
    return d1[lb];
}

static const char *basename_of(const char *key)
{
    const char *d = strrchr(key, '.');
    return d ? d + 1 : key;
}

const char *qkt_config_suggest(const char *word, const char *const *list, int n)
{
    if (!word) return NULL;
    int best = 1 << 30;
    const char *pick = NULL;
    for (int i = 0; i < n; i++) {
        if (!list[i]) continue;
        int dist = osa_distance(word, list[i]);
        /* right key in the wrong section (or outside any section) */
        if (strcasecmp(basename_of(word), basename_of(list[i])) == 0 && dist > 1) dist = 1;
        if (dist < best) {
            best = dist;
            pick = list[i];
        }
    }
    size_t len = strlen(word);
    int limit = len / 3 > 2 ? (int)(len / 3) : 2;
    return (pick && best <= limit) ? pick : NULL;
}

qkt_status_t qkt_config_check_known(const qkt_config_t *c, const char *const *known, int nknown)
{
    if (!c) return QKT_OK;
    for (int i = 0; i < c->n; i++) {
        const char *k = c->e[i].key;
        int ok = 0;
        for (int j = 0; j < nknown && !ok; j++) ok = known[j] && strcmp(known[j], k) == 0;
        if (ok) continue;
        const char *s = qkt_config_suggest(k, known, nknown);
        if (s)
            return qkt_error(QKT_EINVAL, "unknown key '%s' (%s); did you mean '%s'?", k, c->e[i].origin, s);
        return qkt_error(QKT_EINVAL, "unknown key '%s' (%s)", k, c->e[i].origin);
    }
    return QKT_OK;
}
