/* errf.h — filling a caller's error buffer: the (char *err, size_t errlen)
 * out-parameter that seam's fallible functions take. */
#ifndef SEAM_CORE_ERRF_H
#define SEAM_CORE_ERRF_H

#include <stddef.h>

/* Formats into err (truncating); does nothing when err is NULL or errlen 0. */
void seam_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
