/* chebyshev.h - Chebyshev interpolation of tabulated complex matrices on
 * [c - h, c + h]: the nodes of the first kind, barycentric interpolation
 * from node values, the series (coefficients, second-derivative series,
 * Clenshaw evaluation).  Used by the energy tables of the disorder kernel. */
#ifndef QKT_CORE_CHEBYSHEV_H
#define QKT_CORE_CHEBYSHEV_H
#include <complex.h>
#include <stddef.h>

/* node j of n on [c - h, c + h]: c + h cos((2j + 1) pi/(2n)) */
double qkt_cheb_node(int j, int n, double c, double h);
/* barycentric interpolation at e of n matrices (nb2 entries each, stride
 * apart) tabulated at the nodes x[n] (n <= QKT_CHEB_MAXN) */
#define QKT_CHEB_MAXN 64
void qkt_cheb_interp(const double *x, int n, const double complex *M0, size_t stride, int nb2, double e,
                     double complex *out);
/* coefficients c[k * cs], k < n, of the series sum_k c_k T_k(x) through the
 * values f[j * fs] at the n nodes */
void qkt_cheb_coeffs(int n, const double complex *f, size_t fs, double complex *c, size_t cs);
/* the series of the second derivative (in x) of the series c[k * cs]: d2[n]
 * (d1[n]: scratch) */
void qkt_cheb_deriv2(int n, const double complex *c, size_t cs, double complex *d1, double complex *d2);
/* sum_k cf[k * stride + i] T_k(x) for the nb2 entries i (Clenshaw); b1, b2:
 * nb2 scratch each */
void qkt_cheb_eval(const double complex *cf, size_t stride, int n, int nb2, double x, double complex *out,
                   double complex *b1, double complex *b2);

#endif
