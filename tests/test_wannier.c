/* test_wannier.c - Wannier90 tight-binding models: reading _hr.dat/_tb.dat
 * (plain and gzip) and _wsvec.dat, H(k) against postw90 geninterp, exact
 * derivatives against finite differences, Berry curvature against a
 * Berry-phase plaquette, malformed input, export/import round trips.
 * References: /work/shared/data/{si,fe}/REFERENCE.txt (named "REF si"/"REF fe"). */
#include <complex.h>
#include <ctype.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <lapacke.h>
#include <zlib.h>
#include "check.h"
#include "qkt.h"

/* CHECK that also reports success: every check prints what it compared. */
#define CHECKP(cond, ...)                                                        \
    do {                                                                         \
        int ok_ = (cond);                                                        \
        CHECK(ok_, __VA_ARGS__);                                                 \
        if (ok_) {                                                               \
            printf("ok   ");                                                     \
            printf(__VA_ARGS__);                                                 \
            printf("\n");                                                        \
        }                                                                        \
    } while (0)

#define MAXB 32
#define MAXK 8

static char shared[512];

static const char *dpath(const char *rel)
{
    static char buf[8][1024];
    static int slot = 0;
    slot = (slot + 1) % 8;
    snprintf(buf[slot], sizeof buf[slot], "%s/data/%s", shared, rel);
    return buf[slot];
}

/* ------------------------------------------------------------------ helpers */
typedef struct {
    int nk, nb;
    double k[MAXK][3];
    double E[MAXK][MAXB];
    double dE[MAXK][MAXB][3];
} genint_t;

/* postw90 geninterp output: "idx kx ky kz E dE/dkx dE/dky dE/dkz" per band. */
static int read_geninterp(const char *path, genint_t *g)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    memset(g, 0, sizeof *g);
    char line[512];
    int last = -1, nb = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        int idx;
        double v[7];
        if (sscanf(line, "%d %lf %lf %lf %lf %lf %lf %lf", &idx, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                   &v[6]) != 8)
            continue;
        if (idx != last) {
            if (g->nk == MAXK) break;
            g->nk++;
            nb = 0;
            last = idx;
        }
        int ik = g->nk - 1;
        if (nb >= MAXB) continue;
        for (int a = 0; a < 3; a++) g->k[ik][a] = v[a];
        g->E[ik][nb] = v[3];
        for (int a = 0; a < 3; a++) g->dE[ik][nb][a] = v[4 + a];
        nb++;
        g->nb = nb;
    }
    fclose(f);
    return g->nk;
}

/* geninterp .kpt: fractional coordinates (after "frac" and the count). */
static int read_kpt(const char *path, double u[MAXK][3])
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, f) && n < MAXK) {
        int idx;
        double a, b, c;
        if (sscanf(line, "%d %lf %lf %lf", &idx, &a, &b, &c) == 4) {
            u[n][0] = a;
            u[n][1] = b;
            u[n][2] = c;
            n++;
        }
    }
    fclose(f);
    return n;
}

/* mp_grid from a Wannier90 .win file ("mp_grid = 4 4 4"). */
static int read_mp_grid(const char *path, int g[3])
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[512];
    int ok = -1;
    while (fgets(line, sizeof line, f)) {
        char low[512];
        size_t i = 0;
        for (; line[i] && i < sizeof low - 1; i++) low[i] = (char)tolower((unsigned char)line[i]);
        low[i] = 0;
        char *p = strstr(low, "mp_grid");
        if (!p || (strchr(low, 0x21) && strchr(low, 0x21) < p)) continue;
        p += 7;
        while (*p == ' ' || *p == '=' || *p == ':' || *p == '\t') p++;
        if (sscanf(p, "%d %d %d", &g[0], &g[1], &g[2]) == 3) {
            ok = 0;
            break;
        }
    }
    fclose(f);
    return ok;
}

static void frac_to_cart(const qkt_model_t *m, const double u[3], double k[3])
{
    for (int a = 0; a < 3; a++) k[a] = u[0] * m->bvec[0][a] + u[1] * m->bvec[1][a] + u[2] * m->bvec[2][a];
}

static unsigned long long rng_state = 0x2545F4914F6CDD1Dull;
static double urand(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static void random_k(const qkt_model_t *m, double k[3])
{
    double u[3] = {urand() - 0.5, urand() - 0.5, urand() - 0.5};
    frac_to_cart(m, u, k);
}

static qkt_model_t *load(const char *path, const char *wsvec, const double (*avec)[3], int use_pos,
                         qkt_status_t *st)
{
    qkt_wannier_opts_t o;
    qkt_wannier_opts_default(&o);
    o.path = path;
    o.wsvec_path = wsvec;
    o.use_position = use_pos;
    if (avec) {
        memcpy(o.avec, avec, sizeof o.avec);
        o.have_avec = 1;
    }
    qkt_model_t *m = NULL;
    qkt_status_t s = qkt_wannier_load(&o, &m);
    if (st) *st = s;
    if (s) printf("     load %s: %s\n", path, qkt_strerror());
    return m;
}

/* max |H - H^dagger| over the 10 matrices of order 2 at k. */
static double herm_dev(const qkt_model_t *m, const double k[3], double complex *buf)
{
    int nb = m->nb;
    if (qkt_model_hk(m, k, 2, buf)) return INFINITY;
    double d = 0;
    for (int c = 0; c < 10; c++)
        for (int i = 0; i < nb; i++)
            for (int j = 0; j < nb; j++) {
                double x = cabs(buf[c * nb * nb + i * nb + j] - conj(buf[c * nb * nb + j * nb + i]));
                if (x > d) d = x;
            }
    return d;
}

/* ------------------------------------------------------------------ geninterp */
/* Max |E - E_geninterp| over all k and bands; velocities (diag U^dag dH U)
 * against dE/dk for bands separated by more than vgap from their neighbours. */
static void compare_geninterp(const qkt_model_t *m, const genint_t *g, const double u[MAXK][3],
                              double *maxE, double *maxV, double *maxK, double vgap, int *nv)
{
    *nv = 0;
    qkt_bands_t *b = qkt_bands_alloc(m->nb);
    *maxE = *maxV = *maxK = 0;
    for (int ik = 0; ik < g->nk; ik++) {
        double k[3];
        frac_to_cart(m, u[ik], k);
        for (int a = 0; a < 3; a++) *maxK = fmax(*maxK, fabs(k[a] - g->k[ik][a]));
        /* use the Cartesian k printed by postw90 (to 1e-9) */
        if (qkt_bands_compute(b, m, g->k[ik], QKT_BANDS_GEOMETRY)) {
            *maxE = INFINITY;
            break;
        }
        for (int n = 0; n < m->nb; n++) {
            *maxE = fmax(*maxE, fabs(b->eps[n] - g->E[ik][n]));
            double gap = INFINITY;
            if (n > 0) gap = fmin(gap, b->eps[n] - b->eps[n - 1]);
            if (n < m->nb - 1) gap = fmin(gap, b->eps[n + 1] - b->eps[n]);
            if (gap < vgap) continue;
            (*nv)++;
            for (int a = 0; a < 3; a++) {
                double d = fabs(creal(b->v[a][n * m->nb + n]) - g->dE[ik][n][a]);
                *maxV = fmax(*maxV, d);
            }
        }
    }
    qkt_bands_free(b);
}

static void test_geninterp(const char *what, const qkt_model_t *m, const char *dat, const char *kpt,
                           double tolE, double tolV, const char *src)
{
    genint_t g;
    double u[MAXK][3];
    int nk = read_geninterp(dat, &g), nu = read_kpt(kpt, u);
    CHECKP(nk == 8 && nu == 8 && g.nb == m->nb, "%s: read %s (%d k, %d bands) and %s (%d k)", what, dat, nk,
          g.nb, kpt, nu);
    if (nk != 8 || nu != 8 || g.nb != m->nb) return;
    double maxE, maxV, maxK;
    int nv;
    /* velocities: a rounding error dH of the file moves v_nn by ~ |dH| |v_nm| / gap,
     * so compare bands separated by more than 0.05 eV from their neighbours */
    compare_geninterp(m, &g, u, &maxE, &maxV, &maxK, 0.05, &nv);
    char lab[256];
    snprintf(lab, sizeof lab, "%s: k(frac) . b_i vs geninterp Cartesian k, max |dk| (1/Ang; printed to 1e-9)", what);
    CHECK_ABS(maxK, 0, 2e-9, lab);
    snprintf(lab, sizeof lab, "%s: max |E - E_geninterp| over 8 k x %d bands, eV (%s)", what, m->nb, src);
    CHECK_ABS(maxE, 0, tolE, lab);
    snprintf(lab, sizeof lab,
             "%s: max |v_nn - dE/dk_geninterp| (eV Ang) of %d (k, band) with gap > 0.05 eV (file precision)",
             what, nv);
    CHECK_ABS(maxV, 0, tolV, lab);
}

/* ------------------------------------------------------------------ derivatives */
/* Exact dH, d2H, d eps, and dA^W against 4th-order central differences. */
static void test_derivatives(const char *what, const qkt_model_t *m, const double k[3])
{
    int nb = m->nb, n2 = nb * nb;
    double complex *H0 = malloc(sizeof(double complex) * 10 * n2);
    double complex *Hp = malloc(sizeof(double complex) * 10 * n2);
    double complex *Hm = malloc(sizeof(double complex) * 10 * n2);
    double complex *Hp2 = malloc(sizeof(double complex) * 10 * n2);
    double complex *Hm2 = malloc(sizeof(double complex) * 10 * n2);
    const double h = 5e-4; /* 1/Ang */
    qkt_model_hk(m, k, 2, H0);
    double e1 = 0, s1 = 0, e2 = 0, s2 = 0;
    for (int a = 0; a < 3; a++) {
        double kp[3], km[3], kp2[3], km2[3];
        memcpy(kp, k, sizeof kp);
        memcpy(km, k, sizeof km);
        memcpy(kp2, k, sizeof kp);
        memcpy(km2, k, sizeof km);
        kp[a] += h;
        km[a] -= h;
        kp2[a] += 2 * h;
        km2[a] -= 2 * h;
        qkt_model_hk(m, kp, 1, Hp);
        qkt_model_hk(m, km, 1, Hm);
        qkt_model_hk(m, kp2, 1, Hp2);
        qkt_model_hk(m, km2, 1, Hm2);
        for (int e = 0; e < n2; e++) {
            double complex fd = (8 * (Hp[e] - Hm[e]) - (Hp2[e] - Hm2[e])) / (12 * h);
            e1 = fmax(e1, cabs(fd - H0[(1 + a) * n2 + e]));
            s1 = fmax(s1, cabs(H0[(1 + a) * n2 + e]));
            /* second derivative d_b d_a H from the first derivatives d_b H */
            for (int b = 0; b < 3; b++) {
                double complex fd2 =
                    (8 * (Hp[(1 + b) * n2 + e] - Hm[(1 + b) * n2 + e]) - (Hp2[(1 + b) * n2 + e] - Hm2[(1 + b) * n2 + e])) /
                    (12 * h);
                double complex ex = H0[(4 + qkt_pair_index(a, b)) * n2 + e];
                e2 = fmax(e2, cabs(fd2 - ex));
                s2 = fmax(s2, cabs(ex));
            }
        }
    }
    char lab[256];
    snprintf(lab, sizeof lab, "%s: dH/dk exact vs 4th-order central FD (h = 5e-4/Ang), max |diff|/max|dH|", what);
    CHECK_ABS(e1 / s1, 0, 1e-7, lab);
    snprintf(lab, sizeof lab, "%s: d2H/dk_a dk_b (QKT_XX.. order) vs FD of dH, max |diff|/max|d2H|", what);
    CHECK_ABS(e2 / s2, 0, 1e-7, lab);

    /* eigenvalue derivatives: v_nn = d eps_n/dk for non-degenerate bands */
    qkt_bands_t *b0 = qkt_bands_alloc(nb), *b1 = qkt_bands_alloc(nb);
    qkt_bands_compute(b0, m, k, QKT_BANDS_GEOMETRY);
    double ee = 0, es = 0;
    for (int a = 0; a < 3; a++) {
        double ep[4][MAXB * 4];
        const double off[4] = {h, -h, 2 * h, -2 * h};
        for (int s = 0; s < 4; s++) {
            double kk[3];
            memcpy(kk, k, sizeof kk);
            kk[a] += off[s];
            qkt_bands_compute(b1, m, kk, QKT_BANDS_ENERGY);
            memcpy(ep[s], b1->eps, sizeof(double) * nb);
        }
        for (int n = 0; n < nb; n++) {
            double gap = INFINITY;
            if (n > 0) gap = fmin(gap, b0->eps[n] - b0->eps[n - 1]);
            if (n < nb - 1) gap = fmin(gap, b0->eps[n + 1] - b0->eps[n]);
            if (gap < 1e-2) continue;
            double fd = (8 * (ep[0][n] - ep[1][n]) - (ep[2][n] - ep[3][n])) / (12 * h);
            ee = fmax(ee, fabs(fd - creal(b0->v[a][n * nb + n])));
            es = fmax(es, fabs(creal(b0->v[a][n * nb + n])));
        }
    }
    snprintf(lab, sizeof lab, "%s: v_nn = <n|dH|n> vs FD of eps_n (gap > 1e-2), max |diff|/max|v|", what);
    CHECK_ABS(ee / fmax(es, 1e-300), 0, 1e-6, lab);

    /* position matrix A^W(k) and its derivatives */
    if (m->awk) {
        double complex *A0 = malloc(sizeof(double complex) * 12 * n2), *A1 = malloc(sizeof(double complex) * 12 * n2),
                       *A2 = malloc(sizeof(double complex) * 12 * n2), *A3 = malloc(sizeof(double complex) * 12 * n2),
                       *A4 = malloc(sizeof(double complex) * 12 * n2);
        m->awk(m, k, 1, A0);
        double ea = 0, sa = 0, ha = 0;
        for (int c = 0; c < 3; c++) /* hermitized by default */
            for (int i = 0; i < nb; i++)
                for (int j = 0; j < nb; j++)
                    ha = fmax(ha, cabs(A0[c * n2 + i * nb + j] - conj(A0[c * n2 + j * nb + i])));
        for (int bdir = 0; bdir < 3; bdir++) {
            double kk[4][3];
            const double off[4] = {h, -h, 2 * h, -2 * h};
            for (int s = 0; s < 4; s++) {
                memcpy(kk[s], k, sizeof kk[s]);
                kk[s][bdir] += off[s];
            }
            m->awk(m, kk[0], 0, A1);
            m->awk(m, kk[1], 0, A2);
            m->awk(m, kk[2], 0, A3);
            m->awk(m, kk[3], 0, A4);
            for (int a = 0; a < 3; a++)
                for (int e = 0; e < n2; e++) {
                    double complex fd = (8 * (A1[a * n2 + e] - A2[a * n2 + e]) - (A3[a * n2 + e] - A4[a * n2 + e])) / (12 * h);
                    double complex ex = A0[(3 + 3 * a + bdir) * n2 + e];
                    ea = fmax(ea, cabs(fd - ex));
                    sa = fmax(sa, cabs(ex));
                }
        }
        snprintf(lab, sizeof lab, "%s: d_b A^W_a exact vs FD, max |diff|/max|dA|", what);
        CHECK_ABS(ea / sa, 0, 1e-7, lab);
        snprintf(lab, sizeof lab, "%s: A^W(k) Hermitian (hermitize_position = 1), max |A - A^dag| (Ang)", what);
        CHECK_ABS(ha, 0, 1e-12, lab);
        free(A0);
        free(A1);
        free(A2);
        free(A3);
        free(A4);
    }
    qkt_bands_free(b0);
    qkt_bands_free(b1);
    free(H0);
    free(Hp);
    free(Hm);
    free(Hp2);
    free(Hm2);
}

/* Berry curvature of band n from qkt_bands_compute against the Berry phase
 * of a small square loop (gauge-invariant product of link overlaps,
 * Fukui-Hatsugai-Suzuki), Richardson-extrapolated in the loop size. */
/* link matrix of the Wannier-gauge basis from k to k + dk: exp(-i dk.A^W(k + dk/2))
 * (identity for a model without position matrix) */
static void wlink(const qkt_model_t *m, const double k[3], const double dk[3], double complex *Lk)
{
    int nb = m->nb;
    for (int i = 0; i < nb * nb; i++) Lk[i] = (i % (nb + 1)) == 0;
    if (!m->awk) return;
    double complex A[3 * MAXB * MAXB], X[MAXB * MAXB];
    double km[3] = {k[0] + dk[0] / 2, k[1] + dk[1] / 2, k[2] + dk[2] / 2}, lam[MAXB];
    m->awk(m, km, 0, A);
    for (int i = 0; i < nb * nb; i++) X[i] = dk[0] * A[i] + dk[1] * A[nb * nb + i] + dk[2] * A[2 * nb * nb + i];
    LAPACKE_zheev(LAPACK_ROW_MAJOR, 'V', 'U', nb, X, nb, lam);
    for (int i = 0; i < nb; i++)
        for (int j = 0; j < nb; j++) {
            double complex s = 0;
            for (int l = 0; l < nb; l++) s += X[i * nb + l] * cexp(-I * lam[l]) * conj(X[j * nb + l]);
            Lk[i * nb + j] = s;
        }
}

/* Berry curvature of band n from the Berry phase around a small square in the
 * (a, b) plane, with the Wannier-gauge links of the position matrix */
static double plaquette(const qkt_model_t *m, qkt_bands_t *b, const double k[3], int n, int c, double h)
{
    int nb = m->nb, a = (c + 1) % 3, bb = (c + 2) % 3;
    double complex u[4][MAXB], Lk[MAXB * MAXB];
    double kc[4][3];
    const double sa[4] = {-0.5, 0.5, 0.5, -0.5}, sb[4] = {-0.5, -0.5, 0.5, 0.5}; /* counter-clockwise in (a, b) */
    for (int i = 0; i < 4; i++) {
        memcpy(kc[i], k, sizeof kc[i]);
        kc[i][a] += sa[i] * h;
        kc[i][bb] += sb[i] * h;
        qkt_bands_compute(b, m, kc[i], QKT_BANDS_ENERGY);
        for (int o = 0; o < nb; o++) u[i][o] = b->U[o * nb + n];
    }
    double complex prod = 1;
    for (int i = 0; i < 4; i++) {
        int j = (i + 1) % 4;
        double dk[3] = {kc[j][0] - kc[i][0], kc[j][1] - kc[i][1], kc[j][2] - kc[i][2]};
        wlink(m, kc[i], dk, Lk);
        double complex ov = 0;
        for (int o = 0; o < nb; o++)
            for (int p = 0; p < nb; p++) ov += conj(u[i][o]) * Lk[o * nb + p] * u[j][p];
        prod *= ov;
    }
    /* <u(k)|u(k + dk)> = 1 - i A.dk: the loop phase is -Berry phase */
    return -carg(prod) / (h * h);
}

static void test_berry(const qkt_model_t *m)
{
    int nb = m->nb;
    qkt_bands_t *b = qkt_bands_alloc(nb), *w = qkt_bands_alloc(nb);
    double u[3] = {0.1, 0.2, 0.3}, k[3];
    frac_to_cart(m, u, k);
    qkt_bands_compute(b, m, k, QKT_BANDS_GEOMETRY);
    /* the band with the largest separation from its neighbours among those with |Omega| large enough */
    int best = -1;
    double bestgap = 0;
    for (int n = 0; n < nb; n++) {
        double gap = INFINITY;
        if (n > 0) gap = fmin(gap, b->eps[n] - b->eps[n - 1]);
        if (n < nb - 1) gap = fmin(gap, b->eps[n + 1] - b->eps[n]);
        double om = fabs(b->Omega[2 * nb + n]);
        if (om > 0.1 && gap > bestgap) {
            bestgap = gap;
            best = n;
        }
    }
    CHECKP(best >= 0, "Fe: no band with |Omega_z| > 0.1 Ang^2 at k = (0.1, 0.2, 0.3)");
    if (best < 0) goto done;
    printf("     Fe band %d at k_frac = (0.1, 0.2, 0.3): eps = %.6f eV, gap to neighbours %.4f eV\n", best + 1,
           b->eps[best], bestgap);
    for (int c = 0; c < 3; c++) {
        double h = 2e-3;
        double o1 = plaquette(m, w, k, best, c, h), o2 = plaquette(m, w, k, best, c, h / 2);
        double ext = (4 * o2 - o1) / 3;
        char lab[200];
        snprintf(lab, sizeof lab,
                 "Fe band %d: Omega_%c (Ang^2, %s) from exact dH%s vs Berry-phase plaquette (h = 2e-3, 1e-3 /Ang, "
                 "Richardson)",
                 best + 1, "xyz"[c], m->awk ? "with position matrix" : "tight-binding",
                 m->awk ? " and A^W" : "");
        CHECK_ABS(b->Omega[c * nb + best], ext, 1e-5 * (1 + fabs(ext)), lab);
    }
done:
    qkt_bands_free(b);
    qkt_bands_free(w);
}

/* ------------------------------------------------------------------ ws_distance */
/* BoltzWann DOS (fixed Gaussian smearing 0.03 eV, 40^3 Gamma-centred mesh,
 * spin factor 2: REF si) of a model, compared with a Si_boltzdos.dat. */
static double dos_dev(const qkt_model_t *m, const char *ref, double *dosmax)
{
    FILE *f = fopen(ref, "r");
    if (!f) return INFINITY;
    static double E[4096], D[4096], mine[4096];
    int n = 0;
    char line[256];
    while (fgets(line, sizeof line, f) && n < 4096)
        if (line[0] != '#' && sscanf(line, "%lf %lf", &E[n], &D[n]) == 2) n++;
    fclose(f);
    if (n < 10) return INFINITY;
    memset(mine, 0, sizeof(double) * n);
    const int N = 40;
    const double sig = 0.03, de = E[1] - E[0];
    qkt_bands_t *b = qkt_bands_alloc(m->nb);
    for (int i = 0; i < N * N * N; i++) {
        double u[3] = {(double)(i / (N * N)) / N, (double)(i / N % N) / N, (double)(i % N) / N}, k[3];
        frac_to_cart(m, u, k);
        qkt_bands_compute(b, m, k, QKT_BANDS_ENERGY);
        for (int nn = 0; nn < m->nb; nn++) {
            int j0 = (int)((b->eps[nn] - 5 * sig - E[0]) / de), j1 = (int)((b->eps[nn] + 5 * sig - E[0]) / de) + 1;
            for (int j = j0 < 0 ? 0 : j0; j <= j1 && j < n; j++) {
                double x = (E[j] - b->eps[nn]) / sig;
                mine[j] += 2.0 * exp(-x * x) / (sqrt(M_PI) * sig) / (N * N * N);
            }
        }
    }
    qkt_bands_free(b);
    double dev = 0;
    *dosmax = 0;
    for (int j = 0; j < n; j++) {
        dev = fmax(dev, fabs(mine[j] - D[j]));
        *dosmax = fmax(*dosmax, D[j]);
    }
    return dev;
}

/* Control for the (m, n) order of the wsvec blocks "R1 R2 R3 m n": the same
 * file with m and n exchanged must miss the ws=true DOS. */
static void test_wsvec_swapped(const qkt_model_t *si_tb)
{
    char path[] = "/tmp/qkt_test_wsvec_XXXXXX";
    int fd = mkstemp(path);
    FILE *in = fopen(dpath("si/ws_distance_true/Si_wsvec.dat"), "r"), *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!in || !out) {
        CHECKP(0, "cannot write a swapped wsvec file");
        if (in) fclose(in);
        if (out) fclose(out);
        return;
    }
    char line[256];
    while (fgets(line, sizeof line, in)) {
        int v[5];
        if (line[0] != '#' && sscanf(line, "%d %d %d %d %d", &v[0], &v[1], &v[2], &v[3], &v[4]) == 5)
            fprintf(out, "%5d%5d%5d%5d%5d\n", v[0], v[1], v[2], v[4], v[3]);
        else
            fputs(line, out);
    }
    fclose(in);
    fclose(out);
    qkt_status_t s;
    qkt_model_t *m = load(dpath("si/Si_tb.dat"), path, NULL, 0, &s);
    if (m) {
        double mx, d = dos_dev(m, dpath("si/ws_distance_true/Si_boltzdos.dat"), &mx);
        CHECKP(d / mx > 1e-2,
              "control: wsvec read with m and n exchanged misses the ws=true DOS (max |diff|/max = %.3g > 1e-2)", d / mx);
    }
    (void)si_tb;
    qkt_model_free(m);
    remove(path);
}

/* ------------------------------------------------------------------ malformed input */
static char **read_lines(const char *path, int *n)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    int cap = 1024;
    char **L = malloc(sizeof(char *) * cap);
    char buf[1024];
    *n = 0;
    while (fgets(buf, sizeof buf, f)) {
        if (*n == cap) {
            cap *= 2;
            L = realloc(L, sizeof(char *) * cap);
        }
        L[(*n)++] = strdup(buf);
    }
    fclose(f);
    return L;
}

/* Write lines 1..upto (all if upto <= 0) with line `at` (1-based) replaced
 * by repl (NULL: deleted). */
static const char *variant(const char *dir, const char *name, char **L, int n, int upto, int at,
                           const char *repl)
{
    static char path[8][1200];
    static int slot = 0;
    slot = (slot + 1) % 8;
    snprintf(path[slot], sizeof path[slot], "%s/%s", dir, name);
    FILE *f = fopen(path[slot], "w");
    for (int i = 0; i < n && (upto <= 0 || i < upto); i++) {
        if (i + 1 == at) {
            if (repl) fputs(repl, f);
            continue;
        }
        fputs(L[i], f);
    }
    fclose(f);
    return path[slot];
}

static void expect_fail(const char *path, const char *wsvec, const double (*avec)[3], size_t max_bytes,
                        qkt_status_t want, const char *must, const char *what)
{
    qkt_wannier_opts_t o;
    qkt_wannier_opts_default(&o);
    o.path = path;
    o.wsvec_path = wsvec;
    if (avec) {
        memcpy(o.avec, avec, sizeof o.avec);
        o.have_avec = 1;
    }
    if (max_bytes) o.max_bytes = max_bytes;
    qkt_model_t *m = NULL;
    qkt_clear_error();
    qkt_status_t s = qkt_wannier_load(&o, &m);
    const char *msg = qkt_strerror();
    int ok = s == want && m == NULL && strstr(msg, must) != NULL;
    printf("%s %s: status %d (%s), want %d; message \"%s\" must contain \"%s\"\n", ok ? "ok  " : "FAIL", what,
           (int)s, qkt_status_name(s), (int)want, msg, must);
    check_count++;
    if (!ok) check_failures++;
    qkt_model_free(m);
}

/* expect_fail in a child process killed after BOUND_S seconds: a reader that
 * blocks (a FIFO without a writer) or never ends (/dev/zero) fails the check
 * instead of hanging the test; prints the time the refusal took. */
#define BOUND_S 20
static void expect_fail_bounded(const char *path, const char *wsvec, const double (*avec)[3], qkt_status_t want,
                                const char *must, const char *what)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(BOUND_S);
        expect_fail(path, wsvec, avec, 0, want, must, what);
        fflush(stdout);
        exit(check_failures ? 1 : 0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    check_count++;
    if (WIFSIGNALED(st)) {
        printf("FAIL %s: no answer in %d s (signal %d): the reader blocks or never ends\n", what, BOUND_S,
               WTERMSIG(st));
        check_failures++;
    } else if (WEXITSTATUS(st) != 0) {
        check_failures++;
    } else {
        printf("     %s: refused in %.3f s\n", what, dt);
    }
}

/* Copy of the lines L with line `at` (1-based) written as its text, a NUL
 * byte and "x" before its newline. */
static const char *with_nul(const char *dir, const char *name, char **L, int n, int at)
{
    static char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < n && f; i++) {
        size_t len = strlen(L[i]);
        if (i + 1 == at && len > 0 && L[i][len - 1] == '\n') {
            fwrite(L[i], 1, len - 1, f);
            fwrite("\0x\n", 1, 3, f);
        } else {
            fputs(L[i], f);
        }
    }
    if (f) fclose(f);
    return path;
}

/* Copy of the lines L followed by nblank empty lines (gz: gzip-compressed). */
static const char *with_blanks(const char *dir, const char *name, char **L, int n, size_t nblank, int gz)
{
    static char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *nl = malloc(1 << 16);
    memset(nl, '\n', 1 << 16);
    gzFile f = gzopen(path, gz ? "wb9" : "wT");
    for (int i = 0; i < n && f; i++) gzputs(f, L[i]);
    for (size_t k = 0; k < nblank && f; k += 1 << 16)
        gzwrite(f, nl, (unsigned)(nblank - k < (1 << 16) ? nblank - k : (1 << 16)));
    if (f) gzclose(f);
    free(nl);
    return path;
}

/* Reading is bounded (issue 20, row 4): only regular files are read (a
 * device or FIFO is refused at once, never waited on), a NUL byte is an
 * error naming file and line, and the bytes of a file are bounded by what
 * its header announces (blank lines without end are refused). */
static void test_read_bounds(const double (*avec)[3], const char *dir, char **L, int n, char **W, int nws)
{
    expect_fail_bounded("/dev/zero", NULL, avec, QKT_EIO, "/dev/zero: is a character device", "/dev/zero refused");
    char fifo[1200];
    snprintf(fifo, sizeof fifo, "%s/fifo_hr.dat", dir);
    if (mkfifo(fifo, 0600) != 0) {
        CHECKP(0, "mkfifo %s", fifo);
    } else {
        expect_fail_bounded(fifo, NULL, avec, QKT_EIO, "fifo_hr.dat: is a FIFO", "FIFO without a writer refused");
        expect_fail_bounded(dpath("si/Si_hr.dat"), fifo, avec, QKT_EIO, "fifo_hr.dat: is a FIFO",
                            "FIFO as the wsvec file refused");
    }
    expect_fail_bounded(dir, NULL, avec, QKT_EIO, "is a directory", "directory refused");
    {
        /* a file of NUL bytes (a sparse or zeroed file) */
        char fn[1200];
        snprintf(fn, sizeof fn, "%s/zeros_hr.dat", dir);
        FILE *f = fopen(fn, "wb");
        static const char z[1 << 16];
        for (int i = 0; i < 16 && f; i++) fwrite(z, 1, sizeof z, f);
        if (f) fclose(f);
        expect_fail_bounded(fn, NULL, avec, QKT_EFORMAT, "zeros_hr.dat:1: NUL byte at column 1", "1 MiB of NUL bytes");
    }
    expect_fail(with_nul(dir, "nul_hr.dat", L, n, 21), NULL, avec, 0, QKT_EFORMAT, "nul_hr.dat:21: NUL byte at column",
                "NUL byte at the end of a data line (the rest of the line was ignored)");
    expect_fail(dpath("si/Si_hr.dat"), with_nul(dir, "nul_wsvec.dat", W, nws, 3), avec, 0, QKT_EFORMAT,
                "nul_wsvec.dat:3: NUL byte", "NUL byte in a wsvec line");
    expect_fail(with_blanks(dir, "blank_head_hr.dat", L, 1, 2 << 20, 0), NULL, avec, 0, QKT_EFORMAT,
                "more than 1048576 bytes before the header's counts", "2 MiB of blank lines after the header line");
    expect_fail(with_blanks(dir, "blank_tail_hr.dat", L, n, 8 << 20, 0), NULL, avec, 0, QKT_EFORMAT,
                "bytes for num_wann = 8, nrpts = 93", "8 MiB of blank lines after the data (was read to the end, exit 0)");
    expect_fail(with_blanks(dir, "blank_tail_hr.dat.gz", L, n, 64 << 20, 1), NULL, avec, 0, QKT_EFORMAT,
                "bytes for num_wann = 8, nrpts = 93", "gzip: 64 MiB of blank lines in 64 kB (decompressed bytes count)");
    expect_fail(dpath("si/Si_hr.dat"), with_blanks(dir, "blank_wsvec.dat", W, nws, 16 << 20, 0), avec, 0, QKT_EFORMAT,
                "blank_wsvec.dat:", "16 MiB of blank lines after the wsvec entries");
    {
        /* a line no Wannier90 file has */
        char *longl = malloc(5000);
        memset(longl, ' ', 4998);
        memcpy(longl + 4990, "1.0\n", 5);
        expect_fail(variant(dir, "long_hr.dat", L, n, 0, 2, longl), NULL, avec, 0, QKT_EFORMAT,
                    "long_hr.dat:2: line longer than 4096 characters", "line of 4993 characters");
        free(longl);
    }
}

/* |H(k) - (1 + 0.2 cos k.R)| and the same for dH/dk_a = -0.2 R_a sin k.R at a
 * few k: the model of a single band with hoppings 0.1 to R and -R. */
static double two_hop_dev(const qkt_model_t *m, const double R[3])
{
    double dev = 0;
    double complex H[10];
    static const double ks[3][3] = {{0.1, 0, 0.3}, {0.013, -0.4, 0.27}, {1.1, 0.7, -0.2}};
    for (int q = 0; q < 3; q++) {
        const double *k = ks[q];
        if (!m || m->nb != 1 || qkt_model_hk(m, k, 1, H)) return INFINITY;
        double kr = k[0] * R[0] + k[1] * R[1] + k[2] * R[2];
        dev = fmax(dev, cabs(H[0] - (1 + 0.2 * cos(kr))));
        for (int a = 0; a < 3; a++) dev = fmax(dev, cabs(H[1 + a] + 0.2 * R[a] * sin(kr)) / (1 + fabs(R[a])));
    }
    return dev;
}

/* Peak resident memory since the last reset, in kB (VmHWM), after a reset
 * when reset = 1 (writing 5 to /proc/self/clear_refs, Linux >= 4.0);
 * -1 when not available. */
static long peak_kb(int reset)
{
    if (reset) {
        FILE *c = fopen("/proc/self/clear_refs", "w");
        if (!c) return -1;
        int ok = fputs("5", c) >= 0;
        if (fclose(c) != 0 || !ok) return -1;
    }
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld", &kb) == 1) break;
    fclose(f);
    return kb;
}

/* Memory proportional to the file's content, not to the box its R vectors
 * span (issue 20, row 9): a 7-line _hr.dat with R = +-(291, 291, 291) (a
 * 583^3 box), the same with wsvec shifts to R + T = +-(700291, 291, 286), and
 * the export of the first and its reload, load with little memory and give
 * the right H(k). */
static void test_widebox(const double (*avec)[3], const char *dir)
{
    char fn[1200], ws[1200], ex[1200];
    snprintf(fn, sizeof fn, "%s/widebox_hr.dat", dir);
    snprintf(ws, sizeof ws, "%s/widebox_wsvec.dat", dir);
    snprintf(ex, sizeof ex, "%s/widebox_export_hr.dat", dir);
    FILE *f = fopen(fn, "w");
    if (f) {
        fputs("wide\n1\n3\n1 1 1\n0 0 0 1 1 1.0 0.0\n291 291 291 1 1 0.1 0.0\n-291 -291 -291 1 1 0.1 0.0\n", f);
        fclose(f);
    }
    f = fopen(ws, "w");
    if (f) {
        fputs("## wsvec\n0 0 0 1 1\n1\n0 0 0\n291 291 291 1 1\n1\n700000 0 -5\n-291 -291 -291 1 1\n1\n-700000 0 5\n", f);
        fclose(f);
    }
    double R[3], Rw[3];
    for (int a = 0; a < 3; a++) {
        R[a] = 291 * (avec[0][a] + avec[1][a] + avec[2][a]);
        Rw[a] = 700291 * avec[0][a] + 291 * avec[1][a] + 286 * avec[2][a];
    }
    long before = peak_kb(1);
    qkt_status_t s;
    qkt_model_t *m = load(fn, NULL, avec, 1, &s);
    CHECKP(m != NULL, "widebox_hr.dat (R = +-(291, 291, 291), 583^3 box) loads with the default max_bytes");
    if (m) CHECK_ABS(two_hop_dev(m, R), 0, 1e-12, "widebox_hr.dat: H(k) = 1 + 0.2 cos(k.R) and dH/dk");
    qkt_model_t *mw = load(fn, ws, avec, 1, &s);
    CHECKP(mw != NULL, "widebox_hr.dat + wsvec shifts to R + T = +-(700291, 291, 286) loads");
    if (mw) CHECK_ABS(two_hop_dev(mw, Rw), 0, 1e-12, "widebox with wsvec: H(k) = 1 + 0.2 cos(k.(R + T)) and dH/dk");
    if (m) {
        s = qkt_wannier_write(m, ex, 0);
        CHECKP(s == QKT_OK, "export of widebox_hr.dat (%s)", s ? qkt_strerror() : "ok");
        qkt_model_t *m2 = s ? NULL : load(ex, NULL, avec, 1, &s);
        if (!s) CHECK_ABS(two_hop_dev(m2, R), 0, 1e-12, "reload of the export: the same H(k)");
        qkt_model_free(m2);
    }
    long after = peak_kb(0);
    if (before < 0 || after < 0) {
        printf("     (peak memory not measured: /proc/self/clear_refs or VmHWM not available)\n");
    } else {
        printf("     widebox loads, export and reload: peak resident memory %ld kB above the start (%ld -> %ld kB)\n",
               after - before, before, after);
        CHECKP(after - before < 100 * 1024, "widebox: peak memory grows by %ld kB < 100 MB (a 583^3 box of ints "
               "is 792 MB)", after - before);
    }
    qkt_model_free(m);
    qkt_model_free(mw);
    /* shifts make more vectors R + T than the file has R: their tables are
     * bounded by max_bytes too (1001 shifts of R = 0: 1003 vectors, 32 kB) */
    f = fopen(ws, "w");
    if (f) {
        fputs("## wsvec\n0 0 0 1 1\n1001\n", f);
        for (int t = -500; t <= 500; t++) fprintf(f, "%d 0 0\n", t);
        fputs("291 291 291 1 1\n1\n0 0 0\n-291 -291 -291 1 1\n1\n0 0 0\n", f);
        fclose(f);
    }
    expect_fail(fn, ws, avec, 10000, QKT_ENOMEM, "give 1003 vectors R + T",
                "wsvec with 1001 shifts, max_bytes = 10000: the tables of R + T are refused");
}

static void test_malformed(const double (*avec)[3], const double (*tbavec)[3])
{
    char dir[] = "/tmp/qkt_test_wannier_XXXXXX";
    if (!mkdtemp(dir)) {
        CHECKP(0, "mkdtemp failed");
        return;
    }
    int n = 0, ntb = 0, nws = 0;
    char **L = read_lines(dpath("si/Si_hr.dat"), &n);
    char **T = read_lines(dpath("si/Si_tb.dat"), &ntb);
    char **W = read_lines(dpath("si/ws_distance_true/Si_wsvec.dat"), &nws);
    CHECKP(L && T && W && n == 10 + 93 * 64, "read Si_hr.dat (%d lines), Si_tb.dat, Si_wsvec.dat", n);
    if (!L || !T || !W) return;
    /* Si_hr.dat layout: 1 header, 2 num_wann = 8, 3 nrpts = 93, 4-10 ndegen (15 per
     * line, 3 on line 10), 11.. "R1 R2 R3 m n Re Im", line 11 = "-3 1 1 1 1 0.086476 -0.000000" */
    expect_fail("/tmp/qkt_no_such_dir/missing_hr.dat", NULL, avec, 0, QKT_EIO, "missing_hr.dat", "missing file");
    expect_fail(variant(dir, "empty_hr.dat", L, 0, 0, 0, NULL), NULL, avec, 0, QKT_EFORMAT, "empty_hr.dat:1:",
                "empty file");
    expect_fail(variant(dir, "trunc_hr.dat", L, n, 500, 0, NULL), NULL, avec, 0, QKT_EFORMAT, "trunc_hr.dat:501:",
                "truncated file (500 lines)");
    expect_fail(variant(dir, "nrpts94_hr.dat", L, n, 0, 3, "          94\n"), NULL, avec, 0, QKT_EFORMAT,
                "nrpts94_hr.dat:10:", "nrpts 94 instead of 93 (degeneracy line short)");
    expect_fail(variant(dir, "nrpts92_hr.dat", L, n, 0, 3, "          92\n"), NULL, avec, 0, QKT_EFORMAT,
                "nrpts92_hr.dat:10:", "nrpts 92 instead of 93");
    expect_fail(variant(dir, "nrpts90_hr.dat", L, n, 0, 3, "          90\n"), NULL, avec, 0, QKT_EFORMAT,
                "nrpts90_hr.dat:10:", "nrpts 90 (ndegen data left over)");
    expect_fail(variant(dir, "nw7_hr.dat", L, n, 0, 2, "           7\n"), NULL, avec, 0, QKT_EFORMAT,
                "nw7_hr.dat:18:", "num_wann 7 instead of 8 (m = 8 out of range on line 18)");
    expect_fail(variant(dir, "nw9_hr.dat", L, n, 0, 2, "           9\n"), NULL, avec, 0, QKT_EFORMAT,
                "nw9_hr.dat:75:", "num_wann 9 instead of 8 (R changes inside a block)");
    expect_fail(variant(dir, "shortdeg_hr.dat", L, n, 0, 5, "    6    2    2    4    1    1    1    4    1\n"), NULL,
                avec, 0, QKT_EFORMAT, "shortdeg_hr.dat:5:", "degeneracy line with 9 of 15 values");
    expect_fail(variant(dir, "fields_hr.dat", L, n, 0, 30, "   -3    1    1    4    3   -0.015924\n"), NULL, avec, 0,
                QKT_EFORMAT, "fields_hr.dat:30: expected 7 fields (R1 R2 R3 m n Re Im), got 6", "6 fields");
    expect_fail(variant(dir, "nonnum_hr.dat", L, n, 0, 20, "   -3    1    1    2    2    0.0864x6   -0.000000\n"), NULL,
                avec, 0, QKT_EFORMAT, "nonnum_hr.dat:20:", "non-numeric value");
    expect_fail(variant(dir, "stars_hr.dat", L, n, 0, 20, "   -3    1    1    2    2 ************   -0.000000\n"), NULL,
                avec, 0, QKT_EFORMAT, "stars_hr.dat:20:", "Fortran overflow stars");
    expect_fail(variant(dir, "nan_hr.dat", L, n, 0, 21, "   -3    1    1    3    2          NaN   -0.000000\n"), NULL,
                avec, 0, QKT_EFORMAT, "nan_hr.dat:21:", "NaN value");
    expect_fail(variant(dir, "inf_hr.dat", L, n, 0, 21, "   -3    1    1    3    2     Infinity   -0.000000\n"), NULL,
                avec, 0, QKT_EFORMAT, "inf_hr.dat:21:", "Infinity value");
    /* decimal numbers only, no silent underflow (issue 20, row 10) */
    expect_fail(variant(dir, "hex_hr.dat", L, n, 0, 21, "   -3    1    1    3    2         0x10   -0.000000\n"), NULL,
                avec, 0, QKT_EFORMAT, "hex_hr.dat:21: Re = '0x10': hexadecimal is not accepted", "hexadecimal value");
    expect_fail(variant(dir, "under_hr.dat", L, n, 0, 21, "   -3    1    1    3    2       1e-400   -0.000000\n"), NULL,
                avec, 0, QKT_EFORMAT, "under_hr.dat:21:", "1e-400 (would be read as 0)");
    expect_fail(variant(dir, "nonintR_hr.dat", L, n, 0, 11, "  -3.5    1    1    1    1    0.086476   -0.000000\n"), NULL,
                avec, 0, QKT_EFORMAT, "nonintR_hr.dat:11:", "non-integer R");
    expect_fail(variant(dir, "index_hr.dat", L, n, 0, 23, "   -3    1    1    9    2    0.012729    0.000000\n"), NULL,
                avec, 0, QKT_EFORMAT, "index_hr.dat:23:", "index m = 9 > num_wann");
    expect_fail(variant(dir, "dup_hr.dat", L, n, 0, 12, "   -3    1    1    1    1    0.086476   -0.000000\n"), NULL,
                avec, 0, QKT_EFORMAT, "dup_hr.dat:12:", "element (1,1) twice");
    expect_fail(variant(dir, "herm_hr.dat", L, n, 0, 11, "   -3    1    1    1    1    0.186476   -0.000000\n"), NULL,
                avec, 0, QKT_EFORMAT, "herm_hr.dat:11:", "non-Hermitian H(R) (0.1 eV change)");
    {
        char extra[64];
        snprintf(extra, sizeof extra, "%s    0    0    0    1    1    1.0    0.0\n", L[n - 1]);
        expect_fail(variant(dir, "extra_hr.dat", L, n, 0, n, extra), NULL, avec, 0, QKT_EFORMAT, "extra_hr.dat:5963:",
                    "extra data after the last block");
    }
    expect_fail(dpath("si/Si_hr.dat"), NULL, NULL, 0, QKT_EINVAL, "Si_hr.dat", "_hr.dat without lattice vectors");
    expect_fail(dpath("si/Si_hr.dat"), NULL, avec, 10000, QKT_ENOMEM, "Si_hr.dat:3:", "larger than max_bytes = 10000");
    /* _tb.dat: 1 header, 2-4 lattice, 5 num_wann, 6 nrpts, 7-13 ndegen, 14 blank, 15 R, 16.. "m n Re Im" */
    expect_fail(variant(dir, "trunc_tb.dat", T, ntb, 3000, 0, NULL), NULL, NULL, 0, QKT_EFORMAT, "trunc_tb.dat:3001:",
                "truncated _tb.dat (3000 lines)");
    expect_fail(variant(dir, "lat_tb.dat", T, ntb, 0, 3, "   0.0 2.6988037638089994\n"), NULL, NULL, 0, QKT_EFORMAT,
                "lat_tb.dat:3:", "_tb.dat lattice vector with 2 fields");
    expect_fail(variant(dir, "nan_tb.dat", T, ntb, 0, 17, "    2    1   -0.15924225E-01 NaN\n"), NULL, NULL, 0,
                QKT_EFORMAT, "nan_tb.dat:17:", "_tb.dat NaN");
    {
        /* a position line (after the 93 H blocks: 13 + 93 * 66 = 6151 lines; position block 1 R on line 6153) */
        expect_fail(variant(dir, "pos_tb.dat", T, ntb, 0, 6160, "    7    1  0.1 0.2 0.3 0.4 0.5\n"), NULL, NULL, 0,
                    QKT_EFORMAT, "pos_tb.dat:6160: expected 8 fields", "_tb.dat position line with 7 fields");
    }
    /* wsvec: 1 header, then "R1 R2 R3 m n", count, shifts */
    expect_fail(dpath("si/Si_hr.dat"), variant(dir, "trunc_wsvec.dat", W, nws, 1000, 0, NULL), avec, 0, QKT_EFORMAT,
                "trunc_wsvec.dat:", "truncated wsvec");
    expect_fail(dpath("si/Si_hr.dat"), variant(dir, "bad_wsvec.dat", W, nws, 0, 4, "    0    0  0.5\n"), avec, 0,
                QKT_EFORMAT, "bad_wsvec.dat:4:", "wsvec non-integer shift");
    expect_fail(dpath("si/Si_hr.dat"), "/tmp/qkt_no_such_dir/Si_wsvec.dat", avec, 0, QKT_EIO, "Si_wsvec.dat",
                "missing wsvec");
    test_read_bounds(avec, dir, L, n, W, nws);
    test_widebox(avec, dir);
    (void)tbavec;
    for (int i = 0; i < n; i++) free(L[i]);
    for (int i = 0; i < ntb; i++) free(T[i]);
    for (int i = 0; i < nws; i++) free(W[i]);
    free(L);
    free(T);
    free(W);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("     (could not remove %s)\n", dir);
}

/* ------------------------------------------------------------------ round trips */
static double max_eig_dev(const qkt_model_t *a, const qkt_model_t *b, int nk, double *vdev)
{
    qkt_bands_t *ba = qkt_bands_alloc(a->nb), *bb = qkt_bands_alloc(b->nb);
    double d = 0;
    *vdev = 0;
    for (int i = 0; i < nk; i++) {
        double k[3];
        random_k(a, k);
        if (qkt_bands_compute(ba, a, k, QKT_BANDS_GEOMETRY) || qkt_bands_compute(bb, b, k, QKT_BANDS_GEOMETRY)) {
            d = INFINITY;
            break;
        }
        for (int n = 0; n < a->nb; n++) {
            d = fmax(d, fabs(ba->eps[n] - bb->eps[n]));
            for (int c = 0; c < 3; c++) *vdev = fmax(*vdev, fabs(creal(ba->v[c][n * a->nb + n]) - creal(bb->v[c][n * a->nb + n])));
        }
    }
    qkt_bands_free(ba);
    qkt_bands_free(bb);
    return d;
}

static void test_roundtrip(const qkt_model_t *si_tb, const qkt_model_t *si_ws)
{
    char dir[] = "/tmp/qkt_test_wannier_rt_XXXXXX";
    if (!mkdtemp(dir)) {
        CHECKP(0, "mkdtemp failed");
        return;
    }
    char p[1200];
    qkt_model_t *lw = qkt_model_alloc("lattice_weyl");
    qkt_status_t s = lw ? qkt_model_setup(lw) : QKT_EINVAL;
    CHECKP(s == QKT_OK, "lattice_weyl set-up (%s)", s ? qkt_strerror() : "ok");
    const char *names[3] = {"lw_hr.dat", "lw_tb.dat", "lw_tb.dat.gz"};
    for (int v = 0; v < 3; v++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[v]);
        s = qkt_wannier_write(lw, p, v > 0);
        CHECKP(s == QKT_OK, "qkt_wannier_write(lattice_weyl, %s) (%s)", names[v], s ? qkt_strerror() : "ok");
        qkt_model_t *r = load(p, NULL, v == 0 ? (const double(*)[3])lw->avec : NULL, 1, &s);
        if (!r) continue;
        double vd, d = max_eig_dev(lw, r, 50, &vd);
        char lab[200];
        snprintf(lab, sizeof lab, "lattice_weyl -> %s -> load: max |eps diff| at 50 random k", names[v]);
        CHECK_ABS(d, 0, 1e-10, lab);
        snprintf(lab, sizeof lab, "lattice_weyl -> %s -> load: max |velocity diff| at 50 random k", names[v]);
        CHECK_ABS(vd, 0, 1e-10, lab);
        if (v == 0) {
            printf("     lattice_weyl export: nrpts = %d, sum 1/ndegen = %g (N^3 of the sampling grid)\n",
                   qkt_wannier_nrpts(r), qkt_wannier_sum_inv_degen(r));
            double N = cbrt(qkt_wannier_sum_inv_degen(r));
            CHECK_ABS(N, round(N), 1e-9, "lattice_weyl export: sum 1/ndegen is a cube N^3 (Wigner-Seitz set)");
        }
        qkt_model_free(r);
    }
    snprintf(p, sizeof p, "%s/none.dat", dir);
    qkt_model_t *w2 = qkt_model_alloc("weyl2");
    qkt_model_setup(w2);
    CHECKP(qkt_wannier_write(w2, p, 0) == QKT_EINVAL, "export of a continuum model (weyl2) refused: %s",
          qkt_strerror());
    char ptmp[1300];
    snprintf(ptmp, sizeof ptmp, "%s.tmp", p);
    CHECKP(access(p, F_OK) != 0 && access(ptmp, F_OK) != 0, "no file left behind after a refused export");
    qkt_model_free(w2);
    qkt_model_free(lw);

    /* exact export of loaded Wannier models (every stored R with ndegen 1) */
    const qkt_model_t *src[2] = {si_tb, si_ws};
    const char *lab2[2] = {"Si_tb.dat (with position matrix)", "Si_tb.dat + Si_wsvec.dat"};
    for (int v = 0; v < 2; v++) {
        if (!src[v]) continue;
        snprintf(p, sizeof p, "%s/si%d_tb.dat", dir, v);
        qkt_status_t s = qkt_wannier_write(src[v], p, 1);
        CHECKP(s == QKT_OK, "qkt_wannier_write(%s) (%s)", lab2[v], s ? qkt_strerror() : "ok");
        qkt_model_t *r = load(p, NULL, NULL, 1, &s);
        if (!r) continue;
        double vd, d = max_eig_dev(src[v], r, 50, &vd);
        char lab[200];
        snprintf(lab, sizeof lab, "%s -> export _tb.dat -> load: max |eps diff| (eV) at 50 random k", lab2[v]);
        CHECK_ABS(d, 0, 1e-10, lab);
        if (src[v]->awk && r->awk) {
            int n2 = r->nb * r->nb;
            double complex *A = malloc(sizeof(double complex) * 12 * n2), *B = malloc(sizeof(double complex) * 12 * n2);
            double ad = 0;
            for (int i = 0; i < 10; i++) {
                double k[3];
                random_k(r, k);
                src[v]->awk(src[v], k, 1, A);
                r->awk(r, k, 1, B);
                for (int e = 0; e < 12 * n2; e++) ad = fmax(ad, cabs(A[e] - B[e]));
            }
            snprintf(lab, sizeof lab, "%s -> export -> load: max |A^W and dA^W diff| (Ang) at 10 random k", lab2[v]);
            CHECK_ABS(ad, 0, 1e-10, lab);
            free(A);
            free(B);
        }
        qkt_model_free(r);
    }
    snprintf(p, sizeof p, "rm -rf '%s'", dir);
    if (system(p) != 0) printf("     (could not remove %s)\n", dir);
}

/* ------------------------------------------------------------------ independent reference */
/* Read Si_tb.dat with fscanf and evaluate H(k) = sum_R e^{ik.R} H(R)/ndegen and
 * A^W_a(k) = sum_R e^{ik.R} <0m|r_a|Rn>/ndegen directly (no symmetrization), as
 * a check of the library's storage, R and (m, n) conventions. */
typedef struct {
    int nw, nr;
    double a[3][3];
    int *ndeg, *R;
    double complex *H, *P; /* [r][m][n], [r][3][m][n] */
} tbref_t;

static int tbref_read(const char *path, tbref_t *t)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[512];
    int ok = fgets(line, sizeof line, f) != NULL;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) ok &= fscanf(f, "%lf", &t->a[i][j]) == 1;
    ok &= fscanf(f, "%d %d", &t->nw, &t->nr) == 2;
    if (!ok) {
        fclose(f);
        return -1;
    }
    int nw = t->nw, nel = nw * nw;
    t->ndeg = malloc(sizeof(int) * t->nr);
    t->R = malloc(sizeof(int) * 3 * t->nr);
    t->H = calloc((size_t)t->nr * nel, sizeof(double complex));
    t->P = calloc((size_t)t->nr * 3 * nel, sizeof(double complex));
    for (int r = 0; r < t->nr; r++) ok &= fscanf(f, "%d", &t->ndeg[r]) == 1;
    for (int r = 0; r < t->nr && ok; r++) {
        ok &= fscanf(f, "%d %d %d", &t->R[3 * r], &t->R[3 * r + 1], &t->R[3 * r + 2]) == 3;
        for (int l = 0; l < nel && ok; l++) {
            int m, n;
            double re, im;
            ok &= fscanf(f, "%d %d %lf %lf", &m, &n, &re, &im) == 4;
            t->H[(size_t)r * nel + (m - 1) * nw + n - 1] = re + I * im;
        }
    }
    for (int r = 0; r < t->nr && ok; r++) {
        int R[3];
        ok &= fscanf(f, "%d %d %d", &R[0], &R[1], &R[2]) == 3;
        for (int l = 0; l < nel && ok; l++) {
            int m, n;
            double v[6];
            ok &= fscanf(f, "%d %d %lf %lf %lf %lf %lf %lf", &m, &n, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) == 8;
            for (int a = 0; a < 3; a++) t->P[((size_t)r * 3 + a) * nel + (m - 1) * nw + n - 1] = v[2 * a] + I * v[2 * a + 1];
        }
    }
    fclose(f);
    return ok ? 0 : -1;
}

static void tbref_eval(const tbref_t *t, const double k[3], double complex *H, double complex *A)
{
    int nel = t->nw * t->nw;
    memset(H, 0, sizeof(double complex) * nel);
    memset(A, 0, sizeof(double complex) * 3 * nel);
    for (int r = 0; r < t->nr; r++) {
        double kr = 0;
        for (int a = 0; a < 3; a++)
            kr += k[a] * (t->R[3 * r] * t->a[0][a] + t->R[3 * r + 1] * t->a[1][a] + t->R[3 * r + 2] * t->a[2][a]);
        double complex ph = cexp(I * kr) / t->ndeg[r];
        for (int e = 0; e < nel; e++) H[e] += ph * t->H[(size_t)r * nel + e];
        for (int e = 0; e < 3 * nel; e++) A[e] += ph * t->P[(size_t)r * 3 * nel + e];
    }
}

static void test_reference(const qkt_model_t *si_tb)
{
    tbref_t t;
    memset(&t, 0, sizeof t);
    int ok = tbref_read(dpath("si/Si_tb.dat"), &t) == 0;
    CHECKP(ok, "independent fscanf reader of Si_tb.dat");
    if (!ok) return;
    qkt_wannier_opts_t o;
    qkt_wannier_opts_default(&o);
    o.path = dpath("si/Si_tb.dat");
    o.hermitize_position = 0;
    qkt_model_t *raw = NULL;
    qkt_status_t s = qkt_wannier_load(&o, &raw);
    CHECKP(s == QKT_OK, "load Si_tb.dat with hermitize_position = 0 (%s)", s ? qkt_strerror() : "ok");
    /* the same file with the portable kernels (the default ones are SIMD) */
    setenv("QKT_WANNIER_KERNEL", "generic", 1);
    qkt_model_t *gen = NULL;
    o.hermitize_position = 1;
    s = qkt_wannier_load(&o, &gen);
    CHECKP(s == QKT_OK, "load Si_tb.dat with QKT_WANNIER_KERNEL=generic (%s)", s ? qkt_strerror() : "ok");
    unsetenv("QKT_WANNIER_KERNEL");
    int nb = t.nw, n2 = nb * nb;
    double complex *Hr = malloc(sizeof(double complex) * n2), *Ar = malloc(sizeof(double complex) * 3 * n2);
    double complex *H = malloc(sizeof(double complex) * 10 * n2), *A = malloc(sizeof(double complex) * 12 * n2);
    double complex *H2 = malloc(sizeof(double complex) * 10 * n2), *A2 = malloc(sizeof(double complex) * 12 * n2);
    double dh = 0, da = 0, dah = 0, dgen = 0;
    for (int i = 0; i < 10 && raw && gen; i++) {
        double k[3];
        random_k(si_tb, k);
        tbref_eval(&t, k, Hr, Ar);
        qkt_model_hk(si_tb, k, 0, H);
        for (int e = 0; e < n2; e++) dh = fmax(dh, cabs(H[e] - Hr[e]));
        raw->awk(raw, k, 0, A);
        for (int e = 0; e < 3 * n2; e++) da = fmax(da, cabs(A[e] - Ar[e]));
        si_tb->awk(si_tb, k, 0, A);
        for (int c = 0; c < 3; c++)
            for (int m = 0; m < nb; m++)
                for (int n = 0; n < nb; n++) {
                    double complex want = 0.5 * (Ar[c * n2 + m * nb + n] + conj(Ar[c * n2 + n * nb + m]));
                    dah = fmax(dah, cabs(A[c * n2 + m * nb + n] - want));
                }
        qkt_model_hk(si_tb, k, 2, H);
        qkt_model_hk(gen, k, 2, H2);
        for (int e = 0; e < 10 * n2; e++) dgen = fmax(dgen, cabs(H[e] - H2[e]));
        si_tb->awk(si_tb, k, 1, A);
        gen->awk(gen, k, 1, A2);
        for (int e = 0; e < 12 * n2; e++) dgen = fmax(dgen, cabs(A[e] - A2[e]));
    }
    CHECK_ABS(dh, 0, 1e-8,
              "Si_tb.dat: H(k) vs direct sum_R e^{ik.R} H(R)/ndegen of an fscanf reader, 10 random k (eV; the "
              "library Hermitizes H(R); the file is Hermitian to 1e-15)");
    CHECK_ABS(da, 0, 1e-12, "Si_tb.dat: A^W(k), hermitize_position = 0, vs direct sum of <0m|r|Rn>/ndegen (Ang)");
    CHECK_ABS(dah, 0, 1e-12, "Si_tb.dat: A^W(k), hermitize_position = 1, vs (A + A^dagger)/2 of the direct sum (Ang)");
    CHECK_ABS(dgen, 0, 1e-12, "Si_tb.dat: H, dH, d2H, A^W, dA^W: SIMD kernels vs QKT_WANNIER_KERNEL=generic");
    free(Hr);
    free(Ar);
    free(H);
    free(A);
    free(H2);
    free(A2);
    free(t.ndeg);
    free(t.R);
    free(t.H);
    free(t.P);
    qkt_model_free(raw);
    qkt_model_free(gen);
}

/* ------------------------------------------------------------------ main */
static void test_model_basics(const char *what, const qkt_model_t *m, int nw, int nrpts, const char *win)
{
    char lab[256];
    CHECKP(m->nb == nw && m->dim == 3 && m->periodic == 1 && m->units == QKT_UNITS_EV_ANGSTROM,
          "%s: nb = %d (want %d), dim %d, periodic %d, units %d", what, m->nb, nw, m->dim, m->periodic, m->units);
    CHECKP(strcmp(m->info->name, "wannier") == 0, "%s: model name '%s'", what, m->info->name);
    CHECKP(qkt_wannier_nrpts(m) == nrpts, "%s: nrpts = %d, want %d (REF)", what, qkt_wannier_nrpts(m), nrpts);
    int g[3] = {0, 0, 0};
    int ok = read_mp_grid(win, g) == 0;
    CHECKP(ok, "%s: mp_grid read from %s", what, win);
    snprintf(lab, sizeof lab, "%s: sum_R 1/ndegen(R) = mp_grid %dx%dx%d of %s", what, g[0], g[1], g[2], win);
    CHECK_ABS(qkt_wannier_sum_inv_degen(m), (double)g[0] * g[1] * g[2], 1e-9, lab);
    double dot = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double d = m->avec[i][0] * m->bvec[j][0] + m->avec[i][1] * m->bvec[j][1] + m->avec[i][2] * m->bvec[j][2];
            dot = fmax(dot, fabs(d - (i == j ? 2 * M_PI : 0)));
        }
    snprintf(lab, sizeof lab, "%s: max |a_i . b_j - 2 pi delta_ij|", what);
    CHECK_ABS(dot, 0, 1e-12, lab);
    double complex *buf = malloc(sizeof(double complex) * 10 * m->nb * m->nb);
    double hd = 0;
    for (int i = 0; i < 20; i++) {
        double k[3];
        random_k(m, k);
        hd = fmax(hd, herm_dev(m, k, buf));
    }
    free(buf);
    snprintf(lab, sizeof lab, "%s: H(k), dH, d2H Hermitian at 20 random k, max |X - X^dag| (eV)", what);
    CHECK_ABS(hd, 0, 1e-12, lab);
}

/* The workspace forms hk_ws/awk_ws along the lines of a uniform mesh (the
 * mesh of integrate/mesh.c, k = sum_i x_i b_i, x_3 innermost, here with a
 * half-step shift) against the direct sums hk/awk: H and its 9 derivatives
 * (orders 0, 1, 2), A^W and its 9 derivatives (orders 0, 1), every point.
 * Expected: equal to rounding (the line's phases factorize exactly;
 * src/wannier/fourier.c, "mesh lines"), tolerance 1e-12 of the largest
 * entry.  Controls: some on-line point differs from the direct sum in its
 * last bits (the line path ran), and points just off the line (k.a_1 moved
 * by 1e-10, above the line tolerance) agree with the direct sum to 1e-12,
 * which the line's partial sums would miss by about 1e-10 |R|. */
static void test_mesh_lines_pts(const char *what0, const qkt_model_t *m, int line_pts)
{
    int nb = m->nb, N[3] = {6, 5, 9};
    size_t n2 = (size_t)nb * nb;
    char what[160];
    snprintf(what, sizeof what, "%s, line_pts %d", what0, line_pts);
    void *ws = m->ws_alloc ? m->ws_alloc(m, line_pts) : NULL;
    CHECKP(ws != NULL && m->hk_ws && (!m->awk || m->awk_ws), "%s: model workspace for mesh lines", what);
    if (!ws) return;
    double complex *d = malloc(12 * n2 * sizeof *d), *l = malloc(12 * n2 * sizeof *l);
    double worst = 0;
    long npt = 0, nbits = 0, noff = 0;
    double offworst = 0;
    for (int j1 = 0; j1 < N[0]; j1++)
        for (int j2 = 0; j2 < N[1]; j2++)
            for (int j3 = 0; j3 < N[2]; j3++) {
                double x[3] = {(j1 + 0.5) / N[0], (j2 + 0.5) / N[1], (j3 + 0.5) / N[2]}, k[3];
                for (int a = 0; a < 3; a++) k[a] = x[0] * m->bvec[0][a] + x[1] * m->bvec[1][a] + x[2] * m->bvec[2][a];
                for (int pass = 0; pass < 5; pass++) {
                    int pos = pass >= 3, order = pos ? pass - 3 : pass;
                    if (pos && !m->awk) continue;
                    int nmat = pos ? (order ? 12 : 3) : (order == 0 ? 1 : order == 1 ? 4 : 10);
                    qkt_status_t s1 = pos ? m->awk(m, k, order, d) : m->hk(m, k, order, d);
                    qkt_status_t s2 = pos ? m->awk_ws(m, ws, k, order, l) : m->hk_ws(m, ws, k, order, l);
                    if (s1 || s2) {
                        worst = INFINITY;
                        continue;
                    }
                    double mx = 0, df = 0;
                    for (size_t e = 0; e < nmat * n2; e++) {
                        mx = fmax(mx, cabs(d[e]));
                        df = fmax(df, cabs(d[e] - l[e]));
                    }
                    worst = fmax(worst, df / mx);
                    nbits += df > 0;
                    npt++;
                }
                if (j3 == 4) { /* one point off the line, then the line again */
                    double ko[3], mx = 0, df = 0;
                    for (int a = 0; a < 3; a++) ko[a] = k[a] + 1e-10 * m->bvec[0][a] / (2 * M_PI);
                    m->hk(m, ko, 1, d);
                    m->hk_ws(m, ws, ko, 1, l);
                    for (size_t e = 0; e < 4 * n2; e++) {
                        mx = fmax(mx, cabs(d[e]));
                        df = fmax(df, cabs(d[e] - l[e]));
                    }
                    offworst = fmax(offworst, df / mx);
                    noff++;
                }
            }
    char lab[512];
    snprintf(lab, sizeof lab, "%s: mesh-line sums vs direct sums, max |diff| / max |entry| over %ld sums", what, npt);
    CHECK_ABS(worst, 0, 1e-12, lab);
    CHECKP(nbits > 0, "%s: control: the line path ran (%ld of %ld sums differ from the direct ones in the last bits)",
           what, nbits, npt);
    snprintf(lab, sizeof lab,
             "%s: %ld points just off a line (k.a_1 + 1e-10) are not summed from that line (which would be off "
             "by about 1e-10 |R|), max |diff| / max |entry|", what, noff);
    CHECK_ABS(offworst, 0, 1e-12, lab);
    free(d);
    free(l);
    m->ws_free(ws);
}

/* lines of unknown length (built at their third point) and of the mesh's 9
 * points (built at their first) */
static void test_mesh_lines(const char *what, const qkt_model_t *m)
{
    test_mesh_lines_pts(what, m, 1);
    test_mesh_lines_pts(what, m, 9);
}

int main(void)
{
    snprintf(shared, sizeof shared, "%s", check_shared_dir());
    qkt_status_t s;

    /* ---- Si (REF si: 8 WFs, nrpts 93, mp_grid 4x4x4) */
    qkt_model_t *si_tb = load(dpath("si/Si_tb.dat"), NULL, NULL, 1, &s);
    CHECKP(si_tb != NULL, "load Si_tb.dat");
    if (!si_tb) CHECK_DONE();
    printf("     Si cell volume %.5f Ang^3 (REF si: 39.31370)\n", si_tb->cell_volume);
    CHECK_ABS(si_tb->cell_volume, 39.31370, 1e-4, "Si cell volume from _tb.dat lattice (REF si)");
    qkt_model_t *si_hr = load(dpath("si/Si_hr.dat"), NULL, (const double(*)[3])si_tb->avec, 1, &s);
    CHECKP(si_hr != NULL, "load Si_hr.dat with the lattice of Si_tb.dat");
    test_model_basics("Si_tb.dat", si_tb, 8, 93, dpath("si/Si.win"));
    if (si_hr) test_model_basics("Si_hr.dat", si_hr, 8, 93, dpath("si/Si.win"));
    CHECKP(si_tb->awk != NULL && (!si_hr || si_hr->awk == NULL), "position matrix: from _tb.dat yes, _hr.dat none");
    test_geninterp("Si_tb.dat", si_tb, dpath("si/geninterp/Si_geninterp.dat"), dpath("si/geninterp/Si_geninterp.kpt"), 2e-6,
                   1e-5, "REF si: ~1e-6 eV from _tb.dat");
    if (si_hr)
        test_geninterp("Si_hr.dat", si_hr, dpath("si/geninterp/Si_geninterp.dat"), dpath("si/geninterp/Si_geninterp.kpt"),
                       2e-5, 5e-4, "REF si: ~1e-5 eV from _hr.dat (F12.6)");

    /* ---- ws_distance: Si_hr.dat + ws_distance_true/Si_wsvec.dat reproduce the
     * BoltzWann DOS of the use_ws_distance = true run, the plain files that of
     * use_ws_distance = false (REF si NOTE 1) */
    qkt_model_t *si_ws = load(dpath("si/Si_tb.dat"), dpath("si/ws_distance_true/Si_wsvec.dat"), NULL, 1, &s);
    CHECKP(si_ws != NULL, "load Si_tb.dat + ws_distance_true/Si_wsvec.dat");
    qkt_model_t *si_hrws = load(dpath("si/Si_hr.dat"), dpath("si/ws_distance_true/Si_wsvec.dat"),
                                (const double(*)[3])si_tb->avec, 1, &s);
    CHECKP(si_hrws != NULL, "load Si_hr.dat + ws_distance_true/Si_wsvec.dat");
    if (si_ws && si_hrws) {
        test_model_basics("Si_tb.dat+wsvec", si_ws, 8, 93, dpath("si/Si.win"));
        double mx, d = dos_dev(si_ws, dpath("si/ws_distance_true/Si_boltzdos.dat"), &mx);
        CHECK_ABS(d / mx, 0, 1e-5,
                  "Si ws=true (Si_tb.dat + Si_wsvec.dat): BoltzWann DOS (40^3, Gaussian 0.03 eV) max |diff| / max DOS "
                  "vs ws_distance_true/Si_boltzdos.dat");
        d = dos_dev(si_hrws, dpath("si/ws_distance_true/Si_boltzdos.dat"), &mx);
        CHECK_ABS(d / mx, 0, 1e-4, "Si ws=true from Si_hr.dat (F12.6) + Si_wsvec.dat: same, max |diff| / max DOS");
        d = dos_dev(si_tb, dpath("si/Si_boltzdos.dat"), &mx);
        CHECK_ABS(d / mx, 0, 1e-5, "Si ws=false (Si_tb.dat): BoltzWann DOS max |diff| / max DOS vs Si_boltzdos.dat");
        d = dos_dev(si_tb, dpath("si/ws_distance_true/Si_boltzdos.dat"), &mx);
        CHECKP(d / mx > 1e-2, "control: ws=false model vs the ws=true DOS differs (max |diff|/max = %.3g > 1e-2)", d / mx);
        test_derivatives("Si_tb.dat+wsvec", si_ws, (double[3]){0.31, -0.17, 0.52});
        test_wsvec_swapped(si_tb);
    }
    qkt_model_free(si_hrws);
    test_derivatives("Si_tb.dat", si_tb, (double[3]){0.23, 0.41, -0.37});
    test_mesh_lines("Si_tb.dat", si_tb);
    if (si_hr) test_mesh_lines("Si_hr.dat", si_hr);
    test_reference(si_tb);

    /* ---- Fe (REF fe: 18 WFs, nrpts 597, mp_grid 8x8x8, gzipped files) */
    qkt_model_t *fe_tb = load(dpath("fe/Fe_tb.dat.gz"), NULL, NULL, 1, &s);
    CHECKP(fe_tb != NULL, "load Fe_tb.dat.gz");
    if (fe_tb) {
        qkt_model_t *fe_hr = load(dpath("fe/Fe_hr.dat.gz"), NULL, (const double(*)[3])fe_tb->avec, 1, &s);
        CHECKP(fe_hr != NULL, "load Fe_hr.dat.gz with the lattice of Fe_tb.dat.gz");
        printf("     Fe cell volume %.5f Ang^3 (REF fe: 11.81986)\n", fe_tb->cell_volume);
        CHECK_ABS(fe_tb->cell_volume, 11.81986, 1e-4, "Fe cell volume from _tb.dat lattice (REF fe)");
        test_model_basics("Fe_tb.dat.gz", fe_tb, 18, 597, dpath("fe/Fe.win"));
        test_geninterp("Fe_tb.dat.gz", fe_tb, dpath("fe/geninterp/Fe_geninterp.dat"),
                       dpath("fe/geninterp/Fe_geninterp.kpt"), 2e-6, 1e-5, "REF fe: ~1e-6 eV from _tb.dat");
        if (fe_hr) {
            test_model_basics("Fe_hr.dat.gz", fe_hr, 18, 597, dpath("fe/Fe.win"));
            test_geninterp("Fe_hr.dat.gz", fe_hr, dpath("fe/geninterp/Fe_geninterp.dat"),
                           dpath("fe/geninterp/Fe_geninterp.kpt"), 2e-4, 5e-4, "REF fe: ~1e-4 eV from _hr.dat (F12.6)");
        }
        test_derivatives("Fe_tb.dat.gz", fe_tb, (double[3]){0.37, -0.21, 0.66});
        test_mesh_lines("Fe_tb.dat.gz", fe_tb);
        {
            /* the position matrix kept as it is, r = h - i b (two planes per direction) */
            qkt_wannier_opts_t o;
            qkt_wannier_opts_default(&o);
            o.path = dpath("fe/Fe_tb.dat.gz");
            o.hermitize_position = 0;
            qkt_model_t *fe_nh = NULL;
            if (qkt_wannier_load(&o, &fe_nh) == QKT_OK) test_mesh_lines("Fe_tb.dat.gz (hermitize_position = 0)", fe_nh);
            else CHECKP(0, "load Fe_tb.dat.gz with hermitize_position = 0: %s", qkt_strerror());
            qkt_model_free(fe_nh);
        }
        test_berry(fe_tb);
        if (fe_hr) test_berry(fe_hr); /* no position matrix: the tight-binding curvature */
        qkt_model_free(fe_hr);
    }

    test_malformed((const double(*)[3])si_tb->avec, NULL);
    test_roundtrip(si_tb, si_ws);

    qkt_model_free(si_tb);
    qkt_model_free(si_hr);
    qkt_model_free(si_ws);
    qkt_model_free(fe_tb);
    CHECK_DONE();
}
