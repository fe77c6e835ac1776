/* resistivity.c - the resistivity tensor rho(B) = [sigma(B)]^-1 expanded to
 * order B^2 for sigma(B) = sigma0 + sigma^(1)(B) + sigma^(2)(B):
 *   rho0 = sigma0^-1,
 *   rho1 = -rho0 sigma^(1) rho0,
 *   rho2 = -rho0 sigma^(2) rho0 + rho0 sigma^(1) rho0 sigma^(1) rho0,
 * with the anomalous Hall part of sigma0 kept (a non-symmetric rho0 is what
 * gives rho_xx its terms odd in B), and the observables experiments report:
 * magnetoresistance, the Hall coefficient, planar-Hall and anisotropic-MR
 * amplitudes.  Errors are propagated to first order: every output F gets
 * sum_c |dF/dx_c| e_c over the input components x_c with errors e_c (a
 * worst-case linear bound, like the error sums of the field contractions in
 * contract.c); the derivatives are exact, carried forward through the
 * matrix algebra by dual numbers, one input component at a time. */
#include <lapacke.h>
#include <math.h>
#include <string.h>
#include "qkt.h"

/* A 3x3 matrix with its derivative along one input component. */
typedef struct {
    double v[3][3], d[3][3];
} dmat;

static void dmul(const dmat *a, const dmat *b, dmat *c)
{
    dmat t;
    memset(&t, 0, sizeof t);
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 3; k++)
            for (int j = 0; j < 3; j++) {
                t.v[i][j] += a->v[i][k] * b->v[k][j];
                t.d[i][j] += a->d[i][k] * b->v[k][j] + a->v[i][k] * b->d[k][j];
            }
    *c = t;
}

static void dmul3(const dmat *a, const dmat *b, const dmat *c, dmat *out)
{
    dmat t;
    dmul(a, b, &t);
    dmul(&t, c, out);
}

/* Inverse of the leading n x n block of s (LU with partial pivoting); the
 * rest of the 3x3 is zero.  Refused when s is singular at rounding level, or
 * may be singular within its error bars: a matrix s + d with |d| <= e
 * elementwise can be singular only if the spectral radius of |s^-1| e is
 * >= 1 (componentwise perturbation bound), so that radius must stay below 1
 * (the first-order errors of rho would otherwise be as large as rho). */
static qkt_status_t invert(const qkt_tensor_t *s, int n, double inv[3][3])
{
    double a[9], sv[3], sup[3], lu[9], ident[9], wr[3], wi[3];
    int ipiv[3];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            a[i * n + j] = s->v[i][j];
            if (!isfinite(s->v[i][j]) || !isfinite(s->e[i][j]))
                return qkt_error(QKT_ENUM, "resistivity: sigma0 has a non-finite entry");
        }
    memcpy(lu, a, sizeof a);
    if (LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'N', 'N', n, n, lu, n, sv, NULL, n, NULL, n, sup) != 0)
        return qkt_error(QKT_ENUM, "resistivity: singular value decomposition of sigma0 failed");
    double radius = 0;
    if (sv[0] > 0 && sv[n - 1] > 64 * 2.220446049250313e-16 * sv[0]) {
        memcpy(lu, a, sizeof a);
        for (int i = 0; i < n * n; i++) ident[i] = i % (n + 1) == 0;
        if (LAPACKE_dgesv(LAPACK_ROW_MAJOR, n, n, lu, n, ipiv, ident, n) != 0)
            return qkt_error(QKT_ENUM, "resistivity: the LU solve of sigma0 failed");
        double m[9];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                m[i * n + j] = 0;
                for (int k = 0; k < n; k++) m[i * n + j] += fabs(ident[i * n + k]) * s->e[k][j];
            }
        if (LAPACKE_dgeev(LAPACK_ROW_MAJOR, 'N', 'N', n, m, n, wr, wi, NULL, n, NULL, n) != 0)
            return qkt_error(QKT_ENUM, "resistivity: eigenvalues of |sigma0^-1| err failed");
        for (int i = 0; i < n; i++) radius = fmax(radius, hypot(wr[i], wi[i]));
    } else
        radius = INFINITY;
    if (!(radius < 1))
        return qkt_error(QKT_EPHYS,
                         "resistivity: sigma0 (%dx%d%s) is singular within its errors (singular values %.3g to "
                         "%.3g, spectral radius of |sigma0^-1| err %.3g >= 1): no resistivity (an insulator, or a "
                         "direction without conduction)",
                         n, n, n == 2 ? " block xy of a 2D model" : "", sv[n - 1], sv[0], radius);
    memset(inv, 0, 9 * sizeof(double));
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) inv[i][j] = ident[i * n + j];
    return QKT_OK;
}

/* Inputs of one evaluation: sigma0 and the field terms at up to three unit
 * field directions (the plane amplitudes need three), each with its
 * derivative along the input component being propagated. */
typedef struct {
    dmat s0, s1[3], s2[3];
    int nb;
} rin_t;

typedef struct {
    dmat r0, r1[3], r2[3];
} rout_t;

/* rho0's derivative from the fixed inverse: d(s^-1) = -s^-1 ds s^-1. */
static void expand(const double inv[3][3], const rin_t *in, rout_t *out)
{
    dmat r0;
    memcpy(r0.v, inv, sizeof r0.v);
    memset(r0.d, 0, sizeof r0.d);
    dmat ds = {{{0}}, {{0}}};
    memcpy(ds.v, in->s0.d, sizeof ds.v);
    dmat t;
    dmat rv = r0; /* value only, for the derivative formula */
    dmul3(&rv, &ds, &rv, &t);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) r0.d[i][j] = -t.v[i][j];
    out->r0 = r0;
    for (int q = 0; q < in->nb; q++) {
        dmat a, b;
        dmul3(&r0, &in->s1[q], &r0, &a); /* rho0 s1 rho0 */
        dmul3(&r0, &in->s2[q], &r0, &b); /* rho0 s2 rho0 */
        dmat c;
        dmul3(&a, &in->s1[q], &r0, &c); /* rho0 s1 rho0 s1 rho0 */
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                out->r1[q].v[i][j] = -a.v[i][j];
                out->r1[q].d[i][j] = -a.d[i][j];
                out->r2[q].v[i][j] = -b.v[i][j] + c.v[i][j];
                out->r2[q].d[i][j] = -b.d[i][j] + c.d[i][j];
            }
    }
}

static void set_values(dmat *d, const qkt_tensor_t *t)
{
    memset(d, 0, sizeof *d);
    if (t) memcpy(d->v, t->v, sizeof d->v);
}

static double dn(double a, double b) { return b != 0 ? a / b : 0; }

/* Derived quantities of one evaluation (value or derivative, by which). */
typedef struct {
    double hall, mr1[3], mr2[3], mr[3];
} derived_t;

static void derive(const rout_t *o, const double bh[3], double Bn, int deriv, derived_t *d)
{
    memset(d, 0, sizeof *d);
    /* Hall vector h_l = (1/2) eps_lij rho1_ji, R_H = b.h per unit |B| */
    static const int cyc[3][2] = {{1, 2}, {2, 0}, {0, 1}};
    for (int l = 0; l < 3; l++) {
        int i = cyc[l][0], j = cyc[l][1];
        double h = deriv ? o->r1[0].d[j][i] - o->r1[0].d[i][j] : o->r1[0].v[j][i] - o->r1[0].v[i][j];
        d->hall += 0.5 * bh[l] * h / Bn;
    }
    for (int i = 0; i < 3; i++) {
        double r0 = o->r0.v[i][i], dr0 = deriv ? o->r0.d[i][i] : 0;
        double r1 = o->r1[0].v[i][i], r2 = o->r2[0].v[i][i];
        double f1 = dn(r1, r0), f2 = dn(r2, r0);
        if (!deriv) {
            d->mr1[i] = f1 / Bn;
            d->mr2[i] = f2 / (Bn * Bn);
            d->mr[i] = f1 + f2;
        } else {
            double g1 = dn(o->r1[0].d[i][i] - f1 * dr0, r0), g2 = dn(o->r2[0].d[i][i] - f2 * dr0, r0);
            d->mr1[i] = g1 / Bn;
            d->mr2[i] = g2 / (Bn * Bn);
            d->mr[i] = g1 + g2;
        }
    }
}

static void add_abs_d(qkt_tensor_t *t, const dmat *m, double e)
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) t->e[i][j] += fabs(m->d[i][j]) * e;
}

/* The input component c (0..26: sigma0, s1, s2 by row-major element) with
 * unit derivative. */
static void seed_component(rin_t *in, int c)
{
    for (int q = 0; q < 3; q++) {
        memset(in->s1[q].d, 0, sizeof in->s1[q].d);
        memset(in->s2[q].d, 0, sizeof in->s2[q].d);
    }
    memset(in->s0.d, 0, sizeof in->s0.d);
    dmat *t = c < 9 ? &in->s0 : c < 18 ? &in->s1[0] : &in->s2[0];
    t->d[(c % 9) / 3][c % 3] = 1;
}

qkt_status_t qkt_rho_expand(const qkt_tensor_t *s0, const qkt_tensor_t *s1, const qkt_tensor_t *s2,
                            const double B[3], int n, qkt_rho_t *out)
{
    memset(out, 0, sizeof *out);
    if (n != 2 && n != 3) return qkt_error(QKT_EINVAL, "resistivity: block size %d (2 or 3)", n);
    double Bn = B ? sqrt(B[0] * B[0] + B[1] * B[1] + B[2] * B[2]) : 0;
    if ((s1 || s2) && !(Bn > 0)) return qkt_error(QKT_EINVAL, "resistivity: the field B must not be zero");
    double inv[3][3];
    qkt_status_t st = invert(s0, n, inv);
    if (st) return st;
    double bh[3] = {0, 0, 0};
    for (int a = 0; a < 3 && Bn > 0; a++) bh[a] = B[a] / Bn;
    out->n = n;
    out->order = s2 ? 2 : s1 ? 1 : 0;
    out->B = Bn;
    /* a 2D model's tensors live in the xy block only */
    qkt_tensor_t t0 = *s0, t1, t2;
    memset(&t1, 0, sizeof t1);
    memset(&t2, 0, sizeof t2);
    if (s1) t1 = *s1;
    if (s2) t2 = *s2;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            if (i >= n || j >= n) t0.v[i][j] = t0.e[i][j] = t1.v[i][j] = t1.e[i][j] = t2.v[i][j] = t2.e[i][j] = 0;
    rin_t in;
    memset(&in, 0, sizeof in);
    in.nb = 1;
    set_values(&in.s0, &t0);
    set_values(&in.s1[0], &t1);
    set_values(&in.s2[0], &t2);
    rout_t o;
    expand(inv, &in, &o);
    memcpy(out->rho0.v, o.r0.v, sizeof out->rho0.v);
    memcpy(out->rho1.v, o.r1[0].v, sizeof out->rho1.v);
    memcpy(out->rho2.v, o.r2[0].v, sizeof out->rho2.v);
    derived_t dv;
    if (Bn > 0) derive(&o, bh, Bn, 0, &dv);
    else memset(&dv, 0, sizeof dv);
    /* tan of the Hall angle: the largest entry of rho0 sigma^(1)(B), the
     * parameter of the expansion (w_c tau for one isotropic band) */
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double x = 0;
            for (int k = 0; k < 3; k++) x += inv[i][k] * t1.v[k][j];
            if (fabs(x) > out->hall_angle) out->hall_angle = fabs(x);
        }
    out->hall = dv.hall;
    memcpy(out->mr1, dv.mr1, sizeof dv.mr1);
    memcpy(out->mr2, dv.mr2, sizeof dv.mr2);
    memcpy(out->mr, dv.mr, sizeof dv.mr);
    /* first-order error propagation, one input component at a time */
    const qkt_tensor_t *src[3] = {&t0, &t1, &t2};
    for (int c = 0; c < 27; c++) {
        double e = src[c / 9]->e[(c % 9) / 3][c % 3];
        if (!(e > 0)) continue;
        seed_component(&in, c);
        expand(inv, &in, &o);
        add_abs_d(&out->rho0, &o.r0, e);
        add_abs_d(&out->rho1, &o.r1[0], e);
        add_abs_d(&out->rho2, &o.r2[0], e);
        if (!(Bn > 0)) continue;
        derive(&o, bh, Bn, 1, &dv);
        out->hall_err += fabs(dv.hall) * e;
        for (int i = 0; i < 3; i++) {
            out->mr1_err[i] += fabs(dv.mr1[i]) * e;
            out->mr2_err[i] += fabs(dv.mr2[i]) * e;
            out->mr_err[i] += fabs(dv.mr[i]) * e;
        }
    }
    return QKT_OK;
}

qkt_status_t qkt_response_rho(const qkt_response_t *r, const double B[3], qkt_rho_t *out)
{
    qkt_tensor_t s1, s2;
    int order = r->par.order;
    if (order >= 1) qkt_response_sigma1(r, B, &s1);
    if (order >= 2) qkt_response_sigma2(r, B, &s2);
    return qkt_rho_expand(&r->sigma0, order >= 1 ? &s1 : NULL, order >= 2 ? &s2 : NULL, B, r->dim == 2 ? 2 : 3,
                          out);
}

/* ------------------------------------------------------------------ field rotating in a plane */
/* The B^2 part of rho_kl for unit field b(phi) = cos(phi) e_i + sin(phi) e_j
 * is the quadratic form M_uu cos^2 + M_ww sin^2 + 2 M_uw sin cos; M_uu, M_ww
 * are rho2 at b = e_i, e_j, and M_uw = rho2(b = (e_i + e_j)/sqrt 2) -
 * (M_uu + M_ww)/2.  Inputs: sigma0, sigma1[i], sigma1[j], and the symmetric
 * rank-4 pieces S_ii, S_jj, S_ij (sigma^(2)(b) = sum_ab b_a b_b S_ab). */
typedef struct {
    double par, perp, amr, amr_rel, phe, phe_rel;
} plane_vals_t;

static void plane_derive(const rout_t *o, int i, int j, int deriv, plane_vals_t *p)
{
#define PV(m, a, b) (deriv ? (m).d[a][b] : (m).v[a][b])
    double r0 = o->r0.v[i][i], dr0 = deriv ? o->r0.d[i][i] : 0;
    p->par = PV(o->r2[0], i, i);
    p->perp = PV(o->r2[1], i, i);
    p->amr = p->par - p->perp;
    /* planar Hall: the sin(2 phi) coefficient of rho_ji is M_uw, amplitude 2 M_uw */
    p->phe = 2 * (PV(o->r2[2], j, i) - 0.5 * (PV(o->r2[0], j, i) + PV(o->r2[1], j, i)));
    double amr_v = o->r2[0].v[i][i] - o->r2[1].v[i][i];
    double phe_v = 2 * (o->r2[2].v[j][i] - 0.5 * (o->r2[0].v[j][i] + o->r2[1].v[j][i]));
    p->amr_rel = deriv ? dn(p->amr - amr_v / r0 * dr0, r0) : dn(p->amr, r0);
    p->phe_rel = deriv ? dn(p->phe - phe_v / r0 * dr0, r0) : dn(p->phe, r0);
#undef PV
}

qkt_status_t qkt_response_rho_plane(const qkt_response_t *r, int i, int j, qkt_rho_plane_t *out)
{
    memset(out, 0, sizeof *out);
    if (i < 0 || i > 2 || j < 0 || j > 2 || i == j)
        return qkt_error(QKT_EINVAL, "resistivity plane: axes %d, %d (two different of 0, 1, 2)", i, j);
    if (r->dim != 3) return qkt_error(QKT_EINVAL, "resistivity plane: needs a 3D model (a 2D model feels B_z only)");
    if (r->par.rule == QKT_RULE_PAPER && (r->par.tau_from_disorder || r->par.tau_intra != r->par.tau_inter))
        return qkt_error(QKT_EINVAL, "resistivity plane: not available under rule paper with tau_intra != "
                                     "tau_inter (its anomaly decisions depend on the angle between E and B, so "
                                     "rho^(2) is not quadratic in the field direction; compute each direction)");
    if (r->par.order < 2 || !(r->par.al_mask >> i & 1) || !(r->par.al_mask >> j & 1))
        return qkt_error(QKT_EINVAL, "resistivity plane: needs an order-2 result with the B components %c and %c",
                         "xyz"[i], "xyz"[j]);
    qkt_tensor_t S[6];
    const qkt_tensor_t *src[6];
    src[0] = &r->sigma0;
    src[1] = &r->sigma1[i];
    src[2] = &r->sigma1[j];
    qkt_response_sigma2_sym(r, i, i, &S[3]);
    qkt_response_sigma2_sym(r, j, j, &S[4]);
    qkt_response_sigma2_sym(r, i, j, &S[5]);
    src[3] = &S[3];
    src[4] = &S[4];
    src[5] = &S[5];
    double inv[3][3];
    qkt_status_t st = invert(&r->sigma0, 3, inv);
    if (st) return st;
    /* the three unit fields e_i, e_j, (e_i + e_j)/sqrt 2 as linear maps of the inputs */
    static const double h = 0.70710678118654752440;
    const double c1[3][2] = {{1, 0}, {0, 1}, {h, h}};          /* s1(b) = c1_0 sigma1[i] + c1_1 sigma1[j] */
    const double c2[3][3] = {{1, 0, 0}, {0, 1, 0}, {0.5, 0.5, 1}}; /* s2(b) on S_ii, S_jj, S_ij */
    rin_t in;
    /* c = -1: the values; c >= 0: the derivative along element c % 9 of input c / 9 */
    for (int c = -1; c < 6 * 9; c++) {
        int k = c < 0 ? -1 : c / 9, a = c < 0 ? 0 : (c % 9) / 3, b = c < 0 ? 0 : c % 3;
        double e = k < 0 ? 0 : src[k]->e[a][b];
        if (k >= 0 && !(e > 0)) continue;
        memset(&in, 0, sizeof in);
        in.nb = 3;
        memcpy(in.s0.v, src[0]->v, sizeof in.s0.v);
        for (int q = 0; q < 3; q++)
            for (int x = 0; x < 3; x++)
                for (int y = 0; y < 3; y++) {
                    in.s1[q].v[x][y] = c1[q][0] * src[1]->v[x][y] + c1[q][1] * src[2]->v[x][y];
                    in.s2[q].v[x][y] =
                        c2[q][0] * src[3]->v[x][y] + c2[q][1] * src[4]->v[x][y] + c2[q][2] * src[5]->v[x][y];
                }
        if (k == 0) in.s0.d[a][b] = 1;
        for (int q = 0; q < 3 && k > 0; q++) {
            if (k <= 2) in.s1[q].d[a][b] = c1[q][k - 1];
            else in.s2[q].d[a][b] = c2[q][k - 3];
        }
        rout_t o;
        expand(inv, &in, &o);
        plane_vals_t p;
        plane_derive(&o, i, j, k >= 0, &p);
        if (k < 0) {
            out->par = p.par;
            out->perp = p.perp;
            out->amr = p.amr;
            out->amr_rel = p.amr_rel;
            out->phe = p.phe;
            out->phe_rel = p.phe_rel;
            out->rho0 = inv[i][i];
            continue;
        }
        out->par_err += fabs(p.par) * e;
        out->perp_err += fabs(p.perp) * e;
        out->amr_err += fabs(p.amr) * e;
        out->amr_rel_err += fabs(p.amr_rel) * e;
        out->phe_err += fabs(p.phe) * e;
        out->phe_rel_err += fabs(p.phe_rel) * e;
    }
    return QKT_OK;
}
