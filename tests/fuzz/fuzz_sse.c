/* fuzz_sse.c — libFuzzer target for the SSE reader (http/sse.c).
 *
 * Input: byte 0 picks max_event, byte 1 when the callback stops and the
 * seed of the piece sizes; the rest is the stream. The stream is fed whole,
 * byte by byte and in pseudo-random pieces, and all three runs must deliver
 * the same events and end the same way. The whole-feed run is also checked
 * against a plain reference reading of the spec below (lines first, then
 * events), and every raw event must be the stream's own bytes in order. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/sse.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) __builtin_trap();                                                                \
    } while (0)

typedef struct ev_copy {
    char *raw, *event, *data;
    size_t raw_len, event_len, data_len;
} ev_copy;

typedef struct run {
    ev_copy *ev;
    size_t n, cap;
    size_t stop_after; /* 0: never stop */
    int rc;
    const char *stream; /* for the verbatim check */
    size_t len, cursor;
    size_t max_event;
} run;

static char *dup_or_null(const char *p, size_t n)
{
    if (!p) return NULL;
    char *d = malloc(n + 1);
    CHECK(d);
    if (n) memcpy(d, p, n);
    d[n] = 0;
    return d;
}

static void add(run *r, const char *raw, size_t rl, const char *ev, size_t el, const char *d,
                size_t dl)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->ev = realloc(r->ev, r->cap * sizeof *r->ev);
        CHECK(r->ev);
    }
    ev_copy *e = &r->ev[r->n++];
    e->raw = dup_or_null(raw, rl);
    e->raw_len = rl;
    e->event = dup_or_null(ev, el);
    e->event_len = el;
    e->data = dup_or_null(d, dl);
    e->data_len = dl;
}

static int on_event(void *ud, const seam_sse_event *ev)
{
    run *r = ud;
    CHECK(ev->raw && ev->raw_len > 0 && ev->raw_len <= r->max_event);
    char last = ev->raw[ev->raw_len - 1];
    CHECK(last == '\n' || last == '\r');
    /* raw is the stream's own bytes, after the blank lines between events */
    while (r->cursor < r->len && (r->stream[r->cursor] == '\n' || r->stream[r->cursor] == '\r'))
        r->cursor++;
    CHECK(r->cursor + ev->raw_len <= r->len);
    CHECK(memcmp(r->stream + r->cursor, ev->raw, ev->raw_len) == 0);
    r->cursor += ev->raw_len;
    if (ev->event)
        CHECK(ev->event >= ev->raw && ev->event + ev->event_len <= ev->raw + ev->raw_len);
    add(r, ev->raw, ev->raw_len, ev->event, ev->event_len, ev->data, ev->data_len);
    return r->stop_after && r->n >= r->stop_after ? 7 : 0;
}

static void run_free(run *r)
{
    for (size_t k = 0; k < r->n; k++) {
        free(r->ev[k].raw);
        free(r->ev[k].event);
        free(r->ev[k].data);
    }
    free(r->ev);
}

static int same_field(const char *a, size_t al, const char *b, size_t bl)
{
    if (!a || !b) return a == b;
    return al == bl && memcmp(a, b, al) == 0;
}

static void check_same(const run *a, const run *b)
{
    CHECK(a->rc == b->rc && a->n == b->n);
    for (size_t k = 0; k < a->n; k++) {
        CHECK(same_field(a->ev[k].raw, a->ev[k].raw_len, b->ev[k].raw, b->ev[k].raw_len));
        CHECK(same_field(a->ev[k].event, a->ev[k].event_len, b->ev[k].event, b->ev[k].event_len));
        CHECK(same_field(a->ev[k].data, a->ev[k].data_len, b->ev[k].data, b->ev[k].data_len));
    }
}

/* Feeds s whole (mode 0), byte by byte (1) or in pseudo-random pieces (2). */
static void feed(run *r, const char *s, size_t len, size_t max_event, unsigned seed, int mode)
{
    seam_sse_reader rd;
    seam_sse_reader_init(&rd, max_event);
    r->stream = s;
    r->len = len;
    r->max_event = max_event;
    size_t at = 0;
    int rc = 0;
    uint32_t x = seed * 2654435761u + 1;
    while (at < len && !rc) {
        size_t piece = len - at;
        if (mode == 1) piece = 1;
        if (mode == 2) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            piece = x % 3 == 0 ? x % 4 : 1 + x % 97; /* some empty pieces too */
            if (piece > len - at) piece = len - at;
        }
        rc = seam_sse_feed(&rd, s + at, piece, on_event, r);
        at += piece;
    }
    if (!rc) rc = seam_sse_finish(&rd, on_event, r);
    r->rc = rc;
    seam_sse_reader_free(&rd);
}

/* The reference: the spec's line-by-line reading of the whole stream. */
static void reference(run *r, const char *s, size_t len, size_t max_event)
{
    size_t i = 0, scratch_cap = len + 1;
    char *data = malloc(scratch_cap);
    CHECK(data);
    r->rc = 0;
    for (;;) {
        while (i < len && (s[i] == '\n' || s[i] == '\r'))
            i++;
        if (i == len) break;
        size_t start = i, dl = 0, ndata = 0;
        const char *ev = NULL;
        size_t el = 0;
        int complete = 0;
        while (i < len) {
            size_t ls = i, le = i;
            while (le < len && s[le] != '\n' && s[le] != '\r')
                le++;
            if (le == len) break; /* a line without its end: unfinished */
            i = le + 1;
            if (s[le] == '\r' && i < len && s[i] == '\n') i++;
            if (le == ls) {
                complete = 1;
                break;
            }
            /* a BOM opening the stream frames as line bytes, but is no part of a field */
            if (ls == 0 && le >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) ls = 3;
            if (ls == le || s[ls] == ':') continue;
            const char *colon = memchr(s + ls, ':', le - ls);
            size_t nl = colon ? (size_t)(colon - s) - ls : le - ls;
            size_t vs = colon ? (size_t)(colon - s) + 1 : le;
            if (vs < le && s[vs] == ' ') vs++;
            if (nl == 4 && !memcmp(s + ls, "data", 4)) {
                if (ndata++) data[dl++] = '\n';
                memcpy(data + dl, s + vs, le - vs);
                dl += le - vs;
            } else if (nl == 5 && !memcmp(s + ls, "event", 5)) {
                ev = s + vs;
                el = le - vs;
            }
        }
        if (!complete) {
            r->rc = len - start > max_event ? SEAM_SSE_TOOBIG : SEAM_SSE_TRUNCATED;
            break;
        }
        if (i - start > max_event) {
            r->rc = SEAM_SSE_TOOBIG;
            break;
        }
        add(r, s + start, i - start, ev, el, ndata ? data : NULL, dl);
        if (r->stop_after && r->n >= r->stop_after) {
            r->rc = 7;
            break;
        }
    }
    free(data);
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    if (size < 2) return 0;
    size_t max_event = in[0] & 0x80 ? (size_t)1 << 20 : 8 + (size_t)in[0] * 4;
    size_t stop_after = in[1] % 8;
    const char *s = (const char *)in + 2;
    size_t len = size - 2;

    run whole = {0}, bytes = {0}, pieces = {0}, ref = {0};
    whole.stop_after = bytes.stop_after = pieces.stop_after = ref.stop_after = stop_after;
    feed(&whole, s, len, max_event, 0, 0);
    feed(&bytes, s, len, max_event, 0, 1);
    feed(&pieces, s, len, max_event, in[1] ^ (unsigned)len, 2);
    reference(&ref, s, len, max_event);
    check_same(&whole, &ref);
    check_same(&whole, &bytes);
    check_same(&whole, &pieces);
    run_free(&whole);
    run_free(&bytes);
    run_free(&pieces);
    run_free(&ref);
    return 0;
}
