/* tensor_util.h - helpers of the tests that compare 3x3 response tensors
 * with their error estimates (test_invariance, test_covariance): a seeded
 * random number, the rotated tensor R sigma R^T, the ratio of a difference to
 * the error estimates, a printout. */
#ifndef QKT_TENSOR_UTIL_H
#define QKT_TENSOR_UTIL_H
#include <math.h>
#include <stdio.h>
#include "qkt.h"

/* xorshift64*, uniform in [-1, 1); *state is the seed, advanced by the call */
static inline double urand_next(unsigned long long *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return (double)((*state * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0 * 2 - 1;
}

/* R sigma R^T, and the error estimate propagated as sum |R_ia R_jb| e_ab */
static inline void rotate_t(double R[3][3], const qkt_tensor_t *s, qkt_tensor_t *out)
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double x = 0, e = 0;
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) {
                    x += R[i][a] * R[j][b] * s->v[a][b];
                    e += fabs(R[i][a] * R[j][b]) * s->e[a][b];
                }
            out->v[i][j] = x;
            out->e[i][j] = e;
        }
}

/* max over the elements of |a - b| / (fac (e_a + e_b) + floor), floor = 1e-12 max|a|
 * (rounding, for elements that vanish with a zero error estimate); <= 1 passes.
 * *absdev: the largest |a - b|. */
static inline double ratio(const qkt_tensor_t *a, const qkt_tensor_t *b, double fac, double *absdev)
{
    double mx = 0, worst = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) mx = fmax(mx, fabs(a->v[i][j]));
    *absdev = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double d = fabs(a->v[i][j] - b->v[i][j]);
            *absdev = fmax(*absdev, d);
            worst = fmax(worst, d / (fac * (a->e[i][j] + b->e[i][j]) + 1e-12 * mx + 1e-300));
        }
    return worst;
}

static inline void print_t(const char *label, const qkt_tensor_t *t)
{
    printf("  %s:\n", label);
    for (int i = 0; i < 3; i++)
        printf("    % .8e % .8e % .8e   (+- %.1e %.1e %.1e)\n", t->v[i][0], t->v[i][1], t->v[i][2], t->e[i][0],
               t->e[i][1], t->e[i][2]);
}
#endif
