/* number.c - the one reader of real numbers in text input (run files, Wannier90
 * files, command-line values): decimal notation only, finite, and never a
 * non-zero input that silently becomes zero.
 *
 * strtod alone accepts hexadecimal ("0x10" = 16), "inf", "nan" and
 * "infinity", and returns 0 (or a subnormal with lost digits) for 1e-400.
 * Here the lexical form is checked first: [sign] digits [. digits]
 * [exponent], or [sign] . digits [exponent], with exponent letter e or E
 * (and d or D, Fortran's double-precision exponent, when allowed); only then
 * is the value converted, by strtod, on a copy with the exponent letter set
 * to 'e'. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "qkt.h"

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* length of the decimal number at s (0: none); *nonzero: a non-zero digit
 * in the mantissa */
static size_t lex_decimal(const char *s, int fortran_d, int *nonzero)
{
    size_t i = 0, nd = 0;
    *nonzero = 0;
    if (s[i] == '+' || s[i] == '-') i++;
    for (; is_digit(s[i]); i++, nd++) *nonzero |= s[i] != '0';
    if (s[i] == '.') {
        i++;
        for (; is_digit(s[i]); i++, nd++) *nonzero |= s[i] != '0';
    }
    if (nd == 0) return 0;
    char x = s[i];
    if (x == 'e' || x == 'E' || (fortran_d && (x == 'd' || x == 'D'))) {
        size_t j = i + 1, ne = 0;
        if (s[j] == '+' || s[j] == '-') j++;
        for (; is_digit(s[j]); j++) ne++;
        if (ne > 0) i = j; /* "1e" is the number 1 followed by "e" */
    }
    return i;
}

const char *qkt_parse_real(const char *s, const char **end, double *x, int fortran_d)
{
    int nonzero;
    size_t n = lex_decimal(s, fortran_d, &nonzero);
    if (end) *end = s + n;
    if (n == 0) {
        const char *t = s + (*s == '+' || *s == '-');
        if (!strncasecmp(t, "inf", 3) || !strncasecmp(t, "nan", 3)) return "not a finite number";
        return "not a decimal number";
    }
    if ((s[n] == 'x' || s[n] == 'X') && n >= 1 && s[n - 1] == '0')
        return "hexadecimal is not accepted: write the number in decimal";
    char buf[128], *copy = buf;
    if (n >= sizeof buf && !(copy = malloc(n + 1))) return "too long to convert (out of memory)";
    memcpy(copy, s, n);
    copy[n] = 0;
    for (size_t i = 0; i < n; i++)
        if (copy[i] == 'd' || copy[i] == 'D') copy[i] = 'e';
    errno = 0;
    double v = strtod(copy, NULL);
    if (copy != buf) free(copy);
    if (!isfinite(v)) return "out of range: overflows double precision (|x| > 1.8e308)";
    if (nonzero && fabs(v) < DBL_MIN)
        return "out of range: a non-zero number below 2.2e-308 in magnitude underflows";
    *x = v;
    return NULL;
}
