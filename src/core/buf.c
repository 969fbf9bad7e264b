/* buf.c — bounded growable buffer; see buf.h. */
#include "core/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void seam_buf_init(seam_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

static int grow(seam_buf *b, size_t need)
{
    if (need > b->max) return SEAM_BUF_TOOBIG;
    if (need + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need + 1 && cap <= SIZE_MAX / 2)
        cap *= 2;
    if (cap < need + 1) cap = need + 1; /* need < max <= SIZE_MAX: no wrap */
    if (cap - 1 > b->max) cap = b->max + 1;
    char *p = realloc(b->data, cap);
    if (!p) return SEAM_BUF_NOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int seam_buf_append_slow(seam_buf *b, const void *p, size_t n)
{
    if (n > b->max - b->len) return SEAM_BUF_TOOBIG;
    int rc = grow(b, b->len + n);
    if (rc) return rc;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int seam_buf_reserve(seam_buf *b, size_t n)
{
    if (n > b->max - b->len) return SEAM_BUF_TOOBIG;
    return grow(b, b->len + n);
}

int seam_buf_append_str(seam_buf *b, const char *s)
{
    return seam_buf_append(b, s, strlen(s));
}

int seam_buf_printf(seam_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return SEAM_BUF_NOMEM;
    if ((size_t)n < sizeof small) return seam_buf_append(b, small, (size_t)n);
    if ((size_t)n > b->max - b->len) return SEAM_BUF_TOOBIG;
    int rc = grow(b, b->len + (size_t)n);
    if (rc) return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int seam_buf_append_int(seam_buf *b, long long v)
{
    char tmp[24], *e = tmp + sizeof tmp, *p = e;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--p = '-';
    return seam_buf_append(b, p, (size_t)(e - p));
}

int seam_buf_append_json_str(seam_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[7];
        size_t elen = 0;
        switch (c) {
        case '"':
            memcpy(esc, "\\\"", 2);
            elen = 2;
            break;
        case '\\':
            memcpy(esc, "\\\\", 2);
            elen = 2;
            break;
        case '\n':
            memcpy(esc, "\\n", 2);
            elen = 2;
            break;
        case '\r':
            memcpy(esc, "\\r", 2);
            elen = 2;
            break;
        case '\t':
            memcpy(esc, "\\t", 2);
            elen = 2;
            break;
        default:
            if (c < 0x20) {
                memcpy(esc, "\\u00", 4);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                elen = 6;
            }
        }
        if (!elen) continue;
        int rc = seam_buf_append(b, s + start, i - start);
        if (!rc) rc = seam_buf_append(b, esc, elen);
        if (rc) return rc;
        start = i + 1;
    }
    return seam_buf_append(b, s + start, n - start);
}

void seam_buf_consume(seam_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
    } else {
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
    }
    if (b->data) b->data[b->len] = '\0';
}

void seam_buf_reset(seam_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

void seam_buf_free(seam_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
