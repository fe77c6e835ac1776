/* contract.c - the response tensors contracted with field directions:
 * sigma^(1)(B) = sum_a B_a sigma_a, sigma^(2)(B) = sum_ab B_a B_b sigma_ab
 * (Eq. 39), quadratic forms e.sigma.e, the symmetrized rank-4 tensor, and the
 * chiral magnetic current j(B) = Tr[(-e) v (S_B + xi_B)] (Eqs. 42, 43, 86-95). */
#include <math.h>
#include <string.h>
#include "qkt.h"

void qkt_tensor_contract1(const qkt_tensor_t t[3], const double B[3], qkt_tensor_t *out)
{
    memset(out, 0, sizeof *out);
    for (int a = 0; a < 3; a++)
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                out->v[i][j] += B[a] * t[a].v[i][j];
                out->e[i][j] += fabs(B[a]) * t[a].e[i][j];
            }
}

void qkt_tensor_contract2(const qkt_tensor_t t[3][3], const double B[3], qkt_tensor_t *out)
{
    memset(out, 0, sizeof *out);
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) {
                    out->v[i][j] += B[a] * B[b] * t[a][b].v[i][j];
                    out->e[i][j] += fabs(B[a] * B[b]) * t[a][b].e[i][j];
                }
}

double qkt_tensor_quad(const qkt_tensor_t *t, const double e[3], double *err)
{
    double v = 0, ee = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            v += e[i] * t->v[i][j] * e[j];
            ee += fabs(e[i] * e[j]) * t->e[i][j];
        }
    if (err) *err = ee;
    return v;
}

void qkt_response_sigma2_sym(const qkt_response_t *r, int a, int b, qkt_tensor_t *out)
{
    double f = a == b ? 1 : 0.5;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            out->v[i][j] = a == b ? r->sigma2[a][a].v[i][j] : f * (r->sigma2[a][b].v[i][j] + r->sigma2[b][a].v[i][j]);
            out->e[i][j] = a == b ? r->sigma2[a][a].e[i][j] : f * (r->sigma2[a][b].e[i][j] + r->sigma2[b][a].e[i][j]);
        }
}

void qkt_response_cme(const qkt_response_t *r, const double B[3], qkt_cme_t *out)
{
    memset(out, 0, sizeof *out);
    for (int a = 0; a < 3; a++)
        for (int mu = 0; mu < 3; mu++) {
            double x = B[a], ax = fabs(B[a]);
            out->S_seed[mu] += x * r->cme_S[a][mu];
            out->S_seed_err[mu] += ax * r->cme_S_err[a][mu];
            out->S_fs[mu] += x * r->cme_S_fs[a][mu];
            out->S_fs_err[mu] += ax * r->cme_S_fs_err[a][mu];
            out->S_sea[mu] += x * r->cme_S_sea[a][mu];
            out->S_sea_err[mu] += ax * r->cme_S_sea_err[a][mu];
            out->xi[mu] += x * r->cme_xi[a][mu];
            out->xi_err[mu] += ax * r->cme_xi_err[a][mu];
            out->S_eq[mu] += x * r->cme_S_eq[a][mu];
            out->S_eq_err[mu] += ax * r->cme_S_eq_err[a][mu];
            out->D[mu] += x * r->cme_D[a][mu];
            out->D_err[mu] += ax * r->cme_D_err[a][mu];
            out->orb[mu] += x * r->cme_orb[a][mu];
            out->orb_err[mu] += ax * r->cme_orb_err[a][mu];
        }
    int eq = r->par.expansion == QKT_EXPANSION_EQUILIBRIUM;
    for (int mu = 0; mu < 3; mu++) {
        out->j_seed[mu] = out->S_seed[mu] + out->xi[mu];
        out->j_seed_err[mu] = out->S_seed_err[mu] + out->xi_err[mu];
        out->j_eq[mu] = out->S_eq[mu] + out->D[mu];
        out->j_eq_err[mu] = out->S_eq_err[mu] + out->D_err[mu];
        out->S[mu] = eq ? out->S_eq[mu] : out->S_seed[mu];
        out->S_err[mu] = eq ? out->S_eq_err[mu] : out->S_seed_err[mu];
        out->j[mu] = eq ? out->j_eq[mu] : out->j_seed[mu];
        out->j_err[mu] = eq ? out->j_eq_err[mu] : out->j_seed_err[mu];
    }
}

void qkt_response_sigma1(const qkt_response_t *r, const double B[3], qkt_tensor_t *out)
{
    qkt_tensor_contract1(r->sigma1, B, out);
}

void qkt_response_sigma2(const qkt_response_t *r, const double B[3], qkt_tensor_t *out)
{
    qkt_tensor_contract2(r->sigma2, B, out);
}
