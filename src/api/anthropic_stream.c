/* anthropic_stream.c — OpenAI chat.completion.chunk events -> Anthropic
 * Messages stream events, one upstream event at a time; see anthropic.h.
 *
 * | OpenAI (the data of one SSE event)   | Anthropic events appended                              |
 * | ------------------------------------ | ------------------------------------------------------ |
 * | the first chunk (any)                | message_start {id: "msg_" + id without "chatcmpl-",    |
 * |                                      | model (the client's name, else the chunk's), content:  |
 * |                                      | [], usage {input_tokens: the chunk's if it carries     |
 * |                                      | usage, else 0, output_tokens: 0}}, then ping           |
 * | choices[0].delta.content (non-empty) | content_block_start text (once per block), then        |
 * |                                      | content_block_delta text_delta                         |
 * | choices[0].delta.refusal             | as content; stop_reason becomes "refusal"              |
 * | delta.tool_calls[] with a new index  | content_block_stop for the open block, then            |
 * |                                      | content_block_start tool_use {id, name, input: {}}     |
 * |                                      | (see parallel calls below)                             |
 * | tool_calls[].function.arguments      | content_block_delta input_json_delta, partial_json     |
 * |                                      | exactly as received (empty pieces are skipped)         |
 * | finish_reason                        | remembered (seam_anthropic_stop_reason; "stop" after   |
 * |                                      | tool calls reads as tool_use); the open block and      |
 * |                                      | waiting ones are closed                                |
 * | a chunk with usage (choices: [])     | remembered                                             |
 * | "[DONE]" (or                         | content_block_stop for an open block; message_delta    |
 * | seam_anthropic_stream_finish)        | {stop_reason, stop_sequence: null} usage               |
 * |                                      | {output_tokens, and input_tokens and                   |
 * |                                      | cache_read_input_tokens once usage arrived};           |
 * |                                      | message_stop                                           |
 * | {"error": {...}} inside the stream   | an error event; the stream ends                        |
 * | choices other than index 0           | ignored (the request never asks for n > 1)             |
 * | delta.reasoning_content and the like | ignored (thinking is refused in the request)           |
 *
 * Block indexes count from 0 in the order blocks start. One block is open at
 * a time, as Anthropic's own streams have it.
 *
 * Parallel tool calls. OpenAI streams them one after another: every piece of
 * call 0, then call 1, ... A new index therefore closes the open block and
 * opens the next one, live. Some OpenAI-compatible servers could interleave
 * pieces of several calls, which an Anthropic stream cannot express once a
 * block is closed. So a new call only takes over when the open call's
 * arguments so far are a complete JSON value (then that call is finished:
 * nothing valid can follow a complete JSON text). Otherwise the new call
 * waits: its pieces are buffered, and it is emitted (start, one
 * input_json_delta with everything buffered, and later pieces live) as soon
 * as the open call is complete, or at finish_reason / [DONE]. Text that comes
 * while a call is waiting waits behind it, to keep the order. The same rule
 * lets a tool call whose name arrives late wait until it has one (a block
 * cannot start without it). A piece whose id differs from its index's call
 * is a new call (some servers send every call with index 0). A piece for a call whose block is
 * already closed can only be whitespace (dropped); anything else fails the event (-1). Buffered
 * bytes are capped by SEAM_ANTHROPIC_STREAM_MAX. */
#include "api/anthropic.h"
#include "api/anthropic_internal.h"
#include "api/json_scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Internal failures: BAD is the input's fault (-1 to the caller); any other
 * non-zero code is out's (a seam_buf error: SEAM_ANTHROPIC_EOUT). */
#define BAD (-100)

enum { ITEM_TEXT, ITEM_TOOL };
enum { PENDING, LIVE, CLOSED };

/* One content block to be: text, or one OpenAI tool call. */
typedef struct item {
    int kind, state;
    long tool_index; /* OpenAI's tool_calls[].index */
    char *id, *name; /* tool calls; NULL until received */
    seam_buf buf;    /* PENDING: content waiting; LIVE tool: its arguments so far */
    size_t checked;  /* buf.len when completeness was last checked */
    int complete;    /* buf held a complete JSON value then */
    int block;       /* Anthropic index, once started */
} item;

struct seam_anthropic_stream {
    char *model;                   /* the client's name, or NULL */
    seam_buf msg_id;               /* raw bytes */
    int started;                   /* message_start sent */
    int finished;                  /* message_stop sent */
    int failed;                    /* error event sent */
    int broken;                    /* an event failed: only an error event may follow */
    const char *finish_reason_map; /* mapped stop_reason, or NULL */
    int saw_refusal, saw_tool;
    seam__anthropic_usage usage;
    item *items;
    size_t nitems, cap;
    long live; /* items[] index of the open block, or -1 */
    int next_block;
    size_t buffered; /* bytes held in item buffers */
};

seam_anthropic_stream *seam_anthropic_stream_new(const char *model)
{
    seam_anthropic_stream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    if (model && !(s->model = strdup(model))) {
        free(s);
        return NULL;
    }
    seam_buf_init(&s->msg_id, 1024);
    s->live = -1;
    return s;
}

void seam_anthropic_stream_free(seam_anthropic_stream *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nitems; i++) {
        free(s->items[i].id);
        free(s->items[i].name);
        seam_buf_free(&s->items[i].buf);
    }
    free(s->items);
    seam_buf_free(&s->msg_id);
    free(s->model);
    free(s);
}

int seam_anthropic_stream_done(const seam_anthropic_stream *s)
{
    return s && s->finished;
}

/* ---- writing events ---- */

static int ev_begin(seam_buf *out, const char *name)
{
    return seam_buf_printf(out, "event: %s\ndata: ", name);
}

static int ev_end(seam_buf *out)
{
    return seam_buf_append(out, "\n\n", 2);
}

static int emit_message_start(seam_anthropic_stream *s, const json_t *chunk, seam_buf *out)
{
    const json_t *id = json_object_get(chunk, "id");
    const char *model = s->model ? s->model : json_string_value(json_object_get(chunk, "model"));
    seam__anthropic_usage u;
    seam__anthropic_read_usage(json_object_get(chunk, "usage"), &u);
    int rc = seam__anthropic_msg_id(&s->msg_id, json_string_value(id), json_string_length(id));
    if (!rc) rc = ev_begin(out, "message_start");
    if (!rc) rc = seam_buf_append_str(out, "{\"type\":\"message_start\",\"message\":{\"id\":\"");
    if (!rc) rc = seam_buf_append_json_str(out, s->msg_id.data, s->msg_id.len);
    if (!rc)
        rc = seam_buf_append_str(out, "\",\"type\":\"message\",\"role\":\"assistant\","
                                      "\"model\":\"");
    if (!rc && model) rc = seam_buf_append_json_str(out, model, strlen(model));
    if (!rc)
        rc = seam_buf_printf(out,
                             "\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
                             "\"usage\":{\"input_tokens\":%ld,\"output_tokens\":0}}}",
                             u.input_tokens);
    if (!rc) rc = ev_end(out);
    if (!rc) rc = seam_buf_append_str(out, "event: ping\ndata: {\"type\":\"ping\"}\n\n");
    if (!rc) s->started = 1;
    return rc;
}

static int emit_delta(seam_buf *out, int block, int kind, const char *p, size_t n)
{
    int rc = ev_begin(out, "content_block_delta");
    if (!rc)
        rc = seam_buf_printf(out,
                             "{\"type\":\"content_block_delta\",\"index\":%d,\"delta\":"
                             "{\"type\":\"%s\",\"%s\":\"",
                             block, kind == ITEM_TEXT ? "text_delta" : "input_json_delta",
                             kind == ITEM_TEXT ? "text" : "partial_json");
    if (!rc) rc = seam_buf_append_json_str(out, p, n);
    if (!rc) rc = seam_buf_append_str(out, "\"}}");
    if (!rc) rc = ev_end(out);
    return rc;
}

static int emit_block_stop(seam_buf *out, int block)
{
    int rc = ev_begin(out, "content_block_stop");
    if (!rc) rc = seam_buf_printf(out, "{\"type\":\"content_block_stop\",\"index\":%d}", block);
    if (!rc) rc = ev_end(out);
    return rc;
}

/* ---- blocks ---- */

static int hold(seam_anthropic_stream *s, item *it, const char *p, size_t n)
{
    if (n > SEAM_ANTHROPIC_STREAM_MAX - s->buffered) return BAD;
    if (seam_buf_append(&it->buf, p, n)) return SEAM_ANTHROPIC_EOUT;
    s->buffered += n;
    return 0;
}

static void release(seam_anthropic_stream *s, item *it)
{
    s->buffered -= it->buf.len;
    seam_buf_free(&it->buf);
    seam_buf_init(&it->buf, SEAM_ANTHROPIC_STREAM_MAX);
    it->checked = 0;
}

static item *new_item(seam_anthropic_stream *s, int kind)
{
    if (s->nitems == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4;
        item *p = realloc(s->items, cap * sizeof *p);
        if (!p) return NULL;
        s->items = p;
        s->cap = cap;
    }
    item *it = &s->items[s->nitems++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->state = PENDING;
    it->block = -1;
    seam_buf_init(&it->buf, SEAM_ANTHROPIC_STREAM_MAX);
    return it;
}

/* The open tool call's arguments are a complete JSON value: it is finished. */
static int args_complete(item *it)
{
    if (it->buf.len != it->checked) {
        it->checked = it->buf.len;
        it->complete = it->buf.len && seam_json_validate(it->buf.data, it->buf.len, NULL) == 0;
    }
    return it->complete;
}

static int can_switch(seam_anthropic_stream *s)
{
    if (s->live < 0) return 1;
    item *it = &s->items[s->live];
    return it->kind == ITEM_TEXT || args_complete(it);
}

static int any_pending(const seam_anthropic_stream *s)
{
    for (size_t i = 0; i < s->nitems; i++)
        if (s->items[i].state == PENDING) return 1;
    return 0;
}

static int close_live(seam_anthropic_stream *s, seam_buf *out)
{
    if (s->live < 0) return 0;
    item *it = &s->items[s->live];
    int rc = emit_block_stop(out, it->block);
    if (rc) return rc;
    it->state = CLOSED;
    release(s, it);
    s->live = -1;
    return 0;
}

/* Starts it as the open block (the caller closed the previous one) and sends
 * what it buffered as one delta. */
static int start_item(seam_anthropic_stream *s, item *it, seam_buf *out)
{
    int block = s->next_block;
    int rc = ev_begin(out, "content_block_start");
    if (!rc) rc = seam_buf_printf(out, "{\"type\":\"content_block_start\",\"index\":%d,", block);
    if (!rc && it->kind == ITEM_TEXT) {
        rc = seam_buf_append_str(out, "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
    } else if (!rc) {
        rc = seam_buf_append_str(out, "\"content_block\":{\"type\":\"tool_use\",\"id\":\"");
        if (!rc && it->id) {
            rc = seam_buf_append_json_str(out, it->id, strlen(it->id));
        } else if (!rc) { /* the upstream gave none: one unique within this message */
            rc = seam_buf_append_str(out, "toolu_");
            if (!rc) rc = seam_buf_append_json_str(out, s->msg_id.data + 4, s->msg_id.len - 4);
            if (!rc) rc = seam_buf_printf(out, "_%ld", it->tool_index);
        }
        if (!rc) rc = seam_buf_append_str(out, "\",\"name\":\"");
        if (!rc && it->name) rc = seam_buf_append_json_str(out, it->name, strlen(it->name));
        if (!rc) rc = seam_buf_append_str(out, "\",\"input\":{}}}");
    }
    if (!rc) rc = ev_end(out);
    if (!rc && it->buf.len) rc = emit_delta(out, block, it->kind, it->buf.data, it->buf.len);
    if (rc) return rc;
    s->next_block++;
    it->block = block;
    it->state = LIVE;
    s->live = it - s->items;
    if (it->kind == ITEM_TEXT) release(s, it); /* a tool keeps its arguments to check them */
    return 0;
}

static item *first_pending(seam_anthropic_stream *s)
{
    for (size_t i = 0; i < s->nitems; i++)
        if (s->items[i].state == PENDING) return &s->items[i];
    return NULL;
}

static int ready(const item *it)
{
    return it->kind == ITEM_TEXT || it->name;
}

/* Starts waiting blocks, in order, while the open one is finished. */
static int promote(seam_anthropic_stream *s, seam_buf *out)
{
    item *it;
    while ((it = first_pending(s)) && ready(it) && can_switch(s)) {
        int rc = close_live(s, out);
        if (!rc) rc = start_item(s, it, out);
        if (rc) return rc;
    }
    return 0;
}

/* Closes the open block and emits every waiting one. */
static int flush(seam_anthropic_stream *s, seam_buf *out)
{
    int rc = close_live(s, out);
    item *it;
    while (!rc && (it = first_pending(s))) {
        rc = start_item(s, it, out);
        if (!rc) rc = close_live(s, out);
    }
    return rc;
}

static int on_text(seam_anthropic_stream *s, const char *p, size_t n, seam_buf *out)
{
    if (!n) return 0;
    if (s->live >= 0 && s->items[s->live].kind == ITEM_TEXT)
        return emit_delta(out, s->items[s->live].block, ITEM_TEXT, p, n);
    item *last = s->nitems ? &s->items[s->nitems - 1] : NULL;
    if (last && last->kind == ITEM_TEXT && last->state == PENDING) return hold(s, last, p, n);
    int now = !any_pending(s) && can_switch(s);
    item *it = new_item(s, ITEM_TEXT);
    if (!it) return SEAM_ANTHROPIC_EOUT;
    int rc = hold(s, it, p, n);
    if (!rc && now) rc = close_live(s, out);
    if (!rc && now) rc = start_item(s, it, out);
    return rc;
}

static int all_space(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') return 0;
    return 1;
}

static int set_str(char **dst, const json_t *v)
{
    if (*dst || !json_is_string(v) || !json_string_length(v)) return 0;
    *dst = strdup(json_string_value(v));
    return *dst ? 0 : SEAM_ANTHROPIC_EOUT;
}

static int on_tool_call(seam_anthropic_stream *s, const json_t *tc, size_t pos, seam_buf *out)
{
    if (!json_is_object(tc)) return BAD;
    const json_t *jindex = json_object_get(tc, "index");
    long index = json_is_integer(jindex) ? (long)json_integer_value(jindex) : (long)pos;
    const json_t *fn = json_object_get(tc, "function");
    const json_t *args = json_object_get(fn, "arguments");
    s->saw_tool = 1;

    item *it = NULL;
    for (size_t i = s->nitems; i-- > 0;)
        if (s->items[i].kind == ITEM_TOOL && s->items[i].tool_index == index) {
            it = &s->items[i];
            break;
        }
    /* Some servers send every call with index 0, each under its own id. */
    const char *id = json_string_value(json_object_get(tc, "id"));
    if (it && it->id && id && *id && strcmp(it->id, id)) it = NULL;
    int rc = 0;
    if (!it) {
        int now = !any_pending(s) && can_switch(s);
        if (!(it = new_item(s, ITEM_TOOL))) return SEAM_ANTHROPIC_EOUT;
        it->tool_index = index;
        rc = set_str(&it->id, json_object_get(tc, "id"));
        if (!rc) rc = set_str(&it->name, json_object_get(fn, "name"));
        if (!rc && now && it->name) rc = close_live(s, out);
        if (!rc && now && it->name) rc = start_item(s, it, out);
    } else if (it->state == PENDING) {
        rc = set_str(&it->id, json_object_get(tc, "id"));
        if (!rc) rc = set_str(&it->name, json_object_get(fn, "name"));
    }
    size_t n = json_string_length(args);
    const char *p = json_string_value(args);
    if (!rc && n) {
        if (it->state == LIVE) {
            rc = emit_delta(out, it->block, ITEM_TOOL, p, n);
            if (!rc) rc = hold(s, it, p, n);
        } else if (it->state == PENDING) {
            rc = hold(s, it, p, n);
        } else if (!all_space(p, n)) {
            rc = BAD; /* its block is closed: see the top of this file */
        }
    }
    return rc ? rc : promote(s, out);
}

static int on_choice(seam_anthropic_stream *s, const json_t *choice, seam_buf *out)
{
    const json_t *delta = json_object_get(choice, "delta");
    const json_t *v;
    int rc = 0;
    if (json_is_object(delta)) {
        v = json_object_get(delta, "content");
        if (json_is_string(v)) rc = on_text(s, json_string_value(v), json_string_length(v), out);
        v = json_object_get(delta, "refusal");
        if (!rc && json_is_string(v) && json_string_length(v)) {
            s->saw_refusal = 1;
            rc = on_text(s, json_string_value(v), json_string_length(v), out);
        }
        v = json_object_get(delta, "tool_calls");
        size_t i;
        const json_t *tc;
        json_array_foreach(v, i, tc)
        {
            if (rc) break;
            rc = on_tool_call(s, tc, i, out);
        }
    }
    v = json_object_get(choice, "finish_reason");
    if (!rc && json_is_string(v)) {
        s->finish_reason_map = seam_anthropic_stop_reason(json_string_value(v));
        rc = flush(s, out);
    }
    return rc;
}

static int finish(seam_anthropic_stream *s, seam_buf *out)
{
    int rc = s->started ? 0 : emit_message_start(s, NULL, out);
    if (!rc) rc = flush(s, out);
    const char *stop = s->finish_reason_map ? s->finish_reason_map : "end_turn";
    if (s->saw_refusal)
        stop = "refusal";
    else if (s->saw_tool && !strcmp(stop, "end_turn"))
        stop = "tool_use";
    if (!rc) rc = ev_begin(out, "message_delta");
    if (!rc)
        rc = seam_buf_printf(out,
                             "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"%s\","
                             "\"stop_sequence\":null},\"usage\":{",
                             stop);
    if (!rc && s->usage.present) {
        rc = seam_buf_printf(out, "\"input_tokens\":%ld,", s->usage.input_tokens);
        if (!rc && s->usage.has_cached)
            rc = seam_buf_printf(out, "\"cache_read_input_tokens\":%ld,", s->usage.cached_tokens);
    }
    if (!rc) rc = seam_buf_printf(out, "\"output_tokens\":%ld}}", s->usage.output_tokens);
    if (!rc) rc = ev_end(out);
    if (!rc)
        rc = seam_buf_append_str(out, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    if (!rc) s->finished = 1;
    return rc;
}

static int error_event(seam_anthropic_stream *s, int status, const char *message, seam_buf *out)
{
    int rc = ev_begin(out, "error");
    if (!rc) rc = seam_anthropic_error_json(out, status, message);
    if (!rc) rc = ev_end(out);
    if (!rc) s->failed = 1;
    return rc;
}

/* An OpenAI error object sent as a stream event -> an error event. */
static int on_upstream_error(seam_anthropic_stream *s, const json_t *e, seam_buf *out)
{
    const json_t *code = json_object_get(e, "code");
    int status = 500;
    if (json_is_integer(code) && json_integer_value(code) >= 400 && json_integer_value(code) <= 599)
        status = (int)json_integer_value(code);
    const char *msg =
        json_is_string(e) ? json_string_value(e) : json_string_value(json_object_get(e, "message"));
    return error_event(s, status, msg && *msg ? msg : "the upstream stream failed", out);
}

static int event(seam_anthropic_stream *s, const char *data, size_t n, seam_buf *out)
{
    while (n && (data[n - 1] == ' ' || data[n - 1] == '\n' || data[n - 1] == '\r'))
        n--;
    while (n && (*data == ' ' || *data == '\n' || *data == '\r')) {
        data++;
        n--;
    }
    if (n == 6 && !memcmp(data, "[DONE]", 6)) return finish(s, out);

    json_t *root = json_loadb(data, n, JSON_ALLOW_NUL, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        return BAD;
    }
    int rc = 0;
    const json_t *choices = json_object_get(root, "choices");
    const json_t *err = json_object_get(root, "error");
    if (err && !json_is_null(err) && !choices) {
        rc = on_upstream_error(s, err, out);
        json_decref(root);
        return rc;
    }
    if (!s->started) rc = emit_message_start(s, root, out);
    size_t i;
    const json_t *c;
    json_array_foreach(choices, i, c)
    {
        if (rc) break;
        const json_t *index = json_object_get(c, "index");
        if (json_is_integer(index) ? json_integer_value(index) != 0 : i != 0) continue;
        rc = on_choice(s, c, out);
    }
    const json_t *usage = json_object_get(root, "usage");
    if (!rc && json_is_object(usage)) seam__anthropic_read_usage(usage, &s->usage);
    json_decref(root);
    return rc;
}

int seam_anthropic_stream_event(seam_anthropic_stream *s, const char *data, size_t n, seam_buf *out)
{
    if (s->finished || s->failed) return 0;
    if (s->broken) return -1;
    size_t mark = out->len;
    int rc = event(s, data, n, out);
    if (rc) {
        seam__anthropic_buf_truncate(out, mark);
        s->broken = 1;
        return rc == BAD ? -1 : SEAM_ANTHROPIC_EOUT;
    }
    return 0;
}

int seam_anthropic_stream_finish(seam_anthropic_stream *s, seam_buf *out)
{
    if (s->finished || s->failed) return 0;
    if (s->broken) return -1;
    size_t mark = out->len;
    int rc = finish(s, out);
    if (rc) {
        seam__anthropic_buf_truncate(out, mark);
        s->broken = 1;
        return SEAM_ANTHROPIC_EOUT;
    }
    return 0;
}

int seam_anthropic_stream_error(seam_anthropic_stream *s, int status, const char *message,
                                seam_buf *out)
{
    if (s->finished) return -1;
    if (s->failed) return 0;
    size_t mark = out->len;
    if (error_event(s, status, message ? message : "", out)) {
        seam__anthropic_buf_truncate(out, mark);
        return SEAM_ANTHROPIC_EOUT;
    }
    return 0;
}
