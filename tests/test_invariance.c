/* test_invariance.c - invariances of the computed conductivities (no closed forms):
 *   (a) basis change  a constant unitary change of the orbital basis, H'(k) = U H(k) U^dagger
 *                     for every derivative order (U from the QR factorization of a seeded
 *                     random complex matrix), leaves the spectrum and every gauge-invariant
 *                     band quantity unchanged, hence sigma^(0) and sigma^(1): weyl4 (b along z)
 *                     and weyl4 with Delta tau_x, mu5 tau_z and a tilted b (off-diagonal blocks
 *                     in the node index);
 *   (b) Wannier basis  the same for a Wannier model: Si_tb.dat with H(R) and <0m|r|Rn> rotated by
 *                     U and written to a temporary _tb.dat (docs/wannier.md format), read back:
 *                     band energies to rounding, sigma^(0) (Drude, intrinsic) unchanged;
 *   (c) rotation      rotating a tilted `node` (tilt w -> R w) together with the fields rotates
 *                     the tensors: sigma0(Rw) = R sigma0(w) R^T and sigma^(1)(Rw, RB) =
 *                     R sigma^(1)(w, B) R^T, for a rotation about a generic axis.
 * Each check prints the quantity, the relation and the tolerance.  The error estimate of a
 * tensor element (qkt_tensor_t.e) includes the engine's systematic part (sys_rel).
 * Natural units hbar = e = 1 for the continuum models; Si in eV, Angstrom. */
#define _GNU_SOURCE
#include <complex.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "qkt.h"
#include "engine_util.h"
#include "tensor_util.h"

#define run(label, m, p) run_w(44, label, m, p)
#define MAXNB 8

/* ------------------------------------------------------------------ random unitary */
static unsigned long long rng_state = 0x2545F4914F6CDD1DULL;

static double urand(void) { return urand_next(&rng_state); }

/* Q of the QR factorization of a random complex n x n matrix (row-major); checks
 * |Q Q^dagger - 1| and that Q is far from a permutation with phases. */
static void random_unitary(int n, double complex *Q)
{
    double complex tau[MAXNB];
    for (int i = 0; i < n * n; i++) Q[i] = urand() + I * urand();
    int info = LAPACKE_zgeqrf(LAPACK_ROW_MAJOR, n, n, Q, n, tau);
    if (!info) info = LAPACKE_zungqr(LAPACK_ROW_MAJOR, n, n, n, Q, n, tau);
    CHECK(info == 0, "LAPACKE QR of the random matrix: info %d", info);
    double dev = 0, minmax = 1;
    for (int i = 0; i < n; i++) {
        double rowmax = 0;
        for (int j = 0; j < n; j++) {
            double complex s = 0;
            for (int k = 0; k < n; k++) s += Q[i * n + k] * conj(Q[j * n + k]);
            dev = fmax(dev, cabs(s - (i == j)));
            rowmax = fmax(rowmax, cabs(Q[i * n + j]));
        }
        minmax = fmin(minmax, rowmax);
    }
    CHECK_ABS(dev, 0, 1e-13, WHAT("random %dx%d unitary: max|U U^dagger - 1| (rounding), tol 1e-13", n, n));
    CHECK(minmax < 0.95, "the random unitary mixes every orbital (largest |U_ij| of its rows >= %.3f, want < 0.95)",
          minmax);
}

/* C = U A U^dagger (n x n) */
static void conjugate(int n, const double complex *U, const double complex *A, double complex *C)
{
    double complex T[MAXNB * MAXNB];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double complex s = 0;
            for (int k = 0; k < n; k++) s += U[i * n + k] * A[k * n + j];
            T[i * n + j] = s;
        }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double complex s = 0;
            for (int k = 0; k < n; k++) s += T[i * n + k] * conj(U[j * n + k]);
            C[i * n + j] = s;
        }
}

/* ------------------------------------------------------------------ wrapped model */
typedef struct {
    const qkt_model_t *inner;
    double complex U[MAXNB * MAXNB];
} rot_t;

static qkt_status_t rot_hk(const qkt_model_t *m, const double k[3], int order, double complex *out)
{
    const rot_t *r = m->priv;
    int nb = m->nb, nmat = order == 0 ? 1 : order == 1 ? 4 : 10;
    double complex buf[10 * MAXNB * MAXNB];
    qkt_status_t s = r->inner->hk(r->inner, k, order, buf);
    if (s) return s;
    for (int c = 0; c < nmat; c++) conjugate(nb, r->U, buf + c * nb * nb, out + c * nb * nb);
    return QKT_OK;
}

/* A copy of inner whose H(k) and all its derivatives are U H U^dagger. */
static qkt_model_t *rotated_copy(const qkt_model_t *inner, rot_t *r)
{
    qkt_model_t *m = malloc(sizeof *m);
    if (!m || inner->nb > MAXNB || inner->awk || inner->nblock != 1) {
        printf("FAIL cannot wrap model %s\n", inner->info->name);
        exit(1);
    }
    *m = *inner;
    r->inner = inner;
    random_unitary(inner->nb, r->U);
    m->hk = rot_hk;
    m->priv = r;
    m->destroy = NULL;
    return m;
}

/* ------------------------------------------------------------------ comparisons */
/* sigma0 and sigma1[a] of r and r2 agree within the combined error estimates (fac 1) */
static void compare_results(const char *name, const qkt_response_t *r, const qkt_response_t *r2, int order)
{
    double dev, q = ratio(&r->sigma0, &r2->sigma0, 1, &dev);
    print_t(WHAT("%s sigma0, orbital basis of the model", name), &r->sigma0);
    CHECK(q <= 1,
          "%s: sigma0(U H U^dagger) = sigma0(H) within e + e' (+1e-12 max|sigma0|): worst |diff|/tol = %.3g, max|diff| "
          "= %.3g",
          name, q, dev);
    printf("%s %s: sigma0(U H U^dagger) = sigma0(H), tol e + e': worst |diff|/tol %.3g (max|diff| %.3g)\n",
           q <= 1 ? "ok  " : "FAIL", name, q, dev);
    for (int a = 0; order >= 1 && a < 3; a++) {
        if (!(r->par.al_mask >> a & 1)) continue;
        q = ratio(&r->sigma1[a], &r2->sigma1[a], 1, &dev);
        print_t(WHAT("%s sigma1[%c]", name, "xyz"[a]), &r->sigma1[a]);
        CHECK(q <= 1, "%s: sigma1[%c] differs", name, "xyz"[a]);
        printf("%s %s: sigma1[%c](U H U^dagger) = sigma1[%c](H), tol e + e': worst |diff|/tol %.3g (max|diff| %.3g)\n",
               q <= 1 ? "ok  " : "FAIL", name, "xyz"[a], "xyz"[a], q, dev);
    }
    CHECK(r->npocket == r2->npocket, "%s: pockets %d vs %d", name, r->npocket, r2->npocket);
}

/* ------------------------------------------------------------------ (a) continuum models */
static void basis_change(const char *name, qkt_model_t *m, qkt_params_t p)
{
    printf("\n== (a) orbital basis change U H(k) U^dagger: %s ==\n", name);
    rot_t rt;
    qkt_model_t *mr = rotated_copy(m, &rt);
    /* order 0 (all E directions), then order 1 (its own sigma0 and sigma1) */
    for (int order = 0; order <= 1; order++) {
        qkt_params_t q = p;
        q.order = order;
        if (order == 0) q.nu_mask = 7;
        qkt_response_t *r = run(WHAT("%s, order %d", name, order), m, &q);
        qkt_response_t *r2 = run(WHAT("%s, U H U^dagger, order %d", name, order), mr, &q);
        char lab[300];
        snprintf(lab, sizeof lab, "%s (order %d run)", name, order);
        if (r && r2) compare_results(lab, r, r2, order);
        release(r);
        release(r2);
    }
    free(mr);
}

static void test_basis_continuum(void)
{
    /* weyl4 with b along z (examples/sigma_weyl4.ini), mu above both nodes; closed box
     * |k_a| <= 0.5 for both runs (the Fermi surface, |k| <~ 0.25, is inside) */
    qkt_params_t p = params_at(0.05, 0.0025, 1);
    p.reltol = 3e-2;
    p.kbox = 0.5;
    p.nu_mask = 3; /* E along x and y */
    p.al_mask = 4; /* B along z */
    p.ncell = 12; /* pocket map: 12^3 points instead of 48^3 */
    p.icell = 2;  /* 2^3 integration cells instead of 6^3 */
    p.maxeval = 5000;
    p.pilot = 5000;
    qkt_model_t *m = model("weyl4");
    setup(m);
    basis_change("weyl4 b=(0,0,0.2)", m, p);
    qkt_model_free(m);

    /* weyl4 with Delta tau_x (couples the nodes), mu5 tau_z and b off the axes */
    m = model("weyl4");
    set3(m, "b", 0.1, 0.05, 0.25);
    set1(m, "Delta", 0.08);
    set1(m, "mu5", 0.02);
    setup(m);
    p.mu = 0.06;
    p.nu_mask = 1; /* E along x, B along y: one column of each tensor keeps the run short */
    p.al_mask = 2;
    basis_change("weyl4 b=(0.1,0.05,0.25) Delta=0.08 mu5=0.02", m, p);
    qkt_model_free(m);
}

/* ------------------------------------------------------------------ (b) Wannier */
typedef struct {
    char head[3][256];  /* lattice vector lines, copied */
    int nw, nr, *deg, *R;
    double complex *H, *P; /* nr x nw^2, nr x 3 x nw^2 ([r][a][m nw + n]) */
} tb_t;

static int read_tb(const char *path, tb_t *t)
{
    FILE *f = fopen(path, "r");
    char line[512];
    if (!f || !fgets(line, sizeof line, f)) return -1;
    for (int i = 0; i < 3; i++)
        if (!fgets(t->head[i], sizeof t->head[i], f)) return -1;
    if (fscanf(f, "%d %d", &t->nw, &t->nr) != 2) return -1;
    int nel = t->nw * t->nw;
    t->deg = malloc(sizeof(int) * t->nr);
    t->R = malloc(sizeof(int) * 3 * t->nr);
    t->H = calloc((size_t)t->nr * nel, sizeof *t->H);
    t->P = calloc((size_t)t->nr * 3 * nel, sizeof *t->P);
    for (int i = 0; i < t->nr; i++)
        if (fscanf(f, "%d", &t->deg[i]) != 1) return -1;
    for (int pass = 0; pass < 2; pass++)
        for (int r = 0; r < t->nr; r++) {
            if (fscanf(f, "%d %d %d", &t->R[3 * r], &t->R[3 * r + 1], &t->R[3 * r + 2]) != 3) return -1;
            for (int l = 0; l < nel; l++) {
                int m, n;
                double v[6];
                if (fscanf(f, "%d %d", &m, &n) != 2) return -1;
                for (int j = 0; j < (pass ? 6 : 2); j++)
                    if (fscanf(f, "%lf", &v[j]) != 1) return -1;
                int e = (m - 1) * t->nw + (n - 1);
                if (!pass) t->H[(size_t)r * nel + e] = v[0] + I * v[1];
                else
                    for (int a = 0; a < 3; a++) t->P[((size_t)r * 3 + a) * nel + e] = v[2 * a] + I * v[2 * a + 1];
            }
        }
    fclose(f);
    return 0;
}

static int write_tb(const char *path, const tb_t *t)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    int nw = t->nw, nel = nw * nw;
    fprintf(f, " Si_tb.dat in a random orbital basis U (test_invariance)\n%s%s%s%12d\n%12d\n", t->head[0], t->head[1],
            t->head[2], nw, t->nr);
    for (int i = 0; i < t->nr; i++) fprintf(f, "%5d%s", t->deg[i], (i % 15 == 14 || i == t->nr - 1) ? "\n" : "");
    for (int pass = 0; pass < 2; pass++)
        for (int r = 0; r < t->nr; r++) {
            fprintf(f, "\n%5d%5d%5d\n", t->R[3 * r], t->R[3 * r + 1], t->R[3 * r + 2]);
            for (int n = 0; n < nw; n++)
                for (int m = 0; m < nw; m++) {
                    int e = m * nw + n;
                    fprintf(f, "%5d%5d", m + 1, n + 1);
                    if (!pass) {
                        double complex h = t->H[(size_t)r * nel + e];
                        fprintf(f, " %.17e %.17e\n", creal(h), cimag(h));
                    } else {
                        for (int a = 0; a < 3; a++) {
                            double complex x = t->P[((size_t)r * 3 + a) * nel + e];
                            fprintf(f, " %.17e %.17e", creal(x), cimag(x));
                        }
                        fprintf(f, "\n");
                    }
                }
        }
    return fclose(f);
}

static qkt_model_t *load_tb(const char *path)
{
    qkt_wannier_opts_t o;
    qkt_wannier_opts_default(&o);
    o.path = path;
    qkt_model_t *m = NULL;
    if (qkt_wannier_load(&o, &m)) {
        printf("FAIL load %s: %s\n", path, qkt_strerror());
        check_failures++;
        return NULL;
    }
    return m;
}

static void test_basis_wannier(void)
{
    printf("\n== (b) Wannier model in a random orbital basis: Si_tb.dat, H(R) and <0m|r|Rn> -> U . U^dagger ==\n");
    char src[1024], tmp[] = "/tmp/qkt_invariance_XXXXXX", dst[1100];
    snprintf(src, sizeof src, "%s/data/si/Si_tb.dat", check_shared_dir());
    tb_t t;
    memset(&t, 0, sizeof t);
    int rd = read_tb(src, &t);
    CHECK(rd == 0 && t.nw == 8 && t.nr == 93, "read %s by hand (num_wann %d, nrpts %d; want 8, 93)", src, t.nw, t.nr);
    if (rd || t.nw != 8 || !mkdtemp(tmp)) return;
    snprintf(dst, sizeof dst, "%s/SiU_tb.dat", tmp);
    double complex U[64], C[64];
    random_unitary(8, U);
    int nel = 64;
    for (int r = 0; r < t.nr; r++) {
        conjugate(8, U, t.H + (size_t)r * nel, C);
        memcpy(t.H + (size_t)r * nel, C, sizeof C);
        for (int a = 0; a < 3; a++) {
            conjugate(8, U, t.P + ((size_t)r * 3 + a) * nel, C);
            memcpy(t.P + ((size_t)r * 3 + a) * nel, C, sizeof C);
        }
    }
    CHECK(write_tb(dst, &t) == 0, "write %s", dst);
    qkt_model_t *m = load_tb(src), *mu = load_tb(dst);
    if (m && mu) {
        /* band energies at random k: equal to rounding (U and %.17e: 1e-12 eV) */
        qkt_bands_t *b = qkt_bands_alloc(8), *bu = qkt_bands_alloc(8);
        double dev = 0;
        for (int q = 0; q < 10; q++) {
            double k[3] = {2 * urand(), 2 * urand(), 2 * urand()};
            qkt_status_t s1 = qkt_bands_compute(b, m, k, QKT_BANDS_ENERGY), s2 = qkt_bands_compute(bu, mu, k, QKT_BANDS_ENERGY);
            CHECK(!s1 && !s2, "bands at k: %s", qkt_strerror());
            for (int n = 0; n < 8; n++) dev = fmax(dev, fabs(b->eps[n] - bu->eps[n]));
        }
        CHECK_ABS(dev, 0, 1e-12, "Si: max |eps_n(k; U H U^dagger) - eps_n(k; H)| at 10 random k (eV, rounding), tol 1e-12");
        qkt_bands_free(b);
        qkt_bands_free(bu);
        /* Drude and intrinsic sigma0 in the valence band (Si: VBM 6.387 eV), E along x and z */
        qkt_params_t p = params_at(6.0, 0.025852, 0);
        p.tau_intra = p.tau_inter = 15.19; /* 10 fs in hbar/eV */
        p.nu_mask = 5;
        p.reltol = 1e-2; /* both runs do the same integration: a small budget suffices */
        p.ncell = 8;
        p.icell = 2;
        p.maxeval = 5000;
        p.pilot = 2000;
        qkt_response_t *r = run("Si_tb.dat sigma0", m, &p), *r2 = run("Si_tb.dat in basis U, sigma0", mu, &p);
        if (r && r2) compare_results("Si", r, r2, 0);
        release(r);
        release(r2);
    }
    qkt_model_free(m);
    qkt_model_free(mu);
    unlink(dst);
    rmdir(tmp);
    free(t.deg);
    free(t.R);
    free(t.H);
    free(t.P);
}

/* ------------------------------------------------------------------ (c) rotation */
static qkt_response_t *node_run(const double w[3], const char *label)
{
    qkt_model_t *m = model("node");
    set3v(m, "tilt", w);
    setup(m);
    qkt_params_t p = params_at(0.1, 0.005, 1);
    p.rule = QKT_RULE_RTA;
    p.reltol = 1e-3;
    p.kbox = 0.5;
    qkt_response_t *r = run(label, m, &p);
    qkt_model_free(m);
    return r;
}

static void test_rotation(void)
{
    printf("\n== (c) rotation of a tilted node together with E and B ==\n");
    /* R: rotation by 0.7 rad about the axis (1, 2, 3)/sqrt(14) (Rodrigues) */
    double n[3] = {1 / sqrt(14.), 2 / sqrt(14.), 3 / sqrt(14.)}, c = cos(0.7), s = sin(0.7), R[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double eps = 0;
            int k = 3 - i - j;
            if (i != j) eps = ((j - i + 3) % 3 == 1 ? 1 : -1) * n[k];
            R[i][j] = c * (i == j) + (1 - c) * n[i] * n[j] - s * eps;
        }
    double w[3] = {0.2, 0.1, -0.15}, wr[3];
    for (int i = 0; i < 3; i++) wr[i] = R[i][0] * w[0] + R[i][1] * w[1] + R[i][2] * w[2];
    double det = R[0][0] * (R[1][1] * R[2][2] - R[1][2] * R[2][1]) - R[0][1] * (R[1][0] * R[2][2] - R[1][2] * R[2][0]) +
                 R[0][2] * (R[1][0] * R[2][1] - R[1][1] * R[2][0]);
    CHECK_ABS(det, 1, 1e-14, "det R = 1 (proper rotation), tol 1e-14");
    qkt_response_t *r = node_run(w, "node tilt w, order 1"), *r2 = node_run(wr, "node tilt R w, order 1");
    if (r && r2) {
        qkt_tensor_t want, got;
        rotate_t(R, &r->sigma0, &want);
        print_t("node sigma0(R w)", &r2->sigma0);
        print_t("R sigma0(w) R^T", &want);
        double dev, q = ratio(&r2->sigma0, &want, 2, &dev);
        printf("%s node: sigma0(R w) = R sigma0(w) R^T, tol 2 (e' + |R| e |R|^T): worst |diff|/tol %.3g (max|diff| %.3g)\n",
               q <= 1 ? "ok  " : "FAIL", q, dev);
        CHECK(q <= 1, "rotation of sigma0");
        /* control: the tilt makes sigma0 anisotropic, so the rotation is visible at this
         * tolerance: sigma0(R w) differs from the unrotated sigma0(w) */
        double qc = ratio(&r2->sigma0, &r->sigma0, 2, &dev);
        printf("%s node (control): sigma0(R w) != sigma0(w) beyond the same tolerance: |diff|/tol %.3g (want > 1)\n",
               qc > 1 ? "ok  " : "FAIL", qc);
        CHECK(qc > 1, "control: the rotation changes sigma0");
        for (int a = 0; a < 3; a++) {
            /* B = R e_a in the rotated run against R sigma1[a] R^T */
            double B[3] = {R[0][a], R[1][a], R[2][a]};
            qkt_response_sigma1(r2, B, &got);
            rotate_t(R, &r->sigma1[a], &want);
            if (a == 0) {
                print_t("node sigma1(R w, B = R e_x)", &got);
                print_t("R sigma1(w, e_x) R^T", &want);
            }
            q = ratio(&got, &want, 2, &dev);
            printf("%s node: sigma1(R w, R e_%c) = R sigma1(w, e_%c) R^T, tol 2 (e' + |R| e |R|^T): worst |diff|/tol %.3g "
                   "(max|diff| %.3g)\n",
                   q <= 1 ? "ok  " : "FAIL", "xyz"[a], "xyz"[a], q, dev);
            CHECK(q <= 1, "rotation of sigma1[%c]", "xyz"[a]);
        }
    }
    if (r) qkt_response_free(r);
    if (r2) qkt_response_free(r2);
    free(r);
    free(r2);
}

int main(void)
{
    double t0 = wall();
    test_basis_continuum();
    test_basis_wannier();
    test_rotation();
    printf("\ntotal wall time %.1f s\n", wall() - t0);
    CHECK_DONE();
}
