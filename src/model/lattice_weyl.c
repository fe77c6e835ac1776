/* lattice_weyl.c - cubic-lattice two-node Weyl model, periodic in the
 * Brillouin zone (lattice constant a):
 * H = v [sin(kx a) sx + sin(ky a) sy]/a
 *   + [m0 (2 - cos kx a - cos ky a) + t (cos kz a - cos k0 a)] sz
 *   + (w.sin(k a)/a) 1.
 * Nodes at (0, 0, +-k0); no other zeros for |m0| > |t|. The tilt w tilts both
 * nodes by w_i cos(k_i a) at the node; w, m0 and t are odd under time reversal
 * (i sy K with k -> -k). */
#include "core/internal.h"

enum { P_V, P_M0, P_T, P_K0, P_A, P_TILT, NPAR };

static const qkt_param_info_t params[NPAR] = {
    {"v", 1, {1, 0, 0}, "velocity", "in-plane velocity at the nodes"},
    {"m0", 1, {2, 0, 0}, "energy", "in-plane mass that removes the other crossings"},
    {"t", 1, {1, 0, 0}, "energy", "hopping along z"},
    {"k0", 1, {0.5, 0, 0}, "1/length", "node position (0, 0, +-k0)"},
    {"a", 1, {1, 0, 0}, "length", "lattice constant"},
    {"tilt", 3, {0, 0, 0}, "velocity", "tilt w: adds w.sin(k a)/a to both bands"},
};

static qkt_status_t hk(const qkt_model_t *m, const double k[3], int order, double complex *out)
{
    double v = QKT_PAR(m, P_V), m0 = QKT_PAR(m, P_M0), t = QKT_PAR(m, P_T);
    double k0 = QKT_PAR(m, P_K0), a = QKT_PAR(m, P_A);
    double sx = sin(k[0] * a), sy = sin(k[1] * a), sz = sin(k[2] * a);
    double cx = cos(k[0] * a), cy = cos(k[1] * a), cz = cos(k[2] * a);
    int nmat = order == 0 ? 1 : order == 1 ? 4 : 10;
    memset(out, 0, sizeof(double complex) * 4 * nmat);
    const double *w = QKT_PARV(m, P_TILT);
    double e = (w[0] * sx + w[1] * sy + w[2] * sz) / a;
    qkt_pauli2(out, e, v * sx / a, v * sy / a, m0 * (2 - cx - cy) + t * (cz - cos(k0 * a)));
    if (order >= 1) {
        qkt_pauli2(out + 4, w[0] * cx, v * cx, 0, m0 * a * sx);
        qkt_pauli2(out + 8, w[1] * cy, 0, v * cy, m0 * a * sy);
        qkt_pauli2(out + 12, w[2] * cz, 0, 0, -t * a * sz);
        if (order >= 2) {
            qkt_pauli2(out + 4 * (4 + QKT_XX), -w[0] * a * sx, -v * a * sx, 0, m0 * a * a * cx);
            qkt_pauli2(out + 4 * (4 + QKT_YY), -w[1] * a * sy, 0, -v * a * sy, m0 * a * a * cy);
            qkt_pauli2(out + 4 * (4 + QKT_ZZ), -w[2] * a * sz, 0, 0, -t * a * a * cz);
        }
    }
    return QKT_OK;
}

static qkt_status_t setup(qkt_model_t *m)
{
    double a = QKT_PAR(m, P_A), m0 = QKT_PAR(m, P_M0), t = QKT_PAR(m, P_T);
    if (!(a > 0)) return qkt_error(QKT_EINVAL, "lattice_weyl: a must be > 0");
    if (!(QKT_PAR(m, P_V) > 0)) return qkt_error(QKT_EINVAL, "lattice_weyl: v must be > 0");
    if (!(fabs(m0) > fabs(t))) return qkt_error(QKT_EINVAL, "lattice_weyl: need |m0| > |t| for only two nodes");
    double k0 = QKT_PAR(m, P_K0);
    if (!(k0 > 0 && k0 * a < M_PI))
        return qkt_error(QKT_EINVAL, "lattice_weyl: need 0 < k0 < pi/a, got k0 = %g", k0);
    m->nb = 2;
    m->dim = 3;
    m->periodic = 1;
    m->units = QKT_UNITS_NATURAL;
    m->hk = hk;
    memset(m->avec, 0, sizeof m->avec);
    memset(m->bvec, 0, sizeof m->bvec);
    for (int i = 0; i < 3; i++) {
        m->avec[i][i] = a;
        m->bvec[i][i] = 2 * M_PI / a;
    }
    m->cell_volume = a * a * a;
    m->kcut = M_PI / a;
    return QKT_OK;
}

const qkt_model_info_t qkt_model_lattice_weyl = {
    "lattice_weyl", "cubic-lattice two-node Weyl model with nodes at (0,0,+-k0)",
    "periodic lattice model", NPAR, params, setup,
    NULL /* no Weyl capability: the nodes' velocity along z, t a sin(k0 a), is not v */};
