/* mock_reply.c — the mock vendor's replies, built from the request alone; see mock_reply.h.
 *
 * The request is read with jansson (a test double: a full parse is fine);
 * the reply is written straight into the plan's one seam_buf, so a plan costs
 * the parse plus two allocations (body, event offsets).  Shapes follow
 * OpenAI's OpenAPI description: chat.completion, chat.completion.chunk (the
 * first chunk carries role, the last finish_reason, usage: null on every
 * chunk when include_usage asks for a final usage chunk), embeddings lists
 * and {"error":{...}} bodies. */
#include "providers/mock_reply.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/mock_common.h"

#define MOCK_CREATED       1735689600 /* 2025-01-01T00:00:00Z: fixed so replies repeat */
#define MOCK_FINGERPRINT   "fp_seam_mock"
#define EMBED_DEFAULT_DIMS 8

/* ---- writing ---- */

static void put_str_or_null(seam_mock_out *o, const char *s)
{
    if (s)
        seam_mock_put_str(o, s, strlen(s));
    else
        seam_mock_put_s(o, "null");
}

void seam_mock_plan_free(seam_mock_plan *p)
{
    if (!p) return;
    seam_buf_free(&p->body);
    free(p->event_ends);
    p->event_ends = NULL;
    p->nevents = 0;
    p->stall_after = 0;
}

static void ev_begin(seam_mock_out *o)
{
    seam_mock_put(o, "data: ", 6);
}

int seam_mock_plan_error(seam_mock_plan *p, int status, const char *message, const char *type,
                         const char *param, const char *code)
{
    seam_mock_plan_init(p);
    p->status = status;
    seam_mock_out o = seam_mock_out_plan(p);
    seam_mock_put_s(&o, "{\"error\":{\"message\":");
    put_str_or_null(&o, message);
    seam_mock_put_s(&o, ",\"type\":");
    put_str_or_null(&o, type);
    seam_mock_put_s(&o, ",\"param\":");
    put_str_or_null(&o, param);
    seam_mock_put_s(&o, ",\"code\":");
    put_str_or_null(&o, code);
    seam_mock_put_s(&o, "}}");
    if (o.err) {
        seam_mock_plan_free(p);
        return SEAM_BUF_NOMEM;
    }
    return 0;
}

static int bad_request(seam_mock_plan *p, const char *message, const char *param, const char *code)
{
    seam_mock_plan_free(p);
    return seam_mock_plan_error(p, 400, message, "invalid_request_error", param, code);
}

static int not_json(seam_mock_plan *p)
{
    return bad_request(p,
                       "We could not parse the JSON body of your request. (HINT: This likely "
                       "means you aren't using your HTTP library correctly. The OpenAI API "
                       "expects a JSON payload, but what was sent was not valid JSON.)",
                       NULL, NULL);
}

/* bad_request for readers that return 1 for "p now holds a 400". */
static int reject(seam_mock_plan *p, const char *message, const char *param, const char *code)
{
    int rc = bad_request(p, message, param, code);
    return rc ? rc : 1;
}

/* Turns a build's status into the function's result: a reply past the cap
 * becomes a 400 so the caller always has something to send. */
static int finish(seam_mock_plan *p, int rc)
{
    if (rc == 0) return 0;
    if (rc == SEAM_BUF_TOOBIG)
        return bad_request(p, "The mock's reply would exceed its 16 MiB cap.", NULL,
                           "reply_too_large");
    seam_mock_plan_free(p);
    return SEAM_BUF_NOMEM;
}

/* ---- faults ---- */

/* Applies fault f (from fault_directive / fault_roll) to p.  Returns 1 when
 * the plan is complete (status fault or reset), 0 when the normal reply is
 * still to be built, or a negative error. */
static int apply_fault(seam_mock_plan *p, int f)
{
    static const struct {
        int status;
        const char *message, *type, *code;
    } errs[] = {
        {429, "Rate limit reached for requests (injected by seam mock).", "requests",
         "rate_limit_exceeded"},
        {500,
         "The server had an error while processing your request. Sorry about that! "
         "(injected by seam mock)",
         "server_error", "server_error"},
        {503, "The engine is currently overloaded, please try again later. (injected by seam mock)",
         "server_error", "service_unavailable"},
    };
    if (f < 0) return 0;
    if (f <= 2) {
        int rc = seam_mock_plan_error(p, errs[f].status, errs[f].message, errs[f].type, NULL,
                                      errs[f].code);
        if (rc) return rc;
        p->fault = SEAM_MOCK_STATUS;
        p->retry_after = errs[f].status == 429 ? "1" : NULL;
        return 1;
    }
    return seam_mock_fault_bodiless(p, f);
}

/* ---- chat ---- */

typedef struct chat {
    json_t *root;
    const char *model;
    size_t model_len;
    int stream, include_usage, n;
    size_t max_tokens;   /* 0: none */
    seam_buf user;       /* the last user message's text */
    int has_user;        /* there is a user message */
    int last_is_tool;    /* the last message is a tool result */
    size_t prompt_chars; /* code points of all message text */
    json_t *fn;          /* the chosen tools[i].function, or NULL for a text reply */
    uint64_t hash;       /* of the request bytes: ids */
} chat;

/* Adds the text of a message's content (string, or array of parts with
 * "text") to *chars and, when dst, appends it to dst. */
static int content_text(json_t *content, seam_buf *dst, size_t *chars)
{
    if (json_is_string(content)) {
        const char *s = json_string_value(content);
        size_t n = json_string_length(content);
        *chars += seam_mock_utf8_chars(s, n);
        return dst ? seam_buf_append(dst, s, n) : 0;
    }
    if (!json_is_array(content)) return 0;
    size_t i;
    json_t *part;
    json_array_foreach(content, i, part)
    {
        json_t *text = json_object_get(part, "text");
        if (!json_is_string(text)) continue;
        const char *s = json_string_value(text);
        size_t n = json_string_length(text);
        *chars += seam_mock_utf8_chars(s, n);
        if (dst) {
            int rc = seam_buf_append(dst, s, n);
            if (rc) return rc;
        }
    }
    return 0;
}

/* Reads what the reply depends on; returns 0, 1 when p now holds a 400, or
 * a negative error. */
static int chat_read(chat *c, seam_mock_plan *p)
{
    json_t *messages = json_object_get(c->root, "messages");
    if (!json_is_array(messages))
        return reject(p, "Missing required parameter: 'messages'.", "messages",
                      "missing_required_parameter");
    size_t nmsg = json_array_size(messages);
    if (!nmsg)
        return reject(p,
                      "Invalid 'messages': empty array. Expected an array with minimum "
                      "length 1, but got an empty array instead.",
                      "messages", "empty_array");

    json_t *model = json_object_get(c->root, "model");
    if (json_is_string(model)) {
        c->model = json_string_value(model);
        c->model_len = json_string_length(model);
    } else {
        c->model = "mock";
        c->model_len = 4;
    }
    c->stream = json_is_true(json_object_get(c->root, "stream"));
    c->include_usage =
        c->stream &&
        json_is_true(json_object_get(json_object_get(c->root, "stream_options"), "include_usage"));

    c->n = 1;
    json_t *n = json_object_get(c->root, "n");
    if (n && !json_is_null(n)) {
        if (!json_is_integer(n) || json_integer_value(n) < 1)
            return reject(p, "Invalid 'n': expected an integer of at least 1.", "n",
                          "integer_below_min_value");
        c->n =
            json_integer_value(n) > SEAM_MOCK_MAX_N ? SEAM_MOCK_MAX_N : (int)json_integer_value(n);
    }
    json_t *mt = json_object_get(c->root, "max_completion_tokens");
    if (!json_is_integer(mt)) mt = json_object_get(c->root, "max_tokens");
    if (json_is_integer(mt) && json_integer_value(mt) > 0)
        c->max_tokens = (size_t)json_integer_value(mt);

    size_t last_user = nmsg;
    for (size_t i = 0; i < nmsg; i++) {
        json_t *m = json_array_get(messages, i);
        if (!json_is_object(m)) {
            char msg[96];
            snprintf(msg, sizeof msg, "Invalid type for 'messages[%zu]': expected an object.", i);
            return reject(p, msg, "messages", "invalid_type");
        }
        json_t *role = json_object_get(m, "role");
        if (seam_mock_str_eq(role, "user")) last_user = i;
        c->last_is_tool = seam_mock_str_eq(role, "tool");
        content_text(json_object_get(m, "content"), NULL, &c->prompt_chars);
    }
    if (last_user < nmsg) {
        size_t ignored = 0;
        c->has_user = 1;
        int rc = content_text(json_object_get(json_array_get(messages, last_user), "content"),
                              &c->user, &ignored);
        if (rc) return rc;
    }

    json_t *tools = json_object_get(c->root, "tools");
    json_t *choice = json_object_get(c->root, "tool_choice");
    if (!json_is_array(tools) || !json_array_size(tools) || seam_mock_str_eq(choice, "none"))
        return 0;
    const char *want = NULL;
    if (json_is_object(choice))
        want = json_string_value(json_object_get(json_object_get(choice, "function"), "name"));
    if (c->last_is_tool && !want && !seam_mock_str_eq(choice, "required")) return 0;
    size_t i;
    json_t *tool;
    json_array_foreach(tools, i, tool)
    {
        json_t *type = json_object_get(tool, "type");
        json_t *fn = json_object_get(tool, "function");
        json_t *name = json_object_get(fn, "name");
        if ((type && !seam_mock_str_eq(type, "function")) || !json_is_string(name)) continue;
        if (!want || strcmp(want, json_string_value(name)) == 0) {
            c->fn = fn;
            return 0;
        }
    }
    if (want)
        return reject(p,
                      "Invalid value for 'tool_choice': the function it names is not in "
                      "'tools'.",
                      "tool_choice", "invalid_value");
    return 0;
}

static void put_usage(seam_mock_out *o, size_t prompt, size_t completion)
{
    seam_mock_put_s(o, "\"usage\":{\"prompt_tokens\":");
    seam_mock_put_u(o, prompt);
    seam_mock_put_s(o, ",\"completion_tokens\":");
    seam_mock_put_u(o, completion);
    seam_mock_put_s(o, ",\"total_tokens\":");
    seam_mock_put_u(o, prompt + completion);
    seam_mock_put_s(o, ",\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},"
                       "\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,"
                       "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}");
}

/* {"id":...,"choices":[ — shared by the completion and every chunk. */
static void put_head(seam_mock_out *o, const chat *c, const char *object)
{
    seam_mock_put_s(o, "{\"id\":\"chatcmpl-");
    seam_mock_put_hex(o, c->hash);
    seam_mock_put_s(o, "\",\"object\":\"");
    seam_mock_put_s(o, object);
    seam_mock_put_s(o, "\",\"created\":");
    seam_mock_put_u(o, MOCK_CREATED);
    seam_mock_put_s(o, ",\"model\":");
    seam_mock_put_str(o, c->model, c->model_len);
    seam_mock_put_s(o, ",\"service_tier\":\"default\",\"system_fingerprint\":\"" MOCK_FINGERPRINT
                       "\",\"choices\":[");
}

static void put_call_id(seam_mock_out *o, const chat *c, int i)
{
    uint64_t s = c->hash ^ (uint64_t)(i + 1);
    seam_mock_put_s(o, "\"call_");
    seam_mock_put_hex(o, seam_mock_splitmix(&s));
    seam_mock_put_s(o, "\"");
}

typedef struct reply {
    const char *text; /* text reply, or the tool's arguments */
    size_t len;
    const char *finish;
    size_t completion_tokens;
} reply;

static void chat_json(seam_mock_out *o, const chat *c, const reply *r, size_t prompt_tokens)
{
    put_head(o, c, "chat.completion");
    for (int i = 0; i < c->n; i++) {
        if (i) seam_mock_put_s(o, ",");
        seam_mock_put_s(o, "{\"index\":");
        seam_mock_put_u(o, (unsigned)i);
        seam_mock_put_s(o, ",\"message\":{\"role\":\"assistant\",\"content\":");
        if (c->fn) {
            json_t *name = json_object_get(c->fn, "name");
            seam_mock_put_s(o, "null,\"tool_calls\":[{\"id\":");
            put_call_id(o, c, i);
            seam_mock_put_s(o, ",\"type\":\"function\",\"function\":{\"name\":");
            seam_mock_put_str(o, json_string_value(name), json_string_length(name));
            seam_mock_put_s(o, ",\"arguments\":");
            seam_mock_put_str(o, r->text, r->len);
            seam_mock_put_s(o, "}}]");
        } else {
            seam_mock_put_str(o, r->text, r->len);
        }
        seam_mock_put_s(
            o, ",\"refusal\":null,\"annotations\":[]},\"logprobs\":null,\"finish_reason\":\"");
        seam_mock_put_s(o, r->finish);
        seam_mock_put_s(o, "\"}");
    }
    seam_mock_put_s(o, "],");
    put_usage(o, prompt_tokens, r->completion_tokens);
    seam_mock_put_s(o, "}");
}

/* One chunk event: head, one choice (or none when choice is NULL), tail. */
static void chunk(seam_mock_out *o, const seam_buf *head, const char *tail, int index,
                  const char *delta_open, const char *s, size_t n, const char *delta_close,
                  const char *finish)
{
    ev_begin(o);
    seam_mock_put(o, head->data, head->len);
    seam_mock_put_s(o, "{\"index\":");
    seam_mock_put_u(o, (unsigned)index);
    seam_mock_put_s(o, ",\"delta\":");
    seam_mock_put_s(o, delta_open);
    if (s) {
        seam_mock_put_str(o, s, n);
        seam_mock_put_s(o, delta_close);
    }
    seam_mock_put_s(o, ",\"logprobs\":null,\"finish_reason\":");
    if (finish) {
        seam_mock_put_s(o, "\"");
        seam_mock_put_s(o, finish);
        seam_mock_put_s(o, "\"");
    } else {
        seam_mock_put_s(o, "null");
    }
    seam_mock_put_s(o, "}");
    seam_mock_put_s(o, tail);
    seam_mock_sse_end(o);
}

static void chat_sse(seam_mock_out *o, const chat *c, const reply *r, size_t prompt_tokens)
{
    seam_buf head;
    seam_buf_init(&head, 4096 + c->model_len * 6);
    seam_mock_out h = {&head, 0, NULL, 0};
    put_head(&h, c, "chat.completion.chunk");
    if (h.err) {
        o->err = h.err;
        seam_buf_free(&head);
        return;
    }
    const char *tail = c->include_usage ? "],\"usage\":null}" : "]}";

    /* first chunk per choice: the role (and for a tool call its id and name) */
    for (int i = 0; i < c->n; i++) {
        if (!c->fn) {
            chunk(o, &head, tail, i, "{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}",
                  NULL, 0, NULL, NULL);
            continue;
        }
        json_t *name = json_object_get(c->fn, "name");
        ev_begin(o);
        seam_mock_put(o, head.data, head.len);
        seam_mock_put_s(o, "{\"index\":");
        seam_mock_put_u(o, (unsigned)i);
        seam_mock_put_s(
            o, ",\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,"
               "\"id\":");
        put_call_id(o, c, i);
        seam_mock_put_s(o, ",\"type\":\"function\",\"function\":{\"name\":");
        seam_mock_put_str(o, json_string_value(name), json_string_length(name));
        seam_mock_put_s(
            o,
            ",\"arguments\":\"\"}}],\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}");
        seam_mock_put_s(o, tail);
        seam_mock_sse_end(o);
    }

    /* the body in pieces, interleaved across choices as OpenAI does */
    if (c->fn) {
        size_t size = seam_mock_arg_piece_size(r->len);
        for (size_t pos = 0; pos < r->len && !o->err;) {
            size_t end = seam_mock_arg_piece_end(r->text, r->len, pos, size);
            for (int i = 0; i < c->n; i++)
                chunk(o, &head, tail, i,
                      "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":", r->text + pos,
                      end - pos, "}}]}", NULL);
            pos = end;
        }
    } else {
        size_t per = seam_mock_words_per_delta(r->text, r->len);
        for (size_t pos = 0; pos < r->len && !o->err;) {
            size_t end = seam_mock_text_piece_end(r->text, r->len, pos, per);
            for (int i = 0; i < c->n; i++)
                chunk(o, &head, tail, i, "{\"content\":", r->text + pos, end - pos, "}", NULL);
            pos = end;
        }
    }

    for (int i = 0; i < c->n; i++)
        chunk(o, &head, tail, i, "{}", NULL, 0, NULL, r->finish);

    if (c->include_usage) {
        ev_begin(o);
        seam_mock_put(o, head.data, head.len);
        seam_mock_put_s(o, "],");
        put_usage(o, prompt_tokens, r->completion_tokens);
        seam_mock_put_s(o, "}");
        seam_mock_sse_end(o);
    }
    ev_begin(o);
    seam_mock_put_s(o, "[DONE]");
    seam_mock_sse_end(o);
    seam_buf_free(&head);
}

int seam_mock_plan_chat(const char *req, size_t n, seam_mock_opts *opts, seam_mock_plan *p)
{
    seam_mock_plan_init(p);
    chat c;
    memset(&c, 0, sizeof c);
    seam_buf_init(&c.user, SEAM_MOCK_MAX_REPLY);
    char *args = NULL;
    int rc = 0;

    c.root = json_loadb(req, n, 0, NULL);
    if (!json_is_object(c.root)) {
        rc = not_json(p);
        goto done;
    }
    rc = chat_read(&c, p);
    if (rc) {
        if (rc > 0)
            rc = 0; /* p holds a 400 */
        else
            rc = finish(p, rc);
        goto done;
    }

    int f = seam_mock_fault_directive(c.user.data, c.user.len);
    if (f < 0) f = seam_mock_fault_roll(opts);
    rc = apply_fault(p, f);
    if (rc) {
        if (rc > 0) rc = 0;
        goto done;
    }
    if (p->fault == SEAM_MOCK_STALL && !c.stream) goto done; /* nothing will be sent */

    c.hash = seam_mock_fnv1a(req, n, SEAM_MOCK_FNV_INIT);
    reply r = {.finish = "stop"};
    char sentence[SEAM_MOCK_SENTENCE_MAX];
    if (c.fn) {
        json_t *v = seam_mock_tool_input(json_object_get(c.fn, "parameters"), &c.user);
        args = v ? json_dumps(v, JSON_COMPACT) : NULL;
        json_decref(v);
        if (!args) {
            rc = finish(p, SEAM_BUF_NOMEM);
            goto done;
        }
        r.text = args;
        r.len = strlen(args);
        r.finish = "tool_calls";
        r.completion_tokens = seam_mock_call_tokens(json_object_get(c.fn, "name"), args, r.len);
    } else {
        int cut;
        r.len = seam_mock_reply_text(opts, c.has_user, &c.user, sentence, &r.text);
        r.completion_tokens = seam_mock_cut_text(r.text, &r.len, c.max_tokens, &cut);
        if (cut) r.finish = "length";
    }
    r.completion_tokens *= (size_t)c.n;
    size_t prompt_tokens = seam_mock_tokens_for(c.prompt_chars);

    seam_mock_out o = seam_mock_out_plan(p);
    seam_buf_reserve(&p->body, 1024); /* one allocation for a typical reply */
    if (c.stream) {
        p->stream = 1;
        chat_sse(&o, &c, &r, prompt_tokens);
        seam_mock_plan_stall(p);
    } else {
        chat_json(&o, &c, &r, prompt_tokens);
    }
    rc = finish(p, o.err);

done:
    free(args);
    seam_buf_free(&c.user);
    json_decref(c.root);
    return rc;
}

/* ---- embeddings ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void put_base64(seam_mock_out *o, const unsigned char *s, size_t n)
{
    char q[4];
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        if (i + 1 < n) v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < n) v |= s[i + 2];
        q[0] = b64[(v >> 18) & 63];
        q[1] = b64[(v >> 12) & 63];
        q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        q[3] = i + 2 < n ? b64[v & 63] : '=';
        seam_mock_put(o, q, 4);
    }
}

/* The hash and token estimate of one input: a string or an array of token ids. */
static void embed_input(json_t *item, uint64_t *h, size_t *tokens)
{
    if (json_is_string(item)) {
        const char *s = json_string_value(item);
        size_t n = json_string_length(item);
        *h = seam_mock_fnv1a(s, n, SEAM_MOCK_FNV_INIT);
        *tokens += seam_mock_tokens_for(seam_mock_utf8_chars(s, n));
        return;
    }
    size_t i;
    json_t *t;
    *h = SEAM_MOCK_FNV_INIT;
    json_array_foreach(item, i, t)
    {
        long long id = json_integer_value(t);
        *h = seam_mock_fnv1a(&id, sizeof id, *h);
    }
    *tokens += json_array_size(item);
}

static int all_integers(json_t *arr)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_integer(v)) return 0;
    }
    return json_array_size(arr) > 0;
}

int seam_mock_plan_embeddings(const char *req, size_t n, seam_mock_opts *opts, seam_mock_plan *p)
{
    seam_mock_plan_init(p);
    int rc = 0;
    json_t *root = json_loadb(req, n, 0, NULL);
    if (!json_is_object(root)) {
        rc = not_json(p);
        goto done;
    }
    json_t *input = json_object_get(root, "input");
    size_t count;
    int single; /* input is one string or one token array, not a list of inputs */
    if (json_is_string(input)) {
        count = 1;
        single = 1;
    } else if (json_is_array(input) && all_integers(input)) {
        count = 1;
        single = 1;
    } else if (json_is_array(input) && json_array_size(input)) {
        size_t i;
        json_t *v;
        count = json_array_size(input);
        single = 0;
        json_array_foreach(input, i, v)
        {
            if (!json_is_string(v) && !(json_is_array(v) && all_integers(v))) {
                rc = bad_request(p,
                                 "Invalid 'input': expected a string, an array of strings, an "
                                 "array of tokens or an array of token arrays.",
                                 "input", "invalid_type");
                goto done;
            }
        }
    } else if (!input) {
        rc = bad_request(p, "Missing required parameter: 'input'.", "input",
                         "missing_required_parameter");
        goto done;
    } else {
        rc = bad_request(p, "Invalid 'input': expected a string or a non-empty array.", "input",
                         "invalid_value");
        goto done;
    }
    if (count > SEAM_MOCK_MAX_INPUTS) {
        rc = bad_request(p, "Invalid 'input': at most 2048 inputs per request.", "input",
                         "array_above_max_length");
        goto done;
    }

    size_t dims = EMBED_DEFAULT_DIMS;
    json_t *d = json_object_get(root, "dimensions");
    if (d && !json_is_null(d)) {
        if (!json_is_integer(d) || json_integer_value(d) < 1 ||
            json_integer_value(d) > SEAM_MOCK_MAX_DIMS) {
            rc = bad_request(p, "Invalid 'dimensions': expected an integer from 1 to 4096.",
                             "dimensions", "invalid_value");
            goto done;
        }
        dims = (size_t)json_integer_value(d);
    }
    json_t *fmt = json_object_get(root, "encoding_format");
    int base64 = seam_mock_str_eq(fmt, "base64");
    if (fmt && !json_is_null(fmt) && !base64 && !seam_mock_str_eq(fmt, "float")) {
        rc = bad_request(p, "Invalid 'encoding_format': expected 'float' or 'base64'.",
                         "encoding_format", "invalid_value");
        goto done;
    }

    int f = -1;
    for (size_t i = 0; i < count && f < 0; i++) {
        json_t *item = single ? input : json_array_get(input, i);
        if (json_is_string(item))
            f = seam_mock_fault_directive(json_string_value(item), json_string_length(item));
    }
    if (f < 0) f = seam_mock_fault_roll(opts);
    rc = apply_fault(p, f);
    if (rc) {
        if (rc > 0) rc = 0;
        goto done;
    }
    if (p->fault == SEAM_MOCK_STALL) goto done; /* not a stream: nothing is sent */

    json_t *model = json_object_get(root, "model");
    seam_mock_out o = seam_mock_out_plan(p);
    float v[SEAM_MOCK_MAX_DIMS];
    unsigned char raw[SEAM_MOCK_MAX_DIMS * 4];
    size_t tokens = 0;
    seam_buf_reserve(&p->body, count * dims * (base64 ? 6 : 13) + 256);
    seam_mock_put_s(&o, "{\"object\":\"list\",\"data\":[");
    for (size_t i = 0; i < count && !o.err; i++) {
        uint64_t h;
        embed_input(single ? input : json_array_get(input, i), &h, &tokens);
        seam_mock_embed_vector(h, dims, v);
        if (i) seam_mock_put_s(&o, ",");
        seam_mock_put_s(&o, "{\"object\":\"embedding\",\"index\":");
        seam_mock_put_u(&o, i);
        seam_mock_put_s(&o, ",\"embedding\":");
        if (base64) {
            for (size_t j = 0; j < dims; j++) { /* little-endian float32, whatever the host */
                uint32_t bits;
                memcpy(&bits, &v[j], 4);
                raw[4 * j] = (unsigned char)bits;
                raw[4 * j + 1] = (unsigned char)(bits >> 8);
                raw[4 * j + 2] = (unsigned char)(bits >> 16);
                raw[4 * j + 3] = (unsigned char)(bits >> 24);
            }
            seam_mock_put_s(&o, "\"");
            put_base64(&o, raw, dims * 4);
            seam_mock_put_s(&o, "\"");
        } else {
            seam_mock_put_s(&o, "[");
            seam_mock_put_floats(&o, v, dims);
            seam_mock_put_s(&o, "]");
        }
        seam_mock_put_s(&o, "}");
    }
    seam_mock_put_s(&o, "],\"model\":");
    if (json_is_string(model))
        seam_mock_put_str(&o, json_string_value(model), json_string_length(model));
    else
        seam_mock_put_s(&o, "\"mock-embedding\"");
    seam_mock_put_s(&o, ",\"usage\":{\"prompt_tokens\":");
    seam_mock_put_u(&o, tokens);
    seam_mock_put_s(&o, ",\"total_tokens\":");
    seam_mock_put_u(&o, tokens);
    seam_mock_put_s(&o, "}}");
    rc = finish(p, o.err);

done:
    json_decref(root);
    return rc;
}

/* ---- models ---- */

int seam_mock_plan_models(seam_mock_plan *p)
{
    static const char *const ids[] = {"mock-chat", "mock-embedding", "echo"};
    seam_mock_plan_init(p);
    seam_mock_out o = seam_mock_out_plan(p);
    seam_mock_put_s(&o, "{\"object\":\"list\",\"data\":[");
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        if (i) seam_mock_put_s(&o, ",");
        seam_mock_put_s(&o, "{\"id\":\"");
        seam_mock_put_s(&o, ids[i]);
        seam_mock_put_s(&o, "\",\"object\":\"model\",\"created\":");
        seam_mock_put_u(&o, MOCK_CREATED);
        seam_mock_put_s(&o, ",\"owned_by\":\"seam-mock\"}");
    }
    seam_mock_put_s(&o, "]}");
    return finish(p, o.err);
}
