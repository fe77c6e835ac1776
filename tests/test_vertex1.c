/* test_vertex1.c - the ladder vertex of short-range disorder at order B^1
 * (Eq. 54 of Sekine, Culcer, MacDonald, PRB 96, 235134):
 *   S_N = P^-1 [D_B^o(rho_{N-1}) - K^od n_N],
 * with rho_E = n_E + S_E + S_J(n_E), S_J = -P^-1 J(n_E) (Eqs. 16, 35).  New
 * paths: the children of S_J under D_B (anomaly_SJ>nEB, SJ>SEB) and the
 * vertex -P^-1 J(n_EB) of every diagonal node n_EB (paths ...>SJ), computed on
 * the velocity side (disorder/kernel.h, struct qkt_vtable).
 *
 *   1  the velocity-side route reproduces S_J of order B^0 (the forward route
 *      of Eqs. 16, 35): same quantity by two algebraically equivalent
 *      formulas with different tables; tolerance: the sum of both error
 *      estimates (integration + the tables' interpolation, smearing and
 *      integration bounds).
 *   2  magnetic Rashba model (rashba2d, m = 1, alpha = 0.5, M = 0.3), mu = 1
 *      (both bands occupied; the lower band at the inner Fermi circle lies
 *      at -0.12, clear of the band edge -M), T = 0.01:
 *      a. every new path is non-zero (> 20 x its error): the terms matter;
 *      b. Onsager with the time-reversal-odd M: sigma_{mu nu}(B; M) =
 *         sigma_{nu mu}(-B; -M), i.e. sigma1_{mu nu}(M) = -sigma1_{nu mu}(-M),
 *         per path, within the sum of the errors (+ 1e-9 of the path for
 *         entries at roundoff);
 *      c. charge conservation: the drive D_B^d S_J(n_E) sums to zero over all
 *         Fermi pockets (a total k-derivative), within its error;
 *      d. relaxation times: re-assembled with tau_intra = 2, the Lorentz
 *         vertex scales as tau^2 (x4), the S_J children as tau_intra^2 (n
 *         child, rule rta) and tau_intra (S child), the anomaly vertex as the
 *         anomaly node (x2);
 *      e. convergence: reltol 1e-3 against 4e-4 within the sum of the errors;
 *      f. the energy segments cover every band that carries an order-1
 *         diagonal node (dropped share 0) and include one beyond the window.
 *   3  one isotropic Weyl node (node, mu = 0.1, T = 0.005): every vertex path
 *      vanishes, below 1e-6 of the Lorentz path (G(e) is a multiple of the
 *      identity and the velocity-side tables vanish by isotropy: the
 *      argument of Eqs. 100 and 109, where the seed finds J = 0 near the
 *      nodes).
 *   4  tau of the same disorder (run.tau_from_disorder, rule rta): one
 *      parabolic band in 3D (m = 1.3, mu = 0.5, T = 0.01, n_imp U0^2 = 0.7):
 *      tau = 1/(2 pi n_imp U0^2 g(mu)), g = m k_F/(2 pi^2) (Eq. 56, isotropic),
 *      sigma_xx = n tau/m and |sigma_xy^(1)| = sigma_0 w_c tau = n tau^2/m^2
 *      per unit B (Boltzmann, Eq. 29; PHYSICS.md anchor 9), each within 0.5%.
 * Natural units hbar = e = 1; conductivities per unit E and B. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "qkt.h"
#include "response/raw.h"
#include "engine/tree.h"
#include "engine_util.h"

static const char *vpaths[] = {"anomaly_SJ>nEB", "SJ>SEB", "lorentz_nE>nEB>SJ", "anomaly_SE>nEB>SJ",
                               "anomaly_SJ>nEB>SJ"};
#define NVP 5

static int path1(const qkt_response_t *r, const char *name)
{
    for (int t = 0; t < r->npath1; t++)
        if (!strcmp(r->path1_name[t], name)) return t;
    return -1;
}

/* order 1, rule rta, n_imp U0^2 = 1, E along the axes of numask, B || z */
static qkt_params_t vparams(double mu, double T, int numask)
{
    qkt_params_t p = params_at(mu, T, 1);
    p.rule = QKT_RULE_RTA;
    p.nimp_U0sq = 1;
    p.nu_mask = numask;
    p.al_mask = 4;
    return p;
}

/* the larger of the xx and xy entries of a path (the one symmetry allows) */
static int big_of(const qkt_tensor_t *t) { return fabs(t->v[0][0]) > fabs(t->v[0][1]) ? 0 : 1; }

static qkt_response_t *rashba(double M, double reltol)
{
    qkt_model_t *m = model("rashba2d");
    set1(m, "M", M);
    setup(m);
    qkt_params_t p = vparams(1.0, 0.01, 3);
    p.reltol = reltol;
    qkt_response_t *r = run_w(34, WHAT("rashba2d M=%g reltol %g", M, reltol), m, &p);
    qkt_model_free(m);
    return r;
}

/* ------------------------------------------------------------------ 1 */
static void check_adjoint(const char *lab, const qkt_response_t *r, int mu, int nu)
{
    double f = r->path0[T0_SJ].v[mu][nu], fe = r->path0[T0_SJ].e[mu][nu];
    double a = r->sj_adjoint.v[mu][nu], ae = r->sj_adjoint.e[mu][nu];
    printf("  %s: S_J sigma_%c%c forward % .9e +- %.2e, velocity side % .9e +- %.2e\n", lab, "xyz"[mu], "xyz"[nu], f,
           fe, a, ae);
    CHECK_ABS(a, f, fe + ae, WHAT("%s: S_J of order 0 by the velocity-side tables = forward route (Eqs. 16, 35)", lab));
}

int main(void)
{
    printf("== 1, 2: rashba2d, M = 0.3, mu = 1, T = 0.01, rule rta, nimp_U0sq = 1, B || z ==\n");
    qkt_response_t *r = rashba(0.3, 1e-3), *rm = rashba(-0.3, 1e-3), *rt = rashba(0.3, 4e-4);
    if (!r || !rm || !rt) CHECK_DONE();
    check_adjoint("M = 0.3", r, 0, 1);
    check_adjoint("M = 0.3, reltol 4e-4", rt, 0, 1);
    CHECK_OK(fabs(r->path0[T0_SJ].v[0][1]) > 100 * r->path0[T0_SJ].e[0][1], "S_J of order 0 is resolved: %.4g +- %.2g",
             r->path0[T0_SJ].v[0][1], r->path0[T0_SJ].e[0][1]);

    /* the components of each path that are allowed: rashba2d with B || z has
     * sigma1_xx = sigma1_yy (even part) and sigma1_xy = -sigma1_yx */
    for (int i = 0; i < NVP; i++) {
        int t = path1(r, vpaths[i]), tm = path1(rm, vpaths[i]), tt = path1(rt, vpaths[i]);
        CHECK(t >= 0 && tm >= 0 && tt >= 0, "path %s missing", vpaths[i]);
        if (t < 0 || tm < 0 || tt < 0) continue;
        const qkt_tensor_t *s = &r->path1[t][2], *sm = &rm->path1[tm][2], *st = &rt->path1[tt][2];
        int big = big_of(s);
        double v = s->v[0][big], e = s->e[0][big];
        printf("  %-20s sigma1_x%c = % .8e +- %.2e (M = -0.3: yx % .8e; reltol 4e-4: % .8e +- %.2e)\n", vpaths[i],
               "xy"[big], v, e, sm->v[big][0], st->v[0][big], st->e[0][big]);
        CHECK_OK(fabs(v) > 20 * e, "2a %s: non-zero, |%.4g| > 20 x its error %.2g", vpaths[i], v, e);
        /* entries that vanish by symmetry are roundoff: 1e-9 of the path */
        double ro = 1e-9 * fabs(v);
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++) {
                CHECK_ABS(s->v[a][b], -sm->v[b][a], s->e[a][b] + sm->e[b][a] + ro,
                          WHAT("2b %s: Onsager sigma1_%c%c(M) = -sigma1_%c%c(-M)", vpaths[i], "xy"[a], "xy"[b], "xy"[b],
                               "xy"[a]));
                CHECK_ABS(s->v[a][b], st->v[a][b], s->e[a][b] + st->e[a][b] + ro,
                          WHAT("2e %s: sigma1_%c%c at reltol 1e-3 = at 4e-4", vpaths[i], "xy"[a], "xy"[b]));
            }
    }

    /* 2c: charge conservation of the drive D_B^d S_J(n_E) (raw pocket sums) */
    {
        const qkt_layout_t *L = &r->raw->L;
        int P = L_P(L);
        for (int in = 0; in < L->nnu; in++) {
            double sum = 0, abs_ = 0, err = 0;
            for (int q = 0; q < r->npocket; q++) {
                int i = L->o_psj + (in * L->nal + 0) * P + q;
                sum += r->raw->val[i];
                err += r->raw->err[i];
                abs_ += r->raw->val[L->o_asj + (in * L->nal + 0) * P + q];
            }
            printf("  2c E along %c: sum over %d pockets of D_B^d S_J = %.3g +- %.2g (sum of |.|: %.3g)\n",
                   "xyz"[r->raw->nu[in]], r->npocket, sum, err, abs_);
            CHECK_OK(fabs(sum) <= err + 1e-12 * abs_ && abs_ > 0,
                     "2c charge conservation: D_B^d S_J(n_E) sums to zero over the pockets (E along %c)",
                     "xyz"[r->raw->nu[in]]);
        }
    }

    /* 2d: powers of the relaxation time, by re-assembly with tau_intra = 2 */
    {
        double before[NVP];
        int big[NVP];
        for (int i = 0; i < NVP; i++) {
            int t = path1(r, vpaths[i]);
            big[i] = t >= 0 ? big_of(&r->path1[t][2]) : 0;
            before[i] = t >= 0 ? r->path1[t][2].v[0][big[i]] : 0;
        }
        qkt_status_t s = qkt_response_assemble(r, QKT_RULE_RTA, 2, 2);
        CHECK(s == QKT_OK, "re-assembly failed: %s", qkt_strerror());
        const double power[NVP] = {2, 1, 2, 1, 2}; /* rule rta */
        for (int i = 0; i < NVP && !s; i++) {
            int t = path1(r, vpaths[i]);
            if (t < 0) continue;
            CHECK_REL(r->path1[t][2].v[0][big[i]], before[i] * pow(2, power[i]), 1e-12,
                      WHAT("2d %s scales as tau^%g (rule rta)", vpaths[i], power[i]));
        }
    }

    /* 2f: the tables */
    printf("  2f tables: %d segments, largest relative bound %.3g, dropped share %.3g\n", r->vertex_nseg,
           r->vertex_tail, r->vertex_dropped);
    for (int q = 0; q < r->vertex_nseg; q++) printf("     [% .5f, % .5f]\n", r->vertex_seg[q][0], r->vertex_seg[q][1]);
    CHECK_OK(r->vertex_nseg >= 2 && r->vertex_dropped == 0,
             "2f the energy segments hold every band that carries an order-1 diagonal node (%d segments, dropped %.3g)",
             r->vertex_nseg, r->vertex_dropped);
    int below = 0;
    for (int q = 1; q < r->vertex_nseg; q++)
        if (r->vertex_seg[q][0] < -0.12 && r->vertex_seg[q][1] > -0.12) below = 1;
    CHECK_OK(below, "2f a segment holds -0.12, the lower band's energy at the inner Fermi circle");
    release(r);
    release(rm);
    release(rt);

    printf("\n== 3: one isotropic Weyl node, mu = 0.1, T = 0.005: the vertex paths vanish ==\n");
    {
        qkt_model_t *m = model("node");
        setup(m);
        qkt_params_t p = vparams(0.1, 0.005, 7);
        qkt_response_t *rn = run_w(34, "node, nimp_U0sq = 1", m, &p);
        if (rn) {
            int tl = path1(rn, "lorentz_nE>nEB");
            double scale = tl >= 0 ? fabs(rn->path1[tl][2].v[0][1]) : 0;
            CHECK_OK(scale > 1e-4, "node: Lorentz path sigma1_xy = %.6g (tau^2 mu v/(6 pi^2) = %.6g)", scale,
                     0.1 / (6 * PI * PI));
            double worst = 0;
            for (int i = 0; i < NVP; i++) {
                int t = path1(rn, vpaths[i]);
                if (t < 0) continue;
                for (int a = 0; a < 3; a++)
                    for (int b = 0; b < 3; b++) worst = fmax(worst, fabs(rn->path1[t][2].v[a][b]));
            }
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) worst = fmax(worst, fabs(rn->path0[T0_SJ].v[a][b]));
            CHECK_OK(worst <= 1e-6 * scale, "node: every vertex path (and S_J of order 0) vanishes: largest |entry| "
                                            "%.3g <= 1e-6 x %.4g", worst, scale);
        }
        release(rn);
        qkt_model_free(m);
    }

    printf("\n== 4: tau from the disorder itself (rule rta), one parabolic band in 3D ==\n");
    {
        const double mass = 1.3, mu = 0.5, W = 0.7;
        qkt_model_t *m = model("parabolic");
        set1(m, "mass", mass);
        setup(m);
        qkt_params_t p = params_at(mu, 0.01, 1);
        p.rule = QKT_RULE_RTA;
        p.nimp_U0sq = W;
        p.tau_from_disorder = 1;
        p.tau_intra = 123; /* not read */
        p.nu_mask = 1;
        p.al_mask = 4;
        p.reltol = 1e-4;
        qkt_response_t *rp = run_w(34, "parabolic, tau_from_disorder", m, &p);
        if (rp) {
            double kf = sqrt(2 * mass * mu), g = mass * kf / (2 * PI * PI), tau = 1 / (2 * PI * W * g);
            double n = kf * kf * kf / (6 * PI * PI);
            CHECK_REL(rp->tau_born, tau, 0.005, "4 parabolic: Born tau = 1/(2 pi n_imp U0^2 g(mu)) (Eq. 56)");
            CHECK_REL(rp->par.tau_intra, rp->tau_born, 1e-15, "4 parabolic: tau_intra used = the Born tau");
            CHECK_REL(rp->sigma0.v[0][0], n * tau / mass, 0.005, "4 parabolic: sigma_xx = n tau/m (Eq. 29)");
            CHECK_REL(fabs(rp->sigma1[2].v[1][0]), n * tau * tau / (mass * mass), 0.005,
                      "4 parabolic: |sigma1_yx| = sigma_0 w_c tau = n tau^2/m^2 per unit B (anchor 9)");
        }
        release(rp);
        qkt_model_free(m);
    }
    CHECK_DONE();
}
