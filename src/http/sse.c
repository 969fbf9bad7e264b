/* sse.c — incremental Server-Sent Events reader; see sse.h.
 *
 * Two passes per event, both over its bytes only: find_end() looks for the
 * blank line that ends it, carrying a two-bit line state between pieces so
 * it never rescans what it has seen; parse() then reads the fields of the
 * complete, contiguous event. An event whose end is in the piece being fed
 * is parsed where it lies; only the tail of a piece that starts an
 * unfinished event is copied. */
#include "http/sse.h"

#include <string.h>

/* Line state: at the beginning of a line; the previous byte was a CR (so an
 * LF now completes a CRLF rather than making a blank line). */
enum { AT_BOL = 1, AFTER_CR = 2 };

enum { END_FOUND, END_MORE, END_HOLD };

/* Index of the first CR or LF in p[i..n), or n. memchr beats a byte loop
 * on lines of a few hundred bytes, the size of a typical chunk; searching a
 * window at a time keeps a stream of bare-CR lines from rescanning the rest
 * of the piece for an LF on every line. */
static size_t next_eol(const char *p, size_t i, size_t n)
{
    while (i < n) {
        size_t lim = n - i > 512 ? i + 512 : n;
        const char *lf = memchr(p + i, '\n', lim - i);
        if (lf) lim = (size_t)(lf - p);
        const char *cr = memchr(p + i, '\r', lim - i);
        if (cr) return (size_t)(cr - p);
        if (lf) return lim;
        i = lim;
    }
    return n;
}

/* Scans p[i..n) for the blank line that ends the event, continuing from
 * *st. END_FOUND sets *end just past the blank line's line end; END_MORE
 * saves the state in *st; END_HOLD means the blank line is a CR that is the
 * last byte, and an LF may yet follow. */
static int find_end(const char *p, size_t i, size_t n, unsigned *st, size_t *end)
{
    unsigned s = *st;
    for (; i < n; i++) {
        char c = p[i];
        if (c == '\n') {
            if (s == (AT_BOL | AFTER_CR)) {
                s = AT_BOL; /* the LF of a CRLF */
            } else if (s & AT_BOL) {
                *end = i + 1;
                return END_FOUND;
            } else {
                s = AT_BOL;
            }
        } else if (c == '\r') {
            if (s & AT_BOL) {
                if (i + 1 == n) {
                    *st = s;
                    return END_HOLD;
                }
                *end = i + 1 + (p[i + 1] == '\n');
                return END_FOUND;
            }
            s = AT_BOL | AFTER_CR;
        } else {
            s = 0;
            i = next_eol(p, i, n) - 1; /* to the line end; the loop steps onto it */
        }
    }
    *st = s;
    return END_MORE;
}

static int buf_rc(int rc)
{
    return rc == SEAM_BUF_TOOBIG ? SEAM_SSE_TOOBIG : SEAM_SSE_NOMEM;
}

/* Reads the fields of the complete event raw[0..len) and calls cb. */
static int emit(seam_sse_reader *r, const char *raw, size_t len, int bom, seam_sse_cb cb, void *ud)
{
    seam_sse_event ev = {raw, len, NULL, 0, NULL, 0};
    size_t i = 0, ndata = 0;
    if (bom && len >= 3 && memcmp(raw, "\xef\xbb\xbf", 3) == 0) i = 3;
    while (i < len) {
        size_t ls = i, le = next_eol(raw, i, len);
        i = le + 1;
        if (le + 1 < len && raw[le] == '\r' && raw[le + 1] == '\n') i++;
        if (le == ls || raw[ls] == ':') continue; /* the final blank line, or a comment */
        const char *colon = memchr(raw + ls, ':', le - ls);
        size_t name_len = colon ? (size_t)(colon - (raw + ls)) : le - ls;
        size_t vs = colon ? (size_t)(colon - raw) + 1 : le;
        if (vs < le && raw[vs] == ' ') vs++;
        if (name_len == 4 && memcmp(raw + ls, "data", 4) == 0) {
            int rc = 0;
            if (++ndata == 1) {
                ev.data = raw + vs;
                ev.data_len = le - vs;
                continue;
            }
            if (ndata == 2) {
                seam_buf_reset(&r->scratch);
                rc = seam_buf_append(&r->scratch, ev.data, ev.data_len);
            }
            if (!rc) rc = seam_buf_append(&r->scratch, "\n", 1);
            if (!rc) rc = seam_buf_append(&r->scratch, raw + vs, le - vs);
            if (rc) return buf_rc(rc);
        } else if (name_len == 5 && memcmp(raw + ls, "event", 5) == 0) {
            ev.event = raw + vs;
            ev.event_len = le - vs;
        }
    }
    if (ndata > 1) {
        ev.data = r->scratch.data;
        ev.data_len = r->scratch.len;
    }
    return cb(ud, &ev);
}

static int stop(seam_sse_reader *r, int rc)
{
    r->err = rc;
    seam_buf_reset(&r->pend);
    r->held = 0;
    return rc;
}

void seam_sse_reader_init(seam_sse_reader *r, size_t max_event)
{
    memset(r, 0, sizeof *r);
    seam_buf_init(&r->pend, max_event);
    seam_buf_init(&r->scratch, max_event);
    r->max_event = max_event;
}

/* Delivers the event in pend and empties it. */
static int emit_pending(seam_sse_reader *r, seam_sse_cb cb, void *ud)
{
    int rc = emit(r, r->pend.data, r->pend.len, r->pend_bom, cb, ud);
    seam_buf_reset(&r->pend);
    r->held = 0;
    return rc;
}

int seam_sse_feed(seam_sse_reader *r, const char *p, size_t n, seam_sse_cb cb, void *ud)
{
    size_t i = 0, end;
    int rc;
    if (r->err) return r->err;
    if (n == 0) return 0;
    if (r->held) {
        /* an LF here is the second half of the CRLF that ended the event */
        if (p[0] == '\n') {
            rc = seam_buf_append(&r->pend, p, 1);
            if (rc) return stop(r, buf_rc(rc));
            i = 1;
        }
        rc = emit_pending(r, cb, ud);
        if (rc) return stop(r, rc);
    } else if (r->pend.len) {
        int res = find_end(p, 0, n, &r->line, &end);
        rc = seam_buf_append(&r->pend, p, res == END_FOUND ? end : n);
        if (rc) return stop(r, buf_rc(rc));
        if (res == END_MORE) return 0;
        if (res == END_HOLD) {
            r->held = 1;
            return 0;
        }
        rc = emit_pending(r, cb, ud);
        if (rc) return stop(r, rc);
        i = end;
    }
    while (i < n) {
        /* blank lines between events belong to none */
        while (i < n && (p[i] == '\n' || p[i] == '\r'))
            i++;
        if (i == n) break;
        size_t start = i;
        unsigned st = 0;
        int bom = !r->fed && start == 0;
        int res = find_end(p, i, n, &st, &end);
        if (res == END_FOUND) {
            if (end - start > r->max_event) return stop(r, SEAM_SSE_TOOBIG);
            rc = emit(r, p + start, end - start, bom, cb, ud);
            if (rc) return stop(r, rc);
            i = end;
            continue;
        }
        rc = seam_buf_append(&r->pend, p + start, n - start);
        if (rc) return stop(r, buf_rc(rc));
        r->line = st;
        r->pend_bom = bom;
        r->held = res == END_HOLD;
        break;
    }
    r->fed = 1;
    return 0;
}

int seam_sse_finish(seam_sse_reader *r, seam_sse_cb cb, void *ud)
{
    if (r->err) return r->err;
    if (r->held) {
        int rc = emit_pending(r, cb, ud);
        if (rc) return stop(r, rc);
        return 0;
    }
    if (r->pend.len) return stop(r, SEAM_SSE_TRUNCATED);
    return 0;
}

int seam_sse_pending(const seam_sse_reader *r)
{
    return r->pend.len > 0;
}

void seam_sse_reader_free(seam_sse_reader *r)
{
    seam_buf_free(&r->pend);
    seam_buf_free(&r->scratch);
}
