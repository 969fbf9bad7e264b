/* gemini.c — provider type "gemini": Google's Generative Language API.
 *
 * The gateway speaks OpenAI's wire format; this adapter turns an OpenAI chat
 * or embeddings request into Gemini's generateContent /
 * streamGenerateContent?alt=sse / batchEmbedContents call, and Gemini's
 * answers back into chat.completion JSON, chat.completion.chunk events ending
 * in [DONE], an embeddings list, or an OpenAI error body.  adapter.c does the
 * HTTP; this file only translates.  Requests are read and written with
 * jansson (the body is rebuilt anyway, so a tree costs little more than a
 * scan); answers are written straight into the output buffer.
 *
 * The model is part of the URL ({base}/v1beta/models/{model}:method), so each
 * call derives its target from the one made at create().  Model names are
 * limited to [A-Za-z0-9._-] (plus a "models/" or "tunedModels/" prefix):
 * such names need no escaping, and anything else is refused rather than
 * escaped into a path nobody meant.  A base_url whose path ends in /v1,
 * /v1beta or /v1alpha names the API version itself; another path is kept as
 * a prefix before /v1beta (for proxies).
 *
 * What a request may not carry (refused with a 400 naming the field, because
 * dropping it would change the answer without telling anyone): logprobs and
 * top_logprobs, logit_bias, audio output (modalities "audio", audio), tools
 * other than functions, parallel_tool_calls: false (Gemini may always call
 * several functions), the legacy functions/function_call, web_search_options,
 * verbosity, n above 8, token-array embeddings inputs, more than 100
 * embeddings inputs, OpenAI file ids, image URLs whose type the extension
 * does not tell, and any top-level field this file does not know.
 *
 * What is dropped on purpose (no effect on the answer, or none Gemini
 * offers): user, metadata, store, service_tier, safety_identifier,
 * prompt_cache_key, prediction (a latency hint), image detail, message names,
 * "strict" on functions and json_schema (Gemini always holds its output to
 * the schema it is given).  presence/frequency_penalty of 0 are not sent:
 * 0 is the default, and models without penalties reject the field.
 *
 * JSON Schema (tool parameters, response_format json_schema) becomes
 * Gemini's Schema, an OpenAPI 3.0 subset with upper-case types:
 *   - dropped: $schema $id $comment $anchor $defs definitions deprecated
 *     readOnly writeOnly additionalProperties unevaluatedProperties (Gemini
 *     produces the declared properties only), and "format" values Gemini
 *     does not know (format is an annotation in JSON Schema);
 *   - rewritten: local $ref (#/$defs/X, #/definitions/X) inlined; allOf of
 *     one schema merged; oneOf read as anyOf; a "null" branch of anyOf or of
 *     a type list becomes nullable; const becomes a one-value enum; examples
 *     becomes example; empty "properties" are left out (Gemini rejects them);
 *   - refused: every other keyword (not, if/then/else, patternProperties,
 *     multipleOf, exclusiveMinimum, uniqueItems, prefixItems, ...), unions
 *     of several types, allOf of several schemas, non-string enums,
 *     recursive $ref.  Response schemas get propertyOrdering in declaration
 *     order, as OpenAI's strict outputs keep it.
 *
 * Gemini has no tool-call ids.  Answers get "call_<k>_<name>" (k counts the
 * calls of one candidate); a tool result is matched to its function by the
 * id of an earlier assistant tool call in the same request, or failing that
 * by the name inside such an id.  Gemini's thought signatures ride along in
 * each tool call as extra_content.google.thought_signature (where Google's
 * own OpenAI endpoint puts them) and are sent back on replay; a Gemini 3
 * history without one gets the "skip_thought_signature_validator" value
 * Google documents for histories it did not produce.
 *
 * Usage: prompt_tokens = promptTokenCount + toolUsePromptTokenCount,
 * completion_tokens = candidatesTokenCount + thoughtsTokenCount (thinking
 * is billed as output; also reported as reasoning_tokens), total_tokens =
 * totalTokenCount, cached_tokens = cachedContentTokenCount. */
#include "providers/gemini_xlate.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/openai_error.h"
#include "http/sse.h"

#define MAX_MODEL        128
#define MAX_CANDIDATES   8   /* Gemini's candidateCount limit */
#define MAX_EMBED_INPUTS 100 /* batchEmbedContents takes at most 100 requests */
#define MAX_SCHEMA_DEPTH 32
#define MAX_EVENT        (8u << 20) /* one Gemini stream event */
#define SKIP_SIGNATURE   "skip_thought_signature_validator"

/* ---- the provider ---- */

typedef struct gemini_provider {
    seam_provider base;
    seam_http_target *origin; /* base_url; each call derives its own path from it */
    char *prefix;             /* path before "/models/...", e.g. "/v1beta" */
    char *key;                /* api key, or NULL */
} gemini_provider;

static void destroy(seam_provider *p)
{
    gemini_provider *gp = (gemini_provider *)p;
    if (!gp) return;
    seam_http_target_free(gp->origin);
    free(gp->prefix);
    free(gp->key);
    free(gp);
}

/* The API version prefix from base_url's path: kept when it names a version,
 * else the path plus "/v1beta". */
static char *version_prefix(const char *url)
{
    const char *host = strstr(url, "://");
    const char *path = host ? strchr(host + 3, '/') : NULL;
    size_t n = path ? strlen(path) : 0;
    while (n && path[n - 1] == '/')
        n--;
    static const char *const versions[] = {"/v1", "/v1beta", "/v1alpha"};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        size_t vl = strlen(versions[i]);
        if (n >= vl && memcmp(path + n - vl, versions[i], vl) == 0) return strndup(path, n);
    }
    size_t cap = n + sizeof "/v1beta";
    char *s = malloc(cap);
    if (s) snprintf(s, cap, "%.*s/v1beta", (int)n, n ? path : "");
    return s;
}

static int create(const seam_provider_conf *conf, seam_provider **out, char *err, size_t errlen)
{
    gemini_provider *gp = calloc(1, sizeof *gp);
    if (!gp) goto nomem;
    gp->base.vt = &seam_provider_gemini;
    gp->base.conf = conf;
    const char *url = conf->base_url ? conf->base_url : "https://generativelanguage.googleapis.com";
    gp->origin = seam_http_target_new(url, err, errlen);
    if (!gp->origin) goto fail;
    gp->prefix = version_prefix(url);
    if (!gp->prefix) goto nomem;
    if (conf->api_key) {
        /* a header line must not be split by the key */
        if (strpbrk(conf->api_key, "\r\n")) {
            snprintf(err, errlen, "api_key: must not contain a line break");
            goto fail;
        }
        gp->key = strdup(conf->api_key);
        if (!gp->key) goto nomem;
    }
    *out = &gp->base;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
fail:
    destroy(gp ? &gp->base : NULL);
    return -1;
}

/* ---- per-call state ---- */

typedef struct choice_state {
    int started;  /* the role has been sent */
    int finished; /* a finish_reason has been sent */
    int ncalls;   /* tool calls sent so far */
} choice_state;

typedef struct gemini_state {
    long long created;
    char id[160]; /* "chatcmpl-..." (JSON-safe: hex or a checked responseId) */
    int have_response_id;
    int include_usage;
    int base64;     /* embeddings: encoding_format base64 */
    size_t ninputs; /* embeddings: inputs sent */
    /* stream */
    seam_sse_reader sse;
    int sse_ready;
    choice_state choice[MAX_CANDIDATES];
    json_t *usage; /* the last usageMetadata seen */
    int failed;    /* an error event was passed on */
} gemini_state;

static void state_free(void *state)
{
    gemini_state *st = state;
    if (st->sse_ready) seam_sse_reader_free(&st->sse);
    json_decref(st->usage);
    st->usage = NULL;
}

/* ---- small helpers ---- */

static int str_eq(json_t *v, const char *s)
{
    return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

/* A member that is present and not null. */
static json_t *member(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_null(v) ? NULL : v;
}

static long long count_of(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_integer(v)) return json_integer_value(v) > 0 ? json_integer_value(v) : 0;
    if (json_is_real(v)) return json_real_value(v) > 0 ? (long long)json_real_value(v) : 0;
    if (json_is_string(v)) return strtoll(json_string_value(v), NULL, 10); /* int64 as string */
    return 0;
}

static int dump_cb(const char *p, size_t n, void *ud)
{
    return seam_buf_append(ud, p, n) ? -1 : 0;
}

/* ---- request translation ---- */

typedef struct xl {
    const seam_provider *p;
    const seam_call_req *req;
    json_t *defs;   /* root of the schema being converted, for $ref */
    int response;   /* converting a response schema */
    int refused;    /* a refusal has been written */
    char path[200]; /* the schema position being converted, for refusals */
} xl;

static int refuse(xl *x, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(xl *x, const char *field, const char *fmt, ...)
{
    char why[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (!x->refused) seam_adapter_refuse(x->p, x->req, field, why);
    x->refused = 1;
    return -1;
}

static size_t path_push(xl *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static size_t path_push(xl *x, const char *fmt, ...)
{
    size_t old = strlen(x->path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->path + old, sizeof x->path - old, fmt, ap);
    va_end(ap);
    return old;
}

static void path_pop(xl *x, size_t old)
{
    x->path[old] = '\0';
}

/* -- JSON Schema -> Gemini Schema -- */

static json_t *schema(xl *x, json_t *s, int depth);

static const char *gemini_type(const char *t)
{
    static const char *const map[][2] = {
        {"string", "STRING"},   {"number", "NUMBER"}, {"integer", "INTEGER"},
        {"boolean", "BOOLEAN"}, {"array", "ARRAY"},   {"object", "OBJECT"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(t, map[i][0]) == 0) return map[i][1];
    return NULL;
}

/* The schema a local $ref points at, or NULL after a refusal. */
static json_t *resolve_ref(xl *x, json_t *ref)
{
    const char *r = json_string_value(ref);
    const char *name = NULL;
    json_t *defs = NULL;
    if (r && strncmp(r, "#/$defs/", 8) == 0) {
        name = r + 8;
        defs = json_object_get(x->defs, "$defs");
    } else if (r && strncmp(r, "#/definitions/", 14) == 0) {
        name = r + 14;
        defs = json_object_get(x->defs, "definitions");
    }
    json_t *target = name && !strchr(name, '/') ? json_object_get(defs, name) : NULL;
    if (!json_is_object(target)) {
        refuse(x, x->path, "only local #/$defs/NAME references can be inlined");
        return NULL;
    }
    return target;
}

/* s with key removed and the members of extra it lacks added; NULL if out of memory. */
static json_t *merged(json_t *s, const char *key, json_t *extra)
{
    json_t *m = json_copy(s);
    if (!m) return NULL;
    json_object_del(m, key);
    if (extra && json_object_update_missing(m, extra)) {
        json_decref(m);
        return NULL;
    }
    return m;
}

static int is_null_schema(json_t *s)
{
    return json_is_object(s) && str_eq(json_object_get(s, "type"), "null") &&
           json_object_size(s) <= 2; /* {"type":"null"} perhaps with a description */
}

/* One keyword of a schema into out.  Returns 0 or -1 (refused / no memory). */
static int keyword(xl *x, json_t *out, const char *key, json_t *v, int *nullable, int depth)
{
    static const char *const copied[] = {
        "description", "title",         "pattern",       "default",          "example", "nullable",
        "minItems",    "maxItems",      "minLength",     "maxLength",        "minimum", "maximum",
        "required",    "minProperties", "maxProperties", "propertyOrdering",
    };
    static const char *const dropped[] = {
        "$schema",
        "$id",
        "$comment",
        "$anchor",
        "$defs",
        "definitions",
        "deprecated",
        "readOnly",
        "writeOnly",
        "additionalProperties",
        "unevaluatedProperties",
    };
    static const char *const formats[] = {"enum", "date-time", "int32", "int64", "float", "double"};

    for (size_t i = 0; i < sizeof dropped / sizeof dropped[0]; i++)
        if (strcmp(key, dropped[i]) == 0) return 0;
    for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++)
        if (strcmp(key, copied[i]) == 0) return json_object_set(out, key, v);

    if (strcmp(key, "type") == 0) {
        const char *t = NULL;
        if (json_is_string(v)) {
            t = json_string_value(v);
        } else if (json_is_array(v)) {
            size_t i, n = 0;
            json_t *e;
            json_array_foreach(v, i, e)
            {
                if (str_eq(e, "null"))
                    *nullable = 1;
                else if (json_is_string(e) && n++ == 0)
                    t = json_string_value(e);
            }
            if (n > 1) return refuse(x, x->path, "a union of several types is not supported");
        }
        if (!t) return refuse(x, x->path, "must name a type other than null");
        const char *g = gemini_type(t);
        if (!g) return refuse(x, x->path, "unknown type '%.40s'", t);
        return json_object_set_new(out, "type", json_string(g));
    }
    if (strcmp(key, "format") == 0) {
        for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
            if (str_eq(v, formats[i])) return json_object_set(out, key, v);
        return 0; /* an annotation Gemini does not know */
    }
    if (strcmp(key, "examples") == 0) {
        if (json_array_size(v) && !json_object_get(out, "example"))
            return json_object_set(out, "example", json_array_get(v, 0));
        return 0;
    }
    if (strcmp(key, "enum") == 0 || strcmp(key, "const") == 0) {
        json_t *vals = strcmp(key, "enum") == 0 ? v : NULL;
        json_t *one = vals ? NULL : json_pack("[O]", v);
        if (!vals) vals = one;
        if (!json_is_array(vals)) return refuse(x, x->path, "must be an array");
        json_t *e, *list = json_array();
        size_t i;
        json_array_foreach(vals, i, e)
        {
            if (json_is_null(e)) {
                *nullable = 1;
            } else if (json_is_string(e)) {
                json_array_append(list, e);
            } else {
                json_decref(list);
                json_decref(one);
                return refuse(x, x->path, "Gemini takes only string enum values");
            }
        }
        json_decref(one);
        return json_object_set_new(out, "enum", list);
    }
    if (strcmp(key, "properties") == 0) {
        if (!json_is_object(v)) return refuse(x, x->path, "must be an object");
        json_t *props = json_object(), *order = json_array();
        const char *name;
        json_t *sub;
        json_object_foreach(v, name, sub)
        {
            size_t old = path_push(x, ".%s", name);
            json_t *g = schema(x, sub, depth + 1);
            path_pop(x, old);
            if (!g) {
                json_decref(props);
                json_decref(order);
                return -1;
            }
            json_object_set_new(props, name, g);
            json_array_append_new(order, json_string(name));
        }
        if (json_object_size(props)) {
            json_object_set_new(out, "properties", props);
            if (x->response && json_array_size(order) > 1 &&
                !json_object_get(out, "propertyOrdering"))
                json_object_set(out, "propertyOrdering", order);
        } else {
            json_decref(props);
        }
        json_decref(order);
        return 0;
    }
    if (strcmp(key, "items") == 0) {
        if (!json_is_object(v)) return refuse(x, x->path, "only one schema for all items");
        json_t *g = schema(x, v, depth + 1);
        return g ? json_object_set_new(out, "items", g) : -1;
    }
    return refuse(x, x->path, "not supported by Gemini's schema");
}

/* A new Gemini Schema for JSON Schema s; NULL after a refusal or out of memory. */
static json_t *schema(xl *x, json_t *s, int depth)
{
    if (depth > MAX_SCHEMA_DEPTH) {
        refuse(x, x->path, "nests deeper than %d levels (a recursive $ref?)", MAX_SCHEMA_DEPTH);
        return NULL;
    }
    if (!json_is_object(s)) {
        refuse(x, x->path, "a schema must be an object");
        return NULL;
    }

    /* $ref and a single allOf are folded into s, then converted again */
    json_t *ref = json_object_get(s, "$ref");
    json_t *all = json_object_get(s, "allOf");
    if (ref || all) {
        json_t *extra;
        if (ref) {
            size_t old = path_push(x, ".$ref");
            extra = resolve_ref(x, ref);
            path_pop(x, old);
        } else {
            extra = json_array_size(all) == 1 ? json_array_get(all, 0) : NULL;
            if (!json_is_object(extra)) {
                size_t old = path_push(x, ".allOf");
                refuse(x, x->path, "only an allOf of one schema can be merged");
                path_pop(x, old);
            }
        }
        if (!extra) return NULL;
        json_t *m = merged(s, ref ? "$ref" : "allOf", extra);
        json_t *g = m ? schema(x, m, depth + 1) : NULL;
        json_decref(m);
        return g;
    }

    json_t *any = json_object_get(s, "anyOf");
    const char *any_key = "anyOf";
    if (!any) {
        any = json_object_get(s, "oneOf");
        any_key = "oneOf";
    } else if (json_object_get(s, "oneOf")) {
        refuse(x, x->path, "anyOf and oneOf together are not supported");
        return NULL;
    }
    int nullable = 0;
    json_t *branches = NULL;
    if (any) {
        size_t old = path_push(x, ".%s", any_key);
        if (!json_is_array(any)) {
            refuse(x, x->path, "must be an array");
            path_pop(x, old);
            return NULL;
        }
        branches = json_array();
        size_t i;
        json_t *b;
        json_array_foreach(any, i, b)
        {
            if (is_null_schema(b))
                nullable = 1;
            else
                json_array_append(branches, b);
        }
        path_pop(x, old);
        if (json_array_size(branches) == 1) { /* Optional[X]: X, nullable */
            json_t *m = merged(s, any_key, json_array_get(branches, 0));
            json_decref(branches);
            if (m && nullable) json_object_set_new(m, "nullable", json_true());
            json_t *g = m ? schema(x, m, depth + 1) : NULL;
            json_decref(m);
            return g;
        }
        if (!json_array_size(branches)) {
            json_decref(branches);
            refuse(x, x->path, "an anyOf of null alone is not supported");
            return NULL;
        }
    }

    json_t *out = json_object();
    const char *key;
    json_t *v;
    json_object_foreach(s, key, v)
    {
        if (strcmp(key, "anyOf") == 0 || strcmp(key, "oneOf") == 0) continue;
        size_t old = path_push(x, ".%s", key);
        int rc = keyword(x, out, key, v, &nullable, depth);
        path_pop(x, old);
        if (rc) goto fail;
    }
    if (branches) {
        json_t *list = json_array();
        size_t i;
        json_t *b;
        json_object_set_new(out, "anyOf", list);
        json_array_foreach(branches, i, b)
        {
            size_t old = path_push(x, ".%s[%zu]", any_key, i);
            json_t *g = schema(x, b, depth + 1);
            path_pop(x, old);
            if (!g) goto fail;
            json_array_append_new(list, g);
        }
        json_decref(branches);
        branches = NULL;
    }
    if (!json_object_get(out, "type") && !json_object_get(out, "anyOf")) {
        if (json_object_get(out, "properties"))
            json_object_set_new(out, "type", json_string("OBJECT"));
        else if (json_object_get(out, "items"))
            json_object_set_new(out, "type", json_string("ARRAY"));
        else if (json_object_get(out, "enum"))
            json_object_set_new(out, "type", json_string("STRING"));
    }
    if (nullable) json_object_set_new(out, "nullable", json_true());
    return out;
fail:
    json_decref(branches);
    json_decref(out);
    return NULL;
}

/* Converts s found at field; NULL after a refusal. */
static json_t *convert_schema(xl *x, json_t *s, const char *field, int response)
{
    snprintf(x->path, sizeof x->path, "%s", field);
    x->defs = s;
    x->response = response;
    json_t *g = schema(x, s, 0);
    if (!g && !x->refused) refuse(x, field, "out of memory");
    return g;
}

/* -- contents -- */

/* Appends part (stolen) to the last content when it has role, else to a new one. */
static int add_part(json_t *contents, const char *role, json_t *part)
{
    if (!part) return -1;
    size_t n = json_array_size(contents);
    json_t *last = n ? json_array_get(contents, n - 1) : NULL;
    if (last && str_eq(json_object_get(last, "role"), role))
        return json_array_append_new(json_object_get(last, "parts"), part);
    return json_array_append_new(contents, json_pack("{s:s,s:[o]}", "role", role, "parts", part));
}

static json_t *text_part(const char *s, size_t n)
{
    return json_pack("{s:s%}", "text", s, n);
}

/* The text of a content that must be text: a string or an array of text
 * (or refusal) parts, joined.  Returns a new string or NULL after a refusal. */
static json_t *content_text(xl *x, json_t *content, const char *field)
{
    if (!content || json_is_string(content))
        return json_string(content ? json_string_value(content) : "");
    if (!json_is_array(content)) {
        refuse(x, field, "must be a string or an array of parts");
        return NULL;
    }
    seam_buf b;
    seam_buf_init(&b, SIZE_MAX / 2);
    size_t i;
    json_t *part;
    json_array_foreach(content, i, part)
    {
        json_t *type = json_object_get(part, "type");
        json_t *t = json_object_get(part, str_eq(type, "refusal") ? "refusal" : "text");
        if ((!str_eq(type, "text") && !str_eq(type, "refusal")) || !json_is_string(t)) {
            char f[96];
            snprintf(f, sizeof f, "%s[%zu]", field, i);
            seam_buf_free(&b);
            refuse(x, f, "only text parts are possible here");
            return NULL;
        }
        seam_buf_append(&b, json_string_value(t), json_string_length(t));
    }
    json_t *s = json_stringn(b.data ? b.data : "", b.len);
    seam_buf_free(&b);
    return s;
}

static const char *ext_mime(const char *url)
{
    static const char *const map[][2] = {
        {"png", "image/png"},       {"jpg", "image/jpeg"},  {"jpeg", "image/jpeg"},
        {"webp", "image/webp"},     {"heic", "image/heic"}, {"heif", "image/heif"},
        {"pdf", "application/pdf"},
    };
    const char *host = strstr(url, "://");
    const char *path = host ? strchr(host + 3, '/') : url;
    if (!path) return NULL;
    size_t n = strcspn(path, "?#");
    const char *dot = NULL;
    for (size_t i = 0; i < n; i++) {
        if (path[i] == '.') dot = path + i + 1;
        if (path[i] == '/') dot = NULL;
    }
    if (!dot) return NULL;
    size_t elen = (size_t)(path + n - dot);
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strlen(map[i][0]) == elen && strncasecmp(dot, map[i][0], elen) == 0) return map[i][1];
    return NULL;
}

/* {"inlineData":...} from a base64 data: URL, or NULL after a refusal. */
static json_t *data_url_part(xl *x, const char *url, const char *field)
{
    const char *comma = strchr(url, ',');
    if (strncmp(url, "data:", 5) != 0 || !comma) {
        refuse(x, field, "not a data: URL");
        return NULL;
    }
    const char *meta = url + 5;
    size_t mlen = (size_t)(comma - meta);
    if (mlen < 7 || memcmp(comma - 7, ";base64", 7) != 0) {
        refuse(x, field, "only base64 data: URLs can be sent inline");
        return NULL;
    }
    size_t tlen = strcspn(meta, ";,");
    if (!tlen || !comma[1]) {
        refuse(x, field, "the data: URL has no media type or no data");
        return NULL;
    }
    return json_pack("{s:{s:s%,s:s}}", "inlineData", "mimeType", meta, tlen, "data", comma + 1);
}

/* One part of a user message; NULL after a refusal. */
static json_t *user_part(xl *x, json_t *part, const char *field)
{
    char f[128];
    json_t *type = json_object_get(part, "type");
    if (str_eq(type, "text")) {
        json_t *t = json_object_get(part, "text");
        if (!json_is_string(t)) {
            snprintf(f, sizeof f, "%s.text", field);
            refuse(x, f, "must be a string");
            return NULL;
        }
        return text_part(json_string_value(t), json_string_length(t));
    }
    if (str_eq(type, "image_url")) {
        json_t *iu = json_object_get(part, "image_url");
        const char *url = json_string_value(json_is_string(iu) ? iu : json_object_get(iu, "url"));
        snprintf(f, sizeof f, "%s.image_url.url", field);
        if (!url) {
            refuse(x, f, "must be a string");
            return NULL;
        }
        if (strncmp(url, "data:", 5) == 0) return data_url_part(x, url, f);
        if (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0) {
            const char *mime = ext_mime(url);
            if (!mime || strncmp(mime, "image/", 6) != 0) {
                refuse(x, f, "the image type cannot be told from the URL; send a data: URL");
                return NULL;
            }
            return json_pack("{s:{s:s,s:s}}", "fileData", "mimeType", mime, "fileUri", url);
        }
        refuse(x, f, "must be an http(s) or data: URL");
        return NULL;
    }
    if (str_eq(type, "input_audio")) {
        json_t *a = json_object_get(part, "input_audio");
        const char *data = json_string_value(json_object_get(a, "data"));
        json_t *fmt = json_object_get(a, "format");
        const char *mime = str_eq(fmt, "wav")   ? "audio/wav"
                           : str_eq(fmt, "mp3") ? "audio/mp3"
                                                : NULL;
        snprintf(f, sizeof f, "%s.input_audio", field);
        if (!data || !mime) {
            refuse(x, f, "needs base64 data and format wav or mp3");
            return NULL;
        }
        return json_pack("{s:{s:s,s:s}}", "inlineData", "mimeType", mime, "data", data);
    }
    if (str_eq(type, "file")) {
        json_t *file = json_object_get(part, "file");
        const char *data = json_string_value(json_object_get(file, "file_data"));
        const char *name = json_string_value(json_object_get(file, "filename"));
        snprintf(f, sizeof f, "%s.file", field);
        if (!data) {
            refuse(x, f, "only file_data can be sent to Gemini (a file_id means nothing there)");
            return NULL;
        }
        if (strncmp(data, "data:", 5) == 0) return data_url_part(x, data, f);
        const char *mime = name ? ext_mime(name) : NULL;
        if (!mime) {
            refuse(x, f, "send file_data as a data: URL so its type is known");
            return NULL;
        }
        return json_pack("{s:{s:s,s:s}}", "inlineData", "mimeType", mime, "data", data);
    }
    snprintf(f, sizeof f, "%s.type", field);
    refuse(x, f, "part type '%.32s' has no Gemini equivalent",
           json_is_string(type) ? json_string_value(type) : "?");
    return NULL;
}

/* Does the model name a Gemini 3 or later, which demands thought signatures? */
static int wants_signatures(const char *model)
{
    if (strncmp(model, "models/", 7) == 0) model += 7;
    if (strncmp(model, "gemini-", 7) != 0) return 0;
    char *end;
    long major = strtol(model + 7, &end, 10);
    return end != model + 7 && major >= 3;
}

/* The function a tool result answers: the name of the earlier assistant tool
 * call with this id, else the name inside an id we made. */
static const char *call_name(json_t *messages, size_t before, const char *id)
{
    for (size_t k = before; k-- > 0;) {
        json_t *m = json_array_get(messages, k);
        if (!str_eq(json_object_get(m, "role"), "assistant")) continue;
        size_t j;
        json_t *tc;
        json_array_foreach(json_object_get(m, "tool_calls"), j, tc)
        {
            if (str_eq(json_object_get(tc, "id"), id)) {
                json_t *name = json_object_get(json_object_get(tc, "function"), "name");
                if (json_is_string(name)) return json_string_value(name);
            }
        }
    }
    if (strncmp(id, "call_", 5) == 0) {
        const char *p = id + 5;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p > id + 5 && *p == '_' && p[1]) return p + 1;
    }
    return NULL;
}

static int assistant_message(xl *x, json_t *m, size_t i, json_t *contents)
{
    char f[128];
    json_t *audio = member(m, "audio");
    if (audio) {
        snprintf(f, sizeof f, "messages[%zu].audio", i);
        return refuse(x, f, "audio replies cannot be replayed to Gemini");
    }
    json_t *content = member(m, "content");
    if (content) {
        snprintf(f, sizeof f, "messages[%zu].content", i);
        json_t *t = content_text(x, content, f);
        if (!t) return -1;
        if (json_string_length(t)) {
            if (add_part(contents, "model", json_pack("{s:o}", "text", t))) return -1;
        } else {
            json_decref(t);
        }
    }
    json_t *refusal = member(m, "refusal");
    if (json_is_string(refusal) && json_string_length(refusal) && !content &&
        add_part(contents, "model", json_pack("{s:O}", "text", refusal)))
        return -1;
    json_t *calls = member(m, "tool_calls");
    if (calls && !json_is_array(calls)) {
        snprintf(f, sizeof f, "messages[%zu].tool_calls", i);
        return refuse(x, f, "must be an array");
    }
    size_t j;
    json_t *tc;
    json_array_foreach(calls, j, tc)
    {
        json_t *fn = json_object_get(tc, "function");
        json_t *name = json_object_get(fn, "name");
        json_t *type = member(tc, "type");
        snprintf(f, sizeof f, "messages[%zu].tool_calls[%zu]", i, j);
        if ((type && !str_eq(type, "function")) || !json_is_string(name))
            return refuse(x, f, "only function calls with a name can be replayed");
        const char *a = json_string_value(json_object_get(fn, "arguments"));
        json_t *args;
        if (!a || !a[strspn(a, " \t\r\n")]) {
            args = json_object();
        } else {
            args = json_loads(a, 0, NULL);
            if (!json_is_object(args)) {
                json_decref(args);
                snprintf(f, sizeof f, "messages[%zu].tool_calls[%zu].function.arguments", i, j);
                return refuse(x, f, "must be a JSON object for Gemini");
            }
        }
        json_t *part = json_pack("{s:{s:O,s:o}}", "functionCall", "name", name, "args", args);
        json_t *sig = json_object_get(
            json_object_get(json_object_get(tc, "extra_content"), "google"), "thought_signature");
        if (part && json_is_string(sig)) json_object_set(part, "thoughtSignature", sig);
        if (add_part(contents, "model", part)) return -1;
    }
    return 0;
}

static int tool_message(xl *x, json_t *messages, json_t *m, size_t i, json_t *contents)
{
    char f[128];
    const char *id = json_string_value(json_object_get(m, "tool_call_id"));
    snprintf(f, sizeof f, "messages[%zu].tool_call_id", i);
    if (!id) return refuse(x, f, "must be a string");
    const char *name = call_name(messages, i, id);
    if (!name) return refuse(x, f, "no earlier assistant tool call has this id");
    snprintf(f, sizeof f, "messages[%zu].content", i);
    json_t *t = content_text(x, json_object_get(m, "content"), f);
    if (!t) return -1;
    json_t *parsed = json_loadb(json_string_value(t), json_string_length(t), 0, NULL);
    json_t *value = t;
    if (json_is_object(parsed)) {
        value = parsed;
        json_decref(t);
    } else {
        json_decref(parsed);
    }
    return add_part(contents, "user",
                    json_pack("{s:{s:s,s:{s:o}}}", "functionResponse", "name", name, "response",
                              "content", value));
}

/* messages -> contents and systemInstruction. */
static int messages_to_contents(xl *x, json_t *messages, json_t *g)
{
    if (!json_is_array(messages) || !json_array_size(messages))
        return refuse(x, "messages", "must be a non-empty array");
    json_t *contents = json_array();
    json_t *system = json_array();
    json_object_set_new(g, "contents", contents);
    char f[96];
    size_t i;
    json_t *m;
    json_array_foreach(messages, i, m)
    {
        json_t *role = json_object_get(m, "role");
        snprintf(f, sizeof f, "messages[%zu].content", i);
        json_t *content = member(m, "content");
        if (str_eq(role, "system") || str_eq(role, "developer")) {
            json_t *t = content_text(x, content, f);
            if (!t) goto fail;
            if (json_string_length(t))
                json_array_append_new(system, json_pack("{s:o}", "text", t));
            else
                json_decref(t);
        } else if (str_eq(role, "user")) {
            if (json_is_string(content)) {
                if (json_string_length(content) &&
                    add_part(contents, "user", json_pack("{s:O}", "text", content)))
                    goto fail;
            } else if (json_is_array(content)) {
                size_t j;
                json_t *part;
                json_array_foreach(content, j, part)
                {
                    char pf[96];
                    snprintf(pf, sizeof pf, "messages[%zu].content[%zu]", i, j);
                    json_t *gp = user_part(x, part, pf);
                    if (!gp || add_part(contents, "user", gp)) goto fail;
                }
            } else {
                refuse(x, f, "must be a string or an array of parts");
                goto fail;
            }
        } else if (str_eq(role, "assistant")) {
            if (assistant_message(x, m, i, contents)) goto fail;
        } else if (str_eq(role, "tool")) {
            if (tool_message(x, messages, m, i, contents)) goto fail;
        } else {
            snprintf(f, sizeof f, "messages[%zu].role", i);
            refuse(x, f, "role '%.24s' has no Gemini equivalent (use tool messages)",
                   json_is_string(role) ? json_string_value(role) : "?");
            goto fail;
        }
    }
    if (!json_array_size(contents)) {
        refuse(x, "messages", "Gemini needs at least one user or assistant message with content");
        goto fail;
    }
    if (wants_signatures(x->req->model)) {
        json_t *c;
        json_array_foreach(contents, i, c)
        {
            size_t j;
            json_t *part;
            json_array_foreach(json_object_get(c, "parts"), j, part)
            {
                if (!json_object_get(part, "functionCall")) continue;
                if (!json_object_get(part, "thoughtSignature"))
                    json_object_set_new(part, "thoughtSignature", json_string(SKIP_SIGNATURE));
                break; /* only a turn's first call carries one */
            }
        }
    }
    if (json_array_size(system))
        json_object_set_new(g, "systemInstruction", json_pack("{s:o}", "parts", system));
    else
        json_decref(system);
    return 0;
fail:
    json_decref(system);
    return -1;
}

/* -- tools -- */

static int name_listed(json_t *names, const char *name)
{
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n)
    {
        if (str_eq(n, name)) return 1;
    }
    return 0;
}

static int tools_to_gemini(xl *x, json_t *root, json_t *g)
{
    json_t *tools = member(root, "tools");
    json_t *choice = member(root, "tool_choice");
    json_t *ptc = member(root, "parallel_tool_calls");
    if (ptc && !json_is_boolean(ptc)) return refuse(x, "parallel_tool_calls", "must be a boolean");
    if (json_is_false(ptc))
        return refuse(x, "parallel_tool_calls",
                      "Gemini cannot be kept from calling several functions at once");
    if (tools && !json_is_array(tools)) return refuse(x, "tools", "must be an array");

    const char *mode = NULL;
    json_t *allowed = NULL; /* names for allowedFunctionNames (mode ANY) */
    json_t *only = NULL;    /* names the declarations are narrowed to (mode AUTO) */
    if (json_is_string(choice)) {
        const char *c = json_string_value(choice);
        mode = strcmp(c, "auto") == 0       ? "AUTO"
               : strcmp(c, "none") == 0     ? "NONE"
               : strcmp(c, "required") == 0 ? "ANY"
                                            : NULL;
        if (!mode) return refuse(x, "tool_choice", "must be auto, none, required or an object");
    } else if (json_is_object(choice)) {
        json_t *type = json_object_get(choice, "type");
        if (str_eq(type, "function")) {
            json_t *name = json_object_get(json_object_get(choice, "function"), "name");
            if (!json_is_string(name))
                return refuse(x, "tool_choice.function.name", "must be a string");
            mode = "ANY";
            allowed = json_pack("[O]", name);
        } else if (str_eq(type, "allowed_tools")) {
            json_t *at = json_object_get(choice, "allowed_tools");
            json_t *am = json_object_get(at, "mode");
            json_t *names = json_array();
            size_t i;
            json_t *t;
            json_array_foreach(json_object_get(at, "tools"), i, t)
            {
                json_t *name = json_object_get(json_object_get(t, "function"), "name");
                if (!str_eq(json_object_get(t, "type"), "function") || !json_is_string(name)) {
                    json_decref(names);
                    return refuse(x, "tool_choice.allowed_tools.tools",
                                  "only function tools can be allowed");
                }
                json_array_append(names, name);
            }
            if (str_eq(am, "required")) {
                mode = "ANY";
                allowed = names;
            } else if (str_eq(am, "auto")) {
                mode = "AUTO";
                only = names;
            } else {
                json_decref(names);
                return refuse(x, "tool_choice.allowed_tools.mode", "must be auto or required");
            }
        } else {
            return refuse(x, "tool_choice.type", "only function choices can be translated");
        }
    } else if (choice) {
        return refuse(x, "tool_choice", "must be a string or an object");
    }

    json_t *decls = json_array();
    size_t i;
    json_t *t;
    char f[96];
    json_array_foreach(tools, i, t)
    {
        json_t *fn = json_object_get(t, "function");
        json_t *name = json_object_get(fn, "name");
        snprintf(f, sizeof f, "tools[%zu].type", i);
        if (!str_eq(json_object_get(t, "type"), "function")) {
            refuse(x, f, "only function tools can be translated to Gemini");
            goto fail;
        }
        snprintf(f, sizeof f, "tools[%zu].function.name", i);
        if (!json_is_string(name)) {
            refuse(x, f, "must be a string");
            goto fail;
        }
        if (only && !name_listed(only, json_string_value(name))) continue;
        json_t *d = json_pack("{s:O}", "name", name);
        json_array_append_new(decls, d);
        json_t *desc = member(fn, "description");
        if (json_is_string(desc)) json_object_set(d, "description", desc);
        json_t *params = member(fn, "parameters");
        if (params) {
            snprintf(f, sizeof f, "tools[%zu].function.parameters", i);
            json_t *gs = convert_schema(x, params, f, 0);
            if (!gs) goto fail;
            if (json_object_get(gs, "properties")) /* Gemini rejects an empty OBJECT */
                json_object_set_new(d, "parameters", gs);
            else
                json_decref(gs);
        }
    }
    if (allowed) {
        size_t k;
        json_t *n;
        json_array_foreach(allowed, k, n)
        {
            int found = 0;
            size_t j;
            json_t *d;
            json_array_foreach(decls, j, d)
            {
                found |= json_equal(json_object_get(d, "name"), n);
            }
            if (!found) {
                refuse(x, "tool_choice", "names a function that is not in tools");
                goto fail;
            }
        }
    }
    if (json_array_size(decls)) {
        json_object_set_new(g, "tools", json_pack("[{s:O}]", "functionDeclarations", decls));
        if (mode) {
            json_t *fcc = json_pack("{s:s}", "mode", mode);
            if (allowed) json_object_set(fcc, "allowedFunctionNames", allowed);
            json_object_set_new(g, "toolConfig", json_pack("{s:o}", "functionCallingConfig", fcc));
        }
    } else if (mode && strcmp(mode, "ANY") == 0) {
        refuse(x, "tool_choice", "asks for a tool call but no tools are given");
        goto fail;
    }
    json_decref(decls);
    json_decref(allowed);
    json_decref(only);
    return 0;
fail:
    json_decref(decls);
    json_decref(allowed);
    json_decref(only);
    return -1;
}

/* -- generationConfig -- */

static int number_field(xl *x, json_t *root, const char *key, json_t *gc, const char *gkey,
                        int integer, int skip_zero)
{
    json_t *v = member(root, key);
    if (!v) return 0;
    if (integer ? !json_is_integer(v) : !json_is_number(v))
        return refuse(x, key, integer ? "must be an integer" : "must be a number");
    if (skip_zero && json_number_value(v) == 0) return 0;
    return json_object_set(gc, gkey, v);
}

static int generation_config(xl *x, json_t *root, json_t *g)
{
    json_t *gc = json_object();
    json_object_set_new(g, "generationConfig", gc);
    if (number_field(x, root, "temperature", gc, "temperature", 0, 0) ||
        number_field(x, root, "top_p", gc, "topP", 0, 0))
        return -1;
    const char *mt = member(root, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
    if (number_field(x, root, mt, gc, "maxOutputTokens", 1, 0)) return -1;

    json_t *stop = member(root, "stop");
    if (json_is_string(stop)) {
        json_object_set_new(gc, "stopSequences", json_pack("[O]", stop));
    } else if (json_is_array(stop)) {
        size_t i;
        json_t *s;
        json_array_foreach(stop, i, s)
        {
            if (!json_is_string(s)) return refuse(x, "stop", "must be a string or strings");
        }
        if (json_array_size(stop)) json_object_set(gc, "stopSequences", stop);
    } else if (stop) {
        return refuse(x, "stop", "must be a string or an array of strings");
    }

    json_t *n = member(root, "n");
    if (n) {
        if (!json_is_integer(n) || json_integer_value(n) < 1)
            return refuse(x, "n", "must be an integer of at least 1");
        if (json_integer_value(n) > MAX_CANDIDATES)
            return refuse(x, "n", "Gemini returns at most %d candidates", MAX_CANDIDATES);
        if (json_integer_value(n) > 1) json_object_set(gc, "candidateCount", n);
    }
    if (number_field(x, root, "seed", gc, "seed", 1, 0) ||
        number_field(x, root, "presence_penalty", gc, "presencePenalty", 0, 1) ||
        number_field(x, root, "frequency_penalty", gc, "frequencyPenalty", 0, 1))
        return -1;

    json_t *rf = member(root, "response_format");
    if (rf) {
        json_t *type = json_object_get(rf, "type");
        if (str_eq(type, "json_object")) {
            json_object_set_new(gc, "responseMimeType", json_string("application/json"));
        } else if (str_eq(type, "json_schema")) {
            json_t *s = json_object_get(json_object_get(rf, "json_schema"), "schema");
            json_object_set_new(gc, "responseMimeType", json_string("application/json"));
            if (s) {
                json_t *gs = convert_schema(x, s, "response_format.json_schema.schema", 1);
                if (!gs) return -1;
                json_object_set_new(gc, "responseSchema", gs);
            }
        } else if (!str_eq(type, "text")) {
            return refuse(x, "response_format.type", "must be text, json_object or json_schema");
        }
    }

    json_t *effort = member(root, "reasoning_effort");
    if (effort) {
        /* the budgets Google's own OpenAI endpoint uses for these levels */
        static const struct {
            const char *level;
            int budget;
        } budgets[] = {
            {"none", 0}, {"minimal", 1024}, {"low", 1024}, {"medium", 8192}, {"high", 24576}};
        int budget = -1;
        for (size_t i = 0; i < sizeof budgets / sizeof budgets[0]; i++)
            if (str_eq(effort, budgets[i].level)) budget = budgets[i].budget;
        if (budget < 0)
            return refuse(x, "reasoning_effort", "must be none, minimal, low, medium or high");
        json_object_set_new(gc, "thinkingConfig", json_pack("{s:i}", "thinkingBudget", budget));
    }
    if (!json_object_size(gc)) json_object_del(g, "generationConfig");
    return 0;
}

/* Top-level members: translated, dropped on purpose, or refused. */
static int check_chat_members(xl *x, json_t *root)
{
    static const char *const known[] = {
        "model",
        "messages",
        "stream",
        "stream_options",
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "n",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "response_format",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "reasoning_effort",
        /* dropped: no effect on the answer */
        "user",
        "metadata",
        "store",
        "service_tier",
        "safety_identifier",
        "prompt_cache_key",
        "prediction",
    };
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        int ok = json_is_null(v);
        for (size_t i = 0; !ok && i < sizeof known / sizeof known[0]; i++)
            ok = strcmp(key, known[i]) == 0;
        if (ok) continue;
        char f[64];
        snprintf(f, sizeof f, "%.60s", key);
        if (strcmp(key, "logprobs") == 0) {
            if (json_is_false(v)) continue;
            return refuse(x, f, "Gemini's API here returns no token log probabilities");
        }
        if (strcmp(key, "top_logprobs") == 0)
            return refuse(x, f, "Gemini's API here returns no token log probabilities");
        if (strcmp(key, "logit_bias") == 0) {
            if (json_is_object(v) && !json_object_size(v)) continue;
            return refuse(x, f, "Gemini has no logit bias");
        }
        if (strcmp(key, "modalities") == 0) {
            size_t i;
            json_t *m;
            json_array_foreach(v, i, m)
            {
                if (!str_eq(m, "text")) return refuse(x, f, "only text output is translated");
            }
            if (json_is_array(v)) continue;
            return refuse(x, f, "must be an array");
        }
        if (strcmp(key, "audio") == 0) return refuse(x, f, "audio output is not translated");
        if (strcmp(key, "functions") == 0 || strcmp(key, "function_call") == 0)
            return refuse(x, f, "the legacy functions API is not translated; use tools");
        return refuse(x, f, "not translated to Gemini, and dropping it could change the answer");
    }
    return 0;
}

static int build_chat(xl *x, json_t *root, gemini_state *st, json_t *g)
{
    if (check_chat_members(x, root)) return -1;
    st->include_usage =
        json_is_true(json_object_get(json_object_get(root, "stream_options"), "include_usage"));
    if (messages_to_contents(x, json_object_get(root, "messages"), g)) return -1;
    if (tools_to_gemini(x, root, g)) return -1;
    return generation_config(x, root, g);
}

static int build_embeddings(xl *x, json_t *root, gemini_state *st, const char *resource, json_t *g)
{
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if (json_is_null(v) || strcmp(key, "model") == 0 || strcmp(key, "input") == 0 ||
            strcmp(key, "dimensions") == 0 || strcmp(key, "encoding_format") == 0 ||
            strcmp(key, "user") == 0)
            continue;
        char f[64];
        snprintf(f, sizeof f, "%.60s", key);
        return refuse(x, f, "not translated to Gemini");
    }
    json_t *input = json_object_get(root, "input");
    json_t *one = json_is_string(input) ? json_pack("[O]", input) : NULL;
    json_t *list = one ? one : input;
    int rc = -1;
    if (!json_is_array(list) || !json_array_size(list)) {
        refuse(x, "input", "must be a string or a non-empty array of strings");
        goto done;
    }
    if (json_array_size(list) > MAX_EMBED_INPUTS) {
        refuse(x, "input", "Gemini embeds at most %d inputs per request", MAX_EMBED_INPUTS);
        goto done;
    }
    json_t *dims = member(root, "dimensions");
    if (dims && (!json_is_integer(dims) || json_integer_value(dims) < 1)) {
        refuse(x, "dimensions", "must be a positive integer");
        goto done;
    }
    json_t *fmt = member(root, "encoding_format");
    if (fmt && !str_eq(fmt, "float") && !str_eq(fmt, "base64")) {
        refuse(x, "encoding_format", "must be float or base64");
        goto done;
    }
    st->base64 = str_eq(fmt, "base64");
    json_t *requests = json_array();
    json_object_set_new(g, "requests", requests);
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        if (!json_is_string(item)) {
            refuse(x, "input", "Gemini embeds text only, not token arrays");
            goto done;
        }
        json_t *r =
            json_pack("{s:s,s:{s:[{s:O}]}}", "model", resource, "content", "parts", "text", item);
        if (r && dims) json_object_set(r, "outputDimensionality", dims);
        if (json_array_append_new(requests, r)) goto done;
    }
    st->ninputs = json_array_size(list);
    rc = 0;
done:
    json_decref(one);
    return rc;
}

/* "models/NAME" or "tunedModels/NAME" for a model name, or -1 when it holds
 * characters a URL path would need escaped. */
static int model_resource(const char *model, char *out, size_t outlen)
{
    const char *kind = "models";
    if (strncmp(model, "models/", 7) == 0) {
        model += 7;
    } else if (strncmp(model, "tunedModels/", 12) == 0) {
        model += 12;
        kind = "tunedModels";
    }
    size_t n = strlen(model);
    if (!n || n > MAX_MODEL ||
        strspn(model, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                      "0123456789._-") != n)
        return -1;
    snprintf(out, outlen, "%s/%s", kind, model);
    return 0;
}

static int build(const seam_provider *p, const seam_call_req *req, void *state,
                 seam_adapter_out *out)
{
    const gemini_provider *gp = (const gemini_provider *)p;
    gemini_state *st = state;
    xl x = {.p = p, .req = req};
    static uint64_t seq;
    uint64_t n = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
    st->created = (long long)time(NULL);
    /* fallback id when Gemini sends no responseId */
    snprintf(st->id, sizeof st->id, "chatcmpl-seam%llx%06llx", (unsigned long long)st->created,
             (unsigned long long)(n & 0xffffff));

    char resource[MAX_MODEL + 16];
    if (!req->model || model_resource(req->model, resource, sizeof resource))
        return refuse(&x, "model",
                      "Gemini model names may hold only letters, digits, '.', '_', '-'");

    json_t *root = json_loadb(req->body, req->body_len, 0, NULL);
    json_t *g = json_object();
    int rc = -1;
    if (!json_is_object(root)) {
        refuse(&x, "body", "must be a JSON object");
        goto done;
    }
    int chat = req->op != SEAM_OP_EMBEDDINGS;
    rc = chat ? build_chat(&x, root, st, g) : build_embeddings(&x, root, st, resource, g);
    if (rc) goto done;
    rc = -1;

    char path[MAX_MODEL + 256];
    const char *method = !chat         ? ":batchEmbedContents"
                         : req->stream ? ":streamGenerateContent?alt=sse"
                                       : ":generateContent";
    snprintf(path, sizeof path, "%s/%s%s", gp->prefix, resource, method);
    out->owned_target = seam_http_target_derive(gp->origin, path);
    if (!out->owned_target) goto done;
    out->target = out->owned_target;
    if (json_dump_callback(g, dump_cb, &out->body, JSON_COMPACT)) goto done;
    if ((gp->key && seam_adapter_header(out, "x-goog-api-key: %s", gp->key)) ||
        seam_adapter_header(out, "Content-Type: application/json") ||
        seam_adapter_header(out, "Accept: %s",
                            chat && req->stream ? "text/event-stream" : "application/json"))
        goto done;
    if (chat && req->stream) {
        seam_sse_reader_init(&st->sse, MAX_EVENT);
        st->sse_ready = 1;
    }
    rc = 0;
done:
    json_decref(root);
    json_decref(g);
    return rc;
}

/* ---- answers ---- */

typedef struct wr {
    seam_buf *b;
    int err;
} wr;

static void w_raw(wr *w, const char *s, size_t n)
{
    if (!w->err) w->err = seam_buf_append(w->b, s, n);
}

static void w_s(wr *w, const char *s)
{
    w_raw(w, s, strlen(s));
}

static void w_str(wr *w, const char *s, size_t n)
{
    w_raw(w, "\"", 1);
    if (!w->err) w->err = seam_buf_append_json_str(w->b, s, n);
    w_raw(w, "\"", 1);
}

static void w_jstr(wr *w, json_t *s)
{
    w_str(w, json_string_value(s), json_string_length(s));
}

static void w_num(wr *w, long long v)
{
    if (!w->err) w->err = seam_buf_printf(w->b, "%lld", v);
}

static const char *finish_reason(const char *r, int has_calls)
{
    static const char *const filtered[] = {"SAFETY",
                                           "RECITATION",
                                           "BLOCKLIST",
                                           "PROHIBITED_CONTENT",
                                           "SPII",
                                           "IMAGE_SAFETY",
                                           "IMAGE_PROHIBITED_CONTENT"};
    if (strcmp(r, "MAX_TOKENS") == 0) return "length";
    for (size_t i = 0; i < sizeof filtered / sizeof filtered[0]; i++)
        if (strcmp(r, filtered[i]) == 0) return "content_filter";
    return has_calls ? "tool_calls" : "stop";
}

/* Takes the responseId for the OpenAI id when it is plain enough to print. */
static void take_response_id(gemini_state *st, json_t *root)
{
    json_t *rid = json_object_get(root, "responseId");
    if (st->have_response_id || !json_is_string(rid)) return;
    const char *s = json_string_value(rid);
    size_t n = json_string_length(rid);
    if (!n || n > sizeof st->id - 10 ||
        strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") != n)
        return;
    snprintf(st->id, sizeof st->id, "chatcmpl-%s", s);
    st->have_response_id = 1;
}

static void put_usage(wr *w, json_t *um)
{
    long long prompt = count_of(um, "promptTokenCount") + count_of(um, "toolUsePromptTokenCount");
    long long thoughts = count_of(um, "thoughtsTokenCount");
    long long completion = count_of(um, "candidatesTokenCount") + thoughts;
    long long total = json_object_get(um, "totalTokenCount") ? count_of(um, "totalTokenCount")
                                                             : prompt + completion;
    w_s(w, "\"usage\":{\"prompt_tokens\":");
    w_num(w, prompt);
    w_s(w, ",\"completion_tokens\":");
    w_num(w, completion);
    w_s(w, ",\"total_tokens\":");
    w_num(w, total);
    w_s(w, ",\"prompt_tokens_details\":{\"cached_tokens\":");
    w_num(w, count_of(um, "cachedContentTokenCount"));
    w_s(w, "},\"completion_tokens_details\":{\"reasoning_tokens\":");
    w_num(w, thoughts);
    w_s(w, "}}");
}

/* Is this a part the client should see as text (not a thought summary)? */
static json_t *visible_text(json_t *part)
{
    json_t *t = json_object_get(part, "text");
    return json_is_string(t) && !json_is_true(json_object_get(part, "thought")) ? t : NULL;
}

/* One tool call; index >= 0 adds the stream's "index". */
static void put_tool_call(wr *w, json_t *part, int k, int index)
{
    json_t *fc = json_object_get(part, "functionCall");
    json_t *name = json_object_get(fc, "name");
    json_t *args = json_object_get(fc, "args");
    const char *nm = json_is_string(name) ? json_string_value(name) : "";
    w_s(w, "{");
    if (index >= 0) {
        w_s(w, "\"index\":");
        w_num(w, index);
        w_s(w, ",");
    }
    char id[96];
    int idn = snprintf(id, sizeof id, "call_%d_%s", k, nm);
    w_s(w, "\"id\":");
    w_str(w, id, idn < (int)sizeof id ? (size_t)idn : sizeof id - 1);
    w_s(w, ",\"type\":\"function\",\"function\":{\"name\":");
    w_str(w, nm, strlen(nm));
    w_s(w, ",\"arguments\":");
    char *a = json_is_object(args) ? json_dumps(args, JSON_COMPACT) : NULL;
    if (a)
        w_str(w, a, strlen(a));
    else
        w_s(w, "\"{}\"");
    free(a);
    w_s(w, "}");
    json_t *sig = json_object_get(part, "thoughtSignature");
    if (json_is_string(sig)) {
        w_s(w, ",\"extra_content\":{\"google\":{\"thought_signature\":");
        w_jstr(w, sig);
        w_s(w, "}}");
    }
    w_s(w, "}");
}

static int candidate_index(json_t *cand, size_t pos)
{
    json_t *i = json_object_get(cand, "index");
    return json_is_integer(i) ? (int)json_integer_value(i) : (int)pos;
}

static int chat_response(gemini_state *st, const seam_call_req *req, json_t *root, seam_buf *out)
{
    wr w = {out, 0};
    take_response_id(st, root);
    w_s(&w, "{\"id\":");
    w_str(&w, st->id, strlen(st->id));
    w_s(&w, ",\"object\":\"chat.completion\",\"created\":");
    w_num(&w, st->created);
    w_s(&w, ",\"model\":");
    w_str(&w, req->model, strlen(req->model));
    w_s(&w, ",\"choices\":[");
    json_t *cands = json_object_get(root, "candidates");
    size_t i;
    json_t *cand;
    json_array_foreach(cands, i, cand)
    {
        json_t *parts = json_object_get(json_object_get(cand, "content"), "parts");
        size_t j;
        json_t *part;
        int ntext = 0, ncalls = 0;
        if (i) w_s(&w, ",");
        w_s(&w, "{\"index\":");
        w_num(&w, candidate_index(cand, i));
        w_s(&w, ",\"message\":{\"role\":\"assistant\",\"content\":");
        json_array_foreach(parts, j, part)
        {
            json_t *t = visible_text(part);
            if (t) {
                if (!ntext++) w_s(&w, "\"");
                if (!w.err)
                    w.err =
                        seam_buf_append_json_str(out, json_string_value(t), json_string_length(t));
            }
            if (json_is_object(json_object_get(part, "functionCall"))) ncalls++;
        }
        w_s(&w, ntext ? "\"" : ncalls ? "null" : "\"\"");
        w_s(&w, ",\"refusal\":null");
        if (ncalls) {
            int k = 0;
            w_s(&w, ",\"tool_calls\":[");
            json_array_foreach(parts, j, part)
            {
                if (!json_is_object(json_object_get(part, "functionCall"))) continue;
                if (k) w_s(&w, ",");
                put_tool_call(&w, part, k++, -1);
            }
            w_s(&w, "]");
        }
        json_t *fr = json_object_get(cand, "finishReason");
        w_s(&w, "},\"logprobs\":null,\"finish_reason\":\"");
        w_s(&w, finish_reason(json_is_string(fr) ? json_string_value(fr) : "STOP", ncalls > 0));
        w_s(&w, "\"}");
    }
    if (!json_array_size(cands)) {
        /* the prompt itself was blocked (promptFeedback.blockReason) */
        int blocked =
            json_is_string(json_object_get(json_object_get(root, "promptFeedback"), "blockReason"));
        w_s(&w, "{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,"
                "\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"");
        w_s(&w, blocked ? "content_filter" : "stop");
        w_s(&w, "\"}");
    }
    w_s(&w, "]");
    json_t *um = json_object_get(root, "usageMetadata");
    if (json_is_object(um)) {
        w_s(&w, ",");
        put_usage(&w, um);
    }
    w_s(&w, "}");
    return w.err ? -1 : 0;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* A float32 vector as OpenAI's base64 (little-endian floats). */
static void put_base64_floats(wr *w, json_t *values)
{
    size_t n = json_array_size(values);
    unsigned char tri[3];
    size_t have = 0;
    w_s(w, "\"");
    for (size_t i = 0; i < n; i++) {
        float f = (float)json_number_value(json_array_get(values, i));
        uint32_t bits;
        memcpy(&bits, &f, 4);
        for (int k = 0; k < 4; k++) {
            tri[have++] = (unsigned char)(bits >> (8 * k));
            if (have == 3) {
                char q[4] = {b64[tri[0] >> 2], b64[((tri[0] & 3) << 4) | (tri[1] >> 4)],
                             b64[((tri[1] & 15) << 2) | (tri[2] >> 6)], b64[tri[2] & 63]};
                w_raw(w, q, 4);
                have = 0;
            }
        }
    }
    if (have) {
        if (have == 1) tri[1] = 0;
        char q[4] = {b64[tri[0] >> 2], b64[((tri[0] & 3) << 4) | (tri[1] >> 4)],
                     have == 2 ? b64[(tri[1] & 15) << 2] : '=', '='};
        w_raw(w, q, 4);
    }
    w_s(w, "\"");
}

static int embeddings_response(gemini_state *st, const seam_call_req *req, json_t *root,
                               seam_buf *out)
{
    json_t *embs = json_object_get(root, "embeddings");
    if (!json_is_array(embs) || json_array_size(embs) != st->ninputs) return -1;
    wr w = {out, 0};
    w_s(&w, "{\"object\":\"list\",\"data\":[");
    size_t i;
    json_t *e;
    json_array_foreach(embs, i, e)
    {
        json_t *values = json_object_get(e, "values");
        if (!json_is_array(values)) return -1;
        if (i) w_s(&w, ",");
        w_s(&w, "{\"object\":\"embedding\",\"index\":");
        w_num(&w, (long long)i);
        w_s(&w, ",\"embedding\":");
        if (st->base64) {
            put_base64_floats(&w, values);
        } else {
            size_t j;
            json_t *v;
            w_s(&w, "[");
            json_array_foreach(values, j, v)
            {
                if (!json_is_number(v)) return -1;
                if (!w.err)
                    w.err = seam_buf_printf(out, j ? ",%.9g" : "%.9g", json_number_value(v));
            }
            w_s(&w, "]");
        }
        w_s(&w, "}");
    }
    /* batchEmbedContents reports no token counts: 0 says "the vendor sent none"
     * rather than a guess; a usageMetadata, should one appear, is used. */
    long long tokens = count_of(json_object_get(root, "usageMetadata"), "promptTokenCount");
    w_s(&w, "],\"model\":");
    w_str(&w, req->model, strlen(req->model));
    w_s(&w, ",\"usage\":{\"prompt_tokens\":");
    w_num(&w, tokens);
    w_s(&w, ",\"total_tokens\":");
    w_num(&w, tokens);
    w_s(&w, "}}");
    return w.err ? -1 : 0;
}

static int response(void *state, const seam_call_req *req, const char *p, size_t n, seam_buf *out)
{
    json_t *root = json_loadb(p, n, 0, NULL);
    int rc = -1;
    if (json_is_object(root))
        rc = req->op == SEAM_OP_EMBEDDINGS ? embeddings_response(state, req, root, out)
                                           : chat_response(state, req, root, out);
    json_decref(root);
    return rc;
}

/* ---- errors ---- */

/* Gemini's {"error":{"code","message","status","details"}} -> OpenAI's. */
static int put_error(wr *w, int status, json_t *err)
{
    json_t *msg = json_object_get(err, "message");
    json_t *st = json_object_get(err, "status");
    char type[64] = "";
    if (json_is_string(st) && json_string_length(st) < sizeof type) {
        const char *s = json_string_value(st);
        for (size_t i = 0; s[i]; i++)
            type[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
    } else {
        snprintf(type, sizeof type, "%s", seam_openai_error_type(status));
    }
    /* google.rpc.ErrorInfo's reason (e.g. API_KEY_INVALID) is the most specific code */
    const char *reason = NULL;
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(err, "details"), i, d)
    {
        json_t *r = json_object_get(d, "reason");
        if (json_is_string(r)) reason = json_string_value(r);
    }
    w_s(w, "{\"error\":{\"message\":");
    if (json_is_string(msg))
        w_jstr(w, msg);
    else
        w_s(w, "\"the provider reported an error without a message\"");
    w_s(w, ",\"type\":");
    w_str(w, type, strlen(type));
    w_s(w, ",\"param\":null,\"code\":");
    if (reason) {
        char code[64];
        size_t k = 0;
        for (; k < sizeof code - 1 && reason[k]; k++)
            code[k] = (char)((reason[k] >= 'A' && reason[k] <= 'Z') ? reason[k] + 32 : reason[k]);
        w_str(w, code, k);
    } else {
        w_s(w, "null");
    }
    w_s(w, "}}");
    return w->err;
}

static int error_body(int status, const char *p, size_t n, seam_buf *out)
{
    json_t *root = json_loadb(p, n, 0, NULL);
    json_t *err = json_object_get(root, "error");
    /* a list of one response is what streamGenerateContent without SSE sends */
    if (!err && json_is_array(root)) err = json_object_get(json_array_get(root, 0), "error");
    int rc;
    wr w = {out, 0};
    if (json_is_object(err)) {
        rc = put_error(&w, status, err);
    } else {
        char msg[160];
        snprintf(msg, sizeof msg, "the provider answered HTTP %d without a Gemini error body",
                 status);
        rc = seam_openai_error_json(out, status, "upstream_error", msg);
    }
    json_decref(root);
    return rc ? -1 : 0;
}

/* ---- streams ---- */

typedef struct stream_ctx {
    gemini_state *st;
    const seam_call_req *req;
    wr w;
} stream_ctx;

static void chunk_open(stream_ctx *c, int index)
{
    wr *w = &c->w;
    w_s(w, "data: {\"id\":");
    w_str(w, c->st->id, strlen(c->st->id));
    w_s(w, ",\"object\":\"chat.completion.chunk\",\"created\":");
    w_num(w, c->st->created);
    w_s(w, ",\"model\":");
    w_str(w, c->req->model, strlen(c->req->model));
    w_s(w, ",\"choices\":[{\"index\":");
    w_num(w, index);
    w_s(w, ",\"delta\":{");
    choice_state *cs = &c->st->choice[index];
    if (!cs->started) {
        w_s(w, "\"role\":\"assistant\"");
        cs->started = 1;
    }
}

/* Closes a chunk's delta; the delta's first member must be preceded by a
 * comma when the role came first — callers use sep(). */
static void chunk_close(stream_ctx *c, const char *finish)
{
    w_s(&c->w, "},\"logprobs\":null,\"finish_reason\":");
    if (finish) {
        w_s(&c->w, "\"");
        w_s(&c->w, finish);
        w_s(&c->w, "\"");
    } else {
        w_s(&c->w, "null");
    }
    w_s(&c->w, "}]}\n\n");
}

static void sep(stream_ctx *c)
{
    seam_buf *b = c->w.b;
    if (!c->w.err && b->len && b->data[b->len - 1] != '{') w_s(&c->w, ",");
}

static int stream_candidate(stream_ctx *c, json_t *cand, size_t pos)
{
    int index = candidate_index(cand, pos);
    if (index < 0 || index >= MAX_CANDIDATES) return -1;
    choice_state *cs = &c->st->choice[index];
    if (cs->finished) return 0; /* nothing may follow a finish_reason */
    json_t *parts = json_object_get(json_object_get(cand, "content"), "parts");
    size_t j;
    json_t *part;
    int ntext = 0, ncalls = 0;
    json_array_foreach(parts, j, part)
    {
        json_t *t = visible_text(part);
        if (t && json_string_length(t)) ntext++;
        if (json_is_object(json_object_get(part, "functionCall"))) ncalls++;
    }
    json_t *fr = json_object_get(cand, "finishReason");
    if (ntext || ncalls) {
        chunk_open(c, index);
        if (ntext) {
            sep(c);
            w_s(&c->w, "\"content\":\"");
            json_array_foreach(parts, j, part)
            {
                json_t *t = visible_text(part);
                if (t && !c->w.err)
                    c->w.err = seam_buf_append_json_str(c->w.b, json_string_value(t),
                                                        json_string_length(t));
            }
            w_s(&c->w, "\"");
        } else {
            sep(c);
            w_s(&c->w, "\"content\":null");
        }
        if (ncalls) {
            w_s(&c->w, ",\"tool_calls\":[");
            int first = 1;
            json_array_foreach(parts, j, part)
            {
                if (!json_is_object(json_object_get(part, "functionCall"))) continue;
                if (!first) w_s(&c->w, ",");
                first = 0;
                put_tool_call(&c->w, part, cs->ncalls, cs->ncalls);
                cs->ncalls++;
            }
            w_s(&c->w, "]");
        }
        chunk_close(c, NULL);
    }
    if (json_is_string(fr)) {
        chunk_open(c, index);
        chunk_close(c, finish_reason(json_string_value(fr), cs->ncalls > 0));
        cs->finished = 1;
    }
    return 0;
}

static int on_event(void *ud, const seam_sse_event *ev)
{
    stream_ctx *c = ud;
    gemini_state *st = c->st;
    if (!ev->data || st->failed) return 0;
    json_t *root = json_loadb(ev->data, ev->data_len, 0, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        return 1; /* not what streamGenerateContent sends */
    }
    int rc = 0;
    json_t *err = json_object_get(root, "error");
    if (json_is_object(err)) {
        json_t *code = json_object_get(err, "code");
        w_s(&c->w, "data: ");
        put_error(&c->w, json_is_integer(code) ? (int)json_integer_value(code) : 500, err);
        w_s(&c->w, "\n\n");
        st->failed = 1;
        goto done;
    }
    take_response_id(st, root);
    json_t *um = json_object_get(root, "usageMetadata");
    if (json_is_object(um)) {
        json_decref(st->usage);
        st->usage = json_incref(um);
    }
    json_t *cands = json_object_get(root, "candidates");
    size_t i;
    json_t *cand;
    json_array_foreach(cands, i, cand)
    {
        if (stream_candidate(c, cand, i)) {
            rc = 1;
            goto done;
        }
    }
    json_t *block = json_object_get(json_object_get(root, "promptFeedback"), "blockReason");
    if (!json_array_size(cands) && json_is_string(block) && !st->choice[0].finished) {
        chunk_open(c, 0);
        chunk_close(c, "content_filter");
        st->choice[0].finished = 1;
    }
done:
    json_decref(root);
    return c->w.err ? 1 : rc;
}

static int stream(void *state, const seam_call_req *req, const char *p, size_t n, seam_buf *out)
{
    stream_ctx c = {state, req, {out, 0}};
    return seam_sse_feed(&c.st->sse, p, n, on_event, &c) ? -1 : 0;
}

static int stream_end(void *state, const seam_call_req *req, seam_buf *out)
{
    gemini_state *st = state;
    stream_ctx c = {st, req, {out, 0}};
    if (seam_sse_finish(&st->sse, on_event, &c) != 0 || st->failed) return -1;
    int finished = 0;
    for (int i = 0; i < MAX_CANDIDATES; i++) {
        if (st->choice[i].started && !st->choice[i].finished) return -1; /* cut short */
        finished |= st->choice[i].finished;
    }
    if (!finished) return -1;
    if (st->include_usage && st->usage) {
        w_s(&c.w, "data: {\"id\":");
        w_str(&c.w, st->id, strlen(st->id));
        w_s(&c.w, ",\"object\":\"chat.completion.chunk\",\"created\":");
        w_num(&c.w, st->created);
        w_s(&c.w, ",\"model\":");
        w_str(&c.w, req->model, strlen(req->model));
        w_s(&c.w, ",\"choices\":[],");
        put_usage(&c.w, st->usage);
        w_s(&c.w, "}\n\n");
    }
    w_s(&c.w, "data: [DONE]\n\n");
    return c.w.err ? -1 : 0;
}

const seam_adapter_ops seam_gemini_ops = {
    .build = build,
    .state_size = sizeof(gemini_state),
    .state_free = state_free,
    .response = response,
    .stream = stream,
    .stream_end = stream_end,
    .error = error_body,
};

static seam_call *start(seam_provider *p, const seam_io *io, const seam_call_req *req,
                        const seam_call_cbs *cbs, void *ud)
{
    return seam_adapter_start(p, &seam_gemini_ops, io, req, cbs, ud);
}

const seam_provider_vt seam_provider_gemini = {
    .type = "gemini",
    .create = create,
    .start = start,
    .cancel = seam_adapter_cancel,
    .destroy = destroy,
};
