/* assemble.c - the conductivity tensors of orders B^0, B^1, B^2 (Eq. 39)
 * from the integrated tallies of a computation (response/raw.h) under a
 * relaxation rule of PHYSICS.md (docs/physics.md), split by path and by
 * powers of tau_intra and tau_inter.  Re-assembly under another rule or other
 * times needs no new integration.  Rule paper is assembled for the field
 * direction par.field when it is given (assemble_field below: the seed's
 * recipe applied to the parts of E along and perpendicular to B, rotation
 * covariant), else per Cartesian pair (E axis, B axis). */
#include <stdlib.h>
#include "response/raw.h"

const char *qkt_rule_name(qkt_rule_t r)
{
    switch (r) {
    case QKT_RULE_RTA: return "rta";
    case QKT_RULE_PAPER: return "paper";
    case QKT_RULE_VALLEY: return "valley";
    case QKT_RULE_BORN: return "born";
    }
    return "?";
}

const char *qkt_expansion_name(int expansion)
{
    switch (expansion) {
    case QKT_EXPANSION_SEED: return "seed";
    case QKT_EXPANSION_RECIPROCAL: return "reciprocal";
    case QKT_EXPANSION_EQUILIBRIUM: return "equilibrium";
    }
    return "?";
}

/* ---- polynomials in (tau_intra, tau_inter), degree < 4 in each */
typedef struct {
    double c[4][4];
} pol_t;

static pol_t pol_mono(int a, int b, double c)
{
    pol_t p;
    memset(&p, 0, sizeof p);
    p.c[a][b] = c;
    return p;
}

static pol_t pol_mul(pol_t x, pol_t y)
{
    pol_t r;
    memset(&r, 0, sizeof r);
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++)
            if (x.c[a][b] != 0)
                for (int c = 0; c + a < 4; c++)
                    for (int d = 0; d + b < 4; d++) r.c[a + c][b + d] += x.c[a][b] * y.c[c][d];
    return r;
}

static pol_t pol_add(pol_t x, pol_t y, double s)
{
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) x.c[a][b] += s * y.c[a][b];
    return x;
}

/* accumulate value (and error) times a polynomial into a path tensor and the tau bins */
typedef struct {
    const qkt_params_t *p;
    double ti, tx;
} asm_t;

static double pol_eval(const asm_t *A, const pol_t *f, int a, int b)
{
    return f->c[a][b] * pow(A->ti, a) * pow(A->tx, b);
}

/* bins: tensor of monomial (a, b) at bins[(a * 4 + b) * stride] (NULL: none) */
static void acc(const asm_t *A, qkt_tensor_t *path, qkt_tensor_t *total, qkt_tensor_t *bins, int stride,
                int mu, int nu, pol_t f, double v, double e)
{
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) {
            if (f.c[a][b] == 0) continue;
            double w = pol_eval(A, &f, a, b);
            path->v[mu][nu] += w * v;
            path->e[mu][nu] += fabs(w) * e;
            total->v[mu][nu] += w * v;
            total->e[mu][nu] += fabs(w) * e;
            if (bins) {
                bins[(a * 4 + b) * stride].v[mu][nu] += w * v;
                bins[(a * 4 + b) * stride].e[mu][nu] += fabs(w) * e;
            }
        }
}


/* the error estimate of a value tallied with the velocity-side vertex: the
 * integration error, the signed interpolation and smearing estimates (in
 * absolute value) and the tabulation bound, three blocks of stride values
 * after the value i */
static double vj_err(const double *val, const double *err, int i, int stride)
{
    return err[i] + fabs(val[i + stride]) + fabs(val[i + 2 * stride]) + fabs(val[i + 3 * stride]);
}

/* ---- the assembly of one result: its tallies, their layout and selection, and
 * the relaxation polynomials of the rule's times */
typedef struct {
    qkt_response_t *r;
    const qkt_params_t *p;
    const qkt_layout_t *L;
    const double *val, *err;
    const int *nu, *al;
    int nnu, nal;
    int npk;    /* Fermi pockets */
    int P;      /* stride of the per-pocket S_J tallies: npk, at least 1 */
    int valley; /* rule valley: the pocket-mode parts relax with tau_inter */
    asm_t A;
    pol_t one, ti, tx, txmti; /* 1, tau_intra, tau_inter, tau_inter - tau_intra */
    /* rule paper with a field direction (par.field): the part of E being
     * assembled.  A tally of E column nu enters column col with weight
     * w[nu]; the anomaly decisions of the part are dec1 (the order-1 anomaly
     * node) and dec2[t] (the n child of the off-diagonal order-1 node t) */
    int field, col;
    double w[3];
    int dec1, dec2[T1_N];
    int skip; /* groups of paths (G_*) left out of this part: 0 all assembled */
} ctx_t;

/* the paths by the decision of rule paper that sets their relaxation: the
 * order-1 anomaly node with its order-2 children and its vertex paths (G_A1),
 * the n child of n_E>S_EB (G_SNE), that of S_E>S_EB (G_SS); G_NONE: every
 * other path */
enum { G_NONE = 1, G_A1 = 2, G_SNE = 4, G_SS = 8 };

/* pocket-mode coefficients alpha_p = (pocket sum of d) / (pocket norm) */
static double pk_norm(const ctx_t *c, int q) { return c->val[c->L->o_norm + q]; }

/* a tally into a path tensor of order 1 (alpha) or 2 (alpha, beta), its order's
 * total and its tau bins */
static void acc1(const ctx_t *c, qkt_tensor_t *path, int a, int mu, int nu, pol_t f, double v, double e)
{
    if (c->field) { /* the part of E being assembled: weight of column nu, into column col */
        double w = c->w[nu];
        if (w == 0) return;
        v *= w;
        e *= fabs(w);
        nu = c->col;
    }
    acc(&c->A, path, &c->r->sigma1[a], &c->r->tau1[0][0][a], 3, mu, nu, f, v, e);
}

static void acc2(const ctx_t *c, qkt_tensor_t *path, int a, int b, int mu, int nu, pol_t f, double v, double e)
{
    if (c->field) {
        double w = c->w[nu];
        if (w == 0) return;
        v *= w;
        e *= fabs(w);
        nu = c->col;
    }
    acc(&c->A, path, &c->r->sigma2[a][b], &c->r->tau2[0][0][a][b], 9, mu, nu, f, v, e);
}

/* the rule and times must suit what the result's tallies hold */
static qkt_status_t check_rule(const qkt_response_t *r, qkt_rule_t rule, double tau_intra, double tau_inter)
{
    if (rule == QKT_RULE_VALLEY && !r->raw->valley)
        return qkt_error(QKT_EINVAL, "rule valley needs the pocket-mode tallies: compute with "
                         "rule valley or valley_tallies = 1");
    if (!(tau_intra > 0) || !(tau_inter > 0))
        return qkt_error(QKT_EINVAL, "relaxation times must be > 0");
    if (r->raw->born && rule != QKT_RULE_BORN)
        return qkt_error(QKT_EINVAL, "this result was computed under rule born (n_E from the Born collision "
                                     "operator); it cannot be re-assembled under rule %s", qkt_rule_name(rule));
    if (!r->raw->born && rule == QKT_RULE_BORN)
        return qkt_error(QKT_EINVAL, "rule born needs a computation under rule born (its n_E comes from the "
                                     "disorder's collision operator, not from tau_intra)");
    if (r->raw->L.recip && rule != QKT_RULE_RTA)
        return qkt_error(QKT_EINVAL, "this result holds the %s expansion, defined under rule rta only at order B^1; it "
                                     "cannot be re-assembled under rule %s", qkt_expansion_name(r->par.expansion),
                         qkt_rule_name(rule));
    return QKT_OK;
}

/* clear what is assembled */
static void clear_assembled(qkt_response_t *r)
{
    memset(&r->sigma0, 0, sizeof r->sigma0);
    memset(r->path0, 0, sizeof r->path0);
    memset(r->sigma1, 0, sizeof r->sigma1);
    memset(r->path1, 0, sizeof r->path1);
    memset(r->sigma2, 0, sizeof r->sigma2);
    memset(r->path2, 0, sizeof r->path2);
    memset(r->tau1, 0, sizeof r->tau1);
    memset(r->tau2, 0, sizeof r->tau2);
    memset(r->anomaly1, 0, sizeof r->anomaly1);
    r->paper_field = 0;
    r->totals_direct = 0;
    r->landau_sens = 0; /* made again by landau_sensitivity */
    for (int o = 0; o < 2; o++) r->lsens_path[o] = -1;
    memset(r->paper_b, 0, sizeof r->paper_b);
    for (int k = 0; k < 3; k++) r->paper_dec[k][0] = r->paper_dec[k][1] = -1;
}

int qkt_paper_field(const qkt_params_t *p)
{
    return p->rule == QKT_RULE_PAPER && (p->field[0] != 0 || p->field[1] != 0 || p->field[2] != 0);
}

/* ---- order 0 */
static void assemble_order0(const ctx_t *c)
{
    qkt_response_t *r = c->r;
    const qkt_layout_t *L = c->L;
    const double *val = c->val, *err = c->err;
    r->npath0 = T0_N;
    for (int t = 0; t < T0_N; t++) r->path0_name[t] = L->blk[QKT_B_S0].paths[t];
    for (int in = 0; in < c->nnu; in++)
        for (int mu = 0; mu < 3; mu++) {
            int i0 = L_s0(L, T0_NE, in, mu), i1 = L_s0(L, T0_SE, in, mu), i2 = L_s0(L, T0_SJ, in, mu);
            /* rule born: n_E (and S_J from it) carry the Born relaxation already */
            pol_t fn = r->raw->born ? c->one : c->ti;
            acc(&c->A, &r->path0[T0_NE], &r->sigma0, NULL, 0, mu, c->nu[in], fn, val[i0], err[i0]);
            acc(&c->A, &r->path0[T0_SE], &r->sigma0, NULL, 0, mu, c->nu[in], c->one, val[i1], err[i1]);
            /* + the tables' error bound (interpolation and smearing), from the
             * adjoint route (L.vj) */
            double e2 = err[i2] + (L->vj ? vj_err(val, err, L->o_j0 + in * 3 + mu, c->nnu * 3) -
                                               err[L->o_j0 + in * 3 + mu]
                                         : 0);
            acc(&c->A, &r->path0[T0_SJ], &r->sigma0, NULL, 0, mu, c->nu[in], fn, val[i2], e2);
        }
}

/* order 0: S_J from the adjoint route (L.vj), relaxed as n_E (rule born: n_E
 * holds its relaxation already) */
static void assemble_sj_adjoint(const ctx_t *c)
{
    qkt_response_t *r = c->r;
    const qkt_layout_t *L = c->L;
    double f = r->raw->born ? 1 : c->p->tau_intra;
    memset(&r->sj_adjoint, 0, sizeof r->sj_adjoint);
    for (int in = 0; in < c->nnu; in++)
        for (int mu = 0; mu < 3; mu++) {
            r->sj_adjoint.v[mu][c->nu[in]] = f * c->val[L->o_j0 + in * 3 + mu];
            r->sj_adjoint.e[mu][c->nu[in]] = f * vj_err(c->val, c->err, L->o_j0 + in * 3 + mu, c->nnu * 3);
        }
}

/* ---- order 1 */

/* the pocket test of rule paper: a pocket sum ps counts as non-zero above
 * pocket_thresh times its scale pa (the pocket sum of |d|) and 10 times its
 * error pe */
static int pocket_nonzero(const qkt_params_t *p, double ps, double pa, double pe)
{
    return fabs(ps) > p->pocket_thresh * pa && fabs(ps) > 10 * pe;
}

/* order 1, the Cartesian pair (nu, alpha): the pumping rates per pocket and
 * the anomaly test.  Rule paper: the anomaly node relaxes with tau_inter when
 * E.B != 0 (nu = alpha, Eq. 106) or when its driving term has a non-zero sum
 * over some pocket; else tau_intra (Eq. 121) */
static int order1_pump_anomaly(const ctx_t *c, int in, int ia)
{
    qkt_response_t *r = c->r;
    const qkt_params_t *p = c->p;
    const qkt_layout_t *L = c->L;
    const double *val = c->val, *err = c->err;
    int a = c->al[ia], n_ = c->nu[in];
    int anom = n_ == a;
    for (int q = 0; q < c->npk; q++) {
        int base = L_q1(L, T1_NA, in, ia) + q;
        double ps = val[L->o_p1 + base], pa = val[L->o_a1 + base], pe = err[L->o_p1 + base];
        if (pocket_nonzero(p, ps, pa, pe)) anom = 1;
        r->pump[q][n_][a] = ps;
        r->pump_err[q][n_][a] = pe;
        r->pump_sea[q][n_][a] = val[L->o_sea1 + base];
        /* Eq. 67 form, written for E || B along one axis */
        double tr = 0;
        for (int k = 0; k < 3; k++) tr += val[L->o_pump67 + q * 9 + k * 3 + k];
        r->pump67[q][n_][a] = (n_ == a ? tr : 0) - val[L->o_pump67 + q * 9 + a * 3 + n_];
        if (L->vj && L->order == 1) {
            /* the drive D_B^d S_J(n_E) of the vertex part counts too, in the
             * anomaly test and in the pumping rate (Eq. 61 with rho_E whole) */
            int bj = (in * c->nal + ia) * c->P + q;
            double qs = val[L->o_psj + bj], qa = val[L->o_asj + bj], qe = err[L->o_psj + bj];
            if (pocket_nonzero(p, qs, qa, qe)) anom = 1;
            r->pump[q][n_][a] += qs;
            r->pump_err[q][n_][a] += qe;
        }
    }
    return anom;
}

/* order 1, rule valley: the pocket-mode parts of the n nodes n_L and n_A of
 * the pair (nu, alpha), component mu, relaxed by tau_inter */
static void order1_pocket_modes(const ctx_t *c, int in, int ia, int mu)
{
    const qkt_layout_t *L = c->L;
    const double *val = c->val, *err = c->err;
    int a = c->al[ia], n_ = c->nu[in];
    for (int t = T1_NL; t <= T1_NA; t += T1_NA - T1_NL) {
        pol_t base = t == T1_NL ? c->ti : c->one;
        for (int q = 0; q < c->npk; q++) {
            double alpha = val[L->o_p1 + L_q1(L, t, in, ia) + q] / pk_norm(c, q);
            double u = val[L->o_u1 + q * 3 + mu], ue = err[L->o_u1 + q * 3 + mu];
            acc1(c, &c->r->path1[t][a], a, mu, n_, pol_mul(base, c->txmti), alpha * u, fabs(alpha) * ue);
        }
    }
}

/* rule paper: does the order-1 anomaly node of the pair (nu, alpha) relax
 * with tau_inter?  Per Cartesian pair without a field direction, else the
 * decision of the part of E being assembled */
static int anom1(const ctx_t *c, int n_, int a)
{
    return c->field ? c->dec1 : c->r->anomaly1[n_][a];
}

/* order 1, the pair (nu, alpha): its anomaly test and its nodes' tensors
 * (with a field direction the test was made for the part of E, and the
 * pumping rates were filled before) */
static void order1_pair(const ctx_t *c, int in, int ia)
{
    qkt_response_t *r = c->r;
    int a = c->al[ia], n_ = c->nu[in];
    int anom = c->field ? c->dec1 : (r->anomaly1[n_][a] = order1_pump_anomaly(c, in, ia));
    pol_t f[T1_N];
    f[T1_NL] = pol_mul(c->ti, c->ti);
    f[T1_SNE] = c->ti;
    f[T1_XIE] = c->ti;
    f[T1_NA] = c->p->rule == QKT_RULE_PAPER && anom ? c->tx : c->ti;
    f[T1_SS] = c->one;
    for (int mu = 0; mu < 3; mu++) {
        for (int t = 0; t < T1_N; t++) {
            if (c->skip & (t == T1_NA ? G_A1 : G_NONE)) continue;
            int i = L_s1(c->L, t, in, ia, mu);
            acc1(c, &r->path1[t][a], a, mu, n_, f[t], c->val[i], c->err[i]);
        }
        if (c->valley) order1_pocket_modes(c, in, ia, mu);
    }
}

static void assemble_order1(const ctx_t *c)
{
    c->r->npath1 = T1_N;
    for (int t = 0; t < T1_N; t++) c->r->path1_name[t] = c->L->blk[QKT_B_S1].paths[t];
    for (int in = 0; in < c->nnu; in++)
        for (int ia = 0; ia < c->nal; ia++) order1_pair(c, in, ia);
}

/* order 1, the reciprocal (and equilibrium) expansion's completion: its
 * added nodes, relaxed with tau_intra (rule rta) */
static void order1_reciprocal(const ctx_t *c)
{
    qkt_response_t *r = c->r;
    const qkt_layout_t *L = c->L;
    for (int t = 0; t < L->nx1; t++) r->path1_name[T1_N + t] = L->blk[QKT_B_X1].paths[t];
    r->npath1 = T1_N + L->nx1;
    for (int in = 0; in < c->nnu; in++)
        for (int ia = 0; ia < c->nal; ia++)
            for (int t = 0; t < L->nx1; t++)
                for (int mu = 0; mu < 3; mu++) {
                    int i = L_x1(L, t, in, ia, mu), a = c->al[ia];
                    acc1(c, &r->path1[T1_N + t][a], a, mu, c->nu[in], c->ti, c->val[i], c->err[i]);
                }
}

/* order 1 vertex, rule valley: the pocket-mode parts J(u_p) of the vertex
 * paths (from path j0) and the n child of S_J (path s0 + SJ1_N) of the pair
 * (nu, alpha), component mu; fu: their polynomials */
static void vertex1_pocket_modes(const ctx_t *c, int in, int ia, int mu, int j0, int s0, const pol_t *fu)
{
    qkt_response_t *r = c->r;
    const qkt_layout_t *L = c->L;
    const double *val = c->val, *err = c->err;
    int a = c->al[ia], n_ = c->nu[in];
    for (int q = 0; q < c->npk; q++) {
        double u = val[L->o_u1 + q * 3 + mu], ue = err[L->o_u1 + q * 3 + mu];
        double uj = val[L->o_uj1 + q * 3 + mu];
        double uje = vj_err(val, err, L->o_uj1 + q * 3 + mu, c->npk * 3);
        for (int j = 0; j < J1_N; j++) {
            double ps = j == J1_NSJ ? val[L->o_psj + (in * c->nal + ia) * c->P + q]
                                    : val[L->o_p1 + L_q1(L, j == J1_NL ? T1_NL : T1_NA, in, ia) + q];
            double alpha = ps / pk_norm(c, q);
            acc1(c, &r->path1[j0 + j][a], a, mu, n_, fu[j], alpha * uj, fabs(alpha) * uje);
            if (j == J1_NSJ) /* the n child's own pocket-mode part */
                acc1(c, &r->path1[s0 + SJ1_N][a], a, mu, n_, fu[j], alpha * u, fabs(alpha) * ue);
        }
    }
}

/* order 1 vertex, the pair (nu, alpha): the children of S_J(n_E) (from path
 * s0) and the vertex J(n) of each diagonal node (from path j0) */
static void vertex1_pair(const ctx_t *c, int in, int ia, int j0, int s0)
{
    qkt_response_t *r = c->r;
    const qkt_layout_t *L = c->L;
    int a = c->al[ia], n_ = c->nu[in];
    pol_t ti = c->ti, txmti = c->txmti;
    pol_t fa = c->p->rule == QKT_RULE_PAPER && anom1(c, n_, a) ? c->tx : ti;
    /* the node's own polynomial and that of its pocket-mode part */
    pol_t fj[J1_N] = {pol_mul(ti, ti), fa, pol_mul(ti, fa)};
    pol_t fu[J1_N] = {pol_mul(ti, txmti), txmti, pol_mul(ti, txmti)};
    for (int mu = 0; mu < 3; mu++) {
        for (int ch = 0; ch < SJ1_NCHILD; ch++) {
            if (c->skip & (ch == SJ1_N ? G_A1 : G_NONE)) continue;
            int i = L_sj1(L, ch, in, ia, mu);
            acc1(c, &r->path1[s0 + ch][a], a, mu, n_, ch == SJ1_N ? fj[J1_NSJ] : ti, c->val[i], c->err[i]);
        }
        for (int j = 0; j < J1_N; j++) {
            if (c->skip & (j == J1_NL ? G_NONE : G_A1)) continue;
            int i = L_j1(L, j, in, ia, mu);
            acc1(c, &r->path1[j0 + j][a], a, mu, n_, fj[j], c->val[i], vj_err(c->val, c->err, i, L_j1stride(L)));
        }
        if (c->valley) vertex1_pocket_modes(c, in, ia, mu, j0, s0, fu);
    }
}

/* order 1, the vertex paths: the children of S_J(n_E) (S_J relaxes as n_E,
 * with tau_intra), and the vertex J(n) of each diagonal node n, which relaxes
 * as n (under rule valley with the pocket-mode parts' J(u_p) relaxed by
 * tau_inter) */
static void order1_vertex(const ctx_t *c)
{
    qkt_response_t *r = c->r;
    int j0 = r->npath1, s0 = j0 + J1_N;
    for (int j = 0; j < J1_N; j++) r->path1_name[j0 + j] = c->L->blk[QKT_B_J1].paths[j];
    for (int ch = 0; ch < SJ1_NCHILD; ch++) r->path1_name[s0 + ch] = c->L->blk[QKT_B_SJ1].paths[ch];
    r->npath1 = s0 + SJ1_NCHILD;
    for (int in = 0; in < c->nnu; in++)
        for (int ia = 0; ia < c->nal; ia++) vertex1_pair(c, in, ia, j0, s0);
}

/* ---- order 2 */

/* order 2: the own polynomial of the child ch of the order-1 node t for
 * (nu, alpha, beta).  Only a diagonal node fed by D_B acting on an
 * off-diagonal parent is an anomaly node; as at order 1, for the pair
 * (nu, beta), or with a field direction by the decision of the part of E */
static pol_t order2_child_pol(const ctx_t *c, int t, int ch, int in, int ia, int ib)
{
    const qkt_params_t *p = c->p;
    const qkt_layout_t *L = c->L;
    if (ch != CH_N) return c->one;
    int bidx = L_q2(L, t, in, ia, ib);
    if (c->field) return p->rule == QKT_RULE_PAPER && !qkt_t1_is_diag(t) && c->dec2[t] ? c->tx : c->ti;
    int anom = !qkt_t1_is_diag(t) && c->nu[in] == c->al[ib];
    if (!qkt_t1_is_diag(t))
        for (int q = 0; q < c->npk && !anom; q++) {
            double ps = c->val[L->o_p2 + bidx + q], pa = c->val[L->o_a2 + bidx + q];
            if (pocket_nonzero(p, ps, pa, c->err[L->o_p2 + bidx + q])) anom = 1;
        }
    return p->rule == QKT_RULE_PAPER && anom ? c->tx : c->ti;
}

/* order 2, rule valley, component mu of the child ch of node t (path tn) for
 * (nu, alpha, beta): the projection of an n child on the pocket modes, and
 * the children of the pocket-mode part of an n parent (base, own: the
 * parent's polynomials) */
static void order2_pocket_modes(const ctx_t *c, int t, int ch, int in, int ia, int ib, int mu, pol_t base,
                                pol_t own)
{
    qkt_response_t *r = c->r;
    const qkt_layout_t *L = c->L;
    const double *val = c->val, *err = c->err;
    int a = c->al[ia], b = c->al[ib], n_ = c->nu[in];
    int tn = t * CH_NCHILD + ch, bidx = L_q2(L, t, in, ia, ib);
    qkt_tensor_t *path = &r->path2[tn][a][b];
    pol_t txmti = c->txmti;
    /* projection of this n child on the pocket modes */
    if (ch == CH_N)
        for (int q = 0; q < c->npk; q++) {
            double al2 = val[L->o_p2 + bidx + q] / pk_norm(c, q);
            acc2(c, path, a, b, mu, n_, pol_mul(base, pol_mul(own, txmti)), al2 * val[L->o_u1 + q * 3 + mu],
                 fabs(al2) * err[L->o_u1 + q * 3 + mu]);
        }
    /* children of the pocket-mode part of an n parent */
    if (t == T1_NL || t == T1_NA)
        for (int q = 0; q < c->npk; q++) {
            double alp = val[L->o_p1 + L_q1(L, t, in, ia) + q] / pk_norm(c, q);
            const double *u2 = val + L_u2(L, q, ib);
            const double *u2e = err + L_u2(L, q, ib);
            pol_t pf = pol_mul(base, txmti);
            if (ch == CH_N) {
                acc2(c, path, a, b, mu, n_, pol_mul(pf, c->ti), alp * u2[CH_N * 3 + mu],
                     fabs(alp) * u2e[CH_N * 3 + mu]);
                for (int q2 = 0; q2 < c->npk; q2++) {
                    double al3 = val[L_up2(L, q, ib) + q2] / pk_norm(c, q2);
                    acc2(c, path, a, b, mu, n_, pol_mul(pf, txmti), alp * al3 * val[L->o_u1 + q2 * 3 + mu],
                         fabs(alp * al3) * err[L->o_u1 + q2 * 3 + mu]);
                }
            } else {
                acc2(c, path, a, b, mu, n_, pf, alp * u2[ch * 3 + mu], fabs(alp) * u2e[ch * 3 + mu]);
            }
        }
}

/* order 2, the triple (nu, alpha, beta): every child of every order-1 node */
static void order2_triple(const ctx_t *c, int in, int ia, int ib)
{
    qkt_response_t *r = c->r;
    int a = c->al[ia], b = c->al[ib], n_ = c->nu[in];
    pol_t one = c->one, ti = c->ti;
    /* the parent's own polynomial and that of its parent */
    pol_t base[T1_N], own[T1_N];
    base[T1_NL] = ti; own[T1_NL] = ti;
    base[T1_SNE] = ti; own[T1_SNE] = one;
    base[T1_XIE] = ti; own[T1_XIE] = one;
    base[T1_NA] = one;
    own[T1_NA] = c->p->rule == QKT_RULE_PAPER && anom1(c, n_, a) ? c->tx : ti;
    base[T1_SS] = one; own[T1_SS] = one;
    for (int t = 0; t < T1_N; t++)
        for (int ch = 0; ch < CH_NCHILD; ch++) {
            if (ch == CH_XI && !qkt_t1_is_diag(t)) continue;
            int g = t == T1_NA ? G_A1 : ch != CH_N ? G_NONE : t == T1_SNE ? G_SNE : t == T1_SS ? G_SS : G_NONE;
            if (c->skip & g) continue;
            int tn = t * CH_NCHILD + ch;
            pol_t cf = order2_child_pol(c, t, ch, in, ia, ib);
            pol_t f = pol_mul(base[t], pol_mul(own[t], cf));
            for (int mu = 0; mu < 3; mu++) {
                int i = L_s2(c->L, tn, in, ia, ib, mu);
                acc2(c, &r->path2[tn][a][b], a, b, mu, n_, f, c->val[i], c->err[i]);
                if (c->valley) order2_pocket_modes(c, t, ch, in, ia, ib, mu, base[t], own[t]);
            }
        }
}

static void assemble_order2(const ctx_t *c)
{
    c->r->npath2 = T2_N;
    for (int t = 0; t < T2_N; t++) c->r->path2_name[t] = c->L->blk[QKT_B_S2].paths[t];
    for (int in = 0; in < c->nnu; in++)
        for (int ia = 0; ia < c->nal; ia++)
            for (int ib = 0; ib < c->nal; ib++) order2_triple(c, in, ia, ib);
}

/* ---- rule paper with a field direction (par.field != 0)
 *
 * The seed's recipe (Eqs. 106, 121) for the physical fields: with b = B/|B|,
 * the field E = e_nu of column nu is split into its part along b,
 * E_par = b_nu b, and the rest, E_perp = e_nu - b_nu b.  The diagonal nodes
 * fed by D_B acting on an off-diagonal parent (the order-1 anomaly node n_EB
 * and the n children of n_E>S_EB and S_E>S_EB) relax, for the part E_par,
 * with tau_inter (E.B != 0, Eq. 106, as the Cartesian rule did for nu =
 * alpha), and for the part E_perp with tau_inter only if the drive of E_perp
 * along b has a non-zero sum over some pocket, else with tau_intra (Eq. 121).
 * The drive of a part is the contraction sum_{nu alpha} E_nu b_alpha d(nu,
 * alpha) (order 2: E_nu b_alpha b_beta) of the tallied pocket sums; its scale
 * and error are the same sums of |E_nu b_alpha| times the Cartesian scales and
 * errors (upper bounds).  Each part is then assembled with its decisions and
 * its weights w (the part's E components), into column nu: the tensors hold,
 * column by column, the response to E along each axis at a field along b, and
 * sum_ab B_a B_b sigma2[a][b] is that response for B along b only.  When both
 * parts take the same decisions the column is assembled once with w = e_nu
 * (this is exact for E || B or E perpendicular to B along the axes: the
 * Cartesian rule's numbers). */

/* dec_of() is the decision of group g, dec_set() sets it */
static const int dec_groups[3] = {G_A1, G_SNE, G_SS};

static int dec_of(const ctx_t *c, int g) { return g == G_A1 ? c->dec1 : c->dec2[g == G_SNE ? T1_SNE : T1_SS]; }

static void dec_set(ctx_t *c, int g, int d)
{
    if (g == G_A1) c->dec1 = d;
    else c->dec2[g == G_SNE ? T1_SNE : T1_SS] = d;
}

/* the pocket sums that decide group g: npk per pocket (and for G_A1 with the
 * order-1 vertex npk more, of the drive of S_J) */
static int field_nsums(const ctx_t *c, int g) { return g == G_A1 && c->L->vj && c->L->order == 1 ? 2 * c->npk : c->npk; }

/* sum i of group g for the drive of E at the field direction b: the
 * contraction with E_nu b_alpha (order 2: E_nu b_alpha b_beta) of the tallied
 * pocket sums (*ps), and the same contraction with |E_nu b_alpha ...| of the
 * scales (*pa) and errors (*pe) */
static void field_sum(const ctx_t *c, int g, int i, const double E[3], const double b[3], double *ps, double *pa,
                      double *pe)
{
    const qkt_layout_t *L = c->L;
    const double *val = c->val, *err = c->err;
    int q = i % c->npk, vj = i >= c->npk;
    *ps = *pa = *pe = 0;
    for (int in = 0; in < c->nnu; in++)
        for (int ia = 0; ia < c->nal; ia++)
            for (int ib = 0; ib < (g == G_A1 ? 1 : c->nal); ib++) {
                double w = E[c->nu[in]] * b[c->al[ia]] * (g == G_A1 ? 1 : b[c->al[ib]]);
                if (w == 0) continue;
                int vo, ao, eo;
                if (g == G_A1 && vj) {
                    int bj = (in * c->nal + ia) * c->P + q;
                    vo = L->o_psj + bj, ao = L->o_asj + bj, eo = L->o_psj + bj;
                } else {
                    int base = g == G_A1 ? L_q1(L, T1_NA, in, ia) + q
                                         : L_q2(L, g == G_SNE ? T1_SNE : T1_SS, in, ia, ib) + q;
                    vo = (g == G_A1 ? L->o_p1 : L->o_p2) + base;
                    ao = (g == G_A1 ? L->o_a1 : L->o_a2) + base;
                    eo = vo;
                }
                *ps += w * val[vo];
                *pa += fabs(w) * val[ao];
                *pe += fabs(w) * err[eo];
            }
}

/* the seed's test for group g and the part E: a non-zero sum over some pocket */
static int field_dec(const ctx_t *c, int g, const double E[3], const double b[3])
{
    for (int i = 0; i < field_nsums(c, g); i++) {
        double ps, pa, pe;
        field_sum(c, g, i, E, b, &ps, &pa, &pe);
        if (pocket_nonzero(c->p, ps, pa, pe)) return 1;
    }
    return 0;
}

/* The plane perpendicular to b, spanned by the orthonormal u[0], u[1], for
 * group g: the pocket sums are linear in E_perp, s_i(E) = E.h_i, so the
 * directions whose sums all vanish form a subspace K of the plane: all of it,
 * a line, or nothing.  It is found from the 2 x 2 matrix G = sum_i h_i h_i^T
 * (each h_i in units of its threshold, the larger of pocket_thresh x scale
 * and 10 x error at u[0] and u[1]): its eigenvector of the smaller eigenvalue
 * is the candidate line.  Returns 0 (K = the plane: tau_intra), 2 (K = {0}:
 * tau_inter) or 1 (K = the line kdir, tau_intra; its perpendicular cdir,
 * tau_inter), by the seed's test at the two eigenvectors. */
static int field_plane(const ctx_t *c, int g, const double b[3], const double u[2][3], double kdir[3], double cdir[3])
{
    double G[3] = {0, 0, 0}; /* G00, G01, G11 */
    for (int i = 0; i < field_nsums(c, g); i++) {
        double s[2], t = 0;
        for (int j = 0; j < 2; j++) {
            double pa, pe;
            field_sum(c, g, i, u[j], b, &s[j], &pa, &pe);
            t = fmax(t, fmax(c->p->pocket_thresh * pa, 10 * pe));
        }
        if (t <= 0) t = 1e-300;
        G[0] += (s[0] / t) * (s[0] / t);
        G[1] += (s[0] / t) * (s[1] / t);
        G[2] += (s[1] / t) * (s[1] / t);
    }
    /* eigenvectors of [[G0, G1], [G1, G2]]: the larger at angle th, the smaller at th + pi/2 */
    double th = 0.5 * atan2(2 * G[1], G[0] - G[2]), c1 = cos(th), s1 = sin(th);
    for (int k = 0; k < 3; k++) {
        cdir[k] = c1 * u[0][k] + s1 * u[1][k];
        kdir[k] = -s1 * u[0][k] + c1 * u[1][k];
    }
    if (field_dec(c, g, kdir, b)) return 2;
    if (!field_dec(c, g, cdir, b)) return 0;
    return 1;
}

static double dot3(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

static void field_part(ctx_t *c, const double w[3], int col, int skip)
{
    c->col = col;
    c->skip = skip;
    memcpy(c->w, w, sizeof c->w);
    assemble_order1(c);
    if (c->L->vj && c->L->order == 1) order1_vertex(c);
    if (c->p->order >= 2) assemble_order2(c);
    c->skip = 0;
}

/* the decisions of a part as bits: 1 the order-1 anomaly node, 2 the n child
 * of n_E>S_EB, 4 that of S_E>S_EB; +8, +16, +32: the group's decision is split
 * along the line paper_kernel (tau_intra) and its perpendicular (tau_inter) */
static int field_bits(const ctx_t *c, const int type[3])
{
    int bits = 0;
    for (int k = 0; k < 3; k++)
        bits |= type ? (type[k] == 1 ? 8 << k : type[k] == 2 ? 1 << k : 0) : dec_of(c, dec_groups[k]) << k;
    return bits;
}

static qkt_status_t assemble_field(ctx_t *c)
{
    qkt_response_t *r = c->r;
    const double *F = c->p->field;
    double n = sqrt(F[0] * F[0] + F[1] * F[1] + F[2] * F[2]), b[3];
    int numask = 0, almask = 0, bmask = 0;
    for (int k = 0; k < 3; k++) {
        b[k] = F[k] / n;
        if (b[k] != 0) bmask |= 1 << k;
    }
    for (int in = 0; in < c->nnu; in++) numask |= 1 << c->nu[in];
    for (int ia = 0; ia < c->nal; ia++) almask |= 1 << c->al[ia];
    if ((almask & bmask) != bmask)
        return qkt_error(QKT_EINVAL, "rule paper at the field direction (%g, %g, %g) needs the B components of "
                         "that direction computed (al_mask)", b[0], b[1], b[2]);
    for (int in = 0; in < c->nnu; in++)
        if (b[c->nu[in]] != 0 && (numask & bmask) != bmask)
            return qkt_error(QKT_EINVAL, "rule paper at the field direction (%g, %g, %g): the E column %c needs "
                             "the E columns of that direction computed (nu_mask), for the part of E along B",
                             b[0], b[1], b[2], "xyz"[c->nu[in]]);
    /* the Cartesian pumping rates and per-pair decisions (diagnostics) */
    for (int in = 0; in < c->nnu; in++)
        for (int ia = 0; ia < c->nal; ia++) r->anomaly1[c->nu[in]][c->al[ia]] = order1_pump_anomaly(c, in, ia);
    r->paper_field = 1;
    memcpy(r->paper_b, b, sizeof b);
    for (int k = 0; k < 3; k++) r->paper_dec[k][0] = r->paper_dec[k][1] = -1;
    memset(r->paper_kernel, 0, sizeof r->paper_kernel);
    /* the plane perpendicular to b: per group its subspace K (field_plane) */
    double u[2][3], kdir[3][3], cdir[3][3];
    int type[3] = {0, 0, 0}, ng = c->p->order >= 2 ? 3 : 1, split = 0;
    {
        int i0 = fabs(b[0]) <= fabs(b[1]) && fabs(b[0]) <= fabs(b[2]) ? 0 : fabs(b[1]) <= fabs(b[2]) ? 1 : 2;
        double e0[3] = {0, 0, 0};
        e0[i0] = 1;
        double d = dot3(e0, b), nn = 0;
        for (int k = 0; k < 3; k++) {
            u[0][k] = e0[k] - d * b[k];
            nn += u[0][k] * u[0][k];
        }
        for (int k = 0; k < 3; k++) u[0][k] /= sqrt(nn);
        u[1][0] = b[1] * u[0][2] - b[2] * u[0][1];
        u[1][1] = b[2] * u[0][0] - b[0] * u[0][2];
        u[1][2] = b[0] * u[0][1] - b[1] * u[0][0];
    }
    for (int k = 0; k < ng; k++) {
        type[k] = field_plane(c, dec_groups[k], b, (const double(*)[3])u, kdir[k], cdir[k]);
        if (type[k] == 1) {
            split |= dec_groups[k];
            memcpy(r->paper_kernel[k], kdir[k], sizeof kdir[k]);
        }
    }
    c->field = 1;
    for (int in = 0; in < c->nnu; in++) {
        int nu = c->nu[in], haspar = b[nu] != 0, hasperp = 0;
        double wpar[3], wperp[3], e[3] = {0, 0, 0};
        e[nu] = 1;
        for (int k = 0; k < 3; k++) {
            wpar[k] = b[nu] * b[k];
            wperp[k] = e[k] - wpar[k];
            hasperp |= wperp[k] != 0;
        }
        memset(c->dec2, 0, sizeof c->dec2);
        for (int k = 0; k < ng; k++) dec_set(c, dec_groups[k], 1);
        int dpar = haspar ? field_bits(c, NULL) : -1;
        int dperp = hasperp ? field_bits(c, type) : -1;
        r->paper_dec[nu][0] = dpar;
        r->paper_dec[nu][1] = dperp;
        if (haspar && (!hasperp || dpar != dperp)) field_part(c, wpar, nu, 0);
        if (!hasperp) continue;
        const double *whole = haspar && dpar == dperp ? e : wperp; /* one part: E = e_nu */
        memset(c->dec2, 0, sizeof c->dec2);
        for (int k = 0; k < ng; k++) dec_set(c, dec_groups[k], type[k] == 2);
        field_part(c, whole, nu, split);
        for (int k = 0; k < ng; k++) {
            if (type[k] != 1) continue;
            double wk[3], wc[3], pk = dot3(wperp, kdir[k]), pc = dot3(wperp, cdir[k]);
            for (int i = 0; i < 3; i++) {
                wk[i] = pk * kdir[k][i];
                wc[i] = pc * cdir[k][i];
            }
            int others = (G_NONE | G_A1 | G_SNE | G_SS) & ~dec_groups[k];
            dec_set(c, dec_groups[k], 0);
            field_part(c, wk, nu, others);
            dec_set(c, dec_groups[k], 1);
            field_part(c, wc, nu, others);
        }
    }
    c->field = 0;
    return QKT_OK;
}

/* Mesh refinement at orders >= 1 integrated the totals of rule rta for the
 * tau_intra in L->drive_tau (blocks QKT_B_D0, QKT_B_D1, QKT_B_D2) and estimated their errors
 * directly.  When the assembly is that sum (rule rta at that time, no vertex,
 * whose paths the totals leave out), those estimates replace the sums of the
 * paths' estimates, which count every cancellation between paths inside a
 * cell as an error.  (Rule born's n_E and other rules or times assemble other
 * sums: the paths' estimates stay.) */
static void totals_direct(const ctx_t *c)
{
    const qkt_layout_t *L = c->L;
    qkt_response_t *r = c->r;
    const double *err = c->err;
    r->totals_direct = 0;
    if (!(L->drive_tau > 0) || c->p->rule != QKT_RULE_RTA || r->raw->born || L->vj ||
        fabs(c->p->tau_intra - L->drive_tau) > 1e-12 * L->drive_tau)
        return;
    int n = c->nnu, a = c->nal;
    for (int in = 0; in < n; in++)
        for (int mu = 0; mu < 3; mu++) {
            r->sigma0.e[mu][c->nu[in]] = err[L->o_d0 + in * 3 + mu];
            for (int ia = 0; ia < a && L->blk[QKT_B_D1].size; ia++)
                r->sigma1[c->al[ia]].e[mu][c->nu[in]] = err[L->o_d1 + (in * a + ia) * 3 + mu];
            for (int ia = 0; ia < a && L->blk[QKT_B_D2].size; ia++)
                for (int ib = 0; ib < a; ib++)
                    r->sigma2[c->al[ia]][c->al[ib]].e[mu][c->nu[in]] = err[L->o_d2 + ((in * a + ia) * a + ib) * 3 + mu];
        }
    r->totals_direct = 1;
}

/* The Landau cutoff's sensitivity (blocks QKT_B_LS1, QKT_B_LS2, in the layout
 * of the sigma1 and sigma2 paths): orders 1 and 2 assembled under rule rta,
 * with the assembly's tau_intra, once from the tallies (raw->rta1, rta2, the
 * reference of the summary) and once from their derivatives with respect to
 * ln rho_c (r->lsens1, lsens2 and the paths' raw->lsens_path).  Not made
 * with the vertex or the completion nodes of the reciprocal and equilibrium
 * expansions, which have no such tallies. */
static qkt_status_t landau_sensitivity(const ctx_t *c0)
{
    qkt_response_t *r = c0->r;
    struct qkt_response_raw *raw = r->raw;
    const qkt_layout_t *L = c0->L;
    r->landau_sens = 0;
    if (!L->blk[QKT_B_LS1].size || L->recip || L->vj) return QKT_OK;
    size_t fdim = (size_t)L->fdim;
    qkt_response_t *s = calloc(1, sizeof *s);
    double *val = malloc(sizeof(double) * fdim), *err = malloc(sizeof(double) * fdim);
    if (!raw->lsens_path) raw->lsens_path = calloc(QKT_MAX_PATHS * 12, sizeof(qkt_tensor_t));
    if (!s || !val || !err || !raw->lsens_path) {
        free(s);
        free(val);
        free(err);
        return qkt_error(QKT_ENOMEM, "out of memory assembling the Landau cutoff's sensitivity");
    }
    memcpy(val, c0->val, sizeof(double) * fdim);
    memcpy(err, c0->err, sizeof(double) * fdim);
    for (int pass = 0; pass < 2; pass++) {
        if (pass)
            for (int i = 0; i < 2; i++) {
                const qkt_block_t *P = &L->blk[i ? QKT_B_S2 : QKT_B_S1], *S = &L->blk[i ? QKT_B_LS2 : QKT_B_LS1];
                memcpy(val + P->off, c0->val + S->off, sizeof(double) * (size_t)S->size);
                memcpy(err + P->off, c0->err + S->off, sizeof(double) * (size_t)S->size);
            }
        memset(s, 0, sizeof *s);
        s->par = *c0->p;
        s->par.rule = QKT_RULE_RTA;
        ctx_t c = *c0;
        c.r = s;
        c.p = &s->par;
        c.A.p = &s->par;
        c.val = val;
        c.err = err;
        c.valley = 0;
        c.field = 0;
        c.skip = 0;
        assemble_order1(&c);
        if (c.p->order >= 2) assemble_order2(&c);
        if (!pass) {
            memcpy(raw->rta1, s->sigma1, sizeof raw->rta1);
            memcpy(raw->rta2, s->sigma2, sizeof raw->rta2);
            continue;
        }
        memcpy(r->lsens1, s->sigma1, sizeof r->lsens1);
        memcpy(r->lsens2, s->sigma2, sizeof r->lsens2);
        memcpy(raw->lsens_path, s->path1, sizeof(qkt_tensor_t) * QKT_MAX_PATHS * 3);
        memcpy(raw->lsens_path + QKT_MAX_PATHS * 3, s->path2, sizeof(qkt_tensor_t) * QKT_MAX_PATHS * 9);
    }
    r->landau_sens = 1;
    free(s);
    free(val);
    free(err);
    qkt_response_landau_summary(r);
    return QKT_OK;
}

/* the largest |v| of n tensors, and the error of that component */
static void tensors_max(const qkt_tensor_t *t, int n, double *v, double *e)
{
    *v = *e = 0;
    for (int i = 0; i < n; i++)
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
                if (fabs(t[i].v[a][b]) > *v) {
                    *v = fabs(t[i].v[a][b]);
                    *e = t[i].e[a][b];
                }
}

void qkt_response_landau_summary(qkt_response_t *r)
{
    for (int o = 0; o < 2; o++) {
        r->lsens_rel[o] = r->lsens_rel_err[o] = r->lsens_path_rel[o] = r->lsens_path_rel_err[o] = 0;
        r->lsens_path[o] = -1;
        if (!r->landau_sens || !r->raw || !r->raw->lsens_path || r->par.order < o + 1) continue;
        int n = o ? 9 : 3, np = o ? r->npath2 : r->npath1;
        double top, tope, v, e;
        tensors_max(o ? &r->raw->rta2[0][0] : r->raw->rta1, n, &top, &tope);
        tensors_max(o ? &r->lsens2[0][0] : r->lsens1, n, &v, &e);
        if (!(top > 0)) continue;
        r->lsens_rel[o] = v / top;
        r->lsens_rel_err[o] = e / top;
        const qkt_tensor_t *base = r->raw->lsens_path + (o ? QKT_MAX_PATHS * 3 : 0);
        for (int t = 0; t < np && t < QKT_MAX_PATHS; t++) {
            tensors_max(base + (size_t)t * n, n, &v, &e);
            if (v / top > r->lsens_path_rel[o]) {
                r->lsens_path_rel[o] = v / top;
                r->lsens_path_rel_err[o] = e / top;
                r->lsens_path[o] = t;
            }
        }
    }
}

/* the n tensors t of one quantity (a tensor with its B components) and the
 * same quantity of the nh meshes N/2 (the tensor at offset off of each
 * result h[l], as t is in r), component by component */
static void tensor_errors(const qkt_response_t *r, qkt_tensor_t *t, qkt_response_t *const *h, int nh, size_t n,
                          double sys)
{
    size_t off = (size_t)((const char *)t - (const char *)r);
    for (size_t i = 0; i < n; i++)
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) {
                double v = t[i].v[a][b], e = 0;
                for (int l = 0; l < nh; l++) {
                    const qkt_tensor_t *hl = (const qkt_tensor_t *)((const char *)h[l] + off);
                    e = fmax(e, fabs(v - hl[i].v[a][b]));
                }
                t[i].e[a][b] = e + sys * fabs(v);
            }
}

/* S_N is the mean of the 2^D meshes N/2 that make up the mesh (its points of
 * each parity of the indices); with e_N, e_c their errors max_c |S_N - S_c|
 * >= max_c |e_c| - |e_N| >= |e_N| while the error at least halves from the
 * worst mesh N/2 to the mesh N (the premise of the estimate).  One mesh N/2
 * alone (c = 0, the points with even indices) can agree with S_N by chance
 * (Fe, wedge: sigma^(0)_xy at 300 K changed by 2.0 from 96^3 to 192^3 and by
 * 4.6 from 192^3 to 384^3); all 2^D of them agree only if they share their
 * error (aliasing that the displacements by one step leave unchanged).  A hot spot that
 * one point samples shows in its own coset with 2^D times its weight.  The
 * earlier floor |S_N/2 - S_N/4| / 2 carried the error of the mesh N/4 (Si
 * sigma^(0)_xx at 192^3: 843 against a change of a few from 160^3). */
void qkt_response_half_errors(qkt_response_t *r)
{
    if (!r->raw || r->raw->nhalf < 1) return;
    for (int l = 0; l < r->raw->nhalf; l++)
        if (!r->raw->half[l]) return; /* not assembled (out of memory): the errors stay */
    qkt_response_t *const *h = r->raw->half;
    int nh = r->raw->nhalf;
    double sys = r->sys_rel;
    tensor_errors(r, &r->sigma0, h, nh, 1, sys);
    tensor_errors(r, r->sigma1, h, nh, 3, sys);
    tensor_errors(r, &r->sigma2[0][0], h, nh, 9, sys);
    for (int t = 0; t < QKT_MAX_PATHS; t++) {
        tensor_errors(r, &r->path0[t], h, nh, 1, sys);
        tensor_errors(r, r->path1[t], h, nh, 3, sys);
        tensor_errors(r, &r->path2[t][0][0], h, nh, 9, sys);
    }
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) {
            tensor_errors(r, r->tau1[a][b], h, nh, 3, sys);
            tensor_errors(r, &r->tau2[a][b][0][0], h, nh, 9, sys);
        }
    int ls = r->landau_sens;
    for (int l = 0; l < nh; l++) ls = ls && h[l]->landau_sens;
    if (ls) {
        tensor_errors(r, r->lsens1, h, nh, 3, sys);
        tensor_errors(r, &r->lsens2[0][0], h, nh, 9, sys);
        qkt_response_landau_summary(r);
    }
    /* converged: every component of sigma0, sigma1, sigma2 within reltol of
     * the largest component of its order, 10 reltol for orders below
     * par.accuracy_from as the integration's loose groups (the per-tally test
     * of the integration is replaced by this one on what is printed; the
     * pocket and density tallies of order-0 runs keep their estimates but do
     * not decide it) */
    int conv = !r->timed_out;
    for (int o = 0; o <= r->par.order && o < 3; o++) {
        const qkt_tensor_t *t = o == 0 ? &r->sigma0 : o == 1 ? r->sigma1 : &r->sigma2[0][0];
        int n = o == 0 ? 1 : o == 1 ? 3 : 9;
        double big = 0, worst = 0;
        for (int k = 0; k < n; k++)
            for (int i = 0; i < 9; i++) {
                big = fmax(big, fabs(t[k].v[i / 3][i % 3]));
                worst = fmax(worst, t[k].e[i / 3][i % 3]);
            }
        if (worst > r->par.reltol * (o < r->par.accuracy_from ? 10 : 1) * big) conv = 0;
    }
    r->converged = conv;
}

static qkt_status_t assemble_all(qkt_response_t *r, qkt_rule_t rule, double tau_intra, double tau_inter);

/* half_estimate: the same assembly from the tallies of the meshes N/2,
 * kept in raw->half[], and the errors of r from the differences.  Per-tally
 * estimates would add in absolute value through the assembly (and
 * symmetrization), so that cancellations between tallies, e.g. between the
 * xy and yx sums of an irreducible wedge, made them an upper figure 7 times
 * the actual change (Fe sigma^(1), 192^3) */
static qkt_status_t assemble_half(qkt_response_t *r, qkt_rule_t rule, double tau_intra, double tau_inter)
{
    struct qkt_response_raw *raw = r->raw;
    qkt_status_t st = QKT_OK;
    for (int l = 0; l < raw->nhalf && !st; l++) {
        if (!raw->half[l] && !(raw->half[l] = malloc(sizeof *raw->half[l])))
            return qkt_error(QKT_ENOMEM, "out of memory for the tensors of the meshes N/2");
        struct qkt_response_raw hr = *raw;
        hr.val = raw->hval + (size_t)l * raw->L.fdim;
        hr.hval = NULL;
        hr.nhalf = 0;
        for (int c = 0; c < QKT_MAX_COSETS; c++) hr.half[c] = NULL;
        hr.lsens_path = NULL;
        qkt_response_t *h = raw->half[l];
        *h = *r;
        h->raw = &hr;
        st = assemble_all(h, rule, tau_intra, tau_inter);
        free(hr.lsens_path);
        h->raw = NULL;
    }
    if (!st) qkt_response_half_errors(r);
    return st;
}

qkt_status_t qkt_response_assemble(qkt_response_t *r, qkt_rule_t rule, double tau_intra, double tau_inter)
{
    qkt_status_t st = assemble_all(r, rule, tau_intra, tau_inter);
    if (!st && r->raw->hval && !r->par.bonly) st = assemble_half(r, rule, tau_intra, tau_inter);
    return st;
}

static qkt_status_t assemble_all(qkt_response_t *r, qkt_rule_t rule, double tau_intra, double tau_inter)
{
    if (!r->raw) return qkt_error(QKT_EINVAL, "qkt_response_assemble: no integrals kept in this result");
    if (r->par.bonly) return QKT_OK;
    qkt_status_t st = check_rule(r, rule, tau_intra, tau_inter);
    if (st) return st;
    r->par.rule = rule;
    r->par.tau_intra = tau_intra;
    r->par.tau_inter = tau_inter;
    clear_assembled(r);
    const qkt_params_t *p = &r->par;
    const struct qkt_response_raw *raw = r->raw;
    ctx_t c = {.r = r, .p = p, .L = &raw->L, .val = raw->val, .err = raw->err, .nu = raw->nu, .al = raw->al,
               .nnu = raw->nnu, .nal = raw->nal, .npk = raw->npk, .P = raw->npk > 0 ? raw->npk : 1,
               .valley = p->rule == QKT_RULE_VALLEY, .A = {p, p->tau_intra, p->tau_inter},
               .one = pol_mono(0, 0, 1), .ti = pol_mono(1, 0, 1), .tx = pol_mono(0, 1, 1)};
    c.txmti = pol_add(c.tx, c.ti, -1);

    assemble_order0(&c);
    if (c.L->vj) assemble_sj_adjoint(&c);
    if (p->order < 1) return QKT_OK;
    if (qkt_paper_field(p)) {
        st = assemble_field(&c);
        return st ? st : landau_sensitivity(&c);
    }
    assemble_order1(&c);
    if (c.L->recip) order1_reciprocal(&c);
    if (c.L->vj && c.L->order == 1) order1_vertex(&c);
    if (p->order >= 2) assemble_order2(&c);
    totals_direct(&c);
    return landau_sensitivity(&c);
}
