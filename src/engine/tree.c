/* tree.c - the response tree of PHYSICS.md evaluated at one k-point.
 *
 * rho = sum_N (L^-1 D_B)^N L^-1 D_E rho0 (Eq. 38) with the leading-order block
 * inverse of L (Eqs. 49-55).  Nodes are diagonal (n, relaxed by (K^dd)^-1;
 * stored here as their driving term, i.e. with unit relaxation time), off-
 * diagonal (S = P^-1 D_B^o, Eq. 54) or Berry (xi = n B.Omega, Eq. 45).
 * Covariant derivatives (Eq. 28) of the order-0 nodes come from the point's
 * own bands and the model's second derivatives (analytic derivatives, below),
 * or are plain derivatives of their orbital-basis matrices by fourth-order
 * central differences on a small stencil (gauge free; the oracle, and the
 * outer derivative of order 2).  The derivative of rho0 = sum_m f_m P_m is
 * analytic.  The Fermi-sea node S_E = sum_j f_j A_j enters through its sea
 * coefficients A_j, so that the Fermi-surface part of a derivative (the part
 * acting on f, Appendix B) is sum_j f'_j v_j A_j exactly, and the sea
 * remainder sum_j f_j D A_j is reported as a diagnostic (PHYSICS.md,
 * relaxation of diagonal nodes); both are formed as weighted sums over j.
 * Units: hbar = e = 1; E and B are unit vectors along Cartesian axes. */
#include <stdlib.h>
#include "engine/tree.h"
#include "core/fermi.h"

/* ------------------------------------------------------------------ constants */
/* The thermal window's switch: 1 for t <= W - TAPER_WIDTH, 0 for t >= W (see
 * qkt_smooth_step), t = |eps - mu|/T.  It cuts the Fermi function's tails
 * (relative size e^{-(W-4)}) so that every Fermi-surface node vanishes
 * identically, and smoothly, far from the Fermi level; spread over four T, the
 * scale on which f0' itself varies, finite differences across the cut stay
 * accurate. */
#define TAPER_WIDTH 4
static double taper(double t, double W)
{
    double lo = W - TAPER_WIDTH;
    if (t <= lo) return 1; /* the common case, without a call */
    if (t >= W) return 0;
    return qkt_smooth_step((t - lo) / TAPER_WIDTH);
}

/* The derivative stencil: fourth-order central differences
 * f'(x) = sum_s fd_c[s] f(x + fd_s[s] h) / h + O(h^4), the narrowest centred
 * formula of that order: a step large enough for small round-off (~eps/h)
 * still leaves a small truncation error. */
#define FD_NPT 4   /* points of the stencil */
#define FD_REACH 2 /* its half-width, in steps h */
static const double fd_c[FD_NPT] = {1.0 / 12, -8.0 / 12, 8.0 / 12, -1.0 / 12};
static const int fd_s[FD_NPT] = {-2, -1, 1, 2};

/* Stencil offsets of the slot caches: an order-2 node differentiates order-1
 * nodes that are themselves differences, so offsets reach 2 * FD_REACH = 4
 * steps per axis; NOFF = 9 values (-4..4) per axis, OFF() their flat index. */
#define OFF_MAX (2 * FD_REACH)
#define NOFF (2 * OFF_MAX + 1)
#define OFF(i, j, l) ((((i) + OFF_MAX) * NOFF + ((j) + OFF_MAX)) * NOFF + ((l) + OFF_MAX))
/* Level-0 slots (bands and order-0 nodes) of one k-point: order 2 reads at
 * most 73 points (the centre, 8 more on each axis, 16 in each coordinate
 * plane); 160 keeps a margin, and an overflow is reported, not written. */
#define MAXSLOT0 160
/* Level-1 slots (order-1 nodes): the centre and FD_NPT points on each of the
 * three axes, 13 at order 2, rounded up to 16. */
#define MAXSLOT1 16
/* qkt_bands_compute_dirs() mask: v and R along all three axes, and Omega */
#define DIRS_ALL 7
/* the weight of a tally: measure factors are applied by the integrator */
static const double TALLY_WT = 1.0;

typedef struct {
    qkt_bands_t *b;
    double *f, *fp;
    int *pk;
    double complex *nE; /* [nnu][nb2] orbital */
    double complex *SJ; /* [nnu][nb2] orbital: the vertex part S_J(n_E) (order 1 with the vertex) */
    int fz;             /* f'_m = 0 for every band (outside the thermal window): nE = 0 */
    int ne_ok;          /* nE holds this point's n_E (filled on first use) */
    int dirs;           /* directions of v, R computed (bit mask; DIRS_ALL: all, with Omega) */
} slot0_t;

/* the Fermi function and its first two energy derivatives at one energy */
typedef struct {
    double f, f1, f2;
} occ3_t;

/* Fermi-surface nodes vanish identically outside the thermal window (taper):
 * nodes known to be zero are flagged, not computed, and derivatives of nodes
 * that are zero on the whole stencil are zero (up to the sign of zero). */
typedef struct {
    double complex *dL, *xiE, *dA, *SnE, *SSf; /* [nnu*nal][nb2] orbital (order 1: the centre
                                                  alone, in the eigenbasis; w->eig1) */
    double complex *SSs;                       /* [nnu*nal][nb2] orbital: the sea child
                                                  sum_j f_j P^-1 D_B A_j with the centre's f_j */
    unsigned char *z;                          /* [nnu*nal][T1_N] node is exactly zero */
} slot1_t;

struct qkt_tree_ws {
    const qkt_model_t *m;
    const qkt_layout_t *L;
    qkt_tree_par_t p;
    const qkt_pockets_t *pk;
    int nb, nb2;
    double k0[3];
    long ndegen; /* evaluation points with degenerate bands at the Fermi level */
    short map0[NOFF * NOFF * NOFF];
    short map1[NOFF * NOFF * NOFF];
    int n0, n1;
    slot0_t s0[MAXSLOT0];
    slot1_t s1[MAXSLOT1];
    /* scratch (eigenbasis matrices) */
    double complex *W[3], *D[3], *Dsea, *X, *Y, *Z, *T1, *T2, *C1, *C2;
    double complex *fdm;  /* [FD_NPT + 1][nb2] the sea sums on a stencil and at its centre (fd0_sea) */
    double *dg;
    occ3_t *occ;           /* per band: occupations of the equilibrium rho_B (occ3) */
    qkt_vertex_ws_t *vx;   /* the disorder kernel at the centre (disorder/kernel.h) */
    double *phi, *nm;      /* per band: phi_nu^m, n^m = f0' phi */
    const qkt_bands_t *W_b; /* W holds (v x e_W_al) of these bands (NULL: nothing) */
    int W_al;
    double complex *SSe; /* [nnu*nal][3][nb2] centre: sum_j f'_j v_a^jj P^-1 D_B A_j (eigenbasis),
                            the Fermi-surface part of the sea child's derivative along a */
    double *xd;          /* [nnu*nal][T1_N][nb] centre order-1 nodes, eigenbasis diagonal */
    double complex *xb;  /* [nnu*nal][T1_N][nb2] their elements inside degenerate groups off the
                            diagonal (eigenbasis; read only inside the groups of the same k) */
    double *ones;        /* nb ones: the weights of tally_group_sigma for a plain block */
    double complex *db5; /* 5 nb2: D_B's orbital matrices on the axis stencil and at the centre */
    double complex *DseaC; /* [nnu][3][nb2] centre: sea part sum_j f_j D_a A_j of D_a S_E (eigenbasis) */
    double *swg;           /* [4][nb] weights g_j of the sea sums (sea_weights) */
    int nsw;               /* weight vectors in use */
    double complex *swm;   /* [4][3][nb2] their sums sum_j g_j D_a A_j (eigenbasis) */
    double complex *SXd;   /* nb2: D_B of that sea part at the centre, for the current (nu, alpha) */
    double complex *SX;    /* nb2: P^-1 of SXd, the sea part of the SS node */
    /* analytic derivatives (numerics.derivatives = analytic) */
    double complex *Wh;    /* [3][nnu][nb2] covariant Hessians U^dagger D_a D_nu H U */
    double complex *an;    /* 6 nb2 scratch */
    double *fpp;           /* nb: d f'/d eps */
    long nfallback;        /* level-1 points that took the finite-difference path */
    int eig1;              /* level-1 nodes stored in the eigenbasis (order 1: the centre only) */
    double *lsave;         /* the Landau cutoff (p.landau_x2 > 0): the order >= 1 blocks before
                              the point's evaluation (landau_blocks) */
};

/* The Landau cutoff (qkt_params_t.landau_B; docs/physics.md, "Landau cutoff"):
 * the blocks of tallies of order B^1 and B^2 in the fields E and B (with the
 * Eq.-67 pumping integrand, of order E B), weighted per point.  Orders B^0
 * (sigma^(0), the pocket modes' own currents and vertex, the pocket norms
 * and fluxes) and the B-only blocks are not. */
static const int landau_blocks[] = {QKT_B_S1,  QKT_B_S2, QKT_B_P1, QKT_B_A1, QKT_B_SEA1, QKT_B_P2,
                                    QKT_B_A2,  QKT_B_SEA2, QKT_B_U2, QKT_B_UP2, QKT_B_X1, QKT_B_J1,
                                    QKT_B_SJ1, QKT_B_PSJ, QKT_B_ASJ, QKT_B_D1, QKT_B_D2, QKT_B_PUMP67};
#define NLANDAU_BLOCKS ((int)(sizeof landau_blocks / sizeof *landau_blocks))

static size_t landau_size(const qkt_layout_t *L)
{
    size_t n = 0;
    for (int i = 0; i < NLANDAU_BLOCKS; i++) n += (size_t)L->blk[landau_blocks[i]].size;
    return n;
}


static void *xcalloc(size_t n, size_t s, int *bad)
{
    void *p = calloc(n ? n : 1, s);
    if (!p) *bad = 1;
    return p;
}

static void slot0_free(slot0_t *s)
{
    qkt_bands_free(s->b);
    free(s->f);
    free(s->fp);
    free(s->pk);
    free(s->nE);
    free(s->SJ);
}

static void slot1_free(slot1_t *s)
{
    free(s->dL);
    free(s->xiE);
    free(s->dA);
    free(s->SnE);
    free(s->SSf);
    free(s->SSs);
    free(s->z);
}

/* the arrays of one level-1 slot (the order-1 nodes of every field pair) */
static int slot1_alloc(const qkt_tree_ws_t *w, slot1_t *s)
{
    int bad = 0;
    size_t np = (size_t)(w->L->nnu > 0 ? w->L->nnu : 1) * (w->L->nal > 0 ? w->L->nal : 1), q = np * w->nb2;
    s->dL = xcalloc(q, sizeof(double complex), &bad);
    s->xiE = xcalloc(q, sizeof(double complex), &bad);
    s->dA = xcalloc(q, sizeof(double complex), &bad);
    s->SnE = xcalloc(q, sizeof(double complex), &bad);
    s->SSf = xcalloc(q, sizeof(double complex), &bad);
    s->SSs = xcalloc(q, sizeof(double complex), &bad);
    s->z = xcalloc(np * T1_N, 1, &bad);
    if (bad) {
        slot1_free(s);
        memset(s, 0, sizeof *s);
    }
    return bad;
}

/* the arrays of one level-0 slot (band geometry, occupations, n_E) */
static int slot0_alloc(const qkt_tree_ws_t *w, slot0_t *s)
{
    int bad = 0, nb = w->nb, nn = w->L->nnu > 0 ? w->L->nnu : 1;
    s->b = qkt_bands_alloc(nb);
    if (!s->b) return 1;
    s->b->degen_tol = w->p.degen_tol;
    s->f = xcalloc(nb, sizeof(double), &bad);
    s->fp = xcalloc(nb, sizeof(double), &bad);
    s->pk = xcalloc(nb, sizeof(int), &bad);
    s->nE = xcalloc((size_t)nn * w->nb2, sizeof(double complex), &bad);
    if (w->L->vj && w->L->order == 1) s->SJ = xcalloc((size_t)nn * w->nb2, sizeof(double complex), &bad);
    if (bad) { /* leave the slot empty, to be allocated again */
        slot0_free(s);
        memset(s, 0, sizeof *s);
    }
    return bad;
}

qkt_tree_ws_t *qkt_tree_ws_alloc(const qkt_model_t *m, const qkt_layout_t *L,
                                 const qkt_tree_par_t *p, const qkt_pockets_t *pk)
{
    int bad = 0;
    qkt_tree_ws_t *w = calloc(1, sizeof *w);
    if (!w) goto fail;
    w->m = m;
    w->L = L;
    w->p = *p;
    if (!(w->p.degen_tol > 0)) w->p.degen_tol = m->degen_tol; /* 0: the model's */
    w->pk = pk;
    w->nb = m->nb;
    w->nb2 = m->nb * m->nb;
    int nb = w->nb, nb2 = w->nb2, nn = L->nnu > 0 ? L->nnu : 1, na = L->nal > 0 ? L->nal : 1;
    /* the centre's slot now; the stencil's on first use (slot0_alloc): a
     * slot holds about 40 nb^2 complex numbers, and the analytic derivatives
     * at order 0 or 1 use the centre alone */
    if (slot0_alloc(w, &w->s0[0])) goto fail;
    /* level 1: the centre's slot now, order 2's stencil on first use */
    if (L->order >= 1 && slot1_alloc(w, &w->s1[0])) goto fail;
    for (int a = 0; a < 3; a++) {
        w->W[a] = xcalloc(nb2, sizeof(double complex), &bad);
        w->D[a] = xcalloc(nb2, sizeof(double complex), &bad);
    }
    w->Dsea = xcalloc((size_t)3 * nb2, sizeof(double complex), &bad);
    w->X = xcalloc(nb2, sizeof(double complex), &bad);
    w->Y = xcalloc(nb2, sizeof(double complex), &bad);
    w->Z = xcalloc(nb2, sizeof(double complex), &bad);
    w->T1 = xcalloc(nb2, sizeof(double complex), &bad);
    w->T2 = xcalloc(nb2, sizeof(double complex), &bad);
    w->C1 = xcalloc(nb2, sizeof(double complex), &bad);
    w->C2 = xcalloc(nb2, sizeof(double complex), &bad);
    w->fdm = xcalloc((size_t)(FD_NPT + 1) * nb2, sizeof(double complex), &bad);
    w->dg = xcalloc(nb, sizeof(double), &bad);
    w->occ = xcalloc(nb, sizeof(occ3_t), &bad);
    w->phi = xcalloc(nb, sizeof(double), &bad);
    w->nm = xcalloc(nb, sizeof(double), &bad);
    if (!(w->vx = qkt_vertex_ws_alloc(nb, p->vt, p->nimp_U0sq, p->T))) bad = 1;
    /* the centre's order-1 nodes, read by the order-1 tallies and order 2
     * (nb^3 and nb^2 per field pair: not allocated where unused) */
    if (L->order >= 2) w->SSe = xcalloc((size_t)nn * na * 3 * nb2, sizeof(double complex), &bad);
    w->xd = xcalloc((size_t)nn * na * T1_N * nb, sizeof(double), &bad);
    if (L->order >= 2) w->xb = xcalloc((size_t)nn * na * T1_N * nb2, sizeof(double complex), &bad);
    w->ones = xcalloc(nb, sizeof(double), &bad);
    w->db5 = xcalloc((size_t)5 * nb2, sizeof(double complex), &bad);
    if (L->order >= 1) {
        w->DseaC = xcalloc((size_t)nn * 3 * nb2, sizeof(double complex), &bad);
        w->swg = xcalloc((size_t)4 * nb, sizeof(double), &bad);
        w->swm = xcalloc((size_t)12 * nb2, sizeof(double complex), &bad);
        w->SX = xcalloc(nb2, sizeof(double complex), &bad);
        w->SXd = xcalloc(nb2, sizeof(double complex), &bad);
        if (p->analytic) {
            w->Wh = xcalloc((size_t)3 * nn * nb2, sizeof(double complex), &bad);
            w->an = xcalloc((size_t)6 * nb2, sizeof(double complex), &bad);
            w->fpp = xcalloc(nb, sizeof(double), &bad);
        }
    }
    for (int m = 0; w->ones && m < nb; m++) w->ones[m] = 1;
    if (w->p.landau_x2 > 0 && L->order >= 1 && landau_size(L) > 0)
        w->lsave = xcalloc(landau_size(L), sizeof(double), &bad);
    if (bad) goto fail;
    w->eig1 = L->order == 1;
    return w;
fail:
    qkt_tree_ws_free(w);
    qkt_error(QKT_ENOMEM, "out of memory allocating the response-tree workspace");
    return NULL;
}

void qkt_tree_ws_free(qkt_tree_ws_t *w)
{
    if (!w) return;
    for (int i = 0; i < MAXSLOT0; i++) slot0_free(&w->s0[i]);
    for (int i = 0; i < MAXSLOT1; i++) slot1_free(&w->s1[i]);
    for (int a = 0; a < 3; a++) {
        free(w->W[a]);
        free(w->D[a]);
    }
    free(w->Dsea);
    free(w->lsave);
    free(w->X);
    free(w->Y);
    free(w->Z);
    free(w->T1);
    free(w->T2);
    free(w->C1);
    free(w->C2);
    free(w->fdm);
    free(w->dg);
    free(w->occ);
    free(w->phi);
    free(w->nm);
    qkt_vertex_ws_free(w->vx);
    free(w->SSe);
    free(w->xd);
    free(w->xb);
    free(w->ones);
    free(w->db5);
    free(w->DseaC);
    free(w->swg);
    free(w->swm);
    free(w->SX);
    free(w->SXd);
    free(w->Wh);
    free(w->an);
    free(w->fpp);
    free(w);
}

/* ------------------------------------------------------------------ small algebra */
/* The small kernels below work on real and imaginary parts with the
 * operations of C's complex arithmetic in the same order (same digits for
 * finite input), without the NaN-recovery branch after every product. */
#define RE(p, i) ((p)[2 * (i)])
#define IM(p, i) ((p)[2 * (i) + 1])

/* orbital form of a diagonal (eigenbasis) matrix with real entries d */
static void diag_to_orb(int nb, const double complex *U, const double *d, double complex *out)
{
    const double *u = (const double *)U;
    double *o = (double *)out;
    if (nb == 2) {
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) {
                double a0r = RE(u, 2 * i) * d[0], a0i = IM(u, 2 * i) * d[0];
                double a1r = RE(u, 2 * i + 1) * d[1], a1i = IM(u, 2 * i + 1) * d[1];
                double b0r = RE(u, 2 * j), b0i = IM(u, 2 * j), b1r = RE(u, 2 * j + 1), b1i = IM(u, 2 * j + 1);
                RE(o, 2 * i + j) = (a0r * b0r + a0i * b0i) + (a1r * b1r + a1i * b1i);
                IM(o, 2 * i + j) = (a0i * b0r - a0r * b0i) + (a1i * b1r - a1r * b1i);
            }
        return;
    }
    for (int i = 0; i < nb; i++)
        for (int j = 0; j < nb; j++) {
            double sr = 0, si = 0;
            for (int m = 0; m < nb; m++) {
                double ar = RE(u, i * nb + m) * d[m], ai = IM(u, i * nb + m) * d[m];
                double br = RE(u, j * nb + m), bi = IM(u, j * nb + m);
                sr += ar * br + ai * bi;
                si += ai * br - ar * bi;
            }
            RE(o, i * nb + j) = sr;
            IM(o, i * nb + j) = si;
        }
}

/* P^-1 on the off-diagonal part of an eigenbasis matrix (Eq. 50), in place;
 * the diagonal and degenerate pairs are set to zero. */
static void pinv(const qkt_bands_t *b, double complex *X)
{
    int nb = b->nb;
    for (int m = 0; m < nb; m++)
        for (int n = 0; n < nb; n++) {
            double de = b->epsg[m] - b->epsg[n];
            if (b->grp[m] == b->grp[n] || b->block[m] != b->block[n])
                X[m * nb + n] = 0;
            else {
                /* X *= -i/de, as the complex expression evaluates it */
                double *x = (double *)&X[m * nb + n];
                double fr = -0.0 / de, fi = -1.0 / de, xr = x[0], xi = x[1];
                x[0] = xr * fr - xi * fi;
                x[1] = xr * fi + xi * fr;
            }
        }
}

/* Re Tr[A B] for eigenbasis matrices */
static double retr(int nb, const double complex *A, const double complex *B)
{
    const double *a = (const double *)A, *b = (const double *)B;
    double s = 0;
    for (int i = 0; i < nb; i++)
        for (int j = 0; j < nb; j++) s += RE(a, i * nb + j) * RE(b, j * nb + i) - IM(a, i * nb + j) * IM(b, j * nb + i);
    return s;
}

/* W_a = (v x e_alpha)_a = eps_{a b alpha} v_b  (eigenbasis) */
static int levi(int a, int b, int c)
{
    if (a == b || b == c || a == c) return 0;
    return ((a + 1) % 3 == b) ? 1 : -1;
}

static void make_W(qkt_tree_ws_t *w, const qkt_bands_t *b, int alpha)
{
    if (w->W_b == b && w->W_al == alpha) return; /* W already holds these */
    w->W_b = b;
    w->W_al = alpha;
    for (int a = 0; a < 3; a++) {
        memset(w->W[a], 0, sizeof(double complex) * w->nb2);
        for (int bb = 0; bb < 3; bb++) {
            int e = levi(a, bb, alpha);
            if (!e) continue;
            for (int i = 0; i < w->nb2; i++) w->W[a][i] += e * b->v[bb][i];
        }
    }
}

/* derivative directions used with B along alpha */
static int use_dir(const qkt_tree_ws_t *w, int a, int alpha) { return a != alpha && a < w->m->dim; }

/* direction a is needed by some computed B component */
static int dir_needed(const qkt_tree_ws_t *w, int a)
{
    for (int ia = 0; ia < w->L->nal; ia++)
        if (use_dir(w, a, w->L->al[ia])) return 1;
    return 0;
}

/* out = 1/2 sum_a {W_a, D_a} over the directions in use (eigenbasis) */
static void db_apply(qkt_tree_ws_t *w, int alpha, double complex *const *D, double complex *out)
{
    memset(out, 0, sizeof(double complex) * w->nb2);
    for (int a = 0; a < 3; a++)
        if (use_dir(w, a, alpha)) qkt_mat_anticomm_add(w->nb, 0.5, w->W[a], D[a], out);
}

/* ------------------------------------------------------------------ level 0 */
/* f0 and f0' as qkt_f0, qkt_f0p (same digits) from one exponential */
static inline void f0_f0p(double e, double mu, double T, double *f, double *fp)
{
    double x = (e - mu) / T;
    double t = exp(-fabs(x)); /* exp(-x) for x > 0, exp(x) otherwise */
    *f = x > 0 ? t / (1 + t) : 1 / (1 + t);
    *fp = -t / (T * (1 + t) * (1 + t));
}

/* one occupation f, f' per degenerate group, the mean over its bands: a
 * function of the group's energies alone, so that sums over the group are
 * traces (bands.c: groups) */
static void group_means(const qkt_bands_t *b, double *f, double *fp)
{
    for (int m = 0; m < b->nb; m = b->grp_end[m]) {
        int e = b->grp_end[m];
        if (e - m < 2) continue;
        double sf = 0, sp = 0;
        for (int j = m; j < e; j++) {
            sf += f[j];
            sp += fp[j];
        }
        for (int j = m; j < e; j++) {
            f[j] = sf / (e - m);
            fp[j] = sp / (e - m);
        }
    }
}

/* out = c_m X^mn for m != n of one degenerate group (elements elsewhere
 * untouched, added): the part of a block-diagonal node that a band-diagonal
 * one misses */
static void group_add(const qkt_bands_t *b, const double *c, const double complex *X, double complex *out)
{
    int nb = b->nb;
    for (int m = 0; m < nb; m++)
        for (int n = b->grp[m]; n < b->grp_end[m]; n++)
            if (n != m) out[m * nb + n] += c[m] * X[m * nb + n];
}

/* occupations f, f' of a level-0 slot at the current mu, and pocket labels
 * where they are read: at the centre (need_pk = 1) and, for the pocket modes
 * of rule valley, on the stencil */
static void occupy(qkt_tree_ws_t *w, slot0_t *s, const double k[3], int need_pk)
{
    const qkt_bands_t *b = s->b;
    long cell = w->pk && need_pk ? qkt_pocket_cell(w->pk, k) : -1;
    for (int m = 0; m < w->nb; m++) {
        s->pk[m] = qkt_pocket_of_cell(w->pk, cell, m);
        /* occupations are exact 0/1 outside the thermal window (|x| > window),
         * so that Fermi-surface nodes vanish identically near band crossings
         * away from the Fermi level */
        if (w->p.T == 0) {
            /* zero-temperature occupations (uniform-mesh sums at order 0 only) */
            s->f[m] = b->eps[m] < w->p.mu ? 1 : b->eps[m] == w->p.mu ? 0.5 : 0;
            s->fp[m] = 0;
        } else {
            double x = (b->eps[m] - w->p.mu) / w->p.T;
            double sw = taper(fabs(x), w->p.window), f, fp;
            if (sw == 0) {
                /* outside the window: the values of the general expression
                 * below with sw = 0 (f0' < 0 gives -0) */
                s->f[m] = x < 0 ? 1 : 0;
                s->fp[m] = -0.0;
                continue;
            }
            f0_f0p(b->eps[m], w->p.mu, w->p.T, &f, &fp);
            s->f[m] = sw * f + (1 - sw) * (x < 0 ? 1 : 0);
            s->fp[m] = sw * fp;
        }
    }
    if (b->ngrp) group_means(b, s->f, s->fp);
    s->fz = w->p.T > 0;
    for (int m = 0; m < w->nb; m++)
        if (s->fp[m] != 0) s->fz = 0;
}

static qkt_status_t level0_new(qkt_tree_ws_t *w, int i, int j, int l, slot0_t **out);

/* S_E = sum_j f_j A_j is a weighted sum of the sea coefficients A_j^{mn} =
 * R_nu^{mn} (delta_mj - delta_nj)/(eps_m - eps_n); the tree needs such sums
 * with other weights g too (sea_weights).  S_g = sum_j g_j A_j, eigenbasis:
 *   S_g^{mn} = R_nu^{mn} (g_m - g_n)/(eps_m - eps_n),
 * nothing inside a degenerate group, nothing between blocks (R vanishes
 * there, and the energies may cross: 0/0).  Formed whole rather than as a
 * sum of the A_j: next to a degenerate point (the finite-difference stencil
 * around it) a pair of bands with equal weights splits by little, and the
 * A_j's R/(eps_m - eps_n) terms, which cancel in the sum, left a round-off
 * that the step division amplified (Si: 4e-6 of sigma1's SE>SEB, and 0.7 of
 * the path anomaly_sea_SE>nEB, changed with the eigenvectors chosen inside
 * the degenerate groups) */
static void se_sum(const qkt_bands_t *b, int nu, const double *g, double complex *out)
{
    int nb = b->nb;
    for (int m = 0; m < nb; m++)
        for (int n = 0; n < nb; n++) {
            double de = b->epsg[m] - b->epsg[n];
            out[m * nb + n] = (b->grp[m] == b->grp[n] || b->block[m] != b->block[n])
                                  ? 0 : b->R[nu][m * nb + n] * (g[m] - g[n]) / de;
        }
}

static void vertex_sj(qkt_tree_ws_t *w, const slot0_t *c, int in, const double *nmv, double complex *out);

/* n_E = f0' v_nu (orbital, for its finite differences) at a level-0 slot, for every E direction */
static void ne_fill(qkt_tree_ws_t *w, slot0_t *s)
{
    const qkt_bands_t *b = s->b;
    const qkt_layout_t *L = w->L;
    int nb = w->nb, nb2 = w->nb2;
    for (int in = 0; in < L->nnu; in++) {
        int nu = L->nu[in];
        if (s->fz) {
            memset(s->nE + (size_t)in * nb2, 0, sizeof(double complex) * nb2);
        } else {
            for (int m = 0; m < nb; m++) w->dg[m] = creal(b->v[nu][m * nb + m]) * s->fp[m];
            diag_to_orb(nb, b->U, w->dg, s->nE + (size_t)in * nb2);
            if (b->ngrp) {
                /* n_E = f0' P_D v_nu P_D on each degenerate group D */
                memset(w->X, 0, sizeof(double complex) * nb2);
                group_add(b, s->fp, b->v[nu], w->X);
                qkt_mat_to_orbbasis(nb, b->U, w->X, w->Y, w->T1);
                for (int i = 0; i < nb2; i++) s->nE[(size_t)in * nb2 + i] += w->Y[i];
            }
        }
    }
    s->ne_ok = 1;
}

/* the level-0 slot at stencil offset (i, j, l), computed on first use */
static inline qkt_status_t level0(qkt_tree_ws_t *w, int i, int j, int l, slot0_t **out)
{
    int id = w->map0[OFF(i, j, l)];
    if (id >= 0) {
        *out = &w->s0[id];
        return QKT_OK;
    }
    return level0_new(w, i, j, l, out);
}

static qkt_status_t level0_new(qkt_tree_ws_t *w, int i, int j, int l, slot0_t **out)
{
    int key = OFF(i, j, l);
    if (w->n0 >= MAXSLOT0) return qkt_error(QKT_ENUM, "internal: stencil cache overflow");
    slot0_t *s = &w->s0[w->n0];
    if (!s->b && slot0_alloc(w, s))
        return qkt_error(QKT_ENOMEM, "out of memory allocating a stencil slot of the response tree (nb = %d)", w->nb);
    int id = w->n0++;
    w->map0[key] = (short)id;
    double k[3] = {w->k0[0] + i * w->p.h, w->k0[1] + j * w->p.h, w->k0[2] + l * w->p.h};
    /* stencil points read only v_nu and R_nu (the nodes below); the centre
     * and the level-1 points (level1() completes them) read everything */
    int dirs = DIRS_ALL;
    if (id > 0 && w->L->order >= 1) {
        dirs = 0;
        for (int in = 0; in < w->L->nnu; in++) dirs |= 1 << w->L->nu[in];
    }
    /* the level-1 points (the centre; at order 2 also the axis offsets up to
     * FD_REACH) keep d_a d_b H for the analytic derivatives (an_prepare) */
    int nz = (i != 0) + (j != 0) + (l != 0), reach = abs(i) + abs(j) + abs(l);
    int ord = w->L->order;
    s->b->hk_order = w->p.analytic && ord >= 1 && (nz == 0 || (ord >= 2 && nz == 1 && reach <= FD_REACH)) ? 2 : 0;
    qkt_status_t st;
    s->dirs = qkt_bands_compute_dirs(s->b, w->m, k, dirs, &st);
    if (st) return st;
    const qkt_bands_t *b = s->b;
    int nb = w->nb, nb2 = w->nb2;
    occupy(w, s, k, id == 0 || w->L->valley);
    const qkt_layout_t *L = w->L;
    s->ne_ok = 0;
    if (L->order >= 1 && !w->p.analytic) ne_fill(w, s);
    if (s->SJ) {
        /* the vertex part of rho_E, S_J = -P^-1 J(n_E) (zero with nE) */
        if (!s->fz) qkt_vertex_prep(w->vx, s->b, s->fp, L->nnu, L->nu);
        for (int in = 0; in < L->nnu; in++) {
            double complex *o = s->SJ + (size_t)in * nb2;
            if (s->fz) {
                memset(o, 0, sizeof(double complex) * nb2);
                continue;
            }
            for (int m = 0; m < nb; m++) w->nm[m] = creal(b->v[L->nu[in]][m * nb + m]) * s->fp[m];
            vertex_sj(w, s, in, w->nm, w->X);
            qkt_mat_to_orbbasis(nb, b->U, w->X, o, w->T1);
        }
    }
    *out = s;
    return QKT_OK;
}

/* eigenbasis (at the slot b) of the FD derivative along a of an orbital
 * field: get(slot) returns the orbital matrix at a stencil point. */
typedef const double complex *(*getter0_t)(const slot0_t *s, int idx, int nb2);

static const double complex *get_nE(const slot0_t *s, int idx, int nb2) { return s->nE + (size_t)idx * nb2; }
static const double complex *get_SJ(const slot0_t *s, int idx, int nb2) { return s->SJ + (size_t)idx * nb2; }

/* Models with a Wannier-gauge position matrix: the covariant derivative of
 * an operator is U^dagger (d_a X - i[A^W_a, X]) U (bands.c); subtract the
 * commutator -i[Abar_a, X] from the eigenbasis derivative out, X given in the
 * orbital basis at the same point. */
static void cov_fix(qkt_tree_ws_t *w, const qkt_bands_t *bc, int a, const double complex *xorb,
                    double complex *out)
{
    if (!bc->has_aw) return;
    int nb = w->nb;
    qkt_mat_to_eigbasis(nb, bc->U, xorb, w->C1, w->C2);
    const double complex *A = bc->Abar[a];
    for (int i = 0; i < nb; i++)
        for (int j = 0; j < nb; j++) {
            double complex c = 0;
            for (int l = 0; l < nb; l++) c += A[i * nb + l] * w->C1[l * nb + j] - w->C1[i * nb + l] * A[l * nb + j];
            out[i * nb + j] -= I * c;
        }
}

/* out = sum_s fd_c[s] M_s / h over the n doubles of four matrices (the sum
 * accumulated from 0 in stencil order, then divided, as written out before) */
static inline void fd_sum(int n, const double complex *const M[FD_NPT], double h, double complex *out)
{
    const double *m0 = (const double *)M[0], *m1 = (const double *)M[1], *m2 = (const double *)M[2],
                 *m3 = (const double *)M[3];
    double *o = (double *)out;
    for (int i = 0; i < n; i++) {
        double z = 0;
        z += fd_c[0] * m0[i];
        z += fd_c[1] * m1[i];
        z += fd_c[2] * m2[i];
        z += fd_c[3] * m3[i];
        o[i] = z / h;
    }
}

/* the level-0 slot of stencil point s along a around offset o */
static qkt_status_t stencil_slot(qkt_tree_ws_t *w, const int o[3], int a, int s, slot0_t **sl)
{
    int q[3] = {o[0], o[1], o[2]};
    q[a] += fd_s[s];
    return level0(w, q[0], q[1], q[2], sl);
}

/* *zero (if not NULL): set to 1 when out is zero because nE (or S_J) vanishes
 * on the stencil (get_nE, get_SJ only) */
static qkt_status_t fd0(qkt_tree_ws_t *w, const int o[3], int a, getter0_t get, int idx,
                        const qkt_bands_t *bc, double complex *out, int *zero)
{
    int nb2 = w->nb2, allz = get == get_nE || get == get_SJ; /* both vanish with f0' */
    const double complex *M[FD_NPT];
    for (int s = 0; s < FD_NPT; s++) {
        slot0_t *sl;
        qkt_status_t st = stencil_slot(w, o, a, s, &sl);
        if (st) return st;
        if (get == get_nE && !sl->ne_ok) ne_fill(w, sl);
        M[s] = get(sl, idx, nb2);
        allz = allz && sl->fz;
    }
    if (allz && bc->has_aw) {
        slot0_t *sc;
        qkt_status_t st = level0(w, o[0], o[1], o[2], &sc);
        if (st) return st;
        allz = sc->fz;
    }
    if (zero) *zero = allz;
    if (allz) {
        memset(out, 0, sizeof(double complex) * nb2);
        return QKT_OK;
    }
    fd_sum(2 * nb2, M, w->p.h, w->Z);
    qkt_mat_to_eigbasis(w->nb, bc->U, w->Z, out, w->T1);
    if (bc->has_aw) {
        slot0_t *sc;
        qkt_status_t st = level0(w, o[0], o[1], o[2], &sc);
        if (st) return st;
        if (get == get_nE && !sc->ne_ok) ne_fill(w, sc);
        cov_fix(w, bc, a, get(sc, idx, nb2), out);
    }
    return QKT_OK;
}

/* D_a (eigenbasis of bc) of the sea sum S_g (se_sum, E along nu, the weights
 * g per band index) at offset o: its finite difference on the stencil, with
 * the covariant term of a position matrix as fd0 */
static qkt_status_t fd0_sea(qkt_tree_ws_t *w, const int o[3], int a, int nu, const double *g, const qkt_bands_t *bc,
                            double complex *out)
{
    int nb = w->nb, nb2 = w->nb2;
    double complex *E = w->fdm + (size_t)FD_NPT * nb2;
    const double complex *M[FD_NPT];
    for (int s = 0; s < FD_NPT; s++) {
        slot0_t *sl;
        qkt_status_t st = stencil_slot(w, o, a, s, &sl);
        if (st) return st;
        se_sum(sl->b, nu, g, E);
        qkt_mat_to_orbbasis(nb, sl->b->U, E, w->fdm + (size_t)s * nb2, w->T1);
        M[s] = w->fdm + (size_t)s * nb2;
    }
    fd_sum(2 * nb2, M, w->p.h, w->Z);
    qkt_mat_to_eigbasis(nb, bc->U, w->Z, out, w->T1);
    if (bc->has_aw) {
        slot0_t *sc;
        qkt_status_t st = level0(w, o[0], o[1], o[2], &sc);
        if (st) return st;
        se_sum(sc->b, nu, g, E);
        qkt_mat_to_orbbasis(nb, sc->b->U, E, w->Z, w->T1);
        cov_fix(w, bc, a, w->Z, out);
    }
    return QKT_OK;
}

/* pocket mode u_p (orbital) at a level-0 slot */
static void umode_orb(qkt_tree_ws_t *w, const slot0_t *s, int p, double complex *out)
{
    for (int m = 0; m < w->nb; m++) w->dg[m] = s->pk[m] == p ? -s->fp[m] : 0;
    diag_to_orb(w->nb, s->b->U, w->dg, out);
}

/* out += the orbital form of the off-diagonal elements of the eigenbasis
 * matrix X inside degenerate groups: with diag_to_orb of X's diagonal, the
 * orbital form of X's block-diagonal part (a diagonal node of a degenerate
 * group is a block, not a band diagonal) */
static void group_block_orb_add(qkt_tree_ws_t *w, const qkt_bands_t *b, const double complex *X, double complex *out)
{
    int nb = w->nb, nb2 = w->nb2;
    memset(w->Z, 0, sizeof(double complex) * nb2);
    for (int m = 0; m < nb; m++)
        for (int n = b->grp[m]; n < b->grp_end[m]; n++)
            if (n != m) w->Z[m * nb + n] = X[m * nb + n];
    qkt_mat_to_orbbasis(nb, b->U, w->Z, w->C1, w->C2);
    for (int i = 0; i < nb2; i++) out[i] += w->C1[i];
}

/* xi = {x, B.F}/2 on each degenerate group for a node whose group blocks
 * are x (eigenbasis, read inside the groups only), times scale[m] (NULL: 1),
 * and F the group's non-abelian curvature along al (diagonal Omega): the
 * diagonal into dg (replacing the band-diagonal x^mm Omega^m on the groups),
 * the off-diagonal elements into X (zero elsewhere).  At order 1 x = v_nu and
 * scale = f0' (n_E = f0' P_D v_nu P_D); at order 2 x is the parent node's
 * block. */
static void group_xi(const qkt_tree_ws_t *w, const qkt_bands_t *b, const double complex *x, const double *scale,
                     int al, double *dg, double complex *X)
{
    int nb = w->nb;
    const double complex *F = b->Fblk + (size_t)al * w->nb2;
    memset(X, 0, sizeof(double complex) * w->nb2);
    for (int m = 0; m < nb; m++) {
        int g0 = b->grp[m], g1 = b->grp_end[m];
        if (g1 - g0 < 2) continue;
        for (int n = g0; n < g1; n++) {
            double complex z = 0;
            for (int j = g0; j < g1; j++) {
                double complex Fmj = j == m ? b->Omega[al * nb + m] : F[m * nb + j];
                double complex Fjn = j == n ? b->Omega[al * nb + n] : F[j * nb + n];
                z += 0.5 * (x[m * nb + j] * Fjn + Fmj * x[j * nb + n]);
            }
            if (scale) z *= scale[m];
            if (n == m) dg[m] = creal(z);
            else X[m * nb + n] = z;
        }
    }
}

/* Fermi-surface part of D_a S_E beyond the band-diagonal one: S_E is the
 * linear map L(rho0)^mn = -[R_nu, rho0]^mn/(eps_m - eps_n) between groups,
 * and its argument's Fermi-surface derivative on a group is f0' P_D v_a P_D;
 * the band-diagonal sum_j f'_j v_a^j A_j covers the diagonal, this adds
 * L of the off-diagonal elements G^jk = f0' v_a^jk inside groups */
static void group_dse_fs(const qkt_tree_ws_t *w, const slot0_t *s0, int nu, int a, double complex *D)
{
    const qkt_bands_t *b = s0->b;
    int nb = w->nb;
    const double complex *R = b->R[nu], *v = b->v[a];
    for (int m = 0; m < nb; m++)
        for (int n = 0; n < nb; n++) {
            if (b->grp[m] == b->grp[n] || b->block[m] != b->block[n]) continue;
            double complex z = 0;
            /* [R, G]^mn = sum_k R^mk G^kn - G^mk R^kn, G inside groups only */
            for (int k = b->grp[n]; k < b->grp_end[n]; k++)
                if (k != n) z += R[m * nb + k] * s0->fp[k] * v[k * nb + n];
            for (int k = b->grp[m]; k < b->grp_end[m]; k++)
                if (k != m) z -= s0->fp[m] * v[m * nb + k] * R[k * nb + n];
            D[m * nb + n] += -z / (b->epsg[m] - b->epsg[n]);
        }
}

/* ------------------------------------------------------------------ analytic derivatives */
/* numerics.derivatives = analytic: the covariant derivatives of the order-0
 * nodes at a level-1 point from that point's eigen-decomposition and the
 * model's exact second derivatives, without the stencil.  Each node is an
 * eigenbasis matrix M = Phi o X (elementwise) with X = v_nu and Phi a function
 * of the band energies; with the frame connection G_a = -i R_a (off the
 * diagonal, zero inside groups and between blocks) its covariant derivative is
 *     D_a M = Psi o X + Phi o (W_a - [G_a, X]) + [G_a, M],
 * Psi = sum_m dPhi/deps_m v_a^mm and W_a = U^dagger D_a D_nu H U
 * (qkt_bands_cov_hessian): the derivative of the eigenprojectors, dP_l =
 * sum_m (P_m D H P_l + h.c.)/(eps_l - eps_m), written as a commutator.  Points
 * with degenerate groups take the finite-difference path, where G is not
 * defined inside a group; they are counted (nfallback).  docs/method.md,
 * "Analytic derivatives". */

/* d f'/d eps of occupy()'s tapered f' = sw(|x|) f0'(eps) */
static double fp_deriv(const qkt_tree_ws_t *w, double e)
{
    double T = w->p.T;
    if (!(T > 0)) return 0;
    double x = (e - w->p.mu) / T, t = fabs(x), W = w->p.window, lo = W - TAPER_WIDTH;
    if (t >= W) return 0;
    double f, fp, sw = taper(t, W);
    double dsw = t > lo ? qkt_smooth_step_deriv((t - lo) / TAPER_WIDTH) / TAPER_WIDTH : 0;
    f0_f0p(e, w->p.mu, T, &f, &fp);
    /* f0'' = -f0' tanh(x/2)/T */
    return dsw * (x > 0 ? 1 : -1) / T * fp + sw * (-fp * tanh(x / 2) / T);
}

static double complex *an_W(const qkt_tree_ws_t *w, int a, int in)
{
    return w->Wh + ((size_t)a * w->L->nnu + in) * w->nb2;
}

/* the covariant Hessians at the point of slot s (all directions computed), for
 * the derivative directions in use and every E direction */
static qkt_status_t an_prepare(qkt_tree_ws_t *w, const slot0_t *s)
{
    const qkt_bands_t *b = s->b;
    for (int a = 0; a < w->m->dim; a++)
        if (dir_needed(w, a))
            for (int in = 0; in < w->L->nnu; in++)
                qkt_bands_cov_hessian(b, b->Hk, a, w->L->nu[in], an_W(w, a, in), w->an + 3 * (size_t)w->nb2);
    return QKT_OK;
}

/* The sea coefficients A_j of S_E enter the tree only through weighted sums
 * sum_j g_j D_a A_j (D_B is linear): at the centre with its own f_j (the sea
 * part of the anomaly drive and of the SS node), at the other level-1 points of
 * order 2 with the centre's f_j (the sea part of the SS node's derivative,
 * sum_j f_j D A'_j, differenced with fixed weights), and at the centre of
 * order 2 with f'_j v_a^jj for each direction a (the Fermi-surface part of that
 * derivative).  w->swg holds the nsw weight vectors, sw_mat their sums. */
static double complex *sw_mat(const qkt_tree_ws_t *w, int iw, int a)
{
    return w->swm + ((size_t)iw * 3 + a) * w->nb2;
}

/* the weight vectors at a level-1 point of slot s (centre: s = c) */
static void sea_weights(qkt_tree_ws_t *w, const slot0_t *s, const slot0_t *c, int centre)
{
    int nb = w->nb;
    memcpy(w->swg, centre ? s->f : c->f, sizeof(double) * nb);
    w->nsw = 1;
    if (!centre || w->L->order < 2) return;
    const qkt_bands_t *b = s->b;
    for (int a = 0; a < 3; a++) {
        double *g = w->swg + (size_t)(1 + a) * nb;
        for (int j = 0; j < nb; j++) g[j] = a < w->m->dim ? s->fp[j] * creal(b->v[a][j * nb + j]) : 0;
        /* inside a degenerate group the band diagonal of v_a depends on the
         * eigenvectors chosen: the group's mean (its trace), for every band
         * of the group, so that the split pairs of the group next to the
         * point carry no weight difference (as R and P^-1 carry none inside
         * the group at the point) */
        for (int m = 0; b->ngrp && m < nb; m = b->grp_end[m]) {
            int e = b->grp_end[m];
            if (e - m < 2) continue;
            double sg = 0;
            for (int j = m; j < e; j++) sg += g[j];
            for (int j = m; j < e; j++) g[j] = sg / (e - m);
        }
    }
    w->nsw = 4;
}

/* the pair (m, n) carries interband terms: different bands of one block */
static inline int an_pair(const qkt_bands_t *b, int m, int n) { return m != n && b->block[m] == b->block[n]; }

/* D_a M for M = Phi o V + the diagonal d (Phi^mn = c_mn/(e_m - e_n)^2, c = (g_m - g_n)
 * for the sea node A_g = sum_j g_j A_j; Psi o V from de/dk = v_a^mm with g fixed):
 *   out = Psi o V + Phi o Y + [G, A_g],  Y = W_a - [G, V] */
static void an_sea(const qkt_tree_ws_t *w, const qkt_bands_t *b, const double *g, int a, const double complex *V,
                   const double complex *G, const double complex *Y, double complex *Ag, double complex *out)
{
    int nb = w->nb;
    const double *e = b->epsg;
    for (int m = 0; m < nb; m++)
        for (int n = 0; n < nb; n++) {
            double complex z = 0;
            if (an_pair(b, m, n)) {
                double de = e[m] - e[n];
                z = -I * V[m * nb + n] * (g[m] - g[n]) / (de * de);
            }
            Ag[m * nb + n] = z;
        }
    qkt_mat_comm(nb, G, Ag, out);
    for (int m = 0; m < nb; m++)
        for (int n = 0; n < nb; n++) {
            if (!an_pair(b, m, n)) continue;
            double de = e[m] - e[n], dg = g[m] - g[n];
            double dva = creal(b->v[a][m * nb + m]) - creal(b->v[a][n * nb + n]);
            out[m * nb + n] += 2 * I * dg * dva / (de * de * de) * V[m * nb + n] - I * dg / (de * de) * Y[m * nb + n];
        }
}

/* at the level-1 point of slot s (no degenerate groups), for E along nu = L->nu[in]:
 * D_a n_E into w->D[a] (*dz: all zero), and for every direction in use the
 * weighted sums sum_j g_j D_a A_j of the sea coefficients' derivatives
 * (sea_sums) */
static void an_derivs(qkt_tree_ws_t *w, const slot0_t *s, int in, int *dz)
{
    const qkt_bands_t *b = s->b;
    int nb = w->nb, nb2 = w->nb2, nu = w->L->nu[in];
    const double complex *V = b->v[nu];
    double complex *G = w->an, *Y = w->an + nb2, *Ag = w->an + 2 * (size_t)nb2;
    *dz = 1;
    for (int m = 0; m < nb; m++) {
        w->fpp[m] = fp_deriv(w, b->eps[m]);
        if (s->fp[m] != 0 || w->fpp[m] != 0) *dz = 0;
    }
    for (int a = 0; a < w->m->dim; a++) {
        if (!dir_needed(w, a)) continue;
        const double complex *Ra = b->R[a];
        for (int i = 0; i < nb2; i++) G[i] = -I * Ra[i];
        qkt_mat_comm(nb, G, V, Y);
        const double complex *Wa = an_W(w, a, in);
        for (int i = 0; i < nb2; i++) Y[i] = Wa[i] - Y[i];
        /* n_E = diag(g), g_m = f'_m v_nu^mm: diagonal d g_m, off-diagonal G^mn (g_n - g_m) */
        double complex *D = w->D[a];
        if (*dz) memset(D, 0, sizeof(double complex) * nb2);
        else
            for (int m = 0; m < nb; m++) {
                double gm = s->fp[m] * creal(V[m * nb + m]);
                for (int n = 0; n < nb; n++) {
                    if (n == m) {
                        D[m * nb + m] = w->fpp[m] * creal(b->v[a][m * nb + m]) * creal(V[m * nb + m]) +
                                        s->fp[m] * creal(Y[m * nb + m]);
                        continue;
                    }
                    D[m * nb + n] = G[m * nb + n] * (s->fp[n] * creal(V[n * nb + n]) - gm);
                }
            }
        for (int iw = 0; iw < w->nsw; iw++) an_sea(w, b, w->swg + (size_t)iw * nb, a, V, G, Y, Ag, sw_mat(w, iw, a));
    }
}

/* ------------------------------------------------------------------ level 1 */
/* Order-1 nodes of one (nu, alpha) at a level-1 point are children, under
 * D_B^alpha, of the order-0 nodes n_E (Fermi surface) and S_E = sum_j f_j A_j
 * (sea coefficients A_j).  The steps below fill slot s1 at index q. */

/* derivatives, in every direction in use, of n_E (into w->D; *dz: all zero)
 * and of the weighted sea sums sum_j g_j A_j (into sw_mat) at offset o */
static qkt_status_t level1_derivs(qkt_tree_ws_t *w, const int o[3], int in, const qkt_bands_t *b, int *dz)
{
    int nb = w->nb;
    *dz = 1; /* the derivatives of nE are all zero */
    for (int iw = 0; iw < w->nsw; iw++)
        for (int a = 0; a < 3; a++) memset(sw_mat(w, iw, a), 0, sizeof(double complex) * w->nb2);
    for (int a = 0; a < w->m->dim; a++) {
        if (!dir_needed(w, a)) continue;
        int z;
        qkt_status_t st = fd0(w, o, a, get_nE, in, b, w->D[a], &z);
        if (st) return st;
        *dz = *dz && z;
        for (int iw = 0; iw < w->nsw; iw++) {
            st = fd0_sea(w, o, a, w->L->nu[in], w->swg + (size_t)iw * nb, b, sw_mat(w, iw, a));
            if (st) return st;
        }
    }
    return QKT_OK;
}

/* Storage of the order-1 nodes in a level-1 slot: the orbital basis, where
 * order 2 differentiates them, or (order 1: the centre alone) the eigenbasis
 * they are computed and tallied in (w->eig1), without the round trip. */
/* a diagonal node: diagonal d, with the blocks of X on degenerate groups */
static void store_diag(qkt_tree_ws_t *w, const qkt_bands_t *b, const double *d, const double complex *X,
                       double complex *out)
{
    int nb = w->nb;
    if (!w->eig1) {
        diag_to_orb(nb, b->U, d, out);
        if (b->ngrp) group_block_orb_add(w, b, X, out);
        return;
    }
    memset(out, 0, sizeof(double complex) * w->nb2);
    for (int m = 0; m < nb; m++) {
        out[m * nb + m] = d[m];
        for (int n = b->grp[m]; n < b->grp_end[m] && b->ngrp; n++)
            if (n != m) out[m * nb + n] = X[m * nb + n];
    }
}

/* a full node X (eigenbasis) */
static void store_full(qkt_tree_ws_t *w, const qkt_bands_t *b, const double complex *X, double complex *out)
{
    if (w->eig1) memcpy(out, X, sizeof(double complex) * w->nb2);
    else qkt_mat_to_orbbasis(w->nb, b->U, X, out, w->T1);
}

/* children of n_E: the diagonal dL of D_B n_E and S_nE = P^-1 of the rest */
static void level1_ne_children(qkt_tree_ws_t *w, slot1_t *s1, const qkt_bands_t *b, size_t q, int al, int dz)
{
    int nb = w->nb, nb2 = w->nb2;
    unsigned char *z = s1->z + q * T1_N;
    z[T1_NL] = z[T1_SNE] = (unsigned char)dz;
    if (dz) {
        memset(s1->dL + q * nb2, 0, sizeof(double complex) * nb2);
        memset(s1->SnE + q * nb2, 0, sizeof(double complex) * nb2);
    } else {
        db_apply(w, al, w->D, w->X);
        for (int m = 0; m < nb; m++) w->dg[m] = creal(w->X[m * nb + m]);
        store_diag(w, b, w->dg, w->X, s1->dL + q * nb2);
        pinv(b, w->X);
        store_full(w, b, w->X, s1->SnE + q * nb2);
    }
}

/* the nodes that carry f'_m of this point: xiE = n_E Omega_alpha and the
 * children of S_E's Fermi-surface part sum_j f'_j v_a^j A_j (diagonal dA,
 * off-diagonal SSf) */
static void level1_fs_children(qkt_tree_ws_t *w, slot1_t *s1, slot0_t *s0, int in, size_t q, int al, int an)
{
    const qkt_bands_t *b = s0->b;
    const qkt_layout_t *L = w->L;
    int nb = w->nb, nb2 = w->nb2;
    unsigned char *z = s1->z + q * T1_N;
    z[T1_XIE] = z[T1_NA] = z[T1_SS] = (unsigned char)s0->fz;
    if (s0->fz) {
        memset(s1->xiE + q * nb2, 0, sizeof(double complex) * nb2);
        memset(s1->dA + q * nb2, 0, sizeof(double complex) * nb2);
        memset(s1->SSf + q * nb2, 0, sizeof(double complex) * nb2);
        return;
    }
    for (int m = 0; m < nb; m++) {
        /* nE in the eigenbasis: v_nu^m f'_m */
        w->dg[m] = creal(b->v[L->nu[in]][m * nb + m]) * s0->fp[m] * b->Omega[al * nb + m];
    }
    if (b->ngrp) group_xi(w, s0->b, s0->b->v[L->nu[in]], s0->fp, al, w->dg, w->X);
    store_diag(w, b, w->dg, w->X, s1->xiE + q * nb2);
    /* children of SE: the FS part of the derivative, sum_j f'_j v_a^j A_j */
    double complex *Dfs[3];
    for (int a = 0; a < 3; a++) {
        Dfs[a] = w->Dsea + (size_t)a * nb2; /* reuse as FS part storage */
        memset(Dfs[a], 0, sizeof(double complex) * nb2);
    }
    if (an) {
        /* sum_j c_j A_j = -i v_nu^mn (c_m - c_n)/(eps_m - eps_n)^2, c_j = f'_j v_a^jj */
        const double complex *V = b->v[L->nu[in]];
        for (int a = 0; a < w->m->dim; a++) {
            if (!use_dir(w, a, al)) continue;
            for (int m = 0; m < nb; m++)
                for (int n = 0; n < nb; n++) {
                    if (!an_pair(b, m, n)) continue;
                    double de = b->epsg[m] - b->epsg[n];
                    double dc = s0->fp[m] * creal(b->v[a][m * nb + m]) - s0->fp[n] * creal(b->v[a][n * nb + n]);
                    Dfs[a][m * nb + n] = -I * V[m * nb + n] * dc / (de * de);
                }
        }
    } else {
        for (int a = 0; a < w->m->dim; a++) {
            if (!use_dir(w, a, al)) continue; /* db_apply reads these only */
            for (int m = 0; m < nb; m++) w->dg[m] = s0->fp[m] * creal(b->v[a][m * nb + m]);
            se_sum(b, L->nu[in], w->dg, Dfs[a]);
        }
    }
    if (b->ngrp)
        for (int a = 0; a < w->m->dim; a++)
            if (use_dir(w, a, al)) group_dse_fs(w, s0, L->nu[in], a, Dfs[a]);
    db_apply(w, al, Dfs, w->X);
    for (int m = 0; m < nb; m++) w->dg[m] = creal(w->X[m * nb + m]);
    store_diag(w, b, w->dg, w->X, s1->dA + q * nb2);
    pinv(b, w->X);
    store_full(w, b, w->X, s1->SSf + q * nb2);
}

/* the sea child of S_E, sum_j g_j P^-1 D_B A_j = P^-1 D_B (sum_j g_j D A_j), of the
 * weighted sum iw (eigenbasis, into out) */
static void sea_child(qkt_tree_ws_t *w, const qkt_bands_t *b, int iw, int al, double complex *out)
{
    double complex *Dj[3];
    for (int a = 0; a < 3; a++) Dj[a] = sw_mat(w, iw, a);
    db_apply(w, al, Dj, out);
    pinv(b, out);
}

/* the order-1 nodes at offset o (along one axis), all (nu, alpha), computed on
 * first use; *s0out: the level-0 slot there, completed to all directions */
static qkt_status_t level1(qkt_tree_ws_t *w, const int o[3], slot1_t **out, slot0_t **s0out)
{
    int key = OFF(o[0], o[1], o[2]);
    slot0_t *s0;
    qkt_status_t st = level0(w, o[0], o[1], o[2], &s0);
    if (st) return st;
    if (s0->dirs != DIRS_ALL) {
        qkt_bands_complete(s0->b, s0->dirs);
        s0->dirs = DIRS_ALL;
    }
    *s0out = s0;
    if (w->map1[key] >= 0) {
        *out = &w->s1[w->map1[key]];
        return QKT_OK;
    }
    if (w->n1 >= MAXSLOT1) return qkt_error(QKT_ENUM, "internal: level-1 cache overflow");
    if (!w->s1[w->n1].dL && slot1_alloc(w, &w->s1[w->n1]))
        return qkt_error(QKT_ENOMEM, "out of memory allocating a level-1 slot of the response tree (nb = %d)", w->nb);
    int id = w->n1++;
    w->map1[key] = (short)id;
    slot1_t *s1 = &w->s1[id];
    const qkt_bands_t *b = s0->b;
    const qkt_layout_t *L = w->L;
    int centre = o[0] == 0 && o[1] == 0 && o[2] == 0;
    int an = w->p.analytic && !b->ngrp && b->hk_order >= 2;
    if (an && (st = an_prepare(w, s0))) return st;
    if (w->p.analytic && !an) w->nfallback++;
    slot0_t *c = s0;
    if (!centre && (st = level0(w, 0, 0, 0, &c))) return st;
    int nb2 = w->nb2;
    for (int in = 0; in < L->nnu; in++) {
        int dz;
        sea_weights(w, s0, c, centre);
        if (an) an_derivs(w, s0, in, &dz);
        else if ((st = level1_derivs(w, o, in, b, &dz)))
            return st;
        if (centre) memcpy(w->DseaC + (size_t)in * 3 * nb2, sw_mat(w, 0, 0), sizeof(double complex) * 3 * nb2);
        for (int ia = 0; ia < L->nal; ia++) {
            int al = L->al[ia];
            size_t q = (size_t)in * L->nal + ia;
            make_W(w, b, al);
            level1_ne_children(w, s1, b, q, al, dz);
            level1_fs_children(w, s1, s0, in, q, al, an);
            if (L->order < 2) continue;
            /* order 2 differentiates the sea child with the centre's weights
             * (orbital, on every level-1 point) and reads the Fermi-surface
             * weights' sums at the centre (eigenbasis) */
            sea_child(w, b, 0, al, w->X);
            qkt_mat_to_orbbasis(w->nb, b->U, w->X, s1->SSs + q * nb2, w->T1);
            for (int a = 0; centre && a < 3; a++) {
                double complex *o3 = w->SSe + (q * 3 + a) * nb2;
                if (a < w->m->dim) sea_child(w, b, 1 + a, al, o3);
                else memset(o3, 0, sizeof(double complex) * nb2);
            }
        }
    }
    *out = s1;
    return QKT_OK;
}

typedef const double complex *(*getter1_t)(const slot1_t *s, size_t idx, int nb2);
static const double complex *g1_dL(const slot1_t *s, size_t i, int nb2) { return s->dL + i * nb2; }
static const double complex *g1_xiE(const slot1_t *s, size_t i, int nb2) { return s->xiE + i * nb2; }
static const double complex *g1_dA(const slot1_t *s, size_t i, int nb2) { return s->dA + i * nb2; }
static const double complex *g1_SnE(const slot1_t *s, size_t i, int nb2) { return s->SnE + i * nb2; }
static const double complex *g1_SSf(const slot1_t *s, size_t i, int nb2) { return s->SSf + i * nb2; }
static const double complex *g1_SSs(const slot1_t *s, size_t i, int nb2) { return s->SSs + i * nb2; }

/* zt: the node type T1_* of get (index idx = q) for the zero flags, or -1 */
static qkt_status_t fd1(qkt_tree_ws_t *w, int a, getter1_t get, int zt, size_t idx, const qkt_bands_t *bc,
                        double complex *out, int *zero)
{
    int nb2 = w->nb2, allz = zt >= 0;
    double complex *acc = w->T2;
    const double complex *M[FD_NPT];
    for (int s = 0; s < FD_NPT; s++) {
        int q[3] = {0, 0, 0};
        q[a] = fd_s[s];
        slot1_t *sl;
        slot0_t *s0;
        qkt_status_t st = level1(w, q, &sl, &s0);
        if (st) return st;
        M[s] = get(sl, idx, nb2);
        allz = allz && sl->z[idx * T1_N + zt];
    }
    if (allz && bc->has_aw) {
        int o0[3] = {0, 0, 0};
        slot1_t *sc;
        slot0_t *s0;
        qkt_status_t st = level1(w, o0, &sc, &s0);
        if (st) return st;
        allz = sc->z[idx * T1_N + zt];
    }
    if (zero) *zero = allz;
    if (allz) {
        memset(out, 0, sizeof(double complex) * nb2);
        return QKT_OK;
    }
    fd_sum(2 * nb2, M, w->p.h, acc);
    qkt_mat_to_eigbasis(w->nb, bc->U, acc, out, w->T1);
    if (bc->has_aw) {
        int o0[3] = {0, 0, 0};
        slot1_t *sc;
        slot0_t *s0;
        qkt_status_t st = level1(w, o0, &sc, &s0);
        if (st) return st;
        cov_fix(w, bc, a, get(sc, idx, nb2), out);
    }
    return QKT_OK;
}

/* ------------------------------------------------------------------ tallies */
/* sigma contribution -Tr[v_mu X] of an eigenbasis matrix X, for mu = x,y,z */
static void tally_sigma(const qkt_tree_ws_t *w, const qkt_bands_t *b, const double complex *X,
                        double wt, double *out3)
{
    for (int mu = 0; mu < 3; mu++) out3[mu] -= wt * retr(w->nb, b->v[mu], X);
}

static void tally_diag_sigma(const qkt_tree_ws_t *w, const qkt_bands_t *b, const double *d,
                             double wt, double *out3)
{
    for (int mu = 0; mu < 3; mu++) {
        double s = 0;
        for (int m = 0; m < w->nb; m++) s += creal(b->v[mu][m * w->nb + m]) * d[m];
        out3[mu] -= wt * s;
    }
}

/* the off-diagonal elements inside degenerate groups of a block-diagonal node
 * N^mn = c_m X^mn: their share -Tr[v_mu N] of the sigma tally, which with
 * tally_diag_sigma of the diagonal makes the trace over each group */
static void tally_group_sigma(const qkt_tree_ws_t *w, const qkt_bands_t *b, const double *c,
                              const double complex *X, double wt, double *out3)
{
    int nb = w->nb;
    for (int mu = 0; mu < 3; mu++) {
        double s = 0;
        for (int m = 0; m < nb; m++)
            for (int n = b->grp[m]; n < b->grp_end[m]; n++)
                if (n != m) s += c[m] * creal(b->v[mu][n * nb + m] * X[m * nb + n]);
        out3[mu] -= wt * s;
    }
}

static void tally_pockets(const qkt_tree_ws_t *w, const slot0_t *s, const double *d, double wt,
                          double *psum, double *pabs)
{
    for (int m = 0; m < w->nb; m++) {
        int p = s->pk[m];
        if (p < 0) continue;
        psum[p] += wt * d[m];
        pabs[p] += wt * fabs(d[m]);
    }
}

/* ------------------------------------------------------------------ vertex correction */
/* S_J = -P^-1 J(n_E) (Eqs. 16, 35) for the diagonal node n_E^m = nmv[m]
 * (disorder/kernel.h: J); eigenbasis output */
static void vertex_sj(qkt_tree_ws_t *w, const slot0_t *c, int in, const double *nmv, double complex *out)
{
    qkt_vertex_j(w->vx, c->b, c->fp, in, nmv, out);
    /* S = -P^-1 J: S^{mn} = i J^{mn}/(e_m - e_n) */
    pinv(c->b, out);
    for (int i = 0; i < w->nb2; i++) out[i] = -out[i];
}


/* eigenbasis derivative of rho0 along a, D_a rho0 = diag(f0' v_a) (Fermi
 * surface, added to fs) + i R_a^{mn} (f_m - f_n) (Fermi sea, added to sea);
 * fs and sea may be the same matrix */
static void drho0(const slot0_t *c, int nb, int a, double complex *fs, double complex *sea)
{
    const qkt_bands_t *b = c->b;
    for (int m = 0; m < nb; m++) {
        fs[m * nb + m] += c->fp[m] * b->v[a][m * nb + m];
        for (int n = 0; n < nb; n++)
            if (n != m) sea[m * nb + n] += I * b->R[a][m * nb + n] * (c->f[m] - c->f[n]);
    }
    /* a degenerate group's Fermi-surface part is f0' P_D v_a P_D */
    if (b->ngrp) group_add(b, c->fp, b->v[a], fs);
}

/* ------------------------------------------------------------------ evaluation */
/* the chirality flux and the Eq. 67 integrand of a degenerate group: the
 * trace f0' Tr_D[v_a F_b] with its non-abelian curvature F, of which
 * center_densities added the diagonal */
static void group_densities(const qkt_tree_ws_t *w, const slot0_t *c, double *out)
{
    const qkt_layout_t *L = w->L;
    const qkt_bands_t *b = c->b;
    int nb = w->nb;
    size_t nb2 = (size_t)nb * nb;
    for (int m = 0; m < nb; m++) {
        int p = c->pk[m];
        if (p < 0) continue;
        for (int n = b->grp[m]; n < b->grp_end[m]; n++) {
            if (n == m) continue;
            for (int a = 0; a < 3; a++)
                for (int bb = 0; bb < 3; bb++) {
                    double t = c->fp[m] * creal(b->v[a][n * nb + m] * b->Fblk[bb * nb2 + m * nb + n]);
                    out[L->o_pump67 + p * 9 + a * 3 + bb] += t;
                    if (a == bb) out[L->o_chir + p] += t;
                }
        }
    }
}

/* DOS, density, chirality flux, Eq. 67 integrand */
static void center_densities(const qkt_tree_ws_t *w, const slot0_t *c, double *out)
{
    const qkt_layout_t *L = w->L;
    int nb = w->nb;
    const qkt_bands_t *b = c->b;
    for (int m = 0; m < nb; m++) {
        out[L->o_dos] += -c->fp[m];
        /* carrier density: a periodic model's bands are bounded, so it counts
         * from the bottom of the lowest band (electrons per cell = density x
         * V_cell); a continuum model's Fermi sea is infinite, so there it is
         * relative to filling every state below energy 0 */
        out[L->o_dos + 1] += c->f[m] - (!w->m->periodic && b->eps[m] < 0 ? 1 : 0);
        int p = c->pk[m];
        if (p < 0) continue;
        double vO = 0;
        for (int a = 0; a < 3; a++) vO += creal(b->v[a][m * nb + m]) * b->Omega[a * nb + m];
        out[L->o_chir + p] += c->fp[m] * vO;
        out[L->o_norm + p] += -c->fp[m];
        for (int a = 0; a < 3; a++)
            for (int bb = 0; bb < 3; bb++)
                out[L->o_pump67 + p * 9 + a * 3 + bb] +=
                    c->fp[m] * creal(b->v[a][m * nb + m]) * b->Omega[bb * nb + m];
    }
    if (b->ngrp) group_densities(w, c, out);
}

/* ------------------------------------------------------------------ B alone */
/* Energies closer than this (in T) count as equal in the divided differences
 * of the occupation: f[a, b] is then f'((a + b)/2) and a second difference
 * with two equal arguments is taken from f' and f'' (the quotient's
 * cancellation costs eps / (d/T)^2 relative, 1e-10 at this threshold; the
 * formulas' own error is O((d/T)^2), 1e-6). */
#define DD_EQUAL 1e-3

/* Occupations of the equilibrium density matrix: the Fermi function and its
 * first two energy derivatives at e, without the thermal window's cut (the
 * window's occupations are not the derivatives of one another where it cuts,
 * and the divided differences below need them to be; no k-derivative is taken
 * of these, so nothing needs the cut).  T = 0: step, and f' = f'' = 0. */
static occ3_t occ3(const qkt_tree_ws_t *w, double e)
{
    occ3_t o = {0, 0, 0};
    if (!(w->p.T > 0)) {
        o.f = e < w->p.mu ? 1 : e == w->p.mu ? 0.5 : 0;
        return o;
    }
    double T = w->p.T, F = qkt_f0(e, w->p.mu, T), u = F * (1 - F);
    o.f = F;
    o.f1 = -u / T;
    o.f2 = u * (1 - 2 * F) / (T * T);
    return o;
}

/* f[a, b], first divided difference of the occupation (index into o, e) */
static double dd1(const occ3_t *o, const double *e, int a, int b, double tol)
{
    double d = e[a] - e[b];
    if (fabs(d) <= tol) return 0.5 * (o[a].f1 + o[b].f1);
    return (o[a].f - o[b].f) / d;
}

/* f[a, b, c], second divided difference, symmetric in its arguments: the
 * arguments sorted, the two-point differences of the ends and the middle, with
 * coinciding energies (within tol) taken from f' and f'' */
static double dd2(const occ3_t *o, const double *e, int a, int b, int c, double tol)
{
    int s[3] = {a, b, c};
    for (int i = 0; i < 2; i++) /* sort by energy */
        for (int j = 0; j < 2 - i; j++)
            if (e[s[j]] > e[s[j + 1]]) {
                int t = s[j];
                s[j] = s[j + 1];
                s[j + 1] = t;
            }
    int x = s[0], y = s[1], z = s[2];
    double span = e[z] - e[x];
    if (span <= tol) return 0.5 * o[y].f2;
    if (e[y] - e[x] <= tol) return (dd1(o, e, x, z, tol) - o[x].f1) / span;
    if (e[z] - e[y] <= tol) return (o[z].f1 - dd1(o, e, x, z, tol)) / span;
    return (dd1(o, e, y, z, tol) - dd1(o, e, x, y, tol)) / span;
}

/* The equilibrium density matrix linear in B along alpha (docs/physics.md,
 * "Equilibrium in a magnetic field"):
 *   rho_B = -(i e / 2) eps_{ab alpha} oint dz/(2 pi i) f(z) G v_a G v_b G,
 *   rho_B^mn = -(i/2) sum_l (v_a^ml v_b^ln - v_b^ml v_a^ln) f[e_m, e_l, e_n]
 * (group energies).  Its interband part is the seed's S_B = P^-1 D_B(rho0),
 * here from the symmetric divided differences (no 1/(e_m - e_n) spike at a
 * near-degenerate pair); its part inside each degenerate group (the diagonal
 * for a single band) is D_B, which replaces xi_B; -f0'(e_m) m_B^mn with the
 * orbital moment m_B^mn = -(i/2) sum_{l not in the group} (...)^mn / (e_l -
 * e_m) is D_B's orbital-moment share.  Tallies -Tr[v_mu X] of the interband
 * part into s3, of D_B into d3 and of the orbital share into o3. */
/* rho_B^mn of the equilibrium density matrix linear in B along al (above)
 * for the bands b, whose occupations are in w->occ (occ3) */
static double complex rho_elem(const qkt_tree_ws_t *w, const qkt_bands_t *b, int al, int m, int n)
{
    int nb = w->nb;
    const double complex *va = b->v[(al + 1) % 3], *vb = b->v[(al + 2) % 3];
    double complex rho = 0;
    for (int l = 0; l < nb; l++) {
        double complex x = va[m * nb + l] * vb[l * nb + n] - vb[m * nb + l] * va[l * nb + n];
        rho += x * dd2(w->occ, b->epsg, m, l, n, DD_EQUAL * w->p.T);
    }
    return -0.5 * I * rho;
}

static void fill_occ(qkt_tree_ws_t *w, const qkt_bands_t *b)
{
    for (int m = 0; m < w->nb; m++) w->occ[m] = occ3(w, b->epsg[m]);
}

static void equilibrium_rho(qkt_tree_ws_t *w, const slot0_t *c, int al, double *s3, double *d3, double *o3)
{
    const qkt_bands_t *b = c->b;
    int nb = w->nb;
    const double complex *va = b->v[(al + 1) % 3], *vb = b->v[(al + 2) % 3];
    const double *e = b->epsg;
    fill_occ(w, b);
    for (int m = 0; m < nb; m++)
        for (int n = 0; n < nb; n++) {
            int same = b->grp[m] == b->grp[n];
            double complex rho = rho_elem(w, b, al, m, n), mom = 0;
            for (int l = 0; same && l < nb; l++)
                if (b->grp[l] != b->grp[m])
                    mom += (va[m * nb + l] * vb[l * nb + n] - vb[m * nb + l] * va[l * nb + n]) / (e[l] - e[m]);
            for (int mu = 0; mu < 3; mu++) {
                double complex vnm = b->v[mu][n * nb + m];
                (same ? d3 : s3)[mu] -= creal(vnm * rho);
                if (same) o3[mu] -= creal(vnm * (-c->fp[m] * -0.5 * I * mom));
            }
        }
}

/* D_B, the part of the equilibrium rho_B on the degenerate groups (the
 * diagonal for single bands), in the eigenbasis of b: X (zero elsewhere) */
static void eq_block(qkt_tree_ws_t *w, const qkt_bands_t *b, int al, double complex *X)
{
    int nb = w->nb;
    fill_occ(w, b);
    memset(X, 0, sizeof(double complex) * w->nb2);
    for (int m = 0; m < nb; m++)
        for (int n = b->grp[m]; n < b->grp_end[m]; n++) X[m * nb + n] = rho_elem(w, b, al, m, n);
}

/* the B-only currents: rho_B = S_B + xi_B (Eqs. 42, 43), Drho0_a = diag(f' v_a)
 * + i R_a (f_m - f_n), the band-diagonal part D_B of the equilibrium rho_B
 * and its interband part computed with it (equilibrium_rho), and the Streda integrand sum_m f_m Omega^m */
static void center_bonly(qkt_tree_ws_t *w, const slot0_t *c, double *out)
{
    const qkt_layout_t *L = w->L;
    int nb = w->nb, nb2 = w->nb2;
    const qkt_bands_t *b = c->b;
    for (int ia = 0; ia < L->nal; ia++) {
        int al = L->al[ia];
        double *o = out + L->o_cme + ia * QKT_CME_N * 3;
        make_W(w, b, al);
        double complex *Dfs[3], *Dse[3];
        for (int a = 0; a < 3; a++) {
            Dfs[a] = w->D[a];
            Dse[a] = w->Dsea + (size_t)a * nb2;
            memset(Dfs[a], 0, sizeof(double complex) * nb2);
            memset(Dse[a], 0, sizeof(double complex) * nb2);
            drho0(c, nb, a, Dfs[a], Dse[a]);
        }
        db_apply(w, al, Dfs, w->X);
        pinv(b, w->X);
        tally_sigma(w, b, w->X, TALLY_WT, o + QKT_CME_S * 3);
        db_apply(w, al, Dse, w->X);
        pinv(b, w->X);
        tally_sigma(w, b, w->X, TALLY_WT, o + QKT_CME_S * 3);
        tally_sigma(w, b, w->X, TALLY_WT, o + QKT_CME_S_SEA * 3);
        for (int m = 0; m < nb; m++) w->dg[m] = c->f[m] * b->Omega[al * nb + m];
        tally_diag_sigma(w, b, w->dg, TALLY_WT, o + QKT_CME_XI * 3);
        if (b->ngrp) /* xi_B = f B.F on a group (F: its non-abelian curvature) */
            tally_group_sigma(w, b, c->f, b->Fblk + (size_t)al * nb2, TALLY_WT, o + QKT_CME_XI * 3);
        equilibrium_rho(w, c, al, o + QKT_CME_S_EQ * 3, o + QKT_CME_D * 3, o + QKT_CME_ORB * 3);
    }
    for (int a = 0; a < 3; a++)
        for (int m = 0; m < nb; m++) out[L->o_streda + a] += c->f[m] * b->Omega[a * nb + m];
}

/* the order-0 nodes of E along nu = L->nu[in]: n_E (or the Born n_E), S_E with
 * the curvature of A^W, the vertex part S_J and its adjoint check */
static void order0_nodes(qkt_tree_ws_t *w, const slot0_t *c, int in, double *out)
{
    const qkt_layout_t *L = w->L;
    int nb = w->nb;
    const qkt_bands_t *b = c->b;
    int nu = L->nu[in];
    if (L->born) {
        /* n_E from the Born collision operator (absolute, not per unit tau) */
        qkt_vertex_born_phi(w->vx, c->b, in, L->nu[in], w->phi);
        for (int m = 0; m < nb; m++) w->dg[m] = w->phi[m] * c->fp[m];
    } else
        for (int m = 0; m < nb; m++) w->dg[m] = creal(b->v[nu][m * nb + m]) * c->fp[m];
    memcpy(w->nm, w->dg, sizeof(double) * nb);
    tally_diag_sigma(w, b, w->dg, TALLY_WT, out + L_s0(L, T0_NE, in, 0));
    if (b->ngrp && !L->born) /* n_E = f0' P_D v_nu P_D: -Tr_D[v_mu n_E] */
        tally_group_sigma(w, b, c->fp, b->v[nu], TALLY_WT, out + L_s0(L, T0_NE, in, 0));
    se_sum(b, nu, c->f, w->Y); /* S_E = sum_j f_j A_j */
    tally_sigma(w, b, w->Y, TALLY_WT, out + L_s0(L, T0_SE, in, 0));
    if (b->has_aw) {
        /* the curvature of A^W itself, a Fermi-sea term of the projected
         * position operator: sigma_{mu nu} += -eps_{mu nu c} sum_m f_m OmegaW_c^m */
        for (int mu = 0; mu < 3; mu++) {
            int cc = 3 - mu - nu, e = levi(mu, nu, cc);
            if (!e) continue;
            double sw = 0;
            for (int m = 0; m < nb; m++) sw += c->f[m] * b->OmegaW[cc * nb + m];
            out[L_s0(L, T0_SE, in, mu)] -= TALLY_WT * e * sw;
        }
    }
    if (w->p.vt) {
        vertex_sj(w, c, in, w->nm, w->Y);
        tally_sigma(w, b, w->Y, TALLY_WT, out + L_s0(L, T0_SJ, in, 0));
    }
    if (L->vj) {
        /* the same S_J by the adjoint route (a check of the tables) */
        double dr[2] = {0, 0};
        size_t sj = 3 * (size_t)L->nnu;
        qkt_vertex_tally_vj(w->vx, b, w->nm, out + L->o_j0 + in * 3, out + L->o_j0 + sj + in * 3, sj, dr);
    }
}

/* the tallies of the centre that need no derivative: density of states,
 * pocket fluxes, the vertex tables, the B-only currents and order 0;
 * *done: nothing of higher order remains */
static qkt_status_t eval_center(qkt_tree_ws_t *w, slot0_t *c, double *out, int *done)
{
    const qkt_layout_t *L = w->L;
    const qkt_bands_t *b = c->b;
    *done = 1;
    center_densities(w, c, out);
    if (L->vtab == 2) {
        /* rule born, second pass: the shell operator M and the drive A */
        qkt_vertex_tab2(w->vx, b, c->fp, w->p.born_G, out + L->o_vtab, out + L->o_vtab + L->vtab_block);
        return QKT_OK;
    }
    if (L->vtab) {
        /* first pass: G, Nt and Qt */
        qkt_vertex_tab1(w->vx, b, c->fp, out + L->o_vtab);
        return QKT_OK;
    }
    if (L->bonly) {
        center_bonly(w, c, out);
        return QKT_OK;
    }

    /* ---- order 0 */
    if (w->p.vt) qkt_vertex_prep(w->vx, c->b, c->fp, L->nnu, L->nu);
    if (L->vj) qkt_vertex_vj(w->vx, c->b);
    if (L->brate)
        for (int m = 0; m < w->nb; m++) out[L->o_born] += -c->fp[m] * qkt_vertex_born_rate(w->vx, m);
    for (int in = 0; in < L->nnu; in++) order0_nodes(w, c, in, out);
    *done = L->order < 1;
    return QKT_OK;
}

/* forget the stencil of the previous k-point */
static void start_point(qkt_tree_ws_t *w, const double k[3])
{
    memcpy(w->k0, k, sizeof w->k0);
    memset(w->map0, -1, sizeof w->map0);
    memset(w->map1, -1, sizeof w->map1);
    w->n0 = w->n1 = 0;
    w->W_b = NULL; /* slots are recomputed: W is stale */
}

/* Reciprocal completion, node X1_NBE: D_E acting on the field's equilibrium
 * coherence S_B = P^-1 D_B(rho0) (Eq. 42), the ordering that Eq. 38 leaves out.
 * S_B is off-diagonal, so the diagonal of its covariant derivative along nu is
 * the commutator alone, (D_nu S_B)^{mm} = (-i[R_nu, S_B])^{mm}: no finite
 * differences are needed.  Tallied as a diagonal drive (relaxed by tau). */
static void recip_nbe(qkt_tree_ws_t *w, const slot0_t *c, int in, int ia, double *out)
{
    const qkt_layout_t *L = w->L;
    const qkt_bands_t *b = c->b;
    int nb = w->nb, nb2 = w->nb2, al = L->al[ia], nu = L->nu[in];
    for (int a = 0; a < 3; a++) {
        memset(w->D[a], 0, sizeof(double complex) * nb2);
        if (use_dir(w, a, al)) drho0(c, nb, a, w->D[a], w->D[a]);
    }
    make_W(w, b, al);
    db_apply(w, al, w->D, w->X);
    pinv(b, w->X);
    const double complex *R = b->R[nu], *S = w->X;
    if (b->ngrp) memset(w->Y, 0, sizeof(double complex) * nb2);
    for (int m = 0; m < nb; m++)
        for (int n = b->grp[m]; n < b->grp_end[m]; n++) { /* the diagonal block on each group */
            double complex z = 0;
            for (int l = 0; l < nb; l++) z += R[m * nb + l] * S[l * nb + n] - S[m * nb + l] * R[l * nb + n];
            if (n == m) w->dg[m] = cimag(z); /* Re(-i z) */
            else w->Y[m * nb + n] = -I * z;
        }
    double *o3 = out + L_x1(L, X1_NBE, in, ia, 0);
    tally_diag_sigma(w, b, w->dg, TALLY_WT, o3);
    if (b->ngrp) tally_group_sigma(w, b, w->ones, w->Y, TALLY_WT, o3);
}

/* The equilibrium expansion's node X1_NDB: D_E acting on D_B, the band-
 * diagonal part of the field's equilibrium density matrix (its orbital-
 * moment shift of the occupations and the Berry terms of the band pairs that
 * straddle mu).  The diagonal blocks of the covariant derivative of D_B along
 * nu, from D_B's orbital matrix on the axis stencil: a diagonal drive,
 * relaxed by tau_intra (rule rta) as the reciprocal completion's nodes. */
static qkt_status_t recip_ndb(qkt_tree_ws_t *w, const slot0_t *c, int in, int ia, double *out)
{
    const qkt_layout_t *L = w->L;
    const qkt_bands_t *b = c->b;
    int nb = w->nb, nb2 = w->nb2, al = L->al[ia], nu = L->nu[in];
    if (nu >= w->m->dim) return QKT_OK;
    const double complex *M[FD_NPT];
    for (int s = 0; s < FD_NPT; s++) {
        int q[3] = {0, 0, 0};
        q[nu] += fd_s[s];
        slot0_t *sl;
        qkt_status_t st = level0(w, q[0], q[1], q[2], &sl);
        if (st) return st;
        if (sl->dirs != DIRS_ALL) {
            qkt_bands_complete(sl->b, sl->dirs);
            sl->dirs = DIRS_ALL;
        }
        eq_block(w, sl->b, al, w->X);
        qkt_mat_to_orbbasis(nb, sl->b->U, w->X, w->db5 + (size_t)s * nb2, w->T1);
        M[s] = w->db5 + (size_t)s * nb2;
    }
    fd_sum(2 * nb2, M, w->p.h, w->Z);
    qkt_mat_to_eigbasis(nb, b->U, w->Z, w->Y, w->T1);
    if (b->has_aw) {
        double complex *orb = w->db5 + (size_t)FD_NPT * nb2;
        eq_block(w, b, al, w->X);
        qkt_mat_to_orbbasis(nb, b->U, w->X, orb, w->T1);
        cov_fix(w, b, nu, orb, w->Y);
    }
    for (int m = 0; m < nb; m++) w->dg[m] = creal(w->Y[m * nb + m]);
    double *o3 = out + L_x1(L, X1_NDB, in, ia, 0);
    tally_diag_sigma(w, b, w->dg, TALLY_WT, o3);
    if (b->ngrp) tally_group_sigma(w, b, w->ones, w->Y, TALLY_WT, o3);
    return QKT_OK;
}

/* Children under D_B^alpha of the vertex part S_J(n_E) of rho_E (order 1 with
 * the vertex): its diagonal, a Fermi-surface drive (S_J carries f0' only),
 * tallied with its pocket sums and its own vertex J; and P^-1 of its
 * off-diagonal part.  Derivatives by finite differences of S_J's orbital
 * matrix on the axis stencil. */
static qkt_status_t sj_children(qkt_tree_ws_t *w, const slot0_t *c, int in, int ia, double *out)
{
    const qkt_layout_t *L = w->L;
    const qkt_bands_t *b = c->b;
    int nb = w->nb, al = L->al[ia], o0[3] = {0, 0, 0}, dz = 1;
    for (int a = 0; a < 3; a++) {
        memset(w->D[a], 0, sizeof(double complex) * w->nb2);
        if (!use_dir(w, a, al)) continue;
        int z;
        qkt_status_t st = fd0(w, o0, a, get_SJ, in, b, w->D[a], &z);
        if (st) return st;
        dz = dz && z;
    }
    if (dz) return QKT_OK;
    make_W(w, b, al);
    db_apply(w, al, w->D, w->X);
    for (int m = 0; m < nb; m++) w->dg[m] = creal(w->X[m * nb + m]);
    tally_diag_sigma(w, b, w->dg, TALLY_WT, out + L_sj1(L, SJ1_N, in, ia, 0));
    int base = (in * L->nal + ia) * L_P(L);
    tally_pockets(w, c, w->dg, TALLY_WT, out + L->o_psj + base, out + L->o_asj + base);
    qkt_vertex_tally_vj(w->vx, b, w->dg, out + L_j1(L, J1_NSJ, in, ia, 0), out + L_j1err(L, J1_NSJ, in, ia, 0, 1), L_j1stride(L),
             out + L->o_jdrop);
    pinv(b, w->X);
    tally_sigma(w, b, w->X, TALLY_WT, out + L_sj1(L, SJ1_S, in, ia, 0));
    return QKT_OK;
}

/* Two bands of one block that are degenerate (|eps_m - eps_n| <= degen_tol,
 * where R and P^-1 are set to zero) with one of them at the Fermi level: in
 * the thermal shell (f0' != 0) or, at T = 0, with different occupations.
 * Returns 0 if there is none, else the weight of the point's degenerate pairs
 * in the density of states, sum of -f0' over their bands (1 per pair at T = 0) */
/* the smallest weight returned for a degenerate pair: positive even when the
 * pair's -f0' underflows to 0 (or is 0, f_m != f_n at T > 0), so that the caller
 * counts the point; below any weight a tally could resolve */
#define DEGEN_FLAG_MIN 1e-300
static double fs_degenerate(const qkt_tree_ws_t *w, const slot0_t *c)
{
    const qkt_bands_t *b = c->b;
    double wt = 0;
    int found = 0;
    for (int m = 0; m < w->nb; m++)
        for (int n = m + 1; n < w->nb; n++) {
            if (b->grp[m] != b->grp[n]) continue;
            if (c->fp[m] != 0 || c->fp[n] != 0 || c->f[m] != c->f[n]) {
                found = 1;
                wt += w->p.T > 0 ? -c->fp[m] - c->fp[n] : 1;
            }
        }
    return found ? fmax(wt, DEGEN_FLAG_MIN) : 0;
}

long qkt_tree_ws_nfallback(const qkt_tree_ws_t *w) { return w ? w->nfallback : 0; }

void qkt_tree_ws_lines(qkt_tree_ws_t *w, int npts)
{
    /* orders 0 and 1 (analytic derivatives) evaluate the centre alone; order
     * 2 takes finite differences between the centre and the stencil, whose
     * points lie on other lines and are summed directly, and the centre is
     * summed the same way, so that the differences see one rounding */
    int centre_only = w && (w->L->order == 0 || (w->L->order == 1 && w->p.analytic));
    if (w && w->s0[0].b) w->s0[0].b->use_model_ws = npts > 0 && centre_only ? npts : 0;
}

long qkt_tree_ws_ndegen(const qkt_tree_ws_t *w)
{
    return w ? w->ndegen : 0;
}

/* ---- order 1 at the centre */

/* the order-1 nodes of (nu, alpha) = q at the centre, in the eigenbasis: their
 * sigma, their pocket sums and vertex J (diagonal nodes); keeps the diagonals
 * (w->xd) and group blocks (w->xb) for order 2 */
static void order1_nodes(qkt_tree_ws_t *w, const slot0_t *c, const slot1_t *c1, int in, int ia, double *out)
{
    const qkt_layout_t *L = w->L;
    const qkt_bands_t *b = c->b;
    int nb = w->nb, nb2 = w->nb2;
    size_t q = (size_t)in * L->nal + ia;
    const double complex *nodes[5] = {c1->dL + q * nb2, c1->SnE + q * nb2, c1->xiE + q * nb2,
                                      c1->dA + q * nb2, c1->SSf + q * nb2};
    /* the sea part of the SS node, sum_j f_j P^-1 D_B A_j = P^-1 D_B (sum_j f_j D A_j) */
    memcpy(w->SX, w->SXd, sizeof(double complex) * nb2);
    pinv(b, w->SX);
    for (int t = 0; t < T1_N; t++) {
        if (c1->z[q * T1_N + t]) memset(w->X, 0, sizeof(double complex) * nb2);
        else if (w->eig1) memcpy(w->X, nodes[t], sizeof(double complex) * nb2);
        else qkt_mat_to_eigbasis(nb, b->U, nodes[t], w->X, w->T1);
        for (int m = 0; m < nb; m++) w->xd[(q * T1_N + t) * nb + m] = creal(w->X[m * nb + m]);
        if (b->ngrp && w->xb) /* the node's blocks on degenerate groups, for its xi child at order 2 */
            for (int m = 0; m < nb; m++)
                for (int n = b->grp[m]; n < b->grp_end[m]; n++)
                    w->xb[(q * T1_N + t) * nb2 + (size_t)m * nb + n] = w->X[m * nb + n];
        if (t == T1_SS)
            for (int i = 0; i < nb2; i++) w->X[i] += w->SX[i];
        tally_sigma(w, b, w->X, TALLY_WT, out + L_s1(L, t, in, ia, 0));
        if (t == T1_NL || t == T1_NA) {
            for (int m = 0; m < nb; m++) w->dg[m] = creal(w->X[m * nb + m]);
            int base = L_q1(L, t, in, ia);
            tally_pockets(w, c, w->dg, TALLY_WT, out + L->o_p1 + base, out + L->o_a1 + base);
            if (L->vj && L->order == 1) {
                int j = t == T1_NL ? J1_NL : J1_NA;
                qkt_vertex_tally_vj(w->vx, b, w->dg, out + L_j1(L, j, in, ia, 0), out + L_j1err(L, j, in, ia, 0, 1),
                         L_j1stride(L), out + L->o_jdrop);
            }
        }
    }
}

/* Fermi-sea remainder of the anomaly driving term (diagnostic), tallied only
 * for bands of a pocket inside the thermal shell */
static qkt_status_t order1_sea(qkt_tree_ws_t *w, const slot0_t *c, int in, int ia, double *out)
{
    const qkt_layout_t *L = w->L;
    const qkt_bands_t *b = c->b;
    int nb = w->nb;
    int sea_used = L->recip; /* the reciprocal completion relaxes it everywhere */
    for (int m = 0; m < nb; m++)
        if (c->pk[m] >= 0 && taper(fabs(b->eps[m] - w->p.mu) / w->p.T, w->p.window) != 0) sea_used = 1;
    if (!sea_used) return QKT_OK;
    /* D_B of sum_j f_j D_a A_j (order1_center) */
    for (int m = 0; m < nb; m++) w->dg[m] = creal(w->SXd[m * nb + m]);
    if (L->recip) {
        tally_diag_sigma(w, b, w->dg, TALLY_WT, out + L_x1(L, X1_SEA, in, ia, 0));
        if (b->ngrp) /* relaxed as the diagonal block on each group */
            tally_group_sigma(w, b, w->ones, w->SXd, TALLY_WT, out + L_x1(L, X1_SEA, in, ia, 0));
    }
    /* restricted smoothly to the thermal shell: the pocket of a point
     * is defined there only */
    double *sea = out + L->o_sea1 + L_q1(L, T1_NA, in, ia);
    for (int m = 0; m < nb; m++)
        if (c->pk[m] >= 0)
            sea[c->pk[m]] += TALLY_WT * w->dg[m] * taper(fabs(b->eps[m] - w->p.mu) / w->p.T, w->p.window);
    return QKT_OK;
}

/* pocket modes u_p at order 1: their own sigma (and that of their vertex) */
static void order1_umodes(qkt_tree_ws_t *w, const slot0_t *c, double *out)
{
    const qkt_layout_t *L = w->L;
    const qkt_bands_t *b = c->b;
    for (int p = 0; p < L->npk; p++) {
        for (int m = 0; m < w->nb; m++) w->dg[m] = c->pk[m] == p ? -c->fp[m] : 0;
        tally_diag_sigma(w, b, w->dg, TALLY_WT, out + L->o_u1 + p * 3);
        if (L->vj && L->order == 1 && L->valley)
            qkt_vertex_tally_vj(w->vx, b, w->dg, out + L->o_uj1 + p * 3, out + L->o_uj1 + (L->npk + p) * 3, 3 * (size_t)L->npk,
                     out + L->o_jdrop);
    }
}

/* every order-1 tally at the centre: the nodes and the sea remainder of each
 * (nu, alpha), the reciprocal completion, the vertex paths, the pocket modes */
static qkt_status_t order1_center(qkt_tree_ws_t *w, const slot0_t *c, double *out)
{
    const qkt_layout_t *L = w->L;
    int o0[3] = {0, 0, 0};
    slot1_t *c1;
    slot0_t *dummy;
    qkt_status_t st = level1(w, o0, &c1, &dummy);
    if (st) return st;
    for (int in = 0; in < L->nnu; in++)
        for (int ia = 0; ia < L->nal; ia++) {
            /* D_B of the sea part sum_j f_j D_a A_j (kept by level1()), read
             * by the SS node and the sea remainder */
            double complex *Ds[3];
            for (int a = 0; a < 3; a++) Ds[a] = w->DseaC + ((size_t)in * 3 + a) * w->nb2;
            make_W(w, c->b, L->al[ia]);
            db_apply(w, L->al[ia], Ds, w->SXd);
            order1_nodes(w, c, c1, in, ia, out);
            st = order1_sea(w, c, in, ia, out);
            if (st) return st;
        }
    if (L->recip)
        for (int in = 0; in < L->nnu; in++)
            for (int ia = 0; ia < L->nal; ia++) {
                recip_nbe(w, c, in, ia, out);
                if (L->nx1 > X1_NDB && (st = recip_ndb(w, c, in, ia, out))) return st;
            }
    if (c->SJ)
        for (int in = 0; in < L->nnu; in++)
            for (int ia = 0; ia < L->nal; ia++) {
                st = sj_children(w, c, in, ia, out);
                if (st) return st;
            }
    order1_umodes(w, c, out);
    return QKT_OK;
}

/* ---- order 2 at the centre */

/* fill the level-1 cache on the axis stencil (level1() uses the scratch
 * matrices that the order-2 steps need, so it runs first) */
static qkt_status_t level1_stencil(qkt_tree_ws_t *w)
{
    for (int a = 0; a < w->m->dim; a++)
        for (int s = 0; s < FD_NPT && dir_needed(w, a); s++) {
            int qo[3] = {0, 0, 0};
            qo[a] = fd_s[s];
            slot1_t *sl;
            slot0_t *s0;
            qkt_status_t st = level1(w, qo, &sl, &s0);
            if (st) return st;
        }
    return QKT_OK;
}

/* derivatives D_a (eigenbasis) of the order-1 node t of q at the centre in the
 * directions used with B along be: the node's own (Dfs; for the sea node SS
 * its Fermi-surface part f'_j v_a^j A'_j) and, for SS, the sea part f_j D A'_j
 * (Dse).  *allz: D_B of the node is zero (no n and S children) */
static qkt_status_t order2_derivs(qkt_tree_ws_t *w, const slot0_t *c, int t, size_t q, int be,
                                  double complex *const *Dfs, double complex *const *Dse, int *allz)
{
    const qkt_bands_t *b = c->b;
    int nb2 = w->nb2;
    getter1_t g = t == T1_NL ? g1_dL : t == T1_SNE ? g1_SnE : t == T1_XIE ? g1_xiE
                  : t == T1_NA ? g1_dA : g1_SSf;
    for (int a = 0; a < 3; a++) {
        memset(Dfs[a], 0, sizeof(double complex) * nb2);
        memset(Dse[a], 0, sizeof(double complex) * nb2);
    }
    *allz = t != T1_SS;
    for (int a = 0; a < w->m->dim; a++) {
        if (!use_dir(w, a, be)) continue;
        int z;
        qkt_status_t st = fd1(w, a, g, t, q, b, Dfs[a], &z);
        if (st) return st;
        *allz = *allz && z;
        if (t != T1_SS) continue;
        /* FS part: sum_j f'_j v_a^j A'_j; sea: D (sum_j f_j A'_j), the centre's f_j */
        const double complex *Ye = w->SSe + (q * 3 + a) * nb2;
        if (!c->fz)
            for (int i = 0; i < nb2; i++) Dfs[a][i] += Ye[i];
        st = fd1(w, a, g1_SSs, -1, q, b, Dse[a], NULL);
        if (st) return st;
    }
    return QKT_OK;
}

/* the n and S children under D_B^be of the order-1 node t of (in, ia), from
 * its derivatives Dfs, Dse (order2_derivs): n = the diagonal of D_B (the FS
 * part for off-diagonal parents), with its pocket sums and, for SS, the sea
 * remainder's; S = P^-1 D_B^o (the full derivative) */
static void order2_ns_children(qkt_tree_ws_t *w, const slot0_t *c, int t, int in, int ia, int ib,
                               double complex *const *Dfs, double complex *const *Dse, double *out)
{
    const qkt_layout_t *L = w->L;
    const qkt_bands_t *b = c->b;
    int nb = w->nb, nb2 = w->nb2, be = L->al[ib];
    /* n child: diagonal of D_B (FS part for off-diagonal parents) */
    db_apply(w, be, Dfs, w->X);
    for (int m = 0; m < nb; m++) w->dg[m] = creal(w->X[m * nb + m]);
    int tn = t * CH_NCHILD + CH_N;
    tally_diag_sigma(w, b, w->dg, TALLY_WT, out + L_s2(L, tn, in, ia, ib, 0));
    if (b->ngrp) /* the n child is the block of D_B on each degenerate group: its trace with v */
        tally_group_sigma(w, b, w->ones, w->X, TALLY_WT, out + L_s2(L, tn, in, ia, ib, 0));
    int base = L_q2(L, t, in, ia, ib);
    tally_pockets(w, c, w->dg, TALLY_WT, out + L->o_p2 + base, out + L->o_a2 + base);
    /* S child: P^-1 D_B^o (full derivative) */
    if (t == T1_SS) {
        db_apply(w, be, Dse, w->Y);
        for (int m = 0; m < nb; m++) {
            double ds = creal(w->Y[m * nb + m]);
            int p = c->pk[m];
            if (p >= 0)
                out[L->o_sea2 + base + p] +=
                    TALLY_WT * ds * taper(fabs(b->eps[m] - w->p.mu) / w->p.T, w->p.window);
        }
        for (int i = 0; i < nb2; i++) w->X[i] += w->Y[i];
    }
    pinv(b, w->X);
    tally_sigma(w, b, w->X, TALLY_WT, out + L_s2(L, t * CH_NCHILD + CH_S, in, ia, ib, 0));
}

/* the children under D_B^be (be = L->al[ib]) of every order-1 node of (in, ia) */
static qkt_status_t order2_children(qkt_tree_ws_t *w, const slot0_t *c, int in, int ia, int ib, double *out)
{
    const qkt_layout_t *L = w->L;
    const qkt_bands_t *b = c->b;
    int nb = w->nb, nb2 = w->nb2, be = L->al[ib];
    size_t q = (size_t)in * L->nal + ia;
    double complex *Dfs[3], *Dse[3];
    for (int a = 0; a < 3; a++) {
        Dfs[a] = w->D[a];
        Dse[a] = w->Dsea + (size_t)a * nb2;
    }
    for (int t = 0; t < T1_N; t++) {
        int allz;
        qkt_status_t st = order2_derivs(w, c, t, q, be, Dfs, Dse, &allz);
        if (st) return st;
        /* the node itself at the centre (eigenbasis), for xi children */
        make_W(w, b, be);
        if (!allz) order2_ns_children(w, c, t, in, ia, ib, Dfs, Dse, out);
        /* xi child of diagonal parents: x_m Omega_beta^m, and {x, B.F}/2 on
         * a degenerate group (x the parent's block, F the group's curvature) */
        if (qkt_t1_is_diag(t)) {
            const double *xd = w->xd + (q * T1_N + t) * nb;
            double *o2 = out + L_s2(L, t * CH_NCHILD + CH_XI, in, ia, ib, 0);
            for (int m = 0; m < nb; m++) w->dg[m] = xd[m] * b->Omega[be * nb + m];
            if (b->ngrp) group_xi(w, b, w->xb + (q * T1_N + t) * nb2, NULL, be, w->dg, w->Y);
            tally_diag_sigma(w, b, w->dg, TALLY_WT, o2);
            if (b->ngrp) tally_group_sigma(w, b, w->ones, w->Y, TALLY_WT, o2);
        }
    }
    return QKT_OK;
}

/* the children of the pocket mode u_p under D_B^be (be = L->al[ib]; rule
 * valley only): n (with its pocket sums), S and xi */
static qkt_status_t umode_children(qkt_tree_ws_t *w, const slot0_t *c, int p, int ib, double *out)
{
    const qkt_layout_t *L = w->L;
    const qkt_bands_t *b = c->b;
    int nb = w->nb, nb2 = w->nb2, be = L->al[ib];
    double complex *Dfs[3] = {w->D[0], w->D[1], w->D[2]};
    for (int a = 0; a < 3; a++) memset(Dfs[a], 0, sizeof(double complex) * nb2);
    for (int a = 0; a < w->m->dim; a++) {
        if (!use_dir(w, a, be)) continue;
        double complex *acc = w->T2;
        memset(acc, 0, sizeof(double complex) * nb2);
        for (int s = 0; s < FD_NPT; s++) {
            int qo[3] = {0, 0, 0};
            qo[a] = fd_s[s];
            slot0_t *sl;
            qkt_status_t st = level0(w, qo[0], qo[1], qo[2], &sl);
            if (st) return st;
            umode_orb(w, sl, p, w->Z);
            for (int i = 0; i < nb2; i++) acc[i] += fd_c[s] * w->Z[i];
        }
        for (int i = 0; i < nb2; i++) acc[i] /= w->p.h;
        qkt_mat_to_eigbasis(nb, b->U, acc, Dfs[a], w->T1);
        if (b->has_aw) {
            umode_orb(w, c, p, w->Z);
            cov_fix(w, b, a, w->Z, Dfs[a]);
        }
    }
    make_W(w, b, be);
    db_apply(w, be, Dfs, w->X);
    for (int m = 0; m < nb; m++) w->dg[m] = creal(w->X[m * nb + m]);
    double *u2 = out + L_u2(L, p, ib);
    tally_diag_sigma(w, b, w->dg, TALLY_WT, u2 + CH_N * 3);
    for (int m = 0; m < nb; m++) {
        int q2 = c->pk[m];
        if (q2 >= 0) out[L_up2(L, p, ib) + q2] += TALLY_WT * w->dg[m];
    }
    pinv(b, w->X);
    tally_sigma(w, b, w->X, TALLY_WT, u2 + CH_S * 3);
    for (int m = 0; m < nb; m++) w->dg[m] = c->pk[m] == p ? -c->fp[m] * b->Omega[be * nb + m] : 0;
    tally_diag_sigma(w, b, w->dg, TALLY_WT, u2 + CH_XI * 3);
    return QKT_OK;
}

/* every order-2 tally at the centre: per B component be, the children of
 * every order-1 node, then those of the pocket modes */
static qkt_status_t order2_center(qkt_tree_ws_t *w, const slot0_t *c, double *out)
{
    const qkt_layout_t *L = w->L;
    qkt_status_t st = level1_stencil(w);
    if (st) return st;
    for (int ib = 0; ib < L->nal; ib++) {
        for (int in = 0; in < L->nnu; in++)
            for (int ia = 0; ia < L->nal; ia++) {
                st = order2_children(w, c, in, ia, ib, out);
                if (st) return st;
            }
        for (int p = 0; p < (L->valley ? L->npk : 0); p++) {
            st = umode_children(w, c, p, ib, out);
            if (st) return st;
        }
    }
    return QKT_OK;
}

/* The Landau cutoff's weight at the centre c: s(t) = 3 t^2 - 2 t^3 on [0, 1]
 * (0 below, 1 above) of t = 1/sqrt(landau_x2 x) - 1, landau_x2 = rho_c^2 |B|
 * = rho_c^2 / l_B^2, where x is the largest, over pairs of degenerate groups
 * (G, G'), G != G', of sw_G |R^{GG'}|^2: the block of the interband Berry
 * connection between the two groups (Frobenius norm, sum_{m in G, n in G'}
 * sum_a |v_a^mn|^2 / (e_G - e_G')^2 with the groups' mean energies e, pairs
 * closer than degen_tol left out as everywhere), weighted by the thermal taper sw_G of the group (its
 * largest over the group's bands: 1 inside the window, falling smoothly to 0
 * at its edge, so that s does not jump when a band leaves the window).  The
 * block norm is the same for every choice of eigenvectors inside the groups;
 * it depends on the energies and |v| only, so it is invariant under
 * rotations (all three components) and under time reversal. */
static int group_end(const qkt_bands_t *b, int m) { return b->ngrp ? b->grp_end[m] : m + 1; }

static double landau_weight(const qkt_tree_ws_t *w, const slot0_t *c, double *dsdl)
{
    *dsdl = 0;
    const qkt_bands_t *b = c->b;
    int nb = w->nb;
    double x = 0;
    for (int g0 = 0; g0 < nb; g0 = group_end(b, g0)) {
        double sw = 0;
        for (int m = g0; m < group_end(b, g0); m++)
            sw = fmax(sw, w->p.T > 0 ? taper(fabs(b->eps[m] - w->p.mu) / w->p.T, w->p.window) : 1);
        if (sw == 0) continue;
        for (int h0 = 0; h0 < nb; h0 = group_end(b, h0)) {
            if (h0 == g0) continue;
            double r2 = 0;
            for (int m = g0; m < group_end(b, g0); m++)
                for (int n = h0; n < group_end(b, h0); n++) {
                    /* the groups' mean energies, as in R and P^-1: the block
                     * norm is then exactly invariant under a change of basis
                     * inside each group */
                    double de = b->ngrp ? b->epsg[m] - b->epsg[n] : b->eps[m] - b->eps[n];
                    if (fabs(de) <= w->p.degen_tol) continue; /* degenerate: no interband terms */
                    double v2 = 0;
                    for (int a = 0; a < 3; a++) {
                        double complex z = b->v[a][(size_t)m * nb + n];
                        v2 += creal(z) * creal(z) + cimag(z) * cimag(z);
                    }
                    r2 += v2 / (de * de);
                }
            x = fmax(x, sw * r2);
        }
    }
    if (!(x > 0)) return 1;
    double t = 1 / sqrt(w->p.landau_x2 * x) - 1;
    if (t >= 1) return 1;
    if (t <= 0) return 0;
    /* t + 1 is proportional to 1/rho_c: ds/d ln rho_c = -s'(t) (t + 1) */
    *dsdl = -6 * t * (1 - t) * (t + 1);
    return t * t * (3 - 2 * t);
}

static void landau_save(const qkt_tree_ws_t *w, const double *out)
{
    double *d = w->lsave;
    for (int i = 0; i < NLANDAU_BLOCKS; i++) {
        const qkt_block_t *B = &w->L->blk[landau_blocks[i]];
        memcpy(d, out + B->off, sizeof(double) * (size_t)B->size);
        d += B->size;
    }
}

/* out = before + s (out - before) on the weighted blocks, and the weight
 * removed, (1 - s) sum_m -f'_m, into the diagnostics; the sigma1 and sigma2
 * paths' derivatives with respect to ln rho_c, (ds/d ln rho_c) (out -
 * before), into their sensitivity blocks (the first two weighted blocks are
 * the paths) */
static void landau_apply(const qkt_tree_ws_t *w, const slot0_t *c, double *out)
{
    double dsdl, s = landau_weight(w, c, &dsdl);
    if (s == 1) return;
    const double *d = w->lsave;
    const qkt_layout_t *L = w->L;
    if (dsdl != 0)
        for (int i = 0; i < 2; i++) {
            const qkt_block_t *B = &L->blk[landau_blocks[i]], *S = &L->blk[i ? QKT_B_LS2 : QKT_B_LS1];
            const double *d0 = d + (i ? L->blk[landau_blocks[0]].size : 0);
            for (int j = 0; j < S->size; j++) out[S->off + j] += dsdl * (out[B->off + j] - d0[j]);
        }
    for (int i = 0; i < NLANDAU_BLOCKS; i++) {
        const qkt_block_t *B = &w->L->blk[landau_blocks[i]];
        for (int j = 0; j < B->size; j++) out[B->off + j] = d[j] + s * (out[B->off + j] - d[j]);
        d += B->size;
    }
    double fw = 0;
    for (int m = 0; m < w->nb; m++) fw -= c->fp[m];
    out[w->L->o_dos + 3] += (1 - s) * fw;
}

static qkt_status_t tree_orders(qkt_tree_ws_t *w, slot0_t *c, double *out)
{
    int done;
    qkt_status_t st = eval_center(w, c, out, &done);
    if (st || done) return st;
    st = order1_center(w, c, out);
    if (st || w->L->order < 2) return st;
    return order2_center(w, c, out);
}

qkt_status_t qkt_tree_eval(qkt_tree_ws_t *w, const double k[3], double *out)
{
    const qkt_layout_t *L = w->L;
    start_point(w, k);
    slot0_t *c;
    qkt_status_t st = level0(w, 0, 0, 0, &c);
    if (st) return st;
    double dw = fs_degenerate(w, c);
    if (dw > 0) {
        w->ndegen++;
        out[L->o_dos + 2] += dw;
    }
    if (!w->lsave) return tree_orders(w, c, out);
    landau_save(w, out);
    st = tree_orders(w, c, out);
    if (!st) landau_apply(w, c, out);
    return st;
}

/* Order-0 tallies at k for several chemical potentials: the bands are
 * computed once, the occupations and tallies once per mu.  out holds nmu
 * consecutive blocks of L->fdim values. */
qkt_status_t qkt_tree_eval_scan(qkt_tree_ws_t *w, const double k[3], int nmu, const double *mus, double *out)
{
    const qkt_layout_t *L = w->L;
    if (L->order != 0 || L->bonly || L->vtab || w->p.vt || w->pk)
        return qkt_error(QKT_EINVAL, "internal: chemical-potential scans are for order-0 tallies without "
                                     "pockets or vertex correction");
    double mu0 = w->p.mu;
    start_point(w, k);
    slot0_t *c;
    qkt_status_t st = level0(w, 0, 0, 0, &c);
    int deg = 0;
    for (int i = 0; i < nmu && !st; i++) {
        int done;
        w->p.mu = mus[i];
        occupy(w, c, k, 1);
        double dw = fs_degenerate(w, c);
        if (dw > 0) {
            deg = 1;
            out[(size_t)i * L->fdim + L->o_dos + 2] += dw;
        }
        st = eval_center(w, c, out + (size_t)i * L->fdim, &done);
    }
    w->ndegen += deg;
    w->p.mu = mu0;
    return st;
}
