/* test_eventstream.c — the AWS event stream decoder and encoder: known
 * vectors, round trips, every split position, and each way a frame can be
 * broken (prelude CRC, message CRC, lengths, headers, truncation, the cap). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/eventstream.h"

/* ---- known vectors ---- */

/* The empty message: total 16, no headers, no payload.  Prelude CRC =
 * crc32(00 00 00 10 00 00 00 00) = 0x05c248eb; message CRC = crc32 of those
 * 12 bytes = 0x7d98c8ff (both computed with Python's zlib.crc32; the same
 * bytes are the "empty_message" vector of AWS's SDK event-stream tests). */
static const unsigned char empty_msg[16] = {0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,
                                            0x05, 0xc2, 0x48, 0xeb, 0x7d, 0x98, 0xc8, 0xff};

/* A Bedrock messageStart event as ConverseStream frames it: three string
 * headers (:event-type messageStart, :content-type application/json,
 * :message-type event) and {"role":"assistant"}; 118 bytes, built with
 * Python's struct and zlib.crc32, independently of eventstream.c. */
static const char message_start[] =
    "\x00\x00\x00\x76\x00\x00\x00\x52\x96\xd5\xfa\xde\x0b\x3a\x65\x76\x65\x6e\x74\x2d\x74\x79"
    "\x70\x65\x07\x00\x0c\x6d\x65\x73\x73\x61\x67\x65\x53\x74\x61\x72\x74\x0d\x3a\x63\x6f\x6e"
    "\x74\x65\x6e\x74\x2d\x74\x79\x70\x65\x07\x00\x10\x61\x70\x70\x6c\x69\x63\x61\x74\x69\x6f"
    "\x6e\x2f\x6a\x73\x6f\x6e\x0d\x3a\x6d\x65\x73\x73\x61\x67\x65\x2d\x74\x79\x70\x65\x07\x00"
    "\x05\x65\x76\x65\x6e\x74\x7b\x22\x72\x6f\x6c\x65\x22\x3a\x22\x61\x73\x73\x69\x73\x74\x61"
    "\x6e\x74\x22\x7d\x6f\xa8\xc5\x99";

/* ---- a collector ---- */

typedef struct got {
    int count;
    char event[8][64];
    char payload[8][256];
    size_t nheaders[8];
    int stop_at; /* return 7 from this message's callback (1-based), 0: never */
} got;

static int collect(void *ud, const seam_es_message *m)
{
    got *g = ud;
    int i = g->count++;
    if (i < 8) {
        size_t n = 0;
        const char *ev = seam_es_header_str(m, ":event-type", &n);
        snprintf(g->event[i], sizeof g->event[i], "%.*s", ev ? (int)n : 6, ev ? ev : "(none)");
        snprintf(g->payload[i], sizeof g->payload[i], "%.*s", (int)m->payload_len,
                 m->payload_len ? m->payload : "");
        g->nheaders[i] = m->nheaders;
    }
    return g->stop_at == g->count ? 7 : 0;
}

static int decode_all(const void *p, size_t n, got *g)
{
    seam_es_decoder d;
    seam_es_decoder_init(&d, 0);
    int rc = seam_es_decoder_feed(&d, p, n, collect, g);
    if (!rc) rc = seam_es_decoder_finish(&d);
    seam_es_decoder_free(&d);
    return rc;
}

/* Three events, as a stream would carry them. */
static void three_events(seam_buf *b)
{
    seam_buf_init(b, 1 << 20);
    const char *names[3] = {"messageStart", "contentBlockDelta", "messageStop"};
    const char *payloads[3] = {"{\"role\":\"assistant\"}",
                               "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hi\"}}",
                               "{\"stopReason\":\"end_turn\"}"};
    for (int i = 0; i < 3; i++) {
        seam_es_header h[3] = {seam_es_string(":event-type", names[i]),
                               seam_es_string(":content-type", "application/json"),
                               seam_es_string(":message-type", "event")};
        assert_int_equal(seam_es_encode(b, h, 3, payloads[i], strlen(payloads[i])), 0);
    }
}

static void assert_three(const got *g)
{
    assert_int_equal(g->count, 3);
    assert_string_equal(g->event[0], "messageStart");
    assert_string_equal(g->event[1], "contentBlockDelta");
    assert_string_equal(g->event[2], "messageStop");
    assert_string_equal(g->payload[1], "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hi\"}}");
    assert_string_equal(g->payload[2], "{\"stopReason\":\"end_turn\"}");
}

/* Rewrites both CRCs of the message at p so that a deliberately broken
 * length or header is what the decoder sees, not a CRC mismatch. */
static void fix_crcs(unsigned char *p, size_t total)
{
    uint32_t c = seam_es_crc32(0, p, 8);
    p[8] = (unsigned char)(c >> 24), p[9] = (unsigned char)(c >> 16);
    p[10] = (unsigned char)(c >> 8), p[11] = (unsigned char)c;
    if (total >= 16) {
        c = seam_es_crc32(0, p, total - 4);
        p[total - 4] = (unsigned char)(c >> 24), p[total - 3] = (unsigned char)(c >> 16);
        p[total - 2] = (unsigned char)(c >> 8), p[total - 1] = (unsigned char)c;
    }
}

/* ---- tests ---- */

static void test_crc32_vector(void **state)
{
    assert_int_equal(seam_es_crc32(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(seam_es_crc32(0, "", 0), 0);
    /* incremental equals one-shot */
    assert_int_equal(seam_es_crc32(seam_es_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
}

static void test_empty_message_vector(void **state)
{
    seam_buf b;
    seam_buf_init(&b, 1024);
    assert_int_equal(seam_es_encode(&b, NULL, 0, NULL, 0), 0);
    assert_int_equal(b.len, 16);
    assert_memory_equal(b.data, empty_msg, 16);
    seam_buf_free(&b);
    got g = {0};
    assert_int_equal(decode_all(empty_msg, 16, &g), 0);
    assert_int_equal(g.count, 1);
    assert_int_equal(g.nheaders[0], 0);
    assert_string_equal(g.payload[0], "");
}

static void test_message_start_vector(void **state)
{
    size_t n = sizeof message_start - 1;
    assert_int_equal(n, 118);
    got g = {0};
    assert_int_equal(decode_all(message_start, n, &g), 0);
    assert_int_equal(g.count, 1);
    assert_string_equal(g.event[0], "messageStart");
    assert_string_equal(g.payload[0], "{\"role\":\"assistant\"}");
    /* and the encoder writes the same bytes */
    seam_buf b;
    seam_buf_init(&b, 1024);
    seam_es_header h[3] = {seam_es_string(":event-type", "messageStart"),
                           seam_es_string(":content-type", "application/json"),
                           seam_es_string(":message-type", "event")};
    assert_int_equal(seam_es_encode(&b, h, 3, "{\"role\":\"assistant\"}", 20), 0);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, message_start, n);
    seam_buf_free(&b);
}

/* Every header type round-trips; non-string headers are skipped by their
 * type's size, so the string header after them still reads right. */
static int check_all_types(void *ud, const seam_es_message *m)
{
    int *seen = ud;
    assert_int_equal(m->nheaders, 11);
    static const uint8_t types[11] = {0, 1, 2, 3, 4, 5, 6, 8, 9, 7, 7};
    for (int i = 0; i < 11; i++)
        assert_int_equal(m->headers[i].type, types[i]);
    assert_null(m->headers[0].value);
    assert_int_equal(m->headers[3].value_len, 2);
    assert_memory_equal(m->headers[3].value, "\x01\x02", 2);
    assert_int_equal(m->headers[6].value_len, 3);
    assert_memory_equal(m->headers[6].value, "a\0b", 3);
    size_t n;
    const char *v = seam_es_header_str(m, ":event-type", &n);
    assert_non_null(v);
    assert_int_equal(n, 17);
    assert_memory_equal(v, "contentBlockDelta", 17);
    assert_true(seam_es_header_is(m, ":message-type", "event"));
    assert_false(seam_es_header_is(m, ":message-type", "exception"));
    assert_null(seam_es_header_str(m, "b6", NULL)); /* bytes, not a string */
    assert_int_equal(m->payload_len, 5);
    assert_memory_equal(m->payload, "hello", 5);
    (*seen)++;
    return 0;
}

static void test_all_header_types_round_trip(void **state)
{
    seam_es_header h[11] = {
        {"t", 1, SEAM_ES_TRUE, NULL, 0},
        {"f", 1, SEAM_ES_FALSE, NULL, 0},
        {"b1", 2, SEAM_ES_BYTE, "\x7f", 1},
        {"s2", 2, SEAM_ES_SHORT, "\x01\x02", 2},
        {"i4", 2, SEAM_ES_INT, "\x01\x02\x03\x04", 4},
        {"l8", 2, SEAM_ES_LONG, "12345678", 8},
        {"b6", 2, SEAM_ES_BYTES, "a\0b", 3},
        {"ts", 2, SEAM_ES_TIMESTAMP, "\x00\x00\x01\x8f\x00\x00\x00\x00", 8},
        {"uu", 2, SEAM_ES_UUID, "0123456789abcdef", 16},
        seam_es_string(":event-type", "contentBlockDelta"),
        seam_es_string(":message-type", "event"),
    };
    seam_buf b;
    seam_buf_init(&b, 4096);
    assert_int_equal(seam_es_encode(&b, h, 11, "hello", 5), 0);
    int seen = 0;
    seam_es_decoder d;
    seam_es_decoder_init(&d, 0);
    assert_int_equal(seam_es_decoder_feed(&d, b.data, b.len, check_all_types, &seen), 0);
    assert_int_equal(seam_es_decoder_finish(&d), 0);
    assert_int_equal(seen, 1);
    seam_es_decoder_free(&d);
    seam_buf_free(&b);
}

static void test_split_at_every_position(void **state)
{
    seam_buf b;
    three_events(&b);
    for (size_t i = 0; i <= b.len; i++) {
        got g = {0};
        seam_es_decoder d;
        seam_es_decoder_init(&d, 0);
        assert_int_equal(seam_es_decoder_feed(&d, b.data, i, collect, &g), 0);
        assert_int_equal(seam_es_decoder_feed(&d, b.data + i, b.len - i, collect, &g), 0);
        assert_int_equal(seam_es_decoder_finish(&d), 0);
        seam_es_decoder_free(&d);
        assert_three(&g);
    }
    /* and byte by byte */
    got g = {0};
    seam_es_decoder d;
    seam_es_decoder_init(&d, 0);
    for (size_t i = 0; i < b.len; i++)
        assert_int_equal(seam_es_decoder_feed(&d, b.data + i, 1, collect, &g), 0);
    assert_int_equal(seam_es_decoder_finish(&d), 0);
    seam_es_decoder_free(&d);
    assert_three(&g);
    seam_buf_free(&b);
}

static void test_random_pieces(void **state)
{
    seam_buf b;
    three_events(&b);
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    for (int round = 0; round < 200; round++) {
        got g = {0};
        seam_es_decoder d;
        seam_es_decoder_init(&d, 0);
        for (size_t pos = 0; pos < b.len;) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            size_t take = 1 + rng % 40;
            if (take > b.len - pos) take = b.len - pos;
            assert_int_equal(seam_es_decoder_feed(&d, b.data + pos, take, collect, &g), 0);
            pos += take;
        }
        assert_int_equal(seam_es_decoder_finish(&d), 0);
        seam_es_decoder_free(&d);
        assert_three(&g);
    }
    seam_buf_free(&b);
}

static void test_bad_prelude_crc(void **state)
{
    unsigned char m[sizeof message_start - 1];
    memcpy(m, message_start, sizeof m);
    m[9] ^= 0x01; /* the prelude CRC itself */
    got g = {0};
    assert_int_equal(decode_all(m, sizeof m, &g), SEAM_ES_EPRELUDE_CRC);
    assert_int_equal(g.count, 0);
    memcpy(m, message_start, sizeof m);
    m[3] ^= 0x04; /* a length the CRC no longer covers */
    assert_int_equal(decode_all(m, sizeof m, &g), SEAM_ES_EPRELUDE_CRC);
    /* also when the prelude arrives in pieces */
    seam_es_decoder d;
    seam_es_decoder_init(&d, 0);
    assert_int_equal(seam_es_decoder_feed(&d, m, 5, collect, &g), 0);
    assert_int_equal(seam_es_decoder_feed(&d, m + 5, 10, collect, &g), SEAM_ES_EPRELUDE_CRC);
    /* spent: the error sticks */
    assert_int_equal(seam_es_decoder_feed(&d, empty_msg, 16, collect, &g), SEAM_ES_EPRELUDE_CRC);
    assert_int_equal(seam_es_decoder_finish(&d), SEAM_ES_EPRELUDE_CRC);
    seam_es_decoder_free(&d);
    assert_int_equal(g.count, 0);
}

static void test_bad_message_crc(void **state)
{
    seam_buf b;
    three_events(&b);
    size_t first; /* where the second message starts: flip a byte inside it */
    first = ((size_t)(unsigned char)b.data[0] << 24 | (size_t)(unsigned char)b.data[1] << 16 |
             (size_t)(unsigned char)b.data[2] << 8 | (unsigned char)b.data[3]);
    b.data[first + 60] ^= 0x20;
    got g = {0};
    assert_int_equal(decode_all(b.data, b.len, &g), SEAM_ES_EMESSAGE_CRC);
    assert_int_equal(g.count, 1); /* the first message was whole and good */
    /* split inside the broken message: same verdict */
    got g2 = {0};
    seam_es_decoder d;
    seam_es_decoder_init(&d, 0);
    assert_int_equal(seam_es_decoder_feed(&d, b.data, first + 30, collect, &g2), 0);
    assert_int_equal(
        seam_es_decoder_feed(&d, b.data + first + 30, b.len - first - 30, collect, &g2),
        SEAM_ES_EMESSAGE_CRC);
    seam_es_decoder_free(&d);
    assert_int_equal(g2.count, 1);
    /* the message CRC field itself */
    unsigned char m[16];
    memcpy(m, empty_msg, 16);
    m[15] ^= 0x80;
    assert_int_equal(decode_all(m, 16, &g), SEAM_ES_EMESSAGE_CRC);
    seam_buf_free(&b);
}

static void test_truncated(void **state)
{
    size_t n = sizeof message_start - 1;
    for (size_t cut = 1; cut < n; cut++) {
        got g = {0};
        assert_int_equal(decode_all(message_start, cut, &g), SEAM_ES_ETRUNCATED);
        assert_int_equal(g.count, 0);
    }
    got g = {0};
    seam_es_decoder d;
    seam_es_decoder_init(&d, 0);
    assert_int_equal(seam_es_decoder_finish(&d), 0); /* nothing at all is a clean end */
    seam_es_decoder_free(&d);
    assert_int_equal(decode_all(message_start, n, &g), 0);
}

static void test_length_over_cap(void **state)
{
    /* a prelude announcing 16 MiB + 1 with a valid CRC: refused before any buffering */
    unsigned char m[16] = {0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0};
    fix_crcs(m, 0);
    got g = {0};
    seam_es_decoder d;
    seam_es_decoder_init(&d, 0);
    assert_int_equal(seam_es_decoder_feed(&d, m, 12, collect, &g), SEAM_ES_ETOOBIG);
    seam_es_decoder_free(&d);
    /* exactly the cap is allowed (the prelude passes; the rest is just missing) */
    m[3] = 0x00;
    fix_crcs(m, 0);
    seam_es_decoder_init(&d, 0);
    assert_int_equal(seam_es_decoder_feed(&d, m, 12, collect, &g), 0);
    assert_int_equal(seam_es_decoder_finish(&d), SEAM_ES_ETRUNCATED);
    seam_es_decoder_free(&d);
    /* a smaller cap of the caller's choosing */
    seam_es_decoder_init(&d, 100);
    assert_int_equal(seam_es_decoder_feed(&d, message_start, 118, collect, &g), SEAM_ES_ETOOBIG);
    seam_es_decoder_free(&d);
    assert_int_equal(g.count, 0);
}

static void test_bad_lengths_and_headers(void **state)
{
    got g = {0};
    /* total below the 16-byte minimum */
    unsigned char m[16];
    memcpy(m, empty_msg, 16);
    m[3] = 12;
    fix_crcs(m, 0);
    assert_int_equal(decode_all(m, 16, &g), SEAM_ES_EFORMAT);
    /* headers longer than the message allows */
    memcpy(m, empty_msg, 16);
    m[7] = 1;
    fix_crcs(m, 16);
    assert_int_equal(decode_all(m, 16, &g), SEAM_ES_EFORMAT);

    unsigned char x[sizeof message_start - 1];
    /* an unknown header type (10) */
    memcpy(x, message_start, sizeof x);
    x[12 + 1 + 11] = 10;
    fix_crcs(x, sizeof x);
    assert_int_equal(decode_all(x, sizeof x, &g), SEAM_ES_EFORMAT);
    /* a zero-length header name */
    memcpy(x, message_start, sizeof x);
    x[12] = 0;
    fix_crcs(x, sizeof x);
    assert_int_equal(decode_all(x, sizeof x, &g), SEAM_ES_EFORMAT);
    /* a string value running past the headers */
    memcpy(x, message_start, sizeof x);
    x[12 + 1 + 11 + 1] = 0x01; /* length 0x010c */
    fix_crcs(x, sizeof x);
    assert_int_equal(decode_all(x, sizeof x, &g), SEAM_ES_EFORMAT);
    assert_int_equal(g.count, 0);
}

static void test_callback_stops(void **state)
{
    seam_buf b;
    three_events(&b);
    got g = {.stop_at = 2};
    seam_es_decoder d;
    seam_es_decoder_init(&d, 0);
    assert_int_equal(seam_es_decoder_feed(&d, b.data, b.len, collect, &g), 7);
    assert_int_equal(g.count, 2);
    assert_int_equal(seam_es_decoder_feed(&d, b.data, b.len, collect, &g), 7);
    assert_int_equal(g.count, 2);
    seam_es_decoder_free(&d);
    seam_buf_free(&b);
}

static void test_many_headers_kept_up_to_cap(void **state)
{
    seam_es_header h[20];
    char names[20][16];
    for (int i = 0; i < 20; i++) {
        snprintf(names[i], sizeof names[i], "h%d", i);
        h[i] = seam_es_string(names[i], "v");
    }
    h[19] = seam_es_string(":event-type", "late"); /* past the cap: checked, not kept */
    seam_buf b;
    seam_buf_init(&b, 4096);
    assert_int_equal(seam_es_encode(&b, h, 20, "p", 1), 0);
    got g = {0};
    assert_int_equal(decode_all(b.data, b.len, &g), 0);
    assert_int_equal(g.count, 1);
    assert_int_equal(g.nheaders[0], SEAM_ES_MAX_HEADERS);
    assert_string_equal(g.event[0], "(none)");
    assert_string_equal(g.payload[0], "p");
    seam_buf_free(&b);
}

static void test_encoder_refuses(void **state)
{
    seam_buf b;
    seam_buf_init(&b, 1 << 20);
    seam_es_header h = {"", 0, SEAM_ES_STRING, "v", 1};
    assert_int_equal(seam_es_encode(&b, &h, 1, NULL, 0), SEAM_ES_EFORMAT);
    h = (seam_es_header){"n", 1, SEAM_ES_INT, "12", 2}; /* an int is 4 bytes */
    assert_int_equal(seam_es_encode(&b, &h, 1, NULL, 0), SEAM_ES_EFORMAT);
    h = (seam_es_header){"n", 1, 10, "", 0};
    assert_int_equal(seam_es_encode(&b, &h, 1, NULL, 0), SEAM_ES_EFORMAT);
    static char big[65536];
    h = (seam_es_header){"n", 1, SEAM_ES_STRING, big, sizeof big};
    assert_int_equal(seam_es_encode(&b, &h, 1, NULL, 0), SEAM_ES_EFORMAT);
    assert_int_equal(b.len, 0);
    seam_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_vector),
        cmocka_unit_test(test_empty_message_vector),
        cmocka_unit_test(test_message_start_vector),
        cmocka_unit_test(test_all_header_types_round_trip),
        cmocka_unit_test(test_split_at_every_position),
        cmocka_unit_test(test_random_pieces),
        cmocka_unit_test(test_bad_prelude_crc),
        cmocka_unit_test(test_bad_message_crc),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_length_over_cap),
        cmocka_unit_test(test_bad_lengths_and_headers),
        cmocka_unit_test(test_callback_stops),
        cmocka_unit_test(test_many_headers_kept_up_to_cap),
        cmocka_unit_test(test_encoder_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
