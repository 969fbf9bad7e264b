/* test_buf.c — the bounded buffer: its cap, printf growth, JSON escaping,
 * consume and reserve. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

/* Appends s as a JSON string body and returns a malloc'd copy of the result. */
static char *json_of(const char *s, size_t n)
{
    seam_buf b;
    seam_buf_init(&b, 4096);
    assert_int_equal(seam_buf_append_json_str(&b, s, n), 0);
    char *out = strdup(b.data ? b.data : "");
    assert_non_null(out);
    seam_buf_free(&b);
    return out;
}

/* ---- appending and the cap ---- */

static void test_append_keeps_nul_terminated(void **state)
{
    seam_buf b;
    seam_buf_init(&b, 100);
    assert_int_equal(seam_buf_append(&b, "abc", 3), 0);
    assert_int_equal(seam_buf_append_str(&b, "def"), 0);
    assert_int_equal(b.len, 6);
    assert_string_equal(b.data, "abcdef");
    /* bytes, not strings: an embedded NUL is kept and counted */
    assert_int_equal(seam_buf_append(&b, "g\0h", 3), 0);
    assert_int_equal(b.len, 9);
    assert_memory_equal(b.data, "abcdefg\0h", 10);
    seam_buf_free(&b);
}

static void test_cap_exact_fits_one_more_fails(void **state)
{
    seam_buf b;
    seam_buf_init(&b, 10);
    assert_int_equal(seam_buf_append(&b, "0123456789", 10), 0);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    assert_int_equal(seam_buf_append(&b, "x", 1), SEAM_BUF_TOOBIG);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    /* an empty append at the cap is not an error */
    assert_int_equal(seam_buf_append(&b, "", 0), 0);
    seam_buf_free(&b);
}

static void test_cap_failure_leaves_contents(void **state)
{
    seam_buf b;
    seam_buf_init(&b, 16);
    assert_int_equal(seam_buf_append_str(&b, "hello"), 0);
    assert_int_equal(seam_buf_append_str(&b, "this is far too long"), SEAM_BUF_TOOBIG);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "hello");
    /* a huge n must not wrap around the cap check */
    assert_int_equal(seam_buf_append(&b, "x", SIZE_MAX), SEAM_BUF_TOOBIG);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "hello");
    /* what still fits is still accepted */
    assert_int_equal(seam_buf_append_str(&b, " world!!!!!"), 0);
    assert_string_equal(b.data, "hello world!!!!!");
    assert_int_equal(b.len, 16);
    seam_buf_free(&b);
}

static void test_cap_zero_refuses_everything(void **state)
{
    seam_buf b;
    seam_buf_init(&b, 0);
    assert_int_equal(seam_buf_append(&b, "a", 1), SEAM_BUF_TOOBIG);
    assert_int_equal(seam_buf_printf(&b, "%d", 1), SEAM_BUF_TOOBIG);
    assert_int_equal(b.len, 0);
    seam_buf_free(&b);
}

static void test_growth_across_many_appends(void **state)
{
    seam_buf b;
    seam_buf_init(&b, 1 << 20);
    char expect[10000];
    for (int i = 0; i < 10000; i++) {
        char ch = (char)('a' + i % 26);
        expect[i] = ch;
        assert_int_equal(seam_buf_append(&b, &ch, 1), 0);
    }
    assert_int_equal(b.len, 10000);
    assert_memory_equal(b.data, expect, 10000);
    assert_int_equal(b.data[10000], '\0');
    assert_true(b.cap > b.len);
    seam_buf_free(&b);
}

/* ---- printf ---- */

static void test_printf_small(void **state)
{
    seam_buf b;
    seam_buf_init(&b, 1024);
    assert_int_equal(seam_buf_printf(&b, "%s=%d;", "a", 1), 0);
    assert_int_equal(seam_buf_printf(&b, "%s=%d", "bb", -22), 0);
    assert_string_equal(b.data, "a=1;bb=-22");
    assert_int_equal(b.len, 10);
    seam_buf_free(&b);
}

static void test_printf_past_256_bytes(void **state)
{
    char big[1001];
    for (int i = 0; i < 1000; i++)
        big[i] = (char)('0' + i % 10);
    big[1000] = '\0';
    seam_buf b;
    seam_buf_init(&b, 4096);
    assert_int_equal(seam_buf_append_str(&b, "<"), 0);
    assert_int_equal(seam_buf_printf(&b, "[%s]%d", big, 7), 0);
    assert_int_equal(b.len, 1 + 1 + 1000 + 1 + 1);
    assert_int_equal(b.data[0], '<');
    assert_int_equal(b.data[1], '[');
    assert_memory_equal(b.data + 2, big, 1000);
    assert_string_equal(b.data + 1002, "]7");
    /* exactly 256 characters: the boundary of the on-stack first try */
    seam_buf_reset(&b);
    assert_int_equal(seam_buf_printf(&b, "%.256s", big), 0);
    assert_int_equal(b.len, 256);
    assert_memory_equal(b.data, big, 256);
    assert_int_equal(b.data[256], '\0');
    /* 255: the largest that fits the first try */
    seam_buf_reset(&b);
    assert_int_equal(seam_buf_printf(&b, "%.255s", big), 0);
    assert_int_equal(b.len, 255);
    assert_int_equal(strlen(b.data), 255);
    seam_buf_free(&b);
}

static void test_printf_past_cap_leaves_contents(void **state)
{
    char big[600];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    seam_buf b;
    seam_buf_init(&b, 300);
    assert_int_equal(seam_buf_append_str(&b, "keep"), 0);
    /* long form (over 256 bytes) */
    assert_int_equal(seam_buf_printf(&b, "%s", big), SEAM_BUF_TOOBIG);
    assert_string_equal(b.data, "keep");
    assert_int_equal(b.len, 4);
    /* short form, over what is left */
    seam_buf c;
    seam_buf_init(&c, 8);
    assert_int_equal(seam_buf_printf(&c, "%s", "12345"), 0);
    assert_int_equal(seam_buf_printf(&c, "%s", "6789"), SEAM_BUF_TOOBIG);
    assert_string_equal(c.data, "12345");
    assert_int_equal(seam_buf_printf(&c, "%s", "678"), 0);
    assert_string_equal(c.data, "12345678");
    seam_buf_free(&b);
    seam_buf_free(&c);
}

/* ---- JSON string escaping ---- */

static void test_json_quotes_and_backslash(void **state)
{
    char *s = json_of("say \"hi\" \\ bye", 14);
    assert_string_equal(s, "say \\\"hi\\\" \\\\ bye");
    free(s);
}

static void test_json_control_chars(void **state)
{
    char *s = json_of("a\nb\rc\td", 7);
    assert_string_equal(s, "a\\nb\\rc\\td");
    free(s);
    /* the others as \u00XX, lowercase or not, but exactly 6 characters */
    const char in[] = {'x', 0x01, 0x08, 0x0c, 0x1f, 0x00, 'y'};
    s = json_of(in, sizeof in);
    char lower[64];
    snprintf(lower, sizeof lower, "%s", s);
    for (char *p = lower; *p; p++)
        if (*p >= 'A' && *p <= 'F') *p = (char)(*p - 'A' + 'a');
    assert_string_equal(lower, "x\\u0001\\u0008\\u000c\\u001f\\u0000y");
    free(s);
}

static void test_json_utf8_and_plain_untouched(void **state)
{
    const char *in = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 / ~ \x7f";
    char *s = json_of(in, strlen(in));
    assert_string_equal(s, in);
    free(s);
    s = json_of("", 0);
    assert_string_equal(s, "");
    free(s);
}

static void test_json_escape_respects_cap(void **state)
{
    /* 4 quotes become 8 characters: over a cap of 6 */
    seam_buf b;
    seam_buf_init(&b, 6);
    assert_int_equal(seam_buf_append_json_str(&b, "\"\"\"\"", 4), SEAM_BUF_TOOBIG);
    assert_true(b.len <= 6);
    seam_buf_free(&b);
}

/* ---- consume, reset, reserve ---- */

static void test_consume(void **state)
{
    seam_buf b;
    seam_buf_init(&b, 64);
    assert_int_equal(seam_buf_append_str(&b, "GET / HTTP/1.1"), 0);
    seam_buf_consume(&b, 4);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "/ HTTP/1.1");
    seam_buf_consume(&b, 0);
    assert_string_equal(b.data, "/ HTTP/1.1");
    seam_buf_consume(&b, 100); /* more than held: empties it */
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    /* room freed by consume is usable up to the cap again */
    char fill[64];
    memset(fill, 'q', sizeof fill);
    assert_int_equal(seam_buf_append(&b, fill, 64), 0);
    assert_int_equal(seam_buf_append(&b, "x", 1), SEAM_BUF_TOOBIG);
    seam_buf_consume(&b, 1);
    assert_int_equal(seam_buf_append(&b, "x", 1), 0);
    assert_int_equal(b.data[63], 'x');
    seam_buf_free(&b);
    /* on a never-used buffer it is harmless */
    seam_buf_init(&b, 8);
    seam_buf_consume(&b, 3);
    seam_buf_reset(&b);
    assert_int_equal(b.len, 0);
    seam_buf_free(&b);
}

static void test_reserve(void **state)
{
    seam_buf b;
    seam_buf_init(&b, 1000);
    assert_int_equal(seam_buf_append_str(&b, "ab"), 0);
    assert_int_equal(seam_buf_reserve(&b, 500), 0);
    assert_int_equal(b.len, 2);
    assert_string_equal(b.data, "ab");
    /* room for 500 more bytes and the terminator, writable in place */
    assert_true(b.cap >= 2 + 500 + 1);
    memset(b.data + b.len, 'r', 500);
    b.len += 500;
    b.data[b.len] = '\0';
    assert_int_equal(strlen(b.data), 502);
    /* the reserved room does not move on the appends it was made for */
    seam_buf_reset(&b);
    assert_int_equal(seam_buf_reserve(&b, 900), 0);
    char *before = b.data;
    for (int i = 0; i < 900; i++)
        assert_int_equal(seam_buf_append(&b, "k", 1), 0);
    assert_ptr_equal(b.data, before);
    /* past the cap */
    assert_int_equal(seam_buf_reserve(&b, 101), SEAM_BUF_TOOBIG);
    assert_int_equal(seam_buf_reserve(&b, 100), 0);
    assert_int_equal(b.len, 900);
    seam_buf_free(&b);
}

static void test_free_twice_and_reuse(void **state)
{
    seam_buf b;
    seam_buf_init(&b, 32);
    assert_int_equal(seam_buf_append_str(&b, "x"), 0);
    seam_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    seam_buf_free(&b);
    /* the cap survives free: the buffer can be used again */
    assert_int_equal(seam_buf_append_str(&b, "again"), 0);
    assert_string_equal(b.data, "again");
    seam_buf_free(&b);
}

/* No cap at all: the growth arithmetic must not wrap (max + 1 is 0). */
static void test_unbounded(void **state)
{
    seam_buf b;
    seam_buf_init(&b, SIZE_MAX);
    char chunk[1000];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 100; i++)
        assert_int_equal(seam_buf_append(&b, chunk, sizeof chunk), 0);
    assert_int_equal(b.len, 100000);
    assert_true(b.cap > b.len);
    assert_int_equal(b.data[b.len], '\0');
    volatile size_t huge = SIZE_MAX - 10; /* not a constant the compiler would check */
    assert_int_equal(seam_buf_append(&b, chunk, huge), SEAM_BUF_TOOBIG);
    seam_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_keeps_nul_terminated),
        cmocka_unit_test(test_cap_exact_fits_one_more_fails),
        cmocka_unit_test(test_cap_failure_leaves_contents),
        cmocka_unit_test(test_cap_zero_refuses_everything),
        cmocka_unit_test(test_growth_across_many_appends),
        cmocka_unit_test(test_printf_small),
        cmocka_unit_test(test_printf_past_256_bytes),
        cmocka_unit_test(test_printf_past_cap_leaves_contents),
        cmocka_unit_test(test_json_quotes_and_backslash),
        cmocka_unit_test(test_json_control_chars),
        cmocka_unit_test(test_json_utf8_and_plain_untouched),
        cmocka_unit_test(test_json_escape_respects_cap),
        cmocka_unit_test(test_consume),
        cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_free_twice_and_reuse),
        cmocka_unit_test(test_unbounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
