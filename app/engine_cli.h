/* engine_cli.h - run-file keys and output blocks shared by the commands that
 * run the response engine (sigma, mc, cme, streda, pump, run). */
#ifndef QKT_ENGINE_CLI_H
#define QKT_ENGINE_CLI_H
#include "cli.h"

/* The defaults of the engine keys as text, written from the library's
 * (qkt_params_default, qkt_params_default_for_model) by qkt_engine_keys_init(),
 * which main() calls before any key table is read: the numbers are stated
 * once, in src/response/response.c. */
struct qkt_engine_key_text {
    char mu[32], T[32], tau_intra[32], tau_inter[32], rule[16], reltol[32], maxeval[32];
    char T_doc[160], tau_intra_doc[160], tau_inter_doc[160];
};
extern struct qkt_engine_key_text qkt_engine_text;
void qkt_engine_keys_init(void);

/* The [run] and [numerics] keys, for the key table of a command, in groups:
 * a command lists only the keys it reads (scan: QKT_SCAN_ENGINE_KEYS), and
 * qkt_cli_engine_params() reads only the keys of the command's table. */
#define QKT_EK_MU {"run.mu", qkt_engine_text.mu, "energy", "chemical potential (Wannier: eV, required)"}
#define QKT_EK_T_TAU                                                                               \
    {"run.T", qkt_engine_text.T, "energy|K", qkt_engine_text.T_doc},                                \
        {"run.tau_intra", qkt_engine_text.tau_intra, "time|fs", qkt_engine_text.tau_intra_doc}
#define QKT_EK_TAU_INTER {"run.tau_inter", qkt_engine_text.tau_inter, "time|fs", qkt_engine_text.tau_inter_doc}
#define QKT_EK_UNIT_MESH                                                                           \
    {"run.sigma_unit", "S/cm", "-", "Wannier models: conductivities in S/cm or S/m"},              \
        {"numerics.mesh", "0", "1", "periodic models: uniform mesh N or N1 N2 N3 (Gamma included) instead of " \
                                    "adaptive integration; then T = 0 is allowed at order 0"}, \
        {"numerics.mesh_estimate", "0", "1", "with numerics.mesh: sum n copies of the mesh displaced by half steps " \
                                             "too (3 recommended, 2 in 2D; up to 7, 2D 3); each error estimate is the largest " \
                                             "change (n + 1 times the evaluations; 0: no estimate)"}
#define QKT_EK_EXPANSION                                                                           \
    {"run.expansion", "seed", "-", "seed: Eq. 38 as the paper writes it; reciprocal (order 1, rule rta): "   \
                                   "adds D_E acting on S_B and the anomaly drive's sea remainder, so that "   \
                                   "the tau^1 part of sigma^(1) obeys Onsager reciprocity; equilibrium (qkt cme, and order 1 with "  \
                                   "rule rta): E drives the field's whole equilibrium density matrix, adding DB>nBE "  \
                                   "(orbital moment)"}
/* qkt cme: the response to B alone, whose consistent expansion is the default */
#define QKT_EK_EXPANSION_CME                                                                       \
    {"run.expansion", "equilibrium", "-", "equilibrium: rho_B is the order-B part of the equilibrium density "   \
                                          "matrix, S_B + D_B (obeys Bloch's theorem: no current in a periodic "  \
                                          "crystal); seed: S_B + xi_B (Eqs. 42, 43), as the paper"}
#define QKT_EK_RULES QKT_EK_RULES_WITH(QKT_EK_EXPANSION)
#define QKT_EK_RULES_WITH(EXPANSION)                                                               \
    {"numerics.refine", "false", "-", "with numerics.mesh: refine the mesh cells adaptively to numerics.reltol " \
                                      "within numerics.maxeval evaluations (orders 0 to 2; order 2 with the Landau " \
                                      "cutoff); errors are estimates"}, \
        {"run.rule", qkt_engine_text.rule, "-", "relaxation rule of diagonal nodes: rta, paper, valley or born " \
                                   "(born: Born collision operator of run.nimp_U0sq, order B^0 only)"}, \
        EXPANSION,                                                                                 \
        {"run.B", "0 0 1", "field|T", "magnetic field vector (results are for this B); required at orders >= 1 for models in natural units, Wannier models default to 1 T along z"},          \
        {"run.landau_cutoff", "auto", "1", "orders >= 1: rho_c of the Landau cutoff at |run.B|: the B^1, B^2 terms are " \
                                           "tapered off where an interband Berry connection |R^mn| of a thermal-window " \
                                           "band exceeds l_B/(2 rho_c) (the field mixes the pair); auto: 1 for Wannier " \
                                           "models, 0 (off) for natural units"}, \
        {"run.nimp_U0sq", "0", "energy^2 volume", "short-range disorder n_imp U0^2 of the vertex "   \
                                                   "correction (J(n_E) at B^0, Eq. 54 at B^1; 0: none)"}, \
        {"run.tau_from_disorder", "false", "-", "rules rta, paper, valley: tau_intra is the Born relaxation " \
                                                "time of run.nimp_U0sq at the Fermi level (run.tau_intra unused), " \
                                                "and at orders >= 1 tau_inter the intervalley time of the same " \
                                                "disorder with run.disorder_xi (qkt scatter's slowest population mode)"}, \
        {"run.disorder_xi", "0", "length", "run.tau_from_disorder: correlation length of the disorder for tau_inter " \
                                           "(0: short-range; as for qkt scatter)"}, \
        {"numerics.time_limit", "0", "s", "wall seconds at most (0: none); when reached the result so far, with its " \
                                          "error estimates, is printed and written, exit code 9"}
/* orders >= 1 (sigma, mc, pump): how the k-derivatives of the order-0 nodes are taken */
#define QKT_EK_DERIVATIVES                                                                         \
    {"numerics.derivatives", "analytic", "-", "orders >= 1: k-derivatives of the order-0 nodes from the exact second " \
                                              "derivatives of H (analytic: one eigen-solve per k at order 1) or by " \
                                              "finite differences on a stencil (fd)"}
#define QKT_EK_NUMERICS                                                                            \
    {"numerics.reltol", qkt_engine_text.reltol, "1", "requested relative accuracy of every path"}, \
        {"numerics.maxeval", qkt_engine_text.maxeval, "1", "integrand evaluations at most per integration part"}, \
        {"numerics.kbox", "0", "1/length", "continuum: half-width of the k box (0: model's)"},    \
        {"numerics.open", "", "-", "continuum: axes integrated to infinity, e.g. 'x y'"},         \
        {"numerics.ncell", "0", "1", "cells per axis of the Fermi-pocket map (0: 48, periodic 24)"},                  \
        {"numerics.icell", "0", "1", "integration cells per axis (0: 6 in 3D, 12 in 2D)"},        \
        {"numerics.fd_step", "0", "1/length", "finite-difference step (0: 0.05 T/v_F)"},          \
        {"numerics.window", "0", "1", "thermal window half-width in T (0: from reltol)"},         \
        {"numerics.degen_tol", "0", "energy", "bands closer than this are degenerate (0: the model's, 1e-10; Wannier 1e-6 eV)"}
#define QKT_ENGINE_KEYS QKT_EK_MU, QKT_EK_T_TAU, QKT_EK_TAU_INTER, QKT_EK_UNIT_MESH, QKT_EK_RULES, QKT_EK_NUMERICS
#define QKT_CME_ENGINE_KEYS                                                                        \
    QKT_EK_MU, QKT_EK_T_TAU, QKT_EK_TAU_INTER, QKT_EK_UNIT_MESH, QKT_EK_RULES_WITH(QKT_EK_EXPANSION_CME), \
        QKT_EK_NUMERICS
/* scan: order B^0 at the chemical potentials of scan.mu without a disorder
 * kernel: no run.mu, tau_inter, rule, expansion, B, disorder or refinement */
#define QKT_SCAN_ENGINE_KEYS QKT_EK_T_TAU, QKT_EK_UNIT_MESH, QKT_EK_NUMERICS

/* numerics.symmetry (sigma, mc): keys, set-up before the run, symmetrization
 * and report after it (docs/runfile.md; docs/physics.md "Magnetic symmetry") */
#define QKT_EK_SYMMETRY                                                                            \
    {"numerics.symmetry", "false", "bool", "Wannier models: symmetrize the tensors with the magnetic point group of "  \
                                           "model.win and model.moments / model.magnetization (spglib); forbidden "   \
                                           "components exactly 0"},                                                   \
        {"numerics.symmetry_tol", "1e-4", "eV", "numerics.symmetry: an operation is used only if the model's bands obey " \
                                                "it within this (eps_n(g k) = eps_n(k) at 8 test k-points)"}, \
        {"numerics.symmetry_wedge", "false", "bool", "numerics.symmetry with numerics.mesh at order B^0 (sigma.order = 0, " \
                                                     "scan): evaluate one mesh point per orbit of the group, weighted by " \
                                                     "the orbit's size"}
typedef struct {
    int on;
    int anti_high; /* antiunitary operations also at orders >= 1 */
    int reported;  /* the report is printed once (scan: one result per mu) */
    int wedge;     /* numerics.symmetry_wedge */
    long nirr, nmesh;
    int *weight;   /* the mesh weights given to the engine (p->mesh_weight) */
    int ops[QKT_MAGSYM_MAX][3][3]; /* the operations those weights count, on the indices (p->mesh_ops) */
    int nops;
    qkt_magsym_t g;
    qkt_crystal_t c;
} qkt_cli_sym_t;
/* Read the keys; when on, find the group and ask for every E and B component. */
qkt_status_t qkt_cli_symmetry_setup(qkt_cli_t *cli, const qkt_model_t *m, qkt_params_t *p, qkt_cli_sym_t *sy);
/* Symmetrize r and print the group, the operations dropped and the forbidden components. */
qkt_status_t qkt_cli_symmetry_apply(qkt_cli_t *cli, qkt_cli_sym_t *sy, qkt_response_t *r);
void qkt_cli_symmetry_free(qkt_cli_sym_t *sy);

/* Fill p from the keys (p.order, masks and bonly are left to the caller). */
qkt_status_t qkt_cli_engine_params(qkt_cli_t *cli, const qkt_model_t *m, qkt_params_t *p);
/* The B vector of run.B. */
qkt_status_t qkt_cli_field(qkt_cli_t *cli, const char *key, double B[3]);
/* The field key must be given (not its default) for a model in natural units:
 * orders >= 1 of sigma and mc, where its size decides whether the low-field
 * expansion holds (issue 18: the default 1 was w_c tau ~ 20 on weyl4). */
qkt_status_t qkt_cli_require_field(qkt_cli_t *cli, const char *key);
/* Bit mask of the non-zero components of a vector. */
int qkt_mask_of(const double v[3]);
/* The "integration" line of a plain uniform mesh of p (with or without the
 * shifted-mesh estimate). */
const char *qkt_cli_mesh_text(const qkt_params_t *p);
/* Print the numerics block (integration statistics and the parameters that set
 * the accuracy) and warn when not converged. */
void qkt_out_numerics(qkt_cli_t *cli, const qkt_response_t *r);
/* Print the Fermi pockets (block, centre, chirality, density of states). */
void qkt_out_pockets(qkt_cli_t *cli, const qkt_model_t *m, const qkt_response_t *r);
/* Print a tensor with its error. */
void qkt_out_qtensor(qkt_cli_t *cli, const char *name, const qkt_tensor_t *t, const char *unit);
/* Conductivity unit label of order N for the model (after qkt_cli_engine_params). */
const char *qkt_sigma_unit(const qkt_model_t *m, int order);
/* Factor from the engine's e^2/hbar (per length) to the printed conductivity unit. */
double qkt_cli_sigma_factor(void);
/* Print a field vector read by qkt_cli_field() in the user's units (T, V/m). */
void qkt_out_field(qkt_cli_t *cli, const char *name, const char *key, const double F[3]);
/* The resistivity block "rho" (app/out_rho.c): rho0, rho1, rho2 at B, R_H,
 * MR; with rank4 (order 2, all B components) the AMR and planar-Hall amplitudes. */
void qkt_out_rho(qkt_cli_t *cli, const qkt_model_t *m, const qkt_response_t *r, const double B[3], int rank4);
#endif
