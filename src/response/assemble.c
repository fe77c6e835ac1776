/* assemble.c - the conductivity tensors of orders B^0, B^1, B^2 (Eq. 39)
 * from the integrated tallies of a computation (response/raw.h) under a
 * relaxation rule of PHYSICS.md (docs/physics.md), split by path and by
 * powers of tau_intra and tau_inter.  Re-assembly under another rule or other
 * times needs no new integration. */
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

qkt_status_t qkt_response_assemble(qkt_response_t *r, qkt_rule_t rule, double tau_intra, double tau_inter)
{
    if (!r->raw) return qkt_error(QKT_EINVAL, "qkt_response_assemble: no integrals kept in this result");
    if (r->par.bonly) return QKT_OK;
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
        return qkt_error(QKT_EINVAL, "this result holds the reciprocal expansion, defined under rule rta only; it "
                                     "cannot be re-assembled under rule %s", qkt_rule_name(rule));
    r->par.rule = rule;
    r->par.tau_intra = tau_intra;
    r->par.tau_inter = tau_inter;
    /* clear what is assembled */
    memset(&r->sigma0, 0, sizeof r->sigma0);
    memset(r->path0, 0, sizeof r->path0);
    memset(r->sigma1, 0, sizeof r->sigma1);
    memset(r->path1, 0, sizeof r->path1);
    memset(r->sigma2, 0, sizeof r->sigma2);
    memset(r->path2, 0, sizeof r->path2);
    memset(r->tau1, 0, sizeof r->tau1);
    memset(r->tau2, 0, sizeof r->tau2);
    memset(r->anomaly1, 0, sizeof r->anomaly1);
    const qkt_params_t *p = &r->par;
    const qkt_layout_t L = r->raw->L;
    const double *val = r->raw->val, *err = r->raw->err;
    const int nnu = r->raw->nnu, nal = r->raw->nal, *nu = r->raw->nu, *al = r->raw->al;
    struct {
        int n;
    } pkv = {r->raw->npk}, *pk = &pkv;
    int P = pk->n > 0 ? pk->n : 1;
    asm_t A = {p, p->tau_intra, p->tau_inter};
    pol_t one = pol_mono(0, 0, 1), ti = pol_mono(1, 0, 1), tx = pol_mono(0, 1, 1);
    pol_t txmti = pol_add(tx, ti, -1); /* tau_inter - tau_intra */
    int valley = p->rule == QKT_RULE_VALLEY;

    /* ---- order 0 */
    r->npath0 = T0_N;
    for (int t = 0; t < T0_N; t++) r->path0_name[t] = L.blk[QKT_B_S0].paths[t];
    for (int in = 0; in < nnu; in++)
        for (int mu = 0; mu < 3; mu++) {
            int i0 = L_s0(&L, T0_NE, in, mu), i1 = L_s0(&L, T0_SE, in, mu), i2 = L_s0(&L, T0_SJ, in, mu);
            /* rule born: n_E (and S_J from it) carry the Born relaxation already */
            pol_t fn = r->raw->born ? one : ti;
            acc(&A, &r->path0[T0_NE], &r->sigma0, NULL, 0, mu, nu[in], fn, val[i0], err[i0]);
            acc(&A, &r->path0[T0_SE], &r->sigma0, NULL, 0, mu, nu[in], one, val[i1], err[i1]);
            /* + the tables' error bound (interpolation and smearing), from the
             * adjoint route (L.vj) */
            double e2 = err[i2] + (L.vj ? vj_err(val, err, L.o_j0 + in * 3 + mu, nnu * 3) - err[L.o_j0 + in * 3 + mu] : 0);
            acc(&A, &r->path0[T0_SJ], &r->sigma0, NULL, 0, mu, nu[in], fn, val[i2], e2);
        }
    if (L.vj) {
        /* relaxed as n_E (rule born: n_E holds its relaxation already) */
        double f = r->raw->born ? 1 : p->tau_intra;
        memset(&r->sj_adjoint, 0, sizeof r->sj_adjoint);
        for (int in = 0; in < nnu; in++)
            for (int mu = 0; mu < 3; mu++) {
                r->sj_adjoint.v[mu][nu[in]] = f * val[L.o_j0 + in * 3 + mu];
                r->sj_adjoint.e[mu][nu[in]] = f * vj_err(val, err, L.o_j0 + in * 3 + mu, nnu * 3);
            }
    }
    if (p->order < 1) return QKT_OK;

    /* pocket-mode coefficients alpha_p = (pocket sum of d) / (pocket norm) */
#define NORM(q) (val[L.o_norm + (q)])
    /* ---- order 1 */
    r->npath1 = T1_N;
    for (int t = 0; t < T1_N; t++) r->path1_name[t] = L.blk[QKT_B_S1].paths[t];
    for (int in = 0; in < nnu; in++)
        for (int ia = 0; ia < nal; ia++) {
            int a = al[ia], n_ = nu[in];
            /* rule paper: the anomaly node of the Cartesian pair (nu, alpha) relaxes
             * with tau_inter when E.B != 0 (nu = alpha, Eq. 106) or when its driving
             * term has a non-zero sum over some pocket; else tau_intra (Eq. 121) */
            int anom = n_ == a;
            for (int q = 0; q < pk->n; q++) {
                int base = L_q1(&L, T1_NA, in, ia) + q;
                double ps = val[L.o_p1 + base], pa = val[L.o_a1 + base], pe = err[L.o_p1 + base];
                if (fabs(ps) > p->pocket_thresh * pa && fabs(ps) > 10 * pe) anom = 1;
                r->pump[q][n_][a] = ps;
                r->pump_err[q][n_][a] = pe;
                r->pump_sea[q][n_][a] = val[L.o_sea1 + base];
                /* Eq. 67 form, written for E || B along one axis */
                double tr = 0;
                for (int c = 0; c < 3; c++) tr += val[L.o_pump67 + q * 9 + c * 3 + c];
                r->pump67[q][n_][a] = (n_ == a ? tr : 0) - val[L.o_pump67 + q * 9 + a * 3 + n_];
                if (L.vj && L.order == 1) {
                    /* the drive D_B^d S_J(n_E) of the vertex part counts too, in the
                     * anomaly test and in the pumping rate (Eq. 61 with rho_E whole) */
                    int bj = (in * nal + ia) * P + q;
                    double qs = val[L.o_psj + bj], qa = val[L.o_asj + bj], qe = err[L.o_psj + bj];
                    if (fabs(qs) > p->pocket_thresh * qa && fabs(qs) > 10 * qe) anom = 1;
                    r->pump[q][n_][a] += qs;
                    r->pump_err[q][n_][a] += qe;
                }
            }
            r->anomaly1[n_][a] = anom;
            qkt_tensor_t *B1 = &r->tau1[0][0][a];
            pol_t f[T1_N];
            f[T1_NL] = pol_mul(ti, ti);
            f[T1_SNE] = ti;
            f[T1_XIE] = ti;
            f[T1_NA] = p->rule == QKT_RULE_PAPER && anom ? tx : ti;
            f[T1_SS] = one;
            for (int mu = 0; mu < 3; mu++) {
                for (int t = 0; t < T1_N; t++) {
                    int i = L_s1(&L, t, in, ia, mu);
                    acc(&A, &r->path1[t][a], &r->sigma1[a], B1, 3, mu, n_, f[t], val[i], err[i]);
                }
                if (valley)
                    for (int t = T1_NL; t <= T1_NA; t += T1_NA - T1_NL) {
                        pol_t base = t == T1_NL ? ti : one;
                        for (int q = 0; q < pk->n; q++) {
                            double alpha = val[L.o_p1 + L_q1(&L, t, in, ia) + q] / NORM(q);
                            double u = val[L.o_u1 + q * 3 + mu], ue = err[L.o_u1 + q * 3 + mu];
                            acc(&A, &r->path1[t][a], &r->sigma1[a], B1, 3, mu, n_, pol_mul(base, txmti),
                                alpha * u, fabs(alpha) * ue);
                        }
                    }
            }
        }
    if (L.recip) {
        for (int t = 0; t < X1_N; t++) r->path1_name[T1_N + t] = L.blk[QKT_B_X1].paths[t];
        r->npath1 = T1_N + X1_N;
        for (int in = 0; in < nnu; in++)
            for (int ia = 0; ia < nal; ia++)
                for (int t = 0; t < X1_N; t++)
                    for (int mu = 0; mu < 3; mu++) {
                        int i = L_x1(&L, t, in, ia, mu), a = al[ia];
                        acc(&A, &r->path1[T1_N + t][a], &r->sigma1[a], &r->tau1[0][0][a], 3, mu, nu[in], ti, val[i],
                            err[i]);
                    }
    }
    if (L.vj && L.order == 1) {
        /* the children of S_J(n_E) (S_J relaxes as n_E, with tau_intra), and the
         * vertex J(n) of each diagonal node n, which relaxes as n (under rule
         * valley with the pocket-mode parts' J(u_p) relaxed by tau_inter) */
        int j0 = r->npath1, s0 = j0 + J1_N;
        for (int j = 0; j < J1_N; j++) r->path1_name[j0 + j] = L.blk[QKT_B_J1].paths[j];
        for (int c = 0; c < SJ1_NCHILD; c++) r->path1_name[s0 + c] = L.blk[QKT_B_SJ1].paths[c];
        r->npath1 = s0 + SJ1_NCHILD;
        for (int in = 0; in < nnu; in++)
            for (int ia = 0; ia < nal; ia++) {
                int a = al[ia], n_ = nu[in];
                pol_t fa = p->rule == QKT_RULE_PAPER && r->anomaly1[n_][a] ? tx : ti;
                /* the node's own polynomial and that of its pocket-mode part */
                pol_t fj[J1_N] = {pol_mul(ti, ti), fa, pol_mul(ti, fa)};
                pol_t fu[J1_N] = {pol_mul(ti, txmti), txmti, pol_mul(ti, txmti)};
                for (int mu = 0; mu < 3; mu++) {
                    for (int c = 0; c < SJ1_NCHILD; c++) {
                        int i = L_sj1(&L, c, in, ia, mu);
                        acc(&A, &r->path1[s0 + c][a], &r->sigma1[a], &r->tau1[0][0][a], 3, mu, n_,
                            c == SJ1_N ? fj[J1_NSJ] : ti, val[i], err[i]);
                    }
                    for (int j = 0; j < J1_N; j++) {
                        int i = L_j1(&L, j, in, ia, mu);
                        acc(&A, &r->path1[j0 + j][a], &r->sigma1[a], &r->tau1[0][0][a], 3, mu, n_, fj[j], val[i],
                            vj_err(val, err, i, L_j1stride(&L)));
                    }
                    if (!valley) continue;
                    for (int q = 0; q < pk->n; q++) {
                        double u = val[L.o_u1 + q * 3 + mu], ue = err[L.o_u1 + q * 3 + mu];
                        double uj = val[L.o_uj1 + q * 3 + mu];
                        double uje = vj_err(val, err, L.o_uj1 + q * 3 + mu, pk->n * 3);
                        for (int j = 0; j < J1_N; j++) {
                            double ps = j == J1_NSJ ? val[L.o_psj + (in * nal + ia) * P + q]
                                                    : val[L.o_p1 + L_q1(&L, j == J1_NL ? T1_NL : T1_NA, in, ia) + q];
                            double alpha = ps / NORM(q);
                            acc(&A, &r->path1[j0 + j][a], &r->sigma1[a], &r->tau1[0][0][a], 3, mu, n_, fu[j],
                                alpha * uj, fabs(alpha) * uje);
                            if (j == J1_NSJ) /* the n child's own pocket-mode part */
                                acc(&A, &r->path1[s0 + SJ1_N][a], &r->sigma1[a], &r->tau1[0][0][a], 3, mu, n_,
                                    fu[j], alpha * u, fabs(alpha) * ue);
                        }
                    }
                }
            }
    }
    if (p->order < 2) return QKT_OK;

    /* ---- order 2 */
    r->npath2 = T2_N;
    for (int t = 0; t < T2_N; t++) r->path2_name[t] = L.blk[QKT_B_S2].paths[t];
    for (int in = 0; in < nnu; in++)
        for (int ia = 0; ia < nal; ia++)
            for (int ib = 0; ib < nal; ib++) {
                int a = al[ia], b = al[ib], n_ = nu[in];
                qkt_tensor_t *B2 = &r->tau2[0][0][a][b];
                pol_t base[T1_N], own[T1_N];
                base[T1_NL] = ti; own[T1_NL] = ti;
                base[T1_SNE] = ti; own[T1_SNE] = one;
                base[T1_XIE] = ti; own[T1_XIE] = one;
                base[T1_NA] = one;
                own[T1_NA] = p->rule == QKT_RULE_PAPER && r->anomaly1[n_][a] ? tx : ti;
                base[T1_SS] = one; own[T1_SS] = one;
                for (int t = 0; t < T1_N; t++)
                    for (int ch = 0; ch < CH_NCHILD; ch++) {
                        if (ch == CH_XI && !qkt_t1_is_diag(t)) continue;
                        int tn = t * CH_NCHILD + ch;
                        pol_t cf = one;
                        int bidx = L_q2(&L, t, in, ia, ib);
                        if (ch == CH_N) {
                            /* only a diagonal node fed by D_B acting on an off-diagonal parent
                             * is an anomaly node; as at order 1, for the pair (nu, beta) */
                            int anom = !qkt_t1_is_diag(t) && n_ == b;
                            if (!qkt_t1_is_diag(t))
                                for (int q = 0; q < pk->n && !anom; q++) {
                                    double ps = val[L.o_p2 + bidx + q], pa = val[L.o_a2 + bidx + q];
                                    if (fabs(ps) > p->pocket_thresh * pa && fabs(ps) > 10 * err[L.o_p2 + bidx + q])
                                        anom = 1;
                                }
                            cf = p->rule == QKT_RULE_PAPER && anom ? tx : ti;
                        }
                        pol_t f = pol_mul(base[t], pol_mul(own[t], cf));
                        for (int mu = 0; mu < 3; mu++) {
                            int i = L_s2(&L, tn, in, ia, ib, mu);
                            acc(&A, &r->path2[tn][a][b], &r->sigma2[a][b], B2, 9, mu, n_, f, val[i], err[i]);
                            if (!valley) continue;
                            /* projection of this n child on the pocket modes */
                            if (ch == CH_N)
                                for (int q = 0; q < pk->n; q++) {
                                    double al2 = val[L.o_p2 + bidx + q] / NORM(q);
                                    acc(&A, &r->path2[tn][a][b], &r->sigma2[a][b], B2, 9, mu, n_,
                                        pol_mul(base[t], pol_mul(own[t], txmti)), al2 * val[L.o_u1 + q * 3 + mu],
                                        fabs(al2) * err[L.o_u1 + q * 3 + mu]);
                                }
                            /* children of the pocket-mode part of an n parent */
                            if (t == T1_NL || t == T1_NA)
                                for (int q = 0; q < pk->n; q++) {
                                    double alp = val[L.o_p1 + L_q1(&L, t, in, ia) + q] / NORM(q);
                                    const double *u2 = val + L_u2(&L, q, ib);
                                    const double *u2e = err + L_u2(&L, q, ib);
                                    pol_t pf = pol_mul(base[t], txmti);
                                    if (ch == CH_N) {
                                        acc(&A, &r->path2[tn][a][b], &r->sigma2[a][b], B2, 9, mu, n_, pol_mul(pf, ti),
                                            alp * u2[CH_N * 3 + mu], fabs(alp) * u2e[CH_N * 3 + mu]);
                                        for (int q2 = 0; q2 < pk->n; q2++) {
                                            double al3 = val[L_up2(&L, q, ib) + q2] / NORM(q2);
                                            acc(&A, &r->path2[tn][a][b], &r->sigma2[a][b], B2, 9, mu, n_,
                                                pol_mul(pf, txmti), alp * al3 * val[L.o_u1 + q2 * 3 + mu],
                                                fabs(alp * al3) * err[L.o_u1 + q2 * 3 + mu]);
                                        }
                                    } else {
                                        acc(&A, &r->path2[tn][a][b], &r->sigma2[a][b], B2, 9, mu, n_, pf,
                                            alp * u2[ch * 3 + mu], fabs(alp) * u2e[ch * 3 + mu]);
                                    }
                                }
                        }
                    }
            }
    return QKT_OK;
}
