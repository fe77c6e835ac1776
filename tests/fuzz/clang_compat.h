/* clang_compat.h - force-included (-include) into every source of the fuzz build
 * (QKT_FUZZ=ON, clang).  glibc's <complex.h> defines CMPLX only for GCC >= 4.7,
 * and clang 14 announces itself as GCC 4.2, so src/wannier/wannier.c would not link;
 * clang's complex initializer list builds the same value (also for inf/NaN
 * parts).  Includes no header, so feature macros (_GNU_SOURCE) still work. */
#ifndef CMPLX
#define CMPLX(x, y) ((double _Complex){(double)(x), (double)(y)})
#endif
