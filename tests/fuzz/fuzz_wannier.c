/* fuzz_wannier.c - libFuzzer target for the Wannier90 reader (src/wannier/wannier.c).
 * Input layout: byte 0 holds option bits, the rest is the model file
 * (_hr.dat or _tb.dat, plain or gzip), optionally followed by a line
 * "@@wsvec@@" and a seedname_wsvec.dat:
 *   bit 0 use_position, bit 1 hermitize_position, bit 2 have_avec (the Si
 *   lattice vectors of docs/wannier.md), bit 3 read the wsvec part, bit 4
 *   export the loaded model with qkt_wannier_write and load it again, bit 5
 *   export as _tb.dat (else _hr.dat), bit 6 export gzip-compressed (.gz).
 * The seeds start with a printable byte (e.g. '7' = 0x37: position, hermitize,
 * avec, export as _tb.dat), so they read as ordinary Wannier90 files.
 * Loads use max_bytes = 1 MiB.  Invariants (a violation aborts, like a crash):
 *   - a failed load returns an error status whose message names one of the files;
 *   - a loaded model has nb = num_wann >= 1, nrpts >= 1, sum 1/ndegen > 0, and
 *     H(k) (orders 0-2, two k points) Hermitian to 1e-12 relative when finite;
 *   - band energies (nb <= 32) come out ascending when H(k) is finite;
 *   - the export succeeds or fails with a message; its reload succeeds (or
 *     fails as too large, QKT_ENOMEM) when H(k) is finite, with the same nb.
 * Built by `make fuzz` (tests/fuzz/run.sh); replayed on the corpora by the
 * CTest test test_fuzz_regress. */
#include "fuzz_util.h"
#include <complex.h>
#include <math.h>

#define WSVEC_MARK "\n@@wsvec@@\n"

static const double si_avec[3][3] = {{-2.6988037638089994, 0, 2.6988037638089994},
                                     {0, 2.6988037638089994, 2.6988037638089994},
                                     {-2.6988037638089994, 2.6988037638089994, 0}};

/* max |O_mn - conj(O_nm)| / (1 + max|O|) over nmat matrices; -1 if not finite */
static double herm_dev(int nb, int nmat, const double complex *H)
{
    double dev = 0, mx = 0;
    for (int c = 0; c < nmat; c++)
        for (int i = 0; i < nb; i++)
            for (int j = 0; j < nb; j++) {
                double complex a = H[((size_t)c * nb + i) * nb + j], b = H[((size_t)c * nb + j) * nb + i];
                if (!isfinite(creal(a)) || !isfinite(cimag(a))) return -1;
                dev = fmax(dev, cabs(a - conj(b)));
                mx = fmax(mx, cabs(a));
            }
    return dev / (1 + mx);
}

static int wannier_one(const uint8_t *data, size_t size, char *why, size_t nwhy)
{
    fuzz_last_status = QKT_OK;
    if (size < 1) return 0;
    int flags = data[0];
    const uint8_t *body = data + 1;
    size_t nbody = size - 1, nws = 0;
    const uint8_t *ws = NULL;
    const uint8_t *mark = memmem(body, nbody, WSVEC_MARK, strlen(WSVEC_MARK));
    if (mark) {
        ws = mark + strlen(WSVEC_MARK);
        nws = (size_t)(body + nbody - ws);
        nbody = (size_t)(mark - body) + 1; /* keep the newline */
    }
    qkt_wannier_opts_t o;
    qkt_wannier_opts_default(&o);
    o.path = fuzz_write(0, "fz_model.dat", body, nbody);
    if ((flags & 8) && ws) o.wsvec_path = fuzz_write(1, "fz_wsvec.dat", ws, nws);
    o.use_position = flags & 1;
    o.hermitize_position = (flags >> 1) & 1;
    if (flags & 4) {
        memcpy(o.avec, si_avec, sizeof o.avec);
        o.have_avec = 1;
    }
    o.max_bytes = (size_t)1 << 20;
    qkt_model_t *m = NULL;
    qkt_clear_error();
    qkt_status_t s = qkt_wannier_load(&o, &m);
    fuzz_last_status = s;
    if (s) {
        if (m) return fuzz_fail(why, nwhy, "failed load (status %d) returned a model", (int)s);
        if (!fuzz_clean_error(s, "fz_model.dat") && !fuzz_clean_error(s, "fz_wsvec.dat"))
            return fuzz_fail(why, nwhy, "load: status %d, message '%s' names neither file", (int)s, qkt_strerror());
        return 0;
    }
    if (!m) return fuzz_fail(why, nwhy, "load returned QKT_OK and no model");
    int bad = 0, nb = m->nb, finite = 1;
    if (nb < 1 || qkt_wannier_nrpts(m) < 1 || !(qkt_wannier_sum_inv_degen(m) > 0) || m->dim != 3 || !m->periodic)
        bad = fuzz_fail(why, nwhy, "loaded model: nb %d, nrpts %d, sum 1/ndegen %g, dim %d", nb,
                        qkt_wannier_nrpts(m), qkt_wannier_sum_inv_degen(m), m->dim);
    size_t nel = (size_t)nb * nb;
    double complex *H = bad ? NULL : malloc(12 * nel * sizeof *H);
    if (!bad && !H) abort();
    static const double kp[2][3] = {{0.1, -0.27, 0.33}, {1.7, 0.4, -2.9}};
    for (int q = 0; q < 2 && !bad; q++) {
        s = m->hk(m, kp[q], 2, H);
        if (s) {
            bad = fuzz_fail(why, nwhy, "hk order 2 failed: %s", qkt_strerror());
            break;
        }
        double d = herm_dev(nb, 10, H);
        if (d < 0) finite = 0;
        else if (d > 1e-12) bad = fuzz_fail(why, nwhy, "H(k) or a derivative not Hermitian: %g", d);
        if (!bad && m->awk) {
            s = m->awk(m, kp[q], 1, H);
            if (s) bad = fuzz_fail(why, nwhy, "awk order 1 failed: %s", qkt_strerror());
            else if (o.hermitize_position) {
                d = herm_dev(nb, 12, H);
                if (d > 1e-12) bad = fuzz_fail(why, nwhy, "A^W(k) not Hermitian with hermitize_position: %g", d);
            }
        }
    }
    if (!bad && finite && nb <= 32) {
        qkt_bands_t *b = qkt_bands_alloc(nb);
        if (!b) abort();
        s = qkt_bands_compute(b, m, kp[0], QKT_BANDS_GEOMETRY);
        if (s && !fuzz_clean_error(s, NULL)) bad = fuzz_fail(why, nwhy, "bands: status %d without a message", (int)s);
        for (int i = 1; i < nb && !s && !bad; i++)
            if (!(b->eps[i] >= b->eps[i - 1])) bad = fuzz_fail(why, nwhy, "band energies not ascending");
        qkt_bands_free(b);
    }
    if (!bad && (flags & 16)) {
        int tb = (flags >> 5) & 1;
        char name[64];
        snprintf(name, sizeof name, "fz_export_%s.dat%s", tb ? "tb" : "hr", (flags & 64) ? ".gz" : "");
        char out[600];
        snprintf(out, sizeof out, "%s/%s", fuzz_dir(), name);
        qkt_clear_error();
        s = qkt_wannier_write(m, out, tb);
        if (s && !fuzz_clean_error(s, NULL))
            bad = fuzz_fail(why, nwhy, "export: status %d without a message", (int)s);
        if (!s) {
            qkt_wannier_opts_t o2;
            qkt_wannier_opts_default(&o2);
            o2.path = out;
            o2.max_bytes = o.max_bytes;
            o2.use_position = o.use_position;
            memcpy(o2.avec, m->avec, sizeof o2.avec);
            o2.have_avec = 1;
            qkt_model_t *m2 = NULL;
            s = qkt_wannier_load(&o2, &m2);
            if (s && !fuzz_clean_error(s, name))
                bad = fuzz_fail(why, nwhy, "reload of the export: status %d, message '%s'", (int)s, qkt_strerror());
            else if (s && finite && s != QKT_ENOMEM)
                bad = fuzz_fail(why, nwhy, "reload of the export of a finite model failed: %s", qkt_strerror());
            else if (!s && m2->nb != nb)
                bad = fuzz_fail(why, nwhy, "reload of the export: nb %d, was %d", m2->nb, nb);
            qkt_model_free(m2);
        }
    }
    free(H);
    qkt_model_free(m);
    return bad;
}

#ifndef QKT_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[4096];
    if (wannier_one(data, size, why, sizeof why)) {
        fprintf(stderr, "fuzz_wannier: invariant violated: %s\n", why);
        abort();
    }
    return 0;
}
#endif
