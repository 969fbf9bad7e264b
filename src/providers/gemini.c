/* gemini.c — provider type "gemini": Google's Generative Language API.
 *
 * The gateway speaks OpenAI's wire format; this adapter turns an OpenAI chat
 * or embeddings request into Gemini's generateContent /
 * streamGenerateContent?alt=sse / batchEmbedContents call, and Gemini's
 * answers back into chat.completion JSON, chat.completion.chunk events ending
 * in [DONE], an embeddings list, or an OpenAI error body.  adapter.c does the
 * HTTP; this file builds requests and gemini_response.c translates what
 * comes back.  Both parse a document once into a flat seam_jdoc and write
 * the other side's JSON straight into the output with seam_jw while walking
 * it: texts, numbers, data and schemas' values are copied as they were
 * written, still escaped; only the few strings that must be looked inside
 * (URLs, tool arguments and results, $ref, ids) are decoded.
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

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/json_doc.h"
#include "api/json_write.h"

#define MAX_MODEL        128
#define MAX_EMBED_INPUTS 100 /* batchEmbedContents takes at most 100 requests */
#define MAX_SCHEMA_DEPTH 32
#define MAX_LAYERS       (MAX_SCHEMA_DEPTH + 2) /* see sview */
#define SKIP_SIGNATURE   "skip_thought_signature_validator"

/* ---- the provider ---- */

typedef struct gemini_provider {
    seam_provider base;
    seam_http_target *origin;   /* base_url; each call derives its own path from it */
    char *prefix;               /* path before "/models/...", e.g. "/v1beta" */
    char *key_line;             /* "x-goog-api-key: KEY", or NULL without a key */
    const char *check_lines[3]; /* a health check's GET: credentials, Accept */
} gemini_provider;

static void destroy(seam_provider *p)
{
    gemini_provider *gp = (gemini_provider *)p;
    if (!gp) return;
    seam_http_target_free(gp->origin);
    free(gp->prefix);
    free(gp->key_line);
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
    gp->origin = seam_provider_target_new(conf, url, err, errlen);
    if (!gp->origin) goto fail;
    gp->prefix = version_prefix(url);
    if (!gp->prefix) goto nomem;
    if (conf->api_key) {
        /* a header line must not be split by the key */
        if (strpbrk(conf->api_key, "\r\n")) {
            snprintf(err, errlen, "api_key: must not contain a line break");
            goto fail;
        }
        if (asprintf(&gp->key_line, "x-goog-api-key: %s", conf->api_key) < 0) {
            gp->key_line = NULL;
            goto nomem;
        }
    }
    int n = 0;
    if (gp->key_line) gp->check_lines[n++] = gp->key_line;
    gp->check_lines[n++] = "Accept: application/json";
    *out = &gp->base;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
fail:
    destroy(gp ? &gp->base : NULL);
    return -1;
}

/* ---- strings of the parsed request ---- */

/* Two string nodes hold the same text (a key, an id, a function name). */
static int jstr_same(const seam_jdoc *d, seam_jv a, seam_jv b)
{
    if (!seam_jis(a, SEAM_JSTRING) || !seam_jis(b, SEAM_JSTRING)) return 0;
    if (!a->escaped && !b->escaped) /* the norm: the bytes tell */
        return a->len == b->len && memcmp(seam_jraw(d, a), seam_jraw(d, b), a->len) == 0;
    if (a->escaped && !b->escaped) {
        seam_jv t = a;
        a = b;
        b = t;
    }
    size_t len;
    const char *s = seam_jstr(d, a, &len);
    if (!a->escaped) return seam_jstr_eq_n(d, b, s, len);
    seam_buf dec;
    seam_buf_init(&dec, len + 1);
    int eq = seam_jstr_decode(d, a, &dec) == 0 &&
             seam_jstr_eq_n(d, b, dec.data ? dec.data : "", dec.len);
    seam_buf_free(&dec);
    return eq;
}

/* A repeated key counts once, with its last value in the place of its
 * first, as Python and JavaScript read JSON; the place decides the order of
 * what is written and which refusal comes first.  For the member of obj
 * whose key is k: that value, or NULL when an earlier member has that key. */
static seam_jv first_member(const seam_jdoc *d, seam_jv obj, seam_jv k)
{
    for (seam_jv e = seam_jfirst(obj); e != k; e = seam_jnext(obj, e + 1))
        if (jstr_same(d, e, k)) return NULL;
    seam_jv v = k + 1;
    for (seam_jv e = seam_jnext(obj, k + 1); e; e = seam_jnext(obj, e + 1))
        if (jstr_same(d, e, k)) v = e + 1;
    return v;
}

/* A string's text: its bytes in the document when it holds no escape (the
 * norm), else decoded into the translation's scratch buffer — valid until
 * the next text is taken.  Raw text is also valid escaped JSON, so pieces of
 * it are copied as they are. */
typedef struct text {
    const char *s;
    size_t n;
    int raw;
} text;

/* t is lit; most names differ in their first byte, which is compared first. */
static int text_is(const text *t, const char *lit)
{
    return t->n && t->s[0] == lit[0] && strlen(lit) == t->n && memcmp(t->s, lit, t->n) == 0;
}

static int text_starts(const text *t, const char *lit)
{
    size_t n = strlen(lit);
    return t->n >= n && memcmp(t->s, lit, n) == 0;
}

static int text_in(const text *t, const char *const *names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (text_is(t, names[i])) return 1;
    return 0;
}

/* ---- where a refusal points ---- */

/* A place in the request, printed only when something there is refused:
 * a chain from the innermost step up, e.g. "messages" <- [2] <- ".content". */
typedef struct at {
    const struct at *up;
    const char *name; /* printed as is: "messages", ".content" */
    seam_jv key;      /* or a member's key: ".KEY" (just KEY at the top) */
    size_t index;     /* or, when both are NULL: "[index]" */
} at;

static at at_name(const at *up, const char *name)
{
    return (at){up, name, NULL, 0};
}

static at at_key(const at *up, seam_jv key)
{
    return (at){up, NULL, key, 0};
}

static at at_index(const at *up, size_t i)
{
    return (at){up, NULL, NULL, i};
}

/* Prints a into buf[n..cap); returns the new length (at most cap - 1). */
static size_t at_print(const seam_jdoc *d, const at *a, char *buf, size_t n, size_t cap)
{
    if (a->up) n = at_print(d, a->up, buf, n, cap);
    int k;
    if (a->name) {
        k = snprintf(buf + n, cap - n, "%s", a->name);
    } else if (a->key) {
        seam_buf dec;
        seam_buf_init(&dec, a->key->len);
        seam_jstr_decode(d, a->key, &dec);
        size_t max = a->up ? cap : 60; /* a top-level name is cut at 60 */
        int len = (int)(dec.len < max ? dec.len : max);
        k = snprintf(buf + n, cap - n, "%s%.*s", a->up ? "." : "", len, dec.data ? dec.data : "");
        seam_buf_free(&dec);
    } else {
        k = snprintf(buf + n, cap - n, "[%zu]", a->index);
    }
    n += k > 0 ? (size_t)k : 0;
    return n < cap ? n : cap - 1;
}

/* ---- request translation ---- */

typedef struct xl {
    const seam_provider *p;
    const seam_call_req *req;
    const seam_jdoc *d;
    seam_jw *w;
    seam_buf tmp;   /* decoded text (see text) */
    seam_jv defs;   /* root of the schema being converted, for $ref */
    int response;   /* converting a response schema */
    int signatures; /* the model wants thought signatures (Gemini 3 and later) */
    int refused;    /* a refusal has been written */
    int nomem;      /* a text could not be decoded */
} xl;

static int refuse(xl *x, const at *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(xl *x, const at *where, const char *fmt, ...)
{
    char field[200], why[160]; /* a path is cut at 199 bytes */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    at_print(x->d, where, field, 0, sizeof field);
    if (!x->refused) seam_adapter_refuse(x->p, x->req, field, why);
    x->refused = 1;
    return -1;
}

/* The text of string node v (see text); empty, with nomem set, when it
 * cannot be decoded. */
static text jtext(xl *x, seam_jv v)
{
    size_t n;
    const char *body = seam_jstr(x->d, v, &n);
    if (!body) return (text){"", 0, 1};
    if (!v->escaped) return (text){body, n, 1};
    seam_buf_reset(&x->tmp);
    if (seam_jstr_decode(x->d, v, &x->tmp)) {
        x->nomem = 1;
        return (text){"", 0, 1};
    }
    return (text){x->tmp.data, x->tmp.len, 0};
}

/* A string value of s[0..n), a piece of t. */
static void put_piece(xl *x, const text *t, const char *s, size_t n)
{
    if (t->raw)
        seam_jw_str_escaped(x->w, s, n);
    else
        seam_jw_str(x->w, s, n);
}

/* A member's key, copied still escaped. */
static void put_key_node(xl *x, seam_jv key)
{
    size_t n;
    const char *body = seam_jstr(x->d, key, &n);
    seam_jw_key_escaped(x->w, body, n);
}

/* -- JSON Schema -> Gemini Schema -- */

/* A schema as the conversion sees it.  Folding a $ref, a single allOf or an
 * Optional anyOf into a schema means "drop that keyword, add the members of
 * the other schema it lacks"; instead of building that object, the view
 * keeps the pieces as layers.  A member of layer l counts when no earlier
 * layer still holds its key and no later fold dropped its key (hide[j]
 * names the keyword fold j dropped from the layers before it). */
typedef struct sview {
    seam_jv layer[MAX_LAYERS]; /* objects */
    const char *hide[MAX_LAYERS];
    int n;
    int nullable; /* an Optional fold made it nullable: true */
} sview;

/* (Filled in place: a view is a few hundred bytes, of which few are used.) */
static void view_init(sview *v, seam_jv s)
{
    v->layer[0] = s;
    v->n = 1;
    v->nullable = 0;
}

static void view_fold(sview *m, const sview *v, const char *dropped, seam_jv extra)
{
    memcpy(m->layer, v->layer, (size_t)v->n * sizeof v->layer[0]);
    memcpy(m->hide, v->hide, (size_t)v->n * sizeof v->hide[0]);
    m->n = v->n + 1;
    m->nullable = v->nullable;
    m->layer[v->n] = extra;
    m->hide[v->n] = dropped;
}

/* A later fold dropped key from layer l. */
static int hidden(const seam_jdoc *d, const sview *v, int l, seam_jv key, const char *lit)
{
    for (int j = l + 1; j < v->n; j++)
        if (lit ? strcmp(v->hide[j], lit) == 0 : seam_jkey_is(d, key, v->hide[j])) return 1;
    return 0;
}

/* The member key of the view, or NULL. */
static seam_jv view_get(const seam_jdoc *d, const sview *v, const char *key)
{
    for (int l = 0; l < v->n; l++) {
        seam_jv m = hidden(d, v, l, NULL, key) ? NULL : seam_jget(d, v->layer[l], key);
        if (m) return m;
    }
    return NULL;
}

/* Does the member with this key of layer l count? */
static int view_visible(const seam_jdoc *d, const sview *v, int l, seam_jv key)
{
    if (hidden(d, v, l, key, NULL)) return 0;
    for (int e = 0; e < l; e++) {
        seam_jv k, val;
        seam_jobj_foreach(v->layer[e], k, val)
        {
            if (jstr_same(d, k, key) && !hidden(d, v, e, key, NULL)) return 0;
        }
    }
    return 1;
}

/* What the keywords of one schema leave for its end: the members that
 * depend on others, and what decides the default type. */
typedef struct sout {
    int type, items; /* written */
    size_t nprops;   /* properties written */
    seam_jv props;   /* their object, for propertyOrdering */
    seam_jv enums, example, examples, ordering, nullable_v;
    int enum_const; /* enums is const's one value */
    int nullable;   /* a null type, enum value or anyOf branch */
} sout;

static int schema(xl *x, const sview *v, const at *where, int depth, int *props);

static const char *gemini_type(const text *t)
{
    static const char *const map[][2] = {
        {"string", "STRING"},   {"number", "NUMBER"}, {"integer", "INTEGER"},
        {"boolean", "BOOLEAN"}, {"array", "ARRAY"},   {"object", "OBJECT"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (text_is(t, map[i][0])) return map[i][1];
    return NULL;
}

/* The schema a local $ref points at, or NULL after a refusal. */
static seam_jv resolve_ref(xl *x, seam_jv ref, const at *where)
{
    const seam_jdoc *d = x->d;
    seam_jv target = NULL;
    if (seam_jis(ref, SEAM_JSTRING)) {
        text r = jtext(x, ref);
        size_t skip = 0;
        seam_jv defs = NULL;
        if (text_starts(&r, "#/$defs/")) {
            skip = 8;
            defs = seam_jget(d, x->defs, "$defs");
        } else if (text_starts(&r, "#/definitions/")) {
            skip = 14;
            defs = seam_jget(d, x->defs, "definitions");
        }
        if (skip && !memchr(r.s + skip, '/', r.n - skip))
            target = seam_jget_n(d, defs, r.s + skip, r.n - skip);
    }
    if (!seam_jis(target, SEAM_JOBJECT)) {
        refuse(x, where, "only local #/$defs/NAME references can be inlined");
        return NULL;
    }
    return target;
}

/* {"type":"null"}, perhaps with a description. */
static int is_null_schema(const seam_jdoc *d, seam_jv s)
{
    if (!seam_jis(s, SEAM_JOBJECT) || !seam_jstr_eq(d, seam_jget(d, s, "type"), "null")) return 0;
    size_t n = 0;
    seam_jv k, v;
    seam_jobj_foreach(s, k, v)
    {
        n += first_member(d, s, k) != NULL;
    }
    return n <= 2;
}

static int type_keyword(xl *x, sout *o, seam_jv v, const at *where)
{
    const seam_jdoc *d = x->d;
    seam_jv t = NULL;
    if (seam_jis(v, SEAM_JSTRING)) {
        t = v;
    } else if (seam_jis(v, SEAM_JARRAY)) {
        size_t i, n = 0;
        seam_jv e;
        seam_jarr_foreach(v, i, e)
        {
            if (seam_jstr_eq(d, e, "null"))
                o->nullable = 1;
            else if (seam_jis(e, SEAM_JSTRING) && n++ == 0)
                t = e;
        }
        if (n > 1) return refuse(x, where, "a union of several types is not supported");
    }
    if (!t) return refuse(x, where, "must name a type other than null");
    text tt = jtext(x, t);
    const char *g = gemini_type(&tt);
    if (!g) return refuse(x, where, "unknown type '%.*s'", tt.n < 40 ? (int)tt.n : 40, tt.s);
    seam_jw_lkey(x->w, "type");
    seam_jw_cstr(x->w, g);
    o->type = 1;
    return 0;
}

/* enum, or const as a one-value enum: strings only, null read as nullable.
 * Checked here, written at the schema's end (the later of the two wins). */
static int enum_keyword(xl *x, sout *o, seam_jv v, int is_const, const at *where)
{
    if (!is_const && !seam_jis(v, SEAM_JARRAY)) return refuse(x, where, "must be an array");
    for (seam_jv e = is_const ? v : seam_jfirst(v); e; e = is_const ? NULL : seam_jnext(v, e)) {
        if (seam_jis(e, SEAM_JNULL))
            o->nullable = 1;
        else if (!seam_jis(e, SEAM_JSTRING))
            return refuse(x, where, "Gemini takes only string enum values");
    }
    o->enums = v;
    o->enum_const = is_const;
    return 0;
}

static void put_enum(xl *x, const sout *o)
{
    seam_jw_lkey(x->w, "enum");
    seam_jw_arr(x->w);
    size_t i;
    seam_jv e;
    if (o->enum_const) {
        if (seam_jis(o->enums, SEAM_JSTRING)) seam_jw_value(x->w, x->d, o->enums);
    } else {
        seam_jarr_foreach(o->enums, i, e)
        {
            if (seam_jis(e, SEAM_JSTRING)) seam_jw_value(x->w, x->d, e);
        }
    }
    seam_jw_end(x->w);
}

static int properties_keyword(xl *x, sout *o, seam_jv v, const at *where, int depth)
{
    if (!seam_jis(v, SEAM_JOBJECT)) return refuse(x, where, "must be an object");
    seam_jv name, sub;
    seam_jobj_foreach(v, name, sub)
    {
        if (!(sub = first_member(x->d, v, name))) continue;
        if (!o->nprops++) {
            seam_jw_lkey(x->w, "properties");
            seam_jw_obj(x->w);
        }
        put_key_node(x, name);
        at a = at_key(where, name);
        sview sv;
        view_init(&sv, sub);
        if (schema(x, &sv, &a, depth + 1, NULL)) return -1;
    }
    if (o->nprops) seam_jw_end(x->w); /* Gemini rejects empty properties */
    o->props = v;
    return 0;
}

/* OpenAI's strict outputs keep the declaration order; Gemini keeps it when told. */
static void put_property_ordering(xl *x, seam_jv props)
{
    seam_jv name, sub;
    seam_jw_lkey(x->w, "propertyOrdering");
    seam_jw_arr(x->w);
    seam_jobj_foreach(props, name, sub)
    {
        if (first_member(x->d, props, name)) seam_jw_value(x->w, x->d, name);
    }
    seam_jw_end(x->w);
}

enum kw_kind {
    KW_DROP,
    KW_COPY,
    KW_TYPE,
    KW_FORMAT,
    KW_ENUM,
    KW_CONST,
    KW_PROPERTIES,
    KW_ITEMS,
    KW_EXAMPLE,
    KW_EXAMPLES,
    KW_NULLABLE,
    KW_ORDERING,
};

/* What becomes of each JSON Schema keyword; any other is refused. */
static const struct keyword {
    const char *name;
    enum kw_kind kind;
} keywords[] = {
    {"type", KW_TYPE},
    {"properties", KW_PROPERTIES},
    {"items", KW_ITEMS},
    {"description", KW_COPY},
    {"required", KW_COPY},
    {"enum", KW_ENUM},
    {"const", KW_CONST},
    {"format", KW_FORMAT},
    {"title", KW_COPY},
    {"pattern", KW_COPY},
    {"default", KW_COPY},
    {"example", KW_EXAMPLE},
    {"examples", KW_EXAMPLES},
    {"nullable", KW_NULLABLE},
    {"minItems", KW_COPY},
    {"maxItems", KW_COPY},
    {"minLength", KW_COPY},
    {"maxLength", KW_COPY},
    {"minimum", KW_COPY},
    {"maximum", KW_COPY},
    {"minProperties", KW_COPY},
    {"maxProperties", KW_COPY},
    {"propertyOrdering", KW_ORDERING},
    {"additionalProperties", KW_DROP},
    {"$schema", KW_DROP},
    {"$id", KW_DROP},
    {"$comment", KW_DROP},
    {"$anchor", KW_DROP},
    {"$defs", KW_DROP},
    {"definitions", KW_DROP},
    {"deprecated", KW_DROP},
    {"readOnly", KW_DROP},
    {"writeOnly", KW_DROP},
    {"unevaluatedProperties", KW_DROP},
};

/* The "format" values Gemini knows; others are annotations it would reject. */
static const char *const formats[] = {"enum", "date-time", "int32", "int64", "float", "double"};

/* One keyword of a schema: written, or kept in o for the end.  Returns 0
 * or -1 after a refusal. */
static int keyword(xl *x, sout *o, const text *k, seam_jv v, const at *where, int depth)
{
    const seam_jdoc *d = x->d;
    const struct keyword *kw = NULL;
    for (size_t i = 0; !kw && i < sizeof keywords / sizeof keywords[0]; i++)
        if (text_is(k, keywords[i].name)) kw = &keywords[i];
    if (!kw) return refuse(x, where, "not supported by Gemini's schema");
    switch (kw->kind) {
    case KW_DROP: return 0;
    case KW_COPY:
        seam_jw_key(x->w, kw->name);
        seam_jw_value(x->w, d, v);
        return 0;
    case KW_TYPE: return type_keyword(x, o, v, where);
    case KW_FORMAT:
        if (seam_jis(v, SEAM_JSTRING)) {
            text f = jtext(x, v);
            if (text_in(&f, formats, sizeof formats / sizeof formats[0])) {
                seam_jw_lkey(x->w, "format");
                seam_jw_value(x->w, d, v);
            }
        }
        return 0;
    case KW_ENUM:
    case KW_CONST: return enum_keyword(x, o, v, kw->kind == KW_CONST, where);
    case KW_PROPERTIES: return properties_keyword(x, o, v, where, depth);
    case KW_ITEMS: {
        if (!seam_jis(v, SEAM_JOBJECT)) return refuse(x, where, "only one schema for all items");
        seam_jw_lkey(x->w, "items");
        sview iv;
        view_init(&iv, v);
        o->items = 1;
        return schema(x, &iv, where, depth + 1, NULL);
    }
    case KW_EXAMPLE: o->example = v; return 0;
    case KW_EXAMPLES: o->examples = v; return 0;
    case KW_NULLABLE: o->nullable_v = v; return 0;
    case KW_ORDERING: o->ordering = v; return 0;
    }
    return 0;
}

/* The members that depend on others, and the type a schema without one
 * implies (Gemini needs it). */
static void schema_end(xl *x, const sview *v, const sout *o, int branches)
{
    seam_jw *w = x->w;
    const seam_jdoc *d = x->d;
    if (o->enums) put_enum(x, o);
    if (o->example) {
        seam_jw_lkey(w, "example");
        seam_jw_value(w, d, o->example);
    } else if (seam_jis(o->examples, SEAM_JARRAY) && seam_jfirst(o->examples)) {
        seam_jw_lkey(w, "example");
        seam_jw_value(w, d, seam_jfirst(o->examples));
    }
    if (o->ordering) {
        seam_jw_lkey(w, "propertyOrdering");
        seam_jw_value(w, d, o->ordering);
    } else if (x->response && o->nprops > 1) {
        put_property_ordering(x, o->props);
    }
    if (o->nullable || v->nullable) {
        seam_jw_lkey(w, "nullable");
        seam_jw_bool(w, 1);
    } else if (o->nullable_v) {
        seam_jw_lkey(w, "nullable");
        seam_jw_value(w, d, o->nullable_v);
    }
    if (!o->type && !branches) {
        const char *t = o->nprops ? "OBJECT" : o->items ? "ARRAY" : o->enums ? "STRING" : NULL;
        if (t) {
            seam_jw_lkey(w, "type");
            seam_jw_cstr(w, t);
        }
    }
}

/* Writes the Gemini Schema for the JSON Schema v; *props (may be NULL)
 * says whether it got properties.  Returns 0 or -1 after a refusal. */
static int schema(xl *x, const sview *v, const at *where, int depth, int *props)
{
    const seam_jdoc *d = x->d;
    if (depth > MAX_SCHEMA_DEPTH)
        return refuse(x, where, "nests deeper than %d levels (a recursive $ref?)",
                      MAX_SCHEMA_DEPTH);
    if (!seam_jis(v->layer[0], SEAM_JOBJECT)) return refuse(x, where, "a schema must be an object");

    /* $ref and a single allOf are folded in, then the whole converted again */
    seam_jv ref = view_get(d, v, "$ref");
    seam_jv all = view_get(d, v, "allOf");
    if (ref || all) {
        seam_jv extra;
        if (ref) {
            at a = at_name(where, ".$ref");
            extra = resolve_ref(x, ref, &a);
            if (!extra) return -1;
        } else {
            extra = seam_jis(all, SEAM_JARRAY) && seam_jcount(all) == 1 ? seam_jfirst(all) : NULL;
            at a = at_name(where, ".allOf");
            if (!seam_jis(extra, SEAM_JOBJECT))
                return refuse(x, &a, "only an allOf of one schema can be merged");
        }
        sview m;
        view_fold(&m, v, ref ? "$ref" : "allOf", extra);
        return schema(x, &m, where, depth + 1, props);
    }

    const char *any_key = "anyOf";
    seam_jv any = view_get(d, v, "anyOf");
    if (!any) {
        any = view_get(d, v, "oneOf");
        any_key = "oneOf";
    } else if (view_get(d, v, "oneOf")) {
        return refuse(x, where, "anyOf and oneOf together are not supported");
    }
    at any_at = at_name(where, any_key[0] == 'a' ? ".anyOf" : ".oneOf");
    sout o = {0};
    size_t nbranches = 0;
    if (any) {
        if (!seam_jis(any, SEAM_JARRAY)) return refuse(x, &any_at, "must be an array");
        seam_jv b, only = NULL;
        size_t i;
        seam_jarr_foreach(any, i, b)
        {
            if (is_null_schema(d, b))
                o.nullable = 1;
            else if (!nbranches++)
                only = b;
        }
        if (nbranches == 1) { /* Optional[X]: X, nullable */
            if (!seam_jis(only, SEAM_JOBJECT)) {
                at a = at_index(&any_at, 0);
                return refuse(x, &a, "a schema must be an object");
            }
            sview m;
            view_fold(&m, v, any_key, only);
            m.nullable |= o.nullable;
            return schema(x, &m, where, depth + 1, props);
        }
        if (!nbranches) return refuse(x, where, "an anyOf of null alone is not supported");
    }

    seam_jw_obj(x->w);
    for (int l = 0; l < v->n; l++) {
        seam_jv k, val;
        seam_jobj_foreach(v->layer[l], k, val)
        {
            text kt = jtext(x, k);
            if (text_is(&kt, "anyOf") || text_is(&kt, "oneOf") ||
                !(val = first_member(d, v->layer[l], k)) || !view_visible(d, v, l, k))
                continue;
            at a = at_key(where, k);
            if (keyword(x, &o, &kt, val, &a, depth)) return -1;
        }
    }
    if (nbranches) {
        seam_jv b;
        size_t i, k = 0;
        seam_jw_lkey(x->w, "anyOf");
        seam_jw_arr(x->w);
        seam_jarr_foreach(any, i, b)
        {
            if (is_null_schema(d, b)) continue;
            at a = at_index(&any_at, k++);
            sview bv;
            view_init(&bv, b);
            if (schema(x, &bv, &a, depth + 1, NULL)) return -1;
        }
        seam_jw_end(x->w);
    }
    schema_end(x, v, &o, nbranches > 0);
    seam_jw_end(x->w);
    if (props) *props = o.nprops > 0;
    return 0;
}

/* Writes the conversion of schema s, found at where.  Returns 0 or -1. */
static int convert_schema(xl *x, seam_jv s, const at *where, int response, int *props)
{
    x->defs = s;
    x->response = response;
    sview v;
    view_init(&v, s);
    return schema(x, &v, where, 0, props);
}

/* -- contents -- */

/* The contents array being written: consecutive parts of one role share a
 * content, as Gemini wants turns to alternate. */
typedef struct contents {
    const char *role; /* of the open content, or NULL */
    int count;        /* contents opened */
    int calls;        /* functionCall parts in the open content */
} contents;

/* Opens a part object of role, in the open content when it has that role,
 * else in a new one.  The caller writes its members and closes it. */
static void part_begin(xl *x, contents *c, const char *role)
{
    seam_jw *w = x->w;
    if (!c->role || strcmp(c->role, role) != 0) {
        if (c->role) {
            seam_jw_end(w); /* parts */
            seam_jw_end(w); /* content */
        }
        seam_jw_obj(w);
        seam_jw_lkey(w, "role");
        seam_jw_cstr(w, role);
        seam_jw_lkey(w, "parts");
        seam_jw_arr(w);
        c->role = role;
        c->count++;
        c->calls = 0;
    }
    seam_jw_obj(w);
}

static void contents_close(xl *x, contents *c)
{
    if (c->role) {
        seam_jw_end(x->w);
        seam_jw_end(x->w);
    }
    c->role = NULL;
}

/* {"text": s} with s a string node, copied as written. */
static void text_part(xl *x, contents *c, const char *role, seam_jv s)
{
    part_begin(x, c, role);
    seam_jw_lkey(x->w, "text");
    seam_jw_value(x->w, x->d, s);
    seam_jw_end(x->w);
}

/* The text of a text or refusal part, or NULL. */
static seam_jv part_text(const seam_jdoc *d, seam_jv part)
{
    seam_jv type = seam_jget(d, part, "type");
    int refusal = seam_jstr_eq(d, type, "refusal");
    if (!refusal && !seam_jstr_eq(d, type, "text")) return NULL;
    seam_jv t = seam_jget(d, part, refusal ? "refusal" : "text");
    return seam_jis(t, SEAM_JSTRING) ? t : NULL;
}

/* Checks a content that must be text: absent, a string, or an array of text
 * (or refusal) parts to be joined.  Returns 0 or -1 after a refusal. */
static int check_text(xl *x, seam_jv content, const at *where)
{
    if (!content || seam_jis(content, SEAM_JSTRING)) return 0;
    if (!seam_jis(content, SEAM_JARRAY))
        return refuse(x, where, "must be a string or an array of parts");
    size_t i;
    seam_jv part;
    seam_jarr_foreach(content, i, part)
    {
        if (!part_text(x->d, part)) {
            at a = at_index(where, i);
            return refuse(x, &a, "only text parts are possible here");
        }
    }
    return 0;
}

/* The length of a checked text content, still escaped: 0 only when empty. */
static size_t text_length(const seam_jdoc *d, seam_jv content)
{
    if (seam_jis(content, SEAM_JSTRING)) return content->len - 2;
    size_t i, n = 0;
    seam_jv part;
    seam_jarr_foreach(content, i, part)
    {
        n += part_text(d, part)->len - 2;
    }
    return n;
}

/* A checked text content as one string: escaped texts join into one. */
static void put_text_content(xl *x, seam_jv content)
{
    if (seam_jis(content, SEAM_JSTRING)) {
        seam_jw_value(x->w, x->d, content);
        return;
    }
    size_t i, n;
    seam_jv part;
    seam_jw_str_begin(x->w);
    seam_jarr_foreach(content, i, part)
    {
        const char *s = seam_jstr(x->d, part_text(x->d, part), &n);
        seam_jw_str_add_escaped(x->w, s, n);
    }
    seam_jw_str_end(x->w);
}

/* The MIME type a URL's or file name's extension tells, or NULL. */
static const char *ext_mime(const char *url, size_t n)
{
    static const char *const map[][2] = {
        {"png", "image/png"},       {"jpg", "image/jpeg"},  {"jpeg", "image/jpeg"},
        {"webp", "image/webp"},     {"heic", "image/heic"}, {"heif", "image/heif"},
        {"pdf", "application/pdf"},
    };
    const char *end = url + n;
    const char *host = memmem(url, n, "://", 3);
    const char *path = host ? memchr(host + 3, '/', (size_t)(end - host - 3)) : url;
    if (!path) return NULL;
    size_t plen = 0;
    while (path + plen < end && path[plen] != '?' && path[plen] != '#')
        plen++;
    const char *dot = NULL;
    for (size_t i = 0; i < plen; i++) {
        if (path[i] == '.') dot = path + i + 1;
        if (path[i] == '/') dot = NULL;
    }
    if (!dot) return NULL;
    size_t elen = (size_t)(path + plen - dot);
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strlen(map[i][0]) == elen && strncasecmp(dot, map[i][0], elen) == 0) return map[i][1];
    return NULL;
}

/* {"inlineData":{"mimeType":mime,"data":data}} with data a string node. */
static void inline_part(xl *x, contents *c, const char *mime, seam_jv data)
{
    seam_jw *w = x->w;
    part_begin(x, c, "user");
    seam_jw_lkey(w, "inlineData");
    seam_jw_obj(w);
    seam_jw_lkey(w, "mimeType");
    seam_jw_cstr(w, mime);
    seam_jw_lkey(w, "data");
    seam_jw_value(w, x->d, data);
    seam_jw_end(w);
    seam_jw_end(w);
}

/* inlineData from a base64 data: URL (a string node).  Returns 0 or -1. */
static int data_url_part(xl *x, contents *c, seam_jv v, const at *where)
{
    text url = jtext(x, v);
    const char *comma = memchr(url.s, ',', url.n);
    if (!text_starts(&url, "data:") || !comma) return refuse(x, where, "not a data: URL");
    const char *meta = url.s + 5;
    size_t mlen = (size_t)(comma - meta);
    if (mlen < 7 || memcmp(comma - 7, ";base64", 7) != 0)
        return refuse(x, where, "only base64 data: URLs can be sent inline");
    size_t tlen = 0;
    while (meta[tlen] != ';' && meta[tlen] != ',')
        tlen++;
    const char *data = comma + 1;
    size_t dlen = (size_t)(url.s + url.n - data);
    if (!tlen || !dlen) return refuse(x, where, "the data: URL has no media type or no data");
    seam_jw *w = x->w;
    part_begin(x, c, "user");
    seam_jw_lkey(w, "inlineData");
    seam_jw_obj(w);
    seam_jw_lkey(w, "mimeType");
    put_piece(x, &url, meta, tlen);
    seam_jw_lkey(w, "data");
    put_piece(x, &url, data, dlen);
    seam_jw_end(w);
    seam_jw_end(w);
    return 0;
}

static int image_part(xl *x, contents *c, seam_jv iu, const at *where)
{
    const seam_jdoc *d = x->d;
    seam_jv url = seam_jis(iu, SEAM_JSTRING) ? iu : seam_jget(d, iu, "url");
    at a = at_name(where, ".image_url.url");
    if (!seam_jis(url, SEAM_JSTRING)) return refuse(x, &a, "must be a string");
    if (seam_jstr_prefix(d, url, "data:")) return data_url_part(x, c, url, &a);
    if (!seam_jstr_prefix(d, url, "https://") && !seam_jstr_prefix(d, url, "http://"))
        return refuse(x, &a, "must be an http(s) or data: URL");
    text t = jtext(x, url);
    const char *mime = ext_mime(t.s, t.n);
    if (!mime || strncmp(mime, "image/", 6) != 0)
        return refuse(x, &a, "the image type cannot be told from the URL; send a data: URL");
    seam_jw *w = x->w;
    part_begin(x, c, "user");
    seam_jw_lkey(w, "fileData");
    seam_jw_obj(w);
    seam_jw_lkey(w, "mimeType");
    seam_jw_cstr(w, mime);
    seam_jw_lkey(w, "fileUri");
    seam_jw_value(w, d, url);
    seam_jw_end(w);
    seam_jw_end(w);
    return 0;
}

static int audio_part(xl *x, contents *c, seam_jv audio, const at *where)
{
    const seam_jdoc *d = x->d;
    seam_jv data = seam_jget(d, audio, "data");
    seam_jv fmt = seam_jget(d, audio, "format");
    const char *mime = seam_jstr_eq(d, fmt, "wav")   ? "audio/wav"
                       : seam_jstr_eq(d, fmt, "mp3") ? "audio/mp3"
                                                     : NULL;
    at a = at_name(where, ".input_audio");
    if (!seam_jis(data, SEAM_JSTRING) || !mime)
        return refuse(x, &a, "needs base64 data and format wav or mp3");
    inline_part(x, c, mime, data);
    return 0;
}

static int file_part(xl *x, contents *c, seam_jv file, const at *where)
{
    const seam_jdoc *d = x->d;
    seam_jv data = seam_jget(d, file, "file_data");
    seam_jv name = seam_jget(d, file, "filename");
    at a = at_name(where, ".file");
    if (!seam_jis(data, SEAM_JSTRING))
        return refuse(x, &a,
                      "only file_data can be sent to Gemini (a file_id means nothing there)");
    if (seam_jstr_prefix(d, data, "data:")) return data_url_part(x, c, data, &a);
    const char *mime = NULL;
    if (seam_jis(name, SEAM_JSTRING)) {
        text t = jtext(x, name);
        mime = ext_mime(t.s, t.n);
    }
    if (!mime) return refuse(x, &a, "send file_data as a data: URL so its type is known");
    inline_part(x, c, mime, data);
    return 0;
}

/* One part of a user message.  Returns 0 or -1 after a refusal. */
static int user_part(xl *x, contents *c, seam_jv part, const at *where)
{
    const seam_jdoc *d = x->d;
    seam_jv type = seam_jget(d, part, "type");
    if (seam_jstr_eq(d, type, "text")) {
        seam_jv t = seam_jget(d, part, "text");
        at a = at_name(where, ".text");
        if (!seam_jis(t, SEAM_JSTRING)) return refuse(x, &a, "must be a string");
        text_part(x, c, "user", t);
        return 0;
    }
    if (seam_jstr_eq(d, type, "image_url"))
        return image_part(x, c, seam_jget(d, part, "image_url"), where);
    if (seam_jstr_eq(d, type, "input_audio"))
        return audio_part(x, c, seam_jget(d, part, "input_audio"), where);
    if (seam_jstr_eq(d, type, "file")) return file_part(x, c, seam_jget(d, part, "file"), where);
    at a = at_name(where, ".type");
    text t = seam_jis(type, SEAM_JSTRING) ? jtext(x, type) : (text){"?", 1, 1};
    return refuse(x, &a, "part type '%.*s' has no Gemini equivalent", t.n < 32 ? (int)t.n : 32,
                  t.s);
}

static int user_message(xl *x, contents *c, seam_jv content, const at *where)
{
    if (seam_jis(content, SEAM_JSTRING)) {
        if (content->len > 2) text_part(x, c, "user", content);
        return 0;
    }
    if (!seam_jis(content, SEAM_JARRAY))
        return refuse(x, where, "must be a string or an array of parts");
    size_t j;
    seam_jv part;
    seam_jarr_foreach(content, j, part)
    {
        at a = at_index(where, j);
        if (user_part(x, c, part, &a)) return -1;
    }
    return 0;
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

static int blank(const text *t)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strchr(" \t\r\n", t->s[i]) || !t->s[i]) return 0;
    return 1;
}

/* An assistant's tool call as a functionCall part.  Its arguments, a JSON
 * text inside a string, are decoded and parsed to check they hold an
 * object, which is then copied as it stands. */
static int replay_call(xl *x, contents *c, seam_jv tc, const at *where)
{
    const seam_jdoc *d = x->d;
    seam_jv fn = seam_jget(d, tc, "function");
    seam_jv name = seam_jget(d, fn, "name");
    seam_jv type = seam_jopt(d, tc, "type");
    if ((type && !seam_jstr_eq(d, type, "function")) || !seam_jis(name, SEAM_JSTRING))
        return refuse(x, where, "only function calls with a name can be replayed");
    seam_jv a = seam_jget(d, fn, "arguments");
    seam_jdoc args = {0};
    seam_jv obj = NULL;
    if (seam_jis(a, SEAM_JSTRING)) {
        text t = jtext(x, a);
        if (!blank(&t)) {
            if (seam_jdoc_parse(&args, t.s, t.n, NULL) == 0) obj = seam_jroot(&args);
            if (!seam_jis(obj, SEAM_JOBJECT)) {
                seam_jdoc_free(&args);
                at f = at_name(where, ".function.arguments");
                return refuse(x, &f, "must be a JSON object for Gemini");
            }
        }
    }
    seam_jw *w = x->w;
    part_begin(x, c, "model");
    seam_jw_lkey(w, "functionCall");
    seam_jw_obj(w);
    seam_jw_lkey(w, "name");
    seam_jw_value(w, d, name);
    seam_jw_lkey(w, "args");
    if (obj)
        seam_jw_value(w, &args, obj);
    else
        seam_jw_raw(w, "{}", 2);
    seam_jw_end(w);
    seam_jdoc_free(&args);
    seam_jv sig = seam_jget(d, seam_jget(d, seam_jget(d, tc, "extra_content"), "google"),
                            "thought_signature");
    if (seam_jis(sig, SEAM_JSTRING)) {
        seam_jw_lkey(w, "thoughtSignature");
        seam_jw_value(w, d, sig);
    } else if (x->signatures && !c->calls) { /* only a turn's first call carries one */
        seam_jw_lkey(w, "thoughtSignature");
        seam_jw_cstr(w, SKIP_SIGNATURE);
    }
    c->calls++;
    seam_jw_end(w);
    return 0;
}

static int assistant_message(xl *x, contents *c, seam_jv m, const at *msg)
{
    const seam_jdoc *d = x->d;
    if (seam_jopt(d, m, "audio")) {
        at a = at_name(msg, ".audio");
        return refuse(x, &a, "audio replies cannot be replayed to Gemini");
    }
    seam_jv content = seam_jopt(d, m, "content");
    if (content) {
        at a = at_name(msg, ".content");
        if (check_text(x, content, &a)) return -1;
        if (text_length(d, content)) {
            part_begin(x, c, "model");
            seam_jw_lkey(x->w, "text");
            put_text_content(x, content);
            seam_jw_end(x->w);
        }
    }
    seam_jv refusal = seam_jopt(d, m, "refusal");
    if (seam_jis(refusal, SEAM_JSTRING) && refusal->len > 2 && !content)
        text_part(x, c, "model", refusal);
    seam_jv calls = seam_jopt(d, m, "tool_calls");
    at ca = at_name(msg, ".tool_calls");
    if (calls && !seam_jis(calls, SEAM_JARRAY)) return refuse(x, &ca, "must be an array");
    size_t j;
    seam_jv tc;
    seam_jarr_foreach(calls, j, tc)
    {
        at a = at_index(&ca, j);
        if (replay_call(x, c, tc, &a)) return -1;
    }
    return 0;
}

/* The function a tool result answers: the name of the latest earlier
 * assistant tool call with this id (*node), else the name inside an id we
 * made, "call_<k>_<name>" (*name).  Returns 0, or -1 when there is none. */
static int call_name(xl *x, seam_jv messages, seam_jv upto, seam_jv id, seam_jv *node, text *name)
{
    const seam_jdoc *d = x->d;
    seam_jv m, tc;
    size_t i, j;
    *node = NULL;
    seam_jarr_foreach(messages, i, m)
    {
        if (m == upto) break;
        if (!seam_jstr_eq(d, seam_jget(d, m, "role"), "assistant")) continue;
        seam_jarr_foreach(seam_jget(d, m, "tool_calls"), j, tc)
        {
            seam_jv fname = seam_jget(d, seam_jget(d, tc, "function"), "name");
            if (seam_jis(fname, SEAM_JSTRING) && jstr_same(d, seam_jget(d, tc, "id"), id)) {
                *node = fname;
                break;
            }
        }
    }
    if (*node) return 0;
    text t = jtext(x, id);
    size_t k = 5;
    if (!text_starts(&t, "call_")) return -1;
    while (k < t.n && t.s[k] >= '0' && t.s[k] <= '9')
        k++;
    if (k == 5 || k + 1 >= t.n || t.s[k] != '_') return -1;
    *name = (text){t.s + k + 1, t.n - k - 1, t.raw};
    return 0;
}

/* A tool's result: the JSON object it holds, or else its text. */
static void put_result(xl *x, seam_jv content)
{
    const seam_jdoc *d = x->d;
    text t;
    if (seam_jis(content, SEAM_JSTRING)) {
        t = jtext(x, content);
    } else { /* parts: their decoded texts joined */
        size_t i;
        seam_jv part;
        seam_buf_reset(&x->tmp);
        seam_jarr_foreach(content, i, part)
        {
            if (seam_jstr_decode(d, part_text(d, part), &x->tmp)) x->nomem = 1;
        }
        t = (text){x->tmp.data ? x->tmp.data : "", x->tmp.len, 0};
    }
    size_t lead = 0;
    while (lead < t.n && strchr(" \t\r\n", t.s[lead]) && t.s[lead])
        lead++;
    if (lead < t.n && t.s[lead] == '{') {
        seam_jdoc r;
        int ok = seam_jdoc_parse(&r, t.s, t.n, NULL) == 0;
        if (ok) seam_jw_value(x->w, &r, seam_jroot(&r));
        seam_jdoc_free(&r);
        if (ok) return;
    }
    put_text_content(x, content);
}

static int tool_message(xl *x, contents *c, seam_jv messages, seam_jv m, const at *msg)
{
    const seam_jdoc *d = x->d;
    seam_jv id = seam_jget(d, m, "tool_call_id");
    at ia = at_name(msg, ".tool_call_id");
    if (!seam_jis(id, SEAM_JSTRING)) return refuse(x, &ia, "must be a string");
    seam_jv node;
    text name = {0};
    if (call_name(x, messages, m, id, &node, &name))
        return refuse(x, &ia, "no earlier assistant tool call has this id");
    seam_jv content = seam_jget(d, m, "content");
    at ca = at_name(msg, ".content");
    if (check_text(x, content, &ca)) return -1;
    seam_jw *w = x->w;
    part_begin(x, c, "user");
    seam_jw_lkey(w, "functionResponse");
    seam_jw_obj(w);
    seam_jw_lkey(w, "name");
    if (node)
        seam_jw_value(w, d, node);
    else
        put_piece(x, &name, name.s, name.n); /* before put_result reuses the scratch */
    seam_jw_lkey(w, "response");
    seam_jw_obj(w);
    seam_jw_lkey(w, "content");
    put_result(x, content);
    seam_jw_end(w);
    seam_jw_end(w);
    seam_jw_end(w);
    return 0;
}

static int is_system(const seam_jdoc *d, seam_jv role)
{
    return seam_jstr_eq(d, role, "system") || seam_jstr_eq(d, role, "developer");
}

/* messages -> contents.  System and developer texts are only checked here
 * and counted in *nsystem: put_system writes them after. */
static int put_contents(xl *x, seam_jv messages, int *nsystem)
{
    const seam_jdoc *d = x->d;
    at msgs = at_name(NULL, "messages");
    if (!seam_jis(messages, SEAM_JARRAY) || !seam_jfirst(messages))
        return refuse(x, &msgs, "must be a non-empty array");
    contents c = {0};
    seam_jw_lkey(x->w, "contents");
    seam_jw_arr(x->w);
    size_t i;
    seam_jv m;
    seam_jarr_foreach(messages, i, m)
    {
        at mi = at_index(&msgs, i);
        at mc = at_name(&mi, ".content");
        seam_jv role = seam_jget(d, m, "role");
        seam_jv content = seam_jopt(d, m, "content");
        int rc;
        if (is_system(d, role)) {
            rc = check_text(x, content, &mc);
            *nsystem += !rc && text_length(d, content) > 0;
        } else if (seam_jstr_eq(d, role, "user")) {
            rc = user_message(x, &c, content, &mc);
        } else if (seam_jstr_eq(d, role, "assistant")) {
            rc = assistant_message(x, &c, m, &mi);
        } else if (seam_jstr_eq(d, role, "tool")) {
            rc = tool_message(x, &c, messages, m, &mi);
        } else {
            at ra = at_name(&mi, ".role");
            text t = seam_jis(role, SEAM_JSTRING) ? jtext(x, role) : (text){"?", 1, 1};
            rc = refuse(x, &ra, "role '%.*s' has no Gemini equivalent (use tool messages)",
                        t.n < 24 ? (int)t.n : 24, t.s);
        }
        if (rc) return -1;
    }
    contents_close(x, &c);
    seam_jw_end(x->w);
    if (!c.count)
        return refuse(x, &msgs, "Gemini needs at least one user or assistant message with content");
    return 0;
}

/* The system and developer texts, checked by put_contents, as systemInstruction. */
static void put_system(xl *x, seam_jv messages)
{
    const seam_jdoc *d = x->d;
    seam_jw *w = x->w;
    seam_jw_lkey(w, "systemInstruction");
    seam_jw_obj(w);
    seam_jw_lkey(w, "parts");
    seam_jw_arr(w);
    size_t i;
    seam_jv m;
    seam_jarr_foreach(messages, i, m)
    {
        if (!is_system(d, seam_jget(d, m, "role"))) continue;
        seam_jv content = seam_jopt(d, m, "content");
        if (!text_length(d, content)) continue;
        seam_jw_obj(w);
        seam_jw_lkey(w, "text");
        put_text_content(x, content);
        seam_jw_end(w);
    }
    seam_jw_end(w);
    seam_jw_end(w);
}

/* -- tools -- */

static seam_jv tool_name(const seam_jdoc *d, seam_jv tool)
{
    return seam_jget(d, seam_jget(d, tool, "function"), "name");
}

/* The functions a tool_choice names: one name, or allowed_tools' list. */
typedef struct picked {
    int set;
    seam_jv one;  /* a name string */
    seam_jv list; /* tools, each {"type":"function","function":{"name":...}}; may be absent */
} picked;

static int picked_has(const seam_jdoc *d, const picked *p, seam_jv name)
{
    if (p->one) return jstr_same(d, p->one, name);
    size_t i;
    seam_jv t;
    seam_jarr_foreach(p->list, i, t)
    {
        if (jstr_same(d, tool_name(d, t), name)) return 1;
    }
    return 0;
}

static void put_picked(xl *x, const picked *p)
{
    size_t i;
    seam_jv t;
    seam_jw_arr(x->w);
    if (p->one) seam_jw_value(x->w, x->d, p->one);
    seam_jarr_foreach(p->list, i, t)
    {
        seam_jw_value(x->w, x->d, tool_name(x->d, t));
    }
    seam_jw_end(x->w);
}

/* tool_choice -> a functionCallingConfig mode, and the functions it allows
 * (mode ANY) or the declarations it narrows to (mode AUTO).  Returns 0 or -1. */
static int tool_choice(xl *x, seam_jv choice, const char **mode, picked *allowed, picked *only)
{
    const seam_jdoc *d = x->d;
    at a = at_name(NULL, "tool_choice");
    if (seam_jis(choice, SEAM_JSTRING)) {
        *mode = seam_jstr_eq(d, choice, "auto")       ? "AUTO"
                : seam_jstr_eq(d, choice, "none")     ? "NONE"
                : seam_jstr_eq(d, choice, "required") ? "ANY"
                                                      : NULL;
        if (!*mode) return refuse(x, &a, "must be auto, none, required or an object");
        return 0;
    }
    if (!seam_jis(choice, SEAM_JOBJECT))
        return choice ? refuse(x, &a, "must be a string or an object") : 0;
    seam_jv type = seam_jget(d, choice, "type");
    if (seam_jstr_eq(d, type, "function")) {
        seam_jv name = tool_name(d, choice);
        at f = at_name(NULL, "tool_choice.function.name");
        if (!seam_jis(name, SEAM_JSTRING)) return refuse(x, &f, "must be a string");
        *mode = "ANY";
        *allowed = (picked){1, name, NULL};
        return 0;
    }
    if (seam_jstr_eq(d, type, "allowed_tools")) {
        seam_jv at_ = seam_jget(d, choice, "allowed_tools");
        seam_jv am = seam_jget(d, at_, "mode");
        seam_jv tools = seam_jget(d, at_, "tools");
        size_t i;
        seam_jv t;
        seam_jarr_foreach(tools, i, t)
        {
            if (!seam_jstr_eq(d, seam_jget(d, t, "type"), "function") ||
                !seam_jis(tool_name(d, t), SEAM_JSTRING)) {
                at f = at_name(NULL, "tool_choice.allowed_tools.tools");
                return refuse(x, &f, "only function tools can be allowed");
            }
        }
        /* no list is an empty one, which still narrows: to nothing */
        tools = seam_jis(tools, SEAM_JARRAY) ? tools : NULL;
        if (seam_jstr_eq(d, am, "required")) {
            *mode = "ANY";
            *allowed = (picked){1, NULL, tools};
        } else if (seam_jstr_eq(d, am, "auto")) {
            *mode = "AUTO";
            *only = (picked){1, NULL, tools};
        } else {
            at f = at_name(NULL, "tool_choice.allowed_tools.mode");
            return refuse(x, &f, "must be auto or required");
        }
        return 0;
    }
    at f = at_name(NULL, "tool_choice.type");
    return refuse(x, &f, "only function choices can be translated");
}

/* A declaration's parameters: only a schema with properties (Gemini rejects
 * an empty OBJECT), which is known once it is converted. */
static int put_parameters(xl *x, seam_jv params, const at *where)
{
    seam_jw_pos mark = seam_jw_mark(x->w);
    int props = 0;
    seam_jw_lkey(x->w, "parameters");
    if (convert_schema(x, params, where, 0, &props)) return -1;
    if (!props) seam_jw_rollback(x->w, &mark);
    return 0;
}

/* One function tool as a declaration; 1 when written, 0 when only narrowed
 * it out, -1 after a refusal. */
static int put_declaration(xl *x, seam_jv t, size_t i, const picked *only, int *ndecls)
{
    const seam_jdoc *d = x->d;
    seam_jw *w = x->w;
    seam_jv fn = seam_jget(d, t, "function");
    seam_jv name = seam_jget(d, fn, "name");
    at tools = at_name(NULL, "tools");
    at ti = at_index(&tools, i);
    if (!seam_jstr_eq(d, seam_jget(d, t, "type"), "function")) {
        at a = at_name(&ti, ".type");
        return refuse(x, &a, "only function tools can be translated to Gemini");
    }
    if (!seam_jis(name, SEAM_JSTRING)) {
        at a = at_name(&ti, ".function.name");
        return refuse(x, &a, "must be a string");
    }
    if (only->set && !picked_has(d, only, name)) return 0;
    if (!(*ndecls)++) {
        seam_jw_lkey(w, "tools");
        seam_jw_arr(w);
        seam_jw_obj(w);
        seam_jw_lkey(w, "functionDeclarations");
        seam_jw_arr(w);
    }
    seam_jw_obj(w);
    seam_jw_lkey(w, "name");
    seam_jw_value(w, d, name);
    seam_jv desc = seam_jopt(d, fn, "description");
    if (seam_jis(desc, SEAM_JSTRING)) {
        seam_jw_lkey(w, "description");
        seam_jw_value(w, d, desc);
    }
    seam_jv params = seam_jopt(d, fn, "parameters");
    if (params) {
        at a = at_name(&ti, ".function.parameters");
        if (put_parameters(x, params, &a)) return -1;
    }
    seam_jw_end(w);
    return 1;
}

static int put_tools(xl *x, seam_jv root)
{
    const seam_jdoc *d = x->d;
    seam_jw *w = x->w;
    seam_jv tools = seam_jopt(d, root, "tools");
    seam_jv choice = seam_jopt(d, root, "tool_choice");
    seam_jv ptc = seam_jopt(d, root, "parallel_tool_calls");
    at pa = at_name(NULL, "parallel_tool_calls");
    at ta = at_name(NULL, "tools");
    at ca = at_name(NULL, "tool_choice");
    if (ptc && !seam_jis(ptc, SEAM_JTRUE) && !seam_jis(ptc, SEAM_JFALSE))
        return refuse(x, &pa, "must be a boolean");
    if (seam_jis(ptc, SEAM_JFALSE))
        return refuse(x, &pa, "Gemini cannot be kept from calling several functions at once");
    if (tools && !seam_jis(tools, SEAM_JARRAY)) return refuse(x, &ta, "must be an array");

    const char *mode = NULL;
    picked allowed = {0}, only = {0};
    if (tool_choice(x, choice, &mode, &allowed, &only)) return -1;

    int ndecls = 0;
    size_t i;
    seam_jv t;
    seam_jarr_foreach(tools, i, t)
    {
        if (put_declaration(x, t, i, &only, &ndecls) < 0) return -1;
    }
    /* every function tool_choice requires must be declared */
    seam_jv n;
    seam_jarr_foreach(allowed.list, i, n)
    {
        if (!picked_has(d, &(picked){1, NULL, tools}, tool_name(d, n)))
            return refuse(x, &ca, "names a function that is not in tools");
    }
    if (allowed.one && !picked_has(d, &(picked){1, NULL, tools}, allowed.one))
        return refuse(x, &ca, "names a function that is not in tools");

    if (!ndecls) {
        if (mode && strcmp(mode, "ANY") == 0)
            return refuse(x, &ca, "asks for a tool call but no tools are given");
        return 0;
    }
    seam_jw_end(w); /* functionDeclarations */
    seam_jw_end(w);
    seam_jw_end(w); /* tools */
    if (mode) {
        seam_jw_lkey(w, "toolConfig");
        seam_jw_obj(w);
        seam_jw_lkey(w, "functionCallingConfig");
        seam_jw_obj(w);
        seam_jw_lkey(w, "mode");
        seam_jw_cstr(w, mode);
        if (allowed.set) {
            seam_jw_lkey(w, "allowedFunctionNames");
            put_picked(x, &allowed);
        }
        seam_jw_end(w);
        seam_jw_end(w);
    }
    return 0;
}

/* -- generationConfig -- */

/* generationConfig is opened by its first member: no settings, no object. */
typedef struct gconf {
    xl *x;
    int open;
} gconf;

static void gc_key(gconf *g, const char *key)
{
    if (!g->open) {
        seam_jw_lkey(g->x->w, "generationConfig");
        seam_jw_obj(g->x->w);
        g->open = 1;
    }
    seam_jw_key(g->x->w, key);
}

/* A number copied as the client wrote it.  Returns 0 or -1 after a refusal. */
static int number_field(gconf *g, seam_jv root, const char *key, const char *gkey, int integer,
                        int skip_zero)
{
    const seam_jdoc *d = g->x->d;
    seam_jv v = seam_jopt(d, root, key);
    if (!v) return 0;
    long long iv;
    double dv;
    at a = at_name(NULL, key);
    if (integer ? seam_jint(d, v, &iv) != 0 : !seam_jis(v, SEAM_JNUMBER))
        return refuse(g->x, &a, integer ? "must be an integer" : "must be a number");
    if (skip_zero && seam_jnum(d, v, &dv) == 0 && dv == 0) return 0;
    gc_key(g, gkey);
    seam_jw_value(g->x->w, d, v);
    return 0;
}

static int stop_field(gconf *g, seam_jv root)
{
    const seam_jdoc *d = g->x->d;
    seam_jv stop = seam_jopt(d, root, "stop");
    at a = at_name(NULL, "stop");
    if (seam_jis(stop, SEAM_JSTRING)) {
        gc_key(g, "stopSequences");
        seam_jw_arr(g->x->w);
        seam_jw_value(g->x->w, d, stop);
        seam_jw_end(g->x->w);
    } else if (seam_jis(stop, SEAM_JARRAY)) {
        size_t i;
        seam_jv s;
        seam_jarr_foreach(stop, i, s)
        {
            if (!seam_jis(s, SEAM_JSTRING)) return refuse(g->x, &a, "must be a string or strings");
        }
        if (seam_jfirst(stop)) {
            gc_key(g, "stopSequences");
            seam_jw_value(g->x->w, d, stop);
        }
    } else if (stop) {
        return refuse(g->x, &a, "must be a string or an array of strings");
    }
    return 0;
}

static int n_field(gconf *g, seam_jv root)
{
    seam_jv n = seam_jopt(g->x->d, root, "n");
    long long v;
    at a = at_name(NULL, "n");
    if (!n) return 0;
    if (seam_jint(g->x->d, n, &v) || v < 1)
        return refuse(g->x, &a, "must be an integer of at least 1");
    if (v > GEMINI_MAX_CANDIDATES)
        return refuse(g->x, &a, "Gemini returns at most %d candidates", GEMINI_MAX_CANDIDATES);
    if (v > 1) {
        gc_key(g, "candidateCount");
        seam_jw_value(g->x->w, g->x->d, n);
    }
    return 0;
}

static int response_format(gconf *g, seam_jv root)
{
    const seam_jdoc *d = g->x->d;
    seam_jv rf = seam_jopt(d, root, "response_format");
    if (!rf) return 0;
    seam_jv type = seam_jget(d, rf, "type");
    if (seam_jstr_eq(d, type, "json_object")) {
        gc_key(g, "responseMimeType");
        seam_jw_lstr(g->x->w, "application/json");
    } else if (seam_jstr_eq(d, type, "json_schema")) {
        seam_jv s = seam_jget(d, seam_jget(d, rf, "json_schema"), "schema");
        gc_key(g, "responseMimeType");
        seam_jw_lstr(g->x->w, "application/json");
        if (s) {
            at a = at_name(NULL, "response_format.json_schema.schema");
            gc_key(g, "responseSchema");
            return convert_schema(g->x, s, &a, 1, NULL);
        }
    } else if (!seam_jstr_eq(d, type, "text")) {
        at a = at_name(NULL, "response_format.type");
        return refuse(g->x, &a, "must be text, json_object or json_schema");
    }
    return 0;
}

static int reasoning_effort(gconf *g, seam_jv root)
{
    /* the budgets Google's own OpenAI endpoint uses for these levels */
    static const struct {
        const char *level;
        int budget;
    } budgets[] = {
        {"none", 0}, {"minimal", 1024}, {"low", 1024}, {"medium", 8192}, {"high", 24576}};
    seam_jv effort = seam_jopt(g->x->d, root, "reasoning_effort");
    if (!effort) return 0;
    int budget = -1;
    for (size_t i = 0; i < sizeof budgets / sizeof budgets[0]; i++)
        if (seam_jstr_eq(g->x->d, effort, budgets[i].level)) budget = budgets[i].budget;
    at a = at_name(NULL, "reasoning_effort");
    if (budget < 0) return refuse(g->x, &a, "must be none, minimal, low, medium or high");
    gc_key(g, "thinkingConfig");
    seam_jw_obj(g->x->w);
    seam_jw_lkey(g->x->w, "thinkingBudget");
    seam_jw_int(g->x->w, budget);
    seam_jw_end(g->x->w);
    return 0;
}

static int put_generation_config(xl *x, seam_jv root)
{
    gconf g = {x, 0};
    const char *mt =
        seam_jopt(x->d, root, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
    if (number_field(&g, root, "temperature", "temperature", 0, 0) ||
        number_field(&g, root, "top_p", "topP", 0, 0) ||
        number_field(&g, root, mt, "maxOutputTokens", 1, 0) || stop_field(&g, root) ||
        n_field(&g, root) || number_field(&g, root, "seed", "seed", 1, 0) ||
        number_field(&g, root, "presence_penalty", "presencePenalty", 0, 1) ||
        number_field(&g, root, "frequency_penalty", "frequencyPenalty", 0, 1) ||
        response_format(&g, root) || reasoning_effort(&g, root))
        return -1;
    if (g.open) seam_jw_end(x->w);
    return 0;
}

/* -- the body -- */

/* Top-level members: translated, dropped on purpose, or refused. */
static int check_chat_members(xl *x, seam_jv root)
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
    const seam_jdoc *d = x->d;
    seam_jv k, v;
    seam_jobj_foreach(root, k, v)
    {
        text key = jtext(x, k);
        if (text_in(&key, known, sizeof known / sizeof known[0])) continue;
        if (!(v = first_member(d, root, k)) || seam_jis(v, SEAM_JNULL)) continue;
        at f = at_key(NULL, k);
        if (text_is(&key, "logprobs")) {
            if (seam_jis(v, SEAM_JFALSE)) continue;
            return refuse(x, &f, "Gemini's API here returns no token log probabilities");
        }
        if (text_is(&key, "top_logprobs"))
            return refuse(x, &f, "Gemini's API here returns no token log probabilities");
        if (text_is(&key, "logit_bias")) {
            if (seam_jis(v, SEAM_JOBJECT) && !seam_jfirst(v)) continue;
            return refuse(x, &f, "Gemini has no logit bias");
        }
        if (text_is(&key, "modalities")) {
            size_t i;
            seam_jv m;
            seam_jarr_foreach(v, i, m)
            {
                if (!seam_jstr_eq(d, m, "text"))
                    return refuse(x, &f, "only text output is translated");
            }
            if (seam_jis(v, SEAM_JARRAY)) continue;
            return refuse(x, &f, "must be an array");
        }
        if (text_is(&key, "audio")) return refuse(x, &f, "audio output is not translated");
        if (text_is(&key, "functions") || text_is(&key, "function_call"))
            return refuse(x, &f, "the legacy functions API is not translated; use tools");
        return refuse(x, &f, "not translated to Gemini, and dropping it could change the answer");
    }
    return 0;
}

static int build_chat(xl *x, seam_jv root, gemini_state *st)
{
    const seam_jdoc *d = x->d;
    if (check_chat_members(x, root)) return -1;
    st->include_usage =
        seam_jis(seam_jget(d, seam_jget(d, root, "stream_options"), "include_usage"), SEAM_JTRUE);
    seam_jv messages = seam_jget(d, root, "messages");
    int nsystem = 0;
    if (put_contents(x, messages, &nsystem)) return -1;
    if (nsystem) put_system(x, messages);
    if (put_tools(x, root)) return -1;
    return put_generation_config(x, root);
}

static void put_embed_request(xl *x, const char *resource, seam_jv input, seam_jv dims)
{
    seam_jw *w = x->w;
    seam_jw_obj(w);
    seam_jw_lkey(w, "model");
    seam_jw_cstr(w, resource);
    seam_jw_lkey(w, "content");
    seam_jw_obj(w);
    seam_jw_lkey(w, "parts");
    seam_jw_arr(w);
    seam_jw_obj(w);
    seam_jw_lkey(w, "text");
    seam_jw_value(w, x->d, input);
    seam_jw_end(w);
    seam_jw_end(w);
    seam_jw_end(w);
    if (dims) {
        seam_jw_lkey(w, "outputDimensionality");
        seam_jw_value(w, x->d, dims);
    }
    seam_jw_end(w);
}

static int build_embeddings(xl *x, seam_jv root, gemini_state *st, const char *resource)
{
    static const char *const known[] = {"model", "input", "dimensions", "encoding_format", "user"};
    const seam_jdoc *d = x->d;
    seam_jv k, v;
    seam_jobj_foreach(root, k, v)
    {
        text key = jtext(x, k);
        if (text_in(&key, known, sizeof known / sizeof known[0])) continue;
        if (!(v = first_member(d, root, k)) || seam_jis(v, SEAM_JNULL)) continue;
        at f = at_key(NULL, k);
        return refuse(x, &f, "not translated to Gemini");
    }
    seam_jv input = seam_jget(d, root, "input");
    int one = seam_jis(input, SEAM_JSTRING);
    size_t n = one ? 1 : seam_jis(input, SEAM_JARRAY) ? seam_jcount(input) : 0;
    at ia = at_name(NULL, "input");
    if (!n) return refuse(x, &ia, "must be a string or a non-empty array of strings");
    if (n > MAX_EMBED_INPUTS)
        return refuse(x, &ia, "Gemini embeds at most %d inputs per request", MAX_EMBED_INPUTS);
    seam_jv dims = seam_jopt(d, root, "dimensions");
    long long dv;
    at da = at_name(NULL, "dimensions");
    if (dims && (seam_jint(d, dims, &dv) || dv < 1))
        return refuse(x, &da, "must be a positive integer");
    seam_jv fmt = seam_jopt(d, root, "encoding_format");
    at fa = at_name(NULL, "encoding_format");
    if (fmt && !seam_jstr_eq(d, fmt, "float") && !seam_jstr_eq(d, fmt, "base64"))
        return refuse(x, &fa, "must be float or base64");
    st->base64 = seam_jstr_eq(d, fmt, "base64");
    seam_jw_lkey(x->w, "requests");
    seam_jw_arr(x->w);
    if (one) {
        put_embed_request(x, resource, input, dims);
    } else {
        size_t i;
        seam_jv item;
        seam_jarr_foreach(input, i, item)
        {
            if (!seam_jis(item, SEAM_JSTRING))
                return refuse(x, &ia, "Gemini embeds text only, not token arrays");
            put_embed_request(x, resource, item, dims);
        }
    }
    seam_jw_end(x->w);
    st->ninputs = n;
    return 0;
}

/* Appends s[0..n) to buf[*len..cap), cut to fit; keeps it NUL-terminated. */
static void cat(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
    if (n > cap - 1 - *len) n = cap - 1 - *len;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
}

/* v in lower-case hex, at least min digits. */
static void cat_hex(char *buf, size_t cap, size_t *len, unsigned long long v, int min)
{
    char tmp[16];
    int k = 0;
    do {
        tmp[sizeof tmp - ++k] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while ((v || k < min) && k < (int)sizeof tmp);
    cat(buf, cap, len, tmp + sizeof tmp - k, (size_t)k);
}

/* The id of the answer when Gemini sends no responseId: unique in the process. */
static void fallback_id(gemini_state *st)
{
    static uint64_t seq;
    uint64_t n = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
    size_t len = 0;
    cat(st->id, sizeof st->id, &len, "chatcmpl-seam", 13);
    cat_hex(st->id, sizeof st->id, &len, (unsigned long long)st->created, 1);
    cat_hex(st->id, sizeof st->id, &len, n & 0xffffff, 6);
}

/* "models/NAME" or "tunedModels/NAME" for a model name, or -1 when it holds
 * characters a URL path would need escaped. */
static int model_resource(const char *model, char *out, size_t outlen)
{
    const char *kind = "models/";
    if (strncmp(model, "models/", 7) == 0) {
        model += 7;
    } else if (strncmp(model, "tunedModels/", 12) == 0) {
        model += 12;
        kind = "tunedModels/";
    }
    size_t n = strlen(model), len = 0;
    if (!n || n > MAX_MODEL ||
        strspn(model, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                      "0123456789._-") != n)
        return -1;
    cat(out, outlen, &len, kind, strlen(kind));
    cat(out, outlen, &len, model, n);
    return 0;
}

static int build(const seam_provider *p, const seam_call_req *req, void *state,
                 seam_adapter_out *out)
{
    const gemini_provider *gp = (const gemini_provider *)p;
    gemini_state *st = state;
    seam_jdoc doc = {0};
    seam_jw w;
    xl x = {.p = p, .req = req, .d = &doc, .w = &w};
    seam_buf_init(&x.tmp, req->body_len + 16); /* decoding only shortens */
    st->created = (long long)time(NULL);
    fallback_id(st);

    int rc = -1;
    char resource[MAX_MODEL + 16];
    if (!req->model || model_resource(req->model, resource, sizeof resource)) {
        at a = at_name(NULL, "model");
        refuse(&x, &a, "Gemini model names may hold only letters, digits, '.', '_', '-'");
        goto done;
    }
    if (seam_jdoc_parse(&doc, req->body, req->body_len, NULL) ||
        !seam_jis(seam_jroot(&doc), SEAM_JOBJECT)) {
        at a = at_name(NULL, "body");
        refuse(&x, &a, "must be a JSON object");
        goto done;
    }
    int chat = req->op != SEAM_OP_EMBEDDINGS;
    x.signatures = wants_signatures(req->model);
    seam_jw_init(&w, &out->body);
    seam_buf_reserve(&out->body, req->body_len + 256); /* about the size it becomes */
    seam_jw_obj(&w);
    if (chat ? build_chat(&x, seam_jroot(&doc), st)
             : build_embeddings(&x, seam_jroot(&doc), st, resource))
        goto done;
    seam_jw_end(&w);
    if (seam_jw_error(&w) || x.nomem) goto done;

    char path[MAX_MODEL + 256];
    const char *method = !chat         ? ":batchEmbedContents"
                         : req->stream ? ":streamGenerateContent?alt=sse"
                                       : ":generateContent";
    size_t len = 0;
    cat(path, sizeof path, &len, gp->prefix, strlen(gp->prefix));
    cat(path, sizeof path, &len, "/", 1);
    cat(path, sizeof path, &len, resource, strlen(resource));
    cat(path, sizeof path, &len, method, strlen(method));
    out->owned_target = seam_http_target_derive(gp->origin, path);
    if (!out->owned_target) goto done;
    out->target = out->owned_target;
    if ((gp->key_line && seam_adapter_header_line(out, gp->key_line)) ||
        seam_adapter_header_line(out, "Content-Type: application/json") ||
        seam_adapter_header_line(out, chat && req->stream ? "Accept: text/event-stream"
                                                          : "Accept: application/json"))
        goto done;
    if (chat && req->stream) {
        seam_sse_reader_init(&st->sse, GEMINI_MAX_EVENT);
        st->sse_ready = 1;
    }
    rc = 0;
done:
    seam_jdoc_free(&doc);
    seam_buf_free(&x.tmp);
    return rc;
}

const seam_adapter_ops seam_gemini_ops = {
    .build = build,
    .state_size = sizeof(gemini_state),
    .state_free = seam_gemini_state_free,
    .response = seam_gemini_response,
    .stream = seam_gemini_stream,
    .stream_end = seam_gemini_stream_end,
    .error = seam_gemini_error,
};

static seam_call *start(seam_provider *p, const seam_io *io, const seam_call_req *req,
                        const seam_call_cbs *cbs, void *ud)
{
    return seam_adapter_start(p, &seam_gemini_ops, io, req, cbs, ud);
}

static const char *const *check_headers(const seam_provider *p)
{
    return ((const gemini_provider *)p)->check_lines;
}

const seam_provider_vt seam_provider_gemini = {
    .type = "gemini",
    .create = create,
    .start = start,
    .cancel = seam_adapter_cancel,
    .destroy = destroy,
    .check_headers = check_headers,
};
