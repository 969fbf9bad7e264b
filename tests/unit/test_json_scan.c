/* test_json_scan.c — the request scanner, usage reader and unescaper. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_scan.h"

static int scan(const char *s, seam_openai_req *r, seam_json_error *e)
{
    return seam_openai_scan_request(s, strlen(s), r, e);
}

static void assert_span(const char *doc, seam_span sp, const char *want)
{
    assert_int_equal(sp.len, strlen(want));
    assert_memory_equal(doc + sp.off, want, sp.len);
}

/* ---- valid requests ---- */

static const char chat_req[] =
    "{\"model\": \"gpt-4o-mini\", \"messages\": [{\"role\": \"system\", \"content\": \"You are "
    "terse.\"}, {\"role\": \"user\", \"content\": \"Say \\\"hi\\\" in Fran\\u00e7ais \xc3\xa9\"}], "
    "\"temperature\": 0.2, \"max_tokens\": 64, \"stream\": true, "
    "\"stream_options\": {\"include_usage\": true}, \"tools\": [], \"metadata\": null}";

static void test_chat_request_fields(void **state)
{
    seam_openai_req r;
    seam_json_error e;
    assert_int_equal(scan(chat_req, &r, &e), 0);
    assert_true(r.has_model);
    assert_span(chat_req, r.model, "gpt-4o-mini");
    assert_false(r.model_escaped);
    assert_false(r.model_not_string);
    assert_int_equal(r.model_count, 1);
    assert_true(r.stream);
    assert_true(r.include_usage);
    assert_true(r.has_messages);
    assert_false(r.has_input);
}

static void test_minimal_and_absent(void **state)
{
    seam_openai_req r;
    assert_int_equal(scan("{}", &r, NULL), 0);
    assert_false(r.has_model);
    assert_false(r.model_not_string);
    assert_int_equal(r.model_count, 0);
    assert_false(r.stream);
    assert_false(r.include_usage);
    assert_false(r.has_messages);
    assert_int_equal(scan(" \t\r\n{ \n } \r\n", &r, NULL), 0);
    /* out and err may both be NULL: validation only */
    assert_int_equal(seam_openai_scan_request(chat_req, strlen(chat_req), NULL, NULL), 0);
    assert_int_equal(seam_openai_scan_request("{", 1, NULL, NULL), -1);
}

static void test_nested_model_ignored(void **state)
{
    const char *d = "{\"messages\":[{\"role\":\"user\",\"model\":\"evil\",\"stream\":true,"
                    "\"content\":\"{\\\"model\\\":\\\"x\\\"}\"}],\"metadata\":{\"model\":\"m\","
                    "\"stream_options\":{\"include_usage\":true}}}";
    seam_openai_req r;
    assert_int_equal(scan(d, &r, NULL), 0);
    assert_false(r.has_model);
    assert_int_equal(r.model_count, 0);
    assert_false(r.stream);
    assert_false(r.include_usage);
    assert_true(r.has_messages);

    const char *d2 = "{\"metadata\":{\"model\":\"inner\"},\"model\":\"outer\"}";
    assert_int_equal(scan(d2, &r, NULL), 0);
    assert_span(d2, r.model, "outer");
    /* include_usage only counts directly inside stream_options */
    const char *d3 = "{\"stream_options\":{\"x\":{\"include_usage\":true}},\"include_usage\":true}";
    assert_int_equal(scan(d3, &r, NULL), 0);
    assert_false(r.include_usage);
}

static void test_escaped_model(void **state)
{
    const char *d = "{\"model\":\"gpt\\u002d4o \\\"q\\\"\"}";
    seam_openai_req r;
    char buf[64];
    assert_int_equal(scan(d, &r, NULL), 0);
    assert_true(r.has_model);
    assert_true(r.model_escaped);
    assert_span(d, r.model, "gpt\\u002d4o \\\"q\\\"");
    assert_int_equal(seam_json_unescape(d + r.model.off, r.model.len, buf, sizeof buf), 10);
    assert_string_equal(buf, "gpt-4o \"q\"");
}

static void test_duplicate_keys_last_wins(void **state)
{
    seam_openai_req r;
    const char *d = "{\"model\":\"a\",\"stream\":true,\"model\":\"bb\",\"stream\":false}";
    assert_int_equal(scan(d, &r, NULL), 0);
    assert_span(d, r.model, "bb");
    assert_int_equal(r.model_count, 2);
    assert_false(r.stream);

    /* a key is compared decoded: "mod\u0065l" is "model" to any upstream parser */
    const char *d2 = "{\"model\":\"cheap\",\"mod\\u0065l\":\"dear\"}";
    assert_int_equal(scan(d2, &r, NULL), 0);
    assert_span(d2, r.model, "dear");
    assert_int_equal(r.model_count, 2);

    const char *d3 = "{\"model\":\"a\",\"model\":7}";
    assert_int_equal(scan(d3, &r, NULL), 0);
    assert_false(r.has_model);
    assert_true(r.model_not_string);
    assert_int_equal(r.model.len, 0);

    const char *d4 = "{\"model\":null,\"model\":\"z\"}";
    assert_int_equal(scan(d4, &r, NULL), 0);
    assert_true(r.has_model);
    assert_false(r.model_not_string);
    assert_span(d4, r.model, "z");

    const char *d5 = "{\"stream_options\":{\"include_usage\":true},\"stream_options\":null}";
    assert_int_equal(scan(d5, &r, NULL), 0);
    assert_false(r.include_usage);
    const char *d6 = "{\"stream_options\":{\"include_usage\":true,\"include_usage\":false}}";
    assert_int_equal(scan(d6, &r, NULL), 0);
    assert_false(r.include_usage);

    const char *d7 = "{\"messages\":[],\"messages\":{}}";
    assert_int_equal(scan(d7, &r, NULL), 0);
    assert_false(r.has_messages);
}

static void test_field_types(void **state)
{
    seam_openai_req r;
    assert_int_equal(scan("{\"model\":[\"x\"],\"stream\":\"true\",\"input\":\"hi\"}", &r, NULL), 0);
    assert_true(r.model_not_string);
    assert_false(r.has_model);
    assert_false(r.stream);
    assert_true(r.has_input);
    assert_false(r.has_messages);
    assert_int_equal(scan("{\"model\":\"\",\"stream\":1,\"input\":null}", &r, NULL), 0);
    assert_true(r.has_model);
    assert_int_equal(r.model.len, 0);
    assert_false(r.stream);
    assert_true(r.has_input);
    /* a key longer than any we look for, escaped, matches nothing */
    assert_int_equal(scan("{\"\\u006dodel_with_a_very_long_name_here_xx\":\"x\"}", &r, NULL), 0);
    assert_false(r.has_model);
    assert_int_equal(scan("{\"model\\u0000\":\"x\"}", &r, NULL), 0);
    assert_false(r.has_model);
}

/* ---- invalid JSON: what and where ---- */

struct bad {
    const char *doc;
    size_t len; /* 0: strlen */
    int line, col;
    const char *msg; /* a substring of the message */
};

static const struct bad bad_docs[] = {
    {"", 0, 1, 1, "empty"},
    {"  \n ", 0, 2, 2, "empty"},
    {"[1]", 0, 1, 1, "must be a JSON object"},
    {"  \"x\"", 0, 1, 3, "must be a JSON object"},
    {"\xef\xbb\xbf{}", 0, 1, 1, "must be a JSON object"},
    {"{", 0, 1, 2, "unexpected end of input"},
    {"{\"a\"", 0, 1, 5, "unexpected end of input"},
    {"{\"a\":", 0, 1, 6, "unexpected end of input"},
    {"{\"a\":\"xyz", 0, 1, 10, "unexpected end of input"},
    {"{\"a\":[1,", 0, 1, 9, "unexpected end of input"},
    {"{\"a\":}", 0, 1, 6, "expected a value"},
    {"{\"a\":1,}", 0, 1, 7, "trailing comma before '}'"},
    {"{\n  \"a\": 1 ,\n}", 0, 2, 10, "trailing comma before '}'"},
    {"{\"a\":[1, ]}", 0, 1, 8, "trailing comma before ']'"},
    {"{\"a\":{\"b\":2,}}", 0, 1, 12, "trailing comma before '}'"},
    {"{\"a\":[1 2]}", 0, 1, 9, "expected ',' or ']' after array element"},
    {"{\"a\":1 \"b\":2}", 0, 1, 8, "expected ',' or '}' after object member"},
    {"{\"a\":{\"b\":1 \"c\":2}}", 0, 1, 13, "expected ',' or '}' after object member"},
    {"{\"a\":1}x", 0, 1, 8, "unexpected data after"},
    {"{\"a\":1} \n {}", 0, 2, 2, "unexpected data after"},
    {"{\"a\":1}\0", 8, 1, 8, "unexpected data after"},
    {"{a:1}", 0, 1, 2, "expected '\"' to start an object key"},
    {"{\"a\":1,,}", 0, 1, 8, "expected '\"' to start an object key"},
    {"{/* c */}", 0, 1, 2, "expected '\"' to start an object key"},
    {"{'a':1}", 0, 1, 2, "expected '\"' to start an object key"},
    {"{\"a\" 1}", 0, 1, 6, "expected ':' after object key"},
    {"{\"a\":01}", 0, 1, 6, "leading zero"},
    {"{\"a\":-00}", 0, 1, 7, "leading zero"},
    {"{\"a\":1.}", 0, 1, 8, "expected digit after '.'"},
    {"{\"a\":1.e5}", 0, 1, 8, "expected digit after '.'"},
    {"{\"a\":-}", 0, 1, 7, "expected digit after '-'"},
    {"{\"a\":-a}", 0, 1, 7, "expected digit after '-'"},
    {"{\"a\":1e}", 0, 1, 8, "exponent"},
    {"{\"a\":1e+}", 0, 1, 9, "exponent"},
    {"{\"a\":.5}", 0, 1, 6, "expected a value"},
    {"{\"a\":+1}", 0, 1, 6, "expected a value"},
    {"{\"a\":NaN}", 0, 1, 6, "expected a value"},
    {"{\"a\":tru}", 0, 1, 6, "invalid literal"},
    {"{\"a\":nulL}", 0, 1, 6, "invalid literal"},
    {"{\"a\":True}", 0, 1, 6, "expected a value"},
    {"{\"a\":nul", 0, 1, 9, "unexpected end of input"},
    {"{\"a\":truex}", 0, 1, 10, "expected ',' or '}'"},
    {"{\"a\":\"\\x\"}", 0, 1, 7, "invalid escape in string"},
    {"{\"a\":\"\\'\"}", 0, 1, 7, "invalid escape in string"},
    {"{\"a\":\"\\u12G4\"}", 0, 1, 7, "invalid \\u escape"},
    {"{\"a\":\"\\u12\"}", 0, 1, 7, "invalid \\u escape"},
    {"{\"a\":\"\\u12", 0, 1, 11, "unexpected end of input"},
    {"{\"a\":\"\\ud800\"}", 0, 1, 7, "unpaired surrogate"},
    {"{\"a\":\"\\udc00\\ud800\"}", 0, 1, 7, "unpaired surrogate"},
    {"{\"a\":\"\\ud800\\u0041\"}", 0, 1, 7, "unpaired surrogate"},
    {"{\"a\":\"\\ud800\\n\"}", 0, 1, 7, "unpaired surrogate"},
    {"{\"a\":\"\\ud800\\ud800\"}", 0, 1, 7, "unpaired surrogate"},
    {"{\"a\":\"\\ud800\\uDZ00\"}", 0, 1, 13, "invalid \\u escape"},
    {"{\"a\":\"\\ud800\\", 0, 1, 14, "unexpected end of input"},
    {"{\"a\":\"\\ud800", 0, 1, 13, "unexpected end of input"},
    {"{\"a\":\"tab\there\"}", 0, 1, 10, "control character"},
    {"{\"a\":\"x\ny\"}", 0, 1, 8, "control character"},
    {"{\"a\":\"x\0y\"}", 11, 1, 8, "control character"},
    {"{\"a\":\"\x7f\x1f\"}", 0, 1, 8, "control character"},
    /* bad UTF-8: bad continuation, overlongs, surrogates, past U+10FFFF,
     * lone continuation, 5-byte lead */
    {"{\"a\":\"\xc3\x28\"}", 0, 1, 7, "invalid UTF-8"},
    {"{\"a\":\"\xc0\xaf\"}", 0, 1, 7, "invalid UTF-8"},
    {"{\"a\":\"\xc1\xbf\"}", 0, 1, 7, "invalid UTF-8"},
    {"{\"a\":\"\xe0\x80\xaf\"}", 0, 1, 7, "invalid UTF-8"},
    {"{\"a\":\"\xf0\x80\x80\xaf\"}", 0, 1, 7, "invalid UTF-8"},
    {"{\"a\":\"\xed\xa0\x80\"}", 0, 1, 7, "invalid UTF-8"},
    {"{\"a\":\"\xed\xbf\xbf\"}", 0, 1, 7, "invalid UTF-8"},
    {"{\"a\":\"\xf4\x90\x80\x80\"}", 0, 1, 7, "invalid UTF-8"},
    {"{\"a\":\"\xf5\x80\x80\x80\"}", 0, 1, 7, "invalid UTF-8"},
    {"{\"a\":\"\xf8\x88\x80\x80\x80\"}", 0, 1, 7, "invalid UTF-8"},
    {"{\"a\":\"\x80\"}", 0, 1, 7, "invalid UTF-8"},
    {"{\"a\":\"\xe2\x82\"}", 0, 1, 7, "invalid UTF-8"},
    {"{\"a\":\"\xe2\x82", 0, 1, 8, "unexpected end of input"},
    {"{\"a\":\xc3\xa9}", 0, 1, 6, "expected a value"},
    /* columns count characters, not bytes */
    {"{\"\xc3\xa9\xe2\x82\xac\":x}", 0, 1, 7, "expected a value"},
    /* the line 3, column 5 case */
    {"{\n  \"model\": \"gpt\",\n  \"a\\q\": 1\n}", 0, 3, 5, "invalid escape in string"},
    {"{\r\n  \"a\": [\r\n    1,\r\n    2\r\n    3]}", 0, 5, 5, "expected ',' or ']'"},
};

static void test_invalid_documents(void **state)
{
    for (size_t k = 0; k < sizeof bad_docs / sizeof bad_docs[0]; k++) {
        const struct bad *b = &bad_docs[k];
        size_t len = b->len ? b->len : strlen(b->doc);
        seam_openai_req r;
        seam_json_error e;
        memset(&e, 0, sizeof e);
        int rc = seam_openai_scan_request(b->doc, len, &r, &e);
        if (rc != -1 || e.line != b->line || e.column != b->col || !strstr(e.msg, b->msg)) {
            print_error("case %zu: rc=%d %d:%d \"%s\" (want %d:%d \"%s\")\n", k, rc, e.line,
                        e.column, e.msg, b->line, b->col, b->msg);
            fail();
        }
        assert_true(e.offset <= len);
    }
}

static void test_error_offset(void **state)
{
    seam_json_error e;
    const char *d = "{\"a\":[1,2,]}";
    assert_int_equal(scan(d, NULL, &e), -1);
    assert_int_equal(e.offset, 9); /* the comma */
    assert_int_equal(scan("{\"a\":1", NULL, &e), -1);
    assert_int_equal(e.offset, 6);
    assert_string_equal(e.msg, "unexpected end of input");
}

/* One special byte at every position of a long string: the 16- and 8-byte
 * skipping must stop exactly there. */
static void test_special_at_every_position(void **state)
{
    char doc[128], val[80];
    seam_json_error e;
    seam_openai_req r;
    for (int k = 0; k < 70; k++) {
        memset(val, 'a', sizeof val);
        /* control character: error column names it */
        val[k] = '\x01';
        snprintf(doc, sizeof doc, "{\"model\":\"%.*s\"}", 75, val);
        assert_int_equal(scan(doc, &r, &e), -1);
        assert_int_equal(e.column, 11 + k);
        assert_string_equal(e.msg, "control character in string (must be escaped)");
        val[k] = 'a';
        /* the closing quote: span ends there */
        snprintf(doc, sizeof doc, "{\"model\":\"%.*s\"}", k, val);
        assert_int_equal(scan(doc, &r, NULL), 0);
        assert_int_equal(r.model.len, (size_t)k);
        assert_false(r.model_escaped);
        /* an escape and a 2-byte character */
        snprintf(doc, sizeof doc, "{\"model\":\"%.*s\\n\xc3\xa9%.*s\"}", k, val, 10, val);
        assert_int_equal(scan(doc, &r, NULL), 0);
        assert_int_equal(r.model.len, (size_t)k + 14);
        assert_true(r.model_escaped);
        /* a broken 2-byte character */
        snprintf(doc, sizeof doc, "{\"model\":\"%.*s\xc3%.*s\"}", k, val, 10, val);
        assert_int_equal(scan(doc, &r, &e), -1);
        assert_int_equal(e.offset, 10 + (size_t)k);
    }
}

static void test_depth_limit(void **state)
{
    char doc[300];
    seam_json_error e;
    size_t n = 0;
    /* the object plus 63 arrays: 64 levels, accepted */
    n += (size_t)snprintf(doc, sizeof doc, "{\"a\":");
    for (int k = 0; k < 63; k++)
        doc[n++] = '[';
    for (int k = 0; k < 63; k++)
        doc[n++] = ']';
    doc[n++] = '}';
    assert_int_equal(seam_openai_scan_request(doc, n, NULL, &e), 0);
    /* one more: rejected at the 65th opener */
    n = (size_t)snprintf(doc, sizeof doc, "{\"a\":");
    for (int k = 0; k < 64; k++)
        doc[n++] = '[';
    assert_int_equal(seam_openai_scan_request(doc, n, NULL, &e), -1);
    /* the object is level 1, so the 64th '[' (k = 63) would be level 65 */
    assert_int_equal(e.offset, 5 + 63);
    assert_non_null(strstr(e.msg, "nesting deeper than 64"));
    /* depth inside stream_options and usage counts too */
    n = (size_t)snprintf(doc, sizeof doc, "{\"stream_options\":{\"x\":");
    for (int k = 0; k < 63; k++)
        doc[n++] = '[';
    assert_int_equal(seam_openai_scan_request(doc, n, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "nesting deeper"));
    seam_usage u;
    n = (size_t)snprintf(doc, sizeof doc, "{\"usage\":{\"x\":");
    for (int k = 0; k < 62; k++)
        doc[n++] = '[';
    for (int k = 0; k < 62; k++)
        doc[n++] = ']';
    n += (size_t)snprintf(doc + n, sizeof doc - n, ",\"total_tokens\":3}}");
    assert_int_equal(seam_json_find_usage(doc, n, &u), 0);
    assert_int_equal(u.total_tokens, 3);
    n = (size_t)snprintf(doc, sizeof doc, "{\"usage\":{\"x\":");
    for (int k = 0; k < 63; k++)
        doc[n++] = '[';
    for (int k = 0; k < 63; k++)
        doc[n++] = ']';
    n += (size_t)snprintf(doc + n, sizeof doc - n, "}}");
    assert_int_equal(seam_json_find_usage(doc, n, &u), -1);
}

static void test_valid_strings_and_numbers(void **state)
{
    static const char *const ok[] = {
        "{\"a\":-0}",
        "{\"a\":0}",
        "{\"a\":-0.0e-0}",
        "{\"a\":1e5}",
        "{\"a\":1E+5}",
        "{\"a\":-1.5e-10}",
        "{\"a\":123456789012345678901234567890}",
        "{\"a\":1e400}",
        "{\"a\":[0,1,-1,10.25]}",
        "{\"a\":\"\\u00e9\\uD83D\\uDE00\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\"}",
        "{\"a\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\xef\xbf\xbf\xed\x9f\xbf\"}",
        "{\"a\":\"\x7f\"}",
        "{\"\":\"\",\"b\":[],\"c\":{},\"d\":[[],{}],\"e\":true,\"f\":false,\"g\":null}",
        " {\"a\" : [ 1 , { \"b\" : null } ] } ",
    };
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
        seam_json_error e;
        if (scan(ok[k], NULL, &e) != 0) {
            print_error("case %zu: %s at %d:%d\n", k, e.msg, e.line, e.column);
            fail();
        }
    }
}

static void test_validate_any_value(void **state)
{
    seam_json_error e;
    assert_int_equal(seam_json_validate("[1,2]", 5, &e), 0);
    assert_int_equal(seam_json_validate(" \"x\" ", 5, &e), 0);
    assert_int_equal(seam_json_validate("-1.5", 4, &e), 0);
    assert_int_equal(seam_json_validate("null", 4, &e), 0);
    assert_int_equal(seam_json_validate("", 0, &e), -1);
    assert_string_equal(e.msg, "unexpected end of input");
    assert_int_equal(seam_json_validate("1 2", 3, &e), -1);
    assert_int_equal(e.column, 3);
    assert_int_equal(seam_json_validate("[1,]", 4, NULL), -1);
    /* found by fuzz_request: jansson loads this (it stops at the NUL); JSON
     * has no NUL outside strings, nor a raw one inside */
    assert_int_equal(seam_json_validate("false\0", 6, &e), -1);
    assert_string_equal(e.msg, "unexpected data after the JSON value");
    assert_int_equal(seam_json_validate("\"a\0\"", 4, &e), -1);
}

/* ---- usage ---- */

static int usage(const char *s, seam_usage *u)
{
    return seam_json_find_usage(s, strlen(s), u);
}

static void test_usage_completion(void **state)
{
    seam_usage u;
    const char *d =
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
        "\"message\":{\"role\":\"assistant\",\"content\":\"usage: none\",\"usage\":{"
        "\"prompt_tokens\":999}},\"finish_reason\":\"stop\"}],"
        "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":5,\"total_tokens\":17,"
        "\"completion_tokens_details\":{\"reasoning_tokens\":0}}}";
    assert_int_equal(usage(d, &u), 0);
    assert_int_equal(u.prompt_tokens, 12);
    assert_int_equal(u.completion_tokens, 5);
    assert_int_equal(u.total_tokens, 17);
    assert_int_equal(u.cached_tokens, 0);
}

static void test_usage_chunk_null_and_absent(void **state)
{
    seam_usage u;
    assert_int_equal(usage("{\"id\":\"c\",\"choices\":[{\"delta\":{\"content\":\"Hi\"}}],"
                           "\"usage\":null}",
                           &u),
                     1);
    assert_int_equal(u.prompt_tokens, 0);
    assert_int_equal(usage("{\"choices\":[]}", &u), 1);
    assert_int_equal(usage("{\"usage\":{}}", &u), 1);
    assert_int_equal(usage("{\"usage\":{\"prompt_tokens\":\"12\"}}", &u), 1);
    assert_int_equal(usage("{\"usage\":[1,2]}", &u), 1);
    assert_int_equal(usage("[{\"usage\":{\"total_tokens\":1}}]", &u), 1);
    assert_int_equal(usage("\"usage\"", &u), 1);
    /* repeated: the last one wins */
    assert_int_equal(usage("{\"usage\":{\"total_tokens\":5},\"usage\":null}", &u), 1);
    assert_int_equal(u.total_tokens, 0);
    assert_int_equal(usage("{\"usage\":null,\"usage\":{\"total_tokens\":5}}", &u), 0);
    assert_int_equal(u.total_tokens, 5);
    assert_int_equal(usage("{\"usage\":{\"total_tokens\":5,\"total_tokens\":\"x\"}}", &u), 1);
    assert_int_equal(u.total_tokens, 0);
}

static void test_usage_cached(void **state)
{
    seam_usage u;
    const char *d =
        "{\n  \"usage\": {\n    \"prompt_tokens\": 2006,\n    \"completion_tokens\": 300,\n"
        "    \"total_tokens\": 2306,\n    \"prompt_tokens_details\": {\n"
        "      \"cached_tokens\": 1920, \"audio_tokens\": 0\n    }\n  },\n"
        "  \"choices\": [{\"delta\": {}}]\n}\n";
    assert_int_equal(usage(d, &u), 0);
    assert_int_equal(u.prompt_tokens, 2006);
    assert_int_equal(u.completion_tokens, 300);
    assert_int_equal(u.total_tokens, 2306);
    assert_int_equal(u.cached_tokens, 1920);
    /* cached alone is a count */
    assert_int_equal(usage("{\"usage\":{\"prompt_tokens_details\":{\"cached_tokens\":7}}}", &u), 0);
    assert_int_equal(u.cached_tokens, 7);
    assert_int_equal(usage("{\"usage\":{\"prompt_tokens_details\":{\"cached_tokens\":7},"
                           "\"prompt_tokens_details\":null}}",
                           &u),
                     1);
    assert_int_equal(u.cached_tokens, 0);
}

static void test_usage_numbers(void **state)
{
    seam_usage u;
    assert_int_equal(usage("{\"usage\":{\"prompt_tokens\":1.5,\"completion_tokens\":-3,"
                           "\"total_tokens\":1e3}}",
                           &u),
                     1);
    assert_int_equal(u.prompt_tokens, 0);
    assert_int_equal(u.completion_tokens, 0);
    assert_int_equal(u.total_tokens, 0);
    assert_int_equal(usage("{\"usage\":{\"total_tokens\":99999999999999999999999}}", &u), 0);
    assert_int_equal(u.total_tokens, LONG_MAX);
    assert_int_equal(usage("{\"usage\":{\"total_tokens\":0}}", &u), 0);
    assert_int_equal(u.total_tokens, 0);
}

static void test_usage_invalid(void **state)
{
    seam_usage u;
    assert_int_equal(usage("", &u), -1);
    assert_int_equal(usage("{\"usage\":{\"total_tokens\":5}", &u), -1);
    assert_int_equal(usage("{\"usage\":{\"total_tokens\":5}},", &u), -1);
    assert_int_equal(usage("{\"usage\":{\"total_tokens\":05}}", &u), -1);
    assert_int_equal(usage("{\"usage\":{\"total_tokens\":5}, \"x\":\"\\q\"}", &u), -1);
    assert_int_equal(usage("{\"usage\":{\"prompt_tokens_details\":{\"cached_tokens\":1,}}}", &u),
                     -1);
    assert_int_equal(usage("{\"usage\":", &u), -1);
    assert_int_equal(usage("[1,]", &u), -1);
    assert_int_equal(usage("data: {}", &u), -1);
}

/* ---- unescape ---- */

static void test_unescape(void **state)
{
    char out[32];
    assert_int_equal(seam_json_unescape("hello", 5, out, sizeof out), 5);
    assert_string_equal(out, "hello");
    assert_int_equal(seam_json_unescape("", 0, out, 1), 0);
    assert_string_equal(out, "");
    const char *e1 = "caf\\u00e9";
    assert_int_equal(seam_json_unescape(e1, strlen(e1), out, sizeof out), 5);
    assert_string_equal(out, "caf\xc3\xa9");
    const char *e2 = "\\ud83d\\ude00!";
    assert_int_equal(seam_json_unescape(e2, strlen(e2), out, sizeof out), 5);
    assert_string_equal(out, "\xf0\x9f\x98\x80!");
    const char *e3 = "\\\"\\\\\\/\\b\\f\\n\\r\\t";
    assert_int_equal(seam_json_unescape(e3, strlen(e3), out, sizeof out), 8);
    assert_string_equal(out, "\"\\/\b\f\n\r\t");
    const char *e4 = "\\u20AC\\u0041\\u07ff";
    assert_int_equal(seam_json_unescape(e4, strlen(e4), out, sizeof out), 6);
    assert_string_equal(out, "\xe2\x82\xac"
                             "A\xdf\xbf");
    const char *e5 = "a\\u0000b";
    assert_int_equal(seam_json_unescape(e5, strlen(e5), out, sizeof out), 3);
    assert_memory_equal(out, "a\0b", 4);
    assert_int_equal(seam_json_unescape("\xc3\xa9", 2, out, sizeof out), 2);
    assert_string_equal(out, "\xc3\xa9");
}

static void test_unescape_overflow(void **state)
{
    char out[8];
    memset(out, 'X', sizeof out);
    /* 7 bytes need 8 with the NUL */
    assert_int_equal(seam_json_unescape("abcdefg", 7, out, 8), 7);
    assert_int_equal(seam_json_unescape("abcdefgh", 8, out, 8), -1);
    assert_int_equal(seam_json_unescape("abc", 3, out, 3), -1);
    assert_int_equal(seam_json_unescape("abc", 3, out, 0), -1);
    /* a multi-byte result that would straddle the end */
    assert_int_equal(seam_json_unescape("abcdef\\u00e9", 12, out, 8), -1);
    assert_int_equal(seam_json_unescape("abcd\\u00e9", 10, out, 8), 6);
    assert_int_equal(seam_json_unescape("abcd\\ud83d\\ude00", 16, out, 8), -1);
    assert_int_equal(seam_json_unescape("abc\\ud83d\\ude00", 15, out, 8), 7);
    assert_int_equal(seam_json_unescape("abcdef\xc3\xa9", 8, out, 8), -1);
    /* out is written only within outcap */
    char big[40];
    memset(big, 'Z', sizeof big);
    assert_int_equal(seam_json_unescape("0123456789abcdefghijklmnop", 26, big, 20), -1);
    assert_int_equal(big[20], 'Z');
}

static void test_unescape_invalid(void **state)
{
    char out[32];
    static const char *const bad[] = {
        "\\x",  "\\",   "a\"b",  "\\ud800",      "\\udc00",        "\\u12",    "\\u12g4",
        "a\nb", "\xc3", "\xc3(", "\xed\xa0\x80", "\\ud800\\u0041", "\\ud800x", "\xc0\x80",
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        if (seam_json_unescape(bad[k], strlen(bad[k]), out, sizeof out) != -1) {
            print_error("case %zu accepted\n", k);
            fail();
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chat_request_fields),
        cmocka_unit_test(test_minimal_and_absent),
        cmocka_unit_test(test_nested_model_ignored),
        cmocka_unit_test(test_escaped_model),
        cmocka_unit_test(test_duplicate_keys_last_wins),
        cmocka_unit_test(test_field_types),
        cmocka_unit_test(test_invalid_documents),
        cmocka_unit_test(test_error_offset),
        cmocka_unit_test(test_special_at_every_position),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_valid_strings_and_numbers),
        cmocka_unit_test(test_validate_any_value),
        cmocka_unit_test(test_usage_completion),
        cmocka_unit_test(test_usage_chunk_null_and_absent),
        cmocka_unit_test(test_usage_cached),
        cmocka_unit_test(test_usage_numbers),
        cmocka_unit_test(test_usage_invalid),
        cmocka_unit_test(test_unescape),
        cmocka_unit_test(test_unescape_overflow),
        cmocka_unit_test(test_unescape_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
