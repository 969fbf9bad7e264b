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
 * bytes are capped by SEAM_ANTHROPIC_STREAM_MAX.
 *
 * Each event is parsed once (json_doc.h) and its text and argument pieces
 * are copied to the Anthropic events as the upstream escaped them. A tool
 * call's arguments are also kept decoded, to tell when they are complete. */
#include "api/anthropic.h"
#include "api/anthropic_internal.h"
#include "api/json_doc.h"
#include "api/json_scan.h"

#include <stdlib.h>
#include <string.h>

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
    seam_buf buf;    /* PENDING: content waiting; LIVE tool: its arguments so far. Text is
                        kept JSON-escaped, arguments decoded */
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

/* Appends a string literal. */
#define PUT(out, lit) seam_buf_append((out), lit, sizeof(lit) - 1)

/* Appends a string body: copied when it is already escaped, else escaped. */
static int put_body(seam_buf *out, const char *p, size_t n, int escaped)
{
    return escaped ? seam_buf_append(out, p, n) : seam_buf_append_json_str(out, p, n);
}

/* message_start, with what the first chunk (NULL: none) says; then ping. */
static int emit_message_start(seam_anthropic_stream *s, const seam_jdoc *d, seam_jv chunk,
                              seam_buf *out)
{
    static const char *const names[] = {"id", "model", "usage"};
    seam_jv f[3];
    seam_jpick(d, chunk, names, 3, f);
    seam__anthropic_usage u;
    seam__anthropic_read_usage(d, f[2], &u);
    size_t n = 0, mn = 0;
    const char *id = f[0] ? seam_jstr(d, f[0], &n) : NULL;
    const char *model = f[1] ? seam_jstr(d, f[1], &mn) : NULL; /* escaped */
    int rc = 0;
    if (id && f[0]->escaped) { /* rare: the id is kept decoded */
        seam_buf tmp;
        seam_buf_init(&tmp, s->msg_id.max);
        rc = seam_jstr_decode(d, f[0], &tmp);
        if (!rc) rc = seam__anthropic_msg_id(&s->msg_id, tmp.data, tmp.len);
        seam_buf_free(&tmp);
    } else {
        rc = seam__anthropic_msg_id(&s->msg_id, id, n);
    }
    if (!rc)
        rc = PUT(out, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{"
                      "\"id\":\"");
    if (!rc) rc = seam_buf_append_json_str(out, s->msg_id.data, s->msg_id.len);
    if (!rc) rc = PUT(out, "\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"");
    if (!rc && s->model)
        rc = seam_buf_append_json_str(out, s->model, strlen(s->model));
    else if (!rc && model)
        rc = seam_buf_append(out, model, mn);
    if (!rc)
        rc = PUT(out, "\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
                      "\"usage\":{\"input_tokens\":");
    if (!rc) rc = seam_buf_append_int(out, u.input_tokens);
    if (!rc) rc = PUT(out, ",\"output_tokens\":0}}}\n\nevent: ping\ndata: {\"type\":\"ping\"}\n\n");
    if (!rc) s->started = 1;
    return rc;
}

/* A content_block_delta carrying p[0..n) (escaped or not: see put_body). */
static int emit_delta(seam_buf *out, int block, int kind, const char *p, size_t n, int escaped)
{
    int rc = PUT(out, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
                      "\"index\":");
    if (!rc) rc = seam_buf_append_int(out, block);
    if (!rc && kind == ITEM_TEXT)
        rc = PUT(out, ",\"delta\":{\"type\":\"text_delta\",\"text\":\"");
    else if (!rc)
        rc = PUT(out, ",\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"");
    if (!rc) rc = put_body(out, p, n, escaped);
    if (!rc) rc = PUT(out, "\"}}\n\n");
    return rc;
}

static int emit_block_stop(seam_buf *out, int block)
{
    int rc = PUT(out, "event: content_block_stop\ndata: {\"type\":\"content_block_stop\","
                      "\"index\":");
    if (!rc) rc = seam_buf_append_int(out, block);
    if (!rc) rc = PUT(out, "}\n\n");
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

/* hold() for a string value, decoded. */
static int hold_decoded(seam_anthropic_stream *s, item *it, const seam_jdoc *d, seam_jv v)
{
    size_t before = it->buf.len;
    int rc = seam_jstr_decode(d, v, &it->buf);
    if (rc) return rc == SEAM_BUF_NOMEM ? SEAM_ANTHROPIC_EOUT : BAD; /* else past the cap */
    if (it->buf.len - before > SEAM_ANTHROPIC_STREAM_MAX - s->buffered) {
        seam__anthropic_buf_truncate(&it->buf, before);
        return BAD;
    }
    s->buffered += it->buf.len - before;
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
    int rc = PUT(out, "event: content_block_start\ndata: {\"type\":\"content_block_start\","
                      "\"index\":");
    if (!rc) rc = seam_buf_append_int(out, block);
    if (!rc && it->kind == ITEM_TEXT) {
        rc = PUT(out, ",\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
    } else if (!rc) {
        rc = PUT(out, ",\"content_block\":{\"type\":\"tool_use\",\"id\":\"");
        if (!rc && it->id) {
            rc = seam_buf_append_json_str(out, it->id, strlen(it->id));
        } else if (!rc) { /* the upstream gave none: one unique within this message */
            rc = PUT(out, "toolu_");
            if (!rc) rc = seam_buf_append_json_str(out, s->msg_id.data + 4, s->msg_id.len - 4);
            if (!rc) rc = PUT(out, "_");
            if (!rc) rc = seam_buf_append_int(out, it->tool_index);
        }
        if (!rc) rc = PUT(out, "\",\"name\":\"");
        if (!rc && it->name) rc = seam_buf_append_json_str(out, it->name, strlen(it->name));
        if (!rc) rc = PUT(out, "\",\"input\":{}}}");
    }
    if (!rc) rc = PUT(out, "\n\n");
    if (!rc && it->buf.len)
        rc = emit_delta(out, block, it->kind, it->buf.data, it->buf.len, it->kind == ITEM_TEXT);
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

/* A piece of text, p[0..n) as the upstream escaped it. */
static int on_text(seam_anthropic_stream *s, const char *p, size_t n, seam_buf *out)
{
    if (!n) return 0;
    if (s->live >= 0 && s->items[s->live].kind == ITEM_TEXT)
        return emit_delta(out, s->items[s->live].block, ITEM_TEXT, p, n, 1);
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

/* String v holds only JSON whitespace once decoded. */
static int all_space(const seam_jdoc *d, seam_jv v)
{
    seam_buf tmp;
    seam_buf_init(&tmp, SEAM_ANTHROPIC_STREAM_MAX);
    int blank = seam_jstr_decode(d, v, &tmp) == 0;
    for (size_t i = 0; blank && i < tmp.len; i++)
        blank =
            tmp.data[i] == ' ' || tmp.data[i] == '\t' || tmp.data[i] == '\n' || tmp.data[i] == '\r';
    seam_buf_free(&tmp);
    return blank;
}

/* Sets *dst, unless it is set, to string v decoded when v is non-empty. */
static int set_str(char **dst, const seam_jdoc *d, seam_jv v)
{
    if (*dst || !seam_jis(v, SEAM_JSTRING) || v->len == 2) return 0;
    seam_buf b;
    seam_buf_init(&b, SEAM_ANTHROPIC_STREAM_MAX);
    if (seam_jstr_decode(d, v, &b)) {
        seam_buf_free(&b);
        return SEAM_ANTHROPIC_EOUT;
    }
    *dst = b.data; /* NUL-terminated; owned by the item now */
    return 0;
}

/* The item of OpenAI's tool call number index with this id (NULL: any),
 * or NULL. */
static item *find_call(seam_anthropic_stream *s, long index, const seam_jdoc *d, seam_jv id)
{
    for (size_t i = s->nitems; i-- > 0;) {
        item *it = &s->items[i];
        if (it->kind != ITEM_TOOL || it->tool_index != index) continue;
        /* Some servers send every call with index 0, each under its own id. */
        if (it->id && seam_jis(id, SEAM_JSTRING) && id->len > 2 && !seam_jstr_eq(d, id, it->id))
            return NULL;
        return it;
    }
    return NULL;
}

static int on_tool_call(seam_anthropic_stream *s, const seam_jdoc *d, seam_jv tc, size_t pos,
                        seam_buf *out)
{
    static const char *const names[] = {"index", "id", "function"};
    static const char *const fn_names[] = {"name", "arguments"};
    seam_jv f[3], fn[2];
    if (!seam_jis(tc, SEAM_JOBJECT)) return BAD;
    seam_jpick(d, tc, names, 3, f);
    seam_jpick(d, f[2], fn_names, 2, fn);
    long index;
    if (seam__anthropic_long(d, f[0], &index)) index = (long)pos;
    s->saw_tool = 1;

    item *it = find_call(s, index, d, f[1]);
    int rc = 0;
    if (!it) {
        int now = !any_pending(s) && can_switch(s);
        if (!(it = new_item(s, ITEM_TOOL))) return SEAM_ANTHROPIC_EOUT;
        it->tool_index = index;
        rc = set_str(&it->id, d, f[1]);
        if (!rc) rc = set_str(&it->name, d, fn[0]);
        if (!rc && now && it->name) rc = close_live(s, out);
        if (!rc && now && it->name) rc = start_item(s, it, out);
    } else if (it->state == PENDING) {
        rc = set_str(&it->id, d, f[1]);
        if (!rc) rc = set_str(&it->name, d, fn[0]);
    }
    size_t n;
    const char *p = seam_jstr(d, fn[1], &n);
    if (!rc && p && n) {
        if (it->state == LIVE) {
            rc = emit_delta(out, it->block, ITEM_TOOL, p, n, 1);
            if (!rc) rc = hold_decoded(s, it, d, fn[1]);
        } else if (it->state == PENDING) {
            rc = hold_decoded(s, it, d, fn[1]);
        } else if (!all_space(d, fn[1])) {
            rc = BAD; /* its block is closed: see the top of this file */
        }
    }
    return rc ? rc : promote(s, out);
}

static int on_choice(seam_anthropic_stream *s, const seam_jdoc *d, seam_jv delta, seam_jv finish,
                     seam_buf *out)
{
    static const char *const names[] = {"content", "refusal", "tool_calls"};
    seam_jv f[3];
    int rc = 0;
    if (seam_jis(delta, SEAM_JOBJECT)) {
        seam_jpick(d, delta, names, 3, f);
        size_t n;
        const char *p = seam_jstr(d, f[0], &n);
        if (p) rc = on_text(s, p, n, out);
        p = seam_jstr(d, f[1], &n);
        if (!rc && p && n) {
            s->saw_refusal = 1;
            rc = on_text(s, p, n, out);
        }
        size_t i;
        seam_jv tc;
        seam_jarr_foreach(f[2], i, tc)
        {
            if (rc) break;
            rc = on_tool_call(s, d, tc, i, out);
        }
    }
    if (!rc && seam_jis(finish, SEAM_JSTRING)) {
        s->finish_reason_map = seam__anthropic_stop_reason(d, finish);
        rc = flush(s, out);
    }
    return rc;
}

static int finish(seam_anthropic_stream *s, seam_buf *out)
{
    int rc = s->started ? 0 : emit_message_start(s, NULL, NULL, out);
    if (!rc) rc = flush(s, out);
    const char *stop = s->finish_reason_map ? s->finish_reason_map : "end_turn";
    if (s->saw_refusal)
        stop = "refusal";
    else if (s->saw_tool && !strcmp(stop, "end_turn"))
        stop = "tool_use";
    if (!rc)
        rc = PUT(out, "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{"
                      "\"stop_reason\":\"");
    if (!rc) rc = seam_buf_append_str(out, stop);
    if (!rc) rc = PUT(out, "\",\"stop_sequence\":null},\"usage\":{");
    if (!rc && s->usage.present) {
        rc = PUT(out, "\"input_tokens\":");
        if (!rc) rc = seam_buf_append_int(out, s->usage.input_tokens);
        if (!rc && s->usage.has_cached) rc = PUT(out, ",\"cache_read_input_tokens\":");
        if (!rc && s->usage.has_cached) rc = seam_buf_append_int(out, s->usage.cached_tokens);
        if (!rc) rc = PUT(out, ",");
    }
    if (!rc) rc = PUT(out, "\"output_tokens\":");
    if (!rc) rc = seam_buf_append_int(out, s->usage.output_tokens);
    if (!rc) rc = PUT(out, "}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    if (!rc) s->finished = 1;
    return rc;
}

/* An error event; message is text, or (escaped) a JSON string body. */
static int error_event(seam_anthropic_stream *s, int status, const char *message, size_t len,
                       int escaped, seam_buf *out)
{
    int rc = PUT(out, "event: error\ndata: ");
    if (!rc && escaped) rc = seam__anthropic_error_escaped(out, status, message, len);
    if (!rc && !escaped) rc = seam_anthropic_error_json(out, status, message);
    if (!rc) rc = PUT(out, "\n\n");
    if (!rc) s->failed = 1;
    return rc;
}

/* An OpenAI error object sent as a stream event -> an error event. */
static int on_upstream_error(seam_anthropic_stream *s, const seam_jdoc *d, seam_jv e, seam_buf *out)
{
    static const char *const names[] = {"code", "message"};
    seam_jv f[2];
    seam_jpick(d, e, names, 2, f);
    long code;
    int status = 500;
    if (seam__anthropic_long(d, f[0], &code) == 0 && code >= 400 && code <= 599) status = (int)code;
    size_t n;
    const char *msg = seam_jstr(d, seam_jis(e, SEAM_JSTRING) ? e : f[1], &n);
    if (msg && n) return error_event(s, status, msg, n, 1, out);
    static const char fallback[] = "the upstream stream failed";
    return error_event(s, status, fallback, sizeof fallback - 1, 0, out);
}

/* One upstream event, parsed once. */
static int chunk(seam_anthropic_stream *s, const seam_jdoc *d, seam_buf *out)
{
    static const char *const names[] = {"choices", "error", "usage"};
    static const char *const choice_names[] = {"index", "delta", "finish_reason"};
    seam_jv root = seam_jroot(d), f[3], cf[3];
    if (!seam_jis(root, SEAM_JOBJECT)) return BAD;
    seam_jpick(d, root, names, 3, f);
    if (!seam_jnone(f[1]) && !f[0]) return on_upstream_error(s, d, f[1], out);
    int rc = s->started ? 0 : emit_message_start(s, d, root, out);
    size_t i;
    seam_jv c;
    seam_jarr_foreach(f[0], i, c)
    {
        if (rc) break;
        seam_jpick(d, c, choice_names, 3, cf);
        long index;
        if (seam__anthropic_long(d, cf[0], &index) == 0 ? index != 0 : i != 0) continue;
        rc = on_choice(s, d, cf[1], cf[2], out);
    }
    if (!rc && seam_jis(f[2], SEAM_JOBJECT)) seam__anthropic_read_usage(d, f[2], &s->usage);
    return rc;
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

    seam_jdoc doc;
    int rc = seam_jdoc_parse(&doc, data, n, NULL) ? BAD : chunk(s, &doc, out);
    seam_jdoc_free(&doc);
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
    if (!message) message = "";
    if (error_event(s, status, message, strlen(message), 0, out)) {
        seam__anthropic_buf_truncate(out, mark);
        return SEAM_ANTHROPIC_EOUT;
    }
    return 0;
}
