/* test_fuzz_regress.c - replays the fuzz seed corpora (tests/fuzz/corpus_runfile,
 * tests/fuzz/corpus_wannier) and the crash regressions (tests/fuzz/regress/runfile,
 * tests/fuzz/regress/wannier) through the fuzz harnesses of tests/fuzz/, built here
 * against the normal library (no libFuzzer).  Each input runs in its own process.
 * Expected, per input:
 *   - no crash (no signal) and no broken harness invariant (see the header comments
 *     of tests/fuzz/fuzz_runfile.c and fuzz_wannier.c): status QKT_OK, or an error
 *     status whose message names the input file;
 *   - a seed of a corpus is a valid file: it is read with QKT_OK.
 * A regression input listed in tests/fuzz/regress/KNOWN (one "target/file reason"
 * per line: a bug reported and not yet fixed) is run and reported but not counted;
 * once it passes, the test fails until the line is removed. */
#define QKT_FUZZ_NO_MAIN
#include "fuzz/fuzz_runfile.c"
#include "fuzz/fuzz_wannier.c"

#include <dirent.h>
#include <sys/wait.h>
#include "check.h"

typedef int (*harness_fn)(const uint8_t *, size_t, char *, size_t);

static char known[64][256];
static int nknown;

static void read_known(void)
{
    FILE *f = fopen("tests/fuzz/regress/KNOWN", "r");
    if (!f) return;
    char line[512];
    while (nknown < 64 && fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        sscanf(line, "%255s", known[nknown]);
        nknown++;
    }
    fclose(f);
}

static int is_known(const char *id)
{
    for (int i = 0; i < nknown; i++)
        if (strcmp(known[i], id) == 0) return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Run every file of dir through fn.  want_ok: the files are valid (corpus seeds). */
static int replay_dir(const char *target, const char *dir, harness_fn fn, int want_ok)
{
    DIR *d = opendir(dir);
    if (!d) {
        printf("  (no folder %s)\n", dir);
        return 0;
    }
    char *names[4096];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 4096)
        if (e->d_name[0] != '.' && strcmp(e->d_name, "KNOWN") != 0) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        char path[1024], id[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        snprintf(id, sizeof id, "%s/%s", target, names[i]);
        FILE *f = fopen(path, "rb");
        uint8_t *buf = NULL;
        size_t len = 0;
        if (f) {
            fseek(f, 0, SEEK_END);
            long sz = ftell(f);
            fseek(f, 0, SEEK_SET);
            buf = malloc(sz > 0 ? (size_t)sz : 1);
            len = buf && sz > 0 ? fread(buf, 1, (size_t)sz, f) : 0;
            fclose(f);
        }
        CHECK(f && buf, "cannot read %s", path);
        if (!f || !buf) continue;
        int pfd[2];
        if (pipe(pfd) != 0) abort();
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            close(pfd[0]);
            char why[4096] = "";
            int bad = fn(buf, len, why, sizeof why);
            /* 0: clean with QKT_OK, 2: clean error status, 1: invariant broken */
            int code = bad ? 1 : (fuzz_last_status ? 2 : 0);
            if (bad) (void)!write(pfd[1], why, strlen(why));
            else if (code == 2) (void)!write(pfd[1], qkt_strerror(), strlen(qkt_strerror()));
            exit(code); /* exit, not _exit: a sanitized build checks for leaks here */
        }
        close(pfd[1]);
        char msg[4097];
        ssize_t got = 0, r;
        while ((r = read(pfd[0], msg + got, sizeof msg - 1 - got)) > 0) got += r;
        msg[got > 0 ? got : 0] = '\0';
        close(pfd[0]);
        int st = 0;
        waitpid(pid, &st, 0);
        free(buf);
        char res[4400];
        int ok;
        if (WIFSIGNALED(st)) {
            snprintf(res, sizeof res, "crashed (signal %d)", WTERMSIG(st));
            ok = 0;
        } else if (WEXITSTATUS(st) == 1) {
            snprintf(res, sizeof res, "invariant broken: %s", msg);
            ok = 0;
        } else if (WEXITSTATUS(st) == 2) {
            snprintf(res, sizeof res, "clean error status: %s", msg);
            ok = !want_ok;
        } else if (WEXITSTATUS(st) == 0) {
            snprintf(res, sizeof res, "QKT_OK");
            ok = 1;
        } else {
            snprintf(res, sizeof res, "exit status %d", WEXITSTATUS(st));
            ok = 0;
        }
        const char *want = want_ok ? "QKT_OK (valid seed)" : "no crash, QKT_OK or an error naming the file";
        if (is_known(id)) {
            printf("%s %s: %s [listed in KNOWN: %s]\n", ok ? "FAIL" : "known", id, res,
                   ok ? "passes now, remove it from tests/fuzz/regress/KNOWN" : "not counted");
            if (ok) check_failures++;
            check_count++;
        } else {
            check_count++;
            printf("%s %s: %s (want %s)\n", ok ? "ok  " : "FAIL", id, res, want);
            if (!ok) check_failures++;
        }
        free(names[i]);
    }
    return n;
}

int main(void)
{
    read_known();
    fuzz_dir(); /* made here, so that the processes of the inputs share it and it is removed at exit */
    int n = 0;
    n += replay_dir("corpus_runfile", "tests/fuzz/corpus_runfile", runfile_one, 1);
    n += replay_dir("corpus_wannier", "tests/fuzz/corpus_wannier", wannier_one, 1);
    n += replay_dir("runfile", "tests/fuzz/regress/runfile", runfile_one, 0);
    n += replay_dir("wannier", "tests/fuzz/regress/wannier", wannier_one, 0);
    CHECK(n >= 10, "replayed %d inputs, expected the seed corpora at least", n);
    CHECK_DONE();
}
