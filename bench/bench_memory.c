/* bench_memory.c - peak memory of a run at each order, and whether it grows
 * with the number of k-points.
 *
 * bcc Fe (../shared/data/fe/Fe_tb.dat.gz, 18 bands with its position
 * matrix), mu = 13.5463 eV, T = 300 K, tau = 10 fs, rule rta, E along x, y,
 * z, B along z, on uniform meshes: orders B^0, B^1 and B^2, each on two
 * meshes 8x apart in the number of points (8^3 and 16^3).  Every case runs in
 * its own child process, which loads the model and computes (the parent
 * starts no threads, so the fork is safe for OpenMP), so cases do not hide
 * each other's peaks: the load's peak is the child's VmHWM after the load,
 * the computation's its VmHWM after the run, reset after the load
 * (/proc/self/clear_refs, 5; Linux >= 4.0; it lowers ru_maxrss too, so
 * bench/run.sh's process row, from wait4, does not show the load's peak).
 * The wall time excludes the load.  2 threads.
 * Prints RESULT lines for bench/run.sh and a table. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>
#include "bench_util.h"

/* reset the peak (VmHWM) to the current resident memory (Linux >= 4.0); 0 on success */
static int reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f) return -1;
    int ok = fputs("5", f) >= 0;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* one run in a child process: 0 on success; sec: its wall time, the peak
 * memory of the load (MB) and the peak of the computation alone (MB; NAN
 * where the peak cannot be reset) */
static int run_case(int order, int N, double sec[3])
{
    const qkt_units_t *u = qkt_units();
    int fd[2];
    if (pipe(fd)) return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        close(fd[0]);
        omp_set_num_threads(2);
        qkt_model_t *m = bench_load_wannier("fe/Fe_tb.dat.gz", NULL, 1);
        double tr[3] = {0, status_mb("VmHWM:"), NAN};
        int reset = reset_peak() == 0;
        qkt_params_t p;
        qkt_params_default(&p);
        p.mu = 13.5463;
        p.T = 300 * u->kB_eV;
        p.tau_intra = p.tau_inter = 10 / u->time_fs;
        p.rule = QKT_RULE_RTA;
        p.order = order;
        p.mesh[0] = p.mesh[1] = p.mesh[2] = N;
        qkt_response_t r;
        double t0 = now();
        int bad = qkt_response_compute(m, &p, &r) != QKT_OK;
        tr[0] = now() - t0;
        if (reset) tr[2] = status_mb("VmHWM:");
        if (bad) fprintf(stderr, "bench_memory: order %d mesh %d: %s\n", order, N, qkt_strerror());
        else qkt_response_free(&r);
        qkt_model_free(m);
        ssize_t w = write(fd[1], tr, sizeof tr);
        _exit(bad || w != (ssize_t)sizeof tr);
    }
    close(fd[1]);
    int status = 0;
    if (waitpid(pid, &status, 0) < 0 || read(fd[0], sec, 3 * sizeof *sec) != (ssize_t)(3 * sizeof *sec)) {
        close(fd[0]);
        return -1;
    }
    close(fd[0]);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(void)
{
    const int meshes[2] = {8, 16};
    int status = 0;
    printf("bcc Fe, 300 K, tau 10 fs, rule rta, B along z; each case in its own process, 2 threads\n\n");
    printf("%6s %8s %10s %14s %16s\n", "order", "mesh", "wall s", "load peak MB", "compute peak MB");
    for (int order = 0; order <= 2; order++) {
        double peak[2] = {0, 0}; /* the computation's peaks */
        for (int im = 0; im < 2; im++) {
            double sec[3] = {0, 0, 0};
            if (run_case(order, meshes[im], sec)) {
                printf("# order %d mesh %d failed\n", order, meshes[im]);
                status = 1;
                continue;
            }
            peak[im] = sec[2];
            printf("%6d %6d^3 %10.1f %14.1f %16.1f\n", order, meshes[im], sec[0], sec[1], sec[2]);
            char c[64];
            snprintf(c, sizeof c, "fe_order%d_mesh%d", order, meshes[im]);
            result(c, "seconds", sec[0], "s");
            result(c, "load_peak_rss", sec[1], "MB");
            result(c, "compute_peak_rss", sec[2], "MB");
        }
        if (peak[0] > 0 && peak[1] > 0) {
            char c[64];
            snprintf(c, sizeof c, "fe_order%d", order);
            result(c, "peak_ratio_16_over_8", peak[1] / peak[0], "x");
        }
    }
    printf("\n(load peak: the child's VmHWM after loading the model (gzip and text buffers included);\n"
           " compute peak: its VmHWM after the run, reset after the load through /proc/self/clear_refs;\n"
           " peak_ratio_16_over_8: compute peak of the 16^3 run over the 8^3 run's, 8x the points)\n");
    return status;
}
