/* test_born.c - rule born: the diagonal node n_E from the Born collision
 * operator K^dd of short-range scalar disorder n_imp U0^2 (Eq. 56 of Sekine,
 * Culcer, MacDonald, PRB 96, 235134), used for the Drude part and inside the
 * ladder vertex J(n_E) of the extrinsic part S_J = -P^-1 J(n_E) (Eqs. 16, 35).
 *
 *   1  isotropic scattering (one parabolic band in 3D; rashba2d with alpha = 0,
 *      M = 0, two spin-degenerate parabolas in 2D): K^dd n = n/tau with
 *      1/tau = 2 pi n_imp U0^2 g(mu), g the density of states of one band (per
 *      spin: scalar disorder does not flip spin), and sigma_xx = n e^2 tau/m
 *      (Boltzmann; with g tau independent of energy in 2D and g tau ~ 1/sqrt(e)
 *      x sqrt(e) in 3D the thermal average gives exactly the T = 0 value up to
 *      e^-(mu/T)).  Tolerance 0.5% (issue 3).
 *   2  rashba2d, H = k^2/2m + alpha (kx sy - ky sx) + M sz, mu above the band
 *      crossing (both bands occupied): the intrinsic anomalous Hall part is
 *      non-zero and the vertex-corrected extrinsic part cancels it, sum = 0
 *      within 1% of |intrinsic| (Inoue et al., PRL 97, 046604 (2006); Culcer,
 *      Sekine, MacDonald, PRB 96, 035106).  Control: the same integrals with a
 *      constant relaxation time (rule rta) do not cancel.
 *   3  rashba2d with only the lower band occupied: the sum is not zero (the
 *      cancellation is special to both bands occupied); the extrinsic part is
 *      of order (n_imp U0^2)^0: the same for two disorder strengths.
 *   4  errors: rule born without disorder, at order B^1, in a mu scan, and
 *      re-assembly of a Born result under another rule.
 * The Weyl check of Eq. C4 under rule born (extrinsic sigma_xy = 0) is not run
 * here: its 24 tabulation integrals in 3D take about a minute.
 * Natural units hbar = e = 1; conductivities per unit E. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "qkt.h"
#include "engine_util.h"

#define run(label, m, p) run_w(34, label, m, p)


static void print_parts(const qkt_response_t *r, int mu, int nu)
{
    for (int t = 0; t < r->npath0; t++)
        printf("  %-13s sigma_%c%c = % .8e +/- %.2e\n", r->path0_name[t], "xyz"[mu], "xyz"[nu],
               r->path0[t].v[mu][nu], r->path0[t].e[mu][nu]);
    printf("  total         sigma_%c%c = % .8e +/- %.2e\n", "xyz"[mu], "xyz"[nu], r->sigma0.v[mu][nu],
           r->sigma0.e[mu][nu]);
    printf("  tau_born = %.8g +/- %.2e, conserved modes dropped besides the shell mode %d, "
           "drive on dropped modes %.2e (relative)\n",
           r->tau_born, r->tau_born_err, r->born_null_modes, r->born_null_drive);
}

/* ------------------------------------------------------------------ 1 */
static void test_isotropic(void)
{
    printf("\n== 1: isotropic short-range scattering: Born tau and Drude sigma_xx = n e^2 tau/m ==\n");
    const double W = 0.7, mass = 1.3, mu = 0.5, T = 0.01;
    {
        qkt_model_t *m = model("parabolic");
        set1(m, "mass", mass);
        setup(m);
        qkt_params_t p = params_at(mu, T, 0);
        p.rule = QKT_RULE_BORN;
        p.nimp_U0sq = W;
        p.nu_mask = 1;
        qkt_response_t *r = run("parabolic 3D, rule born", m, &p);
        if (r) {
            print_parts(r, 0, 0);
            double kf = sqrt(2 * mass * mu), g = mass * kf / (2 * PI * PI), tau = 1 / (2 * PI * W * g);
            double n = kf * kf * kf / (6 * PI * PI);
            CHECK_REL(r->tau_born, tau, 0.005,
                      "parabolic 3D: Born tau = 1/(2 pi n_imp U0^2 g(mu)), g = m k_F/(2 pi^2) (Eq. 56, isotropic)");
            CHECK_REL(r->path0[0].v[0][0], n * tau / mass, 0.005,
                      "parabolic 3D: drude_nE sigma_xx = n e^2 tau/m, n = k_F^3/(6 pi^2) (Boltzmann, Eq. 29)");
            CHECK_OK(r->path0[0].e[0][0] < 1e-3 * r->path0[0].v[0][0], "its error estimate %.3g is below 0.1%%",
                  r->path0[0].e[0][0]);
            CHECK_OK(r->born_null_drive < 1e-6, "parabolic: no drive on the uniform shell mode (%.3g)",
                  r->born_null_drive);
        }
        release(r);
        qkt_model_free(m);
    }
    {
        qkt_model_t *m = model("rashba2d");
        set1(m, "mass", mass);
        set1(m, "alpha", 0);
        set1(m, "M", 0);
        setup(m);
        qkt_params_t p = params_at(mu, T, 0);
        p.rule = QKT_RULE_BORN;
        p.nimp_U0sq = W;
        p.nu_mask = 3;
        qkt_response_t *r = run("rashba2d alpha=0 M=0, rule born", m, &p);
        if (r) {
            print_parts(r, 0, 0);
            /* per spin g = m/(2 pi); two spins: n = 2 m mu/(2 pi) */
            double g = mass / (2 * PI), tau = 1 / (2 * PI * W * g), n = 2 * g * mu;
            CHECK_REL(r->tau_born, tau, 0.005,
                      "rashba2d alpha=0 M=0: Born tau = 1/(2 pi n_imp U0^2 g), g = m/(2 pi) per spin (Eq. 56)");
            CHECK_REL(r->sigma0.v[0][0], n * tau / mass, 0.005,
                      "rashba2d alpha=0 M=0: sigma_xx = n e^2 tau/m, n = m mu/pi (two spins)");
            CHECK_REL(r->sigma0.v[1][1], r->sigma0.v[0][0], 1e-3, "rashba2d alpha=0 M=0: sigma_yy = sigma_xx");
            /* the spins are not mixed: a second conserved mode (spin imbalance) */
            CHECK_OK(r->born_null_modes == 1, "rashba2d alpha=0 M=0: one conserved mode besides the shell mode "
                                           "(the spin imbalance), found %d", r->born_null_modes);
            CHECK_OK(r->born_null_drive < 1e-6, "rashba2d alpha=0 M=0: no drive on the conserved modes (%.3g)",
                  r->born_null_drive);
        }
        release(r);
        qkt_model_free(m);
    }
}

/* ------------------------------------------------------------------ 2, 3 */
/* rashba2d defaults (m = 1, alpha = 0.5, M = 0.1): the gap at k = 0 is 2M, the
 * upper band starts at +M.  At mu = 0.3 alpha k_F = 0.2 (upper band) and 0.61
 * (lower band) against M = 0.1.  T = 0.005 << M; the thermal window (13.2 T at
 * reltol 1e-3) stays clear of the band edges +-M. */
static qkt_response_t *rashba(const char *label, double mu, qkt_rule_t rule, double W, double tau)
{
    qkt_model_t *m = model("rashba2d");
    setup(m);
    qkt_params_t p = params_at(mu, 0.005, 0);
    p.rule = rule;
    p.nimp_U0sq = W;
    p.tau_intra = p.tau_inter = tau;
    p.nu_mask = 3;
    qkt_response_t *r = run(label, m, &p);
    qkt_model_free(m);
    return r;
}

static double part(const qkt_response_t *r, const char *name, int mu, int nu, double *err)
{
    for (int t = 0; t < r->npath0; t++)
        if (!strcmp(r->path0_name[t], name)) {
            if (err) *err = r->path0[t].e[mu][nu];
            return r->path0[t].v[mu][nu];
        }
    return NAN;
}

static void test_rashba(void)
{
    printf("\n== 2: rashba2d, both bands occupied (mu = 0.3 > M = 0.1): intrinsic + extrinsic = 0 ==\n");
    qkt_response_t *r = rashba("rashba2d mu=0.3, rule born", 0.3, QKT_RULE_BORN, 1, 1);
    double tau_b = 1;
    if (r) {
        print_parts(r, 0, 1);
        double ei, ee;
        double in = part(r, "intrinsic_SE", 0, 1, &ei), ex = part(r, "extrinsic_SJ", 0, 1, &ee);
        double sum = in + ex, serr = ei + ee;
        printf("  intrinsic %.8e, extrinsic %.8e, sum %.3e +/- %.2e (%.2e of |intrinsic|)\n", in, ex, sum, serr,
               fabs(sum / in));
        CHECK_OK(r->npocket == 2, "mu = 0.3: both bands cross the Fermi level (%d pockets)", r->npocket);
        CHECK_OK(fabs(in) > 100 * ei && fabs(in) > 1e-3,
              "intrinsic sigma_xy is non-zero: %.6e +/- %.2e (Inoue et al. 2006)", in, ei);
        CHECK_OK(serr < 0.002 * fabs(in), "the error of the sum, %.2e, resolves 1%% of |intrinsic|", serr);
        CHECK_ABS(sum, 0, 0.01 * fabs(in),
                  "rashba2d both bands: intrinsic + extrinsic sigma_xy = 0 within 1% of |intrinsic| "
                  "(Inoue et al. PRL 97, 046604; PRB 96, 035106)");
        CHECK_ABS(part(r, "drude_nE", 0, 1, NULL), 0, 1e-6 * fabs(in),
                  "rashba2d: no Drude Hall part (the Born kernel Tr(P_k P_k') is even in the scattering angle)");
        CHECK_OK(r->born_null_drive < 1e-6, "rashba2d: no drive on the uniform shell mode (%.3g)", r->born_null_drive);
        tau_b = r->tau_born;
        /* re-assembly under another rule is refused */
        qkt_status_t s = qkt_response_assemble(r, QKT_RULE_RTA, 1, 1);
        CHECK_OK(s == QKT_EINVAL, "a Born result is not re-assembled under rule rta (status %d: %s)", (int)s,
              qkt_strerror());
    }
    release(r);
    /* control: constant relaxation time equal to the Born tau */
    r = rashba("rashba2d mu=0.3, rule rta, tau_born", 0.3, QKT_RULE_RTA, 1, tau_b);
    if (r) {
        print_parts(r, 0, 1);
        double in = part(r, "intrinsic_SE", 0, 1, NULL), ex = part(r, "extrinsic_SJ", 0, 1, NULL);
        printf("  rule rta: intrinsic %.8e, extrinsic %.8e, sum %.3e (%.2e of |intrinsic|)\n", in, ex, in + ex,
               fabs((in + ex) / in));
        CHECK_OK(fabs(in + ex) > 0.1 * fabs(in),
              "control: with a constant tau (rule rta) the sum is not zero (%.3g of |intrinsic|): the "
              "cancellation needs the Born n_E", fabs((in + ex) / in));
        qkt_status_t s = qkt_response_assemble(r, QKT_RULE_BORN, 1, 1);
        CHECK_OK(s == QKT_EINVAL, "an rta result is not re-assembled under rule born (status %d: %s)", (int)s,
              qkt_strerror());
    }
    release(r);

    printf("\n== 3: rashba2d, only the lower band occupied (mu = 0, |mu| < M): the sum is not zero ==\n");
    qkt_response_t *r1 = rashba("rashba2d mu=0, rule born", 0.0, QKT_RULE_BORN, 1, 1);
    qkt_response_t *r2 = rashba("rashba2d mu=0, rule born, U0^2/2", 0.0, QKT_RULE_BORN, 0.5, 1);
    if (r1) {
        print_parts(r1, 0, 1);
        double ei, ee;
        double in = part(r1, "intrinsic_SE", 0, 1, &ei), ex = part(r1, "extrinsic_SJ", 0, 1, &ee);
        printf("  intrinsic %.8e, extrinsic %.8e, sum %.6e +/- %.2e (%.3f of intrinsic)\n", in, ex, in + ex, ei + ee,
               (in + ex) / in);
        CHECK_OK(r1->npocket == 1, "mu = 0: one band crosses the Fermi level (%d pocket)", r1->npocket);
        CHECK_OK(fabs(in + ex) > 0.1 * fabs(in) && fabs(in + ex) > 10 * (ei + ee),
              "control: one band occupied, intrinsic + extrinsic = %.6e is not zero (> 10%% of |intrinsic| and "
              "> 10 x its error)", in + ex);
        if (r2) {
            double e2;
            double ex2 = part(r2, "extrinsic_SJ", 0, 1, &e2);
            CHECK_REL(ex2, ex, 1e-3,
                      "extrinsic sigma_xy is of order (n_imp U0^2)^0: the same at n_imp U0^2 = 0.5 and 1");
            CHECK_REL(r2->tau_born, 2 * r1->tau_born, 1e-3, "Born tau ~ 1/(n_imp U0^2)");
        }
    }
    release(r1);
    release(r2);
}

/* ------------------------------------------------------------------ 4 */
static void test_errors(void)
{
    printf("\n== 4: rule born: invalid requests ==\n");
    qkt_model_t *m = model("rashba2d");
    setup(m);
    qkt_params_t p = params_at(0.3, 0.005, 0);
    p.rule = QKT_RULE_BORN;
    check_refused(m, &p, "nimp_U0sq", "rule born without disorder");
    p.nimp_U0sq = 1;
    p.order = 1;
    check_refused(m, &p, "B^0 only", "rule born at order 1 (available at B^0 only)");
    p.order = 0;
    double mus[2] = {0.2, 0.3};
    qkt_response_t rs[2];
    qkt_status_t s = qkt_response_scan(m, &p, 2, mus, rs);
    CHECK_OK(s == QKT_EINVAL && strstr(qkt_strerror(), "born"),
          "rule born in a chemical-potential scan: invalid input (status %d: %s)", (int)s, qkt_strerror());
    qkt_model_free(m);
}

int main(void)
{
    double t0 = wall();
    test_isotropic();
    test_rashba();
    test_errors();
    printf("\ntotal wall time %.1f s\n", wall() - t0);
    CHECK_DONE();
}
