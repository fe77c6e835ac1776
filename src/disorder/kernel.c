/* kernel.c - the coordinates of Hermitian orbital matrices used by the Born
 * shell operator of rule born (disorder/kernel.h). */
#include <stdlib.h>
#include "disorder/kernel.h"

void qkt_born_coords(int nb, const double complex *U, int m, double *p)
{
    int a = 0;
    for (int i = 0; i < nb; i++) p[a++] = creal(U[i * nb + m] * conj(U[i * nb + m]));
    for (int i = 0; i < nb; i++)
        for (int j = i + 1; j < nb; j++) {
            double complex P = U[i * nb + m] * conj(U[j * nb + m]);
            p[a++] = M_SQRT2 * creal(P);
            p[a++] = M_SQRT2 * cimag(P);
        }
}

void qkt_born_matrix(int nb, const double *x, double complex *X)
{
    int a = 0;
    for (int i = 0; i < nb; i++) X[i * nb + i] = x[a++];
    for (int i = 0; i < nb; i++)
        for (int j = i + 1; j < nb; j++) {
            double s = x[a++], t = x[a++];
            X[i * nb + j] = (s + I * t) / M_SQRT2;
            X[j * nb + i] = (s - I * t) / M_SQRT2;
        }
}

/* ---- the kernel at one k-point */
qkt_vertex_ws_t *qkt_vertex_ws_alloc(int nb, const struct qkt_vtable *vt, double nimp_U0sq, double T)
{
    qkt_vertex_ws_t *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    int nb2 = nb * nb;
    x->vt = vt;
    x->nimp_U0sq = nimp_U0sq;
    x->T = T;
    x->nb = nb;
    x->nb2 = nb2;
    x->vG = calloc((size_t)nb * nb2, sizeof(double complex));
    x->vN = calloc((size_t)nb * 3 * nb2, sizeof(double complex));
    x->vok = calloc(nb, sizeof(int));
    x->vj = calloc((size_t)3 * nb, sizeof(double));
    x->vje = calloc((size_t)3 * nb, sizeof(double));
    x->vjd = calloc((size_t)3 * nb, sizeof(double));
    x->vjs = calloc((size_t)3 * nb, sizeof(double));
    x->vjok = calloc(nb, sizeof(int));
    x->vjm = calloc((size_t)12 * nb2, sizeof(double complex));
    x->vjg = calloc((size_t)2 * nb, sizeof(double complex));
    x->B1 = calloc(nb2, sizeof(double complex));
    x->B2 = calloc(nb2, sizeof(double complex));
    x->T1 = calloc(nb2, sizeof(double complex));
    x->T2 = calloc(nb2, sizeof(double complex));
    x->hp = calloc(nb2, sizeof(double));
    if (!x->vG || !x->vN || !x->vok || !x->vj || !x->vje || !x->vjd || !x->vjs || !x->vjok || !x->vjm || !x->vjg ||
        !x->B1 || !x->B2 || !x->T1 || !x->T2 || !x->hp) {
        qkt_vertex_ws_free(x);
        return NULL;
    }
    return x;
}

void qkt_vertex_ws_free(qkt_vertex_ws_t *x)
{
    if (!x) return;
    free(x->vG);
    free(x->vN);
    free(x->vok);
    free(x->vj);
    free(x->vje);
    free(x->vjd);
    free(x->vjs);
    free(x->vjok);
    free(x->vjm);
    free(x->vjg);
    free(x->B1);
    free(x->B2);
    free(x->T1);
    free(x->T2);
    free(x->hp);
    free(x);
}

/* the tabulated orbital matrices at e; q = 0: G, q = 1 + nu: Nt_nu.  Writes
 * nb*nb values into out. */
static void vt_interp(const struct qkt_vtable *vt, int q, double e, double complex *out)
{
    int nb2 = vt->nb * vt->nb;
    if (q == 0) qkt_cheb_interp(vt->x, vt->n, vt->G, nb2, nb2, e, out);
    else qkt_cheb_interp(vt->x, vt->n, vt->Nt + (size_t)(q - 1) * nb2, 3 * (size_t)nb2, nb2, e, out);
}

void qkt_vertex_prep(qkt_vertex_ws_t *x, const qkt_bands_t *b, const double *fp, int nnu, const int *nu)
{
    const struct qkt_vtable *vt = x->vt;
    int nb = x->nb, nb2 = x->nb2;
    for (int m = 0; m < nb; m++) {
        double e = b->eps[m];
        x->vok[m] = e >= vt->emin && e <= vt->emax && fp[m] != 0;
        if (!x->vok[m]) continue;
        vt_interp(vt, 0, e, x->T2);
        qkt_mat_to_eigbasis(nb, b->U, x->T2, x->vG + (size_t)m * nb2, x->T1);
        for (int in = 0; in < nnu; in++) {
            vt_interp(vt, 1 + nu[in], e, x->T2);
            qkt_mat_to_eigbasis(nb, b->U, x->T2, x->vN + ((size_t)m * 3 + in) * nb2, x->T1);
        }
    }
}

double qkt_vertex_born_rate(const qkt_vertex_ws_t *x, int m)
{
    if (!x->vok[m]) return 0;
    double g = creal(x->vG[(size_t)m * x->nb2 + m * x->nb + m]);
    return g > 0 ? 2 * M_PI * x->nimp_U0sq * g : 0;
}

/* Rule born: n_E^m = f0'(eps_m) phi^m with the solution of K^dd n_E = D_E rho0
 * (Eq. 56) on the energy shell of eps_m, Nt_nu(e) = sum_m' int phi^m' P_m'
 * delta(e - eps_m') solved per shell (response/tables.c) */
void qkt_vertex_born_phi(const qkt_vertex_ws_t *x, const qkt_bands_t *b, int in, int nu, double *phi)
{
    int nb = x->nb, nb2 = x->nb2;
    for (int m = 0; m < nb; m++) {
        double r = qkt_vertex_born_rate(x, m);
        phi[m] = r > 0 ? (creal(b->v[nu][m * nb + m]) +
                          2 * M_PI * x->nimp_U0sq * creal(x->vN[((size_t)m * 3 + in) * nb2 + m * nb + m])) / r
                       : 0;
    }
}

/* J(n_E) (Eqs. 16, 35) with N(e) = sum_m' int n^m' P_m' delta(e - eps_m') =
 * f0'(e) Nt_nu(e); n^m = v_nu^m f'(e_m) (unit relaxation time) or f'(e_m)
 * phi^m (rule born).  Needs qkt_vertex_prep(). */
void qkt_vertex_j(const qkt_vertex_ws_t *x, const qkt_bands_t *b, const double *fp, int in, const double *nmv,
                  double complex *out)
{
    int nb = x->nb, nb2 = x->nb2;
    memset(out, 0, sizeof(double complex) * nb2);
    for (int m = 0; m < nb; m++) {
        if (!x->vok[m]) continue;
        /* the band-m terms of row m and of column m */
        const double complex *Z = x->vG + (size_t)m * nb2;            /* G(e_m) */
        const double complex *X = x->vN + ((size_t)m * 3 + in) * nb2; /* Nt(e_m) */
        double nm = nmv[m];
        for (int n = 0; n < nb; n++) {
            if (n == m) continue;
            double complex jr = nm * Z[m * nb + n] - fp[m] * X[m * nb + n]; /* (m, n) */
            double complex jc = nm * Z[n * nb + m] - fp[m] * X[n * nb + m]; /* (n, m) */
            out[m * nb + n] += jr;
            out[n * nb + m] += jc;
        }
    }
    for (int i = 0; i < nb2; i++) out[i] *= M_PI * x->nimp_U0sq;
}

/* vj of band m from the orbital matrices G and Qt_x,y,z at its energy:
 * out[mu]; *c2 (if not NULL): sum |c_m'|^2 per mu (c2[mu]) */
static void vj_band(const qkt_vertex_ws_t *x, const qkt_bands_t *b, int m, const double complex *G,
                    const double complex *const Q[3], double *out, double *c2)
{
    int nb = x->nb;
    double W = M_PI * x->nimp_U0sq, e = b->eps[m];
    /* g[n] = <m|G|n> = sum_j r_j U_jn with r_j = sum_i conj(U_im) G_ij */
    double complex *r = x->vjg, *g = x->vjg + nb;
    for (int j = 0; j < nb; j++) {
        double complex z = 0;
        for (int i = 0; i < nb; i++) z += conj(b->U[i * nb + m]) * G[i * nb + j];
        r[j] = z;
    }
    for (int n = 0; n < nb; n++) {
        double complex z = 0;
        for (int j = 0; j < nb; j++) z += r[j] * b->U[j * nb + n];
        g[n] = z;
    }
    for (int mu = 0; mu < 3; mu++) {
        double tg = 0, cc = 0;
        for (int n = 0; n < nb; n++) {
            double de = e - b->eps[n];
            if (n == m || fabs(de) <= b->degen_tol || b->block[m] != b->block[n]) continue;
            double complex cn = I * b->v[mu][n * nb + m] / de;
            tg += 2 * creal(cn * g[n]);
            cc += creal(cn * conj(cn));
        }
        double complex qa = 0;
        for (int i = 0; i < nb; i++)
            for (int j = 0; j < nb; j++) qa += conj(b->U[i * nb + m]) * Q[mu][i * nb + j] * b->U[j * nb + m];
        out[mu] = -W * (tg - creal(qa));
        if (c2) c2[mu] = cc;
    }
}

/* Adjoint vertex weights (struct qkt_vtable): for every band m whose energy
 * lies in a tabulated segment,
 *   vj_mu^m = -pi nimp_U0sq (Tr[G(eps_m) Q_mu^m] - <m|Qt_mu(eps_m)|m>),
 *   Q_mu^m = sum_{m'} c_m' |m'><m| + h.c.,  c_m' = i v_mu^{m'm}/(eps_m - eps_m')
 * (c = 0 where P^-1 is zero: m' = m, degenerate pairs, other blocks), so that
 * the current of S_J = -P^-1 J(n) of a diagonal node n is sum_m n^m vj^m.
 * With it, from the same Chebyshev series (struct qkt_vseg), the signed error
 * estimates of vj: vjd, the part of its two highest terms (interpolation),
 * and vjs = (pi^2/6) Ts^2 vj'' (the smearing of the tables' delta functions
 * at Ts = T/4); and vje, a bound from the tables' own integration errors.
 * Signed estimates keep the cancellations of sum_m n^m vj^m, which bounds
 * |n| |error| would not. */
void qkt_vertex_vj(qkt_vertex_ws_t *x, const qkt_bands_t *b)
{
    const struct qkt_vtable *vt = x->vt;
    int nb = x->nb, nb2 = x->nb2, n = vt->n;
    double W = M_PI * x->nimp_U0sq, Ts = x->T / 4;
    double complex *M = x->vjm, *B1 = x->B1, *B2 = x->B2;
    for (int m = 0; m < nb; m++) {
        double e = b->eps[m];
        const struct qkt_vseg *sg = NULL;
        for (int s = 0; s < vt->nseg && !sg; s++)
            if (e >= vt->seg[s].emin && e <= vt->seg[s].emax) sg = &vt->seg[s];
        x->vjok[m] = sg != NULL;
        for (int mu = 0; mu < 3; mu++) x->vj[mu * nb + m] = x->vjd[mu * nb + m] = x->vjs[mu * nb + m] = 0;
        for (int mu = 0; mu < 3; mu++) x->vje[mu * nb + m] = 0;
        if (!sg) continue;
        double hw = 0.5 * (sg->emax - sg->emin), xx = (e - 0.5 * (sg->emin + sg->emax)) / hw;
        xx = fmax(-1, fmin(1, xx));
        /* the four tables (G, Qt_x,y,z): full series, their two highest terms,
         * second derivatives */
        double th = acos(xx), t1 = cos((n - 1) * th), t2 = cos((n - 2) * th);
        for (int q = 0; q < 4; q++) {
            const double complex *cf = sg->cf + (size_t)q * nb2, *cd = sg->cf2 + (size_t)q * nb2;
            size_t st = 4 * (size_t)nb2;
            double complex *F = M + (size_t)q * nb2, *D = M + (size_t)(4 + q) * nb2, *S = M + (size_t)(8 + q) * nb2;
            qkt_cheb_eval(cf, st, n, nb2, xx, F, B1, B2);
            const double complex *ca = cf + (size_t)(n - 1) * st, *cb = cf + (size_t)(n - 2) * st;
            for (int i = 0; i < nb2; i++) D[i] = t1 * ca[i] + t2 * cb[i];
            qkt_cheb_eval(cd, st, n, nb2, xx, S, B1, B2);
            for (int i = 0; i < nb2; i++) S[i] *= M_PI * M_PI / 6 * Ts * Ts / (hw * hw);
        }
        double v3[3], c2[3];
        const double complex *QF[3] = {M + nb2, M + 2 * (size_t)nb2, M + 3 * (size_t)nb2};
        const double complex *QD[3] = {M + 5 * (size_t)nb2, M + 6 * (size_t)nb2, M + 7 * (size_t)nb2};
        const double complex *QS[3] = {M + 9 * (size_t)nb2, M + 10 * (size_t)nb2, M + 11 * (size_t)nb2};
        vj_band(x, b, m, M, QF, v3, c2);
        for (int mu = 0; mu < 3; mu++) {
            x->vj[mu * nb + m] = v3[mu];
            x->vje[mu * nb + m] = W * nb * (sg->gerr * sqrt(2 * c2[mu]) + sg->qerr);
        }
        vj_band(x, b, m, M + 4 * (size_t)nb2, QD, v3, NULL);
        for (int mu = 0; mu < 3; mu++) x->vjd[mu * nb + m] = v3[mu];
        vj_band(x, b, m, M + 8 * (size_t)nb2, QS, v3, NULL);
        for (int mu = 0; mu < 3; mu++) x->vjs[mu * nb + m] = v3[mu];
    }
}

void qkt_vertex_tally_vj(const qkt_vertex_ws_t *x, const qkt_bands_t *b, const double *d, double *out, double *oe,
                         size_t stride, double *drop)
{
    int nb = x->nb;
    for (int m = 0; m < nb; m++) {
        if (d[m] == 0) continue;
        double v2 = 0;
        for (int mu = 0; mu < 3; mu++) v2 += creal(b->v[mu][m * nb + m]) * creal(b->v[mu][m * nb + m]);
        drop[1] += fabs(d[m]) * sqrt(v2);
        if (!x->vjok[m]) {
            drop[0] += fabs(d[m]) * sqrt(v2);
            continue;
        }
        for (int mu = 0; mu < 3; mu++) {
            out[mu] += d[m] * x->vj[mu * nb + m];
            oe[mu] += d[m] * x->vjd[mu * nb + m];
            oe[stride + mu] += d[m] * x->vjs[mu * nb + m];
            oe[2 * stride + mu] += fabs(d[m]) * x->vje[mu * nb + m];
        }
    }
}

/* ---- integrands of the tabulation passes */
void qkt_vertex_tab1(qkt_vertex_ws_t *x, const qkt_bands_t *b, const double *fp, double *out)
{
    int nb = x->nb, nb2 = x->nb2;
    /* delta(e - eps_m) smeared by -f0' at (mu, T) of this pass */
    for (int m = 0; m < nb; m++) {
        double wgt = -fp[m];
        if (wgt == 0) continue;
        for (int q = 0; q < 4; q++) {
            double f = q == 0 ? wgt : wgt * creal(b->v[q - 1][m * nb + m]);
            double *o = out + q * 2 * nb2;
            for (int i = 0; i < nb; i++)
                for (int j = 0; j < nb; j++) {
                    double complex pij = b->U[i * nb + m] * conj(b->U[j * nb + m]);
                    o[i * nb + j] += f * creal(pij);
                    o[nb2 + i * nb + j] += f * cimag(pij);
                }
        }
        /* Q_mu^m (qkt_vertex_vj) in the orbital basis: Q = |y><m| + |m><y|
         * with y = sum_m' c_m' |m'> */
        for (int mu = 0; mu < 3; mu++) {
            double complex *y = x->B1;
            for (int i = 0; i < nb; i++) y[i] = 0;
            for (int n = 0; n < nb; n++) {
                double de = b->eps[m] - b->eps[n];
                if (n == m || fabs(de) <= b->degen_tol || b->block[m] != b->block[n]) continue;
                double complex cn = I * b->v[mu][n * nb + m] / de;
                for (int i = 0; i < nb; i++) y[i] += cn * b->U[i * nb + n];
            }
            double *o = out + (4 + mu) * 2 * nb2, y2 = 0;
            for (int i = 0; i < nb; i++)
                for (int j = 0; j < nb; j++) {
                    double complex qij = y[i] * conj(b->U[j * nb + m]) + b->U[i * nb + m] * conj(y[j]);
                    o[i * nb + j] += wgt * creal(qij);
                    o[nb2 + i * nb + j] += wgt * cimag(qij);
                }
            for (int i = 0; i < nb; i++) y2 += creal(y[i] * conj(y[i]));
            /* the scale Qabs: |Q|_F = sqrt(2) |y| */
            out[7 * 2 * nb2] += wgt * sqrt(2 * y2);
        }
    }
}

/* rule born, second pass: the shell operator M and the drive A at the node
 * energy e = mu of this pass, delta(e - eps_m) smeared by -f0' at (mu, T) of
 * this pass, tau_m from G(e) */
void qkt_vertex_tab2(qkt_vertex_ws_t *x, const qkt_bands_t *b, const double *fp, const double complex *Gn, double *oM,
                     double *oA)
{
    int nb = x->nb, nh = qkt_born_nh(nb);
    double W2 = 2 * M_PI * x->nimp_U0sq;
    for (int m = 0; m < nb; m++) {
        double wgt = -fp[m];
        if (wgt == 0) continue;
        double g = 0;
        for (int i = 0; i < nb; i++)
            for (int j = 0; j < nb; j++) g += creal(conj(b->U[i * nb + m]) * Gn[i * nb + j] * b->U[j * nb + m]);
        if (!(g > 0)) continue;
        double t = wgt / (W2 * g);
        double *p = x->hp;
        qkt_born_coords(nb, b->U, m, p);
        for (int a = 0; a < nh; a++)
            for (int a2 = a; a2 < nh; a2++) oM[qkt_born_mi(nh, a, a2)] += t * p[a] * p[a2];
        double sp = 0;
        for (int nu = 0; nu < 3; nu++) {
            double vv = creal(b->v[nu][m * nb + m]);
            sp += vv * vv;
            for (int a = 0; a < nh; a++) oA[nu * nh + a] += t * vv * p[a];
        }
        oA[3 * nh] += t * sqrt(sp);
    }
}
