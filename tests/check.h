/* check.h - minimal assertions for qkt's test programs (run by CTest).
 * Each CHECK prints what it compared; the program's exit status is the
 * number of failed checks (0 = pass). */
#ifndef QKT_CHECK_H
#define QKT_CHECK_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int check_failures = 0, check_count = 0;

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        check_count++;                                                          \
        if (!(cond)) {                                                          \
            check_failures++;                                                   \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                         \
            printf(__VA_ARGS__);                                                \
            printf("\n");                                                       \
        }                                                                       \
    } while (0)

/* |got - want| <= tol (absolute). */
#define CHECK_ABS(got, want, tol, what)                                         \
    do {                                                                        \
        double g_ = (got), w_ = (want), t_ = (tol);                             \
        check_count++;                                                          \
        int ok_ = fabs(g_ - w_) <= t_;                                          \
        printf("%s %s: got %.10g want %.10g (|diff| %.3g, tol %.3g)\n",          \
               ok_ ? "ok  " : "FAIL", (what), g_, w_, fabs(g_ - w_), t_);         \
        if (!ok_) check_failures++;                                             \
    } while (0)

/* |got - want| <= rtol * |want| (relative). */
#define CHECK_REL(got, want, rtol, what)                                        \
    do {                                                                        \
        double g_ = (got), w_ = (want), t_ = (rtol);                            \
        check_count++;                                                          \
        double r_ = fabs(g_ - w_) / fabs(w_);                                   \
        int ok_ = r_ <= t_;                                                     \
        printf("%s %s: got %.10g want %.10g (rel diff %.3g, tol %.3g)\n",        \
               ok_ ? "ok  " : "FAIL", (what), g_, w_, r_, t_);                    \
        if (!ok_) check_failures++;                                             \
    } while (0)

/* Like CHECK, but prints the line whether it passes or not. */
#define CHECK_OK(cond, ...)                                                     \
    do {                                                                        \
        int ok__ = (cond);                                                      \
        check_count++;                                                          \
        printf("%s ", ok__ ? "ok  " : "FAIL");                                  \
        printf(__VA_ARGS__);                                                    \
        printf("\n");                                                           \
        if (!ok__) check_failures++;                                            \
    } while (0)

#define CHECK_DONE()                                                            \
    do {                                                                        \
        printf("%d checks, %d failed\n", check_count, check_failures);          \
        return check_failures ? 1 : 0;                                          \
    } while (0)

static inline const char *check_shared_dir(void)
{
    const char *s = getenv("QKT_SHARED");
    return s ? s : "../shared";
}
#endif
