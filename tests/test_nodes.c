/* test_nodes.c - the Weyl-node search on lattice models built from hopping arrays
 * (qkt_wannier_from_arrays, the path of a Wannier90 file): nodes at high-symmetry
 * points, a node of charge 2, two nodes closer than one scan spacing, nodal lines,
 * independence of the scan grid, the energy window and band range, the per-pair
 * chirality sums, and symmetry orbits (src/bands/nodes.c); the Fermi pockets' chiralities
 * (Eq. 3) against the charges of the nodes they enclose (src/pockets/enclose.c).
 *
 * Every model is a two-band H(k) = d(k).sigma on the cubic lattice (a = 1 Angstrom),
 * whose nodes are the zeros of d; the chirality of a zero is the sign of det(dd/dk)
 * for a linear one (+1 for H = +k.sigma, the convention of Eq. 3) and the winding
 * number of (d1, d2) times the sign of dd3/dkz for the quadratic one. */
#include <complex.h>
#include <string.h>
#include "check.h"
#include "qkt.h"

/* ------------------------------------------------------------------ models from hoppings */
#define MAXR 64
typedef struct {
    int nw, nR;
    int iR[3 * MAXR];
    double complex H[MAXR * 16]; /* up to 4 orbitals */
} hop_t;

/* the entry of R (added when new) */
static double complex *hop_at(hop_t *h, int x, int y, int z)
{
    for (int r = 0; r < h->nR; r++)
        if (h->iR[3 * r] == x && h->iR[3 * r + 1] == y && h->iR[3 * r + 2] == z) return h->H + r * h->nw * h->nw;
    if (h->nR == MAXR) {
        printf("FAIL test model: more than %d lattice vectors\n", MAXR);
        exit(1);
    }
    int r = h->nR++;
    h->iR[3 * r] = x, h->iR[3 * r + 1] = y, h->iR[3 * r + 2] = z;
    memset(h->H + r * h->nw * h->nw, 0, sizeof(double complex) * h->nw * h->nw);
    return h->H + r * h->nw * h->nw;
}

/* c exp(i k.R) + conj(c) exp(-i k.R) times the Pauli matrix p (0: identity, 1-3: x, y, z)
 * on orbitals (o, o + 1) */
static void hop_add(hop_t *h, int o, int p, int x, int y, int z, double complex c)
{
    static const double complex P[4][2][2] = {{{1, 0}, {0, 1}}, {{0, 1}, {1, 0}}, {{0, -I}, {I, 0}}, {{1, 0}, {0, -1}}};
    int nw = h->nw;
    double complex *A = hop_at(h, x, y, z);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) A[(o + i) * nw + o + j] += c * P[p][i][j];
    A = hop_at(h, -x, -y, -z);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) A[(o + i) * nw + o + j] += conj(c) * P[p][i][j];
}
/* cos(k.R) and sin(k.R) terms, and constants (R = 0, c real: c/2 twice) */
static void add_cos(hop_t *h, int o, int p, int x, int y, int z, double a) { hop_add(h, o, p, x, y, z, a / 2); }
static void add_sin(hop_t *h, int o, int p, int x, int y, int z, double a) { hop_add(h, o, p, x, y, z, a / (2 * I)); }
static void add_const(hop_t *h, int o, int p, double a) { hop_add(h, o, p, 0, 0, 0, a / 2); }

static qkt_model_t *hop_model(const hop_t *h, const char *label)
{
    double avec[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    qkt_model_t *m = NULL;
    if (qkt_wannier_from_arrays(h->nw, h->nR, h->iR, NULL, h->H, NULL, avec, NULL, label, &m)) {
        printf("FAIL cannot build %s: %s\n", label, qkt_strerror());
        exit(1);
    }
    return m;
}

/* d = (sin kx, sin ky, sin kz) on orbitals (o, o + 1), shifted by e0: a zero at each of the 8
 * time-reversal-invariant momenta, chirality (-1)^(number of components equal to pi) */
static void sin_model(hop_t *h, int o, double e0)
{
    add_sin(h, o, 1, 1, 0, 0, 1);
    add_sin(h, o, 2, 0, 1, 0, 1);
    add_sin(h, o, 3, 0, 0, 1, 1);
    add_const(h, o, 0, e0);
}

/* d = (cos kx - cos ky, sin kx sin ky, 2 - cos kx - cos ky + cos kz - cos k0): zeros only at
 * (0, 0, +-k0) (d1 = d2 = 0 needs kx = +-ky and kx or ky in {0, pi}; at (pi, pi) d3 >= 2);
 * there d1 + i d2 = -(qx - i qy)^2 / 2 winds -2 and dd3/dqz = -+sin k0: chirality +2 at +k0,
 * -2 at -k0 */
static void double_model(hop_t *h, int o, double k0)
{
    add_cos(h, o, 1, 1, 0, 0, 1);
    add_cos(h, o, 1, 0, 1, 0, -1);
    /* sin kx sin ky = [cos(kx - ky) - cos(kx + ky)] / 2 */
    add_cos(h, o, 2, 1, -1, 0, 0.5);
    add_cos(h, o, 2, 1, 1, 0, -0.5);
    add_const(h, o, 3, 2 - cos(k0));
    add_cos(h, o, 3, 1, 0, 0, -1);
    add_cos(h, o, 3, 0, 1, 0, -1);
    add_cos(h, o, 3, 0, 0, 1, 1);
}

/* d = (sin kx, sin ky, 2 - cos kx - cos ky + cos kz - cos k0): zeros at (0, 0, +-k0) only,
 * chirality +1 at -k0 and -1 at +k0 (det(dd/dk) = -+sin k0) */
static void pair_model(hop_t *h, int o, double k0)
{
    add_sin(h, o, 1, 1, 0, 0, 1);
    add_sin(h, o, 2, 0, 1, 0, 1);
    add_const(h, o, 3, 2 - cos(k0));
    add_cos(h, o, 3, 1, 0, 0, -1);
    add_cos(h, o, 3, 0, 1, 0, -1);
    add_cos(h, o, 3, 0, 0, 1, 1);
}

/* d = (cos kx + cos ky - cos kz, 0, sin kz): zeros on the rings cos kx + cos ky = 1 (kz = 0)
 * and = -1 (kz = pi): nodal lines, no point nodes */
static void line_model(hop_t *h, int o)
{
    add_cos(h, o, 1, 1, 0, 0, 1);
    add_cos(h, o, 1, 0, 1, 0, 1);
    add_cos(h, o, 1, 0, 0, 1, -1);
    add_sin(h, o, 3, 0, 0, 1, 1);
}

/* ------------------------------------------------------------------ search helpers */
#define MAXN 64
typedef struct {
    qkt_node_t nd[MAXN];
    qkt_node_pair_t pr[4];
    int n, np;
} found_t;

static int search(const qkt_model_t *m, const qkt_node_opts_t *o, found_t *f, const char *label)
{
    qkt_status_t s = qkt_find_nodes_report(m, o, f->nd, MAXN, &f->n, f->pr, 4, &f->np);
    CHECK_OK(s == QKT_OK && f->n <= MAXN, "%s: search ran (%s), %d touchings", label, s ? qkt_strerror() : "ok", f->n);
    if (s || f->n > MAXN) f->n = 0;
    return f->n;
}

/* search with the default options at the given grid; label = "name, grid N" */
static void search_grid(const qkt_model_t *m, int grid, found_t *f, const char *name, char *label, size_t len)
{
    qkt_node_opts_t o;
    qkt_node_opts_default(&o);
    o.grid = grid;
    snprintf(label, len, "%s, grid %d", name, grid);
    search(m, &o, f, label);
}

/* search with one symmetry operation (R, anti); *norb, *mism: orbits and mismatches */
static void search_sym(const qkt_model_t *m, const double R[3][3], int anti, found_t *f, const char *label, int *norb,
                       int *mism)
{
    double Rs[1][3][3];
    int as[1] = {anti};
    memcpy(Rs[0], R, sizeof Rs[0]);
    qkt_node_opts_t o;
    qkt_node_opts_default(&o);
    o.nsym = 1;
    o.symR = (const double(*)[3][3])Rs;
    o.sym_anti = as;
    search(m, &o, f, label);
    *norb = *mism = 0;
    for (int i = 0; i < f->n; i++) *norb += f->nd[i].isolated && f->nd[i].orbit == i, *mism += f->nd[i].sym_mismatch;
}

/* reduced coordinates folded to [-0.5, 0.5): the cubic lattice with a = 1 has x = k / 2pi */
static double fold(double x)
{
    x -= floor(x + 0.5);
    return x;
}

/* the isolated node at reduced position x (to tol, modulo the lattice), or NULL */
static const qkt_node_t *node_at(const found_t *f, const double x[3], double tol)
{
    for (int i = 0; i < f->n; i++) {
        if (!f->nd[i].isolated) continue;
        double d = 0;
        for (int a = 0; a < 3; a++) {
            double dx = fold(f->nd[i].k[a] / (2 * M_PI) - x[a]);
            d += dx * dx;
        }
        if (sqrt(d) <= tol) return &f->nd[i];
    }
    return NULL;
}

static int count_isolated(const found_t *f)
{
    int c = 0;
    for (int i = 0; i < f->n; i++) c += f->nd[i].isolated;
    return c;
}

/* ------------------------------------------------------------------ pockets and nodes */
/* The seed below Eq. 3: a pocket's chirality (Eq. 3, the response engine's pocket flux)
 * equals the sum of the charges of the nodes its Fermi surface encloses
 * (qkt_pockets_enclosing). */
typedef struct {
    qkt_response_t r;
    qkt_node_enclosure_t e[MAXN];
    int npk;
} pk_run_t;

/* the pockets of m at mu, T (order 0) and the enclosures of f's nodes */
static int pocket_run(const qkt_model_t *m, double mu, double T, const found_t *f, pk_run_t *o, const char *label)
{
    qkt_params_t p;
    qkt_params_default(&p);
    p.mu = mu;
    p.T = T;
    p.order = 0;
    p.nu_mask = 1;
    p.al_mask = 0;
    p.reltol = 1e-4;
    o->npk = -1;
    qkt_status_t s = qkt_response_compute(m, &p, &o->r);
    if (!s) s = qkt_pockets_enclosing(m, &o->r.par, f->nd, f->n, o->e, &o->npk, NULL, 0);
    CHECK_OK(!s && o->npk == o->r.npocket, "%s: %d pockets, enclosures of %d nodes (%s)", label, o->npk, f->n,
             s ? qkt_strerror() : "ok");
    if (s) o->npk = 0;
    return o->npk;
}

/* the charge the nodes (all but node skip) contribute to pocket q, and their sides (*cnt) */
static int enclosed(const found_t *f, const pk_run_t *o, int q, int skip, int *cnt)
{
    int sum = 0;
    *cnt = 0;
    for (int i = 0; i < f->n; i++)
        for (int b = 0; b < 2; b++)
            if (i != skip && o->e[i].pocket[b] == q) sum += o->e[i].charge[b], (*cnt)++;
    return sum;
}

/* every pocket's chirality equals the charge it encloses, to tol; want[q]: the charge
 * expected of the pocket whose centre has the sign sgn(kz) = 2q - 1 (q = 0: kz < 0) */
static void check_pockets(const found_t *f, const pk_run_t *o, const int *want, int npk_want, double tol,
                          const char *label)
{
    CHECK_OK(o->npk == npk_want, "%s: %d pockets (want %d)", label, o->npk, npk_want);
    for (int q = 0; q < o->npk && o->npk == npk_want; q++) {
        int cnt, sum = enclosed(f, o, q, -1, &cnt);
        const qkt_pocket_info_t *pk = &o->r.pocket[q];
        int side = npk_want == 1 ? 0 : pk->center[2] > 0;
        CHECK_OK(sum == want[side] && fabs(pk->chirality - sum) <= tol,
                 "%s: pocket %d (centre kz %.3f): chirality %.6f +- %.2g, enclosed charge %d from %d node sides "
                 "(want %d, to %g)",
                 label, q, pk->center[2], pk->chirality, pk->chirality_err, sum, cnt, want[side], tol);
    }
}

static void test_pockets(void)
{
    printf("-- pockets and the nodes they enclose (the seed below Eq. 3)\n");
    const double tol = 0.01; /* |chirality - enclosed|: reltol 1e-4, thermal weight beyond the node ~e^-30 */
    hop_t h = {.nw = 2};
    pair_model(&h, 0, M_PI / 2);
    qkt_model_t *m = hop_model(&h, "node pair");
    found_t f;
    search(m, NULL, &f, "node pair k0 = pi/2");
    pk_run_t o;
    /* electron pockets (band 1 occupied at the node: +Q) and hole pockets (band 0 empty: -(-Q)) */
    if (pocket_run(m, 0.3, 0.01, &f, &o, "node pair, mu = 0.3")) {
        check_pockets(&f, &o, (int[]){1, -1}, 2, tol, "node pair, mu = 0.3 (electron pockets)");
        /* the power to fail: without the node at +k0 its pocket's sum is 0, not -1 */
        int skip = -1, cnt;
        for (int i = 0; i < f.n; i++)
            if (f.nd[i].k[2] > 0) skip = i;
        int q = skip >= 0 ? o.e[skip].pocket[1] : -1;
        int sum = q >= 0 ? enclosed(&f, &o, q, skip, &cnt) : 99;
        CHECK_OK(q >= 0 && fabs(o.r.pocket[q].chirality - sum) > 0.9,
                 "control: with the node at +k0 left out, its pocket's enclosed charge %d differs from its chirality "
                 "%.4f", sum, q >= 0 ? o.r.pocket[q].chirality : NAN);
        qkt_response_free(&o.r);
    }
    if (pocket_run(m, -0.3, 0.01, &f, &o, "node pair, mu = -0.3")) {
        check_pockets(&f, &o, (int[]){1, -1}, 2, tol, "node pair, mu = -0.3 (hole pockets)");
        qkt_response_free(&o.r);
    }
    /* nodes within 5 k_B T of mu: in the thermal shell, no integer check */
    if (pocket_run(m, 0.02, 0.01, &f, &o, "node pair, mu = 0.02, T = 0.01")) {
        int shell = 0;
        for (int i = 0; i < f.n; i++) shell += o.e[i].shell && o.e[i].charge[0] == 0 && o.e[i].charge[1] == 0;
        CHECK_OK(f.n == 2 && shell == 2, "node pair, mu = 0.02 (< 5 T from the nodes): both nodes in the thermal "
                                         "shell, no charge counted (%d of %d)", shell, f.n);
        qkt_response_free(&o.r);
    }
    qkt_model_free(m);

    /* one pocket around both nodes (chirality 0, two node sides of opposite charge), and two
     * pockets without nodes around the gapped minima of |d| = 0.045 at (pi, 0, pi), (0, pi, pi) */
    hop_t h2 = {.nw = 2};
    pair_model(&h2, 0, 0.3);
    m = hop_model(&h2, "node pair k0 = 0.3");
    search(m, NULL, &f, "node pair k0 = 0.3");
    if (pocket_run(m, 0.5, 0.01, &f, &o, "node pair k0 = 0.3, mu = 0.5")) {
        CHECK_OK(o.npk == 3, "node pair k0 = 0.3, mu = 0.5: 3 pockets (got %d)", o.npk);
        int with2 = 0, with0 = 0;
        for (int q = 0; q < o.npk; q++) {
            int cnt, sum = enclosed(&f, &o, q, -1, &cnt);
            with2 += cnt == 2, with0 += cnt == 0;
            CHECK_OK(sum == 0 && fabs(o.r.pocket[q].chirality) <= tol,
                     "node pair k0 = 0.3, mu = 0.5: pocket %d: chirality %.2g, enclosed charge %d from %d node sides",
                     q, o.r.pocket[q].chirality, sum, cnt);
        }
        CHECK_OK(with2 == 1 && with0 == 2, "node pair k0 = 0.3, mu = 0.5: one pocket encloses both nodes, two none "
                                           "(%d, %d)", with2, with0);
        qkt_response_free(&o.r);
    }
    qkt_model_free(m);

    /* charge +-2 (quadratic in the plane) */
    hop_t h3 = {.nw = 2};
    double_model(&h3, 0, M_PI / 2);
    m = hop_model(&h3, "double Weyl");
    search(m, NULL, &f, "double Weyl");
    if (pocket_run(m, 0.3, 0.01, &f, &o, "double Weyl, mu = 0.3")) {
        check_pockets(&f, &o, (int[]){-2, 2}, 2, tol, "double Weyl, mu = 0.3");
        qkt_response_free(&o.r);
    }
    qkt_model_free(m);
}

/* ------------------------------------------------------------------ cases */
/* Nodes at the 8 TRIM (the zone centre, faces, edges and corner: high-symmetry points
 * that fall on the scan grid and on its boundary), for three scan grids. */
static void test_trim(void)
{
    printf("-- d = (sin kx, sin ky, sin kz): nodes at the 8 time-reversal-invariant momenta\n");
    hop_t h = {.nw = 2};
    sin_model(&h, 0, 0);
    qkt_model_t *m = hop_model(&h, "sin model");
    int grids[3] = {16, 24, 33};
    for (int ig = 0; ig < 3; ig++) {
        found_t f;
        char label[96];
        search_grid(m, grids[ig], &f, "sin model", label, sizeof label);
        int all = 1, qsum = 0;
        for (int c = 0; c < 8; c++) {
            double x[3] = {0.5 * (c & 1), 0.5 * ((c >> 1) & 1), 0.5 * ((c >> 2) & 1)};
            int npi = (c & 1) + ((c >> 1) & 1) + ((c >> 2) & 1), want = npi % 2 ? -1 : 1;
            const qkt_node_t *q = node_at(&f, x, 1e-9);
            int ok = q && q->chirality == want && fabs(q->flux - want) < 1e-6;
            if (!ok)
                printf("     missing or wrong: (%g, %g, %g) want Q = %+d, got %s %d\n", x[0], x[1], x[2], want,
                       q ? "Q" : "no node", q ? q->chirality : 0);
            all &= ok;
            if (q) qsum += q->chirality;
        }
        CHECK_OK(all && count_isolated(&f) == 8,
                 "%s: the 8 TRIM nodes, each with Q = (-1)^(components at pi) (flux to 1e-6), position to 1e-9, "
                 "and nothing else (%d isolated)", label, count_isolated(&f));
        CHECK_OK(f.np == 1 && f.pr[0].searched && f.pr[0].chirality_sum == 0 && f.pr[0].nnode == 8 &&
                     !f.pr[0].nextended && f.pr[0].unresolved == 0,
                 "%s: pair report: 1 pair, 8 nodes, chirality sum 0 (got %d), no extended, none unresolved", label,
                 f.np ? f.pr[0].chirality_sum : -99);
    }
    /* symmetry: C4 about z, k -> (-ky, kx, kz), is a symmetry (d(Rk) = R d(k), a spin rotation):
     * orbits {G}, {Z}, {X, Y}, {(pi,0,pi), (0,pi,pi)}, {M}, {A}: 6 of the 8 nodes */
    {
        const double C4z[3][3] = {{0, -1, 0}, {1, 0, 0}, {0, 0, 1}};
        found_t f;
        int norb, mism;
        search_sym(m, C4z, 0, &f, "sin model with C4z", &norb, &mism);
        CHECK_OK(count_isolated(&f) == 8 && norb == 6 && mism == 0,
                 "sin model with C4z: 8 nodes in 6 orbits (got %d in %d), no symmetry mismatch (got %d)",
                 count_isolated(&f), norb, mism);
        const qkt_node_t *X = node_at(&f, (double[3]){0.5, 0, 0}, 1e-9), *Y = node_at(&f, (double[3]){0, 0.5, 0}, 1e-9);
        CHECK_OK(X && Y && X->orbit == Y->orbit && X->orbit == (int)((X < Y ? X : Y) - f.nd),
                 "sin model with C4z: X and Y in one orbit, numbered by its first member");
    }
    qkt_model_free(m);
}

/* A node of charge 2 with a quadratic gap in the plane: isolated only on a grown surface. */
static void test_double(void)
{
    printf("-- d = (cos kx - cos ky, sin kx sin ky, 2 - cos kx - cos ky + cos kz - cos k0): charge +-2\n");
    double k0 = M_PI / 2;
    hop_t h = {.nw = 2};
    double_model(&h, 0, k0);
    qkt_model_t *m = hop_model(&h, "double Weyl model");
    int grids[3] = {16, 24, 32};
    for (int ig = 0; ig < 3; ig++) {
        found_t f;
        char label[96];
        search_grid(m, grids[ig], &f, "double Weyl", label, sizeof label);
        const qkt_node_t *up = node_at(&f, (double[3]){0, 0, 0.25}, 1e-8), *dn = node_at(&f, (double[3]){0, 0, -0.25}, 1e-8);
        CHECK_OK(up && dn && count_isolated(&f) == 2 && f.n == 2,
                 "%s: two isolated nodes at (0, 0, +-pi/2) to 1e-8, nothing else (%d touchings)", label, f.n);
        if (up && dn) {
            CHECK_OK(up->chirality == 2 && dn->chirality == -2 && fabs(up->flux - 2) < 1e-4 && fabs(dn->flux + 2) < 1e-4,
                     "%s: chirality +2 at +k0, -2 at -k0 (winding -2 x sign dd3/dqz; flux %.8f, %.8f to 1e-4)", label,
                     up->flux, dn->flux);
            CHECK_OK(up->resolved && dn->resolved && up->max_phase < 1, "%s: resolved (largest plaquette phase %.3g)",
                     label, up->max_phase);
        }
        CHECK_OK(f.np == 1 && f.pr[0].chirality_sum == 0, "%s: pair chirality sum 0", label);
    }
    /* with a gap tolerance as large as a Wannier model's (tol 2e-4: 2 gap_tol = 3.7e-3 above the
     * in-plane gap q^2 = 6.9e-4 on the first surface, q = 0.1 spacing at grid 24), the gap opens
     * only on a grown surface (0.4 spacing: 1.1e-2) */
    {
        qkt_node_opts_t o;
        qkt_node_opts_default(&o);
        o.tol = 2e-4;
        found_t f;
        search(m, &o, &f, "double Weyl, tol 2e-4");
        const qkt_node_t *up = node_at(&f, (double[3]){0, 0, 0.25}, 1e-6);
        double h = 2 * M_PI / o.grid;
        CHECK_OK(up && up->isolated && up->chirality == 2 && up->radius > 0.15 * h && up->radius <= 0.4 * h * (1 + 1e-12),
                 "double Weyl, tol 2e-4: the +k0 node isolated on a grown surface (radius %.3g in (0.15, 0.4] "
                 "spacing %.3g), Q = +2", up ? up->radius : NAN, h);
    }
    /* symmetry operations, and ones the model does not have: the mirror z -> -z is one
     * (d even in kz; det = -1 maps +2 to -2); time reversal k -> -k is not (d is even in k:
     * the model is inversion symmetric, so -k carries the opposite charge) */
    {
        const double Mz[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, -1}}, E[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
        found_t f;
        int norb, mism;
        search_sym(m, Mz, 0, &f, "double Weyl with the mirror z", &norb, &mism);
        CHECK_OK(f.n == 2 && mism == 0 && norb == 1, "mirror z: both nodes in one orbit (%d orbits), no mismatch (%d)",
                 norb, mism);
        search_sym(m, E, 1, &f, "double Weyl with time reversal (not a symmetry)", &norb, &mism);
        CHECK_OK(f.n == 2 && mism == 2, "time reversal claimed: each node's image has the opposite charge, 2 "
                                        "mismatches (got %d)", mism);
    }
    qkt_model_free(m);
}

/* Two nodes 0.2 apart, closer than one scan spacing (2 pi / 24 = 0.26). */
static void test_close(void)
{
    printf("-- d = (sin kx, sin ky, 2 - cos kx - cos ky + cos kz - cos k0), k0 = 0.1: nodes 0.2 apart\n");
    double k0 = 0.1;
    hop_t h = {.nw = 2};
    pair_model(&h, 0, k0);
    qkt_model_t *m = hop_model(&h, "close pair model");
    int grids[2] = {16, 24};
    for (int ig = 0; ig < 2; ig++) {
        found_t f;
        char label[96];
        search_grid(m, grids[ig], &f, "close pair (spacing 2 pi / grid)", label, sizeof label);
        double x = k0 / (2 * M_PI);
        const qkt_node_t *up = node_at(&f, (double[3]){0, 0, x}, 1e-9), *dn = node_at(&f, (double[3]){0, 0, -x}, 1e-9);
        CHECK_OK(up && dn && f.n == 2 && up->chirality == -1 && dn->chirality == 1 && fabs(up->flux + 1) < 1e-6 &&
                     fabs(dn->flux - 1) < 1e-6,
                 "%s: both nodes, Q = -1 at +k0 and +1 at -k0 (det dd/dk = -+sin k0), flux to 1e-6", label);
    }
    qkt_model_free(m);
}

/* Nodal lines: extended, no chirality, no isolated node. */
static void test_lines(void)
{
    printf("-- d = (cos kx + cos ky - cos kz, 0, sin kz): two nodal rings\n");
    hop_t h = {.nw = 2};
    line_model(&h, 0);
    qkt_model_t *m = hop_model(&h, "nodal line model");
    found_t f;
    search(m, NULL, &f, "nodal rings");
    int next = 0, onring = 1;
    for (int i = 0; i < f.n; i++) {
        if (f.nd[i].isolated) continue;
        next++;
        double c = cos(f.nd[i].k[0]) + cos(f.nd[i].k[1]) - cos(f.nd[i].k[2]), sz = sin(f.nd[i].k[2]);
        onring &= fabs(c) < 1e-4 && fabs(sz) < 1e-4 && isnan(f.nd[i].flux) && f.nd[i].chirality == 0;
    }
    CHECK_OK(count_isolated(&f) == 0 && next == 1 && onring,
             "nodal rings: no isolated node (%d), one extended entry for the pair (%d) on a ring (|d| < 1e-4), no "
             "chirality", count_isolated(&f), next);
    CHECK_OK(f.np == 1 && f.pr[0].nextended == 1 && f.pr[0].nnode == 0, "nodal rings: pair report extended, 0 nodes");
    /* sample points of the rings: on them (|d| < 1e-4), on both (kz = 0 and pi), at least one
     * spacing apart; the ring at kz = 0 has circumference about 2 pi x 1.1, so several */
    int on = 1, n0 = 0, npi = 0, apart = 1;
    const qkt_node_pair_t *P = &f.pr[0];
    for (int i = 0; i < P->nline; i++) {
        const double *k = P->line_k[i];
        double c = cos(k[0]) + cos(k[1]) - cos(k[2]);
        on &= fabs(c) < 1e-4 && fabs(sin(k[2])) < 1e-4;
        n0 += cos(k[2]) > 0;
        npi += cos(k[2]) < 0;
        for (int j = 0; j < i; j++) {
            double d[3];
            for (int a = 0; a < 3; a++) d[a] = fold((k[a] - P->line_k[j][a]) / (2 * M_PI)) * 2 * M_PI;
            apart &= sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) > 2 * M_PI / 24 * (1 - 1e-9);
        }
    }
    CHECK_OK(P->nline >= 4 && P->nline == P->nline_total && on && n0 >= 2 && npi >= 2 && apart,
             "nodal rings: %d sample points, all on the rings, %d on kz = 0 and %d on kz = pi, more than one "
             "spacing apart", P->nline, n0, npi);
    qkt_model_free(m);
}

/* Energy window and band range on a 4-band model: the sin model at 0 and the double Weyl
 * model at +20 eV (orbitals 0-1 and 2-3, bands never overlap: |d| <= 4.5). */
static void test_window(void)
{
    printf("-- energy window and band range: sin model at 0, double Weyl at +20 eV\n");
    hop_t h = {.nw = 4};
    sin_model(&h, 0, 0);
    double_model(&h, 2, M_PI / 2);
    add_const(&h, 2, 0, 20);
    qkt_model_t *m = hop_model(&h, "two-block model");
    qkt_node_opts_t o;
    qkt_node_opts_default(&o);
    found_t f;
    search(m, &o, &f, "two blocks, whole spectrum");
    CHECK_OK(f.np == 3 && f.pr[0].searched && f.pr[1].searched && f.pr[2].searched && count_isolated(&f) == 10 &&
                 f.pr[0].nnode == 8 && f.pr[2].nnode == 2 && f.pr[1].nnode == 0,
             "whole spectrum: pairs (0,1), (1,2), (2,3) searched, nodes 8 + 0 + 2 (got %d)", count_isolated(&f));
    o.emin = 19;
    o.emax = 21;
    search(m, &o, &f, "window [19, 21] eV");
    CHECK_OK(f.np == 3 && !f.pr[0].searched && !f.pr[1].searched && f.pr[2].searched && f.n == 2 &&
                 f.nd[0].in_window && f.nd[1].in_window && f.nd[0].band == 2,
             "window [19, 21]: only pair (2,3) searched, its 2 nodes (at 20 eV) in the window");
    /* the pair's touching energies on the scan are [min eps_3, max eps_2] = [20, 20] widened by
     * the change of its energies over one spacing (about 0.5 eV here) */
    o.emin = 19.8;
    o.emax = 19.9;
    search(m, &o, &f, "window [19.8, 19.9] eV");
    CHECK_OK(f.pr[2].searched && !f.pr[0].searched && f.n == 2 && !f.nd[0].in_window && !f.nd[1].in_window &&
                 f.pr[2].chirality_sum == 0 && f.pr[2].nwindow == 0,
             "window [19.8, 19.9]: pair (2,3) may touch there and is searched whole: its 2 nodes at 20 eV found, "
             "outside the window, sum 0");
    o.emin = 25;
    o.emax = 26;
    search(m, &o, &f, "window [25, 26] eV");
    CHECK_OK(f.n == 0 && !f.pr[0].searched && !f.pr[1].searched && !f.pr[2].searched,
             "window [25, 26] (above every touching): no pair searched, no node");
    qkt_node_opts_default(&o);
    o.pair_min = o.pair_max = 0;
    search(m, &o, &f, "band range: pair (0,1) only");
    CHECK_OK(f.pr[0].searched && !f.pr[1].searched && !f.pr[2].searched && count_isolated(&f) == 8,
             "pair_min = pair_max = 0: only pair (0,1), its 8 nodes");
    o.pair_min = 2;
    o.pair_max = 1;
    qkt_status_t s = qkt_find_nodes(m, &o, f.nd, MAXN, &f.n);
    CHECK_OK(s == QKT_EINVAL && strstr(qkt_strerror(), "pair_min"), "pair_min > pair_max refused: %s", qkt_strerror());
    qkt_node_opts_default(&o);
    o.emin = 1;
    o.emax = 0;
    s = qkt_find_nodes(m, &o, f.nd, MAXN, &f.n);
    CHECK_OK(s == QKT_EINVAL && strstr(qkt_strerror(), "window"), "emin > emax refused: %s", qkt_strerror());
    qkt_model_free(m);
}

/* Trigonal Te (../shared/data/te, PBE with spin-orbit coupling, 18 Wannier functions): the
 * pair (11, 12) at the Fermi level (6.124 eV).  REFERENCE.txt: in the DFT bands a doubly
 * degenerate level at H and H' (6.1176 eV) straddles the Fermi level, a touching of charge -2
 * (Hirayama et al., PRL 114, 206401 (2015)); the interpolation splits it by 5e-5 eV (below the
 * search's gap tolerance, 9.4e-5 eV) into a cluster: three nodes of charge -1 about 0.0065/A
 * from H and a +1 node at its centre, total -2.  Further four +1 nodes at (+-1/3, +-1/3, +-0.467)
 * (reduced) near 6.173 eV.  Expected: 12 nodes, the clusters at H and H' each -2 (the DFT
 * charge), the pair's sum 0, and the same set (to 1e-3/A: the centre is the end of a descent
 * into a gap of 5e-5 eV, not an exact crossing) for the search grids 24 and 32. */
static void test_te(void)
{
    printf("-- Te: the pair (11, 12) at the Fermi level, search grids 24 and 32\n");
    char path[1024], wpath[1024];
    snprintf(path, sizeof path, "%s/data/te/Te_tb.dat.gz", check_shared_dir());
    snprintf(wpath, sizeof wpath, "%s/data/te/Te_wsvec.dat.gz", check_shared_dir());
    qkt_wannier_opts_t wo;
    qkt_wannier_opts_default(&wo);
    wo.path = path;
    wo.wsvec_path = wpath;
    qkt_model_t *m = NULL;
    if (qkt_wannier_load(&wo, &m)) {
        CHECK_OK(0, "Te model: %s", qkt_strerror());
        return;
    }
    static found_t f[2];
    int grids[2] = {24, 32};
    for (int ig = 0; ig < 2; ig++) {
        qkt_node_opts_t o;
        qkt_node_opts_default(&o);
        o.grid = grids[ig];
        o.tol = 1e-5; /* qkt info's automatic tolerance for Wannier models */
        o.pair_min = o.pair_max = 11;
        char label[64];
        snprintf(label, sizeof label, "Te pair (11, 12), grid %d", o.grid);
        search(m, &o, &f[ig], label);
        double H[2][3] = {{1.0 / 3, 1.0 / 3, 0.5}, {-1.0 / 3, -1.0 / 3, 0.5}}; /* H and H' (reduced) */
        int qH[2] = {0, 0}, nH[2] = {0, 0}, nplus = 0, qsum = 0, nres = 0;
        for (int i = 0; i < f[ig].n; i++) {
            const qkt_node_t *q = &f[ig].nd[i];
            if (!q->isolated) continue;
            qsum += q->chirality;
            nres += q->resolved;
            double x[3];
            for (int a = 0; a < 3; a++)
                x[a] = (q->k[0] * m->avec[a][0] + q->k[1] * m->avec[a][1] + q->k[2] * m->avec[a][2]) / (2 * M_PI);
            int near_h = -1;
            for (int h = 0; h < 2; h++) {
                double dk[3] = {fold(x[0] - H[h][0]), fold(x[1] - H[h][1]), fold(x[2] - H[h][2])}, kc[3];
                for (int a = 0; a < 3; a++) kc[a] = dk[0] * m->bvec[0][a] + dk[1] * m->bvec[1][a] + dk[2] * m->bvec[2][a];
                if (sqrt(kc[0] * kc[0] + kc[1] * kc[1] + kc[2] * kc[2]) < 0.01) near_h = h;
            }
            if (near_h >= 0) {
                qH[near_h] += q->chirality;
                nH[near_h]++;
            } else if (q->chirality == 1 && fabs(fabs(fold(x[0])) - 1.0 / 3) < 1e-3 && fabs(fabs(x[2]) - 0.467) < 2e-3) {
                nplus++;
            }
        }
        CHECK_OK(count_isolated(&f[ig]) == 12 && nres == 12 && qsum == 0,
                 "%s: 12 nodes, all resolved, chirality sum 0 (got %d nodes, %d resolved, sum %d)", label,
                 count_isolated(&f[ig]), nres, qsum);
        CHECK_OK(nH[0] == 4 && nH[1] == 4 && qH[0] == -2 && qH[1] == -2,
                 "%s: 4 nodes within 0.01/A of H and of H', charges -2 each (the DFT touching; got %d: %d, %d: %d)",
                 label, nH[0], qH[0], nH[1], qH[1]);
        CHECK_OK(nplus == 4, "%s: four +1 nodes at (+-1/3, +-1/3, +-0.467) (got %d)", label, nplus);
    }
    int same = f[0].n == f[1].n;
    for (int i = 0; i < f[0].n && same; i++) {
        int found = 0;
        for (int j = 0; j < f[1].n && !found; j++) {
            double d[3] = {f[0].nd[i].k[0] - f[1].nd[j].k[0], f[0].nd[i].k[1] - f[1].nd[j].k[1],
                           f[0].nd[i].k[2] - f[1].nd[j].k[2]};
            found = f[0].nd[i].chirality == f[1].nd[j].chirality && sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) < 1e-3;
        }
        same = found;
    }
    CHECK_OK(same, "Te pair (11, 12): the same nodes and chiralities at grids 24 and 32 (positions to 1e-3/A)");
    qkt_model_free(m);
}

int main(void)
{
    test_trim();
    test_double();
    test_close();
    test_lines();
    test_window();
    test_pockets();
    test_te();
    CHECK_DONE();
}
