/* tables.c - the energy tables of the disorder kernel (response/tables.h):
 * tabulation passes of the tree at Chebyshev energies, their series and
 * error bounds, the adjoint tables' segments, and the Born equation per
 * energy shell (Eq. 56) solved with LAPACK. */
#include <lapacke.h>
#include <stdlib.h>
#include "response/tables.h"
#include "core/chebyshev.h"

/* One integration of a tabulation pass at energy e (temperature Ts): kind 1
 * tabulates G and Nt (vertex correction), kind 2 the Born shell operator
 * (born_G: G at e).  The extra tallies (extra values, blocks of blk) follow
 * the plain layout.  *val: the integrals (malloc'ed, L->fdim values); *errp (if
 * errp is not NULL): their error estimates (malloc'ed). */
static qkt_status_t table_pass(const qkt_model_t *m, const qkt_params_t *p, const qkt_runopts_t *io0, double e,
                               double Ts, int kind, int blk, int extra, const double complex *born_G,
                               qkt_layout_t *L, double **val, double **errp)
{
    qkt_mapopts_t mo = io0->map;
    mo.window = p->window;
    qkt_pockets_t *pk = NULL;
    qkt_status_t st = qkt_pockets_build(m, e, Ts, &mo, &pk);
    if (st) return st;
    int none[1] = {0};
    qkt_layout_spec_t ls;
    memset(&ls, 0, sizeof ls);
    ls.dim = m->dim;
    ls.npk = pk->n;
    ls.nu = ls.al = none;
    ls.vtab = kind;
    ls.vtab_block = blk;
    ls.vtab_size = extra;
    qkt_layout_build(L, &ls);
    qkt_tree_par_t tp;
    memset(&tp, 0, sizeof tp);
    tp.mu = e;
    tp.T = Ts;
    tp.degen_tol = p->degen_tol;
    tp.window = p->window;
    tp.h = 0.05 * Ts;
    if (kind == 2) {
        tp.nimp_U0sq = p->nimp_U0sq;
        tp.born_G = born_G;
    }
    *val = calloc(L->fdim, sizeof(double));
    double *err = calloc(L->fdim, sizeof(double));
    qkt_intstats_t stats;
    if (!*val || !err) st = qkt_error(QKT_ENOMEM, "out of memory (energy tables)");
    else {
        qkt_integ_t how = {QKT_INT_ADAPTIVE, NULL, 0, NULL, 0, 0, 0};
        st = qkt_integrate_tree(m, L, &tp, pk, &io0->integ, &how, *val, err, &stats);
    }
    qkt_pockets_free(pk);
    if (st || !errp) {
        free(err);
        err = NULL;
    }
    if (errp) *errp = err;
    if (st) {
        free(*val);
        *val = NULL;
    }
    return st;
}

/* The Chebyshev series of the tables G, Qt_x,y,z of a segment and of their
 * second derivatives (struct qkt_vseg: cf, cf2) */
static qkt_status_t cheb_series(int n, int nb2, struct qkt_vseg *sg)
{
    size_t st = 4 * (size_t)nb2;
    sg->cf = calloc((size_t)n * st, sizeof(double complex));
    sg->cf2 = calloc((size_t)n * st, sizeof(double complex));
    double complex *d1 = calloc((size_t)n, sizeof(double complex)), *d2 = calloc((size_t)n, sizeof(double complex));
    if (!sg->cf || !sg->cf2 || !d1 || !d2) {
        free(d1);
        free(d2);
        return qkt_error(QKT_ENOMEM, "out of memory (vertex table)");
    }
    for (int q = 0; q < 4; q++)
        for (int i = 0; i < nb2; i++) {
            /* values at the nodes */
            const double complex *f = q == 0 ? sg->G + i : sg->Qt + (size_t)(q - 1) * nb2 + i;
            size_t fs = q == 0 ? (size_t)nb2 : 3 * (size_t)nb2;
            double complex *c = sg->cf + (size_t)q * nb2 + i;
            qkt_cheb_coeffs(n, f, fs, c, st);
            qkt_cheb_deriv2(n, c, st, d1, d2);
            for (int k = 0; k < n; k++) sg->cf2[(size_t)k * st + (size_t)q * nb2 + i] = d2[k];
        }
    free(d1);
    free(d2);
    return QKT_OK;
}

/* Error bound per entry of the tables q0 <= q < q1 (0: G, 1..3: Qt) of a
 * segment of half-width h, from their Chebyshev series: the largest over the
 * entries of |c_{n-1}| + |c_{n-2}| (interpolation, when the coefficients
 * decay) plus (pi^2/6) Ts^2 max|g''|, |g''| <= sum_k |c_k| k^2 (k^2 - 1)/(3 h^2)
 * (the smearing of delta(e - eps) by -f0' at Ts shifts a table g(e) by
 * (pi^2/6) Ts^2 g''(e) to leading order) */
static double cheb_tail(const struct qkt_vseg *sg, int n, int nb2, int q0, int q1, double h, double Ts)
{
    double tail = 0;
    for (int i = q0 * nb2; i < q1 * nb2; i++) {
        double t = 0, d2 = 0;
        for (int k = 0; k < n; k++) {
            double a = cabs(sg->cf[(size_t)k * 4 * nb2 + i]);
            if (k >= n - 2) t += a;
            d2 += a * k * k * (k * k - 1) / 3.0;
        }
        tail = fmax(tail, t + M_PI * M_PI / 6 * Ts * Ts * d2 / (h * h));
    }
    return tail;
}

/* Tabulate G(e), Nt_nu(e) (into Nt, unless NULL) and Qt_mu(e) (disorder/kernel.h) of
 * the disorder kernel at the Chebyshev nodes of [emin, emax] of a segment:
 * at each node energy e_j an integration with delta(e_j - eps) smeared by
 * -f0' at temperature T/4 (smooth functions of e: the smearing changes them
 * by O((T/4)^2) relative to their curvature); then their Chebyshev series and
 * error bounds. */
static qkt_status_t table_segment(const qkt_model_t *m, const qkt_params_t *p, const qkt_runopts_t *io0, int n,
                                  struct qkt_vseg *sg, double complex *Nt)
{
    int nb = m->nb, nb2 = nb * nb;
    sg->G = calloc((size_t)n * nb2, sizeof(double complex));
    sg->Qt = calloc((size_t)n * 3 * nb2, sizeof(double complex));
    if (!sg->G || !sg->Qt) return qkt_error(QKT_ENOMEM, "out of memory (vertex table)");
    double c = 0.5 * (sg->emin + sg->emax), h = 0.5 * (sg->emax - sg->emin);
    double Ts = p->T / 4, qabs = 0, gerr = 0, qerr = 0;
    qkt_status_t st = QKT_OK;
    for (int j = 0; j < n && !st; j++) {
        sg->x[j] = qkt_cheb_node(j, n, c, h);
        qkt_layout_t L;
        double *val = NULL, *err = NULL;
        st = table_pass(m, p, io0, sg->x[j], Ts, 1, 2 * nb2, 7 * 2 * nb2 + 1, NULL, &L, &val, &err);
        if (!st) {
            qabs = fmax(qabs, fabs(val[L.o_vtab + 7 * 2 * nb2]));
            /* the integration errors of the entries (real and imaginary parts) */
            for (int i = 0; i < 2 * nb2; i++) {
                gerr = fmax(gerr, err[L.o_vtab + i]);
                for (int q = 4; q < 7; q++) qerr = fmax(qerr, err[L.o_vtab + q * 2 * nb2 + i]);
            }
            for (int q = 0; q < 7; q++)
                for (int i = 0; i < nb2; i++) {
                    double complex z = val[L.o_vtab + q * 2 * nb2 + i] + I * val[L.o_vtab + q * 2 * nb2 + nb2 + i];
                    if (q == 0) sg->G[(size_t)j * nb2 + i] = z;
                    else if (q < 4 && Nt) Nt[((size_t)j * 3 + q - 1) * nb2 + i] = z;
                    else if (q >= 4) sg->Qt[((size_t)j * 3 + q - 4) * nb2 + i] = z;
                }
        }
        free(err);
        free(val);
    }
    if (st || (st = cheb_series(n, nb2, sg))) return st;
    sg->gmax = sg->qmax = 0;
    for (size_t i = 0; i < (size_t)n * nb2; i++) sg->gmax = fmax(sg->gmax, cabs(sg->G[i]));
    for (size_t i = 0; i < (size_t)n * 3 * nb2; i++) sg->qmax = fmax(sg->qmax, cabs(sg->Qt[i]));
    sg->qmax = fmax(sg->qmax, qabs);
    /* interpolation and smearing, plus the tabulation integrals' own errors */
    sg->gerr = M_SQRT2 * gerr;
    sg->qerr = M_SQRT2 * qerr;
    sg->gtail = cheb_tail(sg, n, nb2, 0, 1, h, Ts) + sg->gerr;
    sg->qtail = cheb_tail(sg, n, nb2, 1, 4, h, Ts) + sg->qerr;
    return QKT_OK;
}

/* the thermal window's table: G, Nt and Qt (segment 0) */
qkt_status_t qkt_vtable_window(const qkt_model_t *m, const qkt_params_t *p, const qkt_runopts_t *io0,
                                 struct qkt_vtable *vt)
{
    int nb = m->nb, nb2 = nb * nb, n = QKT_VT_NODES;
    vt->n = n;
    vt->nb = nb;
    vt->emin = p->mu - p->window * p->T;
    vt->emax = p->mu + p->window * p->T;
    vt->Nt = calloc((size_t)n * 3 * nb2, sizeof(double complex));
    if (!vt->Nt) return qkt_error(QKT_ENOMEM, "out of memory (vertex table)");
    struct qkt_vseg *sg = &vt->seg[0];
    vt->nseg = 1;
    sg->emin = vt->emin;
    sg->emax = vt->emax;
    qkt_status_t st = table_segment(m, p, io0, n, sg, vt->Nt);
    vt->G = sg->G; /* owned by seg[0] */
    memcpy(vt->x, sg->x, sizeof vt->x);
    return st;
}

/* halvings of an adjoint-table segment at most */
#define VSEG_DEPTH 2

static int cmp_lo(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The energy segments of the adjoint tables beyond the thermal window: the
 * band energies, on the Fermi-surface cells, of the bands coupled to a band in
 * the window (qkt_pockets_shell_bands), merged where they lie within half a
 * window width (hw = window T) of each other, widened by hw/4, minus the
 * window itself (segment 0).  At most QKT_VT_MAXSEG/4 are kept (the closest
 * are merged); each is then tabulated and halved while its interpolation-
 * error bound exceeds reltol (VSEG_DEPTH times at most, within
 * QKT_VT_MAXSEG segments in all). */
qkt_status_t qkt_vtable_segments(const qkt_model_t *m, const qkt_params_t *p, const qkt_runopts_t *io0,
                                    const qkt_pockets_t *pk, struct qkt_vtable *vt)
{
    double *iv = NULL;
    size_t niv = 0;
    double hw = p->window * p->T;
    qkt_status_t st = qkt_pockets_shell_bands(pk, p->mu, hw, &iv, &niv);
    if (st) return st;
    qsort(iv, niv, 2 * sizeof(double), cmp_lo);
    /* merged intervals minus [emin, emax] of segment 0 */
    double (*seg)[2] = malloc(sizeof *seg * (2 * niv + 2));
    if (!seg) {
        free(iv);
        return qkt_error(QKT_ENOMEM, "out of memory (energy segments)");
    }
    int ns = 0;
    double lo = 0, hi = 0;
    int open = 0;
    for (size_t i = 0; i <= niv; i++) {
        if (i < niv && open && iv[2 * i] <= hi + 0.5 * hw) {
            hi = fmax(hi, iv[2 * i + 1]);
            continue;
        }
        if (open) {
            /* close [lo, hi] widened, cut by the window */
            double a = lo - 0.25 * hw, bnd = hi + 0.25 * hw;
            double pieces[2][2] = {{a, fmin(bnd, vt->emin)}, {fmax(a, vt->emax), bnd}};
            for (int q = 0; q < 2; q++)
                if (pieces[q][1] > pieces[q][0]) {
                    seg[ns][0] = pieces[q][0];
                    seg[ns][1] = pieces[q][1];
                    ns++;
                }
        }
        if (i < niv) {
            lo = iv[2 * i];
            hi = iv[2 * i + 1];
            open = 1;
        }
    }
    free(iv);
    /* keep at most QKT_VT_MAXSEG / 4, merging across the smallest gaps (a
     * merged segment never spans the window: the pieces below and above it
     * are merged among themselves); the rest of the budget is for splitting */
    while (ns > QKT_VT_MAXSEG / 4) {
        int best = -1;
        for (int r = 0; r + 1 < ns; r++) {
            if (seg[r][1] <= vt->emin && seg[r + 1][0] >= vt->emax) continue;
            if (best < 0 || seg[r + 1][0] - seg[r][1] < seg[best + 1][0] - seg[best][1]) best = r;
        }
        if (best < 0) break;
        seg[best][1] = seg[best + 1][1];
        memmove(seg[best + 1], seg[best + 2], sizeof seg[0] * (ns - best - 2));
        ns--;
    }
    /* tabulate; a segment whose interpolation-error bound exceeds reltol of
     * its largest entry is halved (breadth first, at most VSEG_DEPTH times)
     * while the budget of segments lasts */
    int depth[QKT_VT_MAXSEG];
    for (int r = 0; r < ns && vt->nseg < QKT_VT_MAXSEG; r++) {
        vt->seg[vt->nseg].emin = seg[r][0];
        vt->seg[vt->nseg].emax = seg[r][1];
        depth[vt->nseg++] = 0;
    }
    free(seg);
    for (int q = 1; q < vt->nseg && !st; q++) {
        struct qkt_vseg *sg = &vt->seg[q];
        st = table_segment(m, p, io0, vt->n, sg, NULL);
        if (st) break;
        int bad = sg->gtail > p->reltol * sg->gmax || sg->qtail > p->reltol * sg->qmax;
        if (!bad || depth[q] >= VSEG_DEPTH || vt->nseg >= QKT_VT_MAXSEG) continue;
        double lo = sg->emin, mid = 0.5 * (sg->emin + sg->emax), hi = sg->emax;
        free(sg->G);
        free(sg->Qt);
        free(sg->cf);
        free(sg->cf2);
        memset(sg, 0, sizeof *sg);
        /* drop it; its halves go to the end of the list */
        int d = depth[q] + 1;
        memmove(&vt->seg[q], &vt->seg[q + 1], sizeof vt->seg[0] * (vt->nseg - q - 1));
        memmove(&depth[q], &depth[q + 1], sizeof depth[0] * (vt->nseg - q - 1));
        vt->nseg--;
        memset(&vt->seg[vt->nseg], 0, sizeof vt->seg[0]);
        vt->seg[vt->nseg].emin = lo;
        vt->seg[vt->nseg].emax = mid;
        depth[vt->nseg++] = d;
        memset(&vt->seg[vt->nseg], 0, sizeof vt->seg[0]);
        vt->seg[vt->nseg].emin = mid;
        vt->seg[vt->nseg].emax = hi;
        depth[vt->nseg++] = d;
        q--; /* the segment now at q is not tabulated yet */
    }
    return st;
}

void qkt_vtable_free(struct qkt_vtable *vt)
{
    for (int s = 0; s < vt->nseg; s++) {
        free(vt->seg[s].G);
        free(vt->seg[s].Qt);
        free(vt->seg[s].cf);
        free(vt->seg[s].cf2);
    }
    if (vt->nseg == 0) free(vt->G);
    free(vt->Nt);
    memset(vt, 0, sizeof *vt);
}

/* drop eigenvalues of the shell operator below this fraction of the largest:
 * conserved quantities (the uniform shell mode, decoupled blocks or spins)
 * whose tabulated eigenvalue is integration noise */
#define BORN_NULL_REL 1e-3

/* Rule born: the second tabulation pass and the solution of the Born
 * equation on each energy shell.  K^dd n_E = d (Eq. 56, short-range scalar
 * disorder, <U U> = nimp_U0sq Tr(P_mk P_m'k')) with d = v_nu f0' and n_E =
 * f0' phi becomes, on the shell of energy e,
 *   phi^m(k) = tau_m(k) [v_nu^m + W <m|Nt(e)|m>],   W = 2 pi nimp_U0sq,
 *   Nt(e) = A(e) + W M[Nt(e)],  A = int tau v_nu P delta,  M[X] = int tau P Tr(P X) delta,
 * a linear equation for the Hermitian matrix Nt(e) (nh = nb^2 real coordinates,
 * disorder/kernel.h).  L = I - W M is symmetric and positive semi-definite with the
 * uniform shell mode (phi = const, Nt = const G) as exact zero mode: G is
 * projected out explicitly, and any further eigenvalue below BORN_NULL_REL of
 * the largest (another conserved quantity) is dropped; a uniform shift of phi
 * on a conserved set carries no current and drops out of J.  The drive must
 * have no component on the dropped modes; the largest one relative to
 * int tau |v| delta is reported (r->born_null_drive).  Nt of vt is replaced by
 * the solution. */
qkt_status_t qkt_vtable_born(const qkt_model_t *m, const qkt_params_t *p, const qkt_runopts_t *io0,
                               struct qkt_vtable *vt, qkt_response_t *r)
{
    int nb = m->nb, nb2 = nb * nb, nh = qkt_born_nh(nb), blk = qkt_born_block(nb), n = vt->n;
    double W2 = 2 * M_PI * p->nimp_U0sq, Ts = p->T / 4;
    double *Lm = malloc(sizeof(double) * nh * nh), *ev = malloc(sizeof(double) * nh);
    double *g = malloc(sizeof(double) * nh), *x = malloc(sizeof(double) * nh), *Q = malloc(sizeof(double) * nh * nh);
    double *T = malloc(sizeof(double) * nh * nh);
    qkt_status_t st = QKT_OK;
    if (!Lm || !ev || !g || !x || !Q || !T) st = qkt_error(QKT_ENOMEM, "out of memory (Born tables)");
    r->born_null_modes = 0;
    r->born_null_drive = 0;
    for (int j = 0; j < n && !st; j++) {
        qkt_layout_t L;
        double *val = NULL;
        st = table_pass(m, p, io0, vt->x[j], Ts, 2, blk, 2 * blk, vt->G + (size_t)j * nb2, &L, &val, NULL);
        if (!st) {
            const double *oM = val + L.o_vtab, *oA = oM + blk;
            for (int a = 0; a < nh; a++)
                for (int b = 0; b < nh; b++)
                    Lm[a * nh + b] = (a == b) - W2 * oM[a <= b ? qkt_born_mi(nh, a, b) : qkt_born_mi(nh, b, a)];
            /* the uniform shell mode: coordinates of G(e_j), normalized */
            const double complex *Gj = vt->G + (size_t)j * nb2;
            int c = 0;
            for (int i = 0; i < nb; i++) g[c++] = creal(Gj[i * nb + i]);
            for (int i = 0; i < nb; i++)
                for (int k = i + 1; k < nb; k++) {
                    g[c++] = M_SQRT2 * creal(Gj[i * nb + k]);
                    g[c++] = M_SQRT2 * cimag(Gj[i * nb + k]);
                }
            double gn = 0;
            for (int a = 0; a < nh; a++) gn += g[a] * g[a];
            gn = sqrt(gn);
            for (int a = 0; a < nh; a++) g[a] = gn > 0 ? g[a] / gn : 0;
            /* Lq = Q L Q, Q = 1 - g g^T */
            for (int a = 0; a < nh; a++)
                for (int b = 0; b < nh; b++) Q[a * nh + b] = (a == b) - g[a] * g[b];
            for (int a = 0; a < nh; a++)
                for (int b = 0; b < nh; b++) {
                    double s = 0;
                    for (int k = 0; k < nh; k++) s += Lm[a * nh + k] * Q[k * nh + b];
                    T[a * nh + b] = s;
                }
            for (int a = 0; a < nh; a++)
                for (int b = 0; b < nh; b++) {
                    double s = 0;
                    for (int k = 0; k < nh; k++) s += Q[a * nh + k] * T[k * nh + b];
                    Lm[a * nh + b] = s;
                }
            for (int a = 0; a < nh; a++)
                for (int b = a + 1; b < nh; b++) Lm[a * nh + b] = Lm[b * nh + a] = 0.5 * (Lm[a * nh + b] + Lm[b * nh + a]);
            if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', nh, Lm, nh, ev) != 0)
                st = qkt_error(QKT_ENUM, "Born tables: eigen-decomposition of the shell operator failed at e = %g",
                               vt->x[j]);
            double lmax = 0;
            for (int a = 0; a < nh && !st; a++) lmax = fmax(lmax, fabs(ev[a]));
            int ndrop = 0;
            for (int a = 0; a < nh && !st; a++)
                if (!(fabs(ev[a]) > BORN_NULL_REL * lmax)) ndrop++;
            if (gn > 0) ndrop--; /* the uniform shell mode */
            if (ndrop > r->born_null_modes) r->born_null_modes = ndrop;
            double aref = oA[3 * nh];
            for (int nu = 0; nu < 3 && !st; nu++) {
                const double *A = oA + nu * nh;
                memset(x, 0, sizeof(double) * nh);
                for (int i = 0; i < nh; i++) {
                    double ua = 0;
                    for (int a = 0; a < nh; a++) ua += Lm[a * nh + i] * A[a];
                    if (fabs(ev[i]) > BORN_NULL_REL * lmax) {
                        for (int a = 0; a < nh; a++) x[a] += Lm[a * nh + i] * ua / ev[i];
                    } else if (aref > 0)
                        r->born_null_drive = fmax(r->born_null_drive, fabs(ua) / aref);
                }
                qkt_born_matrix(nb, x, vt->Nt + ((size_t)j * 3 + nu) * nb2);
            }
        }
        free(val);
    }
    free(Lm);
    free(ev);
    free(g);
    free(x);
    free(Q);
    free(T);
    if (!st) vt->born = 1;
    return st;
}
