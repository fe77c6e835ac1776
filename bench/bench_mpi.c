/* bench_mpi.c - the speed-up of `mpirun -np 2 qkt ...` over one rank, one
 * thread per rank, on two jobs: the Fe anomalous Hall conductivity on the
 * 25^3 mesh (uniform work per k-plane) and sigma^(1) of weyl4 (adaptive
 * integration: parts of very different cost).  Each job is run as the user
 * would run it (the qkt program of this build directory, --json output to a
 * file); the numbers of the two runs must agree digit for digit, which is
 * printed as a RESULT too.  Prints RESULT lines for bench/run.sh; prints
 * nothing but a note when mpirun is missing or qkt was built without MPI. */
#define _POSIX_C_SOURCE 200809L
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double wall(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* run a shell command; wall time in seconds, or -1 if it failed */
static double timed(const char *cmd)
{
    double t0 = wall();
    int rc = system(cmd);
    return rc == 0 ? wall() - t0 : -1;
}

/* the "results" object of a JSON file, without timing fields (seconds differ) */
static char *results_of(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap), line[4096];
    if (!s) {
        fclose(f);
        return NULL;
    }
    int in = 0;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, "\"results\"")) in = 1;
        if (!in || strstr(line, "\"seconds\"")) continue;
        size_t l = strlen(line);
        if (n + l + 1 > cap) {
            char *t = realloc(s, cap *= 2);
            if (!t) break;
            s = t;
        }
        memcpy(s + n, line, l);
        n += l;
    }
    s[n] = 0;
    fclose(f);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    char self[PATH_MAX];
    snprintf(self, sizeof self, "%s", argv[0]);
    const char *dir = dirname(self);
    const char *shared = getenv("QKT_SHARED") ? getenv("QKT_SHARED") : "../shared";
    char qkt[PATH_MAX + 8], cmd[4 * PATH_MAX];
    snprintf(qkt, sizeof qkt, "%s/qkt", dir);
    snprintf(cmd, sizeof cmd, "command -v mpirun >/dev/null && %s --version | grep -q 'MPI yes'", qkt);
    if (system(cmd) != 0) {
        printf("# no mpirun, or %s built without MPI: no MPI numbers\n", qkt);
        return 0;
    }
    char tmpl[] = "/tmp/qkt_bench_mpi.XXXXXX";
    const char *tmp = mkdtemp(tmpl);
    if (!tmp) return 1;
    struct {
        const char *name, *ini;
    } jobs[2] = {{"fe_ahc_mesh25", "[model]\nname = wannier\nfile = %s/data/fe/Fe_tb.dat.gz\n[run]\nmu = 13.5463\n"
                                   "T = 0\n[numerics]\nmesh = 25\n[sigma]\norder = 0\n"},
                 {"weyl4_sigma1", "[model]\nname = weyl4\nb = 0 0 0.2\n[run]\nmu = 0.05\nT = 0.0025\nB = 0 0 1\n"
                                  "[numerics]\nreltol = 1e-3\nopen = x y\n[sigma]\norder = 1\n"}};
    printf("# one thread per rank (OMP_NUM_THREADS=1); wall time of the whole qkt process\n");
    int status = 0;
    for (int j = 0; j < 2; j++) {
        char ini[PATH_MAX], out[2][PATH_MAX];
        snprintf(ini, sizeof ini, "%s/%s.ini", tmp, jobs[j].name);
        FILE *f = fopen(ini, "w");
        if (!f) return 1;
        fprintf(f, jobs[j].ini, shared);
        fclose(f);
        double t[2];
        for (int np = 1; np <= 2; np++) {
            snprintf(out[np - 1], sizeof out[0], "%s/%s_np%d.json", tmp, jobs[j].name, np);
            snprintf(cmd, sizeof cmd,
                     "mpirun --allow-run-as-root --oversubscribe -np %d -x OMP_NUM_THREADS=1 %s sigma %s --json "
                     "--output %s >/dev/null 2>&1",
                     np, qkt, ini, out[np - 1]);
            t[np - 1] = timed(cmd);
        }
        char *a = results_of(out[0]), *b = results_of(out[1]);
        int same = a && b && !strcmp(a, b);
        free(a);
        free(b);
        if (t[0] < 0 || t[1] < 0) {
            printf("# %s: a run failed\n", jobs[j].name);
            status = 1;
            continue;
        }
        printf("RESULT mpi_%s np1_seconds %.2f s\n", jobs[j].name, t[0]);
        printf("RESULT mpi_%s np2_seconds %.2f s\n", jobs[j].name, t[1]);
        printf("RESULT mpi_%s speedup_np2 %.2f x\n", jobs[j].name, t[0] / t[1]);
        printf("RESULT mpi_%s same_digits %d 1\n", jobs[j].name, same);
        if (!same) status = 1;
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd) != 0) status = 1;
    return status;
}
