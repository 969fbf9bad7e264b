/* test_openai_error.c — OpenAI-format error bodies and their SSE form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "api/openai_error.h"

/* Parses the error JSON and checks every field of the error object. */
static void assert_error_doc(const char *doc, size_t len, const char *type, const char *code,
                             const char *message)
{
    json_error_t jerr;
    json_t *root = json_loadb(doc, len, 0, &jerr);
    if (!root) fail_msg("not JSON (%s): %.*s", jerr.text, (int)len, doc);
    assert_true(json_is_object(root));
    assert_int_equal(json_object_size(root), 1);
    json_t *e = json_object_get(root, "error");
    assert_true(json_is_object(e));
    assert_string_equal(json_string_value(json_object_get(e, "message")), message);
    assert_string_equal(json_string_value(json_object_get(e, "type")), type);
    assert_string_equal(json_string_value(json_object_get(e, "code")), code);
    json_t *param = json_object_get(e, "param");
    assert_non_null(param);
    assert_true(json_is_null(param));
    json_decref(root);
}

static void test_type_per_status(void **state)
{
    static const struct {
        int status;
        const char *type;
    } cases[] = {
        {400, "invalid_request_error"},
        {404, "invalid_request_error"},
        {405, "invalid_request_error"},
        {413, "invalid_request_error"},
        {422, "invalid_request_error"},
        {401, "authentication_error"},
        {403, "permission_error"},
        {408, "timeout_error"},
        {504, "timeout_error"},
        {429, "rate_limit_error"},
        {500, "api_error"},
        {502, "api_error"},
        {503, "api_error"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        seam_buf b;
        seam_buf_init(&b, 4096);
        assert_string_equal(seam_openai_error_type(cases[i].status), cases[i].type);
        assert_int_equal(seam_openai_error_json(&b, cases[i].status, "some_code", "went wrong"), 0);
        assert_error_doc(b.data, b.len, cases[i].type, "some_code", "went wrong");
        seam_buf_free(&b);
    }
}

static void test_message_escaped(void **state)
{
    const char *msg = "model \"gpt\\4\" said:\nline2\ttab \x01 caf\xc3\xa9 }]";
    seam_buf b;
    seam_buf_init(&b, 4096);
    assert_int_equal(seam_openai_error_json(&b, 400, "bad_request", msg), 0);
    /* the raw newline and control byte must not reach the wire */
    assert_null(memchr(b.data, '\n', b.len));
    assert_null(memchr(b.data, '\x01', b.len));
    assert_error_doc(b.data, b.len, "invalid_request_error", "bad_request", msg);
    seam_buf_free(&b);
}

static void test_appends_after_existing(void **state)
{
    seam_buf b;
    seam_buf_init(&b, 4096);
    assert_int_equal(seam_buf_append_str(&b, "X"), 0);
    assert_int_equal(seam_openai_error_json(&b, 429, "rate_limited", "slow down"), 0);
    assert_int_equal(b.data[0], 'X');
    assert_error_doc(b.data + 1, b.len - 1, "rate_limit_error", "rate_limited", "slow down");
    seam_buf_free(&b);
}

static void test_event_form(void **state)
{
    seam_buf b;
    seam_buf_init(&b, 4096);
    const char *msg = "upstream \"died\"\nmid-stream";
    assert_int_equal(seam_openai_error_event(&b, 502, "upstream_incomplete", msg), 0);
    assert_true(b.len > 8);
    assert_memory_equal(b.data, "data: ", 6);
    assert_memory_equal(b.data + b.len - 2, "\n\n", 2);
    /* one event: a single data line, then the blank line that ends it */
    const char *first_nl = memchr(b.data, '\n', b.len);
    assert_ptr_equal(first_nl, b.data + b.len - 2);
    assert_error_doc(b.data + 6, b.len - 8, "api_error", "upstream_incomplete", msg);
    seam_buf_free(&b);
}

static void test_too_small_buffer_fails(void **state)
{
    seam_buf b;
    seam_buf_init(&b, 20);
    assert_int_equal(seam_openai_error_json(&b, 500, "x", "a message that does not fit"),
                     SEAM_BUF_TOOBIG);
    seam_buf_free(&b);
    seam_buf_init(&b, 40);
    assert_int_equal(seam_openai_error_event(&b, 500, "x", "a message that does not fit"),
                     SEAM_BUF_TOOBIG);
    seam_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_per_status),        cmocka_unit_test(test_message_escaped),
        cmocka_unit_test(test_appends_after_existing), cmocka_unit_test(test_event_form),
        cmocka_unit_test(test_too_small_buffer_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
