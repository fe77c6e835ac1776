/* bench_nodes.c - the Weyl-node search of real crystals (qkt_find_nodes_report,
 * src/bands/nodes.c) with every core, as `qkt info` runs it:
 *   - bcc Fe (../shared/data/fe, 18 bands) in the window mu +- 0.5 eV
 *     (mu = 13.5463 eV, fermi_energy of Fe.win) against the search of every
 *     band pair at every energy, search grid 24: time, pairs searched,
 *     nodes in the window, pairs whose chirality sum is not zero;
 *   - trigonal Te (../shared/data/te, 18 bands, with its wsvec) in the window
 *     6.124 +- 0.5 eV, grid 24 and 48.
 * Prints RESULT lines for bench/run.sh. */
#include <omp.h>
#include "bench_util.h"

#define MAXNODES 8192

static void one(const char *label, const qkt_model_t *m, double mu, double window, int grid)
{
    static qkt_node_t nd[MAXNODES];
    qkt_node_pair_t pr[64];
    qkt_node_opts_t o;
    qkt_node_opts_default(&o);
    o.grid = grid;
    o.tol = 1e-5; /* qkt info's automatic tolerance for Wannier models */
    if (window > 0) {
        o.emin = mu - window;
        o.emax = mu + window;
    }
    int n = 0, np = 0;
    double t0 = now();
    qkt_status_t s = qkt_find_nodes_report(m, &o, nd, MAXNODES, &n, pr, 64, &np);
    double t = now() - t0;
    if (s) {
        printf("# %s: %s\n", label, qkt_strerror());
        return;
    }
    int nsearched = 0, nfail = 0, nwin = 0, nunres = 0, nnode = 0;
    for (int i = 0; i < np && i < 64; i++) {
        if (!pr[i].searched) continue;
        nsearched++;
        nfail += pr[i].chirality_sum != 0;
        nwin += pr[i].nwindow;
        nunres += pr[i].unresolved;
        nnode += pr[i].nnode;
    }
    printf("%-28s grid %2d: %7.1f s, %2d pairs searched, %4d nodes (%3d in the window), %3d unresolved, "
           "%d pairs with a non-zero chirality sum\n",
           label, grid, t, nsearched, nnode, nwin, nunres, nfail);
    for (int i = 0; i < np && i < 64; i++)
        if (pr[i].searched)
            printf("    bands (%2d, %2d): touch in [%.3f, %.3f] eV, %3d nodes, %3d in the window, sum %+d, extended %d, "
                   "unresolved %d\n",
                   pr[i].band, pr[i].band + 1, pr[i].e_lo, pr[i].e_hi, pr[i].nnode, pr[i].nwindow, pr[i].chirality_sum,
                   pr[i].nextended, pr[i].unresolved);
    char c[64];
    snprintf(c, sizeof c, "%s_grid%d", label, grid);
    result(c, "seconds", t, "s");
    result(c, "pairs_searched", nsearched, "1");
    result(c, "nodes_in_window", nwin, "1");
    result(c, "pairs_nonzero_sum", nfail, "1");
    result(c, "unresolved", nunres, "1");
}

int main(void)
{
    int nt = omp_get_num_procs();
    omp_set_num_threads(nt);
    printf("node search, %d threads (qkt info's defaults: tol 1e-5, window mu +- 0.5 eV)\n", nt);
    qkt_model_t *fe = bench_load_wannier("fe/Fe_tb.dat.gz", NULL, 1);
    one("Fe_window", fe, 13.5463, 0.5, 24);
    one("Fe_all", fe, 13.5463, 0, 24);
    qkt_model_free(fe);
    qkt_model_t *te = bench_load_wannier("te/Te_tb.dat.gz", "te/Te_wsvec.dat.gz", 1);
    one("Te_window", te, 6.124, 0.5, 24);
    one("Te_window", te, 6.124, 0.5, 48);
    qkt_model_free(te);
    return 0;
}
