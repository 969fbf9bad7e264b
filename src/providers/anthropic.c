/* anthropic.c — provider type "anthropic": Anthropic's Messages API
 * (POST {base_url}/v1/messages), translated both ways from and to OpenAI
 * chat completions.
 *
 * The gateway hands every provider an OpenAI request; this file turns it
 * into a Messages request and Anthropic's answers (JSON, the SSE event
 * sequence, error bodies) back into OpenAI's.  adapter.c does the HTTP.
 * Requests are read and written with jansson: they are small, and a
 * translation touches every message anyway.  Streams are translated event
 * by event with the shared SSE reader and written straight into the output
 * buffer, so time to first token is never held.
 *
 * Request, OpenAI -> Anthropic.  A field is translated, dropped (only when
 * dropping it cannot change the answer), or refused with a 400 that names
 * it.  Fields whose value is null are treated as absent.  Unknown fields are
 * refused: silently ignoring a parameter the client meant would give it an
 * answer that looks right and is not.
 *
 *   field                        what happens
 *   ---------------------------  ------------------------------------------------
 *   model                        the route's model (req->model)
 *   messages: system, developer  top-level "system": a string; several messages'
 *                                texts are joined with a blank line, parts of one
 *                                message without separator; moved to the front
 *                                (Anthropic has one system prompt); non-text parts
 *                                refused
 *   messages: user               role user, content blocks: text, image (data: URL
 *                                -> base64 source, http(s) URL -> url source;
 *                                image_url.detail dropped: Anthropic has no such
 *                                knob), file with a PDF data: URL -> document;
 *                                input_audio, file_id and other parts refused
 *   messages: assistant          text (and refusal) parts -> text blocks;
 *                                tool_calls -> tool_use {id, name, input}; arguments
 *                                that are not a JSON object refused ("" is {});
 *                                audio, function_call refused
 *   messages: tool               a user message of tool_result {tool_use_id,
 *                                content}; consecutive results share one message
 *   messages: function           refused (deprecated; use tools)
 *   messages[].name              dropped: Anthropic has no participant names
 *   (alternation)                consecutive same-role messages merged into one,
 *                                as Anthropic requires; empty text parts skipped
 *                                (Anthropic rejects empty text blocks) and a
 *                                message left with no blocks is left out; a
 *                                conversation that ends with an assistant message
 *                                is sent as is (Anthropic continues that text: a
 *                                prefill)
 *   max_completion_tokens,       max_tokens (max_completion_tokens wins if both);
 *   max_tokens                   4096 when absent: Anthropic requires it
 *   temperature, top_p           as is (Anthropic's temperature range is 0..1; a
 *                                value above 1 gets Anthropic's own 400)
 *   stop (string or array)       stop_sequences
 *   stream                       stream (from req->stream)
 *   stream_options               read (include_usage), not sent
 *   user, safety_identifier      metadata.user_id (user wins)
 *   tools (function)             {name, description, input_schema = parameters};
 *                                function.strict dropped (Anthropic follows the
 *                                schema without it); other tool types refused
 *   tool_choice                  auto -> auto, required -> any, none -> none,
 *                                {function:{name}} -> {type:tool, name};
 *                                allowed_tools / custom refused
 *   parallel_tool_calls: false   tool_choice.disable_parallel_tool_use: true
 *   top_k                        passed through (an Anthropic knob clients can
 *                                send as an extra field)
 *   n > 1                        refused: one choice per request
 *   logprobs: true, top_logprobs refused: Anthropic returns no log probabilities
 *   response_format json_object  refused: Anthropic has no JSON mode (say it in
 *   / json_schema                the prompt or use a tool); type text dropped
 *   audio, modalities with audio refused: no audio output
 *   logit_bias (non-empty)       refused
 *   presence_penalty,            refused when non-zero: they change the answer
 *   frequency_penalty
 *   reasoning_effort, verbosity  refused: no equivalent knob
 *   web_search_options           refused
 *   functions, function_call     refused (deprecated; use tools)
 *   seed, store, metadata,       dropped: best-effort determinism, OpenAI-side
 *   service_tier, prediction,    storage and billing, a latency hint and a cache
 *   prompt_cache_key             routing hint; none changes the answer
 *
 * Response, Anthropic -> OpenAI: one choice; text blocks joined into content
 * (null when the answer is only tool calls); tool_use -> tool_calls with the
 * input serialised as the arguments string; thinking, redacted_thinking and
 * server-tool blocks are dropped (OpenAI's chat format has no place for
 * them); stop_reason end_turn / stop_sequence / pause_turn -> stop,
 * max_tokens / model_context_window_exceeded -> length, tool_use ->
 * tool_calls, refusal -> content_filter, a reason this file does not know ->
 * stop; usage prompt_tokens = input + cache read + cache creation tokens
 * (Anthropic counts them apart, OpenAI's prompt_tokens includes cached
 * ones), prompt_tokens_details.cached_tokens = cache read tokens.
 *
 * Streams: message_start -> a role chunk; text deltas -> content; tool_use
 * blocks -> tool_calls[index = n-th tool_use block] with id and name, then
 * input_json_delta pieces passed on as they come ("{}" when a tool's input
 * streamed empty); message_delta -> the finish_reason chunk; message_stop ->
 * the usage chunk (choices: []) when stream_options.include_usage asked for
 * it, then [DONE].  An error event becomes an OpenAI error event and the
 * stream ends failed; a stream without message_stop was cut short.  Events
 * this file does not know (and ping) are ignored, so new event types do not
 * break streams.  Anything malformed is a protocol error (-1). */
#include "providers/anthropic_xlate.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/json_scan.h"
#include "http/sse.h"

#define DEFAULT_BASE_URL   "https://api.anthropic.com"
#define DEFAULT_VERSION    "2023-06-01"
#define DEFAULT_MAX_TOKENS 4096
#define MAX_SSE_EVENT      (4u << 20) /* one vendor event */
#define MAX_BLOCKS         4096       /* content blocks in one streamed message */
#define MAX_HEAD           (64u << 10)

typedef struct anthropic_provider {
    seam_provider base;
    seam_http_target *messages;
    char *key;     /* the API key, or NULL */
    char *version; /* anthropic-version */
} anthropic_provider;

/* ---- per-call state ---- */

typedef struct block_info {
    int tool;  /* index among tool_use blocks, or -1 */
    int args;  /* some non-empty arguments piece was sent */
    int begun; /* content_block_start seen */
} block_info;

typedef struct anthropic_state {
    int include_usage; /* stream_options.include_usage */
    char *model;       /* the request's model, for a reply that names none */
    seam_sse_reader sse;
    int sse_ready;
    seam_buf head; /* data: {"id":...,"model":...,"choices":[ */
    int started, finished, stopped, failed;
    block_info *blocks;
    size_t nblocks;
    int ntools;
    long long input, cache_read, cache_create, output;
    seam_buf *out; /* during a feed */
    int werr;      /* first write error into out */
} anthropic_state;

static void state_free(void *state)
{
    anthropic_state *st = state;
    free(st->model);
    if (st->sse_ready) seam_sse_reader_free(&st->sse);
    seam_buf_free(&st->head);
    free(st->blocks);
}

/* ---- request: OpenAI -> Anthropic ---- */

typedef struct xl {
    const seam_provider *p;
    const seam_call_req *req;
    json_t *msgs;          /* Anthropic messages */
    json_t *last;          /* content array of the last one */
    const char *last_role; /* "user" / "assistant" (static) */
    seam_buf system;
    int has_system;
} xl;

static int refuse(xl *x, const char *field, const char *why)
{
    seam_adapter_refuse(x->p, x->req, field, why);
    return -1;
}

/* refuse() with a field name built from fmt. */
static int refuse_at(xl *x, const char *why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse_at(xl *x, const char *why, const char *fmt, ...)
{
    char field[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(field, sizeof field, fmt, ap);
    va_end(ap);
    return refuse(x, field, why);
}

static int nomem(xl *x)
{
    return refuse(x, "the request", "out of memory");
}

/* Sets o[k] = v, taking v; -1 when v is NULL (out of memory) or on failure. */
static int put(json_t *o, const char *k, json_t *v)
{
    return v ? json_object_set_new(o, k, v) : -1;
}

static int str_is(json_t *v, const char *s)
{
    return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

/* Appends block (taken) to the conversation as role, opening a new message
 * when the role changes: Anthropic wants user and assistant to alternate. */
static int push_block(xl *x, const char *role, json_t *block)
{
    if (!block) return nomem(x);
    if (!x->last_role || strcmp(x->last_role, role) != 0) {
        json_t *msg = json_object();
        json_t *content = json_array();
        if (!msg || !content || put(msg, "role", json_string(role)) ||
            json_object_set_new(msg, "content", content) || json_array_append_new(x->msgs, msg)) {
            json_decref(msg);
            json_decref(block);
            return nomem(x);
        }
        x->last = content;
        x->last_role = role;
    }
    if (json_array_append_new(x->last, block)) return nomem(x);
    return 0;
}

static json_t *text_block(json_t *text)
{
    json_t *b = json_object();
    if (b && (put(b, "type", json_string("text")) || put(b, "text", json_incref(text)))) {
        json_decref(b);
        return NULL;
    }
    return b;
}

/* A text part -> a text block; empty texts are skipped (Anthropic rejects them). */
static int push_text(xl *x, const char *role, json_t *text)
{
    if (!json_string_length(text)) return 0;
    return push_block(x, role, text_block(text));
}

/* Splits "data:MEDIA[;params];base64,DATA".  Returns 0 with the parts, or -1. */
static int data_url(const char *url, size_t n, const char **media, size_t *media_len,
                    const char **data, size_t *data_len)
{
    if (n < 5 || strncmp(url, "data:", 5) != 0) return -1;
    const char *comma = memchr(url, ',', n);
    if (!comma) return -1;
    const char *m = url + 5;
    size_t mlen = 0;
    while (m + mlen < comma && m[mlen] != ';')
        mlen++;
    if ((size_t)(comma - url) < 12 || memcmp(comma - 7, ";base64", 7) != 0 || !mlen) return -1;
    *media = m;
    *media_len = mlen;
    *data = comma + 1;
    *data_len = n - (size_t)(comma + 1 - url);
    return 0;
}

/* {"type": TYPE, "source": {"type":"base64","media_type":M,"data":D}} */
static json_t *base64_block(const char *type, const char *media, size_t mlen, const char *data,
                            size_t dlen)
{
    json_t *b = json_object(), *src = json_object();
    if (!b || !src || put(src, "type", json_string("base64")) ||
        put(src, "media_type", json_stringn(media, mlen)) ||
        put(src, "data", json_stringn(data, dlen)) || put(b, "type", json_string(type)) ||
        json_object_set(b, "source", src)) {
        json_decref(b);
        json_decref(src);
        return NULL;
    }
    json_decref(src);
    return b;
}

static int push_image(xl *x, size_t i, size_t j, json_t *part)
{
    json_t *iu = json_object_get(part, "image_url");
    json_t *url = json_is_string(iu) ? iu : json_object_get(iu, "url");
    if (!json_is_string(url))
        return refuse_at(x, "needs a url string", "messages[%zu].content[%zu].image_url", i, j);
    const char *u = json_string_value(url);
    size_t n = json_string_length(url);
    if (strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0) {
        json_t *b = json_object(), *src = json_object();
        if (!b || !src || put(src, "type", json_string("url")) ||
            put(src, "url", json_incref(url)) || put(b, "type", json_string("image")) ||
            json_object_set(b, "source", src)) {
            json_decref(b);
            json_decref(src);
            return nomem(x);
        }
        json_decref(src);
        return push_block(x, "user", b);
    }
    const char *media, *data;
    size_t mlen, dlen;
    if (data_url(u, n, &media, &mlen, &data, &dlen) != 0)
        return refuse_at(x, "only http(s) URLs and base64 data: URLs have an Anthropic equivalent",
                         "messages[%zu].content[%zu].image_url.url", i, j);
    return push_block(x, "user", base64_block("image", media, mlen, data, dlen));
}

static int push_file(xl *x, size_t i, size_t j, json_t *part)
{
    json_t *fd = json_object_get(json_object_get(part, "file"), "file_data");
    const char *media, *data;
    size_t mlen, dlen;
    if (!json_is_string(fd) ||
        data_url(json_string_value(fd), json_string_length(fd), &media, &mlen, &data, &dlen) ||
        mlen != 15 || memcmp(media, "application/pdf", 15) != 0)
        return refuse_at(x, "only PDF file_data as a base64 data: URL has an Anthropic equivalent",
                         "messages[%zu].content[%zu].file", i, j);
    return push_block(x, "user", base64_block("document", media, mlen, data, dlen));
}

/* A user message's content -> blocks of a user message. */
static int user_content(xl *x, size_t i, json_t *c)
{
    if (!c || json_is_null(c)) return 0;
    if (json_is_string(c)) return push_text(x, "user", c);
    if (!json_is_array(c))
        return refuse_at(x, "must be a string or an array of parts", "messages[%zu].content", i);
    size_t j;
    json_t *part;
    json_array_foreach(c, j, part)
    {
        json_t *type = json_object_get(part, "type");
        int rc;
        if (str_is(type, "text")) {
            json_t *text = json_object_get(part, "text");
            if (!json_is_string(text))
                return refuse_at(x, "must be a string", "messages[%zu].content[%zu].text", i, j);
            rc = push_text(x, "user", text);
        } else if (str_is(type, "image_url")) {
            rc = push_image(x, i, j, part);
        } else if (str_is(type, "file")) {
            rc = push_file(x, i, j, part);
        } else if (str_is(type, "input_audio")) {
            rc = refuse_at(x, "Anthropic takes no audio input", "messages[%zu].content[%zu]", i, j);
        } else {
            rc = refuse_at(x, "this part type has no Anthropic equivalent",
                           "messages[%zu].content[%zu].type", i, j);
        }
        if (rc) return rc;
    }
    return 0;
}

/* Text-only content (system, developer, assistant, tool) -> calls fn per text. */
static int text_parts(xl *x, size_t i, json_t *c, int allow_refusal,
                      int (*fn)(xl *x, json_t *text, void *ud), void *ud)
{
    if (!c || json_is_null(c)) return 0;
    if (json_is_string(c)) return fn(x, c, ud);
    if (!json_is_array(c))
        return refuse_at(x, "must be a string or an array of text parts", "messages[%zu].content",
                         i);
    size_t j;
    json_t *part;
    json_array_foreach(c, j, part)
    {
        json_t *type = json_object_get(part, "type");
        json_t *text;
        if (str_is(type, "text"))
            text = json_object_get(part, "text");
        else if (allow_refusal && str_is(type, "refusal"))
            text = json_object_get(part, "refusal");
        else
            return refuse_at(x, "only text parts have an Anthropic equivalent here",
                             "messages[%zu].content[%zu]", i, j);
        if (!json_is_string(text))
            return refuse_at(x, "must be a string", "messages[%zu].content[%zu].text", i, j);
        int rc = fn(x, text, ud);
        if (rc) return rc;
    }
    return 0;
}

static int system_text(xl *x, json_t *text, void *ud)
{
    int *first_of_message = ud;
    int rc = 0;
    if (*first_of_message && x->has_system) rc = seam_buf_append(&x->system, "\n\n", 2);
    if (!rc) rc = seam_buf_append(&x->system, json_string_value(text), json_string_length(text));
    if (rc) return nomem(x);
    *first_of_message = 0;
    x->has_system = 1;
    return 0;
}

static int assistant_text(xl *x, json_t *text, void *ud)
{
    return push_text(x, "assistant", text);
}

static int assistant(xl *x, size_t i, json_t *m)
{
    json_t *v = json_object_get(m, "audio");
    if (v && !json_is_null(v))
        return refuse_at(x, "Anthropic produces no audio", "messages[%zu].audio", i);
    v = json_object_get(m, "function_call");
    if (v && !json_is_null(v))
        return refuse_at(x, "the deprecated functions API is not translated; use tool_calls",
                         "messages[%zu].function_call", i);
    int rc = text_parts(x, i, json_object_get(m, "content"), 1, assistant_text, NULL);
    if (rc) return rc;
    json_t *calls = json_object_get(m, "tool_calls");
    if (!calls || json_is_null(calls)) return 0;
    if (!json_is_array(calls))
        return refuse_at(x, "must be an array", "messages[%zu].tool_calls", i);
    size_t j;
    json_t *call;
    json_array_foreach(calls, j, call)
    {
        json_t *type = json_object_get(call, "type");
        json_t *fn = json_object_get(call, "function");
        json_t *id = json_object_get(call, "id");
        json_t *name = json_object_get(fn, "name");
        json_t *args = json_object_get(fn, "arguments");
        if (type && !str_is(type, "function"))
            return refuse_at(x, "only function calls have an Anthropic equivalent",
                             "messages[%zu].tool_calls[%zu].type", i, j);
        if (!json_is_string(id) || !json_is_string(name))
            return refuse_at(x, "needs an id and a function name", "messages[%zu].tool_calls[%zu]",
                             i, j);
        json_t *input;
        const char *a = json_is_string(args) ? json_string_value(args) : NULL;
        size_t alen = json_is_string(args) ? json_string_length(args) : 0;
        size_t k = 0;
        while (k < alen && (a[k] == ' ' || a[k] == '\t' || a[k] == '\n' || a[k] == '\r'))
            k++;
        if (!args || json_is_null(args) || (a && k == alen))
            input = json_object(); /* no arguments */
        else if (a)
            input = json_loadb(a, alen, 0, NULL);
        else
            input = NULL;
        if (!json_is_object(input)) {
            json_decref(input);
            return refuse_at(x, "must be a JSON object in a string (Anthropic's tool input is one)",
                             "messages[%zu].tool_calls[%zu].function.arguments", i, j);
        }
        json_t *b = json_object();
        if (!b || put(b, "type", json_string("tool_use")) || put(b, "id", json_incref(id)) ||
            put(b, "name", json_incref(name)) || json_object_set_new(b, "input", input)) {
            if (!b) json_decref(input);
            json_decref(b);
            return nomem(x);
        }
        rc = push_block(x, "assistant", b);
        if (rc) return rc;
    }
    return 0;
}

static int tool_text(xl *x, json_t *text, void *ud)
{
    json_t *arr = ud;
    if (!json_string_length(text)) return 0;
    return json_array_append_new(arr, text_block(text)) ? nomem(x) : 0;
}

static int tool_result(xl *x, size_t i, json_t *m)
{
    json_t *id = json_object_get(m, "tool_call_id");
    if (!json_is_string(id))
        return refuse_at(x, "a tool message needs a tool_call_id string",
                         "messages[%zu].tool_call_id", i);
    json_t *c = json_object_get(m, "content");
    json_t *content;
    if (json_is_string(c)) {
        content = json_incref(c);
    } else {
        content = json_array();
        if (!content) return nomem(x);
        int rc = text_parts(x, i, c, 0, tool_text, content);
        if (rc) {
            json_decref(content);
            return rc;
        }
    }
    json_t *b = json_object();
    if (!b || put(b, "type", json_string("tool_result")) ||
        put(b, "tool_use_id", json_incref(id))) {
        json_decref(b);
        json_decref(content);
        return nomem(x);
    }
    /* no text at all: Anthropic's content is optional, an empty block list is not useful */
    if (json_is_array(content) && !json_array_size(content))
        json_decref(content);
    else if (json_object_set_new(b, "content", content)) {
        json_decref(b);
        return nomem(x);
    }
    return push_block(x, "user", b);
}

static int messages(xl *x, json_t *msgs)
{
    if (!json_is_array(msgs)) return refuse(x, "messages", "must be an array");
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m)
    {
        if (!json_is_object(m)) return refuse_at(x, "must be an object", "messages[%zu]", i);
        json_t *role = json_object_get(m, "role");
        int rc;
        if (str_is(role, "system") || str_is(role, "developer")) {
            int first = 1;
            rc = text_parts(x, i, json_object_get(m, "content"), 0, system_text, &first);
        } else if (str_is(role, "user")) {
            rc = user_content(x, i, json_object_get(m, "content"));
        } else if (str_is(role, "assistant")) {
            rc = assistant(x, i, m);
        } else if (str_is(role, "tool")) {
            rc = tool_result(x, i, m);
        } else if (str_is(role, "function")) {
            rc = refuse_at(x, "the deprecated function role is not translated; use tool",
                           "messages[%zu].role", i);
        } else {
            rc = refuse_at(x, "must be system, developer, user, assistant or tool",
                           "messages[%zu].role", i);
        }
        if (rc) return rc;
    }
    return 0;
}

static json_t *tool_def(xl *x, size_t i, json_t *tool)
{
    json_t *type = json_object_get(tool, "type");
    json_t *fn = json_object_get(tool, "function");
    if (!str_is(type, "function") || !json_is_object(fn)) {
        refuse_at(x, "only function tools have an Anthropic equivalent", "tools[%zu]", i);
        return NULL;
    }
    json_t *name = json_object_get(fn, "name");
    json_t *desc = json_object_get(fn, "description");
    json_t *params = json_object_get(fn, "parameters");
    if (!json_is_string(name)) {
        refuse_at(x, "needs a name", "tools[%zu].function.name", i);
        return NULL;
    }
    json_t *t = json_object();
    int bad = !t || put(t, "name", json_incref(name));
    if (!bad && json_is_string(desc)) bad = put(t, "description", json_incref(desc));
    if (!bad && json_is_object(params))
        bad = put(t, "input_schema", json_incref(params));
    else if (!bad) /* OpenAI allows a function without parameters; Anthropic needs a schema */
        bad = put(t, "input_schema", json_pack("{s:s,s:{}}", "type", "object", "properties"));
    if (bad) {
        json_decref(t);
        nomem(x);
        return NULL;
    }
    return t;
}

/* tool_choice, with parallel (-1 unset, 0/1) folded in; *out NULL when none is sent. */
static int tool_choice(xl *x, json_t *choice, int parallel, json_t **out)
{
    *out = NULL;
    json_t *tc = json_object();
    if (!tc) return nomem(x);
    const char *type = "auto";
    json_t *name = NULL;
    if (!choice) {
        if (parallel != 0) { /* the default: send nothing */
            json_decref(tc);
            return 0;
        }
    } else if (str_is(choice, "auto")) {
        type = "auto";
    } else if (str_is(choice, "required")) {
        type = "any";
    } else if (str_is(choice, "none")) {
        type = "none";
    } else if (json_is_object(choice) && str_is(json_object_get(choice, "type"), "function")) {
        name = json_object_get(json_object_get(choice, "function"), "name");
        if (!json_is_string(name)) {
            json_decref(tc);
            return refuse(x, "tool_choice.function.name", "must be a string");
        }
        type = "tool";
    } else {
        json_decref(tc);
        return refuse(x, "tool_choice",
                      "only auto, required, none and a named function have an Anthropic "
                      "equivalent");
    }
    int bad = put(tc, "type", json_string(type));
    if (!bad && name) bad = put(tc, "name", json_incref(name));
    if (!bad && parallel == 0 && strcmp(type, "none") != 0)
        bad = put(tc, "disable_parallel_tool_use", json_true());
    if (bad) {
        json_decref(tc);
        return nomem(x);
    }
    *out = tc;
    return 0;
}

static int is_zero(json_t *v)
{
    return json_is_number(v) && json_number_value(v) == 0;
}

/* What happens to each top-level field; see the table at the top. */
enum rule {
    R_USED,        /* read by build() */
    R_DROP,        /* no effect on the answer */
    R_REFUSE,      /* any non-null value */
    R_REFUSE_TRUE, /* refused when true */
    R_REFUSE_NONZERO,
    R_REFUSE_NONEMPTY, /* an object with members */
    R_N,
    R_MODALITIES,
    R_RESPONSE_FORMAT,
};

static const struct {
    const char *name;
    enum rule rule;
    const char *why;
} rules[] = {
    {"model", R_USED, NULL},
    {"messages", R_USED, NULL},
    {"max_tokens", R_USED, NULL},
    {"max_completion_tokens", R_USED, NULL},
    {"temperature", R_USED, NULL},
    {"top_p", R_USED, NULL},
    {"top_k", R_USED, NULL},
    {"stop", R_USED, NULL},
    {"stream", R_USED, NULL},
    {"stream_options", R_USED, NULL},
    {"user", R_USED, NULL},
    {"safety_identifier", R_USED, NULL},
    {"tools", R_USED, NULL},
    {"tool_choice", R_USED, NULL},
    {"parallel_tool_calls", R_USED, NULL},
    {"seed", R_DROP, NULL},
    {"store", R_DROP, NULL},
    {"metadata", R_DROP, NULL},
    {"service_tier", R_DROP, NULL},
    {"prediction", R_DROP, NULL},
    {"prompt_cache_key", R_DROP, NULL},
    {"n", R_N, "Anthropic returns one choice per request"},
    {"logprobs", R_REFUSE_TRUE, "Anthropic returns no log probabilities"},
    {"top_logprobs", R_REFUSE_NONZERO, "Anthropic returns no log probabilities"},
    {"presence_penalty", R_REFUSE_NONZERO, "Anthropic has no presence penalty"},
    {"frequency_penalty", R_REFUSE_NONZERO, "Anthropic has no frequency penalty"},
    {"logit_bias", R_REFUSE_NONEMPTY, "Anthropic has no logit bias"},
    {"audio", R_REFUSE, "Anthropic produces no audio"},
    {"modalities", R_MODALITIES, "Anthropic produces no audio"},
    {"response_format", R_RESPONSE_FORMAT,
     "Anthropic has no JSON mode or structured output format; ask for JSON in the prompt or "
     "use a tool"},
    {"reasoning_effort", R_REFUSE, "Anthropic has no reasoning_effort knob"},
    {"verbosity", R_REFUSE, "Anthropic has no verbosity knob"},
    {"web_search_options", R_REFUSE, "OpenAI's web search has no equivalent here"},
    {"functions", R_REFUSE, "the deprecated functions API is not translated; use tools"},
    {"function_call", R_REFUSE, "the deprecated functions API is not translated; use tool_choice"},
};

/* Checks one top-level field against the rules.  Returns 0 or -1 (refused). */
static int check_field(xl *x, const char *key, json_t *v)
{
    if (json_is_null(v)) return 0;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        if (strcmp(rules[i].name, key) != 0) continue;
        const char *why = rules[i].why;
        switch (rules[i].rule) {
        case R_USED:
        case R_DROP: return 0;
        case R_REFUSE: return refuse(x, key, why);
        case R_REFUSE_TRUE:
            if (json_is_false(v)) return 0;
            return refuse(x, key, why);
        case R_REFUSE_NONZERO:
            if (is_zero(v)) return 0;
            return refuse(x, key, why);
        case R_REFUSE_NONEMPTY:
            if (json_is_object(v) && !json_object_size(v)) return 0;
            return refuse(x, key, why);
        case R_N:
            if (json_is_integer(v) && json_integer_value(v) == 1) return 0;
            return refuse(x, key, why);
        case R_MODALITIES: {
            size_t j;
            json_t *m;
            if (!json_is_array(v)) return refuse(x, key, "must be an array");
            json_array_foreach(v, j, m)
            {
                if (!str_is(m, "text")) return refuse(x, key, why);
            }
            return 0;
        }
        case R_RESPONSE_FORMAT:
            if (str_is(json_object_get(v, "type"), "text")) return 0;
            return refuse(x, "response_format", why);
        }
    }
    return refuse(x, key, "not a parameter seam can translate to Anthropic's Messages API");
}

/* Value of a field, NULL when absent or null. */
static json_t *field(json_t *root, const char *k)
{
    json_t *v = json_object_get(root, k);
    return json_is_null(v) ? NULL : v;
}

static int build_body(xl *x, json_t *in, json_t *outj)
{
    const char *key;
    json_t *v;
    json_object_foreach(in, key, v)
    {
        if (check_field(x, key, v)) return -1;
    }
    json_t *msgs = field(in, "messages");
    if (!msgs) return refuse(x, "messages", "is required");
    if (put(outj, "model", json_string(x->req->model ? x->req->model : ""))) return nomem(x);
    /* messages first: the system prompt is collected on the way */
    x->msgs = json_array();
    if (!x->msgs) return nomem(x);
    int rc = messages(x, msgs);
    json_t *out_msgs = x->msgs;
    x->msgs = NULL;
    if (rc) {
        json_decref(out_msgs);
        return rc;
    }
    if (x->has_system &&
        put(outj, "system", json_stringn(x->system.data ? x->system.data : "", x->system.len))) {
        json_decref(out_msgs);
        return nomem(x);
    }
    if (json_object_set_new(outj, "messages", out_msgs)) return nomem(x);

    json_t *mt = field(in, "max_completion_tokens");
    const char *mt_name = "max_completion_tokens";
    if (!mt) {
        mt = field(in, "max_tokens");
        mt_name = "max_tokens";
    }
    if (mt && (!json_is_integer(mt) || json_integer_value(mt) < 1))
        return refuse(x, mt_name, "must be a positive integer");
    if (put(outj, "max_tokens", mt ? json_incref(mt) : json_integer(DEFAULT_MAX_TOKENS)))
        return nomem(x);

    static const char *const same[] = {"temperature", "top_p", "top_k"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        v = field(in, same[i]);
        if (!v) continue;
        if (!json_is_number(v)) return refuse(x, same[i], "must be a number");
        if (put(outj, same[i], json_incref(v))) return nomem(x);
    }

    v = field(in, "stop");
    if (json_is_string(v)) {
        if (put(outj, "stop_sequences", json_pack("[O]", v))) return nomem(x);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *s;
        json_array_foreach(v, i, s)
        {
            if (!json_is_string(s)) return refuse(x, "stop", "must be a string or strings");
        }
        if (json_array_size(v) && put(outj, "stop_sequences", json_incref(v))) return nomem(x);
    } else if (v) {
        return refuse(x, "stop", "must be a string or an array of strings");
    }

    if (x->req->stream && put(outj, "stream", json_true())) return nomem(x);

    v = field(in, "user");
    const char *user_field = "user";
    if (!v) {
        v = field(in, "safety_identifier");
        user_field = "safety_identifier";
    }
    if (v) {
        if (!json_is_string(v)) return refuse(x, user_field, "must be a string");
        if (put(outj, "metadata", json_pack("{s:O}", "user_id", v))) return nomem(x);
    }

    json_t *tools = field(in, "tools");
    json_t *choice = field(in, "tool_choice");
    json_t *par = field(in, "parallel_tool_calls");
    if (par && !json_is_boolean(par)) return refuse(x, "parallel_tool_calls", "must be a boolean");
    if (tools && !json_is_array(tools)) return refuse(x, "tools", "must be an array");
    if (tools && json_array_size(tools)) {
        json_t *arr = json_array();
        if (!arr || json_object_set_new(outj, "tools", arr)) return nomem(x);
        size_t i;
        json_t *t;
        json_array_foreach(tools, i, t)
        {
            json_t *def = tool_def(x, i, t);
            if (!def) return -1;
            if (json_array_append_new(arr, def)) return nomem(x);
        }
        json_t *tc;
        rc = tool_choice(x, choice, par ? json_is_true(par) : -1, &tc);
        if (rc) return rc;
        if (tc && json_object_set_new(outj, "tool_choice", tc)) return nomem(x);
    } else if (choice && !str_is(choice, "none") && !str_is(choice, "auto")) {
        return refuse(x, "tool_choice", "asks for a tool call but no tools were given");
    }
    return 0;
}

static int build(const seam_provider *p, const seam_call_req *req, void *state,
                 seam_adapter_out *out)
{
    const anthropic_provider *ap = (const anthropic_provider *)p;
    anthropic_state *st = state;
    xl x = {.p = p, .req = req};
    if (req->op == SEAM_OP_EMBEDDINGS)
        return refuse(&x, "embeddings", "Anthropic has no embeddings endpoint");

    seam_openai_req q;
    if (seam_openai_scan_request(req->body, req->body_len, &q, NULL) != 0)
        return refuse(&x, "the request", "the body is not valid JSON");
    st->include_usage = req->stream && q.include_usage;
    if (req->model && !(st->model = strdup(req->model))) return nomem(&x);
    seam_buf_init(&st->head, MAX_HEAD);

    json_t *in = json_loadb(req->body, req->body_len, JSON_ALLOW_NUL, NULL);
    json_t *outj = json_object();
    char *text = NULL;
    int rc = -1;
    seam_buf_init(&x.system, req->body_len + 16);
    if (!json_is_object(in)) {
        refuse(&x, "the request", "the body is not a JSON object");
        goto done;
    }
    if (!outj) {
        nomem(&x);
        goto done;
    }
    if (build_body(&x, in, outj)) goto done;
    size_t n = json_dumpb(outj, NULL, 0, JSON_COMPACT);
    if (!n || !(text = malloc(n))) {
        nomem(&x);
        goto done;
    }
    n = json_dumpb(outj, text, n, JSON_COMPACT);
    if (seam_buf_append(&out->body, text, n)) {
        refuse(&x, "the request", "too large once translated");
        goto done;
    }
    out->target = ap->messages;
    if ((ap->key && seam_adapter_header(out, "x-api-key: %s", ap->key)) ||
        seam_adapter_header(out, "anthropic-version: %s", ap->version) ||
        seam_adapter_header(out, "content-type: application/json") ||
        seam_adapter_header(out, "accept: %s",
                            req->stream ? "text/event-stream" : "application/json")) {
        nomem(&x);
        goto done;
    }
    if (req->stream) {
        seam_sse_reader_init(&st->sse, MAX_SSE_EVENT);
        st->sse_ready = 1;
    }
    rc = 0;
done:
    free(text);
    seam_buf_free(&x.system);
    json_decref(in);
    json_decref(outj);
    return rc;
}

/* ---- response: Anthropic -> OpenAI ---- */

static const char *finish_reason(json_t *stop_reason)
{
    const char *s = json_string_value(stop_reason);
    if (!s) return "stop";
    if (strcmp(s, "max_tokens") == 0 || strcmp(s, "model_context_window_exceeded") == 0)
        return "length";
    if (strcmp(s, "tool_use") == 0) return "tool_calls";
    if (strcmp(s, "refusal") == 0) return "content_filter";
    return "stop"; /* end_turn, stop_sequence, pause_turn, and reasons added later */
}

/* A usage count, 0 when absent or not a non-negative integer. */
static long long count(json_t *usage, const char *k)
{
    json_t *v = json_object_get(usage, k);
    return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : 0;
}

static json_t *usage_json(long long input, long long cache_read, long long cache_create,
                          long long output)
{
    long long prompt = input + cache_read + cache_create;
    return json_pack("{s:I,s:I,s:I,s:{s:I}}", "prompt_tokens", (json_int_t)prompt,
                     "completion_tokens", (json_int_t)output, "total_tokens",
                     (json_int_t)(prompt + output), "prompt_tokens_details", "cached_tokens",
                     (json_int_t)cache_read);
}

static int append_dump(json_t *j, seam_buf *out)
{
    size_t n = json_dumpb(j, NULL, 0, JSON_COMPACT);
    if (!n) return -1;
    if (seam_buf_reserve(out, n)) return -1;
    n = json_dumpb(j, out->data + out->len, n, JSON_COMPACT);
    out->len += n;
    out->data[out->len] = '\0';
    return 0;
}

static int response(void *state, const seam_call_req *req, const char *p, size_t n, seam_buf *out)
{
    anthropic_state *st = state;
    json_t *in = json_loadb(p, n, JSON_ALLOW_NUL, NULL);
    json_t *res = NULL, *calls = NULL;
    seam_buf text;
    seam_buf_init(&text, n + 1);
    int rc = -1, has_text = 0;
    json_t *content = json_object_get(in, "content");
    json_t *id = json_object_get(in, "id");
    if (!json_is_object(in) || !json_is_array(content) || !json_is_string(id)) goto done;
    if (!(calls = json_array())) goto done;
    size_t i;
    json_t *b;
    json_array_foreach(content, i, b)
    {
        json_t *type = json_object_get(b, "type");
        if (!json_is_string(type)) goto done;
        if (str_is(type, "text")) {
            json_t *t = json_object_get(b, "text");
            if (!json_is_string(t)) goto done;
            if (seam_buf_append(&text, json_string_value(t), json_string_length(t))) goto done;
            has_text = 1;
        } else if (str_is(type, "tool_use")) {
            json_t *tid = json_object_get(b, "id"), *name = json_object_get(b, "name");
            json_t *input = json_object_get(b, "input");
            if (!json_is_string(tid) || !json_is_string(name)) goto done;
            char *args = input ? json_dumps(input, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("{}");
            if (!args) goto done;
            json_t *call = json_pack("{s:O,s:s,s:{s:O,s:s}}", "id", tid, "type", "function",
                                     "function", "name", name, "arguments", args);
            free(args);
            if (!call || json_array_append_new(calls, call)) goto done;
        } /* thinking, redacted_thinking, server tools: no place in OpenAI's format */
    }
    json_t *model = json_object_get(in, "model");
    json_t *msg = json_pack("{s:s,s:o,s:n}", "role", "assistant", "content",
                            has_text ? json_stringn(text.data ? text.data : "", text.len)
                            : json_array_size(calls) ? json_null()
                                                     : json_string(""),
                            "refusal");
    if (!msg) goto done;
    if (json_array_size(calls) && json_object_set(msg, "tool_calls", calls)) {
        json_decref(msg);
        goto done;
    }
    json_t *usage = json_object_get(in, "usage");
    const char *mname = json_is_string(model) ? json_string_value(model)
                        : st->model           ? st->model
                                              : "";
    size_t mlen = json_is_string(model) ? json_string_length(model) : strlen(mname);
    res = json_pack(
        "{s:O,s:s,s:I,s:s%,s:[{s:i,s:o,s:n,s:s}],s:o}", "id", id, "object", "chat.completion",
        "created", (json_int_t)time(NULL), "model", mname, mlen, "choices", "index", 0, "message",
        msg, "logprobs", "finish_reason", finish_reason(json_object_get(in, "stop_reason")),
        "usage",
        usage_json(count(usage, "input_tokens"), count(usage, "cache_read_input_tokens"),
                   count(usage, "cache_creation_input_tokens"), count(usage, "output_tokens")));
    if (res && append_dump(res, out) == 0) rc = 0;
done:
    seam_buf_free(&text);
    json_decref(calls);
    json_decref(res);
    json_decref(in);
    return rc;
}

/* ---- errors ---- */

static const char *status_type(int status)
{
    switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 529: return "overloaded_error";
    default: return "api_error";
    }
}

/* {"error":{"message","type","param":null,"code":null}} from Anthropic's
 * {"type":"error","error":{"type","message"}}, or from the status alone when
 * the body is not that (a proxy's HTML page, say). */
static int error_json(int status, json_t *err, seam_buf *out)
{
    json_t *type = json_object_get(err, "type");
    json_t *message = json_object_get(err, "message");
    char fallback[64];
    snprintf(fallback, sizeof fallback, "Anthropic returned HTTP %d", status);
    json_t *o = json_pack("{s:{s:s,s:s,s:n,s:n}}", "error", "message",
                          json_is_string(message) ? json_string_value(message) : fallback, "type",
                          json_is_string(type) ? json_string_value(type) : status_type(status),
                          "param", "code");
    int rc = o ? append_dump(o, out) : -1;
    json_decref(o);
    return rc;
}

static int error(int status, const char *p, size_t n, seam_buf *out)
{
    json_t *in = json_loadb(p, n, JSON_ALLOW_NUL, NULL);
    int rc = error_json(status, json_object_get(in, "error"), out);
    json_decref(in);
    return rc;
}

/* ---- stream: Anthropic SSE -> OpenAI chunks ---- */

#define EV_PROTOCOL 2 /* the vendor sent something malformed */
#define EV_END      3 /* message_stop or error: read no further */

static void w(anthropic_state *st, const char *s, size_t n)
{
    if (!st->werr) st->werr = seam_buf_append(st->out, s, n);
}

static void ws(anthropic_state *st, const char *s)
{
    w(st, s, strlen(s));
}

static void wstr(anthropic_state *st, const char *s, size_t n)
{
    w(st, "\"", 1);
    if (!st->werr) st->werr = seam_buf_append_json_str(st->out, s, n);
    w(st, "\"", 1);
}

static void wint(anthropic_state *st, long long v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lld", v);
    w(st, tmp, (size_t)n);
}

/* data: {head}{"index":0,"delta": — the delta object follows. */
static void choice_open(anthropic_state *st)
{
    w(st, "data: ", 6);
    w(st, st->head.data, st->head.len);
    ws(st, "{\"index\":0,\"delta\":");
}

static void choice_close(anthropic_state *st, const char *finish)
{
    ws(st, ",\"logprobs\":null,\"finish_reason\":");
    if (finish) {
        w(st, "\"", 1);
        ws(st, finish);
        w(st, "\"", 1);
    } else {
        ws(st, "null");
    }
    ws(st, "}]}\n\n");
}

static void emit_text(anthropic_state *st, json_t *text)
{
    if (!json_string_length(text)) return;
    choice_open(st);
    ws(st, "{\"content\":");
    wstr(st, json_string_value(text), json_string_length(text));
    ws(st, "}");
    choice_close(st, NULL);
}

static void emit_args(anthropic_state *st, int tool, const char *s, size_t n)
{
    choice_open(st);
    ws(st, "{\"tool_calls\":[{\"index\":");
    wint(st, tool);
    ws(st, ",\"function\":{\"arguments\":");
    wstr(st, s, n);
    ws(st, "}}]}");
    choice_close(st, NULL);
}

static void emit_finish(anthropic_state *st, const char *reason)
{
    if (st->finished) return;
    st->finished = 1;
    choice_open(st);
    ws(st, "{}");
    choice_close(st, reason);
}

static void emit_error(anthropic_state *st, json_t *err)
{
    json_t *type = json_object_get(err, "type");
    json_t *message = json_object_get(err, "message");
    const char *m = json_is_string(message) ? json_string_value(message)
                                            : "Anthropic's stream reported an error";
    const char *t = json_is_string(type) ? json_string_value(type) : "api_error";
    ws(st, "data: {\"error\":{\"message\":");
    wstr(st, m, strlen(m));
    ws(st, ",\"type\":");
    wstr(st, t, strlen(t));
    ws(st, ",\"param\":null,\"code\":null}}\n\n");
}

static void read_usage(anthropic_state *st, json_t *usage)
{
    static const char *const keys[] = {"input_tokens", "cache_read_input_tokens",
                                       "cache_creation_input_tokens", "output_tokens"};
    long long *dst[] = {&st->input, &st->cache_read, &st->cache_create, &st->output};
    for (int i = 0; i < 4; i++)
        if (json_is_integer(json_object_get(usage, keys[i]))) *dst[i] = count(usage, keys[i]);
}

static int message_start(anthropic_state *st, json_t *ev)
{
    json_t *msg = json_object_get(ev, "message");
    json_t *id = json_object_get(msg, "id");
    json_t *model = json_object_get(msg, "model");
    if (st->started || !json_is_string(id)) return EV_PROTOCOL;
    st->started = 1;
    read_usage(st, json_object_get(msg, "usage"));
    const char *m = json_is_string(model) ? json_string_value(model) : st->model ? st->model : "";
    size_t mlen = json_is_string(model) ? json_string_length(model) : strlen(m);
    seam_buf *out = st->out;
    st->out = &st->head; /* the prefix every chunk shares */
    ws(st, "{\"id\":");
    wstr(st, json_string_value(id), json_string_length(id));
    ws(st, ",\"object\":\"chat.completion.chunk\",\"created\":");
    wint(st, (long long)time(NULL));
    ws(st, ",\"model\":");
    wstr(st, m, mlen);
    ws(st, ",\"choices\":[");
    st->out = out;
    choice_open(st);
    ws(st, "{\"role\":\"assistant\",\"content\":\"\"}");
    choice_close(st, NULL);
    return 0;
}

/* The block an event names, or NULL. */
static block_info *block_at(anthropic_state *st, json_t *ev, int create)
{
    json_t *index = json_object_get(ev, "index");
    if (!json_is_integer(index) || json_integer_value(index) < 0 ||
        json_integer_value(index) >= MAX_BLOCKS)
        return NULL;
    size_t i = (size_t)json_integer_value(index);
    if (i >= st->nblocks) {
        if (!create) return NULL;
        size_t n = i + 1 > st->nblocks * 2 ? i + 1 : st->nblocks * 2;
        block_info *b = realloc(st->blocks, n * sizeof *b);
        if (!b) return NULL;
        for (size_t k = st->nblocks; k < n; k++)
            b[k] = (block_info){.tool = -1};
        st->blocks = b;
        st->nblocks = n;
    }
    return &st->blocks[i];
}

static int block_start(anthropic_state *st, json_t *ev)
{
    block_info *b = block_at(st, ev, 1);
    json_t *cb = json_object_get(ev, "content_block");
    json_t *type = json_object_get(cb, "type");
    if (!b || b->begun || !json_is_string(type)) return EV_PROTOCOL;
    b->begun = 1;
    if (str_is(type, "text")) {
        json_t *text = json_object_get(cb, "text");
        if (json_is_string(text)) emit_text(st, text);
    } else if (str_is(type, "tool_use")) {
        json_t *id = json_object_get(cb, "id"), *name = json_object_get(cb, "name");
        if (!json_is_string(id) || !json_is_string(name)) return EV_PROTOCOL;
        b->tool = st->ntools++;
        choice_open(st);
        ws(st, "{\"tool_calls\":[{\"index\":");
        wint(st, b->tool);
        ws(st, ",\"id\":");
        wstr(st, json_string_value(id), json_string_length(id));
        ws(st, ",\"type\":\"function\",\"function\":{\"name\":");
        wstr(st, json_string_value(name), json_string_length(name));
        ws(st, ",\"arguments\":\"\"}}]}");
        choice_close(st, NULL);
    }
    return 0;
}

static int block_delta(anthropic_state *st, json_t *ev)
{
    block_info *b = block_at(st, ev, 0);
    json_t *delta = json_object_get(ev, "delta");
    json_t *type = json_object_get(delta, "type");
    if (!b || !b->begun || !json_is_string(type)) return EV_PROTOCOL;
    if (str_is(type, "text_delta")) {
        json_t *text = json_object_get(delta, "text");
        if (!json_is_string(text)) return EV_PROTOCOL;
        emit_text(st, text);
    } else if (str_is(type, "input_json_delta") && b->tool >= 0) {
        json_t *pj = json_object_get(delta, "partial_json");
        if (!json_is_string(pj)) return EV_PROTOCOL;
        if (json_string_length(pj)) {
            emit_args(st, b->tool, json_string_value(pj), json_string_length(pj));
            b->args = 1;
        }
    } /* thinking, signature, citations: no place in OpenAI's format */
    return 0;
}

static int block_stop(anthropic_state *st, json_t *ev)
{
    block_info *b = block_at(st, ev, 0);
    if (!b || !b->begun) return EV_PROTOCOL;
    if (b->tool >= 0 && !b->args) { /* a call without arguments: OpenAI sends "{}" */
        emit_args(st, b->tool, "{}", 2);
        b->args = 1;
    }
    return 0;
}

static void emit_usage(anthropic_state *st)
{
    long long prompt = st->input + st->cache_read + st->cache_create;
    w(st, "data: ", 6);
    w(st, st->head.data, st->head.len);
    ws(st, "],\"usage\":{\"prompt_tokens\":");
    wint(st, prompt);
    ws(st, ",\"completion_tokens\":");
    wint(st, st->output);
    ws(st, ",\"total_tokens\":");
    wint(st, prompt + st->output);
    ws(st, ",\"prompt_tokens_details\":{\"cached_tokens\":");
    wint(st, st->cache_read);
    ws(st, "}}}\n\n");
}

static int on_event(void *ud, const seam_sse_event *sev)
{
    anthropic_state *st = ud;
    if (!sev->data) return 0; /* a comment or keep-alive */
    json_t *ev = json_loadb(sev->data, sev->data_len, JSON_ALLOW_NUL, NULL);
    json_t *type = json_object_get(ev, "type");
    int rc = 0;
    if (!json_is_string(type)) {
        rc = EV_PROTOCOL;
    } else if (str_is(type, "error")) {
        emit_error(st, json_object_get(ev, "error"));
        st->failed = 1;
        rc = EV_END;
    } else if (str_is(type, "ping")) {
        rc = 0;
    } else if (str_is(type, "message_start")) {
        rc = message_start(st, ev);
    } else if (!st->started &&
               (str_is(type, "content_block_start") || str_is(type, "content_block_delta") ||
                str_is(type, "content_block_stop") || str_is(type, "message_delta") ||
                str_is(type, "message_stop"))) {
        rc = EV_PROTOCOL; /* these belong to a started message */
    } else if (str_is(type, "content_block_start")) {
        rc = block_start(st, ev);
    } else if (str_is(type, "content_block_delta")) {
        rc = block_delta(st, ev);
    } else if (str_is(type, "content_block_stop")) {
        rc = block_stop(st, ev);
    } else if (str_is(type, "message_delta")) {
        read_usage(st, json_object_get(ev, "usage"));
        json_t *reason = json_object_get(json_object_get(ev, "delta"), "stop_reason");
        if (json_is_string(reason)) emit_finish(st, finish_reason(reason));
    } else if (str_is(type, "message_stop")) {
        emit_finish(st, "stop"); /* when no message_delta said why */
        if (st->include_usage) emit_usage(st);
        ws(st, "data: [DONE]\n\n");
        st->stopped = 1;
        rc = EV_END;
    }
    json_decref(ev);
    if (st->werr) return EV_PROTOCOL;
    return rc;
}

/* Maps the reader's result: 0 to go on, -1 for a broken stream. */
static int feed_result(anthropic_state *st, int rc)
{
    if (rc == 0 || (rc == EV_END && !st->werr)) return 0;
    return -1;
}

static int stream(void *state, const seam_call_req *req, const char *p, size_t n, seam_buf *out)
{
    anthropic_state *st = state;
    if (!st->sse_ready) return -1;
    if (st->stopped || st->failed) return 0; /* the answer is complete; ignore the rest */
    st->out = out;
    int rc = seam_sse_feed(&st->sse, p, n, on_event, st);
    st->out = NULL;
    return feed_result(st, rc);
}

static int stream_end(void *state, const seam_call_req *req, seam_buf *out)
{
    anthropic_state *st = state;
    if (!st->sse_ready) return -1;
    if (!st->stopped && !st->failed) {
        st->out = out;
        int rc = seam_sse_finish(&st->sse, on_event, st);
        st->out = NULL;
        if (feed_result(st, rc) != 0) return -1;
    }
    return st->stopped && !st->failed ? 0 : -1;
}

const seam_adapter_ops seam_provider_anthropic_ops = {
    .build = build,
    .state_size = sizeof(anthropic_state),
    .state_free = state_free,
    .response = response,
    .stream = stream,
    .stream_end = stream_end,
    .error = error,
};

/* ---- the provider ---- */

static void destroy(seam_provider *p)
{
    anthropic_provider *ap = (anthropic_provider *)p;
    if (!ap) return;
    seam_http_target_free(ap->messages);
    free(ap->key);
    free(ap->version);
    free(ap);
}

static int create(const seam_provider_conf *conf, seam_provider **out, char *err, size_t errlen)
{
    anthropic_provider *ap = calloc(1, sizeof *ap);
    char *url = NULL;
    if (!ap) goto nomem;
    ap->base.vt = &seam_provider_anthropic;
    ap->base.conf = conf;
    const char *base = conf->base_url ? conf->base_url : DEFAULT_BASE_URL;
    if (asprintf(&url, "%s/v1/messages", base) < 0) {
        url = NULL;
        goto nomem;
    }
    ap->messages = seam_http_target_new(url, err, errlen);
    free(url);
    if (!ap->messages) goto fail;
    ap->version = strdup(conf->api_version ? conf->api_version : DEFAULT_VERSION);
    if (!ap->version) goto nomem;
    if (conf->api_key && !(ap->key = strdup(conf->api_key))) goto nomem;
    *out = &ap->base;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
fail:
    destroy(ap ? &ap->base : NULL);
    return -1;
}

static seam_call *start(seam_provider *p, const seam_io *io, const seam_call_req *req,
                        const seam_call_cbs *cbs, void *ud)
{
    return seam_adapter_start(p, &seam_provider_anthropic_ops, io, req, cbs, ud);
}

const seam_provider_vt seam_provider_anthropic = {
    .type = "anthropic",
    .create = create,
    .start = start,
    .cancel = seam_adapter_cancel,
    .destroy = destroy,
};
