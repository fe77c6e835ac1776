/* test_mod_pockets.c - module test of src/pockets: the Fermi-pocket map
 * (qkt_pockets_build with qkt_mapopts_t, qkt_pocket_at), PHYSICS.md "Fermi
 * pockets are found, not declared".
 *
 *   weyl4 (Eq. 69), b = (0, 0, 0.2), Delta = 0, v = 1: the two blocks
 *     tau_z = +-1 are (k +- b).sigma up to sign, nodes at (0, 0, -+0.2), each
 *     Fermi surface the exact sphere |k -+ b| = |mu|/v.
 *     mu = 0.05 (spheres of radius 0.05, 0.3 apart): 2 pockets; each centroid
 *       (of its cells) within one pocket-map cell (per axis) of its node (the
 *       spheres are symmetric about the nodes; the cell grid is not);
 *       qkt_pocket_at at node + (k_F, 0, 0) (on the Fermi surface) for band 2,
 *       the band at mu (bands ascending: -|k+b|-ish, -|k-b|, +|k-b|, ...),
 *       returns that node's pocket; a point with every band far from mu
 *       (k = (0.6, 0.6, 0)) is in no pocket.
 *     mu = -0.05: 2 pockets again (hole pockets of band 1).
 *     mu = 0.3 > |b| (the spheres of radius 0.3 overlap): 1 pocket, centroid
 *       at 0 within a cell (the union is symmetric under kz -> -kz).
 *   parabolic (Eq. 29), mass 1: mu = 0.5: 1 pocket centred at 0 within a cell;
 *     qkt_pocket_at on the Fermi sphere (k_F = sqrt(2 m mu) = 1) gives it, at
 *     k = 0 (energy 0, mu - 0 = 50 T, far outside the window) none.
 *     mu = -0.2 (below the band bottom 0 by more than the window 12 T = 0.12):
 *     0 pockets, and qkt_pocket_at is -1 everywhere.  2D (dim = 2): 1 pocket.
 *   lattice_weyl (periodic, a = 1, k0 = 0.5), mu = 0.1, T = 0.005: 2 pockets
 *     around (0, 0, +-k0).  They are not symmetric in kz - k0 (the cos kz
 *     dispersion: on the kz axis they reach k0 + 0.179 and k0 - 0.281), so the
 *     centroid's kz is only required to lie inside that extent; kx, ky within
 *     a cell of 0 (the pockets are symmetric in kx, ky).
 *     k0 = 3: the pockets meet across the zone face kz = +-pi into one pocket
 *     around it; its centroid lies on the face (within a cell), not at the
 *     zone centre where the plain mean of its cells' kz (0) would put it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "check.h"
#include "pockets/pockets.h"
#include "engine_util.h"

static qkt_mapopts_t mapopts(int ncell)
{
    qkt_mapopts_t o;
    memset(&o, 0, sizeof o);
    o.ncell = ncell;
    o.window = 12;
    return o;
}

static qkt_pockets_t *build(const qkt_model_t *m, double mu, double T, int ncell)
{
    qkt_mapopts_t o = mapopts(ncell);
    qkt_pockets_t *pk = NULL;
    qkt_status_t s = qkt_pockets_build(m, mu, T, &o, &pk);
    if (s || !pk) {
        printf("FAIL qkt_pockets_build(%s, mu = %g): %s\n", m->info->name, mu, qkt_strerror());
        exit(1);
    }
    printf("  %s mu = %g, T = %g: %d pocket(s); grid box", m->info->name, mu, T, pk->n);
    for (int a = 0; a < pk->dim; a++) printf(" [%.4g, %.4g]", pk->gmin[a], pk->gmax[a]);
    printf(", %d cells per axis\n", pk->ncell);
    for (int p = 0; p < pk->n; p++)
        printf("    pocket %d: centre (% .5f, % .5f, % .5f), %d cells, block %d\n", p, pk->center[p][0],
               pk->center[p][1], pk->center[p][2], pk->ncells[p], pk->band[p]);
    return pk;
}

/* k-space width of a pocket-map cell along axis a (closed continuum axes
 * and lattice axes: u = k resp. k = u b_a for a cubic lattice) */
static double cell_width(const qkt_pockets_t *pk, int a)
{
    double w = (pk->gmax[a] - pk->gmin[a]) / pk->ncell;
    return pk->periodic ? w * pk->m->bvec[a][a] : w;
}

/* every component of the centre of pocket p within tol[a] of c */
static void check_centre(const char *what, const qkt_pockets_t *pk, int p, const double c[3], const double ncellw[3])
{
    double worst = 0;
    int ok = 1;
    for (int a = 0; a < pk->dim; a++) {
        double tol = ncellw[a] * cell_width(pk, a), d = fabs(pk->center[p][a] - c[a]);
        worst = fmax(worst, d / cell_width(pk, a));
        ok &= d <= tol;
    }
    CHECK_OK(ok, "%s: centre (%.5f, %.5f, %.5f) vs (%.5f, %.5f, %.5f): largest offset %.3f cell widths (allowed %g, %g, %g)",
             what, pk->center[p][0], pk->center[p][1], pk->center[p][2], c[0], c[1], c[2], worst, ncellw[0], ncellw[1],
             ncellw[2]);
}

/* the pocket with the smaller (0) or larger (1) k_z */
static int by_kz(const qkt_pockets_t *pk, int upper)
{
    if (pk->n != 2) return 0;
    int lo = pk->center[0][2] < pk->center[1][2] ? 0 : 1;
    return upper ? 1 - lo : lo;
}

int main(void)
{
    const double one[3] = {1, 1, 1};
    printf("== weyl4, b = (0, 0, 0.2), Delta = 0 ==\n");
    {
        qkt_model_t *m = model("weyl4");
        set3(m, "b", 0, 0, 0.2);
        setup(m);
        const double T = 0.0025;
        qkt_pockets_t *pk = build(m, 0.05, T, 48);
        CHECK_OK(pk->n == 2, "weyl4 mu = 0.05: two pockets (found %d)", pk->n);
        if (pk->n == 2) {
            for (int up = 0; up < 2; up++) {
                int p = by_kz(pk, up);
                double node[3] = {0, 0, up ? 0.2 : -0.2};
                check_centre(WHAT("weyl4 mu = 0.05 pocket at k_z %c 0", up ? '>' : '<'), pk, p, node, one);
                double kf[3] = {node[0] + 0.05, node[1], node[2]};
                int got = qkt_pocket_at(pk, kf, 2);
                CHECK_OK(got == p, "qkt_pocket_at(node + (k_F, 0, 0), band 2) = %d (want %d, the pocket of node %+.1f)",
                         got, p, node[2]);
            }
            double far[3] = {0.6, 0.6, 0};
            int none = 1;
            for (int b = 0; b < 4; b++) none &= qkt_pocket_at(pk, far, b) == -1;
            CHECK_OK(none, "qkt_pocket_at((0.6, 0.6, 0), every band) = -1 (energies >= 0.6 - 0.2, far from mu)");
        }
        qkt_pockets_free(pk);

        pk = build(m, -0.05, T, 48);
        CHECK_OK(pk->n == 2, "weyl4 mu = -0.05: two (hole) pockets (found %d)", pk->n);
        if (pk->n == 2) {
            int p = by_kz(pk, 1);
            double kf[3] = {0, 0.05, 0.2};
            int got = qkt_pocket_at(pk, kf, 1);
            CHECK_OK(got == p, "qkt_pocket_at((0, k_F, 0.2), band 1) = %d (want %d)", got, p);
        }
        qkt_pockets_free(pk);

        pk = build(m, 0.3, 0.005, 48);
        CHECK_OK(pk->n == 1, "weyl4 mu = 0.3 > |b|: the Fermi spheres overlap, one pocket (found %d)", pk->n);
        if (pk->n == 1) {
            double c0[3] = {0, 0, 0};
            check_centre("weyl4 mu = 0.3 merged pocket", pk, 0, c0, one);
        }
        qkt_pockets_free(pk);
        qkt_model_free(m);
    }

    printf("== parabolic, mass 1 ==\n");
    {
        qkt_model_t *m = model("parabolic");
        setup(m);
        const double T = 0.01;
        qkt_pockets_t *pk = build(m, 0.5, T, 48);
        CHECK_OK(pk->n == 1, "parabolic mu = 0.5: one pocket (found %d)", pk->n);
        if (pk->n == 1) {
            double c0[3] = {0, 0, 0};
            check_centre("parabolic mu = 0.5", pk, 0, c0, one);
            double kf[3] = {0, 0, 1}, zero[3] = {0, 0, 0};
            CHECK_OK(qkt_pocket_at(pk, kf, 0) == 0, "qkt_pocket_at((0, 0, k_F = 1), 0) = %d (want 0)",
                     qkt_pocket_at(pk, kf, 0));
            CHECK_OK(qkt_pocket_at(pk, zero, 0) == -1, "qkt_pocket_at(0, 0) = %d (want -1: deep in the Fermi sea)",
                     qkt_pocket_at(pk, zero, 0));
        }
        qkt_pockets_free(pk);

        pk = build(m, -0.2, T, 48);
        CHECK_OK(pk->n == 0, "parabolic mu = -0.2 below the band bottom: no pocket (found %d)", pk->n);
        int none = 1;
        for (int i = 0; i < 5; i++) {
            double k[3] = {0.3 * i, -0.1 * i, 0.2};
            none &= qkt_pocket_at(pk, k, 0) == -1;
        }
        CHECK_OK(none, "no pocket: qkt_pocket_at = -1 at five points");
        qkt_pockets_free(pk);
        qkt_model_free(m);

        qkt_model_t *m2 = model("parabolic");
        set1(m2, "dim", 2);
        setup(m2);
        pk = build(m2, 0.5, T, 64);
        CHECK_OK(pk->n == 1, "parabolic in 2D, mu = 0.5: one pocket (found %d)", pk->n);
        if (pk->n == 1) {
            double c0[3] = {0, 0, 0};
            check_centre("parabolic 2D", pk, 0, c0, one);
            double kf[3] = {-0.6, 0.8, 0};
            CHECK_OK(qkt_pocket_at(pk, kf, 0) == 0, "2D: qkt_pocket_at((-0.6, 0.8), 0) = %d (want 0, |k| = k_F)",
                     qkt_pocket_at(pk, kf, 0));
        }
        qkt_pockets_free(pk);
        qkt_model_free(m2);
    }

    printf("== lattice_weyl (a = 1, k0 = 0.5) ==\n");
    {
        qkt_model_t *m = model("lattice_weyl");
        setup(m);
        qkt_pockets_t *pk = build(m, 0.1, 0.005, 48);
        CHECK_OK(pk->n == 2, "lattice_weyl mu = 0.1: two pockets (found %d)", pk->n);
        if (pk->n == 2) {
            /* on the axis kx = ky = 0 the Fermi surface of the node at +k0 lies
             * where |t (cos kz - cos k0)| = mu: kz = k0 + dp and k0 - dm with
             * (t cos k0 / 2) d^2 +- (t sin k0) d - mu = 0 (t = 1) */
            double s = sin(0.5), c = cos(0.5), mu = 0.1;
            double dp = (-s + sqrt(s * s + 2 * c * mu)) / c, dm = (s - sqrt(s * s - 2 * c * mu)) / c;
            for (int up = 0; up < 2; up++) {
                int p = by_kz(pk, up);
                double sg = up ? 1 : -1, cz = sg * pk->center[p][2];
                double w0 = cell_width(pk, 0), w1 = cell_width(pk, 1);
                CHECK_OK(fabs(pk->center[p][0]) <= w0 && fabs(pk->center[p][1]) <= w1 && cz > 0.5 - dm && cz < 0.5 + dp,
                         "lattice_weyl pocket %d: centre (%.5f, %.5f, %.5f): kx, ky within a cell of 0, |kz| = %.5f inside "
                         "the pocket's extent [k0 - %.4f, k0 + %.4f] on the kz axis (the node at %+.1f)",
                         p, pk->center[p][0], pk->center[p][1], pk->center[p][2], cz, dm, dp, sg * 0.5);
            }
        }
        qkt_pockets_free(pk);
        /* k0 = 3 (a = 1): the two pockets around (0, 0, +-3) meet across
         * the zone face kz = +-pi (0.28 apart through it) and form one
         * pocket around the face, symmetric under kz -> -kz.  Its cells lie
         * near kz = pi and near kz = -pi; the plain mean of their kz is 0,
         * the zone centre, where the pocket is not: the centroid must lie on
         * the face (|kz| within a cell of pi), kx and ky within a cell of 0 */
        set1(m, "k0", 3.0);
        setup(m);
        pk = build(m, 0.1, 0.005, 48);
        CHECK_OK(pk->n == 1, "lattice_weyl k0 = 3, mu = 0.1: one pocket across the zone face (found %d)", pk->n);
        if (pk->n == 1) {
            double w0 = cell_width(pk, 0), w1 = cell_width(pk, 1), w2 = cell_width(pk, 2);
            double cz = fabs(pk->center[0][2]);
            CHECK_OK(fabs(pk->center[0][0]) <= w0 && fabs(pk->center[0][1]) <= w1 && fabs(cz - M_PI) <= w2,
                     "lattice_weyl k0 = 3: the pocket across the zone face has its centre (%.5f, %.5f, %.5f) on the "
                     "face: |kz| - pi = %.2e (tolerance one cell, %.4f), kx, ky within a cell of 0",
                     pk->center[0][0], pk->center[0][1], pk->center[0][2], cz - M_PI, w2);
        }
        qkt_pockets_free(pk);
        qkt_model_free(m);
    }
    CHECK_DONE();
}
