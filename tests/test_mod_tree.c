/* test_mod_tree.c - module test of src/engine (tree.h, layout.h): the
 * response tree at ONE k-point, no pockets, against closed forms of the
 * two-band models written out by hand from their Hamiltonians
 * (src/model/weyl2.c, node.c) and of the parabolic band (parabolic.c).
 *
 * Two-band model H = e0(k) + d(k).sigma: bands e_s = e0 + s|d| (s = +-1),
 * velocities v_a^s = d_a e0 + s d.(d_a d)/|d|, and Berry curvature of the
 * upper band Omega^+_{ab} = -d.(d_a d x d_b d)/(2|d|^3), Omega^- = -Omega^+
 * (Xiao, Chang, Niu RMP 82, 1959, with the sign of qkt.h: the upper band of
 * k.sigma has Omega_z = Omega_xy = -k_z/(2k^3)); Omega_c = Omega_ab, abc cyclic.
 *
 * Tallies of tree.c (E along nu, current along mu, tau = 1, e = hbar = 1):
 *   Drude      L_s0(T0_NE, nu, mu) = -sum_m f0'(e_m) v_nu^m v_mu^m
 *              (n_E = v_nu f0', Eq. 31; current -Tr[v_mu n_E]).
 *   intrinsic  L_s0(T0_SE, nu, mu) = sum_m f0(e_m) Omega^m_{nu mu}
 *              (S_E^{mn} = R_nu^{mn}(f_m - f_n)/(e_m - e_n), Eq. 33, with
 *              R^{mn} = i v^{mn}/(e_n - e_m): -Re Tr[v_mu S_E]
 *              = -2 sum_m f_m Im sum_n v_nu^{mn} v_mu^{nm}/(e_m - e_n)^2);
 *              for a two-band model (f_+ - f_-) Omega^+_{nu mu}, so that
 *              sigma_xy = -sum_m f_m Omega_z^m (Streda, Eq. 44).
 *   extrinsic  L_s0(T0_SJ) = 0 without a disorder table.
 *   o_dos      sum_m -f0'(e_m); o_dos + 1: sum_m [f0(e_m) - theta(-e_m)];
 *   o_dos + 2  0 (no degenerate pair).
 *   order 1    L_s1(T1_XIE, nu, al, mu) = -sum_m v_mu^m v_nu^m f0'(e_m) Omega_al^m
 *              (xi = n_E B.Omega, Eq. 45).
 *   parabolic, order 1, Lorentz L_s1(T1_NL, nu, al, mu) = -v_mu (v x e_al)_nu f0'(e)/m:
 *              n_EB = D_B^d n_E = (v x e_al).grad_k (v_nu f0'(eps)) (Eq. 27, one band)
 *              and (v x e_al).v = 0 leaves f0' (v x e_al)_nu / m.
 * Tolerance: 1e-10 relative to the largest entry of each tensor (closed
 * forms in double precision; the finite-difference part of the Lorentz node,
 * (h v/T)^4 ~ 1e-14 here, is below it).  Also: the offsets of a one-direction
 * layout read the same numbers as the full layout (bit for bit), every slot
 * the test does not name is zero, and qkt_tree_eval_scan equals
 * qkt_tree_eval at each chemical potential (bit for bit). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "engine/tree.h"
#include "engine_util.h"
#include "tree_util.h"

#define RTOL 1e-10

/* the test's own Fermi function: f0 = 1/(1 + e^x), f0' = -e^x/(T (1 + e^x)^2),
 * x = (e - mu)/T; exact 0/1 outside |x| > window (the tree's cut, tree.c occupy) */
static double window_ = 12;
static double ff(double e, double mu, double T)
{
    double x = (e - mu) / T;
    if (fabs(x) >= window_) return x < 0 ? 1 : 0;
    return 1 / (1 + exp(x));
}
static double ffp(double e, double mu, double T)
{
    double x = (e - mu) / T;
    if (fabs(x) >= window_) return 0;
    return -exp(x) / (T * (1 + exp(x)) * (1 + exp(x)));
}

/* closed-form two-band quantities at k */
typedef struct {
    double e[2], v[2][3]; /* band s = 0 (lower), 1 (upper) */
    double Om[3][3];      /* Omega^+_{ab} of the upper band */
} two_t;

static void two_band(double e0, const double de0[3], const double d[3], const double dd[3][3], two_t *t)
{
    double n = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    for (int s = 0; s < 2; s++) {
        double sg = s ? 1 : -1;
        t->e[s] = e0 + sg * n;
        for (int a = 0; a < 3; a++)
            t->v[s][a] = de0[a] + sg * (d[0] * dd[a][0] + d[1] * dd[a][1] + d[2] * dd[a][2]) / n;
    }
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            const double *x = dd[a], *y = dd[b];
            double c[3] = {x[1] * y[2] - x[2] * y[1], x[2] * y[0] - x[0] * y[2], x[0] * y[1] - x[1] * y[0]};
            t->Om[a][b] = -(d[0] * c[0] + d[1] * c[1] + d[2] * c[2]) / (2 * n * n * n);
        }
}

/* Omega_c from Omega_ab (abc cyclic) */
static double om_vec(const two_t *t, int c) { return t->Om[(c + 1) % 3][(c + 2) % 3]; }

/* weyl2 (Eq. 70): d = (v kx, v ky, b - sqrt(v^2 kz^2 + Delta^2)), e0 = 0 */
static void weyl2_closed(double v, double b, double dl, const double k[3], two_t *t)
{
    double r = sqrt(v * v * k[2] * k[2] + dl * dl);
    double d[3] = {v * k[0], v * k[1], b - r}, de0[3] = {0, 0, 0};
    double dd[3][3] = {{v, 0, 0}, {0, v, 0}, {0, 0, -v * v * k[2] / r}};
    two_band(0, de0, d, dd, t);
}

/* node (Eq. 91): d = v (qx, qy, Q qz), e0 = E0 + w.q */
static void node_closed(double v, double Q, const double w[3], double E0, const double q[3], two_t *t)
{
    double d[3] = {v * q[0], v * q[1], Q * v * q[2]};
    double dd[3][3] = {{v, 0, 0}, {0, v, 0}, {0, 0, Q * v}};
    two_band(E0 + w[0] * q[0] + w[1] * q[1] + w[2] * q[2], w, d, dd, t);
}

static qkt_tree_par_t tpar(double mu, double T, double h)
{
    qkt_tree_par_t tp;
    memset(&tp, 0, sizeof tp);
    tp.mu = mu;
    tp.T = T;
    tp.h = h;
    tp.degen_tol = 0; /* the model's */
    tp.window = window_;
    return tp;
}


/* |got - want| <= RTOL * scale for the nine entries of a [nu][mu] tensor */
static void check_tensor(const char *what, double got[3][3], double want[3][3])
{
    double scale = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) scale = fmax(scale, fabs(want[i][j]));
    double worst = 0;
    int wi = 0, wj = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            if (fabs(got[i][j] - want[i][j]) >= worst) {
                worst = fabs(got[i][j] - want[i][j]);
                wi = i;
                wj = j;
            }
    CHECK_OK(scale > 0 && worst <= RTOL * scale,
             "%s: 9 entries, largest |diff| %.3g at [nu=%d][mu=%d] (got %.12g want %.12g), tol %.0e x %.6g", what,
             worst, wi, wj, got[wi][wj], want[wi][wj], RTOL, scale);
}

/* the order-0 tallies of a two-band point against the closed forms; marks
 * the slots it reads in used[] */
static void check_order0(const char *label, const qkt_layout_t *L, const double *out, const two_t *t, double mu,
                         double T, unsigned char *used)
{
    double got[3][3], want[3][3];
    double fp[2], f[2];
    for (int s = 0; s < 2; s++) {
        fp[s] = ffp(t->e[s], mu, T);
        f[s] = ff(t->e[s], mu, T);
    }
    printf("  %s: e = (%.6f, %.6f), mu = %g, T = %g, f = (%.6f, %.6f), f0' = (%.6f, %.6f)\n", label, t->e[0],
           t->e[1], mu, T, f[0], f[1], fp[0], fp[1]);
    /* Drude */
    for (int in = 0; in < 3; in++)
        for (int mu_ = 0; mu_ < 3; mu_++) {
            int i = L_s0(L, T0_NE, in, mu_);
            used[i] = 1;
            got[in][mu_] = out[i];
            want[in][mu_] = 0;
            for (int s = 0; s < 2; s++) want[in][mu_] -= fp[s] * t->v[s][in] * t->v[s][mu_];
        }
    check_tensor(WHAT("%s Drude L_s0(T0_NE) = -sum f0' v_nu v_mu", label), got, want);
    /* intrinsic */
    for (int in = 0; in < 3; in++)
        for (int mu_ = 0; mu_ < 3; mu_++) {
            int i = L_s0(L, T0_SE, in, mu_);
            used[i] = 1;
            got[in][mu_] = out[i];
            want[in][mu_] = (f[1] - f[0]) * t->Om[in][mu_];
        }
    check_tensor(WHAT("%s intrinsic L_s0(T0_SE) = (f+ - f-) Omega+_{nu mu}", label), got, want);
    /* extrinsic: no vertex table */
    double sj = 0;
    for (int in = 0; in < 3; in++)
        for (int mu_ = 0; mu_ < 3; mu_++) {
            int i = L_s0(L, T0_SJ, in, mu_);
            used[i] = 1;
            sj = fmax(sj, fabs(out[i]));
        }
    CHECK_OK(sj == 0, "%s extrinsic L_s0(T0_SJ) = 0 without a disorder table (max |.| %.3g)", label, sj);
    used[L->o_dos] = used[L->o_dos + 1] = used[L->o_dos + 2] = 1;
    CHECK_REL(out[L->o_dos], -fp[0] - fp[1], RTOL, WHAT("%s DOS tally sum -f0'", label));
    double dens = f[0] + f[1] - (t->e[0] < 0) - (t->e[1] < 0);
    CHECK_ABS(out[L->o_dos + 1], dens, RTOL * fmax(1, fabs(dens)), WHAT("%s density tally sum f0 - theta(-e)", label));
    CHECK_OK(out[L->o_dos + 2] == 0, "%s degenerate-pair weight 0 (got %g)", label, out[L->o_dos + 2]);
}

static void check_unused_zero(const char *label, const qkt_layout_t *L, const double *out, const unsigned char *used)
{
    int bad = -1;
    for (int i = 0; i < L->fdim; i++)
        if (!used[i] && out[i] != 0 && bad < 0) bad = i;
    CHECK_OK(bad < 0, "%s: the %d slots not named above are zero (first non-zero: %d = %g)", label, L->fdim, bad,
             bad >= 0 ? out[bad] : 0);
}

int main(void)
{
    int nu3[3] = {0, 1, 2}, al3[3] = {0, 1, 2};

    /* ---- 1. weyl2, two k-points: one with the lower band far below the
     * window (f = 1 exactly) and one near the node with both bands inside it */
    printf("== weyl2 (v = 1.3, b = 0.25, Delta = 0.1), order 0 ==\n");
    {
        const double v = 1.3, b = 0.25, dl = 0.1;
        qkt_model_t *m = model("weyl2");
        set1(m, "v", v);
        set1(m, "b", b);
        set1(m, "Delta", dl);
        setup(m);
        qkt_layout_t L;
        qkt_layout_init(&L, 0, 3, 0, 0, nu3, 3, al3, 0);
        CHECK_OK(L.fdim == T0_N * 3 * 3 + 1 + 1 + 9 + 4,
                 "order-0 layout, 3 E directions, no pockets: fdim %d = 27 paths + norm + chirality + 9 Eq.67 + 4 "
                 "diagnostics (DOS, density, degenerate and Landau-cutoff weights)",
                 L.fdim);
        /* k0 = sqrt(b^2 - Delta^2)/v = 0.17627; node at (0, 0, 0.17627) */
        const double kA[3] = {0.07, -0.05, 0.11}, kB[3] = {0.004, 0.006, 0.172};
        for (int ip = 0; ip < 2; ip++) {
            const double *k = ip ? kB : kA;
            two_t t;
            weyl2_closed(v, b, dl, k, &t);
            double T = ip ? 0.01 : 0.02;
            double mu = ip ? 0.004 : t.e[1] + 0.013; /* upper band 0.65 T below mu at kA */
            qkt_tree_par_t tp = tpar(mu, T, 1e-4);
            double *out = tree_eval_at(m, &L, &tp, k, NULL);
            unsigned char *used = calloc(L.fdim, 1);
            check_order0(ip ? "weyl2 kB (near the node)" : "weyl2 kA", &L, out, &t, mu, T, used);
            check_unused_zero(ip ? "weyl2 kB" : "weyl2 kA", &L, out, used);
            if (ip == 1) {
                /* the AHE integrand at kB: sigma_xy = -sum_m f_m Omega_z^m */
                CHECK_REL(out[L_s0(&L, T0_SE, 1, 0)], -(ff(t.e[1], mu, T) - ff(t.e[0], mu, T)) * om_vec(&t, 2), RTOL,
                          "weyl2 kB: L_s0(T0_SE, nu = y, mu = x) = -sum f Omega_z (Eq. 44 integrand)");
            }
            /* offsets: a layout with E along z only reads the same numbers */
            int nz[1] = {2};
            qkt_layout_t L1;
            qkt_layout_init(&L1, 0, 3, 0, 0, nz, 1, al3, 0);
            double *o1 = tree_eval_at(m, &L1, &tp, k, NULL);
            int same = 1;
            for (int t0 = 0; t0 < T0_N; t0++)
                for (int mu_ = 0; mu_ < 3; mu_++) same &= o1[L_s0(&L1, t0, 0, mu_)] == out[L_s0(&L, t0, 2, mu_)];
            for (int i = 0; i < 3; i++) same &= o1[L1.o_dos + i] == out[L.o_dos + i];
            CHECK_OK(same && L1.o_dos < L.o_dos,
                     "%s: layout nu = {z}: L_s0(t, 0, mu) and o_dos (%d vs %d) hold the nu = z numbers of the full layout, "
                     "bit for bit",
                     ip ? "kB" : "kA", L1.o_dos, L.o_dos);
            free(o1);
            /* qkt_tree_eval_scan: the same tallies at several chemical potentials */
            double mus[3] = {mu - 0.7 * T, mu, mu + 1.9 * T};
            double *scan = calloc((size_t)3 * L.fdim, sizeof(double));
            qkt_tree_ws_t *w = qkt_tree_ws_alloc(m, &L, &tp, NULL);
            CHECK(w && qkt_tree_eval_scan(w, k, 3, mus, scan) == QKT_OK, "eval_scan failed: %s", qkt_strerror());
            qkt_tree_ws_free(w);
            int ss = 1;
            for (int i = 0; i < 3; i++) {
                qkt_tree_par_t ti = tpar(mus[i], T, 1e-4);
                double *oi = tree_eval_at(m, &L, &ti, k, NULL);
                for (int j = 0; j < L.fdim; j++) ss &= oi[j] == scan[(size_t)i * L.fdim + j];
                free(oi);
            }
            CHECK_OK(ss, "%s: qkt_tree_eval_scan at 3 chemical potentials = qkt_tree_eval at each, bit for bit",
                     ip ? "kB" : "kA");
            free(scan);
            free(out);
            free(used);
        }
        qkt_model_free(m);
    }

    /* ---- 2. node with chirality -1, tilt and energy offset (tilt shifts the
     * energies and velocities, not the eigenvectors: Omega unchanged) */
    printf("== node (v = 0.9, Q = -1, tilt (0.2, -0.1, 0.3), E0 = 0.04), order 0 ==\n");
    {
        const double v = 0.9, Q = -1, w[3] = {0.2, -0.1, 0.3}, E0 = 0.04;
        qkt_model_t *m = model("node");
        set1(m, "v", v);
        set1(m, "chirality", Q);
        set3v(m, "tilt", w);
        set1(m, "energy", E0);
        setup(m);
        qkt_layout_t L;
        qkt_layout_init(&L, 0, 3, 0, 0, nu3, 3, al3, 0);
        const double q[3] = {-0.03, 0.05, 0.02};
        two_t t;
        node_closed(v, Q, w, E0, q, &t);
        double T = 0.015, mu = 0.5 * (t.e[0] + t.e[1]) + 0.01; /* both bands inside the window */
        qkt_tree_par_t tp = tpar(mu, T, 1e-4);
        double *out = tree_eval_at(m, &L, &tp, q, NULL);
        unsigned char *used = calloc(L.fdim, 1);
        check_order0("node", &L, out, &t, mu, T, used);
        check_unused_zero("node", &L, out, used);
        /* chirality sign: Omega^+ = -Q q/(2 q^3) (upper band of Q k.sigma) */
        double qn = sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2]);
        CHECK_REL(om_vec(&t, 0), -Q * q[0] / (2 * qn * qn * qn), 1e-13,
                  "node: the test's Omega+_x from d.(d_y d x d_z d) equals -Q q_x/(2 q^3)");
        free(out);
        free(used);

        /* order 1 at the same point: the Berry node xi_EB = n_E B.Omega */
        printf("== node, order 1: the Berry node xi_EB at one k ==\n");
        qkt_layout_t L1;
        qkt_layout_init(&L1, 1, 3, 0, 0, nu3, 3, al3, 3);
        out = tree_eval_at(m, &L1, &tp, q, NULL);
        for (int ia = 0; ia < 3; ia++) {
            double got[3][3], want[3][3];
            for (int in = 0; in < 3; in++)
                for (int mu_ = 0; mu_ < 3; mu_++) {
                    got[in][mu_] = out[L_s1(&L1, T1_XIE, in, ia, mu_)];
                    want[in][mu_] = 0;
                    for (int s = 0; s < 2; s++) {
                        double om = (s ? 1 : -1) * om_vec(&t, ia);
                        want[in][mu_] -= t.v[s][mu_] * t.v[s][in] * ffp(t.e[s], mu, T) * om;
                    }
                }
            check_tensor(WHAT("node xi_EB L_s1(T1_XIE, nu, al = %c, mu) = -sum v_mu v_nu f0' Omega_al", "xyz"[ia]), got,
                         want);
        }
        /* the order-0 part of an order-1 layout is the order-0 evaluation */
        double *o0 = tree_eval_at(m, &L, &tp, q, NULL);
        int same = 1;
        for (int t0 = 0; t0 < T0_N; t0++)
            for (int in = 0; in < 3; in++)
                for (int mu_ = 0; mu_ < 3; mu_++) same &= o0[L_s0(&L, t0, in, mu_)] == out[L_s0(&L1, t0, in, mu_)];
        CHECK_OK(same, "node: the order-0 paths of the order-1 layout equal those of the order-0 layout, bit for bit");
        free(o0);
        free(out);
        qkt_model_free(m);
    }

    /* ---- 3. parabolic band, order 1: the Lorentz node by finite differences */
    printf("== parabolic (mass 1.3), order 1: Lorentz node n_EB at one k ==\n");
    {
        const double ms = 1.3;
        qkt_model_t *m = model("parabolic");
        set1(m, "mass", ms);
        setup(m);
        qkt_layout_t L;
        qkt_layout_init(&L, 1, 3, 0, 0, nu3, 3, al3, 3);
        const double k[3] = {0.6, -0.5, 0.55};
        double e = (k[0] * k[0] + k[1] * k[1] + k[2] * k[2]) / (2 * ms), vv[3];
        for (int a = 0; a < 3; a++) vv[a] = k[a] / ms;
        double T = 0.05, mu = e + 0.02;
        double h = 1e-4; /* h v/T = 1.5e-3: fourth-order differences err by ~1e-12 relative */
        qkt_tree_par_t tp = tpar(mu, T, h);
        double *out = tree_eval_at(m, &L, &tp, k, NULL);
        double fp = ffp(e, mu, T);
        for (int ia = 0; ia < 3; ia++) {
            double got[3][3], want[3][3];
            for (int in = 0; in < 3; in++)
                for (int mu_ = 0; mu_ < 3; mu_++) {
                    got[in][mu_] = out[L_s1(&L, T1_NL, in, ia, mu_)];
                    /* (v x e_al)_nu = eps_{nu b al} v_b */
                    int b_ = 3 - in - ia;
                    double vx = 0;
                    if (in != ia) vx = ((in + 1) % 3 == b_ ? 1 : -1) * vv[b_];
                    want[in][mu_] = -vv[mu_] * vx * fp / ms;
                }
            check_tensor(WHAT("parabolic Lorentz L_s1(T1_NL, nu, al = %c, mu) = -v_mu (v x e_al)_nu f0'/m", "xyz"[ia]),
                         got, want);
        }
        double rest = 0;
        for (int t1 = 0; t1 < T1_N; t1++)
            for (int in = 0; in < 3; in++)
                for (int ia = 0; ia < 3; ia++)
                    for (int mu_ = 0; mu_ < 3; mu_++)
                        if (t1 != T1_NL) rest = fmax(rest, fabs(out[L_s1(&L, t1, in, ia, mu_)]));
        CHECK_OK(rest == 0, "parabolic: one band has no S, xi or anomaly node at order 1 (max |.| %.3g)", rest);
        free(out);
        qkt_model_free(m);
    }
    CHECK_DONE();
}
