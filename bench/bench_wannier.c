/* bench_wannier.c - Wannier90 models of real materials against postw90 on
 * the same files and meshes (../shared/data, REFERENCE.txt):
 *   - bcc Fe anomalous Hall conductivity on the 25^3 and 50^3 meshes, T = 0
 *     (postw90 berry_task = ahc: 41.2 s and 342.2 s of one core),
 *   - Si BoltzWann Drude conductivity on the 40^3 mesh at 5 chemical
 *     potentials (postw90 21.1 s of one core; qkt: one pass for all mu).
 * The meshes are identical, so the numbers agree with postw90's to the
 * precision of the files (test_materials); the times compare like with like.
 * Runs with one thread and with every core.  Prints RESULT lines for
 * bench/run.sh. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include "qkt.h"

static char path_[1024];
static const char *dpath(const char *rel)
{
    const char *s = getenv("QKT_SHARED");
    snprintf(path_, sizeof path_, "%s/data/%s", s ? s : "../shared", rel);
    return path_;
}

static qkt_model_t *load(const char *rel, double spin)
{
    qkt_wannier_opts_t o;
    qkt_wannier_opts_default(&o);
    o.path = dpath(rel);
    o.spin_degeneracy = spin;
    qkt_model_t *m = NULL;
    if (qkt_wannier_load(&o, &m)) {
        printf("# load %s failed: %s\n", rel, qkt_strerror());
        exit(1);
    }
    return m;
}

int main(void)
{
    const qkt_units_t *u = qkt_units();
    int ncore = omp_get_num_procs();
    qkt_model_t *fe = load("fe/Fe_tb.dat.gz", 1), *si = load("si/Si_tb.dat", 2);
    const int threads[2] = {1, ncore};
    for (int it = 0; it < 2; it++) {
        int nt = threads[it];
        omp_set_num_threads(nt);
        const int meshes[2] = {25, 50};
        for (int im = 0; im < 2; im++) {
            qkt_params_t p;
            qkt_params_default(&p);
            p.mu = 13.5463;
            p.T = 0;
            p.order = 0;
            p.nu_mask = 2;
            p.mesh[0] = p.mesh[1] = p.mesh[2] = meshes[im];
            qkt_response_t r;
            if (qkt_response_compute(fe, &p, &r)) {
                printf("# Fe run failed: %s\n", qkt_strerror());
                continue;
            }
            double v = u->sigma3_Sm / 100 * r.sigma0.v[0][1];
            printf("RESULT fe_ahc_%d_%dthread sigma_xy %.4f S/cm\n", meshes[im], nt, v);
            printf("RESULT fe_ahc_%d_%dthread seconds %.3f s\n", meshes[im], nt, r.seconds);
            printf("RESULT fe_ahc_%d_%dthread postw90_ratio %.4f 1\n", meshes[im], nt,
                   r.seconds / (im == 0 ? 41.2 : 342.2));
            qkt_response_free(&r);
        }
        qkt_params_t p;
        qkt_params_default(&p);
        p.T = 300 * u->kB_eV;
        p.tau_intra = p.tau_inter = 10 / u->time_fs;
        p.order = 0;
        p.mesh[0] = p.mesh[1] = p.mesh[2] = 40;
        const double mus[5] = {5.0, 6.0, 7.0, 7.5, 8.0};
        qkt_response_t rs[5];
        if (qkt_response_scan(si, &p, 5, mus, rs) == QKT_OK) {
            printf("RESULT si_drude_40_%dthread sigma_xx_8eV %.6e S/m\n", nt, u->sigma3_Sm * rs[4].sigma0.v[0][0]);
            printf("RESULT si_drude_40_%dthread seconds %.3f s\n", nt, rs[0].seconds);
            printf("RESULT si_drude_40_%dthread postw90_ratio %.4f 1\n", nt, rs[0].seconds / 21.1);
            for (int i = 0; i < 5; i++) qkt_response_free(&rs[i]);
        } else
            printf("# Si scan failed: %s\n", qkt_strerror());
    }
    printf("# postw90 (serial, one core, REFERENCE.txt): Fe ahc 25^3 41.2 s, 50^3 342.2 s; Si BoltzWann 40^3 21.1 s\n");
    qkt_model_free(fe);
    qkt_model_free(si);
    return 0;
}
