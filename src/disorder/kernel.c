/* kernel.c - the coordinates of Hermitian orbital matrices used by the Born
 * shell operator of rule born (disorder/kernel.h). */
#include "disorder/kernel.h"

void qkt_born_coords(int nb, const double complex *U, int m, double *p)
{
    int a = 0;
    for (int i = 0; i < nb; i++) p[a++] = creal(U[i * nb + m] * conj(U[i * nb + m]));
    for (int i = 0; i < nb; i++)
        for (int j = i + 1; j < nb; j++) {
            double complex P = U[i * nb + m] * conj(U[j * nb + m]);
            p[a++] = M_SQRT2 * creal(P);
            p[a++] = M_SQRT2 * cimag(P);
        }
}

void qkt_born_matrix(int nb, const double *x, double complex *X)
{
    int a = 0;
    for (int i = 0; i < nb; i++) X[i * nb + i] = x[a++];
    for (int i = 0; i < nb; i++)
        for (int j = i + 1; j < nb; j++) {
            double s = x[a++], t = x[a++];
            X[i * nb + j] = (s + I * t) / M_SQRT2;
            X[j * nb + i] = (s - I * t) / M_SQRT2;
        }
}
