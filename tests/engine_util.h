/* engine_util.h - helpers shared by the engine test programs (test_engine,
 * test_anchors_b0b1, test_anchors_b2, test_symmetry): constants, a printf-style
 * label buffer, wall time, model construction that exits on error, and one
 * timed engine run.  Include after check.h and qkt.h. */
#ifndef QKT_ENGINE_UTIL_H
#define QKT_ENGINE_UTIL_H
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include "check.h"
#include "qkt.h"

static const double PI = 3.14159265358979323846;
#define FOURPI2 (4 * PI * PI)

/* WHAT(fmt, ...): a formatted label for CHECK_ABS/CHECK_REL (one buffer, reused). */
static char what_[600] __attribute__((unused));
#define WHAT(...) (snprintf(what_, sizeof what_, __VA_ARGS__), what_)

static inline double wall(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static inline qkt_model_t *model(const char *name)
{
    qkt_model_t *m = qkt_model_alloc(name);
    if (!m) {
        printf("FAIL cannot create model %s: %s\n", name, qkt_strerror());
        exit(1);
    }
    return m;
}

/* path of a file of ../shared/data (rel: e.g. "fe/Fe_tb.dat.gz"); each call
 * has its own buffer among four */
static inline const char *shared_path(const char *rel)
{
    static char buf[4][1024];
    static int next = 0;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/data/%s", check_shared_dir(), rel);
    return p;
}

/* a Wannier90 model of ../shared/data: file and optional wsvec relative to
 * data/, the position matrix on or off, electrons per state; exits on error */
static inline qkt_model_t *shared_wannier(const char *file, const char *wsvec, int position, double spin)
{
    qkt_wannier_opts_t o;
    qkt_wannier_opts_default(&o);
    o.path = shared_path(file);
    if (wsvec) o.wsvec_path = shared_path(wsvec);
    o.use_position = position;
    o.spin_degeneracy = spin;
    qkt_model_t *m = NULL;
    if (qkt_wannier_load(&o, &m)) {
        printf("FAIL load %s: %s\n", o.path, qkt_strerror());
        exit(1);
    }
    return m;
}

static inline void set1(qkt_model_t *m, const char *k, double v)
{
    if (qkt_model_set(m, k, &v, 1)) {
        printf("FAIL %s.%s = %g: %s\n", m->info->name, k, v, qkt_strerror());
        exit(1);
    }
}

/* three-component parameter from an array */
static inline void set3v(qkt_model_t *m, const char *k, const double v[3])
{
    double w[3] = {v[0], v[1], v[2]};
    if (qkt_model_set(m, k, w, 3)) {
        printf("FAIL %s.%s: %s\n", m->info->name, k, qkt_strerror());
        exit(1);
    }
}

/* three-component parameter from its components */
static inline void set3(qkt_model_t *m, const char *k, double x, double y, double z)
{
    double v[3] = {x, y, z};
    set3v(m, k, v);
}

/* engine defaults with the chemical potential, temperature and order set */
static inline qkt_params_t params_at(double mu, double T, int order)
{
    qkt_params_t p;
    qkt_params_default(&p);
    p.mu = mu;
    p.T = T;
    p.order = order;
    return p;
}

static inline void setup(qkt_model_t *m)
{
    if (qkt_model_setup(m)) {
        printf("FAIL setup of %s: %s\n", m->info->name, qkt_strerror());
        exit(1);
    }
}

/* One engine run; prints status and wall time (label padded to width).  NULL (and
 * one failed check) on error; the caller releases the result with release(). */
static inline qkt_response_t *run_w(int width, const char *label, const qkt_model_t *m, const qkt_params_t *p)
{
    qkt_response_t *r = calloc(1, sizeof *r);
    if (!r) exit(1);
    double t0 = wall();
    qkt_status_t s = qkt_response_compute(m, p, r);
    double dt = wall() - t0;
    printf("run %-*s status %d, %6.2f s wall, %zu evaluations, converged %d, %d pocket(s)\n", width, label, (int)s,
           dt, r->neval, r->converged, r->npocket);
    CHECK(s == QKT_OK, "engine run '%s' failed: %s", label, qkt_strerror());
    if (s) {
        free(r);
        return NULL;
    }
    return r;
}

/* An engine run that must be refused as invalid input, with a message that
 * names `word`; what: the request, for the report. */
static inline void check_refused(const qkt_model_t *m, const qkt_params_t *p, const char *word, const char *what)
{
    qkt_response_t r;
    qkt_status_t s = qkt_response_compute(m, p, &r);
    CHECK_OK(s == QKT_EINVAL && strstr(qkt_strerror(), word), "%s: invalid input naming '%s' (status %d: %s)", what,
             word, (int)s, qkt_strerror());
    qkt_response_free(&r);
}

/* Free a result of run_w (NULL allowed). */
static inline void release(qkt_response_t *r)
{
    if (!r) return;
    qkt_response_free(r);
    free(r);
}
#endif
