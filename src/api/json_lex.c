/* json_lex.c — the out-of-line half of the JSON lexer; see json_lex.h. */
#include "api/json_lex.h"

#include <limits.h>
#include <stdio.h>

/* Length of the well-formed UTF-8 sequence whose lead byte (>= 0x80) is at
 * p[i]: 2..4, 0 when ill-formed, -1 when the input ends inside it. The
 * ranges are those of RFC 3629 §4, which exclude overlongs, UTF-16
 * surrogates and code points above U+10FFFF. */
int seam_jlex_utf8_len(const unsigned char *p, size_t n, size_t i)
{
    unsigned c = p[i], lo = 0x80, hi = 0xBF;
    int len;
    if (c < 0xC2) return 0;
    if (c < 0xE0) {
        len = 2;
    } else if (c < 0xF0) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c < 0xF5) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    for (int k = 1; k < len; k++) {
        if (i + k >= n) return -1;
        unsigned b = p[i + k];
        if (b < lo || b > hi) return 0;
        lo = 0x80;
        hi = 0xBF;
    }
    return len;
}

/* Reads the four hex digits of the \u escape whose backslash is at p[i]. */
static int read_u(const unsigned char *p, size_t n, size_t i, uint32_t *v, const char **msg,
                  size_t *at)
{
    uint32_t x = 0;
    for (size_t k = i + 2; k < i + 6; k++) {
        if (k >= n) {
            *msg = E_EOF;
            *at = n;
            return -1;
        }
        unsigned c = p[k], lc = c | 0x20;
        if (is_digit(c)) {
            x = x << 4 | (c - '0');
        } else if (lc - 'a' < 6u) {
            x = x << 4 | (lc - 'a' + 10);
        } else {
            *msg = "invalid \\u escape in string (needs 4 hex digits)";
            *at = i;
            return -1;
        }
    }
    *v = x;
    return 0;
}

/* Decodes the escape whose backslash is at p[i]. Returns the index just
 * past it with the code point in *cp, or 0 with *msg and *at set. */
size_t seam_jlex_decode_escape(const unsigned char *p, size_t n, size_t i, uint32_t *cp,
                               const char **msg, size_t *at)
{
    *at = i;
    if (i + 1 >= n) {
        *msg = E_EOF;
        *at = n;
        return 0;
    }
    static const char name[8] = "\"\\/bfnrt", value[8] = "\"\\/\b\f\n\r\t";
    const char *hit = memchr(name, p[i + 1], sizeof name);
    if (hit) {
        *cp = (unsigned char)value[hit - name];
        return i + 2;
    }
    if (p[i + 1] != 'u') {
        *msg = "invalid escape in string";
        return 0;
    }
    uint32_t u, lo;
    if (read_u(p, n, i, &u, msg, at)) return 0;
    if (u < 0xD800 || u > 0xDFFF) {
        *cp = u;
        return i + 6;
    }
    /* A high surrogate must be followed at once by an escaped low one. */
    if (u < 0xDC00 && i + 7 < n && p[i + 6] == '\\' && p[i + 7] == 'u') {
        if (read_u(p, n, i + 6, &lo, msg, at)) return 0;
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            *cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            return i + 12;
        }
    } else if (u < 0xDC00 && (i + 6 == n || (i + 7 == n && p[i + 6] == '\\'))) {
        *msg = E_EOF;
        *at = n;
        return 0;
    }
    *msg = "unpaired surrogate in \\u escape";
    *at = i;
    return 0;
}

/* The rest of a string body from p[i], a byte that needs a look (or the
 * end of input). Kept out of line so that the common plain string costs
 * one inlined skip and compare. */
int seam_jlex_string_rest(scanner *s, size_t i, int *esc)
{
    const unsigned char *p = s->p;
    size_t n = s->n;
    int e = 0;
    for (;;) {
        if (i >= n) return fail(s, n, E_EOF);
        unsigned c = p[i];
        if (c == '"') break;
        if (c == '\\') {
            uint32_t cp;
            const char *msg;
            size_t at;
            e = 1;
            i = seam_jlex_decode_escape(p, n, i, &cp, &msg, &at);
            if (!i) return fail(s, at, msg);
        } else if (c < 0x20) {
            return fail(s, i, "control character in string (must be escaped)");
        } else {
            int len = seam_jlex_utf8_len(p, n, i);
            if (len < 0) return fail(s, n, E_EOF);
            if (len == 0) return fail(s, i, "invalid UTF-8 in string");
            i += (size_t)len;
        }
        i = skip_plain(p, n, i);
    }
    s->i = i + 1;
    *esc = e;
    return 0;
}

int seam_jlex_number(scanner *s)
{
    const unsigned char *p = s->p;
    size_t n = s->n, i = s->i;
    if (p[i] == '-') i++;
    if (i >= n) return fail(s, n, E_EOF);
    if (p[i] == '0') {
        i++;
        if (i < n && is_digit(p[i])) return fail(s, i - 1, "leading zero in number");
    } else if (is_digit(p[i])) {
        while (i < n && is_digit(p[i]))
            i++;
    } else {
        return fail(s, i, "expected digit after '-'");
    }
    if (i < n && p[i] == '.') {
        i++;
        if (i >= n) return fail(s, n, E_EOF);
        if (!is_digit(p[i])) return fail(s, i, "expected digit after '.' in number");
        while (i < n && is_digit(p[i]))
            i++;
    }
    if (i < n && (p[i] | 0x20) == 'e') {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-')) i++;
        if (i >= n) return fail(s, n, E_EOF);
        if (!is_digit(p[i])) return fail(s, i, "expected digit in number exponent");
        while (i < n && is_digit(p[i]))
            i++;
    }
    s->i = i;
    return 0;
}

int seam_jlex_literal(scanner *s)
{
    static const char *const lits[] = {"true", "false", "null"};
    const char *lit = lits[s->p[s->i] == 't' ? 0 : s->p[s->i] == 'f' ? 1 : 2];
    size_t len = strlen(lit), avail = s->n - s->i;
    size_t k = 1;
    while (k < len && k < avail && s->p[s->i + k] == (unsigned char)lit[k])
        k++;
    if (k == len) {
        s->i += len;
        return 0;
    }
    if (k == avail) return fail(s, s->n, E_EOF);
    return fail(s, s->i, "invalid literal (expected true, false or null)");
}

void seam_jlex_set_error(seam_json_error *err, const scanner *s)
{
    if (!err) return;
    size_t at = s->at > s->n ? s->n : s->at, ls = 0;
    long line = 1, col = 1;
    for (size_t i = 0; i < at; i++)
        if (s->p[i] == '\n') {
            line++;
            ls = i + 1;
        }
    for (size_t i = ls; i < at; i++)
        if ((s->p[i] & 0xC0) != 0x80) col++;
    err->offset = at;
    err->line = line > INT_MAX ? INT_MAX : (int)line;
    err->column = col > INT_MAX ? INT_MAX : (int)col;
    snprintf(err->msg, sizeof err->msg, "%s", s->msg);
}

int seam_jlex_finish(scanner *s, seam_json_error *err)
{
    if (!s->msg) {
        skip_ws(s);
        if (s->i == s->n) return 0;
        fail(s, s->i, "unexpected data after the JSON value");
    }
    seam_jlex_set_error(err, s);
    return -1;
}
