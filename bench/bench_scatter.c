/* bench_scatter.c - Born scattering times on the Fermi pockets
 * (qkt_scatter_compute, src/disorder/scatter.c) with every core, as
 * `qkt scatter` runs them:
 *   - weyl2 at the Fig. 3 point (b = 0.2, mu = 0.1, T = 0.005), n_imp U0^2 =
 *     0.3, short-range (xi = 0) and smooth (xi = 5) disorder, the defaults
 *     (24 map cells, 8 samples per cell edge);
 *   - bcc Fe (../shared/data/fe, 18 bands, mu = 13.5463 eV, 300 K), short-range
 *     n_imp U0^2 = 1 eV^2 A^3, 4 samples per cell edge.
 * Time, samples, groups, the first pocket's times and their relative errors.
 * Prints RESULT lines for bench/run.sh (peak memory: the process row). */
#include <omp.h>
#include "bench_util.h"

static void one(const char *label, const qkt_model_t *m, double mu, double T, double W, double xi, int refine)
{
    qkt_params_t p;
    qkt_params_default_for_model(m, &p);
    p.mu = mu;
    p.T = T;
    qkt_disorder_t d = {W, xi, refine};
    qkt_scatter_t *s = malloc(sizeof *s);
    if (!s) return;
    double t0 = now();
    qkt_status_t st = qkt_scatter_compute(m, &p, &d, s);
    double t = now() - t0;
    if (st || s->npocket < 1) {
        printf("# %s: %s (%d pockets)\n", label, st ? qkt_strerror() : "no pocket", s->npocket);
        free(s);
        return;
    }
    printf("%-22s %6.1f s, %d pockets, %ld samples, %d groups; pocket 1: tau %.5g +- %.2g, tau_tr %.5g +- %.2g, "
           "slowest population time %.5g\n",
           label, t, s->npocket, s->nsamples, s->ngroups, s->tau[0], s->tau_err[0], s->tau_tr[0], s->tau_tr_err[0],
           s->npocket > 1 ? s->valley_time[1] : INFINITY);
    result(label, "seconds", t, "s");
    result(label, "samples", (double)s->nsamples, "1");
    result(label, "groups", s->ngroups, "1");
    result(label, "tau_rel_err", s->tau_err[0] / s->tau[0], "1");
    result(label, "tau_tr_rel_err", s->tau_tr_err[0] / s->tau_tr[0], "1");
    free(s);
}

int main(void)
{
    int nt = omp_get_num_procs();
    omp_set_num_threads(nt);
    printf("Born scattering times (qkt scatter), %d threads\n", nt);
    qkt_model_t *w = qkt_model_alloc("weyl2");
    double b = 0.2;
    if (!w || qkt_model_set(w, "b", &b, 1) || qkt_model_setup(w)) {
        printf("# weyl2: %s\n", qkt_strerror());
        return 1;
    }
    one("weyl2_xi0", w, 0.1, 0.005, 0.3, 0, 0);
    one("weyl2_xi5", w, 0.1, 0.005, 0.3, 5, 0);
    qkt_model_free(w);
    qkt_model_t *fe = bench_load_wannier("fe/Fe_tb.dat.gz", NULL, 1);
    one("Fe_300K_refine4", fe, 13.5463, 300 * qkt_units()->kB_eV, 1, 0, 4);
    qkt_model_free(fe);
    return 0;
}
