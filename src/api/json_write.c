/* json_write.c — see json_write.h. */
#include "api/json_write.h"

#include <stdio.h>
#include <string.h>

void seam_jw_init(seam_jw *w, seam_buf *b)
{
    memset(w, 0, sizeof *w);
    w->b = b;
}

int seam_jw_error(const seam_jw *w)
{
    if (w->err) return w->err;
    return w->depth ? SEAM_BUF_NOMEM : 0;
}

void seam_jw__put_slow(seam_jw *w, const char *p, size_t n)
{
    if (!w->err) w->err = seam_buf_append(w->b, p, n);
}

#define put seam_jw__put
#define sep seam_jw__sep

static void put_escaped(seam_jw *w, const char *s, size_t n)
{
    if (!w->err) w->err = seam_buf_append_json_str(w->b, s, n);
}

static void open(seam_jw *w, int obj)
{
    sep(w);
    if (w->depth == SEAM_JW_MAX_DEPTH) {
        w->err = SEAM_BUF_TOOBIG;
        return;
    }
    uint64_t bit = 1ull << w->depth;
    w->filled &= ~bit;
    w->objs = obj ? w->objs | bit : w->objs & ~bit;
    w->depth++;
    put(w, obj ? "{" : "[", 1);
}

void seam_jw_obj(seam_jw *w)
{
    open(w, 1);
}

void seam_jw_arr(seam_jw *w)
{
    open(w, 0);
}

void seam_jw_end(seam_jw *w)
{
    if (!w->depth) {
        if (!w->err) w->err = SEAM_BUF_NOMEM;
        return;
    }
    w->depth--;
    put(w, w->objs >> w->depth & 1 ? "}" : "]", 1);
}

void seam_jw_key(seam_jw *w, const char *k)
{
    sep(w);
    /* Keys are nearly always short literals that need no escape: one append. */
    char quoted[64];
    size_t n = 0;
    quoted[n++] = '"';
    for (; *k && n < sizeof quoted - 2; k++) {
        unsigned char c = (unsigned char)*k;
        if (c < 0x20 || c == '"' || c == '\\') break;
        quoted[n++] = (char)c;
    }
    if (!*k) {
        quoted[n++] = '"';
        quoted[n++] = ':';
        put(w, quoted, n);
    } else { /* long, or needs escapes */
        put(w, quoted, n);
        put_escaped(w, k, strlen(k));
        put(w, "\":", 2);
    }
    w->after_key = 1;
}

void seam_jw_key_escaped(seam_jw *w, const char *body, size_t n)
{
    sep(w);
    put(w, "\"", 1);
    put(w, body, n);
    put(w, "\":", 2);
    w->after_key = 1;
}

seam_jw_pos seam_jw_mark(const seam_jw *w)
{
    return (seam_jw_pos){*w, w->b->len};
}

void seam_jw_rollback(seam_jw *w, const seam_jw_pos *pos)
{
    if (w->err) return;
    *w = pos->w;
    w->b->len = pos->len;
    if (w->b->data) w->b->data[pos->len] = '\0';
}

void seam_jw_str(seam_jw *w, const char *s, size_t n)
{
    sep(w);
    put(w, "\"", 1);
    put_escaped(w, s, n);
    put(w, "\"", 1);
}

void seam_jw_cstr(seam_jw *w, const char *s)
{
    seam_jw_str(w, s, strlen(s));
}

void seam_jw_str_escaped(seam_jw *w, const char *body, size_t n)
{
    sep(w);
    put(w, "\"", 1);
    put(w, body, n);
    put(w, "\"", 1);
}

void seam_jw_int(seam_jw *w, long long v)
{
    sep(w);
    if (!w->err) w->err = seam_buf_append_int(w->b, v);
}

void seam_jw_bool(seam_jw *w, int v)
{
    sep(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void seam_jw_null(seam_jw *w)
{
    sep(w);
    put(w, "null", 4);
}

void seam_jw_raw(seam_jw *w, const char *p, size_t n)
{
    sep(w);
    put(w, p, n);
}

void seam_jw_value(seam_jw *w, const seam_jdoc *d, seam_jv v)
{
    if (!v) {
        seam_jw_null(w);
        return;
    }
    seam_jw_raw(w, d->text + v->off, v->len);
}

void seam_jw_str_begin(seam_jw *w)
{
    sep(w);
    put(w, "\"", 1);
}

void seam_jw_str_add(seam_jw *w, const char *s, size_t n)
{
    put_escaped(w, s, n);
}

void seam_jw_str_add_escaped(seam_jw *w, const char *body, size_t n)
{
    put(w, body, n);
}

void seam_jw_str_add_int(seam_jw *w, long long v)
{
    if (!w->err) w->err = seam_buf_append_int(w->b, v);
}

void seam_jw_str_end(seam_jw *w)
{
    put(w, "\"", 1);
}

void seam_jw_json_as_str(seam_jw *w, const char *p, size_t n)
{
    seam_jw_str_begin(w);
    size_t i = 0, run = 0; /* run: start of bytes not yet written */
    int in_str = 0;
    while (i < n) {
        unsigned char c = (unsigned char)p[i];
        if (in_str) {
            if (c == '\\') {
                i += 2; /* the escaped byte is copied (escaped again) with the run */
                continue;
            }
            if (c == '"') in_str = 0;
            i++;
            continue;
        }
        if (c == '"') {
            in_str = 1;
        } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            put_escaped(w, p + run, i - run);
            run = i + 1;
        }
        i++;
    }
    if (i > n) i = n;
    put_escaped(w, p + run, i - run);
    seam_jw_str_end(w);
}
