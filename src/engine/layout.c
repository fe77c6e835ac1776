/* layout.c - the offsets of every tallied quantity of the response tree in
 * one vector (engine/layout.h). */
#include "engine/layout.h"

void qkt_layout_init(qkt_layout_t *L, int order, int dim, int npk, int bonly, const int *nu,
                     int nnu, const int *al, int nal)
{
    memset(L, 0, sizeof *L);
    L->order = order;
    L->dim = dim;
    L->npk = npk;
    L->bonly = bonly;
    L->nnu = nnu;
    L->nal = nal;
    for (int i = 0; i < nnu; i++) L->nu[i] = nu[i];
    for (int i = 0; i < nal; i++) L->al[i] = al[i];
    int o = 0;
    int P = npk > 0 ? npk : 1, N = nnu > 0 ? nnu : 1, A = nal > 0 ? nal : 1;
    L->o_s0 = o; o += T0_N * N * 3;
    L->o_s1 = o; if (order >= 1) o += T1_N * N * A * 3;
    L->o_s2 = o; if (order >= 2) o += T2_N * N * A * A * 3;
    L->o_p1 = o; if (order >= 1) o += T1_N * N * A * P;
    L->o_a1 = o; if (order >= 1) o += T1_N * N * A * P;
    L->o_sea1 = o; if (order >= 1) o += T1_N * N * A * P;
    L->o_p2 = o; if (order >= 2) o += T1_N * N * A * A * P;
    L->o_a2 = o; if (order >= 2) o += T1_N * N * A * A * P;
    L->o_sea2 = o; if (order >= 2) o += T1_N * N * A * A * P;
    L->o_u1 = o; if (order >= 1) o += P * 3;
    L->o_u2 = o; if (order >= 2) o += P * A * CH_NCHILD * 3;
    L->o_up2 = o; if (order >= 2) o += P * A * P;
    L->o_norm = o; o += P;
    L->o_chir = o; o += P;
    L->o_cme = o; if (bonly) o += A * 3 * 3; /* [al][j_S_fs, j_S_sea, j_xi][mu] */
    L->o_streda = o; if (bonly) o += 3;
    L->o_pump67 = o; o += P * 9;
    L->o_dos = o; o += 3; /* DOS, density, DOS weight at degenerate points */
    L->o_vtab = o; /* sized by qkt_layout_vtab() */
    L->fdim = o;
}

