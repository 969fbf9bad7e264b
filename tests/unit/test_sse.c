/* test_sse.c — SSE framing: fields, line ends, piece boundaries, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/sse.h"

/* ---- recording what the reader delivers ---- */

typedef struct rec_event {
    char *raw, *event, *data; /* copies; event and data NULL as delivered */
    size_t raw_len, event_len, data_len;
} rec_event;

typedef struct rec {
    rec_event ev[64];
    int n;
    int stop_after; /* return 7 from the callback after this many events; 0: never */
    int rc;         /* final result of the run */
} rec;

static char *dup_or_null(const char *p, size_t n)
{
    if (!p) return NULL;
    char *d = malloc(n + 1);
    assert_non_null(d);
    memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

static int on_event(void *ud, const seam_sse_event *ev)
{
    rec *r = ud;
    assert_true(r->n < 64);
    rec_event *e = &r->ev[r->n++];
    e->raw = dup_or_null(ev->raw, ev->raw_len);
    e->raw_len = ev->raw_len;
    e->event = dup_or_null(ev->event, ev->event_len);
    e->event_len = ev->event_len;
    e->data = dup_or_null(ev->data, ev->data_len);
    e->data_len = ev->data_len;
    return r->stop_after && r->n >= r->stop_after ? 7 : 0;
}

static void rec_free(rec *r)
{
    for (int k = 0; k < r->n; k++) {
        free(r->ev[k].raw);
        free(r->ev[k].event);
        free(r->ev[k].data);
    }
    r->n = 0;
}

/* Feeds s in pieces that end at the given cut offsets (ascending), then
 * finishes. */
static void run_cuts(rec *out, const char *s, size_t len, const size_t *cuts, int ncuts,
                     size_t max_event)
{
    seam_sse_reader r;
    seam_sse_reader_init(&r, max_event);
    size_t at = 0;
    int rc = 0;
    for (int k = 0; k <= ncuts && !rc; k++) {
        size_t to = k < ncuts ? cuts[k] : len;
        rc = seam_sse_feed(&r, s + at, to - at, on_event, out);
        at = to;
    }
    if (!rc) rc = seam_sse_finish(&r, on_event, out);
    out->rc = rc;
    seam_sse_reader_free(&r);
}

static void run_whole(rec *out, const char *s, size_t len, size_t max_event)
{
    run_cuts(out, s, len, NULL, 0, max_event);
}

static int field_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    if (!a || !b) return a == b;
    return alen == blen && memcmp(a, b, alen) == 0;
}

static void assert_same(const rec *a, const rec *b, const char *what)
{
    int same = a->n == b->n && a->rc == b->rc;
    for (int k = 0; same && k < a->n; k++) {
        const rec_event *x = &a->ev[k], *y = &b->ev[k];
        same = field_eq(x->raw, x->raw_len, y->raw, y->raw_len) &&
               field_eq(x->event, x->event_len, y->event, y->event_len) &&
               field_eq(x->data, x->data_len, y->data, y->data_len);
    }
    if (!same) {
        print_error("%s: %d events rc %d vs %d events rc %d\n", what, a->n, a->rc, b->n, b->rc);
        fail();
    }
}

static void assert_event(const rec *r, int k, const char *raw, const char *event, const char *data)
{
    assert_true(k < r->n);
    const rec_event *e = &r->ev[k];
    assert_true(field_eq(e->raw, e->raw_len, raw, strlen(raw)));
    if (event)
        assert_true(field_eq(e->event, e->event_len, event, strlen(event)));
    else
        assert_null(e->event);
    if (data)
        assert_true(field_eq(e->data, e->data_len, data, strlen(data)));
    else
        assert_null(e->data);
}

/* ---- a realistic stream, every way of cutting it ---- */

static const char openai_stream[] =
    ": keep-alive\n\n"
    "data: {\"id\":\"c1\",\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n"
    "data: {\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\r\n\r\n"
    "event: message\rdata: line one\rdata:line two\r\r"
    "\n\n"
    "event: usage\r\ndata: {\"usage\":{\"total_tokens\":9}}\r\nid: 4\r\nretry: 10\r\n\r\n"
    "data\n\n"
    "data: [DONE]\n\n";

static void test_whole_stream_fields(void **state)
{
    rec r = {0};
    run_whole(&r, openai_stream, sizeof openai_stream - 1, 4096);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.n, 7);
    assert_event(&r, 0, ": keep-alive\n\n", NULL, NULL);
    assert_event(&r, 1,
                 "data: {\"id\":\"c1\",\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n",
                 NULL, "{\"id\":\"c1\",\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}");
    assert_event(&r, 2,
                 "data: {\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\r\n\r\n",
                 NULL, "{\"id\":\"c1\",\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}");
    /* CR-only lines and a data line without the space; the blank line that
     * ends it is the CR that an LF follows (one CRLF), and the second LF is a
     * blank line that belongs to no event */
    assert_event(&r, 3, "event: message\rdata: line one\rdata:line two\r\r\n", "message",
                 "line one\nline two");
    assert_event(&r, 4,
                 "event: usage\r\ndata: {\"usage\":{\"total_tokens\":9}}\r\nid: 4\r\nretry: "
                 "10\r\n\r\n",
                 "usage", "{\"usage\":{\"total_tokens\":9}}");
    /* a field name without a colon has an empty value */
    assert_event(&r, 5, "data\n\n", NULL, "");
    assert_event(&r, 6, "data: [DONE]\n\n", NULL, "[DONE]");
    rec_free(&r);
}

static void test_byte_by_byte_same(void **state)
{
    size_t len = sizeof openai_stream - 1, cuts[sizeof openai_stream];
    for (size_t k = 0; k < len - 1; k++)
        cuts[k] = k + 1;
    rec whole = {0}, bytes = {0};
    run_whole(&whole, openai_stream, len, 4096);
    run_cuts(&bytes, openai_stream, len, cuts, (int)len - 1, 4096);
    assert_same(&whole, &bytes, "byte by byte");
    rec_free(&whole);
    rec_free(&bytes);
}

static void test_every_split_same(void **state)
{
    size_t len = sizeof openai_stream - 1;
    rec whole = {0};
    run_whole(&whole, openai_stream, len, 4096);
    for (size_t a = 0; a <= len; a++) {
        rec split = {0};
        run_cuts(&split, openai_stream, len, &a, 1, 4096);
        char what[32];
        snprintf(what, sizeof what, "split at %zu", a);
        assert_same(&whole, &split, what);
        rec_free(&split);
    }
    /* every pair of cut points */
    for (size_t a = 1; a < len; a++)
        for (size_t b = a; b < len; b++) {
            rec split = {0};
            size_t cuts[2] = {a, b};
            run_cuts(&split, openai_stream, len, cuts, 2, 4096);
            char what[40];
            snprintf(what, sizeof what, "split at %zu,%zu", a, b);
            assert_same(&whole, &split, what);
            rec_free(&split);
        }
    rec_free(&whole);
}

/* ---- line ends ---- */

static void test_cr_at_piece_end_then_lf(void **state)
{
    /* "\r" ends a line in piece one; the "\n" that opens piece two is the
     * rest of that CRLF, not a blank line ending the event early */
    seam_sse_reader r;
    rec got = {0};
    seam_sse_reader_init(&r, 1024);
    assert_int_equal(seam_sse_feed(&r, "data: a\r", 8, on_event, &got), 0);
    assert_int_equal(seam_sse_feed(&r, "\ndata: b\r\n", 10, on_event, &got), 0);
    assert_int_equal(got.n, 0);
    assert_true(seam_sse_pending(&r));
    /* the terminating blank line's CR is the last byte: held for an LF */
    assert_int_equal(seam_sse_feed(&r, "\r", 1, on_event, &got), 0);
    assert_int_equal(got.n, 0);
    assert_int_equal(seam_sse_feed(&r, "\ndata: c\n\n", 10, on_event, &got), 0);
    assert_int_equal(got.n, 2);
    assert_event(&got, 0, "data: a\r\ndata: b\r\n\r\n", NULL, "a\nb");
    assert_event(&got, 1, "data: c\n\n", NULL, "c");
    assert_false(seam_sse_pending(&r));
    assert_int_equal(seam_sse_finish(&r, on_event, &got), 0);
    seam_sse_reader_free(&r);
    rec_free(&got);
}

static void test_held_cr_delivered(void **state)
{
    seam_sse_reader r;
    rec got = {0};
    /* a bare CR ending the event, then something other than LF */
    seam_sse_reader_init(&r, 1024);
    assert_int_equal(seam_sse_feed(&r, "data: x\r\r", 9, on_event, &got), 0);
    assert_int_equal(got.n, 0);
    assert_true(seam_sse_pending(&r));
    assert_int_equal(seam_sse_feed(&r, "data: y\r\r\n", 10, on_event, &got), 0);
    assert_int_equal(got.n, 2);
    assert_event(&got, 0, "data: x\r\r", NULL, "x");
    assert_event(&got, 1, "data: y\r\r\n", NULL, "y");
    /* the stream ends right after the CR: finish delivers it */
    assert_int_equal(seam_sse_feed(&r, "data: z\n\r", 9, on_event, &got), 0);
    assert_int_equal(got.n, 2);
    assert_int_equal(seam_sse_finish(&r, on_event, &got), 0);
    assert_int_equal(got.n, 3);
    assert_event(&got, 2, "data: z\n\r", NULL, "z");
    seam_sse_reader_free(&r);
    rec_free(&got);
}

static void test_mixed_line_ends(void **state)
{
    static const char s[] = "data: 1\r\ndata: 2\rdata: 3\n\r\n"
                            "data: 4\n\r"
                            "data: 5\r\n\n";
    rec got = {0};
    run_whole(&got, s, sizeof s - 1, 1024);
    assert_int_equal(got.rc, 0);
    assert_int_equal(got.n, 3);
    assert_event(&got, 0, "data: 1\r\ndata: 2\rdata: 3\n\r\n", NULL, "1\n2\n3");
    assert_event(&got, 1, "data: 4\n\r", NULL, "4");
    assert_event(&got, 2, "data: 5\r\n\n", NULL, "5");
    rec_free(&got);
}

/* Lines longer than the reader's 512-byte search window, ending in each
 * kind of line end. */
static void test_long_lines(void **state)
{
    static char s[4000];
    size_t n = 0;
    const char *ends[] = {"\n", "\r", "\r\n"};
    for (int k = 0; k < 3; k++) {
        memcpy(s + n, "data: ", 6);
        n += 6;
        memset(s + n, 'a' + k, 600 + 100 * (size_t)k);
        n += 600 + 100 * (size_t)k;
        memcpy(s + n, ends[k], strlen(ends[k]));
        n += strlen(ends[k]);
    }
    memcpy(s + n, "\r\n", 2);
    n += 2;
    rec whole = {0};
    run_whole(&whole, s, n, sizeof s);
    assert_int_equal(whole.rc, 0);
    assert_int_equal(whole.n, 1);
    assert_int_equal(whole.ev[0].raw_len, n);
    assert_int_equal(whole.ev[0].data_len, 600 + 700 + 800 + 2);
    assert_int_equal(whole.ev[0].data[600], '\n');
    assert_int_equal(whole.ev[0].data[601], 'b');
    for (size_t a = 0; a <= n; a += 7) {
        rec split = {0};
        run_cuts(&split, s, n, &a, 1, sizeof s);
        assert_same(&whole, &split, "long lines split");
        rec_free(&split);
    }
    rec_free(&whole);
}

/* ---- fields ---- */

static void test_comments_and_fields(void **state)
{
    static const char s[] = ": only a comment\n: and another\n\n"
                            ":comment before\ndata:  two spaces\n: mid\nevent:\nfoo: bar\nid\n\n"
                            "event: a\nevent: b\ndata: x: y\n\n"
                            "data:\ndata:\n\n"
                            "Data: not data\nevent : not event\n\n";
    rec got = {0};
    run_whole(&got, s, sizeof s - 1, 1024);
    assert_int_equal(got.n, 5);
    assert_event(&got, 0, ": only a comment\n: and another\n\n", NULL, NULL);
    /* only one leading space is dropped; "event:" alone is an empty value */
    assert_event(&got, 1, ":comment before\ndata:  two spaces\n: mid\nevent:\nfoo: bar\nid\n\n", "",
                 " two spaces");
    /* the last event field wins; a colon in the value stays */
    assert_event(&got, 2, "event: a\nevent: b\ndata: x: y\n\n", "b", "x: y");
    assert_event(&got, 3, "data:\ndata:\n\n", NULL, "\n");
    /* names are case-sensitive and end at the colon */
    assert_event(&got, 4, "Data: not data\nevent : not event\n\n", NULL, NULL);
    rec_free(&got);
}

static void test_multiple_data_lines(void **state)
{
    static const char s[] = "data: {\ndata:   \"a\": 1\ndata: }\n\n";
    rec got = {0};
    run_whole(&got, s, sizeof s - 1, 1024);
    assert_int_equal(got.n, 1);
    assert_event(&got, 0, s, NULL, "{\n  \"a\": 1\n}");
    rec_free(&got);
}

static void test_bom_only_at_stream_start(void **state)
{
    static const char s[] = "\xef\xbb\xbf"
                            "data: a\n\n\xef\xbb\xbf"
                            "data: b\n\n";
    rec got = {0};
    run_whole(&got, s, sizeof s - 1, 1024);
    assert_int_equal(got.n, 2);
    assert_event(&got, 0,
                 "\xef\xbb\xbf"
                 "data: a\n\n",
                 NULL, "a");
    /* later, a BOM is part of the field name: "\xef\xbb\xbfdata" is unknown */
    assert_event(&got, 1,
                 "\xef\xbb\xbf"
                 "data: b\n\n",
                 NULL, NULL);
    rec_free(&got);
    /* split inside the BOM */
    size_t cut = 2;
    run_cuts(&got, s, sizeof s - 1, &cut, 1, 1024);
    assert_int_equal(got.n, 2);
    assert_event(&got, 0,
                 "\xef\xbb\xbf"
                 "data: a\n\n",
                 NULL, "a");
    rec_free(&got);
}

/* ---- zero copy ---- */

typedef struct where {
    const char *lo, *hi;
    int inside, data_inside, n;
} where;

static int on_where(void *ud, const seam_sse_event *ev)
{
    where *w = ud;
    w->n++;
    w->inside += ev->raw >= w->lo && ev->raw + ev->raw_len <= w->hi;
    w->data_inside += ev->data && ev->data >= w->lo && ev->data + ev->data_len <= w->hi;
    return 0;
}

static void test_zero_copy_when_whole(void **state)
{
    static const char s[] = "data: a\n\ndata: b\n\ndata: c1\ndata: c2\n\ndata: d";
    seam_sse_reader r;
    where w = {s, s + sizeof s - 1, 0, 0, 0};
    seam_sse_reader_init(&r, 1024);
    assert_int_equal(seam_sse_feed(&r, s, sizeof s - 1, on_where, &w), 0);
    assert_int_equal(w.n, 3);
    assert_int_equal(w.inside, 3);
    assert_int_equal(w.data_inside, 2); /* the two-line event's data is joined elsewhere */
    assert_true(seam_sse_pending(&r));
    assert_int_equal(seam_sse_finish(&r, on_where, &w), SEAM_SSE_TRUNCATED);
    seam_sse_reader_free(&r);
}

/* ---- limits and stopping ---- */

static void test_toobig(void **state)
{
    char s[300];
    memset(s, 'x', sizeof s);
    memcpy(s, "data: ", 6);
    memcpy(s + 100, "\n\n", 2); /* event 1: 102 bytes */
    memcpy(s + 102, "data: ", 6);
    memcpy(s + 298, "\n\n", 2); /* event 2: 198 bytes */
    rec whole = {0};
    run_whole(&whole, s, sizeof s, 150);
    assert_int_equal(whole.rc, SEAM_SSE_TOOBIG);
    assert_int_equal(whole.n, 1);
    /* the same in pieces, for every cut, and byte by byte */
    for (size_t a = 0; a <= sizeof s; a++) {
        rec split = {0};
        run_cuts(&split, s, sizeof s, &a, 1, 150);
        assert_same(&whole, &split, "toobig split");
        rec_free(&split);
    }
    size_t cuts[299];
    for (size_t k = 0; k < 299; k++)
        cuts[k] = k + 1;
    rec bytes = {0};
    run_cuts(&bytes, s, sizeof s, cuts, 299, 150);
    assert_same(&whole, &bytes, "toobig bytes");
    rec_free(&bytes);
    /* exactly max_event fits */
    rec fit = {0};
    run_whole(&fit, s, 102, 102);
    assert_int_equal(fit.rc, 0);
    assert_int_equal(fit.n, 1);
    rec_free(&fit);
    run_whole(&fit, s, 102, 101);
    assert_int_equal(fit.rc, SEAM_SSE_TOOBIG);
    assert_int_equal(fit.n, 0);
    rec_free(&fit);
    /* an unfinished event past the cap fails as soon as it is fed */
    seam_sse_reader r;
    seam_sse_reader_init(&r, 50);
    assert_int_equal(seam_sse_feed(&r, s, 40, on_event, &fit), 0);
    assert_int_equal(seam_sse_feed(&r, s + 40, 40, on_event, &fit), SEAM_SSE_TOOBIG);
    /* sticky */
    assert_int_equal(seam_sse_feed(&r, "data: a\n\n", 9, on_event, &fit), SEAM_SSE_TOOBIG);
    assert_int_equal(seam_sse_finish(&r, on_event, &fit), SEAM_SSE_TOOBIG);
    assert_int_equal(fit.n, 0);
    seam_sse_reader_free(&r);
    rec_free(&whole);
}

static void test_callback_stop(void **state)
{
    size_t len = sizeof openai_stream - 1;
    rec whole = {0};
    whole.stop_after = 2;
    run_whole(&whole, openai_stream, len, 4096);
    assert_int_equal(whole.rc, 7);
    assert_int_equal(whole.n, 2);
    for (size_t a = 0; a <= len; a++) {
        rec split = {0};
        split.stop_after = 2;
        run_cuts(&split, openai_stream, len, &a, 1, 4096);
        assert_same(&whole, &split, "stop split");
        rec_free(&split);
    }
    /* stopped readers stay stopped */
    seam_sse_reader r;
    rec got = {0};
    got.stop_after = 1;
    seam_sse_reader_init(&r, 4096);
    assert_int_equal(seam_sse_feed(&r, "data: 1\n\ndata: 2\n\n", 18, on_event, &got), 7);
    assert_int_equal(seam_sse_feed(&r, "data: 3\n\n", 9, on_event, &got), 7);
    assert_int_equal(got.n, 1);
    seam_sse_reader_free(&r);
    rec_free(&got);
    rec_free(&whole);
}

static void test_truncated_and_empty(void **state)
{
    rec got = {0};
    run_whole(&got, "data: partial\n", 14, 1024);
    assert_int_equal(got.rc, SEAM_SSE_TRUNCATED);
    assert_int_equal(got.n, 0);
    run_whole(&got, "\n\r\n\r\r", 5, 1024);
    assert_int_equal(got.rc, 0);
    assert_int_equal(got.n, 0);
    run_whole(&got, "", 0, 1024);
    assert_int_equal(got.rc, 0);
    seam_sse_reader r;
    seam_sse_reader_init(&r, 1024);
    assert_int_equal(seam_sse_feed(&r, NULL, 0, on_event, &got), 0);
    assert_false(seam_sse_pending(&r));
    seam_sse_reader_free(&r);
    seam_sse_reader_free(&r); /* twice is harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_stream_fields),
        cmocka_unit_test(test_byte_by_byte_same),
        cmocka_unit_test(test_every_split_same),
        cmocka_unit_test(test_cr_at_piece_end_then_lf),
        cmocka_unit_test(test_held_cr_delivered),
        cmocka_unit_test(test_mixed_line_ends),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_comments_and_fields),
        cmocka_unit_test(test_multiple_data_lines),
        cmocka_unit_test(test_bom_only_at_stream_start),
        cmocka_unit_test(test_zero_copy_when_whole),
        cmocka_unit_test(test_toobig),
        cmocka_unit_test(test_callback_stop),
        cmocka_unit_test(test_truncated_and_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
