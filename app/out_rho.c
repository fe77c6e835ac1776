/* out_rho.c - the resistivity block of `qkt sigma` and `qkt mc`: rho0, rho1,
 * rho2 at run.B, the Hall coefficient, the magnetoresistance per unit B and
 * B^2 and at |B| with the expansion parameter w_c tau, and (rank-4 tensor)
 * the anisotropic-MR and planar-Hall amplitudes, all computed by the library
 * (qkt_response_rho, qkt_response_rho_plane) and converted to the printed
 * units here. */
#include <math.h>
#include <string.h>
#include "engine_cli.h"

static int physical(const qkt_model_t *m) { return m->units == QKT_UNITS_EV_ANGSTROM; }

/* the resistivity unit: the inverse of the printed conductivity unit */
static const char *rho_label(const qkt_model_t *m)
{
    const char *s = qkt_sigma_unit(m, 0);
    if (!strcmp(s, "S/cm")) return "Ohm cm";
    if (!strcmp(s, "S/m")) return "Ohm m";
    if (!strcmp(s, "S")) return "Ohm";
    return "hbar/e^2";
}

/* printed units per engine unit of a field (tesla per hbar/(e Ang^2)) */
static double field_T(const qkt_model_t *m) { return physical(m) ? qkt_units()->field_T : 1; }

static void out_diag(qkt_cli_t *cli, const char *name, const char *title, int n, const double *v, const double *e,
                     double f, const char *unit)
{
    static const char *const dn[3] = {"xx", "yy", "zz"};
    qkt_out_push(cli, name, title);
    for (int i = 0; i < n; i++) {
        double x = f * v[i], xe = e ? f * e[i] : 0;
        qkt_out_scalar(cli, dn[i], x, e ? &xe : NULL, unit);
    }
    qkt_out_pop(cli);
}

static void scaled(const qkt_tensor_t *t, double f, qkt_tensor_t *out)
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            out->v[i][j] = f * t->v[i][j];
            out->e[i][j] = f * t->e[i][j];
        }
}

static void out_tensor(qkt_cli_t *cli, const char *name, const qkt_tensor_t *t, int errs, const char *unit)
{
    double v[9], e[9];
    for (int i = 0; i < 9; i++) {
        v[i] = t->v[i / 3][i % 3];
        e[i] = t->e[i / 3][i % 3];
    }
    qkt_out_tensor(cli, name, v, errs ? e : NULL, unit);
}

static void out_planes(qkt_cli_t *cli, const qkt_model_t *m, const qkt_response_t *r, double frho, int errs)
{
    static const int pl[3][2] = {{0, 1}, {1, 2}, {2, 0}};
    static const char *const pn[3] = {"xy", "yz", "zx"};
    double fb = field_T(m);
    char u[64], ur[32];
    snprintf(u, sizeof u, "%s/%s^2", rho_label(m), physical(m) ? "T" : "field");
    snprintf(ur, sizeof ur, "1/%s^2", physical(m) ? "T" : "field");
    qkt_out_push(cli, "rho_angular",
                 "field rotating in a plane, b = cos(phi) e_i + sin(phi) e_j, current along i: B^2 part "
                 "rho_ii = rho0 + B^2 (perp + AMR cos^2 phi), rho_ji contains B^2 (PHE/2) sin 2phi");
    for (int q = 0; q < 3; q++) {
        qkt_rho_plane_t p;
        if (qkt_response_rho_plane(r, pl[q][0], pl[q][1], &p)) {
            qkt_out_push(cli, pn[q], NULL);
            qkt_out_string(cli, "not_available", qkt_strerror());
            qkt_out_pop(cli);
            qkt_clear_error();
            continue;
        }
        double f = frho / (fb * fb), g = 1 / (fb * fb);
        double v[6] = {f * p.par, f * p.perp, f * p.amr, g * p.amr_rel, f * p.phe, g * p.phe_rel};
        double e[6] = {f * p.par_err, f * p.perp_err, f * p.amr_err, g * p.amr_rel_err, f * p.phe_err, g * p.phe_rel_err};
        static const char *const nm[6] = {"rho_par", "rho_perp", "AMR", "AMR_rel", "PHE", "PHE_rel"};
        qkt_out_push(cli, pn[q], NULL);
        for (int k = 0; k < 6; k++) qkt_out_scalar(cli, nm[k], v[k], errs ? &e[k] : NULL, k == 3 || k == 5 ? ur : u);
        qkt_out_pop(cli);
    }
    qkt_out_pop(cli);
}

void qkt_out_rho(qkt_cli_t *cli, const qkt_model_t *m, const qkt_response_t *r, const double B[3], int rank4)
{
    qkt_rho_t rho;
    int order = r->par.order > 2 ? 2 : r->par.order;
    if (qkt_response_rho(r, B, &rho)) {
        qkt_out_push(cli, "rho", "resistivity");
        qkt_out_note(cli, "not computed: %s", qkt_strerror());
        qkt_out_pop(cli);
        qkt_clear_error();
        return;
    }
    /* a uniform mesh without refinement has no error estimates */
    int errs = !(r->par.mesh[0] > 0 && !r->par.refine && !r->par.mesh_estimate && !r->half_estimate);
    double frho = 1 / qkt_cli_sigma_factor(), fb = field_T(m);
    const char *ul = rho_label(m), *fu = physical(m) ? "T" : "field";
    char u1[64], t[160];
    snprintf(u1, sizeof u1, "%s, at run.B", ul);
    snprintf(t, sizeof t, "resistivity rho = [sigma(B)]^-1 to order B^%d (rho(B) = rho0%s%s)", order,
             order >= 1 ? " + rho1" : "", order >= 2 ? " + rho2" : "");
    qkt_out_push(cli, "rho", t);
    qkt_tensor_t x;
    scaled(&rho.rho0, frho, &x);
    out_tensor(cli, "rho0", &x, errs, ul);
    if (order >= 1) {
        scaled(&rho.rho1, frho, &x);
        out_tensor(cli, "rho1", &x, errs, u1);
    }
    if (order >= 2) {
        scaled(&rho.rho2, frho, &x);
        out_tensor(cli, "rho2", &x, errs, u1);
    }
    if (order >= 1) {
        qkt_out_scalar(cli, "B_abs", rho.B * fb, NULL, fu);
        qkt_out_scalar(cli, "wc_tau", rho.hall_angle, NULL, NULL);
        qkt_out_note(cli, "(wc_tau = max |rho0 sigma^(1)(B)|_ij, w_c tau for one isotropic band: the expansion "
                          "holds for wc_tau << 1)");
        /* R_H: engine length^D/e per unit field -> m^3/C (3D) or m^2/C (2D) */
        double fh = frho / fb;
        const char *uh = m->dim == 3 ? "length^3/e" : "length^2/e";
        if (physical(m)) {
            fh = (m->dim == 3 ? 1e-30 : 1e-20) / QKT_E_CHARGE;
            uh = m->dim == 3 ? "m^3/C" : "m^2/C";
        }
        double rh = fh * rho.hall, rhe = fh * rho.hall_err;
        qkt_out_scalar(cli, "R_H", rh, errs ? &rhe : NULL, uh);
        char um1[32];
        snprintf(um1, sizeof um1, "1/%s", fu);
        /* always printed (a sweep's fields must exist at every point); non-zero
         * beyond its error only with an anomalous Hall part in sigma0 */
        out_diag(cli, "MR_odd_per_B", "term of MR odd in B per unit |B|: rho1_ii/(rho0_ii |B|)", rho.n, rho.mr1,
                     errs ? rho.mr1_err : NULL, 1 / fb, um1);
    }
    if (order >= 2) {
        char um2[32];
        snprintf(um2, sizeof um2, "1/%s^2", fu);
        out_diag(cli, "MR_per_B2", "MR per unit B^2: rho2_ii/(rho0_ii |B|^2)", rho.n, rho.mr2,
                 errs ? rho.mr2_err : NULL, 1 / (fb * fb), um2);
        out_diag(cli, "MR_at_B", "MR = [rho_ii(B) - rho_ii(0)]/rho_ii(0) at run.B, to order B^2", rho.n, rho.mr,
                 errs ? rho.mr_err : NULL, 1, NULL);
    }
    if (rank4 && order >= 2 && m->dim == 3) out_planes(cli, m, r, frho, errs);
    qkt_out_pop(cli);
}
