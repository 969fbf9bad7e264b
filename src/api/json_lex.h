/* json_lex.h — the lexer under json_scan.c and json_doc.c.
 *
 * Private to src/api: the pieces both the field scanner and the document
 * reader need, so that there is one definition of what a valid JSON string,
 * number and literal are.  The per-byte helpers are inline because they run
 * for every byte of every request; the rarer paths live in json_lex.c. */
#ifndef SEAM_API_JSON_LEX_H
#define SEAM_API_JSON_LEX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "api/json_scan.h"

#if defined(__SSE2__) && !defined(SEAM_NO_SIMD)
#define USE_SSE2 1
#include <emmintrin.h>
#endif

#define E_EOF "unexpected end of input"

typedef struct scanner {
    const unsigned char *p;
    size_t n;
    size_t i;        /* next byte to read */
    const char *msg; /* first error, or NULL */
    size_t at;       /* its offset */
} scanner;

static inline int fail(scanner *s, size_t at, const char *msg)
{
    if (!s->msg) {
        s->msg = msg;
        s->at = at;
    }
    return -1;
}

static inline int is_ws(unsigned c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline int is_digit(unsigned c)
{
    return c - '0' < 10u;
}

static inline void skip_ws(scanner *s)
{
    size_t i = s->i;
    while (i < s->n && is_ws(s->p[i]))
        i++;
    s->i = i;
}

/* Index of the first byte at or after i that a string body must look at:
 * '"', '\\', a control character or a non-ASCII byte; n if none. */
static inline size_t skip_plain(const unsigned char *p, size_t n, size_t i)
{
#ifdef USE_SSE2
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (n - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        /* Signed compare: bytes >= 0x80 are negative, so one test catches
         * both control characters and non-ASCII. */
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                                 _mm_cmplt_epi8(v, space));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits) return i + (size_t)__builtin_ctz(bits);
        i += 16;
    }
#else
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    while (n - i >= 8) {
        uint64_t x, q, b;
        memcpy(&x, p + i, 8);
        q = x ^ (ones * '"');
        b = x ^ (ones * '\\');
        if ((((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x) | x) & high) break;
        i += 8;
    }
#endif
    while (i < n) {
        unsigned c = p[i];
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        i++;
    }
    return i;
}

/* After an object key: the ':' and the whitespace around it, leaving s->i
 * at the value. */
static inline int colon(scanner *s)
{
    skip_ws(s);
    if (s->i >= s->n) return fail(s, s->n, E_EOF);
    if (s->p[s->i] != ':') return fail(s, s->i, "expected ':' after object key");
    s->i++;
    skip_ws(s);
    return 0;
}

/* Out of line, in json_lex.c. */
int seam_jlex_utf8_len(const unsigned char *p, size_t n, size_t i);
size_t seam_jlex_decode_escape(const unsigned char *p, size_t n, size_t i, uint32_t *cp,
                               const char **msg, size_t *at);
int seam_jlex_string_rest(scanner *s, size_t i, int *esc);
int seam_jlex_number(scanner *s);
int seam_jlex_literal(scanner *s);
/* Fills err (may be NULL) from the scanner's first error: offset, line, column. */
void seam_jlex_set_error(seam_json_error *err, const scanner *s);
/* After the top-level value: 0 when only whitespace follows, else -1 with err. */
int seam_jlex_finish(scanner *s, seam_json_error *err);

/* Scans the string whose opening quote is at s->i. On success s->i is just
 * past the closing quote and *esc says whether the body holds an escape. */
static inline int scan_string(scanner *s, int *esc)
{
    size_t i = skip_plain(s->p, s->n, s->i + 1);
    if (i < s->n && s->p[i] == '"') {
        s->i = i + 1;
        *esc = 0;
        return 0;
    }
    return seam_jlex_string_rest(s, i, esc);
}

#endif
