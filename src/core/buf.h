/* buf.h — a growable byte buffer with a hard size cap.
 *
 * Outside input never grows memory without limit: every buffer that input
 * can fill is created with a cap, and an append past it fails with
 * SEAM_BUF_TOOBIG instead of allocating (curl's dynbuf "toobig").
 * The contents are always NUL-terminated so they can be handed to C string
 * functions; the terminator is not counted in len. */
#ifndef SEAM_CORE_BUF_H
#define SEAM_CORE_BUF_H

#include <stddef.h>
#include <string.h>

#define SEAM_BUF_TOOBIG (-2)
#define SEAM_BUF_NOMEM  (-1)

typedef struct seam_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* largest len allowed */
} seam_buf;

void seam_buf_init(seam_buf *b, size_t max);
int seam_buf_append_slow(seam_buf *b, const void *p, size_t n);

/* Returns 0, SEAM_BUF_TOOBIG or SEAM_BUF_NOMEM; on failure b is unchanged.
 * Inline for the common case, a piece that fits the room already there
 * (the translators write many small pieces). */
static inline int seam_buf_append(seam_buf *b, const void *p, size_t n)
{
    if (n < b->cap - b->len && n <= b->max - b->len) { /* cap > len whenever cap > 0 */
        if (n) memcpy(b->data + b->len, p, n);         /* p may be NULL when n is 0 */
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
    }
    return seam_buf_append_slow(b, p, n);
}
int seam_buf_append_str(seam_buf *b, const char *s);
int seam_buf_printf(seam_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends v in decimal, without printf. */
int seam_buf_append_int(seam_buf *b, long long v);
/* Appends s as the inside of a JSON string (no surrounding quotes). */
int seam_buf_append_json_str(seam_buf *b, const char *s, size_t n);
/* Makes room for n more bytes without changing len; fails past max. */
int seam_buf_reserve(seam_buf *b, size_t n);
/* Drops the first n bytes. */
void seam_buf_consume(seam_buf *b, size_t n);
void seam_buf_reset(seam_buf *b);
void seam_buf_free(seam_buf *b);

#endif
