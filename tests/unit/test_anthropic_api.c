/* test_anthropic_api.c — the Anthropic Messages API on top of OpenAI chat
 * completions: requests, replies, streams, errors, count_tokens.
 * Fixtures: tests/unit/data/anthropic_api/ (see its README.md); every output
 * is parsed with jansson and compared as JSON values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/anthropic.h"

#define DATA_DIR "tests/unit/data/anthropic_api/"
#define OUT_MAX  (1u << 20)

/* ---- helpers ---- */

static char *read_fixture(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "%s%s", DATA_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s (run the test from the project root)", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    p[n] = '\0';
    fclose(f);
    if (len) *len = (size_t)n;
    return p;
}

static json_t *parse(const char *p, size_t n)
{
    json_error_t je;
    json_t *v = json_loadb(p, n, JSON_DECODE_ANY, &je);
    if (!v) fail_msg("not JSON (%s): %.*s", je.text, (int)n, p);
    return v;
}

/* Fails with both documents printed unless they are equal as JSON values. */
static void assert_json_eq(const json_t *got, const json_t *want)
{
    if (json_equal((json_t *)got, (json_t *)want)) return;
    char *g = json_dumps(got, JSON_SORT_KEYS | JSON_INDENT(1));
    char *w = json_dumps(want, JSON_SORT_KEYS | JSON_INDENT(1));
    print_error("got:\n%s\nwant:\n%s\n", g, w);
    free(g);
    free(w);
    fail();
}

static void assert_json_text_eq(const char *got, size_t n, const char *want)
{
    json_t *g = parse(got, n), *w = parse(want, strlen(want));
    assert_json_eq(g, w);
    json_decref(g);
    json_decref(w);
}

/* Translates a request; asserts success; returns the parsed OpenAI body. */
static json_t *translate_ok(const char *body, int *stream)
{
    seam_buf out;
    seam_buf_init(&out, OUT_MAX);
    char err[256] = "";
    int rc = seam_anthropic_request_to_openai(body, strlen(body), &out, stream, err, sizeof err);
    if (rc) fail_msg("rc %d: %s", rc, err);
    json_t *v = parse(out.data, out.len);
    seam_buf_free(&out);
    return v;
}

/* Translates a request that must be refused; checks the 400 message. */
static void assert_refused(const char *body, const char *want)
{
    seam_buf out;
    seam_buf_init(&out, OUT_MAX);
    seam_buf_append_str(&out, "keep");
    char err[256] = "";
    int stream = 7;
    int rc = seam_anthropic_request_to_openai(body, strlen(body), &out, &stream, err, sizeof err);
    /* a body that is not JSON has its own code (the gateway's invalid_json) */
    int want_rc = strstr(want, "not valid JSON") ? SEAM_ANTHROPIC_EJSON : -1;
    if (rc != want_rc) fail_msg("expected %d for %s, got %d", want_rc, body, rc);
    if (strcmp(err, want)) fail_msg("body %s\n got error: %s\nwant error: %s", body, err, want);
    assert_int_equal(out.len, 4); /* out untouched */
    assert_string_equal(out.data, "keep");
    assert_int_equal(stream, 7);
    seam_buf_free(&out);
}

static void check_request_fixture(const char *name, int want_stream)
{
    char a[128], o[128];
    snprintf(a, sizeof a, "%s.anthropic.json", name);
    snprintf(o, sizeof o, "%s.openai.json", name);
    char *in = read_fixture(a, NULL);
    size_t wn;
    char *want = read_fixture(o, &wn);
    int stream = -1;
    json_t *got = translate_ok(in, &stream);
    json_t *w = parse(want, wn);
    assert_json_eq(got, w);
    assert_int_equal(stream, want_stream);
    json_decref(got);
    json_decref(w);
    free(in);
    free(want);
}

static json_t *response_ok(const char *body, const char *model)
{
    seam_buf out;
    seam_buf_init(&out, OUT_MAX);
    int rc = seam_anthropic_response_from_openai_model(body, strlen(body), model, &out);
    if (rc) fail_msg("rc %d for %s", rc, body);
    json_t *v = parse(out.data, out.len);
    seam_buf_free(&out);
    return v;
}

static void check_response_fixture(const char *name, const char *model)
{
    char a[128], o[128];
    snprintf(o, sizeof o, "%s.openai.json", name);
    snprintf(a, sizeof a, "%s.anthropic.json", name);
    char *in = read_fixture(o, NULL);
    size_t wn;
    char *want = read_fixture(a, &wn);
    json_t *got = response_ok(in, model), *w = parse(want, wn);
    assert_json_eq(got, w);
    json_decref(got);
    json_decref(w);
    free(in);
    free(want);
}

/* Splits Anthropic SSE text into [[name, data], ...], checking the framing and
 * that each data's "type" is the event name. */
static json_t *parse_events(const char *p, size_t n)
{
    json_t *list = json_array();
    const char *end = p + n;
    while (p < end) {
        if (strncmp(p, "event: ", 7)) fail_msg("expected 'event: ' at: %.60s", p);
        p += 7;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        assert_non_null(nl);
        json_t *name = json_stringn(p, (size_t)(nl - p));
        p = nl + 1;
        if (strncmp(p, "data: ", 6)) fail_msg("expected 'data: ' at: %.60s", p);
        p += 6;
        const char *stop = strstr(p, "\n\n");
        assert_non_null(stop);
        assert_null(memchr(p, '\n', (size_t)(stop - p))); /* one data line */
        json_t *data = parse(p, (size_t)(stop - p));
        assert_string_equal(json_string_value(json_object_get(data, "type")),
                            json_string_value(name));
        json_array_append_new(list, json_pack("[o,o]", name, data));
        p = stop + 2;
    }
    return list;
}

/* The next non-empty line of *p (NUL-terminated in place), or NULL. */
static char *next_line(char **p)
{
    while (**p == '\n')
        (*p)++;
    if (!**p) return NULL;
    char *line = *p, *nl = strchr(line, '\n');
    if (nl) {
        *nl = '\0';
        *p = nl + 1;
    } else {
        *p = line + strlen(line);
    }
    return line;
}

/* Feeds each line of an .openai.txt fixture as one SSE event's data. */
static void feed_lines(seam_anthropic_stream *s, char *text, seam_buf *out)
{
    for (char *line; (line = next_line(&text));) {
        int rc = seam_anthropic_stream_event(s, line, strlen(line), out);
        if (rc) fail_msg("rc %d for event %s", rc, line);
    }
}

/* The expected events of an .anthropic.txt fixture ("NAME JSON" lines). */
static json_t *expected_events(const char *name)
{
    char *text = read_fixture(name, NULL);
    json_t *list = json_array();
    char *cur = text;
    for (char *line; (line = next_line(&cur));) {
        char *sp = strchr(line, ' ');
        assert_non_null(sp);
        json_array_append_new(
            list, json_pack("[s%,o]", line, (size_t)(sp - line), parse(sp + 1, strlen(sp + 1))));
    }
    free(text);
    return list;
}

static json_t *run_stream_fixture(const char *name, const char *model)
{
    char o[128], a[128];
    snprintf(o, sizeof o, "%s.openai.txt", name);
    snprintf(a, sizeof a, "%s.anthropic.txt", name);
    char *in = read_fixture(o, NULL);
    seam_anthropic_stream *s = seam_anthropic_stream_new(model);
    assert_non_null(s);
    seam_buf out;
    seam_buf_init(&out, OUT_MAX);
    feed_lines(s, in, &out);
    assert_true(seam_anthropic_stream_done(s));
    json_t *got = parse_events(out.data, out.len), *want = expected_events(a);
    assert_json_eq(got, want);
    json_decref(want);
    seam_buf_free(&out);
    seam_anthropic_stream_free(s);
    free(in);
    return got;
}

/* ---- requests ---- */

static void test_request_text(void **state)
{
    check_request_fixture("req_text", 0);
}

static void test_request_system_string(void **state)
{
    check_request_fixture("req_system_string", 0);
}

static void test_request_system_blocks(void **state)
{
    check_request_fixture("req_system_blocks", 0);
}

static void test_request_multi_turn(void **state)
{
    check_request_fixture("req_multi_turn", 0);
}

static void test_request_images(void **state)
{
    check_request_fixture("req_image", 0);
}

static void test_request_tool_definitions(void **state)
{
    check_request_fixture("req_tools", 0);
}

static void test_request_tool_calls_and_results(void **state)
{
    check_request_fixture("req_tool_result", 0);
}

static void test_request_parallel_calls(void **state)
{
    check_request_fixture("req_parallel", 0);
}

static void test_request_tool_result_image(void **state)
{
    check_request_fixture("req_tool_result_image", 0);
}

static void test_request_params(void **state)
{
    check_request_fixture("req_params", 1);
}

static void test_request_tool_choice(void **state)
{
    static const char *const tools =
        "\"tools\":[{\"name\":\"f\",\"input_schema\":{\"type\":\"object\"}}]";
    static const struct {
        const char *choice;
        const char *want; /* tool_choice in the OpenAI body, or NULL when absent */
        int parallel;     /* parallel_tool_calls: -1 absent, 0 false */
    } cases[] = {
        {"{\"type\":\"auto\"}", "\"auto\"", -1},
        {"{\"type\":\"auto\",\"disable_parallel_tool_use\":true}", "\"auto\"", 0},
        {"{\"type\":\"any\"}", "\"required\"", -1},
        {"{\"type\":\"tool\",\"name\":\"f\",\"disable_parallel_tool_use\":true}",
         "{\"type\":\"function\",\"function\":{\"name\":\"f\"}}", 0},
        {"{\"type\":\"tool\",\"name\":\"f\",\"disable_parallel_tool_use\":false}",
         "{\"type\":\"function\",\"function\":{\"name\":\"f\"}}", -1},
        {"{\"type\":\"none\"}", "\"none\"", -1},
        {"{\"type\":\"none\",\"disable_parallel_tool_use\":true}", "\"none\"", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[512];
        snprintf(body, sizeof body,
                 "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":"
                 "\"hi\"}],%s,\"tool_choice\":%s}",
                 tools, cases[i].choice);
        json_t *got = translate_ok(body, NULL);
        json_t *want = parse(cases[i].want, strlen(cases[i].want));
        assert_json_eq(json_object_get(got, "tool_choice"), want);
        json_t *pt = json_object_get(got, "parallel_tool_calls");
        if (cases[i].parallel < 0)
            assert_null(pt);
        else
            assert_true(json_is_false(pt));
        json_decref(want);
        json_decref(got);
    }
    /* auto and none without tools mean nothing and are dropped */
    json_t *got = translate_ok("{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\","
                               "\"content\":\"hi\"}],\"tool_choice\":{\"type\":\"auto\"}}",
                               NULL);
    assert_null(json_object_get(got, "tool_choice"));
    assert_null(json_object_get(got, "tools"));
    json_decref(got);
}

static void test_request_sampling_params(void **state)
{
    int stream = -1;
    json_t *got = translate_ok("{\"model\":\"m\",\"max_tokens\":77,\"temperature\":0.7,\"top_p\":1,"
                               "\"stop_sequences\":[],\"stream\":false,\"metadata\":{},"
                               "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                               &stream);
    assert_int_equal(stream, 0);
    assert_int_equal(json_integer_value(json_object_get(got, "max_tokens")), 77);
    assert_true(json_number_value(json_object_get(got, "temperature")) == 0.7);
    assert_true(json_number_value(json_object_get(got, "top_p")) == 1.0);
    assert_null(json_object_get(got, "stop"));   /* empty: omitted */
    assert_null(json_object_get(got, "stream")); /* false: OpenAI's default */
    assert_null(json_object_get(got, "stream_options"));
    assert_null(json_object_get(got, "user"));
    json_decref(got);

    /* null optional fields read as absent */
    got = translate_ok("{\"model\":\"m\",\"max_tokens\":1,\"temperature\":null,\"system\":null,"
                       "\"tools\":null,\"stream\":null,\"messages\":[{\"role\":\"user\","
                       "\"content\":\"hi\"}]}",
                       &stream);
    assert_null(json_object_get(got, "temperature"));
    assert_int_equal(json_array_size(json_object_get(got, "messages")), 1);
    json_decref(got);

    /* the model string is copied as is, whatever it names */
    got = translate_ok("{\"model\":\"route/chat \\u00e9 v2\",\"max_tokens\":1,\"messages\":[{"
                       "\"role\":\"user\",\"content\":\"hi\"}]}",
                       NULL);
    assert_string_equal(json_string_value(json_object_get(got, "model")), "route/chat \xc3\xa9 v2");
    json_decref(got);
}

static void test_request_refusals(void **state)
{
#define M1   "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"
#define BASE "\"model\":\"m\",\"max_tokens\":10,"
    static const struct {
        const char *body, *err;
    } cases[] = {
        {"[1]", "request body must be a JSON object"},
        {"{\"model\":\"m\",\"max_tokens\":10," M1 ",}",
         "request body is not valid JSON: trailing comma before '}' (line 1, column 73)"},
        {"{" BASE M1 ",\"top_logprobs\":2}", "top_logprobs: not supported"},
        {"{\"max_tokens\":10," M1 "}", "model: must be a non-empty string"},
        {"{\"model\":\"m\"," M1 "}", "max_tokens: field required"},
        {"{\"model\":\"m\",\"max_tokens\":0," M1 "}",
         "max_tokens: must be an integer of at least 1"},
        {"{\"model\":\"m\",\"max_tokens\":\"9\"," M1 "}",
         "max_tokens: must be an integer of at least 1"},
        {"{" BASE "\"messages\":[]}", "messages: at least one message is required"},
        {"{" BASE "\"messages\":{}}", "messages: must be an array"},
        {"{" BASE "\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}",
         "messages[0].role: must be 'user' or 'assistant'"},
        {"{" BASE "\"messages\":[{\"role\":\"user\",\"content\":5}]}",
         "messages[0].content: must be a string or an array of content blocks"},
        {"{" BASE "\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\","
         "\"content\":\"b\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":"
         "\"c\"},{\"type\":\"document\",\"source\":{\"type\":\"text\",\"media_type\":"
         "\"text/plain\",\"data\":\"d\"}}]}]}",
         "messages[2].content[1].type: 'document' blocks are not supported"},
        {"{" BASE "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"search_result\","
         "\"source\":\"s\",\"title\":\"t\",\"content\":[]}]}]}",
         "messages[0].content[0].type: 'search_result' blocks are not supported"},
        {"{" BASE "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"container_upload\","
         "\"file_id\":\"f\"}]}]}",
         "messages[0].content[0].type: 'container_upload' blocks are not supported"},
        {"{" BASE "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\","
         "\"tool_use_id\":\"t\",\"content\":[{\"type\":\"document\",\"source\":{}}]}]}]}",
         "messages[0].content[0].content[0].type: 'document' blocks are not supported"},
        {"{" BASE "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_use\",\"id\":"
         "\"t\",\"name\":\"n\",\"input\":{}}]}]}",
         "messages[0].content[0].type: 'tool_use' blocks belong in assistant messages"},
        {"{" BASE "\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\","
         "\"content\":[{\"type\":\"server_tool_use\",\"id\":\"s\",\"name\":\"web_search\","
         "\"input\":{}}]},{\"role\":\"user\",\"content\":\"b\"}]}",
         "messages[1].content[0].type: 'server_tool_use' blocks are not supported here"},
        {"{" BASE "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]}",
         "messages[0].content[0].text: must be a string"},
        {"{" BASE "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{"
         "\"type\":\"file\",\"file_id\":\"file_01\"}}]}]}",
         "messages[0].content[0].source.type: 'file' sources (the Files API) are not supported"},
        {"{" BASE "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{"
         "\"type\":\"base64\",\"data\":\"xx\"}}]}]}",
         "messages[0].content[0].source: base64 images need string media_type and data"},
        {"{" BASE "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\"}]}]}",
         "messages[0].content[0].tool_use_id: must be a string"},
        {"{" BASE "\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\","
         "\"content\":\"Sure, here is\"}]}",
         "messages[1]: a final assistant message (prefill) is not supported: the model would "
         "answer it, not continue it"},
        {"{" BASE M1 ",\"system\":[{\"type\":\"image\"}]}", "system[0].type: must be 'text'"},
        {"{" BASE M1 ",\"system\":7}", "system: must be a string or an array of text blocks"},
        {"{" BASE M1 ",\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":2048}}",
         "thinking: extended thinking ('enabled') is not supported"},
        {"{" BASE M1 ",\"tools\":[{\"type\":\"web_search_20250305\",\"name\":\"web_search\"}]}",
         "tools[0].type: 'web_search_20250305' is a server tool, which is not supported (only "
         "custom tools)"},
        {"{" BASE M1 ",\"tools\":[{\"name\":\"f\",\"input_schema\":{},\"defer_loading\":true}]}",
         "tools[0].defer_loading: not supported"},
        {"{" BASE M1 ",\"tools\":[{\"name\":\"f\"}]}", "tools[0].input_schema: must be an object"},
        {"{" BASE M1 ",\"tools\":[{\"input_schema\":{}}]}", "tools[0].name: must be a string"},
        {"{" BASE M1 ",\"tool_choice\":{\"type\":\"any\"}}", "tool_choice: type 'any' needs tools"},
        {"{" BASE M1 ",\"tools\":[{\"name\":\"f\",\"input_schema\":{}}],\"tool_choice\":{\"type\":"
         "\"tool\"}}",
         "tool_choice.name: must be a string"},
        {"{" BASE M1 ",\"tools\":[{\"name\":\"f\",\"input_schema\":{}}],\"tool_choice\":{\"type\":"
         "\"sometimes\"}}",
         "tool_choice.type: must be 'auto', 'any', 'tool' or 'none'"},
        {"{" BASE M1 ",\"mcp_servers\":[{\"type\":\"url\",\"url\":\"https://x\",\"name\":\"x\"}]}",
         "mcp_servers: the MCP connector is not supported"},
        {"{" BASE M1 ",\"context_management\":{\"edits\":[]}}",
         "context_management: not supported"},
        {"{" BASE M1 ",\"temperature\":\"hot\"}", "temperature: must be a number"},
        {"{" BASE M1 ",\"top_k\":1.5}", "top_k: must be a non-negative integer"},
        {"{" BASE M1 ",\"stop_sequences\":[\"a\",3]}", "stop_sequences[1]: must be a string"},
        {"{" BASE M1 ",\"metadata\":{\"user_id\":12}}", "metadata.user_id: must be a string"},
        {"{" BASE M1 ",\"stream\":\"yes\"}", "stream: must be a boolean"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_refused(cases[i].body, cases[i].err);
#undef M1
#undef BASE
}

static void test_request_dropped_fields(void **state)
{
    /* fields that cannot change the answer are dropped, not refused */
    json_t *got = translate_ok(
        "{\"model\":\"m\",\"max_tokens\":10,\"service_tier\":\"standard_only\",\"container\":\"c\","
        "\"cache_control\":{\"type\":\"ephemeral\"},\"mcp_servers\":[],\"metadata\":{\"user_id\":"
        "null,\"other\":1},\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
        "\"text\":\"hi\",\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"1h\"},\"citations\":"
        "null}]}]}",
        NULL);
    json_t *want =
        parse("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
              "\"max_tokens\":10}",
              strlen("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                     "\"max_tokens\":10}"));
    assert_json_eq(got, want);
    json_decref(want);
    json_decref(got);
}

static void test_request_output_too_big(void **state)
{
    const char *body =
        "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":"
        "\"a long enough message\"}]}";
    seam_buf out;
    seam_buf_init(&out, 40);
    seam_buf_append_str(&out, "x");
    char err[128];
    assert_int_equal(
        seam_anthropic_request_to_openai(body, strlen(body), &out, NULL, err, sizeof err),
        SEAM_ANTHROPIC_EOUT);
    assert_string_equal(err, "the translated request does not fit in 40 bytes");
    assert_int_equal(out.len, 1);
    seam_buf_free(&out);
}

/* Translates a request and returns the OpenAI body's text (free it). */
static char *translate_text(const char *body)
{
    seam_buf out;
    seam_buf_init(&out, OUT_MAX);
    char err[256] = "";
    int rc = seam_anthropic_request_to_openai(body, strlen(body), &out, NULL, err, sizeof err);
    if (rc) fail_msg("rc %d: %s", rc, err);
    return out.data;
}

static void test_request_escapes_pass_through(void **state)
{
    /* escaped keys, types and roles are read decoded; escaped text is copied
     * as the client wrote it, and decodes to the same value */
    const char *body =
        "{\"mod\\u0065l\":\"m\",\"max_tokens\":10,\"system\":[{\"type\":\"t\\u0065xt\",\"text\":"
        "\"caf\\u00e9 \\\"q\\\"\"}],\"messages\":[{\"role\":\"\\u0075ser\",\"content\":[{\"type\":"
        "\"text\",\"text\":\"a\\nb \\/ \\ud83d\\ude00\"}]},{\"role\":\"assistant\",\"content\":[{"
        "\"type\":\"text\",\"text\":\"x\\ty\"},{\"type\":\"tool_use\",\"id\":\"t\\u0031\",\"name\":"
        "\"f\",\"input\":{ \"q\" : \"a b\\\"c\" , \"n\" : [1, 2] }}]},{\"role\":\"user\","
        "\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t\\u0031\",\"is_error\":true,"
        "\"content\":[{\"type\":\"text\",\"text\":\"\\u0062ad\"}]}]}]}";
    char *text = translate_text(body);
    assert_non_null(strstr(text, "caf\\u00e9 \\\"q\\\""));
    assert_non_null(strstr(text, "\\ud83d\\ude00"));
    json_t *got = parse(text, strlen(text));
    json_t *want = json_loads(
        "{\"model\":\"m\",\"messages\":["
        "{\"role\":\"system\",\"content\":\"caf\\u00e9 \\\"q\\\"\"},"
        "{\"role\":\"user\",\"content\":\"a\\nb / \\ud83d\\ude00\"},"
        "{\"role\":\"assistant\",\"content\":\"x\\ty\",\"tool_calls\":[{\"id\":\"t1\",\"type\":"
        "\"function\",\"function\":{\"name\":\"f\",\"arguments\":"
        "\"{\\\"q\\\":\\\"a b\\\\\\\"c\\\",\\\"n\\\":[1,2]}\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"t1\",\"content\":\"Error: bad\"}],"
        "\"max_tokens\":10}",
        0, NULL);
    assert_non_null(want);
    assert_json_eq(got, want);
    json_decref(want);
    json_decref(got);
    free(text);
}

static void test_request_numbers_as_written(void **state)
{
    char *text = translate_text(
        "{\"model\":\"m\",\"max_tokens\":1024,\"temperature\":0.70,\"top_p\":1e-1,\"top_k\":40,"
        "\"tools\":[{\"name\":\"f\",\"input_schema\":{\"maximum\":1.50E+2}}],"
        "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assert_non_null(strstr(text, "\"max_tokens\":1024"));
    assert_non_null(strstr(text, "\"temperature\":0.70"));
    assert_non_null(strstr(text, "\"top_p\":1e-1"));
    assert_non_null(strstr(text, "\"top_k\":40"));
    assert_non_null(strstr(text, "\"maximum\":1.50E+2"));
    free(text);
}

static void test_request_joined_texts(void **state)
{
    /* "\n\n" goes between texts once some text was written: an empty first
     * block adds nothing, an empty middle one keeps its separator */
    json_t *got = translate_ok(
        "{\"model\":\"m\",\"max_tokens\":1,\"system\":[{\"type\":\"text\",\"text\":\"\"},{\"type\":"
        "\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":\"\"},{\"type\":\"text\",\"text\":"
        "\"b\"}],\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\","
        "\"content\":[{\"type\":\"thinking\",\"thinking\":\"t\",\"signature\":\"s\"}]},{\"role\":"
        "\"user\",\"content\":[]}]}",
        NULL);
    json_t *want =
        json_loads("{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":"
                   "\"a\\n\\n\\n\\nb\"},{\"role\":\"user\",\"content\":\"hi\"},{\"role\":"
                   "\"assistant\",\"content\":\"\"},{\"role\":\"user\",\"content\":\"\"}],"
                   "\"max_tokens\":1}",
                   0, NULL);
    assert_json_eq(got, want);
    json_decref(want);
    json_decref(got);
}

/* ---- replies ---- */

static void test_response_text(void **state)
{
    /* the client's model name is repeated, as Anthropic's API does */
    check_response_fixture("resp_text", "claude-sonnet-4-5");
}

static void test_response_tool_call(void **state)
{
    /* model NULL: the upstream's name */
    check_response_fixture("resp_tool", NULL);
    char *in = read_fixture("resp_tool.openai.json", NULL);
    seam_buf out;
    seam_buf_init(&out, OUT_MAX);
    assert_int_equal(seam_anthropic_response_from_openai(in, strlen(in), &out), 0);
    json_t *got = parse(out.data, out.len);
    assert_string_equal(json_string_value(json_object_get(got, "model")), "gpt-4o-mini");
    json_decref(got);
    seam_buf_free(&out);
    free(in);
}

static void test_response_parallel_calls_cached_usage(void **state)
{
    check_response_fixture("resp_parallel_cached", NULL);
}

static const char *stop_of(const char *finish, const char *extra)
{
    static char reason[32];
    char body[512];
    snprintf(body, sizeof body,
             "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{"
             "\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"x\"%s},"
             "\"finish_reason\":%s}]}",
             extra, finish);
    json_t *got = response_ok(body, NULL);
    snprintf(reason, sizeof reason, "%s", json_string_value(json_object_get(got, "stop_reason")));
    assert_true(json_is_null(json_object_get(got, "stop_sequence")));
    json_decref(got);
    return reason;
}

static void test_response_stop_reasons(void **state)
{
    assert_string_equal(stop_of("\"stop\"", ""), "end_turn");
    assert_string_equal(stop_of("\"length\"", ""), "max_tokens");
    assert_string_equal(stop_of("\"tool_calls\"", ""), "tool_use");
    assert_string_equal(stop_of("\"function_call\"", ""), "tool_use");
    assert_string_equal(stop_of("\"content_filter\"", ""), "refusal");
    assert_string_equal(stop_of("null", ""), "end_turn");
    assert_string_equal(stop_of("\"something_new\"", ""), "end_turn");
    /* servers that say "stop" next to tool calls: clients act on tool_use only */
    assert_string_equal(stop_of("\"stop\"", ",\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\","
                                            "\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]"),
                        "tool_use");
    /* a cut-off call stays max_tokens */
    assert_string_equal(stop_of("\"length\"",
                                ",\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\","
                                "\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\"}}]"),
                        "max_tokens");
    assert_string_equal(stop_of("\"stop\"", ",\"refusal\":\"I can't help with that.\""), "refusal");
    assert_string_equal(seam_anthropic_stop_reason(NULL), "end_turn");
}

static void test_response_edge_cases(void **state)
{
    /* a refusal becomes a text block; unparseable arguments become {} */
    json_t *got = response_ok(
        "{\"id\":\"gen-77\",\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
        "\"assistant\",\"content\":null,\"refusal\":\"No.\",\"tool_calls\":[{\"type\":\"function\","
        "\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":\"}}]},\"finish_reason\":\"stop\"}"
        "]}",
        "claude-x");
    json_t *want = json_loads(
        "{\"id\":\"msg_gen-77\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-x\","
        "\"content\":[{\"type\":\"text\",\"text\":\"No.\"},{\"type\":\"tool_use\",\"id\":"
        "\"toolu_gen-77_0\",\"name\":\"f\",\"input\":{}}],\"stop_reason\":\"refusal\","
        "\"stop_sequence\":null,\"usage\":{\"input_tokens\":0,\"output_tokens\":0}}",
        0, NULL);
    assert_json_eq(got, want);
    json_decref(want);
    json_decref(got);

    /* empty content and text parts; choice 0 is picked by its index */
    got = response_ok("{\"object\":\"chat.completion\",\"choices\":[{\"index\":1,\"message\":{"
                      "\"content\":\"other\"}},{\"index\":0,\"message\":{\"content\":[{\"type\":"
                      "\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]},"
                      "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,"
                      "\"completion_tokens\":2,\"prompt_tokens_details\":{\"cached_tokens\":9}}}",
                      NULL);
    assert_string_equal(json_string_value(json_object_get(got, "id")), "msg_seam");
    json_t *blocks = json_object_get(got, "content");
    assert_int_equal(json_array_size(blocks), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(blocks, 0), "text")),
                        "ab");
    json_t *usage = json_object_get(got, "usage");
    assert_int_equal(json_integer_value(json_object_get(usage, "input_tokens")), 0); /* not < 0 */
    assert_int_equal(json_integer_value(json_object_get(usage, "cache_read_input_tokens")), 9);
    json_decref(got);

    got = response_ok("{\"choices\":[{\"message\":{\"content\":\"\"},\"finish_reason\":\"stop\"}]}",
                      NULL);
    assert_int_equal(json_array_size(json_object_get(got, "content")), 0);
    json_decref(got);

    /* not a chat.completion */
    static const char *const bad[] = {
        "",
        "[]",
        "{}",
        "{\"object\":\"chat.completion.chunk\",\"choices\":[{\"message\":{}}]}",
        "{\"choices\":[]}",
        "{\"choices\":[{\"delta\":{}}]}",
        "{\"error\":{\"message\":\"x\"}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        seam_buf out;
        seam_buf_init(&out, OUT_MAX);
        assert_int_equal(seam_anthropic_response_from_openai(bad[i], strlen(bad[i]), &out), -1);
        assert_int_equal(out.len, 0);
        seam_buf_free(&out);
    }
    /* out too small */
    seam_buf out;
    seam_buf_init(&out, 20);
    const char *ok = "{\"choices\":[{\"message\":{\"content\":\"hello\"}}]}";
    assert_int_equal(seam_anthropic_response_from_openai(ok, strlen(ok), &out),
                     SEAM_ANTHROPIC_EOUT);
    assert_int_equal(out.len, 0);
    seam_buf_free(&out);
}

static void test_response_escapes(void **state)
{
    /* escaped text is copied as it is; the arguments are JSON inside a string */
    const char *body =
        "{\"id\":\"chatcmpl-\\u0041B\",\"model\":\"up\\u002d1\",\"choices\":[{\"index\":0,"
        "\"message\":{\"content\":\"caf\\u00e9\\n\\\"q\\\"\",\"tool_calls\":[{\"type\":"
        "\"function\",\"function\":{\"name\":\"f\\u0031\",\"arguments\":\"{ \\\"a\\\" : "
        "\\\"x\\\\\\\"y\\\\u00e9\\\" }\"}}]},\"finish_reason\":\"tool_calls\"}],\"usage\":{"
        "\"prompt_tokens\":10,\"completion_tokens\":2}}";
    seam_buf out;
    seam_buf_init(&out, OUT_MAX);
    assert_int_equal(seam_anthropic_response_from_openai(body, strlen(body), &out), 0);
    assert_non_null(strstr(out.data, "caf\\u00e9\\n\\\"q\\\""));
    json_t *got = parse(out.data, out.len);
    json_t *want = json_loads(
        "{\"id\":\"msg_AB\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"up-1\","
        "\"content\":[{\"type\":\"text\",\"text\":\"caf\\u00e9\\n\\\"q\\\"\"},{\"type\":"
        "\"tool_use\",\"id\":\"toolu_AB_0\",\"name\":\"f1\",\"input\":{\"a\":\"x\\\"y\\u00e9\"}}],"
        "\"stop_reason\":\"tool_use\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":10,"
        "\"output_tokens\":2}}",
        0, NULL);
    assert_non_null(want);
    assert_json_eq(got, want);
    json_decref(want);
    json_decref(got);
    seam_buf_free(&out);
}

/* ---- streams ---- */

static void test_stream_text_then_tool_call(void **state)
{
    json_t *events = run_stream_fixture("stream_text_tool", "claude-sonnet-4-5");
    /* the partial_json pieces reassemble to the arguments OpenAI streamed */
    seam_buf args;
    seam_buf_init(&args, 4096);
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev)
    {
        json_t *delta = json_object_get(json_array_get(ev, 1), "delta");
        const char *pj = json_string_value(json_object_get(delta, "partial_json"));
        if (pj) {
            assert_int_equal(json_integer_value(json_object_get(json_array_get(ev, 1), "index")),
                             1);
            seam_buf_append_str(&args, pj);
        }
    }
    assert_string_equal(args.data, "{\"location\":\"Paris, France\"}");
    json_t *input = json_loads(args.data, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(input, "location")), "Paris, France");
    json_decref(input);
    seam_buf_free(&args);
    json_decref(events);
}

static void test_stream_parallel_calls(void **state)
{
    json_decref(run_stream_fixture("stream_parallel", NULL));
}

static void test_stream_interleaved_calls(void **state)
{
    json_decref(run_stream_fixture("stream_interleaved", NULL));
}

/* Feeds the events and returns the parsed Anthropic events. */
static json_t *stream_of(const char *model, const char *const *events, size_t n)
{
    seam_anthropic_stream *s = seam_anthropic_stream_new(model);
    seam_buf out;
    seam_buf_init(&out, OUT_MAX);
    for (size_t i = 0; i < n; i++) {
        int rc = seam_anthropic_stream_event(s, events[i], strlen(events[i]), &out);
        if (rc) fail_msg("rc %d for %s", rc, events[i]);
    }
    json_t *list = parse_events(out.data, out.len);
    seam_buf_free(&out);
    seam_anthropic_stream_free(s);
    return list;
}

static const char *ev_name(json_t *list, size_t i)
{
    return json_string_value(json_array_get(json_array_get(list, i), 0));
}

static json_t *ev_data(json_t *list, size_t i)
{
    return json_array_get(json_array_get(list, i), 1);
}

static void test_stream_stop_reasons_and_usage(void **state)
{
    static const struct {
        const char *finish, *stop;
    } cases[] = {
        {"\"stop\"", "end_turn"},       {"\"length\"", "max_tokens"},
        {"\"tool_calls\"", "tool_use"}, {"\"content_filter\"", "refusal"},
        {"null", "end_turn"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char fin[256];
        snprintf(fin, sizeof fin,
                 "{\"id\":\"chatcmpl-s\",\"choices\":[{\"index\":0,\"delta\":{},"
                 "\"finish_reason\":%s}]}",
                 cases[i].finish);
        const char *evs[] = {
            "{\"id\":\"chatcmpl-s\",\"model\":\"up\",\"choices\":[{\"index\":0,\"delta\":{"
            "\"content\":\"hi\"},\"finish_reason\":null}]}",
            fin,
            "{\"id\":\"chatcmpl-s\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,"
            "\"completion_tokens\":3,\"total_tokens\":15}}",
            " [DONE] \n",
        };
        json_t *list = stream_of(NULL, evs, 4);
        assert_int_equal(json_array_size(list), 7);
        assert_string_equal(ev_name(list, 5), "message_delta");
        json_t *md = ev_data(list, 5);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(md, "delta"), "stop_reason")),
            cases[i].stop);
        json_t *want = json_loads("{\"input_tokens\":12,\"output_tokens\":3}", 0, NULL);
        assert_json_eq(json_object_get(md, "usage"), want);
        json_decref(want);
        /* the upstream's model when the client's is not given */
        assert_string_equal(json_string_value(json_object_get(
                                json_object_get(ev_data(list, 0), "message"), "model")),
                            "up");
        json_decref(list);
    }
}

static void test_stream_usage_in_first_chunk_and_refusal(void **state)
{
    const char *evs[] = {
        "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}],\"usage\":{"
        "\"prompt_tokens\":40,\"completion_tokens\":0,\"prompt_tokens_details\":{\"cached_tokens\":"
        "32}}}",
        "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"refusal\":\"I can't\"}}]}",
        "{\"id\":\"x\",\"choices\":[{\"index\":1,\"delta\":{\"content\":\"other choice\"}}]}",
        "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"hmm\"},"
        "\"finish_reason\":\"stop\"}]}",
        "[DONE]",
    };
    json_t *list = stream_of("claude", evs, 5);
    const char *names[] = {
        "message_start",      "ping",          "content_block_start", "content_block_delta",
        "content_block_stop", "message_delta", "message_stop"};
    assert_int_equal(json_array_size(list), 7);
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(ev_name(list, i), names[i]);
    json_t *msg = json_object_get(ev_data(list, 0), "message");
    assert_string_equal(json_string_value(json_object_get(msg, "id")), "msg_x");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(msg, "usage"), "input_tokens")), 8);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(ev_data(list, 3), "delta"), "text")),
        "I can't");
    json_t *md = ev_data(list, 5);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(md, "delta"), "stop_reason")), "refusal");
    json_t *want = json_loads("{\"input_tokens\":8,\"cache_read_input_tokens\":32,"
                              "\"output_tokens\":0}",
                              0, NULL);
    assert_json_eq(json_object_get(md, "usage"), want);
    json_decref(want);
    json_decref(list);
}

static void test_stream_text_after_tool_and_late_name(void **state)
{
    /* a tool call whose name comes in its second piece waits for it; text that
     * follows a finished call opens a new block */
    const char *evs[] = {
        "{\"id\":\"t\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
        "\"function\":{\"arguments\":\"{\\\"q\\\":\"}}]}}]}",
        "{\"id\":\"t\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
        "\"function\":{\"name\":\"search\",\"arguments\":\"1}\"}}]}}]}",
        "{\"id\":\"t\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
        "\"function\":{\"arguments\":\"  \"}}]}}]}",
        "{\"id\":\"t\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"done\"}}]}",
        "[DONE]",
    };
    json_t *list = stream_of(NULL, evs, 5);
    const char *want =
        "[[\"message_start\",{\"type\":\"message_start\",\"message\":{\"id\":\"msg_t\",\"type\":"
        "\"message\",\"role\":\"assistant\",\"model\":\"\",\"content\":[],\"stop_reason\":null,"
        "\"stop_sequence\":null,\"usage\":{\"input_tokens\":0,\"output_tokens\":0}}}],"
        "[\"ping\",{\"type\":\"ping\"}],"
        "[\"content_block_start\",{\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
        "{\"type\":\"tool_use\",\"id\":\"toolu_t_0\",\"name\":\"search\",\"input\":{}}}],"
        "[\"content_block_delta\",{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{"
        "\"type\":"
        "\"input_json_delta\",\"partial_json\":\"{\\\"q\\\":1}\"}}],"
        "[\"content_block_delta\",{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{"
        "\"type\":"
        "\"input_json_delta\",\"partial_json\":\"  \"}}],"
        "[\"content_block_stop\",{\"type\":\"content_block_stop\",\"index\":0}],"
        "[\"content_block_start\",{\"type\":\"content_block_start\",\"index\":1,\"content_block\":"
        "{\"type\":\"text\",\"text\":\"\"}}],"
        "[\"content_block_delta\",{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{"
        "\"type\":"
        "\"text_delta\",\"text\":\"done\"}}],"
        "[\"content_block_stop\",{\"type\":\"content_block_stop\",\"index\":1}],"
        "[\"message_delta\",{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\","
        "\"stop_sequence\":null},\"usage\":{\"output_tokens\":0}}],"
        "[\"message_stop\",{\"type\":\"message_stop\"}]]";
    json_t *w = json_loads(want, 0, NULL);
    assert_non_null(w);
    assert_json_eq(list, w);
    json_decref(w);
    json_decref(list);
}

static void test_stream_calls_sharing_index_zero(void **state)
{
    /* servers that send each whole call as index 0, told apart by their ids */
    const char *evs[] = {
        "{\"id\":\"z\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
        "\"id\":\"call_1\",\"function\":{\"name\":\"a\",\"arguments\":\"{\\\"n\\\":1}\"}}]}}]}",
        "{\"id\":\"z\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
        "\"id\":\"call_2\",\"function\":{\"name\":\"b\",\"arguments\":\"{\\\"n\\\":2}\"}}]}}]}",
        "{\"id\":\"z\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}",
        "[DONE]",
    };
    json_t *list = stream_of(NULL, evs, 4);
    static const char *const names[] = {
        "message_start",       "ping",
        "content_block_start", "content_block_delta",
        "content_block_stop",  "content_block_start",
        "content_block_delta", "content_block_stop",
        "message_delta",       "message_stop",
    };
    assert_int_equal(json_array_size(list), 10);
    for (size_t i = 0; i < 10; i++)
        assert_string_equal(ev_name(list, i), names[i]);
    json_t *b0 = json_object_get(ev_data(list, 2), "content_block");
    json_t *b1 = json_object_get(ev_data(list, 5), "content_block");
    assert_int_equal(json_integer_value(json_object_get(ev_data(list, 5), "index")), 1);
    assert_string_equal(json_string_value(json_object_get(b0, "id")), "call_1");
    assert_string_equal(json_string_value(json_object_get(b1, "id")), "call_2");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(ev_data(list, 6), "delta"), "partial_json")),
                        "{\"n\":2}");
    /* "stop" with tool calls reads as tool_use */
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(ev_data(list, 8), "delta"), "stop_reason")),
                        "tool_use");
    json_decref(list);
}

static void test_stream_done_without_chunks_and_finish(void **state)
{
    const char *evs[] = {"[DONE]"};
    json_t *list = stream_of("claude", evs, 1);
    assert_int_equal(json_array_size(list), 4);
    assert_string_equal(ev_name(list, 0), "message_start");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(ev_data(list, 0), "message"), "id")),
        "msg_seam");
    assert_string_equal(ev_name(list, 2), "message_delta");
    assert_string_equal(ev_name(list, 3), "message_stop");
    json_decref(list);

    /* seam_anthropic_stream_finish: the upstream ended without [DONE] */
    seam_anthropic_stream *s = seam_anthropic_stream_new(NULL);
    seam_buf out;
    seam_buf_init(&out, OUT_MAX);
    const char *chunk = "{\"id\":\"f\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}";
    assert_int_equal(seam_anthropic_stream_event(s, chunk, strlen(chunk), &out), 0);
    assert_false(seam_anthropic_stream_done(s));
    assert_int_equal(seam_anthropic_stream_finish(s, &out), 0);
    assert_true(seam_anthropic_stream_done(s));
    list = parse_events(out.data, out.len);
    assert_int_equal(json_array_size(list), 7);
    assert_string_equal(ev_name(list, 4), "content_block_stop");
    assert_string_equal(ev_name(list, 6), "message_stop");
    json_decref(list);
    /* after message_stop: nothing more, and no error event */
    size_t len = out.len;
    assert_int_equal(seam_anthropic_stream_event(s, chunk, strlen(chunk), &out), 0);
    assert_int_equal(seam_anthropic_stream_event(s, "[DONE]", 6, &out), 0);
    assert_int_equal(seam_anthropic_stream_error(s, 502, "late", &out), -1);
    assert_int_equal(out.len, len);
    seam_buf_free(&out);
    seam_anthropic_stream_free(s);
    seam_anthropic_stream_free(NULL);
}

static void test_stream_escapes(void **state)
{
    /* pieces are copied as the upstream escaped them; a waiting call's
     * pieces, kept decoded, come out escaped again */
    const char *evs[] = {
        "{\"id\":\"chatcmpl-\\u0065s\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
        "\"a\\\"b\\n\\u00e9\"}}]}",
        "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":"
        "\"c\\u0031\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"q\\\":\\\"\\\\\\\"\"}},"
        "{\"index\":1,\"id\":\"c2\",\"function\":{\"name\":\"g\",\"arguments\":\"{\\\"r\\\":"
        "\\\"\\\\u00e9\\\"}\"}}]}}]}",
        "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
        "\"function\":{\"arguments\":\"\\\"}\"}}]}}]}",
        "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
        "\"function\":{\"arguments\":\"\\n\\u0020\"}}]},\"finish_reason\":\"tool_calls\"}]}",
        "[DONE]",
    };
    json_t *list = stream_of(NULL, evs, 5);
    const char *want =
        "[[\"message_start\",{\"type\":\"message_start\",\"message\":{\"id\":\"msg_es\",\"type\":"
        "\"message\",\"role\":\"assistant\",\"model\":\"\",\"content\":[],\"stop_reason\":null,"
        "\"stop_sequence\":null,\"usage\":{\"input_tokens\":0,\"output_tokens\":0}}}],"
        "[\"ping\",{\"type\":\"ping\"}],"
        "[\"content_block_start\",{\"type\":\"content_block_start\",\"index\":0,"
        "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}],"
        "[\"content_block_delta\",{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{"
        "\"type\":\"text_delta\",\"text\":\"a\\\"b\\n\\u00e9\"}}],"
        "[\"content_block_stop\",{\"type\":\"content_block_stop\",\"index\":0}],"
        "[\"content_block_start\",{\"type\":\"content_block_start\",\"index\":1,"
        "\"content_block\":{\"type\":\"tool_use\",\"id\":\"c1\",\"name\":\"f\",\"input\":{}}}],"
        "[\"content_block_delta\",{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{"
        "\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"q\\\":\\\"\\\\\\\"\"}}],"
        "[\"content_block_delta\",{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{"
        "\"type\":\"input_json_delta\",\"partial_json\":\"\\\"}\"}}],"
        "[\"content_block_stop\",{\"type\":\"content_block_stop\",\"index\":1}],"
        "[\"content_block_start\",{\"type\":\"content_block_start\",\"index\":2,"
        "\"content_block\":{\"type\":\"tool_use\",\"id\":\"c2\",\"name\":\"g\",\"input\":{}}}],"
        "[\"content_block_delta\",{\"type\":\"content_block_delta\",\"index\":2,\"delta\":{"
        "\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"r\\\":\\\"\\\\u00e9\\\"}\"}}],"
        "[\"content_block_stop\",{\"type\":\"content_block_stop\",\"index\":2}],"
        "[\"message_delta\",{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\","
        "\"stop_sequence\":null},\"usage\":{\"output_tokens\":0}}],"
        "[\"message_stop\",{\"type\":\"message_stop\"}]]";
    json_t *w = json_loads(want, 0, NULL);
    assert_non_null(w);
    assert_json_eq(list, w);
    json_decref(w);
    json_decref(list);

    /* an error object's escaped message */
    const char *err[] = {"{\"error\":{\"message\":\"bad \\\"x\\\"\\n\",\"code\":429}}"};
    list = stream_of(NULL, err, 1);
    json_t *e = json_object_get(ev_data(list, 0), "error");
    assert_string_equal(json_string_value(json_object_get(e, "message")), "bad \"x\"\n");
    assert_string_equal(json_string_value(json_object_get(e, "type")), "rate_limit_error");
    json_decref(list);
}

static void test_stream_errors(void **state)
{
    /* the gateway reports a failure midway */
    seam_anthropic_stream *s = seam_anthropic_stream_new("claude");
    seam_buf out;
    seam_buf_init(&out, OUT_MAX);
    const char *chunk = "{\"id\":\"e\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}";
    assert_int_equal(seam_anthropic_stream_event(s, chunk, strlen(chunk), &out), 0);
    assert_int_equal(seam_anthropic_stream_error(s, 503, "upstream \"gpu-1\" reset", &out), 0);
    json_t *list = parse_events(out.data, out.len);
    size_t last = json_array_size(list) - 1;
    assert_string_equal(ev_name(list, last), "error");
    json_t *want = json_loads("{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                              "\"message\":\"upstream \\\"gpu-1\\\" reset\"}}",
                              0, NULL);
    assert_json_eq(ev_data(list, last), want);
    json_decref(want);
    json_decref(list);
    size_t len = out.len;
    assert_int_equal(seam_anthropic_stream_event(s, "[DONE]", 6, &out), 0);
    assert_int_equal(seam_anthropic_stream_error(s, 500, "again", &out), 0);
    assert_int_equal(out.len, len);
    assert_false(seam_anthropic_stream_done(s));
    seam_anthropic_stream_free(s);
    seam_buf_reset(&out);

    /* an OpenAI error object inside the stream */
    const char *evs[] = {
        chunk,
        "{\"error\":{\"message\":\"The server had an error while processing your request.\","
        "\"type\":\"server_error\",\"code\":null}}",
    };
    list = stream_of(NULL, evs, 2);
    last = json_array_size(list) - 1;
    assert_string_equal(ev_name(list, last), "error");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(ev_data(list, last), "error"), "type")),
        "api_error");
    json_decref(list);

    /* an event it cannot read: -1, out untouched, the stream is spent */
    s = seam_anthropic_stream_new(NULL);
    assert_int_equal(seam_anthropic_stream_event(s, chunk, strlen(chunk), &out), 0);
    len = out.len;
    assert_int_equal(seam_anthropic_stream_event(s, "{\"choices\":[{\"index\":0,", 23, &out), -1);
    assert_int_equal(out.len, len);
    assert_int_equal(seam_anthropic_stream_event(s, chunk, strlen(chunk), &out), -1);
    assert_int_equal(seam_anthropic_stream_finish(s, &out), -1);
    assert_int_equal(seam_anthropic_stream_error(s, 502, "bad upstream event", &out), 0);
    list = parse_events(out.data, out.len);
    assert_string_equal(ev_name(list, json_array_size(list) - 1), "error");
    json_decref(list);
    seam_anthropic_stream_free(s);
    seam_buf_reset(&out);

    /* a piece of a call whose block is closed cannot be placed */
    const char *t0 =
        "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
        "\"id\":\"a\",\"function\":{\"name\":\"a\",\"arguments\":\"{}\"}}]}}]}";
    const char *t1 =
        "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,"
        "\"id\":\"b\",\"function\":{\"name\":\"b\",\"arguments\":\"{}\"}}]}}]}";
    const char *t0late = "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{"
                         "\"index\":0,\"function\":{\"arguments\":\"x\"}}]}}]}";
    s = seam_anthropic_stream_new(NULL);
    assert_int_equal(seam_anthropic_stream_event(s, t0, strlen(t0), &out), 0);
    assert_int_equal(seam_anthropic_stream_event(s, t1, strlen(t1), &out), 0);
    assert_int_equal(seam_anthropic_stream_event(s, t0late, strlen(t0late), &out), -1);
    seam_anthropic_stream_free(s);

    /* out too small: EOUT, out untouched */
    seam_buf small;
    seam_buf_init(&small, 64);
    s = seam_anthropic_stream_new(NULL);
    assert_int_equal(seam_anthropic_stream_event(s, chunk, strlen(chunk), &small),
                     SEAM_ANTHROPIC_EOUT);
    assert_int_equal(small.len, 0);
    seam_anthropic_stream_free(s);
    seam_buf_free(&small);
    seam_buf_free(&out);
}

static void test_stream_buffer_cap(void **state)
{
    /* a waiting call's pieces are capped by SEAM_ANTHROPIC_STREAM_MAX */
    seam_anthropic_stream *s = seam_anthropic_stream_new(NULL);
    seam_buf out;
    seam_buf_init(&out, 64u << 20);
    const char *open =
        "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":"
        "\"a\",\"function\":{\"name\":\"a\",\"arguments\":\"{\\\"x\\\":\"}},{\"index\":"
        "1,\"id\":\"b\",\"function\":{\"name\":\"b\"}}]}}]}";
    assert_int_equal(seam_anthropic_stream_event(s, open, strlen(open), &out), 0);
    size_t piece = 1u << 20;
    char *big = malloc(piece + 200);
    int n = snprintf(big, 200,
                     "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,"
                     "\"function\":{\"arguments\":\"");
    memset(big + n, 'a', piece);
    memcpy(big + n + piece, "\"}}]}}]}", sizeof "\"}}]}}]}");
    int rc = 0;
    for (int i = 0; i < 9 && !rc; i++)
        rc = seam_anthropic_stream_event(s, big, strlen(big), &out);
    assert_int_equal(rc, -1);
    free(big);
    seam_buf_free(&out);
    seam_anthropic_stream_free(s);
}

/* ---- errors ---- */

static void test_error_types(void **state)
{
    static const struct {
        int status;
        const char *type;
    } cases[] = {
        {400, "invalid_request_error"},
        {401, "authentication_error"},
        {403, "permission_error"},
        {404, "not_found_error"},
        {413, "request_too_large"},
        {429, "rate_limit_error"},
        {500, "api_error"},
        {502, "api_error"},
        {503, "overloaded_error"},
        {504, "api_error"},
        {529, "overloaded_error"},
        {405, "invalid_request_error"},
        {422, "invalid_request_error"},
        {599, "api_error"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_string_equal(seam_anthropic_error_type(cases[i].status), cases[i].type);
        seam_buf b;
        seam_buf_init(&b, 4096);
        assert_int_equal(seam_anthropic_error_json(&b, cases[i].status, "went \"wrong\"\n"), 0);
        json_t *got = parse(b.data, b.len);
        json_t *want = json_pack("{s:s, s:{s:s, s:s}}", "type", "error", "error", "type",
                                 cases[i].type, "message", "went \"wrong\"\n");
        assert_json_eq(got, want);
        json_decref(got);
        json_decref(want);
        seam_buf_free(&b);
    }
    seam_buf b;
    seam_buf_init(&b, 20);
    seam_buf_append_str(&b, "abc");
    assert_int_equal(seam_anthropic_error_json(&b, 400, "too long for this buffer"),
                     SEAM_ANTHROPIC_EOUT);
    assert_string_equal(b.data, "abc");
    seam_buf_free(&b);
}

static void test_error_from_openai(void **state)
{
    static const struct {
        int status;
        const char *body, *want;
    } cases[] = {
        {401,
         "{\"error\":{\"message\":\"Incorrect API key provided: sk-abc. You can find your API key "
         "at https://platform.openai.com/account/api-keys.\",\"type\":\"invalid_request_error\","
         "\"param\":null,\"code\":\"invalid_api_key\"}}",
         "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"Incorrect "
         "API key provided: sk-abc. You can find your API key at "
         "https://platform.openai.com/account/api-keys.\"}}"},
        {429,
         "{\"error\":{\"message\":\"Rate limit reached for gpt-4o\",\"type\":\"requests\","
         "\"param\":null,\"code\":\"rate_limit_exceeded\"}}",
         "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Rate limit "
         "reached for gpt-4o\"}}"},
        {400,
         "{\"object\":\"error\",\"message\":\"This model's maximum context length is 8192 "
         "tokens.\","
         "\"type\":\"BadRequestError\",\"param\":null,\"code\":400}",
         "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"This "
         "model's maximum context length is 8192 tokens.\"}}"},
        {404, "{\"error\":\"model 'llama9' not found\"}",
         "{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\",\"message\":\"model 'llama9' "
         "not found\"}}"},
        {422, "{\"detail\":\"Input validation error\"}",
         "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"Input "
         "validation error\"}}"},
        {502, "<html>Bad Gateway</html>",
         "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"upstream returned "
         "HTTP "
         "502\"}}"},
        {503, "",
         "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"upstream "
         "returned HTTP 503\"}}"},
        {500, "{\"error\":{\"message\":\"caf\\u00e9 \\\"down\\\"\\n\"}}",
         "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"caf\\u00e9 "
         "\\\"down\\\"\\n\"}}"},
        {400, "{\"error\":{\"type\":\"x\"},\"message\":\"m\",\"detail\":\"d\"}",
         "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":"
         "\"m\"}}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        seam_buf b;
        seam_buf_init(&b, 4096);
        assert_int_equal(seam_anthropic_error_from_openai(cases[i].status, cases[i].body,
                                                          strlen(cases[i].body), &b),
                         0);
        assert_json_text_eq(b.data, b.len, cases[i].want);
        seam_buf_free(&b);
    }
}

/* ---- count_tokens ---- */

static long count(const char *body)
{
    seam_buf out;
    seam_buf_init(&out, 4096);
    char err[256] = "";
    int rc = seam_anthropic_count_tokens(body, strlen(body), &out, err, sizeof err);
    if (rc) fail_msg("rc %d: %s", rc, err);
    json_t *v = parse(out.data, out.len);
    assert_int_equal(json_object_size(v), 1);
    long n = (long)json_integer_value(json_object_get(v, "input_tokens"));
    json_decref(v);
    seam_buf_free(&out);
    return n;
}

static void test_count_tokens(void **state)
{
    /* "Hello, world" = 12 characters -> 3 */
    assert_int_equal(count("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
                           "\"Hello, world\"}]}"),
                     3);
    /* system "abcd" + "Hello" = 9 -> ceil(9/4) = 3; characters, not bytes: "héllo" is 5 */
    assert_int_equal(count("{\"model\":\"m\",\"system\":[{\"type\":\"text\",\"text\":\"abcd\"}],"
                           "\"messages\":[{\"role\":\"user\",\"content\":\"h\\u00e9llo\"}]}"),
                     3);
    /* a tool: name (1) + description (4) + schema {"type":"object"} (17) + text (2) = 24 -> 6 */
    assert_int_equal(count("{\"model\":\"m\",\"tools\":[{\"name\":\"f\",\"description\":\"desc\","
                           "\"input_schema\":{\"type\":\"object\"}}],\"messages\":[{\"role\":"
                           "\"user\",\"content\":\"hi\"}]}"),
                     6);
    /* tool use (name 1 + {"a":1} 7) and result (2), an image at a flat rate, and a
     * final assistant message (fine to count) "ok" (2): 12 -> 3, + 1600 */
    assert_int_equal(
        count("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
              "\"image\",\"source\":{\"type\":\"url\",\"url\":\"https://x/y.png\"}}]},"
              "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t\","
              "\"name\":\"f\",\"input\":{\"a\":1}}]},{\"role\":\"user\",\"content\":[{"
              "\"type\":\"tool_result\",\"tool_use_id\":\"t\",\"content\":\"42\"}]},"
              "{\"role\":\"assistant\",\"content\":\"ok\"}]}"),
        3 + SEAM_ANTHROPIC_IMAGE_TOKENS);

    /* tool schemas and inputs count as compact JSON that escapes only what
     * it must: {"description":"a\nb \"q\" \u0001 é 😀 /"}
     * (41) + name (1) + "hi" (2) = 44 -> 11 */
    assert_int_equal(count("{\"model\":\"m\",\"tools\":[{\"name\":\"f\",\"input_schema\":{"
                           "\"description\" : \"a\\u000ab \\\"q\\\" \\u0001 \\u00e9 "
                           "\\ud83d\\ude00 \\/\"}}],\"messages\":[{\"role\":\"user\",\"content\":"
                           "\"hi\"}]}"),
                     11);

    /* validated as a Messages request, without max_tokens */
    seam_buf out;
    seam_buf_init(&out, 4096);
    char err[256];
    const char *bad = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
                      "\"document\",\"source\":{}}]}]}";
    assert_int_equal(seam_anthropic_count_tokens(bad, strlen(bad), &out, err, sizeof err), -1);
    assert_string_equal(err, "messages[0].content[0].type: 'document' blocks are not supported");
    bad = "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
    assert_int_equal(seam_anthropic_count_tokens(bad, strlen(bad), &out, err, sizeof err), -1);
    assert_string_equal(err, "model: must be a non-empty string");
    /* not JSON at all: its own code, so the gateway need not validate first */
    bad = "{\"model\":\"m\",\n \"messages\": [}";
    assert_int_equal(seam_anthropic_count_tokens(bad, strlen(bad), &out, err, sizeof err),
                     SEAM_ANTHROPIC_EJSON);
    assert_non_null(strstr(err, "request body is not valid JSON: "));
    assert_non_null(strstr(err, "(line 2, column"));
    assert_int_equal(
        seam_anthropic_request_to_openai(bad, strlen(bad), &out, NULL, err, sizeof err),
        SEAM_ANTHROPIC_EJSON);
    assert_non_null(strstr(err, "request body is not valid JSON: "));
    assert_int_equal(out.len, 0);
    seam_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_text),
        cmocka_unit_test(test_request_system_string),
        cmocka_unit_test(test_request_system_blocks),
        cmocka_unit_test(test_request_multi_turn),
        cmocka_unit_test(test_request_images),
        cmocka_unit_test(test_request_tool_definitions),
        cmocka_unit_test(test_request_tool_calls_and_results),
        cmocka_unit_test(test_request_parallel_calls),
        cmocka_unit_test(test_request_tool_result_image),
        cmocka_unit_test(test_request_params),
        cmocka_unit_test(test_request_tool_choice),
        cmocka_unit_test(test_request_sampling_params),
        cmocka_unit_test(test_request_refusals),
        cmocka_unit_test(test_request_dropped_fields),
        cmocka_unit_test(test_request_output_too_big),
        cmocka_unit_test(test_request_escapes_pass_through),
        cmocka_unit_test(test_request_numbers_as_written),
        cmocka_unit_test(test_request_joined_texts),
        cmocka_unit_test(test_response_text),
        cmocka_unit_test(test_response_tool_call),
        cmocka_unit_test(test_response_parallel_calls_cached_usage),
        cmocka_unit_test(test_response_stop_reasons),
        cmocka_unit_test(test_response_edge_cases),
        cmocka_unit_test(test_response_escapes),
        cmocka_unit_test(test_stream_text_then_tool_call),
        cmocka_unit_test(test_stream_parallel_calls),
        cmocka_unit_test(test_stream_interleaved_calls),
        cmocka_unit_test(test_stream_stop_reasons_and_usage),
        cmocka_unit_test(test_stream_usage_in_first_chunk_and_refusal),
        cmocka_unit_test(test_stream_text_after_tool_and_late_name),
        cmocka_unit_test(test_stream_calls_sharing_index_zero),
        cmocka_unit_test(test_stream_done_without_chunks_and_finish),
        cmocka_unit_test(test_stream_escapes),
        cmocka_unit_test(test_stream_errors),
        cmocka_unit_test(test_stream_buffer_cap),
        cmocka_unit_test(test_error_types),
        cmocka_unit_test(test_error_from_openai),
        cmocka_unit_test(test_count_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
