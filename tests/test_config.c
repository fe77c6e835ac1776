/* test_config.c - run-file parser: sections, overrides, --set, origins, line
 * numbers in errors, unknown keys with suggestions, number/vector/boolean
 * parsing, NaN/Inf rejection, long lines, comments; error messages (error.c). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "qkt.h"
#include "config.h"

static char dir[256];

static const char *write_file(const char *name, const char *text, size_t len)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        printf("FAIL cannot create %s\n", path);
        exit(1);
    }
    fwrite(text, 1, len, f);
    fclose(f);
    return path;
}

static const char *wf(const char *name, const char *text) { return write_file(name, text, strlen(text)); }

static int has(const char *hay, const char *needle) { return hay && strstr(hay, needle) != NULL; }

#define CHECK_STR(got, want, what)                                                      \
    do {                                                                                \
        const char *g__ = (got), *w__ = (want);                                         \
        int ok__ = g__ && strcmp(g__, w__) == 0;                                        \
        check_count++;                                                                  \
        printf("%s %s: got '%s' want '%s'\n", ok__ ? "ok  " : "FAIL", (what),            \
               g__ ? g__ : "(null)", w__);                                               \
        if (!ok__) check_failures++;                                                    \
    } while (0)

#define CHECK_MSG(st, want_st, needle, what)                                            \
    do {                                                                                \
        qkt_status_t s__ = (st);                                                        \
        int ok__ = s__ == (want_st) && has(qkt_strerror(), (needle));                   \
        check_count++;                                                                  \
        printf("%s %s: status %d (want %d), message '%s' (want it to contain '%s')\n",  \
               ok__ ? "ok  " : "FAIL", (what), (int)s__, (int)(want_st), qkt_strerror(), \
               (needle));                                                               \
        if (!ok__) check_failures++;                                                    \
    } while (0)

static void test_sections_and_origins(void)
{
    const char *p = wf("a.ini",
                       "# comment\n"
                       "plain = 1\n"
                       "[model]\n"
                       "name = weyl2\n"
                       "  b = 0.3   # indented key, inline comment\n"
                       "\n"
                       "; another comment\n"
                       "[run]\n"
                       "temperature = 0.01\n"
                       "[model]\n"
                       "b = 0.25\n");
    qkt_config_t *c = qkt_config_alloc();
    CHECK(qkt_config_read(c, p) == QKT_OK, "read a.ini: %s", qkt_strerror());
    CHECK_STR(qkt_config_get(c, "plain"), "1", "key before any section is plain");
    CHECK_STR(qkt_config_get(c, "model.name"), "weyl2", "section prefix");
    CHECK_STR(qkt_config_get(c, "run.temperature"), "0.01", "second section");
    CHECK_STR(qkt_config_get(c, "model.b"), "0.25", "later assignment overrides");
    char want[600];
    snprintf(want, sizeof want, "%s:11", p);
    CHECK_STR(qkt_config_origin(c, "model.b"), want, "origin of the override is its line");
    snprintf(want, sizeof want, "%s:4", p);
    CHECK_STR(qkt_config_origin(c, "model.name"), want, "origin file:line");
    CHECK(qkt_config_count(c) == 4, "4 distinct keys, got %d", qkt_config_count(c));
    CHECK_STR(qkt_config_key_at(c, 0), "plain", "first key in file order");
    CHECK(qkt_config_get(c, "model.v") == NULL, "absent key gives NULL");
    CHECK(qkt_config_origin(c, "model.v") == NULL, "absent key has no origin");

    CHECK(qkt_config_set(c, "model.b = 0.5") == QKT_OK, "--set: %s", qkt_strerror());
    CHECK_STR(qkt_config_get(c, "model.b"), "0.5", "--set wins over the file");
    CHECK_STR(qkt_config_origin(c, "model.b"), "--set", "origin of --set");
    CHECK(qkt_config_set(c, "new.key=a b") == QKT_OK, "--set new key");
    CHECK_STR(qkt_config_get(c, "new.key"), "a b", "--set value with blank");
    CHECK_MSG(qkt_config_set(c, "novalue"), QKT_EINVAL, "key=value", "--set without '='");
    CHECK_MSG(qkt_config_set(c, "bad key=1"), QKT_EINVAL, "invalid key", "--set invalid key");

    double b = -1;
    CHECK(qkt_config_double(c, "model.b", &b) == QKT_OK, "double");
    CHECK_ABS(b, 0.5, 0, "model.b value");
    double keep = 7;
    CHECK(qkt_config_double(c, "model.v", &keep) == QKT_OK && keep == 7, "absent key keeps default");

    CHECK(qkt_config_set_default(c, "model.b", "9") == QKT_OK, "set_default on set key");
    CHECK_STR(qkt_config_get(c, "model.b"), "0.5", "set_default does not override");
    CHECK(qkt_config_set_default(c, "model.v", "2") == QKT_OK, "set_default on absent key");
    CHECK_STR(qkt_config_origin(c, "model.v"), "default", "origin of a default");
    qkt_config_free(c);
    qkt_config_free(NULL);
}

static void test_errors(void)
{
    qkt_config_t *c = qkt_config_alloc();
    char path[600];
    snprintf(path, sizeof path, "%s/does-not-exist.ini", dir);
    CHECK_MSG(qkt_config_read(c, path), QKT_EIO, "does-not-exist.ini", "missing file names the file");
    CHECK_MSG(qkt_config_read(c, dir), QKT_EIO, dir, "directory is unreadable");

    const char *p = wf("syn.ini", "[model]\nname = weyl2\nthis line has no equals sign\n");
    char want[700];
    snprintf(want, sizeof want, "%s:3", p);
    CHECK_MSG(qkt_config_read(c, p), QKT_EFORMAT, want, "syntax error names file:line");
    CHECK(qkt_config_get(c, "model.name") == NULL, "failed read leaves the table unchanged");

    p = wf("sec.ini", "a = 1\n[model\nb = 2\n");
    snprintf(want, sizeof want, "%s:2", p);
    CHECK_MSG(qkt_config_read(c, p), QKT_EFORMAT, want, "unterminated section");

    p = wf("sec2.ini", "[model] name = weyl2\n");
    snprintf(want, sizeof want, "%s:1", p);
    CHECK_MSG(qkt_config_read(c, p), QKT_EFORMAT, want, "text after a section header");

    p = wf("nokey.ini", "[m]\n = 2\n");
    snprintf(want, sizeof want, "%s:2", p);
    CHECK_MSG(qkt_config_read(c, p), QKT_EFORMAT, want, "missing key name");

    p = write_file("nul.ini", "a = 1\nb = \0x\n", 12);
    snprintf(want, sizeof want, "%s:2", p);
    CHECK_MSG(qkt_config_read(c, p), QKT_EFORMAT, want, "NUL byte");

    p = wf("num.ini",
           "[model]\n"
           "v = fast\n"
           "w = nan\n"
           "x = inf\n"
           "y = 1e999\n"
           "z = 1.5.2\n"
           "h = 0x10\n"
           "u = 1e-400\n"
           "s = -1e-310\n"
           "d = 1d5\n"
           "o = 0.0e-400 -.5e+1 +7.\n"
           "e =\n"
           "b = 0 0.2\n"
           "c = 1,,2\n"
           "t = maybe\n"
           "i = 1.5\n");
    CHECK(qkt_config_read(c, p) == QKT_OK, "read num.ini: %s", qkt_strerror());
    double x = 3, v3[3] = {9, 9, 9};
    snprintf(want, sizeof want, "key 'model.v' (%s:2)", p);
    CHECK_MSG(qkt_config_double(c, "model.v", &x), QKT_EINVAL, want, "malformed number names key and file:line");
    CHECK(x == 3, "malformed value keeps *out");
    snprintf(want, sizeof want, "(%s:3)", p);
    CHECK_MSG(qkt_config_double(c, "model.w", &x), QKT_EINVAL, want, "NaN rejected");
    CHECK(has(qkt_strerror(), "not a finite number"), "NaN message: %s", qkt_strerror());
    CHECK_MSG(qkt_config_double(c, "model.x", &x), QKT_EINVAL, "not a finite", "Inf rejected");
    CHECK_MSG(qkt_config_double(c, "model.y", &x), QKT_EINVAL, "out of range", "overflow rejected");
    CHECK_MSG(qkt_config_double(c, "model.z", &x), QKT_EINVAL, "value '1.5.2': not a decimal number", "trailing junk");
    /* decimal numbers only, and no silent underflow (issue 20, row 10): strtod
     * alone reads 0x10 as 16, 1e-400 as 0 and 1e-310 as a subnormal */
    CHECK_MSG(qkt_config_double(c, "model.h", &x), QKT_EINVAL, "hexadecimal is not accepted", "0x10 refused");
    CHECK_MSG(qkt_config_double(c, "model.u", &x), QKT_EINVAL, "underflows", "1e-400 refused (not read as 0)");
    CHECK_MSG(qkt_config_double(c, "model.s", &x), QKT_EINVAL, "underflows", "-1e-310 refused (subnormal)");
    CHECK_MSG(qkt_config_double(c, "model.d", &x), QKT_EINVAL, "not a decimal number", "Fortran 1d5 refused in run files");
    CHECK(x == 3, "refused values keep *out");
    double o3[3] = {9, 9, 9};
    CHECK(qkt_config_vec(c, "model.o", 3, o3) == QKT_OK && o3[0] == 0 && o3[1] == -5 && o3[2] == 7,
          "0.0e-400 (a zero), -.5e+1, +7. read: %g %g %g", o3[0], o3[1], o3[2]);
    CHECK_MSG(qkt_config_double(c, "model.e", &x), QKT_EINVAL, "empty value", "empty value");
    snprintf(want, sizeof want, "(%s:13): expected 3 numbers, got 2", p);
    CHECK_MSG(qkt_config_vec(c, "model.b", 3, v3), QKT_EINVAL, want, "wrong vector length");
    CHECK(v3[0] == 9 && v3[1] == 9, "wrong length keeps *out");
    CHECK_MSG(qkt_config_vec(c, "model.c", 3, v3), QKT_EINVAL, "empty entry", "double comma");
    int bo = 5;
    CHECK_MSG(qkt_config_bool(c, "model.t", &bo), QKT_EINVAL, "not a boolean", "bad boolean");
    long li = 4;
    CHECK_MSG(qkt_config_int(c, "model.i", &li), QKT_EINVAL, "not an integer", "non-integer");
    CHECK(qkt_config_set(c, "model.v=abc") == QKT_OK, "--set bad value is stored");
    CHECK_MSG(qkt_config_double(c, "model.v", &x), QKT_EINVAL, "key 'model.v' (--set)", "origin --set in error");
    qkt_config_free(c);
}

static void test_values(void)
{
    /* a long line: more than inih's 200-character line buffer */
    char longline[1200];
    size_t o = (size_t)snprintf(longline, sizeof longline, "[geometry]\nk = ");
    for (int i = 0; i < 40; i++) o += (size_t)snprintf(longline + o, sizeof longline - o, "%s0.%d 0 0.5", i ? "; " : "", i);
    snprintf(longline + o, sizeof longline - o, "\nfrac = yes\n");
    const char *p = wf("v.ini",
                       "\xEF\xBB\xBF[model]\r\n"
                       "b = 0, 0.2 ,0.3\r\n"
                       "c = 1 2 3\n"
                       "d = -1.5e-3\n"
                       "n = 1e3\n"
                       "m = -42\n"
                       "on = On\n"
                       "off = 0\n"
                       "ks = 0 0 1 ; 0.5, 0, 2  # two points, spaces around ';'\n"
                       "s = some text ; more\n");
    qkt_config_t *c = qkt_config_alloc();
    CHECK(qkt_config_read(c, p) == QKT_OK, "read v.ini (BOM, CRLF): %s", qkt_strerror());
    double v[3] = {0};
    CHECK(qkt_config_vec(c, "model.b", 3, v) == QKT_OK, "comma vector: %s", qkt_strerror());
    CHECK_ABS(v[0], 0, 0, "b[0]");
    CHECK_ABS(v[1], 0.2, 0, "b[1]");
    CHECK_ABS(v[2], 0.3, 0, "b[2]");
    CHECK(qkt_config_vec(c, "model.c", 3, v) == QKT_OK, "blank vector");
    CHECK_ABS(v[2], 3, 0, "c[2]");
    double d = 0;
    CHECK(qkt_config_double(c, "model.d", &d) == QKT_OK, "exponent");
    CHECK_ABS(d, -1.5e-3, 0, "d");
    long n = 0, mm = 0;
    CHECK(qkt_config_int(c, "model.n", &n) == QKT_OK && n == 1000, "int 1e3 = %ld", n);
    CHECK(qkt_config_int(c, "model.m", &mm) == QKT_OK && mm == -42, "int -42 = %ld", mm);
    int on = 0, off = 1;
    CHECK(qkt_config_bool(c, "model.on", &on) == QKT_OK && on == 1, "bool On");
    CHECK(qkt_config_bool(c, "model.off", &off) == QKT_OK && off == 0, "bool 0");
    double *ks = NULL;
    int nk = 0;
    CHECK(qkt_config_vec_list(c, "model.ks", 3, &ks, &nk) == QKT_OK, "vec list: %s", qkt_strerror());
    CHECK(nk == 2, "two vectors, got %d", nk);
    if (ks && nk == 2) {
        CHECK_ABS(ks[2], 1, 0, "ks[0].z");
        CHECK_ABS(ks[3], 0.5, 0, "ks[1].x");
        CHECK_ABS(ks[5], 2, 0, "ks[1].z");
    }
    free(ks);
    CHECK_STR(qkt_config_get(c, "model.s"), "some text ; more", "';' is kept inside values");
    const char *str = "x";
    CHECK(qkt_config_string(c, "model.s", &str) == QKT_OK && strcmp(str, "some text ; more") == 0, "string getter");
    qkt_config_free(c);

    p = wf("long.ini", longline);
    c = qkt_config_alloc();
    CHECK(qkt_config_read(c, p) == QKT_OK, "read a %zu-character line: %s", o, qkt_strerror());
    ks = NULL;
    nk = 0;
    CHECK(qkt_config_vec_list(c, "geometry.k", 3, &ks, &nk) == QKT_OK, "long list: %s", qkt_strerror());
    CHECK(nk == 40, "40 k-points on one long line, got %d", nk);
    if (ks && nk == 40) CHECK_ABS(ks[3 * 39], 0.39, 1e-15, "last k-point");
    free(ks);
    int frac = 0;
    CHECK(qkt_config_bool(c, "geometry.frac", &frac) == QKT_OK && frac == 1, "key after the long line");
    char want[600];
    snprintf(want, sizeof want, "%s:3", p);
    CHECK_STR(qkt_config_origin(c, "geometry.frac"), want, "line count after a long line");

    CHECK(qkt_config_set(c, "geometry.k=0 0 1;") == QKT_OK, "set list with trailing ';'");
    ks = NULL;
    CHECK(qkt_config_vec_list(c, "geometry.k", 3, &ks, &nk) == QKT_OK && nk == 1, "trailing ';' ignored");
    free(ks);
    ks = NULL;
    CHECK(qkt_config_set(c, "geometry.k=0 0 1; 0 nan 1") == QKT_OK, "set list with NaN");
    CHECK_MSG(qkt_config_vec_list(c, "geometry.k", 3, &ks, &nk), QKT_EINVAL, "item 2", "NaN in list item 2");
    CHECK(ks == NULL, "failed list leaves *out");
    qkt_config_free(c);
}

static void test_known(void)
{
    const char *p = wf("x.ini", "[run]\nmu = 0.1\n\ntempreature = 0.01\n[model]\nname = weyl2\n");
    qkt_config_t *c = qkt_config_alloc();
    CHECK(qkt_config_read(c, p) == QKT_OK, "read x.ini");
    const char *known[] = {"run.mu", "run.temperature", "model.name", "model.b"};
    char want[700];
    snprintf(want, sizeof want, "unknown key 'run.tempreature' (%s:4); did you mean 'run.temperature'?", p);
    CHECK_MSG(qkt_config_check_known(c, known, 4), QKT_EINVAL, want, "unknown key with suggestion");
    CHECK(qkt_config_set(c, "run.temperature=0.01") == QKT_OK, "set");
    const char *known2[] = {"run.mu", "run.temperature", "run.tempreature", "model.name"};
    CHECK(qkt_config_check_known(c, known2, 4) == QKT_OK, "all keys known: %s", qkt_strerror());
    CHECK(qkt_config_set(c, "zzz.qqq=1") == QKT_OK, "set");
    snprintf(want, sizeof want, "unknown key 'zzz.qqq' (--set)");
    CHECK_MSG(qkt_config_check_known(c, known2, 4), QKT_EINVAL, want, "unknown key without suggestion");
    CHECK(!has(qkt_strerror(), "did you mean"), "no far-fetched suggestion: %s", qkt_strerror());
    qkt_config_free(c);

    const char *list[] = {"geometry.k", "geometry.degen_tol", "model.Delta"};
    CHECK_STR(qkt_config_suggest("degen_tol", list, 3), "geometry.degen_tol", "suggest key of another section");
    CHECK_STR(qkt_config_suggest("model.delta", list, 3), "model.Delta", "suggest ignores case");
    CHECK(qkt_config_suggest("something.else", list, 3) == NULL, "no suggestion for a far word");
}

/* Issue 20, row 4: reading is bounded and never waits.  Small bounds stand
 * for the real ones (config.h); the real file-size bound is checked on a
 * sparse file, refused from its size before a byte is read. */
static void test_bounds(void)
{
    char want[700];
    qkt_config_t *c = qkt_config_alloc();
    qkt_config_bounds_t b = {100, 20, 3, 2};
    qkt_config_set_bounds(c, &b);
    const char *p = wf("line.ini", "a = 1\nb = 0123456789012345\n");
    CHECK(qkt_config_read(c, p) == QKT_OK, "a line of 20 bytes is within a 20-byte bound: %s", qkt_strerror());
    p = wf("line2.ini", "a = 1\nb = 01234567890123456\n");
    snprintf(want, sizeof want, "%s:2: line longer than 20 bytes", p);
    CHECK_MSG(qkt_config_read(c, p), QKT_ENOMEM, want, "a line beyond the bound names file:line");
    p = wf("bytes.ini", "a = 1\nb = 2\nc = 3\nb = 4\nb = 5\nb = 6\nb = 7\nb = 8\nb = 9\nb = 10\nb = 11\n"
                        "b = 12\nb = 13\nb = 14\nb = 15\nb = 16\n");
    CHECK_MSG(qkt_config_read(c, p), QKT_ENOMEM, "longer than 100 bytes", "a file beyond the byte bound");
    p = wf("keys.ini", "a = 1\nb = 2\nc = 3\nb = 4\nd = 5\n");
    snprintf(want, sizeof want, "%s:5: more than 3 distinct keys", p);
    CHECK_MSG(qkt_config_read(c, p), QKT_ENOMEM, want, "distinct keys beyond the bound (overrides not counted)");
    p = wf("secs.ini", "[a]\n[b]\n[a]\n");
    snprintf(want, sizeof want, "%s:3: more than 2 sections", p);
    CHECK_MSG(qkt_config_read(c, p), QKT_ENOMEM, want, "sections beyond the bound");
    CHECK(qkt_config_count(c) == 2, "failed reads leave the table as the good read made it (%d keys)",
          qkt_config_count(c));
    qkt_config_free(c);

    c = qkt_config_alloc();
    p = wf("huge.ini", "");
    CHECK(truncate(p, (off_t)QKT_CONFIG_MAX_BYTES + 1) == 0, "sparse file of the bound + 1 byte");
    CHECK_MSG(qkt_config_read(c, p), QKT_ENOMEM, "huge.ini' is longer than", "a file beyond 256 MiB refused from its size");
    unlink(p);
    /* NUL bytes: an error naming the line, wherever they are; /dev/zero's
     * endless first line is never read into memory */
    p = write_file("nul0.ini", "\0a = 1\n", 7);
    snprintf(want, sizeof want, "%s:1: contains a NUL byte", p);
    CHECK_MSG(qkt_config_read(c, p), QKT_EFORMAT, want, "NUL as the first byte");
    p = write_file("nul3.ini", "a = 1\n[s]\n\0", 11);
    snprintf(want, sizeof want, "%s:3: contains a NUL byte", p);
    CHECK_MSG(qkt_config_read(c, p), QKT_EFORMAT, want, "NUL after the last newline");
    p = write_file("nulsec.ini", "[s\0]\nx = 1\n", 11);
    snprintf(want, sizeof want, "%s:1: contains a NUL byte", p);
    CHECK_MSG(qkt_config_read(c, p), QKT_EFORMAT, want, "NUL in a section header");
    /* files that are not regular are refused at once, a FIFO without a writer too */
    alarm(20); /* a read that waits fails the test instead of hanging it */
    CHECK_MSG(qkt_config_read(c, "/dev/zero"), QKT_EIO, "'/dev/zero': it is a character device", "/dev/zero refused");
    CHECK_MSG(qkt_config_read(c, "/dev/null"), QKT_EIO, "'/dev/null': it is a character device", "/dev/null refused");
    char fifo[600];
    snprintf(fifo, sizeof fifo, "%s/fifo.ini", dir);
    CHECK(mkfifo(fifo, 0600) == 0, "mkfifo %s", fifo);
    CHECK_MSG(qkt_config_read(c, fifo), QKT_EIO, "FIFO without a writer", "a FIFO without a writer is refused at once");
    alarm(0);
    CHECK(qkt_config_count(c) == 0, "nothing stored by refused reads");
    qkt_config_free(c);
}

/* Issue 20, row 5: many keys and sections keep every behaviour of a few: the
 * file order, overrides in place, origins and --set over them. */
static void test_many_keys(void)
{
    enum { N = 100000 };
    char path[600];
    snprintf(path, sizeof path, "%s/many.ini", dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < N; i++) fprintf(f, "[s%d]\nx = %d\n", i, i);
    fprintf(f, "[s7]\nx = seven\n");
    fclose(f);
    qkt_config_t *c = qkt_config_alloc();
    CHECK(qkt_config_read(c, path) == QKT_OK, "read %d sections: %s", N, qkt_strerror());
    CHECK(qkt_config_count(c) == N, "%d keys, got %d", N, qkt_config_count(c));
    int bad = 0;
    char key[32], val[32], org[700];
    for (int i = 0; i < N && !bad; i += 997) {
        snprintf(key, sizeof key, "s%d.x", i);
        snprintf(val, sizeof val, "%d", i);
        snprintf(org, sizeof org, "%s:%d", path, 2 * i + 2);
        if (i == 7) continue;
        bad = !qkt_config_key_at(c, i) || strcmp(qkt_config_key_at(c, i), key) ||
              !qkt_config_get(c, key) || strcmp(qkt_config_get(c, key), val) ||
              strcmp(qkt_config_origin(c, key), org);
    }
    CHECK(!bad, "key, value and origin of every 997th section (first bad: %s)", key);
    CHECK_STR(qkt_config_get(c, "s7.x"), "seven", "a later [s7] overrides");
    CHECK_STR(qkt_config_key_at(c, 7), "s7.x", "the override keeps its place");
    CHECK(qkt_config_set(c, "s99999.x=last") == QKT_OK && qkt_config_set(c, "t.y=new") == QKT_OK, "--set");
    CHECK_STR(qkt_config_origin(c, "s99999.x"), "--set", "--set over the last key");
    CHECK_STR(qkt_config_key_at(c, N), "t.y", "a new --set key comes last");
    qkt_config_free(c);
    unlink(path);
}

/* src/error.c: a message may quote the previous one (app/cli.c does,
 * "cannot create model %s: %s" with qkt_strerror()): the previous text must come
 * through intact (it used to be formatted into the buffer it was read from). */
static void test_error_message(void)
{
    qkt_error(QKT_EINVAL, "unknown model '%s'", "weyl9");
    qkt_status_t s = qkt_error(QKT_ENOMEM, "cannot create model %s: %s", "weyl9", qkt_strerror());
    CHECK_MSG(s, QKT_ENOMEM, "cannot create model weyl9: unknown model 'weyl9'",
              "qkt_error quoting qkt_strerror() keeps the quoted message");
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    qkt_error(QKT_EINVAL, "%s", big);
    CHECK(strlen(qkt_strerror()) == 2047, "an over-long message is cut to the 2047 characters of the buffer (got %zu)",
          strlen(qkt_strerror()));
    qkt_clear_error();
    CHECK(qkt_strerror()[0] == '\0', "qkt_clear_error empties the message");
}

/* a section name longer than libinih keeps (49 characters) is an error
 * naming file and line, not a silently shortened section */
static void test_long_section(void)
{
    qkt_config_t *c = qkt_config_alloc();
    char text[200];
    snprintf(text, sizeof text, "[model]\nname = weyl2\n[%050d]\nx = 1\n", 0);
    const char *p = wf("longsec.ini", text);
    char want[600];
    snprintf(want, sizeof want, "%s:3: section name longer than 49 characters", p);
    CHECK_MSG(qkt_config_read(c, p), QKT_EFORMAT, want, "50-character section name");
    qkt_config_free(c);
    c = qkt_config_alloc();
    snprintf(text, sizeof text, "[model]\nname = weyl2\n[%049d]\nx = 1\n", 0);
    p = wf("sec49.ini", text);
    CHECK(qkt_config_read(c, p) == QKT_OK, "49-character section name read: %s", qkt_strerror());
    qkt_config_free(c);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/qkt_test_config_XXXXXX");
    if (!mkdtemp(dir)) {
        printf("FAIL mkdtemp\n");
        return 1;
    }
    test_sections_and_origins();
    test_errors();
    test_values();
    test_known();
    test_error_message();
    test_bounds();
    test_many_keys();
    test_long_section();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("note: could not remove %s\n", dir);
    CHECK_DONE();
}
