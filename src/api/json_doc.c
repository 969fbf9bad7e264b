/* json_doc.c — JSON text to a flat node array; see json_doc.h. */
#include "api/json_doc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_lex.h"

#define E_NOMEM "out of memory"

/* Room for more nodes: the inline ones moved to the heap, or the heap's
 * doubled.  Returns 0, or -1 (out of memory: s->msg set). */
static int grow(seam_jdoc *d, scanner *s)
{
    /* Every node spans at least one byte, so n + 1 nodes is enough. */
    size_t cap = d->cap * 2;
    if (cap < s->n / 8 + 16) cap = s->n / 8 + 16;
    if (cap > s->n + 1) cap = s->n + 1;
    if (cap <= d->n) cap = d->n + 1;
    int outgrown = d->nodes == d->inline_nodes;
    seam_jnode *nodes = realloc(outgrown ? NULL : d->nodes, cap * sizeof *nodes);
    if (!nodes) return fail(s, s->i, E_NOMEM);
    if (outgrown) memcpy(nodes, d->inline_nodes, d->n * sizeof *nodes);
    d->nodes = nodes;
    d->cap = cap;
    return 0;
}

/* Appends a node; returns its index, or -1 (out of memory: s->msg set). */
static inline long push(seam_jdoc *d, scanner *s, enum seam_jtype t, size_t off)
{
    if (d->n == d->cap && grow(d, s)) return -1;
    seam_jnode *x = &d->nodes[d->n];
    x->off = (uint32_t)off;
    x->len = 0;
    x->size = 1;
    x->type = (uint8_t)t;
    x->escaped = 0;
    return (long)d->n++;
}

/* A string at s->i (its quote) as a node. */
static int string_node(seam_jdoc *d, scanner *s)
{
    size_t start = s->i;
    int esc;
    if (scan_string(s, &esc)) return -1;
    long k = push(d, s, SEAM_JSTRING, start);
    if (k < 0) return -1;
    d->nodes[k].len = (uint32_t)(s->i - start);
    d->nodes[k].escaped = (uint8_t)esc;
    return 0;
}

/* Closes the container whose node index is on top of the stack. */
static void close_node(seam_jdoc *d, const scanner *s, size_t k)
{
    seam_jnode *x = &d->nodes[k];
    x->len = (uint32_t)(s->i - x->off);
    x->size = (uint32_t)(d->n - k);
}

static int key(seam_jdoc *d, scanner *s)
{
    if (s->i >= s->n) return fail(s, s->n, E_EOF);
    if (s->p[s->i] != '"') return fail(s, s->i, "expected '\"' to start an object key");
    return string_node(d, s) ? -1 : colon(s);
}

static int parse(seam_jdoc *d, scanner *s)
{
    size_t stack[SEAM_JSON_MAX_DEPTH]; /* node index of each open container */
    int depth = 0;
    skip_ws(s);
    for (;;) {
        /* a value starts at s->i */
        if (s->i >= s->n) return fail(s, s->n, E_EOF);
        unsigned c = s->p[s->i];
        size_t start = s->i;
        if (c == '"') {
            if (string_node(d, s)) return -1;
        } else if (c == '{' || c == '[') {
            if (depth >= SEAM_JSON_MAX_DEPTH) return fail(s, s->i, "nesting deeper than 64 levels");
            long k = push(d, s, c == '{' ? SEAM_JOBJECT : SEAM_JARRAY, start);
            if (k < 0) return -1;
            s->i++;
            skip_ws(s);
            if (s->i >= s->n) return fail(s, s->n, E_EOF);
            if (s->p[s->i] == (c == '{' ? '}' : ']')) {
                s->i++;
                close_node(d, s, (size_t)k);
            } else {
                stack[depth++] = (size_t)k;
                if (c == '{' && key(d, s)) return -1;
                continue;
            }
        } else {
            enum seam_jtype t;
            if (c == 't' || c == 'f' || c == 'n') {
                if (seam_jlex_literal(s)) return -1;
                t = c == 't' ? SEAM_JTRUE : c == 'f' ? SEAM_JFALSE : SEAM_JNULL;
            } else if (c == '-' || is_digit(c)) {
                if (seam_jlex_number(s)) return -1;
                t = SEAM_JNUMBER;
            } else {
                return fail(s, s->i, "expected a value");
            }
            long k = push(d, s, t, start);
            if (k < 0) return -1;
            d->nodes[k].len = (uint32_t)(s->i - start);
        }
        /* after a value: close containers until one has another member */
        for (;;) {
            if (depth == 0) return 0;
            int obj = d->nodes[stack[depth - 1]].type == SEAM_JOBJECT;
            skip_ws(s);
            if (s->i >= s->n) return fail(s, s->n, E_EOF);
            c = s->p[s->i];
            if (c == ',') {
                size_t comma = s->i++;
                skip_ws(s);
                if (s->i < s->n && s->p[s->i] == (obj ? '}' : ']'))
                    return fail(s, comma,
                                obj ? "trailing comma before '}'" : "trailing comma before ']'");
                if (obj && key(d, s)) return -1;
                break;
            }
            if (c == (obj ? '}' : ']')) {
                s->i++;
                close_node(d, s, stack[--depth]);
                continue;
            }
            return fail(s, s->i,
                        obj ? "expected ',' or '}' after object member"
                            : "expected ',' or ']' after array element");
        }
    }
}

int seam_jdoc_parse(seam_jdoc *d, const char *p, size_t n, seam_json_error *err)
{
    d->text = p;
    d->nodes = d->inline_nodes;
    d->n = 0;
    d->cap = SEAM_JDOC_INLINE;
    scanner s = {(const unsigned char *)p, n, 0, NULL, 0};
    if (n >= UINT32_MAX) { /* offsets are 32-bit; callers cap bodies far below */
        fail(&s, 0, "document too large");
        seam_jlex_set_error(err, &s);
        return -1;
    }
    parse(d, &s);
    return seam_jlex_finish(&s, err);
}

void seam_jdoc_free(seam_jdoc *d)
{
    if (d->nodes != d->inline_nodes) free(d->nodes);
    d->nodes = d->inline_nodes;
    d->n = 0;
    d->cap = SEAM_JDOC_INLINE;
}

seam_jv seam_jget_n(const seam_jdoc *d, seam_jv obj, const char *key, size_t n)
{
    if (!seam_jis(obj, SEAM_JOBJECT)) return NULL;
    seam_jv found = NULL, end = obj + obj->size;
    for (seam_jv k = obj + 1; k < end; k += 1 + k[1].size) { /* a key, then its value */
        /* Unescaped keys, the norm, compare without decoding. */
        if (!k->escaped) {
            const char *t = d->text + k->off + 1;
            if (k->len == n + 2 && (!n || (t[0] == key[0] && memcmp(t, key, n) == 0)))
                found = k + 1;
        } else if (seam_jstr_eq_n(d, k, key, n)) {
            found = k + 1;
        }
    }
    return found;
}

/* The unescaped key body k[0..len) is name: strncmp stops at name's end, and
 * a valid unescaped body holds no NUL, so name[len] is in bounds. */
static int raw_key_is(const char *k, size_t len, const char *name)
{
    return strncmp(name, k, len) == 0 && name[len] == '\0';
}

seam_jv seam_jpick(const seam_jdoc *d, seam_jv obj, const char *const *names, size_t n,
                   seam_jv *out)
{
    seam_jv k, v, unknown = NULL;
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    seam_jobj_foreach(obj, k, v)
    {
        size_t i = 0;
        if (!k->escaped) {
            const char *body = d->text + k->off + 1;
            while (i < n && (names[i][0] != body[0] || !raw_key_is(body, k->len - 2, names[i])))
                i++;
        } else {
            while (i < n && !seam_jstr_eq(d, k, names[i]))
                i++;
        }
        if (i < n)
            out[i] = v;
        else if (!unknown)
            unknown = k;
    }
    return unknown;
}

size_t seam_jcount(seam_jv c)
{
    size_t n = 0;
    if (!c || (c->type != SEAM_JARRAY && c->type != SEAM_JOBJECT)) return 0;
    for (seam_jv it = seam_jfirst(c); it; it = seam_jnext(c, it))
        n++;
    return c->type == SEAM_JOBJECT ? n / 2 : n;
}

const char *seam_jstr(const seam_jdoc *d, seam_jv v, size_t *len)
{
    if (!seam_jis(v, SEAM_JSTRING)) {
        *len = 0;
        return NULL;
    }
    *len = v->len - 2;
    return d->text + v->off + 1;
}

/* Compares the decoded string v with lit[0..n): exact, or as a prefix. */
static int str_cmp(const seam_jdoc *d, seam_jv v, const char *lit, size_t n, int prefix)
{
    size_t len;
    const char *s = seam_jstr(d, v, &len);
    if (!s) return 0;
    if (!v->escaped)
        return prefix ? len >= n && memcmp(s, lit, n) == 0 : len == n && memcmp(s, lit, n) == 0;
    /* An escape only shortens: a decoded text never outgrows its body. */
    char small[64], *buf = len < sizeof small ? small : malloc(len + 1);
    if (!buf) return 0;
    long got = seam_json_unescape(s, len, buf, len + 1);
    int eq = got >= 0 && (prefix ? (size_t)got >= n && memcmp(buf, lit, n) == 0
                                 : (size_t)got == n && memcmp(buf, lit, n) == 0);
    if (buf != small) free(buf);
    return eq;
}

int seam_jstr_eq_n(const seam_jdoc *d, seam_jv v, const char *lit, size_t n)
{
    return str_cmp(d, v, lit, n, 0);
}

int seam_jstr_prefix(const seam_jdoc *d, seam_jv v, const char *prefix)
{
    return str_cmp(d, v, prefix, strlen(prefix), 1);
}

int seam_jstr_decode(const seam_jdoc *d, seam_jv v, seam_buf *out)
{
    size_t len;
    const char *s = seam_jstr(d, v, &len);
    if (!s) return -1;
    if (!v->escaped) return seam_buf_append(out, s, len);
    int rc = seam_buf_reserve(out, len + 1);
    if (rc) return rc;
    long got = seam_json_unescape(s, len, out->data + out->len, len + 1);
    if (got < 0) return -1; /* cannot happen: the document was validated */
    out->len += (size_t)got;
    return 0;
}

int seam_jnum(const seam_jdoc *d, seam_jv v, double *out)
{
    if (!seam_jis(v, SEAM_JNUMBER)) return -1;
    char tmp[64];
    if (v->len >= sizeof tmp) { /* a valid number this long: parse a copy anyway */
        char *big = strndup(d->text + v->off, v->len);
        if (!big) return -1;
        *out = strtod(big, NULL);
        free(big);
        return 0;
    }
    memcpy(tmp, d->text + v->off, v->len);
    tmp[v->len] = '\0';
    *out = strtod(tmp, NULL);
    return 0;
}

int seam_jint(const seam_jdoc *d, seam_jv v, long long *out)
{
    if (!seam_jis(v, SEAM_JNUMBER)) return -1;
    /* The lexer let through only valid JSON numbers: an optional '-', then
     * digits, then perhaps a fraction or an exponent, which are not integers. */
    const char *p = d->text + v->off, *end = p + v->len;
    int neg = *p == '-';
    p += neg;
    unsigned long long x = 0, limit = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
    for (; p < end; p++) {
        unsigned digit = (unsigned)(*p - '0');
        if (digit > 9) return -1; /* '.', 'e' or 'E' */
        if (x > (limit - digit) / 10) return -1;
        x = x * 10 + digit;
    }
    *out = !neg ? (long long)x : x > LLONG_MAX ? LLONG_MIN : -(long long)x;
    return 0;
}
