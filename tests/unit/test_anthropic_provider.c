/* test_anthropic_provider.c — the Anthropic adapter's translation both ways,
 * and the mock that speaks Anthropic's wire.
 *
 * Vendor-side fixtures (responses, streams, errors) are in
 * tests/unit/data/anthropic/, written from Anthropic's API reference; the
 * OpenAI requests are inline.  Requests are checked field by field; streams
 * are fed split at random points and read back as an OpenAI client would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/client.h"
#include "http/sse.h"
#include "providers/anthropic_xlate.h"
#include "providers/mock_wire.h"
#include "providers/provider.h"

static const seam_adapter_ops *ops = &seam_provider_anthropic_ops;

/* ---- fixtures and helpers ---- */

static char *load(const char *name, size_t *n)
{
    char path[512];
    const char *slash = strrchr(__FILE__, '/');
    int dir = slash ? (int)(slash - __FILE__) : 1;
    snprintf(path, sizeof path, "%.*s/data/anthropic/%s", dir, slash ? __FILE__ : ".", name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open fixture %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)len + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    s[len] = '\0';
    *n = (size_t)len;
    return s;
}

/* Dotted path with numeric array indexes: "messages.0.content.1.text". */
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

static const char *sget(json_t *j, const char *path)
{
    json_t *v = jget(j, path);
    if (!json_is_string(v)) fail_msg("%s is not a string", path);
    return json_string_value(v);
}

static long long iget(json_t *j, const char *path)
{
    json_t *v = jget(j, path);
    if (!json_is_integer(v)) fail_msg("%s is not an integer", path);
    return json_integer_value(v);
}

static size_t alen(json_t *j, const char *path)
{
    json_t *v = jget(j, path);
    if (!json_is_array(v)) fail_msg("%s is not an array", path);
    return json_array_size(v);
}

static json_t *parse(const char *p, size_t n)
{
    json_error_t err;
    json_t *j = json_loadb(p, n, 0, &err);
    if (!j) fail_msg("not JSON (%s): %.*s", err.text, (int)n, p);
    return j;
}

static seam_provider_conf conf_a = {
    .name = "a",
    .type = "anthropic",
    .base_url = "http://127.0.0.1:9",
    .api_key = "sk-ant-test",
};

static seam_provider *provider(const seam_provider_conf *conf)
{
    seam_provider *p = NULL;
    char err[256] = "";
    if (seam_provider_anthropic.create(conf, &p, err, sizeof err) != 0) fail_msg("create: %s", err);
    return p;
}

/* One translation: build, then whatever the test feeds through the ops. */
typedef struct call {
    seam_provider *p;
    seam_call_req req;
    seam_adapter_out out;
    void *state;
    char refuse[256];
    int rc;
    json_t *body; /* the Anthropic request, when built */
} call;

static void call_start(call *c, const char *body, int stream, seam_op op)
{
    memset(c, 0, sizeof *c);
    c->p = provider(&conf_a);
    c->req = (seam_call_req){
        .op = op,
        .model = "claude-x",
        .body = body,
        .body_len = strlen(body),
        .stream = stream,
        .refuse = c->refuse,
        .refuse_len = sizeof c->refuse,
    };
    seam_buf_init(&c->out.body, 64u << 20);
    c->state = calloc(1, ops->state_size);
    assert_non_null(c->state);
    c->rc = ops->build(c->p, &c->req, c->state, &c->out);
    if (c->rc == 0) c->body = parse(c->out.body.data, c->out.body.len);
}

static void call_end(call *c)
{
    ops->state_free(c->state);
    free(c->state);
    seam_adapter_out_free(&c->out);
    json_decref(c->body);
    seam_provider_anthropic.destroy(c->p);
}

/* Builds an OpenAI request that must translate; returns the Anthropic body. */
static json_t *translate(call *c, const char *body)
{
    call_start(c, body, 0, SEAM_OP_CHAT);
    if (c->rc != 0) fail_msg("refused: %s", c->refuse);
    return c->body;
}

/* An OpenAI request that must be refused, naming field. */
static void expect_refused(const char *body, const char *field)
{
    call c;
    call_start(&c, body, 0, SEAM_OP_CHAT);
    if (c.rc == 0) fail_msg("not refused: %s", body);
    char want[160];
    snprintf(want, sizeof want, "provider 'a' (anthropic) cannot take %s:", field);
    if (!strstr(c.refuse, want)) fail_msg("refusal '%s' does not name %s", c.refuse, field);
    call_end(&c);
}

static const char *header(const call *c, const char *prefix)
{
    for (int i = 0; i < c->out.nheaders; i++)
        if (strncmp(c->out.headers[i], prefix, strlen(prefix)) == 0) return c->out.headers[i];
    return NULL;
}

/* ---- create, target, headers ---- */

static void test_create_headers(void **state)
{
    call c;
    call_start(&c, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", 0,
               SEAM_OP_CHAT);
    assert_int_equal(c.rc, 0);
    assert_string_equal(seam_http_target_url(c.out.target), "http://127.0.0.1:9/v1/messages");
    assert_string_equal(header(&c, "x-api-key:"), "x-api-key: sk-ant-test");
    assert_string_equal(header(&c, "anthropic-version:"), "anthropic-version: 2023-06-01");
    assert_string_equal(header(&c, "content-type:"), "content-type: application/json");
    assert_string_equal(header(&c, "accept:"), "accept: application/json");
    call_end(&c);

    call_start(&c, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", 1,
               SEAM_OP_CHAT);
    assert_int_equal(c.rc, 0);
    assert_string_equal(header(&c, "accept:"), "accept: text/event-stream");
    assert_true(json_is_true(jget(c.body, "stream")));
    call_end(&c);

    /* no key configured: no x-api-key; another version */
    seam_provider_conf conf = conf_a;
    conf.api_key = NULL;
    conf.api_version = "2024-01-01";
    seam_provider *p = provider(&conf);
    seam_adapter_out out;
    memset(&out, 0, sizeof out);
    seam_buf_init(&out.body, 1 << 20);
    const char *body = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    seam_call_req req = {.op = SEAM_OP_CHAT, .model = "m", .body = body, .body_len = strlen(body)};
    void *st = calloc(1, ops->state_size);
    assert_int_equal(ops->build(p, &req, st, &out), 0);
    for (int i = 0; i < out.nheaders; i++) {
        assert_null(strstr(out.headers[i], "x-api-key"));
        if (strncmp(out.headers[i], "anthropic-version", 17) == 0)
            assert_string_equal(out.headers[i], "anthropic-version: 2024-01-01");
    }
    ops->state_free(st);
    free(st);
    seam_adapter_out_free(&out);
    seam_provider_anthropic.destroy(p);

    /* the default base URL */
    conf = conf_a;
    conf.base_url = NULL;
    p = NULL;
    char err[128];
    assert_int_equal(seam_provider_anthropic.create(&conf, &p, err, sizeof err), 0);
    seam_provider_anthropic.destroy(p);

    assert_ptr_equal(seam_provider_find("anthropic"), &seam_provider_anthropic);
}

static void test_embeddings_refused(void **state)
{
    call c;
    call_start(&c, "{\"model\":\"m\",\"input\":\"hello\"}", 0, SEAM_OP_EMBEDDINGS);
    assert_int_equal(c.rc, -1);
    assert_non_null(strstr(c.refuse, "provider 'a' (anthropic) cannot take embeddings:"));
    call_end(&c);
}

/* ---- request translation ---- */

static void test_req_text(void **state)
{
    call c;
    json_t *b = translate(&c, "{\"model\":\"route\",\"messages\":[{\"role\":\"user\",\"content\":"
                              "\"Hello, Claude\"}]}");
    assert_string_equal(sget(b, "model"), "claude-x"); /* the route's model, not the client's */
    assert_int_equal(iget(b, "max_tokens"), 4096);     /* Anthropic requires one */
    assert_null(jget(b, "system"));
    assert_null(jget(b, "stream"));
    assert_int_equal(alen(b, "messages"), 1);
    assert_string_equal(sget(b, "messages.0.role"), "user");
    assert_int_equal(alen(b, "messages.0.content"), 1);
    assert_string_equal(sget(b, "messages.0.content.0.type"), "text");
    assert_string_equal(sget(b, "messages.0.content.0.text"), "Hello, Claude");
    assert_int_equal(json_object_size(b), 3);
    call_end(&c);
}

static void test_req_system(void **state)
{
    call c;
    json_t *b = translate(
        &c, "{\"model\":\"m\",\"messages\":["
            "{\"role\":\"system\",\"content\":\"You are terse.\"},"
            "{\"role\":\"developer\",\"content\":[{\"type\":\"text\",\"text\":\"Answer in \"},"
            "{\"type\":\"text\",\"text\":\"French.\"}]},"
            "{\"role\":\"user\",\"content\":\"Hi\"}]}");
    assert_string_equal(sget(b, "system"), "You are terse.\n\nAnswer in French.");
    assert_int_equal(alen(b, "messages"), 1);
    assert_string_equal(sget(b, "messages.0.content.0.text"), "Hi");
    call_end(&c);

    expect_refused("{\"messages\":[{\"role\":\"system\",\"content\":[{\"type\":\"image_url\","
                   "\"image_url\":{\"url\":\"https://x/y.png\"}}]}]}",
                   "messages[0].content[0]");
}

static void test_req_multi_turn(void **state)
{
    call c;
    json_t *b = translate(
        &c, "{\"messages\":["
            "{\"role\":\"user\",\"content\":\"Hello there.\"},"
            "{\"role\":\"assistant\",\"content\":\"Hi, I'm Claude. How can I help you?\"},"
            "{\"role\":\"user\",\"content\":\"Can you explain LLMs\"},"
            "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"in plain English?\"}]},"
            "{\"role\":\"assistant\",\"content\":\"\",\"name\":\"bot\"},"
            "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Sure\"}]}]}");
    assert_int_equal(alen(b, "messages"), 4);
    assert_string_equal(sget(b, "messages.0.role"), "user");
    assert_string_equal(sget(b, "messages.0.content.0.text"), "Hello there.");
    assert_string_equal(sget(b, "messages.1.role"), "assistant");
    assert_string_equal(sget(b, "messages.1.content.0.text"),
                        "Hi, I'm Claude. How can I help you?");
    /* consecutive user messages merged: Anthropic wants alternation */
    assert_string_equal(sget(b, "messages.2.role"), "user");
    assert_int_equal(alen(b, "messages.2.content"), 2);
    assert_string_equal(sget(b, "messages.2.content.0.text"), "Can you explain LLMs");
    assert_string_equal(sget(b, "messages.2.content.1.text"), "in plain English?");
    /* the empty assistant text left no empty block behind */
    assert_string_equal(sget(b, "messages.3.role"), "assistant");
    assert_int_equal(alen(b, "messages.3.content"), 1);
    assert_string_equal(sget(b, "messages.3.content.0.text"), "Sure");
    call_end(&c);
}

static void test_req_images(void **state)
{
    call c;
    json_t *b = translate(
        &c,
        "{\"messages\":[{\"role\":\"user\",\"content\":["
        "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/jpeg;base64,/9j/"
        "4AAQSkZJRg==\","
        "\"detail\":\"high\"}},"
        "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://upload.wikimedia.org/a.jpg\"}},"
        "{\"type\":\"text\",\"text\":\"Compare these images.\"},"
        "{\"type\":\"file\",\"file\":{\"filename\":\"a.pdf\",\"file_data\":"
        "\"data:application/pdf;base64,JVBERi0x\"}}]}]}");
    assert_int_equal(alen(b, "messages.0.content"), 4);
    assert_string_equal(sget(b, "messages.0.content.0.type"), "image");
    assert_string_equal(sget(b, "messages.0.content.0.source.type"), "base64");
    assert_string_equal(sget(b, "messages.0.content.0.source.media_type"), "image/jpeg");
    assert_string_equal(sget(b, "messages.0.content.0.source.data"), "/9j/4AAQSkZJRg==");
    assert_null(jget(b, "messages.0.content.0.detail"));
    assert_string_equal(sget(b, "messages.0.content.1.type"), "image");
    assert_string_equal(sget(b, "messages.0.content.1.source.type"), "url");
    assert_string_equal(sget(b, "messages.0.content.1.source.url"),
                        "https://upload.wikimedia.org/a.jpg");
    assert_string_equal(sget(b, "messages.0.content.2.text"), "Compare these images.");
    assert_string_equal(sget(b, "messages.0.content.3.type"), "document");
    assert_string_equal(sget(b, "messages.0.content.3.source.media_type"), "application/pdf");
    assert_string_equal(sget(b, "messages.0.content.3.source.data"), "JVBERi0x");
    call_end(&c);

    expect_refused("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":"
                   "\"x\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"ftp://x/y.png\"}}]}]}",
                   "messages[0].content[1].image_url.url");
    expect_refused("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
                   "\"image_url\":{\"url\":\"data:image/png,rawbytes\"}}]}]}",
                   "messages[0].content[0].image_url.url");
    expect_refused("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\","
                   "\"input_audio\":{\"data\":\"AAA\",\"format\":\"wav\"}}]}]}",
                   "messages[0].content[0]");
    expect_refused("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"file\","
                   "\"file\":{\"file_id\":\"file-abc\"}}]}]}",
                   "messages[0].content[0].file");
}

static const char *weather_tool =
    "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Get the "
    "current weather in a given location\",\"parameters\":{\"type\":\"object\",\"properties\":"
    "{\"location\":{\"type\":\"string\"}},\"required\":[\"location\"]},\"strict\":true}}";

static void test_req_tools(void **state)
{
    char body[2048];
    call c;
    snprintf(body, sizeof body,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"}],\"tools\":[%s,"
             "{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}}]}",
             weather_tool);
    json_t *b = translate(&c, body);
    assert_int_equal(alen(b, "tools"), 2);
    assert_string_equal(sget(b, "tools.0.name"), "get_weather");
    assert_string_equal(sget(b, "tools.0.description"),
                        "Get the current weather in a given location");
    assert_string_equal(sget(b, "tools.0.input_schema.type"), "object");
    assert_string_equal(sget(b, "tools.0.input_schema.properties.location.type"), "string");
    assert_string_equal(sget(b, "tools.0.input_schema.required.0"), "location");
    assert_null(jget(b, "tools.0.strict"));
    assert_null(jget(b, "tools.0.type"));
    /* a function without parameters still gets a schema */
    assert_string_equal(sget(b, "tools.1.name"), "get_time");
    assert_string_equal(sget(b, "tools.1.input_schema.type"), "object");
    assert_null(jget(b, "tool_choice")); /* none sent: Anthropic's default is auto */
    call_end(&c);

    static const struct {
        const char *choice, *parallel, *type, *name;
        int disable;
    } cases[] = {
        {"\"auto\"", NULL, "auto", NULL, 0},
        {"\"required\"", NULL, "any", NULL, 0},
        {"\"none\"", NULL, "none", NULL, 0},
        {"{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}", NULL, "tool",
         "get_weather", 0},
        {NULL, "false", "auto", NULL, 1},
        {"\"required\"", "false", "any", NULL, 1},
        {"{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}", "false", "tool",
         "get_weather", 1},
        {"\"auto\"", "true", "auto", NULL, 0},
        {"\"none\"", "false", "none", NULL, 0}, /* none takes no such flag */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = snprintf(body, sizeof body,
                         "{\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"}],"
                         "\"tools\":[%s]",
                         weather_tool);
        if (cases[i].choice)
            n += snprintf(body + n, sizeof body - n, ",\"tool_choice\":%s", cases[i].choice);
        if (cases[i].parallel)
            n += snprintf(body + n, sizeof body - n, ",\"parallel_tool_calls\":%s",
                          cases[i].parallel);
        snprintf(body + n, sizeof body - n, "}");
        b = translate(&c, body);
        assert_string_equal(sget(b, "tool_choice.type"), cases[i].type);
        if (cases[i].name)
            assert_string_equal(sget(b, "tool_choice.name"), cases[i].name);
        else
            assert_null(jget(b, "tool_choice.name"));
        if (cases[i].disable)
            assert_true(json_is_true(jget(b, "tool_choice.disable_parallel_tool_use")));
        else
            assert_null(jget(b, "tool_choice.disable_parallel_tool_use"));
        call_end(&c);
    }

    expect_refused("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":"
                   "\"custom\",\"custom\":{\"name\":\"grammar\"}}]}",
                   "tools[0]");
    expect_refused("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tool_choice\":"
                   "\"required\"}",
                   "tool_choice");
    snprintf(body, sizeof body,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[%s],"
             "\"tool_choice\":{\"type\":\"allowed_tools\",\"allowed_tools\":{\"mode\":\"auto\","
             "\"tools\":[]}}}",
             weather_tool);
    expect_refused(body, "tool_choice");
}

static void test_req_tool_calls_and_results(void **state)
{
    call c;
    json_t *b = translate(
        &c,
        "{\"messages\":["
        "{\"role\":\"user\",\"content\":\"Weather in SF and NYC?\"},"
        "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
        "{\"id\":\"toolu_01A\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
        "\"arguments\":\"{\\\"location\\\": \\\"San Francisco, CA\\\", \\\"n\\\": [1, 2.5]}\"}},"
        "{\"id\":\"toolu_01B\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
        "\"arguments\":\"{\\\"location\\\":\\\"New York\\\"}\"}},"
        "{\"id\":\"toolu_01C\",\"type\":\"function\",\"function\":{\"name\":\"get_time\","
        "\"arguments\":\"\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"toolu_01A\",\"content\":\"15 degrees\"},"
        "{\"role\":\"tool\",\"tool_call_id\":\"toolu_01B\",\"content\":[{\"type\":\"text\","
        "\"text\":\"20 degrees\"}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"toolu_01C\",\"content\":\"noon\"},"
        "{\"role\":\"user\",\"content\":\"Thanks, which is warmer?\"}]}");
    assert_int_equal(alen(b, "messages"), 3);
    assert_string_equal(sget(b, "messages.1.role"), "assistant");
    assert_int_equal(alen(b, "messages.1.content"), 3); /* no text block for null content */
    assert_string_equal(sget(b, "messages.1.content.0.type"), "tool_use");
    assert_string_equal(sget(b, "messages.1.content.0.id"), "toolu_01A");
    assert_string_equal(sget(b, "messages.1.content.0.name"), "get_weather");
    assert_string_equal(sget(b, "messages.1.content.0.input.location"), "San Francisco, CA");
    json_t *nums = jget(b, "messages.1.content.0.input.n");
    assert_int_equal(json_array_size(nums), 2);
    assert_true(json_real_value(json_array_get(nums, 1)) == 2.5);
    assert_string_equal(sget(b, "messages.1.content.1.id"), "toolu_01B");
    assert_string_equal(sget(b, "messages.1.content.1.input.location"), "New York");
    assert_string_equal(sget(b, "messages.1.content.2.id"), "toolu_01C");
    assert_true(json_is_object(jget(b, "messages.1.content.2.input")));
    assert_int_equal(json_object_size(jget(b, "messages.1.content.2.input")), 0);
    /* three tool results and the next user text share one user message, results first */
    assert_string_equal(sget(b, "messages.2.role"), "user");
    assert_int_equal(alen(b, "messages.2.content"), 4);
    assert_string_equal(sget(b, "messages.2.content.0.type"), "tool_result");
    assert_string_equal(sget(b, "messages.2.content.0.tool_use_id"), "toolu_01A");
    assert_string_equal(sget(b, "messages.2.content.0.content"), "15 degrees");
    assert_string_equal(sget(b, "messages.2.content.1.tool_use_id"), "toolu_01B");
    assert_string_equal(sget(b, "messages.2.content.1.content.0.type"), "text");
    assert_string_equal(sget(b, "messages.2.content.1.content.0.text"), "20 degrees");
    assert_string_equal(sget(b, "messages.2.content.2.tool_use_id"), "toolu_01C");
    assert_string_equal(sget(b, "messages.2.content.3.type"), "text");
    assert_string_equal(sget(b, "messages.2.content.3.text"), "Thanks, which is warmer?");
    call_end(&c);

    /* assistant text before its calls stays in front */
    b = translate(&c, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
                      "{\"role\":\"assistant\",\"content\":\"Let me look.\",\"tool_calls\":["
                      "{\"id\":\"t1\",\"type\":\"function\",\"function\":{\"name\":\"f\","
                      "\"arguments\":\"{}\"}}]},"
                      "{\"role\":\"tool\",\"tool_call_id\":\"t1\",\"content\":\"ok\"}]}");
    assert_string_equal(sget(b, "messages.1.content.0.text"), "Let me look.");
    assert_string_equal(sget(b, "messages.1.content.1.type"), "tool_use");
    call_end(&c);

    expect_refused("{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"t\","
                   "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":"
                   "\"{not json\"}}]}]}",
                   "messages[0].tool_calls[0].function.arguments");
    expect_refused("{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"t\","
                   "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":"
                   "\"[1,2]\"}}]}]}",
                   "messages[0].tool_calls[0].function.arguments");
    expect_refused("{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}",
                   "messages[0].tool_call_id");
    expect_refused("{\"messages\":[{\"role\":\"function\",\"name\":\"f\",\"content\":\"x\"}]}",
                   "messages[0].role");
}

static void test_req_sampling(void **state)
{
    call c;
    json_t *b = translate(&c, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                              "\"temperature\":0.7,\"top_p\":0.9,\"max_tokens\":256,"
                              "\"stop\":\"\\n\\nHuman:\",\"user\":\"user-42\",\"top_k\":5}");
    assert_true(json_real_value(jget(b, "temperature")) == 0.7);
    assert_true(json_real_value(jget(b, "top_p")) == 0.9);
    assert_int_equal(iget(b, "top_k"), 5);
    assert_int_equal(iget(b, "max_tokens"), 256);
    assert_int_equal(alen(b, "stop_sequences"), 1);
    assert_string_equal(sget(b, "stop_sequences.0"), "\n\nHuman:");
    assert_string_equal(sget(b, "metadata.user_id"), "user-42");
    call_end(&c);

    b = translate(&c, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                      "\"max_tokens\":10,\"max_completion_tokens\":300,\"stop\":[\"END\",\"STOP\"],"
                      "\"temperature\":0,\"safety_identifier\":\"hash-1\"}");
    assert_int_equal(iget(b, "max_tokens"), 300); /* the newer name wins */
    assert_int_equal(alen(b, "stop_sequences"), 2);
    assert_string_equal(sget(b, "stop_sequences.1"), "STOP");
    assert_int_equal(iget(b, "temperature"), 0);
    assert_string_equal(sget(b, "metadata.user_id"), "hash-1");
    call_end(&c);

    /* harmless fields are dropped, nulls are absent, zero penalties and n=1 pass */
    b = translate(&c, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"seed\":7,"
                      "\"store\":true,\"metadata\":{\"k\":\"v\"},\"service_tier\":\"auto\","
                      "\"stream_options\":{\"include_usage\":true},\"n\":1,\"logprobs\":false,"
                      "\"presence_penalty\":0,\"frequency_penalty\":0.0,\"logit_bias\":{},"
                      "\"response_format\":{\"type\":\"text\"},\"modalities\":[\"text\"],"
                      "\"temperature\":null,\"audio\":null,\"prompt_cache_key\":\"k\","
                      "\"prediction\":{\"type\":\"content\",\"content\":\"x\"}}");
    const char *key;
    json_t *v;
    json_object_foreach(b, key, v)
    {
        if (strcmp(key, "model") && strcmp(key, "messages") && strcmp(key, "max_tokens"))
            fail_msg("unexpected field %s in the Anthropic request", key);
    }
    call_end(&c);

    expect_refused("{\"messages\":[],\"max_tokens\":0}", "max_tokens");
    expect_refused("{\"messages\":[],\"max_completion_tokens\":\"5\"}", "max_completion_tokens");
    expect_refused("{\"messages\":[],\"stop\":[1]}", "stop");
    expect_refused("{\"messages\":[],\"temperature\":\"hot\"}", "temperature");
}

static void test_req_refusals(void **state)
{
    static const struct {
        const char *extra, *field;
    } cases[] = {
        {"\"n\":2", "n"},
        {"\"logprobs\":true", "logprobs"},
        {"\"top_logprobs\":3", "top_logprobs"},
        {"\"response_format\":{\"type\":\"json_object\"}", "response_format"},
        {"\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\","
         "\"schema\":{}}}",
         "response_format"},
        {"\"audio\":{\"voice\":\"alloy\",\"format\":\"wav\"}", "audio"},
        {"\"modalities\":[\"text\",\"audio\"]", "modalities"},
        {"\"logit_bias\":{\"50256\":-100}", "logit_bias"},
        {"\"presence_penalty\":0.5", "presence_penalty"},
        {"\"frequency_penalty\":-1", "frequency_penalty"},
        {"\"reasoning_effort\":\"high\"", "reasoning_effort"},
        {"\"verbosity\":\"low\"", "verbosity"},
        {"\"web_search_options\":{}", "web_search_options"},
        {"\"functions\":[{\"name\":\"f\"}]", "functions"},
        {"\"function_call\":\"auto\"", "function_call"},
        {"\"frobnicate\":1", "frobnicate"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[512];
        snprintf(body, sizeof body, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],%s}",
                 cases[i].extra);
        expect_refused(body, cases[i].field);
    }
    /* odd shapes are refused with the field, never crash */
    static const struct {
        const char *body, *field;
    } odd[] = {
        {"[]", "the request"},
        {"{\"model\":\"m\"}", "messages"},
        {"{\"messages\":{}}", "messages"},
        {"{\"messages\":[1]}", "messages[0]"},
        {"{\"messages\":[{\"content\":\"x\"}]}", "messages[0].role"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":5}]}", "messages[0].content"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[5]}]}", "messages[0].content[0].type"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]}",
         "messages[0].content[0].text"},
        {"{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":{}}]}", "messages[0].tool_calls"},
        {"{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[7]}]}",
         "messages[0].tool_calls[0]"},
        {"{\"messages\":[{\"role\":\"system\",\"content\":{}}]}", "messages[0].content"},
        {"{\"messages\":[],\"tools\":{}}", "tools"},
        {"{\"messages\":[],\"tools\":[{\"type\":\"function\",\"function\":{}}]}",
         "tools[0].function.name"},
        {"{\"messages\":[],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
         "\"tool_choice\":5}",
         "tool_choice"},
        {"{\"messages\":[],\"parallel_tool_calls\":\"no\"}", "parallel_tool_calls"},
        {"{\"messages\":[],\"user\":5}", "user"},
        {"{\"messages\":[],\"n\":\"1\"}", "n"},
        {"{\"messages\":[],\"modalities\":\"text\"}", "modalities"},
    };
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
        expect_refused(odd[i].body, odd[i].field);

    /* the JSON-mode refusal says why */
    call c;
    call_start(&c, "{\"messages\":[],\"response_format\":{\"type\":\"json_object\"}}", 0,
               SEAM_OP_CHAT);
    assert_non_null(strstr(c.refuse, "JSON"));
    call_end(&c);
}

/* Strings pass through still escaped, and come out meaning the same. */
static void test_req_escapes(void **state)
{
    call c;
    json_t *b = translate(
        &c,
        "{\"messages\":["
        "{\"role\":\"system\",\"content\":\"Be \\\"terse\\\"\\t\\u00e9\"},"
        "{\"role\":\"system\",\"content\":[{\"type\":\"text\",\"text\":\"line\\n\"},"
        "{\"type\":\"text\",\"text\":\"\\ud83d\\ude00\"}]},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\\\\b\\/c\\u0001d\"},"
        "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image\\/png;base64,iVBO\\/w==\"}},"
        "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https:\\/\\/x.test\\/a b.png\"}}]},"
        "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"t\\u0031\",\"type\":\"function\","
        "\"function\":{\"name\":\"f\",\"arguments\":"
        "\"\\n {\\\"q\\\": \\\"Z\\u00fcrich \\\\\\\"CH\\\\\\\"\\\", \\\"n\\\": [1.50, "
        "-0]}\\n\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"t1\",\"content\":\"\\u00e9t\\u00e9\"}],"
        "\"stop\":[\"\\n\\nHuman:\"],\"user\":\"u\\u0031\"}");
    assert_string_equal(sget(b, "system"), "Be \"terse\"\t\xc3\xa9\n\nline\n\xf0\x9f\x98\x80");
    json_t *t = jget(b, "messages.0.content.0.text");
    assert_int_equal(json_string_length(t), 7);
    assert_memory_equal(json_string_value(t), "a\\b/c\1d", 7);
    assert_string_equal(sget(b, "messages.0.content.1.source.media_type"), "image/png");
    assert_string_equal(sget(b, "messages.0.content.1.source.data"), "iVBO/w==");
    assert_string_equal(sget(b, "messages.0.content.2.source.url"), "https://x.test/a b.png");
    assert_string_equal(sget(b, "messages.1.content.0.id"), "t1");
    assert_string_equal(sget(b, "messages.1.content.0.input.q"), "Z\xc3\xbcrich \"CH\"");
    assert_true(json_real_value(jget(b, "messages.1.content.0.input.n.0")) == 1.5);
    assert_string_equal(sget(b, "messages.2.content.0.content"), "\xc3\xa9t\xc3\xa9");
    assert_string_equal(sget(b, "stop_sequences.0"), "\n\nHuman:");
    assert_string_equal(sget(b, "metadata.user_id"), "u1");
    /* copied, not decoded and re-encoded: the client's escapes are still there */
    assert_non_null(strstr(c.out.body.data, "\"a\\\\b\\/c\\u0001d\""));
    call_end(&c);

    /* an escaped data: URL of a PDF is read after decoding */
    b = translate(&c, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"file\",\"file\":"
                      "{\"file_data\":\"data:application\\/pdf;base64,JVBE\\/x==\"}}]}]}");
    assert_string_equal(sget(b, "messages.0.content.0.source.media_type"), "application/pdf");
    assert_string_equal(sget(b, "messages.0.content.0.source.data"), "JVBE/x==");
    call_end(&c);
    expect_refused("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
                   "\"image_url\":{\"url\":\"d\\u0061ta:image/png,raw\"}}]}]}",
                   "messages[0].content[0].image_url.url");
}

/* Numbers reach Anthropic as the client wrote them. */
static void test_req_numbers_as_written(void **state)
{
    call c;
    translate(&c, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":0.7,"
                  "\"top_p\":1E-1,\"top_k\":40,\"max_completion_tokens\":1024}");
    const char *body = c.out.body.data;
    assert_non_null(strstr(body, "\"temperature\":0.7"));
    assert_non_null(strstr(body, "\"top_p\":1E-1"));
    assert_non_null(strstr(body, "\"top_k\":40"));
    assert_non_null(strstr(body, "\"max_tokens\":1024"));
    call_end(&c);

    expect_refused("{\"messages\":[],\"max_tokens\":1.0}", "max_tokens");
    expect_refused("{\"messages\":[],\"max_tokens\":99999999999999999999999}", "max_tokens");
    expect_refused("{\"messages\":[],\"n\":1e0}", "n");
}

/* A repeated key means its last value, as for any JSON reader upstream;
 * an escaped key is its decoded name. */
static void test_req_repeated_and_escaped_keys(void **state)
{
    call c;
    json_t *b = translate(&c, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":2,"
                              "\"n\":1,\"max_tokens\":5,\"max_tokens\":7,"
                              "\"temper\\u0061ture\":0.5,\"stream_options\":null}");
    assert_int_equal(iget(b, "max_tokens"), 7);
    assert_true(json_real_value(jget(b, "temperature")) == 0.5);
    call_end(&c);

    b = translate(&c, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
                      "{\"role\":\"user\",\"role\":\"assistant\",\"content\":\"y\"}]}");
    assert_string_equal(sget(b, "messages.1.role"), "assistant");
    call_end(&c);

    expect_refused("{\"messages\":[],\"n\":1,\"n\":2}", "n");
    expect_refused("{\"messages\":[],\"fr\\u006fb\":1}", "frob");
    expect_refused("{\"messages\":[],\"\\u006e\":3}", "n");
    /* the first problem in the body's order is the one named */
    expect_refused("{\"messages\":[],\"logprobs\":true,\"frob\":1,\"n\":2}", "logprobs");
    expect_refused("{\"messages\":[],\"frob\":1,\"logprobs\":true}", "frob");
    expect_refused("{\"n\":1,\"frob\":1,\"n\":2}", "n"); /* n's last value, at its first place */
    expect_refused("{\"messages\":[],\"frob\":1,\"zork\":2}", "frob");
}

/* A refused request leaves nothing in the output. */
static void test_req_refused_writes_nothing(void **state)
{
    call c;
    call_start(&c,
               "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"user\","
               "\"content\":[{\"type\":\"input_audio\"}]}]}",
               0, SEAM_OP_CHAT);
    assert_int_equal(c.rc, -1);
    assert_int_equal(c.out.body.len, 0);
    call_end(&c);
}

/* ---- JSON responses ---- */

static void assert_usage_reported(const seam_usage *got, json_t *usage)
{
    assert_true(json_is_object(usage));
    assert_int_equal(got->prompt_tokens, iget(usage, "prompt_tokens"));
    assert_int_equal(got->completion_tokens, iget(usage, "completion_tokens"));
    assert_int_equal(got->total_tokens, iget(usage, "total_tokens"));
    assert_int_equal(got->cached_tokens, iget(usage, "prompt_tokens_details.cached_tokens"));
}

static json_t *respond(const char *fixture)
{
    size_t n;
    char *text = load(fixture, &n);
    call c;
    call_start(&c, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 0, SEAM_OP_CHAT);
    seam_buf out;
    seam_buf_init(&out, 1 << 20);
    seam_usage counts = {.prompt_tokens = -1};
    if (ops->response(c.state, &c.req, text, n, &out, &counts) != 0)
        fail_msg("response(%s) failed", fixture);
    json_t *j = parse(out.data, out.len);
    /* the counts handed to the gateway are those the body says */
    assert_usage_reported(&counts, json_object_get(j, "usage"));
    seam_buf_free(&out);
    call_end(&c);
    free(text);
    return j;
}

static void test_resp_text(void **state)
{
    json_t *r = respond("resp_text.json");
    assert_string_equal(sget(r, "id"), "msg_013Zva2CMHLNnXjNJJKqJ2EF");
    assert_string_equal(sget(r, "object"), "chat.completion");
    assert_string_equal(sget(r, "model"), "claude-sonnet-4-20250514");
    assert_true(iget(r, "created") > 1700000000);
    assert_int_equal(alen(r, "choices"), 1);
    assert_int_equal(iget(r, "choices.0.index"), 0);
    assert_string_equal(sget(r, "choices.0.message.role"), "assistant");
    assert_string_equal(sget(r, "choices.0.message.content"), "Hi! My name is Claude.");
    assert_null(jget(r, "choices.0.message.tool_calls"));
    assert_string_equal(sget(r, "choices.0.finish_reason"), "stop");
    assert_int_equal(iget(r, "usage.prompt_tokens"), 2095);
    assert_int_equal(iget(r, "usage.completion_tokens"), 503);
    assert_int_equal(iget(r, "usage.total_tokens"), 2598);
    assert_int_equal(iget(r, "usage.prompt_tokens_details.cached_tokens"), 0);
    json_decref(r);
}

static void test_resp_tools(void **state)
{
    json_t *r = respond("resp_tool_use.json");
    assert_string_equal(sget(r, "choices.0.message.content"),
                        "I'll check the weather in both cities.");
    assert_string_equal(sget(r, "choices.0.finish_reason"), "tool_calls");
    assert_int_equal(alen(r, "choices.0.message.tool_calls"), 2);
    assert_string_equal(sget(r, "choices.0.message.tool_calls.0.id"),
                        "toolu_01A09q90qw90lq917835lq9");
    assert_string_equal(sget(r, "choices.0.message.tool_calls.0.type"), "function");
    assert_string_equal(sget(r, "choices.0.message.tool_calls.0.function.name"), "get_weather");
    const char *args = sget(r, "choices.0.message.tool_calls.0.function.arguments");
    json_t *a = parse(args, strlen(args));
    assert_string_equal(sget(a, "location"), "San Francisco, CA");
    assert_string_equal(sget(a, "unit"), "celsius");
    json_decref(a);
    args = sget(r, "choices.0.message.tool_calls.1.function.arguments");
    a = parse(args, strlen(args));
    assert_string_equal(sget(a, "location"), "Zürich \"CH\"");
    assert_int_equal(iget(a, "days.1"), 2);
    assert_true(json_is_true(jget(a, "detail.wind")));
    json_decref(a);
    assert_string_equal(sget(r, "choices.0.message.tool_calls.1.id"),
                        "toolu_01B19r01rx01mr028946mr0");
    json_decref(r);

    r = respond("resp_tool_only.json");
    assert_true(json_is_null(jget(r, "choices.0.message.content")));
    assert_string_equal(sget(r, "choices.0.message.tool_calls.0.function.arguments"), "{}");
    json_decref(r);
}

static void test_resp_usage_cache(void **state)
{
    json_t *r = respond("resp_cache_usage.json");
    /* OpenAI's prompt_tokens includes cached tokens; Anthropic counts them apart */
    assert_int_equal(iget(r, "usage.prompt_tokens"), 21 + 188 + 1800);
    assert_int_equal(iget(r, "usage.completion_tokens"), 393);
    assert_int_equal(iget(r, "usage.total_tokens"), 21 + 188 + 1800 + 393);
    assert_int_equal(iget(r, "usage.prompt_tokens_details.cached_tokens"), 1800);
    json_decref(r);
}

static void test_resp_thinking_dropped(void **state)
{
    json_t *r = respond("resp_thinking.json");
    assert_string_equal(sget(r, "choices.0.message.content"), "Based on my analysis, 42.");
    json_decref(r);
}

static void test_resp_stop_reasons(void **state)
{
    static const struct {
        const char *anthropic, *openai;
    } map[] = {
        {"\"end_turn\"", "stop"},
        {"\"stop_sequence\"", "stop"},
        {"\"max_tokens\"", "length"},
        {"\"tool_use\"", "tool_calls"},
        {"\"refusal\"", "content_filter"},
        {"\"pause_turn\"", "stop"},
        {"\"model_context_window_exceeded\"", "length"},
        {"\"some_future_reason\"", "stop"},
        {"null", "stop"},
    };
    json_t *r = respond("resp_stop_sequence.json");
    assert_string_equal(sget(r, "choices.0.finish_reason"), "stop");
    assert_string_equal(sget(r, "choices.0.message.content"), "1, 2, 3");
    json_decref(r);
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        char body[512];
        int n = snprintf(body, sizeof body,
                         "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
                         "\"claude\",\"content\":[{\"type\":\"text\",\"text\":\"x\"}],"
                         "\"stop_reason\":%s,\"stop_sequence\":null,\"usage\":{\"input_tokens\":1,"
                         "\"output_tokens\":1}}",
                         map[i].anthropic);
        call c;
        call_start(&c, "{\"messages\":[]}", 0, SEAM_OP_CHAT);
        seam_buf out;
        seam_buf_init(&out, 1 << 20);
        assert_int_equal(ops->response(c.state, &c.req, body, (size_t)n, &out,
                                       &(seam_usage){.prompt_tokens = -1}),
                         0);
        json_t *j = parse(out.data, out.len);
        assert_string_equal(sget(j, "choices.0.finish_reason"), map[i].openai);
        json_decref(j);
        seam_buf_free(&out);
        call_end(&c);
    }
}

static void test_resp_malformed(void **state)
{
    static const char *const bad[] = {
        "",
        "not json",
        "[]",
        "{\"id\":\"msg\",\"content\":\"text\"}",
        "{\"content\":[]}",
        "{\"id\":\"m\",\"content\":[{\"text\":\"no type\"}]}",
        "{\"id\":\"m\",\"content\":[{\"type\":\"text\",\"text\":5}]}",
        "{\"id\":\"m\",\"content\":[{\"type\":\"tool_use\",\"name\":\"f\",\"input\":{}}]}",
        "{\"id\":\"m\",\"content\":[{\"type\":\"text\",\"text\":\"x\"}]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        call c;
        call_start(&c, "{\"messages\":[]}", 0, SEAM_OP_CHAT);
        seam_buf out;
        seam_buf_init(&out, 1 << 20);
        if (ops->response(c.state, &c.req, bad[i], strlen(bad[i]), &out,
                          &(seam_usage){.prompt_tokens = -1}) != -1)
            fail_msg("accepted: %s", bad[i]);
        seam_buf_free(&out);
        call_end(&c);
    }
}

/* Texts join still escaped; tool input becomes a compact arguments string. */
static void test_resp_escapes(void **state)
{
    static const char body[] =
        "{\"id\":\"msg_\\u0031\",\"model\":\"c\\u006caude\",\"content\":["
        "{\"type\":\"text\",\"text\":\"Z\\u00fcrich \\\"CH\\\"\\n\"},"
        "{\"type\":\"thinking\",\"thinking\":\"hmm\"},"
        "{\"type\":\"text\",\"text\":\"\\ud83d\\ude00 \\/ done\"},"
        "{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"f\",\"input\":"
        "{ \"a\" : [ 1.50 , \"x y\\n\" ] ,\n \"b\":{} }}],"
        "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":9223372036854775807,"
        "\"cache_read_input_tokens\":5,\"output_tokens\":1}}";
    call c;
    call_start(&c, "{\"messages\":[]}", 0, SEAM_OP_CHAT);
    seam_buf out;
    seam_buf_init(&out, 1 << 20);
    assert_int_equal(ops->response(c.state, &c.req, body, sizeof body - 1, &out,
                                   &(seam_usage){.prompt_tokens = -1}),
                     0);
    json_t *r = parse(out.data, out.len);
    assert_string_equal(sget(r, "id"), "msg_1");
    assert_string_equal(sget(r, "model"), "claude");
    assert_string_equal(sget(r, "choices.0.message.content"),
                        "Z\xc3\xbcrich \"CH\"\n\xf0\x9f\x98\x80 / done");
    assert_string_equal(sget(r, "choices.0.message.tool_calls.0.function.arguments"),
                        "{\"a\":[1.50,\"x y\\n\"],\"b\":{}}");
    /* counts past the largest integer saturate instead of wrapping */
    assert_true(iget(r, "usage.prompt_tokens") == 9223372036854775807LL);
    assert_true(iget(r, "usage.total_tokens") == 9223372036854775807LL);
    json_decref(r);
    seam_buf_free(&out);
    call_end(&c);
}

/* A malformed answer leaves what the output held before untouched. */
static void test_resp_failure_writes_nothing(void **state)
{
    call c;
    call_start(&c, "{\"messages\":[]}", 0, SEAM_OP_CHAT);
    seam_buf out;
    seam_buf_init(&out, 1 << 20);
    seam_buf_append(&out, "kept", 4);
    static const char bad[] = "{\"id\":\"m\",\"content\":[{\"type\":\"text\",\"text\":\"x\"},"
                              "{\"type\":\"tool_use\",\"id\":\"t\"}]}";
    assert_int_equal(ops->response(c.state, &c.req, bad, sizeof bad - 1, &out,
                                   &(seam_usage){.prompt_tokens = -1}),
                     -1);
    assert_int_equal(out.len, 4);
    assert_string_equal(out.data, "kept");
    /* an output that does not fit fails whole, too */
    seam_buf small;
    seam_buf_init(&small, 64);
    size_t n;
    char *text = load("resp_text.json", &n);
    assert_int_equal(
        ops->response(c.state, &c.req, text, n, &small, &(seam_usage){.prompt_tokens = -1}), -1);
    assert_int_equal(small.len, 0);
    free(text);
    seam_buf_free(&small);
    seam_buf_free(&out);
    call_end(&c);
}

static void test_errors(void **state)
{
    static const struct {
        const char *fixture;
        int status;
        const char *type, *message;
    } cases[] = {
        {"error_429.json", 429, "rate_limit_error",
         "Number of request tokens has exceeded your per-minute rate limit"},
        {"error_400.json", 400, "invalid_request_error",
         "messages: text content blocks must be non-empty"},
        {"error_529.json", 529, "overloaded_error", "Overloaded"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n;
        char *text = load(cases[i].fixture, &n);
        seam_buf out;
        seam_buf_init(&out, 1 << 20);
        assert_int_equal(ops->error(cases[i].status, text, n, &out), 0);
        json_t *j = parse(out.data, out.len);
        assert_string_equal(sget(j, "error.message"), cases[i].message);
        assert_string_equal(sget(j, "error.type"), cases[i].type);
        assert_true(json_is_null(jget(j, "error.param")));
        assert_true(json_is_null(jget(j, "error.code")));
        json_decref(j);
        seam_buf_free(&out);
        free(text);
    }
    /* not Anthropic's shape (a proxy's page): still an OpenAI error */
    seam_buf out;
    seam_buf_init(&out, 1 << 20);
    assert_int_equal(ops->error(502, "<html>Bad Gateway</html>", 24, &out), 0);
    json_t *j = parse(out.data, out.len);
    assert_non_null(strstr(sget(j, "error.message"), "502"));
    assert_string_equal(sget(j, "error.type"), "api_error");
    json_decref(j);
    seam_buf_free(&out);
}

/* ---- streams ---- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

typedef struct oevents {
    json_t *chunks; /* parsed data of each event but [DONE] */
    int done;       /* [DONE] seen */
    int done_last;  /* and nothing after it */
    size_t count;
} oevents;

static int collect(void *ud, const seam_sse_event *ev)
{
    oevents *o = ud;
    if (!ev->data) fail_msg("an event without data in the OpenAI stream");
    if (o->done) o->done_last = 0;
    o->count++;
    if (ev->data_len == 6 && memcmp(ev->data, "[DONE]", 6) == 0) {
        o->done = 1;
        o->done_last = 1;
        return 0;
    }
    json_array_append_new(o->chunks, parse(ev->data, ev->data_len));
    return 0;
}

/* Feeds an Anthropic stream split into random pieces; returns stream_end's
 * result and the OpenAI events in *o. */
static int run_stream(const char *sse, size_t n, int include_usage, uint64_t seed, oevents *o)
{
    call c;
    call_start(&c,
               include_usage
                   ? "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":"
                     "true,\"stream_options\":{\"include_usage\":true}}"
                   : "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":true}",
               1, SEAM_OP_CHAT);
    assert_int_equal(c.rc, 0);
    seam_buf out;
    seam_buf_init(&out, 16 << 20);
    uint64_t rng = seed * 0x9e3779b97f4a7c15ULL + 1;
    int rc = 0;
    for (size_t pos = 0; pos < n && rc == 0;) {
        size_t piece = seed == 0 ? n : 1 + rng_next(&rng) % 40;
        if (piece > n - pos) piece = n - pos;
        rc = ops->stream(c.state, &c.req, sse + pos, piece, &out);
        pos += piece;
    }
    if (rc == 0) rc = ops->stream_end(c.state, &c.req, &out);
    memset(o, 0, sizeof *o);
    o->chunks = json_array();
    seam_sse_reader r;
    seam_sse_reader_init(&r, 1 << 20);
    assert_int_equal(seam_sse_feed(&r, out.data ? out.data : "", out.len, collect, o), 0);
    assert_int_equal(seam_sse_finish(&r, collect, o), 0);
    seam_sse_reader_free(&r);
    seam_buf_free(&out);
    call_end(&c);
    return rc;
}

/* The content deltas of all chunks, joined. */
static void joined_content(json_t *chunks, seam_buf *b)
{
    size_t i;
    json_t *ch;
    json_array_foreach(chunks, i, ch)
    {
        json_t *content = jget(ch, "choices.0.delta.content");
        if (json_is_string(content))
            seam_buf_append(b, json_string_value(content), json_string_length(content));
    }
}

static const char *finish_of(json_t *chunks)
{
    const char *finish = NULL;
    size_t i;
    json_t *ch;
    json_array_foreach(chunks, i, ch)
    {
        json_t *f = jget(ch, "choices.0.finish_reason");
        if (json_is_string(f)) {
            if (finish) fail_msg("two finish_reason chunks");
            finish = json_string_value(f);
        }
    }
    return finish;
}

static char *to_crlf(const char *s, size_t n, size_t *out_n)
{
    char *d = malloc(2 * n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') d[k++] = '\r';
        d[k++] = s[i];
    }
    d[k] = '\0';
    *out_n = k;
    return d;
}

static void test_stream_text(void **state)
{
    size_t n;
    char *sse = load("stream_text.sse", &n);
    size_t crlf_n;
    char *crlf = to_crlf(sse, n, &crlf_n);
    for (uint64_t seed = 0; seed < 300; seed++) {
        oevents o;
        int use_crlf = seed % 3 == 2;
        assert_int_equal(run_stream(use_crlf ? crlf : sse, use_crlf ? crlf_n : n, 0, seed, &o), 0);
        assert_true(o.done && o.done_last);
        json_t *first = json_array_get(o.chunks, 0);
        assert_string_equal(sget(first, "object"), "chat.completion.chunk");
        assert_string_equal(sget(first, "id"), "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY");
        assert_string_equal(sget(first, "model"), "claude-sonnet-4-20250514");
        assert_string_equal(sget(first, "choices.0.delta.role"), "assistant");
        seam_buf b;
        seam_buf_init(&b, 1 << 20);
        joined_content(o.chunks, &b);
        assert_string_equal(b.data, "Hello, Zürich! \"quoted\"\nnew line été 😀 done.");
        seam_buf_free(&b);
        assert_string_equal(finish_of(o.chunks), "stop");
        size_t i;
        json_t *ch;
        json_array_foreach(o.chunks, i, ch)
        {
            assert_string_equal(sget(ch, "id"), "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY");
            assert_int_equal(alen(ch, "choices"), 1); /* no usage chunk: not asked for */
            assert_null(jget(ch, "usage"));
        }
        json_decref(o.chunks);
    }
    free(crlf);
    free(sse);
}

static void test_stream_tools_usage(void **state)
{
    size_t n;
    char *sse = load("stream_tools.sse", &n);
    for (uint64_t seed = 0; seed < 300; seed++) {
        oevents o;
        assert_int_equal(run_stream(sse, n, 1, seed, &o), 0);
        assert_true(o.done && o.done_last);
        seam_buf b;
        seam_buf_init(&b, 1 << 20);
        joined_content(o.chunks, &b);
        assert_string_equal(b.data, "Okay, let's check the weather in both places:");
        seam_buf_free(&b);

        /* reassemble as a client does: by tool_calls[].index */
        seam_buf args[2];
        const char *ids[2] = {NULL, NULL}, *names[2] = {NULL, NULL};
        seam_buf_init(&args[0], 1 << 20);
        seam_buf_init(&args[1], 1 << 20);
        size_t i;
        json_t *ch;
        json_array_foreach(o.chunks, i, ch)
        {
            json_t *calls = jget(ch, "choices.0.delta.tool_calls");
            if (!calls) continue;
            assert_int_equal(json_array_size(calls), 1);
            json_t *tc = json_array_get(calls, 0);
            long long idx = iget(tc, "index");
            assert_true(idx == 0 || idx == 1);
            if (jget(tc, "id")) {
                assert_null(ids[idx]);
                ids[idx] = sget(tc, "id");
                names[idx] = sget(tc, "function.name");
                assert_string_equal(sget(tc, "type"), "function");
            }
            assert_non_null(ids[idx]); /* the id comes first */
            const char *a = sget(tc, "function.arguments");
            seam_buf_append(&args[idx], a, strlen(a));
        }
        assert_string_equal(ids[0], "toolu_01T1x1fJ34qAmk2tNTrN7Up6");
        assert_string_equal(ids[1], "toolu_02B2y2gK45rBnl3uOUsO8Vq7");
        assert_string_equal(names[0], "get_weather");
        assert_string_equal(names[1], "get_weather");
        assert_string_equal(args[0].data,
                            "{\"location\": \"San Francisco, CA\", \"unit\": \"fahrenheit\"}");
        assert_string_equal(args[1].data, "{\"location\": \"Zürich, say \\\"hi\\\"\"}");
        seam_buf_free(&args[0]);
        seam_buf_free(&args[1]);
        assert_string_equal(finish_of(o.chunks), "tool_calls");

        /* the usage chunk is last before [DONE], with no choices */
        json_t *last = json_array_get(o.chunks, json_array_size(o.chunks) - 1);
        assert_int_equal(alen(last, "choices"), 0);
        assert_int_equal(iget(last, "usage.prompt_tokens"), 472 + 100 + 2000);
        assert_int_equal(iget(last, "usage.completion_tokens"), 89);
        assert_int_equal(iget(last, "usage.total_tokens"), 472 + 100 + 2000 + 89);
        assert_int_equal(iget(last, "usage.prompt_tokens_details.cached_tokens"), 2000);
        json_decref(o.chunks);
    }
    free(sse);
}

static void test_stream_thinking_and_noargs(void **state)
{
    size_t n;
    char *sse = load("stream_thinking.sse", &n);
    for (uint64_t seed = 0; seed < 50; seed++) {
        oevents o;
        assert_int_equal(run_stream(sse, n, 1, seed, &o), 0);
        seam_buf b;
        seam_buf_init(&b, 1 << 20);
        joined_content(o.chunks, &b);
        assert_string_equal(b.data, "27 * 453 = 12,231"); /* thinking is not content */
        seam_buf_free(&b);
        assert_string_equal(finish_of(o.chunks), "length");
        json_t *last = json_array_get(o.chunks, json_array_size(o.chunks) - 1);
        assert_int_equal(iget(last, "usage.prompt_tokens"), 30);
        assert_int_equal(iget(last, "usage.completion_tokens"), 100);
        json_decref(o.chunks);
    }
    free(sse);

    /* a tool whose input streamed empty gets "{}", as OpenAI sends it */
    sse = load("stream_noargs.sse", &n);
    oevents o;
    assert_int_equal(run_stream(sse, n, 0, 7, &o), 0);
    seam_buf args;
    seam_buf_init(&args, 1 << 20);
    size_t i;
    json_t *ch;
    json_array_foreach(o.chunks, i, ch)
    {
        json_t *a = jget(ch, "choices.0.delta.tool_calls.0.function.arguments");
        if (json_is_string(a)) seam_buf_append(&args, json_string_value(a), json_string_length(a));
    }
    assert_string_equal(args.data, "{}");
    seam_buf_free(&args);
    json_decref(o.chunks);
    free(sse);
}

static void test_stream_error_event(void **state)
{
    size_t n;
    char *sse = load("stream_error.sse", &n);
    for (uint64_t seed = 0; seed < 50; seed++) {
        oevents o;
        assert_int_equal(run_stream(sse, n, 1, seed, &o), -1); /* failed */
        assert_false(o.done);
        json_t *last = json_array_get(o.chunks, json_array_size(o.chunks) - 1);
        assert_string_equal(sget(last, "error.type"), "overloaded_error");
        assert_string_equal(sget(last, "error.message"), "Overloaded");
        seam_buf b;
        seam_buf_init(&b, 1 << 20);
        joined_content(o.chunks, &b);
        assert_string_equal(b.data, "Partial"); /* what came before is delivered */
        seam_buf_free(&b);
        json_decref(o.chunks);
    }
    free(sse);
}

static void test_stream_cut_short(void **state)
{
    size_t n;
    char *sse = load("stream_cut.sse", &n);
    for (uint64_t seed = 0; seed < 20; seed++) {
        oevents o;
        assert_int_equal(run_stream(sse, n, 0, seed, &o), -1);
        assert_false(o.done);
        json_decref(o.chunks);
    }
    /* cut inside an event, too */
    oevents o;
    assert_int_equal(run_stream(sse, n - 30, 0, 3, &o), -1);
    assert_false(o.done);
    json_decref(o.chunks);
    free(sse);

    /* nothing at all */
    assert_int_equal(run_stream("", 0, 0, 0, &o), -1);
    json_decref(o.chunks);
}

static void test_stream_malformed(void **state)
{
    static const char *const bad[] = {
        "event: message_start\ndata: {not json}\n\n",
        "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
        "\"text\":\"x\"}}\n\n",
        "data: {\"type\":\"message_start\",\"message\":{\"model\":\"m\"}}\n\n",
        "data: {\"type\":\"message_start\",\"message\":{\"id\":\"m\"}}\n\n"
        "data: {\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"text_delta\","
        "\"text\":\"x\"}}\n\n",
        "data: {\"type\":\"message_start\",\"message\":{\"id\":\"m\"}}\n\n"
        "data: {\"type\":\"content_block_start\",\"index\":-1,\"content_block\":{\"type\":"
        "\"text\",\"text\":\"\"}}\n\n",
        "data: {\"type\":\"message_start\",\"message\":{\"id\":\"m\"}}\n\n"
        "data: {\"type\":\"content_block_start\",\"index\":99999999,\"content_block\":{\"type\":"
        "\"text\",\"text\":\"\"}}\n\n",
        "data: {\"type\":\"message_start\",\"message\":{\"id\":\"m\"}}\n\n"
        "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":"
        "\"tool_use\",\"name\":\"f\"}}\n\n",
        "data: {\"no\":\"type\"}\n\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        call c;
        call_start(&c, "{\"messages\":[]}", 1, SEAM_OP_CHAT);
        seam_buf out;
        seam_buf_init(&out, 1 << 20);
        int rc = ops->stream(c.state, &c.req, bad[i], strlen(bad[i]), &out);
        if (rc == 0) rc = ops->stream_end(c.state, &c.req, &out);
        if (rc != -1) fail_msg("accepted: %s", bad[i]);
        seam_buf_free(&out);
        call_end(&c);
    }
    /* unknown event types and comments are skipped, not errors */
    size_t n;
    char *sse = load("stream_text.sse", &n);
    char *more = malloc(n + 200);
    int k = snprintf(
        more, n + 200,
        ": keep-alive\n\nevent: brand_new\ndata: {\"type\":\"brand_new\",\"x\":1}\n\n%s", sse);
    oevents o;
    assert_int_equal(run_stream(more, (size_t)k, 0, 5, &o), 0);
    assert_true(o.done);
    json_decref(o.chunks);
    free(more);
    free(sse);
}

/* Vendor bytes mangled at random: every result is 0 or -1, never a crash
 * (the sanitizers watch), and never output after a -1 from response(). */
static void test_mangled_vendor_bytes(void **state)
{
    static const char *const streams[] = {"stream_text.sse", "stream_tools.sse",
                                          "stream_thinking.sse", "stream_error.sse"};
    static const char *const bodies[] = {"resp_text.json", "resp_tool_use.json",
                                         "resp_cache_usage.json", "error_429.json"};
    uint64_t rng = 0x1234567;
    for (size_t f = 0; f < 4; f++) {
        size_t n;
        char *orig = load(streams[f], &n);
        char *buf = malloc(n);
        for (int round = 0; round < 200; round++) {
            memcpy(buf, orig, n);
            for (int k = 0; k < 1 + round % 8; k++)
                buf[rng_next(&rng) % n] = (char)(rng_next(&rng) & 0xff);
            size_t len = n - rng_next(&rng) % (n / 4);
            oevents o;
            int rc = run_stream(buf, len, (int)(round & 1), (uint64_t)round + 1, &o);
            assert_true(rc == 0 || rc == -1);
            if (rc == 0) assert_true(o.done && o.done_last);
            json_decref(o.chunks);
        }
        free(buf);
        free(orig);

        orig = load(bodies[f], &n);
        buf = malloc(n);
        for (int round = 0; round < 200; round++) {
            memcpy(buf, orig, n);
            for (int k = 0; k < 1 + round % 4; k++)
                buf[rng_next(&rng) % n] = (char)(rng_next(&rng) & 0xff);
            call c;
            call_start(&c, "{\"messages\":[]}", 0, SEAM_OP_CHAT);
            seam_buf out;
            seam_buf_init(&out, 1 << 20);
            int rc =
                ops->response(c.state, &c.req, buf, n, &out, &(seam_usage){.prompt_tokens = -1});
            assert_true(rc == 0 || rc == -1);
            if (rc == 0) json_decref(parse(out.data, out.len)); /* always valid JSON */
            seam_buf_reset(&out);
            assert_int_equal(ops->error(500, buf, n, &out), 0);
            json_decref(parse(out.data, out.len));
            seam_buf_free(&out);
            call_end(&c);
        }
        free(buf);
        free(orig);
    }
}

/* ---- the mock speaks Anthropic, and the translator understands it ---- */

static void mock_plan(const char *path, const char *body, int echo, seam_mock_plan *p)
{
    seam_mock_opts o = {.echo = echo, .rng = 1};
    assert_true(seam_mock_wire_find(path, NULL) != NULL);
    assert_int_equal(seam_mock_anthropic_plan(path, NULL, body, strlen(body), &o, p), 0);
}

static void test_mock_wire_shapes(void **state)
{
    assert_true(seam_mock_anthropic_match("/v1/messages", NULL));
    assert_true(seam_mock_anthropic_match("/v1/messages/count_tokens", "beta=true"));
    assert_false(seam_mock_anthropic_match("/v1/chat/completions", NULL));
    assert_string_equal(seam_mock_wire_find("/v1/messages", NULL)->name, "anthropic-messages");

    seam_mock_plan p;
    mock_plan("/v1/messages",
              "{\"model\":\"claude-x\",\"max_tokens\":100,\"system\":\"be nice\",\"messages\":"
              "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hello \"},"
              "{\"type\":\"text\",\"text\":\"there\"}]}]}",
              1, &p);
    assert_int_equal(p.status, 200);
    assert_false(p.stream);
    json_t *j = parse(p.body.data, p.body.len);
    assert_string_equal(sget(j, "type"), "message");
    assert_string_equal(sget(j, "role"), "assistant");
    assert_string_equal(sget(j, "model"), "claude-x");
    assert_int_equal(strncmp(sget(j, "id"), "msg_", 4), 0);
    assert_string_equal(sget(j, "content.0.type"), "text");
    assert_string_equal(sget(j, "content.0.text"), "Hello there");
    assert_string_equal(sget(j, "stop_reason"), "end_turn");
    assert_true(json_is_null(jget(j, "stop_sequence")));
    assert_true(iget(j, "usage.input_tokens") >= 1);
    assert_int_equal(iget(j, "usage.output_tokens"), 3);
    json_decref(j);
    seam_mock_plan_free(&p);

    /* stop sequences and max_tokens */
    mock_plan("/v1/messages",
              "{\"model\":\"m\",\"max_tokens\":100,\"stop_sequences\":[\"three\",\"two\"],"
              "\"messages\":[{\"role\":\"user\",\"content\":\"one two three\"}]}",
              1, &p);
    j = parse(p.body.data, p.body.len);
    assert_string_equal(sget(j, "content.0.text"), "one ");
    assert_string_equal(sget(j, "stop_reason"), "stop_sequence");
    assert_string_equal(sget(j, "stop_sequence"), "two");
    json_decref(j);
    seam_mock_plan_free(&p);
    mock_plan("/v1/messages",
              "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":"
              "\"a long enough sentence\"}]}",
              1, &p);
    j = parse(p.body.data, p.body.len);
    assert_string_equal(sget(j, "content.0.text"), "a lo");
    assert_string_equal(sget(j, "stop_reason"), "max_tokens");
    json_decref(j);
    seam_mock_plan_free(&p);

    /* count_tokens */
    mock_plan("/v1/messages/count_tokens",
              "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"12345678\"}]}", 1,
              &p);
    j = parse(p.body.data, p.body.len);
    assert_int_equal(iget(j, "input_tokens"), 2);
    json_decref(j);
    seam_mock_plan_free(&p);

    /* the stream: Anthropic's full event sequence */
    mock_plan("/v1/messages",
              "{\"model\":\"m\",\"max_tokens\":100,\"stream\":true,\"messages\":[{\"role\":"
              "\"user\",\"content\":\"Hello there world\"}]}",
              1, &p);
    assert_true(p.stream);
    static const char *const want[] = {
        "message_start",       "content_block_start", "ping",
        "content_block_delta", "content_block_delta", "content_block_delta",
        "content_block_stop",  "message_delta",       "message_stop"};
    assert_int_equal(p.nevents, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < p.nevents; i++) {
        size_t len;
        const char *ev = seam_mock_event(&p, i, &len);
        char head[64];
        int hn = snprintf(head, sizeof head, "event: %s\ndata: ", want[i]);
        assert_int_equal(strncmp(ev, head, (size_t)hn), 0);
        json_t *d = parse(ev + hn, len - (size_t)hn);
        assert_string_equal(sget(d, "type"), want[i]);
        json_decref(d);
    }
    seam_mock_plan_free(&p);
}

static void test_mock_validates(void **state)
{
    static const struct {
        const char *body, *needle;
    } cases[] = {
        {"{\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "model"},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "max_tokens"},
        {"{\"model\":\"m\",\"max_tokens\":1,\"messages\":[]}", "messages"},
        {"{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"system\",\"content\":"
         "\"x\"}]}",
         "role"},
        {"{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":[{"
         "\"type\":\"text\",\"text\":\"\"}]}]}",
         "non-empty"},
        {"{\"model\":\"m\",\"max_tokens\":1,\"temperature\":1.5,\"messages\":[{\"role\":\"user\","
         "\"content\":\"x\"}]}",
         "temperature"},
        {"{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
         "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":"
         "\"f\",\"input\":{}}]},{\"role\":\"user\",\"content\":\"no result\"}]}",
         "tool_result"},
        {"{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":[{"
         "\"type\":\"tool_result\",\"tool_use_id\":\"nope\",\"content\":\"x\"}]}]}",
         "tool_use_id"},
        {"{\"model\":\"m\",\"max_tokens\":1,\"tools\":[{\"name\":\"f\"}],\"messages\":[{\"role\":"
         "\"user\",\"content\":\"x\"}]}",
         "input_schema"},
        {"not json", "JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        seam_mock_plan p;
        mock_plan("/v1/messages", cases[i].body, 1, &p);
        assert_int_equal(p.status, 400);
        json_t *j = parse(p.body.data, p.body.len);
        assert_string_equal(sget(j, "type"), "error");
        assert_string_equal(sget(j, "error.type"), "invalid_request_error");
        if (!strstr(sget(j, "error.message"), cases[i].needle))
            fail_msg("case %zu: '%s' does not mention %s", i, sget(j, "error.message"),
                     cases[i].needle);
        json_decref(j);
        seam_mock_plan_free(&p);
    }
}

static void test_mock_faults(void **state)
{
    static const struct {
        const char *tag;
        int status;
        enum seam_mock_fault fault;
        const char *type;
    } cases[] = {
        {"[[mock:429]]", 429, SEAM_MOCK_STATUS, "rate_limit_error"},
        {"[[mock:500]]", 500, SEAM_MOCK_STATUS, "api_error"},
        {"[[mock:503]]", 529, SEAM_MOCK_STATUS, "overloaded_error"},
        {"[[mock:reset]]", 0, SEAM_MOCK_RESET, NULL},
        {"[[mock:slow]]", 200, SEAM_MOCK_SLOW, NULL},
        {"[[mock:stall]]", 200, SEAM_MOCK_STALL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"model\":\"m\",\"max_tokens\":50,\"stream\":true,\"messages\":[{\"role\":"
                 "\"user\",\"content\":\"please %s now\"}]}",
                 cases[i].tag);
        seam_mock_plan p;
        mock_plan("/v1/messages", body, 1, &p);
        assert_int_equal(p.status, cases[i].status);
        assert_int_equal(p.fault, cases[i].fault);
        if (cases[i].type) {
            json_t *j = parse(p.body.data, p.body.len);
            assert_string_equal(sget(j, "type"), "error");
            assert_string_equal(sget(j, "error.type"), cases[i].type);
            json_decref(j);
            if (cases[i].status == 429)
                assert_string_equal(p.retry_after, "1");
            else
                assert_null(p.retry_after);
        }
        if (cases[i].fault == SEAM_MOCK_STALL) assert_int_equal(p.stall_after, 2);
        seam_mock_plan_free(&p);
    }
    /* random faults at fail_rate 1 */
    seam_mock_opts o = {.echo = 1, .fail_rate = 1.0, .rng = 42};
    const char *body = "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\","
                       "\"content\":\"x\"}]}";
    for (int i = 0; i < 20; i++) {
        seam_mock_plan p;
        assert_int_equal(seam_mock_anthropic_plan("/v1/messages", NULL, body, strlen(body), &o, &p),
                         0);
        assert_true(p.fault != SEAM_MOCK_OK && p.fault != SEAM_MOCK_SLOW);
        seam_mock_plan_free(&p);
    }
}

/* The translator's request goes to the mock, and the mock's answer back
 * through the translator: two independent readings of Anthropic's API. */
static void roundtrip(const char *openai, int stream, int include_usage, json_t **completion,
                      oevents *o)
{
    call c;
    call_start(&c, openai, stream, SEAM_OP_CHAT);
    if (c.rc != 0) fail_msg("refused: %s", c.refuse);
    seam_mock_plan p;
    seam_mock_opts mo = {.echo = 1, .rng = 1};
    assert_int_equal(
        seam_mock_anthropic_plan("/v1/messages", NULL, c.out.body.data, c.out.body.len, &mo, &p),
        0);
    if (p.status != 200) fail_msg("mock said %d: %.*s", p.status, (int)p.body.len, p.body.data);
    seam_buf out;
    seam_buf_init(&out, 16 << 20);
    if (!stream) {
        assert_int_equal(ops->response(c.state, &c.req, p.body.data, p.body.len, &out,
                                       &(seam_usage){.prompt_tokens = -1}),
                         0);
        *completion = parse(out.data, out.len);
    } else {
        for (size_t i = 0; i < p.nevents; i++) { /* as the mock server sends them: one by one */
            size_t len;
            const char *ev = seam_mock_event(&p, i, &len);
            assert_int_equal(ops->stream(c.state, &c.req, ev, len, &out), 0);
        }
        assert_int_equal(ops->stream_end(c.state, &c.req, &out), 0);
        memset(o, 0, sizeof *o);
        o->chunks = json_array();
        seam_sse_reader r;
        seam_sse_reader_init(&r, 1 << 20);
        assert_int_equal(seam_sse_feed(&r, out.data, out.len, collect, o), 0);
        seam_sse_reader_free(&r);
        assert_true(o->done && o->done_last);
        json_t *last = json_array_get(o->chunks, json_array_size(o->chunks) - 1);
        if (include_usage)
            assert_true(iget(last, "usage.total_tokens") > 0);
        else
            assert_null(jget(last, "usage"));
    }
    seam_buf_free(&out);
    seam_mock_plan_free(&p);
    call_end(&c);
}

static void test_roundtrip_with_mock(void **state)
{
    json_t *r;
    oevents o;
    roundtrip("{\"messages\":[{\"role\":\"system\",\"content\":\"S\"},{\"role\":\"user\","
              "\"content\":\"Hello from OpenAI land\"}]}",
              0, 0, &r, NULL);
    assert_string_equal(sget(r, "choices.0.message.content"), "Hello from OpenAI land");
    assert_string_equal(sget(r, "choices.0.finish_reason"), "stop");
    assert_string_equal(sget(r, "model"), "claude-x");
    assert_int_equal(iget(r, "usage.completion_tokens"), 6);
    json_decref(r);

    roundtrip("{\"messages\":[{\"role\":\"user\",\"content\":\"Hello from OpenAI land\"}],"
              "\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
              1, 1, NULL, &o);
    seam_buf b;
    seam_buf_init(&b, 1 << 20);
    joined_content(o.chunks, &b);
    assert_string_equal(b.data, "Hello from OpenAI land");
    seam_buf_free(&b);
    json_decref(o.chunks);

    char body[2048];
    snprintf(body, sizeof body,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"Paris\"}],\"tools\":[%s]}",
             weather_tool);
    roundtrip(body, 0, 0, &r, NULL);
    assert_string_equal(sget(r, "choices.0.finish_reason"), "tool_calls");
    assert_true(json_is_null(jget(r, "choices.0.message.content")));
    assert_string_equal(sget(r, "choices.0.message.tool_calls.0.function.name"), "get_weather");
    assert_string_equal(sget(r, "choices.0.message.tool_calls.0.function.arguments"),
                        "{\"location\":\"Paris\"}");
    json_decref(r);

    /* streamed: the pieces reassemble to the same arguments */
    snprintf(body, sizeof body,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"Paris, the capital of France\"}],"
             "\"stream\":true,\"tools\":[%s]}",
             weather_tool);
    roundtrip(body, 1, 0, NULL, &o);
    seam_buf args;
    seam_buf_init(&args, 1 << 20);
    size_t i, pieces = 0;
    json_t *ch;
    json_array_foreach(o.chunks, i, ch)
    {
        json_t *a = jget(ch, "choices.0.delta.tool_calls.0.function.arguments");
        if (json_is_string(a) && json_string_length(a)) {
            seam_buf_append(&args, json_string_value(a), json_string_length(a));
            pieces++;
        }
    }
    assert_string_equal(args.data, "{\"location\":\"Paris, the capital of France\"}");
    assert_true(pieces >= 3);
    assert_string_equal(finish_of(o.chunks), "tool_calls");
    seam_buf_free(&args);
    json_decref(o.chunks);

    /* an agent loop's second turn passes the mock's tool_use/tool_result pairing */
    snprintf(body, sizeof body,
             "{\"messages\":[{\"role\":\"user\",\"content\":\"Paris\"},"
             "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\","
             "\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":"
             "\"{\\\"location\\\":\\\"Paris\\\"}\"}},{\"id\":\"call_2\",\"type\":\"function\","
             "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{}\"}}]},"
             "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"sunny\"},"
             "{\"role\":\"tool\",\"tool_call_id\":\"call_2\",\"content\":\"rainy\"}],"
             "\"tools\":[%s]}",
             weather_tool);
    roundtrip(body, 0, 0, &r, NULL);
    assert_string_equal(sget(r, "choices.0.finish_reason"), "stop");
    assert_string_equal(sget(r, "choices.0.message.content"), "Paris");
    json_decref(r);

    /* stop and max_tokens reach the mock and come back as OpenAI reasons */
    roundtrip("{\"messages\":[{\"role\":\"user\",\"content\":\"alpha beta gamma\"}],"
              "\"stop\":\"gamma\"}",
              0, 0, &r, NULL);
    assert_string_equal(sget(r, "choices.0.message.content"), "alpha beta ");
    assert_string_equal(sget(r, "choices.0.finish_reason"), "stop");
    json_decref(r);
    roundtrip("{\"messages\":[{\"role\":\"user\",\"content\":\"alpha beta gamma\"}],"
              "\"max_completion_tokens\":2}",
              0, 0, &r, NULL);
    assert_string_equal(sget(r, "choices.0.message.content"), "alpha be");
    assert_string_equal(sget(r, "choices.0.finish_reason"), "length");
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_headers),
        cmocka_unit_test(test_embeddings_refused),
        cmocka_unit_test(test_req_text),
        cmocka_unit_test(test_req_system),
        cmocka_unit_test(test_req_multi_turn),
        cmocka_unit_test(test_req_images),
        cmocka_unit_test(test_req_tools),
        cmocka_unit_test(test_req_tool_calls_and_results),
        cmocka_unit_test(test_req_sampling),
        cmocka_unit_test(test_req_refusals),
        cmocka_unit_test(test_req_escapes),
        cmocka_unit_test(test_req_numbers_as_written),
        cmocka_unit_test(test_req_repeated_and_escaped_keys),
        cmocka_unit_test(test_req_refused_writes_nothing),
        cmocka_unit_test(test_resp_text),
        cmocka_unit_test(test_resp_tools),
        cmocka_unit_test(test_resp_usage_cache),
        cmocka_unit_test(test_resp_thinking_dropped),
        cmocka_unit_test(test_resp_stop_reasons),
        cmocka_unit_test(test_resp_malformed),
        cmocka_unit_test(test_resp_escapes),
        cmocka_unit_test(test_resp_failure_writes_nothing),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_stream_text),
        cmocka_unit_test(test_stream_tools_usage),
        cmocka_unit_test(test_stream_thinking_and_noargs),
        cmocka_unit_test(test_stream_error_event),
        cmocka_unit_test(test_stream_cut_short),
        cmocka_unit_test(test_stream_malformed),
        cmocka_unit_test(test_mangled_vendor_bytes),
        cmocka_unit_test(test_mock_wire_shapes),
        cmocka_unit_test(test_mock_validates),
        cmocka_unit_test(test_mock_faults),
        cmocka_unit_test(test_roundtrip_with_mock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
