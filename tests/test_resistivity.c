/* test_resistivity.c - rho(B) = [sigma(B)]^-1 to order B^2 (src/observe/resistivity.c):
 *  1. the expansion against the exact inverse of s0 + s1 t + s2 t^2 for random
 *     matrices (with a Hall part in s0): the remainder shrinks as t^3;
 *  2. Drude-Lorentz free electrons: rho_xx independent of B (MR = 0) and
 *     R_H = -1/(n e) exactly (classical single-band result);
 *  3. an anomalous Hall sigma0_xy gives rho_xx a term odd in B (closed form);
 *  4. singular sigma0 refused (3D zz = 0, zz below its error), 2D block accepted;
 *  5. error propagation against finite differences of the library itself;
 *  6. planar Hall / anisotropic MR amplitudes of an isotropic band plus a
 *     longitudinal (anomaly-like) B B term: phe = amr = -c/sigma;
 *  7. engine: parabolic band in rule rta, R_H = -1/n with the engine's density,
 *     MR_xx = 0 within error (single-band Drude).  About 2 s. */
#include <string.h>
#include "engine_util.h"

static double urand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return ((*s >> 8) & 0xffff) / 65536.0 - 0.5;
}

/* 3x3 inverse by cofactors (independent of the library's LU) */
static void inv3(const double a[3][3], double r[3][3])
{
    double det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
                 a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            int i1 = (j + 1) % 3, i2 = (j + 2) % 3, j1 = (i + 1) % 3, j2 = (i + 2) % 3;
            r[i][j] = (a[i1][j1] * a[i2][j2] - a[i1][j2] * a[i2][j1]) / det;
        }
}

static void zero(qkt_tensor_t *t) { memset(t, 0, sizeof *t); }

/* 1. */
static void test_expansion(void)
{
    unsigned seed = 7;
    qkt_tensor_t s0, s1, s2;
    zero(&s0);
    zero(&s1);
    zero(&s2);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            s0.v[i][j] = (i == j ? 2 : 0) + urand(&seed);
            s1.v[i][j] = urand(&seed);
            s2.v[i][j] = urand(&seed);
        }
    s0.v[0][1] -= 0.7; /* a Hall part */
    s0.v[1][0] += 0.7;
    double err[2];
    static const double ts[2] = {1e-2, 1e-3};
    for (int q = 0; q < 2; q++) {
        double t = ts[q], B[3] = {0, 0, t};
        qkt_tensor_t a1 = s1, a2 = s2;
        for (int i = 0; i < 9; i++) {
            a1.v[i / 3][i % 3] *= t;
            a2.v[i / 3][i % 3] *= t * t;
        }
        qkt_rho_t r;
        qkt_status_t s = qkt_rho_expand(&s0, &a1, &a2, B, 3, &r);
        CHECK_OK(s == QKT_OK, "random: qkt_rho_expand runs (%s)", s ? qkt_strerror() : "ok");
        double full[3][3], exact[3][3];
        for (int i = 0; i < 9; i++) full[i / 3][i % 3] = s0.v[i / 3][i % 3] + a1.v[i / 3][i % 3] + a2.v[i / 3][i % 3];
        inv3(full, exact);
        err[q] = 0;
        for (int i = 0; i < 9; i++) {
            double d = fabs(r.rho0.v[i / 3][i % 3] + r.rho1.v[i / 3][i % 3] + r.rho2.v[i / 3][i % 3] - exact[i / 3][i % 3]);
            if (d > err[q]) err[q] = d;
        }
        printf("  t = %g: max |rho0 + rho1 + rho2 - inverse| = %.3e\n", t, err[q]);
        /* the order-0 term alone is off by O(t): the expansion must do much better */
        CHECK_OK(err[q] < 5 * t * t * t, "random: remainder %.3e < 5 t^3 = %.3e at t = %g", err[q], 5 * t * t * t, t);
    }
    CHECK_REL(err[0] / err[1], 1000, 0.1, "random: remainder is O(t^3): ratio at t = 1e-2 and 1e-3 ~ 1000");
}

/* Drude free electrons, sigma0 = s I, B along b: sigma^(1)_ij = -s w eps_ijk B_k,
 * sigma^(2)_ij = -s w^2 (|B|^2 delta_ij - B_i B_j) (exact: sigma = s (1 + w B x)^-1) */
static void drude(double s, double w, const double B[3], qkt_tensor_t *s0, qkt_tensor_t *s1, qkt_tensor_t *s2)
{
    zero(s0);
    zero(s1);
    zero(s2);
    double b2 = B[0] * B[0] + B[1] * B[1] + B[2] * B[2];
    for (int i = 0; i < 3; i++) {
        s0->v[i][i] = s;
        for (int j = 0; j < 3; j++) {
            s2->v[i][j] = -s * w * w * ((i == j) * b2 - B[i] * B[j]);
            for (int k = 0; k < 3; k++) {
                int e = (i - j) * (j - k) * (k - i) / 2; /* Levi-Civita */
                s1->v[i][j] += -s * w * e * B[k];
            }
        }
    }
}

/* 2. */
static void test_drude(void)
{
    double n = 0.37, tau = 5, mass = 2, s = n * tau / mass, w = tau / mass; /* w_c tau per unit B */
    double B[3] = {0, 0, 0.01};
    qkt_tensor_t s0, s1, s2;
    drude(s, w, B, &s0, &s1, &s2);
    qkt_rho_t r;
    qkt_status_t st = qkt_rho_expand(&s0, &s1, &s2, B, 3, &r);
    CHECK_OK(st == QKT_OK, "drude: runs");
    CHECK_REL(r.hall, -1 / n, 1e-13, "drude: R_H = -1/(n e) exactly (B along z)");
    CHECK_ABS(r.mr2[0], 0, 1e-12 * w * w, "drude: MR_xx per B^2 = 0 (rho_xx B-independent)");
    CHECK_ABS(r.mr1[0], 0, 1e-15, "drude: no odd MR without anomalous Hall");
    CHECK_REL(r.hall_angle, w * B[2], 1e-13, "drude: hall_angle = w_c tau at B");
    /* any direction: R_H is a scalar */
    double B2[3] = {0.003, -0.004, 0.012};
    drude(s, w, B2, &s0, &s1, &s2);
    qkt_rho_expand(&s0, &s1, &s2, B2, 3, &r);
    CHECK_REL(r.hall, -1 / n, 1e-13, "drude: R_H = -1/(n e) for B along (3, -4, 12)/13");
    CHECK_ABS(r.mr2[2], 0, 1e-12 * w * w, "drude: MR_zz per B^2 = 0 for a tilted field");
    /* 2D block */
    drude(s, w, B, &s0, &s1, &s2);
    st = qkt_rho_expand(&s0, &s1, &s2, B, 2, &r);
    CHECK_OK(st == QKT_OK && r.n == 2 && r.rho0.v[2][2] == 0, "drude 2D: xy block, zz left 0");
    CHECK_REL(r.hall, -1 / n, 1e-13, "drude 2D: R_H = -1/(n e)");
}

/* 3. s0 = a I + h J (J_xy = -1, J_yx = 1), s1 = c J: everything commutes, and
 * rho1 = -c [(a^2 - h^2) J + 2 a h I]/(a^2 + h^2)^2: rho1_xx = -2 a h c/(a^2 + h^2)^2 */
static void test_anomalous(void)
{
    double a = 1.3, h = 0.4;
    for (int sign = 1; sign >= -1; sign -= 2) {
        double c = 0.02 * sign, B[3] = {0, 0, 0.1 * sign};
        qkt_tensor_t s0, s1;
        zero(&s0);
        zero(&s1);
        s0.v[0][0] = s0.v[1][1] = s0.v[2][2] = a;
        s0.v[0][1] = -h;
        s0.v[1][0] = h;
        s1.v[0][1] = -c;
        s1.v[1][0] = c;
        qkt_rho_t r;
        qkt_rho_expand(&s0, &s1, NULL, B, 3, &r);
        double want = -2 * a * h * c / ((a * a + h * h) * (a * a + h * h));
        CHECK_REL(r.rho1.v[0][0], want, 1e-13,
                  WHAT("anomalous Hall: rho1_xx = -2 a h c/(a^2+h^2)^2, odd in B (B_z sign %+d)", sign));
        CHECK_REL(r.mr1[0], want / (a / (a * a + h * h)) / 0.1, 1e-13, "anomalous Hall: mr1_xx = rho1_xx/(rho0_xx |B|)");
    }
}

/* 4. */
static void test_singular(void)
{
    qkt_tensor_t s0;
    zero(&s0);
    s0.v[0][0] = s0.v[1][1] = 1;
    s0.v[0][1] = 0.3;
    s0.v[1][0] = -0.3;
    qkt_rho_t r;
    double B[3] = {0, 0, 1};
    qkt_status_t s = qkt_rho_expand(&s0, NULL, NULL, B, 3, &r);
    CHECK_OK(s == QKT_EPHYS && strstr(qkt_strerror(), "singular"), "singular: 3D sigma0 with zz = 0 refused: %s",
             qkt_strerror());
    CHECK_OK(qkt_rho_expand(&s0, NULL, NULL, B, 2, &r) == QKT_OK, "singular: the same as a 2D model's xy block works");
    s0.v[2][2] = 1e-20;
    s0.e[2][2] = 1e-18;
    CHECK_OK(qkt_rho_expand(&s0, NULL, NULL, B, 3, &r) == QKT_EPHYS, "singular: zz = 1e-20 +- 1e-18 refused");
    s0.v[2][2] = 1e-3;
    s0.e[2][2] = 1e-6;
    CHECK_OK(qkt_rho_expand(&s0, NULL, NULL, B, 3, &r) == QKT_OK, "singular: zz = 1e-3 +- 1e-6 accepted");
    CHECK_REL(r.rho0.e[2][2], 1e-6 / 1e-6, 1e-12, "error: rho0_zz error = e_zz/s_zz^2 = 1");
}

/* 5. errors = sum_c |dF/dx_c| e_c, derivatives by central differences of the library */
static void test_errors(void)
{
    unsigned seed = 11;
    qkt_tensor_t s[3];
    for (int k = 0; k < 3; k++) {
        zero(&s[k]);
        for (int i = 0; i < 9; i++) {
            s[k].v[i / 3][i % 3] = (k == 0 && i % 4 == 0 ? 2 : 0) + urand(&seed);
            s[k].e[i / 3][i % 3] = 1e-3 * (0.5 + urand(&seed));
        }
    }
    double B[3] = {0.6, 0, 0.8};
    qkt_rho_t r, rp, rm;
    qkt_rho_expand(&s[0], &s[1], &s[2], B, 3, &r);
    double e_r2 = 0, e_hall = 0, e_mr = 0;
    for (int c = 0; c < 27; c++) {
        qkt_tensor_t t[3] = {s[0], s[1], s[2]};
        double hh = 1e-6, e = s[c / 9].e[(c % 9) / 3][c % 3];
        t[c / 9].v[(c % 9) / 3][c % 3] += hh;
        qkt_rho_expand(&t[0], &t[1], &t[2], B, 3, &rp);
        t[c / 9].v[(c % 9) / 3][c % 3] -= 2 * hh;
        qkt_rho_expand(&t[0], &t[1], &t[2], B, 3, &rm);
        e_r2 += fabs(rp.rho2.v[0][1] - rm.rho2.v[0][1]) / (2 * hh) * e;
        e_hall += fabs(rp.hall - rm.hall) / (2 * hh) * e;
        e_mr += fabs(rp.mr[0] - rm.mr[0]) / (2 * hh) * e;
    }
    CHECK_REL(r.rho2.e[0][1], e_r2, 1e-6, "errors: rho2_xy error = sum |d rho2_xy/dx_c| e_c (finite differences)");
    CHECK_REL(r.hall_err, e_hall, 1e-6, "errors: R_H error against finite differences");
    CHECK_REL(r.mr_err[0], e_mr, 1e-6, "errors: MR_xx error against finite differences");
    /* rho0: the sum equals |rho0| E |rho0| elementwise */
    double w = 0, inv[3][3], a[3][3];
    for (int i = 0; i < 9; i++) a[i / 3][i % 3] = s[0].v[i / 3][i % 3];
    inv3(a, inv);
    for (int k = 0; k < 3; k++)
        for (int l = 0; l < 3; l++) w += fabs(inv[1][k]) * s[0].e[k][l] * fabs(inv[l][2]);
    CHECK_REL(r.rho0.e[1][2], w, 1e-12, "errors: rho0_yz error = (|rho0| E |rho0|)_yz");
}

/* 6. Isotropic Drude band plus sigma2 += s c b_i b_j: rho2(b) = -(c/s) b b^T, so
 * rho_xx(phi) = rho0 - (c/s) cos^2 phi and rho_yx(phi) = -(c/s) sin phi cos phi:
 * par = -c/s, perp = 0, amr = phe = -c/s. */
static void test_plane(void)
{
    double s = 2.5, w = 0.7, c = 0.3;
    qkt_response_t r;
    memset(&r, 0, sizeof r);
    r.dim = 3;
    r.par.order = 2;
    r.par.al_mask = 7;
    for (int a = 0; a < 3; a++) {
        double B[3] = {a == 0, a == 1, a == 2};
        qkt_tensor_t s0, s1, s2;
        drude(s, w, B, &s0, &s1, &s2);
        r.sigma0 = s0;
        r.sigma1[a] = s1;
        for (int b = 0; b < 3; b++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) {
                    /* sigma2[a][b] as ordered halves of the symmetric rank-4 tensor */
                    double d = -s * w * w * ((i == j) * (a == b) - 0.5 * ((i == a) * (j == b) + (i == b) * (j == a)));
                    d += s * c * 0.5 * ((i == a) * (j == b) + (i == b) * (j == a));
                    r.sigma2[a][b].v[i][j] = d;
                    r.sigma2[a][b].e[i][j] = 1e-4;
                }
    }
    for (int i = 0; i < 3; i++) r.sigma0.e[i][i] = 1e-4;
    static const int pl[3][2] = {{0, 1}, {1, 2}, {2, 0}};
    for (int q = 0; q < 3; q++) {
        qkt_rho_plane_t p;
        qkt_status_t st = qkt_response_rho_plane(&r, pl[q][0], pl[q][1], &p);
        CHECK_OK(st == QKT_OK, "plane %c%c runs", "xyz"[pl[q][0]], "xyz"[pl[q][1]]);
        CHECK_REL(p.amr, -c / s, 1e-12, WHAT("plane %c%c: AMR = rho_par - rho_perp = -c/s", "xyz"[pl[q][0]], "xyz"[pl[q][1]]));
        CHECK_REL(p.phe, -c / s, 1e-12, "plane: PHE amplitude = AMR (in-plane isotropic)");
        CHECK_ABS(p.perp, 0, 1e-14, "plane: rho_perp per B^2 = 0 (Lorentz terms cancel in rho)");
        CHECK_REL(p.amr_rel, -c, 1e-12, "plane: AMR/rho0 = -c");
        CHECK_OK(p.amr_err > 0 && p.phe_err > 0, "plane: errors propagated (%.3g, %.3g)", p.amr_err, p.phe_err);
    }
    /* rho_par against the field-contraction route at b = x */
    qkt_rho_t rr;
    qkt_response_rho(&r, (double[3]){1, 0, 0}, &rr);
    qkt_rho_plane_t p;
    qkt_response_rho_plane(&r, 0, 1, &p);
    CHECK_REL(p.par, rr.rho2.v[0][0], 1e-13, "plane: par = rho2_xx of qkt_response_rho at B = x");
    r.par.al_mask = 4;
    CHECK_OK(qkt_response_rho_plane(&r, 0, 1, &p) == QKT_EINVAL, "plane: refused without B_x, B_y computed");
}

/* 7. engine, parabolic band (mass 1), rule rta */
static void test_engine(void)
{
    qkt_model_t *m = model("parabolic");
    set1(m, "mass", 1);
    setup(m);
    qkt_params_t p;
    qkt_params_default(&p);
    p.rule = QKT_RULE_RTA;
    p.mu = 1;
    p.T = 0.02;
    p.order = 2;
    p.nu_mask = 7;
    p.al_mask = 4;
    p.kbox = 2;
    p.reltol = 1e-3;
    qkt_response_t *r = run_w(40, "parabolic mu=1 rta order 2, B z", m, &p);
    qkt_model_free(m);
    if (!r) return;
    double B[3] = {0, 0, 1e-3}, tau = p.tau_intra;
    qkt_rho_t rho;
    qkt_status_t s = qkt_response_rho(r, B, &rho);
    CHECK_OK(s == QKT_OK, "parabolic: qkt_response_rho (%s)", s ? qkt_strerror() : "ok");
    printf("  n = %.8e, R_H = %.8e +- %.2e, MR_xx/B^2 = %.3e +- %.2e (terms (w_c tau)^2/B^2 = %g), MR_zz/B^2 = %.3e\n",
           r->density, rho.hall, rho.hall_err, rho.mr2[0], rho.mr2_err[0], tau * tau, rho.mr2[2]);
    CHECK_REL(rho.hall, -1 / r->density, 2e-3, "parabolic: R_H = -1/(n e), n the engine's density (Drude, exact in RTA)");
    CHECK_OK(fabs(rho.hall + 1 / r->density) <= 3 * rho.hall_err, "parabolic: |R_H + 1/n| = %.3g within 3 x error %.3g",
             fabs(rho.hall + 1 / r->density), rho.hall_err);
    CHECK_ABS(rho.mr2[0], 0, 1e-5 * tau * tau, "parabolic: MR_xx per B^2 = 0 (single band), tol 1e-5 (tau/m)^2");
    CHECK_OK(fabs(rho.mr2[0]) <= 3 * rho.mr2_err[0] + 1e-12, "parabolic: |MR_xx| within 3 x its error %.3g",
             rho.mr2_err[0]);
    CHECK_ABS(rho.mr2[2], 0, 1e-5 * tau * tau, "parabolic: MR_zz per B^2 = 0 (B || j)");
    CHECK_REL(rho.hall_angle, tau * B[2], 5e-3, "parabolic: hall_angle = w_c tau = e B tau/m");
    release(r);
}

int main(void)
{
    test_expansion();
    test_drude();
    test_anomalous();
    test_singular();
    test_errors();
    test_plane();
    test_engine();
    CHECK_DONE();
}
