/* mesh.c - uniform-mesh sums over the Brillouin zone of a periodic model.
 * The mesh is the one of Wannier90/postw90 (k = sum_i (j_i/N_i) b_i, Gamma
 * included), so that results can be compared with those codes point for
 * point; the adaptive integrator (adaptive.c) is qkt's own method with error
 * estimates.  Work is split by mesh planes j_1: each plane's sum is formed in
 * a fixed order and the planes are added in order, so 1 or more threads and
 * MPI ranks give the same digits. */
#include <omp.h>
#include <stdlib.h>
#include <time.h>
#if QKT_HAVE_MPI
#include <mpi.h>
#endif
#include "integrate/integrate.h"

qkt_status_t qkt_integrate_mesh(const qkt_model_t *m, const qkt_integrand_t *f, const int mesh[3], int nmu,
                                const double *mus, const qkt_intopts_t *o, double *val, qkt_intstats_t *stats)
{
    if (nmu > 0 && !f->eval_scan) return qkt_error(QKT_EINVAL, "this integrand has no chemical-potential scan");
    if (!m->periodic) return qkt_error(QKT_EINVAL, "a uniform mesh (numerics.mesh) needs a periodic model");
    int N[3] = {mesh[0], mesh[1], m->dim == 2 ? 1 : mesh[2]};
    for (int a = 0; a < 3; a++)
        if (N[a] < 1 || N[a] > 100000) return qkt_error(QKT_EINVAL, "mesh size %d out of range", N[a]);
    if (!(m->cell_volume > 0)) return qkt_error(QKT_EINVAL, "the model has no cell volume");
    if (o && o->shifted && o->weight) return qkt_error(QKT_EINVAL, "a shifted mesh takes no mesh weights");
    int half = o && o->half && stats && stats->cosets;
    if (half && (nmu > 0 || o->shifted || N[0] % 2 || N[1] % 2 || N[2] % (m->dim == 2 ? 1 : 2)))
        return qkt_error(QKT_EINVAL, "the meshes N/2 that make up the mesh need even sizes along the periodic axes, no "
                                     "scan and no displacement");
    if (half && o->weight && !(o->ops && o->nops > 0))
        return qkt_error(QKT_EINVAL, "the meshes N/2 of an irreducible wedge need the group's operations on the mesh");
    /* the meshes N/2 (cosets by parity c = p1 + 2 p2 + 4 p3): a point of
     * parity p with weight wt adds wt cnt[p][c] / nops to coset c, cnt[p][c]
     * the operations that map parity p to c (an orbit's point in coset c is
     * reached by |stabilizer| = nops / wt of them) */
    int ncoset = half ? (m->dim == 2 ? 4 : 8) : 0, cnt[8][8] = {{0}}, nops = 1;
    if (half) {
        if (o->weight) {
            nops = o->nops;
            for (int p = 0; p < ncoset; p++)
                for (int g = 0; g < nops; g++) {
                    int c = 0;
                    for (int i = 0; i < 3; i++) {
                        long s = 0;
                        for (int l = 0; l < 3; l++) s += (long)o->ops[g][i][l] * ((p >> l) & 1);
                        c |= (int)(((s % 2) + 2) % 2) << i;
                    }
                    if (c >= ncoset) return qkt_error(QKT_EINVAL, "a mesh operation moves the 2D mesh off its plane");
                    cnt[p][c]++;
                }
        } else
            for (int p = 0; p < ncoset; p++) cnt[p][p] = 1;
    }
    /* the displacement of copy s (half steps; qkt_integrate_mesh_shifts) */
    static const unsigned char U3[8][3] = {{0, 0, 0}, {1, 1, 1}, {1, 0, 0}, {0, 1, 0},
                                           {0, 0, 1}, {1, 1, 0}, {0, 1, 1}, {1, 0, 1}};
    static const unsigned char U2[4][3] = {{0, 0, 0}, {1, 1, 0}, {1, 0, 0}, {0, 1, 0}};
    int ns = m->dim == 2 ? 3 : 7, s = o ? o->shifted : 0;
    if (s < 0 || s > ns) return qkt_error(QKT_EINVAL, "mesh displacement %d out of range (0 to %d)", s, ns);
    double sh[3];
    for (int a = 0; a < 3; a++) sh[a] = 0.5 * (m->dim == 2 ? U2[s][a] : U3[s][a]);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (o && o->progress_phase) o->progress_phase(o->progress_user, "integrating");
    size_t row = (size_t)f->fdim * (nmu > 0 ? nmu : 1);
    int nset = 1 + ncoset;
    double *planes = calloc((size_t)N[0] * row * nset, sizeof(double));
    if (!planes) return qkt_error(QKT_ENOMEM, "out of memory for %d mesh planes of %zu values", N[0], row);
    /* the planes of the meshes N/2: after those of the mesh, coset by coset */
    double *cplanes = half ? planes + (size_t)N[0] * row : NULL;
    int size, rank = qkt_mpi_rank_size(&size);
    qkt_status_t st = QKT_OK;
    char msg[512] = "";
    long ndeg = 0, nevals = 0, nfall = 0;
    /* progress counts the points to evaluate, not the planes: with mesh
     * weights (an irreducible wedge) the planes hold very different numbers
     * of points, and a count of planes misjudged the time left by 6x (Fe,
     * 96^3 wedge) */
    long *pcount = NULL, ndone = 0, ntodo = 0;
    if (o && o->progress) {
        if (!(pcount = calloc((size_t)N[0], sizeof(long)))) {
            free(planes);
            return qkt_error(QKT_ENOMEM, "out of memory for %d mesh planes", N[0]);
        }
        for (int j1 = 0; j1 < N[0]; j1++) {
            if (j1 % size != rank) continue;
            if (!o->weight)
                pcount[j1] = (long)N[1] * N[2];
            else
                for (size_t i = (size_t)j1 * N[1] * N[2], e = i + (size_t)N[1] * N[2]; i < e; i++)
                    pcount[j1] += o->weight[i] != 0;
            ntodo += pcount[j1];
        }
    }
    double *ptmax = stats && nmu <= 0 ? stats->ptmax : NULL;
    if (ptmax) memset(ptmax, 0, sizeof(double) * row);
#pragma omp parallel reduction(+ : ndeg, nfall)
    {
        void *ws = f->ws_alloc(f->ctx);
        /* each plane j_1 is summed by one thread, line (j_1, j_2) after
         * line: N_3 points each, or fewer with weights */
        if (ws && f->lines) f->lines(ws, o && o->weight ? 1 : N[2]);
        double *buf = malloc(sizeof(double) * row), *tmax = ptmax ? calloc(row, sizeof(double)) : NULL;
        if (!ws || !buf || (ptmax && !tmax)) {
#pragma omp critical
            {
                st = QKT_ENOMEM;
                snprintf(msg, sizeof msg, "out of memory allocating the mesh workspace");
            }
        }
#pragma omp for schedule(dynamic, 1)
        for (int j1 = 0; j1 < N[0]; j1++) {
            if (j1 % size != rank || !ws || !buf || st) continue;
            double *acc = planes + (size_t)j1 * row;
            for (int j2 = 0; j2 < N[1] && !st; j2++)
                for (int j3 = 0; j3 < N[2]; j3++) {
                    int wt = o && o->weight ? o->weight[((size_t)j1 * N[1] + j2) * N[2] + j3] : 1;
                    if (wt == 0) continue;
#pragma omp atomic
                    nevals++;
                    double x[3] = {(j1 + sh[0]) / N[0], (j2 + sh[1]) / N[1], (j3 + sh[2]) / N[2]}, k[3];
                    for (int a = 0; a < 3; a++)
                        k[a] = x[0] * m->bvec[0][a] + x[1] * m->bvec[1][a] + x[2] * m->bvec[2][a];
                    memset(buf, 0, sizeof(double) * row);
                    qkt_status_t s = nmu > 0 ? f->eval_scan(ws, k, nmu, mus, buf) : f->eval(ws, k, buf);
                    if (s) {
#pragma omp critical
                        {
                            st = s;
                            snprintf(msg, sizeof msg, "%s", qkt_strerror());
                        }
                        break;
                    }
                    if (tmax)
                        for (size_t i = 0; i < row; i++) tmax[i] = fmax(tmax[i], fabs(buf[i]));
                    if (wt == 1)
                        for (size_t i = 0; i < row; i++) acc[i] += buf[i];
                    else
                        for (size_t i = 0; i < row; i++) acc[i] += wt * buf[i];
                    if (cplanes) {
                        /* the weight must be the orbit's size under these
                         * operations: nops / (the operations that fix j) */
                        int nstab = 0;
                        const int jj[3] = {j1, j2, j3};
                        for (int g = 0; g < nops && o->weight; g++) {
                            int fixed = 1;
                            for (int i = 0; i < 3 && fixed; i++) {
                                long x = 0;
                                for (int l = 0; l < 3; l++) x += (long)o->ops[g][i][l] * jj[l];
                                fixed = ((x - jj[i]) % N[i]) == 0;
                            }
                            nstab += fixed;
                        }
                        if (o->weight && (long)wt * nstab != nops) {
#pragma omp critical
                            {
                                st = QKT_EINVAL;
                                snprintf(msg, sizeof msg,
                                         "mesh point (%d, %d, %d): weight %d is not the size of its orbit under the %d "
                                         "operations given (%d of them fix it): weights and operations of different "
                                         "groups", j1, j2, j3, wt, nops, nstab);
                            }
                            break;
                        }
                        int p = (j1 & 1) | (j2 & 1) << 1 | (j3 & 1) << 2;
                        for (int c = 0; c < ncoset; c++) {
                            /* wt cnt[p][c] / nops = cnt[p][c] / nstab: exact */
                            long wc = (long)wt * cnt[p][c];
                            if (!wc) continue;
                            double *acc_c = cplanes + ((size_t)c * N[0] + j1) * row;
                            double fc = (double)(wc / nops);
                            for (size_t i = 0; i < row; i++) acc_c[i] += fc * buf[i];
                        }
                    }
                }
            if (pcount) {
#pragma omp critical(qkt_progress)
                {
                    ndone += pcount[j1];
                    o->progress(o->progress_user, ndone, ntodo);
                }
            }
        }
        if (ws) ndeg += f->ndegen(ws);
        if (ws && f->nfallback) nfall += f->nfallback(ws);
        f->ws_free(ws);
        free(buf);
        if (tmax) {
#pragma omp critical(qkt_mesh_ptmax)
            for (size_t i = 0; i < row; i++) ptmax[i] = fmax(ptmax[i], tmax[i]);
            free(tmax);
        }
    }
#if QKT_HAVE_MPI
    if (size > 1) {
        /* every plane row was written by exactly one rank: the sum is exact */
        MPI_Allreduce(MPI_IN_PLACE, planes, (int)(N[0] * row * nset), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, &ndeg, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, &nfall, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, &nevals, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
        if (ptmax) MPI_Allreduce(MPI_IN_PLACE, ptmax, (int)row, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        int bad = st != QKT_OK, anybad = 0;
        MPI_Allreduce(&bad, &anybad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        if (anybad && !st) st = qkt_error(QKT_ENUM, "mesh sum failed on another MPI rank");
    }
#endif
    free(pcount);
    if (st) {
        free(planes);
        if (msg[0]) qkt_error(st, "%s", msg);
        return st;
    }
    double ntot = (double)N[0] * N[1] * N[2];
    double w = 1 / (ntot * m->cell_volume);
    memset(val, 0, sizeof(double) * row);
    for (int j1 = 0; j1 < N[0]; j1++)
        for (size_t i = 0; i < row; i++) val[i] += planes[(size_t)j1 * row + i];
    for (size_t i = 0; i < row; i++) val[i] *= w;
    /* the meshes N/2, each with the weight of a mesh N/2 */
    for (int c = 0; c < ncoset; c++) {
        double *out = stats->cosets + (size_t)c * row, wl = w * ncoset;
        memset(out, 0, sizeof(double) * row);
        for (int j1 = 0; j1 < N[0]; j1++)
            for (size_t i = 0; i < row; i++) out[i] += cplanes[((size_t)c * N[0] + j1) * row + i];
        for (size_t i = 0; i < row; i++) out[i] *= wl;
    }
    if (ptmax)
        for (size_t i = 0; i < row; i++) ptmax[i] *= w;
    free(planes);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (stats) {
        stats->neval = (size_t)nevals; /* this rank's */
        stats->converged = 1;
        stats->seconds = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
        stats->ndegen = ndeg;
        stats->nfallback = nfall;
    }
    return QKT_OK;
}

/* the progress of the meshes of qkt_integrate_mesh_shifts as one run */
typedef struct {
    void (*progress)(void *user, long done, long total);
    void *user;
    int pass, npass;
} shift_progress_t;

static void shift_progress(void *user, long done, long total)
{
    const shift_progress_t *pp = user;
    pp->progress(pp->user, pp->pass * total + done, pp->npass * total);
}

qkt_status_t qkt_integrate_mesh_shifts(const qkt_model_t *m, const qkt_integrand_t *f, const int mesh[3], int nmu,
                                       const double *mus, int nshift, const qkt_intopts_t *o, double *val,
                                       double *err, qkt_intstats_t *stats)
{
    if (o->weight) return qkt_error(QKT_EINVAL, "the displaced-mesh error estimate takes no mesh weights");
    int nmax = m->dim == 2 ? 3 : 7;
    if (nshift < 1 || nshift > nmax)
        return qkt_error(QKT_EINVAL, "displaced meshes: 1 to %d in %dD (got %d)", nmax, m->dim, nshift);
    size_t row = (size_t)f->fdim * (nmu > 0 ? nmu : 1);
    double *v2 = malloc(sizeof(double) * row), *scale = malloc(sizeof(double) * row);
    if (!v2 || !scale) {
        free(v2);
        free(scale);
        return qkt_error(QKT_ENOMEM, "out of memory for the displaced meshes (%zu values)", row);
    }
    qkt_intopts_t oo = *o;
    shift_progress_t pp = {o->progress, o->progress_user, 0, nshift + 1};
    if (o->progress_phase) o->progress_phase(o->progress_user, "integrating");
    oo.progress_phase = NULL; /* one phase for all the copies; the user pointer below is pp */
    if (o->progress) {
        oo.progress = shift_progress;
        oo.progress_user = &pp;
    }
    /* the hot spots (ptmax) are those of the mesh whose sum is printed */
    qkt_intstats_t s1;
    memset(&s1, 0, sizeof s1);
    s1.ptmax = stats ? stats->ptmax : NULL;
    oo.shifted = 0;
    qkt_status_t st = qkt_integrate_mesh(m, f, mesh, nmu, mus, &oo, val, &s1);
    memset(err, 0, sizeof(double) * row);
    int done = 0;
    for (int s = 1; s <= nshift && !st && !qkt_mpi_deadline_passed(o->deadline); s++) {
        qkt_intstats_t s2;
        memset(&s2, 0, sizeof s2);
        pp.pass = s;
        oo.shifted = s;
        st = qkt_integrate_mesh(m, f, mesh, nmu, mus, &oo, v2, &s2);
        if (st) break;
        for (size_t i = 0; i < row; i++) err[i] = fmax(err[i], fabs(val[i] - v2[i]));
        s1.neval += s2.neval;
        s1.seconds += s2.seconds;
        s1.ndegen += s2.ndegen;
        s1.nfallback += s2.nfallback;
        done++;
    }
    if (!st) {
        if (!done)
            for (size_t i = 0; i < row; i++) err[i] = fabs(val[i]);
        int conv = done == nshift;
        if (conv && o->reltol > 0)
            for (int b = 0; b < (nmu > 0 ? nmu : 1) && !st; b++) {
                size_t off = (size_t)b * f->fdim;
                st = qkt_integrate_scales(f, 1, val + off, scale + off);
                for (int i = 0; i < f->fdim && !st; i++)
                    if (err[off + i] > o->reltol * scale[off + i]) conv = 0;
            }
        if (stats && !st) {
            stats->neval = s1.neval;
            stats->seconds = s1.seconds;
            stats->ndegen = s1.ndegen;
            stats->nfallback = s1.nfallback;
            stats->converged = conv;
            stats->timed_out = nshift - done;
        }
    }
    free(v2);
    free(scale);
    return st;
}
