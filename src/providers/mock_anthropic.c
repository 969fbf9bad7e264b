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
 * What every wire does alike (hashing, counting, faults, stream pieces,
 * tool input) is in mock_common.c. */
#include "providers/mock_wire.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/mock_common.h"

#define MAX_ERROR_MSG 512

/* ---- writing the plan ---- */

static void put_id(seam_mock_out *o, const char *prefix, uint64_t h)
{
    char tmp[48];
    int n = snprintf(tmp, sizeof tmp, "\"%s%016llx\"", prefix, (unsigned long long)h);
    seam_mock_put(o, tmp, (size_t)n);
}

/* event: NAME\ndata: — the JSON follows, then seam_mock_sse_end. */
static void ev_begin(seam_mock_out *o, const char *name)
{
    seam_mock_put_s(o, "event: ");
    seam_mock_put_s(o, name);
    seam_mock_put_s(o, "\ndata: ");
}

/* An Anthropic error reply; replaces whatever p held.  0 or SEAM_BUF_NOMEM. */
static int error_plan(seam_mock_plan *p, int status, const char *type, const char *message)
{
    seam_mock_plan_free(p);
    seam_mock_plan_init(p);
    p->status = status;
    seam_mock_out o = seam_mock_out_plan(p);
    seam_mock_put_s(&o, "{\"type\":\"error\",\"error\":{\"type\":\"");
    seam_mock_put_s(&o, type);
    seam_mock_put_s(&o, "\",\"message\":");
    seam_mock_put_str(&o, message, strlen(message));
    seam_mock_put_s(&o, "}}");
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
    default: return seam_mock_fault_bodiless(p, f);
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
        r->prompt_chars += seam_mock_utf8_chars(json_string_value(content), n);
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
        if (seam_mock_str_eq(type, "text")) {
            json_t *text = json_object_get(b, "text");
            if (!json_is_string(text))
                return reject(p, "messages.%zu.content.%zu.text: Field required", i, j);
            size_t n = json_string_length(text);
            if (!n) return reject(p, "messages: text content blocks must be non-empty");
            r->prompt_chars += seam_mock_utf8_chars(json_string_value(text), n);
            *has_text = 1;
            if (dst) {
                int rc = seam_buf_append(dst, json_string_value(text), n);
                if (rc) return rc;
            }
        } else if (seam_mock_str_eq(type, "tool_result")) {
            *has_result = 1;
            json_t *c = json_object_get(b, "content");
            if (json_is_string(c))
                r->prompt_chars +=
                    seam_mock_utf8_chars(json_string_value(c), json_string_length(c));
            size_t k;
            json_t *cb;
            json_array_foreach(c, k, cb)
            {
                json_t *t = json_object_get(cb, "text");
                if (json_is_string(t))
                    r->prompt_chars +=
                        seam_mock_utf8_chars(json_string_value(t), json_string_length(t));
            }
        } else if (seam_mock_str_eq(type, "image") || seam_mock_str_eq(type, "document")) {
            json_t *src = json_object_get(b, "source");
            json_t *st = json_object_get(src, "type");
            if (!(seam_mock_str_eq(st, "base64") &&
                  json_is_string(json_object_get(src, "media_type")) &&
                  json_is_string(json_object_get(src, "data"))) &&
                !(seam_mock_str_eq(st, "url") && json_is_string(json_object_get(src, "url"))) &&
                !(seam_mock_str_eq(type, "document") && seam_mock_str_eq(st, "text")))
                return reject(p,
                              "messages.%zu.content.%zu.source: Input tag does not match any "
                              "of the expected tags",
                              i, j);
        } else if (!seam_mock_str_eq(type, "tool_use") && !seam_mock_str_eq(type, "thinking") &&
                   !seam_mock_str_eq(type, "redacted_thinking")) {
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
        if (seam_mock_str_eq(json_object_get(b, "type"), "tool_use") && json_is_string(id))
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
        json_t *prev_ids = prev && seam_mock_str_eq(json_object_get(prev, "role"), "assistant")
                               ? tool_use_ids(json_object_get(prev, "content"))
                               : json_array();
        json_t *answered = json_array();
        size_t j;
        json_t *b;
        int rc = 0;
        json_array_foreach(content, j, b)
        {
            if (!seam_mock_str_eq(json_object_get(b, "type"), "tool_result")) continue;
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
        r->prompt_chars += seam_mock_utf8_chars(json_string_value(s), json_string_length(s));
        return 0;
    }
    if (!json_is_array(s)) return reject(p, "system: Input should be a valid string or list");
    size_t i;
    json_t *b;
    json_array_foreach(s, i, b)
    {
        json_t *text = json_object_get(b, "text");
        if (!seam_mock_str_eq(json_object_get(b, "type"), "text") || !json_is_string(text))
            return reject(p, "system.%zu: Input should be a text block", i);
        if (!json_string_length(text))
            return reject(p, "system: text content blocks must be non-empty");
        r->prompt_chars += seam_mock_utf8_chars(json_string_value(text), json_string_length(text));
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
        if (!seam_mock_str_eq(ctype, "auto") && !seam_mock_str_eq(ctype, "any") &&
            !seam_mock_str_eq(ctype, "tool") && !seam_mock_str_eq(ctype, "none"))
            return reject(p, "tool_choice: Input tag does not match any of the expected tags: "
                             "'auto', 'any', 'tool', 'none'");
        json_t *dp = json_object_get(choice, "disable_parallel_tool_use");
        if (dp && !json_is_boolean(dp))
            return reject(p, "tool_choice.disable_parallel_tool_use: Input should be a valid "
                             "boolean");
    }
    if (!json_array_size(tools) || seam_mock_str_eq(ctype, "none")) return 0;
    const char *want = NULL;
    if (seam_mock_str_eq(ctype, "tool")) {
        want = json_string_value(json_object_get(choice, "name"));
        if (!want) return reject(p, "tool_choice.name: Field required");
    }
    if (r->last_is_result && !want && !seam_mock_str_eq(ctype, "any"))
        return 0; /* end the agent loop */
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
        if (!json_is_object(m) ||
            !(seam_mock_str_eq(role, "user") || seam_mock_str_eq(role, "assistant")))
            return reject(p, "messages.%zu.role: Input should be 'user' or 'assistant'", i);
        int has_result = 0, has_text = 0;
        json_t *content = json_object_get(m, "content");
        if (!content) return reject(p, "messages.%zu.content: Field required", i);
        /* a final assistant message may be empty: it is a prefill */
        if (i + 1 == n && seam_mock_str_eq(role, "assistant") && json_is_string(content) &&
            !json_string_length(content))
            continue;
        rc = read_content(r, p, i, content, NULL, &has_result, &has_text);
        if (rc) return rc;
        if (seam_mock_str_eq(role, "user") && has_text) last_text = i;
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

/* ---- the reply ---- */

typedef struct reply {
    const char *text; /* the text, or the tool input's JSON */
    size_t len;
    const char *stop_reason;
    json_t *stop_sequence; /* the one that cut the text, or NULL */
    size_t input_tokens, output_tokens;
} reply;

static void put_usage_fields(seam_mock_out *o, size_t input, size_t output)
{
    seam_mock_put_s(o, "{\"input_tokens\":");
    seam_mock_put_u(o, input);
    seam_mock_put_s(
        o, ",\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":");
    seam_mock_put_u(o, output);
    seam_mock_put_s(o, "}");
}

static void put_tool_head(seam_mock_out *o, const req *r)
{
    json_t *name = json_object_get(r->tool, "name");
    seam_mock_put_s(o, "{\"type\":\"tool_use\",\"id\":");
    uint64_t seed = r->hash ^ 1;
    put_id(o, "toolu_", seam_mock_splitmix(&seed));
    seam_mock_put_s(o, ",\"name\":");
    seam_mock_put_str(o, json_string_value(name), json_string_length(name));
    seam_mock_put_s(o, ",\"input\":");
}

static void message_json(seam_mock_out *o, const req *r, const reply *rp)
{
    seam_mock_put_s(o, "{\"id\":");
    put_id(o, "msg_", r->hash);
    seam_mock_put_s(o, ",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
    seam_mock_put_str(o, r->model, r->model_len);
    seam_mock_put_s(o, ",\"content\":[");
    if (r->tool) {
        put_tool_head(o, r);
        seam_mock_put(o, rp->text, rp->len);
        seam_mock_put_s(o, "}");
    } else if (rp->len) {
        seam_mock_put_s(o, "{\"type\":\"text\",\"text\":");
        seam_mock_put_str(o, rp->text, rp->len);
        seam_mock_put_s(o, "}");
    }
    seam_mock_put_s(o, "],\"stop_reason\":\"");
    seam_mock_put_s(o, rp->stop_reason);
    seam_mock_put_s(o, "\",\"stop_sequence\":");
    if (rp->stop_sequence)
        seam_mock_put_str(o, json_string_value(rp->stop_sequence),
                          json_string_length(rp->stop_sequence));
    else
        seam_mock_put_s(o, "null");
    seam_mock_put_s(o, ",\"usage\":");
    put_usage_fields(o, rp->input_tokens, rp->output_tokens);
    seam_mock_put_s(o, "}");
}

static void message_sse(seam_mock_out *o, const req *r, const reply *rp)
{
    ev_begin(o, "message_start");
    seam_mock_put_s(o, "{\"type\":\"message_start\",\"message\":{\"id\":");
    put_id(o, "msg_", r->hash);
    seam_mock_put_s(o, ",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
    seam_mock_put_str(o, r->model, r->model_len);
    seam_mock_put_s(o, ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":");
    put_usage_fields(o, rp->input_tokens, 1);
    seam_mock_put_s(o, "}}");
    seam_mock_sse_end(o);

    int block = r->tool || rp->len;
    if (block) {
        ev_begin(o, "content_block_start");
        seam_mock_put_s(o, "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":");
        if (r->tool) {
            put_tool_head(o, r);
            seam_mock_put_s(o, "{}}}");
        } else {
            seam_mock_put_s(o, "{\"type\":\"text\",\"text\":\"\"}}");
        }
        seam_mock_sse_end(o);
    }
    ev_begin(o, "ping");
    seam_mock_put_s(o, "{\"type\":\"ping\"}");
    seam_mock_sse_end(o);

    if (r->tool) {
        size_t size = seam_mock_arg_piece_size(rp->len);
        for (size_t pos = 0, first = 1; (pos < rp->len || first) && !o->err; first = 0) {
            size_t end = seam_mock_arg_piece_end(rp->text, rp->len, pos, first ? 0 : size);
            ev_begin(o, "content_block_delta");
            seam_mock_put_s(o, "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
                               "\"input_json_delta\",\"partial_json\":");
            seam_mock_put_str(o, rp->text + pos, end - pos);
            seam_mock_put_s(o, "}}");
            seam_mock_sse_end(o);
            pos = end;
        }
    } else {
        size_t per = seam_mock_words_per_delta(rp->text, rp->len);
        for (size_t pos = 0; pos < rp->len && !o->err;) {
            size_t end = seam_mock_text_piece_end(rp->text, rp->len, pos, per);
            ev_begin(o, "content_block_delta");
            seam_mock_put_s(o, "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
                               "\"text_delta\",\"text\":");
            seam_mock_put_str(o, rp->text + pos, end - pos);
            seam_mock_put_s(o, "}}");
            seam_mock_sse_end(o);
            pos = end;
        }
    }
    if (block) {
        ev_begin(o, "content_block_stop");
        seam_mock_put_s(o, "{\"type\":\"content_block_stop\",\"index\":0}");
        seam_mock_sse_end(o);
    }

    ev_begin(o, "message_delta");
    seam_mock_put_s(o, "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"");
    seam_mock_put_s(o, rp->stop_reason);
    seam_mock_put_s(o, "\",\"stop_sequence\":");
    if (rp->stop_sequence)
        seam_mock_put_str(o, json_string_value(rp->stop_sequence),
                          json_string_length(rp->stop_sequence));
    else
        seam_mock_put_s(o, "null");
    seam_mock_put_s(o, "},\"usage\":{\"output_tokens\":");
    seam_mock_put_u(o, rp->output_tokens);
    seam_mock_put_s(o, "}}");
    seam_mock_sse_end(o);

    ev_begin(o, "message_stop");
    seam_mock_put_s(o, "{\"type\":\"message_stop\"}");
    seam_mock_sse_end(o);
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
    seam_mock_out o = seam_mock_out_plan(p);
    seam_mock_put_s(&o, "{\"input_tokens\":");
    seam_mock_put_u(&o, seam_mock_tokens_for(r->prompt_chars));
    seam_mock_put_s(&o, "}");
    return finish(p, o.err);
}

static int plan_message(req *r, const char *body, size_t n, seam_mock_opts *opts, seam_mock_plan *p)
{
    int f = seam_mock_fault_directive(r->user.data, r->user.len);
    if (f < 0) f = seam_mock_fault_roll(opts);
    int rc = apply_fault(p, f);
    if (rc) return rc > 0 ? 0 : rc;
    if (p->fault == SEAM_MOCK_STALL && !r->stream) return 0; /* nothing will be sent */

    r->hash = seam_mock_fnv1a(body, n, SEAM_MOCK_FNV_INIT);
    reply rp = {.stop_reason = "end_turn", .input_tokens = seam_mock_tokens_for(r->prompt_chars)};
    char sentence[SEAM_MOCK_SENTENCE_MAX];
    char *input = NULL;
    if (r->tool) {
        json_t *v = seam_mock_tool_input(json_object_get(r->tool, "input_schema"), &r->user);
        input = v ? json_dumps(v, JSON_COMPACT) : NULL;
        json_decref(v);
        if (!input) return finish(p, SEAM_BUF_NOMEM);
        rp.text = input;
        rp.len = strlen(input);
        rp.stop_reason = "tool_use";
        rp.output_tokens = seam_mock_call_tokens(json_object_get(r->tool, "name"), input, rp.len);
    } else {
        rp.len = seam_mock_reply_text(opts, r->has_user, &r->user, sentence, &rp.text);
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
        int cut; /* max_tokens is at least 1 here */
        rp.output_tokens = seam_mock_cut_text(rp.text, &rp.len, r->max_tokens, &cut);
        if (cut) {
            rp.stop_reason = "max_tokens";
            rp.stop_sequence = NULL;
        }
    }

    seam_mock_out o = seam_mock_out_plan(p);
    seam_buf_reserve(&p->body, 1024);
    if (r->stream) {
        p->stream = 1;
        message_sse(&o, r, &rp);
        seam_mock_plan_stall(p);
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
    seam_mock_plan_init(p);
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
