/* tables.h - the energy tables of the disorder kernel (disorder/kernel.h),
 * built by integrating the tree's tabulation passes: the thermal window's
 * G, Nt, Qt; the adjoint tables' energy segments beyond it; and, under rule
 * born, the solution of the Born equation on each energy shell. */
#ifndef QKT_RESPONSE_TABLES_H
#define QKT_RESPONSE_TABLES_H
#include "disorder/kernel.h"
#include "response/integrand.h"

/* the thermal window's table: G, Nt and Qt (segment 0) */
qkt_status_t qkt_vtable_window(const qkt_model_t *m, const qkt_params_t *p, const qkt_runopts_t *ro,
                               struct qkt_vtable *vt);
/* the adjoint tables' segments beyond the window (order B^1), from the band
 * energies on the Fermi-surface cells of pk */
qkt_status_t qkt_vtable_segments(const qkt_model_t *m, const qkt_params_t *p, const qkt_runopts_t *ro,
                                 const qkt_pockets_t *pk, struct qkt_vtable *vt);
/* rule born: Nt of vt replaced by the solution of the Born equation on each
 * shell; r->born_null_modes and r->born_null_drive report its zero modes */
qkt_status_t qkt_vtable_born(const qkt_model_t *m, const qkt_params_t *p, const qkt_runopts_t *ro,
                             struct qkt_vtable *vt, qkt_response_t *r);
void qkt_vtable_free(struct qkt_vtable *vt);

#endif
