/* mock_gemini.c — the mock vendor speaking Google's Gemini API (no I/O).
 *
 * Written from Google's API reference (models.generateContent,
 * models.streamGenerateContent, models.batchEmbedContents), not from
 * providers/gemini.c, so the adapter is tested against something that talks
 * like Gemini:
 *   POST {/v1beta|/v1|/v1alpha}/{models|tunedModels}/NAME:generateContent
 *   ...:streamGenerateContent?alt=sse   SSE, "data: {GenerateContentResponse}\r\n\r\n"
 *   ...:streamGenerateContent           a JSON array of responses, sent in pieces
 *   ...:batchEmbedContents              {"embeddings":[{"values":[...]}]}
 *
 * It answers as the OpenAI mock does (mock_reply.h): the last user text when
 * echo is on, else a sentence counting its words; maxOutputTokens cuts the
 * text at 4 characters a token (finishReason MAX_TOKENS); offered
 * functionDeclarations give one functionCall (the first declaration, or the
 * first of allowedFunctionNames under mode ANY; none under mode NONE, nor
 * after a functionResponse unless mode is ANY) whose args follow the
 * declaration's parameters; candidateCount gives that many candidates;
 * usageMetadata counts ceil(characters / 4).  Streams carry the text a few
 * words per event, the last event with finishReason and the full usage.
 * Gemini 3 models ("gemini-3...") sign their first function call with a
 * thoughtSignature and, like the real API, refuse (400) a history whose
 * model turn calls a function without one.  Embeddings are the same
 * deterministic unit vectors the OpenAI mock gives for the same text.
 *
 * The [[mock:...]] fault directives and fail_rate work as in mock_reply.h,
 * with Google's error bodies: {"error":{"code":429,"message":...,"status":
 * "RESOURCE_EXHAUSTED","details":[RetryInfo]}}, 500 INTERNAL, 503
 * UNAVAILABLE.  Bad requests get 400 INVALID_ARGUMENT.
 *
 * The hashing and sampling helpers repeat a few lines of mock_reply.c on
 * purpose: each wire reads on its own, and they change for its vendor. */
#include "providers/mock_wire.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EMBED_DEFAULT_DIMS 8
#define MAX_BATCH          100 /* batchEmbedContents' limit */
#define WORDS_PER_EVENT    3
#define MAX_TEXT_EVENTS    256
#define SCHEMA_DEPTH       6

/* ---- hashing, randomness, counting ---- */

#define FNV_INIT 0xcbf29ce484222325ULL

static uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ULL;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

static size_t utf8_chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80) c++;
    return c;
}

static size_t utf8_prefix(const char *s, size_t n, size_t chars)
{
    size_t i = 0;
    while (i < n && chars) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
            i++;
        chars--;
    }
    return i;
}

static size_t tokens_for(size_t chars)
{
    size_t t = (chars + 3) / 4;
    return t ? t : 1;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static size_t count_words(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (!is_space(s[i]) && (i == 0 || is_space(s[i - 1]))) w++;
    return w;
}

static double root2(double x)
{
    if (x <= 0) return 0;
    double r = x > 1 ? x : 1;
    for (int i = 0; i < 64; i++) {
        double next = 0.5 * (r + x / r);
        if (next >= r) break;
        r = next;
    }
    return r;
}

/* ---- writing ---- */

typedef struct out {
    seam_buf *b;
    int err;
} out;

static void put(out *o, const char *s, size_t n)
{
    if (!o->err) o->err = seam_buf_append(o->b, s, n);
}

static void put_s(out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_u(out *o, unsigned long long v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%llu", v);
    put(o, tmp, (size_t)n);
}

static void put_str(out *o, const char *s, size_t n)
{
    put(o, "\"", 1);
    if (!o->err) o->err = seam_buf_append_json_str(o->b, s, n);
    put(o, "\"", 1);
}

static void plan_init(seam_mock_plan *p)
{
    memset(p, 0, sizeof *p);
    p->status = 200;
    p->fault = SEAM_MOCK_OK;
    seam_buf_init(&p->body, SEAM_MOCK_MAX_REPLY);
}

/* Records that an event ends at the body's current length. */
static void event_end(seam_mock_plan *p, out *o, size_t *cap)
{
    if (o->err) return;
    if (p->nevents == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        size_t *e = realloc(p->event_ends, ncap * sizeof *e);
        if (!e) {
            o->err = SEAM_BUF_NOMEM;
            return;
        }
        p->event_ends = e;
        *cap = ncap;
    }
    p->event_ends[p->nevents++] = p->body.len;
}

/* Google's error body.  Returns 0 or SEAM_BUF_NOMEM (p then empty). */
static int g_error(seam_mock_plan *p, int code, const char *status, const char *message)
{
    seam_mock_plan_free(p);
    plan_init(p);
    p->status = code;
    out o = {&p->body, 0};
    put_s(&o, "{\"error\":{\"code\":");
    put_u(&o, (unsigned)code);
    put_s(&o, ",\"message\":");
    put_str(&o, message, strlen(message));
    put_s(&o, ",\"status\":\"");
    put_s(&o, status);
    put_s(&o, "\"");
    if (code == 429)
        put_s(&o, ",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\","
                  "\"retryDelay\":\"1s\"}]");
    put_s(&o, "}}");
    if (o.err) {
        seam_mock_plan_free(p);
        return SEAM_BUF_NOMEM;
    }
    return 0;
}

static int bad_request(seam_mock_plan *p, const char *message)
{
    return g_error(p, 400, "INVALID_ARGUMENT", message);
}

/* Readers return 1 for "p now holds a 400". */
static int reject(seam_mock_plan *p, const char *message)
{
    int rc = bad_request(p, message);
    return rc ? rc : 1;
}

static int finish(seam_mock_plan *p, int rc)
{
    if (rc == 0) return 0;
    if (rc == SEAM_BUF_TOOBIG) return bad_request(p, "The mock's reply would exceed its cap.");
    seam_mock_plan_free(p);
    return SEAM_BUF_NOMEM;
}

/* ---- faults ---- */

static int fault_directive(const char *s, size_t n)
{
    static const char *const tags[] = {"[[mock:429]]",   "[[mock:500]]",   "[[mock:503]]",
                                       "[[mock:reset]]", "[[mock:stall]]", "[[mock:slow]]"};
    if (!s || !n || !memmem(s, n, "[[mock:", 7)) return -1;
    for (int i = 0; i < 6; i++)
        if (memmem(s, n, tags[i], strlen(tags[i]))) return i;
    return -1;
}

static int fault_roll(seam_mock_opts *o)
{
    if (!o || !(o->fail_rate > 0)) return -1;
    double u = (double)(xorshift(&o->rng) >> 11) * (1.0 / 9007199254740992.0);
    if (u >= o->fail_rate) return -1;
    return (int)(xorshift(&o->rng) % 5);
}

/* 1 when the plan is complete (status or reset), 0 to build the reply, <0 on error. */
static int apply_fault(seam_mock_plan *p, int f)
{
    static const struct {
        int code;
        const char *status, *message;
    } errs[] = {
        {429, "RESOURCE_EXHAUSTED",
         "Resource has been exhausted (e.g. check quota). (injected by seam mock)"},
        {500, "INTERNAL",
         "An internal error has occurred. Please retry or report in "
         "https://developers.generativeai.google/guide/troubleshooting (injected by seam mock)"},
        {503, "UNAVAILABLE", "The model is overloaded. Please try again later. (injected by seam mock)"},
    };
    if (f < 0) return 0;
    if (f <= 2) {
        int rc = g_error(p, errs[f].code, errs[f].status, errs[f].message);
        if (rc) return rc;
        p->fault = SEAM_MOCK_STATUS;
        p->retry_after = errs[f].code == 429 ? "1" : NULL;
        return 1;
    }
    if (f == 3) {
        p->fault = SEAM_MOCK_RESET;
        p->status = 0;
        return 1;
    }
    p->fault = f == 4 ? SEAM_MOCK_STALL : SEAM_MOCK_SLOW;
    return 0;
}

/* ---- paths ---- */

enum method { M_NONE, M_GENERATE, M_STREAM, M_EMBED };

typedef struct route {
    enum method method;
    const char *model; /* NAME, up to model_len */
    size_t model_len;
    const char *resource; /* "models/NAME" or "tunedModels/NAME" */
    size_t resource_len;
} route;

static int parse_path(const char *path, route *r)
{
    static const char *const versions[] = {"/v1beta/", "/v1/", "/v1alpha/"};
    static const struct {
        const char *name;
        enum method m;
    } methods[] = {{"generateContent", M_GENERATE},
                   {"streamGenerateContent", M_STREAM},
                   {"batchEmbedContents", M_EMBED}};
    memset(r, 0, sizeof *r);
    const char *p = NULL;
    for (size_t i = 0; i < 3 && !p; i++)
        if (strncmp(path, versions[i], strlen(versions[i])) == 0) p = path + strlen(versions[i]);
    if (!p) return 0;
    r->resource = p;
    if (strncmp(p, "models/", 7) == 0)
        p += 7;
    else if (strncmp(p, "tunedModels/", 12) == 0)
        p += 12;
    else
        return 0;
    const char *colon = strchr(p, ':');
    if (!colon || colon == p || memchr(p, '/', (size_t)(colon - p))) return 0;
    r->model = p;
    r->model_len = (size_t)(colon - p);
    r->resource_len = (size_t)(colon - r->resource);
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(colon + 1, methods[i].name) == 0) r->method = methods[i].m;
    return r->method != M_NONE;
}

/* Is name=value among the query's parameters? */
static int query_has(const char *query, const char *pair)
{
    size_t n = strlen(pair);
    for (const char *q = query; q && *q;) {
        size_t len = strcspn(q, "&");
        if (len == n && memcmp(q, pair, n) == 0) return 1;
        q += len;
        if (*q) q++;
    }
    return 0;
}

int seam_mock_gemini_match(const char *path, const char *query)
{
    route r;
    return parse_path(path, &r);
}

/* ---- generateContent ---- */

static int str_eq(json_t *v, const char *s)
{
    return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

/* Gemini's Type enum is upper case; JSON Schema (parametersJsonSchema) is not. */
static int type_is(json_t *t, const char *want)
{
    return json_is_string(t) && strcasecmp(json_string_value(t), want) == 0;
}

typedef struct gen {
    json_t *root;
    route r;
    int sse;        /* alt=sse */
    int stream;     /* streamGenerateContent */
    int candidates; /* candidateCount */
    size_t max_tokens;
    seam_buf user; /* the last user turn's text */
    int has_user;
    int last_is_response; /* the last turn answers a function call */
    size_t prompt_chars;
    json_t *fn;       /* the functionDeclaration to call, or NULL */
    int signs;        /* a Gemini 3 model: thought signatures */
    uint64_t hash;
} gen;

static void count_parts(json_t *parts, size_t *chars)
{
    size_t i;
    json_t *part;
    json_array_foreach(parts, i, part)
    {
        json_t *t = json_object_get(part, "text");
        if (json_is_string(t)) *chars += utf8_chars(json_string_value(t), json_string_length(t));
    }
}

/* Returns 0, 1 when p now holds a 400, or a negative error. */
static int gen_read(gen *g, seam_mock_plan *p)
{
    json_t *contents = json_object_get(g->root, "contents");
    if (!json_is_array(contents) || !json_array_size(contents))
        return reject(p, "* GenerateContentRequest.contents: contents is not specified\n");
    size_t i, last_user = json_array_size(contents);
    json_t *c;
    json_array_foreach(contents, i, c)
    {
        json_t *role = json_object_get(c, "role");
        json_t *parts = json_object_get(c, "parts");
        if (!json_is_object(c) || !json_is_array(parts) || !json_array_size(parts))
            return reject(p, "* GenerateContentRequest.contents.parts: contents.parts must not "
                             "be empty.\n");
        if (role && !str_eq(role, "user") && !str_eq(role, "model"))
            return reject(p, "Please use a valid role: user, model.");
        count_parts(parts, &g->prompt_chars);
        int user = !role || str_eq(role, "user");
        int has_text = 0, has_response = 0, first_call = 1;
        size_t j;
        json_t *part;
        json_array_foreach(parts, j, part)
        {
            has_text |= json_is_string(json_object_get(part, "text"));
            has_response |= json_is_object(json_object_get(part, "functionResponse"));
            if (json_is_object(json_object_get(part, "functionCall"))) {
                if (g->signs && first_call && !json_object_get(part, "thoughtSignature"))
                    return reject(p, "Function call is missing a thought_signature in "
                                     "functionCall parts. This is required for tools to work "
                                     "correctly, and missing thought_signature may lead to "
                                     "degraded model performance.");
                first_call = 0;
            }
        }
        if (user && has_text) last_user = i;
        g->last_is_response = user && has_response;
    }
    count_parts(json_object_get(json_object_get(g->root, "systemInstruction"), "parts"),
                &g->prompt_chars);
    if (last_user < json_array_size(contents)) {
        g->has_user = 1;
        json_t *part;
        json_array_foreach(json_object_get(json_array_get(contents, last_user), "parts"), i, part)
        {
            json_t *t = json_object_get(part, "text");
            if (json_is_string(t) && seam_buf_append(&g->user, json_string_value(t),
                                                     json_string_length(t)))
                return SEAM_BUF_NOMEM;
        }
    }

    json_t *gc = json_object_get(g->root, "generationConfig");
    json_t *cc = json_object_get(gc, "candidateCount");
    g->candidates = 1;
    if (cc) {
        if (!json_is_integer(cc) || json_integer_value(cc) < 1 ||
            json_integer_value(cc) > SEAM_MOCK_MAX_N)
            return reject(p, "* GenerateContentRequest.generation_config.candidate_count: must "
                             "be between 1 and 8\n");
        g->candidates = (int)json_integer_value(cc);
    }
    json_t *mt = json_object_get(gc, "maxOutputTokens");
    if (json_is_integer(mt) && json_integer_value(mt) > 0)
        g->max_tokens = (size_t)json_integer_value(mt);

    json_t *fcc = json_object_get(json_object_get(g->root, "toolConfig"), "functionCallingConfig");
    json_t *mode = json_object_get(fcc, "mode");
    if (str_eq(mode, "NONE")) return 0;
    int any = str_eq(mode, "ANY");
    json_t *allowed = json_object_get(fcc, "allowedFunctionNames");
    if (g->last_is_response && !any) return 0;
    json_t *tool;
    json_array_foreach(json_object_get(g->root, "tools"), i, tool)
    {
        size_t j;
        json_t *d;
        json_array_foreach(json_object_get(tool, "functionDeclarations"), j, d)
        {
            json_t *name = json_object_get(d, "name");
            if (!json_is_string(name)) continue;
            int ok = !any || !json_array_size(allowed);
            size_t k;
            json_t *a;
            json_array_foreach(allowed, k, a)
            {
                ok |= json_equal(a, name);
            }
            if (ok) {
                g->fn = d;
                return 0;
            }
        }
    }
    if (any && json_array_size(allowed))
        return reject(p, "* GenerateContentRequest.tool_config.function_calling_config."
                         "allowed_function_names: function not found in tools.\n");
    return 0;
}

/* A value fitting Gemini Schema (or JSON Schema) s; NULL when out of memory. */
static json_t *sample_value(json_t *s, const gen *g, int depth)
{
    json_t *en = json_object_get(s, "enum");
    if (json_is_array(en) && json_array_size(en)) return json_deep_copy(json_array_get(en, 0));
    json_t *type = json_object_get(s, "type");
    if (json_is_array(type)) type = json_array_get(type, 0);
    json_t *any = json_object_get(s, "anyOf");
    if (!type && json_array_size(any)) return sample_value(json_array_get(any, 0), g, depth + 1);
    json_t *props = json_object_get(s, "properties");
    if (depth < SCHEMA_DEPTH && (type_is(type, "object") || (!type && json_is_object(props)))) {
        json_t *obj = json_object();
        const char *key;
        json_t *sub;
        if (!obj) return NULL;
        json_object_foreach(props, key, sub)
        {
            json_t *v = sample_value(sub, g, depth + 1);
            if (!v || json_object_set_new(obj, key, v)) {
                json_decref(obj);
                return NULL;
            }
        }
        return obj;
    }
    if (type_is(type, "object")) return json_object();
    if (type_is(type, "array")) {
        json_t *arr = json_array();
        json_t *items = json_object_get(s, "items");
        if (arr && depth < SCHEMA_DEPTH && json_is_object(items)) {
            json_t *v = sample_value(items, g, depth + 1);
            if (!v || json_array_append_new(arr, v)) {
                json_decref(arr);
                return NULL;
            }
        }
        return arr;
    }
    if (type_is(type, "integer") || type_is(type, "number")) return json_integer(1);
    if (type_is(type, "boolean")) return json_true();
    if (g->user.len) return json_stringn(g->user.data, g->user.len);
    return json_string("mock");
}

typedef struct reply {
    const char *text; /* NULL for a function call */
    size_t len;
    json_t *args;
    const char *finish;
    size_t tokens; /* per candidate */
} reply;

/* The candidates array with text[0..len) (or the call) in each; finish may be NULL. */
static void put_candidates(out *o, const gen *g, const reply *r, const char *text, size_t len,
                           const char *finish)
{
    put_s(o, "\"candidates\":[");
    for (int i = 0; i < g->candidates; i++) {
        if (i) put_s(o, ",");
        put_s(o, "{\"content\":{\"parts\":[");
        if (r->args) {
            json_t *name = json_object_get(g->fn, "name");
            put_s(o, "{\"functionCall\":{\"name\":");
            put_str(o, json_string_value(name), json_string_length(name));
            put_s(o, ",\"args\":");
            char *a = json_dumps(r->args, JSON_COMPACT);
            if (!a) o->err = SEAM_BUF_NOMEM;
            put_s(o, a ? a : "{}");
            free(a);
            put_s(o, "}");
            if (g->signs) {
                char sig[48];
                uint64_t s = g->hash ^ (uint64_t)(i + 1);
                snprintf(sig, sizeof sig, "c2VhbS1tb2Nr%016llx", (unsigned long long)splitmix(&s));
                put_s(o, ",\"thoughtSignature\":\"");
                put_s(o, sig);
                put_s(o, "\"");
            }
            put_s(o, "}");
        } else {
            put_s(o, "{\"text\":");
            put_str(o, text, len);
            put_s(o, "}");
        }
        put_s(o, "],\"role\":\"model\"}");
        if (finish) {
            put_s(o, ",\"finishReason\":\"");
            put_s(o, finish);
            put_s(o, "\"");
        }
        put_s(o, ",\"index\":");
        put_u(o, (unsigned)i);
        put_s(o, "}");
    }
    put_s(o, "]");
}

static void put_usage(out *o, size_t prompt, size_t completion, int final)
{
    put_s(o, "\"usageMetadata\":{\"promptTokenCount\":");
    put_u(o, prompt);
    if (final) {
        put_s(o, ",\"candidatesTokenCount\":");
        put_u(o, completion);
    }
    put_s(o, ",\"totalTokenCount\":");
    put_u(o, prompt + (final ? completion : 0));
    put_s(o, ",\"promptTokensDetails\":[{\"modality\":\"TEXT\",\"tokenCount\":");
    put_u(o, prompt);
    put_s(o, "}]}");
}

static void put_tail(out *o, const gen *g)
{
    char id[24];
    snprintf(id, sizeof id, "%016llx", (unsigned long long)g->hash);
    put_s(o, ",\"modelVersion\":");
    put_str(o, g->r.model, g->r.model_len);
    put_s(o, ",\"responseId\":\"");
    put_s(o, id);
    put_s(o, "\"}");
}

/* One GenerateContentResponse as a stream event. */
static void put_event(seam_mock_plan *p, out *o, size_t *cap, const gen *g, const reply *r,
                      const char *text, size_t len, int last, size_t prompt)
{
    if (g->sse)
        put_s(o, "data: {");
    else
        put_s(o, p->nevents ? ",\r\n{" : "[{");
    put_candidates(o, g, r, text, len, last ? r->finish : NULL);
    put_s(o, ",");
    put_usage(o, prompt, r->tokens * (size_t)g->candidates, last);
    put_tail(o, g);
    if (g->sse)
        put_s(o, "\r\n\r\n");
    else if (last)
        put_s(o, "]");
    event_end(p, o, cap);
}

static size_t text_piece_end(const char *s, size_t n, size_t pos, size_t words)
{
    size_t i = pos;
    while (i < n && words--) {
        while (i < n && is_space(s[i]))
            i++;
        while (i < n && !is_space(s[i]))
            i++;
    }
    return i;
}

static int plan_generate(const route *rt, const char *query, const char *req, size_t n,
                         seam_mock_opts *opts, seam_mock_plan *p)
{
    gen g;
    memset(&g, 0, sizeof g);
    g.r = *rt;
    g.stream = rt->method == M_STREAM;
    g.sse = g.stream && query_has(query, "alt=sse");
    g.signs = rt->model_len > 8 && strncmp(rt->model, "gemini-", 7) == 0 &&
              rt->model[7] >= '3' && rt->model[7] <= '9';
    seam_buf_init(&g.user, SEAM_MOCK_MAX_REPLY);
    reply r = {.finish = "STOP"};
    int rc;

    g.root = json_loadb(req, n, 0, NULL);
    if (!json_is_object(g.root)) {
        rc = bad_request(p, "Invalid JSON payload received. Unexpected token.");
        goto done;
    }
    rc = gen_read(&g, p);
    if (rc) {
        rc = rc > 0 ? 0 : finish(p, rc);
        goto done;
    }
    int f = fault_directive(g.user.data, g.user.len);
    if (f < 0) f = fault_roll(opts);
    rc = apply_fault(p, f);
    if (rc) {
        if (rc > 0) rc = 0;
        goto done;
    }
    if (p->fault == SEAM_MOCK_STALL && !g.stream) goto done;

    g.hash = fnv1a(req, n, FNV_INIT);
    char sentence[96];
    if (g.fn) {
        r.args = sample_value(json_object_get(g.fn, "parameters"), &g, 0);
        if (!json_object_get(g.fn, "parameters"))
            r.args = sample_value(json_object_get(g.fn, "parametersJsonSchema"), &g, 0);
        if (r.args && !json_is_object(r.args)) {
            json_decref(r.args);
            r.args = json_object();
        }
        if (!r.args) {
            rc = finish(p, SEAM_BUF_NOMEM);
            goto done;
        }
        char *a = json_dumps(r.args, JSON_COMPACT);
        json_t *name = json_object_get(g.fn, "name");
        r.tokens = tokens_for(utf8_chars(json_string_value(name), json_string_length(name)) +
                              (a ? utf8_chars(a, strlen(a)) : 2));
        free(a);
    } else {
        if (opts && opts->echo && g.has_user) {
            r.text = g.user.data ? g.user.data : "";
            r.len = g.user.len;
        } else {
            int k = snprintf(sentence, sizeof sentence,
                             "This is a mock reply from seam to a message of %zu words.",
                             count_words(g.user.data, g.user.len));
            r.text = sentence;
            r.len = (size_t)k;
        }
        size_t chars = utf8_chars(r.text, r.len);
        if (g.max_tokens && chars > g.max_tokens * 4) {
            r.len = utf8_prefix(r.text, r.len, g.max_tokens * 4);
            chars = g.max_tokens * 4;
            r.finish = "MAX_TOKENS";
        }
        r.tokens = tokens_for(chars);
    }
    size_t prompt = tokens_for(g.prompt_chars);

    out o = {&p->body, 0};
    seam_buf_reserve(&p->body, 1024);
    if (!g.stream) {
        put_s(&o, "{");
        put_candidates(&o, &g, &r, r.text, r.len, r.finish);
        put_s(&o, ",");
        put_usage(&o, prompt, r.tokens * (size_t)g.candidates, 1);
        put_tail(&o, &g);
    } else {
        size_t cap = 0;
        p->stream = 1;
        p->stream_type = g.sse ? NULL : "application/json";
        if (r.args) {
            put_event(p, &o, &cap, &g, &r, NULL, 0, 1, prompt);
        } else {
            size_t words = count_words(r.text, r.len);
            size_t per = WORDS_PER_EVENT;
            if (words / per > MAX_TEXT_EVENTS) per = (words + MAX_TEXT_EVENTS - 1) / MAX_TEXT_EVENTS;
            size_t pos = 0;
            do {
                size_t end = text_piece_end(r.text, r.len, pos, per);
                /* trailing whitespace rides with the last piece */
                if (count_words(r.text + end, r.len - end) == 0) end = r.len;
                put_event(p, &o, &cap, &g, &r, r.text + pos, end - pos, end == r.len, prompt);
                pos = end;
            } while (pos < r.len && !o.err);
        }
        if (p->fault == SEAM_MOCK_STALL)
            p->stall_after = p->nevents < SEAM_MOCK_STALL_AFTER ? p->nevents : SEAM_MOCK_STALL_AFTER;
    }
    rc = finish(p, o.err);

done:
    json_decref(r.args);
    seam_buf_free(&g.user);
    json_decref(g.root);
    return rc;
}

/* ---- batchEmbedContents ---- */

static void embed_vector(uint64_t h, size_t dims, float *v)
{
    double sum = 0;
    for (size_t j = 0; j < dims; j++) {
        double x = (double)(splitmix(&h) >> 40) / 8388608.0 - 1.0;
        v[j] = (float)x;
        sum += x * x;
    }
    double norm = root2(sum);
    if (norm > 0)
        for (size_t j = 0; j < dims; j++)
            v[j] = (float)(v[j] / norm);
}

static int plan_embed(const route *rt, const char *req, size_t n, seam_mock_opts *opts,
                      seam_mock_plan *p)
{
    int rc = 0;
    json_t *root = json_loadb(req, n, 0, NULL);
    if (!json_is_object(root)) {
        rc = bad_request(p, "Invalid JSON payload received. Unexpected token.");
        goto done;
    }
    json_t *requests = json_object_get(root, "requests");
    size_t count = json_array_size(requests);
    if (!count) {
        rc = bad_request(p, "* BatchEmbedContentsRequest.requests: requests is not specified\n");
        goto done;
    }
    if (count > MAX_BATCH) {
        rc = bad_request(p, "* BatchEmbedContentsRequest.requests: at most 100 requests can be "
                            "in one batch\n");
        goto done;
    }
    int f = -1;
    size_t i;
    json_t *r;
    json_array_foreach(requests, i, r)
    {
        json_t *model = json_object_get(r, "model");
        if (!json_is_string(model) || json_string_length(model) != rt->resource_len ||
            memcmp(json_string_value(model), rt->resource, rt->resource_len) != 0) {
            rc = bad_request(p, "Model in request must match the model of the batch request.");
            goto done;
        }
        json_t *parts = json_object_get(json_object_get(r, "content"), "parts");
        if (!json_array_size(parts)) {
            rc = bad_request(p, "* BatchEmbedContentsRequest.requests[].content.parts: "
                                "contents.parts must not be empty.\n");
            goto done;
        }
        json_t *d = json_object_get(r, "outputDimensionality");
        if (d && (!json_is_integer(d) || json_integer_value(d) < 1 ||
                  json_integer_value(d) > SEAM_MOCK_MAX_DIMS)) {
            rc = bad_request(p, "* BatchEmbedContentsRequest.requests[].output_dimensionality: "
                                "must be between 1 and 4096\n");
            goto done;
        }
        size_t j;
        json_t *part;
        json_array_foreach(parts, j, part)
        {
            json_t *t = json_object_get(part, "text");
            if (f < 0 && json_is_string(t))
                f = fault_directive(json_string_value(t), json_string_length(t));
        }
    }
    if (f < 0) f = fault_roll(opts);
    rc = apply_fault(p, f);
    if (rc) {
        if (rc > 0) rc = 0;
        goto done;
    }
    if (p->fault == SEAM_MOCK_STALL) goto done;

    out o = {&p->body, 0};
    float v[SEAM_MOCK_MAX_DIMS];
    put_s(&o, "{\"embeddings\":[");
    json_array_foreach(requests, i, r)
    {
        json_t *d = json_object_get(r, "outputDimensionality");
        size_t dims = d ? (size_t)json_integer_value(d) : EMBED_DEFAULT_DIMS;
        uint64_t h = FNV_INIT; /* the text of all parts, as the OpenAI mock hashes one string */
        size_t j;
        json_t *part;
        json_array_foreach(json_object_get(json_object_get(r, "content"), "parts"), j, part)
        {
            json_t *t = json_object_get(part, "text");
            if (json_is_string(t)) h = fnv1a(json_string_value(t), json_string_length(t), h);
        }
        embed_vector(h, dims, v);
        put_s(&o, i ? ",{\"values\":[" : "{\"values\":[");
        for (size_t k = 0; k < dims; k++) {
            char num[32];
            int len = snprintf(num, sizeof num, k ? ",%.9g" : "%.9g", (double)v[k]);
            put(&o, num, (size_t)len);
        }
        put_s(&o, "]}");
    }
    put_s(&o, "]}");
    rc = finish(p, o.err);
done:
    json_decref(root);
    return rc;
}

int seam_mock_gemini_plan(const char *path, const char *query, const char *body, size_t n,
                          seam_mock_opts *o, seam_mock_plan *plan)
{
    route r;
    plan_init(plan);
    if (!parse_path(path, &r)) return finish(plan, bad_request(plan, "Unknown method."));
    if (r.method == M_EMBED) return plan_embed(&r, body, n, o, plan);
    return plan_generate(&r, query, body, n, o, plan);
}
