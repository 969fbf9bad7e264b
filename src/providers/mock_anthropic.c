/* mock_anthropic.c — the mock vendor speaking Anthropic's Messages API (no I/O).
 *
 * Written from Anthropic's API reference (docs.anthropic.com/en/api/messages,
 * .../messages-streaming, .../errors), not from providers/anthropic.c, so the
 * adapter is tested against a peer that talks like Anthropic:
 *   POST /v1/messages               {"id":"msg_...","type":"message","role":
 *                                   "assistant","model","content":[...],
 *                                   "stop_reason","stop_sequence","usage"}
 *   POST /v1/messages  stream:true  event: message_start, content_block_start,
 *                                   ping, content_block_delta..., content_block_stop,
 *                                   message_delta, message_stop
 *   POST /v1/messages/count_tokens  {"input_tokens": N}
 * x-api-key and anthropic-version are not checked.
 *
 * It answers as the OpenAI mock does (mock_reply.h): the text of the last
 * user message that has text (string content or text blocks, concatenated)
 * when echo is on, else "This is a mock reply from seam to a message of N
 * words."; stop_sequences cut the text before the first one found
 * (stop_reason stop_sequence); max_tokens cuts it at 4 characters a token
 * (stop_reason max_tokens); offered tools give one tool_use block (the first
 * tool, or the one tool_choice {type:tool} names; none under {type:none},
 * nor after a tool_result unless tool_choice is any/tool) whose input follows
 * the tool's input_schema properties (strings get the user text or "mock",
 * enums their first value, numbers 1, booleans true, arrays one item,
 * objects their own properties); usage counts ceil(characters / 4), at
 * least 1.  Streams send the text a few words per text_delta and the tool
 * input as input_json_delta pieces (an empty one first, as Anthropic does,
 * then at least 3 when the input is long enough).
 *
 * Requests are checked as Anthropic checks them, so a translator that gets
 * them wrong fails here: model, max_tokens and a non-empty messages array
 * are required; roles are user or assistant; text blocks must be non-empty;
 * temperature is 0..1; every tool_use must be answered by a tool_result in
 * the next message and every tool_result must answer a tool_use of the
 * message before it; tools need a name and an input_schema.  Failures are
 * 400s in Anthropic's format {"type":"error","error":{"type":
 * "invalid_request_error","message"}}.
 *
 * The [[mock:...]] directives and fail_rate work as in mock_reply.h with
 * Anthropic's error bodies: 429 rate_limit_error (Retry-After: 1), 500
 * api_error, and [[mock:503]] gives what Anthropic sends when overloaded:
 * 529 overloaded_error.  reset, stall and slow set plan.fault as the OpenAI
 * mock does.
 *
 * The hashing and sampling helpers repeat a few lines of mock_reply.c on
 * purpose: each wire reads on its own. */
#include "providers/mock_wire.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TEXT_DELTAS  256 /* text events; beyond, words share one */
#define MAX_ARG_PIECES   64  /* input_json_delta events per tool_use */
#define ARG_PIECE_TARGET 16  /* bytes of input per event, before the caps */
#define SCHEMA_DEPTH     6   /* nesting followed when building tool input */
#define MAX_ERROR_MSG    512

/* ---- small helpers (see the note at the top) ---- */

static uint64_t fnv1a(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t splitmix(uint64_t x)
{
    uint64_t z = x + 0x9e3779b97f4a7c15ULL;
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

/* Byte length of the first `chars` code points of s[0..n). */
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

static int str_eq(json_t *v, const char *s)
{
    return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

/* ---- writing the plan ---- */

typedef struct out {
    seam_mock_plan *p;
    size_t cap; /* of p->event_ends */
    int err;    /* first failure; later writes are skipped */
} out;

static void put(out *o, const char *s, size_t n)
{
    if (!o->err) o->err = seam_buf_append(&o->p->body, s, n);
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
    if (!o->err) o->err = seam_buf_append_json_str(&o->p->body, s, n);
    put(o, "\"", 1);
}

static void put_id(out *o, const char *prefix, uint64_t h)
{
    char tmp[48];
    int n = snprintf(tmp, sizeof tmp, "\"%s%016llx\"", prefix, (unsigned long long)h);
    put(o, tmp, (size_t)n);
}

static void plan_init(seam_mock_plan *p)
{
    memset(p, 0, sizeof *p);
    p->status = 200;
    p->fault = SEAM_MOCK_OK;
    seam_buf_init(&p->body, SEAM_MOCK_MAX_REPLY);
}

/* event: NAME\ndata: — the JSON follows, then ev_end. */
static void ev_begin(out *o, const char *name)
{
    put_s(o, "event: ");
    put_s(o, name);
    put_s(o, "\ndata: ");
}

static void ev_end(out *o)
{
    put(o, "\n\n", 2);
    if (o->err) return;
    seam_mock_plan *p = o->p;
    if (p->nevents == o->cap) {
        size_t ncap = o->cap ? o->cap * 2 : 16;
        size_t *e = realloc(p->event_ends, ncap * sizeof *e);
        if (!e) {
            o->err = SEAM_BUF_NOMEM;
            return;
        }
        p->event_ends = e;
        o->cap = ncap;
    }
    p->event_ends[p->nevents++] = p->body.len;
}

/* An Anthropic error reply; replaces whatever p held.  0 or SEAM_BUF_NOMEM. */
static int error_plan(seam_mock_plan *p, int status, const char *type, const char *message)
{
    seam_mock_plan_free(p);
    plan_init(p);
    p->status = status;
    out o = {p, 0, 0};
    put_s(&o, "{\"type\":\"error\",\"error\":{\"type\":\"");
    put_s(&o, type);
    put_s(&o, "\",\"message\":");
    put_str(&o, message, strlen(message));
    put_s(&o, "}}");
    if (o.err) {
        seam_mock_plan_free(p);
        return SEAM_BUF_NOMEM;
    }
    return 0;
}

/* A 400 for readers that return 1 for "p now holds an error reply". */
static int reject(seam_mock_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int reject(seam_mock_plan *p, const char *fmt, ...)
{
    char msg[MAX_ERROR_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int rc = error_plan(p, 400, "invalid_request_error", msg);
    return rc ? rc : 1;
}

/* ---- faults ---- */

/* -1 for none, else 0..5 = 429, 500, 503, reset, stall, slow. */
static int fault_directive(const char *s, size_t n)
{
    static const char *const tags[] = {"[[mock:429]]",   "[[mock:500]]",   "[[mock:503]]",
                                       "[[mock:reset]]", "[[mock:stall]]", "[[mock:slow]]"};
    if (!n || !memmem(s, n, "[[mock:", 7)) return -1;
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

/* 1 when p is complete (an error status or a reset), 0 when the normal reply
 * is still to be built (maybe stalled or slow), or a negative error. */
static int apply_fault(seam_mock_plan *p, int f)
{
    int rc;
    switch (f) {
    case 0:
        rc = error_plan(p, 429, "rate_limit_error",
                        "Number of request tokens has exceeded your per-minute rate limit "
                        "(injected by seam mock)");
        if (rc) return rc;
        p->fault = SEAM_MOCK_STATUS;
        p->retry_after = "1";
        return 1;
    case 1:
        rc = error_plan(p, 500, "api_error", "Internal server error (injected by seam mock)");
        if (rc) return rc;
        p->fault = SEAM_MOCK_STATUS;
        return 1;
    case 2:
        rc = error_plan(p, 529, "overloaded_error", "Overloaded (injected by seam mock)");
        if (rc) return rc;
        p->fault = SEAM_MOCK_STATUS;
        return 1;
    case 3:
        p->fault = SEAM_MOCK_RESET;
        p->status = 0;
        return 1;
    case 4: p->fault = SEAM_MOCK_STALL; return 0;
    case 5: p->fault = SEAM_MOCK_SLOW; return 0;
    default: return 0;
    }
}

/* ---- reading the request ---- */

typedef struct req {
    json_t *root;
    const char *model;
    size_t model_len;
    int stream;
    size_t max_tokens;
    seam_buf user; /* text of the last user message that has text */
    int has_user;
    int last_is_result;  /* the last message carries a tool_result */
    size_t prompt_chars; /* code points of all text */
    json_t *tool;        /* the chosen tools[i], or NULL for a text reply */
    json_t *stops;       /* stop_sequences, or NULL */
    uint64_t hash;       /* of the request bytes: ids */
} req;

/* Counts and (when dst) collects the text of a message's content.  Returns 0,
 * 1 when p now holds a 400, or a negative error. */
static int read_content(req *r, seam_mock_plan *p, size_t i, json_t *content, seam_buf *dst,
                        int *has_result, int *has_text)
{
    if (json_is_string(content)) {
        size_t n = json_string_length(content);
        if (!n) return reject(p, "messages.%zu: all messages must have non-empty content", i);
        r->prompt_chars += utf8_chars(json_string_value(content), n);
        *has_text = 1;
        return dst ? seam_buf_append(dst, json_string_value(content), n) : 0;
    }
    if (!json_is_array(content))
        return reject(p, "messages.%zu.content: Input should be a valid string or list", i);
    if (!json_array_size(content))
        return reject(p, "messages.%zu: all messages must have non-empty content", i);
    size_t j;
    json_t *b;
    json_array_foreach(content, j, b)
    {
        json_t *type = json_object_get(b, "type");
        if (str_eq(type, "text")) {
            json_t *text = json_object_get(b, "text");
            if (!json_is_string(text))
                return reject(p, "messages.%zu.content.%zu.text: Field required", i, j);
            size_t n = json_string_length(text);
            if (!n) return reject(p, "messages: text content blocks must be non-empty");
            r->prompt_chars += utf8_chars(json_string_value(text), n);
            *has_text = 1;
            if (dst) {
                int rc = seam_buf_append(dst, json_string_value(text), n);
                if (rc) return rc;
            }
        } else if (str_eq(type, "tool_result")) {
            *has_result = 1;
            json_t *c = json_object_get(b, "content");
            if (json_is_string(c))
                r->prompt_chars += utf8_chars(json_string_value(c), json_string_length(c));
            size_t k;
            json_t *cb;
            json_array_foreach(c, k, cb)
            {
                json_t *t = json_object_get(cb, "text");
                if (json_is_string(t))
                    r->prompt_chars += utf8_chars(json_string_value(t), json_string_length(t));
            }
        } else if (str_eq(type, "image") || str_eq(type, "document")) {
            json_t *src = json_object_get(b, "source");
            json_t *st = json_object_get(src, "type");
            if (!(str_eq(st, "base64") && json_is_string(json_object_get(src, "media_type")) &&
                  json_is_string(json_object_get(src, "data"))) &&
                !(str_eq(st, "url") && json_is_string(json_object_get(src, "url"))) &&
                !(str_eq(type, "document") && str_eq(st, "text")))
                return reject(p,
                              "messages.%zu.content.%zu.source: Input tag does not match any "
                              "of the expected tags",
                              i, j);
        } else if (!str_eq(type, "tool_use") && !str_eq(type, "thinking") &&
                   !str_eq(type, "redacted_thinking")) {
            return reject(p,
                          "messages.%zu.content.%zu: Input tag '%s' found using 'type' does "
                          "not match any of the expected tags",
                          i, j, json_is_string(type) ? json_string_value(type) : "");
        }
    }
    return 0;
}

/* tool_use ids of an assistant message's content, as a JSON array (new reference). */
static json_t *tool_use_ids(json_t *content)
{
    json_t *ids = json_array();
    size_t j;
    json_t *b;
    json_array_foreach(content, j, b)
    {
        json_t *id = json_object_get(b, "id");
        if (str_eq(json_object_get(b, "type"), "tool_use") && json_is_string(id))
            json_array_append(ids, id);
    }
    return ids;
}

static int has_id(json_t *ids, json_t *id)
{
    size_t k;
    json_t *v;
    json_array_foreach(ids, k, v)
    {
        if (json_equal(v, id)) return 1;
    }
    return 0;
}

/* Anthropic's pairing rule: a tool_use is answered in the very next message,
 * and a tool_result answers a tool_use of the message before it. */
static int check_pairs(seam_mock_plan *p, json_t *messages)
{
    size_t n = json_array_size(messages);
    for (size_t i = 0; i < n; i++) {
        json_t *m = json_array_get(messages, i);
        json_t *content = json_object_get(m, "content");
        json_t *prev = i ? json_array_get(messages, i - 1) : NULL;
        json_t *prev_ids = prev && str_eq(json_object_get(prev, "role"), "assistant")
                               ? tool_use_ids(json_object_get(prev, "content"))
                               : json_array();
        json_t *answered = json_array();
        size_t j;
        json_t *b;
        int rc = 0;
        json_array_foreach(content, j, b)
        {
            if (!str_eq(json_object_get(b, "type"), "tool_result")) continue;
            json_t *id = json_object_get(b, "tool_use_id");
            if (!json_is_string(id)) {
                rc = reject(p, "messages.%zu.content.%zu.tool_use_id: Field required", i, j);
                break;
            }
            if (!has_id(prev_ids, id)) {
                rc = reject(p,
                            "messages.%zu.content.%zu: unexpected `tool_use_id` found in "
                            "`tool_result` blocks: %.64s. Each `tool_result` block must have a "
                            "corresponding `tool_use` block in the previous message.",
                            i, j, json_string_value(id));
                break;
            }
            json_array_append(answered, id);
        }
        if (!rc && prev_ids) {
            json_t *id;
            json_array_foreach(prev_ids, j, id)
            {
                if (!has_id(answered, id)) {
                    rc = reject(p,
                                "messages.%zu: `tool_use` ids were found without `tool_result` "
                                "blocks immediately after: %.64s. Each `tool_use` block must "
                                "have a corresponding `tool_result` block in the next message.",
                                i - 1, json_string_value(id));
                    break;
                }
            }
        }
        json_decref(prev_ids);
        json_decref(answered);
        if (rc) return rc;
    }
    /* a tool_use in the last message is fine: that is the question to the client */
    return 0;
}

static int read_system(req *r, seam_mock_plan *p)
{
    json_t *s = json_object_get(r->root, "system");
    if (!s) return 0;
    if (json_is_string(s)) {
        r->prompt_chars += utf8_chars(json_string_value(s), json_string_length(s));
        return 0;
    }
    if (!json_is_array(s)) return reject(p, "system: Input should be a valid string or list");
    size_t i;
    json_t *b;
    json_array_foreach(s, i, b)
    {
        json_t *text = json_object_get(b, "text");
        if (!str_eq(json_object_get(b, "type"), "text") || !json_is_string(text))
            return reject(p, "system.%zu: Input should be a text block", i);
        if (!json_string_length(text))
            return reject(p, "system: text content blocks must be non-empty");
        r->prompt_chars += utf8_chars(json_string_value(text), json_string_length(text));
    }
    return 0;
}

static int read_tools(req *r, seam_mock_plan *p)
{
    json_t *tools = json_object_get(r->root, "tools");
    json_t *choice = json_object_get(r->root, "tool_choice");
    json_t *ctype = json_object_get(choice, "type");
    if (tools && !json_is_array(tools)) return reject(p, "tools: Input should be a valid list");
    size_t i;
    json_t *t;
    json_array_foreach(tools, i, t)
    {
        if (!json_is_string(json_object_get(t, "name")))
            return reject(p, "tools.%zu.name: Field required", i);
        if (!json_is_object(json_object_get(t, "input_schema")))
            return reject(p, "tools.%zu.input_schema: Field required", i);
    }
    if (choice) {
        if (!str_eq(ctype, "auto") && !str_eq(ctype, "any") && !str_eq(ctype, "tool") &&
            !str_eq(ctype, "none"))
            return reject(p, "tool_choice: Input tag does not match any of the expected tags: "
                             "'auto', 'any', 'tool', 'none'");
        json_t *dp = json_object_get(choice, "disable_parallel_tool_use");
        if (dp && !json_is_boolean(dp))
            return reject(p, "tool_choice.disable_parallel_tool_use: Input should be a valid "
                             "boolean");
    }
    if (!json_array_size(tools) || str_eq(ctype, "none")) return 0;
    const char *want = NULL;
    if (str_eq(ctype, "tool")) {
        want = json_string_value(json_object_get(choice, "name"));
        if (!want) return reject(p, "tool_choice.name: Field required");
    }
    if (r->last_is_result && !want && !str_eq(ctype, "any")) return 0; /* end the agent loop */
    json_array_foreach(tools, i, t)
    {
        if (!want || strcmp(want, json_string_value(json_object_get(t, "name"))) == 0) {
            r->tool = t;
            return 0;
        }
    }
    return reject(p, "Tool '%.64s' not found in tools", want);
}

/* Reads and checks what the reply depends on; returns 0, 1 when p now holds
 * a 400, or a negative error.  count_only: /count_tokens, which takes no
 * max_tokens. */
static int read_req(req *r, seam_mock_plan *p, int count_only)
{
    json_t *model = json_object_get(r->root, "model");
    if (!json_is_string(model)) return reject(p, "model: Field required");
    r->model = json_string_value(model);
    r->model_len = json_string_length(model);
    json_t *messages = json_object_get(r->root, "messages");
    if (!messages) return reject(p, "messages: Field required");
    if (!json_is_array(messages)) return reject(p, "messages: Input should be a valid list");
    if (!json_array_size(messages)) return reject(p, "messages: at least one message is required");
    if (!count_only) {
        json_t *mt = json_object_get(r->root, "max_tokens");
        if (!mt) return reject(p, "max_tokens: Field required");
        if (!json_is_integer(mt)) return reject(p, "max_tokens: Input should be a valid integer");
        if (json_integer_value(mt) < 1) return reject(p, "max_tokens: must be at least 1");
        r->max_tokens = (size_t)json_integer_value(mt);
        json_t *temp = json_object_get(r->root, "temperature");
        if (temp &&
            (!json_is_number(temp) || json_number_value(temp) < 0 || json_number_value(temp) > 1))
            return reject(p, "temperature: range: 0..1");
        json_t *stream = json_object_get(r->root, "stream");
        if (stream && !json_is_boolean(stream))
            return reject(p, "stream: Input should be a valid boolean");
        r->stream = json_is_true(stream);
        json_t *stops = json_object_get(r->root, "stop_sequences");
        if (stops) {
            size_t i;
            json_t *s;
            if (!json_is_array(stops))
                return reject(p, "stop_sequences: Input should be a valid list");
            json_array_foreach(stops, i, s)
            {
                if (!json_is_string(s) || !json_string_length(s))
                    return reject(p, "stop_sequences.%zu: must be a non-empty string", i);
            }
            r->stops = stops;
        }
    }
    int rc = read_system(r, p);
    if (rc) return rc;

    size_t n = json_array_size(messages), last_text = n;
    for (size_t i = 0; i < n; i++) {
        json_t *m = json_array_get(messages, i);
        json_t *role = json_object_get(m, "role");
        if (!json_is_object(m) || !(str_eq(role, "user") || str_eq(role, "assistant")))
            return reject(p, "messages.%zu.role: Input should be 'user' or 'assistant'", i);
        int has_result = 0, has_text = 0;
        json_t *content = json_object_get(m, "content");
        if (!content) return reject(p, "messages.%zu.content: Field required", i);
        /* a final assistant message may be empty: it is a prefill */
        if (i + 1 == n && str_eq(role, "assistant") && json_is_string(content) &&
            !json_string_length(content))
            continue;
        rc = read_content(r, p, i, content, NULL, &has_result, &has_text);
        if (rc) return rc;
        if (str_eq(role, "user") && has_text) last_text = i;
        r->last_is_result = has_result;
    }
    rc = check_pairs(p, messages);
    if (rc) return rc;
    if (last_text < n) {
        int ignored_result = 0, ignored_text = 0;
        size_t before = r->prompt_chars;
        r->has_user = 1;
        rc = read_content(r, p, last_text,
                          json_object_get(json_array_get(messages, last_text), "content"), &r->user,
                          &ignored_result, &ignored_text);
        r->prompt_chars = before; /* counted once already */
        if (rc) return rc;
    }
    return count_only ? 0 : read_tools(r, p);
}

/* A value that fits schema s, for tool input; NULL when out of memory. */
static json_t *sample_value(json_t *s, const req *r, int depth)
{
    json_t *en = json_object_get(s, "enum");
    if (json_is_array(en) && json_array_size(en)) return json_deep_copy(json_array_get(en, 0));
    json_t *type = json_object_get(s, "type");
    if (json_is_array(type)) { /* ["string", "null"]: the first that is not null */
        size_t i;
        json_t *t, *pick = NULL;
        json_array_foreach(type, i, t)
        {
            if (!str_eq(t, "null")) {
                pick = t;
                break;
            }
        }
        type = pick;
    }
    json_t *props = json_object_get(s, "properties");
    if (depth < SCHEMA_DEPTH && (str_eq(type, "object") || (!type && json_is_object(props)))) {
        json_t *obj = json_object();
        const char *key;
        json_t *sub;
        if (!obj) return NULL;
        json_object_foreach(props, key, sub)
        {
            json_t *v = sample_value(sub, r, depth + 1);
            if (!v || json_object_set_new(obj, key, v)) {
                json_decref(obj);
                return NULL;
            }
        }
        return obj;
    }
    if (str_eq(type, "object")) return json_object();
    if (str_eq(type, "array")) {
        json_t *arr = json_array();
        json_t *items = json_object_get(s, "items");
        if (arr && depth < SCHEMA_DEPTH && json_is_object(items)) {
            json_t *v = sample_value(items, r, depth + 1);
            if (!v || json_array_append_new(arr, v)) {
                json_decref(arr);
                return NULL;
            }
        }
        return arr;
    }
    if (str_eq(type, "integer") || str_eq(type, "number")) return json_integer(1);
    if (str_eq(type, "boolean")) return json_true();
    if (str_eq(type, "null")) return json_null();
    if (r->user.len) return json_stringn(r->user.data, r->user.len);
    return json_string("mock");
}

/* ---- the reply ---- */

typedef struct reply {
    const char *text; /* the text, or the tool input's JSON */
    size_t len;
    const char *stop_reason;
    json_t *stop_sequence; /* the one that cut the text, or NULL */
    size_t input_tokens, output_tokens;
} reply;

static void put_usage_fields(out *o, size_t input, size_t output)
{
    put_s(o, "{\"input_tokens\":");
    put_u(o, input);
    put_s(o, ",\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":");
    put_u(o, output);
    put_s(o, "}");
}

static void put_tool_head(out *o, const req *r)
{
    json_t *name = json_object_get(r->tool, "name");
    put_s(o, "{\"type\":\"tool_use\",\"id\":");
    put_id(o, "toolu_", splitmix(r->hash ^ 1));
    put_s(o, ",\"name\":");
    put_str(o, json_string_value(name), json_string_length(name));
    put_s(o, ",\"input\":");
}

static void message_json(out *o, const req *r, const reply *rp)
{
    put_s(o, "{\"id\":");
    put_id(o, "msg_", r->hash);
    put_s(o, ",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
    put_str(o, r->model, r->model_len);
    put_s(o, ",\"content\":[");
    if (r->tool) {
        put_tool_head(o, r);
        put(o, rp->text, rp->len);
        put_s(o, "}");
    } else if (rp->len) {
        put_s(o, "{\"type\":\"text\",\"text\":");
        put_str(o, rp->text, rp->len);
        put_s(o, "}");
    }
    put_s(o, "],\"stop_reason\":\"");
    put_s(o, rp->stop_reason);
    put_s(o, "\",\"stop_sequence\":");
    if (rp->stop_sequence)
        put_str(o, json_string_value(rp->stop_sequence), json_string_length(rp->stop_sequence));
    else
        put_s(o, "null");
    put_s(o, ",\"usage\":");
    put_usage_fields(o, rp->input_tokens, rp->output_tokens);
    put_s(o, "}");
}

/* End of the text delta starting at pos: `words` runs of non-space with the
 * whitespace before each, so deltas concatenate back to the text. */
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

static void message_sse(out *o, const req *r, const reply *rp)
{
    ev_begin(o, "message_start");
    put_s(o, "{\"type\":\"message_start\",\"message\":{\"id\":");
    put_id(o, "msg_", r->hash);
    put_s(o, ",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
    put_str(o, r->model, r->model_len);
    put_s(o, ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":");
    put_usage_fields(o, rp->input_tokens, 1);
    put_s(o, "}}");
    ev_end(o);

    int block = r->tool || rp->len;
    if (block) {
        ev_begin(o, "content_block_start");
        put_s(o, "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":");
        if (r->tool) {
            put_tool_head(o, r);
            put_s(o, "{}}}");
        } else {
            put_s(o, "{\"type\":\"text\",\"text\":\"\"}}");
        }
        ev_end(o);
    }
    ev_begin(o, "ping");
    put_s(o, "{\"type\":\"ping\"}");
    ev_end(o);

    if (r->tool) {
        size_t want = (rp->len + ARG_PIECE_TARGET - 1) / ARG_PIECE_TARGET;
        if (want < 3) want = 3;
        if (want > MAX_ARG_PIECES) want = MAX_ARG_PIECES;
        size_t size = (rp->len + want - 1) / want;
        if (!size) size = 1;
        for (size_t pos = 0, first = 1; (pos < rp->len || first) && !o->err; first = 0) {
            size_t end = first ? 0 : pos + size < rp->len ? pos + size : rp->len;
            while (end < rp->len && ((unsigned char)rp->text[end] & 0xc0) == 0x80)
                end++;
            ev_begin(o, "content_block_delta");
            put_s(o, "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
                     "\"input_json_delta\",\"partial_json\":");
            put_str(o, rp->text + pos, end - pos);
            put_s(o, "}}");
            ev_end(o);
            pos = end;
        }
    } else {
        size_t words = count_words(rp->text, rp->len);
        size_t per = (words + MAX_TEXT_DELTAS - 1) / MAX_TEXT_DELTAS;
        if (!per) per = 1;
        for (size_t pos = 0; pos < rp->len && !o->err;) {
            size_t end = text_piece_end(rp->text, rp->len, pos, per);
            ev_begin(o, "content_block_delta");
            put_s(o, "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
                     "\"text_delta\",\"text\":");
            put_str(o, rp->text + pos, end - pos);
            put_s(o, "}}");
            ev_end(o);
            pos = end;
        }
    }
    if (block) {
        ev_begin(o, "content_block_stop");
        put_s(o, "{\"type\":\"content_block_stop\",\"index\":0}");
        ev_end(o);
    }

    ev_begin(o, "message_delta");
    put_s(o, "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"");
    put_s(o, rp->stop_reason);
    put_s(o, "\",\"stop_sequence\":");
    if (rp->stop_sequence)
        put_str(o, json_string_value(rp->stop_sequence), json_string_length(rp->stop_sequence));
    else
        put_s(o, "null");
    put_s(o, "},\"usage\":{\"output_tokens\":");
    put_u(o, rp->output_tokens);
    put_s(o, "}}");
    ev_end(o);

    ev_begin(o, "message_stop");
    put_s(o, "{\"type\":\"message_stop\"}");
    ev_end(o);
}

/* Turns a build status into the function's result: a reply past the cap
 * becomes a 400 so the caller always has something to send. */
static int finish(seam_mock_plan *p, int rc)
{
    if (rc == 0) return 0;
    if (rc == SEAM_BUF_TOOBIG)
        return error_plan(p, 400, "invalid_request_error",
                          "The mock's reply would exceed its 16 MiB cap.");
    seam_mock_plan_free(p);
    return SEAM_BUF_NOMEM;
}

static int plan_count(req *r, seam_mock_plan *p)
{
    out o = {p, 0, 0};
    put_s(&o, "{\"input_tokens\":");
    put_u(&o, tokens_for(r->prompt_chars));
    put_s(&o, "}");
    return finish(p, o.err);
}

static int plan_message(req *r, const char *body, size_t n, seam_mock_opts *opts, seam_mock_plan *p)
{
    int f = fault_directive(r->user.data, r->user.len);
    if (f < 0) f = fault_roll(opts);
    int rc = apply_fault(p, f);
    if (rc) return rc > 0 ? 0 : rc;
    if (p->fault == SEAM_MOCK_STALL && !r->stream) return 0; /* nothing will be sent */

    r->hash = fnv1a(body, n);
    reply rp = {.stop_reason = "end_turn", .input_tokens = tokens_for(r->prompt_chars)};
    char sentence[96];
    char *input = NULL;
    if (r->tool) {
        json_t *v = sample_value(json_object_get(r->tool, "input_schema"), r, 0);
        if (v && !json_is_object(v)) { /* tool input is always an object */
            json_decref(v);
            v = json_object();
        }
        input = v ? json_dumps(v, JSON_COMPACT) : NULL;
        json_decref(v);
        if (!input) return finish(p, SEAM_BUF_NOMEM);
        rp.text = input;
        rp.len = strlen(input);
        rp.stop_reason = "tool_use";
        json_t *name = json_object_get(r->tool, "name");
        rp.output_tokens =
            tokens_for(utf8_chars(json_string_value(name), json_string_length(name)) +
                       utf8_chars(input, rp.len));
    } else {
        if (opts && opts->echo && r->has_user) {
            rp.text = r->user.data ? r->user.data : "";
            rp.len = r->user.len;
        } else {
            int k = snprintf(sentence, sizeof sentence,
                             "This is a mock reply from seam to a message of %zu words.",
                             count_words(r->user.data, r->user.len));
            rp.text = sentence;
            rp.len = (size_t)k;
        }
        /* the earliest stop sequence wins */
        size_t i;
        json_t *s;
        json_array_foreach(r->stops, i, s)
        {
            const char *at = memmem(rp.text, rp.len, json_string_value(s), json_string_length(s));
            if (at && (size_t)(at - rp.text) <= rp.len) {
                rp.len = (size_t)(at - rp.text);
                rp.stop_reason = "stop_sequence";
                rp.stop_sequence = s;
            }
        }
        size_t chars = utf8_chars(rp.text, rp.len);
        if (chars > r->max_tokens * 4) {
            rp.len = utf8_prefix(rp.text, rp.len, r->max_tokens * 4);
            chars = r->max_tokens * 4;
            rp.stop_reason = "max_tokens";
            rp.stop_sequence = NULL;
        }
        rp.output_tokens = tokens_for(chars);
    }

    out o = {p, 0, 0};
    seam_buf_reserve(&p->body, 1024);
    if (r->stream) {
        p->stream = 1;
        message_sse(&o, r, &rp);
        if (p->fault == SEAM_MOCK_STALL)
            p->stall_after =
                p->nevents < SEAM_MOCK_STALL_AFTER ? p->nevents : SEAM_MOCK_STALL_AFTER;
    } else {
        message_json(&o, r, &rp);
    }
    free(input);
    return finish(p, o.err);
}

int seam_mock_anthropic_match(const char *path, const char *query)
{
    return strcmp(path, "/v1/messages") == 0 || strcmp(path, "/v1/messages/count_tokens") == 0;
}

int seam_mock_anthropic_plan(const char *path, const char *query, const char *body, size_t n,
                             seam_mock_opts *opts, seam_mock_plan *p)
{
    plan_init(p);
    int count_only = strcmp(path, "/v1/messages/count_tokens") == 0;
    req r;
    memset(&r, 0, sizeof r);
    seam_buf_init(&r.user, SEAM_MOCK_MAX_REPLY);
    int rc;
    json_error_t jerr;
    r.root = json_loadb(body, n, 0, &jerr);
    if (!json_is_object(r.root)) {
        rc = reject(p, "Invalid JSON in request body: %s", r.root ? "not an object" : jerr.text);
        rc = rc > 0 ? 0 : rc;
        goto done;
    }
    rc = read_req(&r, p, count_only);
    if (rc) {
        rc = rc > 0 ? 0 : finish(p, rc);
        goto done;
    }
    rc = count_only ? plan_count(&r, p) : plan_message(&r, body, n, opts, p);
done:
    seam_buf_free(&r.user);
    json_decref(r.root);
    return rc;
}
