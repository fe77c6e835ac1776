/* test_mesh_estimate.c - the displaced-mesh error estimate of uniform-mesh
 * sums (numerics.mesh_estimate; qkt_integrate_mesh_shifts in
 * src/integrate/mesh.c):
 *   (a) construction: on integrands made of single aliasing modes
 *       cos(2 pi N G.x) (integral 0, sum 1 on the Gamma mesh), copy s
 *       displaced by u_s in {0, 1/2}^3 steps sums (-1)^(2 G.u_s), so the
 *       estimate is 2 for a mode with some odd G_a seen by the copies used
 *       and 0 for a mode they all miss: G = (1, 1, 0) is missed by the body
 *       copy alone (n = 1) and seen with n = 3; G = (2, 0, 0) is missed by
 *       all seven (the aliasing of the mesh 2N, documented); the value is
 *       the plain mesh sum bit for bit;
 *   (b) the estimate holds at every order: tilted lattice_weyl at T = 0.1,
 *       meshes 8, 12, 16 with 3 copies, against a 40^3 run: for every path
 *       of sigma^(0), sigma^(1), sigma^(2) above 1e-3 of its order's largest,
 *       the largest deviation from the dense run is within the largest
 *       estimate plus the dense run's own (times 1.25: where the mesh is the
 *       outlier the estimate is the error itself); order 0's estimate falls
 *       with N;
 *   (c) a real material at 300 K, where the meshes do not resolve the
 *       thermal shell: Si's Drude tensor at mu = 7.5 eV on 24^3 against
 *       64^3, within both estimates (the coverage study of docs/wannier.md);
 *       the hot-spot shares are the mesh's own, with or without copies;
 *   (d) pairing k <-> -k: Fe's B-only current (no position matrix, 3000 K,
 *       16^3) obeys Bloch's theorem within 3 estimates and 1e-2 |j_S|, and the estimate of
 *       j_S is below |j_S| (displacements by other fractions of a step, which
 *       break the pairing, gave estimates 1e5 times |j_S| at 24^3);
 *   (e) 1 and 2 threads give the same digits and estimates; a time limit
 *       reached after the first mesh skips the copies (timed_out = copies,
 *       each path's error = |value|, not converged); a chemical-potential scan gives the
 *       estimates of single runs;
 *   (f) bad input: refused with the key named. */
#include <omp.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "qkt.h"
#include "integrate/integrate.h"
#include "engine_util.h"

/* ---- (a) single aliasing modes */
typedef struct {
    const qkt_model_t *m;
    int G[3], N;
} alias_mode_t;

static void *mode_alloc(const void *ctx) { return (void *)ctx; }
static void mode_free(void *ws) { (void)ws; }
static long mode_none(const void *ws)
{
    (void)ws;
    return 0;
}

/* f(k) = cos(2 pi N G.x), x the reduced coordinates of k, times the cell
 * volume (so that the mesh sum is the plain average) */
static qkt_status_t mode_eval(void *ws, const double k[3], double *out)
{
    const alias_mode_t *c = ws;
    double ph = 0;
    for (int a = 0; a < 3; a++) {
        double x = 0;
        for (int i = 0; i < 3; i++) x += k[i] * c->m->avec[a][i];
        ph += c->N * c->G[a] * x; /* x already carries 2 pi */
    }
    out[0] = cos(ph) * c->m->cell_volume;
    return QKT_OK;
}

static void modes(const qkt_model_t *m)
{
    const int N = 6, mesh[3] = {6, 6, 6};
    const struct {
        int G[3], n;
        double want;
        const char *why;
    } cases[] = {
        {{1, 0, 0}, 1, 2, "G = (1,0,0), body copy: seen"},
        {{1, 1, 0}, 1, 0, "G = (1,1,0), body copy alone: missed (2 G.u even)"},
        {{1, 1, 0}, 3, 2, "G = (1,1,0), three copies: seen by (1/2,0,0)"},
        {{0, 1, 1}, 3, 2, "G = (0,1,1), three copies: seen by (0,1/2,0)"},
        {{1, 1, 1}, 1, 2, "G = (1,1,1), body copy: seen"},
        {{2, 0, 0}, 7, 0, "G = (2,0,0), all seven copies: missed (aliasing of the mesh 2N)"},
    };
    static const int group[1] = {0};
    static const unsigned char fam[1] = {0}, loose[1] = {0}, drive[1] = {1};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        alias_mode_t ctx = {m, {cases[c].G[0], cases[c].G[1], cases[c].G[2]}, N};
        qkt_integrand_t f = {1, 1, group, fam, loose, drive, mode_alloc, mode_free, mode_eval, NULL, mode_none, NULL,
                             &ctx, NULL};
        qkt_intopts_t o;
        memset(&o, 0, sizeof o);
        double v0 = 0, v = 0, e = 0;
        qkt_intstats_t st;
        memset(&st, 0, sizeof st);
        qkt_status_t s = qkt_integrate_mesh(m, &f, mesh, 0, NULL, &o, &v0, NULL);
        if (!s) s = qkt_integrate_mesh_shifts(m, &f, mesh, 0, NULL, cases[c].n, &o, &v, &e, &st);
        CHECK(s == QKT_OK, "mode sum failed: %s", qkt_strerror());
        if (s) continue;
        CHECK_ABS(v, 1, 1e-12, WHAT("%s: Gamma-mesh sum (the mode is 1 on every point)", cases[c].why));
        CHECK_OK(v == v0, "%s: the value is the plain mesh sum bit for bit (%.17g vs %.17g)", cases[c].why, v, v0);
        CHECK_ABS(e, cases[c].want, 1e-12, WHAT("%s: estimate (n = %d)", cases[c].why, cases[c].n));
        CHECK_OK(st.neval == (size_t)(cases[c].n + 1) * N * N * N, "%s: %zu evaluations = (n + 1) N^3", cases[c].why,
                 st.neval);
    }
}

/* largest |v| and largest error of a tensor */
static void tmax(const qkt_tensor_t *t, double *v, double *e)
{
    *v = *e = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            *v = fmax(*v, fabs(t->v[i][j]));
            *e = fmax(*e, t->e[i][j]);
        }
}

/* largest |a - b| of two tensors */
static double tdiff(const qkt_tensor_t *a, const qkt_tensor_t *b)
{
    double d = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) d = fmax(d, fabs(a->v[i][j] - b->v[i][j]));
    return d;
}

/* path tensors of order o (B along z: alpha index 0 of the one field
 * component asked for; order 2: (0, 0)) */
static const qkt_tensor_t *path_t(const qkt_response_t *r, int o, int t)
{
    return o == 0 ? &r->path0[t] : o == 1 ? &r->path1[t][2] : &r->path2[t][2][2];
}

static int npath(const qkt_response_t *r, int o) { return o == 0 ? r->npath0 : o == 1 ? r->npath1 : r->npath2; }

static const char *pname(const qkt_response_t *r, int o, int t)
{
    return o == 0 ? r->path0_name[t] : o == 1 ? r->path1_name[t] : r->path2_name[t];
}

/* ---- (b) lattice_weyl, every order.  The tilted nodes lie at energies
 * -+0.15, within the thermal window (mu = 0.3, T = 0.1), where the order-1
 * and order-2 Fermi-sea integrands grow as powers of 1/|k - k_node|: a mesh
 * (or a copy) that passes close to a node gives a large sum and a large
 * estimate (12^3 and its copies come within 0.03 of kz = 0.5), so the
 * estimates of those orders are not monotonic in N; order 0 is. */
/* the tilted lattice_weyl of (b) and (e) */
static qkt_model_t *tilted(void)
{
    qkt_model_t *m = model("lattice_weyl");
    set3(m, "tilt", 0.1, 0.05, 0.3);
    setup(m);
    return m;
}

/* p on an N^3 mesh with n displaced copies */
static qkt_params_t on_mesh(qkt_params_t p, int N, int n)
{
    p.mesh[0] = p.mesh[1] = p.mesh[2] = N;
    p.mesh_estimate = n;
    return p;
}

/* its parameters: mu = 0.3, T = 0.1, rule rta, B along z, an N^3 mesh with n copies */
static qkt_params_t tilted_mesh(int order, int N, int n)
{
    qkt_params_t p = params_at(0.3, 0.1, order);
    p.rule = QKT_RULE_RTA;
    p.al_mask = 4;
    return on_mesh(p, N, n);
}

static void smooth(void)
{
    qkt_model_t *m = tilted();
    qkt_params_t p = tilted_mesh(2, 40, 1);
    p.tau_intra = 10;
    p.tau_inter = 100;
    qkt_response_t *ref = run_w(40, "lattice_weyl 40^3, 1 copy", m, &p);
    const int Ns[3] = {8, 12, 16};
    double last = INFINITY;
    for (int in = 0; in < 3 && ref; in++) {
        p = on_mesh(p, Ns[in], 3);
        qkt_response_t *r = run_w(40, WHAT("lattice_weyl %d^3, 3 copies", Ns[in]), m, &p);
        if (!r) continue;
        for (int o = 0; o <= 2; o++) {
            /* the paths that matter: at least 1e-3 of the order's largest in the reference */
            double big = 0, worst = 0, emax = 0;
            const char *wname = "";
            for (int t = 0; t < npath(ref, o); t++) {
                double vr, er;
                tmax(path_t(ref, o, t), &vr, &er);
                big = fmax(big, vr);
            }
            int nchk = 0;
            for (int t = 0; t < npath(r, o); t++) {
                double v, e, vr, er;
                tmax(path_t(r, o, t), &v, &e);
                tmax(path_t(ref, o, t), &vr, &er);
                emax = fmax(emax, e);
                if (!(vr >= 1e-3 * big)) continue;
                nchk++;
                double q = tdiff(path_t(r, o, t), path_t(ref, o, t)) / (e + er);
                if (q > worst) worst = q, wname = pname(r, o, t);
            }
            printf("     %d^3 order %d: %d paths, worst |v - v_40| / (estimate + its own) = %.3f (%s); largest "
                   "estimate / largest reference value %.2e\n",
                   Ns[in], o, nchk, worst, wname, emax / big);
            /* the ratio sits at 1 when the mesh itself is the outlier (it holds
             * the line kx = ky = 0 through both nodes, which no copy displaced
             * along x or y samples) and a copy is nearly exact: the estimate is
             * then the error itself, and the reference's own estimate is an
             * estimate too; measured worst 1.02, allowed 1.25 */
            CHECK_OK(nchk > 0 && worst <= 1.25, "lattice_weyl %d^3 order %d: every path's largest deviation from 40^3 "
                                                "within 1.25 times the largest estimates (worst ratio %.3f, %s)",
                     Ns[in], o, worst, wname);
            if (o == 0) {
                CHECK_OK(emax / big < last, "lattice_weyl order 0: the relative estimate falls with the mesh (%d^3: "
                                            "%.2e, before %.2e)",
                         Ns[in], emax / big, last);
                last = emax / big;
            }
        }
        release(r);
    }
    release(ref);
    qkt_model_free(m);
}

/* the Wannier defaults of m at mu (eV), order 0, on an N^3 mesh with n copies */
static qkt_params_t wannier_mesh(const qkt_model_t *m, double mu, int N, int n)
{
    qkt_params_t p;
    qkt_params_default_for_model(m, &p);
    p.mu = mu;
    p.order = 0;
    return on_mesh(p, N, n);
}

/* ---- (c) Si at 300 K */
static void si(void)
{
    qkt_model_t *m = shared_wannier("si/Si_tb.dat", NULL, 1, 2);
    qkt_params_t p = wannier_mesh(m, 7.5, 64, 1);
    p.mesh_estimate = 1;
    qkt_response_t *ref = run_w(40, "Si 64^3, 1 copy", m, &p);
    p = wannier_mesh(m, 7.5, 24, 3);
    qkt_response_t *r = run_w(40, "Si 24^3, 3 copies", m, &p);
    if (r && ref) {
        double v, e, vr, er;
        tmax(&r->sigma0, &v, &e);
        tmax(&ref->sigma0, &vr, &er);
        double d = tdiff(&r->sigma0, &ref->sigma0);
        printf("     Si sigma0: 24^3 max |v| %.6e, estimate %.3e; 64^3 %.6e +- %.3e; largest deviation %.3e\n", v, e, vr,
               er, d);
        CHECK_OK(d <= e + er, "Si Drude at 300 K: 24^3 within the estimates of 64^3 (deviation %.3e <= %.3e + %.3e)",
                 d, e, er);
        CHECK_OK(e > 0.05 * v, "Si 24^3: the estimate says the mesh is coarse (%.2e of the largest component; the "
                               "24^3 sum of sigma_xx is 26 %% below 128^3's, 3.01e6 against 4.08e6 S/m)",
                 e / v);
        CHECK_OK(!r->converged, "Si 24^3 at reltol 1e-3 is not converged by its estimate");
    }
    release(r);
    release(ref);
    /* the hot spots are the mesh's own (the copies' points are not in the
     * printed sum): order 1 on 8^3, with and without copies */
    p = wannier_mesh(m, 7.5, 8, 0);
    p.order = 1;
    p.al_mask = 4;
    qkt_response_t *h0 = run_w(40, "Si 8^3 order 1, no copies", m, &p);
    p.mesh_estimate = 7;
    qkt_response_t *h7 = run_w(40, "Si 8^3 order 1, 7 copies", m, &p);
    if (h0 && h7)
        CHECK_OK(h0->hot_share[0] == h7->hot_share[0] && h0->hot_share[1] == h7->hot_share[1] && h0->hot_share[1] > 0,
                 "Si 8^3: hot-spot shares of orders 0, 1 the same with 7 copies (%.4g, %.4g) as without (%.4g, %.4g)",
                 h7->hot_share[0], h7->hot_share[1], h0->hot_share[0], h0->hot_share[1]);
    release(h0);
    release(h7);
    qkt_model_free(m);
}

/* ---- (d) Fe: Bloch's theorem with an error bar */
static void fe_bloch(void)
{
    qkt_model_t *m = shared_wannier("fe/Fe_tb.dat.gz", NULL, 0, 1);
    qkt_params_t p = wannier_mesh(m, 13.5463, 16, 3);
    p.T = 3000 * qkt_units()->kB_eV;
    p.bonly = 1;
    p.nu_mask = 0;
    p.al_mask = 4;
    p.expansion = QKT_EXPANSION_EQUILIBRIUM;
    qkt_response_t *r = run_w(40, "Fe B-only 16^3, 3 copies", m, &p);
    if (r) {
        const double B[3] = {0, 0, 1};
        qkt_cme_t c;
        qkt_response_cme(r, B, &c);
        double jn = 0, en = 0, sn = 0, se = 0;
        for (int a = 0; a < 3; a++) {
            jn = fmax(jn, fabs(c.j_eq[a]));
            en = fmax(en, c.j_eq_err[a]);
            sn = fmax(sn, fabs(c.S_eq[a]));
            se = fmax(se, c.S_eq_err[a]);
        }
        printf("     Fe: |j_eq| %.3e +- %.3e, |j_S| %.3e +- %.3e (engine units)\n", jn, en, sn, se);
        /* j_eq's estimate adds those of its parts (qkt_response_cme), so it
         * is about |j_S| here; the cancellation itself is checked against
         * |j_S| (1e-3 measured on this mesh) */
        CHECK_OK(jn <= 3 * en && en > 0 && jn < 1e-2 * sn,
                 "Fe (no position matrix): equilibrium current %.3e within 3 estimates %.3e and below 1e-2 |j_S|", jn,
                 en);
        CHECK_OK(se < sn, "Fe: j_S's estimate %.3e below |j_S| %.3e (the copies keep k <-> -k; displacements by "
                          "other fractions gave 1e5 |j_S|)", se, sn);
    }
    release(r);
    qkt_model_free(m);
}

/* ---- (e) threads, time limit, scan */
static void runs(void)
{
    qkt_model_t *m = tilted();
    qkt_params_t p = tilted_mesh(1, 10, 2);
    qkt_response_t *r[2];
    for (int t = 0; t < 2; t++) {
        omp_set_num_threads(t + 1);
        r[t] = run_w(40, WHAT("lattice_weyl 10^3, %d thread(s)", t + 1), m, &p);
    }
    omp_set_num_threads(2);
    if (r[0] && r[1]) {
        int same = r[0]->neval == r[1]->neval;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                same &= r[0]->sigma1[2].v[i][j] == r[1]->sigma1[2].v[i][j] &&
                        r[0]->sigma1[2].e[i][j] == r[1]->sigma1[2].e[i][j];
        CHECK_OK(same && r[0]->neval == 3000, "sigma^(1) and its estimate bit for bit equal for 1 and 2 threads (%zu "
                                              "evaluations)", r[0]->neval);
    }
    /* the time limit: reached during the first mesh, so no copy is summed */
    p.time_limit = 1e-9;
    qkt_response_t *tl = run_w(40, "lattice_weyl 10^3, time limit 1e-9 s", m, &p);
    if (tl && r[0]) {
        int ok = tl->timed_out == 2 && !tl->converged && tl->neval == 1000;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                ok &= tl->sigma1[2].v[i][j] == r[0]->sigma1[2].v[i][j] &&
                      tl->sigma1[2].e[i][j] >= fabs(tl->sigma1[2].v[i][j]); /* sum of |path| >= |total| */
        CHECK_OK(ok, "time limit: the mesh's value with error >= |value| (each path's is its |value|), both copies skipped (timed_out %d), not "
                     "converged (%d; xy %.6e +- %.6e, sys_rel %.2e)",
                 tl->timed_out, tl->converged, tl->sigma1[2].v[0][1], tl->sigma1[2].e[0][1], tl->sys_rel);
    }
    release(tl);
    release(r[0]);
    release(r[1]);
    /* a scan at two mu gives each mu the estimate of its own run */
    p = on_mesh(params_at(0.3, 0.1, 0), 10, 3);
    const double mus[2] = {0.2, 0.3};
    qkt_response_t sc[2];
    qkt_status_t s = qkt_response_scan(m, &p, 2, mus, sc);
    CHECK(s == QKT_OK, "scan failed: %s", qkt_strerror());
    if (!s) {
        for (int i = 0; i < 2; i++) {
            p.mu = mus[i];
            qkt_response_t *one = run_w(40, WHAT("lattice_weyl 10^3 order 0, mu = %g", mus[i]), m, &p);
            if (!one) continue;
            double d = 0, e = 0;
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) {
                    d = fmax(d, fabs(sc[i].sigma0.e[a][b] - one->sigma0.e[a][b]));
                    e = fmax(e, one->sigma0.e[a][b]);
                }
            CHECK_OK(e > 0 && d <= 1e-10 * e, "scan mu = %g: estimates equal to a single run's (largest %.3e, "
                                              "difference %.1e)",
                     mus[i], e, d);
            release(one);
        }
        for (int i = 0; i < 2; i++) qkt_response_free(&sc[i]);
    }
    qkt_model_free(m);
}

/* ---- (f) bad input */
static void bad_input(void)
{
    qkt_model_t *m = model("lattice_weyl");
    setup(m);
    qkt_params_t p = on_mesh(params_at(0.3, 0.1, 0), 4, 8);
    check_refused(m, &p, "mesh_estimate", "8 displaced meshes in 3D");
    p.mesh_estimate = -1;
    check_refused(m, &p, "mesh_estimate", "-1 displaced meshes");
    p.mesh_estimate = 3;
    p.refine = 1;
    check_refused(m, &p, "mesh_estimate", "displaced meshes with refinement");
    p.refine = 0;
    p.mesh[0] = p.mesh[1] = p.mesh[2] = 0;
    check_refused(m, &p, "mesh_estimate", "displaced meshes without a mesh");
    qkt_model_free(m);
}

int main(void)
{
    qkt_model_t *lw = model("lattice_weyl");
    setup(lw);
    modes(lw);
    qkt_model_free(lw);
    smooth();
    si();
    fe_bloch();
    runs();
    bad_input();
    CHECK_DONE();
}
