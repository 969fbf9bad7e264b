/* test_mock_reply.c — the mock vendor's replies, read back as a client would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <time.h>

#include "providers/mock_reply.h"
#include "providers/provider.h"

/* ---- helpers ---- */

static seam_mock_opts echo_on(void)
{
    seam_mock_opts o = {.echo = 1, .fail_rate = 0, .rng = 1};
    return o;
}

static void plan_chat(const char *req, seam_mock_opts *o, seam_mock_plan *p)
{
    assert_int_equal(seam_mock_plan_chat(req, strlen(req), o, p), 0);
}

static json_t *parse_body(const seam_mock_plan *p)
{
    json_error_t err;
    json_t *j = json_loadb(p->body.data, p->body.len, 0, &err);
    if (!j) fail_msg("body is not JSON (%s): %.*s", err.text, (int)p->body.len, p->body.data);
    return j;
}

static const char *sget(json_t *j, const char *path)
{
    /* dotted path with numeric array indexes: "choices.0.message.content" */
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = j;
    for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && cur;
         tok = strtok_r(NULL, ".", &save)) {
        if (json_is_array(cur))
            cur = json_array_get(cur, strtoul(tok, NULL, 10));
        else
            cur = json_object_get(cur, tok);
    }
    return json_string_value(cur);
}

static json_t *jget(json_t *j, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = j;
    for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && cur;
         tok = strtok_r(NULL, ".", &save)) {
        if (json_is_array(cur))
            cur = json_array_get(cur, strtoul(tok, NULL, 10));
        else
            cur = json_object_get(cur, tok);
    }
    return cur;
}

static long long iget(json_t *j, const char *path)
{
    json_t *v = jget(j, path);
    if (!json_is_integer(v)) fail_msg("%s is not an integer", path);
    return json_integer_value(v);
}

/* The events of a stream plan as parsed chunks; [DONE] is checked and left out. */
static json_t *stream_chunks(const seam_mock_plan *p)
{
    assert_true(p->stream);
    assert_true(p->nevents >= 2);
    json_t *arr = json_array();
    for (size_t i = 0; i < p->nevents; i++) {
        size_t len;
        const char *ev = seam_mock_event(p, i, &len);
        assert_true(len > 8);
        assert_memory_equal(ev, "data: ", 6);
        assert_memory_equal(ev + len - 2, "\n\n", 2);
        assert_null(memchr(ev, '\n', len - 2)); /* one line per event */
        if (i == p->nevents - 1) {
            assert_int_equal(len, strlen("data: [DONE]\n\n"));
            assert_memory_equal(ev, "data: [DONE]\n\n", len);
            break;
        }
        json_error_t err;
        json_t *c = json_loadb(ev + 6, len - 8, 0, &err);
        if (!c) fail_msg("event %zu is not JSON: %s", i, err.text);
        assert_string_equal(sget(c, "object"), "chat.completion.chunk");
        json_array_append_new(arr, c);
    }
    assert_int_equal(p->body.len, p->event_ends[p->nevents - 1]);
    return arr;
}

/* Concatenates delta.content of one choice index over all chunks; counts deltas. */
static char *join_content(json_t *chunks, int index, int *ndeltas)
{
    size_t i;
    json_t *c;
    char *out = calloc(1, 1);
    size_t len = 0;
    *ndeltas = 0;
    json_array_foreach(chunks, i, c)
    {
        json_t *choice = json_array_get(json_object_get(c, "choices"), 0);
        if (!choice || json_integer_value(json_object_get(choice, "index")) != index) continue;
        json_t *content = jget(choice, "delta.content");
        if (!json_is_string(content) || !json_string_length(content)) continue;
        size_t n = json_string_length(content);
        out = realloc(out, len + n + 1);
        memcpy(out + len, json_string_value(content), n + 1);
        len += n;
        (*ndeltas)++;
    }
    return out;
}

/* ---- chat ---- */

#define HELLO                                                                                      \
    "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"          \
    "{\"role\":\"user\",\"content\":\"Hello there, big \\\"world\\\"\\n\"}]"

static void chat_plain_echo(void **state)
{
    seam_mock_opts o = echo_on();
    seam_mock_plan p;
    plan_chat(HELLO "}", &o, &p);
    assert_int_equal(p.status, 200);
    assert_int_equal(p.fault, SEAM_MOCK_OK);
    assert_false(p.stream);
    assert_null(p.retry_after);
    json_t *j = parse_body(&p);
    assert_string_equal(sget(j, "object"), "chat.completion");
    assert_string_equal(sget(j, "model"), "gpt-x");
    assert_true(strncmp(sget(j, "id"), "chatcmpl-", 9) == 0);
    assert_true(json_is_integer(jget(j, "created")));
    assert_int_equal(json_array_size(jget(j, "choices")), 1);
    assert_int_equal(iget(j, "choices.0.index"), 0);
    assert_string_equal(sget(j, "choices.0.message.role"), "assistant");
    assert_string_equal(sget(j, "choices.0.message.content"), "Hello there, big \"world\"\n");
    assert_string_equal(sget(j, "choices.0.finish_reason"), "stop");
    assert_true(json_is_null(jget(j, "choices.0.logprobs")));
    /* "Be brief." 9 + 25 chars of user text = 34 -> 9 tokens; reply 25 -> 7 */
    assert_int_equal(iget(j, "usage.prompt_tokens"), 9);
    assert_int_equal(iget(j, "usage.completion_tokens"), 7);
    assert_int_equal(iget(j, "usage.total_tokens"), 16);

    /* the same request gives the same bytes; another gives another id */
    seam_mock_plan q, r;
    plan_chat(HELLO "}", &o, &q);
    assert_int_equal(q.body.len, p.body.len);
    assert_memory_equal(q.body.data, p.body.data, p.body.len);
    plan_chat(HELLO ",\"temperature\":0}", &o, &r);
    json_t *k = parse_body(&r);
    assert_string_not_equal(sget(j, "id"), sget(k, "id"));
    json_decref(j);
    json_decref(k);
    seam_mock_plan_free(&p);
    seam_mock_plan_free(&q);
    seam_mock_plan_free(&r);
}

static void chat_echo_off(void **state)
{
    seam_mock_opts o = {.echo = 0};
    seam_mock_plan p;
    plan_chat(HELLO "}", &o, &p);
    json_t *j = parse_body(&p);
    assert_string_equal(sget(j, "choices.0.message.content"),
                        "This is a mock reply from seam to a message of 4 words.");
    json_decref(j);
    seam_mock_plan_free(&p);

    plan_chat(HELLO "}", NULL, &p); /* no options: echo off */
    j = parse_body(&p);
    assert_string_equal(sget(j, "choices.0.message.content"),
                        "This is a mock reply from seam to a message of 4 words.");
    json_decref(j);
    seam_mock_plan_free(&p);
}

static void chat_empty_echo(void **state)
{
    seam_mock_opts o = echo_on();
    seam_mock_plan p;
    plan_chat("{\"messages\":[{\"role\":\"user\",\"content\":\"\"}]}", &o, &p);
    json_t *j = parse_body(&p);
    assert_string_equal(sget(j, "choices.0.message.content"), "");
    assert_int_equal(iget(j, "usage.prompt_tokens"), 1); /* never 0 */
    assert_int_equal(iget(j, "usage.completion_tokens"), 1);
    json_decref(j);
    seam_mock_plan_free(&p);
}

static void chat_echo_array_content(void **state)
{
    seam_mock_opts o = echo_on();
    seam_mock_plan p;
    plan_chat("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"old\"},"
              "{\"role\":\"assistant\",\"content\":\"x\"},"
              "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"caf\\u00e9 \"},"
              "{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://x/y.png\"}},"
              "{\"type\":\"text\",\"text\":\"au lait\"}]}]}",
              &o, &p);
    json_t *j = parse_body(&p);
    assert_string_equal(sget(j, "choices.0.message.content"), "caf\xc3\xa9 au lait");
    json_decref(j);
    seam_mock_plan_free(&p);
}

static void chat_stream(void **state)
{
    seam_mock_opts o = echo_on();
    seam_mock_plan p;
    const char *text = "  The quick\tbrown fox\njumps over  the lazy dog. ";
    char req[512];
    snprintf(req, sizeof req,
             "{\"model\":\"m1\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":"
             "\"  The quick\\tbrown fox\\njumps over  the lazy dog. \"}]}");
    plan_chat(req, &o, &p);
    assert_int_equal(p.status, 200);
    json_t *chunks = stream_chunks(&p);
    size_t n = json_array_size(chunks);
    json_t *first = json_array_get(chunks, 0), *last = json_array_get(chunks, n - 1);
    assert_string_equal(sget(first, "choices.0.delta.role"), "assistant");
    assert_true(json_is_null(jget(first, "choices.0.finish_reason")));
    assert_string_equal(sget(last, "choices.0.finish_reason"), "stop");
    assert_int_equal(json_object_size(jget(last, "choices.0.delta")), 0);
    assert_null(jget(first, "usage")); /* no include_usage: no usage member at all */

    size_t i;
    json_t *c;
    json_array_foreach(chunks, i, c)
    {
        assert_string_equal(sget(c, "id"), sget(first, "id"));
        assert_string_equal(sget(c, "model"), "m1");
        if (i && i < n - 1) assert_true(json_is_null(jget(c, "choices.0.finish_reason")));
        if (i) assert_null(jget(c, "choices.0.delta.role"));
    }
    int ndeltas;
    char *joined = join_content(chunks, 0, &ndeltas);
    assert_string_equal(joined, text);
    assert_true(ndeltas >= 3);
    free(joined);
    json_decref(chunks);
    seam_mock_plan_free(&p);
}

static void chat_stream_include_usage(void **state)
{
    seam_mock_opts o = echo_on();
    seam_mock_plan p;
    plan_chat("{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
              "\"messages\":[{\"role\":\"user\",\"content\":\"one two three four\"}]}",
              &o, &p);
    json_t *chunks = stream_chunks(&p);
    size_t n = json_array_size(chunks);
    json_t *u = json_array_get(chunks, n - 1);
    assert_int_equal(json_array_size(jget(u, "choices")), 0);
    assert_int_equal(iget(u, "usage.prompt_tokens"), 5);
    assert_int_equal(iget(u, "usage.completion_tokens"), 5);
    assert_int_equal(iget(u, "usage.total_tokens"), 10);
    for (size_t i = 0; i < n - 1; i++) {
        json_t *c = json_array_get(chunks, i);
        assert_non_null(json_object_get(c, "usage"));
        assert_true(json_is_null(json_object_get(c, "usage")));
    }
    assert_string_equal(sget(json_array_get(chunks, n - 2), "choices.0.finish_reason"), "stop");
    json_decref(chunks);
    seam_mock_plan_free(&p);
}

static void chat_n_choices(void **state)
{
    seam_mock_opts o = echo_on();
    seam_mock_plan p;
    plan_chat("{\"model\":\"m\",\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi you\"}]}",
              &o, &p);
    json_t *j = parse_body(&p);
    assert_int_equal(json_array_size(jget(j, "choices")), 2);
    assert_int_equal(iget(j, "choices.1.index"), 1);
    assert_string_equal(sget(j, "choices.1.message.content"), "hi you");
    assert_int_equal(iget(j, "usage.completion_tokens"), 4); /* 2 per choice */
    json_decref(j);
    seam_mock_plan_free(&p);

    plan_chat("{\"n\":500,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", &o, &p);
    j = parse_body(&p);
    assert_int_equal(json_array_size(jget(j, "choices")), SEAM_MOCK_MAX_N);
    assert_string_equal(sget(j, "model"), "mock");
    json_decref(j);
    seam_mock_plan_free(&p);

    plan_chat("{\"n\":2,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"a b c\"}]}",
              &o, &p);
    json_t *chunks = stream_chunks(&p);
    for (int idx = 0; idx < 2; idx++) {
        int nd;
        char *s = join_content(chunks, idx, &nd);
        assert_string_equal(s, "a b c");
        assert_int_equal(nd, 3);
        free(s);
    }
    json_decref(chunks);
    seam_mock_plan_free(&p);
}

static void chat_max_tokens(void **state)
{
    seam_mock_opts o = echo_on();
    seam_mock_plan p;
    plan_chat("{\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":"
              "\"abcdefghijklmnopqrstuvwxyz\"}]}",
              &o, &p);
    json_t *j = parse_body(&p);
    assert_string_equal(sget(j, "choices.0.message.content"), "abcdefgh");
    assert_string_equal(sget(j, "choices.0.finish_reason"), "length");
    assert_int_equal(iget(j, "usage.completion_tokens"), 2);
    json_decref(j);
    seam_mock_plan_free(&p);
}

/* ---- tools ---- */

#define TOOLS                                                                                      \
    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{"    \
    "\"type\":\"object\",\"properties\":{\"location\":{\"type\":\"string\"},"                      \
    "\"unit\":{\"type\":\"string\",\"enum\":[\"celsius\",\"fahrenheit\"]},"                        \
    "\"days\":{\"type\":\"integer\"},\"detailed\":{\"type\":\"boolean\"},"                         \
    "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"number\"}},"                               \
    "\"where\":{\"type\":\"object\",\"properties\":{\"lat\":{\"type\":\"number\"}}}},"             \
    "\"required\":[\"location\"]}}},"                                                              \
    "{\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"parameters\":{"                  \
    "\"type\":\"object\",\"properties\":{\"tz\":{\"type\":\"string\"}}}}}]"

#define WEATHER_Q "\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}]"

static void check_weather_args(const char *args)
{
    json_error_t err;
    json_t *a = json_loads(args, 0, &err);
    if (!a) fail_msg("arguments are not JSON: %s (%s)", args, err.text);
    assert_string_equal(sget(a, "location"), "Weather in Paris?");
    assert_string_equal(sget(a, "unit"), "celsius");
    assert_int_equal(iget(a, "days"), 1);
    assert_true(json_is_true(jget(a, "detailed")));
    assert_int_equal(json_array_size(jget(a, "tags")), 1);
    assert_int_equal(iget(a, "where.lat"), 1);
    json_decref(a);
}

static void tools_plain(void **state)
{
    seam_mock_opts o = echo_on();
    seam_mock_plan p;
    plan_chat("{\"model\":\"m\"," WEATHER_Q "," TOOLS "}", &o, &p);
    json_t *j = parse_body(&p);
    assert_string_equal(sget(j, "choices.0.finish_reason"), "tool_calls");
    assert_true(json_is_null(jget(j, "choices.0.message.content")));
    assert_string_equal(sget(j, "choices.0.message.role"), "assistant");
    assert_int_equal(json_array_size(jget(j, "choices.0.message.tool_calls")), 1);
    assert_true(strncmp(sget(j, "choices.0.message.tool_calls.0.id"), "call_", 5) == 0);
    assert_string_equal(sget(j, "choices.0.message.tool_calls.0.type"), "function");
    assert_string_equal(sget(j, "choices.0.message.tool_calls.0.function.name"), "get_weather");
    check_weather_args(sget(j, "choices.0.message.tool_calls.0.function.arguments"));
    assert_true(iget(j, "usage.completion_tokens") > 10);
    json_decref(j);
    seam_mock_plan_free(&p);
}

static void tools_stream(void **state)
{
    seam_mock_opts o = echo_on();
    seam_mock_plan p, q;
    plan_chat("{\"model\":\"m\"," WEATHER_Q "," TOOLS "}", &o, &q);
    json_t *plain = parse_body(&q);
    const char *want = sget(plain, "choices.0.message.tool_calls.0.function.arguments");

    plan_chat("{\"model\":\"m\",\"stream\":true," WEATHER_Q "," TOOLS "}", &o, &p);
    json_t *chunks = stream_chunks(&p);
    size_t n = json_array_size(chunks);
    json_t *first = json_array_get(chunks, 0);
    assert_string_equal(sget(first, "choices.0.delta.role"), "assistant");
    assert_true(json_is_null(jget(first, "choices.0.delta.content")));
    assert_int_equal(iget(first, "choices.0.delta.tool_calls.0.index"), 0);
    assert_true(strncmp(sget(first, "choices.0.delta.tool_calls.0.id"), "call_", 5) == 0);
    assert_string_equal(sget(first, "choices.0.delta.tool_calls.0.type"), "function");
    assert_string_equal(sget(first, "choices.0.delta.tool_calls.0.function.name"), "get_weather");
    assert_string_equal(sget(first, "choices.0.delta.tool_calls.0.function.arguments"), "");

    char args[1024] = "";
    int pieces = 0;
    for (size_t i = 1; i < n - 1; i++) {
        json_t *c = json_array_get(chunks, i);
        assert_int_equal(iget(c, "choices.0.delta.tool_calls.0.index"), 0);
        assert_null(jget(c, "choices.0.delta.tool_calls.0.id"));
        const char *piece = sget(c, "choices.0.delta.tool_calls.0.function.arguments");
        assert_non_null(piece);
        size_t have = strlen(args), add = strlen(piece);
        assert_true(have + add < sizeof args);
        memcpy(args + have, piece, add + 1);
        pieces++;
    }
    assert_true(pieces >= 3);
    assert_string_equal(args, want);
    check_weather_args(args);
    assert_string_equal(sget(json_array_get(chunks, n - 1), "choices.0.finish_reason"),
                        "tool_calls");
    json_decref(chunks);
    json_decref(plain);
    seam_mock_plan_free(&p);
    seam_mock_plan_free(&q);
}

/* Short arguments still arrive in at least 3 pieces. */
static void tools_stream_short_args(void **state)
{
    seam_mock_plan p;
    plan_chat("{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
              "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":"
              "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}}}}}]}",
              NULL, &p);
    json_t *chunks = stream_chunks(&p);
    size_t n = json_array_size(chunks);
    char args[64] = "";
    int pieces = 0;
    for (size_t i = 1; i < n - 1; i++) {
        const char *piece =
            sget(json_array_get(chunks, i), "choices.0.delta.tool_calls.0.function.arguments");
        assert_non_null(piece);
        size_t have = strlen(args), add = strlen(piece);
        assert_true(have + add < sizeof args);
        memcpy(args + have, piece, add + 1);
        pieces++;
    }
    assert_string_equal(args, "{\"n\":1}");
    assert_true(pieces >= 3);
    json_decref(chunks);
    seam_mock_plan_free(&p);
}

static void tools_choice(void **state)
{
    seam_mock_opts o = echo_on();
    seam_mock_plan p;
    plan_chat("{" WEATHER_Q "," TOOLS ",\"tool_choice\":{\"type\":\"function\",\"function\":"
              "{\"name\":\"get_time\"}}}",
              &o, &p);
    json_t *j = parse_body(&p);
    assert_string_equal(sget(j, "choices.0.message.tool_calls.0.function.name"), "get_time");
    assert_string_equal(sget(j, "choices.0.message.tool_calls.0.function.arguments"),
                        "{\"tz\":\"Weather in Paris?\"}");
    json_decref(j);
    seam_mock_plan_free(&p);

    plan_chat("{" WEATHER_Q "," TOOLS ",\"tool_choice\":\"none\"}", &o, &p);
    j = parse_body(&p);
    assert_string_equal(sget(j, "choices.0.message.content"), "Weather in Paris?");
    assert_string_equal(sget(j, "choices.0.finish_reason"), "stop");
    json_decref(j);
    seam_mock_plan_free(&p);

    plan_chat("{" WEATHER_Q "," TOOLS ",\"tool_choice\":{\"type\":\"function\",\"function\":"
              "{\"name\":\"nope\"}}}",
              &o, &p);
    assert_int_equal(p.status, 400);
    j = parse_body(&p);
    assert_string_equal(sget(j, "error.param"), "tool_choice");
    json_decref(j);
    seam_mock_plan_free(&p);

    /* after a tool result the model answers in text, so agent loops end */
    plan_chat(
        "{\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"},"
        "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\","
        "\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{}\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"sunny\"}]," TOOLS "}",
        &o, &p);
    j = parse_body(&p);
    assert_string_equal(sget(j, "choices.0.message.content"), "Weather?");
    assert_null(jget(j, "choices.0.message.tool_calls"));
    json_decref(j);
    seam_mock_plan_free(&p);
}

static void tools_n2_distinct_ids(void **state)
{
    seam_mock_plan p;
    plan_chat("{\"n\":2," WEATHER_Q "," TOOLS "}", NULL, &p);
    json_t *j = parse_body(&p);
    assert_string_not_equal(sget(j, "choices.0.message.tool_calls.0.id"),
                            sget(j, "choices.1.message.tool_calls.0.id"));
    json_decref(j);
    seam_mock_plan_free(&p);
}

/* ---- faults ---- */

static void fault_plan(const char *directive, int stream, seam_mock_plan *p)
{
    char req[512];
    snprintf(req, sizeof req,
             "{\"model\":\"m\",\"stream\":%s,\"messages\":[{\"role\":\"user\",\"content\":"
             "\"please %s now\"}]}",
             stream ? "true" : "false", directive);
    seam_mock_opts o = echo_on();
    plan_chat(req, &o, p);
}

static void check_status_fault(const char *directive, int status, const char *code)
{
    for (int stream = 0; stream < 2; stream++) {
        seam_mock_plan p;
        fault_plan(directive, stream, &p);
        assert_int_equal(p.fault, SEAM_MOCK_STATUS);
        assert_int_equal(p.status, status);
        assert_false(p.stream); /* errors are JSON even for stream requests */
        if (status == 429)
            assert_string_equal(p.retry_after, "1");
        else
            assert_null(p.retry_after);
        json_t *j = parse_body(&p);
        assert_non_null(sget(j, "error.message"));
        assert_non_null(sget(j, "error.type"));
        assert_string_equal(sget(j, "error.code"), code);
        json_decref(j);
        seam_mock_plan_free(&p);
    }
}

static void faults_directives(void **state)
{
    check_status_fault("[[mock:429]]", 429, "rate_limit_exceeded");
    check_status_fault("[[mock:500]]", 500, "server_error");
    check_status_fault("[[mock:503]]", 503, "service_unavailable");

    seam_mock_plan p;
    fault_plan("[[mock:reset]]", 0, &p);
    assert_int_equal(p.fault, SEAM_MOCK_RESET);
    assert_int_equal(p.body.len, 0);
    seam_mock_plan_free(&p);

    fault_plan("[[mock:stall]]", 1, &p);
    assert_int_equal(p.fault, SEAM_MOCK_STALL);
    assert_int_equal(p.status, 200);
    assert_int_equal(p.stall_after, 2);
    assert_true(p.nevents > 3); /* there is more that never comes */
    json_t *chunks = stream_chunks(&p);
    json_decref(chunks);
    seam_mock_plan_free(&p);

    fault_plan("[[mock:stall]]", 0, &p);
    assert_int_equal(p.fault, SEAM_MOCK_STALL);
    assert_int_equal(p.body.len, 0);
    seam_mock_plan_free(&p);

    fault_plan("[[mock:slow]]", 0, &p);
    assert_int_equal(p.fault, SEAM_MOCK_SLOW);
    assert_int_equal(p.status, 200);
    json_t *j = parse_body(&p);
    assert_string_equal(sget(j, "choices.0.message.content"), "please [[mock:slow]] now");
    json_decref(j);
    seam_mock_plan_free(&p);

    /* a directive in an earlier user message does not count */
    plan_chat("{\"messages\":[{\"role\":\"user\",\"content\":\"[[mock:500]]\"},"
              "{\"role\":\"user\",\"content\":\"fine\"}]}",
              NULL, &p);
    assert_int_equal(p.fault, SEAM_MOCK_OK);
    assert_int_equal(p.status, 200);
    seam_mock_plan_free(&p);
}

static void faults_random(void **state)
{
    const char *req = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    seam_mock_opts o = {.echo = 1, .fail_rate = 1.0, .rng = 42};
    int seen[5] = {0};
    for (int i = 0; i < 200; i++) {
        seam_mock_plan p;
        plan_chat(req, &o, &p);
        assert_int_not_equal(p.fault, SEAM_MOCK_OK);
        assert_int_not_equal(p.fault, SEAM_MOCK_SLOW);
        if (p.fault == SEAM_MOCK_STATUS) {
            assert_true(p.status == 429 || p.status == 500 || p.status == 503);
            seen[p.status == 429 ? 0 : p.status == 500 ? 1 : 2]++;
        } else {
            seen[p.fault == SEAM_MOCK_RESET ? 3 : 4]++;
        }
        seam_mock_plan_free(&p);
    }
    for (int k = 0; k < 5; k++)
        assert_true(seen[k] > 10);

    o.fail_rate = 0;
    for (int i = 0; i < 200; i++) {
        seam_mock_plan p;
        plan_chat(req, &o, &p);
        assert_int_equal(p.fault, SEAM_MOCK_OK);
        assert_int_equal(p.status, 200);
        seam_mock_plan_free(&p);
    }

    /* the same seed gives the same sequence; about half fail at 0.5 */
    seam_mock_opts a = {.fail_rate = 0.5, .rng = 7}, b = a;
    int failed = 0;
    for (int i = 0; i < 400; i++) {
        seam_mock_plan p, q;
        plan_chat(req, &a, &p);
        plan_chat(req, &b, &q);
        assert_int_equal(p.fault, q.fault);
        assert_int_equal(p.status, q.status);
        failed += p.fault != SEAM_MOCK_OK;
        seam_mock_plan_free(&p);
        seam_mock_plan_free(&q);
    }
    assert_true(failed > 140 && failed < 260);
}

/* ---- bad requests ---- */

static void check_400(int (*fn)(const char *, size_t, seam_mock_opts *, seam_mock_plan *),
                      const char *req, const char *param)
{
    seam_mock_plan p;
    seam_mock_opts o = {.fail_rate = 1.0, .rng = 3}; /* a 400 is never a fault */
    assert_int_equal(fn(req, strlen(req), &o, &p), 0);
    assert_int_equal(p.status, 400);
    assert_int_equal(p.fault, SEAM_MOCK_OK);
    json_t *j = parse_body(&p);
    assert_string_equal(sget(j, "error.type"), "invalid_request_error");
    assert_non_null(sget(j, "error.message"));
    assert_non_null(json_object_get(jget(j, "error"), "code"));
    if (param)
        assert_string_equal(sget(j, "error.param"), param);
    else
        assert_true(json_is_null(jget(j, "error.param")));
    json_decref(j);
    seam_mock_plan_free(&p);
}

static void bad_requests(void **state)
{
    check_400(seam_mock_plan_chat, "{\"messages\": [", NULL);
    check_400(seam_mock_plan_chat, "", NULL);
    check_400(seam_mock_plan_chat, "[1,2]", NULL);
    check_400(seam_mock_plan_chat, "{\"model\":\"m\"}", "messages");
    check_400(seam_mock_plan_chat, "{\"messages\":\"hi\"}", "messages");
    check_400(seam_mock_plan_chat, "{\"messages\":[]}", "messages");
    check_400(seam_mock_plan_chat, "{\"messages\":[42]}", "messages");
    check_400(seam_mock_plan_chat, "{\"n\":0,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
              "n");
    check_400(seam_mock_plan_embeddings, "not json", NULL);
    check_400(seam_mock_plan_embeddings, "{\"model\":\"e\"}", "input");
    check_400(seam_mock_plan_embeddings, "{\"input\":[]}", "input");
    check_400(seam_mock_plan_embeddings, "{\"input\":[\"a\",3.5]}", "input");
    check_400(seam_mock_plan_embeddings, "{\"input\":\"a\",\"dimensions\":5000}", "dimensions");
    check_400(seam_mock_plan_embeddings, "{\"input\":\"a\",\"encoding_format\":\"hex\"}",
              "encoding_format");
}

/* ---- embeddings ---- */

static void plan_embed(const char *req, seam_mock_plan *p)
{
    assert_int_equal(seam_mock_plan_embeddings(req, strlen(req), NULL, p), 0);
    assert_int_equal(p->status, 200);
}

static int b64val(char c)
{
    const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *f = strchr(t, c);
    return f && c ? (int)(f - t) : -1;
}

static size_t b64decode(const char *s, unsigned char *out)
{
    size_t n = 0, len = strlen(s);
    assert_int_equal(len % 4, 0);
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++)
            v[k] = s[i + k] == '=' ? 0 : b64val(s[i + k]);
        for (int k = 0; k < 4; k++)
            assert_true(v[k] >= 0);
        unsigned x = (unsigned)(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
        out[n++] = (unsigned char)(x >> 16);
        if (s[i + 2] != '=') out[n++] = (unsigned char)(x >> 8);
        if (s[i + 3] != '=') out[n++] = (unsigned char)x;
    }
    return n;
}

static void embeddings_float(void **state)
{
    seam_mock_plan p;
    plan_embed("{\"model\":\"text-embedding-3-small\",\"input\":\"hello world\"}", &p);
    json_t *j = parse_body(&p);
    assert_string_equal(sget(j, "object"), "list");
    assert_string_equal(sget(j, "model"), "text-embedding-3-small");
    assert_string_equal(sget(j, "data.0.object"), "embedding");
    assert_int_equal(iget(j, "data.0.index"), 0);
    json_t *vec = jget(j, "data.0.embedding");
    assert_int_equal(json_array_size(vec), 8);
    double norm = 0;
    size_t i;
    json_t *x;
    json_array_foreach(vec, i, x)
    {
        assert_true(json_is_number(x));
        norm += json_number_value(x) * json_number_value(x);
    }
    assert_true(fabs(norm - 1.0) < 1e-5);
    assert_int_equal(iget(j, "usage.prompt_tokens"), 3);
    assert_int_equal(iget(j, "usage.total_tokens"), 3);

    /* several inputs, dimensions honoured, the same text the same vector */
    seam_mock_plan q;
    plan_embed("{\"model\":\"e\",\"input\":[\"a\",\"hello world\",\"b\"],\"dimensions\":64}", &q);
    json_t *k = parse_body(&q);
    assert_int_equal(json_array_size(jget(k, "data")), 3);
    assert_int_equal(iget(k, "data.2.index"), 2);
    assert_int_equal(json_array_size(jget(k, "data.1.embedding")), 64);
    assert_true(json_equal(jget(k, "data.0.embedding"), jget(k, "data.0.embedding")));
    assert_false(json_equal(jget(k, "data.0.embedding"), jget(k, "data.2.embedding")));
    json_decref(k);
    seam_mock_plan_free(&q);

    plan_embed("{\"model\":\"e\",\"input\":[\"zzz\",\"hello world\"]}", &q);
    k = parse_body(&q);
    assert_true(json_equal(jget(k, "data.1.embedding"), vec));
    json_decref(k);
    seam_mock_plan_free(&q);

    /* token arrays */
    plan_embed("{\"input\":[[1,2,3],[4,5]]}", &q);
    k = parse_body(&q);
    assert_int_equal(json_array_size(jget(k, "data")), 2);
    assert_int_equal(iget(k, "usage.prompt_tokens"), 5);
    json_decref(k);
    seam_mock_plan_free(&q);
    plan_embed("{\"input\":[1,2,3]}", &q);
    k = parse_body(&q);
    assert_int_equal(json_array_size(jget(k, "data")), 1);
    json_decref(k);
    seam_mock_plan_free(&q);

    json_decref(j);
    seam_mock_plan_free(&p);
}

static void embeddings_base64(void **state)
{
    seam_mock_plan p, q;
    plan_embed("{\"input\":\"abc\",\"dimensions\":13}", &p);
    plan_embed("{\"input\":\"abc\",\"dimensions\":13,\"encoding_format\":\"base64\"}", &q);
    json_t *f = parse_body(&p), *b = parse_body(&q);
    const char *s = sget(b, "data.0.embedding");
    assert_non_null(s);
    unsigned char raw[64];
    assert_true(strlen(s) < sizeof raw * 4 / 3);
    assert_int_equal(b64decode(s, raw), 13 * 4);
    for (size_t i = 0; i < 13; i++) {
        uint32_t bits = (uint32_t)raw[4 * i] | (uint32_t)raw[4 * i + 1] << 8 |
                        (uint32_t)raw[4 * i + 2] << 16 | (uint32_t)raw[4 * i + 3] << 24;
        float v;
        memcpy(&v, &bits, 4);
        float want = (float)json_number_value(json_array_get(jget(f, "data.0.embedding"), i));
        assert_true(v == want);
    }
    json_decref(f);
    json_decref(b);
    seam_mock_plan_free(&p);
    seam_mock_plan_free(&q);
}

static void embeddings_faults(void **state)
{
    seam_mock_plan p;
    const char *req = "{\"input\":[\"ok\",\"boom [[mock:503]]\"]}";
    assert_int_equal(seam_mock_plan_embeddings(req, strlen(req), NULL, &p), 0);
    assert_int_equal(p.fault, SEAM_MOCK_STATUS);
    assert_int_equal(p.status, 503);
    seam_mock_plan_free(&p);

    seam_mock_opts o = {.fail_rate = 1.0, .rng = 9};
    req = "{\"input\":\"ok\"}";
    assert_int_equal(seam_mock_plan_embeddings(req, strlen(req), &o, &p), 0);
    assert_int_not_equal(p.fault, SEAM_MOCK_OK);
    seam_mock_plan_free(&p);
}

static void models_list(void **state)
{
    seam_mock_plan p;
    assert_int_equal(seam_mock_plan_models(&p), 0);
    assert_int_equal(p.status, 200);
    json_t *j = parse_body(&p);
    assert_string_equal(sget(j, "object"), "list");
    assert_true(json_array_size(jget(j, "data")) >= 1);
    assert_string_equal(sget(j, "data.0.object"), "model");
    assert_string_equal(sget(j, "data.0.owned_by"), "seam-mock");
    assert_true(json_is_integer(jget(j, "data.0.created")));
    json_decref(j);
    seam_mock_plan_free(&p);
    seam_mock_plan_free(&p); /* twice is harmless */
}

static void reply_cap(void **state)
{
    /* 2048 inputs of 4096 dims would be ~100 MB: past the cap, so a 400, not a crash */
    size_t n = 2048, size = n * 4 + 64;
    char *req = malloc(size);
    size_t len = (size_t)snprintf(req, size, "{\"dimensions\":4096,\"input\":[");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(req + len, size - len, i ? ",\"x\"" : "\"x\"");
    len += (size_t)snprintf(req + len, size - len, "]}");
    seam_mock_plan p;
    assert_int_equal(seam_mock_plan_embeddings(req, len, NULL, &p), 0);
    assert_int_equal(p.status, 400);
    json_t *j = parse_body(&p);
    assert_string_equal(sget(j, "error.code"), "reply_too_large");
    json_decref(j);
    seam_mock_plan_free(&p);
    free(req);
}

/* ---- the in-process provider (mock.c) on a real event loop ---- */

typedef struct rec {
    int heads, status, done, done_err, ndata;
    char retry_after[8];
    char data[8192];
    size_t len;
    int cancel_in; /* 1: cancel from on_head, 2: from the first on_data */
    seam_call *call;
    const seam_provider_vt *vt;
    int after_done; /* callbacks seen after on_done: must stay 0 */
    double t_head, t_done;
} rec;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void r_head(void *ud, int status, const char *retry_after)
{
    rec *r = ud;
    r->after_done += r->done;
    r->heads++;
    r->status = status;
    r->t_head = now_ms();
    snprintf(r->retry_after, sizeof r->retry_after, "%s", retry_after ? retry_after : "");
    if (r->cancel_in == 1) r->vt->cancel(r->call);
}

static void r_data(void *ud, const char *p, size_t n)
{
    rec *r = ud;
    r->after_done += r->done;
    assert_true(r->heads == 1);
    assert_true(r->len + n < sizeof r->data);
    memcpy(r->data + r->len, p, n);
    r->len += n;
    r->data[r->len] = '\0';
    r->ndata++;
    if (r->cancel_in == 2) r->vt->cancel(r->call);
}

static void r_done(void *ud, int err)
{
    rec *r = ud;
    r->after_done += r->done;
    r->done++;
    r->done_err = err;
    r->t_done = now_ms();
}

static const seam_call_cbs rec_cbs = {r_head, r_data, r_done, NULL};

typedef struct prov_fix {
    struct event_base *base;
    seam_provider_conf conf;
    seam_provider *p;
} prov_fix;

static void prov_open(prov_fix *f, int echo, int latency, int chunk_delay)
{
    memset(f, 0, sizeof *f);
    f->base = event_base_new();
    assert_non_null(f->base);
    f->conf.name = "m";
    f->conf.type = "mock";
    f->conf.mock_echo = echo;
    f->conf.mock_latency_ms = latency;
    f->conf.mock_chunk_delay_ms = chunk_delay;
    char err[128];
    assert_int_equal(seam_provider_mock.create(&f->conf, &f->p, err, sizeof err), 0);
    assert_ptr_equal(f->p->vt, &seam_provider_mock);
    assert_string_equal(seam_provider_mock.type, "mock");
}

static void prov_close(prov_fix *f)
{
    seam_provider_mock.destroy(f->p);
    event_base_free(f->base);
}

static seam_call *prov_start(prov_fix *f, seam_op op, const char *body, rec *r)
{
    seam_io io = {f->base, NULL, NULL};
    seam_call_req req = {
        .op = op, .body = body, .body_len = strlen(body), .connect_timeout_ms = 1000};
    memset(r, 0, sizeof *r);
    r->vt = &seam_provider_mock;
    r->call = seam_provider_mock.start(f->p, &io, &req, &rec_cbs, r);
    assert_non_null(r->call);
    assert_int_equal(r->heads + r->ndata + r->done, 0); /* nothing from inside start() */
    return r->call;
}

static void provider_plain(void **state)
{
    prov_fix f;
    rec r;
    prov_open(&f, 1, 30, 0);
    double t0 = now_ms();
    prov_start(&f, SEAM_OP_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"hey you\"}]}",
               &r);
    event_base_dispatch(f.base);
    assert_int_equal(r.heads, 1);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.ndata, 1);
    assert_int_equal(r.done, 1);
    assert_int_equal(r.done_err, SEAM_CALL_OK);
    assert_true(r.t_head - t0 >= 29);
    json_t *j = json_loads(r.data, 0, NULL);
    assert_string_equal(sget(j, "choices.0.message.content"), "hey you");
    json_decref(j);

    prov_start(&f, SEAM_OP_EMBEDDINGS, "{\"input\":\"a\"}", &r);
    event_base_dispatch(f.base);
    assert_int_equal(r.done, 1);
    j = json_loads(r.data, 0, NULL);
    assert_int_equal(json_array_size(jget(j, "data.0.embedding")), 8);
    json_decref(j);
    prov_close(&f);
}

static void provider_stream_paced(void **state)
{
    prov_fix f;
    rec r;
    prov_open(&f, 1, 0, 15);
    const char *body = "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"a b c\"}]}";
    seam_mock_plan p;
    seam_mock_opts o = echo_on();
    plan_chat(body, &o, &p);
    prov_start(&f, SEAM_OP_CHAT, body, &r);
    event_base_dispatch(f.base);
    assert_int_equal(r.heads, 1);
    assert_int_equal(r.ndata, (int)p.nevents); /* one on_data per event */
    assert_int_equal(r.done, 1);
    assert_int_equal(r.after_done, 0);
    assert_true(r.t_done - r.t_head >= 15.0 * (double)(p.nevents - 1) - 1);
    assert_non_null(strstr(r.data, "\"content\":\" c\""));
    assert_true(r.len > 14 && strcmp(r.data + r.len - 14, "data: [DONE]\n\n") == 0);
    seam_mock_plan_free(&p);
    prov_close(&f);
}

static void provider_faults(void **state)
{
    prov_fix f;
    rec r;
    prov_open(&f, 1, 0, 0);
    prov_start(&f, SEAM_OP_CHAT,
               "{\"messages\":[{\"role\":\"user\",\"content\":\"[[mock:reset]]\"}]}", &r);
    event_base_dispatch(f.base);
    assert_int_equal(r.heads, 0);
    assert_int_equal(r.done, 1);
    assert_int_equal(r.done_err, SEAM_CALL_RESET);

    prov_start(&f, SEAM_OP_CHAT,
               "{\"messages\":[{\"role\":\"user\",\"content\":\"[[mock:429]]\"}]}", &r);
    event_base_dispatch(f.base);
    assert_int_equal(r.status, 429);
    assert_string_equal(r.retry_after, "1");
    assert_int_equal(r.done_err, SEAM_CALL_OK);
    assert_non_null(strstr(r.data, "rate_limit_exceeded"));

    /* stall: head and two events, then nothing; the loop runs dry and cancel frees it */
    seam_call *c = prov_start(
        &f, SEAM_OP_CHAT,
        "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x [[mock:stall]] y\"}]}",
        &r);
    event_base_dispatch(f.base);
    assert_int_equal(r.heads, 1);
    assert_int_equal(r.ndata, 2);
    assert_int_equal(r.done, 0);
    seam_provider_mock.cancel(c);

    c = prov_start(&f, SEAM_OP_CHAT,
                   "{\"messages\":[{\"role\":\"user\",\"content\":\"[[mock:stall]]\"}]}", &r);
    event_base_dispatch(f.base);
    assert_int_equal(r.heads + r.ndata + r.done, 0);
    seam_provider_mock.cancel(c);
    prov_close(&f);
}

static void provider_cancel(void **state)
{
    prov_fix f;
    rec r;
    prov_open(&f, 1, 0, 5);
    const char *body =
        "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"a b c d\"}]}";

    seam_call *c = prov_start(&f, SEAM_OP_CHAT, body, &r); /* before anything happened */
    seam_provider_mock.cancel(c);
    event_base_dispatch(f.base);
    assert_int_equal(r.heads + r.ndata + r.done, 0);

    prov_start(&f, SEAM_OP_CHAT, body, &r);
    r.cancel_in = 1; /* from inside on_head */
    event_base_dispatch(f.base);
    assert_int_equal(r.heads, 1);
    assert_int_equal(r.ndata + r.done, 0);

    prov_start(&f, SEAM_OP_CHAT, body, &r);
    r.cancel_in = 2; /* from inside the first on_data */
    event_base_dispatch(f.base);
    assert_int_equal(r.ndata, 1);
    assert_int_equal(r.done, 0);

    prov_start(&f, SEAM_OP_CHAT, body, &r); /* mid-stream, from outside */
    struct timeval tv = {0, 7000};
    event_base_loopexit(f.base, &tv);
    event_base_dispatch(f.base);
    assert_true(r.ndata >= 1);
    int seen = r.ndata;
    seam_provider_mock.cancel(r.call);
    event_base_dispatch(f.base);
    assert_int_equal(r.ndata, seen);
    assert_int_equal(r.done, 0);
    prov_close(&f);
}

static void provider_create_rejects(void **state)
{
    seam_provider_conf conf = {.name = "m", .type = "mock", .line = 7, .mock_latency_ms = -1};
    seam_provider *p = NULL;
    char err[128] = "";
    assert_int_equal(seam_provider_mock.create(&conf, &p, err, sizeof err), -1);
    assert_null(p);
    assert_non_null(strstr(err, "providers.m"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chat_plain_echo),
        cmocka_unit_test(chat_echo_off),
        cmocka_unit_test(chat_empty_echo),
        cmocka_unit_test(chat_echo_array_content),
        cmocka_unit_test(chat_stream),
        cmocka_unit_test(chat_stream_include_usage),
        cmocka_unit_test(chat_n_choices),
        cmocka_unit_test(chat_max_tokens),
        cmocka_unit_test(tools_plain),
        cmocka_unit_test(tools_stream),
        cmocka_unit_test(tools_stream_short_args),
        cmocka_unit_test(tools_choice),
        cmocka_unit_test(tools_n2_distinct_ids),
        cmocka_unit_test(faults_directives),
        cmocka_unit_test(faults_random),
        cmocka_unit_test(bad_requests),
        cmocka_unit_test(embeddings_float),
        cmocka_unit_test(embeddings_base64),
        cmocka_unit_test(embeddings_faults),
        cmocka_unit_test(models_list),
        cmocka_unit_test(reply_cap),
        cmocka_unit_test(provider_plain),
        cmocka_unit_test(provider_stream_paced),
        cmocka_unit_test(provider_faults),
        cmocka_unit_test(provider_cancel),
        cmocka_unit_test(provider_create_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
