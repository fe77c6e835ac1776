/* wannier.c - registry entry of Wannier90 tight-binding models.  They are not
 * built from parameters but loaded from files by qkt_wannier_load(). */
#include "qkt_internal.h"

static qkt_status_t setup(qkt_model_t *m)
{
    if (m->hk) return QKT_OK; /* already loaded */
    return qkt_error(QKT_EINVAL, "model wannier is loaded from a file: set model.file");
}

const qkt_model_info_t qkt_model_wannier = {
    "wannier", "Wannier90 tight-binding model from seedname_hr.dat or seedname_tb.dat",
    "Wannier90 3.x file formats", 0, NULL, setup};
