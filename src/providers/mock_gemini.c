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
 * What every wire does alike (hashing, counting, faults, text pieces,
 * embedding vectors) is in mock_common.c; the schema sampler stays here
 * because Gemini's Schema is its own dialect (upper-case types, anyOf). */
#include "providers/mock_wire.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/mock_common.h"

#define EMBED_DEFAULT_DIMS 8
#define MAX_BATCH          100 /* batchEmbedContents' limit */
#define WORDS_PER_EVENT    3
#define MAX_TEXT_EVENTS    256
#define SCHEMA_DEPTH       6

/* Google's error body.  Returns 0 or SEAM_BUF_NOMEM (p then empty). */
static int g_error(seam_mock_plan *p, int code, const char *status, const char *message)
{
    seam_mock_plan_free(p);
    seam_mock_plan_init(p);
    p->status = code;
    seam_mock_out o = seam_mock_out_plan(p);
    seam_mock_put_s(&o, "{\"error\":{\"code\":");
    seam_mock_put_u(&o, (unsigned)code);
    seam_mock_put_s(&o, ",\"message\":");
    seam_mock_put_str(&o, message, strlen(message));
    seam_mock_put_s(&o, ",\"status\":\"");
    seam_mock_put_s(&o, status);
    seam_mock_put_s(&o, "\"");
    if (code == 429)
        seam_mock_put_s(&o, ",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\","
                            "\"retryDelay\":\"1s\"}]");
    seam_mock_put_s(&o, "}}");
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
        {503, "UNAVAILABLE",
         "The model is overloaded. Please try again later. (injected by seam mock)"},
    };
    if (f < 0) return 0;
    if (f <= 2) {
        int rc = g_error(p, errs[f].code, errs[f].status, errs[f].message);
        if (rc) return rc;
        p->fault = SEAM_MOCK_STATUS;
        p->retry_after = errs[f].code == 429 ? "1" : NULL;
        return 1;
    }
    return seam_mock_fault_bodiless(p, f);
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
    json_t *fn; /* the functionDeclaration to call, or NULL */
    int signs;  /* a Gemini 3 model: thought signatures */
    uint64_t hash;
} gen;

static void count_parts(json_t *parts, size_t *chars)
{
    size_t i;
    json_t *part;
    json_array_foreach(parts, i, part)
    {
        json_t *t = json_object_get(part, "text");
        if (json_is_string(t))
            *chars += seam_mock_utf8_chars(json_string_value(t), json_string_length(t));
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
        if (role && !seam_mock_str_eq(role, "user") && !seam_mock_str_eq(role, "model"))
            return reject(p, "Please use a valid role: user, model.");
        count_parts(parts, &g->prompt_chars);
        int user = !role || seam_mock_str_eq(role, "user");
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
            if (json_is_string(t) &&
                seam_buf_append(&g->user, json_string_value(t), json_string_length(t)))
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
    if (seam_mock_str_eq(mode, "NONE")) return 0;
    int any = seam_mock_str_eq(mode, "ANY");
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
static void put_candidates(seam_mock_out *o, const gen *g, const reply *r, const char *text,
                           size_t len, const char *finish)
{
    seam_mock_put_s(o, "\"candidates\":[");
    for (int i = 0; i < g->candidates; i++) {
        if (i) seam_mock_put_s(o, ",");
        seam_mock_put_s(o, "{\"content\":{\"parts\":[");
        if (r->args) {
            json_t *name = json_object_get(g->fn, "name");
            seam_mock_put_s(o, "{\"functionCall\":{\"name\":");
            seam_mock_put_str(o, json_string_value(name), json_string_length(name));
            seam_mock_put_s(o, ",\"args\":");
            char *a = json_dumps(r->args, JSON_COMPACT);
            if (!a) o->err = SEAM_BUF_NOMEM;
            seam_mock_put_s(o, a ? a : "{}");
            free(a);
            seam_mock_put_s(o, "}");
            if (g->signs) {
                char sig[48];
                uint64_t s = g->hash ^ (uint64_t)(i + 1);
                snprintf(sig, sizeof sig, "c2VhbS1tb2Nr%016llx",
                         (unsigned long long)seam_mock_splitmix(&s));
                seam_mock_put_s(o, ",\"thoughtSignature\":\"");
                seam_mock_put_s(o, sig);
                seam_mock_put_s(o, "\"");
            }
            seam_mock_put_s(o, "}");
        } else {
            seam_mock_put_s(o, "{\"text\":");
            seam_mock_put_str(o, text, len);
            seam_mock_put_s(o, "}");
        }
        seam_mock_put_s(o, "],\"role\":\"model\"}");
        if (finish) {
            seam_mock_put_s(o, ",\"finishReason\":\"");
            seam_mock_put_s(o, finish);
            seam_mock_put_s(o, "\"");
        }
        seam_mock_put_s(o, ",\"index\":");
        seam_mock_put_u(o, (unsigned)i);
        seam_mock_put_s(o, "}");
    }
    seam_mock_put_s(o, "]");
}

static void put_usage(seam_mock_out *o, size_t prompt, size_t completion, int final)
{
    seam_mock_put_s(o, "\"usageMetadata\":{\"promptTokenCount\":");
    seam_mock_put_u(o, prompt);
    if (final) {
        seam_mock_put_s(o, ",\"candidatesTokenCount\":");
        seam_mock_put_u(o, completion);
    }
    seam_mock_put_s(o, ",\"totalTokenCount\":");
    seam_mock_put_u(o, prompt + (final ? completion : 0));
    seam_mock_put_s(o, ",\"promptTokensDetails\":[{\"modality\":\"TEXT\",\"tokenCount\":");
    seam_mock_put_u(o, prompt);
    seam_mock_put_s(o, "}]}");
}

static void put_tail(seam_mock_out *o, const gen *g)
{
    seam_mock_put_s(o, ",\"modelVersion\":");
    seam_mock_put_str(o, g->r.model, g->r.model_len);
    seam_mock_put_s(o, ",\"responseId\":\"");
    seam_mock_put_hex(o, g->hash);
    seam_mock_put_s(o, "\"}");
}

/* One GenerateContentResponse as a stream event. */
static void put_event(seam_mock_plan *p, seam_mock_out *o, const gen *g, const reply *r,
                      const char *text, size_t len, int last, size_t prompt)
{
    if (g->sse)
        seam_mock_put_s(o, "data: {");
    else
        seam_mock_put_s(o, p->nevents ? ",\r\n{" : "[{");
    put_candidates(o, g, r, text, len, last ? r->finish : NULL);
    seam_mock_put_s(o, ",");
    put_usage(o, prompt, r->tokens * (size_t)g->candidates, last);
    put_tail(o, g);
    if (g->sse)
        seam_mock_put_s(o, "\r\n\r\n");
    else if (last)
        seam_mock_put_s(o, "]");
    seam_mock_event_end(o);
}

static int plan_generate(const route *rt, const char *query, const char *req, size_t n,
                         seam_mock_opts *opts, seam_mock_plan *p)
{
    gen g;
    memset(&g, 0, sizeof g);
    g.r = *rt;
    g.stream = rt->method == M_STREAM;
    g.sse = g.stream && query_has(query, "alt=sse");
    g.signs = rt->model_len > 8 && strncmp(rt->model, "gemini-", 7) == 0 && rt->model[7] >= '3' &&
              rt->model[7] <= '9';
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
    int f = seam_mock_fault_directive(g.user.data, g.user.len);
    if (f < 0) f = seam_mock_fault_roll(opts);
    rc = apply_fault(p, f);
    if (rc) {
        if (rc > 0) rc = 0;
        goto done;
    }
    if (p->fault == SEAM_MOCK_STALL && !g.stream) goto done;

    g.hash = seam_mock_fnv1a(req, n, SEAM_MOCK_FNV_INIT);
    char sentence[SEAM_MOCK_SENTENCE_MAX];
    if (g.fn) {
        json_t *schema = json_object_get(g.fn, "parameters");
        if (!schema) schema = json_object_get(g.fn, "parametersJsonSchema");
        r.args = sample_value(schema, &g, 0);
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
        r.tokens = seam_mock_tokens_for(
            seam_mock_utf8_chars(json_string_value(name), json_string_length(name)) +
            (a ? seam_mock_utf8_chars(a, strlen(a)) : 2));
        free(a);
    } else {
        int cut;
        r.len = seam_mock_reply_text(opts, g.has_user, &g.user, sentence, &r.text);
        r.tokens = seam_mock_cut_text(r.text, &r.len, g.max_tokens, &cut);
        if (cut) r.finish = "MAX_TOKENS";
    }
    size_t prompt = seam_mock_tokens_for(g.prompt_chars);

    seam_mock_out o = seam_mock_out_plan(p);
    seam_buf_reserve(&p->body, 1024);
    if (!g.stream) {
        seam_mock_put_s(&o, "{");
        put_candidates(&o, &g, &r, r.text, r.len, r.finish);
        seam_mock_put_s(&o, ",");
        put_usage(&o, prompt, r.tokens * (size_t)g.candidates, 1);
        put_tail(&o, &g);
    } else {
        p->stream = 1;
        p->stream_type = g.sse ? NULL : "application/json";
        if (r.args) {
            put_event(p, &o, &g, &r, NULL, 0, 1, prompt);
        } else {
            size_t words = seam_mock_count_words(r.text, r.len);
            size_t per = WORDS_PER_EVENT;
            if (words / per > MAX_TEXT_EVENTS)
                per = (words + MAX_TEXT_EVENTS - 1) / MAX_TEXT_EVENTS;
            size_t pos = 0;
            do {
                size_t end = seam_mock_text_piece_end(r.text, r.len, pos, per);
                /* trailing whitespace rides with the last piece */
                if (seam_mock_count_words(r.text + end, r.len - end) == 0) end = r.len;
                put_event(p, &o, &g, &r, r.text + pos, end - pos, end == r.len, prompt);
                pos = end;
            } while (pos < r.len && !o.err);
        }
        seam_mock_plan_stall(p);
    }
    rc = finish(p, o.err);

done:
    json_decref(r.args);
    seam_buf_free(&g.user);
    json_decref(g.root);
    return rc;
}

/* ---- batchEmbedContents ---- */

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
                f = seam_mock_fault_directive(json_string_value(t), json_string_length(t));
        }
    }
    if (f < 0) f = seam_mock_fault_roll(opts);
    rc = apply_fault(p, f);
    if (rc) {
        if (rc > 0) rc = 0;
        goto done;
    }
    if (p->fault == SEAM_MOCK_STALL) goto done;

    seam_mock_out o = seam_mock_out_plan(p);
    float v[SEAM_MOCK_MAX_DIMS];
    seam_mock_put_s(&o, "{\"embeddings\":[");
    json_array_foreach(requests, i, r)
    {
        json_t *d = json_object_get(r, "outputDimensionality");
        size_t dims = d ? (size_t)json_integer_value(d) : EMBED_DEFAULT_DIMS;
        uint64_t h =
            SEAM_MOCK_FNV_INIT; /* the text of all parts, as the OpenAI mock hashes one string */
        size_t j;
        json_t *part;
        json_array_foreach(json_object_get(json_object_get(r, "content"), "parts"), j, part)
        {
            json_t *t = json_object_get(part, "text");
            if (json_is_string(t))
                h = seam_mock_fnv1a(json_string_value(t), json_string_length(t), h);
        }
        seam_mock_embed_vector(h, dims, v);
        seam_mock_put_s(&o, i ? ",{\"values\":[" : "{\"values\":[");
        seam_mock_put_floats(&o, v, dims);
        seam_mock_put_s(&o, "]}");
    }
    seam_mock_put_s(&o, "]}");
    rc = finish(p, o.err);
done:
    json_decref(root);
    return rc;
}

int seam_mock_gemini_plan(const char *path, const char *query, const char *body, size_t n,
                          seam_mock_opts *o, seam_mock_plan *plan)
{
    route r;
    seam_mock_plan_init(plan);
    if (!parse_path(path, &r)) return finish(plan, bad_request(plan, "Unknown method."));
    if (r.method == M_EMBED) return plan_embed(&r, body, n, o, plan);
    return plan_generate(&r, query, body, n, o, plan);
}
