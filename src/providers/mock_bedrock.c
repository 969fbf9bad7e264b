/* mock_bedrock.c — the mock vendor speaking Amazon Bedrock's Converse wire.
 *
 *   POST /model/{modelId}/converse         -> a Converse JSON answer
 *   POST /model/{modelId}/converse-stream  -> application/vnd.amazon.eventstream,
 *                                             one plan event per frame
 *
 * Written from AWS's API reference (Converse, ConverseStream, the event
 * stream encoding), not from seam's translator (bedrock.c), so the adapter
 * is tested against something that talks like Bedrock.  The behaviour is the
 * OpenAI mock's (mock_reply.h): echo (of the last user turn that has text:
 * a turn of tool results has none) or a fixed sentence, maxTokens cutting
 * at 4 characters a token (stopReason max_tokens), a toolUse for the first
 * tool of toolConfig (or toolChoice.tool's) with input sampled from its
 * inputSchema.json, text again once the last user turn holds a toolResult
 * (unless toolChoice is any/tool), usage at ceil(characters / 4), and the
 * same [[mock:...]] fault directives and --fail-rate draws.  Bedrock-style
 * errors: 400 ValidationException, 429 ThrottlingException, 500
 * InternalServerException, 503 ServiceUnavailableException, each a JSON
 * {"message": ...} (the x-amzn-ErrorType header that names the exception is
 * not sent: a plan carries no headers).  Streamed payloads carry a "p"
 * padding field as Bedrock's do, which clients must ignore.
 *
 * Not checked: the SigV4 signature (the mock has no secret to check it
 * with), nor even the Authorization header's presence — cmd_mock.c does not
 * pass request headers to a wire's plan function.
 *
 * What is validated, as Bedrock does, so that a translator's mistake shows:
 * the top-level fields, messages non-empty, starting with user and
 * alternating, every content block one known member (blank text refused),
 * image formats, toolResult ids answering the previous turn's toolUse ids,
 * toolConfig present when the conversation holds tool blocks, toolChoice.tool
 * naming a tool, and inferenceConfig's types.
 *
 * What every wire does alike (hashing, counting, faults, stream pieces,
 * tool input) is in mock_common.c. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/eventstream.h"
#include "providers/mock_common.h"
#include "providers/mock_reply.h"
#include "providers/mock_wire.h"

#define EVENT_TYPE "application/vnd.amazon.eventstream"

/* ---- matching ---- */

/* /model/{id}/converse or /model/{id}/converse-stream; a base_url path prefix may precede. */
static int converse_path(const char *path, int *stream)
{
    const char *p = strstr(path, "/model/");
    if (!p) return 0;
    p += 7;
    const char *slash = strchr(p, '/');
    if (!slash || slash == p) return 0;
    if (strcmp(slash, "/converse") == 0) {
        *stream = 0;
        return 1;
    }
    if (strcmp(slash, "/converse-stream") == 0) {
        *stream = 1;
        return 1;
    }
    return 0;
}

int seam_mock_bedrock_match(const char *path, const char *query)
{
    int stream;
    return converse_path(path, &stream);
}

/* ---- plans ---- */

/* p becomes status with {"message": message}.  0 or SEAM_BUF_NOMEM. */
static int aws_error(seam_mock_plan *p, int status, const char *message)
{
    seam_mock_plan_free(p);
    seam_mock_plan_init(p);
    p->status = status;
    int rc = seam_buf_append_str(&p->body, "{\"message\":\"");
    if (!rc) rc = seam_buf_append_json_str(&p->body, message, strlen(message));
    if (!rc) rc = seam_buf_append_str(&p->body, "\"}");
    if (rc) {
        seam_mock_plan_free(p);
        return SEAM_BUF_NOMEM;
    }
    return 0;
}

/* A 400 ValidationException; returns 1 (p holds the reply) or SEAM_BUF_NOMEM. */
static int invalid(seam_mock_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int invalid(seam_mock_plan *p, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int rc = aws_error(p, 400, msg);
    return rc ? rc : 1;
}

/* ---- reading the request ---- */

typedef struct conv {
    json_t *root;
    int stream;
    size_t max_tokens;
    seam_buf user;       /* the last user turn's text */
    int last_has_result; /* the last user turn holds a toolResult */
    size_t prompt_chars;
    json_t *tool;  /* the chosen toolSpec, or NULL for text */
    uint64_t hash; /* of the request: ids */
} conv;

static int known_key(const char *key, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(key, keys[i]) == 0) return 1;
    return 0;
}

/* Checks one content block of message mi; notes its text and tool ids. */
static int check_block(conv *c, seam_mock_plan *p, json_t *b, size_t mi, size_t bi, int user,
                       json_t *prev_ids, json_t *ids, int *tool_blocks)
{
    if (!json_is_object(b) || json_object_size(b) != 1)
        return invalid(p, "messages.%zu.content.%zu: a content block has exactly one member", mi,
                       bi);
    json_t *v;
    if ((v = json_object_get(b, "text"))) {
        if (!json_is_string(v) || !json_string_length(v))
            return invalid(p,
                           "The text field in the ContentBlock object at messages.%zu.content.%zu "
                           "is blank. Add text to the text field, and try again.",
                           mi, bi);
        c->prompt_chars += seam_mock_utf8_chars(json_string_value(v), json_string_length(v));
        return 0;
    }
    if ((v = json_object_get(b, "image"))) {
        json_t *f = json_object_get(v, "format");
        if (!(seam_mock_str_eq(f, "png") || seam_mock_str_eq(f, "jpeg") ||
              seam_mock_str_eq(f, "gif") || seam_mock_str_eq(f, "webp")) ||
            !json_is_string(json_object_get(json_object_get(v, "source"), "bytes")))
            return invalid(p,
                           "messages.%zu.content.%zu.image: format must be png, jpeg, gif or "
                           "webp with source.bytes",
                           mi, bi);
        if (!user) return invalid(p, "messages.%zu.content.%zu: images are for user turns", mi, bi);
        return 0;
    }
    if ((v = json_object_get(b, "toolUse"))) {
        json_t *id = json_object_get(v, "toolUseId");
        if (user || !json_is_string(id) || !json_is_string(json_object_get(v, "name")) ||
            !json_object_get(v, "input"))
            return invalid(p,
                           "messages.%zu.content.%zu.toolUse: an assistant block with "
                           "toolUseId, name and input",
                           mi, bi);
        *tool_blocks = 1;
        return json_array_append(ids, id) ? SEAM_BUF_NOMEM : 0;
    }
    if ((v = json_object_get(b, "toolResult"))) {
        json_t *id = json_object_get(v, "toolUseId");
        json_t *content = json_object_get(v, "content");
        if (!user || !json_is_string(id) || !json_is_array(content))
            return invalid(p,
                           "messages.%zu.content.%zu.toolResult: a user block with toolUseId "
                           "and content",
                           mi, bi);
        int found = 0;
        size_t i;
        json_t *want;
        json_array_foreach(prev_ids, i, want) found = found || json_equal(want, id);
        if (!found)
            return invalid(p,
                           "messages.%zu.content.%zu.toolResult: toolUseId %s does not match a "
                           "toolUse of the previous turn",
                           mi, bi, json_string_value(id));
        json_t *part;
        json_array_foreach(content, i, part)
        {
            json_t *t = json_object_get(part, "text");
            if (json_is_string(t))
                c->prompt_chars +=
                    seam_mock_utf8_chars(json_string_value(t), json_string_length(t));
            else if (!json_object_get(part, "json") && !json_object_get(part, "image"))
                return invalid(p,
                               "messages.%zu.content.%zu.toolResult.content.%zu: text, json "
                               "or image",
                               mi, bi, i);
        }
        *tool_blocks = 1;
        c->last_has_result = 1;
        return 0;
    }
    static const char *const others[] = {
        "document", "video", "guardContent", "cachePoint", "reasoningContent", "citationsContent"};
    const char *key = json_object_iter_key(json_object_iter(b));
    if (known_key(key, others, sizeof others / sizeof others[0])) return 0;
    return invalid(p, "messages.%zu.content.%zu: unknown content block member '%s'", mi, bi, key);
}

static int read_messages(conv *c, seam_mock_plan *p, int *tool_blocks)
{
    json_t *messages = json_object_get(c->root, "messages");
    if (!json_is_array(messages) || !json_array_size(messages))
        return invalid(p, "A conversation must start with a user message. Try again with a "
                          "conversation that starts with a user message.");
    /* prev: the toolUse ids of the turn before, which a user turn may answer */
    json_t *prev = json_array(), *cur = json_array();
    int rc = prev && cur ? 0 : SEAM_BUF_NOMEM;
    size_t mi, last_user = 0;
    json_t *m;
    json_array_foreach(messages, mi, m)
    {
        if (rc) break;
        json_t *role = json_object_get(m, "role");
        json_t *content = json_object_get(m, "content");
        int user = seam_mock_str_eq(role, "user");
        if (!user && !seam_mock_str_eq(role, "assistant")) {
            rc = invalid(p, "messages.%zu.role: must be user or assistant", mi);
            break;
        }
        if (mi == 0 && !user) {
            rc = invalid(p, "A conversation must start with a user message. Try again with a "
                            "conversation that starts with a user message.");
            break;
        }
        if (mi > 0 && seam_mock_str_eq(json_object_get(json_array_get(messages, mi - 1), "role"),
                                       json_string_value(role))) {
            rc = invalid(p, "A conversation must alternate between user and assistant roles. "
                            "Make sure the conversation alternates between user and assistant "
                            "roles and try again.");
            break;
        }
        if (!json_is_array(content) || !json_array_size(content)) {
            rc = invalid(p, "messages.%zu.content: a non-empty array of content blocks", mi);
            break;
        }
        if (user) c->last_has_result = 0;
        for (size_t i = 0; user && i < json_array_size(content); i++)
            if (json_is_string(json_object_get(json_array_get(content, i), "text")))
                last_user = mi; /* the last user turn with text: a tool result turn has none */
        json_array_clear(cur);
        size_t bi;
        json_t *b;
        json_array_foreach(content, bi, b)
        {
            rc = check_block(c, p, b, mi, bi, user, prev, cur, tool_blocks);
            if (rc) break;
        }
        json_array_clear(prev);
        if (!rc && !user && json_array_extend(prev, cur)) rc = SEAM_BUF_NOMEM;
    }
    json_decref(prev);
    json_decref(cur);
    if (rc) return rc;
    size_t bi;
    json_t *b;
    json_array_foreach(json_object_get(json_array_get(messages, last_user), "content"), bi, b)
    {
        json_t *t = json_object_get(b, "text");
        if (json_is_string(t) &&
            seam_buf_append(&c->user, json_string_value(t), json_string_length(t)))
            return SEAM_BUF_NOMEM;
    }
    return 0;
}

static int read_tools(conv *c, seam_mock_plan *p, int tool_blocks)
{
    json_t *tc = json_object_get(c->root, "toolConfig");
    if (!tc) {
        if (tool_blocks)
            return invalid(p, "The toolConfig field must be defined when using toolUse and "
                              "toolResult content blocks.");
        return 0;
    }
    json_t *tools = json_object_get(tc, "tools");
    if (!json_is_array(tools) || !json_array_size(tools))
        return invalid(p, "toolConfig.tools: a non-empty array");
    size_t i;
    json_t *t;
    json_array_foreach(tools, i, t)
    {
        json_t *spec = json_object_get(t, "toolSpec");
        if (!json_is_string(json_object_get(spec, "name")) ||
            !json_is_object(json_object_get(json_object_get(spec, "inputSchema"), "json")))
            return invalid(p, "toolConfig.tools.%zu: a toolSpec with name and inputSchema.json", i);
    }
    json_t *choice = json_object_get(tc, "toolChoice");
    json_t *want = json_object_get(json_object_get(choice, "tool"), "name");
    int forced = json_object_get(choice, "any") || want;
    if (choice && !forced && !json_object_get(choice, "auto"))
        return invalid(p, "toolConfig.toolChoice: one of auto, any or tool");
    if (json_object_get(choice, "tool") && !json_is_string(want))
        return invalid(p, "toolConfig.toolChoice.tool.name: required");
    if (c->last_has_result && !forced) return 0; /* the agent loop ends with text */
    json_array_foreach(tools, i, t)
    {
        json_t *spec = json_object_get(t, "toolSpec");
        if (!want || json_equal(json_object_get(spec, "name"), want)) {
            c->tool = spec;
            return 0;
        }
    }
    return invalid(p, "toolConfig.toolChoice.tool.name: %s is not in toolConfig.tools",
                   json_string_value(want));
}

static int read_request(conv *c, seam_mock_plan *p)
{
    static const char *const keys[] = {
        "messages",         "system",          "inferenceConfig",
        "toolConfig",       "guardrailConfig", "additionalModelRequestFields",
        "promptVariables",  "requestMetadata", "additionalModelResponseFieldPaths",
        "performanceConfig"};
    const char *key;
    json_t *v;
    json_object_foreach(c->root, key, v)
    {
        if (!known_key(key, keys, sizeof keys / sizeof keys[0]))
            return invalid(p, "Malformed input request: extraneous key [%s] is not permitted", key);
    }
    json_t *sys = json_object_get(c->root, "system");
    if (sys) {
        size_t i;
        json_t *b;
        if (!json_is_array(sys)) return invalid(p, "system: an array of blocks");
        json_array_foreach(sys, i, b)
        {
            json_t *t = json_object_get(b, "text");
            if (json_is_string(t))
                c->prompt_chars +=
                    seam_mock_utf8_chars(json_string_value(t), json_string_length(t));
            else if (!json_object_get(b, "guardContent") && !json_object_get(b, "cachePoint"))
                return invalid(p, "system.%zu: a text block", i);
        }
    }
    json_t *inf = json_object_get(c->root, "inferenceConfig");
    if (inf) {
        json_t *mt = json_object_get(inf, "maxTokens"), *st = json_object_get(inf, "stopSequences");
        if (!json_is_object(inf) || (mt && (!json_is_integer(mt) || json_integer_value(mt) < 1)) ||
            (json_object_get(inf, "temperature") &&
             !json_is_number(json_object_get(inf, "temperature"))) ||
            (json_object_get(inf, "topP") && !json_is_number(json_object_get(inf, "topP"))) ||
            (st && !json_is_array(st)))
            return invalid(p, "inferenceConfig: maxTokens >= 1, temperature and topP numbers, "
                              "stopSequences an array");
        if (mt) c->max_tokens = (size_t)json_integer_value(mt);
    }
    int tool_blocks = 0;
    int rc = read_messages(c, p, &tool_blocks);
    if (!rc) rc = read_tools(c, p, tool_blocks);
    return rc;
}

/* ---- answers ---- */

/* "tooluse_" and 22 characters, as Bedrock's ids look. */
static void tool_use_id(const conv *c, char out[32])
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint64_t h = c->hash;
    memcpy(out, "tooluse_", 8);
    for (int i = 0; i < 22; i++) {
        if (i == 11) h = seam_mock_fnv1a(&h, sizeof h, SEAM_MOCK_FNV_INIT);
        out[8 + i] = abc[h & 63];
        h >>= 6;
    }
    out[30] = '\0';
}

typedef struct answer {
    const char *text; /* the text, or the toolUse input as JSON */
    size_t len;
    json_t *input; /* the toolUse input, or NULL for text */
    const char *stop;
    size_t in_tokens, out_tokens;
    char id[32];
} answer;

static json_t *usage_json(const answer *a)
{
    return json_pack("{s:I, s:I, s:I}", "inputTokens", (json_int_t)a->in_tokens, "outputTokens",
                     (json_int_t)a->out_tokens, "totalTokens",
                     (json_int_t)(a->in_tokens + a->out_tokens));
}

static int whole_answer(seam_mock_plan *p, const conv *c, const answer *a)
{
    json_t *block =
        a->input ? json_pack("{s:{s:s, s:s, s:O}}", "toolUse", "toolUseId", a->id, "name",
                             json_string_value(json_object_get(c->tool, "name")), "input", a->input)
                 : json_pack("{s:s%}", "text", a->text, a->len);
    json_t *root = json_pack("{s:{s:{s:s, s:[o]}}, s:s, s:o, s:{s:i}}", "output", "message", "role",
                             "assistant", "content", block, "stopReason", a->stop, "usage",
                             usage_json(a), "metrics", "latencyMs", 0);
    if (!root) return SEAM_BUF_NOMEM;
    char *s = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    int rc = s ? seam_buf_append_str(&p->body, s) : SEAM_BUF_NOMEM;
    free(s);
    return rc;
}

typedef struct events {
    seam_mock_out o; /* its err: the first failure */
    unsigned pad;    /* varies the "p" padding's length */
} events;

/* Appends one event frame whose payload is ev (stolen) plus Bedrock's "p" padding. */
static void event(events *e, const char *type, json_t *ev)
{
    static const char pad[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123";
    if (!e->o.err && (!ev || json_object_set_new(ev, "p", json_stringn(pad, 1 + e->pad++ % 40))))
        e->o.err = SEAM_BUF_NOMEM;
    char *payload = e->o.err ? NULL : json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    if (!e->o.err && !payload) e->o.err = SEAM_BUF_NOMEM;
    if (e->o.err) return;
    seam_es_header h[3] = {seam_es_string(":event-type", type),
                           seam_es_string(":content-type", "application/json"),
                           seam_es_string(":message-type", "event")};
    int rc = seam_es_encode(e->o.b, h, 3, payload, strlen(payload));
    free(payload);
    if (rc) {
        e->o.err = rc == SEAM_BUF_TOOBIG ? SEAM_BUF_TOOBIG : SEAM_BUF_NOMEM;
        return;
    }
    seam_mock_event_end(&e->o);
}

static int stream_answer(seam_mock_plan *p, const conv *c, const answer *a)
{
    events e = {.o = seam_mock_out_plan(p)};
    event(&e, "messageStart", json_pack("{s:s}", "role", "assistant"));
    if (a->input) {
        event(&e, "contentBlockStart",
              json_pack("{s:i, s:{s:{s:s, s:s}}}", "contentBlockIndex", 0, "start", "toolUse",
                        "toolUseId", a->id, "name",
                        json_string_value(json_object_get(c->tool, "name"))));
        size_t size = seam_mock_arg_piece_size(a->len);
        for (size_t pos = 0; pos < a->len && !e.o.err;) {
            size_t end = seam_mock_arg_piece_end(a->text, a->len, pos, size);
            event(&e, "contentBlockDelta",
                  json_pack("{s:i, s:{s:{s:s%}}}", "contentBlockIndex", 0, "delta", "toolUse",
                            "input", a->text + pos, end - pos));
            pos = end;
        }
    } else {
        size_t per = seam_mock_words_per_delta(a->text, a->len);
        for (size_t pos = 0; pos < a->len && !e.o.err;) {
            size_t end = seam_mock_text_piece_end(a->text, a->len, pos, per);
            event(&e, "contentBlockDelta",
                  json_pack("{s:i, s:{s:s%}}", "contentBlockIndex", 0, "delta", "text",
                            a->text + pos, end - pos));
            pos = end;
        }
    }
    event(&e, "contentBlockStop", json_pack("{s:i}", "contentBlockIndex", 0));
    event(&e, "messageStop", json_pack("{s:s}", "stopReason", a->stop));
    event(&e, "metadata",
          json_pack("{s:o, s:{s:i}}", "usage", usage_json(a), "metrics", "latencyMs", 0));
    return e.o.err;
}

/* Applies fault f: 1 when p is complete (an error status or a reset), 0 to go on. */
static int apply_fault(seam_mock_plan *p, int f)
{
    static const struct {
        int status;
        const char *message;
    } errs[] = {
        {429, "Too many requests, please wait before trying again. (injected by seam mock)"},
        {500, "The server encountered an internal error while processing the request. "
              "(injected by seam mock)"},
        {503, "Bedrock is unable to process your request. (injected by seam mock)"},
    };
    if (f < 0) return 0;
    if (f <= 2) {
        int rc = aws_error(p, errs[f].status, errs[f].message);
        if (rc) return rc;
        p->fault = SEAM_MOCK_STATUS;
        return 1;
    }
    return seam_mock_fault_bodiless(p, f);
}

int seam_mock_bedrock_plan(const char *path, const char *query, const char *body, size_t n,
                           seam_mock_opts *o, seam_mock_plan *p)
{
    seam_mock_plan_init(p);
    conv c;
    memset(&c, 0, sizeof c);
    seam_buf_init(&c.user, SEAM_MOCK_MAX_REPLY);
    answer a = {.stop = "end_turn"};
    char *args = NULL;
    int rc = 0;
    converse_path(path, &c.stream);

    c.root = json_loadb(body, n, JSON_ALLOW_NUL, NULL);
    if (!json_is_object(c.root)) {
        rc = invalid(p, "Malformed input request, please reformat your input and try again.");
        goto done;
    }
    rc = read_request(&c, p);
    if (rc) goto done;

    int f = seam_mock_fault_directive(c.user.data, c.user.len);
    if (f < 0) f = seam_mock_fault_roll(o);
    rc = apply_fault(p, f);
    if (rc) goto done;
    if (p->fault == SEAM_MOCK_STALL && !c.stream) goto done; /* nothing will be sent */

    c.hash = seam_mock_fnv1a(body, n, SEAM_MOCK_FNV_INIT);
    char sentence[SEAM_MOCK_SENTENCE_MAX];
    if (c.tool) {
        a.input = seam_mock_tool_input(
            json_object_get(json_object_get(c.tool, "inputSchema"), "json"), &c.user);
        args = a.input ? json_dumps(a.input, JSON_COMPACT) : NULL;
        if (!args) {
            rc = SEAM_BUF_NOMEM;
            goto done;
        }
        a.text = args;
        a.len = strlen(args);
        a.stop = "tool_use";
        tool_use_id(&c, a.id);
        a.out_tokens = seam_mock_call_tokens(json_object_get(c.tool, "name"), args, a.len);
    } else {
        int cut; /* echo needs text here: an empty user turn gets the sentence */
        a.len = seam_mock_reply_text(o, c.user.len != 0, &c.user, sentence, &a.text);
        a.out_tokens = seam_mock_cut_text(a.text, &a.len, c.max_tokens, &cut);
        if (cut) a.stop = "max_tokens";
    }
    a.in_tokens = seam_mock_tokens_for(c.prompt_chars);

    if (c.stream) {
        p->stream = 1;
        p->stream_type = EVENT_TYPE;
        rc = stream_answer(p, &c, &a);
        seam_mock_plan_stall(p);
    } else {
        rc = whole_answer(p, &c, &a);
    }
    if (rc == SEAM_BUF_TOOBIG) rc = invalid(p, "The mock's reply would exceed its 16 MiB cap.");

done:
    if (rc > 0) rc = 0; /* p holds an error reply */
    if (rc) seam_mock_plan_free(p);
    json_decref(a.input);
    free(args);
    seam_buf_free(&c.user);
    json_decref(c.root);
    return rc;
}
