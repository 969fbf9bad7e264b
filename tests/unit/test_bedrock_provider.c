/* test_bedrock_provider.c — the Bedrock adapter: OpenAI -> Converse requests,
 * Converse answers and ConverseStream frames -> OpenAI, refusals, errors,
 * credentials, and the SigV4 Authorization header checked against a
 * signature computed here, independently of sigv4.c, for a fixed clock.
 *
 * Fixtures are in tests/unit/data/bedrock (see its README.md).  The
 * translation steps are driven directly through the ops that
 * seam_adapter_start() runs, with a provider made by create(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/client.h"
#include "providers/adapter.h"
#include "providers/eventstream.h"
#include "providers/mock_wire.h"
#include "providers/provider.h"

/* Defined in bedrock.c for tests (no header: see the report's request). */
#include "providers/bedrock_xlate.h"

#define DATA      "tests/unit/data/bedrock/"
#define MODEL     "anthropic.claude-3-5-sonnet-20240620-v1:0"
#define FIXED_NOW 1440938160 /* 2015-08-30T12:36:00Z, the SigV4 suite's time */
#define AKID      "AKIDEXAMPLE"
#define SECRET    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static time_t fixed_clock(void)
{
    return FIXED_NOW;
}

/* ---- fixtures and helpers ---- */

static char *slurp(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, DATA "%s", name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("%s: missing (run from the repository root)", path);
    seam_buf b;
    seam_buf_init(&b, 1 << 20);
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        assert_int_equal(seam_buf_append(&b, tmp, n), 0);
    fclose(f);
    if (len) *len = b.len;
    return b.data;
}

static json_t *load(const char *name)
{
    json_error_t err;
    char path[256];
    snprintf(path, sizeof path, DATA "%s", name);
    json_t *j = json_load_file(path, 0, &err);
    if (!j) fail_msg("%s: %s", path, err.text);
    return j;
}

static json_t *parse(const char *p, size_t n)
{
    json_error_t err;
    json_t *j = json_loadb(p, n, JSON_ALLOW_NUL, &err);
    if (!j) fail_msg("not JSON (%s): %.*s", err.text, (int)n, p);
    return j;
}

static void assert_json_equal(json_t *want, json_t *got, const char *what)
{
    if (json_equal(want, got)) return;
    char *w = json_dumps(want, JSON_INDENT(1) | JSON_SORT_KEYS);
    char *g = json_dumps(got, JSON_INDENT(1) | JSON_SORT_KEYS);
    fail_msg("%s differs\n--- want\n%s\n--- got\n%s", what, w, g);
}

typedef struct fixture {
    seam_provider_conf conf;
    seam_provider *p;
} fixture;

static void set_creds(const char *token)
{
    setenv("AWS_ACCESS_KEY_ID", AKID, 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    if (token)
        setenv("AWS_SESSION_TOKEN", token, 1);
    else
        unsetenv("AWS_SESSION_TOKEN");
}

static int make_provider(fixture *f, const char *base_url, const char *region, char *err,
                         size_t errlen)
{
    memset(f, 0, sizeof *f);
    f->conf.name = "aws";
    f->conf.type = "bedrock";
    f->conf.base_url = base_url;
    f->conf.region = region;
    return seam_provider_bedrock.create(&f->conf, &f->p, err, errlen);
}

static int setup(void **state)
{
    set_creds(NULL);
    seam_bedrock_clock = fixed_clock;
    fixture *f = malloc(sizeof *f);
    char err[256];
    if (!f || make_provider(f, NULL, "us-east-1", err, sizeof err) != 0) {
        fprintf(stderr, "create: %s\n", err);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    seam_provider_bedrock.destroy(f->p);
    free(f);
    return 0;
}

/* One call's translation: the request, the adapter's output and state. */
typedef struct call {
    seam_call_req req;
    seam_adapter_out out;
    void *st;
    char refuse[512];
    char *body;
} call;

static int build(const seam_provider *p, call *c, const char *body, int stream, seam_op op)
{
    memset(c, 0, sizeof *c);
    c->body = strdup(body);
    c->req.op = op;
    c->req.model = MODEL;
    c->req.body = c->body;
    c->req.body_len = strlen(body);
    c->req.stream = stream;
    c->req.refuse = c->refuse;
    c->req.refuse_len = sizeof c->refuse;
    seam_buf_init(&c->out.body, 64u << 20);
    c->st = calloc(1, seam_bedrock_ops.state_size);
    assert_non_null(c->st);
    return seam_bedrock_ops.build(p, &c->req, c->st, &c->out);
}

static void call_free(call *c)
{
    seam_bedrock_ops.state_free(c->st);
    free(c->st);
    seam_adapter_out_free(&c->out);
    free(c->body);
}

static const char *header(const call *c, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < c->out.nheaders; i++)
        if (strncasecmp(c->out.headers[i], name, n) == 0 && c->out.headers[i][n] == ':')
            return c->out.headers[i] + n + 2;
    return NULL;
}

/* ---- requests ---- */

static void check_request(void **state, const char *name)
{
    fixture *f = *state;
    char in[128], want[128];
    snprintf(in, sizeof in, "req-%s.openai.json", name);
    snprintf(want, sizeof want, "req-%s.converse.json", name);
    char *body = slurp(in, NULL);
    call c;
    if (build(f->p, &c, body, 0, SEAM_OP_CHAT) != 0) fail_msg("%s refused: %s", name, c.refuse);
    json_t *got = parse(c.out.body.data, c.out.body.len);
    json_t *exp = load(want);
    assert_json_equal(exp, got, name);
    json_decref(got);
    json_decref(exp);
    call_free(&c);
    free(body);
}

static void test_request_text(void **state)
{
    check_request(state, "text");
}
static void test_request_system(void **state)
{
    check_request(state, "system");
}
static void test_request_multi_turn(void **state)
{
    check_request(state, "multi-turn");
}
static void test_request_images(void **state)
{
    check_request(state, "images");
}
static void test_request_tools(void **state)
{
    check_request(state, "tools");
}
static void test_request_tool_results(void **state)
{
    check_request(state, "tool-results");
}
static void test_request_inference_config(void **state)
{
    check_request(state, "inference");
}

static json_t *built(void **state, const char *body)
{
    fixture *f = *state;
    call c;
    if (build(f->p, &c, body, 0, SEAM_OP_CHAT) != 0) fail_msg("refused: %s", c.refuse);
    json_t *j = parse(c.out.body.data, c.out.body.len);
    call_free(&c);
    return j;
}

static void test_tool_choice_variants(void **state)
{
    const char *tools = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]";
    char body[512];
    /* auto -> {auto:{}} */
    snprintf(body, sizeof body,
             "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],%s,"
             "\"tool_choice\":\"auto\"}",
             tools);
    json_t *j = built(state, body);
    assert_true(json_is_object(
        json_object_get(json_object_get(json_object_get(j, "toolConfig"), "toolChoice"), "auto")));
    json_decref(j);
    /* absent -> tools without toolChoice (Bedrock's default is auto) */
    snprintf(body, sizeof body,
             "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],%s}", tools);
    j = built(state, body);
    assert_non_null(json_object_get(json_object_get(j, "toolConfig"), "tools"));
    assert_null(json_object_get(json_object_get(j, "toolConfig"), "toolChoice"));
    json_decref(j);
    /* none -> no toolConfig at all */
    snprintf(body, sizeof body,
             "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],%s,"
             "\"tool_choice\":\"none\"}",
             tools);
    j = built(state, body);
    assert_null(json_object_get(j, "toolConfig"));
    json_decref(j);
    /* empty tools with auto: nothing to configure */
    j = built(state, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                     "\"tools\":[],\"tool_choice\":\"auto\"}");
    assert_null(json_object_get(j, "toolConfig"));
    json_decref(j);
}

static void test_tool_call_without_arguments(void **state)
{
    json_t *j = built(
        state, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
               "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"t1\",\"type\":"
               "\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]},"
               "{\"role\":\"tool\",\"tool_call_id\":\"t1\",\"content\":\"\"}],"
               "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}");
    json_t *want = json_loads("[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]},"
                              "{\"role\":\"assistant\",\"content\":[{\"toolUse\":{\"toolUseId\":"
                              "\"t1\",\"name\":\"f\",\"input\":{}}}]},"
                              "{\"role\":\"user\",\"content\":[{\"toolResult\":{\"toolUseId\":"
                              "\"t1\",\"content\":[{\"text\":\"\"}]}}]}]",
                              0, NULL);
    assert_json_equal(want, json_object_get(j, "messages"), "messages");
    json_decref(want);
    json_decref(j);
}

/* \u0000 is valid JSON (the gateway's scanner accepts it): it reaches Bedrock intact. */
static void test_nul_in_text_survives(void **state)
{
    json_t *j = built(state, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
                             "\"a\\u0000b\"}]}");
    json_t *t = json_object_get(
        json_array_get(
            json_object_get(json_array_get(json_object_get(j, "messages"), 0), "content"), 0),
        "text");
    assert_int_equal(json_string_length(t), 3);
    assert_memory_equal(json_string_value(t), "a\0b", 3);
    json_decref(j);
}

/* ---- refusals ---- */

static void assert_refused(void **state, const char *body, seam_op op, const char *field)
{
    fixture *f = *state;
    call c;
    assert_int_equal(build(f->p, &c, body, 0, op), -1);
    char want[128];
    snprintf(want, sizeof want, "provider 'aws' (bedrock) cannot take %s:", field);
    if (!strstr(c.refuse, want)) fail_msg("refusal '%s' does not name '%s'", c.refuse, field);
    call_free(&c);
}

#define USER_X "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]"

static void test_refusals_name_the_field(void **state)
{
    static const struct {
        const char *body, *field;
    } cases[] = {
        {"{\"model\":\"m\"," USER_X ",\"n\":2}", "n"},
        {"{\"model\":\"m\"," USER_X ",\"logprobs\":true}", "logprobs"},
        {"{\"model\":\"m\"," USER_X ",\"top_logprobs\":3}", "top_logprobs"},
        {"{\"model\":\"m\"," USER_X ",\"logit_bias\":{\"50256\":-100}}", "logit_bias"},
        {"{\"model\":\"m\"," USER_X ",\"response_format\":{\"type\":\"json_schema\","
         "\"json_schema\":{\"name\":\"x\",\"schema\":{}}}}",
         "response_format"},
        {"{\"model\":\"m\"," USER_X ",\"response_format\":{\"type\":\"json_object\"}}",
         "response_format"},
        {"{\"model\":\"m\"," USER_X ",\"frequency_penalty\":0.5}", "frequency_penalty"},
        {"{\"model\":\"m\"," USER_X ",\"presence_penalty\":-1}", "presence_penalty"},
        {"{\"model\":\"m\"," USER_X ",\"seed\":42}", "seed"},
        {"{\"model\":\"m\"," USER_X ",\"audio\":{\"voice\":\"alloy\",\"format\":\"mp3\"}}",
         "audio"},
        {"{\"model\":\"m\"," USER_X ",\"modalities\":[\"text\",\"audio\"]}", "modalities"},
        {"{\"model\":\"m\"," USER_X ",\"reasoning_effort\":\"high\"}", "reasoning_effort"},
        {"{\"model\":\"m\"," USER_X ",\"some_new_field\":1}", "some_new_field"},
        {"{\"model\":\"m\"," USER_X ",\"max_tokens\":0}", "max_tokens"},
        {"{\"model\":\"m\"," USER_X ",\"stop\":[1]}", "stop"},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
         "\"text\":\"see\"},{\"type\":\"image_url\",\"image_url\":{\"url\":"
         "\"https://example.com/cat.png\"}}]}]}",
         "messages[0].content[1]"},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
         "\"image_url\":{\"url\":\"data:image/tiff;base64,AAAA\"}}]}]}",
         "messages[0].content[0]"},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
         "\"input_audio\",\"input_audio\":{\"data\":\"AAAA\",\"format\":\"wav\"}}]}]}",
         "messages[0].content[0]"},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"function\",\"name\":\"f\",\"content\":"
         "\"x\"}]}",
         "messages[0].role"},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":"
         "\"assistant\",\"tool_calls\":[{\"id\":\"t\",\"type\":\"function\",\"function\":{"
         "\"name\":\"f\",\"arguments\":\"{not json\"}}]}]}",
         "messages[1].tool_calls[0]"},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":"
         "\"tool\",\"content\":\"r\"}]}",
         "messages[1].tool_call_id"},
        {"{\"model\":\"m\"," USER_X ",\"tools\":[{\"type\":\"web_search\"}]}", "tools[0]"},
        {"{\"model\":\"m\"," USER_X ",\"tool_choice\":\"required\"}", "tool_choice"},
        {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":"
         "\"assistant\",\"tool_calls\":[{\"id\":\"t\",\"type\":\"function\",\"function\":{"
         "\"name\":\"f\",\"arguments\":\"{}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"t\","
         "\"content\":\"r\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
         "\"tool_choice\":\"none\"}",
         "tool_choice"},
        {"{\"model\":\"m\"," USER_X ",\"functions\":[{\"name\":\"f\"}]}", "functions"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_refused(state, cases[i].body, SEAM_OP_CHAT, cases[i].field);
    assert_refused(state, "{\"model\":\"m\",\"input\":\"embed me\"}", SEAM_OP_EMBEDDINGS,
                   "embeddings");
}

static void test_bad_model_id_refused(void **state)
{
    fixture *f = *state;
    call c;
    memset(&c, 0, sizeof c);
    c.body = strdup("{\"model\":\"\"," USER_X "}");
    c.req.op = SEAM_OP_CHAT;
    c.req.model = "";
    c.req.body = c.body;
    c.req.body_len = strlen(c.body);
    c.req.refuse = c.refuse;
    c.req.refuse_len = sizeof c.refuse;
    seam_buf_init(&c.out.body, 1 << 20);
    c.st = calloc(1, seam_bedrock_ops.state_size);
    assert_int_equal(seam_bedrock_ops.build(f->p, &c.req, c.st, &c.out), -1);
    assert_non_null(strstr(c.refuse, "cannot take model:"));
    call_free(&c);
}

/* The body as sent, to check bytes that JSON equality would not see. */
static char *built_raw(void **state, const char *body)
{
    fixture *f = *state;
    call c;
    if (build(f->p, &c, body, 0, SEAM_OP_CHAT) != 0) fail_msg("refused: %s", c.refuse);
    char *raw = strndup(c.out.body.data, c.out.body.len);
    call_free(&c);
    return raw;
}

/* Escaped strings and numbers reach Converse as the client wrote them, and
 * what is compared (roles, part types, the data: URL) is compared decoded. */
static void test_escapes_and_numbers_pass_through(void **state)
{
    const char *body =
        "{\"model\":\"m\",\"messages\":["
        "{\"role\":\"system\",\"content\":\"s\\u00e9 \\\"q\\\"\"},"
        "{\"r\\u006fle\":\"user\",\"content\":[{\"type\":\"t\\u0065xt\",\"text\":"
        "\"line\\nnext \\u2603 \\\\ \\/\"},{\"type\":\"image_url\",\"image_url\":{\"url\":"
        "\"data:image\\/PNG;base64,iVBOR\\/w==\"}}]},"
        "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"t\\u0031\","
        "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":"
        "\" {\\\"a\\\": \\\"\\\\u00e9\\\\n\\\", \\\"n\\\": 1.50e1}\\n \"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"t1\",\"content\":\"ok\"}],"
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"description\":"
        "\"d\\u00e9\",\"parameters\":{\"type\":\"object\",\"properties\":{\"n\":{\"type\":"
        "\"number\",\"maximum\":1.50}}}}}],"
        "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"f\"}},"
        "\"temperature\":0.70,\"top_p\":1e-1,\"max_tokens\":100,\"top_k\":40}";
    char *raw = built_raw(state, body);
    json_t *j = parse(raw, strlen(raw));
    json_t *want = json_loads(
        "{\"system\":[{\"text\":\"s\\u00e9 \\\"q\\\"\"}],"
        "\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"line\\nnext \\u2603 \\\\ /\"},"
        "{\"image\":{\"format\":\"png\",\"source\":{\"bytes\":\"iVBOR/w==\"}}}]},"
        "{\"role\":\"assistant\",\"content\":[{\"toolUse\":{\"toolUseId\":\"t1\",\"name\":\"f\","
        "\"input\":{\"a\":\"\\u00e9\\n\",\"n\":15.0}}}]},"
        "{\"role\":\"user\",\"content\":[{\"toolResult\":{\"toolUseId\":\"t1\",\"content\":["
        "{\"text\":\"ok\"}]}}]}],"
        "\"toolConfig\":{\"tools\":[{\"toolSpec\":{\"name\":\"f\",\"description\":\"d\\u00e9\","
        "\"inputSchema\":{\"json\":{\"type\":\"object\",\"properties\":{\"n\":{\"type\":"
        "\"number\",\"maximum\":1.5}}}}}}],\"toolChoice\":{\"tool\":{\"name\":\"f\"}}},"
        "\"inferenceConfig\":{\"maxTokens\":100,\"temperature\":0.7,\"topP\":0.1},"
        "\"additionalModelRequestFields\":{\"top_k\":40}}",
        0, NULL);
    assert_non_null(want);
    assert_json_equal(want, j, "escapes and numbers");
    /* copied, not decoded and re-encoded */
    assert_non_null(strstr(raw, "\"text\":\"s\\u00e9 \\\"q\\\"\""));
    assert_non_null(strstr(raw, "\"toolUseId\":\"t\\u0031\""));
    assert_non_null(strstr(raw, "\"temperature\":0.70"));
    assert_non_null(strstr(raw, "\"topP\":1e-1"));
    assert_non_null(strstr(raw, "\"maximum\":1.50"));
    assert_non_null(strstr(raw, "\"input\":{\"a\": \"\\u00e9\\n\", \"n\": 1.50e1}}"));
    json_decref(want);
    json_decref(j);
    free(raw);
}

/* A repeated top-level field counts once, the last one, as in jansson and
 * JavaScript; keys are compared decoded. */
static void test_repeated_and_escaped_fields(void **state)
{
    json_t *j = built(state, "{\"model\":\"m\"," USER_X ",\"max_tokens\":0,\"max_tokens\":5,"
                             "\"seed\":1,\"seed\":null,\"m\\u0061x_tokens\":7}");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "inferenceConfig"), "maxTokens")), 7);
    json_decref(j);
    assert_refused(state, "{\"model\":\"m\"," USER_X ",\"max_tokens\":5,\"max_tokens\":0}",
                   SEAM_OP_CHAT, "max_tokens");
    assert_refused(state, "{\"mod\\u0065l\":\"m\"," USER_X ",\"s\\u0065ed\":1}", SEAM_OP_CHAT,
                   "seed");
    assert_refused(state, "{\"model\":\"m\"," USER_X ",\"seed\\u0000\":1}", SEAM_OP_CHAT, "seed");
    assert_refused(state, "[{\"model\":\"m\"," USER_X "}]", SEAM_OP_CHAT, "body");
    /* a repeated field stands where it first appeared: that decides which refusal is reported */
    assert_refused(state, "{\"model\":\"m\"," USER_X ",\"zz1\":1,\"zz2\":2,\"zz1\":3}",
                   SEAM_OP_CHAT, "zz1");

    /* the refusal quotes the decoded type */
    fixture *f = *state;
    call c;
    assert_int_equal(build(f->p, &c,
                           "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{"
                           "\"type\":\"aud\\u0069o\"}]}]}",
                           0, SEAM_OP_CHAT),
                     -1);
    assert_non_null(strstr(c.refuse, "messages[0].content[0]: content part type 'audio'"));
    call_free(&c);
}

/* ---- the signed request ---- */

static void hmac(unsigned char out[32], const void *key, size_t klen, const char *msg)
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, klen);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, strlen(msg));
    crypto_auth_hmacsha256_final(&st, out);
}

static void hex(const unsigned char *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* SigV4 by hand, straight from AWS's guide, for the request seam built. */
static void expected_authorization(const char *host, const char *canonical_path, const char *accept,
                                   const char *token, const char *body, size_t body_len, char *out,
                                   size_t outlen)
{
    unsigned char d[32];
    char body_hash[65], cr_hash[65], sig[65];
    crypto_hash_sha256(d, (const unsigned char *)body, body_len);
    hex(d, 32, body_hash);
    char cr[2048];
    snprintf(cr, sizeof cr,
             "POST\n%s\n\naccept:%s\ncontent-type:application/json\nhost:%s\n"
             "x-amz-date:20150830T123600Z\n%s%s%s\naccept;content-type;host;x-amz-date%s\n%s",
             canonical_path, accept, host, token ? "x-amz-security-token:" : "", token ? token : "",
             token ? "\n" : "", token ? ";x-amz-security-token" : "", body_hash);
    crypto_hash_sha256(d, (const unsigned char *)cr, strlen(cr));
    hex(d, 32, cr_hash);
    char sts[512];
    snprintf(sts, sizeof sts,
             "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/bedrock/aws4_request\n%s",
             cr_hash);
    unsigned char k1[32], k2[32];
    hmac(k1, "AWS4" SECRET, strlen("AWS4" SECRET), "20150830");
    hmac(k2, k1, 32, "us-east-1");
    hmac(k1, k2, 32, "bedrock");
    hmac(k2, k1, 32, "aws4_request");
    hmac(k1, k2, 32, sts);
    hex(k1, 32, sig);
    snprintf(out, outlen,
             "AWS4-HMAC-SHA256 Credential=" AKID "/20150830/us-east-1/bedrock/aws4_request, "
             "SignedHeaders=accept;content-type;host;x-amz-date%s, Signature=%s",
             token ? ";x-amz-security-token" : "", sig);
}

static void test_signed_request(void **state)
{
    fixture *f = *state;
    call c;
    assert_int_equal(build(f->p, &c, "{\"model\":\"m\"," USER_X "}", 0, SEAM_OP_CHAT), 0);
    assert_string_equal(seam_http_target_url(c.out.target),
                        "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
                        "anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse");
    assert_string_equal(header(&c, "Host"), "bedrock-runtime.us-east-1.amazonaws.com");
    assert_string_equal(header(&c, "Content-Type"), "application/json");
    assert_string_equal(header(&c, "Accept"), "application/json");
    assert_string_equal(header(&c, "X-Amz-Date"), "20150830T123600Z");
    assert_null(header(&c, "X-Amz-Security-Token"));
    char want[512];
    expected_authorization("bedrock-runtime.us-east-1.amazonaws.com",
                           "/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse",
                           "application/json", NULL, c.out.body.data, c.out.body.len, want,
                           sizeof want);
    assert_string_equal(header(&c, "Authorization"), want);
    call_free(&c);

    /* the stream endpoint, its Accept, and the same rules */
    assert_int_equal(
        build(f->p, &c, "{\"model\":\"m\",\"stream\":true," USER_X "}", 1, SEAM_OP_CHAT), 0);
    assert_string_equal(seam_http_target_url(c.out.target),
                        "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
                        "anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream");
    expected_authorization("bedrock-runtime.us-east-1.amazonaws.com",
                           "/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse-stream",
                           "application/vnd.amazon.eventstream", NULL, c.out.body.data,
                           c.out.body.len, want, sizeof want);
    assert_string_equal(header(&c, "Authorization"), want);
    call_free(&c);
}

static void test_signed_with_session_token_and_plain_http(void **state)
{
    set_creds("FQoGZXIvYXdzEXAMPLETOKEN");
    fixture f;
    char err[256];
    assert_int_equal(make_provider(&f, "http://127.0.0.1:9/prefix/", "us-east-1", err, sizeof err),
                     0);
    call c;
    assert_int_equal(build(f.p, &c, "{\"model\":\"m\"," USER_X "}", 0, SEAM_OP_CHAT), 0);
    assert_string_equal(seam_http_target_url(c.out.target),
                        "http://127.0.0.1:9/prefix/model/"
                        "anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse");
    /* plain http: the keep-alive client sends Host "127.0.0.1:9" itself */
    assert_null(header(&c, "Host"));
    assert_string_equal(header(&c, "X-Amz-Security-Token"), "FQoGZXIvYXdzEXAMPLETOKEN");
    char want[512];
    expected_authorization("127.0.0.1:9",
                           "/prefix/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse",
                           "application/json", "FQoGZXIvYXdzEXAMPLETOKEN", c.out.body.data,
                           c.out.body.len, want, sizeof want);
    assert_string_equal(header(&c, "Authorization"), want);
    call_free(&c);
    seam_provider_bedrock.destroy(f.p);
    set_creds(NULL);
}

/* ---- create() ---- */

static void test_create_needs_credentials_and_region(void **state)
{
    fixture f;
    char err[512];
    unsetenv("AWS_ACCESS_KEY_ID");
    assert_int_equal(make_provider(&f, NULL, "us-east-1", err, sizeof err), -1);
    assert_non_null(strstr(err, ": AWS_ACCESS_KEY_ID is not set"));
    unsetenv("AWS_SECRET_ACCESS_KEY");
    assert_int_equal(make_provider(&f, NULL, "us-east-1", err, sizeof err), -1);
    assert_non_null(strstr(err, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"));
    set_creds(NULL);
    unsetenv("AWS_SECRET_ACCESS_KEY");
    assert_int_equal(make_provider(&f, NULL, "us-east-1", err, sizeof err), -1);
    assert_non_null(strstr(err, ": AWS_SECRET_ACCESS_KEY is not set"));
    set_creds(NULL);

    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    assert_int_equal(make_provider(&f, NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "region"));
    assert_non_null(strstr(err, "AWS_REGION"));
    /* The environment is the loader's to read (test_config.c), not create()'s. */
    setenv("AWS_DEFAULT_REGION", "eu-west-3", 1);
    assert_int_equal(make_provider(&f, NULL, NULL, err, sizeof err), -1);
    assert_int_equal(make_provider(&f, NULL, "eu-west-3", err, sizeof err), 0);
    call c;
    assert_int_equal(build(f.p, &c, "{\"model\":\"m\"," USER_X "}", 0, SEAM_OP_CHAT), 0);
    assert_non_null(strstr(seam_http_target_url(c.out.target),
                           "https://bedrock-runtime.eu-west-3.amazonaws.com/model/"));
    assert_non_null(strstr(header(&c, "Authorization"), "/eu-west-3/bedrock/aws4_request"));
    call_free(&c);
    seam_provider_bedrock.destroy(f.p);
    unsetenv("AWS_DEFAULT_REGION");

    assert_int_equal(make_provider(&f, NULL, "US East", err, sizeof err), -1);
    assert_non_null(strstr(err, "region"));
    assert_int_equal(make_provider(&f, "ftp://x", "us-east-1", err, sizeof err), -1);
    assert_non_null(strstr(err, "base_url"));
}

/* ---- answers ---- */

static void check_response(void **state, const char *name)
{
    fixture *f = *state;
    char in[128], want[128];
    snprintf(in, sizeof in, "resp-%s.converse.json", name);
    snprintf(want, sizeof want, "resp-%s.openai.json", name);
    call c;
    assert_int_equal(build(f->p, &c, "{\"model\":\"m\"," USER_X "}", 0, SEAM_OP_CHAT), 0);
    size_t n;
    char *body = slurp(in, &n);
    seam_buf out;
    seam_buf_init(&out, 1 << 20);
    seam_usage counts = {.prompt_tokens = -1};
    assert_int_equal(seam_bedrock_ops.response(c.st, &c.req, body, n, &out, &counts), 0);
    json_t *got = parse(out.data, out.len);
    /* the counts handed to the gateway are those the body says */
    json_t *u = json_object_get(got, "usage");
    assert_int_equal(counts.prompt_tokens, json_integer_value(json_object_get(u, "prompt_tokens")));
    assert_int_equal(counts.completion_tokens,
                     json_integer_value(json_object_get(u, "completion_tokens")));
    assert_int_equal(counts.total_tokens, json_integer_value(json_object_get(u, "total_tokens")));
    assert_int_equal(counts.cached_tokens,
                     json_integer_value(json_object_get(json_object_get(u, "prompt_tokens_details"),
                                                        "cached_tokens")));
    const char *id = json_string_value(json_object_get(got, "id"));
    assert_non_null(id);
    assert_int_equal(strncmp(id, "chatcmpl-", 9), 0);
    assert_int_equal(strlen(id), 9 + 24);
    assert_int_equal(json_integer_value(json_object_get(got, "created")), FIXED_NOW);
    json_object_del(got, "id");
    json_object_del(got, "created");
    json_t *exp = load(want);
    assert_json_equal(exp, got, name);
    json_decref(exp);
    json_decref(got);
    seam_buf_free(&out);
    free(body);
    call_free(&c);
}

static void test_response_text(void **state)
{
    check_response(state, "text");
}
static void test_response_tool_use(void **state)
{
    check_response(state, "tool-use");
}
static void test_response_parallel_calls(void **state)
{
    check_response(state, "parallel");
}
static void test_response_cache_usage_and_length(void **state)
{
    check_response(state, "cache-usage");
}
static void test_response_guardrail(void **state)
{
    check_response(state, "guardrail");
}

static void test_stop_reasons(void **state)
{
    static const struct {
        const char *bedrock, *openai;
    } cases[] = {
        {"end_turn", "stop"},
        {"stop_sequence", "stop"},
        {"max_tokens", "length"},
        {"model_context_window_exceeded", "length"},
        {"tool_use", "tool_calls"},
        {"guardrail_intervened", "content_filter"},
        {"content_filtered", "content_filter"},
        {"malformed_model_output", "stop"},
    };
    fixture *f = *state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        call c;
        assert_int_equal(build(f->p, &c, "{\"model\":\"m\"," USER_X "}", 0, SEAM_OP_CHAT), 0);
        char body[256];
        snprintf(
            body, sizeof body,
            "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\"x\"}]}},"
            "\"stopReason\":\"%s\",\"usage\":{\"inputTokens\":1,\"outputTokens\":1,"
            "\"totalTokens\":2}}",
            cases[i].bedrock);
        seam_buf out;
        seam_buf_init(&out, 1 << 20);
        assert_int_equal(seam_bedrock_ops.response(c.st, &c.req, body, strlen(body), &out,
                                                   &(seam_usage){.prompt_tokens = -1}),
                         0);
        json_t *j = parse(out.data, out.len);
        assert_string_equal(json_string_value(json_object_get(
                                json_array_get(json_object_get(j, "choices"), 0), "finish_reason")),
                            cases[i].openai);
        json_decref(j);
        seam_buf_free(&out);
        call_free(&c);
    }
}

static void test_response_not_converse(void **state)
{
    fixture *f = *state;
    call c;
    assert_int_equal(build(f->p, &c, "{\"model\":\"m\"," USER_X "}", 0, SEAM_OP_CHAT), 0);
    seam_buf out;
    seam_buf_init(&out, 1 << 20);
    assert_int_equal(seam_bedrock_ops.response(c.st, &c.req, "<html>", 6, &out,
                                               &(seam_usage){.prompt_tokens = -1}),
                     -1);
    assert_int_equal(seam_bedrock_ops.response(c.st, &c.req, "{\"output\":{}}", 13, &out,
                                               &(seam_usage){.prompt_tokens = -1}),
                     -1);
    seam_buf_free(&out);
    call_free(&c);
}

static void test_errors(void **state)
{
    size_t n;
    char *body = slurp("error-throttling.json", &n);
    seam_buf out;
    seam_buf_init(&out, 1 << 20);
    assert_int_equal(seam_bedrock_ops.error(429, body, n, &out), 0);
    json_t *got = parse(out.data, out.len);
    json_t *want = json_loads("{\"error\":{\"message\":\"Too many requests, please wait before "
                              "trying again.\",\"type\":\"rate_limit_error\",\"param\":null,"
                              "\"code\":\"throttling_exception\"}}",
                              0, NULL);
    assert_json_equal(want, got, "429");
    json_decref(want);
    json_decref(got);
    seam_buf_reset(&out);
    free(body);

    const char *v = "{\"Message\":\"The provided model identifier is invalid.\"}";
    assert_int_equal(seam_bedrock_ops.error(400, v, strlen(v), &out), 0);
    got = parse(out.data, out.len);
    json_t *e = json_object_get(got, "error");
    assert_string_equal(json_string_value(json_object_get(e, "message")),
                        "The provided model identifier is invalid.");
    assert_string_equal(json_string_value(json_object_get(e, "type")), "invalid_request_error");
    assert_string_equal(json_string_value(json_object_get(e, "code")), "validation_exception");
    json_decref(got);
    seam_buf_reset(&out);

    assert_int_equal(seam_bedrock_ops.error(502, "<html>bad gateway</html>", 24, &out), 0);
    got = parse(out.data, out.len);
    e = json_object_get(got, "error");
    assert_string_equal(json_string_value(json_object_get(e, "message")),
                        "Bedrock answered HTTP 502");
    assert_string_equal(json_string_value(json_object_get(e, "type")), "api_error");
    json_decref(got);
    seam_buf_free(&out);
}

/* Text blocks' escapes concatenate as sent; a tool input's numbers and
 * escapes reach arguments as Bedrock wrote them; huge counts saturate. */
static void test_response_escapes_numbers_and_huge_usage(void **state)
{
    fixture *f = *state;
    call c;
    assert_int_equal(build(f->p, &c, "{\"model\":\"m\"," USER_X "}", 0, SEAM_OP_CHAT), 0);
    const char *body = "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":["
                       "{\"text\":\"caf\\u00e9 \\\"1\\\"\\n\"},"
                       "{\"reasoningContent\":{\"reasoningText\":{\"text\":\"hmm\"}}},"
                       "{\"text\":\"\\\\ done\"},"
                       "{\"toolUse\":{\"toolUseId\":\"tu\\u005f1\",\"name\":\"f\",\"input\":"
                       "{ \"q\" : \"a\\\"b\\u00e9\", \"n\" : 1.50, \"l\":[1, 2] }}}]}},"
                       "\"stopReason\":\"tool_use\",\"usage\":{\"inputTokens\":9223372036854775807,"
                       "\"outputTokens\":9223372036854775807,\"cacheReadInputTokens\":5,"
                       "\"cacheWriteInputTokens\":1}}";
    seam_buf out;
    seam_buf_init(&out, 1 << 20);
    assert_int_equal(seam_bedrock_ops.response(c.st, &c.req, body, strlen(body), &out,
                                               &(seam_usage){.prompt_tokens = -1}),
                     0);
    json_t *j = parse(out.data, out.len);
    json_t *msg = json_object_get(json_array_get(json_object_get(j, "choices"), 0), "message");
    assert_string_equal(json_string_value(json_object_get(msg, "content")),
                        "caf\xc3\xa9 \"1\"\n\\ done");
    json_t *tc = json_array_get(json_object_get(msg, "tool_calls"), 0);
    assert_string_equal(json_string_value(json_object_get(tc, "id")), "tu_1");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(tc, "function"), "arguments")),
        "{\"q\":\"a\\\"b\\u00e9\",\"n\":1.50,\"l\":[1,2]}");
    json_t *usage = json_object_get(j, "usage");
    assert_true(json_integer_value(json_object_get(usage, "prompt_tokens")) == INT64_MAX);
    assert_true(json_integer_value(json_object_get(usage, "total_tokens")) == INT64_MAX);
    json_decref(j);
    seam_buf_free(&out);

    /* an error's message is decoded once, into OpenAI's error */
    const char *e = "{\"message\":\"bad \\\"x\\\" \\u00e9\"}";
    seam_buf_init(&out, 1 << 20);
    assert_int_equal(seam_bedrock_ops.error(400, e, strlen(e), &out), 0);
    j = parse(out.data, out.len);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
                        "bad \"x\" \xc3\xa9");
    json_decref(j);
    seam_buf_free(&out);
    call_free(&c);
}

/* ---- streams ---- */

/* Encodes the events of a stream-*.events.json fixture as ConverseStream frames. */
static void frames(const char *name, seam_buf *b)
{
    json_t *events = load(name);
    seam_buf_init(b, 1 << 20);
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev)
    {
        char *payload = json_dumps(json_object_get(ev, "payload"), JSON_COMPACT);
        const char *type = json_string_value(json_object_get(ev, "event"));
        seam_es_header h[3];
        if (type) {
            h[0] = seam_es_string(":event-type", type);
            h[2] = seam_es_string(":message-type", "event");
        } else {
            h[0] = seam_es_string(":exception-type",
                                  json_string_value(json_object_get(ev, "exception")));
            h[2] = seam_es_string(":message-type", "exception");
        }
        h[1] = seam_es_string(":content-type", "application/json");
        assert_int_equal(seam_es_encode(b, h, 3, payload, strlen(payload)), 0);
        free(payload);
    }
    json_decref(events);
}

typedef struct streamed {
    int stream_rc, end_rc;
    seam_buf sse;
} streamed;

/* Feeds frames to a fresh call in random pieces (seeded) and collects the SSE. */
static void run_stream(void **state, const char *events, int include_usage, uint64_t seed,
                       size_t cut, streamed *s)
{
    fixture *f = *state;
    call c;
    const char *body = include_usage ? "{\"model\":\"m\",\"stream\":true,\"stream_options\":{"
                                       "\"include_usage\":true}," USER_X "}"
                                     : "{\"model\":\"m\",\"stream\":true," USER_X "}";
    assert_int_equal(build(f->p, &c, body, 1, SEAM_OP_CHAT), 0);
    seam_buf b;
    frames(events, &b);
    size_t len = cut && cut < b.len ? cut : b.len;
    seam_buf_init(&s->sse, 1 << 20);
    s->stream_rc = 0;
    uint64_t rng = seed;
    for (size_t pos = 0; pos < len && !s->stream_rc;) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        size_t take = seed ? 1 + rng % 37 : len;
        if (take > len - pos) take = len - pos;
        s->stream_rc = seam_bedrock_ops.stream(c.st, &c.req, b.data + pos, take, &s->sse);
        pos += take;
    }
    s->end_rc = s->stream_rc ? 0 : seam_bedrock_ops.stream_end(c.st, &c.req, &s->sse);
    seam_buf_free(&b);
    call_free(&c);
}

/* The "data: " payloads of an SSE text, in order. */
static json_t *events_of(const seam_buf *sse, int *done)
{
    json_t *list = json_array();
    *done = 0;
    const char *p = sse->data ? sse->data : "";
    while (*p) {
        assert_int_equal(strncmp(p, "data: ", 6), 0);
        const char *end = strstr(p, "\n\n");
        assert_non_null(end);
        size_t n = (size_t)(end - p - 6);
        assert_false(*done); /* nothing after [DONE] */
        if (n == 6 && memcmp(p + 6, "[DONE]", 6) == 0)
            *done = 1;
        else
            json_array_append_new(list, parse(p + 6, n));
        p = end + 2;
    }
    return list;
}

static json_t *delta_of(json_t *chunk)
{
    return json_object_get(json_array_get(json_object_get(chunk, "choices"), 0), "delta");
}

static void test_stream_text(void **state)
{
    for (uint64_t seed = 0; seed < 40; seed++) {
        streamed s;
        run_stream(state, "stream-text.events.json", 1, seed * 7919, 0, &s);
        assert_int_equal(s.stream_rc, 0);
        assert_int_equal(s.end_rc, 0);
        int done;
        json_t *ev = events_of(&s.sse, &done);
        assert_true(done);
        /* role, three pieces of text, finish, usage */
        assert_int_equal(json_array_size(ev), 6);
        json_t *first = json_array_get(ev, 0);
        assert_string_equal(json_string_value(json_object_get(first, "object")),
                            "chat.completion.chunk");
        assert_string_equal(json_string_value(json_object_get(first, "model")), MODEL);
        assert_string_equal(json_string_value(json_object_get(delta_of(first), "role")),
                            "assistant");
        assert_true(json_is_null(json_object_get(first, "usage"))); /* include_usage: null */
        seam_buf text;
        seam_buf_init(&text, 4096);
        for (size_t i = 1; i < 4; i++) {
            json_t *t = json_object_get(delta_of(json_array_get(ev, i)), "content");
            assert_true(json_is_string(t));
            seam_buf_append(&text, json_string_value(t), json_string_length(t));
        }
        assert_string_equal(text.data, "Paris is the \"capital\" of France.\n");
        seam_buf_free(&text);
        json_t *fin = json_array_get(json_object_get(json_array_get(ev, 4), "choices"), 0);
        assert_string_equal(json_string_value(json_object_get(fin, "finish_reason")), "stop");
        json_t *last = json_array_get(ev, 5);
        assert_int_equal(json_array_size(json_object_get(last, "choices")), 0);
        json_t *want = json_loads("{\"prompt_tokens\":24,\"completion_tokens\":9,"
                                  "\"total_tokens\":33,\"prompt_tokens_details\":{"
                                  "\"cached_tokens\":10}}",
                                  0, NULL);
        assert_json_equal(want, json_object_get(last, "usage"), "usage");
        json_decref(want);
        /* one id for the whole stream */
        const char *id = json_string_value(json_object_get(first, "id"));
        for (size_t i = 1; i < json_array_size(ev); i++)
            assert_string_equal(json_string_value(json_object_get(json_array_get(ev, i), "id")),
                                id);
        json_decref(ev);
        seam_buf_free(&s.sse);
    }
}

static void test_stream_without_include_usage(void **state)
{
    streamed s;
    run_stream(state, "stream-text.events.json", 0, 12345, 0, &s);
    assert_int_equal(s.end_rc, 0);
    assert_null(strstr(s.sse.data, "\"usage\""));
    int done;
    json_t *ev = events_of(&s.sse, &done);
    assert_true(done);
    assert_int_equal(json_array_size(ev), 5);
    json_decref(ev);
    seam_buf_free(&s.sse);
}

static void test_stream_parallel_tool_calls(void **state)
{
    for (uint64_t seed = 0; seed < 40; seed++) {
        streamed s;
        run_stream(state, "stream-tools.events.json", 1, seed * 104729, 0, &s);
        assert_int_equal(s.end_rc, 0);
        int done;
        json_t *ev = events_of(&s.sse, &done);
        assert_true(done);
        /* the pieces of arguments, exactly as Bedrock sent them, per call */
        const char *want_pieces[2][3] = {{"", "{\"city\": \"Sea", "ttle\"}"},
                                         {"{\"tz\":", "\"Europe/Paris\"}", NULL}};
        size_t npieces[2] = {0, 0};
        int starts = 0;
        const char *finish = NULL;
        size_t i;
        json_t *chunk;
        json_array_foreach(ev, i, chunk)
        {
            json_t *choice = json_array_get(json_object_get(chunk, "choices"), 0);
            if (json_is_string(json_object_get(choice, "finish_reason")))
                finish = json_string_value(json_object_get(choice, "finish_reason"));
            json_t *calls = json_object_get(delta_of(chunk), "tool_calls");
            if (!calls) continue;
            assert_int_equal(json_array_size(calls), 1);
            json_t *tc = json_array_get(calls, 0);
            json_int_t k = json_integer_value(json_object_get(tc, "index"));
            assert_true(k == 0 || k == 1);
            json_t *id = json_object_get(tc, "id");
            const char *args =
                json_string_value(json_object_get(json_object_get(tc, "function"), "arguments"));
            assert_non_null(args);
            if (id) { /* the start: id, type, name, empty arguments */
                starts++;
                assert_string_equal(json_string_value(id), k ? "tooluse_B2" : "tooluse_A1");
                assert_string_equal(
                    json_string_value(json_object_get(json_object_get(tc, "function"), "name")),
                    k ? "get_time" : "get_weather");
                assert_string_equal(json_string_value(json_object_get(tc, "type")), "function");
                assert_string_equal(args, "");
                continue;
            }
            assert_true(npieces[k] < 3 && want_pieces[k][npieces[k]]);
            assert_string_equal(args, want_pieces[k][npieces[k]]);
            npieces[k]++;
        }
        assert_int_equal(starts, 2);
        assert_int_equal(npieces[0], 3);
        assert_int_equal(npieces[1], 2);
        assert_non_null(finish);
        assert_string_equal(finish, "tool_calls");
        /* the text before the calls */
        assert_string_equal(
            json_string_value(json_object_get(delta_of(json_array_get(ev, 1)), "content")),
            "Checking both.");
        json_decref(ev);
        seam_buf_free(&s.sse);
    }
}

static void test_stream_exception_event(void **state)
{
    streamed s;
    run_stream(state, "stream-exception.events.json", 0, 99, 0, &s);
    assert_int_equal(s.stream_rc, 0);
    assert_int_equal(s.end_rc, -1); /* the stream failed */
    int done;
    json_t *ev = events_of(&s.sse, &done);
    assert_false(done);
    json_t *last = json_array_get(ev, json_array_size(ev) - 1);
    json_t *err = json_object_get(last, "error");
    assert_non_null(err);
    assert_non_null(strstr(json_string_value(json_object_get(err, "message")),
                           "throttlingException: Too many tokens"));
    assert_string_equal(json_string_value(json_object_get(err, "type")), "rate_limit_error");
    /* the text before it was delivered */
    assert_string_equal(
        json_string_value(json_object_get(delta_of(json_array_get(ev, 1)), "content")),
        "Once upon");
    json_decref(ev);
    seam_buf_free(&s.sse);
}

static void test_stream_cut_short(void **state)
{
    /* every frame whole, but no messageStop */
    streamed s;
    run_stream(state, "stream-cut.events.json", 0, 5, 0, &s);
    assert_int_equal(s.stream_rc, 0);
    assert_int_equal(s.end_rc, -1);
    assert_null(strstr(s.sse.data, "[DONE]"));
    seam_buf_free(&s.sse);
    /* the connection closed inside a frame */
    seam_buf b;
    frames("stream-text.events.json", &b);
    size_t len = b.len;
    seam_buf_free(&b);
    for (size_t cut = len - 30; cut < len; cut += 7) {
        run_stream(state, "stream-text.events.json", 1, 3, cut, &s);
        assert_int_equal(s.stream_rc, 0);
        assert_int_equal(s.end_rc, -1);
        seam_buf_free(&s.sse);
    }
}

static void test_stream_bad_crc(void **state)
{
    fixture *f = *state;
    call c;
    assert_int_equal(
        build(f->p, &c, "{\"model\":\"m\",\"stream\":true," USER_X "}", 1, SEAM_OP_CHAT), 0);
    seam_buf b;
    frames("stream-text.events.json", &b);
    b.data[40] ^= 0x01;
    seam_buf out;
    seam_buf_init(&out, 1 << 20);
    assert_int_equal(seam_bedrock_ops.stream(c.st, &c.req, b.data, b.len, &out), -1);
    assert_int_equal(seam_bedrock_ops.stream_end(c.st, &c.req, &out), -1);
    seam_buf_free(&out);
    seam_buf_free(&b);
    call_free(&c);
}

/* Appends one frame with this payload text, as Bedrock would write it. */
static void raw_frame(seam_buf *b, const char *event, const char *exception, const char *payload)
{
    seam_es_header h[3];
    h[0] =
        event ? seam_es_string(":event-type", event) : seam_es_string(":exception-type", exception);
    h[1] = seam_es_string(":content-type", "application/json");
    h[2] = seam_es_string(":message-type", event ? "event" : "exception");
    assert_int_equal(seam_es_encode(b, h, 3, payload, strlen(payload)), 0);
}

/* Text and tool input pieces are copied into the chunks as sent, escapes
 * and all; an exception's escaped message is decoded into the error. */
static void test_stream_escapes_pass_through(void **state)
{
    fixture *f = *state;
    call c;
    assert_int_equal(
        build(f->p, &c, "{\"model\":\"m\",\"stream\":true," USER_X "}", 1, SEAM_OP_CHAT), 0);
    seam_buf b, sse;
    seam_buf_init(&b, 1 << 20);
    seam_buf_init(&sse, 1 << 20);
    raw_frame(&b, "messageStart", NULL, "{\"role\":\"assistant\"}");
    raw_frame(&b, "contentBlockDelta", NULL,
              "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"caf\\u00e9 \\\"q\\\"\\n\"}}");
    raw_frame(&b, "contentBlockStart", NULL,
              "{\"contentBlockIndex\":1,\"start\":{\"toolUse\":{\"toolUseId\":\"t\\u0031\","
              "\"name\":\"f\"}}}");
    raw_frame(&b, "contentBlockDelta", NULL,
              "{\"contentBlockIndex\":1,\"delta\":{\"toolUse\":{\"input\":"
              "\"{\\\"a\\\": \\\"\\\\u00e9\\\"\"}}}");
    raw_frame(&b, "contentBlockDelta", NULL,
              "{\"contentBlockIndex\":1,\"delta\":{\"toolUse\":{\"input\":\"}\"}}}");
    raw_frame(&b, "messageStop", NULL, "{\"stopReason\":\"tool_use\"}");
    assert_int_equal(seam_bedrock_ops.stream(c.st, &c.req, b.data, b.len, &sse), 0);
    assert_int_equal(seam_bedrock_ops.stream_end(c.st, &c.req, &sse), 0);
    assert_non_null(strstr(sse.data, "{\"content\":\"caf\\u00e9 \\\"q\\\"\\n\"}"));
    int done;
    json_t *ev = events_of(&sse, &done);
    assert_true(done);
    assert_int_equal(json_array_size(ev), 6); /* role, text, call, two pieces, finish */
    assert_string_equal(
        json_string_value(json_object_get(delta_of(json_array_get(ev, 1)), "content")),
        "caf\xc3\xa9 \"q\"\n");
    json_t *call0 =
        json_array_get(json_object_get(delta_of(json_array_get(ev, 2)), "tool_calls"), 0);
    assert_string_equal(json_string_value(json_object_get(call0, "id")), "t1");
    seam_buf args;
    seam_buf_init(&args, 4096);
    for (size_t i = 3; i < 5; i++) {
        json_t *tc =
            json_array_get(json_object_get(delta_of(json_array_get(ev, i)), "tool_calls"), 0);
        assert_int_equal(json_integer_value(json_object_get(tc, "index")), 0);
        assert_int_equal(
            seam_buf_append_str(&args, json_string_value(json_object_get(
                                           json_object_get(tc, "function"), "arguments"))),
            0);
    }
    assert_string_equal(args.data, "{\"a\": \"\\u00e9\"}");
    seam_buf_free(&args);
    json_decref(ev);
    seam_buf_free(&sse);
    seam_buf_free(&b);
    call_free(&c);

    /* an exception whose message has escapes */
    assert_int_equal(
        build(f->p, &c, "{\"model\":\"m\",\"stream\":true," USER_X "}", 1, SEAM_OP_CHAT), 0);
    seam_buf_init(&b, 1 << 20);
    seam_buf_init(&sse, 1 << 20);
    raw_frame(&b, NULL, "throttlingException", "{\"message\":\"slow \\\"down\\\" \\u00e9\"}");
    assert_int_equal(seam_bedrock_ops.stream(c.st, &c.req, b.data, b.len, &sse), 0);
    assert_int_equal(seam_bedrock_ops.stream_end(c.st, &c.req, &sse), -1);
    ev = events_of(&sse, &done);
    assert_int_equal(json_array_size(ev), 1);
    json_t *err = json_object_get(json_array_get(ev, 0), "error");
    assert_string_equal(json_string_value(json_object_get(err, "message")),
                        "Bedrock throttlingException: slow \"down\" \xc3\xa9");
    json_decref(ev);
    seam_buf_free(&sse);
    seam_buf_free(&b);
    call_free(&c);
}

/* ---- against the mock's Bedrock wire (mock_bedrock.c) ---- */

/* Sends c's translated request to the mock wire, as `seam mock` would. */
static void mock_plan(const call *c, int echo, seam_mock_plan *plan)
{
    const char *path = strstr(seam_http_target_url(c->out.target), "/model/");
    assert_non_null(path);
    const seam_mock_wire *w = seam_mock_wire_find(path, NULL);
    assert_non_null(w);
    assert_string_equal(w->name, "bedrock");
    seam_mock_opts o = {.echo = echo, .rng = 1};
    assert_int_equal(w->plan(path, NULL, c->out.body.data, c->out.body.len, &o, plan), 0);
}

static json_t *mock_round_trip(void **state, const char *body, int echo)
{
    fixture *f = *state;
    call c;
    if (build(f->p, &c, body, 0, SEAM_OP_CHAT) != 0) fail_msg("refused: %s", c.refuse);
    seam_mock_plan plan;
    mock_plan(&c, echo, &plan);
    if (plan.status != 200)
        fail_msg("mock answered %d: %.*s", plan.status, (int)plan.body.len, plan.body.data);
    seam_buf out;
    seam_buf_init(&out, 1 << 20);
    assert_int_equal(seam_bedrock_ops.response(c.st, &c.req, plan.body.data, plan.body.len, &out,
                                               &(seam_usage){.prompt_tokens = -1}),
                     0);
    json_t *j = parse(out.data, out.len);
    seam_buf_free(&out);
    seam_mock_plan_free(&plan);
    call_free(&c);
    return j;
}

static json_t *message_of(json_t *completion)
{
    return json_object_get(json_array_get(json_object_get(completion, "choices"), 0), "message");
}

/* Every request fixture translates to a body the mock's validation accepts. */
static void test_mock_accepts_every_request_fixture(void **state)
{
    static const char *const names[] = {"text",  "system",       "multi-turn", "images",
                                        "tools", "tool-results", "inference"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char in[128];
        snprintf(in, sizeof in, "req-%s.openai.json", names[i]);
        char *body = slurp(in, NULL);
        json_t *j = mock_round_trip(state, body, 1);
        assert_non_null(message_of(j));
        json_decref(j);
        free(body);
    }
}

static void test_mock_echo_and_tools(void **state)
{
    json_t *j = mock_round_trip(
        state,
        "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":"
        "\"user\",\"content\":\"Bonjour, Bedrock\"}]}",
        1);
    assert_string_equal(json_string_value(json_object_get(message_of(j), "content")),
                        "Bonjour, Bedrock");
    json_decref(j);

    const char *tools = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                        "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":"
                        "\"string\"},\"unit\":{\"type\":\"string\",\"enum\":[\"c\",\"f\"]}}}}}]";
    char body[1024];
    snprintf(body, sizeof body,
             "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Paris\"}],%s}",
             tools);
    j = mock_round_trip(state, body, 1);
    json_t *tc = json_array_get(json_object_get(message_of(j), "tool_calls"), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(tc, "function"), "arguments")),
        "{\"city\":\"Paris\",\"unit\":\"c\"}");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(j, "choices"), 0), "finish_reason")),
                        "tool_calls");
    char id[64];
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(tc, "id")));
    assert_int_equal(strncmp(id, "tooluse_", 8), 0);
    json_decref(j);

    /* the agent loop's next turn: the call and its result go back; the mock answers text */
    snprintf(body, sizeof body,
             "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Paris\"},"
             "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"%s\",\"type\":"
             "\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":"
             "\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"%s\","
             "\"content\":\"18C\"}],%s}",
             id, id, tools);
    j = mock_round_trip(state, body, 1);
    assert_string_equal(json_string_value(json_object_get(message_of(j), "content")), "Paris");
    json_decref(j);
}

static void test_mock_stream_round_trip(void **state)
{
    fixture *f = *state;
    const char *bodies[2] = {
        "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
        "\"messages\":[{\"role\":\"user\",\"content\":\"one two three four five\"}]}",
        "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Oslo\"}],"
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":"
        "\"object\",\"properties\":{\"place\":{\"type\":\"string\"},\"n\":{\"type\":"
        "\"integer\"}}}}}]}",
    };
    for (int k = 0; k < 2; k++) {
        call c;
        assert_int_equal(build(f->p, &c, bodies[k], 1, SEAM_OP_CHAT), 0);
        seam_mock_plan plan;
        mock_plan(&c, 1, &plan);
        assert_int_equal(plan.status, 200);
        assert_true(plan.stream);
        assert_string_equal(plan.stream_type, "application/vnd.amazon.eventstream");
        seam_buf sse;
        seam_buf_init(&sse, 1 << 20);
        /* one plan event per frame, delivered as the mock server would, one at a time */
        for (size_t i = 0; i < plan.nevents; i++) {
            size_t n;
            const char *ev = seam_mock_event(&plan, i, &n);
            assert_int_equal(seam_bedrock_ops.stream(c.st, &c.req, ev, n, &sse), 0);
        }
        assert_int_equal(seam_bedrock_ops.stream_end(c.st, &c.req, &sse), 0);
        int done;
        json_t *evs = events_of(&sse, &done);
        assert_true(done);
        seam_buf text;
        seam_buf_init(&text, 4096);
        const char *finish = NULL;
        json_t *usage = NULL;
        size_t i;
        json_t *chunk;
        json_array_foreach(evs, i, chunk)
        {
            json_t *d = delta_of(chunk);
            json_t *t = json_object_get(d, "content");
            json_t *tc = json_array_get(json_object_get(d, "tool_calls"), 0);
            json_t *a = json_object_get(json_object_get(tc, "function"), "arguments");
            if (json_is_string(t)) seam_buf_append_str(&text, json_string_value(t));
            if (json_is_string(a)) seam_buf_append_str(&text, json_string_value(a));
            json_t *fr = json_object_get(json_array_get(json_object_get(chunk, "choices"), 0),
                                         "finish_reason");
            if (json_is_string(fr)) finish = json_string_value(fr);
            if (json_is_object(json_object_get(chunk, "usage")))
                usage = json_object_get(chunk, "usage");
        }
        if (k == 0) {
            assert_string_equal(text.data, "one two three four five");
            assert_string_equal(finish, "stop");
            assert_non_null(usage);
            assert_int_equal(json_integer_value(json_object_get(usage, "completion_tokens")), 6);
        } else {
            assert_string_equal(text.data, "{\"place\":\"Oslo\",\"n\":1}");
            assert_string_equal(finish, "tool_calls");
            assert_null(usage);
        }
        json_decref(evs);
        seam_buf_free(&text);
        seam_buf_free(&sse);
        seam_mock_plan_free(&plan);
        call_free(&c);
    }
}

static void test_mock_faults_become_openai_errors(void **state)
{
    static const struct {
        const char *tag;
        int status;
        const char *type, *code;
    } cases[] = {
        {"[[mock:429]]", 429, "rate_limit_error", "throttling_exception"},
        {"[[mock:500]]", 500, "api_error", "internal_server_exception"},
        {"[[mock:503]]", 503, "api_error", "service_unavailable_exception"},
    };
    fixture *f = *state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi %s\"}]}",
                 cases[i].tag);
        call c;
        assert_int_equal(build(f->p, &c, body, 0, SEAM_OP_CHAT), 0);
        seam_mock_plan plan;
        mock_plan(&c, 1, &plan);
        assert_int_equal(plan.status, cases[i].status);
        assert_int_equal(plan.fault, SEAM_MOCK_STATUS);
        seam_buf out;
        seam_buf_init(&out, 1 << 20);
        assert_int_equal(seam_bedrock_ops.error(plan.status, plan.body.data, plan.body.len, &out),
                         0);
        json_t *j = parse(out.data, out.len);
        json_t *e = json_object_get(j, "error");
        assert_string_equal(json_string_value(json_object_get(e, "type")), cases[i].type);
        assert_string_equal(json_string_value(json_object_get(e, "code")), cases[i].code);
        if (cases[i].status == 429)
            assert_non_null(
                strstr(json_string_value(json_object_get(e, "message")), "Too many requests"));
        json_decref(j);
        seam_buf_free(&out);
        seam_mock_plan_free(&plan);
        call_free(&c);
    }
    /* reset and stall, streamed */
    call c;
    assert_int_equal(build(f->p, &c,
                           "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                           "\"content\":\"[[mock:stall]] a b c\"}]}",
                           1, SEAM_OP_CHAT),
                     0);
    seam_mock_plan plan;
    mock_plan(&c, 1, &plan);
    assert_int_equal(plan.fault, SEAM_MOCK_STALL);
    assert_int_equal(plan.stall_after, 2);
    seam_mock_plan_free(&plan);
    call_free(&c);
    assert_int_equal(build(f->p, &c,
                           "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
                           "\"[[mock:reset]]\"}]}",
                           0, SEAM_OP_CHAT),
                     0);
    mock_plan(&c, 1, &plan);
    assert_int_equal(plan.fault, SEAM_MOCK_RESET);
    seam_mock_plan_free(&plan);
    call_free(&c);
}

/* The mock validates as Bedrock does, so a translator slip would show. */
static void test_mock_validates_like_bedrock(void **state)
{
    static const struct {
        const char *body, *says;
    } cases[] = {
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"a\"}]},{\"role\":\"user\","
         "\"content\":[{\"text\":\"b\"}]}]}",
         "alternate"},
        {"{\"messages\":[{\"role\":\"assistant\",\"content\":[{\"text\":\"a\"}]}]}",
         "start with a user message"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"\"}]}]}", "blank"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"a\"}]}],\"n\":2}",
         "extraneous key [n]"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"a\"}]},{\"role\":"
         "\"assistant\",\"content\":[{\"toolUse\":{\"toolUseId\":\"t1\",\"name\":\"f\",\"input\":"
         "{}}}]},{\"role\":\"user\",\"content\":[{\"toolResult\":{\"toolUseId\":\"t1\","
         "\"content\":[{\"text\":\"r\"}]}}]}]}",
         "toolConfig field must be defined"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"a\"}]},{\"role\":"
         "\"assistant\",\"content\":[{\"toolUse\":{\"toolUseId\":\"t1\",\"name\":\"f\",\"input\":"
         "{}}}]},{\"role\":\"user\",\"content\":[{\"toolResult\":{\"toolUseId\":\"t2\","
         "\"content\":[{\"text\":\"r\"}]}}]}],\"toolConfig\":{\"tools\":[{\"toolSpec\":{\"name\":"
         "\"f\",\"inputSchema\":{\"json\":{}}}}]}}",
         "does not match a toolUse"},
    };
    const seam_mock_wire *w = seam_mock_wire_find("/model/m/converse", NULL);
    assert_non_null(w);
    assert_null(seam_mock_wire_find("/model//converse", NULL));
    assert_null(seam_mock_wire_find("/model/m/invoke", NULL));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        seam_mock_plan plan;
        assert_int_equal(
            w->plan("/model/m/converse", NULL, cases[i].body, strlen(cases[i].body), NULL, &plan),
            0);
        assert_int_equal(plan.status, 400);
        if (!strstr(plan.body.data, cases[i].says))
            fail_msg("case %zu: %s does not say '%s'", i, plan.body.data, cases[i].says);
        seam_mock_plan_free(&plan);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_text),
        cmocka_unit_test(test_request_system),
        cmocka_unit_test(test_request_multi_turn),
        cmocka_unit_test(test_request_images),
        cmocka_unit_test(test_request_tools),
        cmocka_unit_test(test_request_tool_results),
        cmocka_unit_test(test_request_inference_config),
        cmocka_unit_test(test_tool_choice_variants),
        cmocka_unit_test(test_tool_call_without_arguments),
        cmocka_unit_test(test_nul_in_text_survives),
        cmocka_unit_test(test_refusals_name_the_field),
        cmocka_unit_test(test_bad_model_id_refused),
        cmocka_unit_test(test_escapes_and_numbers_pass_through),
        cmocka_unit_test(test_repeated_and_escaped_fields),
        cmocka_unit_test(test_signed_request),
        cmocka_unit_test(test_signed_with_session_token_and_plain_http),
        cmocka_unit_test(test_create_needs_credentials_and_region),
        cmocka_unit_test(test_response_text),
        cmocka_unit_test(test_response_tool_use),
        cmocka_unit_test(test_response_parallel_calls),
        cmocka_unit_test(test_response_cache_usage_and_length),
        cmocka_unit_test(test_response_guardrail),
        cmocka_unit_test(test_stop_reasons),
        cmocka_unit_test(test_response_not_converse),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_response_escapes_numbers_and_huge_usage),
        cmocka_unit_test(test_stream_text),
        cmocka_unit_test(test_stream_without_include_usage),
        cmocka_unit_test(test_stream_parallel_tool_calls),
        cmocka_unit_test(test_stream_exception_event),
        cmocka_unit_test(test_stream_cut_short),
        cmocka_unit_test(test_stream_bad_crc),
        cmocka_unit_test(test_stream_escapes_pass_through),
        cmocka_unit_test(test_mock_accepts_every_request_fixture),
        cmocka_unit_test(test_mock_echo_and_tools),
        cmocka_unit_test(test_mock_stream_round_trip),
        cmocka_unit_test(test_mock_faults_become_openai_errors),
        cmocka_unit_test(test_mock_validates_like_bedrock),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
