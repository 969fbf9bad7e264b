/* test_gemini_provider.c — the Gemini adapter and the mock's Gemini wire.
 *
 * Translation is checked against fixtures in tests/unit/data/gemini (see its
 * README): requests field by field, whole answers, streams fed whole and in
 * random pieces, refusals, errors.  Then the mock's Gemini wire on its own,
 * and last the whole path on one event loop: provider -> HTTP client ->
 * seam's HTTP server answering with the mock's Gemini wire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <event2/event.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/client.h"
#include "http/server.h"
#include "providers/gemini_xlate.h"
#include "providers/mock_wire.h"
#include "providers/provider.h"

#define DATA "tests/unit/data/gemini"

/* ---- JSON helpers ---- */

static json_t *load(const char *name)
{
    char path[256];
    json_error_t err;
    snprintf(path, sizeof path, "%s/%s", DATA, name);
    json_t *j = json_load_file(path, 0, &err);
    if (!j) fail_msg("%s:%d: %s", path, err.line, err.text);
    return j;
}

static json_t *parse(const char *p, size_t n)
{
    json_error_t err;
    json_t *j = json_loadb(p, n, 0, &err);
    if (!j) fail_msg("not JSON (%s): %.*s", err.text, (int)(n > 2000 ? 2000 : n), p);
    return j;
}

static int str_is(json_t *v, const char *s)
{
    return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

/* Fails naming the first place where actual differs from expected. */
static void same(json_t *want, json_t *got, const char *where)
{
    char path[512];
    if (json_is_object(want) && json_is_object(got)) {
        const char *key;
        json_t *v;
        json_object_foreach(want, key, v)
        {
            snprintf(path, sizeof path, "%s.%s", where, key);
            json_t *g = json_object_get(got, key);
            if (!g) fail_msg("%s: missing", path);
            same(v, g, path);
        }
        json_object_foreach(got, key, v)
        {
            if (!json_object_get(want, key)) {
                char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
                snprintf(path, sizeof path, "%s.%s", where, key);
                fail_msg("%s: unexpected member %s", path, s);
            }
        }
        return;
    }
    if (json_is_array(want) && json_is_array(got)) {
        if (json_array_size(want) != json_array_size(got))
            fail_msg("%s: %zu items, expected %zu", where, json_array_size(got),
                     json_array_size(want));
        for (size_t i = 0; i < json_array_size(want); i++) {
            snprintf(path, sizeof path, "%s[%zu]", where, i);
            same(json_array_get(want, i), json_array_get(got, i), path);
        }
        return;
    }
    if (!json_equal(want, got)) {
        char *w = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
        char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
        fail_msg("%s: got %s, expected %s", where, g ? g : "?", w ? w : "?");
    }
}

/* ---- a provider and its translation steps ---- */

static seam_provider_conf CONF = {
    .name = "g", .type = "gemini", .base_url = "http://127.0.0.1:9", .api_key = "test-key"};

static seam_provider *make_provider(const seam_provider_conf *conf)
{
    char err[256] = "";
    seam_provider *p = NULL;
    if (seam_provider_gemini.create(conf, &p, err, sizeof err) != 0) fail_msg("create: %s", err);
    assert_ptr_equal(p->vt, &seam_provider_gemini);
    return p;
}

typedef struct built {
    int rc;
    char refuse[256];
    json_t *body;
    char url[512];
    char headers[SEAM_ADAPTER_MAX_HEADERS][256];
    int nheaders;
    void *state;
    seam_call_req req;
    char *text; /* the OpenAI body */
    char *raw;  /* the Gemini body as written */
    char model[256];
} built;

static void built_free(built *b)
{
    json_decref(b->body);
    if (b->state) {
        seam_gemini_ops.state_free(b->state);
        free(b->state);
    }
    free(b->text);
    free(b->raw);
    memset(b, 0, sizeof *b);
}

/* Runs build() on the OpenAI body text (taken) for model, keeping the state. */
static void build_text(seam_provider *p, char *text, int stream, const char *model, seam_op op,
                       built *b)
{
    memset(b, 0, sizeof *b);
    snprintf(b->model, sizeof b->model, "%s", model);
    b->text = text;
    b->req = (seam_call_req){
        .op = op,
        .model = b->model,
        .body = b->text,
        .body_len = strlen(b->text),
        .stream = op == SEAM_OP_CHAT && stream,
        .refuse = b->refuse,
        .refuse_len = sizeof b->refuse,
    };
    b->state = calloc(1, seam_gemini_ops.state_size);
    seam_adapter_out out;
    memset(&out, 0, sizeof out);
    seam_buf_init(&out.body, 1 << 24);
    b->rc = seam_gemini_ops.build(p, &b->req, b->state, &out);
    if (b->rc == 0) {
        const char *url = seam_http_target_url(out.target);
        const char *path = strchr(strstr(url, "://") + 3, '/');
        snprintf(b->url, sizeof b->url, "%s", path ? path : url);
        b->body = parse(out.body.data, out.body.len);
        b->raw = strndup(out.body.data, out.body.len);
        for (int i = 0; i < out.nheaders; i++)
            snprintf(b->headers[b->nheaders++], sizeof b->headers[0], "%s", out.headers[i]);
    }
    seam_adapter_out_free(&out);
}

/* Runs build() on openai (not stolen) for model, keeping the state. */
static void build_with(seam_provider *p, json_t *openai, const char *model, seam_op op, built *b)
{
    build_text(p, json_dumps(openai, JSON_COMPACT), json_is_true(json_object_get(openai, "stream")),
               model, op, b);
}

static void build_ok(seam_provider *p, json_t *openai, const char *model, seam_op op, built *b)
{
    build_with(p, openai, model, op, b);
    if (b->rc != 0) fail_msg("build refused: %s", b->refuse);
}

static const char *model_of(json_t *fixture, json_t *openai)
{
    const char *m = json_string_value(json_object_get(fixture, "model"));
    if (!m) m = json_string_value(json_object_get(openai, "model"));
    return m ? m : "gemini-2.0-flash";
}

static seam_op op_of(json_t *fixture)
{
    return json_is_string(json_object_get(fixture, "op")) ? SEAM_OP_EMBEDDINGS : SEAM_OP_CHAT;
}

/* ---- requests ---- */

static void test_request_fixtures(void **unused)
{
    static const char *const names[] = {
        "req_text.json",
        "req_system.json",
        "req_multiturn.json",
        "req_images.json",
        "req_tools.json",
        "req_tool_results.json",
        "req_gemini3_signature.json",
        "req_generation.json",
        "req_embeddings.json",
    };
    seam_provider *p = make_provider(&CONF);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        json_t *fx = load(names[i]);
        json_t *openai = json_object_get(fx, "openai");
        built b;
        build_ok(p, openai, model_of(fx, openai), op_of(fx), &b);
        assert_string_equal(b.url, json_string_value(json_object_get(fx, "url")));
        same(json_object_get(fx, "gemini"), b.body, names[i]);
        built_free(&b);
        json_decref(fx);
    }
    seam_provider_gemini.destroy(p);
}

static int has_header(const built *b, const char *h)
{
    for (int i = 0; i < b->nheaders; i++)
        if (strcmp(b->headers[i], h) == 0) return 1;
    return 0;
}

static void test_headers_and_urls(void **unused)
{
    json_t *chat = json_pack("{s:[{s:s,s:s}]}", "messages", "role", "user", "content", "hi");
    json_t *stream =
        json_pack("{s:b,s:[{s:s,s:s}]}", "stream", 1, "messages", "role", "user", "content", "hi");
    seam_provider *p = make_provider(&CONF);
    built b;
    build_ok(p, chat, "gemini-2.0-flash", SEAM_OP_CHAT, &b);
    assert_int_equal(b.nheaders, 3);
    assert_true(has_header(&b, "x-goog-api-key: test-key"));
    assert_true(has_header(&b, "Content-Type: application/json"));
    assert_true(has_header(&b, "Accept: application/json"));
    built_free(&b);
    build_ok(p, stream, "gemini-2.0-flash", SEAM_OP_CHAT, &b);
    assert_string_equal(b.url, "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse");
    assert_true(has_header(&b, "Accept: text/event-stream"));
    built_free(&b);
    /* the resource prefixes a model name may carry */
    build_ok(p, chat, "models/gemini-1.5-pro-002", SEAM_OP_CHAT, &b);
    assert_string_equal(b.url, "/v1beta/models/gemini-1.5-pro-002:generateContent");
    built_free(&b);
    build_ok(p, chat, "tunedModels/my-model_1.2", SEAM_OP_CHAT, &b);
    assert_string_equal(b.url, "/v1beta/tunedModels/my-model_1.2:generateContent");
    built_free(&b);
    seam_provider_gemini.destroy(p);

    /* base_url naming a version keeps it; another path is a prefix; no key, no header */
    seam_provider_conf v1 = {.name = "g", .type = "gemini", .base_url = "http://127.0.0.1:9/v1/"};
    p = make_provider(&v1);
    build_ok(p, chat, "gemini-2.0-flash", SEAM_OP_CHAT, &b);
    assert_string_equal(b.url, "/v1/models/gemini-2.0-flash:generateContent");
    assert_int_equal(b.nheaders, 2);
    built_free(&b);
    seam_provider_gemini.destroy(p);
    seam_provider_conf proxy = {.name = "g", .type = "gemini", .base_url = "http://127.0.0.1:9/gw"};
    p = make_provider(&proxy);
    build_ok(p, chat, "gemini-2.0-flash", SEAM_OP_CHAT, &b);
    assert_string_equal(b.url, "/gw/v1beta/models/gemini-2.0-flash:generateContent");
    built_free(&b);
    seam_provider_gemini.destroy(p);

    /* a key that would split the header line is refused at load */
    seam_provider_conf bad = {.name = "g", .type = "gemini", .api_key = "k\r\nX-Evil: 1"};
    char err[256] = "";
    seam_provider *none = NULL;
    assert_int_equal(seam_provider_gemini.create(&bad, &none, err, sizeof err), -1);
    assert_non_null(strstr(err, "api_key"));
    assert_null(none);
    assert_ptr_equal(seam_provider_find("gemini"), &seam_provider_gemini);
    json_decref(chat);
    json_decref(stream);
}

/* Builds {"messages":[user "hi"], ...extra} and returns the Gemini body's member key. */
static json_t *translated(seam_provider *p, const char *extra_json, const char *key, built *b)
{
    json_t *req = parse(extra_json, strlen(extra_json));
    if (!json_object_get(req, "messages"))
        json_object_set_new(req, "messages",
                            json_pack("[{s:s,s:s}]", "role", "user", "content", "hi"));
    build_ok(p, req, "gemini-2.0-flash", SEAM_OP_CHAT, b);
    json_decref(req);
    return key ? json_object_get(b->body, key) : b->body;
}

static void expect_json(json_t *got, const char *want_json, const char *where)
{
    json_t *want = parse(want_json, strlen(want_json));
    if (!got) fail_msg("%s: missing", where);
    same(want, got, where);
    json_decref(want);
}

static void test_tool_choice_modes(void **unused)
{
    static const char tools[] = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"a\"}},"
                                "{\"type\":\"function\",\"function\":{\"name\":\"b\"}}]";
    static const struct {
        const char *choice, *config, *decls;
    } cases[] = {
        {"\"auto\"", "{\"functionCallingConfig\":{\"mode\":\"AUTO\"}}",
         "[{\"name\":\"a\"},{\"name\":\"b\"}]"},
        {"\"none\"", "{\"functionCallingConfig\":{\"mode\":\"NONE\"}}",
         "[{\"name\":\"a\"},{\"name\":\"b\"}]"},
        {"\"required\"", "{\"functionCallingConfig\":{\"mode\":\"ANY\"}}",
         "[{\"name\":\"a\"},{\"name\":\"b\"}]"},
        {"{\"type\":\"allowed_tools\",\"allowed_tools\":{\"mode\":\"required\",\"tools\":[{"
         "\"type\":"
         "\"function\",\"function\":{\"name\":\"b\"}}]}}",
         "{\"functionCallingConfig\":{\"mode\":\"ANY\",\"allowedFunctionNames\":[\"b\"]}}",
         "[{\"name\":\"a\"},{\"name\":\"b\"}]"},
        /* Gemini takes allowedFunctionNames under ANY only: auto narrows the declarations */
        {"{\"type\":\"allowed_tools\",\"allowed_tools\":{\"mode\":\"auto\",\"tools\":[{\"type\":"
         "\"function\",\"function\":{\"name\":\"b\"}}]}}",
         "{\"functionCallingConfig\":{\"mode\":\"AUTO\"}}", "[{\"name\":\"b\"}]"},
    };
    seam_provider *p = make_provider(&CONF);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char req[1024];
        snprintf(req, sizeof req, "{%s,\"tool_choice\":%s}", tools, cases[i].choice);
        built b;
        translated(p, req, NULL, &b);
        expect_json(json_object_get(b.body, "toolConfig"), cases[i].config, cases[i].choice);
        expect_json(json_object_get(json_array_get(json_object_get(b.body, "tools"), 0),
                                    "functionDeclarations"),
                    cases[i].decls, cases[i].choice);
        built_free(&b);
    }
    /* tools without tool_choice: no toolConfig; tool_choice none without tools: nothing */
    built b;
    translated(p, "{\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"a\"}}]}", NULL, &b);
    assert_null(json_object_get(b.body, "toolConfig"));
    built_free(&b);
    translated(p, "{\"tool_choice\":\"none\"}", NULL, &b);
    assert_null(json_object_get(b.body, "toolConfig"));
    assert_null(json_object_get(b.body, "tools"));
    built_free(&b);
    seam_provider_gemini.destroy(p);
}

static void test_request_details(void **unused)
{
    seam_provider *p = make_provider(&CONF);
    built b;
    /* max_completion_tokens wins over max_tokens; stop as a list; json_object mode */
    expect_json(translated(p,
                           "{\"max_tokens\":5,\"max_completion_tokens\":50,\"stop\":[\"a\",\"b\"],"
                           "\"response_format\":{\"type\":\"json_object\"},\"n\":1,"
                           "\"temperature\":0,\"presence_penalty\":0}",
                           "generationConfig", &b),
                "{\"temperature\":0,\"maxOutputTokens\":50,\"stopSequences\":[\"a\",\"b\"],"
                "\"responseMimeType\":\"application/json\"}",
                "generationConfig");
    built_free(&b);
    /* nothing to configure: no generationConfig at all */
    translated(p, "{\"response_format\":{\"type\":\"text\"},\"stop\":[]}", NULL, &b);
    assert_null(json_object_get(b.body, "generationConfig"));
    built_free(&b);
    expect_json(translated(p, "{\"reasoning_effort\":\"none\"}", "generationConfig", &b),
                "{\"thinkingConfig\":{\"thinkingBudget\":0}}", "reasoning none");
    built_free(&b);
    /* an empty user turn is left out, an assistant refusal is replayed as text, a
     * tool result whose call is not in the request is matched by the id we made */
    expect_json(translated(p,
                           "{\"messages\":[{\"role\":\"user\",\"content\":\"\"},"
                           "{\"role\":\"user\",\"content\":\"q\"},"
                           "{\"role\":\"assistant\",\"content\":null,\"refusal\":\"No.\"},"
                           "{\"role\":\"tool\",\"tool_call_id\":\"call_3_look_up\","
                           "\"content\":\"[1,2]\"}]}",
                           "contents", &b),
                "[{\"role\":\"user\",\"parts\":[{\"text\":\"q\"}]},"
                "{\"role\":\"model\",\"parts\":[{\"text\":\"No.\"}]},"
                "{\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"name\":\"look_up\","
                "\"response\":{\"content\":\"[1,2]\"}}}]}]",
                "contents");
    built_free(&b);
    /* the original body is not needed after build: the state keeps what answers need */
    expect_json(translated(p,
                           "{\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                           "\"prompt_cache_key\":\"k\",\"safety_identifier\":\"s\","
                           "\"prediction\":{\"type\":\"content\",\"content\":\"x\"}}",
                           "contents", &b),
                "[{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]}]", "dropped fields");
    built_free(&b);
    seam_provider_gemini.destroy(p);
}

/* JSON written with ' for " (C strings full of \" are hard to read); malloc'd. */
static char *jq(const char *s)
{
    char *t = strdup(s);
    for (char *c = t; *c; c++)
        if (*c == '\'') *c = '"';
    return t;
}

static void expect_jq(json_t *got, const char *want, const char *where)
{
    char *w = jq(want);
    expect_json(got, w, where);
    free(w);
}

/* Texts are copied still escaped and numbers as the client wrote them; the
 * strings that are looked into (URLs, ids, arguments, results) are decoded. */
static void test_request_escapes_and_numbers(void **unused)
{
    seam_provider *p = make_provider(&CONF);
    built b;
    build_text(p,
               jq("{'messages':["
                  "{'role':'system','content':'be \\'nice\\'\\n'},"
                  "{'role':'user','content':["
                  "{'type':'text','text':'caf\\u00e9 \\/ \\ud83d\\ude00'},"
                  "{'type':'image_url','image_url':{'url':'https:\\/\\/x.example\\/cat.PNG'}},"
                  "{'type':'image_url','image_url':'data:image\\/png;base64,iVBOR\\/w=='}]},"
                  "{'role':'assistant','tool_calls':[{'id':'c\\u0031','type':'function',"
                  "'function':{'name':'look\\u005fup',"
                  "'arguments':'{\\'q\\': \\'caf\\\\u00e9 \\\\\\'x\\\\\\'\\', \\'n\\': 1.50}'}}]},"
                  "{'role':'tool','tool_call_id':'c1','content':'{\\'ok\\':true,\\'t\\':\\'"
                  "\\\\u00e9\\'}'},"
                  "{'role':'tool','tool_call_id':'call_2_f\\u00fcr','content':'plain \\'text\\''}],"
                  "'temperature':0.70,'top_p':1e-1,'seed':12345678901234,'stop':'\\u0041'}"),
               0, "gemini-2.0-flash", SEAM_OP_CHAT, &b);
    if (b.rc) fail_msg("refused: %s", b.refuse);
    expect_jq(
        json_object_get(b.body, "contents"),
        "[{'role':'user','parts':[{'text':'caf\xc3\xa9 / \xf0\x9f\x98\x80'},"
        "{'fileData':{'mimeType':'image/png','fileUri':'https://x.example/cat.PNG'}},"
        "{'inlineData':{'mimeType':'image/png','data':'iVBOR/w=='}}]},"
        "{'role':'model','parts':[{'functionCall':{'name':'look_up',"
        "'args':{'q':'caf\xc3\xa9 \\'x\\'','n':1.5}}}]},"
        "{'role':'user','parts':["
        "{'functionResponse':{'name':'look_up','response':{'content':{'ok':true,"
        "'t':'\xc3\xa9'}}}},"
        "{'functionResponse':{'name':'f\xc3\xbcr','response':{'content':'plain \\'text\\''}}}]}]",
        "contents");
    expect_jq(json_object_get(b.body, "systemInstruction"),
              "{'parts':[{'text':'be \\'nice\\'\\n'}]}", "systemInstruction");
    expect_jq(json_object_get(b.body, "generationConfig"),
              "{'temperature':0.7,'topP':0.1,'seed':12345678901234,'stopSequences':['A']}",
              "generationConfig");
    /* copied, not re-printed */
    assert_non_null(strstr(b.raw, "\"temperature\":0.70"));
    assert_non_null(strstr(b.raw, "\"topP\":1e-1"));
    assert_non_null(strstr(b.raw, "\"seed\":12345678901234"));
    assert_non_null(strstr(b.raw, "\"text\":\"caf\\u00e9 \\/ \\ud83d\\ude00\""));
    assert_non_null(strstr(b.raw, "\"n\": 1.50"));
    built_free(&b);

    /* duplicate members: the last one counts, as for any JSON reader */
    build_text(p,
               jq("{'messages':[{'role':'user','content':'x'}],'temperature':'hot',"
                  "'temperature':0.5,'logprobs':true,'logprobs':false}"),
               0, "gemini-2.0-flash", SEAM_OP_CHAT, &b);
    if (b.rc) fail_msg("refused: %s", b.refuse);
    expect_jq(json_object_get(b.body, "generationConfig"), "{'temperature':0.5}", "duplicates");
    built_free(&b);
    /* ... in the place of the first: that decides which refusal comes first */
    build_text(p, jq("{'messages':[{'role':'user','content':'x'}],'foo':1,'bar':2,'foo':3}"), 0,
               "gemini-2.0-flash", SEAM_OP_CHAT, &b);
    assert_int_equal(b.rc, -1);
    assert_non_null(strstr(b.refuse, "cannot take foo: "));
    built_free(&b);
    seam_provider_gemini.destroy(p);
}

/* $ref, allOf and Optional anyOf fold into the schema that holds them: its
 * own members win, the folded one fills in the rest. */
static void test_schema_folds(void **unused)
{
    seam_provider *p = make_provider(&CONF);
    built b;
    build_text(p,
               jq("{'messages':[{'role':'user','content':'x'}],'tools':[{'type':'function',"
                  "'function':{'name':'f','parameters':{'type':'object',"
                  "'$defs':{'A':{'title':'A','$ref':'#/$defs/B'},"
                  "'B':{'type':'string','title':'B','description':'b'}},"
                  "'properties':{"
                  "'caf\\u00e9':{'$ref':'#\\/$defs\\/A','description':'outer'},"
                  "'opt':{'anyOf':[{'$ref':'#/$defs/B'},{'type':'null'}],'title':'T'},"
                  "'both':{'allOf':[{'type':'object','properties':{'x':{'type':'integer',"
                  "'minimum':1.0}}}],'description':'d'},"
                  "'dt':{'type':'string','type':'integer'},"
                  "'ex':{'type':'string','examples':['a','b'],'example':'c'},"
                  "'ex2':{'type':'string','examples':['a','b']},"
                  "'ec':{'enum':['a',null],'const':'c'},"
                  "'nf':{'type':'string','nullable':false},"
                  "'dup':{'type':'string'},"
                  "'dup':{'type':'boolean'}}}}}]}"),
               0, "gemini-2.0-flash", SEAM_OP_CHAT, &b);
    if (b.rc) fail_msg("refused: %s", b.refuse);
    json_t *decl =
        json_array_get(json_object_get(json_array_get(json_object_get(b.body, "tools"), 0),
                                       "functionDeclarations"),
                       0);
    expect_jq(json_object_get(decl, "parameters"),
              "{'type':'OBJECT','properties':{"
              "'caf\xc3\xa9':{'description':'outer','title':'A','type':'STRING'},"
              "'opt':{'title':'T','nullable':true,'type':'STRING','description':'b'},"
              "'both':{'description':'d','type':'OBJECT','properties':{'x':{'type':'INTEGER',"
              "'minimum':1.0}}},"
              "'dt':{'type':'INTEGER'},"
              "'ex':{'type':'STRING','example':'c'},"
              "'ex2':{'type':'STRING','example':'a'},"
              "'ec':{'enum':['c'],'nullable':true,'type':'STRING'},"
              "'nf':{'type':'STRING','nullable':false},"
              "'dup':{'type':'BOOLEAN'}}}",
              "parameters");
    assert_non_null(strstr(b.raw, "\"caf\\u00e9\":{"));
    assert_non_null(strstr(b.raw, "\"minimum\":1.0"));
    built_free(&b);

    /* a response schema keeps its order, names as they decode (a repeated one
     * where it came first) */
    build_text(p,
               jq("{'messages':[{'role':'user','content':'x'}],'response_format':{'type':"
                  "'json_schema','json_schema':{'name':'s','schema':{'type':'object',"
                  "'properties':{'b\\u0061':{'type':'string'},'a':{'type':'string'},"
                  "'ba':{'type':'integer'}}}}}}"),
               0, "gemini-2.0-flash", SEAM_OP_CHAT, &b);
    if (b.rc) fail_msg("refused: %s", b.refuse);
    expect_jq(json_object_get(json_object_get(b.body, "generationConfig"), "responseSchema"),
              "{'type':'OBJECT','properties':{'ba':{'type':'INTEGER'},'a':{'type':'STRING'}},"
              "'propertyOrdering':['ba','a']}",
              "responseSchema");
    built_free(&b);

    /* an Optional whose one schema is not a schema */
    build_text(p,
               jq("{'messages':[{'role':'user','content':'x'}],'tools':[{'type':'function',"
                  "'function':{'name':'f','parameters':{'type':'object','properties':{"
                  "'p':{'anyOf':[1,{'type':'null'}]}}}}}]}"),
               0, "gemini-2.0-flash", SEAM_OP_CHAT, &b);
    assert_int_equal(b.rc, -1);
    assert_string_equal(b.refuse, "provider 'g' (gemini) cannot take "
                                  "tools[0].function.parameters.properties.p.anyOf[0]: a schema "
                                  "must be an object");
    built_free(&b);
    seam_provider_gemini.destroy(p);
}

static void test_refusals(void **unused)
{
    json_t *fx = load("refusals.json");
    seam_provider *p = make_provider(&CONF);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(fx, "cases"), i, c)
    {
        json_t *req = json_deep_copy(json_object_get(c, "openai"));
        if (!req) req = json_object();
        seam_op op = op_of(c);
        json_t *msgs = json_object_get(c, "messages");
        if (msgs)
            json_object_set(req, "messages", msgs);
        else if (op == SEAM_OP_CHAT && !json_object_get(req, "messages"))
            json_object_set_new(req, "messages",
                                json_pack("[{s:s,s:s}]", "role", "user", "content", "hi"));
        const char *model = json_string_value(json_object_get(c, "model"));
        built b;
        build_with(p, req, model ? model : "gemini-2.0-flash", op, &b);
        const char *field = json_string_value(json_object_get(c, "field"));
        char want[256];
        snprintf(want, sizeof want, "provider 'g' (gemini) cannot take %s", field);
        if (b.rc != -1) fail_msg("case %zu (%s): not refused", i, field);
        char next = b.refuse[strlen(want)]; /* the whole field, or a prefix of its path */
        if (strncmp(b.refuse, want, strlen(want)) != 0 || !strchr(":.[", next) || !next)
            fail_msg("case %zu: refusal \"%s\" does not name %s", i, b.refuse, field);
        built_free(&b);
        json_decref(req);
    }
    /* more inputs than one batchEmbedContents takes */
    json_t *many = json_array();
    for (int k = 0; k < 101; k++)
        json_array_append_new(many, json_string("x"));
    json_t *req = json_pack("{s:o}", "input", many);
    built b;
    build_with(p, req, "text-embedding-004", SEAM_OP_EMBEDDINGS, &b);
    assert_int_equal(b.rc, -1);
    assert_non_null(strstr(b.refuse, "cannot take input: Gemini embeds at most 100"));
    built_free(&b);
    json_decref(req);
    seam_provider_gemini.destroy(p);
    json_decref(fx);
}

/* ---- answers ---- */

/* Checks id and created for shape, and drops those the fixture leaves out. */
static void drop_volatile(json_t *want, json_t *got)
{
    json_t *created = json_object_get(got, "created");
    if (json_object_get(got, "object") &&
        strcmp(json_string_value(json_object_get(got, "object")), "list") != 0) {
        if (!json_is_integer(created) || json_integer_value(created) < 1700000000)
            fail_msg("created is not a recent time");
        json_object_del(got, "created");
        const char *id = json_string_value(json_object_get(got, "id"));
        if (!id || strncmp(id, "chatcmpl-", 9) != 0) fail_msg("id \"%s\" is not chatcmpl-...", id);
        if (!json_object_get(want, "id")) json_object_del(got, "id");
    }
}

static void test_response_fixtures(void **unused)
{
    static const char *const names[] = {
        "resp_text.json",         "resp_tool_calls.json", "resp_stop_reasons.json",
        "resp_usage_cached.json", "resp_blocked.json",    "resp_embeddings.json",
    };
    seam_provider *p = make_provider(&CONF);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        json_t *fx = load(names[i]);
        json_t *req = json_object_get(fx, "request");
        json_t *dflt = json_pack("{s:[{s:s,s:s}]}", "messages", "role", "user", "content", "hi");
        built b;
        build_ok(p, req ? req : dflt, model_of(fx, NULL), op_of(fx), &b);
        char *g = json_dumps(json_object_get(fx, "gemini"), JSON_COMPACT);
        seam_buf out;
        seam_buf_init(&out, 1 << 20);
        assert_int_equal(seam_gemini_ops.response(b.state, &b.req, g, strlen(g), &out,
                                                  &(seam_usage){.prompt_tokens = -1}),
                         0);
        json_t *got = parse(out.data, out.len);
        json_t *want = json_object_get(fx, "openai");
        drop_volatile(want, got);
        same(want, got, names[i]);
        json_decref(got);
        seam_buf_free(&out);
        free(g);
        built_free(&b);
        json_decref(dflt);
        json_decref(fx);
    }
    seam_provider_gemini.destroy(p);
}

static size_t unbase64(const char *s, unsigned char *out, size_t cap)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = 0;
    unsigned v = 0;
    int bits = 0;
    for (; *s && *s != '='; s++) {
        const char *at = strchr(tab, *s);
        assert_non_null(at);
        v = (v << 6) | (unsigned)(at - tab);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            assert_true(n < cap);
            out[n++] = (unsigned char)(v >> bits);
        }
    }
    return n;
}

static void test_embeddings_answers(void **unused)
{
    seam_provider *p = make_provider(&CONF);
    /* base64: little-endian float32, as OpenAI sends it; 3 floats leave a padded tail */
    json_t *req = json_pack("{s:s,s:s}", "input", "x", "encoding_format", "base64");
    built b;
    build_ok(p, req, "text-embedding-004", SEAM_OP_EMBEDDINGS, &b);
    static const char ans[] = "{\"embeddings\":[{\"values\":[0.5,-1.25,3]}]}";
    seam_buf out;
    seam_buf_init(&out, 1 << 20);
    assert_int_equal(seam_gemini_ops.response(b.state, &b.req, ans, strlen(ans), &out,
                                              &(seam_usage){.prompt_tokens = -1}),
                     0);
    json_t *got = parse(out.data, out.len);
    const char *enc = json_string_value(
        json_object_get(json_array_get(json_object_get(got, "data"), 0), "embedding"));
    assert_non_null(enc);
    assert_int_equal(strlen(enc), 16);
    unsigned char raw[12];
    assert_int_equal(unbase64(enc, raw, sizeof raw), 12);
    float f[3];
    for (int i = 0; i < 3; i++) {
        uint32_t bits = (uint32_t)raw[4 * i] | (uint32_t)raw[4 * i + 1] << 8 |
                        (uint32_t)raw[4 * i + 2] << 16 | (uint32_t)raw[4 * i + 3] << 24;
        memcpy(&f[i], &bits, 4);
    }
    assert_true(f[0] == 0.5f && f[1] == -1.25f && f[2] == 3.0f);
    json_decref(got);
    /* one vector for two inputs is not an answer to this request */
    seam_buf_reset(&out);
    built_free(&b);
    json_decref(req);
    req = json_pack("{s:[s,s]}", "input", "a", "b");
    build_ok(p, req, "text-embedding-004", SEAM_OP_EMBEDDINGS, &b);
    assert_int_equal(seam_gemini_ops.response(b.state, &b.req, ans, strlen(ans), &out,
                                              &(seam_usage){.prompt_tokens = -1}),
                     -1);
    assert_int_equal(seam_gemini_ops.response(b.state, &b.req, "oops", 4, &out,
                                              &(seam_usage){.prompt_tokens = -1}),
                     -1);
    seam_buf_free(&out);
    built_free(&b);
    json_decref(req);
    seam_provider_gemini.destroy(p);
}

static void test_error_fixtures(void **unused)
{
    json_t *fx = load("errors.json");
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(fx, "cases"), i, c)
    {
        json_t *body = json_object_get(c, "body");
        char *text =
            json_is_string(body) ? strdup(json_string_value(body)) : json_dumps(body, JSON_COMPACT);
        seam_buf out;
        seam_buf_init(&out, 1 << 20);
        int status = (int)json_integer_value(json_object_get(c, "status"));
        assert_int_equal(seam_gemini_ops.error(status, text, strlen(text), &out), 0);
        json_t *got = parse(out.data, out.len);
        same(json_object_get(c, "expect"), json_object_get(got, "error"), "error");
        assert_int_equal(json_object_size(got), 1);
        json_decref(got);
        seam_buf_free(&out);
        free(text);
    }
    json_decref(fx);
}

/* ---- streams ---- */

/* What a client assembles from OpenAI chunks; checks the chunk rules on the way. */
typedef struct assembled {
    json_t *result; /* {"id","choices":[{content,finish_reason,tool_calls}],"usage"} */
    seam_buf norm;  /* the chunks with "created" removed, for comparing runs */
    int done;
} assembled;

static json_t *choice_slot(json_t *choices, size_t index)
{
    while (json_array_size(choices) <= index)
        json_array_append_new(choices, json_pack("{s:s,s:n,s:[],s:b}", "content", "",
                                                 "finish_reason", "tool_calls", "_started", 0));
    return json_array_get(choices, index);
}

static void assemble(const char *p, size_t n, assembled *a)
{
    memset(a, 0, sizeof *a);
    seam_buf_init(&a->norm, 1 << 24);
    a->result = json_pack("{s:n,s:[],s:n}", "id", "choices", "usage");
    json_t *choices = json_object_get(a->result, "choices");
    size_t pos = 0;
    while (pos < n) {
        if (a->done) fail_msg("bytes after [DONE]");
        if (n - pos < 8 || memcmp(p + pos, "data: ", 6) != 0) fail_msg("not an SSE data line");
        const char *end = memmem(p + pos, n - pos, "\n\n", 2);
        if (!end) fail_msg("an event without its blank line");
        const char *d = p + pos + 6;
        size_t dn = (size_t)(end - d);
        pos = (size_t)(end - p) + 2;
        if (dn == 6 && memcmp(d, "[DONE]", 6) == 0) {
            a->done = 1;
            continue;
        }
        json_t *ch = parse(d, dn);
        assert_string_equal(json_string_value(json_object_get(ch, "object")),
                            "chat.completion.chunk");
        json_t *id = json_object_get(ch, "id");
        if (json_is_null(json_object_get(a->result, "id")))
            json_object_set(a->result, "id", id);
        else
            assert_true(json_equal(id, json_object_get(a->result, "id")));
        assert_true(json_is_integer(json_object_get(ch, "created")));
        json_object_del(ch, "created");
        char *s = json_dumps(ch, JSON_COMPACT | JSON_SORT_KEYS);
        seam_buf_append_str(&a->norm, s);
        seam_buf_append_str(&a->norm, "\n");
        free(s);
        json_t *cs = json_object_get(ch, "choices");
        if (!json_array_size(cs)) { /* the usage chunk: after every finish */
            assert_true(json_is_object(json_object_get(ch, "usage")));
            assert_true(json_is_null(json_object_get(a->result, "usage")));
            size_t k;
            json_t *slot;
            json_array_foreach(choices, k, slot)
            {
                assert_false(json_is_null(json_object_get(slot, "finish_reason")));
            }
            json_object_set(a->result, "usage", json_object_get(ch, "usage"));
            json_decref(ch);
            continue;
        }
        assert_int_equal(json_array_size(cs), 1);
        json_t *c = json_array_get(cs, 0);
        json_t *slot =
            choice_slot(choices, (size_t)json_integer_value(json_object_get(c, "index")));
        if (!json_is_null(json_object_get(slot, "finish_reason")))
            fail_msg("a chunk after finish_reason");
        json_t *delta = json_object_get(c, "delta");
        json_t *role = json_object_get(delta, "role");
        if (!json_is_true(json_object_get(slot, "_started"))) {
            assert_true(str_is(role, "assistant"));
            json_object_set_new(slot, "_started", json_true());
        } else {
            assert_null(role);
        }
        json_t *text = json_object_get(delta, "content");
        if (json_is_string(text)) {
            char *joined;
            const char *old = json_string_value(json_object_get(slot, "content"));
            assert_true(asprintf(&joined, "%s%s", old, json_string_value(text)) > 0);
            json_object_set_new(slot, "content", json_string(joined));
            free(joined);
        }
        size_t k;
        json_t *tc;
        json_array_foreach(json_object_get(delta, "tool_calls"), k, tc)
        {
            json_t *calls = json_object_get(slot, "tool_calls");
            size_t idx = (size_t)json_integer_value(json_object_get(tc, "index"));
            json_t *fn = json_object_get(tc, "function");
            if (idx == json_array_size(calls)) { /* a new call: id, type and name */
                assert_true(str_is(json_object_get(tc, "type"), "function"));
                json_t *call = json_pack("{s:O,s:O,s:s}", "id", json_object_get(tc, "id"), "name",
                                         json_object_get(fn, "name"), "arguments", "");
                json_t *sig =
                    json_object_get(json_object_get(json_object_get(tc, "extra_content"), "google"),
                                    "thought_signature");
                if (sig) json_object_set(call, "thought_signature", sig);
                json_array_append_new(calls, call);
            }
            assert_true(idx < json_array_size(calls));
            json_t *call = json_array_get(calls, idx);
            char *joined;
            assert_true(asprintf(&joined, "%s%s",
                                 json_string_value(json_object_get(call, "arguments")),
                                 json_string_value(json_object_get(fn, "arguments"))) > 0);
            json_object_set_new(call, "arguments", json_string(joined));
            free(joined);
        }
        json_t *fr = json_object_get(c, "finish_reason");
        if (!json_is_null(fr)) json_object_set(slot, "finish_reason", fr);
        json_decref(ch);
    }
    size_t k;
    json_t *slot;
    json_array_foreach(choices, k, slot)
    {
        json_object_del(slot, "_started");
    }
}

static void assembled_free(assembled *a)
{
    json_decref(a->result);
    seam_buf_free(&a->norm);
}

/* The events of a fixture as Gemini's SSE bytes. */
static char *sse_of(json_t *events, size_t *len)
{
    seam_buf b;
    seam_buf_init(&b, 1 << 24);
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e)
    {
        char *s = json_dumps(e, JSON_COMPACT);
        seam_buf_append_str(&b, "data: ");
        seam_buf_append_str(&b, s);
        seam_buf_append_str(&b, "\r\n\r\n");
        free(s);
    }
    *len = b.len;
    return b.data;
}

/* Feeds wire to a new streamed call in pieces of at most max_piece bytes
 * (random sizes from seed; 0 = whole).  Returns stream_end's result; the
 * translated bytes are in *out. */
static int run_stream(seam_provider *p, const char *model, int include_usage, const char *wire,
                      size_t n, unsigned seed, size_t max_piece, seam_buf *out)
{
    json_t *req =
        json_pack("{s:b,s:{s:b},s:[{s:s,s:s}]}", "stream", 1, "stream_options", "include_usage",
                  include_usage, "messages", "role", "user", "content", "hi");
    built b;
    build_ok(p, req, model, SEAM_OP_CHAT, &b);
    seam_buf_init(out, 1 << 24);
    int rc = 0;
    for (size_t pos = 0; pos < n && rc == 0;) {
        size_t k = n - pos;
        if (max_piece) {
            seed = seed * 1103515245u + 12345u;
            size_t want = 1 + (seed >> 16) % max_piece;
            if (want < k) k = want;
        }
        rc = seam_gemini_ops.stream(b.state, &b.req, wire + pos, k, out);
        pos += k;
    }
    if (rc == 0) rc = seam_gemini_ops.stream_end(b.state, &b.req, out);
    built_free(&b);
    json_decref(req);
    return rc;
}

static void test_stream_fixtures(void **unused)
{
    static const char *const names[] = {"stream_text.json", "stream_tool_calls.json",
                                        "stream_candidates.json"};
    seam_provider *p = make_provider(&CONF);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        json_t *fx = load(names[i]);
        size_t n;
        char *wire = sse_of(json_object_get(fx, "events"), &n);
        int usage = json_is_true(json_object_get(fx, "include_usage"));
        const char *model = model_of(fx, NULL);
        seam_buf whole;
        assert_int_equal(run_stream(p, model, usage, wire, n, 0, 0, &whole), 0);
        assembled ref;
        assemble(whole.data, whole.len, &ref);
        assert_true(ref.done);
        same(json_object_get(fx, "expect"), ref.result, names[i]);
        /* the same bytes however the network cuts them */
        for (unsigned seed = 1; seed <= 40; seed++) {
            seam_buf out;
            size_t max_piece = seed == 1 ? 1 : seed % 5 == 0 ? 64 : 1 + seed % 13;
            assert_int_equal(run_stream(p, model, usage, wire, n, seed, max_piece, &out), 0);
            assembled a;
            assemble(out.data, out.len, &a);
            if (a.norm.len != ref.norm.len || memcmp(a.norm.data, ref.norm.data, a.norm.len) != 0)
                fail_msg("%s: seed %u gives other chunks:\n%s\nvs\n%s", names[i], seed, a.norm.data,
                         ref.norm.data);
            assembled_free(&a);
            seam_buf_free(&out);
        }
        assembled_free(&ref);
        seam_buf_free(&whole);
        free(wire);
        json_decref(fx);
    }
    seam_provider_gemini.destroy(p);
}

static void test_stream_cut_short(void **unused)
{
    seam_provider *p = make_provider(&CONF);
    static const char no_finish[] =
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hel\"}],\"role\":\"model\"},"
        "\"index\":0}]}\r\n\r\n";
    seam_buf out;
    /* text went out, but no finishReason ever came: a cut, not an answer */
    assert_int_equal(run_stream(p, "gemini-2.0-flash", 1, no_finish, strlen(no_finish), 0, 0, &out),
                     -1);
    assert_non_null(strstr(out.data, "\"content\":\"Hel\""));
    assert_null(strstr(out.data, "[DONE]"));
    seam_buf_free(&out);
    /* nothing at all */
    assert_int_equal(run_stream(p, "gemini-2.0-flash", 1, "", 0, 0, 0, &out), -1);
    seam_buf_free(&out);
    /* an event whose end never came */
    static const char half[] = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]},"
                               "\"finishReason\":\"STOP\"}]}";
    assert_int_equal(run_stream(p, "gemini-2.0-flash", 0, half, strlen(half), 0, 0, &out), -1);
    seam_buf_free(&out);
    /* one candidate finished, the other not */
    static const char two[] =
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},\"index\":0,"
        "\"finishReason\":\"STOP\"},{\"content\":{\"parts\":[{\"text\":\"b\"}]},\"index\":1}]}\n\n";
    assert_int_equal(run_stream(p, "gemini-2.0-flash", 0, two, strlen(two), 0, 0, &out), -1);
    seam_buf_free(&out);
    /* not JSON: a protocol error at once */
    assert_int_equal(run_stream(p, "gemini-2.0-flash", 0, "data: <html>\n\n", 14, 0, 0, &out), -1);
    seam_buf_free(&out);
    seam_provider_gemini.destroy(p);
}

static void test_stream_error_and_block(void **unused)
{
    seam_provider *p = make_provider(&CONF);
    static const char err[] =
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}]},\"index\":0}]}\r\n\r\n"
        "data: {\"error\":{\"code\":500,\"message\":\"An internal error has occurred.\","
        "\"status\":\"INTERNAL\"}}\r\n\r\n";
    seam_buf out;
    assert_int_equal(run_stream(p, "gemini-2.0-flash", 0, err, strlen(err), 3, 7, &out), -1);
    const char *ev = strstr(out.data, "data: {\"error\":");
    assert_non_null(ev);
    json_t *e = parse(ev + 6, strlen(ev + 6) - 2);
    expect_json(json_object_get(e, "error"),
                "{\"message\":\"An internal error has occurred.\",\"type\":\"internal\","
                "\"param\":null,\"code\":null}",
                "stream error");
    json_decref(e);
    seam_buf_free(&out);

    static const char blocked[] =
        "data: {\"promptFeedback\":{\"blockReason\":\"PROHIBITED_CONTENT\"},"
        "\"usageMetadata\":{\"promptTokenCount\":5,\"totalTokenCount\":5}}\r\n\r\n";
    assert_int_equal(run_stream(p, "gemini-2.0-flash", 1, blocked, strlen(blocked), 0, 0, &out), 0);
    assembled a;
    assemble(out.data, out.len, &a);
    assert_true(a.done);
    json_t *c0 = json_array_get(json_object_get(a.result, "choices"), 0);
    assert_string_equal(json_string_value(json_object_get(c0, "finish_reason")), "content_filter");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(a.result, "usage"), "prompt_tokens")),
        5);
    assembled_free(&a);
    seam_buf_free(&out);
    seam_provider_gemini.destroy(p);
}

/* Answers: texts, arguments and signatures copied still escaped; the few
 * strings that decide something decoded; numbers as Gemini wrote them. */
static void test_answer_escapes(void **unused)
{
    seam_provider *p = make_provider(&CONF);
    json_t *req = json_pack("{s:[{s:s,s:s}]}", "messages", "role", "user", "content", "hi");
    built b;
    build_ok(p, req, "gemini-2.0-flash", SEAM_OP_CHAT, &b);
    char *ans = jq("{'responseId':'r\\u0031','candidates':[{'content':{'parts':["
                   "{'text':'caf\\u00e9 \\'q\\'\\n'},{'text':'!'},{'text':'hidden','thought':true},"
                   "{'functionCall':{'name':'f\\u00fcr','args':{'a':'\\u00e9', 'n': 1.50}},"
                   "'thoughtSignature':'s\\/ig'}]},'finishReason':'MAX_\\u0054OKENS'}],"
                   "'usageMetadata':{'promptTokenCount':'7','candidatesTokenCount':2.0,"
                   "'totalTokenCount':9}}");
    seam_buf out;
    seam_buf_init(&out, 1 << 20);
    assert_int_equal(seam_gemini_ops.response(b.state, &b.req, ans, strlen(ans), &out,
                                              &(seam_usage){.prompt_tokens = -1}),
                     0);
    json_t *got = parse(out.data, out.len);
    json_object_del(got, "created");
    expect_jq(got,
              "{'id':'chatcmpl-r1','object':'chat.completion','model':'gemini-2.0-flash',"
              "'choices':[{'index':0,'message':{'role':'assistant',"
              "'content':'caf\xc3\xa9 \\'q\\'\\n!','refusal':null,'tool_calls':[{'id':"
              "'call_0_f\xc3\xbcr','type':'function','function':{'name':'f\xc3\xbcr',"
              "'arguments':'{\\'a\\':\\'\\\\u00e9\\',\\'n\\':1.50}'},"
              "'extra_content':{'google':{'thought_signature':'s/ig'}}}]},"
              "'logprobs':null,'finish_reason':'length'}],"
              "'usage':{'prompt_tokens':7,'completion_tokens':2,'total_tokens':9,"
              "'prompt_tokens_details':{'cached_tokens':0},"
              "'completion_tokens_details':{'reasoning_tokens':0}}}",
              "answer");
    json_decref(got);
    free(ans);
    built_free(&b);

    /* a stream: the same texts, in pieces */
    static const char *const events[] = {
        "{'candidates':[{'content':{'parts':[{'text':'caf\\u00e9 '}]}}]}",
        "{'candidates':[{'content':{'parts':[{'text':'\\'q\\'\\n'},"
        "{'functionCall':{'name':'g','args':{'s':'\\/'}}}]},'finishReason':'STOP'}]}",
    };
    seam_buf wire;
    seam_buf_init(&wire, 1 << 20);
    for (size_t i = 0; i < 2; i++) {
        char *e = jq(events[i]);
        seam_buf_append_str(&wire, "data: ");
        seam_buf_append_str(&wire, e);
        seam_buf_append_str(&wire, "\r\n\r\n");
        free(e);
    }
    seam_buf sse;
    assert_int_equal(run_stream(p, "gemini-2.0-flash", 0, wire.data, wire.len, 7, 5, &sse), 0);
    assembled a;
    assemble(sse.data, sse.len, &a);
    assert_true(a.done);
    expect_jq(json_array_get(json_object_get(a.result, "choices"), 0),
              "{'content':'caf\xc3\xa9 \\'q\\'\\n','finish_reason':'tool_calls','tool_calls':["
              "{'id':'call_0_g','name':'g','arguments':'{\\'s\\':\\'\\\\/\\'}'}]}",
              "stream");
    assembled_free(&a);
    seam_buf_free(&sse);
    seam_buf_free(&wire);

    /* an error: status and reason decoded, the message copied */
    char *err = jq("{'error':{'code':400,'message':'bad \\u0022x\\u0022','status':"
                   "'INVALID\\u005fARGUMENT','details':[{'reason':'API_KEY\\u005fINVALID'}]}}");
    seam_buf_reset(&out);
    assert_int_equal(seam_gemini_ops.error(400, err, strlen(err), &out), 0);
    got = parse(out.data, out.len);
    expect_jq(json_object_get(got, "error"),
              "{'message':'bad \\'x\\'','type':'invalid_argument','param':null,"
              "'code':'api_key_invalid'}",
              "error");
    json_decref(got);
    free(err);

    /* embeddings: each value as written */
    json_decref(req);
    req = json_pack("{s:s}", "input", "x");
    build_ok(p, req, "text-embedding-004", SEAM_OP_EMBEDDINGS, &b);
    static const char emb[] = "{\"embeddings\":[{\"values\":[0.12345678901234567,-1e-3,2]}]}";
    seam_buf_reset(&out);
    assert_int_equal(seam_gemini_ops.response(b.state, &b.req, emb, strlen(emb), &out,
                                              &(seam_usage){.prompt_tokens = -1}),
                     0);
    assert_non_null(strstr(out.data, "\"embedding\":[0.12345678901234567,-1e-3,2]"));
    built_free(&b);
    json_decref(req);
    seam_buf_free(&out);
    seam_provider_gemini.destroy(p);
}

/* ---- the mock's Gemini wire ---- */

static seam_mock_opts echo_on(void)
{
    seam_mock_opts o = {.echo = 1, .fail_rate = 0, .rng = 1};
    return o;
}

static void gplan(const char *path, const char *query, const char *body, seam_mock_plan *p)
{
    seam_mock_opts o = echo_on();
    const seam_mock_wire *w = seam_mock_wire_find(path, query);
    if (!w) fail_msg("no wire for %s", path);
    assert_string_equal(w->name, "gemini");
    assert_int_equal(w->plan(path, query, body, strlen(body), &o, p), 0);
}

#define GEN "/v1beta/models/gemini-2.0-flash:generateContent"

static void test_mock_wire_paths(void **unused)
{
    assert_true(seam_mock_gemini_match(GEN, NULL));
    assert_true(seam_mock_gemini_match("/v1/models/m:streamGenerateContent", "alt=sse"));
    assert_true(seam_mock_gemini_match("/v1beta/tunedModels/t-1:batchEmbedContents", NULL));
    assert_false(seam_mock_gemini_match("/v1beta/models/m:countTokens", NULL));
    assert_false(seam_mock_gemini_match("/v1beta/models/:generateContent", NULL));
    assert_false(seam_mock_gemini_match("/v1beta/models/a/b:generateContent", NULL));
    assert_false(seam_mock_gemini_match("/v1/chat/completions", NULL));
    const seam_mock_wire *w = seam_mock_wire_find("/v1/chat/completions", NULL);
    assert_non_null(w);
    assert_string_not_equal(w->name, "gemini");
}

static json_t *plan_json(const seam_mock_plan *p)
{
    return parse(p->body.data, p->body.len);
}

static const char *error_status(json_t *j)
{
    return json_string_value(json_object_get(json_object_get(j, "error"), "status"));
}

static void test_mock_wire_generate(void **unused)
{
    seam_mock_plan p;
    gplan(GEN, NULL,
          "{\"systemInstruction\":{\"parts\":[{\"text\":\"be nice\"}]},\"contents\":[{\"role\":"
          "\"user\",\"parts\":[{\"text\":\"Hello Gemini\"}]}],\"generationConfig\":"
          "{\"candidateCount\":2}}",
          &p);
    assert_int_equal(p.status, 200);
    assert_int_equal(p.fault, SEAM_MOCK_OK);
    assert_false(p.stream);
    json_t *j = plan_json(&p);
    const char *rid = json_string_value(json_object_get(j, "responseId"));
    assert_non_null(rid);
    assert_int_equal(strspn(rid, "0123456789abcdef"), 16);
    json_object_del(j, "responseId");
    /* 19 prompt characters -> 5 tokens; 12 answer characters -> 3 per candidate */
    expect_json(j,
                "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hello Gemini\"}],\"role\":"
                "\"model\"},\"finishReason\":\"STOP\",\"index\":0},{\"content\":{\"parts\":[{"
                "\"text\":\"Hello Gemini\"}],\"role\":\"model\"},\"finishReason\":\"STOP\","
                "\"index\":1}],\"usageMetadata\":{\"promptTokenCount\":5,\"candidatesTokenCount\":"
                "6,\"totalTokenCount\":11,\"promptTokensDetails\":[{\"modality\":\"TEXT\","
                "\"tokenCount\":5}]},\"modelVersion\":\"gemini-2.0-flash\"}",
                "mock answer");
    json_decref(j);
    seam_mock_plan_free(&p);

    /* the same request, the same bytes */
    static const char req[] = "{\"contents\":[{\"parts\":[{\"text\":\"same\"}]}]}";
    seam_mock_plan a, b;
    gplan(GEN, NULL, req, &a);
    gplan(GEN, NULL, req, &b);
    assert_int_equal(a.body.len, b.body.len);
    assert_memory_equal(a.body.data, b.body.data, a.body.len);
    seam_mock_plan_free(&a);
    seam_mock_plan_free(&b);
}

static void test_mock_wire_limits_and_errors(void **unused)
{
    seam_mock_plan p;
    gplan(GEN, NULL,
          "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Hello Gemini\"}]}],"
          "\"generationConfig\":{\"maxOutputTokens\":1}}",
          &p);
    json_t *j = plan_json(&p);
    json_t *c0 = json_array_get(json_object_get(j, "candidates"), 0);
    assert_string_equal(json_string_value(json_object_get(c0, "finishReason")), "MAX_TOKENS");
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(json_object_get(c0, "content"), "parts"), 0), "text")),
        "Hell");
    json_decref(j);
    seam_mock_plan_free(&p);

    /* echo off: the sentence that counts words */
    seam_mock_opts off = {.echo = 0};
    static const char two[] = "{\"contents\":[{\"parts\":[{\"text\":\"two words\"}]}]}";
    assert_int_equal(seam_mock_gemini_plan(GEN, NULL, two, strlen(two), &off, &p), 0);
    assert_non_null(strstr(p.body.data, "a message of 2 words."));
    seam_mock_plan_free(&p);

    static const struct {
        const char *body, *needle;
    } bad[] = {
        {"{nope", "Invalid JSON payload"},
        {"{\"contents\":[]}", "contents is not specified"},
        {"{\"contents\":[{\"parts\":[]}]}", "must not be empty"},
        {"{\"contents\":[{\"role\":\"assistant\",\"parts\":[{\"text\":\"x\"}]}]}", "valid role"},
        {"{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":{\"candidateCount\":"
         "9}}",
         "candidate_count"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gplan(GEN, NULL, bad[i].body, &p);
        assert_int_equal(p.status, 400);
        j = plan_json(&p);
        assert_string_equal(error_status(j), "INVALID_ARGUMENT");
        assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "error"), "code")),
                         400);
        assert_non_null(
            strstr(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
                   bad[i].needle));
        json_decref(j);
        seam_mock_plan_free(&p);
    }
}

static void test_mock_wire_stream(void **unused)
{
    static const char req[] = "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":"
                              "\"one two three four five six seven eight nine ten\"}]}]}";
    seam_mock_plan p;
    gplan("/v1beta/models/gemini-2.0-flash:streamGenerateContent", "alt=sse", req, &p);
    assert_true(p.stream);
    assert_null(p.stream_type);
    assert_int_equal(p.nevents, 4); /* three words an event */
    seam_buf text;
    seam_buf_init(&text, 4096);
    for (size_t i = 0; i < p.nevents; i++) {
        size_t len;
        const char *ev = seam_mock_event(&p, i, &len);
        assert_true(len > 10 && memcmp(ev, "data: ", 6) == 0);
        assert_memory_equal(ev + len - 4, "\r\n\r\n", 4);
        json_t *j = parse(ev + 6, len - 10);
        json_t *c0 = json_array_get(json_object_get(j, "candidates"), 0);
        json_t *t = json_object_get(
            json_array_get(json_object_get(json_object_get(c0, "content"), "parts"), 0), "text");
        seam_buf_append(&text, json_string_value(t), json_string_length(t));
        json_t *um = json_object_get(j, "usageMetadata");
        int last = i + 1 == p.nevents;
        assert_int_equal(json_object_get(c0, "finishReason") != NULL, last);
        assert_int_equal(json_object_get(um, "candidatesTokenCount") != NULL, last);
        assert_int_equal(json_integer_value(json_object_get(um, "promptTokenCount")), 12);
        json_decref(j);
    }
    assert_string_equal(text.data, "one two three four five six seven eight nine ten");
    seam_buf_free(&text);
    seam_mock_plan_free(&p);

    /* without alt=sse: one JSON array, sent in pieces */
    gplan("/v1beta/models/gemini-2.0-flash:streamGenerateContent", NULL, req, &p);
    assert_true(p.stream);
    assert_string_equal(p.stream_type, "application/json");
    assert_int_equal(p.nevents, 4);
    json_t *arr = plan_json(&p);
    assert_int_equal(json_array_size(arr), 4);
    json_decref(arr);
    seam_mock_plan_free(&p);
}

static json_t *first_part(json_t *answer)
{
    json_t *c0 = json_array_get(json_object_get(answer, "candidates"), 0);
    return json_array_get(json_object_get(json_object_get(c0, "content"), "parts"), 0);
}

static void test_mock_wire_function_call(void **unused)
{
    static const char tools[] =
        "\"tools\":[{\"functionDeclarations\":[{\"name\":\"get_weather\",\"parameters\":{\"type\":"
        "\"OBJECT\",\"properties\":{\"city\":{\"type\":\"STRING\"},\"days\":{\"type\":\"INTEGER\"},"
        "\"unit\":{\"type\":\"STRING\",\"enum\":[\"c\",\"f\"]},\"tags\":{\"type\":\"ARRAY\","
        "\"items\":{\"type\":\"STRING\"}}}}},{\"name\":\"get_time\",\"parametersJsonSchema\":{"
        "\"type\":\"object\",\"properties\":{\"tz\":{\"type\":\"string\"}}}}]}]";
    char req[2048];
    seam_mock_plan p;
    snprintf(req, sizeof req, "{\"contents\":[{\"parts\":[{\"text\":\"Paris\"}]}],%s}", tools);
    gplan(GEN, NULL, req, &p);
    json_t *j = plan_json(&p);
    expect_json(first_part(j),
                "{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Paris\","
                "\"days\":1,\"unit\":\"c\",\"tags\":[\"Paris\"]}}}",
                "functionCall");
    json_decref(j);
    seam_mock_plan_free(&p);

    /* ANY with a name: that function (its JSON Schema parameters); NONE: text */
    snprintf(
        req, sizeof req,
        "{\"contents\":[{\"parts\":[{\"text\":\"now\"}]}],%s,\"toolConfig\":{"
        "\"functionCallingConfig\":{\"mode\":\"ANY\",\"allowedFunctionNames\":[\"get_time\"]}}}",
        tools);
    gplan(GEN, NULL, req, &p);
    j = plan_json(&p);
    expect_json(first_part(j),
                "{\"functionCall\":{\"name\":\"get_time\",\"args\":{\"tz\":\"now\"}}}", "ANY");
    json_decref(j);
    seam_mock_plan_free(&p);
    snprintf(req, sizeof req,
             "{\"contents\":[{\"parts\":[{\"text\":\"now\"}]}],%s,\"toolConfig\":{"
             "\"functionCallingConfig\":{\"mode\":\"NONE\"}}}",
             tools);
    gplan(GEN, NULL, req, &p);
    j = plan_json(&p);
    assert_string_equal(json_string_value(json_object_get(first_part(j), "text")), "now");
    json_decref(j);
    seam_mock_plan_free(&p);

    /* after a function's result the answer is text, so an agent loop ends */
    snprintf(req, sizeof req,
             "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Paris\"}]},{\"role\":"
             "\"model\",\"parts\":[{\"functionCall\":{\"name\":\"get_weather\",\"args\":{}}}]},"
             "{\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"name\":\"get_weather\","
             "\"response\":{\"content\":\"sunny\"}}}]}],%s}",
             tools);
    gplan(GEN, NULL, req, &p);
    j = plan_json(&p);
    assert_string_equal(json_string_value(json_object_get(first_part(j), "text")), "Paris");
    json_decref(j);
    seam_mock_plan_free(&p);

    snprintf(req, sizeof req,
             "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],%s,\"toolConfig\":{"
             "\"functionCallingConfig\":{\"mode\":\"ANY\",\"allowedFunctionNames\":[\"nope\"]}}}",
             tools);
    gplan(GEN, NULL, req, &p);
    assert_int_equal(p.status, 400);
    seam_mock_plan_free(&p);
}

static void test_mock_wire_gemini3_signatures(void **unused)
{
    static const char g3[] = "/v1beta/models/gemini-3-pro-preview:generateContent";
    static const char tools[] =
        "\"tools\":[{\"functionDeclarations\":[{\"name\":\"f\",\"parameters\":{\"type\":\"OBJECT\","
        "\"properties\":{\"q\":{\"type\":\"STRING\"}}}}]}]";
    char req[1024];
    seam_mock_plan p;
    snprintf(req, sizeof req, "{\"contents\":[{\"parts\":[{\"text\":\"go\"}]}],%s}", tools);
    gplan(g3, NULL, req, &p);
    json_t *j = plan_json(&p);
    assert_true(json_is_string(json_object_get(first_part(j), "thoughtSignature")));
    json_decref(j);
    seam_mock_plan_free(&p);
    static const char *const sig[] = {"", ",\"thoughtSignature\":\"abcd\""};
    for (int with = 0; with < 2; with++) {
        snprintf(req, sizeof req,
                 "{\"contents\":[{\"parts\":[{\"text\":\"go\"}]},{\"role\":\"model\",\"parts\":[{"
                 "\"functionCall\":{\"name\":\"f\",\"args\":{}}%s}]},{\"parts\":[{"
                 "\"functionResponse\":{\"name\":\"f\",\"response\":{}}}]}],%s}",
                 sig[with], tools);
        gplan(g3, NULL, req, &p);
        assert_int_equal(p.status, with ? 200 : 400);
        seam_mock_plan_free(&p);
    }
}

static void test_mock_wire_faults(void **unused)
{
    static const struct {
        const char *tag, *status;
        int code;
    } st[] = {
        {"429", "RESOURCE_EXHAUSTED", 429}, {"500", "INTERNAL", 500}, {"503", "UNAVAILABLE", 503}};
    char req[256];
    seam_mock_plan p;
    for (size_t i = 0; i < 3; i++) {
        snprintf(req, sizeof req, "{\"contents\":[{\"parts\":[{\"text\":\"x [[mock:%s]]\"}]}]}",
                 st[i].tag);
        gplan(GEN, NULL, req, &p);
        assert_int_equal(p.status, st[i].code);
        assert_int_equal(p.fault, SEAM_MOCK_STATUS);
        if (st[i].code == 429)
            assert_string_equal(p.retry_after, "1");
        else
            assert_null(p.retry_after);
        json_t *j = plan_json(&p);
        assert_string_equal(error_status(j), st[i].status);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "error"), "code")),
                         st[i].code);
        if (st[i].code == 429) assert_non_null(strstr(p.body.data, "google.rpc.RetryInfo"));
        json_decref(j);
        seam_mock_plan_free(&p);
    }
    gplan(GEN, NULL, "{\"contents\":[{\"parts\":[{\"text\":\"[[mock:reset]]\"}]}]}", &p);
    assert_int_equal(p.fault, SEAM_MOCK_RESET);
    seam_mock_plan_free(&p);
    gplan(GEN, NULL, "{\"contents\":[{\"parts\":[{\"text\":\"[[mock:stall]]\"}]}]}", &p);
    assert_int_equal(p.fault, SEAM_MOCK_STALL);
    seam_mock_plan_free(&p);
    gplan("/v1beta/models/m:streamGenerateContent", "alt=sse",
          "{\"contents\":[{\"parts\":[{\"text\":\"a b c d e f g h i j [[mock:stall]]\"}]}]}", &p);
    assert_int_equal(p.fault, SEAM_MOCK_STALL);
    assert_int_equal(p.stall_after, SEAM_MOCK_STALL_AFTER);
    assert_true(p.nevents > p.stall_after);
    seam_mock_plan_free(&p);
    gplan(GEN, NULL, "{\"contents\":[{\"parts\":[{\"text\":\"[[mock:slow]] hi\"}]}]}", &p);
    assert_int_equal(p.fault, SEAM_MOCK_SLOW);
    assert_int_equal(p.status, 200);
    assert_non_null(strstr(p.body.data, "\"candidates\""));
    seam_mock_plan_free(&p);
    /* fail_rate 1: every request gets a fault; directives apply to embeddings too */
    seam_mock_opts all = {.fail_rate = 1, .rng = 7};
    static const char hi[] = "{\"contents\":[{\"parts\":[{\"text\":\"hi\"}]}]}";
    assert_int_equal(seam_mock_gemini_plan(GEN, NULL, hi, strlen(hi), &all, &p), 0);
    assert_int_not_equal(p.fault, SEAM_MOCK_OK);
    seam_mock_plan_free(&p);
    gplan("/v1beta/models/e:batchEmbedContents", NULL,
          "{\"requests\":[{\"model\":\"models/e\",\"content\":{\"parts\":[{\"text\":"
          "\"[[mock:503]]\"}]}}]}",
          &p);
    assert_int_equal(p.status, 503);
    seam_mock_plan_free(&p);
}

static void test_mock_wire_embeddings(void **unused)
{
    seam_mock_plan p, o;
    gplan("/v1beta/models/text-embedding-004:batchEmbedContents", NULL,
          "{\"requests\":[{\"model\":\"models/text-embedding-004\",\"content\":{\"parts\":[{"
          "\"text\":\"alpha\"}]},\"outputDimensionality\":4},{\"model\":\"models/"
          "text-embedding-004\",\"content\":{\"parts\":[{\"text\":\"beta\"}]},"
          "\"outputDimensionality\":4}]}",
          &p);
    assert_int_equal(p.status, 200);
    /* the same vectors the OpenAI mock gives the same texts */
    static const char oreq[] = "{\"input\":[\"alpha\",\"beta\"],\"dimensions\":4}";
    assert_int_equal(seam_mock_plan_embeddings(oreq, strlen(oreq), NULL, &o), 0);
    json_t *g = plan_json(&p), *oj = plan_json(&o);
    for (size_t i = 0; i < 2; i++) {
        json_t *gv = json_object_get(json_array_get(json_object_get(g, "embeddings"), i), "values");
        json_t *ov = json_object_get(json_array_get(json_object_get(oj, "data"), i), "embedding");
        assert_int_equal(json_array_size(gv), 4);
        same(ov, gv, "embedding");
    }
    json_decref(g);
    json_decref(oj);
    seam_mock_plan_free(&p);
    seam_mock_plan_free(&o);
    /* each request must name the batch's model */
    gplan("/v1beta/models/a:batchEmbedContents", NULL,
          "{\"requests\":[{\"model\":\"models/b\",\"content\":{\"parts\":[{\"text\":\"x\"}]}}]}",
          &p);
    assert_int_equal(p.status, 400);
    assert_non_null(strstr(p.body.data, "must match"));
    seam_mock_plan_free(&p);
    gplan("/v1beta/models/a:batchEmbedContents", NULL, "{\"requests\":[]}", &p);
    assert_int_equal(p.status, 400);
    seam_mock_plan_free(&p);
}

/* ---- end to end on one loop: provider -> HTTP client -> server -> mock wire ---- */

typedef struct e2e {
    struct event_base *base;
    seam_http_server *srv;
    seam_http_client *http;
    seam_call_cache *cache;
    seam_provider_conf conf;
    seam_provider *p;
    char url[64];
    char seen_key[64], seen_path[256], seen_accept[64];
    int requests;
} e2e;

static e2e E;

static void up_handler(seam_http_req *r, void *ud)
{
    const char *k = seam_http_header_get(r, "x-goog-api-key");
    const char *acc = seam_http_header_get(r, "accept");
    snprintf(E.seen_key, sizeof E.seen_key, "%s", k ? k : "");
    snprintf(E.seen_accept, sizeof E.seen_accept, "%s", acc ? acc : "");
    snprintf(E.seen_path, sizeof E.seen_path, "%s%s%s", r->path, r->query ? "?" : "",
             r->query ? r->query : "");
    E.requests++;
    const seam_mock_wire *w = seam_mock_wire_find(r->path, r->query);
    seam_mock_plan plan;
    seam_mock_opts o = echo_on();
    if (!w || w->plan(r->path, r->query, r->body, r->body_len, &o, &plan)) {
        seam_http_respond(r, 404, "text/plain", "", "no", 2);
        return;
    }
    const char *extra = plan.retry_after ? "Retry-After: 1\r\n" : "";
    if (plan.stream) {
        seam_http_stream_start(r, plan.status,
                               plan.stream_type ? plan.stream_type : "text/event-stream", extra);
        for (size_t i = 0; i < plan.nevents; i++) {
            size_t len;
            const char *ev = seam_mock_event(&plan, i, &len);
            seam_http_stream_write(r, ev, len);
        }
        seam_http_stream_end(r);
    } else {
        seam_http_respond(r, plan.status, "application/json", extra, plan.body.data, plan.body.len);
    }
    seam_mock_plan_free(&plan);
}

static int e2e_setup(void **state)
{
    memset(&E, 0, sizeof E);
    E.base = event_base_new();
    E.http = seam_http_client_new(E.base);
    E.cache = seam_call_cache_new();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) ||
        getsockname(fd, (struct sockaddr *)&a, &len))
        return -1;
    close(fd);
    int port = ntohs(a.sin_port);
    seam_http_server_opts o = {.host = "127.0.0.1", .port = port, .handler = up_handler};
    char err[256] = "";
    E.srv = seam_http_server_new(E.base, &o, err, sizeof err);
    if (!E.srv) return -1;
    snprintf(E.url, sizeof E.url, "http://127.0.0.1:%d", port);
    E.conf =
        (seam_provider_conf){.name = "g", .type = "gemini", .base_url = E.url, .api_key = "sekrit"};
    E.p = make_provider(&E.conf);
    return E.http ? 0 : -1;
}

static int e2e_teardown(void **state)
{
    seam_provider_gemini.destroy(E.p);
    seam_http_client_free(E.http);
    seam_call_cache_free(E.cache);
    seam_http_server_free(E.srv);
    event_base_free(E.base);
    return 0;
}

typedef struct got {
    int heads, dones, status, err;
    char retry[16];
    seam_buf body;
} got;

static void g_head(void *ud, int status, const char *retry_after)
{
    got *g = ud;
    g->heads++;
    g->status = status;
    snprintf(g->retry, sizeof g->retry, "%s", retry_after ? retry_after : "");
}

static void g_data(void *ud, const char *p, size_t n)
{
    got *g = ud;
    assert_int_equal(g->heads, 1);
    seam_buf_append(&g->body, p, n);
}

static void g_done(void *ud, int err)
{
    got *g = ud;
    g->dones++;
    g->err = err;
    event_base_loopbreak(E.base);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    event_base_loopbreak(E.base);
}

/* One call through the real client; the answer's bytes in g->body. */
static void call(const char *model, seam_op op, const char *body, got *g)
{
    memset(g, 0, sizeof *g);
    seam_buf_init(&g->body, 1 << 24);
    json_t *j = parse(body, strlen(body));
    char refuse[256] = "";
    seam_call_req req = {.op = op,
                         .model = model,
                         .body = body,
                         .body_len = strlen(body),
                         .stream = json_is_true(json_object_get(j, "stream")),
                         .connect_timeout_ms = 1000,
                         .refuse = refuse,
                         .refuse_len = sizeof refuse};
    json_decref(j);
    static const seam_call_cbs cbs = {g_head, g_data, g_done, NULL};
    seam_io io = {E.base, E.http, E.cache};
    seam_call *c = seam_provider_gemini.start(E.p, &io, &req, &cbs, g);
    if (!c) fail_msg("start failed: %s", refuse);
    struct event *t = evtimer_new(E.base, on_deadline, NULL);
    struct timeval tv = {5, 0};
    evtimer_add(t, &tv);
    event_base_dispatch(E.base);
    event_free(t);
    if (!g->dones) fail_msg("no answer within 5 s");
    assert_int_equal(g->dones, 1);
}

static void test_e2e_chat(void **unused)
{
    got g;
    call("gemini-2.0-flash", SEAM_OP_CHAT,
         "{\"model\":\"gemini-2.0-flash\",\"messages\":[{\"role\":\"system\",\"content\":\"s\"},"
         "{\"role\":\"user\",\"content\":\"Hello through seam\"}]}",
         &g);
    assert_int_equal(g.err, SEAM_CALL_OK);
    assert_int_equal(g.status, 200);
    assert_string_equal(E.seen_key, "sekrit");
    assert_string_equal(E.seen_accept, "application/json");
    assert_string_equal(E.seen_path, "/v1beta/models/gemini-2.0-flash:generateContent");
    json_t *j = parse(g.body.data, g.body.len);
    json_t *m = json_object_get(json_array_get(json_object_get(j, "choices"), 0), "message");
    assert_string_equal(json_string_value(json_object_get(m, "content")), "Hello through seam");
    json_t *u = json_object_get(j, "usage");
    assert_int_equal(json_integer_value(json_object_get(u, "prompt_tokens")), 5);
    assert_int_equal(json_integer_value(json_object_get(u, "completion_tokens")), 5);
    assert_int_equal(json_integer_value(json_object_get(u, "total_tokens")), 10);
    json_decref(j);
    seam_buf_free(&g.body);
}

static void test_e2e_stream(void **unused)
{
    got g;
    call("gemini-2.0-flash", SEAM_OP_CHAT,
         "{\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":"
         "\"user\",\"content\":\"a stream of several words goes by here \\u00e9\"}]}",
         &g);
    assert_int_equal(g.err, SEAM_CALL_OK);
    assert_string_equal(E.seen_path,
                        "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse");
    assert_string_equal(E.seen_accept, "text/event-stream");
    assembled a;
    assemble(g.body.data, g.body.len, &a);
    assert_true(a.done);
    json_t *c0 = json_array_get(json_object_get(a.result, "choices"), 0);
    assert_string_equal(json_string_value(json_object_get(c0, "content")),
                        "a stream of several words goes by here \xc3\xa9");
    assert_string_equal(json_string_value(json_object_get(c0, "finish_reason")), "stop");
    assert_true(json_integer_value(
                    json_object_get(json_object_get(a.result, "usage"), "completion_tokens")) > 0);
    assert_true(strstr(g.body.data, "\"content\":") <
                strstr(g.body.data, "finish_reason\":\"stop"));
    assembled_free(&a);
    seam_buf_free(&g.body);
}

static void test_e2e_tools_and_signatures(void **unused)
{
    static const char tools[] =
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":"
        "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":"
        "[\"city\"],\"additionalProperties\":false},\"strict\":true}}]";
    char body[2048];
    snprintf(body, sizeof body, "{\"messages\":[{\"role\":\"user\",\"content\":\"Paris\"}],%s}",
             tools);
    got g;
    call("gemini-3-pro-preview", SEAM_OP_CHAT, body, &g);
    assert_int_equal(g.status, 200);
    json_t *j = parse(g.body.data, g.body.len);
    json_t *ch = json_array_get(json_object_get(j, "choices"), 0);
    assert_string_equal(json_string_value(json_object_get(ch, "finish_reason")), "tool_calls");
    json_t *msg = json_object_get(ch, "message");
    json_t *tc = json_array_get(json_object_get(msg, "tool_calls"), 0);
    assert_string_equal(json_string_value(json_object_get(tc, "id")), "call_0_get_weather");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(tc, "function"), "arguments")),
        "{\"city\":\"Paris\"}");
    assert_non_null(json_object_get(json_object_get(json_object_get(tc, "extra_content"), "google"),
                                    "thought_signature"));
    /* the agent loop's next turn, with the message as the client got it, and again
     * with the signature lost: the mock (like Gemini 3) demands one on replay */
    for (int keep = 1; keep >= 0; keep--) {
        json_t *m = json_deep_copy(msg);
        if (!keep)
            json_object_del(json_array_get(json_object_get(m, "tool_calls"), 0), "extra_content");
        char *ms = json_dumps(m, JSON_COMPACT);
        snprintf(body, sizeof body,
                 "{\"messages\":[{\"role\":\"user\",\"content\":\"Paris\"},%s,{\"role\":\"tool\","
                 "\"tool_call_id\":\"call_0_get_weather\",\"content\":\"{\\\"temp\\\":21}\"}],%s}",
                 ms, tools);
        free(ms);
        json_decref(m);
        got g2;
        call("gemini-3-pro-preview", SEAM_OP_CHAT, body, &g2);
        if (g2.status != 200) fail_msg("replay %d: %d %s", keep, g2.status, g2.body.data);
        json_t *j2 = parse(g2.body.data, g2.body.len);
        json_t *c2 = json_array_get(json_object_get(j2, "choices"), 0);
        assert_string_equal(json_string_value(json_object_get(c2, "finish_reason")), "stop");
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(c2, "message"), "content")), "Paris");
        json_decref(j2);
        seam_buf_free(&g2.body);
    }
    json_decref(j);
    seam_buf_free(&g.body);
}

static void test_e2e_embeddings(void **unused)
{
    got g;
    call("text-embedding-004", SEAM_OP_EMBEDDINGS,
         "{\"model\":\"text-embedding-004\",\"input\":[\"alpha\",\"beta\"],\"dimensions\":6}", &g);
    assert_int_equal(g.status, 200);
    assert_string_equal(E.seen_path, "/v1beta/models/text-embedding-004:batchEmbedContents");
    json_t *j = parse(g.body.data, g.body.len);
    seam_mock_plan o;
    static const char oreq[] = "{\"model\":\"text-embedding-004\",\"input\":[\"alpha\",\"beta\"],"
                               "\"dimensions\":6}";
    assert_int_equal(seam_mock_plan_embeddings(oreq, strlen(oreq), NULL, &o), 0);
    json_t *oj = plan_json(&o);
    same(json_object_get(oj, "data"), json_object_get(j, "data"), "data");
    assert_string_equal(json_string_value(json_object_get(j, "model")), "text-embedding-004");
    json_decref(oj);
    seam_mock_plan_free(&o);
    json_decref(j);
    seam_buf_free(&g.body);
}

static void test_e2e_errors_and_refusal(void **unused)
{
    got g;
    call("gemini-2.0-flash", SEAM_OP_CHAT,
         "{\"messages\":[{\"role\":\"user\",\"content\":\"[[mock:429]]\"}]}", &g);
    assert_int_equal(g.err, SEAM_CALL_OK);
    assert_int_equal(g.status, 429);
    assert_string_equal(g.retry, "1");
    json_t *j = parse(g.body.data, g.body.len);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "type")),
                        "resource_exhausted");
    json_decref(j);
    seam_buf_free(&g.body);
    call("gemini-2.0-flash", SEAM_OP_CHAT,
         "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"[[mock:503]]\"}]}", &g);
    assert_int_equal(g.status, 503);
    assert_non_null(strstr(g.body.data, "\"type\":\"unavailable\""));
    seam_buf_free(&g.body);

    /* a refusal: no call, no callback, the reason for the client */
    int before = E.requests;
    char refuse[256] = "";
    static const char body[] = "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                               "\"logit_bias\":{\"1\":5}}";
    seam_call_req req = {.op = SEAM_OP_CHAT,
                         .model = "gemini-2.0-flash",
                         .body = body,
                         .body_len = strlen(body),
                         .refuse = refuse,
                         .refuse_len = sizeof refuse};
    static const seam_call_cbs cbs = {g_head, g_data, g_done, NULL};
    seam_io io = {E.base, E.http, E.cache};
    memset(&g, 0, sizeof g);
    assert_null(seam_provider_gemini.start(E.p, &io, &req, &cbs, &g));
    assert_non_null(strstr(refuse, "cannot take logit_bias"));
    event_base_loop(E.base, EVLOOP_NONBLOCK);
    assert_int_equal(g.heads + g.dones, 0);
    assert_int_equal(E.requests, before);
}

/* Calls one after another on a worker's cache: each reuses the one call
 * the last left behind, and no state of one shows in the next. */
static void test_e2e_cached_calls(void **unused)
{
    for (int i = 0; i < 3; i++) {
        test_e2e_stream(unused);
        test_e2e_chat(unused);
        assert_int_equal(seam_call_cache_idle(E.cache), 1);
    }
    test_e2e_errors_and_refusal(unused); /* a refused build goes back too */
    test_e2e_tools_and_signatures(unused);
    test_e2e_chat(unused);
    assert_int_equal(seam_call_cache_idle(E.cache), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_fixtures),
        cmocka_unit_test(test_headers_and_urls),
        cmocka_unit_test(test_tool_choice_modes),
        cmocka_unit_test(test_request_details),
        cmocka_unit_test(test_request_escapes_and_numbers),
        cmocka_unit_test(test_schema_folds),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_response_fixtures),
        cmocka_unit_test(test_embeddings_answers),
        cmocka_unit_test(test_error_fixtures),
        cmocka_unit_test(test_stream_fixtures),
        cmocka_unit_test(test_stream_cut_short),
        cmocka_unit_test(test_stream_error_and_block),
        cmocka_unit_test(test_answer_escapes),
        cmocka_unit_test(test_mock_wire_paths),
        cmocka_unit_test(test_mock_wire_generate),
        cmocka_unit_test(test_mock_wire_limits_and_errors),
        cmocka_unit_test(test_mock_wire_stream),
        cmocka_unit_test(test_mock_wire_function_call),
        cmocka_unit_test(test_mock_wire_gemini3_signatures),
        cmocka_unit_test(test_mock_wire_faults),
        cmocka_unit_test(test_mock_wire_embeddings),
        cmocka_unit_test_setup_teardown(test_e2e_chat, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown(test_e2e_stream, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown(test_e2e_tools_and_signatures, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown(test_e2e_embeddings, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown(test_e2e_errors_and_refusal, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown(test_e2e_cached_calls, e2e_setup, e2e_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
