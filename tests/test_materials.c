/* test_materials.c - Wannier90 models of real materials against Wannier90 /
 * postw90 on the same files (../shared/data, REFERENCE.txt of each folder):
 *   - bcc Fe: intrinsic anomalous Hall conductivity on the 25^3 mesh with T = 0
 *     occupations (postw90 berry_task = ahc), and its 21-point Fermi-energy scan;
 *   - Si: the constant-tau Drude conductivity (tau = 10 fs, T = 300 K, two
 *     electrons per state) against BoltzWann on its 40^3 mesh, with and without
 *     the ws_distance shifts;
 *   - export round trip: lattice_weyl written as _tb.dat and read back gives
 *     the same conductivities at orders B^0 and B^1;
 *   - hot spots of mesh sums (qkt_response_t.hot_share): Fe's 25^3 AHC rests
 *     on a spike (> 3 % in one point), Si's 40^3 Drude tensor does not (< 1 %).
 * Units: the engine returns e^2/(hbar Angstrom) for these models; qkt_units()
 * converts (CODATA 2018, checked in test_units). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "engine_util.h"

/* ---- bcc Fe: anomalous Hall conductivity (REF fe) */
static void fe(void)
{
    const double S_cm = qkt_units()->sigma3_Sm / 100;
    qkt_model_t *m = shared_wannier("fe/Fe_tb.dat.gz", NULL, 1, 1);
    qkt_params_t p;
    qkt_params_default(&p);
    p.mu = 13.5463; /* fermi_energy of Fe.win */
    p.T = 0;        /* postw90: f = 1 below the Fermi energy */
    p.order = 0;
    p.nu_mask = 2;  /* E along y: sigma_xy */
    p.mesh[0] = p.mesh[1] = p.mesh[2] = 25;
    qkt_response_t r;
    double t0 = wall();
    qkt_status_t s = qkt_response_compute(m, &p, &r);
    CHECK_OK(s == QKT_OK, "Fe 25^3 mesh run (%s), %.1f s", s ? qkt_strerror() : "ok", wall() - t0);
    if (s) return;
    double ahc = S_cm * r.sigma0.v[0][1];
    /* REF fe NOTE 2: reading Fe_tb.dat and Hermitizing the position matrix is
     * postw90's transl_inv = true run, 405.4329 S/cm; within 0.1 % (issue 7) */
    CHECK_REL(ahc, 405.4329, 1e-3, "Fe sigma_xy [S/cm], 25^3, T = 0, Hermitized A^W (postw90 ahc25_ti: 405.4329)");
    /* and the default run (transl_inv = false) differs from it only by the
     * discretization of the band-diagonal A_nn, ~0.06 % (NOTE 2) */
    CHECK_REL(ahc, 405.1996, 1e-3, "Fe sigma_xy [S/cm] vs postw90 default run ahc25 (405.1996), within 0.1 %");
    CHECK_ABS(r.path0[0].v[0][1], 0, 1e-14, "Fe Drude part of sigma_xy at T = 0 (no Fermi surface term)");
    /* hot spots: this mesh is known not to converge (25^3, 30^3, 32^3, 36^3
     * give 405, 1808, 456, 483 S/cm): a spike of near-degenerate bands holds
     * 4 % of the result in one point, beyond the 1 % of the CLI's warning */
    CHECK_OK(r.hot_share[0] > 0.03 && r.hot_path[0] && !strcmp(r.hot_path[0], "intrinsic_SE"),
             "Fe 25^3 hot spot: one point carries %.3g of sigma^(0)'s largest component (path %s), > 0.03",
             r.hot_share[0], r.hot_path[0] ? r.hot_path[0] : "none");
    qkt_response_free(&r);

    /* the position matrix matters: the tight-binding curvature (A^W = 0) is
     * another number (399.695 S/cm on this mesh), which postw90 cannot produce */
    qkt_model_t *tb = shared_wannier("fe/Fe_tb.dat.gz", NULL, 0, 1);
    s = qkt_response_compute(tb, &p, &r);
    if (!s) {
        double a0 = S_cm * r.sigma0.v[0][1];
        CHECK_OK(fabs(a0 - 405.4329) > 1, "control: Fe sigma_xy without the position matrix = %.4f S/cm differs "
                                          "from the Wannier-interpolation value by more than 1 S/cm", a0);
        qkt_response_free(&r);
    }
    qkt_model_free(tb);

    /* Fermi-energy scan, one pass (REF fe: runs/ahc25_scan, transl_inv = false);
     * within 0.5 % wherever |sigma_xy| > 50 S/cm (issue 7) */
    FILE *f = fopen(shared_path("fe/runs/ahc25_scan/Fe-ahc-fermiscan.dat"), "r");
    CHECK_OK(f != NULL, "read Fe-ahc-fermiscan.dat");
    if (!f) return;
    double mus[64], ref[64], a, b;
    int n = 0;
    while (n < 64 && fscanf(f, "%lf %lf %lf %lf", &mus[n], &a, &b, &ref[n]) == 4) n++;
    fclose(f);
    CHECK_OK(n == 21, "21 Fermi energies in the scan file (got %d)", n);
    qkt_response_t rs[64];
    t0 = wall();
    s = qkt_response_scan(m, &p, n, mus, rs);
    CHECK_OK(s == QKT_OK, "Fe scan, %d chemical potentials in one pass over 25^3 (%s), %.1f s", n,
             s ? qkt_strerror() : "ok", wall() - t0);
    if (s) return;
    double worst = 0;
    int nbig = 0;
    for (int i = 0; i < n; i++) {
        double v = S_cm * rs[i].sigma0.v[0][1];
        printf("     E_F = %.4f eV: qkt %12.4f  postw90 %12.4f S/cm\n", mus[i], v, ref[i]);
        if (fabs(ref[i]) > 50) {
            nbig++;
            worst = fmax(worst, fabs(v / ref[i] - 1));
        }
        if (fabs(mus[i] - p.mu) < 1e-9)
            CHECK_ABS(v, ahc, 1e-9 * fabs(ahc), "scan value at 13.5463 eV equals the single run [S/cm]");
        qkt_response_free(&rs[i]);
    }
    CHECK_OK(nbig >= 15 && worst <= 5e-3,
             "Fe scan: largest relative difference to postw90 where |sigma_xy| > 50 S/cm: %.2e over %d energies "
             "(tolerance 5e-3)", worst, nbig);
    qkt_model_free(m);
}

/* ---- Si: BoltzWann Drude (REF si) */
static void si(const char *wsvec, const char *elcond, const char *what)
{
    const qkt_units_t *u = qkt_units();
    qkt_model_t *m = shared_wannier("si/Si_tb.dat", wsvec, 1, 2); /* num_elec_per_state = 2 */
    FILE *f = fopen(shared_path(elcond), "r");
    CHECK_OK(f != NULL, "read %s", elcond);
    if (!f) return;
    /* rows: mu T xx xy yy xz yz zz (S/m); the mu values of issue 7 */
    const double want_mu[5] = {5.0, 6.0, 7.0, 7.5, 8.0};
    double ref[5][9];
    int got = 0;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        double v[8];
        if (line[0] == '#' || sscanf(line, "%lf %lf %lf %lf %lf %lf %lf %lf", &v[0], &v[1], &v[2], &v[3], &v[4],
                                     &v[5], &v[6], &v[7]) != 8)
            continue;
        for (int i = 0; i < 5; i++)
            if (fabs(v[0] - want_mu[i]) < 1e-6) {
                double t[9] = {v[2], v[3], v[5], v[3], v[4], v[6], v[5], v[6], v[7]};
                memcpy(ref[i], t, sizeof t);
                got++;
            }
    }
    fclose(f);
    CHECK_OK(got == 5, "%s: 5 reference rows (got %d)", elcond, got);
    qkt_params_t p;
    qkt_params_default(&p);
    p.T = 300 * u->kB_eV;
    p.tau_intra = p.tau_inter = 10 / u->time_fs;
    p.order = 0;
    p.mesh[0] = p.mesh[1] = p.mesh[2] = 40;
    qkt_response_t rs[5];
    double t0 = wall();
    qkt_status_t s = qkt_response_scan(m, &p, 5, want_mu, rs);
    CHECK_OK(s == QKT_OK, "Si %s: 40^3 scan (%s), %.1f s", what, s ? qkt_strerror() : "ok", wall() - t0);
    if (s) return;
    for (int i = 0; i < 5; i++) {
        /* BoltzWann gives the symmetric (Drude) part: compare the n_E path; the
         * intrinsic part of this time-reversal-symmetric model is ~0 */
        double worst = 0;
        for (int c = 0; c < 9; c++) {
            double v = u->sigma3_Sm * rs[i].path0[0].v[c / 3][c % 3];
            worst = fmax(worst, fabs(v - ref[i][c]) / ref[i][0]);
        }
        printf("     mu = %.2f eV: sigma_xx qkt %.6e, BoltzWann %.6e S/m\n", want_mu[i],
               u->sigma3_Sm * rs[i].path0[0].v[0][0], ref[i][0]);
        /* BoltzWann takes band-diagonal velocities also at mesh points with
         * degenerate bands (REF si NOTE 3), which depend on LAPACK's choice
         * of eigenvectors; qkt takes traces over the degenerate subspace
         * (issue 16).  At 6.0 eV the valence bands' degenerate lines are in
         * the thermal shell: with the ws_distance shifts BoltzWann's tensor is
         * 883853 along xx and off-diagonal where cubic symmetry forbids it,
         * qkt's is isotropic (898415 S/m on xx, yy, zz, off-diagonal < 0.02):
         * 1.65e-2 apart, hence 2e-2 there */
        double tol = fabs(want_mu[i] - 6.0) < 1e-9 ? 2e-2 : 1e-2;
        CHECK_OK(worst <= tol, "Si %s, mu = %.2f eV: Drude tensor vs BoltzWann, max |diff|/sigma_xx = %.2e "
                               "(tolerance %.0e; BoltzWann bins energies to 1 meV)", what, want_mu[i], worst, tol);
        double in = u->sigma3_Sm * fabs(rs[i].path0[1].v[0][1]);
        CHECK_OK(in <= 1e-6 * ref[i][0], "Si %s, mu = %.2f eV: intrinsic Hall part %.2e S/m ~ 0 (time reversal)",
                 what, want_mu[i], in);
        qkt_response_free(&rs[i]);
    }
    qkt_model_free(m);
}

/* ---- hot-spot share of a smooth mesh sum (the control of fe()'s) */
static void si_hot(void)
{
    qkt_model_t *m = shared_wannier("si/Si_tb.dat", NULL, 1, 2);
    qkt_params_t p;
    qkt_params_default_for_model(m, &p); /* 300 K, 10 fs */
    p.mu = 7.2;
    p.order = 0;
    p.mesh[0] = p.mesh[1] = p.mesh[2] = 40;
    qkt_response_t r;
    qkt_status_t s = qkt_response_compute(m, &p, &r);
    CHECK_OK(s == QKT_OK, "Si 40^3 mesh run at 7.2 eV (%s)", s ? qkt_strerror() : "ok");
    if (!s) {
        /* the Drude tensor's thermal shell spreads over many points: each
         * carries 4.6e-3 of it at most, below the 1 % warning */
        CHECK_OK(r.hot_share[0] > 0 && r.hot_share[0] < 0.01,
                 "Si 40^3, 300 K: the largest one-point share of sigma^(0) %.3g (path %s) is below 0.01", r.hot_share[0],
                 r.hot_path[0] ? r.hot_path[0] : "none");
        qkt_response_free(&r);
    }
    qkt_model_free(m);
}

/* ---- export round trip: lattice_weyl -> _tb.dat -> wannier */
static void roundtrip(void)
{
    qkt_model_t *lw = model("lattice_weyl");
    if (qkt_model_setup(lw)) {
        printf("FAIL lattice_weyl set-up: %s\n", qkt_strerror());
        exit(1);
    }
    char dir[] = "/tmp/qkt_test_materials_XXXXXX", file[256];
    CHECK_OK(mkdtemp(dir) != NULL, "temporary folder");
    snprintf(file, sizeof file, "%s/lw_tb.dat", dir);
    qkt_status_t s = qkt_wannier_write(lw, file, 1);
    CHECK_OK(s == QKT_OK, "export lattice_weyl to %s (%s)", file, s ? qkt_strerror() : "ok");
    qkt_wannier_opts_t o;
    qkt_wannier_opts_default(&o);
    o.path = file;
    qkt_model_t *back = NULL;
    s = qkt_wannier_load(&o, &back);
    CHECK_OK(s == QKT_OK, "read it back (%s)", s ? qkt_strerror() : "ok");
    if (s) return;
    qkt_params_t p;
    qkt_params_default(&p);
    p.mu = 0.3;
    p.T = 0.1;
    p.order = 1;
    p.rule = QKT_RULE_RTA;
    p.al_mask = 4;
    p.mesh[0] = p.mesh[1] = p.mesh[2] = 12;
    p.fd_step = 1e-3;
    qkt_response_t r1, r2;
    s = qkt_response_compute(lw, &p, &r1);
    qkt_status_t s2 = qkt_response_compute(back, &p, &r2);
    CHECK_OK(!s && !s2, "lattice_weyl and its export, 12^3 mesh, order B^1 (%s)", s || s2 ? qkt_strerror() : "ok");
    if (!s && !s2) {
        double d0 = 0, d1 = 0, n0 = 0, n1 = 0;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                d0 = fmax(d0, fabs(r1.sigma0.v[i][j] - r2.sigma0.v[i][j]));
                n0 = fmax(n0, fabs(r1.sigma0.v[i][j]));
                d1 = fmax(d1, fabs(r1.sigma1[2].v[i][j] - r2.sigma1[2].v[i][j]));
                n1 = fmax(n1, fabs(r1.sigma1[2].v[i][j]));
            }
        /* the export reproduces H(k) to 1e-11 (1 + |H|) (docs/wannier.md) */
        CHECK_OK(n0 > 0 && d0 <= 1e-8 * n0, "round trip sigma0: max diff %.2e of max %.3e (tolerance 1e-8 relative)",
                 d0, n0);
        CHECK_OK(n1 > 0 && d1 <= 1e-6 * n1, "round trip sigma1 (B along z): max diff %.2e of max %.3e (tolerance "
                                           "1e-6 relative; finite differences of the tree amplify rounding)", d1, n1);
    }
    qkt_response_free(&r1);
    qkt_response_free(&r2);
    unlink(file);
    rmdir(dir);
    qkt_model_free(lw);
    qkt_model_free(back);
}

int main(void)
{
    fe();
    si(NULL, "si/Si_elcond.dat", "use_ws_distance = false");
    si("si/ws_distance_true/Si_wsvec.dat", "si/ws_distance_true/Si_elcond.dat", "use_ws_distance = true");
    roundtrip();
    si_hot();
    CHECK_DONE();
}
