/* chebyshev.c - Chebyshev nodes, barycentric interpolation and series of
 * tabulated complex matrices (core/chebyshev.h). */
#include <math.h>
#include <string.h>
#include "core/chebyshev.h"

double qkt_cheb_node(int j, int n, double c, double h) { return c + h * cos((2 * j + 1) * M_PI / (2 * n)); }

void qkt_cheb_interp(const double *x, int n, const double complex *M0, size_t stride, int nb2, double e,
                     double complex *out)
{
    memset(out, 0, sizeof(double complex) * nb2);
    double wsum = 0, wj[QKT_CHEB_MAXN];
    for (int j = 0; j < n; j++) {
        double d = e - x[j];
        if (d == 0) {
            memcpy(out, M0 + (size_t)j * stride, sizeof(double complex) * nb2);
            return;
        }
        wj[j] = (j % 2 ? -1 : 1) * sin((2 * j + 1) * M_PI / (2 * n)) / d;
        wsum += wj[j];
    }
    for (int j = 0; j < n; j++) {
        const double complex *M = M0 + (size_t)j * stride;
        for (int i = 0; i < nb2; i++) out[i] += wj[j] / wsum * M[i];
    }
}

void qkt_cheb_coeffs(int n, const double complex *f, size_t fs, double complex *c, size_t cs)
{
    for (int k = 0; k < n; k++) {
        double complex a = 0;
        for (int j = 0; j < n; j++) a += f[(size_t)j * fs] * cos(k * (2 * j + 1) * M_PI / (2 * n));
        c[(size_t)k * cs] = a * (k ? 2.0 : 1.0) / n;
    }
}

/* derivative series twice: d_{k-1} = d_{k+1} + 2 k c_k, d_0 halved */
void qkt_cheb_deriv2(int n, const double complex *c, size_t cs, double complex *d1, double complex *d2)
{
    const double complex *src = c;
    size_t ss = cs;
    for (int pass = 0; pass < 2; pass++) {
        double complex *d = pass ? d2 : d1;
        for (int k = 0; k < n; k++) d[k] = 0;
        for (int k = n - 1; k >= 1; k--) d[k - 1] = (k + 1 < n ? d[k + 1] : 0) + 2 * k * src[(size_t)k * ss];
        d[0] *= 0.5;
        src = d;
        ss = 1;
    }
}

void qkt_cheb_eval(const double complex *cf, size_t stride, int n, int nb2, double x, double complex *out,
                   double complex *b1, double complex *b2)
{
    for (int i = 0; i < nb2; i++) b1[i] = b2[i] = 0;
    for (int k = n - 1; k >= 1; k--) {
        const double complex *c = cf + (size_t)k * stride;
        for (int i = 0; i < nb2; i++) {
            double complex t = c[i] + 2 * x * b1[i] - b2[i];
            b2[i] = b1[i];
            b1[i] = t;
        }
    }
    for (int i = 0; i < nb2; i++) out[i] = cf[i] + x * b1[i] - b2[i];
}
