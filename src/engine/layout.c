/* layout.c - the one table of tallied quantities of the response tree: every
 * block of the integrand's output vector with its offset, size, integration
 * groups, family and path names (engine/layout.h). */
#include "engine/layout.h"

/* ---- path names (the paths of the tree, PHYSICS.md; docs/physics.md) */
static const char *const p0names[T0_N] = {"drude_nE", "intrinsic_SE", "extrinsic_SJ"};
static const char *const p1names[T1_N] = {"lorentz_nE>nEB", "nE>SEB", "nE>xiEB", "anomaly_SE>nEB", "SE>SEB"};
/* the reciprocal completion's diagonal nodes (X1_*), relaxed by tau_intra */
static const char *const x1names[X1_N] = {"anomaly_sea_SE>nEB", "SB>nBE", "DB>nBE"};
/* the vertex -P^-1 J(n) of the order-1 diagonal nodes (Eq. 54) */
static const char *const j1names[J1_N] = {"lorentz_nE>nEB>SJ", "anomaly_SE>nEB>SJ", "anomaly_SJ>nEB>SJ"};
/* the children of the vertex part S_J(n_E) of rho_E under D_B */
static const char *const sj1names[SJ1_NCHILD] = {"anomaly_SJ>nEB", "SJ>SEB"};
static const char *const p2names[T2_N] = {
    "lorentz_nE>nEB>nEB2", "nE>nEB>SEB2",         "nE>nEB>xiEB2",
    "nE>SEB>nEB2",         "nE>SEB>SEB2",         "(none)",
    "nE>xiEB>nEB2",        "nE>xiEB>SEB2",        "nE>xiEB>xiEB2",
    "SE>nEB>nEB2",         "anomaly_SE>nEB>SEB2", "anomaly_SE>nEB>xiEB2",
    "SE>SEB>nEB2",         "SE>SEB>SEB2",         "(none)"};

/* relaxation-time monomials under rule rta: the power of tau_intra of each
 * path, one per diagonal (n) node on it; -1: no path */
static const int p0tau[T0_N] = {1, 0, 1};
static const int p1tau[T1_N] = {2, 1, 1, 1, 0};
static const int x1tau[X1_N] = {1, 1, 1};
static const int j1tau[J1_N] = {2, 1, 2};
static const int sj1tau[SJ1_NCHILD] = {2, 1};
static const int p2tau[T2_N] = {3, 2, 2, 2, 1, -1, 2, 1, 1, 2, 1, 1, 1, 0, -1};

/* ---- groups of a block */
enum { G_STRIDE, G_CYCLE, G_JOIN, G_DIAG };
typedef struct {
    int kind;    /* G_STRIDE: one group per gstride values; G_CYCLE: ncycle groups
                    interleaved with period gstride; G_JOIN: the first group of
                    block join; G_DIAG: the diagnostics group */
    int gstride; /* values per group (G_STRIDE, G_CYCLE) */
    int ncycle;  /* G_CYCLE */
    int join;    /* G_JOIN */
} grule_t;

static grule_t per(int n) { return (grule_t){G_STRIDE, n > 0 ? n : 1, 0, 0}; }
static grule_t cyc(int n, int k) { return (grule_t){G_CYCLE, n, k, 0}; }
static grule_t join(int b) { return (grule_t){G_JOIN, 1, 0, b}; }
static grule_t diag(void) { return (grule_t){G_DIAG, 1, 0, 0}; }

/* block flags */
#define F_LOOSE 1 /* diagnostics: error scale 10x looser */
#define F_DRIVE 2 /* drives mesh refinement */
#define F_ERR3 4  /* followed by 3 copies of error estimates (diagnostics group) */
#define F_PASSIVE 8 /* integrated along, never limits convergence (integrate.h, loose 2) */

static int new_group(qkt_layout_t *L, int fam, int flags)
{
    int g = L->ngroup < QKT_MAXGROUP ? L->ngroup++ : QKT_MAXGROUP - 1;
    L->gfam[g] = (unsigned char)fam;
    L->gloose[g] = flags & F_PASSIVE ? 2 : (flags & F_LOOSE) != 0;
    L->gdrive[g] = (flags & F_DRIVE) != 0;
    return g;
}

static int diag_group(qkt_layout_t *L)
{
    if (L->gdiag < 0) L->gdiag = new_group(L, QKT_FAM_BOOK, F_LOOSE);
    return L->gdiag;
}

/* Append block b: n values in groups by rule r (of family fam), present if
 * `on` (else size 0 at the current end); returns its offset. */
static int add(qkt_layout_t *L, int b, const char *name, int on, int n, grule_t r, int fam, int flags,
               const char *const *paths, const int *tau, int npath)
{
    qkt_block_t *k = &L->blk[b];
    k->name = name;
    k->off = L->fdim;
    k->paths = paths;
    k->tau = tau;
    k->npath = npath;
    k->nvalue = on ? n : 0;
    k->size = on ? (flags & F_ERR3 ? 4 * n : n) : 0;
    k->gstride = r.gstride;
    k->gcycle = r.kind == G_CYCLE ? r.ncycle : 0;
    if (on && n > 0) {
        int ng = r.kind == G_STRIDE ? (n + r.gstride - 1) / r.gstride : r.kind == G_CYCLE ? r.ncycle : 0;
        if (r.kind == G_JOIN) k->group0 = L->blk[r.join].group0, k->gstride = n;
        else if (r.kind == G_DIAG) k->group0 = diag_group(L), k->gstride = n;
        else {
            k->group0 = L->ngroup;
            for (int g = 0; g < ng; g++) new_group(L, fam, flags);
        }
        if (flags & F_ERR3) diag_group(L);
    }
    L->fdim += k->size;
    return k->off;
}

/* The table.  Each line: block, name, present when, number of values, its
 * groups, family, flags, path names.  The families keep the grouping that the
 * integration's digits depend on: the pocket fluxes (Berry flux, Eq. 3) join
 * the B-only family; the Streda trace, the Eq.-67 pumping integrand and the
 * DOS are bookkeeping; the adjoint S_J and the pocket-mode vertex join their
 * order's paths. */
void qkt_layout_build(qkt_layout_t *L, const qkt_layout_spec_t *s)
{
    memset(L, 0, sizeof *L);
    L->order = s->order;
    L->dim = s->dim;
    L->npk = s->npk;
    L->bonly = s->bonly;
    L->nnu = s->nnu;
    L->nal = s->nal;
    for (int i = 0; i < s->nnu; i++) L->nu[i] = s->nu[i];
    for (int i = 0; i < s->nal; i++) L->al[i] = s->al[i];
    L->valley = s->valley;
    L->recip = s->recip;
    L->nx1 = s->recip ? (s->eq1 ? X1_N : X1_NDB) : 0;
    L->brate = s->brate;
    L->born = s->born;
    L->vj = s->vj;
    L->vtab = s->vtab;
    L->vtab_block = s->vtab_block;
    L->gdiag = -1;
    int o1 = s->order >= 1, o2 = s->order >= 2, vj1 = s->vj && s->order == 1;
    /* sizes of the plain layout use at least one direction and one pocket */
    int P = s->npk > 0 ? s->npk : 1, N = s->nnu > 0 ? s->nnu : 1, A = s->nal > 0 ? s->nal : 1;
    int n = s->nnu, a = s->nal; /* the later blocks use the directions as they are */
    /* the conductivity paths of orders below accuracy_from, and the Eq.-67
     * pumping integrand (order E B, read only by qkt_pump_pocket): loose groups */
    int lo0 = s->accuracy_from > 0 ? F_LOOSE : 0, lo1 = s->accuracy_from > 1 ? F_LOOSE : 0;
    /* mesh refinement is driven by the sigma^(0) paths, or by the totals of
     * every order (drive_tau > 0) */
    int d = s->drive_tau > 0;
    L->o_s0 = add(L, QKT_B_S0, "sigma0", 1, T0_N * N * 3, per(N * 3), QKT_FAM_B0, (d ? 0 : F_DRIVE) | lo0, p0names, p0tau,
                  T0_N);
    L->o_s1 = add(L, QKT_B_S1, "sigma1", o1, T1_N * N * A * 3, per(N * A * 3), QKT_FAM_B1, lo1, p1names, p1tau, T1_N);
    L->o_s2 = add(L, QKT_B_S2, "sigma2", o2, T2_N * N * A * A * 3, per(N * A * A * 3), QKT_FAM_B2, 0, p2names, p2tau, T2_N);
    L->o_p1 = add(L, QKT_B_P1, "pocket1", o1, T1_N * N * A * P, per(N * A * P), QKT_FAM_B1, 0, NULL, NULL, 0);
    L->o_a1 = add(L, QKT_B_A1, "pocket1_abs", o1, T1_N * N * A * P, per(N * A * P), QKT_FAM_B1, F_LOOSE, NULL, NULL, 0);
    L->o_sea1 = add(L, QKT_B_SEA1, "pocket1_sea", o1, T1_N * N * A * P, per(N * A * P), QKT_FAM_B1, F_LOOSE, NULL, NULL, 0);
    L->o_p2 = add(L, QKT_B_P2, "pocket2", o2, T1_N * N * A * A * P, per(N * A * A * P), QKT_FAM_B2, 0, NULL, NULL, 0);
    L->o_a2 = add(L, QKT_B_A2, "pocket2_abs", o2, T1_N * N * A * A * P, per(N * A * A * P), QKT_FAM_B2, F_LOOSE, NULL, NULL, 0);
    L->o_sea2 = add(L, QKT_B_SEA2, "pocket2_sea", o2, T1_N * N * A * A * P, per(N * A * A * P), QKT_FAM_B2, F_LOOSE, NULL, NULL, 0);
    L->o_u1 = add(L, QKT_B_U1, "umode1", o1, P * 3, per(P * 3), QKT_FAM_B1, 0, NULL, NULL, 0);
    L->o_u2 = add(L, QKT_B_U2, "umode2", o2, P * A * CH_NCHILD * 3, cyc(3, CH_NCHILD), QKT_FAM_B2, 0, NULL, NULL, 0);
    L->o_up2 = add(L, QKT_B_UP2, "umode2_pocket", o2, P * A * P, per(P * A * P), QKT_FAM_B2, 0, NULL, NULL, 0);
    L->o_norm = add(L, QKT_B_NORM, "pocket_norm", 1, P, per(P), QKT_FAM_BOOK, 0, NULL, NULL, 0);
    L->o_chir = add(L, QKT_B_CHIR, "pocket_flux", 1, P, per(P), QKT_FAM_BONLY, 0, NULL, NULL, 0);
    /* [al][QKT_CME_*: j_S, j_S_sea, j_xi, j_S_eq, j_D, j_orb][mu] */
    L->o_cme = add(L, QKT_B_CME, "cme", s->bonly, A * QKT_CME_N * 3, cyc(3, QKT_CME_N), QKT_FAM_BONLY, 0, NULL, NULL, 0);
    L->o_streda = add(L, QKT_B_STREDA, "streda", s->bonly, 3, per(3), QKT_FAM_BOOK, 0, NULL, NULL, 0);
    L->o_pump67 = add(L, QKT_B_PUMP67, "pump67", 1, P * 9, per(P * 9), QKT_FAM_BOOK, lo1, NULL, NULL, 0);
    /* DOS, density, DOS weight at degenerate points: one group each */
    L->o_dos = add(L, QKT_B_DOS, "dos", 1, 4, per(1), QKT_FAM_BOOK, 0, NULL, NULL, 0);
    L->o_vtab = add(L, QKT_B_VTAB, "vtab", s->vtab, s->vtab_size, per(s->vtab_block), QKT_FAM_BOOK, 0, NULL, NULL, 0);
    L->o_x1 = add(L, QKT_B_X1, "sigma1_recip", s->recip, L->nx1 * n * a * 3, per(n * a * 3), QKT_FAM_B1, lo1, x1names,
                  x1tau, L->nx1);
    L->o_born = add(L, QKT_B_BORN, "born_rate", s->brate, 1, per(1), QKT_FAM_BOOK, 0, NULL, NULL, 0);
    L->o_j0 = add(L, QKT_B_J0, "sigma0_vertex", s->vj, n * 3, per(n * 3), QKT_FAM_B0, F_ERR3 | lo0, NULL, NULL, 0);
    L->o_jdrop = add(L, QKT_B_JDROP, "vertex_dropped", s->vj, 2, diag(), QKT_FAM_BOOK, 0, NULL, NULL, 0);
    L->o_j1 = add(L, QKT_B_J1, "sigma1_vertex", vj1, J1_N * n * a * 3, per(n * a * 3), QKT_FAM_B1, F_ERR3 | lo1, j1names, j1tau, J1_N);
    L->o_uj1 = add(L, QKT_B_UJ1, "umode1_vertex", vj1, L_P(L) * 3, join(QKT_B_U1), QKT_FAM_B1, F_ERR3, NULL, NULL, 0);
    L->o_sj1 = add(L, QKT_B_SJ1, "sigma1_sj", vj1, SJ1_NCHILD * n * a * 3, per(n * a * 3), QKT_FAM_B1, lo1, sj1names,
                   sj1tau, SJ1_NCHILD);
    L->o_psj = add(L, QKT_B_PSJ, "sj1_pocket", vj1, n * a * L_P(L), per(n * a * L_P(L)), QKT_FAM_B1, 0, NULL, NULL, 0);
    L->o_asj = add(L, QKT_B_ASJ, "sj1_pocket_abs", vj1, n * a * L_P(L), per(n * a * L_P(L)), QKT_FAM_B1, F_LOOSE, NULL, NULL, 0);
    L->drive_tau = d ? s->drive_tau : 0;
    L->o_d0 = add(L, QKT_B_D0, "sigma0_total", d, n * 3, per(n * 3), QKT_FAM_B0, F_DRIVE, NULL, NULL, 0);
    L->o_d1 = add(L, QKT_B_D1, "sigma1_total", d && o1, n * a * 3, per(n * a * 3), QKT_FAM_B1, F_DRIVE, NULL, NULL, 0);
    L->o_d2 = add(L, QKT_B_D2, "sigma2_total", d && o2, n * a * a * 3, per(n * a * a * 3), QKT_FAM_B2, F_DRIVE, NULL,
                  NULL, 0);
    /* the Landau cutoff's sensitivity, in the layout of the path blocks (a
     * path's values are zero wherever the weight is 0 or 1): passive, so
     * that the integration and its digits are those without it */
    L->o_ls1 = add(L, QKT_B_LS1, "sigma1_landau_sens", s->landau && o1, T1_N * N * A * 3, per(N * A * 3), QKT_FAM_B1,
                   F_PASSIVE, NULL, NULL, 0);
    L->o_ls2 = add(L, QKT_B_LS2, "sigma2_landau_sens", s->landau && o2, T2_N * N * A * A * 3, per(N * A * A * 3),
                   QKT_FAM_B2, F_PASSIVE, NULL, NULL, 0);
}

/* the path blocks summed into each total */
#define NDRIVE 4
static const int drive_paths[NDRIVE] = {QKT_B_S0, QKT_B_S1, QKT_B_X1, QKT_B_S2};
static const int drive_total[NDRIVE] = {QKT_B_D0, QKT_B_D1, QKT_B_D1, QKT_B_D2};

/* the totals of one block: out[total + j] += sum_t tau^p_t (out[off + t n + j]
 * - before[t n + j]), t over the block's paths with p_t >= 0 (n values each) */
static void drive_add(const qkt_block_t *b, int n, double tau, double *out, int total, const double *before)
{
    for (int t = 0; t < b->npath; t++) {
        if (b->tau[t] < 0) continue;
        double w = pow(tau, b->tau[t]);
        const double *x = out + b->off + t * n, *x0 = before + t * n;
        for (int j = 0; j < n; j++) out[total + j] += w * (x[j] - x0[j]);
    }
}

int qkt_layout_drive_size(const qkt_layout_t *L)
{
    int n = 0;
    for (int i = 0; i < NDRIVE; i++)
        if (L->blk[drive_total[i]].size > 0) n += L->blk[drive_paths[i]].size;
    return n;
}

void qkt_layout_drive_save(const qkt_layout_t *L, const double *out, double *before)
{
    for (int i = 0; i < NDRIVE; i++) {
        const qkt_block_t *k = &L->blk[drive_paths[i]];
        if (L->blk[drive_total[i]].size == 0 || k->size == 0) continue;
        memcpy(before, out + k->off, sizeof(double) * k->size);
        before += k->size;
    }
}

void qkt_layout_drive(const qkt_layout_t *L, double *out, const double *before)
{
    for (int i = 0; i < NDRIVE; i++) {
        const qkt_block_t *k = &L->blk[drive_paths[i]], *t = &L->blk[drive_total[i]];
        if (t->size == 0 || k->size == 0) continue;
        drive_add(k, t->size, L->drive_tau, out, t->off, before);
        before += k->size;
    }
}

void qkt_layout_init(qkt_layout_t *L, int order, int dim, int npk, int bonly, const int *nu, int nnu,
                     const int *al, int nal)
{
    qkt_layout_spec_t s;
    memset(&s, 0, sizeof s);
    s.order = order;
    s.dim = dim;
    s.npk = npk;
    s.bonly = bonly;
    s.nu = nu;
    s.nnu = nnu;
    s.al = al;
    s.nal = nal;
    qkt_layout_build(L, &s);
}

void qkt_layout_groups(const qkt_layout_t *L, int *group)
{
    for (int b = 0; b < QKT_NBLOCK; b++) {
        const qkt_block_t *k = &L->blk[b];
        for (int j = 0; j < k->size; j++) {
            int g;
            if (j >= k->nvalue) g = L->gdiag;
            else if (k->gcycle > 0) g = k->group0 + (j / k->gstride) % k->gcycle;
            else g = k->group0 + j / k->gstride;
            group[k->off + j] = g;
        }
    }
}
