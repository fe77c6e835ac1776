/* tensor_util.h - helpers of the tests that compare 3x3 response tensors
 * with their error estimates (test_invariance, test_covariance,
 * test_covariance_models): a seeded random number, rotations (axis and angle,
 * random), the rotated tensor R sigma R^T, the ratio of a difference to the
 * error estimates, a printout, sigma^(2) re-assembled under a rule. */
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

static inline double max_abs_t(const qkt_tensor_t *t)
{
    double mx = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) mx = fmax(mx, fabs(t->v[i][j]));
    return mx;
}

/* max over the elements of |a - b| / (fac (e_a + e_b) + floor), floor = 1e-12 max|a|
 * (rounding, for elements that vanish with a zero error estimate); <= 1 passes.
 * *absdev: the largest |a - b|. */
static inline double ratio(const qkt_tensor_t *a, const qkt_tensor_t *b, double fac, double *absdev)
{
    double mx = max_abs_t(a), worst = 0;
    *absdev = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double d = fabs(a->v[i][j] - b->v[i][j]);
            *absdev = fmax(*absdev, d);
            worst = fmax(worst, d / (fac * (a->e[i][j] + b->e[i][j]) + 1e-12 * mx + 1e-300));
        }
    return worst;
}

/* rotation by angle t about the unit axis n (Rodrigues) */
static inline void rotation_axis(const double n[3], double t, double R[3][3])
{
    double c = cos(t), s = sin(t);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double eps = 0;
            if (i != j) eps = ((j - i + 3) % 3 == 1 ? 1 : -1) * n[3 - i - j];
            R[i][j] = c * (i == j) + (1 - c) * n[i] * n[j] - s * eps;
        }
}

/* a rotation about the unit axis n by a random angle, 0.5 to 2.5 rad */
static inline void random_rotation_about(unsigned long long *state, const double n[3], double R[3][3])
{
    rotation_axis(n, 0.5 + 2 * fabs(urand_next(state)), R);
}

/* a rotation about a random axis by a random angle, 0.5 to 2.5 rad */
static inline void random_rotation(unsigned long long *state, double R[3][3])
{
    double n[3], nn;
    do {
        for (int a = 0; a < 3; a++) n[a] = urand_next(state);
        nn = sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    } while (nn < 0.2 || nn > 1);
    for (int a = 0; a < 3; a++) n[a] /= nn;
    random_rotation_about(state, n, R);
}

static inline void matvec(double R[3][3], const double x[3], double y[3])
{
    for (int i = 0; i < 3; i++) y[i] = R[i][0] * x[0] + R[i][1] * x[1] + R[i][2] * x[2];
}

static inline void print_rotation(const char *label, double R[3][3])
{
    printf("  %s = [% .4f % .4f % .4f; % .4f % .4f % .4f; % .4f % .4f % .4f]\n", label, R[0][0], R[0][1], R[0][2],
           R[1][0], R[1][1], R[1][2], R[2][0], R[2][1], R[2][2]);
}

/* sigma^(2) of r at field B, re-assembled under rule with relaxation times ti,
 * tx (rule paper: for the direction of B, or per Cartesian pair if cart) */
static inline qkt_status_t sigma2_rule(qkt_response_t *r, qkt_rule_t rule, int cart, double ti, double tx,
                                       const double B[3], qkt_tensor_t *out)
{
    for (int a = 0; a < 3; a++) r->par.field[a] = cart ? 0 : B[a];
    qkt_status_t s = qkt_response_assemble(r, rule, ti, tx);
    if (s == QKT_OK) qkt_response_sigma2(r, B, out);
    return s;
}

/* covariance of sigma^(2) under a rotation R: r2 (the rotated model) at the
 * field R B against R sigma^(2)(r; B) R^T, both assembled under rule (with cart
 * as sigma2_rule); returns the worst |diff| / (2 (e' + |R| e |R|^T)) (ratio
 * with fac 2; <= 1 passes), *absdev the largest |diff|, *s2 and *want the
 * compared tensors; negative if an assembly failed (*st its status). */
static inline double cov_ratio(qkt_response_t *r, qkt_response_t *r2, double R[3][3], const double B[3],
                               qkt_rule_t rule, int cart, double ti, double tx, qkt_tensor_t *s2,
                               qkt_tensor_t *want, double *absdev, qkt_status_t *st)
{
    double RB[3];
    qkt_tensor_t s;
    *absdev = 0;
    matvec(R, B, RB);
    *st = sigma2_rule(r, rule, cart, ti, tx, B, &s);
    if (*st == QKT_OK) *st = sigma2_rule(r2, rule, cart, ti, tx, RB, s2);
    if (*st) return -1;
    rotate_t(R, &s, want);
    return ratio(s2, want, 2, absdev);
}

static inline void print_t(const char *label, const qkt_tensor_t *t)
{
    printf("  %s:\n", label);
    for (int i = 0; i < 3; i++)
        printf("    % .8e % .8e % .8e   (+- %.1e %.1e %.1e)\n", t->v[i][0], t->v[i][1], t->v[i][2], t->e[i][0],
               t->e[i][1], t->e[i][2]);
}
#endif
