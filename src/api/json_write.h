/* json_write.h — writing JSON straight into a seam_buf.
 *
 * The translators' output side: no tree, no printf.  The writer puts the
 * commas and colons where they belong, so a translator reads as the shape
 * it produces:
 *
 *     seam_jw_obj(w);
 *     seam_jw_key(w, "type"); seam_jw_cstr(w, "text");
 *     seam_jw_key(w, "text"); seam_jw_value(w, doc, text);
 *     seam_jw_end(w);
 *
 * Errors are sticky: once an append fails (the buffer's cap, or memory)
 * every later call does nothing and seam_jw_error says what happened, so a
 * translator checks once at the end. */
#ifndef SEAM_API_JSON_WRITE_H
#define SEAM_API_JSON_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "api/json_doc.h"
#include "core/buf.h"

#define SEAM_JW_MAX_DEPTH 64

typedef struct seam_jw {
    seam_buf *b;
    int depth;       /* open containers */
    int err;         /* first seam_buf error, or 0 */
    int after_key;   /* a key was written; its value comes next, no comma */
    uint64_t filled; /* bit d: the container at depth d+1 has a member */
    uint64_t objs;   /* bit d: it is an object */
} seam_jw;

/* Writes into b after what it holds; a writer may start inside a document
 * (depth 0 means "no container of mine is open"). */
void seam_jw_init(seam_jw *w, seam_buf *b);
/* 0, or the first SEAM_BUF_* error (also for unbalanced use). */
int seam_jw_error(const seam_jw *w);

void seam_jw_obj(seam_jw *w);
void seam_jw_arr(seam_jw *w);
void seam_jw_end(seam_jw *w); /* closes the innermost object or array */
/* An object key; k is plain text (escaped if it needs to be). */
void seam_jw_key(seam_jw *w, const char *k);
/* A key, or a string value, given as a string literal of plain characters
 * (no quote, backslash or control character): quoted where it is
 * compiled, written with one copy.  The translators write hundreds. */
#define seam_jw_lkey(w, lit) seam_jw__quoted_key((w), "\"" lit "\":", sizeof(lit) + 2)
#define seam_jw_lstr(w, lit) seam_jw__quoted_value((w), "\"" lit "\"", sizeof(lit) + 1)
/* An object key whose body is already JSON-escaped (a key of a parsed document). */
void seam_jw_key_escaped(seam_jw *w, const char *body, size_t n);

void seam_jw_str(seam_jw *w, const char *s, size_t n); /* escapes s */
void seam_jw_cstr(seam_jw *w, const char *s);
/* A string whose body is already JSON-escaped (a span of a valid document). */
void seam_jw_str_escaped(seam_jw *w, const char *body, size_t n);
void seam_jw_int(seam_jw *w, long long v);
void seam_jw_bool(seam_jw *w, int v);
void seam_jw_null(seam_jw *w);
/* A complete JSON value given as text, copied as is. */
void seam_jw_raw(seam_jw *w, const char *p, size_t n);
/* A value of a parsed document, copied as it stands in its text. */
void seam_jw_value(seam_jw *w, const seam_jdoc *d, seam_jv v);

/* A string value written in pieces: begin, any number of adds, end. */
void seam_jw_str_begin(seam_jw *w);
void seam_jw_str_add(seam_jw *w, const char *s, size_t n);            /* escapes s */
void seam_jw_str_add_escaped(seam_jw *w, const char *body, size_t n); /* already escaped */
void seam_jw_str_add_int(seam_jw *w, long long v);                    /* its digits */
void seam_jw_str_end(seam_jw *w);

/* Taking back what was written: seam_jw_mark remembers where the writer
 * is, seam_jw_rollback returns it (and its buffer) there — for output
 * found useless only once written.  An error already recorded sticks. */
typedef struct seam_jw_pos {
    seam_jw w;
    size_t len;
} seam_jw_pos;
seam_jw_pos seam_jw_mark(const seam_jw *w);
void seam_jw_rollback(seam_jw *w, const seam_jw_pos *pos);

/* ---- inline fast paths; not for direct use ---- */

void seam_jw__put_slow(seam_jw *w, const char *p, size_t n);

static inline void seam_jw__put(seam_jw *w, const char *p, size_t n)
{
    seam_buf *b = w->b;
    if (!w->err && n < b->cap - b->len && n <= b->max - b->len) {
        if (n) memcpy(b->data + b->len, p, n); /* p may be NULL when n is 0 */
        b->len += n;
        b->data[b->len] = '\0';
        return;
    }
    seam_jw__put_slow(w, p, n);
}

/* Before any value or key: the comma that separates it from the last one. */
static inline void seam_jw__sep(seam_jw *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (!w->depth) return;
    uint64_t bit = 1ull << (w->depth - 1);
    if (w->filled & bit) seam_jw__put(w, ",", 1);
    w->filled |= bit;
}

static inline void seam_jw__quoted_key(seam_jw *w, const char *q, size_t n)
{
    seam_jw__sep(w);
    seam_jw__put(w, q, n);
    w->after_key = 1;
}

static inline void seam_jw__quoted_value(seam_jw *w, const char *q, size_t n)
{
    seam_jw__sep(w);
    seam_jw__put(w, q, n);
}

/* JSON text p[0..n) (valid) as a string value, its insignificant
 * whitespace dropped: a tool call's input object becomes OpenAI's
 * "arguments" string. */
void seam_jw_json_as_str(seam_jw *w, const char *p, size_t n);

#endif
