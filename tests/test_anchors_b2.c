/* test_anchors_b2.c - PHYSICS.md anchors at order B^2, computed by the engine and
 * compared with the paper's values (Sekine, Culcer, MacDonald, PRB 96, 235134) or
 * with derivations stated next to each check:
 *   anchor 5  Fig. 3: C = sigma_zz^CA(B_z^2) 4 pi^2 mu^2/(e^4 v^3 tau B^2) (Eq. 111):
 *             0.205 at k0 = 0 (T = 0.005), the T -> 0 closed form
 *             C = 1/5 + k0^3/(2 mu^3) - 3 k0^5/(10 mu^5) (k0 <= mu), 2/5 beyond,
 *             monotone in k0, S_EB2 : xi_EB2 = 2 : 1;
 *   anchor 6  Dirac metal: twice the single cone (Eq. 112);
 *   anchor 7  no B-linear magnetoconductivity for E || B;
 *   anchor 8  E perpendicular to B: intrinsic term ~ tau_intra, C' = O(0.1), the
 *             Lorentz term dominates for mu tau >> 1 (Eqs. 121-124);
 *   anchor 9  Lorentz force in RTA: parabolic band and one node;
 *   valley    rule valley: C -> 2/3 for two separated nodes, no tau_inter term for
 *             one pocket holding both nodes (PHYSICS.md, beyond the seed).
 * C is read from the two anomaly paths "anomaly_SE>nEB>SEB2" and
 * "anomaly_SE>nEB>xiEB2" (the <S_EB2> and <xi_EB2> of Eq. 111) with
 * tau_intra = tau_inter = 1, or from the tau_inter^1 bin where the rule puts them.
 * Natural units hbar = e = 1, v = 1, mu = 0.1 unless stated. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "qkt.h"
#include "engine_util.h"

#define run(label, m, p) run_w(44, label, m, p) /* label column width of this file */

static int path2_index(const qkt_response_t *r, const char *name)
{
    for (int t = 0; t < r->npath2; t++)
        if (r->path2_name[t] && !strcmp(r->path2_name[t], name)) return t;
    return -1;
}

/* the two anomaly paths for B pair (a, b), element (mu, nu); returns their sum */
static double anomaly_paths(const qkt_response_t *r, int a, int b, int mu, int nu, double *S, double *X)
{
    int tS = path2_index(r, "anomaly_SE>nEB>SEB2"), tX = path2_index(r, "anomaly_SE>nEB>xiEB2");
    if (tS < 0 || tX < 0) CHECK(0, "anomaly path names not found in r.path2_name");
    *S = tS >= 0 ? r->path2[tS][a][b].v[mu][nu] : 0;
    *X = tX >= 0 ? r->path2[tX][a][b].v[mu][nu] : 0;
    return *S + *X;
}

/* ------------------------------------------------------------------ closed forms */
/* T -> 0 closed form of Fig. 3 (PHYSICS.md anchor 5), x = k0/mu, Delta = 0, v = 1 */
static double C0(double x) { return x <= 1 ? 0.2 + 0.5 * x * x * x - 0.3 * pow(x, 5) : 0.4; }

/* Finite T (derivation): every path is linear in f0, and f0(E) = int de (-f0'(e - mu)) theta(e - E),
 * so sigma(mu, T) = int de (-f0'(e - mu)) sigma(e, T = 0).  With sigma(e, 0) proportional to
 * C0(k0/e)/e^2 this gives C(T) = mu^2 int de (-f0') C0(k0/e)/e^2, which at k0 = 0 or k0 >= mu
 * is C0 (1 + pi^2 T^2/mu^2 + O(T^4)).  (The pocket topology changes at e = k0, exponentially
 * far from mu in units of T for the cases below.) */
static double CT(double k0, double mu, double T)
{
    int n = 20000;
    double W = 40 * T, h = 2 * W / n, s = 0;
    for (int i = 0; i <= n; i++) {
        double e = mu - W + i * h, x = (e - mu) / T, c = cosh(0.5 * x);
        double w = (i == 0 || i == n) ? 1 : (i % 2 ? 4 : 2);
        if (e <= 0) continue;
        s += w * (1 / (4 * T * c * c)) * C0(k0 / e) * mu * mu / (e * e);
    }
    return s * h / 3;
}

/* ------------------------------------------------------------------ anchor 5 */
static double fig3_T005_k0zero = 0; /* for the Dirac comparison */

static qkt_response_t *weyl2_run(double b, double T, double reltol, int nu_mask, int al_mask, qkt_rule_t rule)
{
    qkt_model_t *m = model("weyl2");
    set1(m, "b", b);
    set1(m, "Delta", 0);
    setup(m);
    qkt_params_t p;
    qkt_params_default(&p);
    p.rule = rule;
    p.mu = 0.1;
    p.T = T;
    p.order = 2;
    p.nu_mask = nu_mask;
    p.al_mask = al_mask;
    p.reltol = reltol;
    char lab[160];
    snprintf(lab, sizeof lab, "weyl2 b=%.2f T=%.3f rule %s E %s B %s", b, T, qkt_rule_name(rule),
             nu_mask == 4 ? "z" : "?", al_mask == 4 ? "z" : al_mask == 1 ? "x" : "?");
    qkt_response_t *r = run(lab, m, &p);
    qkt_model_free(m);
    return r;
}

static void test_fig3(void)
{
    const double mu = 0.1, norm = FOURPI2 * mu * mu; /* C = coefficient * 4 pi^2 mu^2 / v^3 */
    printf("\n== anchor 5: Fig. 3 at its own parameters (T = 0.005, mu = 0.1, Delta = 0) ==\n");
    qkt_response_t *r = weyl2_run(0, 0.005, 3e-3, 4, 4, QKT_RULE_PAPER);
    if (r) {
        double S, X, C = anomaly_paths(r, 2, 2, 2, 2, &S, &X) * norm;
        fig3_T005_k0zero = C;
        printf("  k0 = 0: C = %.6f (S_EB2 %.6f, xi_EB2 %.6f); T->0 form 0.2, thermal average of it %.6f\n", C,
               S * norm, X * norm, CT(0, mu, 0.005));
        CHECK_REL(C, 0.20526, 0.005, "Fig. 3 C(k0 = 0, T = 0.005) vs 0.20526 (anchor 5: paper 0.205, PHYSICS.md check 0.20526)");
        CHECK_REL(S / X, 2.0, 0.01, "Fig. 3 k0 = 0: C_S : C_xi = 2 : 1 (anchor 5)");
        release(r);
    }
    /* C(k0 = 0.2) = 0.41052 at T = 0.005 is in test_engine; here k0 = 0.2 is checked at T = 0.001 */

    printf("\n== anchor 5: closed form, T = 0.001 (expected finite-T shift ~ pi^2 T^2/mu^2 = 0.1%%) ==\n");
    static const double k0s[5] = {0, 0.05, 0.08, 0.12, 0.2};
    double Cs[5] = {0}, T = 0.001;
    int ok[5] = {0};
    for (int i = 0; i < 5; i++) {
        r = weyl2_run(k0s[i], T, 1e-2, 4, 4, QKT_RULE_PAPER);
        if (!r) continue;
        double S, X, C = anomaly_paths(r, 2, 2, 2, 2, &S, &X) * norm, c0 = C0(k0s[i] / mu), ct = CT(k0s[i], mu, T);
        double inter = r->tau2[0][1][2][2].v[2][2] * norm;
        Cs[i] = C;
        ok[i] = 1;
        printf("  k0 = %.2f: C = %.6f (S %.6f, xi %.6f, tau_inter^1 bin %.6f); T->0 form %.6f; expected at T: %.6f "
               "(shift %+.3f%%)\n",
               k0s[i], C, S * norm, X * norm, inter, c0, ct, 100 * (ct / c0 - 1));
        CHECK_REL(C, c0, 0.005,
                  WHAT("k0 = %.2f, T = %.3f: C vs T->0 closed form 1/5 + k0^3/2mu^3 - 3k0^5/10mu^5 (2/5 beyond) "
                       "(anchor 5; expected deviation %+.3f%%)",
                       k0s[i], T, 100 * (ct / c0 - 1)));
        CHECK_REL(C, ct, 0.003,
                  WHAT("k0 = %.2f, T = %.3f: C vs thermal average of the closed form (derivation in CT())", k0s[i], T));
        CHECK_REL(S / X, 2.0, 0.01, WHAT("k0 = %.2f: C_S : C_xi = 2 : 1 (anchor 5)", k0s[i]));
        if (k0s[i] < mu) {
            /* one pocket holding both nodes: its pocket sum vanishes while E.B != 0.  PHYSICS.md
             * ties tau_inter to "a non-zero sum over some Fermi pocket (E.B != 0, Eq. 106)"; the
             * paper's Fig. 3 uses one tau for all k0.  Which time multiplies this term is a
             * convention of rule paper, not checked here; C itself does not depend on it. */
            CHECK_OK(r->npocket == 1, "k0 = %.2f < mu: one pocket holding both nodes (found %d)", k0s[i], r->npocket);
            printf("  info: k0 = %.2f (one pocket): tau_inter^1 bin x 4pi^2 mu^2 = %.6f (the anomaly paths: %.6f); "
                   "tau_intra^1 bin (paths nE>xiEB>..) %.6f\n",
                   k0s[i], inter, C, r->tau2[1][0][2][2].v[2][2] * norm);
        } else {
            CHECK_OK(r->npocket == 2, "k0 = %.2f > mu: two pockets (found %d)", k0s[i], r->npocket);
            CHECK_REL(inter, C, 1e-3,
                      WHAT("k0 = %.2f > mu: anomaly paths carried by tau_inter (rule paper, pocket sums != 0)", k0s[i]));
        }
        if (k0s[i] == 0.2) {
            /* anchor 7: sigma1_zz(B_z) = 0, scale: Hall of two isotropic nodes 2 tau^2 v mu/(6 pi^2) */
            CHECK_ABS(r->sigma1[2].v[2][2], 0, 1e-3 * 2 * mu / (6 * PI * PI),
                      "weyl2 k0 = 0.2: sigma1_zz(B_z) = 0 for E || B, tol 1e-3 x 2 tau^2 v mu/(6pi^2) (anchor 7)");
        }
        release(r);
    }
    for (int i = 0; i + 1 < 5; i++)
        if (ok[i] && ok[i + 1])
            CHECK_OK(Cs[i + 1] >= Cs[i] * (1 - 2e-3),
                  "C non-decreasing in k0 (anchor 5): C(%.2f) = %.6f >= (1 - 2e-3) C(%.2f) = (1 - 2e-3) %.6f", k0s[i + 1], Cs[i + 1],
                  k0s[i], Cs[i]);
    if (ok[0] && ok[4]) CHECK_OK(Cs[4] > 1.9 * Cs[0], "C(k0 = 0.2) = %.5f > 1.9 C(0) = 1.9 x %.5f: two cones vs one (anchor 5)", Cs[4], Cs[0]);
    if (ok[3] && ok[4]) CHECK_REL(Cs[3], Cs[4], 0.005, "C saturates once the pockets separate: C(0.12) = C(0.2) (anchor 5)");
}

/* ------------------------------------------------------------------ anchor 6 */
static void test_dirac(void)
{
    printf("\n== anchor 6: Dirac metal, twice the single cone (Eq. 112) ==\n");
    const double mu = 0.1, norm = FOURPI2 * mu * mu;
    qkt_model_t *m = model("dirac");
    setup(m);
    qkt_params_t p;
    p = params_at(mu, 0.005, 2);
    p.nu_mask = 4;
    p.al_mask = 4;
    p.reltol = 1e-2;
    qkt_response_t *r = run("dirac T=0.005 E z B z", m, &p);
    qkt_model_free(m);
    if (!r) return;
    double S, X, C = anomaly_paths(r, 2, 2, 2, 2, &S, &X) * norm, Cb = r->tau2[0][1][2][2].v[2][2] * norm;
    printf("  dirac: C (anomaly paths) = %.6f, tau_inter^1 bin %.6f, weyl2 k0=0 at the same T: %.6f\n", C, Cb,
           fig3_T005_k0zero);
    CHECK_OK(r->npocket == 2, "dirac: two valleys (blocks) (found %d)", r->npocket);
    if (fig3_T005_k0zero > 0)
        CHECK_REL(Cb, 2 * fig3_T005_k0zero, 0.01, "dirac C = 2 x C(weyl2, k0 = 0) at T = 0.005 (anchor 6, Eq. 112)");
    CHECK_REL(Cb, C, 1e-3, "dirac: the anomaly term is carried by tau_inter (each valley pumps +-2/3)");
    release(r);
}

/* ------------------------------------------------------------------ anchor 8 */
static void test_perp(void)
{
    printf("\n== anchor 8: E along z, B along x, weyl2 b = 0.2 (Eqs. 118-124) ==\n");
    const double mu = 0.1, norm = FOURPI2 * mu * mu;
    qkt_response_t *r = weyl2_run(0.2, 0.005, 1e-2, 4, 1, QKT_RULE_PAPER);
    if (!r) return;
    double S, X, A = anomaly_paths(r, 0, 0, 2, 2, &S, &X), Cp = A * norm;
    double lf = r->tau2[3][0][0][0].v[2][2], intra1 = r->tau2[1][0][0][0].v[2][2], inter = 0;
    for (int a = 0; a < 4; a++)
        for (int b = 1; b < 4; b++) inter += fabs(r->tau2[a][b][0][0].v[2][2]);
    printf("  C' (anomaly paths, tau_intra) = %.6f (S %.6f, xi %.6f); all tau_intra^1 terms %.3e; Lorentz tau^3 %.8e\n", Cp,
           S * norm, X * norm, intra1, lf);
    CHECK_OK(r->anomaly1[2][0] == 0, "rule paper: E z, B x has zero pocket sums -> tau_intra (anomaly1[z][x] = %d, want 0; Eqs. 120-121)",
          r->anomaly1[2][0]);
    CHECK_OK(fabs(Cp) >= 0.05 && fabs(Cp) <= 0.5, "|C'| = %.4f of order 0.1: in [0.05, 0.5] (anchor 8, Eq. 122)", fabs(Cp));
    CHECK_ABS(inter, 0, 1e-6 * fabs(A), "E perp B: no tau_inter term in sigma2_zz(B_x^2) (anchor 8, Eq. 121)");
    /* Eq. 115 for two isotropic nodes (the Fermi spheres of m = b - v|kz| do not reach kz = 0) */
    CHECK_REL(lf, -2.0 / (6 * PI * PI), 0.005,
              "E perp B: Lorentz term tau_intra^3 = -sigma0 (w_c tau)^2 = -2 tau^3 v^3/(6 pi^2), two nodes (Eq. 115, anchor 9)");
    /* Eqs. 123-124 at mu tau_intra = 10 (tau_intra = tau_inter = 100): evaluate the polynomial */
    double tau = 100, tot = 0;
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) tot += r->tau2[a][b][0][0].v[2][2] * pow(tau, a + b);
    double ratio = fabs(lf * tau * tau * tau) / fabs(A * tau);
    printf("  mu tau = 10: |sigma^LF / sigma^In| = %.1f (Eq. 123 estimate (mu tau)^2 = 100), total sigma2_zz = %.4e\n", ratio,
           tot);
    CHECK_OK(ratio > 10, "Lorentz term dominates for mu tau = 10: |LF/In| = %.2f > 10 (Eq. 123; estimate (mu tau)^2 = 100)", ratio);
    CHECK_OK(tot < 0, "sigma_zz(B_x^2) ~ sigma^LF < 0 for mu tau = 10 (Eq. 124): %.4e", tot);
    release(r);
}

/* ------------------------------------------------------------------ anchor 9 */
static void test_lorentz_rta(void)
{
    printf("\n== anchor 9: Lorentz force in RTA (isotropic bands) ==\n");
    qkt_model_t *m = model("parabolic");
    set1(m, "mass", 1);
    setup(m);
    qkt_params_t p;
    qkt_params_default(&p);
    p.rule = QKT_RULE_RTA;
    p.mu = 1;
    p.T = 0.02;
    p.kbox = 2;
    p.order = 2;
    p.nu_mask = 5; /* E along x (perp B) and z (|| B) */
    p.al_mask = 4;
    p.reltol = 1e-3;
    qkt_response_t *r = run("parabolic rta order 2, E x,z, B z", m, &p);
    qkt_model_free(m);
    if (r) {
        double s0 = r->sigma0.v[0][0], wct = p.tau_intra / 1.0; /* w_c tau = e B tau/m per unit B */
        CHECK_REL(r->sigma2[2][2].v[0][0], -s0 * wct * wct, 0.005,
                  "parabolic sigma2_xx(B_z^2) = -sigma0 (w_c tau)^2, E perp B (anchor 9)");
        CHECK_ABS(r->sigma2[2][2].v[2][2], 0, 1e-3 * s0 * wct * wct,
                  "parabolic sigma2_zz(B_z^2) = 0, E || B, tol 1e-3 sigma0 (w_c tau)^2 (anchor 9)");
        release(r);
    }
    /* node: sigma0 = tau mu^2/(6 pi^2 v), w_c = v^2/mu per unit B -> -sigma0 (w_c tau)^2 = -tau^3 v^3/(6 pi^2),
     * independent of mu; at finite T the energy average gives exactly the same (the e^2 of the
     * DOS cancels the 1/e^2 of w_c^2) */
    double s2[2] = {0, 0};
    static const double mus[2] = {0.1, 0.05};
    for (int i = 0; i < 2; i++) {
        m = model("node");
        setup(m);
        qkt_params_default(&p);
        p.rule = QKT_RULE_RTA;
        p.mu = mus[i];
        p.T = 0.05 * mus[i];
        p.order = 2;
        p.nu_mask = 5;
        p.al_mask = 4;
        p.reltol = 3e-3;
        char lab[96];
        snprintf(lab, sizeof lab, "node rta mu=%.2f order 2, E x,z, B z", mus[i]);
        r = run(lab, m, &p);
        qkt_model_free(m);
        if (!r) continue;
        double want = -1.0 / (6 * PI * PI), lfzz = r->tau2[3][0][2][2].v[2][2];
        s2[i] = r->sigma2[2][2].v[0][0];
        CHECK_REL(s2[i], want, 0.005,
                  WHAT("node mu=%.2f: sigma2_xx(B_z^2) = -sigma0 (w_c tau)^2 = -tau^3 v^3/(6 pi^2) (anchor 9)", mus[i]));
        CHECK_ABS(lfzz, 0, 1e-3 * fabs(want),
                  WHAT("node mu=%.2f: Lorentz term (tau^3) of sigma2_zz(B_z^2) = 0 for E || B (anchor 9)", mus[i]));
        printf("  info: node mu=%.2f E || B total sigma2_zz (anomaly-type paths, one node, rta) = %.6f\n", mus[i],
               r->sigma2[2][2].v[2][2]);
        release(r);
    }
    if (s2[0] != 0 && s2[1] != 0) CHECK_REL(s2[1], s2[0], 0.005, "node sigma2_xx independent of mu (mu = 0.05 vs 0.1)");
}

/* ------------------------------------------------------------------ rule valley */
static void test_valley(void)
{
    printf("\n== rule valley (PHYSICS.md, beyond the seed) ==\n");
    const double mu = 0.1, T = 0.005, norm = FOURPI2 * mu * mu;
    qkt_response_t *r = weyl2_run(0.3, T, 3e-3, 4, 4, QKT_RULE_VALLEY);
    if (r) {
        double Cv = r->tau2[0][1][2][2].v[2][2] * norm;
        /* derivation: each pocket is pumped at (2/3) Q e^2 E B/(4pi^2) (T-independent), its
         * chemical potential shifts by pump tau_inter / DOS with DOS = (mu^2 + pi^2 T^2/3)/(2 pi^2 v^3),
         * and the CME of the shifts, (e^2/4pi^2) B sum Q dmu (linear in mu: T-independent),
         * carries the current: C = (2/3) mu^2/(mu^2 + pi^2 T^2/3). */
        double want = (2.0 / 3) / (1 + PI * PI * T * T / (3 * mu * mu));
        printf("  b = 0.3 (k0 = 0.3 > mu): C_valley = %.6f, finite-T expectation %.6f (2/3 at T -> 0)\n", Cv, want);
        CHECK_OK(r->npocket == 2, "weyl2 b = 0.3: two pockets (found %d)", r->npocket);
        CHECK_REL(Cv, want, 0.005, "C_valley = (2/3)/(1 + pi^2 T^2/(3 mu^2)) (PHYSICS.md 2/3 with the finite-T DOS)");
        CHECK_REL(Cv, 2.0 / 3, 0.01, "C_valley -> 2/3 for two separated nodes (PHYSICS.md, beyond the seed)");
        release(r);
    }
    r = weyl2_run(0.05, T, 1e-2, 4, 4, QKT_RULE_VALLEY);
    if (r) {
        double inter = r->tau2[0][1][2][2].v[2][2], intra = r->tau2[1][0][2][2].v[2][2];
        printf("  b = 0.05 (one pocket): tau_inter^1 %.3e, tau_intra^1 %.6f\n", inter, intra);
        CHECK_OK(r->npocket == 1, "weyl2 b = 0.05: one pocket (found %d)", r->npocket);
        CHECK_ABS(inter, 0, 1e-3 * fabs(intra),
                  "one pocket holding both nodes: no tau_inter term, |.| < 1e-3 |tau_intra^1| (PHYSICS.md: C = 0)");
        release(r);
    }
}

/* Onsager at order B^2 (issue 6): sigma_{mu nu}(B; b) = sigma_{nu mu}(-B; -b), and
 * sigma^(2) is even in B, so sigma2_{mu nu}(b) = sigma2_{nu mu}(-b) for weyl4,
 * whose b is odd under time reversal.  b off the B axis (z) so that the
 * tensor has off-diagonal parts. */
static void test_onsager2(void)
{
    qkt_response_t *rb[2] = {NULL, NULL};
    for (int s = 0; s < 2; s++) {
        double sg = s ? -1 : 1;
        qkt_model_t *m = model("weyl4");
        set3(m, "b", 0.1 * sg, 0, 0.2 * sg);
        setup(m);
        qkt_params_t p = params_at(0.1, 0.005, 2);
        p.nu_mask = 7;
        p.al_mask = 4;
        p.reltol = 1e-2;
        rb[s] = run(s ? "weyl4 b=-(0.1,0,0.2) order 2, all E, B z" : "weyl4 b=+(0.1,0,0.2) order 2, all E, B z", m, &p);
        qkt_model_free(m);
    }
    if (rb[0] && rb[1]) {
        const double B[3] = {0, 0, 1};
        qkt_tensor_t a, b;
        qkt_response_sigma2(rb[0], B, &a);
        qkt_response_sigma2(rb[1], B, &b);
        double mx = 0, viol = 0, err = 0;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                mx = fmax(mx, fmax(fabs(a.v[i][j]), fabs(b.v[i][j])));
                viol = fmax(viol, fabs(a.v[i][j] - b.v[j][i]));
                err = fmax(err, a.e[i][j] + b.e[j][i]);
            }
        printf("     sigma2(+b): xx %.6g xy %.6g xz %.6g zx %.6g zz %.6g\n", a.v[0][0], a.v[0][1], a.v[0][2], a.v[2][0],
               a.v[2][2]);
        printf("     sigma2(-b): xx %.6g yx %.6g zx %.6g xz %.6g zz %.6g\n", b.v[0][0], b.v[1][0], b.v[2][0], b.v[0][2],
               b.v[2][2]);
        CHECK_ABS(viol, 0, 2e-3 * mx,
                  WHAT("weyl4 Onsager at B^2: max|sigma2_{mu nu}(b) - sigma2_{nu mu}(-b)| (max |sigma2| %.3g, largest "
                       "error estimate %.2g), tol 2e-3 max|sigma2|", mx, err));
    }
    release(rb[0]);
    release(rb[1]);
}

int main(void)
{
    double t0 = wall();
    test_onsager2();
    test_fig3();
    test_dirac();
    test_perp();
    test_lorentz_rta();
    test_valley();
    printf("\ntotal wall time %.1f s\n", wall() - t0);
    CHECK_DONE();
}
