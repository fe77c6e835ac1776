/* wannier.c - registry entry of Wannier90 tight-binding models.  They are not
 * built from parameters but loaded from files by qkt_wannier_load()
 * (src/wannier/wannier.c: seedname_hr.dat / seedname_tb.dat, plain or gzip, optional
 * seedname_wsvec.dat); see docs/wannier.md for the run-file keys. */
#include "core/internal.h"

static qkt_status_t setup(qkt_model_t *m)
{
    if (m->hk && m->priv && m->nb > 0) return QKT_OK; /* made by qkt_wannier_load() */
    return qkt_error(QKT_EINVAL,
                     "model wannier is loaded from a file: set model.file = seedname_tb.dat "
                     "(or seedname_hr.dat with model.avec1, model.avec2, model.avec3 in Angstrom; "
                     ".gz allowed), optionally model.wsvec = seedname_wsvec.dat");
}

const qkt_model_info_t qkt_model_wannier = {
    "wannier", "Wannier90 tight-binding model from seedname_hr.dat or seedname_tb.dat",
    "Wannier90 3.x file formats (H(k) = sum_R e^{ik.R} H(R)/ndegen(R))", 0, NULL, setup, NULL};
