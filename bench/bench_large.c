/* bench_large.c - a Wannier model of several hundred bands: load time, memory
 * and the order-B^0 conductivity on uniform meshes.
 *
 * The model is the synthetic one of bench_util.h with its position matrix
 * (500 orbitals by default, 27 lattice vectors, a cubic cell of 15 A), written
 * as a gzip-compressed _tb.dat to /tmp by a child process, so that the
 * generator's arrays do not count in this process's peak memory.  This
 * process loads it (qkt_wannier_load: time and resident memory after the
 * load), times one bare zheevd of its H(k), then computes sigma^(0) (E along
 * x, y, z; mu = 0, T = 300 K, tau = 10 fs; every path) on the meshes N^3 of
 * QKT_BENCH_LARGE_MESHES (default "4 20") with 2 threads, smallest first.
 * After each mesh it records the wall time, the time per k-point and thread
 * over the zheevd, and the peak resident memory so far (getrusage ru_maxrss,
 * which never decreases: equal peaks after 4^3 and 20^3 mean that the memory
 * does not grow with the number of k-points).  (bench/run.sh's "process
 * peak_rss" row is wait4's, which includes the generator child: at 500
 * bands about 430 MB of arrays, below this process's own peak.)
 *
 * The 20^3 mesh takes about half an hour on 2 cores, so bench/run.sh runs
 * this program only with QKT_BENCH_LONG=1 and otherwise keeps its rows from
 * the previous RESULTS.md.  QKT_BENCH_LARGE_NB sets the number of orbitals.
 * Prints RESULT lines for bench/run.sh and a readable summary. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench_util.h"

/* peak resident memory of this process so far, MB */
static double peak_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

/* the synthetic _tb.dat.gz written by a child process; 0 on success */
static int write_model(const char *path, int nw)
{
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) _exit(write_synthetic_tb(path, nw, 15.0) ? 1 : 0);
    int status = 0;
    if (waitpid(pid, &status, 0) < 0) return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(void)
{
    const qkt_units_t *u = qkt_units();
    const char *env = getenv("QKT_BENCH_LARGE_NB");
    int nw = env ? atoi(env) : 500;
    if (nw < 2 || nw > 4000) nw = 500;
    char path[256], label[32];
    snprintf(path, sizeof path, "/tmp/qkt_bench_large_%ld_tb.dat.gz", (long)getpid());
    snprintf(label, sizeof label, "synthetic%d", nw);

    double t0 = now();
    if (write_model(path, nw)) {
        printf("# writing the %d-band model to %s failed\n", nw, path);
        remove(path);
        return 1;
    }
    double twrite = now() - t0;
    qkt_wannier_opts_t o;
    qkt_wannier_opts_default(&o);
    o.path = path;
    qkt_model_t *m = NULL;
    double rss0 = status_mb("VmRSS:");
    t0 = now();
    int bad = qkt_wannier_load(&o, &m) != QKT_OK;
    double tload = now() - t0;
    remove(path);
    if (bad) {
        printf("# loading the %d-band model failed: %s\n", nw, qkt_strerror());
        return 1;
    }
    double rss_load = status_mb("VmRSS:");
    printf("%s: %d bands, 27 lattice vectors, position matrix; _tb.dat.gz written in %.1f s (child process)\n", label,
           nw, twrite);
    printf("load: %.1f s, resident memory %.0f MB before and %.0f MB after\n", tload, rss0, rss_load);
    result(label, "load_s", tload, "s");
    result(label, "rss_after_load", rss_load, "MB");

    /* one bare zheevd at two points of the zone */
    double k2[2][3] = {{0.1, 0.2, 0.3}, {0.31, -0.17, 0.05}};
    size_t n2 = (size_t)nw * nw;
    double complex *Hs = malloc(sizeof(double complex) * 2 * n2);
    int fail = !Hs;
    for (int i = 0; i < 2 && !fail; i++) fail |= qkt_model_hk(m, k2[i], 0, Hs + i * n2) != QKT_OK;
    double tz = fail ? NAN : time_zheevd(nw, 2, Hs, 1.0, &fail);
    free(Hs);
    printf("one zheevd of %d x %d: %.1f ms\n", nw, nw, 1e3 * tz);
    result(label, "zheevd_ms", 1e3 * tz, "ms");

    const char *meshes = getenv("QKT_BENCH_LARGE_MESHES") ? getenv("QKT_BENCH_LARGE_MESHES") : "4 20";
    const int nt = 2;
    omp_set_num_threads(nt);
    printf("\n%6s %10s %12s %16s %14s %12s\n", "mesh", "points", "wall s", "s per point", "/zheevd", "peak MB");
    int status = fail;
    for (const char *s = meshes; *s;) {
        char *end;
        long N = strtol(s, &end, 10);
        if (end == s) break;
        s = end;
        if (N < 1 || N > 200) continue;
        qkt_params_t p;
        qkt_params_default(&p);
        p.mu = 0;
        p.T = 300 * u->kB_eV;
        p.tau_intra = p.tau_inter = 10 / u->time_fs;
        p.order = 0;
        p.mesh[0] = p.mesh[1] = p.mesh[2] = (int)N;
        qkt_response_t r;
        t0 = now();
        if (qkt_response_compute(m, &p, &r)) {
            printf("# mesh %ld failed: %s\n", N, qkt_strerror());
            status = 1;
            continue;
        }
        double t = now() - t0, per = t * nt / (double)r.neval, pk = peak_mb();
        printf("%4ld^3 %10zu %12.1f %16.4f %14.2f %12.0f   sigma_xx %.6g S/cm\n", N, r.neval, t, per, per / tz, pk,
               u->sigma3_Sm / 100 * r.sigma0.v[0][0]);
        char c[64];
        snprintf(c, sizeof c, "%s_order0_mesh%ld", label, N);
        result(c, "seconds", t, "s");
        result(c, "points", (double)r.neval, "k");
        result(c, "s_per_point_thread", per, "s");
        result(c, "over_zheevd", per / tz, "x");
        result(c, "peak_rss", pk, "MB");
        qkt_response_free(&r);
    }
    printf("\n(2 threads; 'per point' is wall time x threads / points; peak is ru_maxrss so far)\n");
    qkt_model_free(m);
    return status;
}
