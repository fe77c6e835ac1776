/* symmetry.c - magnetic point group of a crystal and symmetrization of the
 * response tensors (docs/physics.md, "Magnetic symmetry").
 *
 *  - qkt_win_structure_read: unit_cell_cart and atoms_frac / atoms_cart of a
 *    Wannier90 .win file;
 *  - qkt_magsym_find: the magnetic space group of the crystal with per-atom
 *    moments (spglib's spg_get_magnetic_dataset), reduced to its point part:
 *    Cartesian rotations R with a time-reversal flag, deduplicated;
 *  - qkt_magsym_check_lattice, qkt_magsym_check_model: the .win lattice is the
 *    model's, and the model's spectrum obeys each operation;
 *  - qkt_magsym_projector / qkt_magsym_apply / qkt_magsym_response: the group
 *    average of a rank-2, 3 or 4 response tensor (projector onto the invariant
 *    subspace), symmetry-forbidden components exactly zero. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spglib.h>
#include "qkt.h"
#include "response/raw.h"

/* Wannier90 3.x converts bohr with CODATA 2006 (constants.F90) */
#define QKT_BOHR_ANGSTROM 0.52917720859

/* ------------------------------------------------------------------ .win reader */

static char *strip(char *s)
{
    char *c = strpbrk(s, "!#");
    if (c) *c = 0;
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    return s;
}

static void lower(char *s)
{
    for (; *s; s++) *s = (char)tolower((unsigned char)*s);
}

/* "begin NAME" / "end NAME" (any case, blanks between) */
static int block_line(const char *s, const char *what, const char *name)
{
    char a[64], b[64];
    if (sscanf(s, "%63s %63s", a, b) != 2) return 0;
    lower(a);
    lower(b);
    return !strcmp(a, what) && !strcmp(b, name);
}

static int read3(const char *s, double x[3])
{
    const char *p = s, *end;
    for (int i = 0; i < 3; i++) {
        while (isspace((unsigned char)*p)) p++;
        if (qkt_parse_real(p, &end, &x[i], 1)) return 0;
        p = end;
    }
    while (isspace((unsigned char)*p)) p++;
    return *p == 0;
}

void qkt_crystal_free(qkt_crystal_t *c)
{
    if (!c) return;
    free(c->pos);
    free(c->type);
    free(c->label);
    memset(c, 0, sizeof *c);
}

static double det3(const double a[3][3])
{
    return a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
           a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
}

static void inv3(const double a[3][3], double r[3][3])
{
    double d = det3(a);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            int i1 = (j + 1) % 3, i2 = (j + 2) % 3, j1 = (i + 1) % 3, j2 = (i + 2) % 3;
            r[i][j] = (a[i1][j1] * a[i2][j2] - a[i1][j2] * a[i2][j1]) / d;
        }
}

qkt_status_t qkt_win_structure_read(const char *path, qkt_crystal_t *c)
{
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "r");
    if (!f) return qkt_error(QKT_EIO, "%s: %s", path, strerror(errno));
    char raw[1024];
    int ln = 0, in = 0; /* 1: unit_cell_cart, 2: atoms_frac, 3: atoms_cart */
    int have_cell = 0, have_atoms = 0, ncell = 0, cart = 0, bohr_cell = 0, bohr_atoms = 0, first = 0;
    int cap = 0;
    qkt_status_t s = QKT_OK;
#define FAIL(...) do { s = qkt_error(QKT_EFORMAT, __VA_ARGS__); goto out; } while (0)
    while (fgets(raw, sizeof raw, f)) {
        ln++;
        if (!strchr(raw, '\n') && !feof(f)) FAIL("%s:%d: line longer than %zu characters", path, ln, sizeof raw - 2);
        char *l = strip(raw);
        if (!*l) continue;
        if (!in) {
            if (block_line(l, "begin", "unit_cell_cart")) {
                if (have_cell) FAIL("%s:%d: second unit_cell_cart block", path, ln);
                in = 1, first = 1, ncell = 0;
            } else if (block_line(l, "begin", "atoms_frac") || block_line(l, "begin", "atoms_cart")) {
                if (have_atoms) FAIL("%s:%d: second atoms block", path, ln);
                cart = block_line(l, "begin", "atoms_cart");
                in = cart ? 3 : 2, first = 1;
            }
            continue;
        }
        const char *names[] = {"", "unit_cell_cart", "atoms_frac", "atoms_cart"};
        if (block_line(l, "end", names[in])) {
            if (in == 1) {
                if (ncell != 3) FAIL("%s:%d: unit_cell_cart has %d lattice vectors, needs 3", path, ln, ncell);
                have_cell = 1;
            } else {
                if (!c->natom) FAIL("%s:%d: %s block without atoms", path, ln, names[in]);
                have_atoms = 1;
            }
            in = 0;
            continue;
        }
        char tmp[1024];
        snprintf(tmp, sizeof tmp, "%s", l);
        lower(tmp);
        if (!strncmp(tmp, "end", 3) || !strncmp(tmp, "begin", 5))
            FAIL("%s:%d: '%s' inside the %s block", path, ln, l, names[in]);
        if (first && in != 2 && (!strcmp(tmp, "bohr") || !strcmp(tmp, "ang"))) {
            if (in == 1) bohr_cell = !strcmp(tmp, "bohr");
            else bohr_atoms = !strcmp(tmp, "bohr");
            first = 0;
            continue;
        }
        first = 0;
        if (in == 1) {
            if (ncell >= 3) FAIL("%s:%d: more than 3 lattice vectors in unit_cell_cart", path, ln);
            if (!read3(l, c->avec[ncell]))
                FAIL("%s:%d: expected three numbers (a lattice vector), got '%s'", path, ln, l);
            ncell++;
        } else {
            char lab[64];
            int n = 0;
            if (sscanf(l, "%63s%n", lab, &n) != 1 || !isalpha((unsigned char)lab[0]))
                FAIL("%s:%d: expected 'Species x y z', got '%s'", path, ln, l);
            if (c->natom == cap) {
                cap = cap ? 2 * cap : 8;
                if (cap > 100000) FAIL("%s:%d: too many atoms", path, ln);
                c->pos = realloc(c->pos, (size_t)cap * sizeof *c->pos);
                c->type = realloc(c->type, (size_t)cap * sizeof *c->type);
                c->label = realloc(c->label, (size_t)cap * sizeof *c->label);
                if (!c->pos || !c->type || !c->label) {
                    s = qkt_error(QKT_ENOMEM, "%s: out of memory", path);
                    goto out;
                }
            }
            if (!read3(l + n, c->pos[c->natom]))
                FAIL("%s:%d: expected 'Species x y z' (three numbers after the species), got '%s'", path, ln, l);
            if (strlen(lab) >= sizeof c->label[0]) FAIL("%s:%d: species label '%s' longer than 15 characters", path, ln, lab);
            memcpy(c->label[c->natom], lab, strlen(lab) + 1);
            /* species: the label without trailing digits, case-insensitive (Fe1, Fe2: one type) */
            c->type[c->natom] = -1;
            c->natom++;
        }
    }
    if (in) FAIL("%s: block not closed at end of file", path);
    if (!have_cell) FAIL("%s: no unit_cell_cart block (begin unit_cell_cart ... end unit_cell_cart)", path);
    if (!have_atoms) FAIL("%s: no atoms_frac or atoms_cart block", path);
    if (bohr_cell)
        for (int i = 0; i < 9; i++) c->avec[i / 3][i % 3] *= QKT_BOHR_ANGSTROM;
    if (!(fabs(det3(c->avec)) > 1e-6)) FAIL("%s: unit_cell_cart vectors are linearly dependent", path);
    if (cart) { /* r = sum_i x_i a_i: x = r A^-1 with A rows a_i */
        double ai[3][3];
        inv3(c->avec, ai);
        for (int n = 0; n < c->natom; n++) {
            double r[3], x[3];
            for (int i = 0; i < 3; i++) r[i] = c->pos[n][i] * (bohr_atoms ? QKT_BOHR_ANGSTROM : 1);
            for (int j = 0; j < 3; j++) x[j] = r[0] * ai[0][j] + r[1] * ai[1][j] + r[2] * ai[2][j];
            memcpy(c->pos[n], x, sizeof x);
        }
    }
    /* types by species name (letters only, case-insensitive) */
    for (int n = 0; n < c->natom; n++) {
        char a[16];
        snprintf(a, sizeof a, "%s", c->label[n]);
        for (char *p = a; *p; p++)
            if (!isalpha((unsigned char)*p)) *p = 0;
        lower(a);
        for (int m = 0; m < n && c->type[n] < 0; m++) {
            char b[16];
            snprintf(b, sizeof b, "%s", c->label[m]);
            for (char *p = b; *p; p++)
                if (!isalpha((unsigned char)*p)) *p = 0;
            lower(b);
            if (!strcmp(a, b)) c->type[n] = c->type[m];
        }
        if (c->type[n] < 0) c->type[n] = c->ntype++;
    }
    snprintf(c->source, sizeof c->source, "%s", path);
out:
#undef FAIL
    fclose(f);
    if (s) qkt_crystal_free(c);
    return s;
}

/* ------------------------------------------------------------------ magnetic point group */

/* exact values of the entries of a crystallographic rotation in a Cartesian
 * frame aligned with its axes */
static int snap(double *x)
{
    static const double v[] = {0, 0.5, 1, 0.86602540378443864676};
    for (int i = 0; i < 4; i++)
        if (fabs(fabs(*x) - v[i]) < 1e-4) {
            *x = copysign(v[i], *x);
            if (v[i] == 0) *x = 0;
            return 1;
        }
    return 0;
}

static void mul3(const double a[3][3], const double b[3][3], double r[3][3])
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) r[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
}

static int same3(const double a[3][3], const double b[3][3], double tol)
{
    for (int i = 0; i < 9; i++)
        if (fabs(a[i / 3][i % 3] - b[i / 3][i % 3]) > tol) return 0;
    return 1;
}

qkt_status_t qkt_magsym_find(const qkt_crystal_t *c, const double *moments, double symprec, qkt_magsym_t *g)
{
    memset(g, 0, sizeof *g);
    if (!c || c->natom < 1) return qkt_error(QKT_EINVAL, "magnetic symmetry: no atoms");
    if (!(symprec > 0)) symprec = 1e-5;
    double lat[3][3], (*pos)[3] = malloc((size_t)c->natom * sizeof *pos), *mom = calloc((size_t)c->natom * 3, sizeof *mom);
    if (!pos || !mom) {
        free(pos);
        free(mom);
        return qkt_error(QKT_ENOMEM, "magnetic symmetry: out of memory");
    }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) lat[i][j] = c->avec[j][i]; /* spglib: basis vectors as columns */
    memcpy(pos, c->pos, (size_t)c->natom * sizeof *pos);
    int magnetic = 0;
    if (moments)
        for (int i = 0; i < 3 * c->natom; i++) {
            mom[i] = moments[i];
            magnetic |= moments[i] != 0;
        }
    g->magnetic = magnetic;
    SpglibMagneticDataset *d = spg_get_magnetic_dataset(lat, pos, c->type, mom, 1,
                                                        c->natom, 1, symprec);
    free(pos);
    free(mom);
    if (!d)
        return qkt_error(QKT_EPHYS, "magnetic symmetry of %s: spglib found no magnetic space group (%s; symprec %g)",
                         c->source, spg_get_error_message(spg_get_error_code()), symprec);
    g->uni_number = d->uni_number;
    g->msg_type = d->msg_type;
    SpglibMagneticSpacegroupType t = spg_get_magnetic_spacegroup_type(d->uni_number);
    snprintf(g->bns_number, sizeof g->bns_number, "%s", t.bns_number);
    snprintf(g->og_number, sizeof g->og_number, "%s", t.og_number);
    SpglibSpacegroupType st = spg_get_spacegroup_type(d->hall_number);
    snprintf(g->family_symbol, sizeof g->family_symbol, "%s", st.international_short);
    snprintf(g->family_pointgroup, sizeof g->family_pointgroup, "%s", st.pointgroup_international);
    /* Cartesian point parts R = L W L^-1 (L: lattice vectors as columns) */
    double li[3][3];
    inv3(lat, li);
    qkt_status_t s = QKT_OK;
    for (int o = 0; o < d->n_operations && !s; o++) {
        double W[3][3], t1[3][3], R[3][3];
        for (int i = 0; i < 9; i++) W[i / 3][i % 3] = d->rotations[o][i / 3][i % 3];
        mul3(lat, W, t1);
        mul3(t1, li, R);
        for (int i = 0; i < 9; i++)
            if (!snap(&R[i / 3][i % 3]))
                s = qkt_error(QKT_EPHYS,
                              "magnetic symmetry of %s: operation %d has Cartesian entry %.6g, not one of 0, "
                              "+-1/2, +-sqrt(3)/2, +-1 (the lattice's symmetry axes must be along x, y, z, "
                              "or the lattice is not exactly symmetric)",
                              c->source, o + 1, R[i / 3][i % 3]);
        if (s) break;
        double RtR[3][3], Rt[3][3], one[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
        for (int i = 0; i < 9; i++) Rt[i / 3][i % 3] = R[i % 3][i / 3];
        mul3(Rt, R, RtR);
        if (!same3(RtR, one, 1e-12)) {
            s = qkt_error(QKT_EPHYS, "magnetic symmetry of %s: operation %d is not orthogonal in Cartesian axes",
                          c->source, o + 1);
            break;
        }
        int anti = d->time_reversals[o] != 0, dup = 0;
        for (int k = 0; k < g->nop && !dup; k++) dup = g->anti[k] == anti && same3(g->R[k], R, 0);
        if (dup) continue;
        if (g->nop == QKT_MAGSYM_MAX) {
            s = qkt_error(QKT_EPHYS, "magnetic symmetry of %s: more than %d point operations", c->source,
                          QKT_MAGSYM_MAX);
            break;
        }
        memcpy(g->R[g->nop], R, sizeof R);
        g->anti[g->nop++] = anti;
        if (anti) g->nanti++;
        else g->nunitary++;
    }
    spg_free_magnetic_dataset(d);
    if (s) return s;
    /* a point group: closed under products */
    for (int a = 0; a < g->nop; a++)
        for (int b = 0; b < g->nop; b++) {
            double P[3][3];
            mul3(g->R[a], g->R[b], P);
            int found = 0;
            for (int k = 0; k < g->nop && !found; k++)
                found = g->anti[k] == (g->anti[a] ^ g->anti[b]) && same3(g->R[k], P, 1e-12);
            if (!found)
                return qkt_error(QKT_ENUM, "magnetic symmetry of %s: the point operations are not a group", c->source);
        }
    g->nop_crystal = g->nop;
    return QKT_OK;
}

qkt_status_t qkt_magsym_check_lattice(const qkt_crystal_t *c, const qkt_model_t *m, double reltol)
{
    if (!m->periodic) return qkt_error(QKT_EINVAL, "magnetic symmetry needs a periodic (lattice) model");
    double scale = 0;
    for (int i = 0; i < 9; i++) scale = fmax(scale, fabs(m->avec[i / 3][i % 3]));
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            if (fabs(c->avec[i][j] - m->avec[i][j]) > reltol * scale)
                return qkt_error(QKT_EINVAL,
                                 "%s: unit_cell_cart vector a%d = (%.8g, %.8g, %.8g) Angstrom differs from the "
                                 "model's (%.8g, %.8g, %.8g) (%s) by more than %g relative",
                                 c->source, i + 1, c->avec[i][0], c->avec[i][1], c->avec[i][2], m->avec[i][0],
                                 m->avec[i][1], m->avec[i][2], m->source, reltol);
    return QKT_OK;
}

/* deterministic pseudo-random numbers in [0, 1) */
static double rnd(unsigned long long *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*x >> 11) / 9007199254740992.0;
}

qkt_status_t qkt_magsym_check_model(qkt_magsym_t *g, const qkt_model_t *m, int nk, double tol)
{
    if (!m->periodic) return qkt_error(QKT_EINVAL, "magnetic symmetry needs a periodic (lattice) model");
    if (nk < 1) nk = 8;
    qkt_bands_t *b = qkt_bands_alloc(m->nb);
    double *e0 = malloc((size_t)m->nb * nk * sizeof *e0);
    double (*kk)[3] = malloc((size_t)nk * sizeof *kk);
    if (!b || !e0 || !kk) {
        qkt_bands_free(b);
        free(e0);
        free(kk);
        return qkt_error(QKT_ENOMEM, "magnetic symmetry: out of memory");
    }
    qkt_status_t s = QKT_OK;
    unsigned long long seed = 12345;
    for (int n = 0; n < nk && !s; n++) {
        double f[3] = {rnd(&seed) - 0.5, rnd(&seed) - 0.5, rnd(&seed) - 0.5};
        for (int a = 0; a < 3; a++) kk[n][a] = f[0] * m->bvec[0][a] + f[1] * m->bvec[1][a] + f[2] * m->bvec[2][a];
        if (!(s = qkt_bands_compute(b, m, kk[n], QKT_BANDS_EIGVALS))) memcpy(e0 + (size_t)n * m->nb, b->eps, m->nb * sizeof *e0);
    }
    g->model_checked = 1;
    g->model_tol = tol;
    for (int o = 0; o < g->nop && !s; o++) {
        double worst = 0;
        for (int n = 0; n < nk && !s; n++) {
            /* unitary: eps(R k) = eps(k); antiunitary (k -> -k under time reversal): eps(-R k) = eps(k) */
            double k2[3], sg = g->anti[o] ? -1 : 1;
            for (int a = 0; a < 3; a++)
                k2[a] = sg * (g->R[o][a][0] * kk[n][0] + g->R[o][a][1] * kk[n][1] + g->R[o][a][2] * kk[n][2]);
            if ((s = qkt_bands_compute(b, m, k2, QKT_BANDS_EIGVALS))) break;
            for (int i = 0; i < m->nb; i++) worst = fmax(worst, fabs(b->eps[i] - e0[(size_t)n * m->nb + i]));
        }
        g->model_dev[o] = worst;
        g->model_ok[o] = worst <= tol;
    }
    qkt_bands_free(b);
    free(e0);
    free(kk);
    return s;
}

qkt_status_t qkt_magsym_restrict(qkt_magsym_t *g)
{
    if (!g->model_checked) return QKT_OK;
    int n = 0;
    for (int o = 0; o < g->nop; o++) {
        if (!g->model_ok[o]) {
            if (g->ndropped < QKT_MAGSYM_MAX) {
                memcpy(g->dropped_R[g->ndropped], g->R[o], sizeof g->R[o]);
                g->dropped_anti[g->ndropped] = g->anti[o];
                g->dropped_dev[g->ndropped++] = g->model_dev[o];
            }
            continue;
        }
        if (n != o) {
            memcpy(g->R[n], g->R[o], sizeof g->R[o]);
            g->anti[n] = g->anti[o];
            g->model_dev[n] = g->model_dev[o];
            g->model_ok[n] = 1;
        }
        n++;
    }
    g->nop = n;
    g->nunitary = g->nanti = 0;
    for (int o = 0; o < n; o++) g->anti[o] ? g->nanti++ : g->nunitary++;
    /* the kept operations must form a group (the spectrum test is a necessary condition only) */
    for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++) {
            double P[3][3];
            mul3(g->R[a], g->R[b], P);
            int found = 0;
            for (int k = 0; k < n && !found; k++) found = g->anti[k] == (g->anti[a] ^ g->anti[b]) && same3(g->R[k], P, 1e-12);
            if (!found)
                return qkt_error(QKT_EPHYS,
                                 "magnetic symmetry: the operations the model's spectrum obeys (%d of %d) are not "
                                 "a group; raise or lower the tolerance (%g)",
                                 n, g->nop_crystal, g->model_tol);
        }
    return QKT_OK;
}

/* ------------------------------------------------------------------ tensors */

static int ipow3(int n)
{
    int r = 1;
    while (n--) r *= 3;
    return r;
}

qkt_status_t qkt_magsym_projector(const qkt_magsym_t *g, int rank, int naxial, int order, int use_anti, double *P)
{
    if (rank < 2 || rank > 4 || naxial < 0 || naxial > rank - 2 || order < 0)
        return qkt_error(QKT_EINVAL, "qkt_magsym_projector: rank %d, %d axial indices", rank, naxial);
    int n = ipow3(rank);
    memset(P, 0, (size_t)n * n * sizeof *P);
    int used = 0;
    for (int o = 0; o < g->nop; o++) {
        if (g->anti[o] && !use_anti) continue;
        used++;
        const double(*R)[3] = g->R[o];
        double det = det3(R), f = 1;
        for (int a = 0; a < naxial; a++) f *= det;
        /* antiunitary (R, theta): sigma_ij(B) -> sigma_ji(-B), one sign per power of B */
        if (g->anti[o] && (order & 1)) f = -f;
        for (int Ir = 0; Ir < n; Ir++) {
            int idx[4], J = Ir;
            for (int a = rank - 1; a >= 0; a--) idx[a] = J % 3, J /= 3;
            int row = Ir;
            if (g->anti[o]) { /* the transformed tensor, transposed in its first two indices */
                int t[4];
                memcpy(t, idx, sizeof t);
                t[0] = idx[1], t[1] = idx[0];
                row = 0;
                for (int a = 0; a < rank; a++) row = 3 * row + t[a];
            }
            for (int K = 0; K < n; K++) {
                double w = f;
                int L = K;
                for (int a = rank - 1; a >= 0 && w != 0; a--) w *= R[idx[a]][L % 3], L /= 3;
                P[(size_t)row * n + K] += w;
            }
        }
    }
    double mx = 0;
    for (int i = 0; i < n * n; i++) mx = fmax(mx, fabs(P[i] /= used));
    for (int i = 0; i < n * n; i++)
        if (fabs(P[i]) < 1e-12 * mx) P[i] = 0;
    return QKT_OK;
}

qkt_status_t qkt_magsym_apply(const qkt_magsym_t *g, int rank, int naxial, int order, int use_anti, double *v,
                              double *e, int *forbidden)
{
    int n = ipow3(rank);
    double *P = malloc((size_t)n * n * sizeof *P), *w = malloc(2 * (size_t)n * sizeof *w);
    if (!P || !w) {
        free(P);
        free(w);
        return qkt_error(QKT_ENOMEM, "qkt_magsym_apply: out of memory");
    }
    qkt_status_t s = qkt_magsym_projector(g, rank, naxial, order, use_anti, P);
    if (!s) {
        for (int Ir = 0; Ir < n; Ir++) {
            double x = 0, y = 0;
            int any = 0;
            for (int K = 0; K < n; K++) {
                double p = P[(size_t)Ir * n + K];
                if (p == 0) continue;
                any = 1;
                x += p * v[K];
                if (e) y += fabs(p) * e[K];
            }
            w[Ir] = any ? x : 0;
            w[n + Ir] = y;
            if (forbidden) forbidden[Ir] = !any;
        }
        memcpy(v, w, (size_t)n * sizeof *v);
        if (e) memcpy(e, w + n, (size_t)n * sizeof *e);
    }
    free(P);
    free(w);
    return s;
}

/* a list of qkt_tensor_t of one rank, flattened [mu][nu][alpha][beta] */
static qkt_status_t sym_t2(const qkt_magsym_t *g, int use_anti, qkt_tensor_t *t)
{
    return qkt_magsym_apply(g, 2, 0, 0, use_anti, &t->v[0][0], &t->e[0][0], NULL);
}

static qkt_status_t sym_t3(const qkt_magsym_t *g, int use_anti, qkt_tensor_t t[3])
{
    double v[27], e[27];
    for (int i = 0; i < 27; i++) v[i] = t[i % 3].v[i / 9][(i / 3) % 3], e[i] = t[i % 3].e[i / 9][(i / 3) % 3];
    qkt_status_t s = qkt_magsym_apply(g, 3, 1, 1, use_anti, v, e, NULL);
    for (int i = 0; i < 27; i++) t[i % 3].v[i / 9][(i / 3) % 3] = v[i], t[i % 3].e[i / 9][(i / 3) % 3] = e[i];
    return s;
}

static qkt_status_t sym_t4(const qkt_magsym_t *g, int use_anti, qkt_tensor_t t[3][3])
{
    double v[81], e[81];
    for (int i = 0; i < 81; i++) {
        int mu = i / 27, nu = (i / 9) % 3, a = (i / 3) % 3, b = i % 3;
        v[i] = t[a][b].v[mu][nu], e[i] = t[a][b].e[mu][nu];
    }
    qkt_status_t s = qkt_magsym_apply(g, 4, 2, 2, use_anti, v, e, NULL);
    for (int i = 0; i < 81; i++) {
        int mu = i / 27, nu = (i / 9) % 3, a = (i / 3) % 3, b = i % 3;
        t[a][b].v[mu][nu] = v[i], t[a][b].e[mu][nu] = e[i];
    }
    return s;
}

/* Cartesian axes l and l' are coupled by an operation when R[l][l'] != 0
 * (the B index transforms as det(R) R, with a sign for time reversal) */
int qkt_magsym_field_mask(const qkt_magsym_t *g, int use_anti, int mask)
{
    mask &= 7;
    for (int grown = 1; grown;) {
        grown = 0;
        for (int o = 0; o < g->nop; o++) {
            if (g->anti[o] && !use_anti) continue;
            for (int l = 0; l < 3; l++)
                for (int k = 0; k < 3; k++) {
                    if (g->R[o][l][k] == 0) continue;
                    /* R orthogonal: the closure under R and R^T is the same set */
                    int add = (mask >> l & 1 ? 1 << k : 0) | (mask >> k & 1 ? 1 << l : 0);
                    if (add & ~mask) mask |= add, grown = 1;
                }
        }
    }
    return mask;
}

/* the group average of every tensor of r (its private raw tensors too, when
 * r->raw is set) */
static qkt_status_t sym_tensors(const qkt_magsym_t *g, qkt_response_t *r, int anti_high)
{
    qkt_status_t s = QKT_OK;
    if ((s = sym_t2(g, 1, &r->sigma0))) return s;
    for (int t = 0; t < r->npath0; t++)
        if ((s = sym_t2(g, 1, &r->path0[t]))) return s;
    if (r->par.order >= 1) {
        if ((s = sym_t3(g, anti_high, r->sigma1))) return s;
        for (int t = 0; t < r->npath1; t++)
            if ((s = sym_t3(g, anti_high, r->path1[t]))) return s;
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 4; b++)
                if ((s = sym_t3(g, anti_high, r->tau1[a][b]))) return s;
        /* the Landau cutoff's sensitivity: sigma1 under rule rta, the
         * derivatives of sigma1 and of its paths */
        if (r->landau_sens && ((s = sym_t3(g, anti_high, r->lsens1)) || (r->raw && (s = sym_t3(g, anti_high, r->raw->rta1)))))
            return s;
        for (int t = 0; r->landau_sens && r->raw && r->raw->lsens_path && t < r->npath1; t++)
            if ((s = sym_t3(g, anti_high, r->raw->lsens_path + (size_t)t * 3))) return s;
    }
    if (r->par.order >= 2) {
        if ((s = sym_t4(g, anti_high, r->sigma2))) return s;
        for (int t = 0; t < r->npath2; t++)
            if ((s = sym_t4(g, anti_high, r->path2[t]))) return s;
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 4; b++)
                if ((s = sym_t4(g, anti_high, r->tau2[a][b]))) return s;
        if (r->landau_sens && ((s = sym_t4(g, anti_high, r->lsens2)) || (r->raw && (s = sym_t4(g, anti_high, r->raw->rta2)))))
            return s;
        for (int t = 0; r->landau_sens && r->raw && r->raw->lsens_path && t < r->npath2; t++)
            if ((s = sym_t4(g, anti_high, (qkt_tensor_t(*)[3])(r->raw->lsens_path + QKT_MAX_PATHS * 3 + (size_t)t * 9))))
                return s;
    }
    return QKT_OK;
}

qkt_status_t qkt_magsym_response(const qkt_magsym_t *g, qkt_response_t *r, int anti_high)
{
    qkt_status_t s = QKT_OK;
    if (r->par.bonly) return qkt_error(QKT_EINVAL, "magnetic symmetry: B-only results are not symmetrized");
    /* the B components computed must span a subspace the group maps onto
     * itself: then each computed component of the average is formed from
     * computed components only, and those not computed stay 0 (a result
     * contracted with a field inside the subspace is exact) */
    if (r->par.nu_mask != 7 ||
        (r->par.order >= 1 && (r->par.al_mask == 0 || qkt_magsym_field_mask(g, anti_high, r->par.al_mask) !=
                                                          (r->par.al_mask & 7))))
        return qkt_error(QKT_EINVAL, "magnetic symmetry needs every E direction and (order >= 1) the B components of "
                                     "a subspace the group maps onto itself (nu_mask = 7, al_mask = "
                                     "qkt_magsym_field_mask)");
    if ((s = sym_tensors(g, r, anti_high))) return s;
    /* the twins of an irreducible wedge's result on the meshes N/2 that make
     * up its mesh: their averages too, and the errors from the differences of
     * the averaged tensors */
    if (r->raw && r->raw->half[0]) {
        for (int l = 0; l < r->raw->nhalf; l++)
            if (r->raw->half[l] && (s = sym_tensors(g, r->raw->half[l], anti_high))) return s;
        qkt_response_half_errors(r);
    }
    if (r->landau_sens) qkt_response_landau_summary(r);
    return QKT_OK;
}

qkt_status_t qkt_magsym_forbidden(const qkt_magsym_t *g, int rank, int naxial, int order, int use_anti, int *forbidden)
{
    int n = ipow3(rank);
    double *P = malloc((size_t)n * n * sizeof *P);
    if (!P) return qkt_error(QKT_ENOMEM, "qkt_magsym_forbidden: out of memory");
    qkt_status_t s = qkt_magsym_projector(g, rank, naxial, order, use_anti, P);
    for (int Ir = 0; Ir < n && !s; Ir++) {
        forbidden[Ir] = 1;
        for (int K = 0; K < n; K++)
            if (P[(size_t)Ir * n + K] != 0) forbidden[Ir] = 0;
    }
    free(P);
    return s;
}

/* ------------------------------------------------------------------ irreducible mesh points */

qkt_status_t qkt_magsym_mesh_ops(const qkt_magsym_t *g, const qkt_model_t *m, const int mesh[3], int use_anti,
                                 int (*ops)[3][3], int *nops)
{
    if (!m->periodic || m->dim != 3) return qkt_error(QKT_EINVAL, "an irreducible wedge needs a 3D periodic model");
    const int N[3] = {mesh[0], mesh[1], mesh[2]};
    for (int a = 0; a < 3; a++)
        if (N[a] < 1 || N[a] > 100000) return qkt_error(QKT_EINVAL, "mesh size %d out of range", N[a]);
    /* each operation on reduced coordinates of k = sum_j x_j b_j:
     * x'_i = sum_j M_ij x_j, M_ij = a_i . (s R b_j) / (2 pi), s = -1 for
     * antiunitary operations (T: k -> -k); on the indices j_i = N_i x_i,
     * A_il = M_il N_i / N_l */
    int n = 0;
    for (int o = 0; o < g->nop; o++) {
        if (g->anti[o] && !use_anti) continue;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                double Rb[3], x = 0;
                for (int a = 0; a < 3; a++)
                    Rb[a] = g->R[o][a][0] * m->bvec[j][0] + g->R[o][a][1] * m->bvec[j][1] + g->R[o][a][2] * m->bvec[j][2];
                for (int a = 0; a < 3; a++) x += m->avec[i][a] * Rb[a];
                x *= (g->anti[o] ? -1 : 1) / (2 * M_PI);
                long Mij = lround(x);
                /* the mesh must be mapped onto itself: M_ij N_i / N_j an integer */
                if (fabs(x - Mij) > 1e-6 || (Mij * N[i]) % N[j] != 0)
                    return qkt_error(QKT_EINVAL,
                                     "the %d x %d x %d mesh is not mapped onto itself by operation %d of the magnetic "
                                     "point group (give equal sizes along symmetry-related axes)",
                                     N[0], N[1], N[2], o + 1);
                ops[n][i][j] = (int)(Mij * N[i] / N[j]);
            }
        n++;
    }
    *nops = n;
    return QKT_OK;
}

qkt_status_t qkt_magsym_mesh_weights(const qkt_magsym_t *g, const qkt_model_t *m, const int mesh[3], int use_anti,
                                     int *weight, long *nirr)
{
    const int N[3] = {mesh[0], mesh[1], mesh[2]};
    int (*A)[3][3] = malloc(sizeof *A * QKT_MAGSYM_MAX), nops = 0;
    if (!A) return qkt_error(QKT_ENOMEM, "out of memory");
    qkt_status_t s = qkt_magsym_mesh_ops(g, m, mesh, use_anti, A, &nops);
    if (s) {
        free(A);
        return s;
    }
    size_t n = (size_t)N[0] * N[1] * N[2];
    memset(weight, 0, n * sizeof *weight);
    unsigned char *seen = calloc(n, 1);
    size_t *orb = malloc((size_t)nops * sizeof *orb);
    if (!seen || !orb) {
        free(A);
        free(seen);
        free(orb);
        return qkt_error(QKT_ENOMEM, "out of memory for the mesh orbits");
    }
    long count = 0;
    for (size_t idx = 0; idx < n; idx++) {
        if (seen[idx]) continue;
        long j[3] = {(long)(idx / ((size_t)N[1] * N[2])), (long)(idx / N[2] % N[1]), (long)(idx % N[2])};
        int norb = 0;
        for (int o = 0; o < nops; o++) {
            long jp[3];
            for (int i = 0; i < 3; i++) {
                long x = 0;
                for (int l = 0; l < 3; l++) x += (long)A[o][i][l] * j[l];
                jp[i] = ((x % N[i]) + N[i]) % N[i];
            }
            size_t id2 = ((size_t)jp[0] * N[1] + jp[1]) * N[2] + jp[2];
            int dup = 0;
            for (int q = 0; q < norb && !dup; q++) dup = orb[q] == id2;
            if (!dup) orb[norb++] = id2, seen[id2] = 1;
        }
        weight[idx] = norb;
        count++;
    }
    free(A);
    free(seen);
    free(orb);
    if (nirr) *nirr = count;
    return QKT_OK;
}
